#include "dnsmsg.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"

/* With ASan, the bytes of the message copy past its end are poisoned: a read past the message is reported. */
#if defined(__SANITIZE_ADDRESS__)
#define DNS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DNS_ASAN 1
#endif
#endif
#ifdef DNS_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n)	  ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

/* ---- storage that outlives one message ---- */

/* Arena chunks never move, so pointers into them stay valid while the arena grows during a parse. */
struct chunk {
	struct chunk *next;
	size_t cap, used;
	char data[];
};

#define NAME_CACHE 16

struct gb_dns_mem {
	uint64_t parses;
	/* names that are one pointer, by target: the owner names of most records are 0xc00c */
	struct {
		uint64_t parse; /* the parse that stored it */
		size_t target;
		struct gb_dns_name name;
	} cache[NAME_CACHE];
	uint8_t *wire;
	size_t wire_cap;
	struct gb_dns_question *qd;
	size_t qd_cap;
	struct gb_dns_rr *rr;
	size_t rr_cap, nrr;
	struct gb_dns_opt *opt;
	size_t opt_cap;
	struct chunk *chunks, *cur;
	size_t arena_cap;
	struct strbuf text, name; /* scratch: an rdata's text, a name's renderings */
};

#define CHUNK_MIN (16u << 10)
/* what a parse keeps of the arena for the next one; a pathological message can decode to some MB */
#define ARENA_KEEP (1u << 20)

/*
 * Out of memory in the middle of a parse: the parse ends with -ENOMEM (gb_dns_parse), through this jump, so the
 * decoder's many allocations need no error path of their own. Everything allocated so far belongs to the
 * message's arena and stays consistent (a failed realloc() leaves its block as it was).
 */
static __thread jmp_buf *oom_jump;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		longjmp(*oom_jump, 1);
	return p;
}

/* Makes room in an array of @size-byte elements for element @n (grows by doubling). */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return arr;
	size_t c = *cap ? *cap * 2 : 16;
	while (c <= n)
		c *= 2;
	arr = xrealloc(arr, c * size);
	*cap = c;
	return arr;
}

/* @n bytes valid until the next parse. */
static char *arena_alloc(struct gb_dns_mem *mem, size_t n)
{
	struct chunk *c = mem->cur;

	if (!c || c->cap - c->used < n) {
		if (c && c->next && c->next->cap >= n) {
			c = c->next;
			c->used = 0;
		} else {
			size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
			if (cap < mem->arena_cap)
				cap = mem->arena_cap;
			struct chunk *nc = xrealloc(NULL, sizeof(*nc) + cap);
			nc->cap = cap;
			nc->used = 0;
			if (c) {
				nc->next = c->next;
				c->next = nc;
			} else {
				nc->next = NULL;
				mem->chunks = nc;
			}
			mem->arena_cap += cap;
			c = nc;
		}
		mem->cur = c;
	}
	char *p = c->data + c->used;
	c->used += n;
	return p;
}

/* A NUL-terminated copy of @n bytes in the arena. */
static const char *arena_str(struct gb_dns_mem *mem, const char *s, size_t n)
{
	char *p = arena_alloc(mem, n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Forgets the previous message's strings; keeps the chunks if they total ARENA_KEEP at most, else the first. */
static void arena_reset(struct gb_dns_mem *mem)
{
	if (mem->arena_cap > ARENA_KEEP && mem->chunks) {
		struct chunk *c = mem->chunks->next;
		while (c) {
			struct chunk *next = c->next;
			free(c);
			c = next;
		}
		mem->chunks->next = NULL;
		mem->arena_cap = mem->chunks->cap;
	}
	mem->cur = mem->chunks;
	if (mem->cur)
		mem->cur->used = 0;
}

/* ---- text ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* \DDD: a byte as three decimal digits, as in master files. */
static void add_ddd(struct strbuf *sb, uint8_t c)
{
	char t[4] = {'\\', (char)('0' + c / 100), (char)('0' + c / 10 % 10), (char)('0' + c % 10)};

	sb_add(sb, t, 4);
}

/* A label the way dig prints it (see dnsmsg.h). */
static void add_label_dig(struct strbuf *sb, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		switch (c) {
		case '.':
		case '"':
		case '(':
		case ')':
		case ';':
		case '\\':
			sb_addc(sb, '\\');
			sb_addc(sb, (char)c);
			break;
		default:
			if (c < 0x21 || c > 0x7e)
				add_ddd(sb, c);
			else
				sb_addc(sb, (char)c);
		}
	}
}

/* The inside of a character string: '"' and '\' backslashed, controls and bytes past 0x7e as \DDD. */
static void add_escaped(struct strbuf *sb, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (c == '"' || c == '\\') {
			sb_addc(sb, '\\');
			sb_addc(sb, (char)c);
		} else if (c < 0x20 || c > 0x7e) {
			add_ddd(sb, c);
		} else {
			sb_addc(sb, (char)c);
		}
	}
}

/* A character string in double quotes. */
static void add_quoted(struct strbuf *sb, const uint8_t *s, size_t n)
{
	sb_addc(sb, '"');
	add_escaped(sb, s, n);
	sb_addc(sb, '"');
}

static void add_hex(struct strbuf *sb, const uint8_t *p, size_t n, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		sb_addc(sb, digits[p[i] >> 4]);
		sb_addc(sb, digits[p[i] & 15]);
	}
}

