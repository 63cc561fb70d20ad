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
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "containers.h"
#include "hostroot.h"
#include "runtimes.h"

#define GB_WATCH_HOLD_MS 500

static int fan_fd = -1;
static int wake_fd = -1;
static int quit_fd = -1; /* tells the thread to end */
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
void gb_watch_wake(void)
{
	uint64_t n;

	if (wake_fd < 0 || read(wake_fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&lock);
	unsigned long target = requested;
	pthread_mutex_unlock(&lock);
	rescan(0);
	pthread_mutex_lock(&lock);
	completed = target;
	pthread_cond_broadcast(&done_cond);
	pthread_mutex_unlock(&lock);
}

/* In the thread: have the loop rescan, waiting at most GB_WATCH_HOLD_MS. False if it did not in time. */
static bool request_rescan(void)
{
	uint64_t one = 1;
	struct timespec deadline;

	pthread_mutex_lock(&lock);
	unsigned long mine = ++requested;
	pthread_mutex_unlock(&lock);
	if (write(wake_fd, &one, sizeof(one)) != sizeof(one))
		return true;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += GB_WATCH_HOLD_MS * 1000000L;
	deadline.tv_sec += deadline.tv_nsec / 1000000000L;
	deadline.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&lock);
	int rc = 0;
	while (completed < mine && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&done_cond, &lock, &deadline);
	pthread_mutex_unlock(&lock);
	return rc != ETIMEDOUT;
}

/*
 * Reads the permission events and answers them. It never holds a lock while it may block, and it answers
 * before it says anything (a message may block on a stderr nobody reads): the runtime goes on first. It ends
 * when quit_fd becomes readable; it is never cancelled, so no lock can be left held.
 */
static void *answer_thread(void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct pollfd fds[2] = {{.fd = fan_fd, .events = POLLIN}, {.fd = quit_fd, .events = POLLIN}};
	(void)arg;

	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			return NULL;
		if (fds[1].revents)
			return NULL; /* gb_watch_stop(): pending permission events are allowed when fan_fd closes */
		if (!(fds[0].revents & POLLIN))
			continue;
		ssize_t len = read(fan_fd, buf, sizeof(buf));
		if (len < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (len <= 0)
			return NULL;
		bool asked = false, in_time = true;
		int write_err = 0;
		for (struct fanotify_event_metadata *m = (void *)buf; FAN_EVENT_OK(m, len);
		     m = FAN_EVENT_NEXT(m, len)) {
			if (m->vers != FANOTIFY_METADATA_VERSION)
				continue;
			if (m->mask & FAN_OPEN_EXEC_PERM) {
				/* the runtime waits until we answer: register what it created, then let it run */
				if (!asked)
					in_time = request_rescan(), asked = true;
				struct fanotify_response r = {.fd = m->fd, .response = FAN_ALLOW};
				if (write(fan_fd, &r, sizeof(r)) < 0)
					write_err = errno;
			}
			if (m->fd >= 0)
				close(m->fd);
		}
		if (!in_time)
			gb_warn_once(
				"the event loop did not rescan within 500 ms (is the output read?): let a container "
				"runtime go on without waiting; a new container may lose its first events");
		if (write_err)
			gb_warn_once("cannot answer a fanotify permission event: %s", strerror(write_err));
	}
}

/* Every second: containers whose init is gone leave; now and then a full /proc walk finds containers of
 * runtimes we do not watch. Without fanotify this is all there is. */
void gb_watch_tick(void)
{
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

int gb_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int gb_watch_start(void (*drain)(void *ctx), void *ctx)
{
	int err = 0;

	drain_fn = drain;
	drain_ctx = ctx;
	fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fan_fd < 0 || wake_fd < 0 || quit_fd < 0)
		err = errno;
	else if (mark_runtimes(&err) > 0) {
		int rc = gb_thread_start(&thread, answer_thread, NULL);
		if (rc == 0) {
			thread_running = true;
			return wake_fd;
		}
		err = rc;
	}
	gb_watch_stop();
	if (err)
		gb_warn_once("cannot watch container runtimes with fanotify (%s): new containers are found by "
			     "polling and may lose their first events",
			     strerror(err));
	return -1;
}

void gb_watch_stop(void)
{
	if (thread_running) {
		uint64_t one = 1;
		/* wake the thread out of poll(); if the event loop's rescan is what it waits for, it gives up
		 * within GB_WATCH_HOLD_MS */
		if (write(quit_fd, &one, sizeof(one)) != sizeof(one))
			gb_warn_once("cannot stop the runtime watcher's thread: %s", strerror(errno));
		pthread_join(thread, NULL);
		thread_running = false;
	}
	if (fan_fd >= 0)
		close(fan_fd);
	if (wake_fd >= 0)
		close(wake_fd);
	if (quit_fd >= 0)
		close(quit_fd);
	fan_fd = wake_fd = quit_fd = -1;
}
