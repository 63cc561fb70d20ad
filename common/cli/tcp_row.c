/* tcptracer-k8s's rows: a TCP connect (result, latency), accept or close (age, bytes, who ended it). */
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include "event.h"
#include "frontend.h"
#include "rows.h"
#include "sockfmt.h"

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

void gb_tcp_row(struct output *o, const struct gb_tcp_event *e)
{
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

const struct gb_cli_rows gb_tcp_rows = {"tcp", fields, TTF_COUNT - GBF_COUNT};