static void add_base64(struct strbuf *sb, const uint8_t *p, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char t[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
			     i + 2 < n ? b64[v & 63] : '='};
		sb_add(sb, t, 4);
	}
}

static void add_ip4(struct strbuf *sb, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			sb_addc(sb, '.');
		sb_add_u64(sb, a[i]);
	}
}

/* A 16-bit group of an IPv6 address: lowercase hex without leading zeros. */
static void add_hex16(struct strbuf *sb, unsigned v)
{
	int shift = 12;

	while (shift > 0 && !(v >> shift & 15))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		sb_addc(sb, "0123456789abcdef"[v >> shift & 15]);
}

/* RFC 5952: lowercase, the longest run of two or more zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d. */
static void add_ip6(struct strbuf *sb, const uint8_t *a)
{
	unsigned w[8];
	int best = -1, best_len = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && !w[j])
			j++;
		if (j - i > best_len && j - i >= 2) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (best == 0 && best_len == 5 && w[5] == 0xffff) {
		sb_adds(sb, "::ffff:");
		add_ip4(sb, a + 12);
		return;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			sb_add(sb, "::", 2);
			i += best_len - 1;
			continue;
		}
		if (i && i != best + best_len)
			sb_addc(sb, ':');
		add_hex16(sb, w[i]);
	}
}

/* RFC 3597's form of rdata of an unknown type: "\# LEN HEX". */
static void add_generic(struct strbuf *sb, const uint8_t *p, size_t n)
{
	sb_adds(sb, "\\# ");
	sb_add_u64(sb, n);
	if (n) {
		sb_addc(sb, ' ');
		add_hex(sb, p, n, true);
	}
}

/* A wire-form name as text: exact (labels joined by '.') or dig's (each label escaped and followed by '.'). */
static void name_render(const uint8_t *w, size_t len, struct strbuf *out, bool dig)
{
	size_t i = 0;
	bool any = false;

	while (i < len && w[i] && w[i] < 64 && i + 1 + w[i] <= len) {
		if (any && !dig)
			sb_addc(out, '.');
		if (dig)
			add_label_dig(out, w + i + 1, w[i]);
		else
			sb_add(out, w + i + 1, w[i]);
		if (dig)
			sb_addc(out, '.');
		any = true;
		i += 1 + w[i];
	}
	if (!any)
		sb_addc(out, '.');
}

/* ---- names on the wire ---- */

struct wire_name {
	uint8_t b[GB_DNS_MAX_NAME];
	size_t len;
	unsigned labels;
};

/*
 * Reads the name at @off into @wn and sets *@end past its own bytes (up to and including the first pointer),
 * which must lie before @limit (the end of the rdata when @in_rdata). A pointer must point before the start of the run
 * of labels it ends, so every jump goes strictly backwards and no loop is possible; GB_DNS_MAX_JUMPS bounds chains of
 * pointers to pointers. Returns NULL, or why the name is malformed.
 */
static const char *read_name(const uint8_t *msg, size_t len, size_t off, size_t limit, bool in_rdata,
			     struct wire_name *wn, size_t *end)
{
	const char *past = in_rdata ? "name past the end of the rdata" : "label past the end";
	size_t pos = off, seg = off, hi = off, stop = limit;
	unsigned jumps = 0;
	bool jumped = false;

	wn->len = 0;
	wn->labels = 0;
	for (;;) {
		if (pos >= stop)
			return jumped ? "label past the end" : past;
		uint8_t c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= stop)
				return jumped ? "label past the end" : past;
			size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (!jumped)
				*end = pos + 2;
			if (pos + 2 > hi)
				hi = pos + 2;
			/* into bytes this name already read (itself included), or ahead of them */
			if (target >= seg)
				return target < hi ? "name pointer loop" : "forward name pointer";
			if (++jumps > GB_DNS_MAX_JUMPS)
				return "too many name pointers";
			jumped = true;
			seg = pos = target;
			stop = len;
			continue;
		}
		/* 0x40 and 0x80: the extended and reserved label types (RFC 6891), lengths 64-191 read naively */
		if (c & 0xc0)
			return "label too long";
		if (c && wn->len + c + 2 > GB_DNS_MAX_NAME)
			return "name too long";
		if (stop - pos - 1 < c)
			return jumped ? "label past the end" : past;
		memcpy(wn->b + wn->len, msg + pos, 1 + (size_t)c);
		wn->len += 1 + (size_t)c;
		pos += 1 + (size_t)c;
		if (pos > hi)
			hi = pos;
		if (!c) {
			if (!jumped)
				*end = pos;
			return NULL;
		}
		wn->labels++;
	}
}

struct parser {
	struct gb_dns_msg *m;
	struct gb_dns_mem *mem;
	const uint8_t *p; /* the message copy */
	size_t len;
};

/* Records the first problem of the message. */
static void report(struct parser *ps, const char *why, size_t at)
{
	if (!ps->m->malformed) {
		ps->m->malformed = why;
		ps->m->malformed_at = at;
	}
}

