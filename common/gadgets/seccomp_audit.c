/*
 * The seccomp audit tracer (bpf/seccomp_audit.bpf.c, seccomp_audit_decode.c): errno, kill and trap events
 * from the ring buffer; log events from the kernel's audit records in /dev/kmsg, read on every tick of the
 * context's timer and at stop. A process the kernel log names has often ended by then: the kernel keeps the
 * identity of every filtered process that exits (sa_gone) for a moment, so its container is still known.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/seccomp_audit.h"
#include "clock.h"
#include "containers.h"
#include "decode.h"
#include "diag.h"
#include "hostroot.h"
#include "seccomp_audit.skel.h"
#include "tracer.h"

#define SECCOMP_RET_ACTION_FULL 0xffff0000u
#define SECCOMP_RET_LOG		0x7ffc0000u
#define FIRST_MAX		(1u << 20) /* distinct (container, syscall, action) marked first, at most */
#define GONE_KEEP_MS		10000	   /* how long a removed container is kept for the kernel log's records */

/* A (container, syscall, action) already reported: the key of the first-event marks. */
struct seen {
	uint64_t ns;   /* the container's namespace id (uid, else inode); 0: the host */
	uint32_t what; /* nr << 4 | compat << 3 | action; 0: an empty slot */
};

/* A container that left the table a moment ago: the kernel log's record of its last process comes later. */
struct gone {
	struct gb_container c; /* a copy, its strings ours */
	uint64_t until_ms;
};

struct audit_kind {
	struct seccomp_audit_bpf *skel;
	struct gb_seccomp_audit_opts opts;
	struct gb_tracer *t;
	int kmsg; /* -1: not read (log not wanted, or not readable) */
	struct seen *seen;
	size_t nseen, cap; /* cap: a power of 2 */
	int sub_id;	   /* log events: the containers' removals, for gone */
	struct gone *gone;
	size_t ngone;
};

static bool wants(const struct audit_kind *k, enum gb_seccomp_action a)
{
	return !k->opts.actions || (k->opts.actions & (1u << a));
}

/* Whether this is the first event of its syscall and action in its container; remembers it. */
static bool first_seen(struct audit_kind *k, const struct gb_seccomp_audit_event *ev)
{
	const struct gb_container *c = ev->proc.container;
	struct seen key = {.ns = c ? (c->mntns_uid ? c->mntns_uid : c->mntns) : 0,
			   .what = ev->nr << 4 | (ev->compat ? 8u : 0u) | (unsigned)ev->action};

	if (4 * (k->nseen + 1) > 3 * k->cap) { /* grow (and rehash) at 3/4 full */
		size_t cap = k->cap ? 2 * k->cap : 64;
		struct seen *v = cap <= 2 * FIRST_MAX ? calloc(cap, sizeof(*v)) : NULL;
		if (!v)
			return false; /* no room to remember: no mark */
		for (size_t i = 0; i < k->cap; i++) {
			if (!k->seen[i].what)
				continue;
			size_t h = (k->seen[i].ns ^ k->seen[i].what * 0x9e3779b97f4a7c15ull) * 0x9e3779b97f4a7c15ull;
			while (v[h & (cap - 1)].what)
				h++;
			v[h & (cap - 1)] = k->seen[i];
		}
		free(k->seen);
		k->seen = v;
		k->cap = cap;
	}
	size_t h = (key.ns ^ key.what * 0x9e3779b97f4a7c15ull) * 0x9e3779b97f4a7c15ull;
	for (;; h++) {
		struct seen *s = &k->seen[h & (k->cap - 1)];
		if (!s->what) {
			*s = key;
			k->nseen++;
			return true;
		}
		if (s->what == key.what && s->ns == key.ns)
			return false;
	}
}

static void deliver(struct audit_kind *k, struct gb_seccomp_audit_event *ev)
{
	ev->syscall = gb_syscall_name(ev->nr, ev->compat);
	ev->first = first_seen(k, ev);
	k->opts.on_event(k->opts.cb_ctx, ev);
}

static int audit_record(struct gb_tracer *t, const void *data, size_t size)
{
	struct audit_kind *k = t->kind;
	struct gb_seccomp_audit_event ev;

	if (gb_decode_seccomp_audit(data, size, &ev) || !wants(k, ev.action) || !gb_tracer_proc(&ev.proc))
		return 0;
	deliver(k, &ev);
	return 1;
}

static void gone_free(struct gone *g)
{
	char **strs[] = {&g->c.name,	      &g->c.image,	 &g->c.k8s_namespace, &g->c.k8s_pod, &g->c.k8s_pod_uid,
			 &g->c.k8s_container, &g->c.cgroup_path, &g->c.sandbox_id,    &g->c.log_path};

	for (size_t i = 0; i < sizeof(strs) / sizeof(*strs); i++)
		free(*strs[i]);
}

