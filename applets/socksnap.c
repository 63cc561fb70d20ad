/* socksnap: a snapshot of the sockets of the node's containers, like ss -tunap, with their owners' containers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "escape.h"
#include "event.h"
#include "frontend.h"
#include "jsonw.h"
#include "gadgetbox.h"
#include "sockfmt.h"
#include "applets.h"

/* ss's state numbers are the kernel's TCP_* ones; a filter is a bit mask of them */
#define ST(s)	       (1u << (s))
#define ST_ALL	       0xfffu
#define ST_LISTEN_ONLY (ST(10) | ST(7)) /* LISTEN, and UNCONN (UDP, unconnected UNIX) */
/* ss's default: connected sockets, without listeners, TIME-WAIT and SYN-RECV */
#define ST_CONNECTED (ST_ALL & ~(ST(10) | ST(7) | ST(6) | ST(3)))

static struct env {
	unsigned protocols;
	bool v4, v6;
	unsigned states; /* 0: the default (-l, -a or connected) */
	bool listening, all;
	bool extended, info;
	unsigned long port;
	bool port_given;
	double interval;
	unsigned long count;
	bool diff;
} env;

enum {
	OPT_STATE = GB_LONG_OPT,
	OPT_PORT,
	OPT_INTERVAL,
	OPT_DIFF,
	OPT_COUNT,
};

static const struct gb_opt opts[] = {
	{"tcp", 't', NULL, "TCP sockets (with none of -t -u -x: TCP and UDP)"},
	{"udp", 'u', NULL, "UDP sockets"},
	{"unix", 'x', NULL, "UNIX sockets"},
	{"listening", 'l', NULL, "listening sockets only (LISTEN, and UNCONN for UDP)"},
	{"all", 'a', NULL, "sockets in every state (default: connected ones, like ss)"},
	{"ipv4", '4', NULL, "IPv4 sockets only"},
	{"ipv6", '6', NULL, "IPv6 sockets only"},
	{"numeric", 'n', NULL, "numeric addresses and ports (always; accepted for ss's habit)"},
	{"processes", 'p', NULL, "the owning processes (always shown; accepted for ss's habit)"},
	{"extended", 'e', NULL, "also uid, inode, cookie, netns"},
	{"info", 'i', NULL, "also TCP's internals: rtt, cwnd, retransmits, bytes"},
	{"state", OPT_STATE, "STATES",
	 "only these states (comma list): established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait closed "
	 "close-wait last-ack listening closing; all connected synchronized bucket big"},
	{"port", OPT_PORT, "PORT", "only sockets whose local or peer port is PORT"},
	{"interval", OPT_INTERVAL, "SECONDS", "take a snapshot every SECONDS until interrupted"},
	{"count", OPT_COUNT, "N", "with --interval: stop after N snapshots"},
	{"diff", OPT_DIFF, NULL,
	 "with --interval: after the first (the baseline, =), only sockets that appeared (+) or went (-)"},
	{0},
};

static const struct {
	const char *name;
	unsigned mask;
} state_names[] = {
	{"established", ST(1)},	     {"syn-sent", ST(2)},
	{"syn-recv", ST(3)},	     {"fin-wait-1", ST(4)},
	{"fin-wait-2", ST(5)},	     {"time-wait", ST(6)},
	{"closed", ST(7)},	     {"unconn", ST(7)},
	{"close-wait", ST(8)},	     {"last-ack", ST(9)},
	{"listening", ST(10)},	     {"listen", ST(10)},
	{"closing", ST(11)},	     {"all", ST_ALL},
	{"connected", ST_CONNECTED}, {"synchronized", ST_CONNECTED & ~ST(2)},
	{"bucket", ST(3) | ST(6)},   {"big", ST_ALL & ~(ST(3) | ST(6))},
};

static int parse_states(const char *arg)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < sizeof(state_names) / sizeof(*state_names) && strcasecmp(w, state_names[i].name))
			i++;
		if (i == sizeof(state_names) / sizeof(*state_names))
			return gb_usage_error("unknown socket state '%s' (see --help)", w);
		env.states |= state_names[i].mask;
	}
	return 0;
}