/* Stores a name's wire form and both renderings in the arena. */
static void name_store(struct parser *ps, const struct wire_name *wn, struct gb_dns_name *out)
{
	struct strbuf *sb = &ps->mem->name;

	sb_reset(sb);
	name_render(wn->b, wn->len, sb, false);
	size_t text_len = sb->len;
	sb_addc(sb, '\0');
	name_render(wn->b, wn->len, sb, true);
	size_t dig_len = sb->len - text_len - 1;
	sb_addc(sb, '\0');

	char *a = arena_alloc(ps->mem, wn->len + sb->len);
	memcpy(a, wn->b, wn->len);
	memcpy(a + wn->len, sb->buf, sb->len);
	out->wire = (const uint8_t *)a;
	out->wire_len = (uint16_t)wn->len;
	out->labels = (uint8_t)wn->labels;
	out->text = a + wn->len;
	out->text_len = text_len;
	out->dig = out->text + text_len + 1;
	out->dig_len = dig_len;
}

/*
 * Decodes the name at *@off (its own bytes before @limit) into @out and moves *@off past it. A name that is
 * one pointer decodes as the same pointer did elsewhere in the message: its target's name, whatever the
 * pointer's place (as long as it points backwards).
 */
static const char *parse_name(struct parser *ps, size_t *off, size_t limit, bool in_rdata, struct gb_dns_name *out)
{
	struct gb_dns_mem *mem = ps->mem;
	const uint8_t *p = ps->p + *off;
	size_t end = 0, target = 0;
	struct wire_name wn;
	bool one_pointer = limit - *off >= 2 && (p[0] & 0xc0) == 0xc0;

	if (one_pointer) {
		target = (size_t)(p[0] & 0x3f) << 8 | p[1];
		if (target < *off && mem->cache[target % NAME_CACHE].parse == mem->parses &&
		    mem->cache[target % NAME_CACHE].target == target) {
			*out = mem->cache[target % NAME_CACHE].name;
			*off += 2;
			return NULL;
		}
	}
	const char *why = read_name(ps->p, ps->len, *off, limit, in_rdata, &wn, &end);
	if (why)
		return why;
	name_store(ps, &wn, out);
	*off = end;
	if (one_pointer) {
		mem->cache[target % NAME_CACHE].parse = mem->parses;
		mem->cache[target % NAME_CACHE].target = target;
		mem->cache[target % NAME_CACHE].name = *out;
	}
	return NULL;
}

/* ---- rdata ---- */

/*
 * The layout of the rdata of the types dig prints field by field: '1' '2' '4' an unsigned number of that many
 * bytes, 'N' a domain name, 'S' a character string, 'T' a character string printed bare (the CAA tag), 'Q' the
 * rest of the rdata as a quoted string, '*' one or more character strings to the end.
 */
static const struct {
	uint16_t type;
	const char *fields;
} rdata_layouts[] = {
	{GB_DNS_T_NS, "N"},
	{GB_DNS_T_CNAME, "N"},
	{GB_DNS_T_SOA, "NN44444"},
	{GB_DNS_T_PTR, "N"},
	{GB_DNS_T_HINFO, "SS"},
	{GB_DNS_T_MX, "2N"},
	{GB_DNS_T_TXT, "*"},
	{17, "NN"}, /* RP */
	{18, "2N"}, /* AFSDB */
	{GB_DNS_T_SRV, "222N"},
	{35, "22SSSN"}, /* NAPTR */
	{36, "2N"},	/* KX */
	{GB_DNS_T_DNAME, "N"},
	{GB_DNS_T_SPF, "*"},
	{256, "22Q"}, /* URI */
	{GB_DNS_T_CAA, "1TQ"},
};

/* Renders rdata [off, end) of @layout; the first name also goes to rr->target. */
static const char *render_fields(struct parser *ps, struct gb_dns_rr *rr, const char *layout, size_t off, size_t end,
				 struct strbuf *sb)
{
	const uint8_t *p = ps->p;
	bool stored = false;

	for (const char *f = layout; *f; f++) {
		if (f != layout)
			sb_addc(sb, ' ');
		switch (*f) {
		case '1':
		case '2':
		case '4': {
			size_t w = (size_t)(*f - '0');
			if (end - off < w)
				return "rdata too short";
			sb_add_u64(sb, w == 1 ? p[off] : w == 2 ? get16(p + off) : get32(p + off));
			off += w;
			break;
		}
		case 'N': {
			struct gb_dns_name name;
			const char *why = parse_name(ps, &off, end, true, &name);
			if (why)
				return why;
			if (!stored)
				rr->target = name;
			stored = true;
			sb_add(sb, name.dig, name.dig_len);
			break;
		}
		case 'S':
		case 'T':
		case '*':
			do {
				if (off >= end)
					return *f == '*' ? "TXT without strings" : "rdata too short";
				size_t n = p[off];
				if (end - off - 1 < n)
					return "character string past the end of the rdata";
				if (*f == 'T') {
					for (size_t i = 0; i < n; i++)
						if (!((p[off + 1 + i] | 0x20) >= 'a' &&
						      (p[off + 1 + i] | 0x20) <= 'z') &&
						    !(p[off + 1 + i] >= '0' && p[off + 1 + i] <= '9'))
							return "CAA tag is not letters and digits";
					if (!n)
						return "empty CAA tag";
					sb_add(sb, p + off + 1, n);
				} else {
					add_quoted(sb, p + off + 1, n);
				}
				off += 1 + n;
				if (*f == '*' && off < end)
					sb_addc(sb, ' ');
			} while (*f == '*' && off < end);
			break;
		case 'Q':
			add_quoted(sb, p + off, end - off);
			off = end;
			break;
		}
	}
	return off == end ? NULL : "rdata longer than its fields";
}

