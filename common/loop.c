#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

uint64_t gb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int gb_loop_init(struct gb_loop *l, double timeout_s)
{
	sigset_t mask;

	memset(l, 0, sizeof(*l));
	l->sigfd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	/* a closed pipe is seen as EPIPE by the writer, which ends the loop cleanly */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	l->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sigfd < 0)
		return -errno;
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sigfd, &ev))
		return -errno;
	if (timeout_s > 0)
		l->deadline_ms = gb_now_ms() + (uint64_t)(timeout_s * 1000);
	return 0;
}

int gb_loop_add_fd(struct gb_loop *l, int fd, gb_fd_cb cb, void *ctx)
{
	if (l->nsrc == GB_LOOP_MAX_FDS)
		return -ENOSPC;
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)l->nsrc};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	l->src[l->nsrc++] = (struct gb_loop_src){fd, cb, ctx};
	return 0;
}

void gb_loop_set_poll(struct gb_loop *l, gb_poll_cb cb, void *ctx)
{
	l->poll = cb;
	l->poll_ctx = ctx;
}

void gb_loop_add_tick(struct gb_loop *l, gb_tick_cb cb, void *ctx)
{
	if (l->nticks < GB_LOOP_MAX_TICKS) {
		l->tick[l->nticks] = cb;
		l->tick_ctx[l->nticks++] = ctx;
	}
}

void gb_loop_stop(struct gb_loop *l)
{
	l->stop = true;
}

int gb_loop_run(struct gb_loop *l)
{
	unsigned interval = GB_LOOP_POLL_MIN_MS;
	uint64_t next_poll = gb_now_ms(), next_tick = next_poll + 1000;

	while (!l->stop) {
		uint64_t now = gb_now_ms();
		int rc;

		if (l->deadline_ms && now >= l->deadline_ms)
			return 0;
		if (l->poll && now >= next_poll) {
			rc = l->poll(l->poll_ctx);
			if (rc < 0)
				return rc;
			interval = rc > 0 ? GB_LOOP_POLL_MIN_MS
					  : (interval * 2 > GB_LOOP_POLL_MAX_MS ? GB_LOOP_POLL_MAX_MS : interval * 2);
			next_poll = now + interval;
			if (l->stop)
				break;
		}
		if (now >= next_tick) {
			for (int i = 0; i < l->nticks; i++)
				l->tick[i](l->tick_ctx[i]);
			next_tick = now + 1000;
		}

		uint64_t wake = next_tick;
		if (l->poll && next_poll < wake)
			wake = next_poll;
		if (l->deadline_ms && l->deadline_ms < wake)
			wake = l->deadline_ms;
		int timeout = wake > now ? (int)(wake - now) : 0;

		struct epoll_event evs[GB_LOOP_MAX_FDS + 1];
		int n = epoll_wait(l->epfd, evs, GB_LOOP_MAX_FDS + 1, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			uint32_t id = evs[i].data.u32;
			if (id == UINT32_MAX) {
				struct signalfd_siginfo si;
				if (read(l->sigfd, &si, sizeof(si)) == sizeof(si))
					return (int)si.ssi_signo;
				continue;
			}
			rc = l->src[id].cb(l->src[id].ctx, evs[i].events);
			if (rc < 0)
				return rc;
			interval = GB_LOOP_POLL_MIN_MS; /* a forced wake-up means a burst */
		}
	}
	return 0;
}

void gb_loop_free(struct gb_loop *l)
{
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->sigfd = l->epfd = -1;
}
