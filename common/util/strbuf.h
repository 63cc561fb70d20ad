/* A growable byte buffer: the one way common code builds strings of unknown length. */
#ifndef GADGETBOX_STRBUF_H
#define GADGETBOX_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	bool failed; /* memory ran out: what did not fit was dropped (sb_failed) */
};

/*
 * Out of memory: the library's policy is to go on without (a buffer that cannot grow keeps what it has, is
 * marked failed, and later additions are dropped: the caller reports -ENOMEM or a loss where it matters); a
 * program may choose to abort instead (the gadgetbox command does: sb_abort_on_oom(true)).
 */
void sb_abort_on_oom(bool abort_on_oom);
/* Room for @extra more bytes (and a NUL); false (and sb->failed) if memory ran out. */
bool sb_reserve(struct strbuf *sb, size_t extra);
static inline bool sb_failed(const struct strbuf *sb)
{
	return sb->failed;
}
/*
 * The output writer appends many short pieces (keys, numbers, names) per event. musl's memcpy starts a
 * `rep movs` whatever the size, which costs more than the copy for a few bytes: short pieces are copied with
 * two overlapping fixed-size moves instead, inline.
 */
static inline void sb_copy_short(char *d, const char *s, size_t len)
{
	uint64_t a, b;
	uint32_t x, y;

	if (len >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + len - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + len - 8, &b, 8);
	} else if (len >= 4) {
		memcpy(&x, s, 4);
		memcpy(&y, s + len - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + len - 4, &y, 4);
	} else {
		for (size_t i = 0; i < len; i++)
			d[i] = s[i];
	}
}

void sb_add_slow(struct strbuf *sb, const void *data, size_t len);

static inline void sb_add(struct strbuf *sb, const void *data, size_t len)
{
	if (len > 32 || sb->len + len + 1 > sb->cap) {
		sb_add_slow(sb, data, len);
		return;
	}
	if (len <= 16) {
		sb_copy_short(sb->buf + sb->len, data, len);
	} else {
		sb_copy_short(sb->buf + sb->len, data, 16);
		sb_copy_short(sb->buf + sb->len + 16, (const char *)data + 16, len - 16);
	}
	sb->len += len;
}
static inline void sb_addc(struct strbuf *sb, char c)
{
	if (sb->len + 2 > sb->cap && !sb_reserve(sb, 1))
		return;
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
