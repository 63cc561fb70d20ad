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

#include "strbuf.h"

enum out_mode { OUT_COLUMNS, OUT_JSON };

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

struct output {
	enum out_mode mode;
	int fd;
	const char *prog; /* for messages */
	const struct out_field *tables[2];
	size_t counts[2];
	size_t nfields;
	int cols[OUT_MAX_FIELDS]; /* columns shown, in order */
	size_t ncols;
	bool in_json[OUT_MAX_FIELDS];
	struct out_value row[OUT_MAX_FIELDS];
	struct strbuf buf;
	/* JSON, prepared once: "key": per field, its group (0: none), and "group":{ per group */
	char *jkey[OUT_MAX_FIELDS];
	unsigned char jkey_len[OUT_MAX_FIELDS];
	unsigned char jgroup[OUT_MAX_FIELDS];
	char *jgroup_open[OUT_MAX_FIELDS + 1];
	bool header_done;
	bool fit; /* columns sized to their content: rows kept until output_fit_end() */
	size_t fit_width[OUT_MAX_FIELDS];
	struct strbuf fit_rows;
	bool closed; /* the reader went away (EPIPE) */
};

/*
 * Set up a writer over two field tables (the common fields, then the applet's; indices continue from the
 * first into the second). @select is the user's --fields list or NULL; @default_cols the applet's default
 * columns. Returns 0, or -1 after writing a one-line error naming the unknown field to @err.
 */
int output_init(struct output *o, const char *prog, enum out_mode mode, int fd, const struct out_field *common,
		size_t ncommon, const struct out_field *own, size_t nown, const char *select, const char *default_cols,
		struct strbuf *err);
void output_free(struct output *o);
const struct out_field *output_field(const struct output *o, size_t idx);

/* Columns sized to their content, like `docker ps`: rows are kept, then output_fit_end() buffers the header
 * and every row. For a snapshot; a stream keeps the fixed widths. */
void output_fit_columns(struct output *o);
void output_fit_end(struct output *o);
/* Columns: buffer the header line (once). */
void output_header(struct output *o);
/* Start a new row; every value is unset (unset values are omitted from JSON and shown as "-" in columns). */
void out_begin(struct output *o);
void out_str(struct output *o, size_t idx, const char *s);
void out_strn(struct output *o, size_t idx, const char *s, size_t len);
void out_u64(struct output *o, size_t idx, uint64_t v);
void out_s64(struct output *o, size_t idx, int64_t v);
void out_bool(struct output *o, size_t idx, bool v);
void out_strv(struct output *o, size_t idx, const struct out_strv *v);
bool out_wants(const struct output *o, size_t idx);
/* JSON: the members for fields @first..@last of the current row, as render would write them (grouped,
 * escaped, no leading comma), appended to @sb; then they can be set again in one piece with out_raw(),
 * e.g. for a container whose eight fields are the same in every event. */
void out_json_members(struct output *o, size_t first, size_t last, struct strbuf *sb);
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
