/*
 * The one event loop of a gadgetbox process: epoll over the ring buffer(s), a signalfd (SIGINT, SIGTERM:
 * stop and exit 0), and any fd a component adds (the container watcher). A poll callback runs on an adaptive
 * timer, because BPF programs submit without wake-ups: every few ms while events flow, backing off to
 * GB_LOOP_POLL_MAX_MS when idle, so an event waits at most that long at low rates.
 */
#ifndef GADGETBOX_LOOP_H
#define GADGETBOX_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#define GB_LOOP_POLL_MIN_MS 4
#define GB_LOOP_POLL_MAX_MS 64
#define GB_LOOP_MAX_FDS 16
#define GB_LOOP_MAX_TICKS 4

/* Return <0 to stop the loop with an error, 0 to go on. */
typedef int (*gb_fd_cb)(void *ctx, uint32_t events);
/* Return the number of events handled (0 lets the timer back off), or <0 to stop with an error. */
typedef int (*gb_poll_cb)(void *ctx);
/* Runs once a second, e.g. to report lost events. */
typedef void (*gb_tick_cb)(void *ctx);

struct gb_loop_src {
	int fd;
	gb_fd_cb cb;
	void *ctx;
};

struct gb_loop {
	int epfd;
	int sigfd;
	uint64_t deadline_ms; /* 0: none */
	gb_poll_cb poll;
	void *poll_ctx;
	gb_tick_cb tick[GB_LOOP_MAX_TICKS];
	void *tick_ctx[GB_LOOP_MAX_TICKS];
	int nticks;
	bool stop;
	struct gb_loop_src src[GB_LOOP_MAX_FDS];
	int nsrc;
};

int gb_loop_init(struct gb_loop *l, double timeout_s);
int gb_loop_add_fd(struct gb_loop *l, int fd, gb_fd_cb cb, void *ctx);
void gb_loop_set_poll(struct gb_loop *l, gb_poll_cb cb, void *ctx);
void gb_loop_add_tick(struct gb_loop *l, gb_tick_cb cb, void *ctx);
void gb_loop_stop(struct gb_loop *l);
/* Runs until a signal, the timeout, gb_loop_stop() or an error (<0). Returns the signal number or 0. */
int gb_loop_run(struct gb_loop *l);
void gb_loop_free(struct gb_loop *l);
uint64_t gb_now_ms(void);

#endif