static const char *const svc_keys[] = {
	"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint", "dohpath", "ohttp",
};

static void add_svc_key(struct strbuf *sb, unsigned key)
{
	if (key < sizeof(svc_keys) / sizeof(svc_keys[0])) {
		sb_adds(sb, svc_keys[key]);
	} else {
		sb_adds(sb, "key");
		sb_add_u64(sb, key);
	}
}

/* One SvcParam (RFC 9460) as key=value, or why its value is malformed. */
static const char *render_svc_param(struct strbuf *sb, unsigned key, const uint8_t *v, size_t n)
{
	add_svc_key(sb, key);
	switch (key) {
	case 0: /* mandatory */
		if (!n || n % 2)
			return "bad SvcParam mandatory";
		sb_addc(sb, '=');
		for (size_t i = 0; i < n; i += 2) {
			if (i)
				sb_addc(sb, ',');
			add_svc_key(sb, get16(v + i));
		}
		return NULL;
	case 1: /* alpn: a list of character strings; ',' and '\' in an id are escaped twice, as BIND does */
		if (!n)
			return "bad SvcParam alpn";
		sb_adds(sb, "=\"");
		for (size_t i = 0; i < n;) {
			size_t len = v[i];
			if (!len || n - i - 1 < len)
				return "bad SvcParam alpn";
			if (i)
				sb_addc(sb, ',');
			for (size_t j = i + 1; j < i + 1 + len; j++) {
				if (v[j] == ',' || v[j] == '\\')
					sb_adds(sb, "\\\\");
				add_escaped(sb, v + j, 1);
			}
			i += 1 + len;
		}
		sb_addc(sb, '"');
		return NULL;
	case 2: /* no-default-alpn */
	case 8: /* ohttp */ return n ? "SvcParam without value has one" : NULL;
	case 3: /* port */
		if (n != 2)
			return "bad SvcParam port";
		sb_addc(sb, '=');
		sb_add_u64(sb, get16(v));
		return NULL;
	case 4: /* ipv4hint */
	case 6: /* ipv6hint */ {
		size_t w = key == 4 ? 4 : 16;
		if (!n || n % w)
			return key == 4 ? "bad SvcParam ipv4hint" : "bad SvcParam ipv6hint";
		sb_addc(sb, '=');
		for (size_t i = 0; i < n; i += w) {
			if (i)
				sb_addc(sb, ',');
			if (w == 4)
				add_ip4(sb, v + i);
			else
				add_ip6(sb, v + i);
		}
		return NULL;
	}
	case 5: /* ech: an ECHConfigList, base64 */
		if (!n)
			return "bad SvcParam ech";
		sb_addc(sb, '=');
		add_base64(sb, v, n);
		return NULL;
	default: /* dohpath (7) and unknown keys: the value as a quoted string */
		if (n || key == 7) {
			sb_addc(sb, '=');
			add_quoted(sb, v, n);
		}
		return NULL;
	}
}

/* SVCB and HTTPS (RFC 9460): "priority target. key=value ..."; keys must increase strictly. */
static const char *render_svcb(struct parser *ps, struct gb_dns_rr *rr, size_t off, size_t end, struct strbuf *sb)
{
	const char *why;
	int last = -1;

	if (end - off < 3)
		return "rdata too short";
	sb_add_u64(sb, get16(ps->p + off));
	sb_addc(sb, ' ');
	off += 2;

	why = parse_name(ps, &off, end, true, &rr->target);
	if (why)
		return why;
	sb_add(sb, rr->target.dig, rr->target.dig_len);
	while (off < end) {
		if (end - off < 4)
			return "SvcParam past the end of the rdata";
		unsigned key = get16(ps->p + off), n = get16(ps->p + off + 2);
		off += 4;
		if (end - off < n)
			return "SvcParam past the end of the rdata";
		if ((int)key <= last)
			return "SvcParam keys not in increasing order";
		sb_addc(sb, ' ');
		why = render_svc_param(sb, key, ps->p + off, n);
		if (why)
			return why;
		off += n;
		last = (int)key;
	}
	return NULL;
}

/* ---- EDNS ---- */

static const char *const ede_names[] = {
	"Other Error",
	"Unsupported DNSKEY Algorithm",
	"Unsupported DS Digest Type",
	"Stale Answer",
	"Forged Answer",
	"DNSSEC Indeterminate",
	"DNSSEC Bogus",
	"Signature Expired",
	"Signature Not Yet Valid",
	"DNSKEY Missing",
	"RRSIGs Missing",
	"No Zone Key Bit Set",
	"NSEC Missing",
	"Cached Error",
	"Not Ready",
	"Blocked",
	"Censored",
	"Filtered",
	"Prohibited",
	"Stale NXDomain Answer",
	"Not Authoritative",
	"Not Supported",
	"No Reachable Authority",
	"Network Error",
	"Invalid Data",
	"Signature Expired before Valid",
	"Too Early",
	"Unsupported NSEC3 Iterations Value",
	"Unable to conform to policy",
	"Synthesized",
	"Invalid Query Type",
};

const char *gb_dns_ede_name(unsigned code)
{
	return code < sizeof(ede_names) / sizeof(ede_names[0]) ? ede_names[code] : NULL;
}

