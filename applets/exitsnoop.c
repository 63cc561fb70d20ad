/* exitsnoop-k8s: every process exit on the node, with its container and why it died. Flags follow libbpf-tools'
 * exitsnoop (-t time, -x failed only, -p PID, -T threads). */
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "metrics.h"
#include "rows.h"
#include "frontend.h"
#include "gadgetbox.h"
#include "sigtext.h"
#include "signames.h"
#include "stream.h"
#include "strbuf.h"
#include "applets.h"

static struct env {
	bool time;
	bool failed;
	bool threads;
	bool containers_only;
	unsigned long pid;
} env;

enum { OPT_CONTAINERS_ONLY = GB_LONG_OPT };

static const struct gb_opt opts[] = {
	{"time", 't', NULL, "include a time column (HH:MM:SS)"},
	{"failed", 'x', NULL, "only failed ends: a non-zero exit code or a signal"},
	{"pid", 'p', "PID", "trace this process only"},
	{"threads", 'T', NULL, "every thread's end, not only each process's"},
	{"containers-only", OPT_CONTAINERS_ONLY, NULL,
	 "only the ends of containers (their init exited): the crash-loop history of the node"},
	{0},
};

static int parse(int key, const char *arg)
{
	switch (key) {
	case 't': env.time = true; break;
	case 'x': env.failed = true; break;
	case 'T': env.threads = true; break;
	case OPT_CONTAINERS_ONLY: env.containers_only = true; break;
	case 'p': return gb_parse_pid_opt(arg, "PID", &env.pid);
	}
	return 0;
}

static void on_exit_event(void *ctx, const struct gb_exit_event *e)
{
	if (env.containers_only && !e->container_end)
		return;
	gb_metrics_exit(e);
	gb_exit_row(ctx, e, env.threads);
}

static struct gb_tracer *open_tracer(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_exit_opts, xo, .on_event = on_exit_event, .on_lost = gb_cli_lost, .cb_ctx = out, .pid = env.pid,
		.threads = env.threads, .failed_only = env.failed, .ringbuf_bytes = gb_opts.buffer_bytes);
	return gb_exit__open(ctx, &xo);
}

static int run(void)
{
	char cols[160];

	snprintf(cols, sizeof(cols), "container,%scomm,pid,ppid,%sageSec,exit,cause,detail", env.time ? "time," : "",
		 env.threads ? "tid," : "");
	return gb_cli_stream(&(struct gb_cli_stream){.rows = &gb_exit_rows, .columns = cols, .open = open_tracer});
}

const struct gb_applet exitsnoop_applet = {
	.name = "exitsnoop-k8s",
	.summary = "Trace every process exit on the node, with its container and why it died.",
	.examples = "  exitsnoop-k8s                    # every process end: exit code, or signal and its sender\n"
		    "  exitsnoop-k8s -x                 # only failures: non-zero exit codes and signals\n"
		    "  exitsnoop-k8s --containers-only  # one line per container that ended (crash loops)\n"
		    "  exitsnoop-k8s -t -c 'web-*'      # time column, containers whose name starts with web-\n"
		    "  exitsnoop-k8s --filter cause==oom -o json   # OOM kills, with memory and limit\n"
		    "  exitsnoop-k8s -T -p 4242         # every thread of process 4242\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_BUFFER | GB_OPTS_METRICS,
	.parse = parse,
	.run = run,
};
