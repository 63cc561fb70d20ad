/*
 * JSON to pretty JSON or YAML (reformat.h). One pass: a tokenizer checks the input while an emitter writes the
 * style, and a malformed input rolls the output back and copies the input instead, so a line is never lost nor
 * half-written. Containers are tracked on a fixed stack, never by recursion: input depth cannot exhaust the C
 * stack, and each byte is scanned a bounded number of times.
 */
#include "reformat.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "escape.h"

/* YAML's implicit keys end within 1024 characters; longer ones need the explicit `? key` form. */
#define YAML_IMPLICIT_KEY_MAX 1000

enum frame_kind { FRAME_OBJ, FRAME_ARR };

struct frame {
	enum frame_kind kind;
	/* YAML: the column of the container's keys or dashes */
	unsigned indent;
	/* members or elements seen so far */
	size_t count;
};

/* A scanned string: its body between the quotes, still escaped. */
struct jstr {
	const char *p;
	size_t len;
	/* holds a \u escape of a surrogate that is not half of a pair */
	bool lone;
};

struct reformat {
	struct strbuf *out;
	enum reformat_style style;
	const char *p, *end;
	struct frame stack[REFORMAT_MAX_DEPTH];
	unsigned depth;
	/* YAML: a "- " ends the output, and the container opened after it starts on that line */
	bool inline_item;
	/* YAML: a key rendered before it is known whether it fits the implicit form; a string's decoded bytes */
	struct strbuf key, bytes;
};

static const char spaces[] = "                                                                ";

static void add_indent(struct strbuf *out, size_t n)
{
	while (n) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		sb_add(out, spaces, k);
		n -= k;
	}
}

/* ---- tokenizer ---- */

static void skip_ws(struct reformat *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

static int hex4(const char *p, const char *end)
{
	int v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v |= (c | 0x20) - 'a' + 10;
		else
			return -1;
	}
	return v;
}

static bool is_high(int v)
{
	return v >= 0xd800 && v <= 0xdbff;
}

static bool is_low(int v)
{
	return v >= 0xdc00 && v <= 0xdfff;
}

/* The low half after the high surrogate escape at p (6 bytes), or -1. */
static int low_after(const char *p, const char *end)
{
	int v;

	if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
		return -1;
	v = hex4(p + 8, end);
	return is_low(v) ? v : -1;
}

/* Scans the string whose opening quote is at r->p; false if it is not a well-formed JSON string. */
static bool scan_string(struct reformat *r, struct jstr *s)
{
	const char *p = r->p + 1, *end = r->end;

	s->p = p;
	s->lone = false;
	while (p < end && *p != '"') {
		unsigned char c = (unsigned char)*p;
		unsigned cp;

		if (c == '\\') {
			if (end - p < 2)
				return false;
			if (p[1] != 'u') {
				if (!p[1] || !strchr("\"\\/bfnrt", p[1]))
					return false;
				p += 2;
				continue;
			}
			int v = hex4(p + 2, end);

			if (v < 0)
				return false;
			if (is_high(v) && low_after(p, end) >= 0) {
				p += 12;
				continue;
			}
			if (is_high(v) || is_low(v))
				s->lone = true;
			p += 6;
		} else if (c < 0x20) {
			return false;
		} else if (c < 0x80) {
			p++;
		} else {
			size_t n = utf8_seq_len((const unsigned char *)p, end - p, &cp);

			if (!n)
				return false;
			p += n;
		}
	}
	if (p == end)
		return false;
	s->len = p - s->p;
	r->p = p + 1;
	return true;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at r->p. */
static bool scan_number(struct reformat *r)
{
	const char *p = r->p, *end = r->end;

	if (p < end && *p == '-')
		p++;
	if (p == end || !is_digit(*p))
		return false;
	if (*p++ != '0')
		while (p < end && is_digit(*p))
			p++;
	if (p < end && *p == '.') {
		if (++p == end || !is_digit(*p))
			return false;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !is_digit(*p))
			return false;
		while (p < end && is_digit(*p))
			p++;
	}
	r->p = p;
	return true;
}

