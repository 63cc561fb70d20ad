/*
 * --filter EXPR: parsing into terms, and matching a row against them (the syntax and rules are in filter.h).
 * Everything that can be decided once is decided at parse time: field names become indices, VALUE is unescaped
 * and read as an integer and as a boolean, regexes are compiled. Matching is then comparisons only.
 */
#include "filter.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Indexed by enum filter_op. */
static const char *const op_names[] = {
	[FILTER_EQ] = "==", [FILTER_NE] = "!=", [FILTER_RE] = "~", [FILTER_NRE] = "!~",
	[FILTER_GT] = ">",  [FILTER_GE] = ">=", [FILTER_LT] = "<", [FILTER_LE] = "<=",
};
#define OP_COUNT (sizeof(op_names) / sizeof(op_names[0]))
#define OP_LIST	 "==, !=, ~, !~, >, >=, <, <=" /* for messages, in op_names' order */

/* A regex subject shorter than this is copied on the stack to get its NUL. */
#define REGEX_STACK_MAX 4096

/* An integer as sign and magnitude, so that any u64 and any s64 (VALUE may be either) compare exactly. */
struct num {
	bool neg; /* never with mag 0 */
	uint64_t mag;
};

struct term {
	int field;
	enum filter_op op;
	const char *value; /* unescaped, NUL-terminated, in the filter's pool */
	size_t len;
	bool is_num; /* VALUE is an integer: num */
	struct num num;
	int boolean; /* VALUE as a boolean: 1, 0, or -1 when it is none */
	bool has_re; /* re is compiled (FILTER_RE, FILTER_NRE) */
	regex_t re;
};

/* One allocation: the terms, then the pool their unescaped values live in. */
struct filter {
	size_t n;
	struct term terms[];
};

struct parser {
	const char *expr, *p;
	char *pool;
	filter_lookup_fn lookup;
	void *lookup_arg;
	struct strbuf *err;
};

static bool parse_num(const char *s, size_t len, struct num *n)
{
	size_t i = 0;

	n->neg = len && s[0] == '-';
	n->mag = 0;
	if (n->neg)
		i++;
	if (i == len)
		return false;
	for (; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || n->mag > (UINT64_MAX - d) / 10)
			return false;
		n->mag = n->mag * 10 + d;
	}
	if (!n->mag)
		n->neg = false;
	return true;
}

static int num_cmp(const struct num *a, const struct num *b)
{
	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	if (a->mag == b->mag)
		return 0;
	return (a->mag < b->mag) != a->neg ? -1 : 1;
}

/* The spellings Go's strconv.ParseBool accepts, which ig's users (ig is written in Go) will try. */
static int parse_bool(const char *s)
{
	static const char *const words[2][6] = {
		{"0", "f", "F", "false", "FALSE", "False"},
		{"1", "t", "T", "true", "TRUE", "True"},
	};

	for (int b = 0; b < 2; b++)
		for (size_t i = 0; i < sizeof(words[b]) / sizeof(words[b][0]); i++)
			if (!strcmp(s, words[b][i]))
				return b;
	return -1;
}

/* strcmp()'s order for byte strings with lengths. */
static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = alen && blen ? memcmp(a, b, alen < blen ? alen : blen) : 0;

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/*
 * The user's expression in a message, with control bytes as \xNN so that the message stays one line.
 * Positions count characters of the expression as given, so they may point a little past a shown escape.
 */
static void add_quoted(struct strbuf *sb, const char *s, size_t len)
{
	sb_addc(sb, '\'');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f)
			sb_addf(sb, "\\x%02x", c);
		else
			sb_addc(sb, c);
	}
	sb_addc(sb, '\'');
}

/*
 * "--filter: WHAT ['QUOTED'] at position N in 'EXPR'TAIL"; returns EINVAL. N counts UTF-8 characters from 1,
 * so that it matches what the user sees in a terminal (a value may hold a container name in any script).
 */
static int error_at(struct parser *ps, const char *at, const char *what, const char *quoted, size_t qlen,
		    const char *tail)
{
	size_t pos = 1;

	for (const char *q = ps->expr; q < at; q++)
		pos += ((unsigned char)*q & 0xc0) != 0x80;
	sb_addf(ps->err, "--filter: %s", what);
	if (quoted) {
		sb_addc(ps->err, ' ');
		add_quoted(ps->err, quoted, qlen);
	}
	sb_addf(ps->err, " at position %zu in ", pos);
	add_quoted(ps->err, ps->expr, strlen(ps->expr));
	sb_adds(ps->err, tail);
	return EINVAL;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-';
}

