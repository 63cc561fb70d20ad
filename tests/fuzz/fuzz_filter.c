/*
 * libFuzzer: a --filter expression and a row, into filter_parse() and filter_match() (common/cli/filter.c).
 * The input is EXPR, a NUL byte, then the row: one value per field, each a kind byte and a length byte
 * followed by that many bytes. Fields are named by one lowercase letter, the way the parser sees real names
 * (a..h), so that most mutations keep resolving. Checks that a term the parser gave back reads as written
 * and that an unparsable expression says why.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 8

struct row {
	struct filter_value v[NFIELDS];
};

static int lookup(void *arg, const char *name, size_t len)
{
	(void)arg;
	if (len != 1 || name[0] < 'a' || name[0] >= 'a' + NFIELDS)
		return -1;
	return name[0] - 'a';
}

static void get(void *arg, int field, struct filter_value *v)
{
	const struct row *r = arg;

	if (field < 0 || field >= NFIELDS)
		__builtin_trap();
	*v = r->v[field];
}

/* Reads the row's values from @p (@n bytes): kind, length, bytes; integers from the bytes, little-endian. */
static void read_row(const uint8_t *p, size_t n, struct row *r)
{
	memset(r, 0, sizeof(*r));
	for (int f = 0; f < NFIELDS && n >= 2; f++) {
		uint8_t kind = p[0] % 5, len = p[1];
		uint64_t x = 0;

		p += 2, n -= 2;
		if (len > n)
			len = (uint8_t)n;
		memcpy(&x, p, len < sizeof(x) ? len : sizeof(x));
		r->v[f].kind = (enum filter_kind)kind;
		r->v[f].s = (const char *)p;
		r->v[f].len = len;
		r->v[f].u = x;
		r->v[f].i = (int64_t)x;
		r->v[f].b = x & 1;
		p += len, n -= len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t elen = nul ? (size_t)(nul - data) : size;
	char *expr = malloc(elen + 1);
	struct strbuf err = {0};
	struct filter *f;
	struct row r;

	if (!expr)
		return 0;
	memcpy(expr, data, elen);
	expr[elen] = 0;
	errno = 0;
	f = filter_parse(expr, lookup, NULL, &err);
	if (!f) {
		/* a refused expression always says why, on one line */
		if (errno == EINVAL && (!err.len || memchr(err.buf, '\n', err.len)))
			__builtin_trap();
		goto out;
	}
	for (size_t i = 0; i < filter_nterms(f); i++) {
		int field = -1;
		enum filter_op op;
		const char *value = NULL;

		if (!filter_term(f, i, &field, &op, &value) || field < 0 || field >= NFIELDS || !value ||
		    !filter_op_name(op) || !strstr(expr, filter_op_name(op)))
			__builtin_trap();
	}
	if (filter_term(f, filter_nterms(f), NULL, NULL, NULL))
		__builtin_trap();
	read_row(nul ? nul + 1 : data + size, nul ? size - elen - 1 : 0, &r);
	(void)filter_match(f, get, &r);
	filter_free(f);
out:
	sb_free(&err);
	free(expr);
	return 0;
}
