/*
 * The context: one epoll fd over the tracers' ring buffers, the container watcher's (watch.h), a timer and a
 * stop eventfd. BPF programs submit without wake-ups (a wake-up per event costs the traced task ~4x the event),
 * so the timer polls the ring buffers every GB_POLL_MIN_MS while events flow, backing off to GB_POLL_MAX_MS when
 * idle; a forced wake-up (64 KiB pending, or the watcher's new container) makes a ring buffer's fd readable at
 * once. Once a second the timer also checks lost-event counters and rescans the runtimes' state.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../bpf/gadget.h"
#include "clock.h"
#include "containers.h"
#include "deps/versions.h"
#include "diag.h"
#include "hostroot.h"
#include "tracer.h"
#include "watch.h"

#define GB_POLL_MIN_MS	   4
#define GB_POLL_MAX_MS	   64
#define GB_NS_POLL_MS	   10
#define GB_TICK_MS	   1000
#define GB_CTX_MAX_TRACERS 16

struct pub_sub {
	struct gb_ctx *ctx;
	gb_container_fn fn;
	void *cb_ctx;
	unsigned flags;
	int hook_id;
};

struct gb_ctx {
	int epfd, timerfd, stopfd;
	volatile sig_atomic_t stop; /* set by gb_ctx__stop(), from anywhere (a signal handler too) */
	bool watching;		    /* rescans once a second (after the first scan, unless no_watch) */
	struct gb_tracer *watcher;  /* wakes the loop when a process of an unknown mount namespace execs */
	bool watcher_due;	    /* loaded at the second poll: after the first events are out (start-up) */
	uint64_t watcher_lost;
	bool ns_waiting; /* a namespace not identified yet may be a container being made: poll */
	unsigned ticks, polls;
	unsigned interval_ms;
	uint64_t next_poll_ms, next_tick_ms;
	char *host_root, *btf_path;
	struct gb_container_filter filter; /* strings owned */
	struct gb_tracer *tracers[GB_CTX_MAX_TRACERS];
	int ntracers;
	struct pub_sub **subs;
	int nsubs;
	struct gb_container_exit *exits; /* read from a ring buffer, applied once all are read */
	size_t nexits, exits_cap;
	/* the first scan of the node's containers runs in a thread of its own while the caller loads its
	 * tracers (both take tens of ms); whatever needs the table waits for it (ctx_ready) */
	pthread_t scan;
	bool scanning, ready, no_watch;
	/* the scan runs at a lower priority while the caller loads (on one CPU it would halve the load's
	 * speed), and at the caller's once the caller waits for it */
	pthread_mutex_t scan_lock;
	int scan_tid; /* while it runs lowered */
	int caller_nice;
	bool scan_waited, scan_done;
};

/* epoll tags for the fds that are not ring buffers (those carry their tracer) */
static char tag_timer, tag_stop;
static struct gb_ctx *the_ctx;

const char *gb_version_deps(void)
{
	return GB_DEPS_VERSIONS;
}

static void arm_timer(struct gb_ctx *ctx)
{
	uint64_t now = gb_clock_monotonic_ms(), wake = ctx->next_tick_ms;

	if ((ctx->ntracers || ctx->ns_waiting) && ctx->next_poll_ms < wake)
		wake = ctx->next_poll_ms;
	uint64_t delta = wake > now ? wake - now : 0;
	struct itimerspec its = {.it_value = {.tv_sec = delta / 1000, .tv_nsec = (delta % 1000) * 1000000 + 1}};
	timerfd_settime(ctx->timerfd, 0, &its, NULL);
}

static int epoll_add(struct gb_ctx *ctx, int fd, void *tag);

#define SCAN_NICE 10

static void *scan_thread(void *arg)
{
	struct gb_ctx *ctx = arg;
	int tid = (int)syscall(SYS_gettid);

	/* lowered unless the caller waits already; the caller raises it again under the same lock, and never
	 * after the thread is gone (its tid could be another task's by then) */
	pthread_mutex_lock(&ctx->scan_lock);
	if (!ctx->scan_waited) {
		setpriority(PRIO_PROCESS, tid, ctx->caller_nice + SCAN_NICE > 19 ? 19 : ctx->caller_nice + SCAN_NICE);
		ctx->scan_tid = tid;
	}
	pthread_mutex_unlock(&ctx->scan_lock);
	gb_containers_refresh(GB_REFRESH_FULL | GB_REFRESH_PRUNE);
	pthread_mutex_lock(&ctx->scan_lock);
	ctx->scan_tid = 0;
	ctx->scan_done = true;
	pthread_mutex_unlock(&ctx->scan_lock);
	return NULL;
}