static bool scan_literal(struct reformat *r)
{
	static const char *const words[] = {"true", "false", "null"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(r->end - r->p) >= n && !memcmp(r->p, words[i], n)) {
			r->p += n;
			return true;
		}
	}
	return false;
}

/* ---- YAML scalars ---- */

static void add_utf8(struct strbuf *out, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	sb_add(out, b, n);
}

static void add_base64(struct strbuf *out, const unsigned char *s, size_t len)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = s[i] << 16 | (i + 1 < len ? s[i + 1] << 8 : 0) | (i + 2 < len ? s[i + 2] : 0);
		char q[4] = {digits[v >> 18], digits[(v >> 12) & 63], digits[(v >> 6) & 63], digits[v & 63]};

		if (i + 1 >= len)
			q[2] = '=';
		if (i + 2 >= len)
			q[3] = '=';
		sb_add(out, q, 4);
	}
}

static char unescape_char(char c)
{
	switch (c) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return c; /* " \ / */
	}
}

/* A string with a lone surrogate as the bytes it stands for (see reformat.h), in base64. */
static void yaml_binary(struct reformat *r, struct strbuf *out, const struct jstr *s)
{
	const char *p = s->p, *end = s->p + s->len;

	sb_reset(&r->bytes);
	while (p < end) {
		if (*p != '\\') {
			sb_addc(&r->bytes, *p++);
		} else if (p[1] != 'u') {
			sb_addc(&r->bytes, unescape_char(p[1]));
			p += 2;
		} else {
			int v = hex4(p + 2, end), lo = is_high(v) ? low_after(p, end) : -1;

			if (lo >= 0) {
				add_utf8(&r->bytes, 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00));
				p += 12;
				continue;
			}
			if (v >= 0xdc80 && v <= 0xdcff)
				sb_addc(&r->bytes, (char)(v & 0xff));
			else
				add_utf8(&r->bytes, v);
			p += 6;
		}
	}
	sb_add(out, "!!binary \"", 10);
	add_base64(out, (const unsigned char *)r->bytes.buf, r->bytes.len);
	sb_addc(out, '"');
}

/* Characters a YAML stream may not hold raw, or that YAML 1.1 reads as line breaks. */
static bool yaml_unprintable(unsigned cp)
{
	return (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0xfffe ||
	       cp == 0xffff;
}

static void yaml_string(struct reformat *r, struct strbuf *out, const struct jstr *s)
{
	const unsigned char *p = (const unsigned char *)s->p, *end = p + s->len;

	if (s->lone) {
		yaml_binary(r, out, s);
		return;
	}
	sb_addc(out, '"');
	while (p < end) {
		const unsigned char *run = p;
		unsigned cp;

		while (run < end && *run >= 0x20 && *run < 0x7f && *run != '\\')
			run++;
		if (run > p) {
			sb_add(out, p, run - p);
			p = run;
			continue;
		}
		if (*p == '\\') {
			int v = p[1] == 'u' ? hex4((const char *)p + 2, (const char *)end) : -1;
			int lo = is_high(v) ? low_after((const char *)p, (const char *)end) : -1;

			if (p[1] == '/') {
				sb_addc(out, '/');
				p += 2;
			} else if (lo >= 0) {
				sb_addf(out, "\\U%08x", 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00));
				p += 12;
			} else {
				sb_add(out, p, p[1] == 'u' ? 6 : 2);
				p += p[1] == 'u' ? 6 : 2;
			}
			continue;
		}
		size_t n = utf8_seq_len(p, end - p, &cp); /* scan_string checked it */

		if (yaml_unprintable(cp))
			sb_addf(out, "\\u%04x", cp);
		else
			sb_add(out, p, n);
		p += n;
	}
	sb_addc(out, '"');
}

/* Plain keys that YAML 1.1 would read as a boolean or null. */
static bool yaml_reserved(const char *p, size_t len)
{
	static const char *const words[] = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == len && !strncasecmp(p, words[i], len))
			return true;
	return false;
}

