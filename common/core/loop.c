/*
 * The context's loop (loop.h): one epoll fd over the tracers' ring buffers, the container watcher's (watch.h), a timer
 * and a stop eventfd. BPF programs submit without wake-ups (a wake-up per event costs the traced task ~4x the event),
 * so the timer polls the ring buffers every GB_POLL_MIN_MS while events flow, backing off to GB_POLL_MAX_MS when
 * idle; a forced wake-up (64 KiB pending, or the watcher's new container) makes a ring buffer's fd readable at
 * once. Once a second the timer also checks lost-event counters and rescans the runtimes' state.
 */
#include "loop.h"

#include <errno.h>
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

#include "bpf/gadget.h"
#include "clock.h"
#include "containers.h"
#include "diag.h"
#include "thread.h"

#define GB_POLL_MIN_MS 4
#define GB_POLL_MAX_MS 64
#define GB_NS_POLL_MS  10
#define GB_TICK_MS     1000
#define EARLY_MAX      (8u << 20) /* beyond this, records wait in the ring buffer */

/* epoll tags for the fds that are not ring buffers (those carry their source) */
static char tag_timer, tag_stop;

static void arm_timer(struct gb_ctx *ctx)
{
	uint64_t now = gb_clock_monotonic_ms(), wake = ctx->next_tick_ms;

	if ((ctx->nsources || ctx->ns_waiting) && ctx->next_poll_ms < wake)
		wake = ctx->next_poll_ms;
	uint64_t delta = wake > now ? wake - now : 0;
	struct itimerspec its = {.it_value = {.tv_sec = delta / 1000, .tv_nsec = (delta % 1000) * 1000000 + 1}};
	timerfd_settime(ctx->timerfd, 0, &its, NULL);
}

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

/* The first @n exits read (the oldest) leave the table. */
static void apply_exits(struct gb_ctx *ctx, size_t n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		gb_containers_exited(ctx->exits[i].pid, ctx->exits[i].mntns_id);
	memmove(ctx->exits, ctx->exits + n, (ctx->nexits - n) * sizeof(*ctx->exits));
	ctx->nexits -= n;
}

void gb_ctx_apply_exits(struct gb_ctx *ctx)
{
	apply_exits(ctx, ctx->nexits);
}

/* ---- sources: the record path ---- */

bool gb_keep_record(struct strbuf *sb, const void *data, size_t size)
{
	if (!sb_reserve(sb, sizeof(size) + size))
		return false;
	sb_add(sb, &size, sizeof(size));
	sb_add(sb, data, size);
	return true;
}

void *gb_next_record(const struct strbuf *sb, size_t *off, size_t *size)
{
	if (*off + sizeof(size_t) > sb->len)
		return NULL;
	memcpy(size, sb->buf + *off, sizeof(*size));
	void *data = sb->buf + *off + sizeof(*size);
	*off += sizeof(*size) + *size;
	return data;
}

/* One record, by its kind: the container table's, the watcher's or the owner's. */
static int on_record(void *arg, void *data, size_t size)
{
	struct gb_source *s = arg;
	const struct gb_container_exit *exit_rec = data;
	const struct gb_new_ns *new_ns = data;

	if (s->early_mode) {
		if (s->early.len + sizeof(size) + size > EARLY_MAX || !gb_keep_record(&s->early, data, size)) {
			s->lost++;	 /* libbpf has consumed it: counted with the kernel's losses */
			return -ENOBUFS; /* the rest stays in the ring buffer until the scan is done */
		}
		return 0;
	}
	if (size >= sizeof(*exit_rec) && exit_rec->kind == GB_RECORD_CONTAINER_EXIT) {
		gb_ctx_container_exited(s->ctx, exit_rec->pid, exit_rec->mntns_id);
		return 0;
	}
	if (size >= sizeof(*new_ns) && new_ns->kind == GB_RECORD_NEW_NS) {
		char cgroup[GB_CGROUP_DEPTH * (GB_CGROUP_NAME_LEN + 1) + 1];
		size_t len = 0;
		for (int i = GB_CGROUP_DEPTH - 1; i >= 0; i--) /* the names come leaf first */
			if (new_ns->cgroup[i][0])
				len += (size_t)snprintf(cgroup + len, sizeof(cgroup) - len, "/%.*s", GB_CGROUP_NAME_LEN,
							new_ns->cgroup[i]);
		cgroup[len] = '\0';
		gb_ns_exec(new_ns->mntns_id, new_ns->mntns_uid, new_ns->pid, cgroup, new_ns->exec);
		return 0;
	}
	if (size < sizeof(struct gb_proc))
		return 0;
	int n = s->ops->event(s->owner, data, size);
	if (n < 0)
		return n;
	s->handled += n;
	return 0;
}