/* The watcher, once gb_ctx_ready() made it due. */
static void open_watcher(struct gb_ctx *ctx)
{
	if (ctx->watcher_due) {
		ctx->watcher_due = false;
		ctx->watcher = gb_watch_open(ctx);
	}
}

bool gb_ctx_scan_done(struct gb_ctx *ctx)
{
	pthread_mutex_lock(&ctx->scan_lock);
	bool done = !ctx->scanning || ctx->scan_done;
	pthread_mutex_unlock(&ctx->scan_lock);
	return done;
}

/* Wait for the first scan (then the watcher is due). Everything that reads the table calls it. */
int gb_ctx_ready(struct gb_ctx *ctx)
{
	if (ctx->ready)
		return 0;
	if (ctx->scanning) {
		pthread_mutex_lock(&ctx->scan_lock);
		ctx->scan_waited = true;
		if (ctx->scan_tid) /* raising it again needs CAP_SYS_NICE, which a tracer has */
			setpriority(PRIO_PROCESS, ctx->scan_tid, ctx->caller_nice);
		pthread_mutex_unlock(&ctx->scan_lock);
		pthread_join(ctx->scan, NULL);
		ctx->scanning = false;
	}
	gb_startup_step("containers scanned");
	ctx->ready = true;
	if (!ctx->no_watch) {
		ctx->watching = true;
		ctx->watcher_due = true;
	}
	return 0;
}

void gb_ctx_container_exited(struct gb_ctx *ctx, uint32_t pid, uint64_t mntns)
{
	if (ctx->nexits == ctx->exits_cap) {
		size_t cap = ctx->exits_cap ? 2 * ctx->exits_cap : 16;
		struct gb_container_exit *n = realloc(ctx->exits, cap * sizeof(*n));
		if (!n) { /* cannot wait: forget it now */
			gb_containers_exited(pid, mntns);
			return;
		}
		ctx->exits = n;
		ctx->exits_cap = cap;
	}
	ctx->exits[ctx->nexits++] = (struct gb_container_exit){.pid = pid, .mntns_id = mntns};
}

void gb_ctx_apply_exits(struct gb_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nexits; i++)
		gb_containers_exited(ctx->exits[i].pid, ctx->exits[i].mntns_id);
	ctx->nexits = 0;
}

/* Every ring buffer, then the container exits they held: a container's last events in one buffer are
 * labelled even when another buffer told of its end first. The watcher's first: the new containers it
 * tells of are identified before the tracers' events of them are read. */
static int consume_all(struct gb_ctx *ctx)
{
	int total = 0, rc = 0;

	if (ctx->watcher)
		gb_tracer_consume(ctx->watcher);
	for (int i = 0; i < ctx->ntracers && !ctx->stop && rc >= 0; i++) {
		rc = gb_tracer_consume(ctx->tracers[i]);
		total += rc > 0 ? rc : 0;
	}
	gb_ctx_apply_exits(ctx);
	return rc < 0 ? rc : total;
}

/*
 * Once a second: containers whose init is gone leave, metadata that changed is read again (a rename), and
 * namespaces that stayed outside containers are told to the filters. What the ring buffers hold is labelled
 * first, with the table it was produced under. Without the watcher, the full /proc walk finds new containers
 * every time; with it, every 30 s (runtimes whose state we do not know).
 */
static void rescan(struct gb_ctx *ctx)
{
	consume_all(ctx);
	ctx->ticks++;
	gb_containers_refresh(GB_REFRESH_PRUNE | (!ctx->watcher || ctx->ticks % 30 == 0 ? GB_REFRESH_FULL : 0));
	gb_containers_tick();
}

