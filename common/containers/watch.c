/* The context's watch for new containers (watch.h, bpf/watch.bpf.c). */
#include "watch.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/gadget.h"
#include "diag.h"
#include "tracer.h"
#include "watch.skel.h"

struct watch_kind {
	struct watch_bpf *skel;
};

static int watch_record(struct gb_tracer *t, const void *data, size_t size)
{
	(void)t, (void)data, (void)size; /* new namespaces and container exits: handled by every tracer's reader */
	return 0;
}

static void watch_destroy(struct gb_tracer *t)
{
	struct watch_kind *k = t->kind;

	if (!k)
		return;
	watch_bpf__destroy(k->skel);
	free(k);
}

static const struct gb_tracer_ops watch_ops = {
	.name = "watch", .record = watch_record, .destroy = watch_destroy, .internal = true};

static void cannot_watch(const char *why)
{
	gb_warn_once("cannot load the container watcher (%s): new containers are found by rescanning every second, "
		     "and one that starts and ends between two rescans may go unlabelled",
		     why);
}

static void watch_lost(void *arg, uint64_t lost, uint64_t total)
{
	(void)arg, (void)lost;
	gb_warn("the container watcher lost %llu records so far (its ring buffer was full): new containers are "
		"found from their events, maybe late",
		(unsigned long long)total);
}

struct gb_tracer *gb_watch_open(struct gb_ctx *ctx)
{
	struct watch_kind *k = calloc(1, sizeof(*k));

	if (!k) {
		cannot_watch(strerror(ENOMEM));
		return NULL;
	}
	if (!(k->skel = GB_SKEL_OPEN(ctx, watch_bpf))) {
		cannot_watch(strerror(errno));
		free(k);
		return NULL;
	}
	GB_TRACER_CONFIGURE(ctx, k->skel, 64 << 10, false);
	k->skel->rodata->gb_wakeup_bytes = 1; /* few records, each worth a wake-up (container exits too) */
	int err = watch_bpf__load(k->skel);
	gb_startup_step("watch: BPF programs loaded");
	if (err) {
		cannot_watch(strerror(-err));
		watch_destroy(&(struct gb_tracer){.kind = k});
		return NULL;
	}
	return gb_tracer_start(ctx, &watch_ops, k, k->skel->obj, watch_lost, NULL);
}
