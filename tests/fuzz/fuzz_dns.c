/*
 * libFuzzer: the input as one DNS message (gb_dns_parse). Every pointer the decoder hands out must lie inside
 * the message copy or be a NUL-terminated text of the length it claims; every byte of both is read. The same
 * struct then decodes the input without its first byte and the input again, which must give the same result
 * (nothing of one message leaks into the next).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gb_dns_msg msg, again;

static void touch(const void *p, size_t n)
{
	volatile unsigned char sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += ((const unsigned char *)p)[i];
	(void)sum;
}

static void check_inside(const struct gb_dns_msg *m, const void *p, size_t n)
{
	const uint8_t *b = p;

	if (!n)
		return;
	if (!b || b < m->wire || n > m->wire_len || (size_t)(b - m->wire) > m->wire_len - n)
		__builtin_trap();
	touch(p, n);
}

/* A text with no NUL inside (every byte that could be one is escaped) and one after it. */
static void check_text(const char *s, size_t len)
{
	if (!s || strlen(s) != len)
		__builtin_trap();
}

static void check_name(const struct gb_dns_name *n, bool present)
{
	if (!present && !n->wire_len)
		return;
	if (n->wire_len < 1 || n->wire_len > GB_DNS_MAX_NAME || n->wire[n->wire_len - 1] != 0)
		__builtin_trap();
	touch(n->wire, n->wire_len);
	touch(n->text, n->text_len + 1);
	/* each label's length becomes a '.' but the first, and the root's 0 goes: 2 bytes fewer; the root is "." */
	if (n->text[n->text_len] || n->text_len != (n->wire_len == 1 ? 1 : n->wire_len - 2u))
		__builtin_trap();
	check_text(n->dig, n->dig_len);
	if (n->dig[n->dig_len - 1] != '.')
		__builtin_trap();
}

static void check_rr(const struct gb_dns_msg *m, const struct gb_dns_rr *rr, enum gb_dns_section section)
{
	if (rr->section != section)
		__builtin_trap();
	check_name(&rr->name, true);
	check_name(&rr->target, false);
	check_inside(m, rr->rdata, rr->rdlength);
	check_text(rr->text, rr->text_len);
	if (rr->addr &&
	    (rr->addr != rr->rdata || rr->addr_len != rr->rdlength || (rr->addr_len != 4 && rr->addr_len != 16)))
		__builtin_trap();
	if (rr->bad_rdata && (strncmp(rr->text, "\\# ", 3) || !m->malformed))
		__builtin_trap();
}

static void check_msg(const struct gb_dns_msg *m, int r, size_t size)
{
	if ((r == 0) != !m->malformed || (r != 0 && r != -EBADMSG))
		__builtin_trap();
	if (m->wire_len != size || m->malformed_at > size || m->nqd > m->qdcount || m->nan > m->ancount ||
	    m->nns > m->nscount || m->nar > m->arcount)
		__builtin_trap();
	if (m->complete &&
	    (m->nqd != m->qdcount || m->nan != m->ancount || m->nns != m->nscount || m->nar != m->arcount))
		__builtin_trap();
	for (size_t i = 0; i < m->nqd; i++)
		check_name(&m->qd[i].name, true);
	for (size_t i = 0; i < m->nan; i++)
		check_rr(m, &m->an[i], GB_DNS_ANSWER);
	for (size_t i = 0; i < m->nns; i++)
		check_rr(m, &m->ns[i], GB_DNS_AUTHORITY);
	for (size_t i = 0; i < m->nar; i++)
		check_rr(m, &m->ar[i], GB_DNS_ADDITIONAL);
	const struct gb_dns_edns *e = &m->edns;
	for (size_t i = 0; i < e->nopts; i++) {
		check_inside(m, e->opts[i].data, e->opts[i].len);
		check_text(e->opts[i].text, strlen(e->opts[i].text));
	}
	if (e->has_cookie)
		check_inside(m, e->server_cookie, e->server_cookie_len);
	if (e->has_ede)
		check_inside(m, e->ede_text, e->ede_text_len);
	if (m->rcode > 0xfff || (!e->present && m->rcode != m->hdr_rcode))
		__builtin_trap();
}

/* The decoded texts of two decodings of the same bytes are the same. */
static void check_same(const struct gb_dns_msg *a, const struct gb_dns_msg *b)
{
	if (a->nqd != b->nqd || a->nan != b->nan || a->nns != b->nns || a->nar != b->nar ||
	    a->malformed != b->malformed || a->rcode != b->rcode || a->edns.nopts != b->edns.nopts)
		__builtin_trap();
	for (size_t i = 0; i < a->nan + a->nns + a->nar; i++) {
		const struct gb_dns_rr *x = &a->an[i], *y = &b->an[i];
		if (x->text_len != y->text_len || memcmp(x->text, y->text, x->text_len) ||
		    x->name.dig_len != y->name.dig_len || memcmp(x->name.dig, y->name.dig, x->name.dig_len))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[16];
	int r = gb_dns_parse(&msg, data, size);

	check_msg(&msg, r, size);
	if (size > GB_DNS_MAX_MSG)
		return 0;
	if (size) {
		r = gb_dns_parse(&again, data + 1, size - 1);
		check_msg(&again, r, size - 1);
	}
	r = gb_dns_parse(&again, data, size);
	check_msg(&again, r, size);
	check_same(&msg, &again);

	/* what an applet prints beside the texts */
	struct strbuf sb = {0};
	char buf[GB_DNS_NAME_BUF], flags[GB_DNS_FLAGS_BUF];
	sb_adds(&sb, gb_dns_flags_text(&msg, flags));
	sb_adds(&sb, gb_dns_rcode_name(msg.rcode, buf));
	sb_adds(&sb, gb_dns_opcode_name(msg.opcode, buf));
	for (size_t i = 0; i < msg.nqd; i++) {
		sb_adds(&sb, gb_dns_type_name(msg.qd[i].type, buf));
		sb_adds(&sb, gb_dns_class_name(msg.qd[i].class, buf));
	}
	for (size_t i = 0; i < msg.edns.nopts; i++)
		sb_adds(&sb, gb_dns_opt_name(msg.edns.opts[i].code, buf));
	sb_free(&sb);

	/* the first bytes as a --qtype or --rcode argument */
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	if (gb_dns_type_parse(s) > 0xffff || gb_dns_rcode_parse(s) > 0xfff)
		__builtin_trap();
	return 0;
}
