/* The exit tracer: every process's end, with the signal that caused it (bpf/exitsnoop.bpf.c, exit_decode.c). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "bpf/exitsnoop.h"
#include "containers.h"
#include "decode.h"
#include "exitsnoop.skel.h"
#include "tracer.h"

struct exit_kind {
	struct exitsnoop_bpf *skel;
	struct gb_exit_opts opts;
};

static int exit_record(struct gb_tracer *t, const void *data, size_t size)
{
	struct exit_kind *k = t->kind;
	struct gb_exit_event ev;

	if (gb_decode_exit(data, size, &ev) || !gb_tracer_proc(&ev.proc))
		return 0;
	if (ev.cause.sig)
		ev.sender.container = gb_container_by_ns(ev.sender.mntns, ev.sender.mntns_uid);
	if (ev.cause.syscall >= 0)
		ev.cause.syscall_name = gb_syscall_name(ev.cause.syscall, ev.cause.syscall_compat);
	/* the container table drops a container only after the records read with this one (loop.c) */
	ev.container_end = !ev.thread && ev.proc.container && ev.proc.container->pid == ev.proc.pid;
	k->opts.on_event(k->opts.cb_ctx, &ev);
	return 1;
}

static void exit_destroy(struct gb_tracer *t)
{
	struct exit_kind *k = t->kind;

	if (!k)
		return;
	exitsnoop_bpf__destroy(k->skel);
	free(k);
}

/* The exit program before the container-end one on the same tracepoint (programs run in attach order), so a
 * container's init exit is read while its container is still known. */
static int exit_attach(struct gb_tracer *t)
{
	struct exit_kind *k = t->kind;
	struct bpf_program *progs[] = {k->skel->progs.exit_exit, k->skel->progs.gb_container_exit};
	int err = 0;

	for (size_t i = 0; i < 2 && !err; i++)
		err = gb_tracer_add_link(t, progs[i], bpf_program__attach(progs[i]), "raw_tp/sched_process_exit");
	return err;
}

static const struct gb_tracer_ops exit_ops = {
	.name = "exit", .record = exit_record, .attach = exit_attach, .destroy = exit_destroy};

struct gb_tracer *gb_exit__open(struct gb_ctx *ctx, const struct gb_exit_opts *opts)
{
	struct exit_kind *k =
		gb_kind_new(ctx, "gb_exit__open", opts, offsetof(struct gb_exit_opts, ringbuf_bytes), sizeof(k->opts),
			    opts ? (const void *)opts->on_event : NULL, sizeof(*k), offsetof(struct exit_kind, opts));

	if (!k)
		return NULL;
	if (!(k->skel = GB_SKEL_OPEN(ctx, exitsnoop_bpf)))
		return gb_kind_open_failed(&exit_ops, k);
	GB_TRACER_CONFIGURE(ctx, k->skel, k->opts.ringbuf_bytes, false);
	k->skel->rodata->targ_tgid = k->opts.pid;
	k->skel->rodata->trace_threads = k->opts.threads;
	k->skel->rodata->failed_only = k->opts.failed_only;
	k->skel->rodata->gb_page_size = sysconf(_SC_PAGESIZE);
	bpf_program__set_autoattach(k->skel->progs.exit_exit, false); /* exit_attach */
	bpf_program__set_autoattach(k->skel->progs.gb_container_exit, false);
	return gb_kind_load(ctx, &exit_ops, k, k->skel->skeleton, k->opts.on_lost, k->opts.cb_ctx);
}
