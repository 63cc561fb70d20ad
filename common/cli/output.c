#include "output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "escape.h"
#include "filter.h"
#include "jsonw.h"
#include "reformat.h"

#define OUT_FLUSH_AT (64 * 1024)

/* A kept row of a snapshot: its rendering (cells or a JSON line) in keep_buf, and its sort keys. */
struct kept_row {
	size_t off, len;
	size_t order; /* arrival: ties keep it */
	struct filter_value *keys;
};

#define OUT_MAX_SORT 8

struct output {
	enum out_mode mode;
	bool json; /* any JSON style */
	int fd;
	const char *prog; /* for messages */
	const char *tag;  /* output_set_tag() */
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
	bool closed; /* the reader went away (EPIPE) */
	/* --filter, and the fields it reads (always filled) */
	struct filter *filter;
	bool filtered[OUT_MAX_FIELDS];
	struct strbuf scratch; /* a list's text for the filter */
	struct strbuf restyle; /* a JSON line in another style */
	/* a snapshot's rows, kept: sized columns (fit), --sort and --max-entries */
	bool keeping, fit;
	size_t fit_width[OUT_MAX_FIELDS];
	/* a stream's widths: the fields' own, widened by output_min_width() and by longer values as they come */
	size_t width[OUT_MAX_FIELDS];
	size_t term_cols; /* a terminal's width (0: not a terminal): rows are cut to it */
	struct strbuf keep_buf;
	struct kept_row *kept;
	size_t nkept, kept_cap;
	int sort_field[OUT_MAX_SORT];
	bool sort_desc[OUT_MAX_SORT];
	size_t nsort, max_entries;
};

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

/* Whether field @f is in this format's output at all. */
static bool in_format(const struct output *o, const struct out_field *f)
{
	return !(f->flags & (o->json ? OUT_F_COLONLY : OUT_F_JSONONLY));
}

static void format_fields(const struct output *o, struct strbuf *err)
{
	bool first = true;

	for (size_t i = 0; i < o->nfields; i++)
		if (in_format(o, output_field(o, i))) {
			sb_addf(err, "%s%s", first ? " " : ",", output_field(o, i)->key);
			first = false;
		}
}

