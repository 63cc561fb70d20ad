/* agent: several gadgets at once on one context (one container table, one runtime watcher), their events as JSON
 * lines tagged with the gadget and the node, for the kubelet's logs and a log shipper; --metrics for Prometheus. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "frontend.h"
#include "metrics.h"
#include "rows.h"
#include "stream.h"
#include "gadgetbox.h"
#include "applets.h"

/*
 * Each gadget's ring buffer: the consumer maps its data pages twice, and all of them count in the agent's RSS from
 * the start (a 1 MiB default would make 14 MB for seven gadgets). Sized by how bursty what the agent keeps of each
 * gadget is: failed execs and opens come in bursts (a PATH search, an interpreter's imports), DNS messages are
 * large; connects, exits that failed and signals less so, failed binds rarely. The loop reads every 4 ms while
 * events flow, so 128 KiB still holds ~600 exits or signals between two reads. What overflows is counted.
 * Measured: 8.4 MB of RSS with 256 KiB for all, 7.3 MB with these.
 */
#define AGENT_RINGBUF_BYTES (256u << 10)
#define AGENT_RINGBUF_QUIET (128u << 10)
#define AGENT_RINGBUF_RARE  (64u << 10)

enum gadget { G_EXEC, G_OPEN, G_DNS, G_TCP, G_BIND, G_EXIT, G_SIGNAL, G_SECCOMP_AUDIT, G_COUNT };

struct agent_gadget {
	const struct gb_cli_rows *rows;
	/* cheap enough to run on every node by default: each costs a tracepoint hit per call of what it traces,
	 * and seccomp-audit's errno hook runs on every syscall of the node */
	bool by_default;
	struct gb_tracer *(*open)(struct gb_ctx *ctx, struct output *out);
};

static struct env {
	unsigned gadgets; /* bits 1 << enum gadget */
} env;

static const struct gb_opt opts[] = {
	{"gadgets", 'g', "GADGETS",
	 "the gadgets to run (comma list): exec, open, dns, tcp, bind, exit, signal, seccomp-audit (default: all "
	 "but seccomp-audit)"},
	{0},
};

static bool rows_wanted(void)
{
	return gb_opts.mode != OUT_NO_ROWS;
}

/* Each gadget's callbacks: count for --metrics, then write the row (what a fleet's logs want of it). */
static void on_exec(void *o, const struct gb_exec_event *e)
{
	gb_metrics_exec(e);
	if (rows_wanted())
		gb_exec_row(o, e, false);
}

static void on_open(void *o, const struct gb_open_event *e)
{
	gb_metrics_open(e);
	if (rows_wanted())
		gb_open_row(o, e);
}

static void on_dns(void *o, const struct gb_dns_event *e)
{
	gb_metrics_dns(e);
	if (rows_wanted()) {
		gb_dns_row(o, e);
		gb_cli_check_closed(o);
	}
}

static void on_tcp(void *o, const struct gb_tcp_event *e)
{
	gb_metrics_tcp(e);
	if (rows_wanted())
		gb_tcp_row(o, e);
}

static void on_bind(void *o, const struct gb_bind_event *e)
{
	gb_metrics_bind(e);
	if (rows_wanted())
		gb_bind_row(o, e);
}

/* every end is counted; the ones worth a line are failures (a non-zero code, a signal) and containers' ends */
static void on_exit_event(void *o, const struct gb_exit_event *e)
{
	gb_metrics_exit(e);
	if (rows_wanted() && (e->exit_code || e->signal || e->container_end))
		gb_exit_row(o, e, false);
}

/* every signal is counted; SIGCHLD (one per child that ends) gets no line */
static void on_signal(void *o, const struct gb_signal_event *e)
{
	gb_metrics_signal(e);
	if (rows_wanted() && e->info.origin != GB_SIGNAL_CHILD)
		gb_signal_row(o, e);
}