/* The longest operator at @p: its length, or 0. */
static size_t parse_op(const char *p, enum filter_op *op)
{
	size_t best = 0;

	for (size_t i = 0; i < OP_COUNT; i++) {
		size_t len = strlen(op_names[i]);

		if (len > best && !strncmp(p, op_names[i], len)) {
			best = len;
			*op = (enum filter_op)i;
		}
	}
	return best;
}

/*
 * How big @re grows when the regex compiler expands its repetitions, in atoms, or REGEX_SIZE_MAX + 1 once it
 * passes that. Bounds multiply (x{1,255} is 255 copies of x; (x{1,255}){1,255} 65,025) and both musl's and
 * glibc's compilers build the copies and then sets over them: 3,600 atoms took 35 MB, two nested {1,255} 8 GB
 * (measured with musl). One '+' counts double (x+ is xx*), so stacked '+' are bounded too (glibc's compiler
 * blows up on them). An over-estimate is fine: this only refuses patterns nobody types on purpose.
 * A repetition of a repetition ('**', 'a+?', 'x{2}*': POSIX leaves adjacent repetition symbols undefined, and
 * glibc's compiler took gigabytes on a few hundred '?', found by fuzz_filter) gives REGEX_STACKED.
 */
#define REGEX_SIZE_MAX	1024
#define REGEX_GROUP_MAX 64
#define REGEX_STACKED	((unsigned long)-1)
static unsigned long regex_size(const char *re)
{
	unsigned long sum[REGEX_GROUP_MAX + 1] = {0}, last[REGEX_GROUP_MAX + 1] = {0};
	unsigned depth = 0;
	bool repeated = false; /* the last token was a repetition */

	for (const char *p = re; *p; p++) {
		unsigned long k;
		bool was = repeated;

		repeated = *p == '*' || *p == '+' || *p == '?';
		if (repeated && was)
			return REGEX_STACKED;
		switch (*p) {
		case '\\':
			if (p[1])
				p++;
			sum[depth]++, last[depth] = 1;
			break;
		case '[': /* a bracket expression is one atom: skip to its ']' ("[]a]", "[^]a]", "[[:alpha:]]") */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
					const char *close = strchr(p + 2, p[1]);
					while (close && close[1] != ']')
						close = strchr(close + 1, p[1]);
					if (!close)
						return REGEX_SIZE_MAX + 1; /* unterminated: regcomp() says why */
					p = close + 1;
				}
				p++;
			}
			if (!*p)
				return 0; /* unterminated: regcomp() says why */
			sum[depth]++, last[depth] = 1;
			break;
		case '(':
			if (depth == REGEX_GROUP_MAX)
				return REGEX_SIZE_MAX + 1;
			depth++;
			sum[depth] = last[depth] = 0;
			break;
		case ')':
			if (!depth) { /* a lone ')' is a literal in ERE */
				sum[depth]++, last[depth] = 1;
				break;
			}
			k = sum[depth] ? sum[depth] : 1;
			depth--;
			sum[depth] += k, last[depth] = k;
			break;
		case '+': /* x+ is xx*: a '+' after it repeats both */
			sum[depth] += last[depth];
			last[depth] *= 2;
			break;
		case '{': { /* x{m}, x{m,}, x{m,n}: up to max(m, n) copies, or m + 1 */
			char *end;
			unsigned long m = strtoul(p + 1, &end, 10), n = m;
			if (end == p + 1)
				goto atom; /* not a bound: regcomp() decides */
			if (*end == ',') {
				n = strtoul(end + 1, &end, 10);
				if (n < m)
					n = m + 1;
			}
			if (*end != '}')
				goto atom;
			if (was)
				return REGEX_STACKED;
			repeated = true;
			k = n > REGEX_SIZE_MAX ? REGEX_SIZE_MAX + 1 : n ? n : 1;
			sum[depth] += last[depth] * (k - 1);
			last[depth] *= k;
			p = end;
			break;
		}
		case '*':
		case '?':
		case '|':
		case '^':
		case '$': break;
		default:
		atom:
			sum[depth]++, last[depth] = 1;
		}
		for (unsigned d = 0; d <= depth; d++)
			if (sum[d] > REGEX_SIZE_MAX || last[d] > REGEX_SIZE_MAX)
				return REGEX_SIZE_MAX + 1;
	}
	while (depth) { /* an unclosed '(': regcomp() refuses it, but count it anyway */
		unsigned long k = sum[depth];
		depth--;
		sum[depth] += k;
	}
	return sum[0];
}