/* Parse a comma list of field names into columns (in the given order) and JSON membership. A name the user
 * gives that this format does not have is an error, not a field silently left out. */
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
			format_fields(o, err);
			return -1;
		}
		if (idx >= 0) {
			const struct out_field *f = output_field(o, idx);
			if (user && !in_format(o, f)) {
				sb_addf(err, "field '%s' is %s: not in %s output; its fields:", f->key,
					o->json ? "a column only" : "in JSON only", o->json ? "JSON" : "columns");
				format_fields(o, err);
				return -1;
			}
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

/* The kept rows' sort keys (their text copied), e.g. of a snapshot a stop interrupted. */
static void free_kept(struct output *o)
{
	for (size_t i = 0; i < o->nkept; i++) {
		for (size_t k = 0; o->kept[i].keys && k < o->nsort; k++)
			if (o->kept[i].keys[k].kind == FV_STR)
				free((char *)o->kept[i].keys[k].s);
		free(o->kept[i].keys);
	}
	o->nkept = 0;
}

void output_set_tag(struct output *o, const char *tag)
{
	o->tag = tag;
}

const char *output_tag(const struct output *o)
{
	return o->tag;
}

struct output *output_new(const char *prog, enum out_mode mode, int fd, const struct out_field *common, size_t ncommon,
			  const struct out_field *own, size_t nown, const char *select, const char *default_cols,
			  struct strbuf *err)
{
	struct output *o = calloc(1, sizeof(*o));

	if (!o)
		abort(); /* the command line's policy: nothing sensible to do without memory */
	o->prog = prog;
	o->mode = mode;
	o->json = mode != OUT_COLUMNS;
	o->fd = fd;
	o->tables[0] = common;
	o->counts[0] = ncommon;
	o->tables[1] = own;
	o->counts[1] = nown;
	o->nfields = ncommon + nown;
	if (o->nfields > OUT_MAX_FIELDS) {
		sb_addf(err, "internal error: too many fields");
		output_free(o);
		return NULL;
	}
	prepare_json(o);
	if (select_fields(o, select ? select : default_cols, select != NULL, err)) {
		output_free(o);
		return NULL;
	}
	for (size_t c = 0; c < o->ncols; c++)
		o->width[c] = (size_t)output_field(o, o->cols[c])->width;
	if (!o->json && isatty(fd)) {
		struct winsize ws;
		const char *cols = getenv("COLUMNS"); /* as ps and ls: $COLUMNS first */
		char *end;
		unsigned long env_cols = cols && *cols >= '1' && *cols <= '9' ? strtoul(cols, &end, 10) : 0;
		if (env_cols && !*end && env_cols < 100000)
			o->term_cols = env_cols;
		else if (!ioctl(fd, TIOCGWINSZ, &ws) && ws.ws_col)
			o->term_cols = ws.ws_col;
	}
	if (select)
		return o;
	/* JSON carries every field unless --fields narrows it */
	for (size_t i = 0; i < o->nfields; i++)
		o->in_json[i] = !(output_field(o, i)->flags & OUT_F_COLONLY);
	return o;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < OUT_MAX_FIELDS; i++) {
		free(o->jkey[i]);
		free(o->jgroup_open[i + 1]);
	}
	sb_free(&o->buf);
	sb_free(&o->scratch);
	sb_free(&o->restyle);
	filter_free(o->filter);
	free_kept(o);
	free(o->kept);
	sb_free(&o->keep_buf);
	free(o);
}

bool output_json(const struct output *o)
{
	return o->json;
}

bool output_in_json(const struct output *o, size_t idx)
{
	return o->in_json[idx];
}

bool output_closed(const struct output *o)
{
	return o->closed;
}

/* A field by its JSON key (k8s.podName) or, failing that, its column header (POD); case does not matter. */
static int lookup_field(void *arg, const char *name, size_t len)
{
	const struct output *o = arg;
	int idx = find_field(o, name, len);

	for (size_t i = 0; idx < 0 && i < o->nfields; i++) {
		const char *h = output_field(o, i)->header;
		if (strlen(h) == len && !strncasecmp(h, name, len))
			idx = (int)i;
	}
	return idx;
}

static void known_fields(const struct output *o, struct strbuf *err)
{
	sb_adds(err, "; known fields:");
	for (size_t i = 0; i < o->nfields; i++)
		sb_addf(err, "%s%s", i ? "," : " ", output_field(o, i)->key);
}

int output_set_filter(struct output *o, const char *expr, struct strbuf *err)
{
	size_t start = err->len;

	o->filter = filter_parse(expr, lookup_field, o, err);
	if (!o->filter) {
		if (errno == ENOMEM)
			abort();
		/* err is not NUL-terminated (sb_str does it), and EXPR, quoted in every message, may say "unknown
		 * field" */
		if (!strncmp(sb_str(err) + start, "--filter: unknown field ", 24))
			known_fields(o, err);
		return -1;
	}
	for (size_t i = 0; i < filter_nterms(o->filter); i++) {
		int field;
		if (filter_term(o->filter, i, &field, NULL, NULL) && field >= 0)
			o->filtered[field] = true;
	}
	return 0;
}

const struct filter *output_filter(const struct output *o)
{
	return o->filter;
}

