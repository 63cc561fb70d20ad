#include "output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "escape.h"

#define OUT_FLUSH_AT (64 * 1024)

const struct out_field *output_field(const struct output *o, size_t idx)
{
	return idx < o->counts[0] ? &o->tables[0][idx] : &o->tables[1][idx - o->counts[0]];
}

static int find_field(const struct output *o, const char *name, size_t len)
{
	for (size_t i = 0; i < o->nfields; i++) {
		const char *key = output_field(o, i)->key;
		if (strlen(key) == len && !strncasecmp(key, name, len))
			return (int)i;
	}
	return -1;
}

/* Parse a comma list of field names into columns (in the given order) and JSON membership. */
static int select_fields(struct output *o, const char *list, bool user, struct strbuf *err)
{
	o->ncols = 0;
	memset(o->in_json, 0, sizeof(o->in_json));
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		int idx = len ? find_field(o, p, len) : -1;

		if (len && idx < 0) {
			if (!user) { /* an applet's default names a field it does not have: a bug */
				sb_addf(err, "internal error: unknown default field '%.*s'", (int)len, p);
				return -1;
			}
			sb_addf(err, "unknown field '%.*s' in --fields; known fields:", (int)len, p);
			for (size_t i = 0; i < o->nfields; i++)
				sb_addf(err, "%s%s", i ? "," : " ", output_field(o, i)->key);
			return -1;
		}
		if (idx >= 0) {
			const struct out_field *f = output_field(o, idx);
			if (!(f->flags & OUT_F_JSONONLY) && o->ncols < OUT_MAX_FIELDS)
				o->cols[o->ncols++] = idx;
			if (!(f->flags & OUT_F_COLONLY))
				o->in_json[idx] = true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static char *quoted_key(const char *name, size_t len, const char *tail)
{
	struct strbuf sb = {0};

	sb_addc(&sb, '"');
	sb_add(&sb, name, len);
	sb_addc(&sb, '"');
	sb_adds(&sb, tail);
	return (char *)sb_str(&sb);
}

/* Number the "group.key" groups and quote every key once. */
static void prepare_json(struct output *o)
{
	unsigned groups = 0;

	for (size_t i = 0; i < o->nfields; i++) {
		const char *key = output_field(o, i)->key;
		const char *dot = strchr(key, '.');
		const char *name = dot ? dot + 1 : key;
		o->jkey[i] = quoted_key(name, strlen(name), ":");
		o->jkey_len[i] = (unsigned char)strlen(o->jkey[i]);
		o->jgroup[i] = 0;
		if (!dot)
			continue;
		size_t glen = dot - key;
		for (size_t j = 0; j < i && !o->jgroup[i]; j++) /* the same group as an earlier field? */
			if (o->jgroup[j] && !strncmp(output_field(o, j)->key, key, glen + 1))
				o->jgroup[i] = o->jgroup[j];
		if (!o->jgroup[i]) {
			o->jgroup_open[++groups] = quoted_key(key, glen, ":{");
			o->jgroup[i] = (unsigned char)groups;
		}
	}
}

int output_init(struct output *o, const char *prog, enum out_mode mode, int fd, const struct out_field *common,
		size_t ncommon, const struct out_field *own, size_t nown, const char *select, const char *default_cols,
		struct strbuf *err)
{
	memset(o, 0, sizeof(*o));
	o->prog = prog;
	o->mode = mode;
	o->fd = fd;
	o->tables[0] = common;
	o->counts[0] = ncommon;
	o->tables[1] = own;
	o->counts[1] = nown;
	o->nfields = ncommon + nown;
	if (o->nfields > OUT_MAX_FIELDS) {
		sb_addf(err, "internal error: too many fields");
		return -1;
	}
	prepare_json(o);
	if (select_fields(o, select ? select : default_cols, select != NULL, err)) {
		output_free(o);
		return -1;
	}
	if (select)
		return 0;
	/* JSON carries every field unless --fields narrows it */
	for (size_t i = 0; i < o->nfields; i++)
		o->in_json[i] = !(output_field(o, i)->flags & OUT_F_COLONLY);
	return 0;
}

void output_free(struct output *o)
{
	for (size_t i = 0; i < OUT_MAX_FIELDS; i++) {
		free(o->jkey[i]);
		free(o->jgroup_open[i + 1]);
		o->jkey[i] = o->jgroup_open[i + 1] = NULL;
	}
	sb_free(&o->buf);
	sb_free(&o->fit_rows);
}

void out_begin(struct output *o)
{
	for (size_t i = 0; i < o->nfields; i++)
		o->row[i].kind = OUT_NONE;
}

bool out_wants(const struct output *o, size_t idx)
{
	if (o->in_json[idx] && o->mode == OUT_JSON)
		return true;
	if (o->mode == OUT_COLUMNS)
		for (size_t c = 0; c < o->ncols; c++)
			if (o->cols[c] == (int)idx)
				return true;
	return false;
}

void out_strn(struct output *o, size_t idx, const char *s, size_t len)
{
	o->row[idx].kind = OUT_STR;
	o->row[idx].str.s = s;
	o->row[idx].str.len = len;
}

void out_str(struct output *o, size_t idx, const char *s)
{
	out_strn(o, idx, s, strlen(s));
}

void out_u64(struct output *o, size_t idx, uint64_t v)
{
	o->row[idx].kind = OUT_U64;
	o->row[idx].u = v;
}

void out_s64(struct output *o, size_t idx, int64_t v)
{
	o->row[idx].kind = OUT_S64;
	o->row[idx].i = v;
}

void out_bool(struct output *o, size_t idx, bool v)
{
	o->row[idx].kind = OUT_BOOL;
	o->row[idx].b = v;
}

void out_strv(struct output *o, size_t idx, const struct out_strv *v)
{
	o->row[idx].kind = OUT_STRV;
	o->row[idx].v = *v;
}

/* Calls fn for each element of a string list; a final element without its NUL is included. */
#define STRV_FOREACH(v, i, s, n)                                                                                       \
	for (size_t _off = 0, i = 0, n = 0;                                                                            \
	     i < (v)->count && _off < (v)->size && ((s) = (v)->buf + _off, n = strnlen(s, (v)->size - _off), 1);       \
	     _off += n + 1, i++)

/* Numbers and booleans read the same in columns and JSON. */
static void scalar_value(struct strbuf *b, const struct out_value *v)
{
	if (v->kind == OUT_U64)
		sb_add_u64(b, v->u);
	else if (v->kind == OUT_S64)
		sb_add_i64(b, v->i);
	else
		sb_adds(b, v->b ? "true" : "false");
}

static void pad(struct strbuf *b, size_t cells, int width)
{
	for (size_t c = cells; c < (size_t)width; c++)
		sb_addc(b, ' ');
}

/* Render one value for a column; returns the cells it takes. */
static size_t column_value(struct strbuf *b, const struct out_value *v)
{
	size_t start = b->len;
	size_t cells = 0;
	const char *s;

	switch (v->kind) {
	case OUT_NONE:
	case OUT_RAW: /* JSON only */ sb_addc(b, '-'); return 1;
	case OUT_STR:
		if (!v->str.len) { /* an empty value would shift the columns after it for the eye */
			sb_addc(b, '-');
			return 1;
		}
		return esc_terminal(b, v->str.s, v->str.len);
	case OUT_U64:
	case OUT_S64:
	case OUT_BOOL: scalar_value(b, v); break;
	case OUT_STRV:
		STRV_FOREACH (&v->v, i, s, n) {
			if (i)
				cells++, sb_addc(b, ' ');
			if (v->v.quote) {
				/* quotes inside an argument are escaped so the quoting stays unambiguous */
				cells += 2;
				sb_addc(b, '"');
				for (size_t k = 0; k < n;) {
					/* bounded: the last element may end at the buffer's end without a NUL */
					const char *q = memchr(s + k, '"', n - k);
					size_t run = q ? (size_t)(q - (s + k)) : n - k;
					cells += esc_terminal(b, s + k, run);
					k += run;
					if (k < n)
						cells += 2, sb_add(b, "\\\"", 2), k++;
				}
				sb_addc(b, '"');
			} else {
				cells += esc_terminal(b, s, n);
			}
			if (i < 64 && (v->v.cut_mask >> i) & 1)
				cells += 3, sb_add(b, "...", 3);
		}
		if (v->v.truncated)
			cells += 4, sb_add(b, " ...", 4);
		return cells;
	}
	return b->len - start;
}

static void json_value(struct strbuf *b, const struct out_value *v)
{
	const char *s;

	switch (v->kind) {
	case OUT_NONE: sb_adds(b, "null"); break;
	case OUT_RAW: sb_add(b, v->str.s, v->str.len); break; /* render_members writes it whole */
	case OUT_STR:
		sb_addc(b, '"');
		esc_json(b, v->str.s, v->str.len);
		sb_addc(b, '"');
		break;
	case OUT_U64:
	case OUT_S64:
	case OUT_BOOL: scalar_value(b, v); break;
	case OUT_STRV:
		sb_addc(b, '[');
		STRV_FOREACH (&v->v, i, s, n) {
			if (i)
				sb_addc(b, ',');
			sb_addc(b, '"');
			esc_json(b, s, n);
			sb_addc(b, '"');
		}
		sb_addc(b, ']');
		break;
	}
}

static int col_width(const struct output *o, size_t c)
{
	return o->fit ? (int)o->fit_width[c] : output_field(o, o->cols[c])->width;
}

/* The header line, with the columns' widths (fixed, or fitted to the rows). */
static void write_header(struct output *o)
{
	struct strbuf *b = &o->buf;

	for (size_t c = 0; c < o->ncols; c++) {
		const struct out_field *f = output_field(o, o->cols[c]);
		sb_adds(b, f->header);
		if (c + 1 < o->ncols) {
			pad(b, strlen(f->header), col_width(o, c));
			sb_addc(b, ' ');
		}
	}
	sb_addc(b, '\n');
	o->header_done = true;
}

void output_header(struct output *o)
{
	if (o->mode == OUT_COLUMNS && !o->header_done && !o->fit)
		write_header(o);
}

void output_fit_columns(struct output *o)
{
	if (o->mode != OUT_COLUMNS)
		return;
	o->fit = true;
	for (size_t c = 0; c < o->ncols; c++)
		o->fit_width[c] = strlen(output_field(o, o->cols[c])->header);
}

/* Kept rows are cells of [size_t display cells][size_t length][bytes]. */
static void fit_keep_row(struct output *o)
{
	struct strbuf cell = {0};

	for (size_t c = 0; c < o->ncols; c++) {
		sb_reset(&cell);
		size_t cells = column_value(&cell, &o->row[o->cols[c]]);
		if (cells > o->fit_width[c])
			o->fit_width[c] = cells;
		sb_add(&o->fit_rows, &cells, sizeof(cells));
		sb_add(&o->fit_rows, &cell.len, sizeof(cell.len));
		sb_add(&o->fit_rows, cell.buf ? cell.buf : "", cell.len);
	}
	sb_free(&cell);
}

void output_fit_end(struct output *o)
{
	if (!o->fit)
		return;
	struct strbuf *b = &o->buf;
	write_header(o);
	for (size_t off = 0; off < o->fit_rows.len;) {
		for (size_t c = 0; c < o->ncols; c++) {
			size_t cells, len;
			memcpy(&cells, o->fit_rows.buf + off, sizeof(cells));
			memcpy(&len, o->fit_rows.buf + off + sizeof(cells), sizeof(len));
			off += sizeof(cells) + sizeof(len);
			sb_add(b, o->fit_rows.buf + off, len);
			off += len;
			if (c + 1 < o->ncols) {
				pad(b, cells, col_width(o, c));
				sb_addc(b, ' ');
			}
		}
		sb_addc(b, '\n');
	}
	sb_free(&o->fit_rows);
	o->fit = false;
}

static void render_columns(struct output *o)
{
	struct strbuf *b = &o->buf;

	if (o->fit) {
		fit_keep_row(o);
		return;
	}
	output_header(o);
	for (size_t c = 0; c < o->ncols; c++) {
		size_t cells = column_value(b, &o->row[o->cols[c]]);
		if (c + 1 < o->ncols) {
			pad(b, cells, col_width(o, c));
			sb_addc(b, ' ');
		}
	}
	sb_addc(b, '\n');
}

static bool json_emits(const struct output *o, size_t i)
{
	return o->in_json[i] && o->row[i].kind != OUT_NONE;
}

/* A group's members may sit in both tables (e.g. k8s.podUID in an applet's): all go in one object. */
/* The members of fields [first, last] (all: 0, nfields - 1). A group's members may sit in both tables (e.g.
 * k8s.podUID in an applet's): all go in one object. Returns whether anything was written. */
static bool render_members(struct output *o, struct strbuf *b, size_t first, size_t last, bool first_member)
{
	bool done[OUT_MAX_FIELDS] = {0};

	for (size_t i = first; i <= last && i < o->nfields; i++) {
		if (done[i] || !json_emits(o, i))
			continue;
		if (!first_member)
			sb_addc(b, ',');
		first_member = false;
		if (o->row[i].kind == OUT_RAW) {
			sb_add(b, o->row[i].str.s, o->row[i].str.len);
			continue;
		}
		unsigned g = o->jgroup[i];
		if (!g) {
			sb_add(b, o->jkey[i], o->jkey_len[i]);
			json_value(b, &o->row[i]);
			continue;
		}
		sb_adds(b, o->jgroup_open[g]);
		for (size_t j = i; j <= last && j < o->nfields; j++) {
			if (o->jgroup[j] != g || !json_emits(o, j) || o->row[j].kind == OUT_RAW)
				continue;
			if (j != i)
				sb_addc(b, ',');
			sb_add(b, o->jkey[j], o->jkey_len[j]);
			json_value(b, &o->row[j]);
			done[j] = true;
		}
		sb_addc(b, '}');
	}
	return !first_member;
}

static void render_json(struct output *o)
{
	struct strbuf *b = &o->buf;

	sb_addc(b, '{');
	render_members(o, b, 0, o->nfields - 1, true);
	sb_add(b, "}\n", 2);
}

void out_json_members(struct output *o, size_t first, size_t last, struct strbuf *sb)
{
	render_members(o, sb, first, last, true);
}

void out_raw(struct output *o, size_t idx, const char *s, size_t len)
{
	o->row[idx].kind = OUT_RAW;
	o->row[idx].str.s = s;
	o->row[idx].str.len = len;
}

void out_end(struct output *o)
{
	if (o->closed)
		return;
	if (o->mode == OUT_JSON)
		render_json(o);
	else
		render_columns(o);
	if (o->buf.len >= OUT_FLUSH_AT)
		output_flush(o);
}

void out_record(struct output *o, const char *type, const char *key, uint64_t value, uint64_t timestamp)
{
	if (o->mode != OUT_JSON || o->closed)
		return;
	sb_addf(&o->buf, "{\"type\":\"%s\",\"timestamp\":%" PRIu64 ",\"%s\":%" PRIu64 "}\n", type, timestamp, key,
		value);
}

void out_record_str(struct output *o, const char *type, const char *key, const char *value, uint64_t timestamp)
{
	if (o->mode != OUT_JSON || o->closed)
		return;
	sb_addf(&o->buf, "{\"type\":\"%s\",\"timestamp\":%" PRIu64 ",\"%s\":\"", type, timestamp, key);
	esc_json(&o->buf, value, strlen(value));
	sb_adds(&o->buf, "\"}\n");
}

void out_text(struct output *o, const char *s, size_t len)
{
	if (!o->closed)
		sb_add(&o->buf, s, len);
}

int output_flush(struct output *o)
{
	size_t off = 0;

	while (!o->closed && off < o->buf.len) {
		ssize_t n = write(o->fd, o->buf.buf + off, o->buf.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EPIPE)
				dprintf(STDERR_FILENO, "%s: cannot write output: %s\n", o->prog ? o->prog : "gadgetbox",
					strerror(errno));
			o->closed = true;
			break;
		}
		off += n;
	}
	sb_reset(&o->buf);
	return o->closed ? -1 : 0;
}
