#include "stream.h"

#include "cli.h"
#include "event.h"
#include "frontend.h"
#include "metrics.h"

int gb_cli_stream(const struct gb_cli_stream *s)
{
	struct output *out = gb_output_setup(s->rows->fields, s->rows->nfields, s->columns);
	struct gb_tracer *t = NULL;
	struct gb_ctx *ctx = NULL;
	int rc;

	if (!out)
		return 2;
	if (!(ctx = gb_cli_ctx_new(true, true)) || gb_cli_metrics_start() || !(t = s->open(ctx, out)))
		rc = 1;
	else {
		gb_metrics_tracer(s->rows->gadget, t);
		gb_output_size_containers(out, ctx);
		rc = gb_cli_run_every(ctx, t, out, s->interval, s->tick, out);
	}
	gb_metrics_stop();
	gb_tracer__free(t);
	gb_ctx__free(ctx);
	if (s->done)
		s->done(out);
	gb_cli_flush(out);
	output_free(out);
	return rc;
}
