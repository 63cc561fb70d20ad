/* The exec tracer: every execve/execveat, decoded (bpf/execsnoop.bpf.c, decode.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "bpf/execsnoop.h"
#include "decode.h"
#include "diag.h"
#include "execsnoop.skel.h"
#include "proctree.h"
#include "tracer.h"

struct exec_kind {
	struct execsnoop_bpf *skel;
	struct gb_exec_opts opts;
	struct strbuf scratch;
};

static int exec_record(struct gb_tracer *t, const void *data, size_t size)
{
	struct exec_kind *k = t->kind;
	struct gb_exec_event ev;

	if (gb_decode_exec(data, size, k->opts.max_args, &ev, &k->scratch) || !gb_tracer_proc(&ev.proc))
		return 0;
	k->opts.on_event(k->opts.cb_ctx, &ev);
	return 1;
}

static void exec_destroy(struct gb_tracer *t)
{
	struct exec_kind *k = t->kind;

	if (!k)
		return;
	execsnoop_bpf__destroy(k->skel);
	sb_free(&k->scratch);
	free(k);
}

/* One entry and one exit program for execve and execveat (execsnoop.bpf.c) */
static int exec_attach(struct gb_tracer *t)
{
	struct exec_kind *k = t->kind;
	static const char *const enters[] = {"sys_enter_execve", "sys_enter_execveat", NULL};
	static const char *const exits[] = {"sys_exit_execve", "sys_exit_execveat", NULL};
	int err = gb_proctree_seed(t, k->opts.tree_pid);

	err = err ? err : gb_tracer_attach_syscalls(t, k->skel->progs.tp_enter_exec, enters);

	return err ? err : gb_tracer_attach_syscalls(t, k->skel->progs.tp_exit_exec, exits);
}

static const struct gb_tracer_ops exec_ops = {
	.name = "exec", .record = exec_record, .attach = exec_attach, .destroy = exec_destroy};

struct gb_tracer *gb_exec__open(struct gb_ctx *ctx, const struct gb_exec_opts *opts)
{
	struct exec_kind *k;

	if (opts && opts->max_args > EXEC_MAX_ARGS_LIMIT) {
		gb_err("gb_exec__open: max_args above %d", EXEC_MAX_ARGS_LIMIT);
		errno = EINVAL;
		return NULL;
	}
	k = gb_kind_new(ctx, "gb_exec__open", opts, offsetof(struct gb_exec_opts, ringbuf_bytes), sizeof(k->opts),
			opts ? (const void *)opts->on_event : NULL, sizeof(*k), offsetof(struct exec_kind, opts));
	if (!k)
		return NULL;
	if (gb_proctree_check("gb_exec__open", k->opts.tree_pid)) {
		exec_destroy(&(struct gb_tracer){.kind = k});
		errno = ESRCH;
		return NULL;
	}
	if (!k->opts.max_args)
		k->opts.max_args = EXEC_DEFAULT_MAX_ARGS;
	if (!(k->skel = GB_SKEL_OPEN(ctx, execsnoop_bpf)))
		return gb_kind_open_failed(&exec_ops, k);
	GB_TRACER_CONFIGURE(ctx, k->skel, k->opts.ringbuf_bytes, k->opts.ia32);
	k->skel->rodata->targ_tgid = k->opts.pid;
	k->skel->rodata->targ_uid = k->opts.uid_given ? k->opts.uid : GB_INVALID_UID;
	k->skel->rodata->ignore_failed = !k->opts.failed;
	k->skel->rodata->max_args = k->opts.max_args;
	GB_PROCTREE_CONFIGURE(k->skel, k->opts.ppid, k->opts.tree_pid);
	/* before Linux 6.10 there is no sched_prepare_exec: argv then comes from the new program's argv area
	 * (asked of tracefs: parsing the kernel's BTF a second time would double the start-up time) */
	k->skel->rodata->nr_execve = SYS_execve;
	k->skel->rodata->nr_execveat = SYS_execveat;
	bpf_program__set_autoattach(k->skel->progs.tp_enter_exec, false); /* to both tracepoints: exec_attach */
	bpf_program__set_autoattach(k->skel->progs.tp_exit_exec, false);
	if (!gb_tracepoint_exists("sched", "sched_prepare_exec"))
		bpf_program__set_autoload(k->skel->progs.tp_prepare_exec, false);
	return gb_kind_load(ctx, &exec_ops, k, k->skel->skeleton, k->opts.on_lost, k->opts.cb_ctx);
}
