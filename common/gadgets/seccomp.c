/*
 * The syscall recorder behind seccomp profiles (bpf/seccomp.bpf.c). A record per selected container lives in
 * the kernel's sc_recs map. A container that was running already records from the moment it is known. A new
 * one is not waited for: the kernel starts its record at its namespace's first syscall, in SC_WAITING, so
 * recording starts at its program's execve; the record is adopted here once the container is known (or
 * dropped, for namespaces that turn out to be no selected container). A container's record is read,
 * delivered and deleted when the container goes, the others when the tracer stops.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "bpf/seccomp.h"
#include "clock.h"
#include "containers.h"
#include "diag.h"
#include "seccomp.skel.h"
#include "tracer.h"

struct tracked {
	uint64_t mntns, uid; /* the namespace's inode (the record's key) and never-reused id */
	bool from_start;
};

struct seccomp_kind {
	struct seccomp_bpf *skel;
	struct gb_seccomp_opts opts;
	int sub_id;
	struct tracked *v;
	size_t n, cap;
	uint64_t started_ticks; /* when recording began, in clock ticks after boot (as gb_container.pid_start) */
	uint64_t next_sweep_ms;
};

/*
 * What runc and crun (and the Go runtime inside runc init) may call after installing the container's seccomp
 * filter, before the program's execve: runc applies the filter before dropping capabilities, setting groups
 * and ids, closing inherited fds (fstatfs of /proc/self/fd, getdents64, close) and opening its exec fifo; crun
 * before setresgid. Of the syscalls the runtime made while setting the container up, only these go in a
 * profile; mount, pivot_root, sethostname, unshare, setns, seccomp ... never do.
 */
static const char *const runtime_after_filter[] = {
	"capget",	"capset",      "prctl",	     "setgroups", "setresgid",	     "setresuid",
	"setgid",	"setuid",      "chdir",	     "fchdir",	  "getppid",	     "getpid",
	"gettid",	"getuid",      "getgid",     "geteuid",	  "getegid",	     "umask",
	"newfstatat",	"fstat",       "stat",	     "lstat",	  "statx",	     "fstatfs",
	"openat",	"open",	       "getdents64", "fcntl",	  "close",	     "close_range",
	"read",		"write",       "futex",	     "nanosleep", "clock_nanosleep", "sched_yield",
	"mmap",		"munmap",      "madvise",    "mprotect",  "rt_sigprocmask",  "rt_sigaction",
	"rt_sigreturn", "sigaltstack", "tgkill",     "exit",	  "exit_group",	     "epoll_pwait",
	"epoll_ctl",	"getrandom",   "clone",	     "clone3",	  "set_robust_list", "rseq",
	"brk",		"dup3",	       "execve",     "execveat",  "readlinkat",	     "faccessat2",
	"pipe2",
};

/*
 * What runc and crun call after installing the filter while the container is created, before the runtime
 * watcher can know the container (it learns of it at start), and what runc calls at start: measured by
 * starting containers under profiles without each. Always allowed, so that a profile recorded under one
 * runtime starts the container under the other too.
 */
/* clang-format off */
static const char *const runtime_at_create[] = {
	/* runc 1.1 at create */
	"capget", "capset", "chdir", "fstat", "read", "setgid", "setgroups", "setuid",
	/* runc setting up a pod's user (CRI): stat of /dev/null */
	"newfstatat",
	/* runc at start: closing inherited fds; Go's runtime */
	"epoll_ctl", "epoll_pwait", "fstatfs", "futex", "nanosleep",
	/* runc at start where geteuid is allowed (a program that calls it, or crun's setup recorded): Go's
	 * exec.LookPath checks the program with faccessat2(AT_EACCESS), and EPERM fails the exec */
	"faccessat2",
	/* crun 1.8 */
	"pselect6", "rt_sigprocmask", "setresgid", "setresuid",
};
/* clang-format on */

static bool runtime_needs(const char *name)
{
	for (size_t i = 0; i < sizeof(runtime_after_filter) / sizeof(*runtime_after_filter); i++)
		if (!strcmp(runtime_after_filter[i], name))
			return true;
	return false;
}

static int by_name(const void *a, const void *b)
{
	const struct gb_syscall_use *x = a, *y = b;

	if (x->compat != y->compat)
		return x->compat ? 1 : -1;
	if (!x->name || !y->name)
		return x->name ? -1 : y->name ? 1 : (x->nr > y->nr) - (x->nr < y->nr);
	return strcmp(x->name, y->name);
}

