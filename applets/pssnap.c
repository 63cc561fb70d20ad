/* pssnap: a snapshot of the processes (or threads) of the node's containers, like ps, with their container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "event.h"
#include "frontend.h"
#include "gadgetbox.h"
#include "applets.h"

static struct env {
	bool threads;
	bool tree;
	bool wide;
	unsigned long pid;
	unsigned long uid;
	double watch;
	unsigned long count;
} env = {
	.uid = GB_NO_UID,
};

enum {
	OPT_TREE = GB_LONG_OPT,
	OPT_WATCH,
	OPT_COUNT,
};

/* ARGS in columns: cut here (unless --wide), so the default row stays within ~160 columns like ps's on a
 * terminal */
#define ARGS_COLS 64

static const struct gb_opt opts[] = {
	{"threads", 'T', NULL, "every thread, not only processes"},
	{"tree", OPT_TREE, NULL, "show each container's processes as a tree"},
	{"pid", 'p', "PID", "this process only"},
	{"uid", 'u', "UID", "processes of this real UID only"},
	{"wide", 'w', NULL, "the whole command line in ARGS (default: cut at 64 characters)"},
	{"watch", OPT_WATCH, "SECONDS",
	 "a snapshot every SECONDS until interrupted, each after its time (like top -b -d)"},
	{"count", OPT_COUNT, "N", "with --watch: stop after N snapshots"},
	{0},
};

enum {
	PSF_NSPID = GBF_COUNT,
	PSF_NSTID,
	PSF_STATE,
	PSF_START,
	PSF_START_TIME,
	PSF_THREADS,
	PSF_PIDNS,
	PSF_TREE_COMM,
	PSF_ARGS,
	PSF_RSS,
	PSF_CPU,
	PSF_CPU_TIME,
	PSF_ARGS_TRUNCATED,
	PSF_COUNT,
};

#define F(i) [(i)-GBF_COUNT]
static const struct out_field fields[PSF_COUNT - GBF_COUNT] = {
	F(PSF_NSPID) = {"nspid", "NSPID", 6, 0},
	F(PSF_NSTID) = {"nstid", "NSTID", 6, 0},
	F(PSF_STATE) = {"state", "S", 1, 0},
	F(PSF_START) = {"start", "START", 8, OUT_F_COLONLY},
	F(PSF_START_TIME) = {"startTime", "STARTTIME", 19, 0},
	F(PSF_THREADS) = {"threads", "THR", 4, 0},
	F(PSF_PIDNS) = {"pidnsid", "PIDNS", 10, 0},
	F(PSF_TREE_COMM) = {"tree", "COMMAND", 16, OUT_F_COLONLY},
	F(PSF_ARGS) = {"args", "ARGS", 16, 0},
	F(PSF_RSS) = {"rss", "RSS", 6, 0},
	F(PSF_CPU) = {"cpu", "TIME", 8, OUT_F_COLONLY},
	F(PSF_CPU_TIME) = {"cpuTime", "CPUTIME", 12, 0},
	F(PSF_ARGS_TRUNCATED) = {"argsTruncated", "ARGSCUT", 5, OUT_F_JSONONLY},
};

static int parse(int key, const char *arg)
{
	switch (key) {
	case 'T': env.threads = true; break;
	case OPT_TREE: env.tree = true; break;
	case 'p': return gb_parse_pid_opt(arg, "PID", &env.pid);
	case 'u': return gb_parse_uid_opt(arg, &env.uid);
	case 'w': env.wide = true; break;
	case OPT_WATCH:
		if (gb_parse_seconds(arg, &env.watch) || env.watch < 0.001)
			return gb_usage_error("--watch: '%s' is not a number of seconds (0.001 or more)", arg);
		break;
	case OPT_COUNT:
		if (gb_parse_ulong(arg, 1000000000, &env.count) || !env.count)
			return gb_usage_error("--count: '%s' is not a positive number", arg);
		break;
	}
	return 0;
}

/* The snapshot, kept to be sorted by container and pid before it is shown, with its own copy of the
 * arguments (args_off[i] in args; the pointers are set once the snapshot is done). */
struct entries {
	struct gb_proc_entry *v;
	size_t *args_off;
	size_t n, cap;
	struct strbuf args;
};

static void on_proc(void *ctx, const struct gb_proc_entry *p)
{
	struct entries *e = ctx;

	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 256;
		struct gb_proc_entry *v = realloc(e->v, cap * sizeof(*v));
		if (v)
			e->v = v;
		size_t *off = realloc(e->args_off, cap * sizeof(*off));
		if (off)
			e->args_off = off;
		if (!v || !off)
			return;
		e->cap = cap;
	}
	e->v[e->n] = *p;
	e->args_off[e->n] = e->args.len;
	sb_add(&e->args, p->args, p->args_size);
	/* the container pointer is valid during the callback only: looked up again once the snapshot is done */
	e->v[e->n++].proc.container = NULL;
}

