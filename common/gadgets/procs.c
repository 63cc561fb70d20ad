/* The process snapshot: one pass of iter/task (bpf/pssnap.bpf.c), read from the iterator's fd and decoded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/pssnap.h"
#include "clock.h"
#include "decode.h"
#include "diag.h"
#include "pssnap.skel.h"
#include "tracer.h"

struct procs_kind {
	struct pssnap_bpf *skel;
	struct gb_procs_opts opts;
};

static int procs_snapshot(struct gb_tracer *t)
{
	struct procs_kind *k = t->kind;
	struct bpf_link *link = gb_tracer_link(t, k->skel->progs.ps_task);
	char buf[64 * sizeof(struct ps_record)];
	size_t have = 0;
	int delivered = 0;

	if (!link)
		return -ENOENT;
	int fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		int err = errno;
		gb_err("cannot start the task iterator: %s", strerror(err));
		return -err;
	}
	uint64_t now = gb_clock_realtime_ns();
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			/* EAGAIN: the iterator was restarted too often (tasks come and go): what was read stands */
			gb_warn("the task iterator stopped early: %s; the snapshot may be incomplete", strerror(err));
			break;
		}
		if (n == 0)
			break;
		have += n;
		size_t off = 0;
		for (; have - off >= sizeof(struct ps_record); off += sizeof(struct ps_record)) {
			struct gb_proc_entry ev;
			if (gb_decode_ps(buf + off, sizeof(struct ps_record), now, &ev) || !gb_tracer_proc(&ev.proc))
				continue;
			k->opts.on_proc(k->opts.cb_ctx, &ev);
			delivered++;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	close(fd);
	return delivered;
}

static int procs_record(struct gb_tracer *t, const void *data, size_t size)
{
	(void)t, (void)data, (void)size; /* nothing streams through the ring buffer but container exits */
	return 0;
}

static void procs_destroy(struct gb_tracer *t)
{
	struct procs_kind *k = t->kind;

	if (!k)
		return;
	pssnap_bpf__destroy(k->skel);
	free(k);
}

static const struct gb_tracer_ops procs_ops = {
	.name = "procs", .record = procs_record, .snapshot = procs_snapshot, .destroy = procs_destroy};

struct gb_tracer *gb_procs__open(struct gb_ctx *ctx, const struct gb_procs_opts *opts)
{
	struct procs_kind *k =
		gb_kind_new(ctx, "gb_procs__open", opts, offsetof(struct gb_procs_opts, uid), sizeof(k->opts),
			    opts ? (const void *)opts->on_proc : NULL, sizeof(*k), offsetof(struct procs_kind, opts));

	if (!k)
		return NULL;
	if (!(k->skel = GB_SKEL_OPEN(ctx, pssnap_bpf)))
		return gb_kind_open_failed(&procs_ops, k);
	/* only container exits use the ring buffer */
	GB_TRACER_CONFIGURE(ctx, k->skel, 64 << 10, false);
	k->skel->rodata->all_threads = k->opts.threads;
	k->skel->rodata->targ_tgid = k->opts.pid;
	k->skel->rodata->targ_uid = k->opts.uid_given ? k->opts.uid : GB_INVALID_UID;
	return gb_kind_load(ctx, &procs_ops, k, k->skel->skeleton, NULL, NULL);
}
