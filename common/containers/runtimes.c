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
#include <sys/stat.h>
#include <unistd.h>

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

/* Engines' own files: name, image and labels of a container. Keys are dotted paths; a number indexes an
 * array; "a>b" means a's value is a JSON string in which b is looked up. */
static const struct engine_file {
	const char *runtime;
	const char *path;    /* "%s" = container id */
	const char *list_id; /* the file is an array of containers; this key holds the id */
	const char *name, *image, *labels;
} engine_files[] = {
	{"docker", "/var/lib/docker/containers/%s/config.v2.json", NULL, "Name", "Config.Image", "Config.Labels"},
	{"podman", "/var/lib/containers/storage/overlay-containers/containers.json", "id", "names.0",
	 "metadata>image-name", NULL},
};

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
	if (entry) {
		char *name = ef->name ? json_path_str(entry, ef->name) : NULL;
		char *image = ef->image ? json_path_str(entry, ef->image) : NULL;
		set_str(&c->name, name && name[0] == '/' ? name + 1 : name); /* Docker's names start with '/' */
		set_str(&c->image, image);
		free(name);
		free(image);
		if (ef->labels)
			kvs_add_object(labels, json_path(entry, ef->labels));
	}
	json_free(j);
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
	apply_k8s(c, &ann);
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
