/*
 * The context's loop (internal to libgadgetbox), the one owner of the record path: it reads every source's
 * ring buffer (a tracer's, the watcher's) and dispatches each record of bpf/gadget.h by its kind: a
 * container's end to the container table (once every buffer has been read), a new mount namespace to its
 * identification (containers.h), an event to the source's owner, which decodes it. It also keeps what a
 * buffer holds while the first container scan runs, and drives the timer: polls while events flow, ticks,
 * the once-a-second rescan.
 *
 * Layers, bottom up: loop.c (this) -> tracer.c (a tracer is a source with BPF programs and an event path)
 * -> watch.c and the gadgets -> ctx.c (the public gb_ctx__ API, which makes the watcher).
 */
#ifndef GADGETBOX_LOOP_H
#define GADGETBOX_LOOP_H

#include <bpf/libbpf.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "gadgetbox.h"
#include "strbuf.h"

#define GB_CTX_MAX_SOURCES 16

/* What a source's owner does with what the loop reads for it. */
struct gb_source_ops {
	/* An event record (at least a struct gb_proc): decode and deliver it, now or later. Returns the number of
	 * events delivered (0 or 1), or -ECANCELED to leave the rest in the buffer (the context stopped). */
	int (*event)(void *owner, const void *data, size_t size);
	/* Before the buffer is read: deliver what the owner held back (all of it if @final). Same returns as
	 * event, counted. May be NULL. */
	int (*release)(void *owner, bool final);
	/* Every poll of the timer (a few times a second at least: timeouts). May be NULL. */
	void (*tick)(void *owner);
	/* Once a second (lost-event counters). May be NULL. */
	void (*second)(void *owner);
};

/* A ring buffer of bpf/gadget.h records that the loop reads. */
struct gb_source {
	struct gb_ctx *ctx;
	const struct gb_source_ops *ops;
	void *owner;
	struct ring_buffer *rb;
	bool internal; /* the context's own (the watcher): read before the others, not counted as a caller's */
	bool stopped;  /* the owner stops: read to the end (release final), no ticks */
	int handled;   /* events delivered in the current consume */
	/* records read while the first container scan was still running, delivered at the first consume (as
	 * [size_t size][bytes]...), so the ring buffer does not fill meanwhile */
	struct strbuf early;
	bool early_mode;
	uint64_t lost; /* records the loop could not keep (early, over its bound) */
};

struct pub_sub;

struct gb_ctx {
	int epfd, timerfd, stopfd;
	volatile sig_atomic_t stop; /* set by gb_ctx__stop(), from anywhere (a signal handler too) */
	bool watching;		    /* rescans once a second (after the first scan, unless no_watch) */
	struct gb_source *watcher;  /* wakes the loop when a process of an unknown mount namespace execs */
	bool watcher_due;	    /* loaded at the second poll: after the first events are out (start-up) */
	/* makes the watcher (ctx.c: watch.c's gb_watch_open, which the loop sits below); NULL: none */
	void (*open_watcher)(struct gb_ctx *ctx);
	bool ns_waiting; /* a namespace not identified yet may be a container being made: poll */
	unsigned ticks, polls;
	unsigned interval_ms;
	uint64_t next_poll_ms, next_tick_ms;
	char *host_root, *btf_path;
	struct gb_container_filter filter; /* strings owned */
	struct gb_source *sources[GB_CTX_MAX_SOURCES];
	int nsources;
	struct pub_sub **subs;
	int nsubs;
	struct gb_container_exit *exits; /* read from a ring buffer, applied once all are read */
	size_t nexits, exits_cap;
	/* the first scan of the node's containers runs in a thread of its own while the caller loads its
	 * tracers (both take tens of ms); whatever needs the table waits for it (gb_ctx_ready) */
	pthread_t scan;
	bool scanning, ready, no_watch;
	/* the scan runs at a lower priority while the caller loads (on one CPU it would halve the load's
	 * speed), and at the caller's once the caller waits for it */
	pthread_mutex_t scan_lock;
	int scan_tid; /* while it runs lowered */
	int caller_nice;
	bool scan_waited, scan_done;
};

/* The loop's fds (epoll, timer, stop) and the first scan's thread. 0, or -1 with errno after logging. */
int gb_loop_open(struct gb_ctx *ctx);
/* Wait for the scan thread and close the fds (the sources are removed by their owners first). */
void gb_loop_close(struct gb_ctx *ctx);

/* Read @ringbuf_fd (a BPF_MAP_TYPE_RINGBUF of gadget.h records) for @owner. NULL with errno after logging. */
struct gb_source *gb_source_add(struct gb_ctx *ctx, int ringbuf_fd, const struct gb_source_ops *ops, void *owner,
				bool internal);
/* Stop reading it and free it (NULL: nothing). */
void gb_source_remove(struct gb_source *s);
/* Keep the buffer read until the first container scan is done (its records wait in user space). */
void gb_source_wait_scan(struct gb_source *s);
/* Deliver what waits (early records, what the owner held), then what the buffer holds. Returns events
 * delivered, or a negative errno. */
int gb_source_consume(struct gb_source *s);

/* Records kept in user space (early, held), as [size_t size][bytes]...: append one (false: no memory, nothing
 * appended); the one at *@off (its bytes and size), moving *@off past it, or NULL at the end. */
bool gb_keep_record(struct strbuf *sb, const void *data, size_t size);
void *gb_next_record(const struct strbuf *sb, size_t *off, size_t *size);

const struct gb_container_filter *gb_ctx_filter(const struct gb_ctx *ctx);
const char *gb_ctx_btf_path(const struct gb_ctx *ctx);
/* Wait for the context's first container scan (then the watcher is due). 0 or a negative errno. */
int gb_ctx_ready(struct gb_ctx *ctx);
/* Whether that scan has ended (gb_ctx_ready() would not wait). */
bool gb_ctx_scan_done(struct gb_ctx *ctx);
/* A container's init exited (a record in one ring buffer). The other buffers may still hold its earlier
 * events: it leaves the table once every buffer has been read in full after the record was (the loop's next
 * pass), or at gb_ctx_apply_exits (a tracer stopping, its buffers read). */
void gb_ctx_container_exited(struct gb_ctx *ctx, uint32_t pid, uint64_t mntns);
void gb_ctx_apply_exits(struct gb_ctx *ctx);
/* Make the watcher now if it is due (gb_ctx_ready made it so). */
void gb_ctx_open_watcher(struct gb_ctx *ctx);

#endif
