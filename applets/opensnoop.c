/* opensnoop-k8s: every open/openat/openat2/creat on the node, with its container. Flags follow BCC's opensnoop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "metrics.h"
#include "rows.h"
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

static void on_open(void *ctx, const struct gb_open_event *e)
{
	if (env.name && !strstr(e->proc.comm, env.name))
		return;
	gb_metrics_open(e);
	gb_open_row(ctx, e);
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
	gb_open_rows_free();
}

static int run(void)
{
	char cols[160];

	snprintf(cols, sizeof(cols), "container,%s%spid,comm,result,%s%s", env.timestamp ? "elapsed," : "",
		 env.print_uid ? "uid," : "", env.extended ? "flags," : "", env.full_path ? "fullPath" : "path");
	return gb_cli_stream(
		&(struct gb_cli_stream){.rows = &gb_open_rows, .columns = cols, .open = open_tracer, .done = done});
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
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_BUFFER | GB_OPTS_IA32 |
		  GB_OPTS_METRICS,
	.parse = parse,
	.run = run,
};
