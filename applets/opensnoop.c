/* opensnoop-k8s: every open/openat/openat2/creat on the node, with its container. Flags follow BCC's opensnoop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "frontend.h"
#include "stream.h"
#include "gadgetbox.h"
#include "openflags.h"
#include "applets.h"

static struct env {
	bool timestamp;
	bool print_uid;
	bool failed;
	bool extended;
	bool full_path;
	unsigned long pid;
	unsigned long ppid;
	unsigned long tree;
	unsigned long tid;
	unsigned long uid;
	const char *name;
	const char *prefixes;
} env = {
	.uid = GB_NO_UID,
};

enum {
	OPT_FULL_PATH = GB_LONG_OPT,
	OPT_PREFIX,
	OPT_PPID,
	OPT_TREE,
};

static const struct gb_opt opts[] = {
	{"timestamp", 'T', NULL, "include a column of seconds since start"},
	{"print-uid", 'U', NULL, "print a UID column"},
	{"failed", 'x', NULL, "only show failed opens"},
	{"pid", 'p', "PID", "trace this process only"},
	{"tid", 't', "TID", "trace this thread only"},
	{"ppid", OPT_PPID, "PID", "trace the children of this process only (not their descendants)"},
	{"tree", OPT_TREE, "PID", "trace this process and all its descendants, followed in the kernel as they fork"},
	{"uid", 'u', "UID", "trace this UID only"},
	{"name", 'n', "NAME", "only print processes whose name contains NAME"},
	{"extended-fields", 'e', NULL, "show decoded open flags"},
	{"duration", 'd', "SECONDS", "stop after SECONDS (same as --timeout)"},
	{"full-path", OPT_FULL_PATH, NULL, "the absolute path as the process sees it (like /proc/PID/fd/N)"},
	{"prefix", OPT_PREFIX, "P1,P2", "only paths (as passed) starting with one of these (in the kernel; at most 8)"},
	{0},
};

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

static int parse(int key, const char *arg)
{
	switch (key) {
	case 'T': env.timestamp = true; break;
	case 'U': env.print_uid = true; break;
	case 'x': env.failed = true; break;
	case 'e': env.extended = true; break;
	case 'n': env.name = arg; break;
	case OPT_FULL_PATH: env.full_path = true; break;
	case OPT_PREFIX: {
		unsigned n = 0;
		for (const char *p = arg; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ','))
			if (strcspn(p, ",") >= 256 || (strcspn(p, ",") && ++n > GB_OPEN_MAX_PREFIXES))
				return gb_usage_error("--prefix: at most %d prefixes of at most 255 bytes",
						      GB_OPEN_MAX_PREFIXES);
		env.prefixes = arg;
		break;
	}
	case 'd':
		if (gb_parse_seconds(arg, &gb_opts.timeout))
			return gb_usage_error("invalid duration '%s' (seconds, > 0)", arg);
		break;
	case 'p': return gb_parse_pid_opt(arg, "PID", &env.pid);
	case 't': return gb_parse_pid_opt(arg, "TID", &env.tid);
	case OPT_PPID: return gb_parse_pid_opt(arg, "PID", &env.ppid);
	case OPT_TREE: return gb_parse_pid_opt(arg, "PID", &env.tree);
	case 'u': return gb_parse_uid_opt(arg, &env.uid);
	}
	return 0;
}

/* Per-event text; the row points into these until out_end(). The decoded flags are kept for the next event. */
static struct strbuf flags_sb, resolve_sb;
static uint64_t last_flags, last_resolve;
static bool flags_known, resolve_known;
static char mode_buf[16], result_buf[16];

static void on_open(void *ctx, const struct gb_open_event *e)
{
	struct output *o = ctx;

	if (env.name && !strstr(e->proc.comm, env.name))
		return;
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

static struct gb_tracer *open_tracer(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_open_opts, oo, .on_event = on_open, .on_lost = gb_cli_lost, .cb_ctx = out, .pid = env.pid,
		.tid = env.tid, .uid_given = env.uid != GB_NO_UID, .uid = env.uid, .failed_only = env.failed,
		.full_path = env.full_path, .prefixes = env.prefixes, .ia32 = gb_opts.ia32, .ppid = env.ppid,
		.tree_pid = env.tree, .ringbuf_bytes = gb_opts.buffer_bytes);
	return gb_open__open(ctx, &oo);
}

static void done(struct output *out)
{
	(void)out;
	sb_free(&flags_sb);
	sb_free(&resolve_sb);
	flags_known = resolve_known = false;
}

static int run(void)
{
	char cols[160];

	snprintf(cols, sizeof(cols), "container,%s%spid,comm,result,%s%s", env.timestamp ? "elapsed," : "",
		 env.print_uid ? "uid," : "", env.extended ? "flags," : "", env.full_path ? "fullPath" : "path");
	return gb_cli_stream(&(struct gb_cli_stream){.fields = fields,
						     .nfields = OPF_COUNT - GBF_COUNT,
						     .columns = cols,
						     .open = open_tracer,
						     .done = done});
}

const struct gb_applet opensnoop_applet = {
	.name = "opensnoop-k8s",
	.summary = "Trace every file open on the node, with its container.",
	.examples = "  opensnoop-k8s                      # opens in containers\n"
		    "  opensnoop-k8s --host -x            # failed opens anywhere, host included\n"
		    "  opensnoop-k8s --full-path -e       # absolute paths and decoded flags\n"
		    "  opensnoop-k8s --prefix /etc,/var/run -o json\n"
		    "  opensnoop-k8s --host --tree $$          # this shell and everything it starts\n"
		    "  opensnoop-k8s --k8s-namespace default --k8s-podname web\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_BUFFER | GB_OPTS_IA32,
	.parse = parse,
	.run = run,
};