static void on_seccomp_audit(void *o, const struct gb_seccomp_audit_event *e)
{
	gb_metrics_seccomp_audit(e);
	if (rows_wanted())
		gb_seccomp_audit_row(o, e);
}

/* Lost events, per gadget: on stderr and as {"type":"lost","gadget":...} lines; --metrics counts them too. */
static void on_lost(void *arg, uint64_t lost, uint64_t total)
{
	struct output *o = arg;
	char line[200];

	gb_cli_say("%s: lost %llu events (ring buffer full or no memory); %llu lost so far", output_tag(o),
		   (unsigned long long)lost, (unsigned long long)total);
	int n = snprintf(line, sizeof(line), "{\"type\":\"lost\",\"timestamp\":%llu,\"gadget\":\"%s\",\"lost\":%llu}\n",
			 (unsigned long long)gb_clock_realtime_ns(), output_tag(o), (unsigned long long)lost);
	out_text(o, line, (size_t)n);
	output_flush(o);
}

static struct gb_tracer *open_exec(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_exec_opts, eo, .on_event = on_exec, .on_lost = on_lost, .cb_ctx = out, .failed = true,
		.ringbuf_bytes = AGENT_RINGBUF_BYTES);
	return gb_exec__open(ctx, &eo);
}

static struct gb_tracer *open_open(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_open_opts, oo, .on_event = on_open, .on_lost = on_lost, .cb_ctx = out, .failed_only = true,
		.ringbuf_bytes = AGENT_RINGBUF_BYTES);
	return gb_open__open(ctx, &oo);
}

static struct gb_tracer *open_dns(struct gb_ctx *ctx, struct output *out)
{
	/* a message may be 64 KiB: twice the others' */
	GB_OPTS(gb_dns_opts, dopts, .on_event = on_dns, .on_lost = on_lost, .cb_ctx = out,
		.ringbuf_bytes = 2 * AGENT_RINGBUF_BYTES);
	return gb_dns__open(ctx, &dopts);
}

static struct gb_tracer *open_tcp(struct gb_ctx *ctx, struct output *out)
{
	/* connects only: their result and latency; accepts and closes are a busy server's every request */
	GB_OPTS(gb_tcp_opts, to, .on_event = on_tcp, .on_lost = on_lost, .cb_ctx = out, .types = 1u << GB_TCP_CONNECT,
		.ringbuf_bytes = AGENT_RINGBUF_QUIET);
	return gb_tcp__open(ctx, &to);
}

static struct gb_tracer *open_bind(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_bind_opts, bo, .on_event = on_bind, .on_lost = on_lost, .cb_ctx = out,
		.ringbuf_bytes = AGENT_RINGBUF_RARE);
	return gb_bind__open(ctx, &bo);
}

static struct gb_tracer *open_exit(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_exit_opts, xo, .on_event = on_exit_event, .on_lost = on_lost, .cb_ctx = out,
		.ringbuf_bytes = AGENT_RINGBUF_QUIET);
	return gb_exit__open(ctx, &xo);
}

static struct gb_tracer *open_signal(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_signal_opts, so, .on_event = on_signal, .on_lost = on_lost, .cb_ctx = out,
		.ringbuf_bytes = AGENT_RINGBUF_QUIET);
	return gb_signal__open(ctx, &so);
}

static struct gb_tracer *open_seccomp_audit(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_seccomp_audit_opts, ao, .on_event = on_seccomp_audit, .on_lost = on_lost, .cb_ctx = out,
		.ringbuf_bytes = AGENT_RINGBUF_QUIET);
	return gb_seccomp_audit__open(ctx, &ao);
}

