/* The signal tracer: every signal sent to or by the containers' processes (bpf/sigsnoop.bpf.c, signal_decode.c). */
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf/sigsnoop.h"
#include "containers.h"
#include "decode.h"
#include "sigsnoop.skel.h"
#include "tracer.h"

struct signal_kind {
	struct sigsnoop_bpf *skel;
	struct gb_signal_opts opts;
};

static int signal_record(struct gb_tracer *t, const void *data, size_t size)
{
	struct signal_kind *k = t->kind;
	struct gb_signal_event ev;

	if (gb_decode_signal(data, size, &ev))
		return 0;
	bool sender_visible = gb_tracer_proc(&ev.proc);
	if (ev.target.pid)
		ev.target.container = gb_container_by_ns(ev.target.mntns, ev.target.mntns_uid);
	/* sent by a process of a selected container, or to one */
	if (!sender_visible && !(ev.target.pid && gb_container_visible(ev.target.container)))
		return 0;
	if (ev.info.syscall >= 0)
		ev.info.syscall_name = gb_syscall_name(ev.info.syscall, ev.info.syscall_compat);
	k->opts.on_event(k->opts.cb_ctx, &ev);
	return 1;
}

static void signal_destroy(struct gb_tracer *t)
{
	struct signal_kind *k = t->kind;

	if (!k)
		return;
	sigsnoop_bpf__destroy(k->skel);
	free(k);
}

/* Entry programs for the calls (pid, sig, ...) and (tgid, tid, sig, ...); one exit program for all */
static int signal_attach(struct gb_tracer *t)
{
	struct signal_kind *k = t->kind;
	static const char *const enters[] = {"sys_enter_kill", "sys_enter_tkill", "sys_enter_pidfd_send_signal",
					     "sys_enter_rt_sigqueueinfo", NULL};
	static const char *const tgkill[] = {"sys_enter_tgkill", "sys_enter_rt_tgsigqueueinfo", NULL};
	static const char *const exits[] = {"sys_exit_kill",
					    "sys_exit_tkill",
					    "sys_exit_tgkill",
					    "sys_exit_pidfd_send_signal",
					    "sys_exit_rt_sigqueueinfo",
					    "sys_exit_rt_tgsigqueueinfo",
					    NULL};
	int err = gb_tracer_attach_syscalls(t, k->skel->progs.tp_enter_kill, enters);

	err = err ? err : gb_tracer_attach_syscalls(t, k->skel->progs.tp_enter_tgkill, tgkill);

	return err ? err : gb_tracer_attach_syscalls(t, k->skel->progs.tp_exit_kill, exits);
}

static const struct gb_tracer_ops signal_ops = {
	.name = "signal", .record = signal_record, .attach = signal_attach, .destroy = signal_destroy};

struct gb_tracer *gb_signal__open(struct gb_ctx *ctx, const struct gb_signal_opts *opts)
{
	struct signal_kind *k = gb_kind_new(
		ctx, "gb_signal__open", opts, offsetof(struct gb_signal_opts, ringbuf_bytes), sizeof(k->opts),
		opts ? (const void *)opts->on_event : NULL, sizeof(*k), offsetof(struct signal_kind, opts));

	if (!k)
		return NULL;
	if (!(k->skel = GB_SKEL_OPEN(ctx, sigsnoop_bpf)))
		return gb_kind_open_failed(&signal_ops, k);
	GB_TRACER_CONFIGURE(ctx, k->skel, k->opts.ringbuf_bytes, false);
	k->skel->rodata->targ_tgid = k->opts.pid;
	k->skel->rodata->targ_sigs = k->opts.signals;
	k->skel->rodata->failed_only = k->opts.failed_only;
	k->skel->rodata->kill_only = k->opts.kill_only;
	k->skel->rodata->gb_page_size = sysconf(_SC_PAGESIZE);
	k->skel->rodata->nr_tkill = SYS_tkill;
	k->skel->rodata->nr_tgkill = SYS_tgkill;
	k->skel->rodata->nr_pidfd_send_signal = SYS_pidfd_send_signal;
	k->skel->rodata->nr_rt_sigqueueinfo = SYS_rt_sigqueueinfo;
	bpf_program__set_autoattach(k->skel->progs.tp_enter_kill, false); /* signal_attach */
	bpf_program__set_autoattach(k->skel->progs.tp_enter_tgkill, false);
	bpf_program__set_autoattach(k->skel->progs.tp_exit_kill, false);
	return gb_kind_load(ctx, &signal_ops, k, k->skel->skeleton, k->opts.on_lost, k->opts.cb_ctx);
}