int output_set_sort(struct output *o, const char *spec, size_t max_entries, struct strbuf *err)
{
	o->max_entries = max_entries;
	for (const char *p = spec; p && *p;) {
		size_t len = strcspn(p, ",");
		bool desc = len && *p == '-';
		const char *name = p + (desc || (len && *p == '+'));
		size_t nlen = len - (name - p);
		int idx = nlen ? lookup_field(o, name, nlen) : -1;
		if (idx < 0 || o->nsort == OUT_MAX_SORT) {
			if (o->nsort == OUT_MAX_SORT)
				sb_addf(err, "--sort: at most %d fields", OUT_MAX_SORT);
			else if (!nlen)
				sb_addf(err, "--sort: empty field name at position %zu in '%s'", (size_t)(p - spec) + 1,
					spec);
			else {
				sb_addf(err, "--sort: unknown field '%.*s' at position %zu in '%s'", (int)nlen, name,
					(size_t)(name - spec) + 1, spec);
				known_fields(o, err);
			}
			return -1;
		}
		o->sort_field[o->nsort] = idx;
		o->sort_desc[o->nsort++] = desc;
		o->filtered[idx] = true; /* filled in every row */
		p += len + (p[len] == ',');
	}
	return 0;
}

void out_begin(struct output *o)
{
	for (size_t i = 0; i < o->nfields; i++)
		o->row[i].kind = OUT_NONE;
}

bool out_wants(const struct output *o, size_t idx)
{
	if ((o->in_json[idx] && o->json) || o->filtered[idx])
		return true;
	if (!o->json)
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
	return (int)(o->fit ? o->fit_width[c] : o->width[c]);
}

/* A value longer than its column widens it for the rows after it, up to this; a longer one (a hostile name)
 * only pushes its own row. */
#define WIDEN_MAX 64

void output_min_width(struct output *o, size_t idx, size_t cells)
{
	cells = cells > WIDEN_MAX ? WIDEN_MAX : cells;
	for (size_t c = 0; c < o->ncols; c++)
		if ((size_t)o->cols[c] == idx && o->width[c] < cells)
			o->width[c] = cells;
}

void output_set_term_width(struct output *o, size_t cols)
{
	o->term_cols = cols;
}

/* On a terminal, the last column (free text: args, a path) is cut where the row reaches the terminal's edge,
 * as ps does; never a container or number column, and never when writing to a pipe or file. @line_cells is the
 * row's width before the last value, which starts at byte @from of @b. */
static void cut_to_terminal(const struct output *o, struct strbuf *b, size_t from, size_t line_cells,
			    size_t value_cells)
{
	const struct out_value *v = &o->row[o->cols[o->ncols - 1]];

	if (!o->term_cols || line_cells + value_cells <= o->term_cols || (v->kind != OUT_STR && v->kind != OUT_STRV) ||
	    (output_field(o, o->cols[o->ncols - 1])->flags & OUT_F_NOCUT))
		return;
	size_t keep = line_cells < o->term_cols ? o->term_cols - line_cells : 0, at = from;
	/* a cell per character: escapes are ASCII, anything else valid UTF-8 (count its lead bytes) */
	for (size_t cells = 0; at < b->len; at++)
		if (((unsigned char)b->buf[at] & 0xc0) != 0x80 && cells++ == keep)
			break;
	b->len = at;
	b->buf[at] = '\0';
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
	/* no columns (an applet that writes text of its own, as seccomp-advise): no empty header line */
	if (!o->json && !o->header_done && !o->fit && o->ncols)
		write_header(o);
}

void output_skip_header(struct output *o)
{
	o->header_done = true;
}

/* A row's cells, kept for a snapshot: [size_t display cells][size_t length][bytes] per column. */
static void keep_cells(struct output *o, struct strbuf *b)
{
	struct strbuf cell = {0};

	for (size_t c = 0; c < o->ncols; c++) {
		sb_reset(&cell);
		size_t cells = column_value(&cell, &o->row[o->cols[c]]);
		sb_add(b, &cells, sizeof(cells));
		sb_add(b, &cell.len, sizeof(cell.len));
		sb_add(b, cell.buf ? cell.buf : "", cell.len);
	}
	sb_free(&cell);
}

