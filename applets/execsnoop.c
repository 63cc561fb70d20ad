/* execsnoop-k8s: every execve/execveat on the node, with its container. Flags follow BCC's execsnoop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bpf/execsnoop.h"
#include "../common/errnames.h"
#include "../common/event.h"
#include "../common/tracer.h"
#include "execsnoop.skel.h"
#include "applets.h"

static struct env {
	bool time;
	bool timestamp;
	bool fails;
	bool quote;
	bool print_uid;
	unsigned long uid;
	unsigned long pid;
	const char *name;
	const char *line;
	unsigned long max_args;
} env = {
	.uid = GB_INVALID_UID,
	.max_args = EXEC_DEFAULT_MAX_ARGS,
};

enum {
	OPT_MAX_ARGS = GB_LONG_OPT,
};

static const struct gb_opt opts[] = {
	{"time", 'T', NULL, "include a time column (HH:MM:SS)"},
	{"timestamp", 't', NULL, "include a column of seconds since start"},
	{"fails", 'x', NULL, "include failed exec()s"},
	{"uid", 'u', "UID", "trace this UID only"},
	{"pid", 'p', "PID", "trace this process only"},
	{"quote", 'q', NULL, "add quotemarks (\") around arguments"},
	{"name", 'n', "NAME", "only print commands whose name contains NAME"},
	{"line", 'l', "TEXT", "only print commands where an argument contains TEXT"},
	{"print-uid", 'U', NULL, "print a UID column"},
	{"max-args", OPT_MAX_ARGS, "N", "capture at most N arguments (default 20, at most 128)"},
	{0},
};

enum {
	EXF_RESULT = GBF_COUNT,
	EXF_RET,
	EXF_ERROR,
	EXF_FILENAME,
	EXF_ARGS,
	EXF_ARGS_TRUNCATED,
	EXF_COUNT,
};

static const struct out_field fields[EXF_COUNT - GBF_COUNT] = {
	[EXF_RESULT - GBF_COUNT] = {"result", "RET", 6, OUT_F_COLONLY},
	[EXF_RET - GBF_COUNT] = {"ret", "RET", 4, 0},
	[EXF_ERROR - GBF_COUNT] = {"error", "ERROR", 8, 0},
	[EXF_FILENAME - GBF_COUNT] = {"filename", "FILENAME", 24, 0},
	[EXF_ARGS - GBF_COUNT] = {"args", "ARGS", 0, 0},
	[EXF_ARGS_TRUNCATED - GBF_COUNT] = {"argsTruncated", "TRUNC", 5, 0},
};

static int parse(int key, const char *arg)
{
	switch (key) {
	case 'T': env.time = true; break;
	case 't': env.timestamp = true; break;
	case 'x': env.fails = true; break;
	case 'q': env.quote = true; break;
	case 'U': env.print_uid = true; break;
	case 'n': env.name = arg; break;
	case 'l': env.line = arg; break;
	case 'u':
		if (gb_parse_ulong(arg, GB_INVALID_UID - 1, &env.uid))
			return gb_usage_error("invalid UID '%s'", arg);
		break;
	case 'p':
		if (gb_parse_ulong(arg, 0x3fffffff, &env.pid) || !env.pid)
			return gb_usage_error("invalid PID '%s'", arg);
		break;
	case OPT_MAX_ARGS:
		if (gb_parse_ulong(arg, EXEC_MAX_ARGS_LIMIT, &env.max_args) || !env.max_args)
			return gb_usage_error("invalid --max-args '%s' (1..%d)", arg, EXEC_MAX_ARGS_LIMIT);
		break;
	}
	return 0;
}

/* Whether any captured argument contains @text. */
static bool args_contain(const char *args, size_t size, const char *text)
{
	for (size_t off = 0; off < size;) {
		size_t n = strnlen(args + off, size - off);
		if (memmem(args + off, n, text, strlen(text)))
			return true;
		off += n + 1;
	}
	return false;
}

/* Offset just past the @n-th NUL-terminated string at or after @off in buf[0..size) (or size). */
static size_t skip_strings(const char *buf, size_t size, size_t off, unsigned n)
{
	while (n-- && off < size)
		off += strnlen(buf + off, size - off) + 1;
	return off < size ? off : size;
}

/*
 * The argv to show: the strings captured at entry, completed (when a page was not present then) by the
 * new program's argv area. For a script, the kernel put the interpreter in front of the caller's argv, so
 * the caller's argv[i] is the area's string i + (final_argc - orig_argc).
 */
static struct strbuf argv_sb;

