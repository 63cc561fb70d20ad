#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "frontend.h"

/* JSON keys follow Inspektor Gadget's ig where the concept is the same. */
const struct out_field gb_event_fields[GBF_COUNT] = {
	[GBF_TIME] = {"time", "TIME", 8, OUT_F_COLONLY},
	[GBF_ELAPSED] = {"elapsed", "TIME(s)", 9, OUT_F_COLONLY},
	[GBF_CONTAINER] = {"container", "CONTAINER", 14, OUT_F_COLONLY | OUT_F_NOCUT},
	[GBF_GADGET] = {"gadget", "GADGET", 6, 0},
	[GBF_TIMESTAMP] = {"timestamp", "TIMESTAMP", 19, 0},
	[GBF_MNTNS] = {"mountnsid", "MNTNS", 10, 0},
	[GBF_PID] = {"pid", "PID", 7, 0},
	[GBF_TID] = {"tid", "TID", 7, 0},
	[GBF_PPID] = {"ppid", "PPID", 7, 0},
	[GBF_UID] = {"uid", "UID", 6, 0},
	[GBF_GID] = {"gid", "GID", 6, 0},
	[GBF_COMM] = {"comm", "PCOMM", 16, 0},
	[GBF_RUNTIME_NAME] = {"runtime.runtimeName", "RUNTIME", 10, 0},
	[GBF_CONTAINER_ID] = {"runtime.containerId", "CONTAINERID", 13, OUT_F_NOCUT},
	[GBF_CONTAINER_NAME] = {"runtime.containerName", "CONTAINERNAME", 16, OUT_F_NOCUT},
	[GBF_IMAGE] = {"runtime.containerImageName", "IMAGE", 24, 0},
	[GBF_K8S_NODE] = {"k8s.node", "NODE", 12, 0},
	[GBF_K8S_NAMESPACE] = {"k8s.namespace", "NAMESPACE", 12, OUT_F_NOCUT},
	[GBF_K8S_POD] = {"k8s.podName", "POD", 16, OUT_F_NOCUT},
	[GBF_K8S_CONTAINER] = {"k8s.containerName", "K8SCONTAINER", 16, OUT_F_NOCUT},
};

static char time_buf[16], elapsed_buf[32];
static bool container_json_whole; /* every container field is in the JSON (no --fields subset) */

/*
 * A container's fields are the same in every one of its events: their JSON members (and the display name)
 * are rendered once per container and version of its record, and reused. Direct-mapped by record address.
 */
#define CONTAINER_CACHE 64
static struct container_cache {
	const struct gb_container *c; /* NULL with valid set: host processes */
	unsigned generation;
	bool valid;
	char display[300];
	struct strbuf json;
} cache[CONTAINER_CACHE + 1];

/*
 * Likewise the members that follow a process (mount namespace, ids, comm) and its container: the same for a
 * thread's events until it changes name, ids or container. Rendered once per such state, keyed by thread.
 */
#define PROC_CACHE 64
struct proc_key {
	uint64_t mntns;
	uint32_t pid, tid, ppid, uid, gid;
	unsigned generation;
	const struct gb_container *c;
	char comm[16];
};
static struct proc_cache {
	struct proc_key key;
	bool valid;
	struct strbuf json;
} proc_cache[PROC_CACHE];
static bool proc_json_whole; /* every field from mountnsid to the container's is in the JSON */

static uint64_t start_boot_ns;
static bool node_always;

void gb_event_node_always(bool on)
{
	node_always = on;
}

/* --filter terms on container fields narrow the in-kernel container filter too (what the user-space filter
 * would drop is then never copied out), unless a container option set it already. */
static const struct {
	size_t field;
	const char **list;
} pushed[] = {
	{GBF_CONTAINER_NAME, &gb_opts.filter.names},  {GBF_K8S_NAMESPACE, &gb_opts.filter.k8s_namespaces},
	{GBF_K8S_POD, &gb_opts.filter.k8s_pods},      {GBF_K8S_CONTAINER, &gb_opts.filter.k8s_containers},
	{GBF_RUNTIME_NAME, &gb_opts.filter.runtimes},
};
static char *pushed_lists[sizeof(pushed) / sizeof(pushed[0])];

