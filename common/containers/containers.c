#include "containers.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "clock.h"
#include "diag.h"
#include "hostroot.h"
#include "runtimes.h"
#include "strbuf.h"

#define MAX_CONTAINERS 8192
#define INDEX_SIZE     (2 * MAX_CONTAINERS) /* open addressing by mntns; a power of 2 */

static const char *node_name = "";

const char *gb_node_name(void)
{
	return node_name;
}

static struct gb_container *table[MAX_CONTAINERS];
static unsigned ncontainers;
static int32_t by_mntns[INDEX_SIZE]; /* index into table + 1; 0 = empty */
static struct gb_container_filter filter;
/* subscribers; a slot whose added and removed are NULL is free */
static struct gb_container_hooks *subs;
static unsigned nsubs;
static void notify_added(const struct gb_container *c);
static void notify_removed(const struct gb_container *c);
static uint64_t host_mntns;
static int proc_fd = -1;
static char node_buf[256];

/* ---- /proc ---- */

static uint64_t ns_inode(int pid, const char *ns)
{
	char path[64], link[64];

	snprintf(path, sizeof(path), "%d/ns/%s", pid, ns);
	ssize_t n = readlinkat(proc_fd, path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	const char *open = strchr(link, '[');
	return open ? strtoull(open + 1, NULL, 10) : 0;
}

/* NS_GET_MNTNS_ID (Linux 6.9+; the build's kernel headers may be older) */
#define GB_NS_GET_MNTNS_ID _IOR(0xb7, 0x5, uint64_t)

/*
 * @pid's mount namespace: its inode number and its never-reused id (0 before Linux 6.9), both from one open of
 * /proc/PID/ns/mnt, which holds the namespace: they are the same namespace's even if @pid exits meanwhile (read
 * one after the other, an init that exits between the two reads leaves an inode without its id, and a record
 * that matches whichever namespace gets that inode next). Where the file cannot be opened, the link's inode
 * (read after the open failed: a process that is gone has no link either). Returns the inode, 0 if @pid (or its
 * namespace) is gone.
 */
static uint64_t mntns_ids(uint32_t pid, uint64_t *uid)
{
	char path[64];
	struct stat st;

	*uid = 0;
	snprintf(path, sizeof(path), "%u/ns/mnt", pid);
	int fd = proc_fd < 0 ? -1 : openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ns_inode((int)pid, "mnt");
	uint64_t ino = !fstat(fd, &st) ? st.st_ino : 0;
	if (ioctl(fd, GB_NS_GET_MNTNS_ID, uid))
		*uid = 0; /* an older kernel: the BPF side binds the entry at its first event */
	close(fd);
	return ino;
}

uint64_t gb_mntns_uid(uint32_t pid)
{
	uint64_t uid;

	mntns_ids(pid, &uid);
	return uid;
}

long gb_proc_read(uint32_t pid, const char *file, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "%d/%s", pid, file);
	int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Field 22 of /proc/PID/stat: start time in clock ticks after boot (0 if the process is gone). */
static uint64_t pid_start_time(int pid)
{
	char buf[1024];

	if (gb_proc_read((uint32_t)pid, "stat", buf, sizeof(buf)) < 0)
		return 0;
	const char *p = strrchr(buf, ')'); /* comm may contain spaces and parentheses */
	if (!p)
		return 0;
	for (int field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}

static char *cgroup_path_of(int pid, char *id_out)
{
	char buf[4096];
	long n = gb_proc_read((uint32_t)pid, "cgroup", buf, sizeof(buf));

	if (id_out)
		id_out[0] = '\0';
	if (n <= 0)
		return NULL;
	if (id_out && gb_cgroup_container_id_from_proc(buf, n, id_out) != 0)
		id_out[0] = '\0';
	/* prefer the unified hierarchy's line ("0::/path"), else the first line */
	const char *line = buf;
	while (line && strncmp(line, "0::", 3)) { /* at the start of a line only */
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	if (!line) {
		line = buf;
		for (int colons = 0; *line && colons < 2; line++)
			if (*line == ':')
				colons++;
	} else {
		line += 3;
	}
	return strndup(line, strcspn(line, "\n"));
}

/* ---- the table ---- */

static void reindex(void)
{
	memset(by_mntns, 0, sizeof(by_mntns));
	for (unsigned i = 0; i < ncontainers; i++) {
		uint64_t h = (table[i]->mntns * 0x9e3779b97f4a7c15ull) >> 50;
		for (unsigned k = 0; k < INDEX_SIZE; k++) {
			unsigned slot = (h + k) & (INDEX_SIZE - 1);
			if (!by_mntns[slot]) {
				by_mntns[slot] = (int32_t)i + 1;
				break;
			}
		}
	}
}

const struct gb_container *gb_container_by_ns(uint64_t mntns, uint64_t uid)
{
	uint64_t h = (mntns * 0x9e3779b97f4a7c15ull) >> 50;

	for (unsigned k = 0; k < INDEX_SIZE; k++) {
		int32_t i = by_mntns[(h + k) & (INDEX_SIZE - 1)];
		if (!i)
			return NULL;
		const struct gb_container *c = table[i - 1];
		if (c->mntns == mntns && (!uid || !c->mntns_uid || c->mntns_uid == uid))
			return c;
	}
	return NULL;
}

const struct gb_container *gb_container_by_mntns(uint64_t mntns)
{
	return gb_container_by_ns(mntns, 0);
}

uint64_t gb_host_mntns(void)
{
	return host_mntns;
}

bool gb_container_visible(const struct gb_container *c)
{
	return c ? c->selected : filter.host;
}

const struct gb_container *gb_container_at(unsigned i)
{
	return i < ncontainers ? table[i] : NULL;
}

static struct gb_container *find_id(const char *id)
{
	for (unsigned i = 0; i < ncontainers; i++)
		if (!strcmp(table[i]->id, id))
			return table[i];
	return NULL;
}

const struct gb_container *gb_container_by_id(const char *id)
{
	return find_id(id);
}

int gb_proc_open_ns(uint32_t pid, const char *ns)
{
	char path[64];

	snprintf(path, sizeof(path), "%u/ns/%s", pid, ns);
	int fd = proc_fd < 0 ? -EBADF : openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 || proc_fd < 0 ? fd : -errno;
}

/* The host's cgroup2 hierarchy, opened once (-1 if there is none). */
static int cgroup2_fd = -2;

int gb_cgroup2_root(void)
{
	if (cgroup2_fd != -2)
		return cgroup2_fd;
	struct strbuf mi = {0};
	char mp[4096];
	cgroup2_fd = -1;
	/* the host's mounts: PID 1's, seen through the host root */
	if ((gb_host_read("/proc/1/mountinfo", &mi, 1 << 20) > 0 ||
	     gb_host_read("/proc/self/mountinfo", &mi, 1 << 20) > 0) &&
	    !gb_cgroup2_mountpoint(mi.buf, mi.len, mp, sizeof(mp))) {
		int fd = gb_host_open(mp, O_RDONLY | O_DIRECTORY);
		cgroup2_fd = fd >= 0 ? fd : -1;
	}
	sb_free(&mi);
	return cgroup2_fd;
}

const struct gb_container *gb_container_by_cgroup(uint64_t cgroup_id)
{
	int root = gb_cgroup2_root();

	if (!cgroup_id || root < 0)
		return NULL;
	for (unsigned i = 0; i < ncontainers; i++) {
		struct gb_container *c = table[i];
		if (!gb_rec(c)->cgroup_id && c->cgroup_path && c->cgroup_path[0] == '/') {
			struct stat st;
			const char *rel = c->cgroup_path[1] ? c->cgroup_path + 1 : ".";
			/* a cgroup's id is its directory's inode in the cgroup2 hierarchy */
			gb_rec(c)->cgroup_id = fstatat(root, rel, &st, 0) ? UINT64_MAX : st.st_ino; /* MAX: not found */
		}
		if (gb_rec(c)->cgroup_id == cgroup_id)
			return c;
	}
	return NULL;
}

uint64_t gb_host_netns(void)
{
	/* kernel threads (kthreadd is pid 2) live in the initial network namespace */
	uint64_t ns = ns_inode(2, "net");
	return ns ? ns : ns_inode(1, "net");
}

static void container_free(struct gb_container *c)
{
	free(c->name);
	free(c->image);
	free(c->k8s_namespace);
	free(c->k8s_pod);
	free(c->k8s_pod_uid);
	free(c->k8s_container);
	free(c->cgroup_path);
	free(c->sandbox_id);
	free(c->log_path);
	free(c);
}

static void note_ended(const struct gb_container *c);

static void remove_at(unsigned i)
{
	struct gb_container *c = table[i];

	note_ended(c);
	table[i] = table[--ncontainers];
	reindex();
	notify_removed(c);
	container_free(c);
}

/* Whether @value matches one item of a filter list (@len bytes at @item): a shell pattern (fnmatch(3): *, ?,
 * [...]); without any of those, the same as comparing. */
static bool item_matches(const char *item, size_t len, const char *value)
{
	char pat[512];

	if (len >= sizeof(pat)) /* no name is this long: compared as it is */
		return strlen(value) == len && !strncmp(value, item, len);
	memcpy(pat, item, len);
	pat[len] = '\0';
	return fnmatch(pat, value, 0) == 0;
}

bool gb_list_matches(const char *list, const char *value)
{
	bool any_positive = false, positive_hit = false;

	if (!list)
		return true;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		bool neg = len && *p == '!';
		const char *item = p + neg;
		size_t ilen = len - neg;
		bool eq = item_matches(item, ilen, value);
		if (neg && eq)
			return false;
		if (!neg && ilen) {
			any_positive = true;
			positive_hit |= eq;
		}
		p += len + (p[len] == ',');
	}
	return !any_positive || positive_hit;
}

/* A subscriber may unsubscribe itself (or another) from its callback: re-read the slots each time. */
static void notify_added(const struct gb_container *c)
{
	for (unsigned i = 0; i < nsubs; i++)
		if (subs[i].added)
			subs[i].added(subs[i].ctx, c);
}

static void notify_removed(const struct gb_container *c)
{
	for (unsigned i = 0; i < nsubs; i++)
		if (subs[i].removed)
			subs[i].removed(subs[i].ctx, c);
}

static bool matches(const struct gb_container *c)
{
	return !c->sandbox && gb_list_matches(filter.names, c->name) &&
	       gb_list_matches(filter.k8s_namespaces, c->k8s_namespace) &&
	       gb_list_matches(filter.k8s_pods, c->k8s_pod) &&
	       gb_list_matches(filter.k8s_containers, c->k8s_container) && gb_list_matches(filter.runtimes, c->runtime);
}

/* ---- filter items that match no container (gb_ctx__unmatched_names) ---- */

#define CLOSE_PREFIX 3 /* closeness of a value that the item is a prefix of, or the reverse */

/* How close an existing @value is to a filter @item that matched nothing: the edit distance (a swap of two
 * neighbours counts one) when it is 2 or less, CLOSE_PREFIX when one is a prefix of the other, -1 when it is
 * no likely meant name. */
static int closeness(const char *item, const char *value)
{
	size_t n = strlen(item), m = strlen(value);
	unsigned rows[3][256]; /* the rows of i-2, i-1 and i */
	bool prefix = n && m && !strncmp(item, value, n < m ? n : m);

	if (!n || !m || n >= 256 || m >= 256 || (n > m ? n - m : m - n) > 2)
		return prefix ? CLOSE_PREFIX : -1;
	for (size_t j = 0; j <= m; j++)
		rows[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		unsigned *pp = rows[(i + 1) % 3], *prev = rows[(i + 2) % 3], *row = rows[i % 3];
		row[0] = i;
		for (size_t j = 1; j <= m; j++) {
			unsigned best = prev[j - 1] + (item[i - 1] != value[j - 1]);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (i > 1 && j > 1 && item[i - 1] == value[j - 2] && item[i - 2] == value[j - 1] &&
			    pp[j - 2] + 1 < best)
				best = pp[j - 2] + 1;
			row[j] = best;
		}
	}
	unsigned d = rows[n % 3][m];
	return d <= 2 ? (int)d : prefix ? CLOSE_PREFIX : -1;
}

/* Keep @value among the best @u->suggestions (closeness in @score, best first, no repeats). */
static void suggest(struct gb_unmatched *u, int score[GB_MAX_SUGGESTIONS], const char *value, int close)
{
	unsigned i = 0;

	for (unsigned k = 0; k < GB_MAX_SUGGESTIONS && u->suggestions[k]; k++)
		if (!strcmp(u->suggestions[k], value))
			return;
	while (i < GB_MAX_SUGGESTIONS && u->suggestions[i] && score[i] <= close)
		i++;
	if (i == GB_MAX_SUGGESTIONS)
		return;
	for (unsigned k = GB_MAX_SUGGESTIONS - 1; k > i; k--) {
		u->suggestions[k] = u->suggestions[k - 1];
		score[k] = score[k - 1];
	}
	u->suggestions[i] = value;
	score[i] = close;
}

/* One item (@len bytes at @item) of the member @u->filter, whose values are at @field_off of each record:
 * told to @fn if no container matches it. Returns 1 if so. */
static int check_item(struct gb_unmatched *u, const char *item, size_t len, size_t field_off, gb_unmatched_fn fn,
		      void *cb_ctx)
{
	char buf[512];
	int score[GB_MAX_SUGGESTIONS];
	bool glob = false;

	snprintf(buf, sizeof(buf), "%.*s", (int)len, item);
	glob = strpbrk(buf, "*?[") != NULL;
	memset(u->suggestions, 0, sizeof(u->suggestions));
	for (unsigned i = 0; i < ncontainers; i++) {
		const char *value = *(char *const *)((const char *)table[i] + field_off);
		if (table[i]->sandbox)
			continue;
		if (item_matches(item, len, value))
			return 0;
		int close = glob ? -1 : closeness(buf, value);
		if (close >= 0)
			suggest(u, score, value, close);
	}
	u->item = buf;
	fn(cb_ctx, u);
	return 1;
}

int gb_containers_unmatched(gb_unmatched_fn fn, void *cb_ctx)
{
	static const struct {
		const char *name;
		size_t filter_off, field_off;
	} members[] = {
		{"names", offsetof(struct gb_container_filter, names), offsetof(struct gb_container, name)},
		{"k8s_namespaces", offsetof(struct gb_container_filter, k8s_namespaces),
		 offsetof(struct gb_container, k8s_namespace)},
		{"k8s_pods", offsetof(struct gb_container_filter, k8s_pods), offsetof(struct gb_container, k8s_pod)},
		{"k8s_containers", offsetof(struct gb_container_filter, k8s_containers),
		 offsetof(struct gb_container, k8s_container)},
	};
	int n = 0;

	for (size_t m = 0; m < sizeof(members) / sizeof(members[0]); m++) {
		const char *list = *(const char *const *)((const char *)&filter + members[m].filter_off);
		struct gb_unmatched u = {.filter = members[m].name};
		for (const char *p = list; p && *p;) {
			size_t len = strcspn(p, ",");
			if (len && *p != '!')
				n += check_item(&u, p, len, members[m].field_off, fn, cb_ctx);
			p += len + (p[len] == ',');
		}
	}
	return n;
}

static unsigned generations; /* the last record version handed out */

/* The strings nobody set become "" (never NULL, as gadgetbox.h promises). false: out of memory. */
static bool fill_strings(struct gb_container *c)
{
	char **strs[] = {&c->name,	    &c->image,	     &c->k8s_namespace, &c->k8s_pod, &c->k8s_pod_uid,
			 &c->k8s_container, &c->cgroup_path, &c->sandbox_id,	&c->log_path};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!*strs[i] && !(*strs[i] = strdup("")))
			return false;
	return true;
}

static void add(struct gb_container *c)
{
	if (!fill_strings(c)) {
		/* out of memory: left out now, found again at a later scan */
		gb_warn_once("out of memory: a container was left out of the table for now");
		container_free(c);
		return;
	}
	c->selected = matches(c);
	c->generation = ++generations;
	/* the same container described again (renamed, or its state appeared): update it in place; the hooks
	 * hear of it only if it entered or left the filters */
	for (unsigned i = 0; i < ncontainers; i++) {
		struct gb_container *old = table[i];
		if (strcmp(old->id, c->id) || old->mntns != c->mntns || old->pid != c->pid)
			continue;
		bool was = old->selected;
		if (was && !c->selected)
			notify_removed(old);
		/* the record keeps its address (subscribers may hold it): the new description moves in */
		struct gb_container_rec tmp = *gb_rec(old);
		*gb_rec(old) = *gb_rec(c);
		*gb_rec(c) = tmp;
		container_free(c);
		if (!was && old->selected)
			notify_added(old);
		return;
	}
	/* a mount namespace id belongs to one live container: every record still holding it (or this id) is stale,
	 * but for one of a namespace that had the inode before (told apart by the never-reused id): it leaves
	 * when its end is read, after its last events */
	for (unsigned i = 0; i < ncontainers;) {
		const struct gb_container *o = table[i];
		bool other_ns = o->mntns_uid && c->mntns_uid && o->mntns_uid != c->mntns_uid;
		if ((o->mntns == c->mntns && !other_ns) || !strcmp(o->id, c->id))
			remove_at(i); /* moves the last record here: look at i again */
		else
			i++;
	}
	if (ncontainers == MAX_CONTAINERS) {
		gb_warn_once("more than %d containers: the rest are not labelled", MAX_CONTAINERS);
		container_free(c);
		return;
	}
	table[ncontainers++] = c;
	reindex();
	notify_added(c);
}

/* What an event says of a namespace it came from: a container whose init has gone already is taken as that
 * namespace's if its state names the event's process as its init. */
struct ns_witness {
	uint64_t mntns, uid;
	uint32_t pid;
};

static bool init_seen_ended(struct gb_container *c);
static bool ghost_keep(struct gb_container *c);

/* A container whose init exec'd and ended before its state was read: known from an event (@w) only. */
static struct gb_container *describe_ended(struct gb_container *c, const struct ns_witness *w)
{
	if (!w || !w->pid || c->pid != w->pid || !w->mntns || w->mntns == host_mntns)
		return NULL;
	c->mntns = w->mntns;
	c->mntns_uid = w->uid;
	gb_rec(c)->ended = true;
	c->state = GB_STATE_EXITED;
	if (!c->cgroup_path)
		c->cgroup_path = strdup("");
	c->runtime = c->runtime ? c->runtime : "";
	return c->cgroup_path ? c : NULL;
}

/* Whether a cgroup (unified hierarchy) is frozen: docker/podman pause, a frozen pod. */
static bool cgroup_frozen(const char *cgroup_path)
{
	char rel[4200], buf[512];
	int root = gb_cgroup2_root();

	if (root < 0 || !cgroup_path || cgroup_path[0] != '/')
		return false;
	snprintf(rel, sizeof(rel), "%s/cgroup.events", cgroup_path[1] ? cgroup_path + 1 : ".");
	int fd = openat(root, rel, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "frozen 1") != NULL;
}

/* A container whose init lives runs (or is paused), whatever an engine's file said of an earlier run; it
 * started when its init did, if no engine recorded when. */
static void set_live_facts(struct gb_container *c)
{
	c->state = cgroup_frozen(c->cgroup_path) ? GB_STATE_PAUSED : GB_STATE_RUNNING;
	c->exit_code_known = false;
	c->exit_code = 0;
	c->finished_at = 0;
	long hz = sysconf(_SC_CLK_TCK);
	if (!c->started_at && c->pid_start && hz > 0)
		c->started_at = gb_clock_boot_to_realtime(c->pid_start / (uint64_t)hz * 1000000000ull +
							  c->pid_start % (uint64_t)hz * (1000000000ull / (uint64_t)hz));
}

/* Build a record for a container whose init process is @pid; NULL if that process is gone (unless @w, an
 * event of the namespace, was made by that init: then the record describes a container that has ended). */
static struct gb_container *describe(const char *id, const char *root, const char *hint, int pid,
				     const struct ns_witness *w)
{
	struct gb_container_rec *rec = calloc(1, sizeof(*rec));
	struct gb_container *c = &rec->pub;

	if (!rec)
		return NULL;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->pid = pid;
	if (pid) /* found through /proc: the cgroup path tells the runtime */
		c->cgroup_path = cgroup_path_of(pid, NULL);
	if (gb_runtime_describe(c, root, hint) != 0 || !c->pid)
		goto gone;
	uint64_t start = pid_start_time((int)c->pid);
	if (!start && (describe_ended(c, w) || init_seen_ended(c)))
		return c;
	if (!start && root && ghost_keep(c))
		return NULL; /* its namespace may be told later */
	if (!start || (c->pid_start && start != c->pid_start))
		goto gone; /* exited, or its pid already belongs to someone else */
	c->pid_start = start;
	c->mntns = mntns_ids(c->pid, &c->mntns_uid);
	if (!c->mntns && (describe_ended(c, w) || init_seen_ended(c)))
		return c; /* it exited a moment ago */
	if (!c->mntns && root && ghost_keep(c))
		return NULL;
	/* before Linux 6.9 no ioctl tells it: the event's, if its process lives in that namespace */
	if (!c->mntns_uid && w && w->mntns == c->mntns && w->uid && ns_inode((int)w->pid, "mnt") == w->mntns)
		c->mntns_uid = w->uid;
	c->netns = ns_inode((int)c->pid, "net");
	if (!c->mntns || c->mntns == host_mntns)
		goto gone;
	free(c->cgroup_path);
	c->cgroup_path = cgroup_path_of((int)c->pid, NULL);
	gb_rec(c)->cgroup_id = 0;
	if (!c->cgroup_path)
		goto gone;
	if (!c->runtime || !*c->runtime) {
		const char *r = gb_runtime_from_cgroup(c->cgroup_path);
		c->runtime = r ? r : "";
	}
	gb_rec(c)->meta_mtime = gb_runtime_meta_mtime(c);
	set_live_facts(c);
	return c;
gone:
	c->runtime = c->runtime ? c->runtime : "";
	container_free(c);
	return NULL;
}

static bool alive(const struct gb_container *c)
{
	return !gb_rec(c)->ended && pid_start_time((int)c->pid) == c->pid_start;
}

/* How a state-directory walk treats containers it knows: described again if they changed, or left alone. */
struct state_walk {
	bool new_only;
	const struct ns_witness *w;
};

static bool ghost_find(const char *id);

static void from_state(void *ctx, const char *root, const char *id, const char *hint)
{
	const struct state_walk *sw = ctx;
	struct gb_container *known = find_id(id);

	if (!known && ghost_find(id))
		return; /* read already: its init had ended */

	if (known && (sw->new_only || (alive(known) && !gb_rec(known)->from_proc &&
				       gb_runtime_meta_mtime(known) == gb_rec(known)->meta_mtime)))
		return;
	struct gb_container *c = describe(id, root, hint, 0, sw->w);
	if (c)
		add(c);
}

static void note_other_ns(uint64_t mntns, uint32_t pid);

/* Containers of runtimes whose state we do not know: any process whose cgroup names a container id. */
static void walk_proc(void)
{
	DIR *d = fdopendir(dup(proc_fd));
	struct dirent *de;

	if (!d)
		return;
	rewinddir(d);
	while ((de = readdir(d))) {
		char id[GB_CONTAINER_ID_MAX + 1];
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		int pid = atoi(de->d_name);
		uint64_t mntns = ns_inode(pid, "mnt");
		if (!mntns || mntns == host_mntns || gb_container_by_mntns(mntns))
			continue;
		free(cgroup_path_of(pid, id));
		if (!id[0])
			note_other_ns(mntns, (uint32_t)pid); /* no container: told to the kernel's filters in 2 s */
		if (!id[0] || find_id(id))
			continue;
		/* no state root knows it (yet, or ever): this process stands in for its init */
		struct gb_container *c = describe(id, NULL, NULL, pid, NULL);
		if (c) {
			gb_rec(c)->from_proc = true;
			add(c);
		}
	}
	closedir(d);
}

/* Pod sandboxes that only their containers name (podman's infra container carries no type annotation). */
static void mark_sandboxes(void)
{
	for (unsigned i = 0; i < ncontainers; i++) {
		struct gb_container *sb = *table[i]->sandbox_id ? find_id(table[i]->sandbox_id) : NULL;
		if (!sb || sb->sandbox || sb == table[i])
			continue;
		if (sb->selected)
			notify_removed(sb);
		sb->sandbox = true;
		sb->selected = false;
		notify_added(sb); /* still known, e.g. for its exit; no longer shown */
	}
}

void gb_containers_refresh(unsigned how)
{
	for (unsigned i = 0; (how & GB_REFRESH_PRUNE) && i < ncontainers;) {
		if (!alive(table[i]))
			remove_at(i);
		else
			i++;
	}
	gb_runtime_state_foreach(from_state, &(struct state_walk){0});
	if (how & GB_REFRESH_FULL) {
		walk_proc();
	}
	mark_sandboxes();
}

/* ---- mount namespaces that events come from and the table does not know ----
 *
 * No container start waits for gadgetbox, so an event may come from a container that started a moment ago.
 * The kernel's filters let events of unknown namespaces through; here they are identified: from the runtimes'
 * state (written before the container's program runs: `runc create` writes it, `runc start` lets it run),
 * from /proc/PID, or as a container that has ended if its state names the event's process as its init.
 * Until one of those answers (at most GB_NS_HOLD_MS), the tracers hold the namespace's events. A namespace
 * whose processes stay in no container's cgroup for GB_NS_OTHER_MS is no container: the kernel's filters
 * are told (gb_container_hooks.other_ns) and stop sending its events.
 */
#define GB_NS_HOLD_MS  500
#define GB_NS_RETRY_MS 10
#define GB_NS_OTHER_MS 2000
#define GB_NS_ENDED_MS 5000
#define GB_NS_MAX      512

enum ns_state {
	NS_PENDING,	 /* not identified yet */
	NS_HOST_LIKE,	 /* its process lives in no container's cgroup (may still be a container being made) */
	NS_OTHER,	 /* no container: the kernel's filters drop it */
	NS_ENDED,	 /* a container that left the table: its last processes on their way out */
	NS_UNIDENTIFIED, /* held as long as allowed, and nothing says what it was */
};

static struct unknown_ns {
	uint64_t mntns, uid;
	uint32_t pid;	  /* a process seen in it */
	uint32_t pids[8]; /* the last processes seen in it (exec'd, or an event's), for an init found ended */
	unsigned npids;
	uint64_t first_ms, last_try_ms;
	enum ns_state state;
	/* what the watcher said of the first exec in it (cg_exec), else of its first record: the process, a
	 * container's init (the first to exec in the namespace its runtime made), and its cgroup (the kernel's
	 * names, or ""), where the runtime had put it by the time it exec'd */
	uint32_t cg_pid;
	bool cg_exec;
	char cg[160];
} unknown[GB_NS_MAX];
static unsigned nunknown;

/* By inode and never-reused id (0: any); one of another id is of a namespace that had the inode before */
static struct unknown_ns *unknown_find(uint64_t mntns, uint64_t uid)
{
	for (unsigned i = 0; i < nunknown; i++)
		if (unknown[i].mntns == mntns && (!uid || !unknown[i].uid || unknown[i].uid == uid))
			return &unknown[i];
	return NULL;
}

static void notify_other_ns(uint64_t mntns, uint64_t uid, bool add)
{
	for (unsigned i = 0; i < nsubs; i++)
		if (subs[i].other_ns)
			subs[i].other_ns(subs[i].ctx, mntns, uid, add);
}

static void unknown_forget(struct unknown_ns *u)
{
	if (u->state == NS_OTHER)
		notify_other_ns(u->mntns, u->uid, false);
	*u = unknown[--nunknown];
}

/* Set while identify() runs: it may add containers (and note ended ones) but must not move the entry it works
 * on, which making room would. */
static bool no_evict;

static void note_pid(struct unknown_ns *u, uint32_t pid)
{
	unsigned n = u->npids < 8 ? u->npids : 8;

	for (unsigned i = 0; i < n; i++)
		if (u->pids[i] == pid)
			return;
	if (pid)
		u->pids[u->npids++ % 8] = pid;
}

static struct unknown_ns *unknown_get(uint64_t mntns, uint64_t uid, uint32_t pid, uint64_t now)
{
	struct unknown_ns *u = unknown_find(mntns, uid);

	if (u) {
		u->uid = u->uid ? u->uid : uid;
		note_pid(u, pid);
		return u;
	}
	if (nunknown == GB_NS_MAX) { /* make room: the oldest that holds nothing back */
		struct unknown_ns *old = NULL;
		if (no_evict)
			return NULL;
		for (unsigned i = 0; i < nunknown; i++)
			if (unknown[i].state != NS_PENDING && (!old || unknown[i].first_ms < old->first_ms))
				old = &unknown[i];
		if (!old)
			return NULL;
		unknown_forget(old);
	}
	u = &unknown[nunknown++];
	*u = (struct unknown_ns){.mntns = mntns, .uid = uid, .pid = pid, .first_ms = now, .state = NS_PENDING};
	note_pid(u, pid);
	return u;
}

static void note_ended(const struct gb_container *c)
{
	struct unknown_ns *u = c->mntns ? unknown_get(c->mntns, c->mntns_uid, c->pid, gb_clock_monotonic_ms()) : NULL;

	if (u) {
		u->state = NS_ENDED;
		u->first_ms = gb_clock_monotonic_ms();
	}
}

static void note_other_ns(uint64_t mntns, uint32_t pid)
{
	if (!unknown_find(mntns, 0))
		unknown_get(mntns, 0, pid, gb_clock_monotonic_ms());
}

/* ---- inits that ended before their namespace was known ----
 *
 * A container that lives a few milliseconds may have ended by the time its state is read (the loop was busy,
 * the other CPU too): the state names its init, /proc no longer says its namespace, and the runtime deletes
 * the state a moment later. The namespace's watcher records and events name the processes seen in it (the
 * init's exec among them), maybe only after the state was read: what the state said is kept for a while (a
 * "ghost") and the two are matched by the init's pid, whichever comes first.
 */
#define GB_GHOSTS_MAX 64

static struct ghost {
	struct gb_container *c; /* described from its state, its init gone; no namespace yet */
	uint64_t seen_ms;
} ghosts[GB_GHOSTS_MAX];
static unsigned nghosts;

static bool ghost_find(const char *id)
{
	for (unsigned i = 0; i < nghosts; i++)
		if (!strcmp(ghosts[i].c->id, id))
			return true;
	return false;
}

static void ghost_forget(unsigned i)
{
	container_free(ghosts[i].c);
	ghosts[i] = ghosts[--nghosts];
}

/* Keep @c (its init gone, its namespace not known): true if kept (it is the ghosts' now). */
static bool ghost_keep(struct gb_container *c)
{
	if (!c->pid)
		return false;
	if (nghosts == GB_GHOSTS_MAX) { /* the oldest goes */
		unsigned old = 0;
		for (unsigned i = 1; i < nghosts; i++)
			if (ghosts[i].seen_ms < ghosts[old].seen_ms)
				old = i;
		ghost_forget(old);
	}
	ghosts[nghosts++] = (struct ghost){.c = c, .seen_ms = gb_clock_monotonic_ms()};
	return true;
}

/* Whether @pid, seen in a namespace, may be the init @c's state named: gone, or alive since the same start. */
static bool same_init(const struct gb_container *c, uint32_t pid)
{
	uint64_t start = pid_start_time((int)pid);

	return c->pid == pid && (!start || !c->pid_start || start == c->pid_start);
}

/* A namespace not identified yet in which @c's init (gone) was seen: @c is that namespace's container. */
static bool init_seen_ended(struct gb_container *c)
{
	for (unsigned i = 0; c->pid && i < nunknown; i++) {
		const struct unknown_ns *u = &unknown[i];
		if (u->state != NS_PENDING && u->state != NS_HOST_LIKE && u->state != NS_UNIDENTIFIED)
			continue;
		for (unsigned k = 0; k < u->npids && k < 8; k++)
			if (same_init(c, u->pids[k])) {
				struct ns_witness w = {.mntns = u->mntns, .uid = u->uid, .pid = c->pid};
				return describe_ended(c, &w) != NULL;
			}
	}
	return false;
}

/* @pid was seen in @u: a ghost whose init it was is @u's container (added to the table). */
static const struct gb_container *ghost_witness(struct unknown_ns *u, uint32_t pid)
{
	for (unsigned i = 0; pid && i < nghosts; i++) {
		struct gb_container *c = ghosts[i].c;
		struct ns_witness w = {.mntns = u->mntns, .uid = u->uid, .pid = pid};
		if (!same_init(c, pid) || !describe_ended(c, &w))
			continue;
		ghosts[i] = ghosts[--nghosts];
		bool was = no_evict;
		no_evict = true; /* @u stays where it is */
		add(c);
		no_evict = was;
		return gb_container_by_ns(u->mntns, u->uid);
	}
	return NULL;
}

static void ghosts_expire(uint64_t now)
{
	for (unsigned i = 0; i < nghosts;)
		if (now - ghosts[i].seen_ms >= GB_NS_ENDED_MS)
			ghost_forget(i);
		else
			i++;
}

/* Whether @pid lives in @mntns, in no container's cgroup (0: it is gone or elsewhere, 1: yes, -1: in the
 * cgroup of a container not known yet, whose id goes to @id). A namespace made inside a known container
 * (unshare, a sandbox) is no container either: 1. */
static int host_like(uint32_t pid, uint64_t mntns, char id[GB_CONTAINER_ID_MAX + 1])
{
	if (!pid || ns_inode((int)pid, "mnt") != mntns)
		return 0;
	char *path = cgroup_path_of((int)pid, id);
	if (!path)
		return 0;
	free(path);
	const struct gb_container *c = id[0] ? find_id(id) : NULL;
	return !id[0] || (c && c->mntns != mntns) ? 1 : -1;
}

/* A record of container @id as @u's cgroup and @hint's stored records (NULL: none) describe it, bound to @u's
 * namespace as an ended container if a store still has it (its image is known), or if @alone (its id will do) */
static struct gb_container *cgroup_record(const struct unknown_ns *u, const char *id, const char *hint, bool alone)
{
	struct ns_witness w = {.mntns = u->mntns, .uid = u->uid, .pid = u->cg_pid};
	struct gb_container_rec *rec = calloc(1, sizeof(*rec));
	struct gb_container *c = &rec->pub;

	if (!rec)
		return NULL;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->pid = u->cg_pid;
	c->cgroup_path = strdup(u->cg);
	gb_runtime_describe(c, NULL, hint);
	bool stored = c->image && *c->image;
	if (c->cgroup_path && (stored || alone) && describe_ended(c, &w) && fill_strings(c))
		return c;
	container_free(c);
	return NULL;
}

/*
 * The last resort for a namespace whose process and state were gone before either could be read (a container
 * that lived a millisecond while the loop waited for a CPU): the cgroup the watcher saw its first exec in
 * (@u->cg, the kernel's names) is named after its container. The container is what its engine's or
 * containerd's stored records say of that id, if they still have it, else its id (and runtime) alone when the
 * cgroup is plainly a runtime's (docker-ID.scope, /docker/ID, cri-containerd-ID.scope, libpod-ID, a kubelet's
 * /kubepods/.../podUID/ID, whose runtime it does not say). A cgroup of a known container (a namespace made
 * inside it) or that names no container gives NULL.
 */
static struct gb_container *describe_by_cgroup(const struct unknown_ns *u)
{
	/* the runtimes whose stored records may still describe it, when its cgroup's name does not tell which */
	static const char *const stores[] = {"containerd", "docker", "podman"};
	char id[GB_CONTAINER_ID_MAX + 1];
	const char *leaf = strrchr(u->cg, '/');
	const char *runtime = gb_runtime_from_cgroup(u->cg);
	bool hex = gb_cgroup_container_id(u->cg, strlen(u->cg), id) == 0;
	struct gb_container *c = NULL;

	if (!u->cg_pid || !leaf || !leaf[1] || leaf == u->cg)
		return NULL; /* no cgroup told, or one right under the root (a service, a user's scope) */
	if (!hex)	     /* a name the user chose: ctr's cgroup is NAMESPACE/ID */
		snprintf(id, sizeof(id), "%s", leaf + 1);
	if (find_id(id))
		return NULL;
	for (size_t i = 0; !runtime && !c && i < sizeof(stores) / sizeof(stores[0]); i++)
		c = cgroup_record(u, id, stores[i], false);
	/* its runtime's records, or none: then its id (and runtime) alone, if the cgroup is plainly a runtime's */
	return c ? c : cgroup_record(u, id, runtime, hex && (runtime || strstr(u->cg, "/kubepods")));
}

/* Read what might tell what @u is: new state directories, then @pid's cgroup (with @from_proc: a container
 * no state directory knows is taken from /proc, as the full scan does, and one whose process is gone from the
 * cgroup the watcher saw it in). */
static const struct gb_container *identify(struct unknown_ns *u, uint32_t pid, bool from_proc, uint64_t now)
{
	struct ns_witness w = {.mntns = u->mntns, .uid = u->uid, .pid = pid};

	char id[GB_CONTAINER_ID_MAX + 1];

	u->last_try_ms = now;
	no_evict = true; /* @u stays where it is */
	gb_runtime_state_foreach(from_state, &(struct state_walk){.new_only = true, .w = &w});
	mark_sandboxes();
	const struct gb_container *c = gb_container_by_ns(u->mntns, u->uid);
	int hl = c ? 0 : host_like(pid, u->mntns, id);
	if (hl > 0 && u->state == NS_PENDING)
		u->state = NS_HOST_LIKE;
	else if (hl < 0 && u->state == NS_HOST_LIKE) /* joined a container's cgroup: one being made */
		u->state = NS_PENDING;
	if (hl < 0 && from_proc) { /* no state directory knows it: as the full /proc walk would find it */
		struct gb_container *n = describe(id, NULL, NULL, (int)pid, &w);
		if (n) {
			gb_rec(n)->from_proc = true;
			add(n);
		}
	}
	if (!c && !hl && from_proc && !gb_container_by_ns(u->mntns, u->uid) &&
	    host_like(u->cg_pid, u->mntns, id) == 0) { /* gone, and nothing was read of it in time */
		struct gb_container *n = describe_by_cgroup(u);
		if (n)
			add(n);
	}
	if (hl)
		u->pid = pid;
	no_evict = false;
	return c ? c : gb_container_by_ns(u->mntns, u->uid);
}

enum gb_ns_kind gb_ns_resolve(uint64_t mntns, uint64_t uid, uint32_t pid, bool final, const struct gb_container **out)
{
	const struct gb_container *c = gb_container_by_ns(mntns, uid);

	*out = c;
	if (c)
		return GB_NS_CONTAINER;
	if (!mntns || mntns == host_mntns)
		return GB_NS_HOST;
	uint64_t now = gb_clock_monotonic_ms();
	struct unknown_ns *u = unknown_get(mntns, uid, pid, now);
	if (!u)
		return GB_NS_UNIDENTIFIED;
	if ((u->state == NS_PENDING || u->state == NS_HOST_LIKE || u->state == NS_UNIDENTIFIED) &&
	    (*out = ghost_witness(u, pid)))
		return GB_NS_CONTAINER;
	switch (u->state) {
	case NS_OTHER:
	case NS_ENDED: return GB_NS_HOST;
	case NS_UNIDENTIFIED: return GB_NS_UNIDENTIFIED;
	default: break;
	}
	bool expired = final || now - u->first_ms >= GB_NS_HOLD_MS;
	if (expired || now - u->last_try_ms >= GB_NS_RETRY_MS) {
		if ((*out = identify(u, pid, expired, now)))
			return GB_NS_CONTAINER;
	}
	/* a live process outside every container's cgroup is the host's, but only once the hold is over: a
	 * container whose cgroup names no id (ctr's NAMESPACE/NAME) looks so until its state is read, and its
	 * first events went out as the host's (dropped without --host: 1 to 2% of ctr containers under churn) */
	if (u->state == NS_HOST_LIKE && expired)
		return GB_NS_HOST;
	if (!expired)
		return GB_NS_PENDING;
	u->state = NS_UNIDENTIFIED;
	return GB_NS_UNIDENTIFIED;
}

void gb_ns_exec(uint64_t mntns, uint64_t uid, uint32_t pid, const char *cgroup, bool exec)
{
	uint64_t now = gb_clock_monotonic_ms();

	if (gb_container_by_ns(mntns, uid) || !mntns || mntns == host_mntns)
		return;
	struct unknown_ns *u = unknown_get(mntns, uid, pid, now);
	if (!u)
		return;
	char id[GB_CONTAINER_ID_MAX + 1];
	/* the kernel did not know it: an entry of ours without the id may be of a namespace that had this inode
	 * before (its process is gone); one with it is this namespace's, and an ended container's stays ended */
	if (!u->uid && u->state != NS_PENDING && u->state != NS_HOST_LIKE && host_like(u->pid, mntns, id) == 0) {
		unknown_forget(u);
		if (!(u = unknown_get(mntns, uid, pid, now)))
			return;
	}
	if (cgroup && strlen(cgroup) < sizeof(u->cg) && !u->cg_exec && (exec || !u->cg_pid)) {
		snprintf(u->cg, sizeof(u->cg), "%s", cgroup);
		u->cg_pid = pid;
		u->cg_exec = exec;
	}
	if (u->state == NS_ENDED || (u->state != NS_OTHER && ghost_witness(u, pid)))
		return;
	if (u->state != NS_OTHER && (!u->last_try_ms || now - u->last_try_ms >= GB_NS_RETRY_MS))
		identify(u, pid, false, now);
}

bool gb_ns_poll(void)
{
	uint64_t now = gb_clock_monotonic_ms();
	bool waiting = false;

	for (unsigned i = 0; i < nunknown; i++) { /* identify() may append entries, never move them */
		struct unknown_ns *u = &unknown[i];
		if ((u->state != NS_PENDING && u->state != NS_HOST_LIKE) || now - u->first_ms >= GB_NS_HOLD_MS ||
		    gb_container_by_ns(u->mntns, u->uid))
			continue;
		if (now - u->last_try_ms >= GB_NS_RETRY_MS && identify(u, u->pid, false, now))
			continue;
		waiting = true;
	}
	return waiting;
}

/* Once a second: namespaces that stayed in no container's cgroup are no containers; forget what is gone. */
static void classify_unknown(void)
{
	uint64_t now = gb_clock_monotonic_ms();

	ghosts_expire(now);
	for (unsigned i = 0; i < nunknown;) {
		struct unknown_ns *u = &unknown[i];
		char id[GB_CONTAINER_ID_MAX + 1];
		int hl = host_like(u->pid, u->mntns, id);
		bool keep = true;
		if (gb_container_by_ns(u->mntns, u->uid))
			keep = false;
		else if (u->state == NS_ENDED || hl == 0) /* its process is gone: the namespace may be too */
			keep = u->state != NS_OTHER && now - u->first_ms < GB_NS_ENDED_MS;
		else if (hl > 0 && u->state != NS_OTHER && now - u->first_ms >= GB_NS_OTHER_MS) {
			uint64_t uid = gb_mntns_uid(u->pid);
			u->uid = uid ? uid : u->uid; /* else the one the events carried */
			if (u->uid) { /* an entry not bound to its namespace could outlive it and hide a new one */
				u->state = NS_OTHER;
				notify_other_ns(u->mntns, u->uid, true);
			}
		}
		if (keep)
			i++;
		else
			unknown_forget(u); /* moves the last entry here: look at i again */
	}
}

void gb_containers_tick(void)
{
	classify_unknown();
}

void gb_containers_exited(uint32_t pid, uint64_t mntns)
{
	for (unsigned i = 0; i < ncontainers; i++)
		if (table[i]->pid == pid && table[i]->mntns == mntns) {
			remove_at(i);
			return;
		}
}

int gb_containers_subscribe(const struct gb_container_hooks *h, bool replay)
{
	unsigned id = 0;

	while (id < nsubs && (subs[id].added || subs[id].removed))
		id++;
	if (id == nsubs) {
		struct gb_container_hooks *n = realloc(subs, (nsubs + 1) * sizeof(*subs));
		if (!n)
			return -ENOMEM;
		subs = n;
		nsubs++;
	}
	subs[id] = *h;
	for (unsigned i = 0; replay && h->added && i < ncontainers; i++)
		h->added(h->ctx, table[i]);
	for (unsigned i = 0; replay && h->other_ns && i < nunknown; i++) /* no notify_other_ns(): this one only */
		if (unknown[i].state == NS_OTHER)
			h->other_ns(h->ctx, unknown[i].mntns, unknown[i].uid, true);
	return (int)id;
}

void gb_containers_unsubscribe(int id)
{
	if (id >= 0 && (unsigned)id < nsubs)
		subs[id] = (struct gb_container_hooks){0};
}

void gb_containers_free(void)
{
	while (ncontainers)
		container_free(table[--ncontainers]);
	reindex();
	free(subs);
	subs = NULL;
	nsubs = 0;
	filter = (struct gb_container_filter){0};
	nunknown = 0;
	while (nghosts)
		ghost_forget(nghosts - 1);
	gb_runtime_free();
	if (cgroup2_fd >= 0)
		close(cgroup2_fd);
	cgroup2_fd = -2;
	if (proc_fd >= 0)
		close(proc_fd);
	proc_fd = -1;
}

const char *gb_container_state_name(enum gb_container_state state)
{
	static const char *const names[] = {"unknown", "created", "running", "paused", "exited"};

	return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

/* ---- containers that run no more, for listing (never in the table) ---- */

struct exited_walk {
	void (*fn)(void *ctx, const struct gb_container *c);
	void *ctx;
	char (*seen)[GB_CONTAINER_ID_MAX + 1]; /* ids already given (an engine's and containerd's both list it) */
	unsigned nseen, cap;
	int count;
};

static bool exited_seen(struct exited_walk *w, const char *id)
{
	for (unsigned i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i], id))
			return true;
	if (w->nseen == w->cap) {
		unsigned cap = w->cap ? w->cap * 2 : 64;
		void *n = realloc(w->seen, cap * sizeof(*w->seen));
		if (!n)
			return false;
		w->seen = n;
		w->cap = cap;
	}
	snprintf(w->seen[w->nseen++], sizeof(*w->seen), "%s", id);
	return false;
}

