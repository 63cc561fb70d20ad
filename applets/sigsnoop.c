/* sigsnoop-k8s: every signal sent to or by the node's containers' processes, with both ends' containers. Flags
 * follow BCC's sigsnoop (-x failed, -k kill() only, -s signals, -p PID, -n NAME). */
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
#include "applets.h"

static struct env {
	bool time;
	bool failed;
	bool kill_only;
	unsigned long long signals;
	unsigned long pid;
	const char *name;
} env;

static const struct gb_opt opts[] = {
	{"time", 'T', NULL, "include a time column (HH:MM:SS)"},
	{"failed", 'x', NULL, "only failures: signals not delivered (ignored, pending already) and failed kill()s"},
	{"kill", 'k', NULL,
	 "only what kill(), tkill(), tgkill(), pidfd_send_signal() and sigqueue() send (and their failures)"},
	{"signal", 's', "SIGNALS", "only these signals (comma list: TERM,KILL,SIGHUP,1)"},
	{"pid", 'p', "PID", "only signals sent by or to this process"},
	{"name", 'n', "NAME", "only signals whose sender's or target's name contains NAME"},
	{0},
};

static int parse(int key, const char *arg)
{
	switch (key) {
	case 'T': env.time = true; break;
	case 'x': env.failed = true; break;
	case 'k': env.kill_only = true; break;
	case 'n': env.name = arg; break;
	case 's': return gb_parse_signals(arg, &env.signals);
	case 'p': return gb_parse_pid_opt(arg, "PID", &env.pid);
	}
	return 0;
}

static void on_signal(void *ctx, const struct gb_signal_event *e)
{
	if (env.name && !strstr(e->proc.comm, env.name) && !strstr(e->target.comm, env.name))
		return;
	gb_metrics_signal(e);
	gb_signal_row(ctx, e);
}

static struct gb_tracer *open_tracer(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_signal_opts, so, .on_event = on_signal, .on_lost = gb_cli_lost, .cb_ctx = out, .pid = env.pid,
		.signals = env.signals, .failed_only = env.failed, .kill_only = env.kill_only,
		.ringbuf_bytes = gb_opts.buffer_bytes);
	return gb_signal__open(ctx, &so);
}

static int run(void)
{
	char cols[200];

	snprintf(cols, sizeof(cols),
		 "container,%sspid,sender,signal,target.pid,target.comm,target.container,result,reason,detail",
		 env.time ? "time," : "");
	return gb_cli_stream(&(struct gb_cli_stream){.rows = &gb_signal_rows, .columns = cols, .open = open_tracer});
}

const struct gb_applet sigsnoop_applet = {
	.name = "sigsnoop-k8s",
	.summary = "Trace every signal sent to or by the node's containers, with both ends' containers.",
	.examples = "  sigsnoop-k8s                    # every signal: sender (or the kernel), target, result\n"
		    "  sigsnoop-k8s -s KILL,TERM       # only SIGKILL and SIGTERM\n"
		    "  sigsnoop-k8s -x                 # only signals not delivered, and failed kill()s\n"
		    "  sigsnoop-k8s -k -T              # only kill(), tkill(), tgkill(); time column\n"
		    "  sigsnoop-k8s --filter reason==oom -o json   # OOM kills\n"
		    "  sigsnoop-k8s -p 4242 -c web     # signals sent by or to process 4242, container web\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_BUFFER | GB_OPTS_METRICS,
	.parse = parse,
	.run = run,
};
