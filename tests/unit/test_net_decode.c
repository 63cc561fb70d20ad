/*
 * The network tracers' record decoders (common/gadgets/bind_decode.c, tcp_decode.c): synthetic records built the
 * way the BPF programs fill them, each in a heap block of exactly its size so that ASan reports a read past it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "bpf/bindsnoop.h"
#include "bpf/sock.h"
#include "bpf/tcptracer.h"
#include "decode.h"
#include "unit.h"

static struct bind_event *bind_new(const void *sa, unsigned addrlen)
{
	struct bind_event *r = calloc(1, sizeof(*r));

	r->proc.kind = GB_RECORD_EVENT;
	r->proc.pid = 4242;
	strncpy(r->proc.comm, "nginx", sizeof(r->proc.comm));
	r->fd = 7;
	r->addrlen = addrlen;
	memcpy(r->addr, sa, addrlen < BIND_ADDR_MAX ? addrlen : BIND_ADDR_MAX);
	r->netns = 4026531833ull;
	return r;
}

TEST(test_decode_bind_ipv4_with_its_options_and_the_port_it_got)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(0)};
	inet_pton(AF_INET, "10.1.2.3", &sa.sin_addr);
	struct bind_event *r = bind_new(&sa, sizeof(sa));
	r->sk_family = AF_INET, r->sk_type = SOCK_STREAM, r->sk_protocol = IPPROTO_TCP;
	r->bound_port = 40123;
	r->opts = GB_SOCKOPT_REUSEADDR | GB_SOCKOPT_FREEBIND;
	struct gb_bind_event ev;

	CHECK_INT_EQ(gb_decode_bind(r, sizeof(*r), &ev), 0);
	CHECK_INT_EQ(ev.family, AF_INET);
	CHECK_UINT_EQ(ev.port, 0);
	CHECK_UINT_EQ(ev.bound_port, 40123);
	CHECK_MEM_EQ(ev.addr, 4, "\x0a\x01\x02\x03", 4);
	CHECK_UINT_EQ(ev.opts, GB_BIND_REUSEADDR | GB_BIND_FREEBIND);
	CHECK_INT_EQ(ev.protocol, IPPROTO_TCP);
	CHECK_INT_EQ(ev.fd, 7);
	CHECK_STR_EQ(ev.proc.comm, "nginx");
	CHECK_STR_EQ(ev.bound_dev, "");
	CHECK(!ev.holders_searched && !ev.path);
	free(r);
}

TEST(test_decode_bind_ipv6_reads_port_address_and_scope)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(8443), .sin6_scope_id = 3};
	inet_pton(AF_INET6, "fe80::1", &sa.sin6_addr);
	struct bind_event *r = bind_new(&sa, sizeof(sa));
	struct gb_bind_event ev;

	CHECK_INT_EQ(gb_decode_bind(r, sizeof(*r), &ev), 0);
	CHECK_INT_EQ(ev.family, AF_INET6);
	CHECK_UINT_EQ(ev.port, 8443);
	CHECK_UINT_EQ(ev.scope_id, 3);
	CHECK_MEM_EQ(ev.addr, 16, &sa.sin6_addr, 16);
	free(r);
}

TEST(test_decode_bind_short_sockaddr_has_no_address)
{
	static const uint8_t sa[] = {AF_INET, 0, 0x1f, 0x90};
	struct bind_event *r = bind_new(sa, sizeof(sa));
	struct gb_bind_event ev;

	CHECK_INT_EQ(gb_decode_bind(r, sizeof(*r), &ev), 0);
	CHECK_INT_EQ(ev.family, AF_INET);
	CHECK_UINT_EQ(ev.port, 0); /* the kernel refuses it (EINVAL): nothing read past addrlen */
	CHECK_UINT_EQ(ev.sockaddr_len, 4);
	r->addrlen = 1;
	CHECK_INT_EQ(gb_decode_bind(r, sizeof(*r), &ev), 0);
	CHECK_INT_EQ(ev.family, -1);
	free(r);
}

TEST(test_decode_bind_unix_paths_filesystem_and_abstract)
{
	static const char fs[] = "\x01\x00/run/app.sock\0garbage after the NUL";
	static const char abs[] = "\x01\x00\0gbt\0x";
	struct bind_event *r = bind_new(fs, sizeof(fs) - 1);
	struct gb_bind_event ev;

	CHECK_INT_EQ(gb_decode_bind(r, sizeof(*r), &ev), 0);
	CHECK_INT_EQ(ev.family, AF_UNIX);
	CHECK_MEM_EQ(ev.path, ev.path_len, "/run/app.sock", 13);
	free(r);
	r = bind_new(abs, sizeof(abs) - 1); /* an abstract name is its addrlen's bytes, NULs included */
	CHECK_INT_EQ(gb_decode_bind(r, sizeof(*r), &ev), 0);
	CHECK_MEM_EQ(ev.path, ev.path_len, "\0gbt\0x", 6);
	free(r);
}