static const char *group_of(const struct gb_proc_entry *p, char *buf, size_t size)
{
	return p->proc.container ? gb_container__display(p->proc.container, buf, size) : "";
}

static int by_container_pid(const void *a, const void *b)
{
	const struct gb_proc_entry *x = a, *y = b;
	char bx[300], by[300];
	int c = strcmp(group_of(x, bx, sizeof(bx)), group_of(y, by, sizeof(by)));

	if (c)
		return c;
	if (x->proc.container != y->proc.container) /* two containers of one name: each its own group */
		return x->proc.container && y->proc.container ? strcmp(x->proc.container->id, y->proc.container->id)
							      : (x->proc.container ? 1 : -1);
	if (x->proc.pid != y->proc.pid)
		return x->proc.pid < y->proc.pid ? -1 : 1;
	return x->proc.tid < y->proc.tid ? -1 : x->proc.tid > y->proc.tid;
}

/* CPU time as ps's TIME: [[DD-]hh:]mm:ss */
static void format_cpu(char *buf, size_t size, uint64_t ns)
{
	unsigned long long s = ns / 1000000000ull;
	unsigned long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d)
		snprintf(buf, size, "%llu-%02llu:%02llu:%02llu", d, h, m, s % 60);
	else if (h)
		snprintf(buf, size, "%02llu:%02llu:%02llu", h, m, s % 60);
	else
		snprintf(buf, size, "%02llu:%02llu", m, s % 60);
}

/* The command line: a list in JSON (as execsnoop's args); in columns cut at ARGS_COLS bytes unless --wide, and
 * like ps "[comm]" for a task without one (a kernel thread, a zombie). */
static void out_args(struct output *o, const struct gb_proc_entry *p)
{
	static char bracketed[sizeof(p->proc.comm) + 2];
	struct out_strv v = {.buf = p->args, .size = p->args_size, .truncated = p->args_truncated};

	for (size_t i = 0; i < p->args_size; i++)
		v.count += p->args[i] == '\0' || i + 1 == p->args_size;
	if (!output_json(o)) {
		if (!p->args_size) {
			snprintf(bracketed, sizeof(bracketed), "[%s]", p->proc.comm);
			out_str(o, PSF_ARGS, bracketed);
			return;
		}
		if (!env.wide && v.size > ARGS_COLS) {
			v.size = ARGS_COLS;
			v.truncated = true;
			v.count = 0;
			for (size_t i = 0; i < v.size; i++)
				v.count += p->args[i] == '\0' || i + 1 == v.size;
		}
	}
	out_strv(o, PSF_ARGS, &v);
	if (p->args_truncated)
		out_bool(o, PSF_ARGS_TRUNCATED, true);
}

static void print_entry(struct output *o, const struct gb_proc_entry *p, unsigned depth)
{
	static char start[32], tree[64 + 16], cpu[32];
	struct tm tm;
	time_t secs = (time_t)(p->start_time / 1000000000ull);

	gb_event_begin(o, &p->proc);
	out_u64(o, PSF_NSPID, p->nspid);
	if (env.threads)
		out_u64(o, PSF_NSTID, p->nstid);
	out_strn(o, PSF_STATE, &p->state, 1);
	localtime_r(&secs, &tm);
	/* like ps: the time of day for today's processes, else the date (both times from one clock: the start
	 * is never after the snapshot) */
	strftime(start, sizeof(start), p->proc.timestamp < p->start_time + 86400ull * 1000000000 ? "%H:%M:%S" : "%b%d",
		 &tm);
	out_str(o, PSF_START, start);
	out_u64(o, PSF_START_TIME, p->start_time);
	out_u64(o, PSF_THREADS, p->nthreads);
	out_u64(o, PSF_PIDNS, p->pidns);
	out_u64(o, PSF_RSS, p->rss_kib);
	format_cpu(cpu, sizeof(cpu), p->cpu_ns);
	out_str(o, PSF_CPU, cpu);
	out_u64(o, PSF_CPU_TIME, p->cpu_ns);
	out_args(o, p);
	size_t ind = depth > 20 ? 40 : 2 * depth;
	memset(tree, ' ', ind);
	snprintf(tree + ind, sizeof(tree) - ind, "%s%s", depth ? "\u2514\u2500 " : "", p->proc.comm);
	out_str(o, PSF_TREE_COMM, tree);
	out_end(o);
}

/* A container's processes (entries [from, to), sorted by pid), children under their parent. */
static void print_tree(struct output *o, const struct gb_proc_entry *v, size_t from, size_t to, uint32_t parent,
		       unsigned depth, bool *done)
{
	for (size_t i = from; i < to; i++) {
		bool root = !parent && !done[i];
		if (done[i] || (!root && v[i].proc.ppid != parent))
			continue;
		if (root) { /* a root: its parent is not in this container */
			bool has_parent = false;
			for (size_t j = from; j < to && !has_parent; j++)
				has_parent = j != i && v[j].proc.pid == v[i].proc.ppid;
			if (has_parent)
				continue;
		}
		done[i] = true;
		print_entry(o, &v[i], depth);
		print_tree(o, v, from, to, v[i].proc.pid, depth + 1, done);
	}
}

