/*
 * Per-runtime knowledge, as data: the OCI state roots, the containerd namespaces, the annotation and label
 * keys that carry Kubernetes metadata, and the engines' own files. One parser serves them all; a new runtime
 * is a row in these tables. What each runtime keeps where, as seen on real runtimes: README.md, "Where
 * container metadata comes from".
 */
#include "runtimes.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boltdb.h"
#include "diag.h"
#include "hostroot.h"
#include "strbuf.h"

#define STATE_FILE_MAX	(4u << 20)
#define ENGINE_FILE_MAX (64u << 20)

/*
 * OCI runtime state roots: <dir>/<id>/state.json (runc) or <dir>/<id>/status (crun). A dir ending in "/ *"
 * (without the space) stands for one level of containerd namespaces, which also name the engine.
 */
const char *const gb_runtime_names[] = {"docker", "containerd", "cri-o", "podman", "runc", "crun", NULL};

static const struct state_root {
	const char *dir;
	const char *runtime; /* implied by the location, or NULL */
} state_roots[] = {
	{"/run/containerd/runc/*", NULL},	  /* containerd's runc shim (ctr, CRI, Docker with containerd) */
	{"/run/docker/runtime-runc/*", "docker"}, /* Docker's own containerd */
	{"/run/docker/runtime-crun/*", "docker"},
	{"/run/runc", NULL}, /* podman, CRI-O, plain runc */
	{"/run/crun", NULL}, /* podman, plain crun */
};

static const struct {
	const char *ns;
	const char *runtime;
} containerd_namespaces[] = {
	{"moby", "docker"}, {"k8s.io", "containerd"}, {NULL, "containerd"}, /* any other namespace: ctr, nerdctl */
};

/* io.container.manager */
static const struct {
	const char *value;
	const char *runtime;
} managers[] = {
	{"libpod", "podman"},
	{"cri-o", "cri-o"},
};

static const struct {
	const char *prefix;
	const char *runtime;
} cgroup_prefixes[] = {
	{"docker-", "docker"}, {"/docker/", "docker"}, {"cri-containerd-", "containerd"},
	{"crio-", "cri-o"},    {"libpod-", "podman"},  {"/libpod_parent/", "podman"},
};

/* Keys that carry Kubernetes metadata, in OCI annotations or engine labels. */
static const struct k8s_keys {
	const char *type;	   /* container type key */
	const char *sandbox_value; /* its value for the pod sandbox */
	const char *pod, *ns, *uid, *container, *image;
	const char *sandbox_id; /* names the sandbox, on the pod's other containers */
} k8s_keys[] = {
	{"io.kubernetes.cri.container-type", "sandbox", "io.kubernetes.cri.sandbox-name",
	 "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.cri.sandbox-uid", "io.kubernetes.cri.container-name",
	 "io.kubernetes.cri.image-name", "io.kubernetes.cri.sandbox-id"}, /* containerd CRI */
	{"io.kubernetes.cri-o.ContainerType", "sandbox", "io.kubernetes.pod.name", "io.kubernetes.pod.namespace",
	 "io.kubernetes.pod.uid", "io.kubernetes.container.name", "io.kubernetes.cri-o.ImageName",
	 "io.kubernetes.cri-o.SandboxID"}, /* CRI-O, podman kube play (its infra container has no type key) */
	{"io.kubernetes.docker.type", "podsandbox", "io.kubernetes.pod.name", "io.kubernetes.pod.namespace",
	 "io.kubernetes.pod.uid", "io.kubernetes.container.name", NULL, "io.kubernetes.sandbox.id"}, /* cri-dockerd */
};

/* Where a JSON document keeps a container's lifecycle (dotted paths, as below; NULL: not there). */
struct fact_keys {
	const char *running, *paused;	/* booleans */
	const char *status;		/* a number that indexes status_numbers[] */
	const char *started, *finished; /* RFC 3339 strings, or (time_ns) ns since the epoch */
	bool time_ns;
	const char *exit_code, *restart_count, *attempt, *log_path;
};

/* What a JSON document about one container holds. Keys are dotted paths; a number indexes an array; "a>b"
 * means a's value is a JSON string in which b is looked up. */
struct doc_keys {
	const char *name, *image;
	const char *labels; /* an object of strings, gathered with the annotations */
	struct fact_keys facts;
};

