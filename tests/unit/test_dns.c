/*
 * The DNS message decoder (common/dns/dnsmsg.c) and the DNS-over-TCP reassembler (common/dns/dnstcp.c): messages
 * built byte by byte with the helpers below, each decoded value checked against what dig prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dnsmsg.h"
#include "dnstcp.h"
#include "unit.h"

/* ---- building messages ---- */

struct wb {
	uint8_t b[70000];
	size_t len;
};

static struct wb *wb_new(void)
{
	return calloc(1, sizeof(struct wb));
}

static void put(struct wb *w, const void *p, size_t n)
{
	if (n)
		memcpy(w->b + w->len, p, n);
	w->len += n;
}

static void put8(struct wb *w, unsigned v)
{
	w->b[w->len++] = (uint8_t)v;
}

static void put16(struct wb *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v);
}

static void put32(struct wb *w, uint32_t v)
{
	put16(w, v >> 16);
	put16(w, v & 0xffff);
}

/* Labels of a dotted name, without the root's 0 (so that a pointer can follow). */
static void put_labels(struct wb *w, const char *dotted)
{
	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
		put8(w, n);
		put(w, dotted, n);
		dotted += n + (dot ? 1 : 0);
	}
}

/* A whole uncompressed name; "" is the root. */
static void put_name(struct wb *w, const char *dotted)
{
	put_labels(w, dotted);
	put8(w, 0);
}

static void put_ptr(struct wb *w, unsigned off)
{
	put16(w, 0xc000 | off);
}

#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080
#define F_AD 0x0020
#define F_CD 0x0010

static void put_header(struct wb *w, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
	put16(w, id);
	put16(w, flags);
	put16(w, qd);
	put16(w, an);
	put16(w, ns);
	put16(w, ar);
}

/* type, class, ttl and a placeholder rdlength; returns where the rdata starts, for rr_end() */
static size_t rr_begin(struct wb *w, unsigned type, unsigned class, uint32_t ttl)
{
	put16(w, type);
	put16(w, class);
	put32(w, ttl);
	put16(w, 0);
	return w->len;
}

static void rr_end(struct wb *w, size_t rdata)
{
	size_t n = w->len - rdata;
	w->b[rdata - 2] = (uint8_t)(n >> 8);
	w->b[rdata - 1] = (uint8_t)n;
}

/* Decodes @w from a heap block of exactly its size. */
static int parse_wb(struct gb_dns_msg *m, const struct wb *w)
{
	void *copy = malloc(w->len ? w->len : 1);
	memcpy(copy, w->b, w->len);
	int r = gb_dns_parse(m, copy, w->len);
	free(copy);
	return r;
}

#define CHECK_NAME(n, exact, digtext)                                                                                  \
	do {                                                                                                           \
		CHECK_MEM_EQ((n).text, (n).text_len, exact, sizeof(exact) - 1);                                        \
		CHECK_STR_EQ((n).dig, digtext);                                                                        \
	} while (0)

/* www.example.com at offset 12, the question of most messages here */
static void put_question(struct wb *w, const char *name, unsigned type)
{
	put_name(w, name);
	put16(w, type);
	put16(w, 1);
}

/* ---- messages ---- */

