/* The TCP record (bpf/tcptracer.h) into a struct gb_tcp_event. */
#include "decode.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "bpf/tcptracer.h"

#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(GB_TCP_CONNECT, TCP_EV_CONNECT) && SAME(GB_TCP_ACCEPT, TCP_EV_ACCEPT) &&
		       SAME(GB_TCP_CLOSE, TCP_EV_CLOSE) && SAME(GB_TCP_END_LOCAL, TCP_END_LOCAL) &&
		       SAME(GB_TCP_END_PEER, TCP_END_PEER) && SAME(GB_TCP_END_RESET_SENT, TCP_END_RESET_SENT) &&
		       SAME(GB_TCP_END_RESET_RECEIVED, TCP_END_RESET_RECV) && SAME(GB_TCP_END_TIMEOUT, TCP_END_TIMEOUT),
	       "the kernel side's numbers are the API's");

const char *gb_tcp_event_type_name(enum gb_tcp_event_type t)
{
	switch (t) {
	case GB_TCP_CONNECT: return "connect";
	case GB_TCP_ACCEPT: return "accept";
	case GB_TCP_CLOSE: return "close";
	}
	return "?";
}

const char *gb_tcp_end_name(enum gb_tcp_end e)
{
	static const char *const names[] = {"unknown", "local", "peer", "reset-sent", "reset-received", "timeout"};

	return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "unknown";
}

int gb_decode_tcp(const void *data, size_t size, struct gb_tcp_event *ev)
{
	const struct tcp_event *r = data;

	if (size < sizeof(*r) || r->type < TCP_EV_CONNECT || r->type > TCP_EV_CLOSE)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&r->proc, &ev->proc);
	ev->type = (enum gb_tcp_event_type)r->type;
	ev->family = r->family == 10 ? AF_INET6 : AF_INET;
	memcpy(ev->saddr, r->saddr, 16);
	memcpy(ev->daddr, r->daddr, 16);
	ev->sport = r->sport;
	ev->dport = r->dport;
	ev->netns = r->netns;
	ev->sock = r->sk;
	ev->cgroup_id = r->cgroup_id;
	ev->error = r->error;
	ev->latency_ns = r->latency_ns;
	ev->syn_retransmits = r->syn_retransmits;
	memcpy(ev->listen_addr, r->listen_addr, 16);
	ev->listen_port = r->listen_port;
	ev->age_ns = r->age_ns;
	ev->bytes_sent = r->bytes_acked;
	ev->bytes_received = r->bytes_received;
	ev->retransmits = r->retransmits;
	ev->ended_by = r->ended_by <= TCP_END_TIMEOUT ? (enum gb_tcp_end)r->ended_by : GB_TCP_END_UNKNOWN;
	ev->closer = r->who == TCP_WHO_CLOSER;
	return 0;
}