/* Engines' own files: one per container, or one for all (list_id: the array's key holding the id). */
static const struct engine_file {
	const char *runtime;
	const char *path; /* "%s" = container id */
	const char *list_id;
	bool lists; /* its directories name the engine's containers, running or not */
	struct doc_keys keys;
} engine_files[] = {
	{"docker",
	 "/var/lib/docker/containers/%s/config.v2.json",
	 NULL,
	 true,
	 {"Name",
	  "Config.Image",
	  "Config.Labels",
	  {.running = "State.Running",
	   .paused = "State.Paused",
	   .started = "State.StartedAt",
	   .finished = "State.FinishedAt",
	   .exit_code = "State.ExitCode",
	   .restart_count = "RestartCount",
	   .log_path = "LogPath"}}},
	{"podman",
	 "/var/lib/containers/storage/overlay-containers/containers.json",
	 "id",
	 false,
	 {"names.0", "metadata>image-name", NULL, {0}}},
	/* containerd's CRI plugin: the status of each of its containers, kept after they exit */
	{"containerd",
	 "/var/lib/containerd/io.containerd.grpc.v1.cri/containers/%s/status",
	 NULL,
	 false,
	 {NULL,
	  NULL,
	  NULL,
	  {.started = "StartedAt", .finished = "FinishedAt", .time_ns = true, .exit_code = "ExitCode"}}},
};

/*
 * Engines that keep their containers in a bbolt database (boltdb.h): podman 4 (state, config) and containerd
 * (every container of every namespace, with or without a task; CRI's metadata as an extension). Each
 * container is a bucket under @containers ('*': one level of containerd namespaces); in it, @docs are JSON
 * documents (@any: wrapped in a protobuf Any), @labels a bucket of strings, @image a plain value.
 */
#define MAX_DOCS 3
static const struct bolt_store {
	const char *runtime; /* of its containers, unless the namespace says otherwise */
	const char *path;
	const char *containers;
	const char *exit_codes; /* a bucket of exit codes by id (podman), or NULL */
	const char *labels, *image, *created;
	struct {
		const char *key; /* "a/b": value b of bucket a */
		bool any;
		const char *annotations; /* an object of strings in it */
		struct doc_keys keys;
	} docs[MAX_DOCS];
} bolt_stores[] = {
	{"podman",
	 "/var/lib/containers/storage/libpod/bolt_state.db",
	 "ctr",
	 "exit-code",
	 NULL,
	 NULL,
	 NULL,
	 {{"config", false, "spec.annotations", {"name", "rootfsImageName", "labels", {.log_path = "logPath"}}},
	  {"state",
	   false,
	   NULL,
	   {NULL,
	    NULL,
	    NULL,
	    {.status = "state",
	     .started = "startedTime",
	     .finished = "finishedTime",
	     .exit_code = "exitCode",
	     .restart_count = "restartCount"}}}}},
	{"containerd",
	 "/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db",
	 "v1/*/containers",
	 NULL,
	 "labels",
	 "image",
	 "createdat",
	 {{"spec", true, "annotations", {0}},
	  {"extensions/io.cri-containerd.container.metadata",
	   true,
	   "Metadata.Config.annotations",
	   {NULL, NULL, NULL, {.attempt = "Metadata.Config.metadata.attempt", .log_path = "Metadata.LogPath"}}}}},
};

/* podman's define.ContainerStatus numbers */
static const enum gb_container_state status_numbers[] = {
	GB_STATE_UNKNOWN, GB_STATE_CREATED /* configured */, GB_STATE_CREATED,
	GB_STATE_RUNNING, GB_STATE_EXITED /* stopped */,     GB_STATE_PAUSED,
	GB_STATE_EXITED,  GB_STATE_EXITED /* removing */,    GB_STATE_RUNNING /* stopping */,
};

/* Annotations that count a Kubernetes container's restarts (the kubelet's, on the CRI container's config). */
static const char *const restart_count_keys[] = {"io.kubernetes.container.restartCount"};

