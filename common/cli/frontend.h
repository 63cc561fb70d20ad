/*
 * The command line's side of every applet (not part of libgadgetbox): the library's messages on stderr,
 * escaped for the terminal, and with -o json also as {"type":"warning"} records; the context built from the
 * shared options; the loop that owns signals, --timeout and a closed output; lost events on stderr and as
 * {"type":"lost"} records.
 */
#ifndef GADGETBOX_FRONTEND_H
#define GADGETBOX_FRONTEND_H

#include "gadgetbox.h"
#include "output.h"

/* Messages go to stderr (and, once @out is set, warnings into it as records). Call first; again with the
 * output once it exists. */
void gb_cli_log_init(struct output *out);
/* "prog: message" on stderr, escaped: for what the command itself has to say. */
void gb_cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The context from the shared options (--host-root, --btf, the container filters, -v), watching the runtimes
 * if @watch (not for a snapshot), after checking that tracers can be loaded if @bpf; NULL after saying why.
 * With @bpf, outside the host's pid namespace (a debug container without --pid=host), a warning naming
 * --pid=host. */
struct gb_ctx *gb_cli_ctx_new(bool watch, bool bpf);
/* For an applet that is useless without the host's processes (pssnap): gb_cli_ctx_new() then fails, naming
 * --pid=host, where it would only warn. Call before it. */
void gb_cli_need_host_pids(void);
/* Print the header, then deliver events until SIGINT/SIGTERM/SIGHUP, --timeout, a closed output or an
 * error; then stop @tracer (if any; the caller frees it), delivering what it still holds. Returns the exit code. */
int gb_cli_run(struct gb_ctx *ctx, struct gb_tracer *tracer, struct output *out);
/* The same, calling @tick every @interval seconds (a snapshot's --interval, a periodic summary). */
int gb_cli_run_every(struct gb_ctx *ctx, struct gb_tracer *tracer, struct output *out, double interval,
		     void (*tick)(void *arg), void *arg);
/* The same for several tracers on @ctx writing to several outputs (the agent): each output is flushed after each
 * batch; the loop ends when any of them is closed; every tracer is stopped at the end. */
int gb_cli_run_many(struct gb_ctx *ctx, struct gb_tracer *const *tracers, size_t ntracers, struct output *const *outs,
		    size_t nouts, double interval, void (*tick)(void *arg), void *arg);
/* Columns: the line before each snapshot of a periodic one (--interval, --watch) saying when it was taken,
 * as top -b starts each of its own: "--- 23:01:02 ---" (@ns: since the epoch). JSON rows carry timestamp. */
void gb_cli_snapshot_time(struct output *out, uint64_t ns);
/* Write what is buffered, warnings from the library's threads (as JSON records) included. */
void gb_cli_flush(struct output *out);
/* A gb_lost_fn for tracers (cb_ctx: the struct output). */
void gb_cli_lost(void *out, uint64_t lost, uint64_t total);
/* --metrics (if given): serve them, for the run of @ctx; 0, or 1 after saying why it cannot listen. Stopped by
 * gb_metrics_stop(). */
int gb_cli_metrics_start(void);
/* The row writer went away (EPIPE): stop the context from inside an event callback. */
void gb_cli_check_closed(struct output *out);

#endif