/* Deliver the records kept while the first container scan ran, in their order, before anything newer. */
static int replay_early(struct gb_source *s)
{
	size_t off = 0, size;
	void *rec;
	int rc = 0;

	while (rc == 0 && (rec = gb_next_record(&s->early, &off, &size)))
		rc = on_record(s, rec, size);
	if (off >= s->early.len) {
		sb_free(&s->early);
	} else { /* a callback stopped the context: keep the rest */
		memmove(s->early.buf, s->early.buf + off, s->early.len - off);
		s->early.len -= off;
	}
	return rc;
}

int gb_source_consume(struct gb_source *s)
{
	if (!s || !s->rb)
		return 0;
	s->handled = 0;
	if (s->early.len && replay_early(s))
		return s->handled;
	if (s->ops->release) {
		int n = s->ops->release(s->owner, s->stopped);
		if (n < 0)
			return s->handled;
		s->handled += n;
	}
	int rc = ring_buffer__consume(s->rb);
	if (rc < 0 && rc != -EINTR && rc != -ECANCELED)
		return rc;
	return s->handled;
}

void gb_source_wait_scan(struct gb_source *s)
{
	s->early_mode = true;
	while (!gb_ctx_scan_done(s->ctx))
		ring_buffer__poll(s->rb, 1);
	s->early_mode = false;
}

static int epoll_add(struct gb_ctx *ctx, int fd, void *tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};

	return epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

struct gb_source *gb_source_add(struct gb_ctx *ctx, int ringbuf_fd, const struct gb_source_ops *ops, void *owner,
				bool internal)
{
	struct gb_source *s = calloc(1, sizeof(*s));
	int err = ENOMEM;

	if (!s)
		goto fail;
	*s = (struct gb_source){.ctx = ctx, .ops = ops, .owner = owner, .internal = internal};
	if ((internal && ctx->watcher) || (!internal && ctx->nsources == GB_CTX_MAX_SOURCES)) {
		err = ENOSPC;
		goto fail;
	}
	s->rb = ring_buffer__new(ringbuf_fd, on_record, s, NULL);
	if (!s->rb) {
		err = errno;
		goto fail;
	}
	if ((err = -epoll_add(ctx, ring_buffer__epoll_fd(s->rb), s)))
		goto fail;
	if (internal) {
		ctx->watcher = s;
		return s;
	}
	ctx->sources[ctx->nsources++] = s;
	ctx->next_poll_ms = gb_clock_monotonic_ms();
	arm_timer(ctx);
	return s;
fail:
	gb_err("cannot read the ring buffer: %s", strerror(err));
	if (s)
		ring_buffer__free(s->rb);
	free(s);
	errno = err;
	return NULL;
}

void gb_source_remove(struct gb_source *s)
{
	if (!s)
		return;
	struct gb_ctx *ctx = s->ctx;
	epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, ring_buffer__epoll_fd(s->rb), NULL);
	if (s == ctx->watcher)
		ctx->watcher = NULL;
	for (int i = 0; i < ctx->nsources; i++)
		if (ctx->sources[i] == s)
			ctx->sources[i] = ctx->sources[--ctx->nsources];
	ring_buffer__free(s->rb);
	sb_free(&s->early);
	free(s);
}