/* OCI runtimes that engines execute to create and start containers (runc create, runc start, ...). */
const char *const gb_runtime_binaries[] = {
	"/usr/bin/runc",
	"/usr/sbin/runc",
	"/usr/local/bin/runc",
	"/usr/local/sbin/runc",
	"/bin/runc",
	"/sbin/runc",
	"/usr/bin/crun",
	"/usr/local/bin/crun",
	"/usr/libexec/crio/runc",
	"/usr/libexec/crio/crun",
	"/usr/lib/cri-o-runc/sbin/runc",
	"/usr/libexec/podman/crun",
	"/home/kubernetes/bin/runc",
	"/opt/bin/runc",
	NULL,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small JSON helpers over cJSON ---- */

static cJSON *json_path(cJSON *node, const char *path)
{
	char key[128];

	while (node && *path) {
		size_t len = strcspn(path, ".>");
		char sep = path[len];
		snprintf(key, sizeof(key), "%.*s", (int)len, path);
		if (cJSON_IsArray(node) && key[0] >= '0' && key[0] <= '9')
			node = cJSON_GetArrayItem(node, atoi(key));
		else
			node = cJSON_GetObjectItemCaseSensitive(node, key);
		path += len + (sep ? 1 : 0);
		if (sep == '>')
			return NULL; /* handled by json_path_str */
	}
	return node;
}

/*
 * The runtimes' files are parsed into cJSON trees of a node per value, and freed right after: with musl's
 * allocator that was most of a container scan (malloc, free, and the mmap/munmap churn behind them). Trees
 * parsed here come from a per-thread arena instead, which is emptied once no tree of this thread is alive;
 * other cJSON users (outside this file, or while no tree is being parsed here) get malloc.
 */
#define ARENA_BLOCK (256u << 10)

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

static _Thread_local struct {
	struct arena_block *blocks; /* the newest first */
	int live;		    /* trees parsed from the arena and not yet freed */
	bool parsing;
} arena;

static void *arena_malloc(size_t n)
{
	if (!arena.parsing)
		return malloc(n);
	n = (n + 15) & ~(size_t)15;
	struct arena_block *b = arena.blocks;
	if (!b || b->used + n > b->cap) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		if (!(b = malloc(sizeof(*b) + cap)))
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = arena.blocks;
		arena.blocks = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

static void arena_free(void *p)
{
	for (struct arena_block *b = arena.blocks; b; b = b->next)
		if ((char *)p >= b->data && (char *)p < b->data + b->cap)
			return; /* freed with its arena */
	free(p);
}

static void arena_init(void)
{
	static bool done;
	cJSON_Hooks hooks = {.malloc_fn = arena_malloc, .free_fn = arena_free};

	if (!done) { /* the first scan happens before any other thread parses */
		cJSON_InitHooks(&hooks);
		done = true;
	}
}

static cJSON *json_parse(const char *s, size_t len)
{
	arena_init();
	arena.parsing = true;
	cJSON *j = cJSON_ParseWithLength(s, len);
	arena.parsing = false;
	if (j)
		arena.live++;
	return j;
}

/* Free a tree from json_parse(); the arena's blocks are reused (all but the first released) once none is left. */
static void json_free(cJSON *j)
{
	if (!j)
		return;
	cJSON_Delete(j);
	if (--arena.live > 0)
		return;
	arena.live = 0;
	while (arena.blocks && arena.blocks->next) {
		struct arena_block *b = arena.blocks;
		arena.blocks = b->next;
		free(b);
	}
	if (arena.blocks)
		arena.blocks->used = 0;
}

/* The string at @path ("a>b": parse a's string value as JSON, then look up b). Returns malloc'd or NULL. */
static char *json_path_str(cJSON *root, const char *path)
{
	const char *gt = strchr(path, '>');
	char outer[128];

	if (!gt) {
		cJSON *n = json_path(root, path);
		return cJSON_IsString(n) ? strdup(n->valuestring) : NULL;
	}
	snprintf(outer, sizeof(outer), "%.*s", (int)(gt - path), path);
	cJSON *n = json_path(root, outer);
	if (!cJSON_IsString(n))
		return NULL;
	cJSON *inner = json_parse(n->valuestring, strlen(n->valuestring));
	char *v = json_path_str(inner, gt + 1);
	json_free(inner);
	return v;
}

static cJSON *read_json(const char *path, size_t max, bool warn_missing)
{
	struct strbuf sb = {0};
	long n = gb_host_read(path, &sb, max);
	cJSON *j = NULL;

	if (n < 0) {
		if (warn_missing || n != -ENOENT)
			gb_warn_once("cannot read %s: %s", path, strerror((int)-n));
	} else if (!(j = json_parse(sb.buf, sb.len))) {
		gb_warn_once("%s is not valid JSON (corrupt or truncated); ignoring it", path);
	}
	sb_free(&sb);
	return j;
}

/* ---- annotations: key=value pairs gathered from state, bundle and labels ---- */

struct kv {
	char *key, *value;
};

struct kvs {
	struct kv *v;
	size_t n, cap;
};

static void kvs_add(struct kvs *a, const char *key, size_t klen, const char *value)
{
	for (size_t i = 0; i < a->n; i++)
		if (strlen(a->v[i].key) == klen && !strncmp(a->v[i].key, key, klen))
			return; /* first source wins */
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		void *v = realloc(a->v, cap * sizeof(*a->v));
		if (!v) /* out of memory: this annotation or label is left out */
			return;
		a->v = v;
		a->cap = cap;
	}
	char *k = strndup(key, klen), *val = strdup(value);
	if (!k || !val) {
		free(k);
		free(val);
		return;
	}
	a->v[a->n].key = k;
	a->v[a->n].value = val;
	a->n++;
}

static const char *kvs_get(const struct kvs *a, const char *key)
{
	for (size_t i = 0; key && i < a->n; i++)
		if (!strcmp(a->v[i].key, key))
			return a->v[i].value;
	return NULL;
}

static void kvs_free(struct kvs *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].key), free(a->v[i].value);
	free(a->v);
	*a = (struct kvs){0};
}