static int parse(int key, const char *arg)
{
	switch (key) {
	case 't': env.protocols |= GB_SOCK_TCP; break;
	case 'u': env.protocols |= GB_SOCK_UDP; break;
	case 'x': env.protocols |= GB_SOCK_UNIX; break;
	case 'l': env.listening = true; break;
	case 'a': env.all = true; break;
	case '4': env.v4 = true; break;
	case '6': env.v6 = true; break;
	case 'e': env.extended = true; break;
	case 'i': env.info = true; break;
	case 'n':
	case 'p': break;
	case OPT_STATE: return parse_states(arg);
	case OPT_PORT:
		env.port_given = true;
		if (gb_parse_ulong(arg, 65535, &env.port))
			return gb_usage_error("--port: '%s' is not a port number", arg);
		break;
	case OPT_INTERVAL:
		if (gb_parse_seconds(arg, &env.interval) || env.interval < 0.001)
			return gb_usage_error("--interval: '%s' is not a number of seconds (0.001 or more)", arg);
		break;
	case OPT_COUNT:
		if (gb_parse_ulong(arg, 1000000000, &env.count) || !env.count)
			return gb_usage_error("--count: '%s' is not a positive number", arg);
		break;
	case OPT_DIFF: env.diff = true; break;
	}
	return 0;
}

enum {
	SSF_CHANGE = GBF_COUNT,
	SSF_NETID,
	SSF_PROTOCOL,
	SSF_FAMILY,
	SSF_STATE,
	SSF_RQ,
	SSF_SQ,
	SSF_LOCAL,
	SSF_PEER,
	SSF_LADDR,
	SSF_LPORT,
	SSF_PADDR,
	SSF_PPORT,
	SSF_PATH,
	SSF_ABSTRACT,
	SSF_PEER_INODE,
	SSF_V6ONLY,
	SSF_BOUND,
	SSF_SUID,
	SSF_INODE,
	SSF_COOKIE,
	SSF_NETNS,
	SSF_PROCESS,
	SSF_RTT,
	SSF_RTTVAR,
	SSF_CWND,
	SSF_SSTHRESH,
	SSF_MSS,
	SSF_RETRANS,
	SSF_TOTAL_RETRANS,
	SSF_LOST,
	SSF_BYTES_SENT,
	SSF_BYTES_ACKED,
	SSF_BYTES_RECEIVED,
	SSF_SEGS_OUT,
	SSF_SEGS_IN,
	SSF_COUNT,
};

