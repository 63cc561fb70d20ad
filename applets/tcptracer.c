/* tcptracer-k8s: every TCP connect, accept and close on the node, with its container and process. Flags follow BCC's
 * tcptracer and tcpconnect where they overlap. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "event.h"
#include "metrics.h"
#include "rows.h"
#include "frontend.h"
#include "sockfmt.h"
#include "stream.h"
#include "gadgetbox.h"
#include "applets.h"

static struct env {
	bool time;
	bool timestamp;
	bool failed;
	bool print_uid;
	unsigned long uid;
	unsigned long pid;
	unsigned types;
	uint16_t ports[GB_TCP_MAX_PORTS];
	size_t nports;
} env = {
	.uid = GB_NO_UID,
};

enum {
	OPT_TYPE = GB_LONG_OPT,
};

static const struct gb_opt opts[] = {
	{"timestamp", 't', NULL, "include a column of seconds since start"},
	{"time", 'T', NULL, "include a time column (HH:MM:SS)"},
	{"failed", 'x', NULL, "only failed connects and connections ended by a reset or a timeout"},
	{"pid", 'p', "PID", "trace this process only"},
	{"ports", 'P', "PORTS", "only connections with one of these ports at either end (comma list, at most 16)"},
	{"uid", 'u', "UID", "trace this UID only"},
	{"print-uid", 'U', NULL, "print a UID column"},
	{"type", OPT_TYPE, "EVENTS", "only these events: connect, accept, close (comma list)"},
	{0},
};

static int add_type(const char *w)
{
	static const char *const names[] = {
		[GB_TCP_CONNECT] = "connect", [GB_TCP_ACCEPT] = "accept", [GB_TCP_CLOSE] = "close"};

	for (unsigned t = GB_TCP_CONNECT; t <= GB_TCP_CLOSE; t++)
		if (!strcmp(w, names[t])) {
			env.types |= 1u << t;
			return 0;
		}
	return gb_usage_error("--type: '%s' is not connect, accept or close", w);
}

static int parse(int key, const char *arg)
{
	char buf[128];

	switch (key) {
	case 't': env.timestamp = true; break;
	case 'T': env.time = true; break;
	case 'x': env.failed = true; break;
	case 'U': env.print_uid = true; break;
	case 'u': return gb_parse_uid_opt(arg, &env.uid);
	case 'p': return gb_parse_pid_opt(arg, "PID", &env.pid);
	case 'P': return gb_parse_ports(arg, "--ports", env.ports, GB_TCP_MAX_PORTS, &env.nports);
	case OPT_TYPE:
		snprintf(buf, sizeof(buf), "%s", arg);
		for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
			if (add_type(w))
				return -1;
		break;
	}
	return 0;
}

static void on_tcp(void *ctx, const struct gb_tcp_event *e)
{
	gb_metrics_tcp(e);
	gb_tcp_row(ctx, e);
}

static struct gb_tracer *open_tracer(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_tcp_opts, to, .on_event = on_tcp, .on_lost = gb_cli_lost, .cb_ctx = out, .pid = env.pid,
		.uid_given = env.uid != GB_NO_UID, .uid = env.uid, .types = env.types, .failed_only = env.failed,
		.ports = env.ports, .nports = env.nports, .ringbuf_bytes = gb_opts.buffer_bytes);
	return gb_tcp__open(ctx, &to);
}

static int run(void)
{
	char cols[200];

	snprintf(cols, sizeof(cols), "container,%s%s%st,pid,comm,ipversion,local,remote,result,ms,sent,received",
		 env.time ? "time," : "", env.timestamp ? "elapsed," : "", env.print_uid ? "uid," : "");
	return gb_cli_stream(&(struct gb_cli_stream){.rows = &gb_tcp_rows, .columns = cols, .open = open_tracer});
}

const struct gb_applet tcptracer_applet = {
	.name = "tcptracer-k8s",
	.summary = "Trace every TCP connect, accept and close on the node, with its container and process.",
	.examples = "  tcptracer-k8s                # connects (with their result and latency), accepts, closes\n"
		    "  tcptracer-k8s -x             # failed connects and resets only\n"
		    "  tcptracer-k8s --type connect -P 2379   # connects to or from port 2379 (etcd)\n"
		    "  tcptracer-k8s --host -t -U   # host processes too, seconds and UID columns\n"
		    "  tcptracer-k8s -o json        # bytes, retransmits, who ended it, the listener ...\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_BUFFER | GB_OPTS_METRICS,
	.parse = parse,
	.run = run,
};