TEST(test_dns_query_gives_header_flags_and_question)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};

	put_header(w, 0xbeef, F_RD | F_AD, 1, 0, 0, 0);
	put_question(w, "www.example.com", GB_DNS_T_AAAA);
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	CHECK_UINT_EQ(m.id, 0xbeef);
	CHECK(!m.qr && m.rd && m.ad && !m.aa && !m.tc && !m.ra && !m.cd && !m.z);
	CHECK_UINT_EQ(m.opcode, 0);
	CHECK_UINT_EQ(m.rcode, 0);
	CHECK_UINT_EQ(m.qdcount, 1);
	CHECK(m.complete);
	CHECK(m.malformed == NULL);
	REQUIRE(m.nqd == 1);
	CHECK_NAME(m.qd[0].name, "www.example.com", "www.example.com.");
	CHECK_UINT_EQ(m.qd[0].name.wire_len, 17);
	CHECK_UINT_EQ(m.qd[0].name.labels, 3);
	CHECK_MEM_EQ(m.qd[0].name.wire, m.qd[0].name.wire_len, "\3www\7example\3com", 17);
	CHECK_UINT_EQ(m.qd[0].type, 28);
	CHECK_UINT_EQ(m.qd[0].class, 1);
	CHECK_UINT_EQ(m.nan + m.nns + m.nar, 0);
	CHECK(!m.edns.present);
	char flags[GB_DNS_FLAGS_BUF];
	CHECK_STR_EQ(gb_dns_flags_text(&m, flags), "rd ad");
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_answer_with_compressed_cname_chain_a_and_aaaa)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	size_t rd;

	put_header(w, 7, F_QR | F_RD | F_RA, 1, 4, 0, 0);
	put_question(w, "www.example.com", GB_DNS_T_A); /* example.com at 16, com at 24 */
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_CNAME, 1, 300);
	size_t web = w->len;
	put_labels(w, "web");
	put_ptr(w, 16);
	rr_end(w, rd);
	put_ptr(w, web);
	rd = rr_begin(w, GB_DNS_T_CNAME, 1, 300);
	put_labels(w, "edge.cdn");
	put_ptr(w, 24);
	rr_end(w, rd);
	size_t edge = rd;
	put_ptr(w, edge);
	rd = rr_begin(w, GB_DNS_T_A, 1, 60);
	put(w, "\x5d\xb8\xd8\x22", 4);
	rr_end(w, rd);
	put_ptr(w, edge);
	rd = rr_begin(w, GB_DNS_T_AAAA, 1, 60);
	put(w, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	rr_end(w, rd);

	CHECK_INT_EQ(parse_wb(&m, w), 0);
	CHECK(m.qr && m.rd && m.ra);
	REQUIRE(m.nan == 4);
	CHECK_NAME(m.an[0].name, "www.example.com", "www.example.com.");
	CHECK_STR_EQ(m.an[0].text, "web.example.com.");
	CHECK_NAME(m.an[0].target, "web.example.com", "web.example.com.");
	CHECK_UINT_EQ(m.an[0].ttl, 300);
	CHECK_UINT_EQ(m.an[0].section, GB_DNS_ANSWER);
	CHECK_NAME(m.an[1].name, "web.example.com", "web.example.com.");
	CHECK_STR_EQ(m.an[1].text, "edge.cdn.com.");
	CHECK_NAME(m.an[2].name, "edge.cdn.com", "edge.cdn.com.");
	CHECK_STR_EQ(m.an[2].text, "93.184.216.34");
	CHECK_MEM_EQ(m.an[2].addr, m.an[2].addr_len, "\x5d\xb8\xd8\x22", 4);
	CHECK_UINT_EQ(m.an[2].target.wire_len, 0);
	CHECK_STR_EQ(m.an[3].text, "2001:db8::1");
	CHECK_UINT_EQ(m.an[3].addr_len, 16);
	CHECK(m.an[3].addr == m.an[3].rdata);
	CHECK(m.an[3].rdata >= m.wire && m.an[3].rdata + 16 <= m.wire + m.wire_len);
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_mx_txt_srv_soa_caa_hinfo_print_as_dig)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	size_t rd;

	put_header(w, 1, F_QR, 1, 6, 0, 0);
	put_question(w, "example.com", GB_DNS_T_ANY);
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_MX, 1, 3600);
	put16(w, 10);
	put_labels(w, "mail");
	put_ptr(w, 12);
	rr_end(w, rd);
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_TXT, 1, 3600);
	put8(w, 9);
	put(w, "say \"hi\"\\", 9);
	put8(w, 3);
	put(w, "a\x07z", 3);
	rr_end(w, rd);
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_SRV, 1, 3600);
	put16(w, 10);
	put16(w, 60);
	put16(w, 5060);
	put_name(w, "sip.example.com");
	rr_end(w, rd);
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_SOA, 1, 3600);
	put_labels(w, "ns1");
	put_ptr(w, 12);
	put_labels(w, "hostmaster");
	put_ptr(w, 12);
	put32(w, 2024010101);
	put32(w, 7200);
	put32(w, 3600);
	put32(w, 1209600);
	put32(w, 300);
	rr_end(w, rd);
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_CAA, 1, 3600);
	put8(w, 128);
	put8(w, 5);
	put(w, "issue", 5);
	put(w, "letsencrypt.org", 15);
	rr_end(w, rd);
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_HINFO, 1, 3600);
	put8(w, 7);
	put(w, "RFC8482", 7);
	put8(w, 0);
	rr_end(w, rd);

	CHECK_INT_EQ(parse_wb(&m, w), 0);
	REQUIRE(m.nan == 6);
	CHECK_STR_EQ(m.an[0].text, "10 mail.example.com.");
	CHECK_NAME(m.an[0].target, "mail.example.com", "mail.example.com.");
	CHECK_STR_EQ(m.an[1].text, "\"say \\\"hi\\\"\\\\\" \"a\\007z\"");
	CHECK_STR_EQ(m.an[2].text, "10 60 5060 sip.example.com.");
	CHECK_STR_EQ(m.an[3].text, "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300");
	CHECK_NAME(m.an[3].target, "ns1.example.com", "ns1.example.com.");
	CHECK_STR_EQ(m.an[4].text, "128 issue \"letsencrypt.org\"");
	CHECK_STR_EQ(m.an[5].text, "\"RFC8482\" \"\"");
	for (size_t i = 0; i < m.nan; i++)
		CHECK(m.an[i].bad_rdata == NULL);
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_https_with_alpn_ipv4hint_ech)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	size_t rd;

	put_header(w, 1, F_QR, 1, 1, 0, 0);
	put_question(w, "example.com", GB_DNS_T_HTTPS);
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_HTTPS, 1, 300);
	put16(w, 1);
	put_name(w, "");
	put16(w, 1); /* alpn */
	put16(w, 6);
	put(w, "\2h2\2h3", 6);
	put16(w, 4); /* ipv4hint */
	put16(w, 8);
	put(w, "\x68\x10\x84\xe5\x68\x10\x85\xe5", 8);
	put16(w, 5); /* ech */
	put16(w, 4);
	put(w, "\x00\x45\xfe\x0d", 4);
	rr_end(w, rd);

	CHECK_INT_EQ(parse_wb(&m, w), 0);
	REQUIRE(m.nan == 1);
	CHECK_STR_EQ(m.an[0].text, "1 . alpn=\"h2,h3\" ipv4hint=104.16.132.229,104.16.133.229 ech=AEX+DQ==");
	CHECK_NAME(m.an[0].target, ".", ".");
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_svcb_with_mandatory_port_ipv6hint_and_unknown_key)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	size_t rd;

	put_header(w, 1, F_QR, 0, 2, 0, 0);
	put_name(w, "_dns.resolver.arpa");
	rd = rr_begin(w, GB_DNS_T_SVCB, 1, 300);
	put16(w, 16);
	put_name(w, "dns.example.net");
	put16(w, 0); /* mandatory=alpn,port */
	put16(w, 4);
	put32(w, 0x00010003);
	put16(w, 1);
	put16(w, 5);
	put(w, "\4a,b\\", 5);
	put16(w, 2); /* no-default-alpn */
	put16(w, 0);
	put16(w, 3);
	put16(w, 2);
	put16(w, 8443);
	put16(w, 6);
	put16(w, 16);
	put(w, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x35", 16);
	put16(w, 7); /* dohpath */
	put16(w, 16);
	put(w, "/dns-query{?dns}", 16);
	put16(w, 65000);
	put16(w, 2);
	put(w, "\1x", 2);
	rr_end(w, rd);
	/* keys out of order: malformed, RFC 3597 text */
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_SVCB, 1, 300);
	put16(w, 1);
	put_name(w, "");
	put16(w, 3);
	put16(w, 2);
	put16(w, 53);
	put16(w, 1);
	put16(w, 3);
	put(w, "\2h2", 3);
	rr_end(w, rd);

	CHECK_INT_EQ(parse_wb(&m, w), -EBADMSG);
	REQUIRE(m.nan == 2);
	CHECK_STR_EQ(m.an[0].text, "16 dns.example.net. mandatory=alpn,port alpn=\"a\\\\,b\\\\\\\\\" no-default-alpn "
				   "port=8443 ipv6hint=2001:db8::35 dohpath=\"/dns-query{?dns}\" key65000=\"\\001x\"");
	CHECK(m.an[0].bad_rdata == NULL);
	CHECK_STR_EQ(m.an[1].bad_rdata, "SvcParam keys not in increasing order");
	CHECK_STR_EQ(m.an[1].text, "\\# 16 00010000030002003500010003026832");
	CHECK(m.complete);
	CHECK_STR_EQ(m.malformed, "SvcParam keys not in increasing order");
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_unknown_type_and_bad_rdata_print_rfc3597_generic)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	char buf[GB_DNS_NAME_BUF];
	size_t rd;

	put_header(w, 1, F_QR, 0, 3, 0, 0);
	put_name(w, "x");
	rd = rr_begin(w, 65280, 1, 0);
	put(w, "\x0a\0\0\x01", 4);
	rr_end(w, rd);
	put_ptr(w, 12);
	rd = rr_begin(w, 65281, 1, 0);
	rr_end(w, rd);
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_A, 1, 0);
	put(w, "\1\2\3", 3);
	rr_end(w, rd);

	CHECK_INT_EQ(parse_wb(&m, w), -EBADMSG);
	REQUIRE(m.nan == 3);
	CHECK_STR_EQ(m.an[0].text, "\\# 4 0A000001");
	CHECK_STR_EQ(gb_dns_type_name(m.an[0].type, buf), "TYPE65280");
	CHECK(m.an[0].bad_rdata == NULL);
	CHECK_STR_EQ(m.an[1].text, "\\# 0");
	CHECK_STR_EQ(m.an[2].text, "\\# 3 010203");
	CHECK_STR_EQ(m.an[2].bad_rdata, "A rdata is not 4 bytes");
	CHECK(m.an[2].addr == NULL);
	CHECK(m.complete);
	CHECK_STR_EQ(m.malformed, "A rdata is not 4 bytes");
	CHECK_UINT_EQ(m.malformed_at, m.an[2].rdata - m.wire);
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_nxdomain_with_soa_in_authority)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	char buf[GB_DNS_NAME_BUF];
	size_t rd;

	put_header(w, 0x4242, F_QR | F_AA | F_RD | 3, 1, 0, 1, 0);
	put_question(w, "nope.example.com", GB_DNS_T_A); /* example.com at 17 */
	put_ptr(w, 17);
	rd = rr_begin(w, GB_DNS_T_SOA, 1, 900);
	put_labels(w, "ns");
	put_ptr(w, 17);
	put_labels(w, "root");
	put_ptr(w, 17);
	put32(w, 1);
	put32(w, 2);
	put32(w, 3);
	put32(w, 4);
	put32(w, 5);
	rr_end(w, rd);

	CHECK_INT_EQ(parse_wb(&m, w), 0);
	CHECK_UINT_EQ(m.rcode, 3);
	CHECK_STR_EQ(gb_dns_rcode_name(m.rcode, buf), "NXDOMAIN");
	CHECK(m.aa);
	CHECK_UINT_EQ(m.nan, 0);
	REQUIRE(m.nns == 1);
	CHECK_UINT_EQ(m.ns[0].section, GB_DNS_AUTHORITY);
	CHECK_NAME(m.ns[0].name, "example.com", "example.com.");
	CHECK_STR_EQ(m.ns[0].text, "ns.example.com. root.example.com. 1 2 3 4 5");
	gb_dns_msg_free(&m);
	free(w);
}