#define F(i) [(i)-GBF_COUNT]
static const struct out_field fields[SSF_COUNT - GBF_COUNT] = {
	F(SSF_CHANGE) = {"change", "+/-", 3, 0},
	F(SSF_NETID) = {"netid", "NETID", 5, 0},
	F(SSF_PROTOCOL) = {"protocol", "PROTO", 5, OUT_F_JSONONLY},
	F(SSF_FAMILY) = {"family", "FAMILY", 6, OUT_F_JSONONLY},
	F(SSF_STATE) = {"state", "STATE", 10, 0},
	F(SSF_RQ) = {"recvQ", "RECV-Q", 6, 0},
	F(SSF_SQ) = {"sendQ", "SEND-Q", 6, 0},
	F(SSF_LOCAL) = {"local", "LOCAL", 21, OUT_F_COLONLY},
	F(SSF_PEER) = {"peer", "PEER", 21, OUT_F_COLONLY},
	F(SSF_LADDR) = {"src.addr", "SRCADDR", 15, OUT_F_JSONONLY},
	F(SSF_LPORT) = {"src.port", "SRCPORT", 5, OUT_F_JSONONLY},
	F(SSF_PADDR) = {"dst.addr", "DSTADDR", 15, OUT_F_JSONONLY},
	F(SSF_PPORT) = {"dst.port", "DSTPORT", 5, OUT_F_JSONONLY},
	F(SSF_PATH) = {"path", "PATH", 20, OUT_F_JSONONLY},
	F(SSF_ABSTRACT) = {"abstract", "ABSTRACT", 5, OUT_F_JSONONLY},
	F(SSF_PEER_INODE) = {"peerInode", "PEERINO", 8, OUT_F_JSONONLY},
	F(SSF_V6ONLY) = {"v6only", "V6ONLY", 5, OUT_F_JSONONLY},
	F(SSF_BOUND) = {"boundDev", "DEV", 8, 0},
	F(SSF_SUID) = {"sockUid", "SUID", 5, 0},
	F(SSF_INODE) = {"inode", "INODE", 8, 0},
	F(SSF_COOKIE) = {"cookie", "COOKIE", 6, 0},
	F(SSF_NETNS) = {"netnsid", "NETNS", 10, 0},
	F(SSF_PROCESS) = {"processes", "PROCESS", 20, 0},
	F(SSF_RTT) = {"tcpInfo.rttUs", "RTT(ms)", 7, 0},
	F(SSF_RTTVAR) = {"tcpInfo.rttvarUs", "RTTVAR", 6, 0},
	F(SSF_CWND) = {"tcpInfo.cwnd", "CWND", 4, 0},
	F(SSF_SSTHRESH) = {"tcpInfo.ssthresh", "SSTHRESH", 8, 0},
	F(SSF_MSS) = {"tcpInfo.mss", "MSS", 5, 0},
	F(SSF_RETRANS) = {"tcpInfo.retrans", "RETRANS", 7, 0},
	F(SSF_TOTAL_RETRANS) = {"tcpInfo.totalRetrans", "TOTRETR", 7, 0},
	F(SSF_LOST) = {"tcpInfo.lost", "LOST", 4, 0},
	F(SSF_BYTES_SENT) = {"tcpInfo.bytesSent", "SENT", 8, 0},
	F(SSF_BYTES_ACKED) = {"tcpInfo.bytesAcked", "ACKED", 8, 0},
	F(SSF_BYTES_RECEIVED) = {"tcpInfo.bytesReceived", "RECEIVED", 8, 0},
	F(SSF_SEGS_OUT) = {"tcpInfo.segsOut", "SEGSOUT", 7, 0},
	F(SSF_SEGS_IN) = {"tcpInfo.segsIn", "SEGSIN", 7, 0},
};

/* A container as a socket row shows it, copied once per container (and version of its record): the record
 * itself may be gone by the time a --diff shows the socket as gone. Kept until the end. */
struct cont_copy {
	struct cont_copy *next;
	const struct gb_container *src; /* what it was copied from, to find it again (never dereferenced) */
	unsigned src_generation;
	struct gb_container c;
	char display[300];
};

/*
 * A socket as kept between its snapshot and its row (and, with --diff, until the next snapshot): its own copy
 * of everything the library's entry points to.
 */
struct sock_copy {
	struct gb_sock_entry e;
	struct gb_sock_tcp_info ti;
	struct gb_sock_owner *owners;
	char *path;
	char bound_dev[16];
	const struct cont_copy *cc; /* NULL: the host's */
};

struct snap {
	struct sock_copy *v;
	size_t n, cap;
};

static struct gb_ctx *ctx;
static struct gb_tracer *tracer;
static struct output *out;
static struct snap prev, cur;
static unsigned long snapshots;
static bool snapshot_failed;
static unsigned container_generation = 0x80000000u; /* copies never share a generation with a live record */
static struct cont_copy *cont_copies;

static bool wanted(const struct gb_sock_entry *s)
{
	unsigned states = env.states;

	if (!states)
		states = env.all ? ST_ALL : env.listening ? ST_LISTEN_ONLY : ST_CONNECTED;
	if (!(states & ST(s->state)))
		return false;
	if (s->family != AF_UNIX && (env.v4 || env.v6) &&
	    !((env.v4 && s->family == AF_INET) || (env.v6 && s->family == AF_INET6)))
		return false;
	if (s->family == AF_UNIX && (env.v4 || env.v6) && !(env.protocols & GB_SOCK_UNIX))
		return false;
	if (env.port_given && s->local_port != env.port && s->peer_port != env.port)
		return false;
	return true;
}