static void push_down(const struct filter *f)
{
	for (size_t i = 0; f && i < filter_nterms(f); i++) {
		int field;
		enum filter_op op;
		const char *value;
		/* a list item with a pattern character would be a shell pattern there: an exact == is not pushed */
		if (!filter_term(f, i, &field, &op, &value) || (op != FILTER_EQ && op != FILTER_NE) || !*value ||
		    strpbrk(value, ",*?[\\"))
			continue;
		for (size_t k = 0; k < sizeof(pushed) / sizeof(pushed[0]); k++) {
			if ((size_t)field != pushed[k].field || *pushed[k].list)
				continue;
			/* the list syntax of the container options: "!x" excludes x */
			struct strbuf sb = {0};
			sb_addf(&sb, "%s%s", op == FILTER_NE ? "!" : "", value);
			free(pushed_lists[k]);
			*pushed[k].list = pushed_lists[k] = (char *)sb_str(&sb);
		}
	}
}

struct output *gb_output_setup(const struct out_field *own, size_t nown, const char *default_cols)
{
	struct strbuf err = {0};
	struct output *o;

	start_boot_ns = gb_clock_boottime_ns();
	for (struct container_cache *e = cache; e <= &cache[CONTAINER_CACHE]; e++)
		e->valid = false;
	for (struct proc_cache *e = proc_cache; e < &proc_cache[PROC_CACHE]; e++)
		e->valid = false;
	o = output_new(gb_prog, gb_opts.mode, 1, gb_event_fields, GBF_COUNT, own, nown, gb_opts.fields, default_cols,
		       &err);
	if (o &&
	    ((gb_opts.row_filter && output_set_filter(o, gb_opts.row_filter, &err)) ||
	     ((gb_opts.sort || gb_opts.max_entries) && output_set_sort(o, gb_opts.sort, gb_opts.max_entries, &err)))) {
		output_free(o);
		o = NULL;
	}
	if (!o) {
		gb_usage_error("%s", sb_str(&err));
		sb_free(&err);
		return NULL;
	}
	sb_free(&err);
	gb_cli_log_init(o);
	push_down(output_filter(o));
	/* the fields in one piece, unless --fields picked some, or a filter or sort reads them one by one */
	bool whole = !gb_opts.row_filter && !gb_opts.sort;
	container_json_whole = whole;
	for (size_t i = GBF_RUNTIME_NAME; i <= GBF_K8S_CONTAINER; i++)
		container_json_whole &= output_in_json(o, i);
	proc_json_whole = container_json_whole && output_json(o);
	for (size_t i = GBF_MNTNS; i <= GBF_COMM; i++)
		proc_json_whole &= output_in_json(o, i);
	return o;
}

struct container_fill {
	const struct gb_container *c;
	const char *display;
};

static void fill_container_fields(struct output *o, const struct gb_container *c, const char *display)
{
	out_str(o, GBF_RUNTIME_NAME, c ? c->runtime : "");
	out_str(o, GBF_CONTAINER_ID, c ? c->id : "");
	out_str(o, GBF_CONTAINER_NAME, c ? c->name : "");
	out_str(o, GBF_IMAGE, c ? c->image : "");
	out_str(o, GBF_K8S_NODE, node_always || (c && *c->k8s_pod) ? gb_node_name() : "");
	out_str(o, GBF_K8S_NAMESPACE, c ? c->k8s_namespace : "");
	out_str(o, GBF_K8S_POD, c ? c->k8s_pod : "");
	out_str(o, GBF_K8S_CONTAINER, c ? c->k8s_container : "");
	/* columns: namespace/pod/container for Kubernetes, else the runtime's name; host processes show "-" */
	if (c)
		out_str(o, GBF_CONTAINER, display);
}

static void fill_container(struct output *o, const void *arg)
{
	const struct container_fill *f = arg;

	fill_container_fields(o, f->c, f->display);
}

static struct container_cache *cached(struct output *o, const struct gb_container *c)
{
	struct container_cache *e = c ? &cache[((uintptr_t)c >> 4) % CONTAINER_CACHE] : &cache[CONTAINER_CACHE];
	unsigned gen = c ? c->generation : 0;

	if (e->valid && e->c == c && e->generation == gen)
		return e;
	e->c = c;
	e->generation = gen;
	e->valid = true;
	if (c)
		gb_container__display(c, e->display, sizeof(e->display));
	sb_reset(&e->json);
	if (output_json(o)) /* the members alone, in a row of their own */
		out_json_members_of(o, GBF_RUNTIME_NAME, GBF_K8S_CONTAINER, fill_container,
				    &(struct container_fill){c, e->display}, &e->json);
	return e;
}