/* Client subnet (RFC 7871): "1.2.3.0/24/0"; the address is exactly the source prefix's bytes. */
static const char *render_ecs(struct gb_dns_edns *e, const uint8_t *d, size_t n, struct strbuf *sb)
{
	if (n < 4)
		return "bad ECS option";
	unsigned family = get16(d), source = d[2], scope = d[3];
	size_t addr_len = family == 1 ? 4 : family == 2 ? 16 : 0;
	if (!addr_len || source > addr_len * 8 || scope > addr_len * 8 || n - 4 != (source + 7) / 8)
		return "bad ECS option";
	uint8_t a[16] = {0};
	memcpy(a, d + 4, n - 4);
	if (family == 1)
		add_ip4(sb, a);
	else
		add_ip6(sb, a);
	sb_addc(sb, '/');
	sb_add_u64(sb, source);
	sb_addc(sb, '/');
	sb_add_u64(sb, scope);
	if (!e->has_ecs) {
		e->has_ecs = true;
		e->ecs.family = (uint16_t)family;
		e->ecs.source_prefix = (uint8_t)source;
		e->ecs.scope_prefix = (uint8_t)scope;
		memcpy(e->ecs.addr, a, sizeof(a));
		e->ecs.addr_len = (uint8_t)addr_len;
	}
	return NULL;
}

/* One option's value as dig shows it, or why it is malformed (then its text is hex). */
static const char *render_opt(struct gb_dns_edns *e, const struct gb_dns_opt *o, struct strbuf *sb)
{
	const uint8_t *d = o->data;
	size_t n = o->len;

	switch (o->code) {
	case GB_DNS_OPT_ECS: return render_ecs(e, d, n, sb);
	case GB_DNS_OPT_COOKIE: /* a client cookie of 8 bytes, then maybe a server cookie of 8 to 32 */
		if (n != 8 && (n < 16 || n > 40))
			return "bad COOKIE option";
		add_hex(sb, d, n, false);
		if (!e->has_cookie) {
			e->has_cookie = true;
			memcpy(e->client_cookie, d, 8);
			e->server_cookie = n > 8 ? d + 8 : NULL;
			e->server_cookie_len = (uint8_t)(n - 8);
		}
		return NULL;
	case GB_DNS_OPT_EDE: {
		if (n < 2)
			return "bad EDE option";
		unsigned code = get16(d);
		const char *name = gb_dns_ede_name(code);
		sb_add_u64(sb, code);
		if (name) {
			sb_adds(sb, " (");
			sb_adds(sb, name);
			sb_addc(sb, ')');
		}
		if (n > 2) {
			sb_adds(sb, ": ");
			add_quoted(sb, d + 2, n - 2);
		}
		if (!e->has_ede) {
			e->has_ede = true;
			e->ede_code = (uint16_t)code;
			e->ede_text = n > 2 ? (const char *)d + 2 : NULL;
			e->ede_text_len = n - 2;
		}
		return NULL;
	}
	case GB_DNS_OPT_NSID:
		add_hex(sb, d, n, false);
		if (n) {
			sb_adds(sb, " (");
			add_quoted(sb, d, n);
			sb_addc(sb, ')');
		}
		return NULL;
	case GB_DNS_OPT_TCP_KEEPALIVE: /* in units of 100 ms; none in a query */
		if (n != 0 && n != 2)
			return "bad TCP-KEEPALIVE option";
		if (n) {
			sb_add_u64(sb, get16(d) / 10u);
			sb_addc(sb, '.');
			sb_add_u64(sb, get16(d) % 10u);
			sb_adds(sb, " secs");
		}
		return NULL;
	case GB_DNS_OPT_EXPIRE:
		if (n != 0 && n != 4)
			return "bad EXPIRE option";
		if (n)
			sb_add_u64(sb, get32(d));
		return NULL;
	case GB_DNS_OPT_PADDING:
		sb_addc(sb, '(');
		sb_add_u64(sb, n);
		sb_adds(sb, " bytes)");
		return NULL;
	default: add_hex(sb, d, n, false); return NULL;
	}
}

/*
 * The OPT record: fills m->edns and renders "version: 0, flags: do; udp: 1232; COOKIE: …" (dig's OPT
 * pseudosection on one line). Options up to a malformed one are kept.
 */
static const char *parse_opt(struct parser *ps, struct gb_dns_rr *rr, size_t off, struct strbuf *sb)
{
	struct gb_dns_edns *e = &ps->m->edns;
	struct gb_dns_mem *mem = ps->mem;
	size_t end = off + rr->rdlength;
	char nbuf[GB_DNS_NAME_BUF];

	if (rr->section != GB_DNS_ADDITIONAL)
		return "OPT record outside the additional section";
	if (e->present)
		return "more than one OPT record";
	if (rr->name.wire_len != 1)
		report(ps, "OPT owner name is not the root", off);
	e->present = true;
	e->udp_size = rr->class;
	e->ext_rcode = (uint8_t)(rr->ttl >> 24);
	e->version = (uint8_t)(rr->ttl >> 16);
	e->flags = (uint16_t)rr->ttl;
	e->do_bit = e->flags & 0x8000;
	sb_adds(sb, "version: ");
	sb_add_u64(sb, e->version);
	sb_adds(sb, e->do_bit ? ", flags: do" : ", flags:");
	if (e->flags & 0x7fff)
		sb_addf(sb, "; MBZ: 0x%04x", e->flags & 0x7fff);
	sb_adds(sb, "; udp: ");
	sb_add_u64(sb, e->udp_size);
	while (off < end) {
		if (end - off < 4 || end - off - 4 < get16(ps->p + off + 2))
			return "EDNS option past the end";
		mem->opt = grow(mem->opt, &mem->opt_cap, e->nopts, sizeof(*mem->opt));
		struct gb_dns_opt *o = &mem->opt[e->nopts++];
		o->code = get16(ps->p + off);
		o->len = get16(ps->p + off + 2);
		o->data = ps->p + off + 4;

		struct strbuf *t = &mem->name;
		sb_reset(t);
		const char *why = render_opt(e, o, t);
		if (why) {
			report(ps, why, off);
			sb_reset(t);
			add_hex(t, o->data, o->len, false);
		}
		o->text = arena_str(mem, t->buf, t->len);
		const char *name = o->code == GB_DNS_OPT_ECS ? "CLIENT-SUBNET" : gb_dns_opt_name(o->code, nbuf);
		sb_adds(sb, "; ");
		sb_adds(sb, name);
		sb_adds(sb, t->len ? ": " : ":");
		sb_add(sb, o->text, t->len);
		off += 4 + (size_t)o->len;
	}
	return NULL;
}

