/* dnssnoop's rows: a DNS message decoded, with its latency, or a query that timed out. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include "dnsmsg.h"
#include "event.h"
#include "frontend.h"
#include "jsonw.h"
#include "rows.h"

enum {
	DNF_DIR = GBF_COUNT,
	DNF_PKT_TYPE,
	DNF_PROTO,
	DNF_SRC,
	DNF_DST,
	DNF_SADDR,
	DNF_SPORT,
	DNF_DADDR,
	DNF_DPORT,
	DNF_NAMESERVER,
	DNF_NETNS,
	DNF_ID,
	DNF_QR,
	DNF_OPCODE,
	DNF_FLAGS,
	DNF_QTYPE,
	DNF_NAME,
	DNF_RCODE,
	DNF_LATENCY,
	DNF_LATENCY_NS,
	DNF_RETRANSMITS,
	DNF_NUM_ANSWERS,
	DNF_ANSWERS,
	DNF_ADDRESSES,
	DNF_QUESTIONS,
	DNF_ANSWER_RRS,
	DNF_AUTHORITY,
	DNF_ADDITIONAL,
	DNF_EDNS,
	DNF_MALFORMED,
	DNF_SIZE,
	DNF_COUNT,
};

#define F(i) [(i)-GBF_COUNT]
static const struct out_field fields[DNF_COUNT - GBF_COUNT] = {
	F(DNF_DIR) = {"dir", "DIR", 3, OUT_F_COLONLY},
	F(DNF_PKT_TYPE) = {"pktType", "PKTTYPE", 8, OUT_F_JSONONLY},
	F(DNF_PROTO) = {"protocol", "PROTO", 5, 0},
	F(DNF_SRC) = {"src", "SRC", 21, OUT_F_COLONLY},
	F(DNF_DST) = {"dst", "DST", 21, OUT_F_COLONLY},
	F(DNF_SADDR) = {"srcAddr.addr", "SADDR", 15, OUT_F_JSONONLY},
	F(DNF_SPORT) = {"srcAddr.port", "SPORT", 5, OUT_F_JSONONLY},
	F(DNF_DADDR) = {"dstAddr.addr", "DADDR", 15, OUT_F_JSONONLY},
	F(DNF_DPORT) = {"dstAddr.port", "DPORT", 5, OUT_F_JSONONLY},
	F(DNF_NAMESERVER) = {"nameserver", "NAMESERVER", 15, 0},
	F(DNF_NETNS) = {"netnsid", "NETNS", 10, 0},
	F(DNF_ID) = {"id", "ID", 5, 0},
	F(DNF_QR) = {"qr", "QR", 7, 0},
	F(DNF_OPCODE) = {"opcode", "OPCODE", 6, 0},
	F(DNF_FLAGS) = {"flags", "FLAGS", 14, 0},
	F(DNF_QTYPE) = {"qtype", "TYPE", 5, 0},
	F(DNF_NAME) = {"name", "NAME", 24, 0},
	F(DNF_RCODE) = {"rcode", "RCODE", 8, 0},
	F(DNF_LATENCY) = {"latencyMs", "LATENCY", 8, OUT_F_COLONLY},
	F(DNF_LATENCY_NS) = {"latency", "LATENCY_NS", 10, OUT_F_JSONONLY},
	F(DNF_RETRANSMITS) = {"retransmits", "RETR", 4, 0},
	F(DNF_NUM_ANSWERS) = {"numAnswers", "NUMANS", 3, 0},
	F(DNF_ANSWERS) = {"answersText", "ANSWERS", 20, OUT_F_COLONLY},
	F(DNF_ADDRESSES) = {"addresses", "ADDRESSES", 20, OUT_F_JSONONLY},
	F(DNF_QUESTIONS) = {"questions", "QUESTIONS", 20, OUT_F_JSONONLY},
	F(DNF_ANSWER_RRS) = {"answers", "ANSWERRRS", 20, OUT_F_JSONONLY},
	F(DNF_AUTHORITY) = {"authority", "AUTHORITY", 20, OUT_F_JSONONLY},
	F(DNF_ADDITIONAL) = {"additional", "ADDITIONAL", 20, OUT_F_JSONONLY},
	F(DNF_EDNS) = {"edns", "EDNS", 20, OUT_F_JSONONLY},
	F(DNF_MALFORMED) = {"malformed", "MALFORMED", 10, 0},
	F(DNF_SIZE) = {"size", "SIZE", 5, 0},
};

static void format_addr(char *buf, size_t size, int family, const uint8_t *addr)
{
	inet_ntop(family, addr, buf, (socklen_t)size);
}

static void format_endpoint(char *buf, size_t size, int family, const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	format_addr(a, sizeof(a), family, addr);
	snprintf(buf, size, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

/* The nested JSON members of a message, each appended to @sb as one "key":value member (out_raw). */
static void json_questions(struct strbuf *sb, const struct gb_dns_msg *m)
{
	char b1[GB_DNS_NAME_BUF], b2[GB_DNS_NAME_BUF];
	struct jsonw w;

	jw_init_members(&w, sb, true);
	jw_member_arr_begin(&w, "questions");
	for (size_t i = 0; i < m->nqd; i++) {
		const struct gb_dns_question *q = &m->qd[i];
		jw_obj_begin(&w);
		jw_member_strn(&w, "name", q->name.text, q->name.text_len);
		jw_member_str(&w, "type", gb_dns_type_name(q->type, b1));
		jw_member_str(&w, "class", gb_dns_class_name(q->class, b2));
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
}

static void json_rrs(struct strbuf *sb, const char *key, const struct gb_dns_rr *rrs, size_t n)
{
	char b1[GB_DNS_NAME_BUF], b2[GB_DNS_NAME_BUF];
	struct jsonw w;

	jw_init_members(&w, sb, true);
	jw_member_arr_begin(&w, key);
	for (size_t i = 0; i < n; i++) {
		const struct gb_dns_rr *r = &rrs[i];
		if (r->type == GB_DNS_T_OPT)
			continue; /* "edns" shows it */
		jw_obj_begin(&w);
		jw_member_strn(&w, "name", r->name.text, r->name.text_len);
		jw_member_str(&w, "type", gb_dns_type_name(r->type, b1));
		jw_member_str(&w, "class", gb_dns_class_name(r->class, b2));
		jw_member_u64(&w, "ttl", r->ttl);
		jw_member_strn(&w, "data", r->text, r->text_len);
		if (r->bad_rdata)
			jw_member_str(&w, "malformed", r->bad_rdata);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
}

static void json_edns(struct strbuf *sb, const struct gb_dns_edns *x)
{
	char b[GB_DNS_NAME_BUF];
	struct jsonw w;

	jw_init_members(&w, sb, true);
	jw_member_obj_begin(&w, "edns");
	jw_member_u64(&w, "udpSize", x->udp_size);
	jw_member_u64(&w, "version", x->version);
	jw_member_bool(&w, "do", x->do_bit);
	jw_member_u64(&w, "extendedRcode", x->ext_rcode);
	jw_member_arr_begin(&w, "options");
	for (size_t i = 0; i < x->nopts; i++) {
		const struct gb_dns_opt *o = &x->opts[i];
		jw_obj_begin(&w);
		jw_member_u64(&w, "code", o->code);
		jw_member_str(&w, "name", gb_dns_opt_name(o->code, b));
		jw_member_str(&w, "data", o->text ? o->text : "");
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
}

static void json_addresses(struct strbuf *sb, const struct gb_dns_msg *m)
{
	struct jsonw w;

	jw_init_members(&w, sb, true);
	jw_member_arr_begin(&w, "addresses");
	for (size_t i = 0; i < m->nan; i++) {
		char a[INET6_ADDRSTRLEN];
		if (!m->an[i].addr)
			continue;
		format_addr(a, sizeof(a), m->an[i].addr_len == 16 ? AF_INET6 : AF_INET, m->an[i].addr);
		jw_str(&w, a);
	}
	jw_arr_end(&w);
}

void gb_dns_row(struct output *out, const struct gb_dns_event *e)
{
	static struct strbuf sb[8];
	const struct gb_dns_msg *m = e->dns;
	char b1[GB_DNS_NAME_BUF], src[64], dst[64], saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN], lat[32];
	bool timeout = e->kind == GB_DNS_TIMEOUT;

	gb_event_begin(out, &e->proc);
	out_str(out, DNF_DIR, e->egress ? "out" : "in");
	out_str(out, DNF_PKT_TYPE, e->egress ? "OUTGOING" : "HOST");
	out_str(out, DNF_PROTO, e->protocol == IPPROTO_TCP ? "tcp" : "udp");
	format_endpoint(src, sizeof(src), e->family, e->saddr, e->sport);
	format_endpoint(dst, sizeof(dst), e->family, e->daddr, e->dport);
	out_str(out, DNF_SRC, src);
	out_str(out, DNF_DST, dst);
	format_addr(saddr, sizeof(saddr), e->family, e->saddr);
	format_addr(daddr, sizeof(daddr), e->family, e->daddr);
	out_str(out, DNF_SADDR, saddr);
	out_u64(out, DNF_SPORT, e->sport);
	out_str(out, DNF_DADDR, daddr);
	out_u64(out, DNF_DPORT, e->dport);
	/* the server's side of the exchange: where a query goes, where a response comes from */
	bool to_server = m->qr ? !e->egress : e->egress;
	out_str(out, DNF_NAMESERVER, to_server ? (m->qr ? saddr : daddr) : (m->qr ? daddr : saddr));
	out_u64(out, DNF_NETNS, e->netns);
	out_u64(out, DNF_SIZE, e->msg_len);
	if (m->malformed || e->truncated)
		out_str(out, DNF_MALFORMED, e->truncated ? "capture truncated at 64 KiB" : m->malformed);
	if (e->msg_len < GB_DNS_HEADER_LEN) {
		out_str(out, DNF_QR, "?");
		out_end(out);
		return;
	}
	out_u64(out, DNF_ID, m->id);
	out_str(out, DNF_QR, timeout ? "timeout" : m->qr ? "R" : "Q");
	out_str(out, DNF_OPCODE, gb_dns_opcode_name(m->opcode, b1));
	for (int i = 0; i < 8; i++)
		sb_reset(&sb[i]);
	char flags[GB_DNS_FLAGS_BUF];
	out_str(out, DNF_FLAGS, gb_dns_flags_text(m, flags));
	if (m->nqd) {
		out_str(out, DNF_QTYPE, gb_dns_type_name(m->qd[0].type, b1));
		if (output_json(out))
			out_strn(out, DNF_NAME, m->qd[0].name.text, m->qd[0].name.text_len);
		else
			out_strn(out, DNF_NAME, m->qd[0].name.dig, m->qd[0].name.dig_len);
	}
	if (m->qr && !timeout)
		out_str(out, DNF_RCODE, gb_dns_rcode_name(m->rcode, b1));
	if (timeout || (m->qr && e->matched)) {
		snprintf(lat, sizeof(lat), "%.3f", e->latency_ns / 1e6);
		out_str(out, DNF_LATENCY, lat);
		out_u64(out, DNF_LATENCY_NS, e->latency_ns);
	}
	if (!m->qr || timeout)
		out_u64(out, DNF_RETRANSMITS, e->retransmits);
	if (m->qr && !timeout) {
		out_u64(out, DNF_NUM_ANSWERS, m->nan);
		/* columns: the answers' data ("1.2.3.4,cname.example."), the first 200 bytes of it */
		for (size_t i = 0; i < m->nan; i++) {
			if (sb[1].len > 200) {
				sb_addf(&sb[1], ",...(%zu more)", m->nan - i);
				break;
			}
			if (i)
				sb_addc(&sb[1], ',');
			sb_add(&sb[1], m->an[i].text, m->an[i].text_len < 200 ? m->an[i].text_len : 200);
		}
	}
	if (m->malformed) { /* columns: said where the answers go */
		sb_adds(&sb[1], sb[1].len ? " " : "");
		sb_adds(&sb[1], "malformed: ");
		sb_adds(&sb[1], m->malformed);
	}
	if (sb[1].len)
		out_strn(out, DNF_ANSWERS, sb[1].buf, sb[1].len);
	if (output_json(out)) {
		if (m->qr && !timeout) {
			json_addresses(&sb[2], m);
			out_raw(out, DNF_ADDRESSES, sb[2].buf, sb[2].len);
		}
		json_questions(&sb[3], m);
		out_raw(out, DNF_QUESTIONS, sb[3].buf, sb[3].len);
		json_rrs(&sb[4], "answers", m->an, m->nan);
		out_raw(out, DNF_ANSWER_RRS, sb[4].buf, sb[4].len);
		json_rrs(&sb[5], "authority", m->ns, m->nns);
		out_raw(out, DNF_AUTHORITY, sb[5].buf, sb[5].len);
		json_rrs(&sb[6], "additional", m->ar, m->nar);
		out_raw(out, DNF_ADDITIONAL, sb[6].buf, sb[6].len);
		if (m->edns.present) {
			json_edns(&sb[7], &m->edns);
			out_raw(out, DNF_EDNS, sb[7].buf, sb[7].len);
		}
	}
	out_end(out);
}

const struct gb_cli_rows gb_dns_rows = {"dns", fields, DNF_COUNT - GBF_COUNT};
