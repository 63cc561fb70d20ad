/* bindsnoop-k8s: every bind() on the node, with its container, its result and, for an address in use, who holds
 * it. Flags follow BCC's bindsnoop where they mean the same. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "event.h"
#include "metrics.h"
#include "rows.h"
#include "frontend.h"
#include "jsonw.h"
#include "sockfmt.h"
#include "stream.h"
#include "gadgetbox.h"
#include "applets.h"

static struct env {
	bool time;
	bool timestamp;
	bool failed;
	bool print_uid;
	bool inet_only;
	bool no_holders;
	unsigned long uid;
	unsigned long pid;
	uint16_t ports[GB_BIND_MAX_PORTS];
	size_t nports;
} env = {
	.uid = GB_NO_UID,
};

enum {
	OPT_INET = GB_LONG_OPT,
	OPT_NO_HOLDERS,
};

static const struct gb_opt opts[] = {
	{"timestamp", 't', NULL, "include a column of seconds since start"},
	{"time", 'T', NULL, "include a time column (HH:MM:SS)"},
	{"failed", 'x', NULL, "only binds that failed (EADDRINUSE, EACCES, EADDRNOTAVAIL, ...)"},
	{"pid", 'p', "PID", "trace this process only"},
	{"ports", 'P', "PORTS", "only IPv4/IPv6 binds to these ports (comma list, at most 16)"},
	{"uid", 'u', "UID", "trace this UID only"},
	{"print-uid", 'U', NULL, "print a UID column"},
	{"inet", OPT_INET, NULL, "only IPv4 and IPv6 binds (as BCC's bindsnoop); else UNIX, packet, netlink ... too"},
	{"no-holders", OPT_NO_HOLDERS, NULL, "do not look for who holds an address in use (EADDRINUSE)"},
	{0},
};

static int parse(int key, const char *arg)
{
	switch (key) {
	case 't': env.timestamp = true; break;
	case 'T': env.time = true; break;
	case 'x': env.failed = true; break;
	case 'U': env.print_uid = true; break;
	case OPT_INET: env.inet_only = true; break;
	case OPT_NO_HOLDERS: env.no_holders = true; break;
	case 'u': return gb_parse_uid_opt(arg, &env.uid);
	case 'p': return gb_parse_pid_opt(arg, "PID", &env.pid);
	case 'P': return gb_parse_ports(arg, "--ports", env.ports, GB_BIND_MAX_PORTS, &env.nports);
	}
	return 0;
}
static void on_bind(void *ctx, const struct gb_bind_event *e)
{
	gb_metrics_bind(e);
	gb_bind_row(ctx, e);
}

static struct gb_tracer *open_tracer(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_bind_opts, bo, .on_event = on_bind, .on_lost = gb_cli_lost, .cb_ctx = out, .pid = env.pid,
		.uid_given = env.uid != GB_NO_UID, .uid = env.uid, .failed_only = env.failed,
		.inet_only = env.inet_only, .ports = env.ports, .nports = env.nports, .no_holders = env.no_holders,
		.ringbuf_bytes = gb_opts.buffer_bytes);
	return gb_bind__open(ctx, &bo);
}

static int run(void)
{
	char cols[200];

	snprintf(cols, sizeof(cols), "container,%s%s%scomm,pid,result,proto,opts,if,endpoint,heldBy",
		 env.time ? "time," : "", env.timestamp ? "elapsed," : "", env.print_uid ? "uid," : "");
	return gb_cli_stream(&(struct gb_cli_stream){.rows = &gb_bind_rows, .columns = cols, .open = open_tracer});
}

const struct gb_applet bindsnoop_applet = {
	.name = "bindsnoop-k8s",
	.summary = "Trace every bind() on the node, with its container; who holds an address in use.",
	.examples = "  bindsnoop-k8s                # every bind of the containers, with its result\n"
		    "  bindsnoop-k8s -x             # failed binds only: EADDRINUSE names who holds the port\n"
		    "  bindsnoop-k8s -P 80,443 --inet  # IPv4/IPv6 binds to ports 80 and 443\n"
		    "  bindsnoop-k8s --host -t -U   # host processes too, seconds and UID columns\n"
		    "  bindsnoop-k8s -o json        # one JSON object per line (holders: who holds it)\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_BUFFER | GB_OPTS_METRICS,
	.parse = parse,
	.run = run,
};