/* An OPT record with the options of @opts (already encoded) */
static void put_opt(struct wb *w, unsigned udp, uint32_t ttl, const void *opts, size_t n)
{
	put_name(w, "");
	size_t rd = rr_begin(w, GB_DNS_T_OPT, udp, ttl);
	put(w, opts, n);
	rr_end(w, rd);
}

TEST(test_dns_edns_with_do_bit_ecs_and_cookie)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	static const uint8_t opts[] = {
		0, 8,  0,  7,  0,  1,  24, 0,  192, 0,	2,			/* ECS 192.0.2.0/24/0 */
		0, 10, 0,  24, 1,  2,  3,  4,  5,   6,	7,  8,			/* COOKIE: client */
		9, 10, 11, 12, 13, 14, 15, 16, 17,  18, 19, 20, 21, 22, 23, 24, /* server, 16 bytes */
	};

	put_header(w, 9, F_RD, 1, 0, 0, 1);
	put_question(w, "example.com", GB_DNS_T_A);
	put_opt(w, 1232, 0x00008000, opts, sizeof(opts));

	CHECK_INT_EQ(parse_wb(&m, w), 0);
	const struct gb_dns_edns *e = &m.edns;
	CHECK(e->present);
	CHECK_UINT_EQ(e->udp_size, 1232);
	CHECK_UINT_EQ(e->version, 0);
	CHECK_UINT_EQ(e->ext_rcode, 0);
	CHECK(e->do_bit);
	CHECK_UINT_EQ(e->flags, 0x8000);
	REQUIRE(e->nopts == 2);
	CHECK_UINT_EQ(e->opts[0].code, GB_DNS_OPT_ECS);
	CHECK_UINT_EQ(e->opts[0].len, 7);
	CHECK_STR_EQ(e->opts[0].text, "192.0.2.0/24/0");
	CHECK(e->has_ecs);
	CHECK_UINT_EQ(e->ecs.family, 1);
	CHECK_UINT_EQ(e->ecs.source_prefix, 24);
	CHECK_UINT_EQ(e->ecs.scope_prefix, 0);
	CHECK_MEM_EQ(e->ecs.addr, e->ecs.addr_len, "\xc0\0\2\0", 4);
	CHECK(e->has_cookie);
	CHECK_MEM_EQ(e->client_cookie, 8, "\1\2\3\4\5\6\7\x8", 8);
	CHECK_UINT_EQ(e->server_cookie_len, 16);
	CHECK_MEM_EQ(e->server_cookie, 16, opts + 23, 16);
	CHECK_STR_EQ(e->opts[1].text, "0102030405060708090a0b0c0d0e0f101112131415161718");
	REQUIRE(m.nar == 1);
	CHECK_UINT_EQ(m.ar[0].type, GB_DNS_T_OPT);
	CHECK_STR_EQ(m.ar[0].text, "version: 0, flags: do; udp: 1232; CLIENT-SUBNET: 192.0.2.0/24/0; COOKIE: "
				   "0102030405060708090a0b0c0d0e0f101112131415161718");
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_edns_ede_nsid_ecs6_padding_and_bad_cookie)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	static const uint8_t opts[] = {
		0, 15, 0, 9,  0,   15,	'a', 'd', 's',	' ', '"',  'x',	 '"',	    /* EDE 15 Blocked: ads "x" */
		0, 3,  0, 3,  'n', 's', '1',					    /* NSID */
		0, 8,  0, 11, 0,   2,	56,  48,  0x20, 1,   0x0d, 0xb8, 0,   0, 0, /* ECS 2001:db8::/56/48 */
		0, 12, 0, 3,  0,   0,	0,					    /* PADDING */
		0, 11, 0, 2,  1,   44,						    /* TCP-KEEPALIVE 30.0 s */
		0, 10, 0, 5,  1,   2,	3,   4,	  5,				    /* COOKIE of 5 bytes: bad */
	};

	put_header(w, 9, F_QR | 5, 0, 0, 0, 1);
	put_opt(w, 4096, 0x00000000, opts, sizeof(opts));

	CHECK_INT_EQ(parse_wb(&m, w), -EBADMSG);
	const struct gb_dns_edns *e = &m.edns;
	REQUIRE(e->nopts == 6);
	CHECK(e->has_ede);
	CHECK_UINT_EQ(e->ede_code, 15);
	CHECK_MEM_EQ(e->ede_text, e->ede_text_len, "ads \"x\"", 7);
	CHECK_STR_EQ(e->opts[0].text, "15 (Blocked): \"ads \\\"x\\\"\"");
	CHECK_STR_EQ(e->opts[1].text, "6e7331 (\"ns1\")");
	CHECK_STR_EQ(e->opts[2].text, "2001:db8::/56/48");
	CHECK_UINT_EQ(e->ecs.family, 2);
	CHECK_UINT_EQ(e->ecs.addr_len, 16);
	CHECK_STR_EQ(e->opts[3].text, "(3 bytes)");
	CHECK_STR_EQ(e->opts[4].text, "30.0 secs");
	CHECK_STR_EQ(e->opts[5].text, "0102030405");
	CHECK(!e->has_cookie);
	CHECK(!e->do_bit);
	CHECK_STR_EQ(m.malformed, "bad COOKIE option");
	CHECK(m.complete);
	CHECK_UINT_EQ(m.rcode, 5);
	CHECK_STR_EQ(m.ar[0].text,
		     "version: 0, flags:; udp: 4096; EDE: 15 (Blocked): \"ads \\\"x\\\"\"; NSID: 6e7331 "
		     "(\"ns1\"); CLIENT-SUBNET: 2001:db8::/56/48; PADDING: (3 bytes); TCP-KEEPALIVE: 30.0 "
		     "secs; COOKIE: 0102030405");
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_extended_rcode_badcookie_comes_from_opt)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	char buf[GB_DNS_NAME_BUF];

	put_header(w, 1, F_QR | 7, 0, 0, 0, 1); /* header: YXRRSET (7) */
	put_opt(w, 1232, 0x01000000, NULL, 0);	/* extended rcode 1: 1 << 4 | 7 = 23 */
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	CHECK_UINT_EQ(m.hdr_rcode, 7);
	CHECK_UINT_EQ(m.edns.ext_rcode, 1);
	CHECK_UINT_EQ(m.rcode, 23);
	CHECK_STR_EQ(gb_dns_rcode_name(m.rcode, buf), "BADCOOKIE");
	CHECK_STR_EQ(m.ar[0].text, "version: 0, flags:; udp: 1232");
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_second_opt_and_opt_in_answer_are_reported_not_used)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};

	put_header(w, 1, F_QR, 0, 1, 0, 2);
	put_opt(w, 512, 0x02000000, NULL, 0);
	put_opt(w, 1232, 0x00008000, NULL, 0);
	put_opt(w, 4096, 0x03000000, "\0\1\0\1", 4);
	CHECK_INT_EQ(parse_wb(&m, w), -EBADMSG);
	CHECK_STR_EQ(m.malformed, "OPT record outside the additional section");
	CHECK_UINT_EQ(m.edns.udp_size, 1232);
	CHECK_UINT_EQ(m.rcode, 0);
	CHECK_STR_EQ(m.ar[1].bad_rdata, "more than one OPT record");
	CHECK_STR_EQ(m.ar[1].text, "\\# 4 00010001");
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_name_with_dot_nul_space_quote_in_labels)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};

	put_header(w, 1, 0, 1, 0, 0, 0);
	put(w, "\3a.b\3x\0y\3c d\4q\"\\(\3com\0", 22);
	put16(w, 1);
	put16(w, 1);
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	REQUIRE(m.nqd == 1);
	CHECK_NAME(m.qd[0].name, "a.b.x\0y.c d.q\"\\(.com", "a\\.b.x\\000y.c\\032d.q\\\"\\\\\\(.com.");
	CHECK_UINT_EQ(m.qd[0].name.labels, 5);
	CHECK_UINT_EQ(m.qd[0].name.wire_len, 22);
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_root_name_is_a_dot_in_both_forms)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};

	put_header(w, 1, 0, 1, 0, 0, 0);
	put_question(w, "", 2);
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	CHECK_NAME(m.qd[0].name, ".", ".");
	CHECK_UINT_EQ(m.qd[0].name.wire_len, 1);
	CHECK_UINT_EQ(m.qd[0].name.labels, 0);
	gb_dns_msg_free(&m);
	free(w);
}

