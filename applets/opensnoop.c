/* opensnoop-k8s: every open/openat/openat2/creat on the node, with its container. Flags follow BCC's opensnoop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bpf/opensnoop.h"
#include "../common/errnames.h"
#include "../common/event.h"
#include "../common/openflags.h"
#include "../common/tracer.h"
#include "applets.h"
#include "opensnoop.skel.h"

static struct env {
	bool timestamp;
	bool print_uid;
	bool failed;
	bool extended;
	bool full_path;
	unsigned long pid;
	unsigned long tid;
	unsigned long uid;
	const char *name;
	const char *prefixes;
} env = {
	.uid = GB_INVALID_UID,
};

enum {
	OPT_FULL_PATH = GB_LONG_OPT,
	OPT_PREFIX,
};

static const struct gb_opt opts[] = {
	{"timestamp", 'T', NULL, "include a column of seconds since start"},
	{"print-uid", 'U', NULL, "print a UID column"},
	{"failed", 'x', NULL, "only show failed opens"},
	{"pid", 'p', "PID", "trace this process only"},
	{"tid", 't', "TID", "trace this thread only"},
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
	OPF_COUNT,
};

#define F(i) [(i) - GBF_COUNT]
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
};

static const char *const syscall_names[] = {"open", "openat", "openat2", "creat"};

static int parse(int key, const char *arg)
{
	switch (key) {
	case 'T': env.timestamp = true; break;
	case 'U': env.print_uid = true; break;
	case 'x': env.failed = true; break;
	case 'e': env.extended = true; break;
	case 'n': env.name = arg; break;
	case OPT_FULL_PATH: env.full_path = true; break;
	case OPT_PREFIX: env.prefixes = arg; break;
	case 'd':
		if (gb_parse_seconds(arg, &gb_opts.timeout))
			return gb_usage_error("invalid duration '%s' (seconds, > 0)", arg);
		break;
	case 'p':
	case 't':
		if (gb_parse_ulong(arg, 0x3fffffff, key == 'p' ? &env.pid : &env.tid) || !(key == 'p' ? env.pid : env.tid))
			return gb_usage_error("invalid %s '%s'", key == 'p' ? "PID" : "TID", arg);
		break;
	case 'u':
		if (gb_parse_ulong(arg, GB_INVALID_UID - 1, &env.uid))
			return gb_usage_error("invalid UID '%s'", arg);
		break;
	}
	return 0;
}

/* What /proc/PID/fd/N shows for a file without a path, as the kernel's d_dname() callbacks write it. */
static void pseudo_path(struct strbuf *sb, const struct open_event *e, const char *name, size_t name_len)
{
	static const struct {
		const char *fs, *prefix;
	} dnames[] = {{"pipefs", "pipe"}, {"sockfs", "socket"}};
	char fs[sizeof(e->pseudo_fs) + 1];

	snprintf(fs, sizeof(fs), "%.*s", (int)sizeof(e->pseudo_fs), e->pseudo_fs);
	for (size_t i = 0; i < sizeof(dnames) / sizeof(dnames[0]); i++)
		if (!strcmp(fs, dnames[i].fs)) {
			sb_addf(sb, "%s:[%llu]", dnames[i].prefix, (unsigned long long)e->pseudo_ino);
			return;
		}
	if (!strcmp(fs, "anon_inodefs")) {
		sb_adds(sb, "anon_inode:");
		sb_add(sb, name, name_len);
		return;
	}
	/* memfd and other files of kernel-internal mounts: simple_dname() writes "/name (deleted)" */
	sb_addc(sb, '/');
	sb_add(sb, name, name_len);
	sb_adds(sb, " (deleted)");
}

/* Per-event text; the row points into these until out_end(). */
static struct strbuf flags_sb, resolve_sb, full_sb;
static char mode_buf[16], result_buf[16];

