/*
 * The fanotify permission events are read and answered by a thread of their own, so a runtime never waits
 * on gadgetbox for long: the thread wakes the event loop (which drains the ring buffer and rescans the
 * state directories) and answers ALLOW as soon as the loop is done — or after GB_WATCH_HOLD_MS if the loop
 * is stuck, say writing to a pipe nobody reads. Then the new container may lose its first events, and we
 * say so; the runtime keeps working either way.
 */
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "containers.h"
#include "hostroot.h"
#include "runtimes.h"

#define GB_WATCH_HOLD_MS 500

static int fan_fd = -1;
static int wake_fd = -1;
static pthread_t thread;
static bool thread_running;
static void (*drain_fn)(void *ctx);
static void *drain_ctx;
static unsigned ticks;

/* requests (by the thread) and completed rescans (by the loop), counted */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static unsigned long requested, completed;

/* Events already in the ring buffer are labelled first, with the table they were produced under. */
static void rescan(unsigned how)
{
	if (drain_fn)
		drain_fn(drain_ctx);
	gb_containers_refresh(how | GB_REFRESH_PRUNE);
}

/* In the event loop: the thread asked for a rescan. */
static int on_wake(void *ctx, uint32_t events)
{
	uint64_t n;
	(void)ctx;
	(void)events;

	if (read(wake_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	pthread_mutex_lock(&lock);
	unsigned long target = requested;
	pthread_mutex_unlock(&lock);
	rescan(0);
	pthread_mutex_lock(&lock);
	completed = target;
	pthread_cond_broadcast(&done_cond);
	pthread_mutex_unlock(&lock);
	return 0;
}

/* In the thread: have the loop rescan, waiting at most GB_WATCH_HOLD_MS. */
static void request_rescan(void)
{
	uint64_t one = 1;
	struct timespec deadline;

	pthread_mutex_lock(&lock);
	unsigned long mine = ++requested;
	pthread_mutex_unlock(&lock);
	if (write(wake_fd, &one, sizeof(one)) != sizeof(one))
		return;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += GB_WATCH_HOLD_MS * 1000000L;
	deadline.tv_sec += deadline.tv_nsec / 1000000000L;
	deadline.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&lock);
	int rc = 0;
	while (completed < mine && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&done_cond, &lock, &deadline);
	pthread_mutex_unlock(&lock);
	if (rc == ETIMEDOUT)
		gb_warn_once("the event loop is blocked (is the output read?): let a container runtime go on "
			     "without waiting; a new container may lose its first events");
}

static void *answer_thread(void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	(void)arg;

	for (;;) {
		ssize_t len = read(fan_fd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return NULL; /* closed at exit */
		bool asked = false;
		for (struct fanotify_event_metadata *m = (void *)buf; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
			if (m->vers != FANOTIFY_METADATA_VERSION)
				continue;
			if (m->mask & FAN_OPEN_EXEC_PERM) {
				/* the runtime waits until we answer: register what it created, then let it run */
				if (!asked)
					request_rescan(), asked = true;
				struct fanotify_response r = {.fd = m->fd, .response = FAN_ALLOW};
				if (write(fan_fd, &r, sizeof(r)) < 0)
					gb_warn_once("cannot answer a fanotify permission event: %s", strerror(errno));
			}
			if (m->fd >= 0)
				close(m->fd);
		}
	}
}

/* Every second: containers whose init is gone leave; now and then a full /proc walk finds containers of
 * runtimes we do not watch. Without fanotify this is all there is. */
static void tick(void *ctx)
{
	(void)ctx;
	ticks++;
	rescan(fan_fd < 0 || ticks % 30 == 0 ? GB_REFRESH_FULL : 0);
}

static int mark_runtimes(int *err)
{
	int marked = 0;

	for (int i = 0; gb_runtime_binaries[i]; i++) {
		int bin = gb_host_open(gb_runtime_binaries[i], O_RDONLY);
		if (bin < 0)
			continue;
		if (fanotify_mark(fan_fd, FAN_MARK_ADD, FAN_OPEN_EXEC_PERM, bin, NULL) == 0)
			marked++;
		else
			*err = errno;
		close(bin);
	}
	return marked;
}

int gb_watch_start(struct gb_loop *loop, void (*drain)(void *ctx), void *ctx)
{
	int err = 0;

	drain_fn = drain;
	drain_ctx = ctx;
	gb_loop_add_tick(loop, tick, NULL);
	/* stopped by ^Z, we would hold every container runtime on the node */
	signal(SIGTSTP, SIG_IGN);
	fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fan_fd < 0 || wake_fd < 0)
		err = errno;
	else if (mark_runtimes(&err) > 0 && gb_loop_add_fd(loop, wake_fd, on_wake, NULL) == 0 &&
		 pthread_create(&thread, NULL, answer_thread, NULL) == 0) {
		thread_running = true;
		return 0;
	}
	gb_watch_stop();
	if (err)
		gb_warn_once("cannot watch container runtimes with fanotify (%s): new containers are found by "
			     "polling and may lose their first events",
			     strerror(err));
	return 0;
}

void gb_watch_stop(void)
{
	if (thread_running) {
		/* closing the fanotify fd would not wake a blocked read(): cancel the thread, which only ever
		 * blocks there; pending permission events are allowed by the kernel when the fd closes */
		pthread_cancel(thread);
		pthread_join(thread, NULL);
		thread_running = false;
	}
	if (fan_fd >= 0)
		close(fan_fd);
	if (wake_fd >= 0)
		close(wake_fd);
	fan_fd = wake_fd = -1;
}