/* Walk the cells of a kept row: calls @fn for each column; returns the end. */
static size_t kept_cells(struct output *o, size_t off,
			 void (*fn)(struct output *o, size_t c, size_t cells, const char *s, size_t len))
{
	for (size_t c = 0; c < o->ncols; c++) {
		size_t cells, len;
		memcpy(&cells, o->keep_buf.buf + off, sizeof(cells));
		memcpy(&len, o->keep_buf.buf + off + sizeof(cells), sizeof(len));
		off += sizeof(cells) + sizeof(len);
		fn(o, c, cells, o->keep_buf.buf + off, len);
		off += len;
	}
	return off;
}

static void widen(struct output *o, size_t c, size_t cells, const char *s, size_t len)
{
	(void)s, (void)len;
	if (cells > o->fit_width[c])
		o->fit_width[c] = cells;
}

static size_t line_cells; /* the row being written: its width so far */

static void write_cell(struct output *o, size_t c, size_t cells, const char *s, size_t len)
{
	size_t from = o->buf.len;

	if (!c)
		line_cells = 0;
	sb_add(&o->buf, s, len);
	if (c + 1 < o->ncols) {
		pad(&o->buf, cells, col_width(o, c));
		sb_addc(&o->buf, ' ');
		line_cells += (cells > (size_t)col_width(o, c) ? cells : (size_t)col_width(o, c)) + 1;
	} else {
		cut_to_terminal(o, &o->buf, from, line_cells, cells);
		sb_addc(&o->buf, '\n');
	}
}

void output_snapshot_begin(struct output *o)
{
	o->keeping = true;
	o->fit = !o->json;
}