static int on_timer(struct gb_ctx *ctx)
{
	uint64_t expirations, now = gb_clock_monotonic_ms();
	int rc = 0;

	if (read(ctx->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return -errno;
	if ((ctx->ntracers || ctx->ns_waiting) && now >= ctx->next_poll_ms) {
		rc = consume_all(ctx);
		if (rc < 0)
			return rc;
		ctx->interval_ms =
			rc > 0 ? GB_POLL_MIN_MS
			       : (ctx->interval_ms * 2 > GB_POLL_MAX_MS ? GB_POLL_MAX_MS : ctx->interval_ms * 2);
		/* a namespace being made: its runtime's state is read again soon (it may be written any moment) */
		ctx->ns_waiting = gb_ns_poll();
		ctx->next_poll_ms =
			now + (ctx->ns_waiting && ctx->interval_ms > GB_NS_POLL_MS ? GB_NS_POLL_MS : ctx->interval_ms);
		for (int i = 0; i < ctx->ntracers; i++)
			if (ctx->tracers[i]->ops->tick && !ctx->tracers[i]->stopped)
				ctx->tracers[i]->ops->tick(ctx->tracers[i]);
	}
	if (now >= ctx->next_tick_ms) {
		for (int i = 0; i < ctx->ntracers; i++)
			gb_tracer_check_lost(ctx->tracers[i]);
		if (ctx->watcher && gb_tracer__lost(ctx->watcher) > ctx->watcher_lost) {
			ctx->watcher_lost = gb_tracer__lost(ctx->watcher);
			gb_warn("the container watcher lost %llu records so far (its ring buffer was full): "
				"new containers are found from their events, maybe late",
				(unsigned long long)ctx->watcher_lost);
		}
		if (ctx->watching || ctx->ntracers)
			rescan(ctx);
		ctx->next_tick_ms = now + GB_TICK_MS;
	}
	arm_timer(ctx);
	return rc;
}

int gb_ctx__poll(struct gb_ctx *ctx, int timeout_ms)
{
	struct epoll_event evs[GB_CTX_MAX_TRACERS + 4];
	int delivered = 0;

	if (ctx->stop)
		return -ECANCELED;
	int rc0 = gb_ctx_ready(ctx);
	if (rc0)
		return rc0;
	/* meanwhile new namespaces are identified from their events alone (resolved as they are read) */
	if (ctx->polls++ > 0)
		open_watcher(ctx);
	int n = epoll_wait(ctx->epfd, evs, sizeof(evs) / sizeof(evs[0]), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n && !ctx->stop; i++) {
		void *tag = evs[i].data.ptr;
		int rc = 0;
		if (tag == &tag_timer) {
			rc = on_timer(ctx);
		} else if (tag == &tag_stop) {
			uint64_t v; /* the flag is set already; the fd only woke us */
			if (read(ctx->stopfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				return -errno;
		} else {
			/* a forced wake-up means a burst, or a new container (the watcher): the other buffers are
			 * read too (for the exits' sake), and again soon (the new container's first events are on
			 * their way) */
			rc = consume_all(ctx);
			ctx->interval_ms = GB_POLL_MIN_MS;
			ctx->ns_waiting = true; /* on_timer() asks gb_ns_poll() */
			ctx->next_poll_ms = gb_clock_monotonic_ms() + GB_POLL_MIN_MS;
			arm_timer(ctx);
		}
		if (rc < 0)
			return rc;
		delivered += rc;
	}
	return delivered;
}

int gb_ctx__run(struct gb_ctx *ctx, int timeout_ms)
{
	uint64_t deadline = timeout_ms >= 0 ? gb_clock_monotonic_ms() + (uint64_t)timeout_ms : 0;

	while (!ctx->stop) {
		int wait = -1;
		if (timeout_ms >= 0) {
			uint64_t now = gb_clock_monotonic_ms();
			if (now >= deadline)
				return 0;
			wait = (int)(deadline - now);
		}
		int rc = gb_ctx__poll(ctx, wait);
		if (rc < 0 && rc != -ECANCELED)
			return rc;
	}
	return 0;
}

void gb_ctx__stop(struct gb_ctx *ctx)
{
	uint64_t one = 1;

	/* a flag and a write: async-signal-safe */
	if (!ctx)
		return;
	ctx->stop = 1;
	if (write(ctx->stopfd, &one, sizeof(one)) < 0) {
		/* the counter is full: it is readable anyway */
	}
}

bool gb_ctx__stopped(const struct gb_ctx *ctx)
{
	return ctx->stop;
}

int gb_ctx__fd(const struct gb_ctx *ctx)
{
	return ctx->epfd;
}

const struct gb_container *gb_ctx__container(struct gb_ctx *ctx, unsigned i)
{
	return gb_ctx_ready(ctx) ? NULL : gb_container_at(i);
}

const struct gb_container *gb_ctx__container_by_mntns(struct gb_ctx *ctx, uint64_t mntns)
{
	return gb_ctx_ready(ctx) ? NULL : gb_container_by_mntns(mntns);
}

const struct gb_container_filter *gb_ctx_filter(const struct gb_ctx *ctx)
{
	return &ctx->filter;
}

const char *gb_ctx_btf_path(const struct gb_ctx *ctx)
{
	return ctx->btf_path;
}

static int epoll_add(struct gb_ctx *ctx, int fd, void *tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};

	return epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int gb_ctx_add_tracer(struct gb_ctx *ctx, struct gb_tracer *t)
{
	if (ctx->ntracers == GB_CTX_MAX_TRACERS && !t->ops->internal)
		return -ENOSPC;
	int rc = epoll_add(ctx, ring_buffer__epoll_fd(t->rb), t);
	if (rc)
		return rc;
	if (t->ops->internal) {
		ctx->watcher = t;
		return 0;
	}
	ctx->tracers[ctx->ntracers++] = t;
	ctx->next_poll_ms = gb_clock_monotonic_ms();
	arm_timer(ctx);
	return 0;
}

void gb_ctx_remove_tracer(struct gb_ctx *ctx, struct gb_tracer *t)
{
	if (t == ctx->watcher) {
		epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, ring_buffer__epoll_fd(t->rb), NULL);
		ctx->watcher = NULL;
	}
	for (int i = 0; i < ctx->ntracers; i++)
		if (ctx->tracers[i] == t) {
			if (t->rb)
				epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, ring_buffer__epoll_fd(t->rb), NULL);
			ctx->tracers[i] = ctx->tracers[--ctx->ntracers];
			return;
		}
}

/* ---- container subscriptions ---- */

static bool pub_wants(const struct pub_sub *s, const struct gb_container *c)
{
	return (s->flags & GB_SUB_ALL) || (c->selected && !c->sandbox);
}

static void pub_added(void *arg, const struct gb_container *c)
{
	struct pub_sub *s = arg;

	if (pub_wants(s, c))
		s->fn(s->cb_ctx, GB_CONTAINER_ADDED, c);
}

static void pub_removed(void *arg, const struct gb_container *c)
{
	struct pub_sub *s = arg;

	/* the record still has the flags it was announced with: one that leaves the filters is REMOVED for
	 * the default subscribers (and, for GB_SUB_ALL ones, ADDED again with its new flags) */
	if (pub_wants(s, c))
		s->fn(s->cb_ctx, GB_CONTAINER_REMOVED, c);
}

int gb_ctx__subscribe(struct gb_ctx *ctx, gb_container_fn fn, void *cb_ctx, unsigned flags)
{
	int err = gb_ctx_ready(ctx);

	if (err)
		return err;
	if (!ctx->ntracers) /* containers only (--watch): no start-up to keep short */
		open_watcher(ctx);
	struct pub_sub *s = calloc(1, sizeof(*s));
	struct pub_sub **n = realloc(ctx->subs, (ctx->nsubs + 1) * sizeof(*n));

	if (!s || !n) {
		free(s);
		if (n)
			ctx->subs = n;
		return -ENOMEM;
	}
	ctx->subs = n;
	*s = (struct pub_sub){ctx, fn, cb_ctx, flags, -1};
	s->hook_id = gb_containers_subscribe(&(struct gb_container_hooks){pub_added, pub_removed, NULL, s}, false);
	if (s->hook_id < 0) {
		free(s);
		return -ENOMEM;
	}
	int id = ctx->nsubs++;
	ctx->subs[id] = s; /* before the replay: its callbacks may subscribe too */
	if (flags & GB_SUB_EXISTING)
		for (unsigned i = 0; gb_container_at(i); i++)
			if (pub_wants(s, gb_container_at(i)))
				fn(cb_ctx, GB_CONTAINER_EXISTING, gb_container_at(i));
	return id;
}

void gb_ctx__unsubscribe(struct gb_ctx *ctx, int id)
{
	if (id < 0 || id >= ctx->nsubs || !ctx->subs[id])
		return;
	gb_containers_unsubscribe(ctx->subs[id]->hook_id);
	free(ctx->subs[id]);
	ctx->subs[id] = NULL;
}

/* ---- life ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void copy_filter(struct gb_container_filter *to, const struct gb_container_filter *from)
{
	to->names = dup_or_null(from->names);
	to->k8s_namespaces = dup_or_null(from->k8s_namespaces);
	to->k8s_pods = dup_or_null(from->k8s_pods);
	to->k8s_containers = dup_or_null(from->k8s_containers);
	to->runtimes = dup_or_null(from->runtimes);
	to->host = from->host;
}

static void free_filter(struct gb_container_filter *f)
{
	free((char *)f->names);
	free((char *)f->k8s_namespaces);
	free((char *)f->k8s_pods);
	free((char *)f->k8s_containers);
	free((char *)f->runtimes);
}

/* A member of @opts, or its zero default when the caller's struct is too old to have it. */
#define OPT(opts, field)                                                                                               \
	((opts) && (opts)->sz >= offsetof(struct gb_ctx_opts, field) + sizeof((opts)->field)                           \
		 ? (opts)->field                                                                                       \
		 : (__typeof__((opts)->field)){0})

struct gb_ctx *gb_ctx__new(const struct gb_ctx_opts *opts)
{
	struct gb_ctx *ctx;
	int err;

	if (the_ctx) {
		gb_err("a context exists already: one per process");
		errno = EBUSY;
		return NULL;
	}
	if (opts && opts->sz < sizeof(size_t)) {
		gb_err("gb_ctx__new: options without their size (fill them with GB_OPTS)");
		errno = EINVAL;
		return NULL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->epfd = ctx->timerfd = ctx->stopfd = -1;
	ctx->interval_ms = GB_POLL_MIN_MS;
	ctx->host_root = dup_or_null(OPT(opts, host_root));
	ctx->btf_path = dup_or_null(OPT(opts, btf_path));
	struct gb_container_filter f = OPT(opts, filter);
	copy_filter(&ctx->filter, &f);
	gb_clock_init();
	gb_tracer_libbpf_debug(OPT(opts, libbpf_debug));
	the_ctx = ctx;
	if (gb_host_root_init(ctx->host_root) || gb_containers_open(&ctx->filter)) {
		err = errno ? errno : ENOENT;
		goto fail;
	}
	ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
	ctx->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ctx->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ctx->epfd < 0 || ctx->timerfd < 0 || ctx->stopfd < 0 || epoll_add(ctx, ctx->timerfd, &tag_timer) ||
	    epoll_add(ctx, ctx->stopfd, &tag_stop)) {
		err = errno;
		gb_err("cannot set up the event loop: %s", strerror(err));
		goto fail;
	}
	ctx->no_watch = OPT(opts, no_watch);
	gb_startup_step("scanning containers");
	pthread_mutex_init(&ctx->scan_lock, NULL);
	errno = 0;
	ctx->caller_nice = getpriority(PRIO_PROCESS, 0);
	if (errno)
		ctx->caller_nice = 0;
	ctx->scanning = gb_thread_start(&ctx->scan, scan_thread, ctx) == 0;
	if (!ctx->scanning)
		gb_containers_refresh(GB_REFRESH_FULL | GB_REFRESH_PRUNE);
	ctx->next_tick_ms = gb_clock_monotonic_ms() + GB_TICK_MS;
	arm_timer(ctx);
	return ctx;
fail:
	gb_ctx__free(ctx);
	errno = err;
	return NULL;
}

void gb_ctx__free(struct gb_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->scanning)
		pthread_join(ctx->scan, NULL);
	ctx->scanning = false;
	while (ctx->ntracers)
		gb_tracer__free(ctx->tracers[0]);
	if (ctx->watcher) /* nothing of it to deliver: no subscriber is told of containers while the context goes */
		ctx->watcher->stopped = true;
	gb_tracer__free(ctx->watcher);
	for (int i = 0; i < ctx->nsubs; i++)
		gb_ctx__unsubscribe(ctx, i);
	free(ctx->subs);
	free(ctx->exits);
	gb_containers_free();
	if (ctx->epfd >= 0)
		close(ctx->epfd);
	if (ctx->timerfd >= 0)
		close(ctx->timerfd);
	if (ctx->stopfd >= 0)
		close(ctx->stopfd);
	free_filter(&ctx->filter);
	free(ctx->host_root);
	free(ctx->btf_path);
	if (the_ctx == ctx)
		the_ctx = NULL;
	free(ctx);
}