/* Decodes rr's rdata at @off: text, address, target; RFC 3597's form when it does not fit its type. */
static void decode_rdata(struct parser *ps, struct gb_dns_rr *rr, size_t off)
{
	struct strbuf *sb = &ps->mem->text;
	size_t end = off + rr->rdlength;
	const char *why = NULL;
	size_t i;

	sb_reset(sb);
	switch (rr->type) {
	case GB_DNS_T_A:
	case GB_DNS_T_AAAA: {
		size_t n = rr->type == GB_DNS_T_A ? 4 : 16;
		if (rr->rdlength != n) {
			why = n == 4 ? "A rdata is not 4 bytes" : "AAAA rdata is not 16 bytes";
			break;
		}
		if (n == 4)
			add_ip4(sb, rr->rdata);
		else
			add_ip6(sb, rr->rdata);
		rr->addr = rr->rdata;
		rr->addr_len = (uint8_t)n;
		break;
	}
	case GB_DNS_T_OPT: why = parse_opt(ps, rr, off, sb); break;
	case GB_DNS_T_SVCB:
	case GB_DNS_T_HTTPS: why = render_svcb(ps, rr, off, end, sb); break;
	default:
		for (i = 0; i < sizeof(rdata_layouts) / sizeof(rdata_layouts[0]); i++)
			if (rdata_layouts[i].type == rr->type)
				break;
		if (i < sizeof(rdata_layouts) / sizeof(rdata_layouts[0]))
			why = render_fields(ps, rr, rdata_layouts[i].fields, off, end, sb);
		else
			add_generic(sb, rr->rdata, rr->rdlength);
	}
	if (why) {
		report(ps, why, off);
		rr->bad_rdata = why;
		rr->addr = NULL;
		rr->addr_len = 0;
		rr->target = (struct gb_dns_name){0};
		sb_reset(sb);
		add_generic(sb, rr->rdata, rr->rdlength);
	}
	rr->text = arena_str(ps->mem, sb->buf, sb->len);
	rr->text_len = sb->len;
}

/* ---- the message ---- */

/* One question at *@off; false when parsing cannot go on. */
static bool parse_question(struct parser *ps, size_t *off)
{
	struct gb_dns_mem *mem = ps->mem;
	struct gb_dns_question q = {0};
	size_t start = *off;
	const char *why = parse_name(ps, off, ps->len, false, &q.name);

	if (why) {
		report(ps, why, start);
		return false;
	}
	if (ps->len - *off < 4) {
		report(ps, "question past the end", *off);
		return false;
	}
	q.type = get16(ps->p + *off);
	q.class = get16(ps->p + *off + 2);
	*off += 4;
	mem->qd = grow(mem->qd, &mem->qd_cap, ps->m->nqd, sizeof(*mem->qd));
	mem->qd[ps->m->nqd++] = q;
	return true;
}

/* One resource record at *@off; false when parsing cannot go on. */
static bool parse_rr(struct parser *ps, size_t *off, enum gb_dns_section section)
{
	struct gb_dns_mem *mem = ps->mem;
	struct gb_dns_rr rr = {.section = section};
	size_t start = *off;
	const char *why = parse_name(ps, off, ps->len, false, &rr.name);

	if (why) {
		report(ps, why, start);
		return false;
	}
	if (ps->len - *off < 10) {
		report(ps, "record past the end", *off);
		return false;
	}
	const uint8_t *f = ps->p + *off;
	rr.type = get16(f);
	rr.class = get16(f + 2);
	rr.ttl = get32(f + 4);
	rr.rdlength = get16(f + 8);
	*off += 10;
	if (ps->len - *off < rr.rdlength) {
		report(ps, "rdata past the end", *off);
		return false;
	}
	rr.rdata = ps->p + *off;
	decode_rdata(ps, &rr, *off);
	*off += rr.rdlength;
	mem->rr = grow(mem->rr, &mem->rr_cap, mem->nrr, sizeof(*mem->rr));
	mem->rr[mem->nrr++] = rr;
	return true;
}

