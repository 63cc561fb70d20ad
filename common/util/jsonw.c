/*
 * The JSON writer (jsonw.h). Its state is one bit per open container, so writing a member costs a test and an
 * append: the applets call it on every event. Numbers go through sb_add_u64()/sb_add_i64() rather than printf.
 */
#include "jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

void jw_init(struct jsonw *w, struct strbuf *sb)
{
	*w = (struct jsonw){.sb = sb};
}

void jw_init_members(struct jsonw *w, struct strbuf *sb, bool first)
{
	*w = (struct jsonw){.sb = sb, .depth = 1, .first = first ? 1 : 0};
}

/* Before any value, key or container: the comma that separates it from the one before, if any. */
static void jw_sep(struct jsonw *w)
{
	uint64_t bit;

	if (w->pending_key) {
		w->pending_key = false;
		return;
	}
	if (!w->depth)
		return;
	bit = 1ull << (w->depth - 1);
	if (w->first & bit)
		w->first &= ~bit;
	else
		sb_addc(w->sb, ',');
}

static void jw_open(struct jsonw *w, char brace)
{
	jw_sep(w);
	if (w->depth == JW_MAX_DEPTH) {
		fprintf(stderr, "gadgetbox: JSON nested deeper than %d levels\n", JW_MAX_DEPTH);
		abort();
	}
	sb_addc(w->sb, brace);
	w->first |= 1ull << w->depth;
	w->depth++;
}

static void jw_close(struct jsonw *w, char brace)
{
	if (!w->depth) {
		fprintf(stderr, "gadgetbox: JSON container closed but none is open\n");
		abort();
	}
	w->depth--;
	w->first &= ~(1ull << w->depth);
	w->pending_key = false;
	sb_addc(w->sb, brace);
}

void jw_obj_begin(struct jsonw *w)
{
	jw_open(w, '{');
}

void jw_obj_end(struct jsonw *w)
{
	jw_close(w, '}');
}

void jw_arr_begin(struct jsonw *w)
{
	jw_open(w, '[');
}

void jw_arr_end(struct jsonw *w)
{
	jw_close(w, ']');
}

void jw_key(struct jsonw *w, const char *key)
{
	jw_sep(w);
	sb_addc(w->sb, '"');
	sb_adds(w->sb, key);
	sb_add(w->sb, "\":", 2);
	w->pending_key = true;
}

void jw_strn(struct jsonw *w, const char *s, size_t len)
{
	jw_sep(w);
	sb_addc(w->sb, '"');
	esc_json(w->sb, s, len);
	sb_addc(w->sb, '"');
}

void jw_str(struct jsonw *w, const char *s)
{
	jw_strn(w, s, strlen(s));
}

void jw_u64(struct jsonw *w, uint64_t v)
{
	jw_sep(w);
	sb_add_u64(w->sb, (unsigned long long)v);
}

void jw_s64(struct jsonw *w, int64_t v)
{
	jw_sep(w);
	sb_add_i64(w->sb, (long long)v);
}

void jw_bool(struct jsonw *w, bool v)
{
	jw_sep(w);
	if (v)
		sb_add(w->sb, "true", 4);
	else
		sb_add(w->sb, "false", 5);
}

void jw_null(struct jsonw *w)
{
	jw_sep(w);
	sb_add(w->sb, "null", 4);
}

void jw_double(struct jsonw *w, double v, int decimals)
{
	jw_sep(w);
	if (isfinite(v))
		sb_addf(w->sb, "%.*f", decimals, v);
	else
		sb_add(w->sb, "null", 4);
}

void jw_raw(struct jsonw *w, const char *json, size_t len)
{
	jw_sep(w);
	sb_add(w->sb, json, len);
}

void jw_member_str(struct jsonw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

void jw_member_strn(struct jsonw *w, const char *key, const char *s, size_t len)
{
	jw_key(w, key);
	jw_strn(w, s, len);
}

void jw_member_u64(struct jsonw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_u64(w, v);
}

void jw_member_s64(struct jsonw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_s64(w, v);
}

void jw_member_bool(struct jsonw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

void jw_member_null(struct jsonw *w, const char *key)
{
	jw_key(w, key);
	jw_null(w);
}

void jw_member_double(struct jsonw *w, const char *key, double v, int decimals)
{
	jw_key(w, key);
	jw_double(w, v, decimals);
}

void jw_member_raw(struct jsonw *w, const char *key, const char *json, size_t len)
{
	jw_key(w, key);
	jw_raw(w, json, len);
}

void jw_member_obj_begin(struct jsonw *w, const char *key)
{
	jw_key(w, key);
	jw_obj_begin(w);
}

void jw_member_arr_begin(struct jsonw *w, const char *key)
{
	jw_key(w, key);
	jw_arr_begin(w);
}