static bool yaml_plain_key(const struct jstr *s)
{
	const char *p = s->p;

	if (!s->len || !(p[0] == '_' || ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z')))
		return false;
	for (size_t i = 1; i < s->len; i++) {
		char c = p[i];

		if (!(c == '_' || c == '.' || c == '-' || is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
			return false;
	}
	return !yaml_reserved(p, s->len);
}

/* JSON's 1e5 is a string to YAML 1.1, whose floats need a '.' and a signed exponent: 1.0e+5. */
static void yaml_number(struct strbuf *out, const char *p, size_t len)
{
	const char *e = memchr(p, 'e', len);

	if (!e)
		e = memchr(p, 'E', len);
	if (!e) {
		sb_add(out, p, len);
		return;
	}
	sb_add(out, p, e - p);
	if (!memchr(p, '.', e - p))
		sb_add(out, ".0", 2);
	sb_addc(out, *e);
	if (e[1] != '+' && e[1] != '-')
		sb_addc(out, '+');
	sb_add(out, e + 1, p + len - e - 1);
}

/* ---- emitter ---- */

static struct frame *top(struct reformat *r)
{
	return r->depth ? &r->stack[r->depth - 1] : NULL;
}

/* YAML: the start of a line in container f, unless a "- " already started it. */
static void yaml_line(struct reformat *r, const struct frame *f)
{
	if (r->inline_item)
		r->inline_item = false;
	else
		add_indent(r->out, f->indent);
}

/* Before a value: what separates it from what precedes it (a key's value needs nothing more). */
static void emit_value_lead(struct reformat *r)
{
	struct frame *f = top(r);

	if (!f) {
		if (r->style == REFORMAT_YAML)
			sb_add(r->out, "---", 3);
		return;
	}
	if (f->kind != FRAME_ARR)
		return;
	if (r->style == REFORMAT_PRETTY) {
		sb_add(r->out, f->count ? ",\n" : "\n", f->count ? 2 : 1);
		add_indent(r->out, 2 * r->depth);
	} else {
		yaml_line(r, f);
		sb_add(r->out, "- ", 2);
	}
	f->count++;
}

static void emit_key(struct reformat *r, const struct jstr *k)
{
	struct frame *f = top(r);

	if (r->style == REFORMAT_PRETTY) {
		sb_add(r->out, f->count ? ",\n" : "\n", f->count ? 2 : 1);
		add_indent(r->out, 2 * r->depth);
		sb_addc(r->out, '"');
		sb_add(r->out, k->p, k->len);
		sb_add(r->out, "\": ", 3);
	} else {
		sb_reset(&r->key);
		if (yaml_plain_key(k))
			sb_add(&r->key, k->p, k->len);
		else
			yaml_string(r, &r->key, k);
		yaml_line(r, f);
		if (r->key.len <= YAML_IMPLICIT_KEY_MAX) {
			sb_add(r->out, r->key.buf, r->key.len);
		} else {
			sb_add(r->out, "? ", 2);
			sb_add(r->out, r->key.buf, r->key.len);
			sb_addc(r->out, '\n');
			add_indent(r->out, f->indent);
		}
		sb_addc(r->out, ':');
	}
	f->count++;
}

/* YAML: a scalar or empty container ends the line: after "---" and "key:" with a space, after "- " without. */
static void yaml_scalar_lead(struct reformat *r)
{
	struct frame *f = top(r);

	if (!f || f->kind == FRAME_OBJ)
		sb_addc(r->out, ' ');
}

static void emit_string(struct reformat *r, const struct jstr *s)
{
	if (r->style == REFORMAT_PRETTY) {
		sb_addc(r->out, '"');
		sb_add(r->out, s->p, s->len);
		sb_addc(r->out, '"');
		return;
	}
	yaml_scalar_lead(r);
	yaml_string(r, r->out, s);
	sb_addc(r->out, '\n');
}

/* Numbers, literals and empty containers. */
static void emit_atom(struct reformat *r, const char *p, size_t len, bool number)
{
	if (r->style == REFORMAT_PRETTY) {
		sb_add(r->out, p, len);
		return;
	}
	yaml_scalar_lead(r);
	if (number)
		yaml_number(r->out, p, len);
	else
		sb_add(r->out, p, len);
	sb_addc(r->out, '\n');
}

static bool emit_open(struct reformat *r, enum frame_kind kind)
{
	struct frame *f = top(r);
	unsigned indent = 0;

	if (r->depth == REFORMAT_MAX_DEPTH)
		return false;
	if (r->style == REFORMAT_PRETTY) {
		sb_addc(r->out, kind == FRAME_OBJ ? '{' : '[');
	} else if (f && f->kind == FRAME_ARR) {
		/* the container's first line continues the "- " */
		indent = f->indent + 2;
		r->inline_item = true;
	} else {
		sb_addc(r->out, '\n');
		indent = f ? f->indent + 2 : 0;
	}
	r->stack[r->depth++] = (struct frame){.kind = kind, .indent = indent};
	return true;
}

static void emit_close(struct reformat *r)
{
	struct frame *f = &r->stack[--r->depth];

	if (r->style == REFORMAT_PRETTY) {
		sb_addc(r->out, '\n');
		add_indent(r->out, 2 * r->depth);
		sb_addc(r->out, f->kind == FRAME_OBJ ? '}' : ']');
	}
}

/* ---- driver ---- */

/* One value at r->p: an atom, or the opening of a container (then *opened). */
static bool value(struct reformat *r, bool *opened)
{
	const char *start = r->p;
	struct jstr s;

	*opened = false;
	if (r->p == r->end)
		return false;
	emit_value_lead(r);
	switch (*r->p) {
	case '{':
	case '[': {
		enum frame_kind kind = *r->p == '{' ? FRAME_OBJ : FRAME_ARR;

		r->p++;
		skip_ws(r);
		if (r->p < r->end && *r->p == (kind == FRAME_OBJ ? '}' : ']')) {
			r->p++;
			emit_atom(r, kind == FRAME_OBJ ? "{}" : "[]", 2, false);
			return true;
		}
		*opened = true;
		return emit_open(r, kind);
	}
	case '"':
		if (!scan_string(r, &s))
			return false;
		emit_string(r, &s);
		return true;
	case 't':
	case 'f':
	case 'n':
		if (!scan_literal(r))
			return false;
		emit_atom(r, start, r->p - start, false);
		return true;
	default:
		if (!scan_number(r))
			return false;
		emit_atom(r, start, r->p - start, true);
		return true;
	}
}

static bool key(struct reformat *r)
{
	struct jstr k;

	skip_ws(r);
	if (r->p == r->end || *r->p != '"' || !scan_string(r, &k))
		return false;
	skip_ws(r);
	if (r->p == r->end || *r->p != ':')
		return false;
	r->p++;
	emit_key(r, &k);
	return true;
}

static bool reformat_all(struct reformat *r)
{
	enum { WANT_VALUE, WANT_KEY, AFTER_VALUE } state = WANT_VALUE;

	for (;;) {
		bool opened;

		switch (state) {
		case WANT_KEY:
			if (!key(r))
				return false;
			/* fallthrough */
		case WANT_VALUE:
			skip_ws(r);
			if (!value(r, &opened))
				return false;
			state = !opened ? AFTER_VALUE : top(r)->kind == FRAME_OBJ ? WANT_KEY : WANT_VALUE;
			break;
		case AFTER_VALUE: {
			struct frame *f = top(r);

			skip_ws(r);
			if (!f)
				return r->p == r->end;
			if (r->p == r->end)
				return false;
			if (*r->p == ',') {
				r->p++;
				state = f->kind == FRAME_OBJ ? WANT_KEY : WANT_VALUE;
			} else if (*r->p == (f->kind == FRAME_OBJ ? '}' : ']')) {
				r->p++;
				emit_close(r);
			} else {
				return false;
			}
			break;
		}
		}
	}
}

int json_reformat(struct strbuf *out, const char *json, size_t len, enum reformat_style style)
{
	struct reformat r = {.out = out, .style = style, .p = json, .end = json + len};
	size_t start = out->len;
	bool ok = reformat_all(&r);

	sb_free(&r.key);
	sb_free(&r.bytes);
	if (!ok) {
		out->len = start;
		sb_add(out, json, len);
		return -1;
	}
	if (style == REFORMAT_PRETTY)
		sb_addc(out, '\n');
	return 0;
}
