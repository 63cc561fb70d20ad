/* A growable byte buffer: the one way common code builds strings of unknown length. */
#ifndef GADGETBOX_STRBUF_H
#define GADGETBOX_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

void sb_reserve(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *data, size_t len);
static inline void sb_addc(struct strbuf *sb, char c)
{
	if (sb->len + 2 > sb->cap)
		sb_reserve(sb, 1);
	sb->buf[sb->len++] = c;
}
void sb_adds(struct strbuf *sb, const char *s);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Decimal numbers without printf (the output writer's hot path). */
void sb_add_u64(struct strbuf *sb, unsigned long long v);
void sb_add_i64(struct strbuf *sb, long long v);
void sb_reset(struct strbuf *sb);
void sb_free(struct strbuf *sb);
/* NUL-terminated view of the contents (the NUL is not counted in len). */
const char *sb_str(struct strbuf *sb);

#endif