/* Forget the removed containers kept long enough (all: @all). */
static void gone_expire(struct audit_kind *k, bool all)
{
	uint64_t now = gb_clock_monotonic_ms();
	size_t o = 0;

	for (size_t i = 0; i < k->ngone; i++) {
		if (all || k->gone[i].until_ms <= now)
			gone_free(&k->gone[i]);
		else
			k->gone[o++] = k->gone[i];
	}
	k->ngone = o;
}

/* Keep a copy of a container that leaves the table. */
static void on_container(void *arg, enum gb_container_event ev, const struct gb_container *c)
{
	struct audit_kind *k = arg;

	if (ev != GB_CONTAINER_REMOVED || !c->selected)
		return;
	gone_expire(k, false);
	struct gone *v = realloc(k->gone, (k->ngone + 1) * sizeof(*v));
	if (!v)
		return;
	k->gone = v;
	struct gone *g = &v[k->ngone];
	g->c = *c;
	g->until_ms = gb_clock_monotonic_ms() + GONE_KEEP_MS;
	char **strs[] = {&g->c.name,	      &g->c.image,	 &g->c.k8s_namespace, &g->c.k8s_pod, &g->c.k8s_pod_uid,
			 &g->c.k8s_container, &g->c.cgroup_path, &g->c.sandbox_id,    &g->c.log_path};
	bool ok = true;
	for (size_t i = 0; i < sizeof(strs) / sizeof(*strs); i++)
		ok &= (*strs[i] = strdup(*strs[i])) != NULL;
	if (!ok) {
		gone_free(g);
		return;
	}
	k->ngone++;
}

/* The container of @p: in the table, or one that left it a moment ago. Whether the filters show it. */
static bool log_container(struct audit_kind *k, struct gb_event_proc *p)
{
	if (gb_tracer_proc(p))
		return true;
	if (p->container)
		return false; /* a container the filters leave out */
	for (size_t i = 0; p->mntns && i < k->ngone; i++) {
		const struct gb_container *c = &k->gone[i].c;
		if (c->mntns == p->mntns && (!c->mntns_uid || !p->mntns_uid || c->mntns_uid == p->mntns_uid)) {
			p->container = c;
			return true;
		}
	}
	return gb_container_visible(NULL);
}

/* Who the kernel log's pid was: the process itself if it still runs under that name, else what the kernel
 * kept of it when it exited; false if neither (then it counts as a host process). */
static bool identify(struct audit_kind *k, const struct gb_audit_seccomp *a, struct gb_event_proc *p)
{
	struct gb_proc gone;
	char comm[32];

	if (!bpf_map_lookup_elem(bpf_map__fd(k->skel->maps.sa_gone), &a->pid, &gone) &&
	    !strncmp(gone.comm, a->comm, sizeof(gone.comm))) {
		gb_decode_proc(&gone, p);
		return true;
	}
	if (gb_proc_read(a->pid, "comm", comm, sizeof(comm)) > 0) {
		int fd = gb_proc_open_ns(a->pid, "mnt");
		struct stat st;
		if (fd >= 0 && !fstat(fd, &st)) {
			p->mntns = st.st_ino;
			p->mntns_uid = gb_mntns_uid(a->pid);
		}
		if (fd >= 0)
			close(fd);
		return p->mntns != 0;
	}
	return false;
}

/* One record of the kernel log: a log event if it is a seccomp audit record of SECCOMP_RET_LOG (the other
 * actions come from the kernel side, which sees them all, not only those the kernel logs). */