/* An object of string values (annotations, labels). */
static void kvs_add_object(struct kvs *a, cJSON *obj)
{
	cJSON *item;

	cJSON_ArrayForEach (item, obj) {
		if (cJSON_IsString(item) && item->string)
			kvs_add(a, item->string, strlen(item->string), item->valuestring);
	}
}

/* runc's config.labels: ["key=value", ...] */
static void kvs_add_label_array(struct kvs *a, cJSON *arr)
{
	cJSON *item;

	cJSON_ArrayForEach (item, arr) {
		if (!cJSON_IsString(item))
			continue;
		const char *eq = strchr(item->valuestring, '=');
		if (eq)
			kvs_add(a, item->valuestring, eq - item->valuestring, eq + 1);
	}
}

/* ---- state roots ---- */

static void foreach_in_root(const char *dir, const char *hint,
			    void (*fn)(void *ctx, const char *root, const char *id, const char *hint), void *ctx)
{
	DIR *d = gb_host_opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) > GB_CONTAINER_ID_MAX)
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		fn(ctx, dir, de->d_name, hint);
	}
	closedir(d);
}

void gb_runtime_state_foreach(void (*fn)(void *ctx, const char *root, const char *id, const char *hint), void *ctx)
{
	char path[512];

	for (size_t r = 0; r < N(state_roots); r++) {
		const char *dir = state_roots[r].dir;
		size_t len = strlen(dir);
		if (len < 2 || strcmp(dir + len - 2, "/*")) {
			foreach_in_root(dir, state_roots[r].runtime, fn, ctx);
			continue;
		}
		/* one level of containerd namespaces: the namespace names the engine */
		snprintf(path, sizeof(path), "%.*s", (int)(len - 2), dir);
		DIR *d = gb_host_opendir(path);
		struct dirent *de;
		if (!d)
			continue;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			const char *hint = state_roots[r].runtime;
			for (size_t i = 0; !hint && i < N(containerd_namespaces); i++)
				if (!containerd_namespaces[i].ns || !strcmp(containerd_namespaces[i].ns, de->d_name))
					hint = containerd_namespaces[i].runtime;
			char sub[768];
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			foreach_in_root(sub, hint, fn, ctx);
		}
		closedir(d);
	}
}