/* Whether the container's init is still its runtime (runc init, crun) waiting to start the program. */
static bool init_is_runtime(const struct gb_container *c)
{
	char comm[32];

	if (gb_proc_read(c->pid, "comm", comm, sizeof(comm)) <= 0)
		return false;
	comm[strcspn(comm, "\n")] = '\0';
	return !strncmp(comm, "runc", 4) || !strcmp(comm, "crun") || !strcmp(comm, "exe");
}

/* By inode and never-reused id (0: any) */
static struct tracked *find(struct seccomp_kind *k, uint64_t mntns, uint64_t uid)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].mntns == mntns && (!uid || !k->v[i].uid || k->v[i].uid == uid))
			return &k->v[i];
	return NULL;
}

static void harvest(struct seccomp_kind *k, const struct gb_container *c, bool exited);
static void drop_rec(struct seccomp_kind *k, uint64_t mntns, const struct sc_rec *r);

/*
 * The kernel started a record for @c's namespace before we knew it: adopt it. It was recorded from the
 * container's first instruction if the kernel made it (a namespace it did not know), the container started
 * after recording did, and the record is still waiting for the program's execve or saw it.
 */
static bool adopt(struct seccomp_kind *k, const struct gb_container *c, bool existing, bool *from_start)
{
	int fd = bpf_map__fd(k->skel->maps.sc_recs);
	static struct sc_rec r;

	if (bpf_map_lookup_elem(fd, &c->mntns, &r))
		return false;
	if (r.ns_uid && c->mntns_uid && r.ns_uid != c->mntns_uid) { /* of a namespace that had the inode */
		drop_rec(k, c->mntns, &r);
		return false;
	}
	*from_start = r.pid && !existing && (gb_rec(c)->ended || c->pid_start >= k->started_ticks) &&
		      (r.state == SC_RECORDING || gb_rec(c)->ended || init_is_runtime(c));
	if (!*from_start && r.state == SC_WAITING) { /* it ran before: what it does from now on */
		r.state = SC_RECORDING;
		bpf_map_update_elem(fd, &c->mntns, &r, BPF_EXIST);
	}
	return true;
}

static void track(struct seccomp_kind *k, const struct gb_container *c, bool existing)
{
	struct sc_rec r = {0};
	bool from_start = false;

	struct tracked *old = c->mntns ? find(k, c->mntns, 0) : NULL;
	if (old && old->uid && c->mntns_uid && old->uid != c->mntns_uid) {
		/* the inode of a container that ended, whose end is not read yet: its record goes first */
		const struct gb_container *oc = gb_container_by_ns(old->mntns, old->uid);
		if (oc)
			harvest(k, oc, true);
		else
			*old = k->v[--k->n];
		old = NULL;
	}
	if (!c->mntns || old)
		return;
	bool waiting = !existing && init_is_runtime(c);
	r.state = waiting ? SC_WAITING : SC_RECORDING;
	r.ns_uid = c->mntns_uid;
	if (adopt(k, c, existing, &from_start)) {
		waiting = from_start;
	} else if (bpf_map_update_elem(bpf_map__fd(k->skel->maps.sc_recs), &c->mntns, &r, BPF_NOEXIST)) {
		char name[300];
		gb_warn("cannot record container %s: %s", gb_container__display(c, name, sizeof(name)),
			strerror(errno));
		return;
	}
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 16;
		struct tracked *v = realloc(k->v, cap * sizeof(*v));
		if (!v) {
			char name[300];
			gb_warn("cannot record container %s: %s", gb_container__display(c, name, sizeof(name)),
				strerror(ENOMEM));
			return;
		}
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = (struct tracked){.mntns = c->mntns, .uid = c->mntns_uid, .from_start = waiting};
}