/* ---- malformed messages ---- */

/* Parses @w, expecting parsing to stop with @why at @at. */
static void check_stops(const struct wb *w, const char *why, size_t at, size_t nqd, size_t nrr)
{
	struct gb_dns_msg m = {0};

	CHECK_INT_EQ(parse_wb(&m, w), -EBADMSG);
	CHECK_STR_EQ(m.malformed, why);
	CHECK_UINT_EQ(m.malformed_at, at);
	CHECK(!m.complete);
	CHECK_UINT_EQ(m.nqd, nqd);
	CHECK_UINT_EQ(m.nan + m.nns + m.nar, nrr);
	gb_dns_msg_free(&m);
}

TEST(test_dns_pointer_loop_a_to_b_to_a_is_malformed)
{
	struct wb *w = wb_new();

	put_header(w, 1, F_QR, 1, 1, 0, 0);
	put8(w, 0);	/* the root, at 12 */
	put_ptr(w, 17); /* the question's type, at 13: also a pointer to the answer's name */
	put16(w, 1);	/* class */
	put_ptr(w, 13); /* the answer's name, at 17 */
	rr_begin(w, 1, 1, 0);
	check_stops(w, "name pointer loop", 17, 1, 0);
	free(w);
}

TEST(test_dns_pointer_to_itself_and_forward_pointer_are_malformed)
{
	struct wb *w = wb_new();

	put_header(w, 1, 0, 1, 0, 0, 0);
	put_ptr(w, 12);
	put16(w, 1);
	put16(w, 1);
	check_stops(w, "name pointer loop", 12, 0, 0);

	w->len = 0;
	put_header(w, 1, 0, 1, 0, 0, 0);
	put_ptr(w, 14);
	put_name(w, "example.com");
	put16(w, 1);
	put16(w, 1);
	check_stops(w, "forward name pointer", 12, 0, 0);

	/* a pointer past the end of the message points forward too */
	w->len = 0;
	put_header(w, 1, 0, 1, 0, 0, 0);
	put_ptr(w, 0x3fff);
	check_stops(w, "forward name pointer", 12, 0, 0);
	free(w);
}

TEST(test_dns_pointer_into_the_same_name_is_a_loop)
{
	struct wb *w = wb_new();

	put_header(w, 1, 0, 1, 0, 0, 0);
	put_labels(w, "abc");
	put_ptr(w, 13); /* into its own first label */
	check_stops(w, "name pointer loop", 12, 0, 0);
	free(w);
}

TEST(test_dns_label_past_the_end_and_name_without_end)
{
	struct wb *w = wb_new();

	put_header(w, 1, 0, 1, 0, 0, 0);
	put8(w, 5);
	put(w, "ab", 2);
	check_stops(w, "label past the end", 12, 0, 0);

	w->len = 0;
	put_header(w, 1, 0, 1, 0, 0, 0);
	put_labels(w, "abc");
	check_stops(w, "label past the end", 12, 0, 0);

	/* the header promises a question that is not there */
	w->len = 0;
	put_header(w, 1, 0, 1, 0, 0, 0);
	check_stops(w, "label past the end", 12, 0, 0);
	free(w);
}

TEST(test_dns_extended_label_types_are_malformed)
{
	struct wb *w = wb_new();

	put_header(w, 1, 0, 1, 0, 0, 0);
	put8(w, 0x41);
	put(w, "\0\0\0\0\0\0", 6);
	check_stops(w, "label too long", 12, 0, 0);
	w->b[12] = 0x80;
	check_stops(w, "label too long", 12, 0, 0);
	free(w);
}

TEST(test_dns_question_record_and_rdata_past_the_end)
{
	struct wb *w = wb_new();

	put_header(w, 1, 0, 1, 0, 0, 0);
	put_name(w, "a");
	put16(w, 1);
	check_stops(w, "question past the end", 15, 0, 0);

	w->len = 0;
	put_header(w, 1, F_QR, 1, 1, 0, 0);
	put_question(w, "a", 1);
	put_ptr(w, 12);
	put(w, "\0\1\0\1\0\0", 6);
	check_stops(w, "record past the end", 21, 1, 0);

	w->len = 0;
	put_header(w, 1, F_QR, 1, 2, 0, 0);
	put_question(w, "a", 1);
	put_ptr(w, 12);
	size_t rd = rr_begin(w, 1, 1, 0);
	put(w, "\1\2\3\4", 4);
	rr_end(w, rd);
	put_ptr(w, 12);
	size_t at = rr_begin(w, 1, 1, 0);
	w->b[w->len - 1] = 10;
	put(w, "\1\2\3\4", 4);
	check_stops(w, "rdata past the end", at, 1, 1);
	free(w);
}