/* Sets the header fields from the first 12 bytes. */
static void parse_header(struct gb_dns_msg *m, const uint8_t *h)
{
	m->id = get16(h);
	m->qr = h[2] & 0x80;
	m->opcode = (h[2] >> 3) & 15;
	m->aa = h[2] & 0x04;
	m->tc = h[2] & 0x02;
	m->rd = h[2] & 0x01;
	m->ra = h[3] & 0x80;
	m->z = h[3] & 0x40;
	m->ad = h[3] & 0x20;
	m->cd = h[3] & 0x10;
	m->hdr_rcode = h[3] & 15;
	m->qdcount = get16(h + 4);
	m->ancount = get16(h + 6);
	m->nscount = get16(h + 8);
	m->arcount = get16(h + 10);
}

static int parse(struct gb_dns_msg *m, const void *buf, size_t len)
{
	struct gb_dns_mem *mem = m->mem;

	if (!mem) {
		mem = xrealloc(NULL, sizeof(*mem));
		*mem = (struct gb_dns_mem){0};
	}
	*m = (struct gb_dns_msg){.mem = mem};
	mem->parses++;
	arena_reset(mem);
	mem->nrr = 0;
	if (len > GB_DNS_MAX_MSG) {
		m->malformed = "message longer than 65535 bytes";
		return -EMSGSIZE;
	}
	if (mem->wire)
		ASAN_UNPOISON_MEMORY_REGION(mem->wire, mem->wire_cap);
	mem->wire = grow(mem->wire, &mem->wire_cap, len, 1);
	if (len)
		memcpy(mem->wire, buf, len);
	ASAN_POISON_MEMORY_REGION(mem->wire + len, mem->wire_cap - len);
	m->wire = mem->wire;
	m->wire_len = len;

	struct parser ps = {.m = m, .mem = mem, .p = mem->wire, .len = len};
	size_t off = GB_DNS_HEADER_LEN, counts[3];
	bool ok = len >= GB_DNS_HEADER_LEN;

	if (!ok) {
		report(&ps, "header too short", 0);
	} else {
		parse_header(m, ps.p);
		counts[0] = m->ancount, counts[1] = m->nscount, counts[2] = m->arcount;
		for (size_t i = 0; ok && i < m->qdcount; i++)
			ok = parse_question(&ps, &off);
		size_t nrr[3] = {0};
		for (int s = 0; s < 3; s++) {
			size_t before = mem->nrr;
			for (size_t i = 0; ok && i < counts[s]; i++)
				ok = parse_rr(&ps, &off, (enum gb_dns_section)s);
			nrr[s] = mem->nrr - before;
		}
		m->nan = nrr[0], m->nns = nrr[1], m->nar = nrr[2];
		if (ok && off < len)
			report(&ps, "trailing bytes", off);
	}
	m->complete = ok;
	m->qd = mem->qd;
	m->an = mem->rr;
	m->ns = mem->rr ? mem->rr + m->nan : NULL;
	m->ar = mem->rr ? mem->rr + m->nan + m->nns : NULL;
	m->edns.opts = m->edns.nopts ? mem->opt : NULL;
	m->rcode = (uint16_t)(m->edns.present ? m->edns.ext_rcode << 4 | m->hdr_rcode : m->hdr_rcode);
	return m->malformed ? -EBADMSG : 0;
}

int gb_dns_parse(struct gb_dns_msg *m, const void *buf, size_t len)
{
	jmp_buf jump;

	if (setjmp(jump)) {
		oom_jump = NULL;
		m->complete = false;
		m->malformed = "out of memory";
		return -ENOMEM;
	}
	oom_jump = &jump;
	int rc = parse(m, buf, len);
	oom_jump = NULL;
	return rc;
}

void gb_dns_msg_free(struct gb_dns_msg *m)
{
	if (!m)
		return;
	struct gb_dns_mem *mem = m->mem;
	if (mem) {
		for (struct chunk *c = mem->chunks, *next; c; c = next) {
			next = c->next;
			free(c);
		}
		if (mem->wire)
			ASAN_UNPOISON_MEMORY_REGION(mem->wire, mem->wire_cap);
		free(mem->wire);
		free(mem->qd);
		free(mem->rr);
		free(mem->opt);
		sb_free(&mem->text);
		sb_free(&mem->name);
		free(mem);
	}
	*m = (struct gb_dns_msg){0};
}

const char *gb_dns_flags_text(const struct gb_dns_msg *m, char buf[GB_DNS_FLAGS_BUF])
{
	const struct {
		bool on;
		const char *name;
	} flags[] = {{m->qr, "qr"}, {m->aa, "aa"}, {m->tc, "tc"}, {m->rd, "rd"},
		     {m->ra, "ra"}, {m->z, "z"},   {m->ad, "ad"}, {m->cd, "cd"}};
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (flags[i].on) /* at most 8 names of 2 letters, spaced: fits */
			n += snprintf(buf + n, GB_DNS_FLAGS_BUF - n, "%s%s", n ? " " : "", flags[i].name);
	return buf;
}

/* ---- mnemonics ---- */

struct mnemonic {
	uint16_t value;
	const char *name;
};