/* Read, deliver and forget what the kernel holds for @c. */
static void harvest(struct seccomp_kind *k, const struct gb_container *c, bool exited)
{
	struct tracked *tr = find(k, c->mntns, c->mntns_uid);
	int recs = bpf_map__fd(k->skel->maps.sc_recs), first = bpf_map__fd(k->skel->maps.sc_first);
	static struct sc_rec r;

	if (!tr)
		return;
	if (bpf_map_lookup_elem(recs, &c->mntns, &r)) {
		gb_warn("lost the record of a container: %s", strerror(errno));
		memset(&r, 0, sizeof(r));
	}
	struct gb_syscall_use *v = calloc(3 * SC_MAX, sizeof(*v));
	size_t n = 0;
	if (!v) {
		gb_warn("cannot report a container's syscalls: %s", strerror(ENOMEM));
		return;
	}
	for (int compat = 0; compat < 2; compat++) {
		const __u64 *seen = compat ? r.seen32 : r.seen;
		const __u64 *count = compat ? r.count32 : r.count;
		for (unsigned nr = 0; nr < SC_MAX; nr++) {
			if (!(seen[nr / 64] & (1ull << (nr % 64))))
				continue;
			struct gb_syscall_use *u = &v[n++];
			struct sc_first_key key = {.mntns = c->mntns, .nr = nr, .compat = compat};
			u->nr = nr;
			u->compat = compat;
			u->count = count[nr];
			u->name = gb_syscall_name(nr, compat);
			if (!bpf_map_lookup_elem(first, &key, u->first_comm))
				bpf_map_delete_elem(first, &key);
			u->first_comm[sizeof(u->first_comm) - 1] = '\0';
		}
	}
	/* the runtime's own, after its filter: those the program did not make itself */
	for (unsigned nr = 0; nr < SC_MAX; nr++) {
		const char *name = gb_syscall_name(nr, false);
		if (!(r.setup[nr / 64] & (1ull << (nr % 64))) || (r.seen[nr / 64] & (1ull << (nr % 64))) || !name ||
		    !runtime_needs(name))
			continue;
		v[n++] = (struct gb_syscall_use){.name = name, .nr = nr, .runtime = true};
		snprintf(v[n - 1].first_comm, sizeof(v[n - 1].first_comm), "(runtime)");
	}
	for (size_t i = 0; i < sizeof(runtime_at_create) / sizeof(*runtime_at_create); i++) {
		int nr = gb_syscall_nr(runtime_at_create[i], false);
		bool have = nr < 0;
		for (size_t j = 0; j < n && !have; j++)
			have = !v[j].compat && v[j].nr == (unsigned)nr;
		if (have)
			continue;
		v[n++] = (struct gb_syscall_use){.name = runtime_at_create[i], .nr = (unsigned)nr, .runtime = true};
		snprintf(v[n - 1].first_comm, sizeof(v[n - 1].first_comm), "(runtime)");
	}
	qsort(v, n, sizeof(*v), by_name);
	struct gb_seccomp_record rec = {
		.container = c,
		.from_start = tr->from_start,
		.first_ns = r.first_boot_ns ? gb_clock_boot_to_realtime(r.first_boot_ns) : 0,
		.exited = exited,
		.seccomp_mode = (int)r.seccomp_mode,
		.syscalls = v,
		.nsyscalls = n,
		.arch = gb_syscall_arch(false),
		.arch32 = gb_syscall_arch(true),
	};
	bpf_map_delete_elem(recs, &c->mntns);
	*tr = k->v[--k->n];
	k->opts.on_record(k->opts.cb_ctx, &rec);
	free(v);
}

static void on_container(void *arg, enum gb_container_event ev, const struct gb_container *c)
{
	struct seccomp_kind *k = arg;

	if (ev == GB_CONTAINER_REMOVED)
		harvest(k, c, true);
	else
		track(k, c, ev == GB_CONTAINER_EXISTING);
}

static int seccomp_record(struct gb_tracer *t, const void *data, size_t size)
{
	(void)t, (void)data, (void)size; /* nothing streams through the ring buffer but container exits */
	return 0;
}

/* Forget a record the kernel started for a namespace that is no container we record, and its first comms. */
static void drop_rec(struct seccomp_kind *k, uint64_t mntns, const struct sc_rec *r)
{
	int first = bpf_map__fd(k->skel->maps.sc_first);
	struct sc_first_key key, next;
	bool more;

	bpf_map_delete_elem(bpf_map__fd(k->skel->maps.sc_recs), &mntns);
	if (r->state != SC_RECORDING)
		return; /* nothing in sc_first */
	for (more = !bpf_map_get_next_key(first, NULL, &key); more; key = next) {
		more = !bpf_map_get_next_key(first, &key, &next);
		if (key.mntns == mntns)
			bpf_map_delete_elem(first, &key);
	}
}