/* Sort keys: numbers before text, a missing value last, whatever the direction. */
static int key_cmp(const struct filter_value *a, const struct filter_value *b)
{
	bool an = a->kind == FV_U64 || a->kind == FV_S64 || a->kind == FV_BOOL;
	bool bn = b->kind == FV_U64 || b->kind == FV_S64 || b->kind == FV_BOOL;

	if (an && bn) {
		/* exact across signed and unsigned */
		bool aneg = a->kind == FV_S64 && a->i < 0, bneg = b->kind == FV_S64 && b->i < 0;
		if (aneg != bneg)
			return aneg ? -1 : 1;
		if (aneg)
			return (a->i > b->i) - (a->i < b->i);
		uint64_t x = a->kind == FV_BOOL ? a->b : a->kind == FV_U64 ? a->u : (uint64_t)a->i;
		uint64_t y = b->kind == FV_BOOL ? b->b : b->kind == FV_U64 ? b->u : (uint64_t)b->i;
		return (x > y) - (x < y);
	}
	if (an != bn)
		return an ? -1 : 1;
	int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static const struct output *sorting;

static int row_cmp(const void *pa, const void *pb)
{
	const struct kept_row *a = pa, *b = pb;

	for (size_t k = 0; k < sorting->nsort; k++) {
		bool ax = a->keys[k].kind == FV_ABSENT, bx = b->keys[k].kind == FV_ABSENT;
		if (ax || bx) {
			if (ax != bx)
				return ax ? 1 : -1;
			continue;
		}
		int c = key_cmp(&a->keys[k], &b->keys[k]);
		if (c)
			return sorting->sort_desc[k] ? -c : c;
	}
	return (a->order > b->order) - (a->order < b->order);
}

void output_snapshot_end(struct output *o)
{
	if (!o->keeping)
		return;
	if (o->nsort) {
		sorting = o;
		qsort(o->kept, o->nkept, sizeof(*o->kept), row_cmp);
		sorting = NULL;
	}
	size_t n = o->max_entries && o->max_entries < o->nkept ? o->max_entries : o->nkept;
	if (o->fit) {
		for (size_t c = 0; c < o->ncols; c++)
			o->fit_width[c] = strlen(output_field(o, o->cols[c])->header);
		for (size_t i = 0; i < n; i++)
			kept_cells(o, o->kept[i].off, widen);
		write_header(o);
		for (size_t i = 0; i < n; i++)
			kept_cells(o, o->kept[i].off, write_cell);
		/* rows that follow (containers --watch) line up under the snapshot's */
		for (size_t c = 0; c < o->ncols; c++)
			o->width[c] = o->fit_width[c];
	} else {
		for (size_t i = 0; i < n; i++)
			sb_add(&o->buf, o->keep_buf.buf + o->kept[i].off, o->kept[i].len);
	}
	free_kept(o);
	sb_free(&o->keep_buf);
	o->keeping = o->fit = false;
}

static void render_columns(struct output *o)
{
	struct strbuf *b = &o->buf;

	size_t used = 0;

	output_header(o);
	for (size_t c = 0; c < o->ncols; c++) {
		size_t from = b->len, cells = column_value(b, &o->row[o->cols[c]]);
		if (c + 1 < o->ncols) {
			pad(b, cells, col_width(o, c));
			sb_addc(b, ' ');
			used += (cells > o->width[c] ? cells : o->width[c]) + 1;
			if (cells > o->width[c] && cells <= WIDEN_MAX) /* the rows after this one line up with it */
				o->width[c] = cells;
		} else {
			cut_to_terminal(o, b, from, used, cells);
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

/* The JSON line written to @b from @start, in the style -o asked for (indented, YAML). */
static void restyle(struct output *o, struct strbuf *b, size_t start)
{
	if (o->mode != OUT_JSON_PRETTY && o->mode != OUT_YAML)
		return;
	sb_reset(&o->restyle);
	json_reformat(&o->restyle, b->buf + start, b->len - start,
		      o->mode == OUT_YAML ? REFORMAT_YAML : REFORMAT_PRETTY);
	b->len = start;
	sb_add(b, o->restyle.buf, o->restyle.len);
}

static void render_json(struct output *o, struct strbuf *b)
{
	size_t start = b->len;

	sb_addc(b, '{');
	render_members(o, b, 0, o->nfields - 1, true);
	sb_add(b, "}\n", 2);
	restyle(o, b, start);
}

/* The filter's view of a field of the current row. */
static void row_value(void *arg, int field, struct filter_value *v)
{
	struct output *o = arg;
	const struct out_value *x = &o->row[field];
	const char *s;

	switch (x->kind) {
	case OUT_NONE: v->kind = FV_ABSENT; break;
	case OUT_STR:
	case OUT_RAW: *v = (struct filter_value){.kind = FV_STR, .s = x->str.s, .len = x->str.len}; break;
	case OUT_U64: *v = (struct filter_value){.kind = FV_U64, .u = x->u}; break;
	case OUT_S64: *v = (struct filter_value){.kind = FV_S64, .i = x->i}; break;
	case OUT_BOOL: *v = (struct filter_value){.kind = FV_BOOL, .b = x->b}; break;
	case OUT_STRV: /* the elements, space-separated, as the column shows them */
		sb_reset(&o->scratch);
		STRV_FOREACH (&x->v, i, s, n) {
			if (i)
				sb_addc(&o->scratch, ' ');
			sb_add(&o->scratch, s, n);
		}
		*v = (struct filter_value){
			.kind = FV_STR, .s = o->scratch.buf ? o->scratch.buf : "", .len = o->scratch.len};
		break;
	}
}

/* Keep the current row of a snapshot: its rendering and its sort keys (copied: the row points into the
 * caller's buffers). */
static void keep_row(struct output *o)
{
	if (o->nkept == o->kept_cap) {
		o->kept_cap = o->kept_cap ? 2 * o->kept_cap : 64;
		o->kept = realloc(o->kept, o->kept_cap * sizeof(*o->kept));
		if (!o->kept)
			abort();
	}
	struct kept_row *r = &o->kept[o->nkept];
	*r = (struct kept_row){.off = o->keep_buf.len, .order = o->nkept};
	if (o->fit)
		keep_cells(o, &o->keep_buf);
	else
		render_json(o, &o->keep_buf);
	r->len = o->keep_buf.len - r->off;
	if (o->nsort && !(r->keys = calloc(o->nsort, sizeof(*r->keys))))
		abort();
	for (size_t k = 0; k < o->nsort; k++) {
		row_value(o, o->sort_field[k], &r->keys[k]);
		if (r->keys[k].kind == FV_STR) {
			char *copy = malloc(r->keys[k].len + 1);
			if (!copy)
				abort();
			memcpy(copy, r->keys[k].s, r->keys[k].len);
			r->keys[k].s = copy;
		}
	}
	o->nkept++;
}

void out_json_members_of(struct output *o, size_t first, size_t last, void (*fill)(struct output *o, const void *arg),
			 const void *arg, struct strbuf *sb)
{
	struct out_value saved[OUT_MAX_FIELDS];
	size_t n = last - first + 1;

	memcpy(saved, &o->row[first], n * sizeof(*saved));
	for (size_t i = first; i <= last; i++)
		o->row[i].kind = OUT_NONE;
	fill(o, arg);
	render_members(o, sb, first, last, true);
	memcpy(&o->row[first], saved, n * sizeof(*saved));
}

void out_raw(struct output *o, size_t idx, const char *s, size_t len)
{
	o->row[idx].kind = OUT_RAW;
	o->row[idx].str.s = s;
	o->row[idx].str.len = len;
}

void out_end(struct output *o)
{
	if (o->closed || o->mode == OUT_NO_ROWS)
		return;
	if (o->filter && !filter_match(o->filter, row_value, o))
		return;
	if (o->keeping)
		keep_row(o);
	else if (o->json)
		render_json(o, &o->buf);
	else
		render_columns(o);
	if (o->buf.len >= OUT_FLUSH_AT)
		output_flush(o);
}

/* {"type":TYPE,"timestamp":N, then the caller's member: the writer is left inside the object. */
static void record_begin(struct output *o, struct jsonw *w, const char *type, uint64_t timestamp)
{
	jw_init(w, &o->buf);
	jw_obj_begin(w);
	jw_member_str(w, "type", type);
	jw_member_u64(w, "timestamp", timestamp);
}

static void record_end(struct output *o, struct jsonw *w, size_t start)
{
	jw_obj_end(w);
	sb_addc(&o->buf, '\n');
	restyle(o, &o->buf, start);
}

void out_record(struct output *o, const char *type, const char *key, uint64_t value, uint64_t timestamp)
{
	size_t start = o->buf.len;
	struct jsonw w;

	if (!o->json || o->closed || o->mode == OUT_NO_ROWS)
		return;
	record_begin(o, &w, type, timestamp);
	jw_member_u64(&w, key, value);
	record_end(o, &w, start);
}

void out_record_str(struct output *o, const char *type, const char *key, const char *value, uint64_t timestamp)
{
	size_t start = o->buf.len;
	struct jsonw w;

	if (!o->json || o->closed || o->mode == OUT_NO_ROWS)
		return;
	record_begin(o, &w, type, timestamp);
	jw_member_str(&w, key, value);
	record_end(o, &w, start);
}

void out_text(struct output *o, const char *s, size_t len)
{
	if (o->closed || o->mode == OUT_NO_ROWS)
		return;
	if (!o->json || o->mode == OUT_JSON) {
		sb_add(&o->buf, s, len);
		return;
	}
	/* JSON lines of the caller's (a summary) in the style asked for, one by one */
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(s + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (s + off)) + 1 : len - off;
		size_t start = o->buf.len;
		sb_add(&o->buf, s + off, n);
		restyle(o, &o->buf, start);
		off += n;
	}
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