static void print_all(struct gb_ctx *ctx, struct output *o, struct entries *e)
{
	for (size_t i = 0; i < e->n; i++) {
		e->v[i].proc.container = gb_ctx__container_by_mntns(ctx, e->v[i].proc.mntns);
		e->v[i].args = sb_failed(&e->args) ? NULL : e->args.buf + e->args_off[i];
		if (!e->v[i].args)
			e->v[i].args_size = 0;
	}
	qsort(e->v, e->n, sizeof(*e->v), by_container_pid);
	if (!env.tree) {
		for (size_t i = 0; i < e->n; i++)
			print_entry(o, &e->v[i], 0);
		return;
	}
	bool *done = calloc(e->n ? e->n : 1, sizeof(*done));
	if (!done)
		return;
	for (size_t from = 0, to; from < e->n; from = to) {
		for (to = from + 1; to < e->n && e->v[to].proc.container == e->v[from].proc.container;)
			to++;
		print_tree(o, e->v, from, to, 0, 0, done);
		/* whatever no root reached (a parent loop from a pid reused during the scan): shown at the top */
		for (size_t i = from; i < to; i++)
			if (!done[i]) {
				done[i] = true;
				print_entry(o, &e->v[i], 0);
			}
	}
	free(done);
}

static struct gb_ctx *ctx;
static struct gb_tracer *tracer;
static struct output *out;
static struct entries snap;
static unsigned long snapshots;
static bool snapshot_failed;

/* One snapshot; with --watch after a line saying when it was taken, as top -b does ("--- 23:01:02 ---"). */
static void take_snapshot(void *arg)
{
	(void)arg;
	snap.n = 0;
	sb_reset(&snap.args);
	if (gb_tracer__snapshot(tracer) < 0) {
		snapshot_failed = true;
		gb_ctx__stop(ctx);
		return;
	}
	if (env.watch > 0)
		gb_cli_snapshot_time(out, snap.n ? snap.v[0].proc.timestamp : gb_clock_realtime_ns());
	output_snapshot_begin(out);
	print_all(ctx, out, &snap);
	output_snapshot_end(out);
	gb_cli_flush(out);
	if (env.count && ++snapshots >= env.count)
		gb_ctx__stop(ctx);
}

static int run(void)
{
	char cols[200];
	int rc = 0;

	if (env.count && !env.watch)
		return gb_usage_error("--count needs --watch");
	if (gb_opts.timeout > 0 && !env.watch)
		return gb_usage_error("--timeout needs --watch (a single snapshot does not wait)");
	snprintf(cols, sizeof(cols), "container,pid,nspid,%sppid,uid,state,start,rss,cpu,threads,%s",
		 env.threads ? "tid,nstid," : "", env.tree ? "tree" : "args");
	if (!(out = gb_output_setup(fields, PSF_COUNT - GBF_COUNT, cols)))
		return 2;
	GB_OPTS(gb_procs_opts, po, .on_proc = on_proc, .cb_ctx = &snap, .threads = env.threads, .pid = env.pid,
		.uid_given = env.uid != GB_NO_UID, .uid = env.uid);
	/* pssnap sees only the processes of its own pid namespace: outside the host's, it fails (gb_cli_ctx_new) */
	gb_cli_need_host_pids();
	if (!(ctx = gb_cli_ctx_new(env.watch > 0, true)) || !(tracer = gb_procs__open(ctx, &po))) {
		rc = 1;
	} else {
		take_snapshot(NULL);
		if (env.watch > 0 && !gb_ctx__stopped(ctx))
			rc = gb_cli_run_every(ctx, NULL, out, env.watch, take_snapshot, NULL);
		if (snapshot_failed)
			rc = 1;
	}
	gb_tracer__free(tracer);
	gb_ctx__free(ctx);
	output_free(out);
	free(snap.v);
	free(snap.args_off);
	sb_free(&snap.args);
	return rc;
}

const struct gb_applet pssnap_applet = {
	.name = "pssnap",
	.summary = "Show the processes of the node's containers, like ps, with their container.",
	.examples = "  pssnap                          # every container's processes\n"
		    "  pssnap --tree -c web            # container web's processes as a tree\n"
		    "  pssnap -T --k8s-namespace shop  # every thread in namespace shop's pods\n"
		    "  pssnap --host -u 0 -o json      # root's processes, host included, as JSON\n"
		    "  pssnap --watch 2 --count 3      # three snapshots, two seconds apart, each with its time\n"
		    "  pssnap --fields pid,args -w     # every container's full command lines\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_SNAPSHOT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF,
	.parse = parse,
	.run = run,
};
