/* execsnoop-k8s: every execve/execveat on the node, with its container. Flags follow BCC's execsnoop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "metrics.h"
#include "rows.h"
#include "frontend.h"
#include "stream.h"
#include "gadgetbox.h"
#include "applets.h"

#define EXEC_DEFAULT_MAX_ARGS 20
#define EXEC_MAX_ARGS_LIMIT   128

static struct env {
	bool time;
	bool timestamp;
	bool fails;
	bool quote;
	bool print_uid;
	unsigned long uid;
	unsigned long pid;
	unsigned long ppid;
	unsigned long tree;
	const char *name;
	const char *line;
	unsigned long max_args;
} env = {
	.uid = GB_NO_UID,
	.max_args = EXEC_DEFAULT_MAX_ARGS,
};

enum {
	OPT_MAX_ARGS = GB_LONG_OPT,
	OPT_PPID,
	OPT_TREE,
};

static const struct gb_opt opts[] = {
	{"time", 'T', NULL, "include a time column (HH:MM:SS)"},
	{"timestamp", 't', NULL, "include a column of seconds since start"},
	{"fails", 'x', NULL, "include failed exec()s"},
	{"uid", 'u', "UID", "trace this UID only"},
	{"pid", 'p', "PID", "trace this process only"},
	{"ppid", OPT_PPID, "PID", "trace the children of this process only (not their descendants)"},
	{"tree", OPT_TREE, "PID", "trace this process and all its descendants, followed in the kernel as they fork"},
	{"quote", 'q', NULL, "add quotemarks (\") around arguments"},
	{"name", 'n', "NAME", "only print commands whose name contains NAME"},
	{"line", 'l', "TEXT", "only print commands where an argument contains TEXT"},
	{"print-uid", 'U', NULL, "print a UID column"},
	{"max-args", OPT_MAX_ARGS, "N", "capture at most N arguments (default 20, at most 128)"},
	{0},
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
	case 'u': return gb_parse_uid_opt(arg, &env.uid);
	case 'p': return gb_parse_pid_opt(arg, "PID", &env.pid);
	case OPT_PPID: return gb_parse_pid_opt(arg, "PID", &env.ppid);
	case OPT_TREE: return gb_parse_pid_opt(arg, "PID", &env.tree);
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

static void on_exec(void *ctx, const struct gb_exec_event *e)
{
	if (env.name && !strstr(e->proc.comm, env.name))
		return;
	if (env.line && !args_contain(e->args, e->args_size, env.line))
		return;
	gb_metrics_exec(e);
	gb_exec_row(ctx, e, env.quote);
}

static struct gb_tracer *open_tracer(struct gb_ctx *ctx, struct output *out)
{
	GB_OPTS(gb_exec_opts, eo, .on_event = on_exec, .on_lost = gb_cli_lost, .cb_ctx = out, .pid = env.pid,
		.uid_given = env.uid != GB_NO_UID, .uid = env.uid, .failed = env.fails, .max_args = env.max_args,
		.ia32 = gb_opts.ia32, .ppid = env.ppid, .tree_pid = env.tree, .ringbuf_bytes = gb_opts.buffer_bytes);
	return gb_exec__open(ctx, &eo);
}

static int run(void)
{
	char cols[160];

	snprintf(cols, sizeof(cols), "container,%s%s%scomm,pid,ppid,result,args", env.time ? "time," : "",
		 env.timestamp ? "elapsed," : "", env.print_uid ? "uid," : "");
	return gb_cli_stream(&(struct gb_cli_stream){.rows = &gb_exec_rows, .columns = cols, .open = open_tracer});
}

const struct gb_applet execsnoop_applet = {
	.name = "execsnoop-k8s",
	.summary = "Trace every exec() on the node, with its container.",
	.examples = "  execsnoop-k8s                # successful execs, with their container\n"
		    "  execsnoop-k8s -x             # include failed execs (ENOENT, EACCES, ...)\n"
		    "  execsnoop-k8s -o json        # one JSON object per line\n"
		    "  execsnoop-k8s -Tq -u 1000    # time column, quoted args, UID 1000 only\n"
		    "  execsnoop-k8s -l --verbose   # commands with an argument containing --verbose\n"
		    "  execsnoop-k8s --host --tree $$  # this shell and everything it starts\n"
		    "  execsnoop-k8s -c 'web-*'     # containers whose name starts with web-\n"
		    "  execsnoop-k8s --fields comm,pid,args --timeout 10\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_BUFFER | GB_OPTS_IA32 |
		  GB_OPTS_METRICS,
	.parse = parse,
	.run = run,
};