long long gb_runtime_meta_mtime(const struct gb_container *c)
{
	char path[512];
	struct stat st;

	for (size_t i = 0; i < N(engine_files); i++) {
		const struct engine_file *ef = &engine_files[i];
		if (ef->list_id || strcmp(ef->runtime, c->runtime))
			continue; /* a file shared by all containers says nothing about this one */
		snprintf(path, sizeof(path), ef->path, c->id);
		int fd = gb_host_open(path, O_RDONLY);
		if (fd < 0)
			return 0;
		long long t =
			fstat(fd, &st) == 0 ? (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec : 0;
		close(fd);
		return t;
	}
	return 0;
}

const char *gb_runtime_from_cgroup(const char *cgroup_path)
{
	for (size_t i = 0; cgroup_path && i < N(cgroup_prefixes); i++)
		if (strstr(cgroup_path, cgroup_prefixes[i].prefix))
			return cgroup_prefixes[i].runtime;
	return NULL;
}

/* OCI runtimes' own state files: where the init's pid and start time are, and where the annotations are. */
static const struct state_format {
	const char *runtime;
	const char *file;	 /* <root>/<id>/<file> */
	const char *pid, *start; /* keys of the init process's pid and its start time (clock ticks) */
	const char *labels;	 /* "k=v" array holding every annotation and "bundle=..." (runc), or NULL */
	const char *bundle;	 /* key of the bundle path, or NULL */
	const char *config_copy; /* a copy of config.json beside the state, for its annotations, or NULL */
} state_formats[] = {
	{"runc", "state.json", "init_process_pid", "init_process_start", "config.labels", NULL, NULL},
	{"crun", "status", "pid", "process-start-time", NULL, "bundle", "config.json"},
};

static void read_annotations(const char *path, struct kvs *ann)
{
	cJSON *j = read_json(path, STATE_FILE_MAX, false);

	if (j) {
		kvs_add_object(ann, json_path(j, "annotations"));
		json_free(j);
	}
}

/* Read the runtime's state; gather annotations. Returns the bundle path (malloc'd) or NULL. */
static char *read_state(struct gb_container *c, const char *root, struct kvs *ann, const char **format, bool *stopped)
{
	char path[768];

	for (size_t i = 0; i < N(state_formats); i++) {
		const struct state_format *f = &state_formats[i];
		snprintf(path, sizeof(path), "%s/%s/%s", root, c->id, f->file);
		cJSON *j = read_json(path, STATE_FILE_MAX, false);
		if (!j)
			continue;
		*format = f->runtime;
		cJSON *pid = cJSON_GetObjectItemCaseSensitive(j, f->pid);
		cJSON *start = cJSON_GetObjectItemCaseSensitive(j, f->start);
		if (cJSON_IsNumber(pid) && pid->valuedouble > 0 && pid->valuedouble < 4194305)
			c->pid = (uint32_t)pid->valuedouble;
		if (cJSON_IsNumber(start) && start->valuedouble >= 0 && start->valuedouble < 1e19)
			c->pid_start = (uint64_t)start->valuedouble;
		if (f->labels)
			kvs_add_label_array(ann, json_path(j, f->labels));
		char *bundle = f->bundle ? json_path_str(j, f->bundle) : NULL;
		if (!bundle && kvs_get(ann, "bundle"))
			bundle = strdup(kvs_get(ann, "bundle"));
		json_free(j);
		if (f->config_copy) {
			snprintf(path, sizeof(path), "%s/%s/%s", root, c->id, f->config_copy);
			read_annotations(path, ann);
		}
		return bundle;
	}
	*stopped = true;
	return NULL;
}

static void read_bundle(const char *bundle, struct kvs *ann)
{
	char path[4200];

	if (!bundle || bundle[0] != '/')
		return;
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	read_annotations(path, ann);
}

static void set_str(char **field, const char *value)
{
	if (!value || (*field && **field))
		return; /* the first source that knows wins */
	free(*field);
	*field = strdup(value);
}

/* RFC 3339 ("2026-12-02T22:31:27.443772004Z", or with an offset) to ns since the epoch; 0 for Go's zero time or
 * anything else. */
uint64_t gb_parse_rfc3339(const char *s)
{
	int y, mo, d, h, mi, sec, n = 0;
	uint64_t frac = 0;
	long off = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || y < 1970 || mo < 1 ||
	    mo > 12 || d < 1 || d > 31)
		return 0;
	const char *p = s + n;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (digits < 9)
				frac = frac * 10 + (uint64_t)(*p - '0'), digits++;
		while (digits++ < 9)
			frac *= 10;
	}
	if (*p == '+' || *p == '-') {
		int oh, om;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return 0;
		off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z') {
		return 0;
	}
	/* days since the epoch of a proleptic Gregorian date (H. Hinnant's days_from_civil) */
	y -= mo <= 2;
	long era = y / 400, yoe = y - era * 400;
	long doy = (153L * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
	long long t = days * 86400LL + h * 3600LL + mi * 60LL + sec - off;
	return t > 0 ? (uint64_t)t * 1000000000ull + frac : 0;
}

static uint64_t json_time(cJSON *n, bool ns)
{
	if (ns)
		return cJSON_IsNumber(n) && n->valuedouble > 0 && n->valuedouble < 1e19 ? (uint64_t)n->valuedouble : 0;
	return cJSON_IsString(n) ? gb_parse_rfc3339(n->valuestring) : 0;
}

static bool json_int(cJSON *n, int32_t *out)
{
	if (!cJSON_IsNumber(n) || n->valuedouble < -2147483648.0 || n->valuedouble > 2147483647.0)
		return false;
	*out = (int32_t)n->valuedouble;
	return true;
}

/* The lifecycle facts a document holds, where @c does not know them yet (the first source that knows wins). */
static void apply_facts(struct gb_container *c, cJSON *doc, const struct fact_keys *k)
{
	int32_t v;

	if (!c->started_at && k->started)
		c->started_at = json_time(json_path(doc, k->started), k->time_ns);
	if (!c->finished_at && k->finished)
		c->finished_at = json_time(json_path(doc, k->finished), k->time_ns);
	if (c->state == GB_STATE_UNKNOWN && k->status && json_int(json_path(doc, k->status), &v) && v >= 0 &&
	    (size_t)v < N(status_numbers))
		c->state = status_numbers[v];
	cJSON *running = k->running ? json_path(doc, k->running) : NULL;
	if (c->state == GB_STATE_UNKNOWN && cJSON_IsBool(running))
		c->state = cJSON_IsTrue(json_path(doc, k->paused)) ? GB_STATE_PAUSED
			   : cJSON_IsTrue(running)		   ? GB_STATE_RUNNING
			   : c->started_at			   ? GB_STATE_EXITED
								   : GB_STATE_CREATED;
	if (c->state == GB_STATE_UNKNOWN && k->time_ns && k->started) /* CRI's status: by its times */
		c->state = c->finished_at ? GB_STATE_EXITED : c->started_at ? GB_STATE_RUNNING : GB_STATE_CREATED;
	if (!c->exit_code_known && k->exit_code && json_int(json_path(doc, k->exit_code), &v)) {
		c->exit_code = v;
		c->exit_code_known = true;
	}
	if (c->restart_count < 0 && k->attempt && json_int(json_path(doc, k->attempt), &v) && v >= 0)
		c->restart_count = v;
	if (c->restart_count < 0 && k->restart_count && json_int(json_path(doc, k->restart_count), &v) && v >= 0)
		c->restart_count = v;
	if (k->log_path) {
		char *log = json_path_str(doc, k->log_path);
		set_str(&c->log_path, log);
		free(log);
	}
}