static void handle_event(void *ctx, const void *data, size_t size)
{
	struct output *o = ctx;
	const struct open_event *e = data;
	size_t hdr = offsetof(struct open_event, buf);

	if (size < hdr || e->path_len < 1 || hdr + e->path_len > size)
		return;
	const char *path = e->buf;
	size_t path_len = strnlen(path, e->path_len);
	size_t full_len = e->full_len <= size - hdr - e->path_len ? e->full_len : 0;
	const char *full = e->buf + e->path_len;

	if (env.name && !strstr(e->proc.comm, env.name))
		return;
	if (!gb_event_begin(o, &e->proc))
		return;
	out_s64(o, OPF_RET, e->ret);
	if (e->ret >= 0) {
		out_s64(o, OPF_FD, e->ret);
		out_str(o, OPF_RESULT, "0");
	} else {
		const char *name = gb_errno_name(e->ret, result_buf);
		out_str(o, OPF_ERROR, name);
		out_str(o, OPF_RESULT, name);
	}
	sb_reset(&flags_sb);
	gb_open_flags_str(&flags_sb, e->flags);
	out_strn(o, OPF_FLAGS, flags_sb.buf, flags_sb.len);
	out_u64(o, OPF_FLAGS_RAW, e->flags);
	if (gb_open_flags_use_mode(e->flags)) {
		snprintf(mode_buf, sizeof(mode_buf), "%04llo", (unsigned long long)e->mode);
		out_str(o, OPF_MODE, mode_buf);
		out_u64(o, OPF_MODE_RAW, e->mode);
	}
	if (e->syscall < sizeof(syscall_names) / sizeof(syscall_names[0]))
		out_str(o, OPF_SYSCALL, syscall_names[e->syscall]);
	if (e->syscall == OPEN_SYS_OPENAT || e->syscall == OPEN_SYS_OPENAT2)
		out_s64(o, OPF_DIRFD, e->dirfd);
	if (e->syscall == OPEN_SYS_OPENAT2) {
		sb_reset(&resolve_sb);
		gb_resolve_flags_str(&resolve_sb, e->resolve);
		out_strn(o, OPF_RESOLVE, resolve_sb.buf, resolve_sb.len);
	}
	out_strn(o, OPF_PATH, path, path_len);
	out_bool(o, OPF_PATH_TRUNCATED, e->path_flags & OPEN_PATH_TRUNCATED);
	if (env.full_path) {
		sb_reset(&full_sb);
		if (e->path_flags & OPEN_FULL_PSEUDO) {
			pseudo_path(&full_sb, e, full, full_len);
		} else if (e->path_flags & OPEN_FULL_IS_FD) {
			sb_add(&full_sb, full, full_len);
			if (e->path_flags & OPEN_FULL_DELETED)
				sb_adds(&full_sb, " (deleted)");
		} else if (e->path_flags & OPEN_FULL_IS_BASE) {
			/* a failed relative open: where it would have been */
			sb_add(&full_sb, full, full_len);
			if (full_len != 1 || full[0] != '/')
				sb_addc(&full_sb, '/');
			sb_add(&full_sb, path, path_len);
		} else {
			sb_add(&full_sb, path, path_len);
		}
		out_strn(o, OPF_FULL_PATH, full_sb.buf, full_sb.len);
		out_bool(o, OPF_FULL_PATH_TRUNCATED, e->path_flags & OPEN_FULL_TRUNCATED);
	}
	out_end(o);
}

/* --prefix into the program's rodata (the comparison runs in the kernel). */
static int set_prefixes(struct opensnoop_bpf *skel)
{
	unsigned n = 0;

	for (const char *p = env.prefixes; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len) {
			if (n == OPEN_MAX_PREFIXES || len >= OPEN_PREFIX_MAX)
				return gb_usage_error("--prefix: at most %d prefixes of at most %d bytes", OPEN_MAX_PREFIXES,
						      OPEN_PREFIX_MAX - 1);
			memcpy((char *)skel->rodata->prefixes[n], p, len);
			skel->rodata->prefix_lens[n++] = len;
		}
		p += len + (p[len] == ',');
	}
	skel->rodata->n_prefixes = n;
	return 0;
}

static int run(void)
{
	struct opensnoop_bpf *skel = NULL;
	struct output out;
	char cols[160];
	int rc;

	snprintf(cols, sizeof(cols), "container,%s%spid,comm,result,%s%s", env.timestamp ? "elapsed," : "",
		 env.print_uid ? "uid," : "", env.extended ? "flags," : "", env.full_path ? "fullPath" : "path");
	if ((rc = gb_output_setup(&out, fields, OPF_COUNT - GBF_COUNT, cols)))
		return rc;
	if (!(rc = gb_bpf_preflight()) && !(skel = GB_SKEL_OPEN(opensnoop_bpf)))
		rc = 1;
	if (skel) {
		GB_TRACER_CONFIGURE(skel, GB_RINGBUF_BYTES);
		skel->rodata->targ_tgid = env.pid;
		skel->rodata->targ_tid = env.tid;
		skel->rodata->targ_uid = env.uid;
		skel->rodata->failed_only = env.failed;
		skel->rodata->full_path = env.full_path;
		rc = set_prefixes(skel) ? 2 : gb_tracer_load_run(skel->skeleton, &out, handle_event);
		opensnoop_bpf__destroy(skel);
	}
	output_free(&out);
	sb_free(&flags_sb);
	sb_free(&resolve_sb);
	sb_free(&full_sb);
	return rc;
}

const struct gb_applet opensnoop_applet = {
	.name = "opensnoop-k8s",
	.summary = "Trace every file open on the node, with its container.",
	.examples = "  opensnoop-k8s                      # opens in containers\n"
		    "  opensnoop-k8s --host -x            # failed opens anywhere, host included\n"
		    "  opensnoop-k8s --full-path -e       # absolute paths and decoded flags\n"
		    "  opensnoop-k8s --prefix /etc,/var/run -o json\n"
		    "  opensnoop-k8s --k8s-namespace default --k8s-podname web\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_BPF,
	.parse = parse,
	.run = run,
};