static void exec_argv(const struct exec_event *e, size_t args_size, size_t fn_end, struct out_strv *v)
{
	size_t cap_end = skip_strings(e->args, args_size, fn_end, e->argc);

	v->buf = e->args + fn_end;
	v->size = cap_end - fn_end;
	v->count = e->argc;
	if (!(e->flags & EXEC_ARGS_FROM_MM))
		return;
	size_t mm_end = cap_end + e->mm_args_size <= args_size ? cap_end + e->mm_args_size : args_size;
	unsigned shift = e->final_argc > e->orig_argc ? e->final_argc - e->orig_argc : 0;
	unsigned want = (e->orig_argc < env.max_args ? e->orig_argc : env.max_args) - e->argc;
	size_t from = skip_strings(e->args, mm_end, cap_end, shift + e->argc);

	sb_reset(&argv_sb);
	sb_add(&argv_sb, v->buf, v->size);
	for (size_t off = from; want && off < mm_end; want--) {
		size_t n = strnlen(e->args + off, mm_end - off);
		sb_add(&argv_sb, e->args + off, n);
		sb_addc(&argv_sb, '\0');
		off += n + 1;
		v->count++;
	}
	v->buf = argv_sb.buf;
	v->size = argv_sb.len;
}

static void handle_event(void *ctx, const void *data, size_t size)
{
	struct output *o = ctx;
	const struct exec_event *e = data;
	size_t hdr = offsetof(struct exec_event, args);
	static char retbuf[16], errbuf[16];

	if (size < hdr)
		return;
	size_t args_size = e->args_size < size - hdr ? e->args_size : size - hdr;
	size_t fn_len = strnlen(e->args, args_size);
	const char *filename = e->args;
	struct out_strv v = {.cut_mask = e->cut_mask, .quote = env.quote};

	exec_argv(e, args_size, fn_len + 1 < args_size ? fn_len + 1 : args_size, &v);
	if (e->flags & EXEC_FILENAME_AT_END && args_size >= 2) {
		/* the last string: scan back from its NUL */
		size_t start = args_size - 1;
		while (start > 0 && e->args[start - 1] != '\0')
			start--;
		filename = e->args + start;
		fn_len = strnlen(filename, args_size - start);
	}
	v.truncated = (e->flags & (EXEC_ARGV_TRUNCATED | EXEC_ARGV_UNREADABLE)) || v.count < e->orig_argc;

	if (env.name && !strstr(e->proc.comm, env.name)) /* comm is NUL-terminated by the kernel */
		return;
	if (env.line && !args_contain(v.buf, v.size, env.line))
		return;
	if (!gb_event_begin(o, &e->proc))
		return;
	out_s64(o, EXF_RET, e->ret);
	if (e->ret < 0) {
		out_str(o, EXF_ERROR, gb_errno_name(e->ret, errbuf));
		out_str(o, EXF_RESULT, gb_errno_name(e->ret, errbuf));
	} else {
		snprintf(retbuf, sizeof(retbuf), "%d", e->ret);
		out_str(o, EXF_RESULT, retbuf);
	}
	out_strn(o, EXF_FILENAME, filename, fn_len);
	out_strv(o, EXF_ARGS, &v);
	out_bool(o, EXF_ARGS_TRUNCATED, v.truncated || e->cut_mask);
	out_end(o);
}

static int run(void)
{
	struct execsnoop_bpf *skel = NULL;
	struct output out;
	char cols[160];
	int rc;

	snprintf(cols, sizeof(cols), "container,%s%s%scomm,pid,ppid,result,args", env.time ? "time," : "",
		 env.timestamp ? "elapsed," : "", env.print_uid ? "uid," : "");
	if ((rc = gb_output_setup(&out, fields, EXF_COUNT - GBF_COUNT, cols)))
		return rc;
	if (!(rc = gb_bpf_preflight()) && !(skel = GB_SKEL_OPEN(execsnoop_bpf)))
		rc = 1;
	if (skel) {
		GB_TRACER_CONFIGURE(skel, GB_RINGBUF_BYTES);
		skel->rodata->targ_tgid = env.pid;
		skel->rodata->targ_uid = env.uid;
		skel->rodata->ignore_failed = !env.fails;
		skel->rodata->max_args = env.max_args;
		/* before Linux 6.10 there is no sched_prepare_exec: argv then comes from the new program's argv area
		 * (asked of tracefs: parsing the kernel's BTF a second time would double the start-up time) */
		if (!gb_tracepoint_exists("sched", "sched_prepare_exec"))
			bpf_program__set_autoload(skel->progs.tp_prepare_exec, false);
		rc = gb_tracer_load_run(skel->skeleton, &out, handle_event);
		execsnoop_bpf__destroy(skel);
	}
	output_free(&out);
	sb_free(&argv_sb);
	return rc;
}

const struct gb_applet execsnoop_applet = {
	.name = "execsnoop-k8s",
	.summary = "Trace every exec() on the node, with its container.",
	.examples = "  execsnoop-k8s                # successful execs, with their container\n"
		    "  execsnoop-k8s -x             # include failed execs (ENOENT, EACCES, ...)\n"
		    "  execsnoop-k8s -o json        # one JSON object per line\n"
		    "  execsnoop-k8s -Tq -u 1000    # time column, quoted args, UID 1000 only\n"
		    "  execsnoop-k8s -l --verbose   # commands with an argument containing --verbose\n"
		    "  execsnoop-k8s --fields comm,pid,args --timeout 10\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_BPF,
	.parse = parse,
	.run = run,
};