static void from_store(void *ctx, const char *id, const char *runtime)
{
	struct exited_walk *w = ctx;

	if (find_id(id) || exited_seen(w, id))
		return; /* a live one (or already listed) */
	struct gb_container_rec *rec = calloc(1, sizeof(*rec));
	struct gb_container *c = &rec->pub;
	if (!rec)
		return;
	snprintf(c->id, sizeof(c->id), "%s", id);
	gb_runtime_describe(c, NULL, runtime);
	/* an engine that still says running, for a container the table does not know: one starting right now,
	 * or a runtime whose init is gone unnoticed; a containerd container without state: created, or its task
	 * deleted */
	if (c->state == GB_STATE_UNKNOWN)
		c->state = GB_STATE_CREATED;
	if (fill_strings(c) && c->state != GB_STATE_RUNNING && c->state != GB_STATE_PAUSED) {
		c->selected = matches(c);
		w->fn(w->ctx, c);
		w->count++;
	}
	container_free(c);
}

int gb_containers_foreach_exited(void (*fn)(void *ctx, const struct gb_container *c), void *ctx)
{
	struct exited_walk w = {.fn = fn, .ctx = ctx};

	gb_runtime_stored_foreach(from_store, &w);
	free(w.seen);
	return w.count;
}

const char *gb_container__display(const struct gb_container *c, char *buf, size_t size)
{
	if (*c->k8s_pod)
		snprintf(buf, size, "%s/%s/%s", c->k8s_namespace, c->k8s_pod, c->k8s_container);
	else if (*c->name && strcmp(c->name, c->id))
		snprintf(buf, size, "%s", c->name);
	else /* named by its id: a generated one (64 hex digits) as docker shortens it; one a user chose (ctr run
	      * IMAGE web, runc run web) whole, as docker's and podman's names are */
		snprintf(buf, size, "%.*s", strspn(c->id, "0123456789abcdef") >= 32 ? 12 : (int)sizeof(c->id), c->id);
	return buf;
}

