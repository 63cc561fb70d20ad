/*
 * The template of a streaming applet (execsnoop-k8s, opensnoop-k8s, dnssnoop, and every tracer after them):
 * the applet names its fields, its default columns and how it opens its tracer; the rest is shared.
 */
#ifndef GADGETBOX_STREAM_H
#define GADGETBOX_STREAM_H

#include "gadgetbox.h"
#include "output.h"
#include "rows.h"

/*
 * A streaming applet, as the shared run sees it: its own fields (numbered from GBF_COUNT), its default
 * columns, and the tracer it opens. gb_cli_stream() sets up the output (gb_output_setup: --fields, --filter,
 * ...) and the context, starts --metrics, opens the tracer, delivers events until the end (gb_cli_run_every), and frees
 * it all.
 */
struct gb_cli_stream {
	const struct gb_cli_rows *rows; /* the gadget's fields (rows.h) */
	const char *columns;
	/* The tracer on @ctx, with @out as its callbacks' context; NULL with errno after the library said why. */
	struct gb_tracer *(*open)(struct gb_ctx *ctx, struct output *out);
	/* Called every @interval seconds (a periodic summary), and once after the end (the last one). May be
	 * NULL. */
	void (*tick)(void *out);
	double interval;
	void (*done)(struct output *out);
};
/* Returns the exit code. */
int gb_cli_stream(const struct gb_cli_stream *s);

#endif