/* Once a second: records the kernel started for namespaces that are no selected container go. */
static void seccomp_tick(struct gb_tracer *t)
{
	struct seccomp_kind *k = t->kind;
	int fd = bpf_map__fd(k->skel->maps.sc_recs);
	uint64_t now = gb_clock_monotonic_ms(), key, next;
	static struct sc_rec r;
	bool more;

	if (now < k->next_sweep_ms)
		return;
	k->next_sweep_ms = now + 1000;
	for (more = !bpf_map_get_next_key(fd, NULL, &key); more; key = next) {
		more = !bpf_map_get_next_key(fd, &key, &next);
		const struct gb_container *c;
		if (find(k, key, 0) || bpf_map_lookup_elem(fd, &key, &r))
			continue;
		enum gb_ns_kind kind = gb_ns_resolve(key, r.ns_uid, r.pid, false, &c);
		if (kind == GB_NS_PENDING || (kind == GB_NS_CONTAINER && c->selected && !c->sandbox))
			continue; /* not known yet; or the subscription is about to hear of it */
		if (kind == GB_NS_UNIDENTIFIED && r.state == SC_RECORDING)
			gb_warn("the syscalls of a mount namespace that could not be identified before its processes "
				"ended were dropped (pid %u: a container that started and ended while this process was "
				"stopped or busy?)",
				r.pid);
		drop_rec(k, key, &r);
	}
}

static void seccomp_report(struct gb_tracer *t)
{
	struct seccomp_kind *k = t->kind;

	while (k->n) {
		const struct gb_container *c = gb_container_by_ns(k->v[k->n - 1].mntns, k->v[k->n - 1].uid);
		if (c) {
			harvest(k, c, false);
		} else { /* it left the table unseen: nothing to name it by */
			bpf_map_delete_elem(bpf_map__fd(k->skel->maps.sc_recs), &k->v[k->n - 1].mntns);
			k->n--;
		}
	}
}

static void seccomp_destroy(struct gb_tracer *t)
{
	struct seccomp_kind *k = t->kind;

	if (!k)
		return;
	if (k->sub_id >= 0)
		gb_ctx__unsubscribe(t->ctx, k->sub_id);
	seccomp_bpf__destroy(k->skel);
	free(k->v);
	free(k);
}

static const struct gb_tracer_ops seccomp_ops = {.name = "seccomp",
						 .record = seccomp_record,
						 .report = seccomp_report,
						 .tick = seccomp_tick,
						 .destroy = seccomp_destroy};

struct gb_tracer *gb_seccomp__open(struct gb_ctx *ctx, const struct gb_seccomp_opts *opts)
{
	struct seccomp_kind *k = gb_kind_new(ctx, "gb_seccomp__open", opts, offsetof(struct gb_seccomp_opts, cb_ctx),
					     sizeof(k->opts), opts ? (const void *)opts->on_record : NULL, sizeof(*k),
					     offsetof(struct seccomp_kind, opts));

	if (!k)
		return NULL;
	k->sub_id = -1;
	if (!*gb_syscall_arch(false)) {
		gb_err("seccomp profiles: this architecture's syscall numbers are not known (x86-64 only)");
		free(k);
		errno = ENOTSUP;
		return NULL;
	}
	if (!(k->skel = GB_SKEL_OPEN(ctx, seccomp_bpf)))
		return gb_kind_open_failed(&seccomp_ops, k);
	GB_TRACER_CONFIGURE(ctx, k->skel, 64 << 10, false);
	int n;
	if ((n = gb_syscall_nr("execve", false)) >= 0)
		k->skel->rodata->nr_execve = n;
	if ((n = gb_syscall_nr("execveat", false)) >= 0)
		k->skel->rodata->nr_execveat = n;
	if ((n = gb_syscall_nr("execve", true)) >= 0)
		k->skel->rodata->nr_execve32 = n;
	if ((n = gb_syscall_nr("execveat", true)) >= 0)
		k->skel->rodata->nr_execveat32 = n;
	struct timespec boot;
	clock_gettime(CLOCK_BOOTTIME, &boot);
	long hz = sysconf(_SC_CLK_TCK);
	k->started_ticks = (uint64_t)boot.tv_sec * (uint64_t)(hz > 0 ? hz : 100) +
			   (uint64_t)boot.tv_nsec / (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
	struct gb_tracer *t = gb_kind_load(ctx, &seccomp_ops, k, k->skel->skeleton, NULL, NULL);
	return gb_kind_follow(t, on_container, k, GB_SUB_EXISTING, &k->sub_id);
}
