/* pssnap: a snapshot of the processes (or threads) of the node's containers, like ps, with their container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "frontend.h"
#include "gadgetbox.h"
#include "applets.h"

static struct env {
	bool threads;
	bool tree;
	unsigned long pid;
	unsigned long uid;
} env = {
	.uid = GB_NO_UID,
};

enum {
	OPT_TREE = GB_LONG_OPT,
};

static const struct gb_opt opts[] = {
	{"threads", 'T', NULL, "every thread, not only processes"},
	{"tree", OPT_TREE, NULL, "show each container's processes as a tree"},
	{"pid", 'p', "PID", "this process only"},
	{"uid", 'u', "UID", "processes of this real UID only"},
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
};

static int parse(int key, const char *arg)
{
	switch (key) {
	case 'T': env.threads = true; break;
	case OPT_TREE: env.tree = true; break;
	case 'p': return gb_parse_pid_opt(arg, "PID", &env.pid);
	case 'u': return gb_parse_uid_opt(arg, &env.uid);
	}
	return 0;
}

/* The snapshot, kept to be sorted by container and pid before it is shown. */
struct entries {
	struct gb_proc_entry *v;
	size_t n, cap;
};

static void on_proc(void *ctx, const struct gb_proc_entry *p)
{
	struct entries *e = ctx;

	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 256;
		struct gb_proc_entry *v = realloc(e->v, cap * sizeof(*v));
		if (!v)
			return;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n] = *p;
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

static void print_entry(struct output *o, const struct gb_proc_entry *p, unsigned depth)
{
	static char start[32], tree[64 + 16];
	struct tm tm;
	time_t secs = (time_t)(p->start_time / 1000000000ull);

	gb_event_begin(o, &p->proc);
	out_u64(o, PSF_NSPID, p->nspid);
	if (env.threads)
		out_u64(o, PSF_NSTID, p->nstid);
	out_strn(o, PSF_STATE, &p->state, 1);
	localtime_r(&secs, &tm);
	/* like ps: the time of day for today's processes, else the date */
	strftime(start, sizeof(start), p->proc.timestamp - p->start_time < 86400ull * 1000000000 ? "%H:%M:%S" : "%b%d",
		 &tm);
	out_str(o, PSF_START, start);
	out_u64(o, PSF_START_TIME, p->start_time);
	out_u64(o, PSF_THREADS, p->nthreads);
	out_u64(o, PSF_PIDNS, p->pidns);
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
	for (size_t i = 0; i < e->n; i++)
		e->v[i].proc.container = gb_ctx__container_by_mntns(ctx, e->v[i].proc.mntns);
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

static int run(void)
{
	struct gb_tracer *t = NULL;
	struct gb_ctx *ctx = NULL;
	struct entries e = {0};
	struct output *out;
	char cols[160];
	int rc;

	snprintf(cols, sizeof(cols), "container,pid,nspid,%sppid,uid,state,start,threads,%s",
		 env.threads ? "tid,nstid," : "", env.tree ? "tree" : "comm");
	if (!(out = gb_output_setup(fields, PSF_COUNT - GBF_COUNT, cols)))
		return 2;
	output_snapshot_begin(out);
	GB_OPTS(gb_procs_opts, po, .on_proc = on_proc, .cb_ctx = &e, .threads = env.threads, .pid = env.pid,
		.uid_given = env.uid != GB_NO_UID, .uid = env.uid);
	if (!(ctx = gb_cli_ctx_new(false, true)) || !(t = gb_procs__open(ctx, &po))) {
		rc = 1;
	} else if ((rc = gb_tracer__snapshot(t)) < 0) {
		rc = 1;
	} else {
		print_all(ctx, out, &e);
		output_snapshot_end(out);
		gb_cli_flush(out);
		rc = 0;
	}
	gb_tracer__free(t);
	gb_ctx__free(ctx);
	output_free(out);
	free(e.v);
	return rc;
}

const struct gb_applet pssnap_applet = {
	.name = "pssnap",
	.summary = "Show the processes of the node's containers, like ps, with their container.",
	.examples = "  pssnap                          # every container's processes\n"
		    "  pssnap --tree -c web            # container web's processes as a tree\n"
		    "  pssnap -T --k8s-namespace shop  # every thread in namespace shop's pods\n"
		    "  pssnap --host -u 0 -o json      # root's processes, host included, as JSON\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_SNAPSHOT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BTF,
	.parse = parse,
	.run = run,
};
