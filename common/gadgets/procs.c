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
#include "strbuf.h"
#include "tracer.h"

struct procs_kind {
	struct pssnap_bpf *skel;
	struct gb_procs_opts opts;
};

/* What one pass gathers before it is delivered: a process's CPU time is complete only once every one of its
 * threads has been read, and they come in tid order, among other processes'. */
struct held {
	struct gb_proc_entry e;
	size_t args_off; /* in the pass's arena */
};

struct pass {
	struct held *v;
	size_t n, cap;
	struct ps_thread_cpu *cpu;
	size_t ncpu, cpu_cap;
	struct strbuf args;
	bool short_of_memory;
};

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t ncap = *cap ? 2 * *cap : 256;
	void *nv = realloc(*v, ncap * size);
	if (!nv)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

static void pass_record(struct pass *p, const void *data, size_t len)
{
	uint32_t kind;

	memcpy(&kind, data, sizeof(kind));
	if (kind == PS_RECORD_THREAD_CPU) {
		if (!grow((void **)&p->cpu, &p->cpu_cap, p->ncpu, sizeof(*p->cpu))) {
			p->short_of_memory = true;
			return;
		}
		memcpy(&p->cpu[p->ncpu++], data, sizeof(*p->cpu));
		return;
	}
	struct gb_proc_entry ev;
	if (gb_decode_ps(data, len, &ev) || !gb_tracer_proc(&ev.proc))
		return;
	if (!grow((void **)&p->v, &p->cap, p->n, sizeof(*p->v))) {
		p->short_of_memory = true;
		return;
	}
	struct held *h = &p->v[p->n++];
	h->e = ev;
	h->args_off = p->args.len;
	if (ev.args_size) {
		sb_add(&p->args, ev.args, ev.args_size);
		if (sb_failed(&p->args)) {
			h->e.args_size = 0;
			p->short_of_memory = true;
		}
	}
}

static int by_pid_tid(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	if (x->e.proc.pid != y->e.proc.pid)
		return x->e.proc.pid < y->e.proc.pid ? -1 : 1;
	return x->e.proc.tid < y->e.proc.tid ? -1 : x->e.proc.tid > y->e.proc.tid;
}

static int by_pid(const void *key, const void *elem)
{
	uint32_t pid = *(const uint32_t *)key, other = ((const struct held *)elem)->e.proc.pid;

	return pid < other ? -1 : pid > other;
}

/* Read the iterator's records into @p. Returns 0 or a negative errno. */
static int pass_read(int fd, struct pass *p)
{
	size_t bufsize = 64 * PS_RECORD_FIXED + sizeof(struct ps_record), have = 0;
	char *buf = malloc(bufsize);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + have, bufsize - have);
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
		for (long len; (len = gb_ps_record_len(buf + off, have - off)) != 0; off += (size_t)len) {
			if (len < 0) {
				gb_warn("the task iterator wrote a record this program does not know; snapshot cut "
					"short");
				free(buf);
				return 0;
			}
			pass_record(p, buf + off, (size_t)len);
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	free(buf);
	return 0;
}

static int procs_snapshot(struct gb_tracer *t)
{
	struct procs_kind *k = t->kind;
	struct bpf_link *link = gb_tracer_link(t, k->skel->progs.ps_task);
	struct pass p = {0};
	int delivered = 0;

	if (!link)
		return -ENOENT;
	int fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		int err = errno;
		gb_err("cannot start the task iterator: %s", strerror(err));
		return -err;
	}
	int err = pass_read(fd, &p);
	close(fd);
	/* "now" from the clock the start times come from (boot time, with the same offset to the epoch), read
	 * after the pass: a process forked during it is never newer than the snapshot (which would read as a
	 * day old) */
	uint64_t now = gb_clock_boot_to_realtime(gb_clock_boottime_ns());
	qsort(p.v, p.n, sizeof(*p.v), by_pid_tid);
	for (size_t i = 0; !k->opts.threads && i < p.ncpu; i++) {
		struct held *h = bsearch(&p.cpu[i].tgid, p.v, p.n, sizeof(*p.v), by_pid);
		if (h)
			h->e.cpu_ns += p.cpu[i].cpu_ns;
	}
	if (p.short_of_memory)
		gb_warn("no memory for the whole snapshot: some processes (or their arguments) are left out");
	for (size_t i = 0; !err && i < p.n; i++) {
		struct gb_proc_entry *e = &p.v[i].e;
		e->proc.timestamp = now;
		e->args = e->args_size ? p.args.buf + p.v[i].args_off : NULL;
		k->opts.on_proc(k->opts.cb_ctx, e);
		delivered++;
	}
	free(p.v);
	free(p.cpu);
	sb_free(&p.args);
	return err ? err : delivered;
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