/* Copies VALUE from ps->p into the pool, unescaping \, and \\, up to the ',' that ends the term or the end. */
static void parse_value(struct parser *ps, struct term *t)
{
	const char *p = ps->p;
	char *out = ps->pool;

	for (; *p && *p != ','; p++) {
		if (*p == '\\' && (p[1] == ',' || p[1] == '\\'))
			p++;
		*out++ = *p;
	}
	*out = '\0';
	t->value = ps->pool;
	t->len = (size_t)(out - ps->pool);
	ps->pool = out + 1;
	ps->p = p;
}

/* Parses FIELD OP VALUE at ps->p into @t; returns 0 or an errno. */
static int parse_term(struct parser *ps, struct term *t)
{
	const char *name = ps->p, *p = name;

	if (*p == ',' || *p == '\0')
		return error_at(ps, p, "empty term", NULL, 0, "");
	while (is_name_char(*p))
		p++;
	size_t name_len = (size_t)(p - name);
	if (!name_len)
		return error_at(ps, p, "expected a field name", NULL, 0, "");

	size_t op_len = parse_op(p, &t->op);
	if (!op_len) {
		/* '=' is what people type first; '=~' is Perl's and Ruby's match */
		if (*p == '=')
			return error_at(ps, p, "unknown operator", "=", 1,
					p[1] == '~' ? " (did you mean '~'?)" : " (did you mean '=='?)");
		return error_at(ps, p, "expected an operator (" OP_LIST ")", NULL, 0, "");
	}
	t->field = ps->lookup(ps->lookup_arg, name, name_len);
	if (t->field < 0)
		return error_at(ps, name, "unknown field", name, name_len, "");

	ps->p = p + op_len;
	const char *value_at = ps->p;
	parse_value(ps, t);
	t->is_num = parse_num(t->value, t->len, &t->num);
	t->boolean = parse_bool(t->value);
	if (t->op == FILTER_RE || t->op == FILTER_NRE) {
		unsigned long size = regex_size(t->value);
		if (size == REGEX_STACKED)
			return error_at(ps, value_at, "a repetition of a repetition in regular expression", t->value,
					t->len, " ('**', '+?', '{m,n}*' are undefined in POSIX: write one)");
		if (size > REGEX_SIZE_MAX)
			return error_at(ps, value_at, "regular expression too large once its repetitions are expanded",
					t->value, t->len, " (more than 1024 atoms: use fewer or smaller {m,n})");
		int rc = regcomp(&t->re, t->value, REG_EXTENDED | REG_NOSUB);

		if (rc == REG_ESPACE)
			return ENOMEM;
		if (rc) {
			char tail[160] = ": ";

			regerror(rc, &t->re, tail + 2, sizeof(tail) - 2);
			return error_at(ps, value_at, "invalid regular expression", t->value, t->len, tail);
		}
		t->has_re = true;
	}
	return 0;
}

struct filter *filter_parse(const char *expr, filter_lookup_fn lookup, void *lookup_arg, struct strbuf *err)
{
	struct strbuf scratch = {0};
	struct parser ps = {.expr = expr, .p = expr, .lookup = lookup, .lookup_arg = lookup_arg};
	size_t len = strlen(expr), max_terms = 1;
	int rc = 0;

	/* every ',' may end a term; each term's value and its NUL take no more room than the term did in expr */
	for (const char *p = expr; *p; p++)
		max_terms += *p == ',';
	struct filter *f = calloc(1, sizeof(*f) + max_terms * sizeof(f->terms[0]) + len + 1);
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	ps.pool = (char *)(f->terms + max_terms);
	ps.err = err ? err : &scratch;
	for (;;) {
		rc = parse_term(&ps, &f->terms[f->n]);
		if (rc)
			break;
		f->n++;
		if (!*ps.p)
			break;
		ps.p++; /* the ',' */
	}
	sb_free(&scratch);
	if (rc) {
		/* a term that failed after regcomp() is not counted, and has no regex */
		filter_free(f);
		errno = rc;
		return NULL;
	}
	return f;
}

void filter_free(struct filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		if (f->terms[i].has_re)
			regfree(&f->terms[i].re);
	free(f);
}