/* Name, image, labels and facts from one container's document. */
static void apply_doc(struct gb_container *c, cJSON *doc, const struct doc_keys *k, struct kvs *labels)
{
	char *name = k->name ? json_path_str(doc, k->name) : NULL;
	char *image = k->image ? json_path_str(doc, k->image) : NULL;

	set_str(&c->name, name && name[0] == '/' ? name + 1 : name); /* Docker's names start with '/' */
	set_str(&c->image, image);
	free(name);
	free(image);
	if (k->labels)
		kvs_add_object(labels, json_path(doc, k->labels));
	apply_facts(c, doc, &k->facts);
}

static void read_engine_file(struct gb_container *c, const struct engine_file *ef, struct kvs *labels)
{
	char path[512];
	cJSON *j, *entry;

	snprintf(path, sizeof(path), ef->path, c->id);
	if (!(j = read_json(path, ENGINE_FILE_MAX, false)))
		return;
	entry = j;
	if (ef->list_id) {
		cJSON *item;
		entry = NULL;
		cJSON_ArrayForEach (item, j) {
			cJSON *id = cJSON_GetObjectItemCaseSensitive(item, ef->list_id);
			if (cJSON_IsString(id) && !strcmp(id->valuestring, c->id)) {
				entry = item;
				break;
			}
		}
	}
	if (entry)
		apply_doc(c, entry, &ef->keys, labels);
	json_free(j);
}

/* ---- engines' bbolt databases, mapped once and again when they change ---- */

static struct mapped_store {
	void *data;
	size_t len;
	long long mtime;
} mapped[N(bolt_stores)];

static bool store_open(size_t i, struct gb_bolt *db, struct gb_bolt_bucket *root)
{
	struct mapped_store *m = &mapped[i];
	struct stat st;
	int fd = gb_host_open(bolt_stores[i].path, O_RDONLY);

	if (fd < 0)
		return false;
	long long mtime = fstat(fd, &st) ? -1 : (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	if (mtime < 0 || !S_ISREG(st.st_mode) || m->len != (size_t)st.st_size || m->mtime != mtime) {
		if (m->data)
			munmap(m->data, m->len);
		*m = (struct mapped_store){0};
		/* shared and read-only: the page cache's pages, nothing copied; bbolt files only grow */
		void *p = st.st_size > 0 && mtime >= 0 ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0)
						       : MAP_FAILED;
		if (p != MAP_FAILED)
			*m = (struct mapped_store){.data = p, .len = (size_t)st.st_size, .mtime = mtime};
	}
	close(fd);
	return m->data && gb_bolt_open(db, m->data, m->len, root) == 0;
}

void gb_runtime_free(void)
{
	for (size_t i = 0; i < N(bolt_stores); i++) {
		if (mapped[i].data)
			munmap(mapped[i].data, mapped[i].len);
		mapped[i] = (struct mapped_store){0};
	}
}

/* The engine a containerd namespace stands for. */
static const char *namespace_runtime(const uint8_t *ns, size_t len)
{
	for (size_t i = 0; i < N(containerd_namespaces); i++)
		if (!containerd_namespaces[i].ns ||
		    (strlen(containerd_namespaces[i].ns) == len && !memcmp(containerd_namespaces[i].ns, ns, len)))
			return containerd_namespaces[i].runtime;
	return NULL;
}

/* Calls @fn for the bucket of every container of store @s (with '*': of every namespace). */
struct store_walk {
	const struct gb_bolt *db;
	const struct bolt_store *s;
	const char *suffix; /* after the '*' */
	int (*fn)(void *ctx, const char *id, size_t idlen, const struct gb_bolt_bucket *b, const char *runtime);
	void *ctx;
	const char *runtime;
};

static int store_container_cb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
			      bool is_bucket)
{
	struct store_walk *w = ctx;
	struct gb_bolt_bucket b;

	if (!is_bucket || !klen || klen > GB_CONTAINER_ID_MAX || !gb_bolt_bucket_of(val, vlen, &b))
		return 0;
	return w->fn(w->ctx, (const char *)key, klen, &b, w->runtime);
}

static int store_ns_cb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, bool is_bucket)
{
	struct store_walk *w = ctx;
	struct gb_bolt_bucket ns, list;

	if (!is_bucket || !gb_bolt_bucket_of(val, vlen, &ns) || !gb_bolt_sub(w->db, &ns, w->suffix, &list))
		return 0;
	w->runtime = namespace_runtime(key, klen);
	return gb_bolt_foreach(w->db, &list, store_container_cb, w);
}