TEST(test_dns_zero_length_label_ends_the_name)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};

	/* "foo", the root, "bar", the root: the first 0 is the root label; "\3ba" is then the type, "r\0" the class */
	put_header(w, 1, 0, 1, 0, 0, 0);
	put(w, "\3foo\0\3bar\0", 10);
	put16(w, 1);
	put16(w, 1);
	CHECK_INT_EQ(parse_wb(&m, w), -EBADMSG);
	REQUIRE(m.nqd == 1);
	CHECK_NAME(m.qd[0].name, "foo", "foo.");
	CHECK_UINT_EQ(m.qd[0].type, 0x0362);
	CHECK_UINT_EQ(m.qd[0].class, 0x6172);
	CHECK(m.complete);
	CHECK_STR_EQ(m.malformed, "trailing bytes");
	CHECK_UINT_EQ(m.malformed_at, 21);
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_name_of_255_bytes_parses_and_256_does_not)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	char label[64];

	memset(label, 'a', sizeof(label));
	put_header(w, 1, 0, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		put8(w, 63);
		put(w, label, 63);
	}
	put8(w, 61);
	put(w, label, 61);
	put8(w, 0);
	put16(w, 1);
	put16(w, 1);
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	REQUIRE(m.nqd == 1);
	CHECK_UINT_EQ(m.qd[0].name.wire_len, 255);
	CHECK_UINT_EQ(m.qd[0].name.text_len, 253);
	CHECK_UINT_EQ(m.qd[0].name.dig_len, 254);
	gb_dns_msg_free(&m);

	w->len = 12 + 3 * 64;
	put8(w, 62);
	put(w, label, 62);
	put8(w, 0);
	put16(w, 1);
	put16(w, 1);
	check_stops(w, "name too long", 12, 0, 0);

	/* the same length reached through a pointer */
	w->len = 0;
	put_header(w, 1, 0, 2, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		put8(w, 63);
		put(w, label, 63);
	}
	put8(w, 0);
	put16(w, 1);
	put16(w, 1);
	put8(w, 63);
	put(w, label, 63);
	put_ptr(w, 12);
	put16(w, 1);
	put16(w, 1);
	check_stops(w, "name too long", 12 + 193 + 4, 1, 0);
	free(w);
}

TEST(test_dns_chains_of_pointers_are_bounded)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};

	for (int chain = 128; chain <= 129; chain++) {
		w->len = 0;
		put_header(w, 1, F_QR, 0, 2, 0, 0);
		put_name(w, "");
		size_t rd = rr_begin(w, 65280, 1, 0);
		size_t prev = w->len;
		put8(w, 0);
		for (int i = 1; i < chain; i++) {
			size_t here = w->len;
			put_ptr(w, prev);
			prev = here;
		}
		rr_end(w, rd);
		size_t owner = w->len;
		put_ptr(w, prev); /* the second owner: @chain pointers to the root */
		rd = rr_begin(w, 1, 1, 0);
		put(w, "\1\2\3\4", 4);
		rr_end(w, rd);
		if (chain == 128) {
			CHECK_INT_EQ(parse_wb(&m, w), 0);
			CHECK_UINT_EQ(m.nan, 2);
			CHECK_NAME(m.an[1].name, ".", ".");
		} else {
			check_stops(w, "too many name pointers", owner, 0, 1);
		}
	}
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_bad_name_in_rdata_keeps_parsing)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};

	put_header(w, 1, F_QR, 0, 3, 0, 0);
	put_name(w, "a");
	size_t rd = rr_begin(w, GB_DNS_T_CNAME, 1, 0);
	put_ptr(w, rd); /* to itself */
	rr_end(w, rd);
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_NS, 1, 0);
	put_name(w, "b"); /* then one byte too many */
	put8(w, 0);
	rr_end(w, rd);
	put_ptr(w, 12);
	rd = rr_begin(w, GB_DNS_T_MX, 1, 0);
	put16(w, 5);
	put8(w, 3); /* the name runs past the rdata */
	rr_end(w, rd);
	put(w, "abc", 3);
	w->len -= 3;
	CHECK_INT_EQ(parse_wb(&m, w), -EBADMSG);
	REQUIRE(m.nan == 3);
	CHECK_STR_EQ(m.an[0].bad_rdata, "name pointer loop");
	CHECK_STR_EQ(m.an[0].text, "\\# 2 C019");
	CHECK_UINT_EQ(m.an[0].target.wire_len, 0);
	CHECK_STR_EQ(m.an[1].bad_rdata, "rdata longer than its fields");
	CHECK_STR_EQ(m.an[2].bad_rdata, "name past the end of the rdata");
	CHECK(m.complete);
	CHECK_STR_EQ(m.malformed, "name pointer loop");
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_header_only_and_shorter)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};

	put_header(w, 0xffff, F_QR | F_TC | (4 << 11) | 0xf, 0, 0, 0, 0);
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	CHECK(m.complete);
	CHECK(m.tc);
	CHECK_UINT_EQ(m.opcode, 4);
	CHECK_UINT_EQ(m.rcode, 15);
	CHECK_UINT_EQ(m.id, 0xffff);

	w->len = 11;
	CHECK_INT_EQ(parse_wb(&m, w), -EBADMSG);
	CHECK_STR_EQ(m.malformed, "header too short");
	CHECK(!m.complete);
	CHECK_UINT_EQ(m.id, 0);
	w->len = 0;
	CHECK_INT_EQ(parse_wb(&m, w), -EBADMSG);
	CHECK_STR_EQ(m.malformed, "header too short");
	CHECK_INT_EQ(gb_dns_parse(&m, w->b, 65536), -EMSGSIZE);
	gb_dns_msg_free(&m);
	gb_dns_msg_free(&m);
	gb_dns_msg_free(NULL);
	free(w);
}

TEST(test_dns_message_of_65535_bytes_with_4094_records)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};

	put_header(w, 1, F_QR, 1, 4094, 0, 0);
	put_question(w, "example.com", GB_DNS_T_A);
	for (unsigned i = 0; i < 4093; i++) {
		put_ptr(w, 12);
		size_t rd = rr_begin(w, GB_DNS_T_A, 1, i);
		put32(w, 0x0a000000 | i);
		rr_end(w, rd);
	}
	put_ptr(w, 12);
	size_t rd = rr_begin(w, 65280, 1, 0);
	put(w, "\1\2\3\4\5\6", 6);
	rr_end(w, rd);
	REQUIRE(w->len == 65535);
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	REQUIRE(m.nan == 4094);
	CHECK_STR_EQ(m.an[4000].text, "10.0.15.160");
	CHECK_NAME(m.an[4000].name, "example.com", "example.com.");
	CHECK_UINT_EQ(m.an[4000].ttl, 4000);
	CHECK_STR_EQ(m.an[4093].text, "\\# 6 010203040506");

	/* again into the same storage, which has grown: the same result */
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	REQUIRE(m.nan == 4094);
	CHECK_STR_EQ(m.an[4092].text, "10.0.15.252");
	CHECK_STR_EQ(m.an[4093].text, "\\# 6 010203040506");

	/* the same struct for a small message afterwards: nothing of the big one remains */
	w->len = 0;
	put_header(w, 2, 0, 0, 0, 0, 0);
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	CHECK_UINT_EQ(m.nan, 0);
	CHECK_UINT_EQ(m.id, 2);
	CHECK_UINT_EQ(m.wire_len, 12);
	gb_dns_msg_free(&m);
	free(w);
}

