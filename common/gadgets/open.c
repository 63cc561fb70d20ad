/* The open tracer: every open/openat/openat2/creat, decoded (bpf/opensnoop.bpf.c, decode.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "bpf/opensnoop.h"
#include "decode.h"
#include "diag.h"
#include "opensnoop.skel.h"
#include "proctree.h"
#include "tracer.h"

struct open_kind {
	struct opensnoop_bpf *skel;
	struct gb_open_opts opts;
	struct strbuf scratch;
};

static int open_record(struct gb_tracer *t, const void *data, size_t size)
{
	struct open_kind *k = t->kind;
	struct gb_open_event ev;

	if (gb_decode_open(data, size, k->opts.full_path, &ev, &k->scratch) || !gb_tracer_proc(&ev.proc))
		return 0;
	k->opts.on_event(k->opts.cb_ctx, &ev);
	return 1;
}

static void open_destroy(struct gb_tracer *t)
{
	struct open_kind *k = t->kind;

	if (!k)
		return;
	opensnoop_bpf__destroy(k->skel);
	sb_free(&k->scratch);
	free(k);
}

/* openat's entry program serves openat2 too, and one exit program all four (opensnoop.bpf.c) */
static int open_attach(struct gb_tracer *t)
{
	struct open_kind *k = t->kind;
	static const char *const enters[] = {"sys_enter_openat", "sys_enter_openat2", NULL};
	static const char *const open_only[] = {"sys_enter_open", NULL};
	static const char *const creat_only[] = {"sys_enter_creat", NULL};
	static const char *const exits[] = {"sys_exit_open", "sys_exit_creat", "sys_exit_openat", "sys_exit_openat2",
					    NULL};
	int err = gb_proctree_seed(t, k->opts.tree_pid);

	err = err ? err : gb_tracer_attach_syscalls(t, k->skel->progs.tp_enter_at, enters);
	/* open and creat only where the architecture has them (arm64 has neither) */
	err = err ? err : gb_tracer_attach_syscalls(t, k->skel->progs.tp_enter_open, open_only);
	err = err ? err : gb_tracer_attach_syscalls(t, k->skel->progs.tp_enter_creat, creat_only);

	return err ? err : gb_tracer_attach_syscalls(t, k->skel->progs.tp_exit, exits);
}

static const struct gb_tracer_ops open_ops = {
	.name = "open", .record = open_record, .attach = open_attach, .destroy = open_destroy};

/* The prefixes into the program's rodata (the comparison runs in the kernel). */
static int set_prefixes(struct opensnoop_bpf *skel, const char *list)
{
	unsigned n = 0;

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len) {
			if (n == OPEN_MAX_PREFIXES || len >= OPEN_PREFIX_MAX) {
				gb_err("open prefixes: at most %d prefixes of at most %d bytes", OPEN_MAX_PREFIXES,
				       OPEN_PREFIX_MAX - 1);
				return -EINVAL;
			}
			memcpy((char *)skel->rodata->prefixes[n], p, len);
			skel->rodata->prefix_lens[n++] = len;
		}
		p += len + (p[len] == ',');
	}
	skel->rodata->n_prefixes = n;
	return 0;
}

struct gb_tracer *gb_open__open(struct gb_ctx *ctx, const struct gb_open_opts *opts)
{
	struct open_kind *k =
		gb_kind_new(ctx, "gb_open__open", opts, offsetof(struct gb_open_opts, ringbuf_bytes), sizeof(k->opts),
			    opts ? (const void *)opts->on_event : NULL, sizeof(*k), offsetof(struct open_kind, opts));

	if (!k)
		return NULL;
	if (gb_proctree_check("gb_open__open", k->opts.tree_pid)) {
		open_destroy(&(struct gb_tracer){.kind = k});
		errno = ESRCH;
		return NULL;
	}
	if (!(k->skel = GB_SKEL_OPEN(ctx, opensnoop_bpf)))
		return gb_kind_open_failed(&open_ops, k);
	GB_TRACER_CONFIGURE(ctx, k->skel, k->opts.ringbuf_bytes, k->opts.ia32);
	k->skel->rodata->targ_tgid = k->opts.pid;
	k->skel->rodata->targ_tid = k->opts.tid;
	k->skel->rodata->targ_uid = k->opts.uid_given ? k->opts.uid : GB_INVALID_UID;
	k->skel->rodata->failed_only = k->opts.failed_only;
	k->skel->rodata->full_path = k->opts.full_path;
	GB_PROCTREE_CONFIGURE(k->skel, k->opts.ppid, k->opts.tree_pid);
#ifdef SYS_openat2
	k->skel->rodata->nr_openat2 = SYS_openat2;
#endif
	bpf_program__set_autoattach(k->skel->progs.tp_enter_at, false); /* to openat and openat2: open_attach */
	bpf_program__set_autoattach(k->skel->progs.tp_exit, false);
	bpf_program__set_autoattach(k->skel->progs.tp_enter_open, false);
	bpf_program__set_autoattach(k->skel->progs.tp_enter_creat, false);
	if (set_prefixes(k->skel, k->opts.prefixes)) {
		open_destroy(&(struct gb_tracer){.kind = k});
		errno = EINVAL;
		return NULL;
	}
	return gb_kind_load(ctx, &open_ops, k, k->skel->skeleton, k->opts.on_lost, k->opts.cb_ctx);
}
