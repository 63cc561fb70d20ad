/*
 * A nesting JSON writer (bpftool's json_writer, compact): every applet's JSON goes through it, so every
 * string is escaped by esc_json() and every object is shaped the same way, never assembled by hand with
 * sb_addf(). It appends to a struct strbuf without spaces or newlines (`{"a":1,"b":[{"c":"x"}]}`), the bytes
 * the applets wrote by hand before it; the caller ends the line.
 *
 * Commas are the writer's business: a value, key or container opened inside an object or array is preceded by
 * one unless it is the first there. Keys are trusted (field names from the code) and written as they are; values
 * are escaped. Nesting deeper than JW_MAX_DEPTH is a programming error: the process aborts with a message.
 */
#ifndef GADGETBOX_JSONW_H
#define GADGETBOX_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define JW_MAX_DEPTH 64

struct jsonw {
	struct strbuf *sb;
	/* open objects and arrays; 0 at the top level, where values are not separated */
	unsigned depth;
	/* bit depth-1: nothing written yet in the container open at that depth */
	uint64_t first;
	/* a key was written: the next value follows its colon, without a comma */
	bool pending_key;
};

/* Starts a writer that appends to @sb at the top level. */
void jw_init(struct jsonw *w, struct strbuf *sb);
/*
 * Starts a writer inside an object whose '{' (and maybe some members) @sb already holds: members written next
 * are preceded by a comma unless @first. Closing the object with jw_obj_end() is optional; the caller may
 * write the '}' itself.
 */
void jw_init_members(struct jsonw *w, struct strbuf *sb, bool first);

void jw_obj_begin(struct jsonw *w);
void jw_obj_end(struct jsonw *w);
void jw_arr_begin(struct jsonw *w);
void jw_arr_end(struct jsonw *w);

/* A member's name, written as it is inside quotes: the next call writes its value. */
void jw_key(struct jsonw *w, const char *key);

/* Values. Strings are untrusted bytes, escaped by esc_json(). */
void jw_str(struct jsonw *w, const char *s);
void jw_strn(struct jsonw *w, const char *s, size_t len);
void jw_u64(struct jsonw *w, uint64_t v);
void jw_s64(struct jsonw *w, int64_t v);
void jw_bool(struct jsonw *w, bool v);
void jw_null(struct jsonw *w);
/* Fixed decimals, as printf("%.*f") writes them (latencies in ms: 3); NaN and infinities, not JSON, are null. */
void jw_double(struct jsonw *w, double v, int decimals);
/* An already-rendered JSON value, copied as it is. */
void jw_raw(struct jsonw *w, const char *json, size_t len);

/* Members: a key and its value in one call. */
void jw_member_str(struct jsonw *w, const char *key, const char *s);
void jw_member_strn(struct jsonw *w, const char *key, const char *s, size_t len);
void jw_member_u64(struct jsonw *w, const char *key, uint64_t v);
void jw_member_s64(struct jsonw *w, const char *key, int64_t v);
void jw_member_bool(struct jsonw *w, const char *key, bool v);
void jw_member_null(struct jsonw *w, const char *key);
void jw_member_double(struct jsonw *w, const char *key, double v, int decimals);
void jw_member_raw(struct jsonw *w, const char *key, const char *json, size_t len);
/* A key whose value is a container, opened here and closed by the caller with jw_obj_end()/jw_arr_end(). */
void jw_member_obj_begin(struct jsonw *w, const char *key);
void jw_member_arr_begin(struct jsonw *w, const char *key);

#endif