TEST(test_dns_message_decoding_to_megabytes_then_a_small_one)
{
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};
	uint8_t label[63];
	size_t n = 0;

	/* owners of 254 wire bytes, each byte 0x01 (\001 in dig's form): about 1.3 MB of text */
	memset(label, 1, sizeof(label));
	put_header(w, 1, F_QR, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++) {
		put8(w, 63);
		put(w, label, 63);
	}
	put8(w, 0);
	put16(w, 65280);
	put16(w, 1);
	while (w->len + 72 <= GB_DNS_MAX_MSG) {
		put8(w, 60);
		put(w, label, 60);
		put_ptr(w, 12);
		rr_end(w, rr_begin(w, 65280, 1, 0));
		n++;
	}
	w->b[6] = (uint8_t)(n >> 8);
	w->b[7] = (uint8_t)n;
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	REQUIRE(m.nan == n);
	CHECK_UINT_EQ(m.an[n - 1].name.wire_len, 254);
	CHECK_UINT_EQ(m.an[n - 1].name.dig_len, 4 * 249 + 4);
	CHECK_MEM_EQ(m.an[n - 1].name.dig, 9, "\\001\\001\\0", 9);

	w->len = 0;
	put_header(w, 2, F_QR, 1, 0, 0, 0);
	put_question(w, "small", 1);
	CHECK_INT_EQ(parse_wb(&m, w), 0);
	CHECK_NAME(m.qd[0].name, "small", "small.");
	CHECK_UINT_EQ(m.nan, 0);
	gb_dns_msg_free(&m);
	free(w);
}

/* ---- names of numbers and numbers of names ---- */

TEST(test_dns_every_rcode_has_its_iana_name)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
		"NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14",	 "RCODE15",
		"BADVERS", "BADKEY",  "BADTIME",  "BADMODE",   "BADNAME", "BADALG",  "BADTRUNC", "BADCOOKIE",
	};
	char buf[GB_DNS_NAME_BUF];

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK_STR_EQ(gb_dns_rcode_name(i, buf), names[i]);
		CHECK_INT_EQ(gb_dns_rcode_parse(names[i]), i);
	}
	CHECK_STR_EQ(gb_dns_rcode_name(24, buf), "RCODE24");
	CHECK_STR_EQ(gb_dns_rcode_name(4095, buf), "RCODE4095");
}

TEST(test_dns_type_class_opcode_and_option_names)
{
	char buf[GB_DNS_NAME_BUF];

	CHECK_STR_EQ(gb_dns_type_name(1, buf), "A");
	CHECK_STR_EQ(gb_dns_type_name(28, buf), "AAAA");
	CHECK_STR_EQ(gb_dns_type_name(65, buf), "HTTPS");
	CHECK_STR_EQ(gb_dns_type_name(257, buf), "CAA");
	CHECK_STR_EQ(gb_dns_type_name(63, buf), "ZONEMD");
	CHECK_STR_EQ(gb_dns_type_name(0, buf), "TYPE0");
	CHECK_STR_EQ(gb_dns_type_name(65535, buf), "TYPE65535");
	CHECK_STR_EQ(gb_dns_class_name(1, buf), "IN");
	CHECK_STR_EQ(gb_dns_class_name(3, buf), "CH");
	CHECK_STR_EQ(gb_dns_class_name(254, buf), "NONE");
	CHECK_STR_EQ(gb_dns_class_name(1232, buf), "CLASS1232");
	CHECK_STR_EQ(gb_dns_opcode_name(0, buf), "QUERY");
	CHECK_STR_EQ(gb_dns_opcode_name(5, buf), "UPDATE");
	CHECK_STR_EQ(gb_dns_opcode_name(6, buf), "DSO");
	CHECK_STR_EQ(gb_dns_opcode_name(3, buf), "3");
	CHECK_STR_EQ(gb_dns_opt_name(8, buf), "ECS");
	CHECK_STR_EQ(gb_dns_opt_name(10, buf), "COOKIE");
	CHECK_STR_EQ(gb_dns_opt_name(15, buf), "EDE");
	CHECK_STR_EQ(gb_dns_opt_name(65001, buf), "OPT65001");
	CHECK_STR_EQ(gb_dns_ede_name(0), "Other Error");
	CHECK_STR_EQ(gb_dns_ede_name(30), "Invalid Query Type");
	CHECK(gb_dns_ede_name(31) == NULL);
}

TEST(test_dns_type_and_rcode_parse_names_and_numbers)
{
	CHECK_INT_EQ(gb_dns_type_parse("AAAA"), 28);
	CHECK_INT_EQ(gb_dns_type_parse("aaaa"), 28);
	CHECK_INT_EQ(gb_dns_type_parse("TYPE28"), 28);
	CHECK_INT_EQ(gb_dns_type_parse("type65535"), 65535);
	CHECK_INT_EQ(gb_dns_type_parse("28"), 28);
	CHECK_INT_EQ(gb_dns_type_parse("https"), 65);
	CHECK_INT_EQ(gb_dns_type_parse("NSEC3PARAM"), 51);
	CHECK_INT_EQ(gb_dns_type_parse("TYPE65536"), -1);
	CHECK_INT_EQ(gb_dns_type_parse("TYPE"), -1);
	CHECK_INT_EQ(gb_dns_type_parse("TYPE-1"), -1);
	CHECK_INT_EQ(gb_dns_type_parse("TYPE99999999999999999999"), -1);
	CHECK_INT_EQ(gb_dns_type_parse("AAAA "), -1);
	CHECK_INT_EQ(gb_dns_type_parse("bogus"), -1);
	CHECK_INT_EQ(gb_dns_type_parse(""), -1);
	CHECK_INT_EQ(gb_dns_type_parse(NULL), -1);
	CHECK_INT_EQ(gb_dns_rcode_parse("nxdomain"), 3);
	CHECK_INT_EQ(gb_dns_rcode_parse("BADSIG"), 16);
	CHECK_INT_EQ(gb_dns_rcode_parse("badvers"), 16);
	CHECK_INT_EQ(gb_dns_rcode_parse("RCODE4095"), 4095);
	CHECK_INT_EQ(gb_dns_rcode_parse("rcode0"), 0);
	CHECK_INT_EQ(gb_dns_rcode_parse("4096"), -1);
	CHECK_INT_EQ(gb_dns_rcode_parse("NXDOMAINX"), -1);
}