static int store_foreach(const struct gb_bolt *db, const struct gb_bolt_bucket *root, const struct bolt_store *s,
			 struct store_walk *w)
{
	const char *star = strstr(s->containers, "/*/");
	char prefix[128];
	struct gb_bolt_bucket b;

	w->db = db;
	w->s = s;
	w->runtime = s->runtime;
	if (!star)
		return gb_bolt_sub(db, root, s->containers, &b) ? gb_bolt_foreach(db, &b, store_container_cb, w) : 0;
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(star - s->containers), s->containers);
	w->suffix = star + 3;
	return gb_bolt_sub(db, root, prefix, &b) ? gb_bolt_foreach(db, &b, store_ns_cb, w) : 0;
}

/* The JSON document @key ("a/b": b in bucket a) of a container's bucket. */
static cJSON *store_doc(const struct gb_bolt *db, const struct gb_bolt_bucket *b, const char *key, bool any)
{
	const char *slash = strrchr(key, '/');
	struct gb_bolt_bucket in = *b;
	const uint8_t *v;
	size_t vlen;
	bool is_bucket;
	char dir[128];

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - key), key);
		if (!gb_bolt_sub(db, b, dir, &in))
			return NULL;
		key = slash + 1;
	}
	if (!gb_bolt_get(db, &in, key, &v, &vlen, &is_bucket) || is_bucket)
		return NULL;
	if (any && !gb_proto_any_value(v, vlen, &v, &vlen))
		return NULL;
	return json_parse((const char *)v, vlen);
}

/* A bucket of string values into @kvs. */
static int bucket_kv_cb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, bool is_bucket)
{
	char value[4096];

	if (!is_bucket && vlen < sizeof(value)) {
		snprintf(value, sizeof(value), "%.*s", (int)vlen, (const char *)val);
		kvs_add(ctx, (const char *)key, klen, value);
	}
	return 0;
}

/* A plain value of a bucket as a string (malloc'd), or NULL. */
static char *bucket_str(const struct gb_bolt *db, const struct gb_bolt_bucket *b, const char *key)
{
	const uint8_t *v;
	size_t vlen;
	bool is_bucket;

	return key && gb_bolt_get(db, b, key, &v, &vlen, &is_bucket) && !is_bucket ? strndup((const char *)v, vlen)
										   : NULL;
}

/* What store @s keeps of one container (its bucket @b). */
static void read_store_entry(struct gb_container *c, const struct gb_bolt *db, const struct gb_bolt_bucket *root,
			     const struct bolt_store *s, const struct gb_bolt_bucket *b, struct kvs *ann)
{
	struct gb_bolt_bucket labels, codes;

	for (size_t d = 0; d < MAX_DOCS && s->docs[d].key; d++) {
		cJSON *j = store_doc(db, b, s->docs[d].key, s->docs[d].any);
		if (!j)
			continue;
		if (s->docs[d].annotations)
			kvs_add_object(ann, json_path(j, s->docs[d].annotations));
		apply_doc(c, j, &s->docs[d].keys, ann);
		json_free(j);
	}
	if (s->labels && gb_bolt_sub(db, b, s->labels, &labels))
		gb_bolt_foreach(db, &labels, bucket_kv_cb, ann);
	char *image = bucket_str(db, b, s->image);
	set_str(&c->image, image);
	free(image);
	char *code =
		s->exit_codes && gb_bolt_sub(db, root, s->exit_codes, &codes) ? bucket_str(db, &codes, c->id) : NULL;
	if (code && *code && !c->exit_code_known) {
		c->exit_code = (int32_t)strtol(code, NULL, 10);
		c->exit_code_known = true;
	}
	free(code);
}

struct find_ctx {
	const char *id;
	struct gb_bolt_bucket b;
	bool found;
};

static int find_cb(void *ctx, const char *id, size_t idlen, const struct gb_bolt_bucket *b, const char *runtime)
{
	struct find_ctx *f = ctx;

	(void)runtime;
	if (strlen(f->id) != idlen || memcmp(f->id, id, idlen))
		return 0;
	f->b = *b;
	f->found = true;
	return 1;
}

static void read_stores(struct gb_container *c, struct kvs *ann)
{
	for (size_t i = 0; i < N(bolt_stores); i++) {
		struct gb_bolt db;
		struct gb_bolt_bucket root;
		struct find_ctx f = {.id = c->id};
		if (strcmp(bolt_stores[i].runtime, c->runtime) || !store_open(i, &db, &root))
			continue;
		struct store_walk w = {.fn = find_cb, .ctx = &f};
		if (store_foreach(&db, &root, &bolt_stores[i], &w) == 1 && f.found)
			read_store_entry(c, &db, &root, &bolt_stores[i], &f.b, ann);
	}
}