void gb_ctx_open_watcher(struct gb_ctx *ctx)
{
	if (ctx->watcher_due) {
		ctx->watcher_due = false;
		if (ctx->open_watcher)
			ctx->open_watcher(ctx);
	}
}

/*
 * Every ring buffer, then the container exits read before this pass: a container's last events in one buffer
 * are labelled even when another buffer told of its end first. An exit read in this pass waits for the next:
 * an event made just before the exit may have gone into a buffer this pass had read already (a child's failed
 * exec, then the init's end, read from the exec buffer and then from the exit buffer: the exec was shown
 * without its container, dropped without --host, 1 in 100 containers under churn with the agent). The
 * watcher's first: the new containers it tells of are identified before the tracers' events of them are read.
 */
static int consume_all(struct gb_ctx *ctx)
{
	int total = 0, rc = 0;
	size_t older = ctx->nexits; /* read in an earlier pass: every buffer is read once more below */

	gb_source_consume(ctx->watcher);
	for (int i = 0; i < ctx->nsources && !ctx->stop && rc >= 0; i++) {
		rc = gb_source_consume(ctx->sources[i]);
		total += rc > 0 ? rc : 0;
	}
	apply_exits(ctx, older);
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
	if ((ctx->nsources || ctx->ns_waiting) && now >= ctx->next_poll_ms) {
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
		for (int i = 0; i < ctx->nsources; i++)
			if (ctx->sources[i]->ops->tick && !ctx->sources[i]->stopped)
				ctx->sources[i]->ops->tick(ctx->sources[i]->owner);
	}
	if (now >= ctx->next_tick_ms) {
		for (int i = -1; i < ctx->nsources; i++) { /* the watcher, then the others */
			struct gb_source *src = i < 0 ? ctx->watcher : ctx->sources[i];
			if (src && src->ops->second)
				src->ops->second(src->owner);
		}
		if (ctx->watching || ctx->nsources)
			rescan(ctx);
		ctx->next_tick_ms = now + GB_TICK_MS;
	}
	arm_timer(ctx);
	return rc;
}

int gb_ctx__poll(struct gb_ctx *ctx, int timeout_ms)
{
	struct epoll_event evs[GB_CTX_MAX_SOURCES + 4];
	int delivered = 0;

	if (ctx->stop)
		return -ECANCELED;
	int rc0 = gb_ctx_ready(ctx);
	if (rc0)
		return rc0;
	/* meanwhile new namespaces are identified from their events alone (resolved as they are read) */
	if (ctx->polls++ > 0)
		gb_ctx_open_watcher(ctx);
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

const struct gb_container_filter *gb_ctx_filter(const struct gb_ctx *ctx)
{
	return &ctx->filter;
}

const char *gb_ctx_btf_path(const struct gb_ctx *ctx)
{
	return ctx->btf_path;
}

int gb_loop_open(struct gb_ctx *ctx)
{
	ctx->interval_ms = GB_POLL_MIN_MS;
	ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
	ctx->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ctx->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ctx->epfd < 0 || ctx->timerfd < 0 || ctx->stopfd < 0 || epoll_add(ctx, ctx->timerfd, &tag_timer) ||
	    epoll_add(ctx, ctx->stopfd, &tag_stop)) {
		gb_err("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
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
	return 0;
}

void gb_loop_close(struct gb_ctx *ctx)
{
	if (ctx->scanning)
		pthread_join(ctx->scan, NULL);
	ctx->scanning = false;
	free(ctx->exits);
	if (ctx->epfd >= 0)
		close(ctx->epfd);
	if (ctx->timerfd >= 0)
		close(ctx->timerfd);
	if (ctx->stopfd >= 0)
		close(ctx->stopfd);
}