TEST(test_dns_ipv6_text_follows_rfc5952)
{
	static const struct {
		const char *bytes, *text;
	} cases[] = {
		{"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", "::"},
		{"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", "::1"},
		{"\x20\x01\x0d\xb8\0\0\0\1\0\0\0\0\0\0\0\1", "2001:db8:0:1::1"},
		{"\x20\x01\x0d\xb8\0\0\0\0\0\1\0\0\0\0\0\1", "2001:db8::1:0:0:1"},
		{"\x20\x01\x0d\xb8\0\1\0\1\0\1\0\1\0\1\0\1", "2001:db8:1:1:1:1:1:1"},
		{"\x20\x01\x0d\xb8\0\0\0\1\0\1\0\1\0\1\0\1", "2001:db8:0:1:1:1:1:1"},
		{"\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\0\2\1", "::ffff:192.0.2.1"},
		{"\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\0", "fe80::"},
	};
	struct wb *w = wb_new();
	struct gb_dns_msg m = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w->len = 0;
		put_header(w, 1, F_QR, 0, 1, 0, 0);
		put_name(w, "");
		size_t rd = rr_begin(w, GB_DNS_T_AAAA, 1, 0);
		put(w, cases[i].bytes, 16);
		rr_end(w, rd);
		CHECK_INT_EQ(parse_wb(&m, w), 0);
		CHECK_STR_EQ(m.an[0].text, cases[i].text);
	}
	gb_dns_msg_free(&m);
	free(w);
}

/* ---- DNS over TCP ---- */

struct got {
	unsigned n;
	unsigned ids[64];
	size_t lens[64];
};

static void got_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct got *g = ctx;
	unsigned id = (unsigned)msg[0] << 8 | msg[1];

	if (g->n < 64) {
		g->ids[g->n] = id;
		g->lens[g->n] = len;
	}
	g->n++;
}

/* A framed message: the 2-byte length, a header with @id, then @extra bytes of padding. */
static size_t frame(uint8_t *out, unsigned id, size_t extra)
{
	size_t len = GB_DNS_HEADER_LEN + extra;

	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	memset(out + 2, 0, len);
	out[2] = (uint8_t)(id >> 8);
	out[3] = (uint8_t)id;
	for (size_t i = 0; i < extra; i++)
		out[2 + GB_DNS_HEADER_LEN + i] = (uint8_t)i;
	return 2 + len;
}

#define SYN GB_DNS_TCP_SYN
#define FIN GB_DNS_TCP_FIN
#define RST GB_DNS_TCP_RST

TEST(test_dns_tcp_two_messages_in_one_segment)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t buf[128];
	size_t n = frame(buf, 1, 5);

	n += frame(buf + n, 2, 0);
	gb_dns_tcp_init(&s, got_msg, &g);
	gb_dns_tcp_segment(&s, 1000, NULL, 0, SYN);
	gb_dns_tcp_segment(&s, 1001, buf, n, 0);
	CHECK_UINT_EQ(g.n, 2);
	CHECK_UINT_EQ(g.ids[0], 1);
	CHECK_UINT_EQ(g.lens[0], 17);
	CHECK_UINT_EQ(g.ids[1], 2);
	CHECK_UINT_EQ(g.lens[1], 12);
	CHECK_UINT_EQ(s.stats.messages, 2);
	CHECK_UINT_EQ(s.stats.bytes, n);
	CHECK_UINT_EQ(s.stats.late_starts, 0);
	gb_dns_tcp_free(&s);
}

TEST(test_dns_tcp_one_message_in_three_segments)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t buf[128];
	size_t n = frame(buf, 0x77, 40);

	gb_dns_tcp_init(&s, got_msg, &g);
	gb_dns_tcp_segment(&s, 0, NULL, 0, SYN);
	gb_dns_tcp_segment(&s, 1, buf, 1, 0); /* half the length */
	gb_dns_tcp_segment(&s, 2, buf + 1, 20, 0);
	CHECK_UINT_EQ(g.n, 0);
	gb_dns_tcp_segment(&s, 22, buf + 21, n - 21, 0);
	CHECK_UINT_EQ(g.n, 1);
	CHECK_UINT_EQ(g.ids[0], 0x77);
	CHECK_UINT_EQ(g.lens[0], 52);
	gb_dns_tcp_free(&s);
}

TEST(test_dns_tcp_retransmitted_segment_gives_no_duplicate)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t buf[128];
	size_t n = frame(buf, 1, 10);

	n += frame(buf + n, 2, 10);
	gb_dns_tcp_init(&s, got_msg, &g);
	gb_dns_tcp_segment(&s, 500, NULL, 0, SYN);
	gb_dns_tcp_segment(&s, 501, buf, 30, 0);
	gb_dns_tcp_segment(&s, 500, NULL, 0, SYN);	  /* the SYN again */
	gb_dns_tcp_segment(&s, 501, buf, 30, 0);	  /* all seen */
	gb_dns_tcp_segment(&s, 511, buf + 10, n - 10, 0); /* overlaps what was seen */
	gb_dns_tcp_segment(&s, 501, buf, n, 0);		  /* all seen */
	CHECK_UINT_EQ(g.n, 2);
	CHECK_UINT_EQ(g.ids[0], 1);
	CHECK_UINT_EQ(g.ids[1], 2);
	CHECK_UINT_EQ(s.stats.retrans_bytes, 30 + 20 + n);
	CHECK_UINT_EQ(s.stats.bytes, n);
	gb_dns_tcp_free(&s);
}

TEST(test_dns_tcp_message_of_64k_in_45_segments_across_the_wrap)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t *buf = malloc(2 * 65537);
	size_t n = frame(buf, 0x6464, GB_DNS_MAX_MSG - GB_DNS_HEADER_LEN);
	uint32_t seq = 0xffff0000u;
	unsigned segs = 0;

	n += frame(buf + n, 0x42, 3);
	gb_dns_tcp_init(&s, got_msg, &g);
	gb_dns_tcp_segment(&s, seq - 1, NULL, 0, SYN);
	for (size_t off = 0; off < n; off += 1460, segs++)
		gb_dns_tcp_segment(&s, seq + (uint32_t)off, buf + off, n - off < 1460 ? n - off : 1460, 0);
	CHECK_UINT_EQ(segs, 45);
	REQUIRE(g.n == 2);
	CHECK_UINT_EQ(g.ids[0], 0x6464);
	CHECK_UINT_EQ(g.lens[0], 65535);
	CHECK_UINT_EQ(g.ids[1], 0x42);
	CHECK_UINT_EQ(s.stats.retrans_bytes, 0);
	CHECK_UINT_EQ(s.stats.gaps, 0);
	CHECK(s.next_seq < 0x10000); /* wrapped */
	gb_dns_tcp_free(&s);
	free(buf);
}

TEST(test_dns_tcp_sequence_wraparound_with_out_of_order_segments)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t buf[128];
	size_t n = frame(buf, 1, 20);

	n += frame(buf + n, 2, 20);
	/* the first message ends past 2^32: its second half arrives first */
	gb_dns_tcp_init(&s, got_msg, &g);
	gb_dns_tcp_segment(&s, 0xfffffff0u, NULL, 0, SYN);
	gb_dns_tcp_segment(&s, 0xfffffff1u + 20, buf + 20, n - 20, 0);
	CHECK_UINT_EQ(g.n, 0);
	CHECK_UINT_EQ(s.npend, 1);
	gb_dns_tcp_segment(&s, 0xfffffff1u, buf, 20, 0);
	CHECK_UINT_EQ(g.n, 2);
	CHECK_UINT_EQ(g.ids[0], 1);
	CHECK_UINT_EQ(g.ids[1], 2);
	CHECK_UINT_EQ(s.npend, 0);
	CHECK_UINT_EQ(s.stats.gaps, 0);
	CHECK_UINT_EQ(s.next_seq, (uint32_t)(0xfffffff1u + n));
	gb_dns_tcp_free(&s);
}