static int kmsg_record(struct audit_kind *k, const char *rec, size_t size)
{
	struct gb_audit_seccomp a;
	struct gb_seccomp_audit_event ev = {.action = GB_SECCOMP_LOG};

	if (gb_parse_audit_seccomp(rec, size, &a) || (a.code & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_LOG)
		return 0;
	if (k->opts.pid && a.pid != k->opts.pid)
		return 0;
	if (!identify(k, &a, &ev.proc)) {
		ev.proc.uid = a.uid;
		ev.proc.gid = a.gid;
	}
	ev.proc.pid = ev.proc.tid = a.pid;
	memcpy(ev.proc.comm, a.comm, sizeof(ev.proc.comm));
	ev.proc.timestamp = a.time_ns ? a.time_ns : gb_clock_realtime_ns();
	uint64_t now_real = gb_clock_realtime_ns(), now_boot = gb_clock_boottime_ns();
	uint64_t ago = now_real > ev.proc.timestamp ? now_real - ev.proc.timestamp : 0;
	ev.proc.boot_ns = now_boot > ago ? now_boot - ago : 0;
	if (!log_container(k, &ev.proc))
		return 0;
	ev.nr = a.syscall;
	ev.compat = a.compat;
	ev.exe = a.exe;
	deliver(k, &ev);
	return 1;
}

static void read_kmsg(struct audit_kind *k)
{
	char rec[8192];

	while (k->kmsg >= 0 && !gb_ctx__stopped(k->t->ctx)) {
		ssize_t n = read(k->kmsg, rec, sizeof(rec));
		if (n < 0 && errno == EPIPE)
			continue; /* records were overwritten before we read them: go on from the oldest left */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		k->t->handled += kmsg_record(k, rec, (size_t)n);
	}
}

static void audit_tick(struct gb_tracer *t)
{
	struct audit_kind *k = t->kind;

	read_kmsg(k);
	if (k->ngone)
		gone_expire(k, false);
}

static void audit_destroy(struct gb_tracer *t)
{
	struct audit_kind *k = t->kind;

	if (!k)
		return;
	if (k->sub_id >= 0)
		gb_ctx__unsubscribe(t->ctx, k->sub_id);
	gone_expire(k, true);
	free(k->gone);
	seccomp_audit_bpf__destroy(k->skel);
	if (k->kmsg >= 0)
		close(k->kmsg);
	free(k->seen);
	free(k);
}

/* The exit program after the entry program: alone, it would take every syscall for a refused one. */
static int audit_attach(struct gb_tracer *t)
{
	struct audit_kind *k = t->kind;

	k->t = t;
	if (!wants(k, GB_SECCOMP_ERRNO))
		return 0;
	struct bpf_link *l = bpf_program__attach(k->skel->progs.sa_exit);
	return gb_tracer_add_link(t, k->skel->progs.sa_exit, l, "raw_tp/sys_exit");
}

static const struct gb_tracer_ops audit_ops = {.name = "seccomp_audit",
					       .record = audit_record,
					       .report = audit_tick,
					       .tick = audit_tick,
					       .attach = audit_attach,
					       .destroy = audit_destroy};

/* /dev/kmsg at its end (only records from now on), non-blocking; -1 after a warning. */
static int open_kmsg(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC), err = errno;

	if (fd < 0 && strcmp(gb_host_root(), "/")) {
		int hfd = gb_host_open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (hfd >= 0)
			fd = hfd;
	}
	if (fd < 0) {
		gb_warn("seccomp log actions are not seen: cannot read the kernel log (/dev/kmsg): %s", strerror(err));
		return -1;
	}
	lseek(fd, 0, SEEK_END);
	return fd;
}

struct gb_tracer *gb_seccomp_audit__open(struct gb_ctx *ctx, const struct gb_seccomp_audit_opts *opts)
{
	struct audit_kind *k;

	if (opts && opts->actions & ~(((2u << GB_SECCOMP_ACTION_MAX) - 1) & ~1u)) {
		gb_err("gb_seccomp_audit__open: unknown action bits 0x%x", opts->actions);
		errno = EINVAL;
		return NULL;
	}
	k = gb_kind_new(ctx, "gb_seccomp_audit__open", opts, offsetof(struct gb_seccomp_audit_opts, ringbuf_bytes),
			sizeof(k->opts), opts ? (const void *)opts->on_event : NULL, sizeof(*k),
			offsetof(struct audit_kind, opts));
	if (!k)
		return NULL;
	k->kmsg = -1;
	k->sub_id = -1;
	if (!(k->skel = GB_SKEL_OPEN(ctx, seccomp_audit_bpf)))
		return gb_kind_open_failed(&audit_ops, k);
	GB_TRACER_CONFIGURE(ctx, k->skel, k->opts.ringbuf_bytes ? k->opts.ringbuf_bytes : 256 << 10, false);
	k->skel->rodata->targ_tgid = k->opts.pid;
	k->skel->rodata->keep_gone = wants(k, GB_SECCOMP_LOG);
	/* each hook only for the actions that need it: errno costs two programs on every syscall of the node */
	bpf_program__set_autoattach(k->skel->progs.sa_exit, false); /* after sa_enter: audit_attach */
	if (!wants(k, GB_SECCOMP_ERRNO)) {
		bpf_program__set_autoload(k->skel->progs.sa_enter, false);
		bpf_program__set_autoload(k->skel->progs.sa_exit, false);
	}
	/* a kill_thread is a task that exits marked dead without the signal of a kill_process */
	if (!wants(k, GB_SECCOMP_TRAP) && !wants(k, GB_SECCOMP_KILL_PROCESS) && !wants(k, GB_SECCOMP_KILL_THREAD))
		bpf_program__set_autoload(k->skel->progs.sa_signal, false);
	if (!wants(k, GB_SECCOMP_KILL_THREAD) && !wants(k, GB_SECCOMP_LOG))
		bpf_program__set_autoload(k->skel->progs.sa_task_exit, false);
	if (wants(k, GB_SECCOMP_LOG))
		k->kmsg = open_kmsg();
	struct gb_tracer *t = gb_kind_load(ctx, &audit_ops, k, k->skel->skeleton, k->opts.on_lost, k->opts.cb_ctx);
	return t && k->kmsg >= 0 ? gb_kind_follow(t, on_container, k, 0, &k->sub_id) : t;
}