static const struct mnemonic types[] = {
	{1, "A"},      {2, "NS"},      {5, "CNAME"},   {6, "SOA"},    {12, "PTR"},     {13, "HINFO"},
	{15, "MX"},    {16, "TXT"},    {17, "RP"},     {18, "AFSDB"}, {24, "SIG"},     {25, "KEY"},
	{28, "AAAA"},  {29, "LOC"},    {33, "SRV"},    {35, "NAPTR"}, {36, "KX"},      {37, "CERT"},
	{39, "DNAME"}, {41, "OPT"},    {42, "APL"},    {43, "DS"},    {44, "SSHFP"},   {45, "IPSECKEY"},
	{46, "RRSIG"}, {47, "NSEC"},   {48, "DNSKEY"}, {49, "DHCID"}, {50, "NSEC3"},   {51, "NSEC3PARAM"},
	{52, "TLSA"},  {53, "SMIMEA"}, {55, "HIP"},    {59, "CDS"},   {60, "CDNSKEY"}, {61, "OPENPGPKEY"},
	{62, "CSYNC"}, {63, "ZONEMD"}, {64, "SVCB"},   {65, "HTTPS"}, {99, "SPF"},     {249, "TKEY"},
	{250, "TSIG"}, {251, "IXFR"},  {252, "AXFR"},  {255, "ANY"},  {256, "URI"},    {257, "CAA"},
};

static const struct mnemonic classes[] = {
	{1, "IN"}, {3, "CH"}, {4, "HS"}, {254, "NONE"}, {255, "ANY"},
};

static const struct mnemonic opcodes[] = {
	{0, "QUERY"}, {1, "IQUERY"}, {2, "STATUS"}, {4, "NOTIFY"}, {5, "UPDATE"}, {6, "DSO"},
};

static const struct mnemonic rcodes[] = {
	{0, "NOERROR"},	  {1, "FORMERR"},    {2, "SERVFAIL"}, {3, "NXDOMAIN"}, {4, "NOTIMP"},	{5, "REFUSED"},
	{6, "YXDOMAIN"},  {7, "YXRRSET"},    {8, "NXRRSET"},  {9, "NOTAUTH"},  {10, "NOTZONE"}, {11, "DSOTYPENI"},
	{16, "BADVERS"},  {17, "BADKEY"},    {18, "BADTIME"}, {19, "BADMODE"}, {20, "BADNAME"}, {21, "BADALG"},
	{22, "BADTRUNC"}, {23, "BADCOOKIE"}, {16, "BADSIG"}, /* an alias, found by parse only */
};

static const struct mnemonic opts[] = {
	{1, "LLQ"},
	{2, "UL"},
	{3, "NSID"},
	{5, "DAU"},
	{6, "DHU"},
	{7, "N3U"},
	{8, "ECS"},
	{9, "EXPIRE"},
	{10, "COOKIE"},
	{11, "TCP-KEEPALIVE"},
	{12, "PADDING"},
	{13, "CHAIN"},
	{14, "KEY-TAG"},
	{15, "EDE"},
	{16, "CLIENT-TAG"},
	{17, "SERVER-TAG"},
	{18, "REPORT-CHANNEL"},
	{19, "ZONEVERSION"},
};

#define LOOKUP(table, value) lookup(table, sizeof(table) / sizeof(table[0]), value)

/* The first name of @value in @table, or NULL. */
static const char *lookup(const struct mnemonic *table, size_t n, unsigned value)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].value == value)
			return table[i].name;
	return NULL;
}

/* @name from the table, or @prefix and the number written to @buf. */
static const char *name_or_number(const char *name, const char *prefix, unsigned value, char buf[GB_DNS_NAME_BUF])
{
	if (name)
		return name;
	snprintf(buf, GB_DNS_NAME_BUF, "%s%u", prefix, value);
	return buf;
}

const char *gb_dns_type_name(unsigned type, char buf[GB_DNS_NAME_BUF])
{
	return name_or_number(LOOKUP(types, type), "TYPE", type & 0xffff, buf);
}

const char *gb_dns_class_name(unsigned class, char buf[GB_DNS_NAME_BUF])
{
	return name_or_number(LOOKUP(classes, class), "CLASS", class & 0xffff, buf);
}

const char *gb_dns_rcode_name(unsigned rcode, char buf[GB_DNS_NAME_BUF])
{
	return name_or_number(LOOKUP(rcodes, rcode), "RCODE", rcode & 0xfff, buf);
}

const char *gb_dns_opcode_name(unsigned opcode, char buf[GB_DNS_NAME_BUF])
{
	return name_or_number(LOOKUP(opcodes, opcode), "", opcode & 15, buf);
}

const char *gb_dns_opt_name(unsigned code, char buf[GB_DNS_NAME_BUF])
{
	return name_or_number(LOOKUP(opts, code), "OPT", code & 0xffff, buf);
}

/* A decimal number of at most @max with no sign, space or leading '+', or -1. */
static long parse_number(const char *s, long max)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* A mnemonic of @table, @prefix followed by a number, or a bare number, up to @max; -1 if none. */
static int parse_mnemonic(const char *s, const struct mnemonic *table, size_t n, const char *prefix, long max)
{
	size_t plen = strlen(prefix);

	if (!s || !*s)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(s, table[i].name))
			return table[i].value;
	if (!strncasecmp(s, prefix, plen) && s[plen])
		return (int)parse_number(s + plen, max);
	return (int)parse_number(s, max);
}

int gb_dns_type_parse(const char *s)
{
	return parse_mnemonic(s, types, sizeof(types) / sizeof(types[0]), "TYPE", 0xffff);
}

int gb_dns_rcode_parse(const char *s)
{
	return parse_mnemonic(s, rcodes, sizeof(rcodes) / sizeof(rcodes[0]), "RCODE", 0xfff);
}