static void init_node_name(void)
{
	const char *env = getenv("NODE_NAME");
	struct strbuf sb = {0};

	if (env && *env) {
		node_name = env;
		return;
	}
	/* the host's name: its /etc/hostname when we look at it from a container, else ours */
	if (strcmp(gb_host_root(), "/") != 0 && gb_host_read("/etc/hostname", &sb, sizeof(node_buf)) > 0) {
		snprintf(node_buf, sizeof(node_buf), "%.*s", (int)strcspn(sb.buf, "\n"), sb.buf);
	} else if (gethostname(node_buf, sizeof(node_buf) - 1) != 0) {
		node_buf[0] = '\0';
	}
	sb_free(&sb);
	node_name = node_buf;
}

int gb_containers_init(const struct gb_container_filter *f)
{
	if (gb_containers_open(f))
		return -1;
	gb_containers_refresh(GB_REFRESH_FULL | GB_REFRESH_PRUNE);
	return 0;
}

int gb_containers_open(const struct gb_container_filter *f)
{
	if (f)
		filter = *f;
	proc_fd = gb_host_open("/proc", O_RDONLY | O_DIRECTORY);
	if (proc_fd < 0) {
		gb_err("cannot open %s/proc: %s", gb_host_root(), strerror(-proc_fd));
		return -1;
	}
	/* kthreadd (pid 2) always lives in the initial mount namespace; /proc/1/ns may be unreadable */
	host_mntns = ns_inode(2, "mnt");
	if (!host_mntns)
		host_mntns = ns_inode(1, "mnt");
	if (!host_mntns)
		gb_warn_once("cannot tell the host's mount namespace (no access to %s/proc/2/ns/mnt)", gb_host_root());
	init_node_name();
	return 0;
}