TEST(test_dns_tcp_out_of_order_then_the_missing_one)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t buf[256];
	size_t n1 = frame(buf, 1, 10), n2 = frame(buf + n1, 2, 10), n3 = frame(buf + n1 + n2, 3, 10);

	gb_dns_tcp_init(&s, got_msg, &g);
	gb_dns_tcp_segment(&s, 99, NULL, 0, SYN);
	gb_dns_tcp_segment(&s, 100 + n1 + n2, buf + n1 + n2, n3, 0); /* third */
	gb_dns_tcp_segment(&s, 100 + n1, buf + n1, n2, 0);	     /* second */
	gb_dns_tcp_segment(&s, 100 + n1, buf + n1, n2, 0);	     /* second again, waiting already */
	CHECK_UINT_EQ(g.n, 0);
	CHECK_UINT_EQ(s.pend_bytes, n2 + n3);
	gb_dns_tcp_segment(&s, 100, buf, n1, 0); /* first */
	CHECK_UINT_EQ(g.n, 3);
	CHECK_UINT_EQ(g.ids[0], 1);
	CHECK_UINT_EQ(g.ids[1], 2);
	CHECK_UINT_EQ(g.ids[2], 3);
	CHECK_UINT_EQ(s.stats.retrans_bytes, n2);
	CHECK_UINT_EQ(s.pend_bytes, 0);
	gb_dns_tcp_free(&s);
}

TEST(test_dns_tcp_hole_too_big_to_wait_for_is_a_gap)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t buf[256];
	size_t n1 = frame(buf, 1, 10), n2 = frame(buf + n1, 2, 10), n3 = frame(buf + n1 + n2, 3, 10);

	gb_dns_tcp_init(&s, got_msg, &g);
	s.max_pending = n3 + 5;
	gb_dns_tcp_segment(&s, 0, NULL, 0, SYN);
	gb_dns_tcp_segment(&s, 1, buf, 7, 0); /* a part of the first */
	/* the rest of the first and the second are lost; the third waits, then more than max_pending */
	gb_dns_tcp_segment(&s, 1 + n1 + n2, buf + n1 + n2, n3, 0);
	CHECK_UINT_EQ(g.n, 0);
	gb_dns_tcp_segment(&s, 1 + n1 + n2 + n3, buf, n1, 0);
	CHECK_UINT_EQ(s.stats.gaps, 1);
	CHECK_UINT_EQ(s.stats.gap_bytes, n1 + n2 - 7);
	CHECK_UINT_EQ(s.stats.dropped_bytes, 7);
	REQUIRE(g.n == 2);
	CHECK_UINT_EQ(g.ids[0], 3);
	CHECK_UINT_EQ(g.ids[1], 1);
	gb_dns_tcp_free(&s);
}

TEST(test_dns_tcp_late_start_assumes_a_frame_at_the_first_byte)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t buf[128];
	size_t n = frame(buf, 5, 3);

	gb_dns_tcp_init(&s, got_msg, &g);
	gb_dns_tcp_segment(&s, 123456, NULL, 0, 0); /* an ACK teaches nothing */
	gb_dns_tcp_segment(&s, 777, buf, n, 0);
	CHECK_UINT_EQ(s.stats.late_starts, 1);
	CHECK_UINT_EQ(g.n, 1);
	CHECK_UINT_EQ(g.ids[0], 5);
	gb_dns_tcp_free(&s);
}

TEST(test_dns_tcp_impossible_length_resyncs_at_the_next_segment)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t buf[128];
	size_t n = frame(buf, 9, 0);

	gb_dns_tcp_init(&s, got_msg, &g);
	/* tracing started inside a message: its last 4 bytes, "\0\0\0\x05" read as a length of 0 */
	gb_dns_tcp_segment(&s, 40, "\0\0\0\5", 4, 0);
	CHECK_UINT_EQ(s.stats.desyncs, 1);
	CHECK_UINT_EQ(s.stats.dropped_bytes, 4);
	gb_dns_tcp_segment(&s, 44, buf, n, 0);
	CHECK_UINT_EQ(g.n, 1);
	CHECK_UINT_EQ(g.ids[0], 9);
	/* a length of 11 completed by the last byte of a segment */
	gb_dns_tcp_segment(&s, 44 + n, "\0", 1, 0);
	gb_dns_tcp_segment(&s, 45 + n, "\13", 1, 0);
	CHECK_UINT_EQ(s.stats.desyncs, 2);
	gb_dns_tcp_segment(&s, 46 + n, buf, n, 0);
	CHECK_UINT_EQ(g.n, 2);
	gb_dns_tcp_free(&s);
}

static struct gb_dns_tcp *resync_stream;

/* Asks for a resync after the message with id 0xbad (as an applet would for one that does not parse). */
static void resync_on_bad(void *ctx, const uint8_t *msg, size_t len)
{
	got_msg(ctx, msg, len);
	if (msg[0] == 0x0b && msg[1] == 0xad)
		gb_dns_tcp_resync(resync_stream);
}

TEST(test_dns_tcp_callback_can_ask_for_resync)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t buf[128];
	size_t n = frame(buf, 0xbad, 0);

	n += frame(buf + n, 2, 0);
	gb_dns_tcp_init(&s, resync_on_bad, &g);
	resync_stream = &s;
	gb_dns_tcp_segment(&s, 0, buf, n, 0);
	CHECK_UINT_EQ(g.n, 1);
	CHECK_UINT_EQ(s.stats.dropped_bytes, 14);
	gb_dns_tcp_segment(&s, (uint32_t)n, buf + 14, 14, 0);
	CHECK_UINT_EQ(g.n, 2);
	CHECK_UINT_EQ(g.ids[1], 2);
	gb_dns_tcp_free(&s);
}

TEST(test_dns_tcp_fin_drops_partial_and_rst_forgets)
{
	struct got g = {0};
	struct gb_dns_tcp s;
	uint8_t buf[128];
	size_t n = frame(buf, 1, 20);

	gb_dns_tcp_init(&s, got_msg, &g);
	gb_dns_tcp_segment(&s, 0, NULL, 0, SYN);
	gb_dns_tcp_segment(&s, 1, buf, n, 0);
	gb_dns_tcp_segment(&s, 1 + n, buf, 10, FIN);
	CHECK_UINT_EQ(g.n, 1);
	CHECK_UINT_EQ(s.stats.dropped_bytes, 10);
	gb_dns_tcp_segment(&s, 11 + n, buf, n, 0); /* after the FIN: ignored */
	CHECK_UINT_EQ(g.n, 1);
	CHECK_UINT_EQ(s.stats.dropped_bytes, 10 + n);
	/* a new connection on the same ports */
	gb_dns_tcp_segment(&s, 5000, NULL, 0, SYN);
	gb_dns_tcp_segment(&s, 5001, buf, 10, 0);
	gb_dns_tcp_segment(&s, 0, NULL, 0, RST);
	CHECK_UINT_EQ(s.frame_len, 0);
	gb_dns_tcp_segment(&s, 9000, buf, n, 0);
	CHECK_UINT_EQ(g.n, 2);
	CHECK_UINT_EQ(s.stats.late_starts, 1);
	gb_dns_tcp_free(&s);
	gb_dns_tcp_free(NULL);
}
