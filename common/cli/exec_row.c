/* execsnoop-k8s's rows: an exec's result, filename and argv. */
#include <stdio.h>
#include "event.h"
#include "frontend.h"
#include "rows.h"

enum {
	EXF_RESULT = GBF_COUNT,
	EXF_RET,
	EXF_ERROR,
	EXF_FILENAME,
	EXF_FILENAME_TRUNCATED,
	EXF_ARGS,
	EXF_ARGS_TRUNCATED,
	EXF_COUNT,
};

static const struct out_field fields[EXF_COUNT - GBF_COUNT] = {
	[EXF_RESULT - GBF_COUNT] = {"result", "RET", 6, OUT_F_COLONLY},
	[EXF_RET - GBF_COUNT] = {"ret", "RET", 4, 0},
	[EXF_ERROR - GBF_COUNT] = {"error", "ERROR", 8, 0},
	[EXF_FILENAME - GBF_COUNT] = {"filename", "FILENAME", 24, 0},
	[EXF_FILENAME_TRUNCATED - GBF_COUNT] = {"filenameTruncated", "FTRUNC", 6, 0},
	[EXF_ARGS - GBF_COUNT] = {"args", "ARGS", 0, 0},
	[EXF_ARGS_TRUNCATED - GBF_COUNT] = {"argsTruncated", "TRUNC", 5, 0},
};

void gb_exec_row(struct output *o, const struct gb_exec_event *e, bool quote)
{
	static char retbuf[16], errbuf[16];
	struct out_strv v = {.buf = e->args,
			     .size = e->args_size,
			     .count = e->argc,
			     .cut_mask = e->cut_mask,
			     .truncated = e->args_truncated,
			     .quote = quote};

	gb_event_begin(o, &e->proc);
	out_s64(o, EXF_RET, e->ret);
	if (e->ret < 0) {
		out_str(o, EXF_ERROR, gb_errno_name(e->ret, errbuf));
		out_str(o, EXF_RESULT, gb_errno_name(e->ret, errbuf));
	} else {
		snprintf(retbuf, sizeof(retbuf), "%d", e->ret);
		out_str(o, EXF_RESULT, retbuf);
	}
	out_strn(o, EXF_FILENAME, e->filename, e->filename_len);
	if (e->filename_truncated) /* rare: present only when true */
		out_bool(o, EXF_FILENAME_TRUNCATED, true);
	out_strv(o, EXF_ARGS, &v);
	out_bool(o, EXF_ARGS_TRUNCATED, e->args_truncated || e->cut_mask);
	out_end(o);
	gb_cli_check_closed(o);
}

const struct gb_cli_rows gb_exec_rows = {"exec", fields, EXF_COUNT - GBF_COUNT};