void gb_output_size_containers(struct output *o, struct gb_ctx *ctx)
{
	const struct gb_container *c;
	char name[300];

	for (unsigned i = 0; (c = gb_ctx__container(ctx, i)); i++)
		if (c->selected && !c->sandbox)
			output_min_width(o, GBF_CONTAINER, strlen(gb_container__display(c, name, sizeof(name))));
}

void gb_event_container(struct output *o, const struct gb_container *c)
{
	struct container_cache *e = cached(o, c);

	fill_container_fields(o, c, e->display);
}

/* For events: in JSON the container's members in one piece (unless --fields picked some of them). */
static void event_container(struct output *o, const struct gb_container *c)
{
	struct container_cache *e;

	if (!output_json(o) || !container_json_whole) {
		gb_event_container(o, c);
		return;
	}
	e = cached(o, c);
	out_raw(o, GBF_RUNTIME_NAME, e->json.buf ? e->json.buf : "", e->json.len);
}

static void proc_fields(struct output *o, const struct gb_event_proc *p)
{
	out_u64(o, GBF_MNTNS, p->mntns);
	out_u64(o, GBF_PID, p->pid);
	out_u64(o, GBF_TID, p->tid);
	out_u64(o, GBF_PPID, p->ppid);
	out_u64(o, GBF_UID, p->uid);
	out_u64(o, GBF_GID, p->gid);
	out_str(o, GBF_COMM, p->comm);
}

static void fill_proc(struct output *o, const void *arg)
{
	const struct gb_event_proc *p = arg;

	proc_fields(o, p);
	event_container(o, p->container);
}

/* JSON: the process's and its container's members in one piece, from the cache. */
static void proc_json(struct output *o, const struct gb_event_proc *p)
{
	struct proc_key key = {.mntns = p->mntns,
			       .pid = p->pid,
			       .tid = p->tid,
			       .ppid = p->ppid,
			       .uid = p->uid,
			       .gid = p->gid,
			       .c = p->container,
			       .generation = p->container ? p->container->generation : 0};
	struct proc_cache *e = &proc_cache[p->tid % PROC_CACHE];

	memcpy(key.comm, p->comm, sizeof(key.comm));
	if (!e->valid || memcmp(&e->key, &key, sizeof(key))) {
		sb_reset(&e->json);
		out_json_members_of(o, GBF_MNTNS, GBF_K8S_CONTAINER, fill_proc, p, &e->json);
		e->key = key;
		e->valid = true;
	}
	out_raw(o, GBF_MNTNS, e->json.buf ? e->json.buf : "", e->json.len);
}

void gb_event_begin(struct output *o, const struct gb_event_proc *p)
{
	out_begin(o);
	if (output_tag(o))
		out_str(o, GBF_GADGET, output_tag(o));
	if (out_wants(o, GBF_TIME)) {
		time_t secs = (time_t)(p->timestamp / 1000000000ull);
		struct tm tm;
		localtime_r(&secs, &tm);
		strftime(time_buf, sizeof(time_buf), "%H:%M:%S", &tm);
		out_str(o, GBF_TIME, time_buf);
	}
	if (out_wants(o, GBF_ELAPSED)) {
		snprintf(elapsed_buf, sizeof(elapsed_buf), "%.3f",
			 (p->boot_ns > start_boot_ns ? p->boot_ns - start_boot_ns : 0) / 1e9);
		out_str(o, GBF_ELAPSED, elapsed_buf);
	}
	out_u64(o, GBF_TIMESTAMP, p->timestamp);
	if (proc_json_whole) {
		proc_json(o, p);
		return;
	}
	proc_fields(o, p);
	event_container(o, p->container);
}

void *gb_cli_entry_of(void **v, size_t *n, size_t *cap, size_t size, const struct gb_container *c,
		      const char *host_name)
{
	const char *id = c ? c->id : "";

	for (size_t i = 0; i < *n; i++) {
		struct gb_cli_per_container *e = (void *)((char *)*v + i * size);
		if (!strcmp(e->id, id))
			return e;
	}
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		void *nv = realloc(*v, ncap * size);
		if (!nv)
			abort();
		*v = nv;
		*cap = ncap;
	}
	struct gb_cli_per_container *e = (void *)((char *)*v + (*n)++ * size);
	memset(e, 0, size);
	snprintf(e->id, sizeof(e->id), "%s", id);
	if (c)
		gb_container__display(c, e->display, sizeof(e->display));
	else
		snprintf(e->display, sizeof(e->display), "%s", host_name);
	return e;
}