struct stored_ctx {
	void (*fn)(void *ctx, const char *id, const char *runtime);
	void *ctx;
};

static int stored_cb(void *ctx, const char *id, size_t idlen, const struct gb_bolt_bucket *b, const char *runtime)
{
	struct stored_ctx *sc = ctx;
	char buf[GB_CONTAINER_ID_MAX + 1];

	(void)b;
	snprintf(buf, sizeof(buf), "%.*s", (int)idlen, id);
	if (!memchr(id, '/', idlen) && !memchr(id, '\0', idlen) && runtime)
		sc->fn(sc->ctx, buf, runtime);
	return 0;
}

void gb_runtime_stored_foreach(void (*fn)(void *ctx, const char *id, const char *runtime), void *ctx)
{
	struct stored_ctx sc = {fn, ctx};
	char dir[512];

	for (size_t i = 0; i < N(engine_files); i++) {
		const char *pct = strstr(engine_files[i].path, "/%s/");
		if (!engine_files[i].lists || !pct)
			continue;
		snprintf(dir, sizeof(dir), "%.*s", (int)(pct - engine_files[i].path), engine_files[i].path);
		DIR *d = gb_host_opendir(dir);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.' && strlen(de->d_name) <= GB_CONTAINER_ID_MAX)
				fn(ctx, de->d_name, engine_files[i].runtime);
		if (d)
			closedir(d);
	}
	for (size_t i = 0; i < N(bolt_stores); i++) {
		struct gb_bolt db;
		struct gb_bolt_bucket root;
		struct store_walk w = {.fn = stored_cb, .ctx = &sc};
		if (store_open(i, &db, &root))
			store_foreach(&db, &root, &bolt_stores[i], &w);
	}
}

static void apply_k8s(struct gb_container *c, const struct kvs *ann)
{
	for (size_t i = 0; i < N(k8s_keys); i++) {
		const struct k8s_keys *k = &k8s_keys[i];
		const char *type = kvs_get(ann, k->type);
		set_str(&c->sandbox_id, kvs_get(ann, k->sandbox_id));
		if (!type && !kvs_get(ann, k->pod))
			continue;
		if (type && !strcmp(type, k->sandbox_value))
			c->sandbox = true;
		set_str(&c->k8s_pod, kvs_get(ann, k->pod));
		set_str(&c->k8s_namespace, kvs_get(ann, k->ns));
		set_str(&c->k8s_pod_uid, kvs_get(ann, k->uid));
		set_str(&c->k8s_container, kvs_get(ann, k->container));
		set_str(&c->image, kvs_get(ann, k->image));
	}
}

int gb_runtime_describe(struct gb_container *c, const char *root, const char *hint)
{
	struct kvs ann = {0};
	const char *format = NULL;
	bool stopped = false;
	c->restart_count = -1;
	char *bundle = root ? read_state(c, root, &ann, &format, &stopped) : NULL;

	if (root && stopped) {
		kvs_free(&ann);
		return -1;
	}
	read_bundle(bundle, &ann);
	free(bundle);

	const char *runtime = hint;
	const char *manager = kvs_get(&ann, "io.container.manager");
	for (size_t i = 0; manager && i < N(managers); i++)
		if (!strcmp(manager, managers[i].value))
			runtime = managers[i].runtime;
	if (!runtime)
		runtime = gb_runtime_from_cgroup(c->cgroup_path);
	if (!runtime)
		runtime = format;
	c->runtime = runtime ? runtime : "";

	for (size_t i = 0; i < N(engine_files); i++)
		if (!strcmp(engine_files[i].runtime, c->runtime))
			read_engine_file(c, &engine_files[i], &ann);
	read_stores(c, &ann);
	apply_k8s(c, &ann);
	for (size_t i = 0; i < N(restart_count_keys); i++) { /* the kubelet's count, over CRI's attempt */
		const char *v = kvs_get(&ann, restart_count_keys[i]);
		if (v && *v >= '0' && *v <= '9')
			c->restart_count = (int32_t)strtol(v, NULL, 10);
	}
	if (c->state != GB_STATE_EXITED) { /* an exit code and end of an earlier run say nothing of this one */
		c->exit_code_known = false;
		c->exit_code = 0;
		c->finished_at = 0;
	}
	kvs_free(&ann);

	/* Kubernetes containers are named by their pod spec (cri-dockerd's Docker name k8s_<container>_<pod>_...
	 * too); containerd and plain runc/crun by their id */
	if (c->k8s_container && *c->k8s_container) {
		free(c->name);
		c->name = NULL;
	}
	set_str(&c->name, c->k8s_container ? c->k8s_container : c->id);
	return 0;
}