/* The integer a row's value stands for in ordering comparisons, if it has one. */
static bool value_num(const struct filter_value *v, struct num *n)
{
	switch (v->kind) {
	case FV_U64: *n = (struct num){false, v->u}; return true;
	case FV_S64: *n = (struct num){v->i < 0, v->i < 0 ? 0 - (uint64_t)v->i : (uint64_t)v->i}; return true;
	case FV_BOOL: *n = (struct num){false, v->b}; return true;
	case FV_STR: return parse_num(v->s, v->len, n);
	default: return false;
	}
}

/* A row's value as text, NUL-terminated except for FV_STR; @digits (21 bytes) holds a number's. */
static const char *value_text(const struct filter_value *v, char *digits, size_t *len)
{
	switch (v->kind) {
	case FV_STR: *len = v->len; return v->s ? v->s : "";
	case FV_BOOL: *len = v->b ? 4 : 5; return v->b ? "true" : "false";
	default: break;
	}
	bool neg = v->kind == FV_S64 && v->i < 0;
	uint64_t u = v->kind == FV_U64 ? v->u : neg ? 0 - (uint64_t)v->i : (uint64_t)v->i;
	char *p = digits + 20;

	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		*--p = '-';
	*len = (size_t)(digits + 20 - p);
	return p;
}

/* regexec() wants a NUL-terminated subject; a string value is not. 1: matches, 0: does not, -1: no memory. */
static int regex_match(const regex_t *re, const struct filter_value *v, const char *text, size_t len)
{
	char stack[REGEX_STACK_MAX], *buf = stack;

	if (v->kind == FV_STR) {
		if (len >= sizeof(stack) && !(buf = malloc(len + 1)))
			return -1;
		if (len)
			memcpy(buf, text, len);
		buf[len] = '\0';
		text = buf;
	}
	int rc = regexec(re, text, 0, NULL, 0);
	if (buf != stack)
		free(buf);
	return rc == 0 ? 1 : rc == REG_NOMATCH ? 0 : -1;
}

static bool term_equal(const struct term *t, const struct filter_value *v)
{
	char digits[21];
	size_t len;
	const char *text;
	struct num n;

	if (v->kind == FV_BOOL && t->boolean >= 0)
		return v->b == (bool)t->boolean;
	if ((v->kind == FV_U64 || v->kind == FV_S64) && t->is_num && value_num(v, &n))
		return !num_cmp(&n, &t->num);
	text = value_text(v, digits, &len);
	return !bytes_cmp(text, len, t->value, t->len);
}

static int term_order(const struct term *t, const struct filter_value *v)
{
	char digits[21];
	size_t len;
	const char *text;
	struct num n;

	if (t->is_num && value_num(v, &n))
		return num_cmp(&n, &t->num);
	text = value_text(v, digits, &len);
	return bytes_cmp(text, len, t->value, t->len);
}

static bool term_match(const struct term *t, const struct filter_value *v)
{
	char digits[21];
	size_t len;
	const char *text;

	if (v->kind != FV_STR && v->kind != FV_U64 && v->kind != FV_S64 && v->kind != FV_BOOL)
		return t->op == FILTER_NE || t->op == FILTER_NRE;
	switch (t->op) {
	case FILTER_EQ: return term_equal(t, v);
	case FILTER_NE: return !term_equal(t, v);
	case FILTER_RE:
	case FILTER_NRE:
		text = value_text(v, digits, &len);
		/* without memory neither ~ nor !~ can say: the row is left out */
		return regex_match(&t->re, v, text, len) == (t->op == FILTER_RE ? 1 : 0);
	case FILTER_GT: return term_order(t, v) > 0;
	case FILTER_GE: return term_order(t, v) >= 0;
	case FILTER_LT: return term_order(t, v) < 0;
	case FILTER_LE: return term_order(t, v) <= 0;
	}
	return false;
}

bool filter_match(const struct filter *f, filter_get_fn get, void *arg)
{
	if (!f)
		return true;
	for (size_t i = 0; i < f->n; i++) {
		struct filter_value v = {.kind = FV_ABSENT};

		get(arg, f->terms[i].field, &v);
		if (!term_match(&f->terms[i], &v))
			return false;
	}
	return true;
}

size_t filter_nterms(const struct filter *f)
{
	return f ? f->n : 0;
}

bool filter_term(const struct filter *f, size_t i, int *field, enum filter_op *op, const char **value)
{
	if (i >= filter_nterms(f))
		return false;
	if (field)
		*field = f->terms[i].field;
	if (op)
		*op = f->terms[i].op;
	if (value)
		*value = f->terms[i].value;
	return true;
}

const char *filter_op_name(enum filter_op op)
{
	return (unsigned)op < OP_COUNT ? op_names[op] : "?";
}