TEST(test_decode_bind_huge_addrlen_and_unreadable_sockaddr)
{
	static const char sa[] = "\x01\x00/x";
	struct bind_event *r = bind_new(sa, sizeof(sa) - 1);
	struct gb_bind_event ev;

	r->addrlen = 100000; /* only BIND_ADDR_MAX bytes were copied */
	CHECK_INT_EQ(gb_decode_bind(r, sizeof(*r), &ev), 0);
	CHECK_UINT_EQ(ev.sockaddr_len, BIND_ADDR_MAX);
	CHECK_MEM_EQ(ev.path, ev.path_len, "/x", 2);
	r->flags = BIND_ADDR_UNREADABLE | BIND_NO_SOCKET;
	CHECK_INT_EQ(gb_decode_bind(r, sizeof(*r), &ev), 0);
	CHECK(ev.sockaddr_unreadable && ev.no_socket && !ev.sockaddr_len && ev.family == -1);
	CHECK_INT_EQ(gb_decode_bind(r, sizeof(*r) - 1, &ev), -EINVAL);
	free(r);
}

/* ---- TCP records ---- */

static struct tcp_event *tcp_new(uint8_t type)
{
	struct tcp_event *r = calloc(1, sizeof(*r));

	r->proc.kind = GB_RECORD_EVENT;
	r->proc.pid = 77;
	r->type = type;
	r->family = AF_INET;
	r->who = TCP_WHO_OWNER;
	r->saddr[0] = 127, r->saddr[3] = 1;
	r->daddr[0] = 10, r->daddr[3] = 9;
	r->sport = 40000, r->dport = 2379;
	return r;
}

TEST(test_decode_tcp_connect_failure_keeps_errno_and_latency)
{
	struct tcp_event *r = tcp_new(TCP_EV_CONNECT);
	struct gb_tcp_event ev;

	r->error = ECONNREFUSED;
	r->latency_ns = 123456;
	r->syn_retransmits = 2;
	CHECK_INT_EQ(gb_decode_tcp(r, sizeof(*r), &ev), 0);
	CHECK_INT_EQ(ev.type, GB_TCP_CONNECT);
	CHECK_INT_EQ(ev.error, ECONNREFUSED);
	CHECK_UINT_EQ(ev.latency_ns, 123456);
	CHECK_UINT_EQ(ev.syn_retransmits, 2);
	CHECK_UINT_EQ(ev.dport, 2379);
	CHECK_MEM_EQ(ev.daddr, 4, "\x0a\x00\x00\x09", 4);
	CHECK_STR_EQ(gb_tcp_event_type_name(ev.type), "connect");
	free(r);
}

TEST(test_decode_tcp_close_of_an_ipv6_connection_by_its_closer)
{
	struct tcp_event *r = tcp_new(TCP_EV_CLOSE);
	struct gb_tcp_event ev;

	r->family = 10;
	r->who = TCP_WHO_CLOSER;
	r->ended_by = TCP_END_RESET_RECV;
	r->bytes_acked = 5000, r->bytes_received = 7000, r->retransmits = 3, r->age_ns = 42;
	CHECK_INT_EQ(gb_decode_tcp(r, sizeof(*r), &ev), 0);
	CHECK_INT_EQ(ev.family, AF_INET6);
	CHECK(ev.closer);
	CHECK_UINT_EQ(ev.bytes_sent, 5000);
	CHECK_UINT_EQ(ev.bytes_received, 7000);
	CHECK_UINT_EQ(ev.retransmits, 3);
	CHECK_STR_EQ(gb_tcp_end_name(ev.ended_by), "reset-received");
	r->ended_by = 200; /* not a value the kernel side writes */
	CHECK_INT_EQ(gb_decode_tcp(r, sizeof(*r), &ev), 0);
	CHECK_STR_EQ(gb_tcp_end_name(ev.ended_by), "unknown");
	free(r);
}

TEST(test_decode_tcp_refuses_short_records_and_unknown_types)
{
	struct tcp_event *r = tcp_new(TCP_EV_ACCEPT);
	struct gb_tcp_event ev;

	CHECK_INT_EQ(gb_decode_tcp(r, sizeof(*r) - 1, &ev), -EINVAL);
	r->type = 9;
	CHECK_INT_EQ(gb_decode_tcp(r, sizeof(*r), &ev), -EINVAL);
	free(r);
}
