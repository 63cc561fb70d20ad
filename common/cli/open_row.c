/* opensnoop-k8s's rows: an open's fd or errno, decoded flags and mode, path. */
#include <stdio.h>
#include "event.h"
#include "frontend.h"
#include "openflags.h"
#include "rows.h"

enum {
	OPF_FD = GBF_COUNT,
	OPF_RESULT,
	OPF_RET,
	OPF_ERROR,
	OPF_FLAGS,
	OPF_FLAGS_RAW,
	OPF_MODE,
	OPF_MODE_RAW,
	OPF_SYSCALL,
	OPF_DIRFD,
	OPF_RESOLVE,
	OPF_PATH,
	OPF_FULL_PATH,
	OPF_PATH_TRUNCATED,
	OPF_FULL_PATH_TRUNCATED,
	OPF_FULL_PATH_OUTSIDE_ROOT,
	OPF_COUNT,
};

#define F(i) [(i)-GBF_COUNT]
static const struct out_field fields[OPF_COUNT - GBF_COUNT] = {
	F(OPF_FD) = {"fd", "FD", 4, 0},
	F(OPF_RESULT) = {"result", "ERR", 6, OUT_F_COLONLY},
	F(OPF_RET) = {"ret", "RET", 4, 0},
	F(OPF_ERROR) = {"error", "ERROR", 8, 0},
	F(OPF_FLAGS) = {"flags", "FLAGS", 24, 0},
	F(OPF_FLAGS_RAW) = {"flagsRaw", "FLAGSRAW", 8, 0},
	F(OPF_MODE) = {"mode", "MODE", 5, 0},
	F(OPF_MODE_RAW) = {"modeRaw", "MODERAW", 7, 0},
	F(OPF_SYSCALL) = {"syscall", "SYSCALL", 7, 0},
	F(OPF_DIRFD) = {"dirfd", "DIRFD", 5, 0},
	F(OPF_RESOLVE) = {"resolve", "RESOLVE", 16, 0},
	F(OPF_PATH) = {"path", "PATH", 0, 0},
	F(OPF_FULL_PATH) = {"fullPath", "FULLPATH", 0, 0},
	F(OPF_PATH_TRUNCATED) = {"pathTruncated", "TRUNC", 5, 0},
	F(OPF_FULL_PATH_TRUNCATED) = {"fullPathTruncated", "FTRUNC", 6, 0},
	F(OPF_FULL_PATH_OUTSIDE_ROOT) = {"fullPathOutsideRoot", "OUTSIDE", 7, 0},
};

/* Per-event text; the row points into these until out_end(). The decoded flags are kept for the next event. */
static struct strbuf flags_sb, resolve_sb;
static uint64_t last_flags, last_resolve;
static bool flags_known, resolve_known;
static char mode_buf[16], result_buf[16];

void gb_open_row(struct output *o, const struct gb_open_event *e)
{
	gb_event_begin(o, &e->proc);
	out_s64(o, OPF_RET, e->ret);
	if (e->ret >= 0) {
		out_s64(o, OPF_FD, e->ret);
		out_str(o, OPF_RESULT, "0");
	} else {
		const char *name = gb_errno_name(e->ret, result_buf);
		out_str(o, OPF_ERROR, name);
		out_str(o, OPF_RESULT, name);
	}
	/* decoded flags: the same few values again and again, so the last one's text is kept */
	if (!flags_known || e->flags != last_flags) {
		sb_reset(&flags_sb);
		gb_open_flags_str(&flags_sb, e->flags);
		last_flags = e->flags;
		flags_known = true;
	}
	out_strn(o, OPF_FLAGS, flags_sb.buf, flags_sb.len);
	out_u64(o, OPF_FLAGS_RAW, e->flags);
	if (gb_open_flags_use_mode(e->flags)) {
		snprintf(mode_buf, sizeof(mode_buf), "%04llo", (unsigned long long)e->mode);
		out_str(o, OPF_MODE, mode_buf);
		out_u64(o, OPF_MODE_RAW, e->mode);
	}
	out_str(o, OPF_SYSCALL, gb_open_syscall_name(e->syscall));
	if (e->syscall == GB_SYS_OPENAT || e->syscall == GB_SYS_OPENAT2)
		out_s64(o, OPF_DIRFD, e->dirfd);
	if (e->syscall == GB_SYS_OPENAT2) {
		if (!resolve_known || e->resolve != last_resolve) {
			sb_reset(&resolve_sb);
			gb_resolve_flags_str(&resolve_sb, e->resolve);
			last_resolve = e->resolve;
			resolve_known = true;
		}
		out_strn(o, OPF_RESOLVE, resolve_sb.buf, resolve_sb.len);
	}
	out_strn(o, OPF_PATH, e->path, e->path_len);
	out_bool(o, OPF_PATH_TRUNCATED, e->path_truncated);
	if (e->full_path) {
		out_strn(o, OPF_FULL_PATH, e->full_path, e->full_path_len);
		out_bool(o, OPF_FULL_PATH_TRUNCATED, e->full_path_truncated);
		if (e->full_path_outside_root) /* rare: present only when true */
			out_bool(o, OPF_FULL_PATH_OUTSIDE_ROOT, true);
	}
	out_end(o);
	gb_cli_check_closed(o);
}

void gb_open_rows_free(void)
{
	sb_free(&flags_sb);
	sb_free(&resolve_sb);
	flags_known = resolve_known = false;
}

const struct gb_cli_rows gb_open_rows = {"open", fields, OPF_COUNT - GBF_COUNT};
