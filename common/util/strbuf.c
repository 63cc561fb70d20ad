#include "strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool oom_aborts;

void sb_abort_on_oom(bool abort_on_oom)
{
	oom_aborts = abort_on_oom;
}

bool sb_reserve(struct strbuf *sb, size_t extra)
{
	size_t need = extra < SIZE_MAX - sb->len ? sb->len + extra + 1 : 0; /* 0: more than memory has */

	if (need && need <= sb->cap)
		return true;
	size_t cap = sb->cap ? sb->cap : 256;
	while (need && cap < need && cap <= SIZE_MAX / 2)
		cap *= 2;
	char *p = need && cap >= need ? realloc(sb->buf, cap) : NULL;
	if (!p) {
		if (oom_aborts) {
			fputs("gadgetbox: out of memory\n", stderr);
			abort();
		}
		sb->failed = true;
		return false;
	}
	sb->buf = p;
	sb->cap = cap;
	return true;
}

void sb_add_slow(struct strbuf *sb, const void *data, size_t len)
{
	if (!sb_reserve(sb, len))
		return;
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
}

void sb_add_u64(struct strbuf *sb, unsigned long long v)
{
	/* two digits per division (timestamps have 19) */
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[20];
	int n = 20;

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		tmp[--n] = pairs[2 * r + 1];
		tmp[--n] = pairs[2 * r];
	}
	if (v >= 10) {
		tmp[--n] = pairs[2 * v + 1];
		tmp[--n] = pairs[2 * v];
	} else {
		tmp[--n] = (char)('0' + v);
	}
	sb_add(sb, tmp + n, 20 - n);
}

void sb_add_i64(struct strbuf *sb, long long v)
{
	if (v < 0) {
		sb_addc(sb, '-');
		sb_add_u64(sb, 0ull - (unsigned long long)v);
	} else {
		sb_add_u64(sb, (unsigned long long)v);
	}
}

void sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list copy;
	char small[128];

	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_add(sb, small, n);
		return;
	}
	if (!sb_reserve(sb, n))
		return;
	vsnprintf(sb->buf + sb->len, n + 1, fmt, ap);
	sb->len += n;
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->failed = false;
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	*sb = (struct strbuf){0};
}

const char *sb_str(struct strbuf *sb)
{
	if (!sb_reserve(sb, 0))
		return sb->buf ? (sb->buf[sb->len] = '\0', sb->buf) : "";
	sb->buf[sb->len] = '\0';
	return sb->buf;
}