static const struct agent_gadget gadgets[G_COUNT] = {
	[G_EXEC] = {&gb_exec_rows, true, open_exec},
	[G_OPEN] = {&gb_open_rows, true, open_open},
	[G_DNS] = {&gb_dns_rows, true, open_dns},
	[G_TCP] = {&gb_tcp_rows, true, open_tcp},
	[G_BIND] = {&gb_bind_rows, true, open_bind},
	[G_EXIT] = {&gb_exit_rows, true, open_exit},
	[G_SIGNAL] = {&gb_signal_rows, true, open_signal},
	[G_SECCOMP_AUDIT] = {&gb_seccomp_audit_rows, false, open_seccomp_audit},
};

static int add_gadget(const char *w, const char *what)
{
	for (unsigned g = 0; g < G_COUNT; g++)
		if (!strcmp(w, gadgets[g].rows->gadget)) {
			env.gadgets |= 1u << g;
			return 0;
		}
	return gb_usage_error("%s: unknown gadget '%s' (exec, open, dns, tcp, bind, exit, signal, seccomp-audit)", what,
			      w);
}

static int parse(int key, const char *arg)
{
	switch (key) {
	case 'g': env.gadgets = 0; return gb_each_word(arg, "--gadgets", add_gadget);
	}
	return 0;
}

static int run(void)
{
	struct output *outs[G_COUNT] = {0};
	struct gb_tracer *tracers[G_COUNT] = {0};
	struct gb_ctx *ctx = NULL;
	size_t n = 0;
	int rc = 0;

	if (!env.gadgets)
		for (unsigned g = 0; g < G_COUNT; g++)
			env.gadgets |= (unsigned)gadgets[g].by_default << g;
	if (gb_opts.mode == OUT_NO_ROWS && !gb_opts.metrics_addr)
		return gb_usage_error("-o none writes nothing: give --metrics ADDR"), 2;
	if (gb_opts.mode == OUT_COLUMNS) /* the gadgets' rows differ: one JSON object per line */
		gb_opts.mode = OUT_JSON;
	gb_event_node_always(true);
	/* one output per gadget, its rows tagged "gadget"; all of them write to stdout, a whole line at a time */
	unsigned which[G_COUNT];
	for (unsigned g = 0; g < G_COUNT; g++) {
		if (!(env.gadgets & (1u << g)))
			continue;
		if (!(outs[n] = gb_output_setup(gadgets[g].rows->fields, gadgets[g].rows->nfields, "container"))) {
			rc = 2;
			goto out;
		}
		output_set_tag(outs[n], gadgets[g].rows->gadget);
		which[n++] = g;
	}
	if (!(ctx = gb_cli_ctx_new(true, true)) || gb_cli_metrics_start()) {
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(tracers[i] = gadgets[which[i]].open(ctx, outs[i]))) {
			gb_cli_say("%s: the gadget could not start", gadgets[which[i]].rows->gadget);
			rc = 1;
			goto out;
		}
		gb_metrics_tracer(gadgets[which[i]].rows->gadget, tracers[i]);
	}
	rc = gb_cli_run_many(ctx, tracers, n, outs, n, 0, NULL, NULL);
out:
	gb_metrics_stop();
	for (size_t i = 0; i < n; i++)
		gb_tracer__free(tracers[i]);
	gb_ctx__free(ctx);
	gb_open_rows_free();
	for (size_t i = 0; i < n; i++) {
		if (outs[i])
			gb_cli_flush(outs[i]);
		output_free(outs[i]);
	}
	return rc;
}

const struct gb_applet agent_applet = {
	.name = "agent",
	.summary = "Run several gadgets at once: JSON lines for a node's logs, Prometheus metrics (--metrics).",
	.examples =
		"  agent                                 # every gadget but seccomp-audit, JSON lines on stdout\n"
		"  agent --metrics :9100 -o none         # metrics only, at http://NODE:9100/metrics\n"
		"  agent -g dns,exit --metrics 127.0.0.1:9100   # DNS and process ends, lines and metrics\n"
		"  NODE_NAME=node-1 agent -g exec        # k8s.node on every line (the downward API's spec.nodeName)\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_METRICS,
	.parse = parse,
	.run = run,
};
