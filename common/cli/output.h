/*
 * The output writer every applet shares: a row of typed values, rendered as aligned columns with a header or
 * as one JSON object per line. Every string goes through escape.h. Writes are buffered and flushed by the
 * event loop after each batch; a closed pipe (`| head -1`) is noticed, not fatal.
 */
#ifndef GADGETBOX_OUTPUT_H
#define GADGETBOX_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "strbuf.h"

enum out_mode {
	OUT_COLUMNS,
	OUT_JSON,	 /* one object per line */
	OUT_JSON_PRETTY, /* each object indented (reformat.h) */
	OUT_YAML,	 /* each object a YAML document */
	OUT_NO_ROWS,	 /* no rows at all (-o none: the metrics alone) */
};

enum out_kind {
	OUT_NONE,
	OUT_STR,
	OUT_U64,
	OUT_S64,
	OUT_BOOL,
	OUT_STRV,
	OUT_RAW, /* JSON only: members rendered before (out_json_members), written as they are */
};

enum out_field_flags {
	OUT_F_COLONLY = 1 << 0,	 /* a display form (e.g. HH:MM:SS); not in JSON */
	OUT_F_JSONONLY = 1 << 1, /* not offered as a column */
	OUT_F_NOCUT = 1 << 2,	 /* never cut to a terminal's width, even as the last column (a container) */
};

struct out_field {
	const char *key;    /* JSON key; "group.key" nests one level: {"group":{"key":…}} */
	const char *header; /* column header */
	int width;	    /* column width (values longer than this push the next column) */
	unsigned flags;	    /* enum out_field_flags */
};

/* A list of NUL-separated strings, e.g. argv. */
struct out_strv {
	const char *buf;
	size_t size;
	unsigned count;
	uint64_t cut_mask; /* bit i: element i was cut short (shown with a trailing "...") */
	bool truncated;	   /* more elements existed (shown as a trailing " ...") */
	bool quote;	   /* columns: wrap each element in double quotes */
};

struct out_value {
	enum out_kind kind;
	union {
		struct {
			const char *s;
			size_t len;
		} str;
		uint64_t u;
		int64_t i;
		bool b;
		struct out_strv v;
	};
};

#define OUT_MAX_FIELDS 64

struct output; /* opaque: output.c */

/*
 * A writer over two field tables (the common fields, then the applet's; indices continue from the first into
 * the second). @select is the user's --fields list or NULL; @default_cols the applet's default columns.
 * Returns it, or NULL after writing a one-line error naming the unknown field to @err (aborts without memory).
 */
struct output *output_new(const char *prog, enum out_mode mode, int fd, const struct out_field *common, size_t ncommon,
			  const struct out_field *own, size_t nown, const char *select, const char *default_cols,
			  struct strbuf *err);
void output_free(struct output *o);
const struct out_field *output_field(const struct output *o, size_t idx);
/* Whether records are JSON (in any of its styles), whether field @idx is in them, whether the reader left. */
bool output_json(const struct output *o);
bool output_in_json(const struct output *o, size_t idx);
bool output_closed(const struct output *o);
/* A name the output's rows carry (the agent's gadget, one output each); NULL: none. */
void output_set_tag(struct output *o, const char *tag);
const char *output_tag(const struct output *o);

/* --filter: only rows that match @expr (filter.h) are written. Returns 0, or -1 after writing a one-line error
 * to @err. A field the filter names is always filled (out_wants). */
int output_set_filter(struct output *o, const char *expr, struct strbuf *err);
/* The terms of the filter (pushed down into the kernel where they can be): NULL if none. */
const struct filter *output_filter(const struct output *o);
/* --sort FIELD[,-FIELD...] (a leading '-': descending) and --max-entries N (0: all) for snapshots: rows
 * between output_snapshot_begin() and _end() are kept, sorted and cut. Returns 0, or -1 after an error in
 * @err. */
int output_set_sort(struct output *o, const char *spec, size_t max_entries, struct strbuf *err);

/* A snapshot: its rows are kept until output_snapshot_end(), which sorts them (--sort), keeps the first
 * --max-entries, and writes them; columns are sized to their content, like `docker ps`. A stream keeps the
 * fixed widths and writes each row at once. */
void output_snapshot_begin(struct output *o);
void output_snapshot_end(struct output *o);
/* Columns of a stream: make field @idx's column at least @cells wide (e.g. the longest container name known at
 * start; capped), before the header. Values longer than their column widen it for the rows after them too. */
void output_min_width(struct output *o, size_t idx, size_t cells);
/* The terminal width rows are cut to (the last, free-text column is cut; 0: never). Set from the terminal
 * (or $COLUMNS) when the output is one. */
void output_set_term_width(struct output *o, size_t cols);
/* Columns: buffer the header line (once). */
void output_header(struct output *o);
/* Columns: no header line (the caller writes a table of its own). */
void output_skip_header(struct output *o);
/* Start a new row; every value is unset (unset values are omitted from JSON and shown as "-" in columns). */
void out_begin(struct output *o);
void out_str(struct output *o, size_t idx, const char *s);
void out_strn(struct output *o, size_t idx, const char *s, size_t len);
void out_u64(struct output *o, size_t idx, uint64_t v);
void out_s64(struct output *o, size_t idx, int64_t v);
void out_bool(struct output *o, size_t idx, bool v);
void out_strv(struct output *o, size_t idx, const struct out_strv *v);
bool out_wants(const struct output *o, size_t idx);
/* JSON: the members of fields @first..@last as @fill(o, @arg) sets them, in a row of their own (the current
 * row is left as it was), rendered as out_end would (grouped, escaped, no leading comma) and appended to @sb;
 * then they can be set in one piece with out_raw(), e.g. for a container whose eight fields are the same in
 * every event. */
void out_json_members_of(struct output *o, size_t first, size_t last, void (*fill)(struct output *o, const void *arg),
			 const void *arg, struct strbuf *sb);
/* Put pre-rendered JSON members in the row at @idx (the fields they cover must be left unset). */
void out_raw(struct output *o, size_t idx, const char *s, size_t len);
/* Render the row into the buffer (flushing when it is large). */
void out_end(struct output *o);
/* A record that is not an event, e.g. {"type":"lost","lost":12}: JSON only; keys/values are trusted. */
void out_record(struct output *o, const char *type, const char *key, uint64_t value, uint64_t timestamp);
/* The same with a string value (escaped), e.g. {"type":"warning","message":"..."}. */
void out_record_str(struct output *o, const char *type, const char *key, const char *value, uint64_t timestamp);
/* Write what is buffered. Returns -1 once the reader has gone away. */
/* Text the caller formatted (a summary table, a JSON line of its own), written in order with the rows. */
void out_text(struct output *o, const char *s, size_t len);
int output_flush(struct output *o);

#endif