static char *dup_or_empty(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

static const struct cont_copy *copy_container(const struct gb_container *c)
{
	static struct cont_copy *last;

	if (!c)
		return NULL;
	if (last && last->src == c && last->src_generation == c->generation && !strcmp(last->c.id, c->id))
		return last;
	for (struct cont_copy *cc = cont_copies; cc; cc = cc->next)
		if (cc->src == c && cc->src_generation == c->generation && !strcmp(cc->c.id, c->id))
			return last = cc;
	struct cont_copy *cc = calloc(1, sizeof(*cc));
	if (!cc)
		abort();
	cc->src = c;
	cc->src_generation = c->generation;
	gb_container__display(c, cc->display, sizeof(cc->display));
	cc->c = (struct gb_container){
		.runtime = c->runtime,
		.name = dup_or_empty(c->name),
		.image = dup_or_empty(c->image),
		.k8s_namespace = dup_or_empty(c->k8s_namespace),
		.k8s_pod = dup_or_empty(c->k8s_pod),
		.k8s_pod_uid = dup_or_empty(c->k8s_pod_uid),
		.k8s_container = dup_or_empty(c->k8s_container),
		.generation = container_generation++,
	};
	memcpy(cc->c.id, c->id, sizeof(cc->c.id));
	cc->next = cont_copies;
	return last = cont_copies = cc;
}

static void cont_copies_free(void)
{
	for (struct cont_copy *cc = cont_copies, *next; cc; cc = next) {
		next = cc->next;
		free(cc->c.name);
		free(cc->c.image);
		free(cc->c.k8s_namespace);
		free(cc->c.k8s_pod);
		free(cc->c.k8s_pod_uid);
		free(cc->c.k8s_container);
		free(cc);
	}
	cont_copies = NULL;
}

static void copy_free(struct sock_copy *d)
{
	free(d->owners);
	free(d->path);
}

static void on_sock(void *arg, const struct gb_sock_entry *s)
{
	struct snap *sn = arg;

	if (!wanted(s))
		return;
	if (sn->n == sn->cap) {
		size_t cap = sn->cap ? 2 * sn->cap : 256;
		struct sock_copy *v = realloc(sn->v, cap * sizeof(*v));
		if (!v)
			abort();
		sn->v = v;
		sn->cap = cap;
	}
	struct sock_copy *d = &sn->v[sn->n++];
	memset(d, 0, sizeof(*d));
	d->e = *s;
	if (s->tcp_info)
		d->ti = *s->tcp_info; /* e.tcp_info stays non-NULL: "has TCP info" */
	d->owners = malloc((s->nowners ? s->nowners : 1) * sizeof(*d->owners));
	d->path = malloc(s->path_len + 1);
	if (!d->owners || !d->path)
		abort();
	memcpy(d->owners, s->owners, s->nowners * sizeof(*d->owners));
	for (size_t i = 0; i < s->nowners; i++)
		d->owners[i].container = NULL; /* only the socket's container is kept */
	d->e.owners = d->owners;
	memcpy(d->path, s->path ? s->path : "", s->path_len);
	d->path[s->path_len] = '\0';
	d->e.path = d->path;
	snprintf(d->bound_dev, sizeof(d->bound_dev), "%s", s->bound_dev ? s->bound_dev : "");
	d->e.bound_dev = NULL;
	d->cc = copy_container(s->container);
	d->e.container = NULL;
}

static const char *netid(const struct gb_sock_entry *s)
{
	if (s->proto == GB_SOCK_TCP)
		return "tcp";
	if (s->proto == GB_SOCK_UDP)
		return "udp";
	return s->type == SOCK_STREAM	   ? "u_str"
	       : s->type == SOCK_DGRAM	   ? "u_dgr"
	       : s->type == SOCK_SEQPACKET ? "u_seq"
					   : "u_???";
}

static void format_addr(char *buf, size_t size, const struct gb_sock_entry *s, const uint8_t *addr)
{
	gb_fmt_addr(buf, size, s->family, addr);
}

static void format_endpoint(char *buf, size_t size, const struct gb_sock_entry *s, const uint8_t *addr, uint16_t port,
			    bool local)
{
	gb_fmt_endpoint(buf, size, s->family, addr, port, !s->v6only, local ? s->bound_dev : "");
}

/* A UNIX socket's name as ss shows it: the path, @name for an abstract one, * for none. */
static void unix_name(struct strbuf *sb, const struct gb_sock_entry *s)
{
	if (!s->path_len) {
		sb_addc(sb, '*');
	} else if (s->path[0] == '\0') {
		sb_addc(sb, '@');
		sb_add(sb, s->path + 1, s->path_len - 1);
	} else {
		sb_add(sb, s->path, strnlen(s->path, s->path_len));
	}
}

static void print_sock(const struct sock_copy *d, const char *change)
{
	/* the copy's own buffers (it may have moved since it was made) */
	struct gb_sock_entry e = d->e;
	const struct gb_sock_entry *s = &e;
	e.bound_dev = d->bound_dev;
	e.tcp_info = d->e.tcp_info ? &d->ti : NULL;
	static struct strbuf name, procs;
	char local[96], peer[96], laddr[INET6_ADDRSTRLEN], paddr[INET6_ADDRSTRLEN];

	out_begin(out);
	out_u64(out, GBF_TIMESTAMP, s->timestamp);
	gb_event_container(out, d->cc ? &d->cc->c : NULL);
	if (change)
		out_str(out, SSF_CHANGE, change);
	out_str(out, SSF_NETID, netid(s));
	out_str(out, SSF_PROTOCOL, s->proto == GB_SOCK_TCP ? "tcp" : s->proto == GB_SOCK_UDP ? "udp" : "unix");
	out_str(out, SSF_FAMILY, s->family == AF_INET ? "IPv4" : s->family == AF_INET6 ? "IPv6" : "UNIX");
	out_str(out, SSF_STATE, s->state_name);
	out_u64(out, SSF_RQ, s->rqueue);
	out_u64(out, SSF_SQ, s->wqueue);
	if (s->family == AF_UNIX) {
		sb_reset(&name);
		unix_name(&name, s);
		out_strn(out, SSF_PATH, name.buf, name.len);
		out_bool(out, SSF_ABSTRACT, s->path_len && !s->path[0]);
		out_u64(out, SSF_PEER_INODE, s->peer_inode);
		/* ss's columns: "name inode" and "* peer-inode" */
		sb_adds(&name, " ");
		sb_add_u64(&name, s->inode);
		out_strn(out, SSF_LOCAL, name.buf, name.len);
		snprintf(peer, sizeof(peer), "* %llu", (unsigned long long)s->peer_inode);
		out_str(out, SSF_PEER, peer);
	} else {
		format_endpoint(local, sizeof(local), s, s->local_addr, s->local_port, true);
		format_endpoint(peer, sizeof(peer), s, s->peer_addr, s->peer_port, false);
		out_str(out, SSF_LOCAL, local);
		out_str(out, SSF_PEER, peer);
		format_addr(laddr, sizeof(laddr), s, s->local_addr);
		format_addr(paddr, sizeof(paddr), s, s->peer_addr);
		out_str(out, SSF_LADDR, laddr);
		out_u64(out, SSF_LPORT, s->local_port);
		out_str(out, SSF_PADDR, paddr);
		out_u64(out, SSF_PPORT, s->peer_port);
		if (s->family == AF_INET6)
			out_bool(out, SSF_V6ONLY, s->v6only);
	}
	if (*s->bound_dev)
		out_str(out, SSF_BOUND, s->bound_dev);
	out_u64(out, SSF_SUID, s->uid);
	out_u64(out, SSF_INODE, s->inode);
	out_u64(out, SSF_COOKIE, s->cookie);
	out_u64(out, SSF_NETNS, s->netns);
	sb_reset(&procs);
	if (output_json(out)) {
		/* "processes":[{"pid":1,"comm":"nginx","fd":3,"uid":0,"mountnsid":4026532}] */
		struct jsonw w;
		jw_init_members(&w, &procs, true);
		gb_json_owners(&w, "processes", s->owners, s->nowners);
		out_raw(out, SSF_PROCESS, procs.buf, procs.len);
	} else if (s->nowners) {
		gb_fmt_users(&procs, s->owners, s->nowners);
		out_strn(out, SSF_PROCESS, procs.buf, procs.len);
	}
	const struct gb_sock_tcp_info *ti = s->tcp_info;
	if (ti) {
		char rtt[32];
		snprintf(rtt, sizeof(rtt), "%.3f", ti->rtt_us / 1000.0);
		if (output_json(out))
			out_u64(out, SSF_RTT, ti->rtt_us);
		else
			out_str(out, SSF_RTT, rtt);
		out_u64(out, SSF_RTTVAR, ti->rttvar_us);
		out_u64(out, SSF_CWND, ti->cwnd);
		out_u64(out, SSF_SSTHRESH, ti->ssthresh);
		out_u64(out, SSF_MSS, ti->mss);
		out_u64(out, SSF_RETRANS, ti->retrans);
		out_u64(out, SSF_TOTAL_RETRANS, ti->total_retrans);
		out_u64(out, SSF_LOST, ti->lost);
		out_u64(out, SSF_BYTES_SENT, ti->bytes_sent);
		out_u64(out, SSF_BYTES_ACKED, ti->bytes_acked);
		out_u64(out, SSF_BYTES_RECEIVED, ti->bytes_received);
		out_u64(out, SSF_SEGS_OUT, ti->segs_out);
		out_u64(out, SSF_SEGS_IN, ti->segs_in);
	}
	out_end(out);
}

/* Rows grouped by container, then protocol, then local port; the identity of a socket for --diff. */
static int cmp_sock(const void *a, const void *b)
{
	const struct sock_copy *x = a, *y = b;
	int c = x->cc == y->cc ? 0 : strcmp(x->cc ? x->cc->display : "", y->cc ? y->cc->display : "");

	if (c)
		return c;
	if (x->e.netns != y->e.netns)
		return x->e.netns < y->e.netns ? -1 : 1;
	if (x->e.proto != y->e.proto)
		return x->e.proto < y->e.proto ? -1 : 1;
	if (x->e.family != y->e.family)
		return x->e.family < y->e.family ? -1 : 1;
	if (x->e.local_port != y->e.local_port)
		return x->e.local_port < y->e.local_port ? -1 : 1;
	if ((c = memcmp(x->e.local_addr, y->e.local_addr, 16)) || (c = memcmp(x->e.peer_addr, y->e.peer_addr, 16)))
		return c;
	if (x->e.peer_port != y->e.peer_port)
		return x->e.peer_port < y->e.peer_port ? -1 : 1;
	if (x->e.inode != y->e.inode)
		return x->e.inode < y->e.inode ? -1 : 1;
	if (x->e.cookie != y->e.cookie)
		return x->e.cookie < y->e.cookie ? -1 : 1;
	return 0;
}

/* The same socket in two snapshots, in the same state: by inode, else (TIME-WAIT ...) by its addresses. */
static bool same_sock(const struct sock_copy *x, const struct sock_copy *y)
{
	const struct gb_sock_entry *a = &x->e, *b = &y->e;

	if (a->netns != b->netns || a->state != b->state || a->inode != b->inode || a->proto != b->proto)
		return false;
	return a->inode || (a->local_port == b->local_port && a->peer_port == b->peer_port &&
			    !memcmp(a->local_addr, b->local_addr, 16) && !memcmp(a->peer_addr, b->peer_addr, 16));
}

static bool contains(const struct snap *sn, const struct sock_copy *d)
{
	for (size_t i = 0; i < sn->n; i++)
		if (same_sock(&sn->v[i], d))
			return true;
	return false;
}

static void snap_clear(struct snap *sn)
{
	for (size_t i = 0; i < sn->n; i++)
		copy_free(&sn->v[i]);
	sn->n = 0;
}

static void take_snapshot(void *arg)
{
	(void)arg;
	uint64_t now = gb_clock_realtime_ns();
	if (gb_tracer__snapshot(tracer) < 0) {
		snapshot_failed = true;
		gb_ctx__stop(ctx);
		return;
	}
	if (cur.n)
		now = cur.v[0].e.timestamp;
	if (env.interval > 0)
		gb_cli_snapshot_time(out, now);
	output_snapshot_begin(out);
	qsort(cur.v, cur.n, sizeof(*cur.v), cmp_sock);
	bool diff = env.diff && snapshots > 0;
	/* the first snapshot of a --diff is the baseline: "=" in columns (JSON keeps its rows without "change") */
	const char *first = env.diff && !output_json(out) ? "=" : NULL;
	for (size_t i = 0; i < cur.n; i++)
		if (!diff || !contains(&prev, &cur.v[i]))
			print_sock(&cur.v[i], diff ? "+" : first);
	for (size_t i = 0; diff && i < prev.n; i++)
		if (!contains(&cur, &prev.v[i])) {
			prev.v[i].e.timestamp = now; /* seen gone by this snapshot */
			print_sock(&prev.v[i], "-");
		}
	output_snapshot_end(out);
	snap_clear(&prev);
	struct snap t = prev;
	prev = cur;
	cur = t;
	if (env.count && ++snapshots >= env.count)
		gb_ctx__stop(ctx);
	else if (!env.count)
		snapshots++;
}

static int run(void)
{
	char cols[256];
	int rc = 0;

	if (!env.protocols)
		env.protocols = GB_SOCK_TCP | GB_SOCK_UDP;
	if ((env.diff || env.count) && !env.interval)
		return gb_usage_error("--diff and --count need --interval");
	snprintf(cols, sizeof(cols), "container,%snetid,state,recvq,sendq,local,peer,%s%sprocesses",
		 env.diff ? "change," : "", env.extended ? "sockuid,inode,cookie,netnsid," : "",
		 env.info ? "tcpinfo.rttus,tcpinfo.cwnd,tcpinfo.totalretrans,tcpinfo.bytesacked,tcpinfo.bytesreceived,"
			  : "");
	if (!(out = gb_output_setup(fields, SSF_COUNT - GBF_COUNT, cols)))
		return 2;
	GB_OPTS(gb_socks_opts, so, .on_sock = on_sock, .cb_ctx = &cur, .protocols = env.protocols);
	if (!(ctx = gb_cli_ctx_new(env.interval > 0, true)) || !(tracer = gb_socks__open(ctx, &so))) {
		rc = 1;
	} else if (env.interval > 0) {
		take_snapshot(NULL);
		gb_cli_flush(out);
		if (!gb_ctx__stopped(ctx))
			rc = gb_cli_run_every(ctx, NULL, out, env.interval, take_snapshot, NULL);
		if (snapshot_failed)
			rc = 1;
	} else {
		take_snapshot(NULL);
		rc = snapshot_failed;
		gb_cli_flush(out);
	}
	gb_tracer__free(tracer);
	gb_ctx__free(ctx);
	output_free(out);
	snap_clear(&prev);
	snap_clear(&cur);
	free(prev.v);
	free(cur.v);
	cont_copies_free();
	return rc;
}

const struct gb_applet socksnap_applet = {
	.name = "socksnap",
	.summary = "Show the sockets of the node's containers, like ss -tunap, with their owners and containers.",
	.examples = "  socksnap                        # connected TCP and UDP sockets of every container\n"
		    "  socksnap -tl                    # what every container listens on\n"
		    "  socksnap -a -x -c web           # all sockets of container web, UNIX ones too\n"
		    "  socksnap -ti --state established # TCP internals of every connection\n"
		    "  socksnap -ta --interval 2 --diff # sockets as they come and go\n"
		    "  socksnap -ta -o json            # as JSON, one socket per line\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_SNAPSHOT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BTF,
	.parse = parse,
	.run = run,
};
