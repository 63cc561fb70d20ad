/* tcptracer-k8s: every TCP connect, accept and close on the node, with its container and process. Flags follow BCC's
 * tcptracer and tcpconnect where they overlap. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "event.h"
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

enum {
	TTF_TYPE = GBF_COUNT,
	TTF_T,
	TTF_IPVERSION,
	TTF_LOCAL,
	TTF_REMOTE,
	TTF_SADDR,
	TTF_SPORT,
	TTF_DADDR,
	TTF_DPORT,
	TTF_RESULT,
	TTF_ERROR,
	TTF_LATENCY,
	TTF_AGE,
	TTF_MS,
	TTF_LISTEN_ADDR,
	TTF_LISTEN_PORT,
	TTF_SENT,
	TTF_RECEIVED,
	TTF_RETRANS,
	TTF_SYN_RETRANS,
	TTF_ENDED_BY,
	TTF_CLOSER,
	TTF_NETNS,
	TTF_COUNT,
};

#define F(x) [(x)-GBF_COUNT]
static const struct out_field fields[TTF_COUNT - GBF_COUNT] = {
	F(TTF_TYPE) = {"type", "TYPE", 7, 0},
	F(TTF_T) = {"t", "T", 1, OUT_F_COLONLY},
	F(TTF_IPVERSION) = {"ipversion", "IP", 2, 0},
	F(TTF_LOCAL) = {"local", "LOCAL", 21, OUT_F_COLONLY},
	F(TTF_REMOTE) = {"remote", "REMOTE", 21, OUT_F_COLONLY},
	F(TTF_SADDR) = {"saddr", "SADDR", 15, 0},
	F(TTF_SPORT) = {"sport", "SPORT", 5, 0},
	F(TTF_DADDR) = {"daddr", "DADDR", 15, 0},
	F(TTF_DPORT) = {"dport", "DPORT", 5, 0},
	F(TTF_RESULT) = {"result", "RESULT", 12, OUT_F_COLONLY},
	F(TTF_ERROR) = {"error", "ERROR", 12, 0},
	F(TTF_LATENCY) = {"latency", "LAT(ns)", 10, 0},
	F(TTF_AGE) = {"age", "AGE(ns)", 10, 0},
	F(TTF_MS) = {"ms", "MS", 9, OUT_F_COLONLY},
	F(TTF_LISTEN_ADDR) = {"listenAddr", "LISTENADDR", 15, 0},
	F(TTF_LISTEN_PORT) = {"listenPort", "LPORT", 5, 0},
	F(TTF_SENT) = {"sent", "TX", 8, 0},
	F(TTF_RECEIVED) = {"received", "RX", 8, 0},
	F(TTF_RETRANS) = {"retransmits", "RETRANS", 7, 0},
	F(TTF_SYN_RETRANS) = {"synRetransmits", "SYNRETR", 7, 0},
	F(TTF_ENDED_BY) = {"endedBy", "ENDED-BY", 14, 0},
	F(TTF_CLOSER) = {"closer", "CLOSER", 6, 0},
	F(TTF_NETNS) = {"netns", "NETNS", 10, 0},
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
	struct output *o = ctx;
	static const char letters[] = {[GB_TCP_CONNECT] = 'C', [GB_TCP_ACCEPT] = 'A', [GB_TCP_CLOSE] = 'X'};
	char local[64], remote[64], saddr[48], daddr[48], laddr[48], ms[32], err[16];
	bool v6 = e->family == AF_INET6;

	gb_event_begin(o, &e->proc);
	out_str(o, TTF_TYPE, gb_tcp_event_type_name(e->type));
	out_strn(o, TTF_T, &letters[e->type], 1);
	out_u64(o, TTF_IPVERSION, v6 ? 6 : 4);
	gb_fmt_endpoint(local, sizeof(local), e->family, e->saddr, e->sport, false, "");
	gb_fmt_endpoint(remote, sizeof(remote), e->family, e->daddr, e->dport, false, "");
	out_str(o, TTF_LOCAL, local);
	out_str(o, TTF_REMOTE, remote);
	gb_fmt_addr(saddr, sizeof(saddr), e->family, e->saddr);
	gb_fmt_addr(daddr, sizeof(daddr), e->family, e->daddr);
	out_str(o, TTF_SADDR, saddr);
	out_u64(o, TTF_SPORT, e->sport);
	out_str(o, TTF_DADDR, daddr);
	out_u64(o, TTF_DPORT, e->dport);
	out_u64(o, TTF_NETNS, e->netns);
	switch (e->type) {
	case GB_TCP_CONNECT:
		out_str(o, TTF_RESULT, e->error ? gb_errno_name(e->error, err) : "established");
		if (e->error)
			out_str(o, TTF_ERROR, gb_errno_name(e->error, err));
		out_u64(o, TTF_LATENCY, e->latency_ns);
		snprintf(ms, sizeof(ms), "%.3f", e->latency_ns / 1e6);
		out_str(o, TTF_MS, ms);
		out_u64(o, TTF_SYN_RETRANS, e->syn_retransmits);
		break;
	case GB_TCP_ACCEPT:
		if (!e->listen_port) { /* the listener is not known */
			out_str(o, TTF_RESULT, "accepted");
			break;
		}
		gb_fmt_endpoint(ms, sizeof(ms), e->family, e->listen_addr, e->listen_port, false, "");
		out_str(o, TTF_RESULT, ms);
		/* a buffer of its own: the fields are written when the event ends (saddr's was overwritten) */
		gb_fmt_addr(laddr, sizeof(laddr), e->family, e->listen_addr);
		out_str(o, TTF_LISTEN_ADDR, laddr);
		out_u64(o, TTF_LISTEN_PORT, e->listen_port);
		break;
	case GB_TCP_CLOSE:
		out_str(o, TTF_RESULT, gb_tcp_end_name(e->ended_by));
		out_str(o, TTF_ENDED_BY, gb_tcp_end_name(e->ended_by));
		if (e->age_ns) {
			out_u64(o, TTF_AGE, e->age_ns);
			snprintf(ms, sizeof(ms), "%.3f", e->age_ns / 1e6);
			out_str(o, TTF_MS, ms);
		}
		out_u64(o, TTF_SENT, e->bytes_sent);
		out_u64(o, TTF_RECEIVED, e->bytes_received);
		out_u64(o, TTF_RETRANS, e->retransmits);
		out_bool(o, TTF_CLOSER, e->closer);
		break;
	}
	out_end(o);
	gb_cli_check_closed(o);
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
	return gb_cli_stream(&(struct gb_cli_stream){
		.fields = fields, .nfields = TTF_COUNT - GBF_COUNT, .columns = cols, .open = open_tracer});
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
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_BUFFER,
	.parse = parse,
	.run = run,
};
