#include "container.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* cgroup id → container, cached: a container's cgroup outlives its short-lived processes. */
#define CACHE_SIZE 4096

struct cache_entry {
	uint64_t cgroup_id; /* 0 = empty slot */
	bool is_container;
	bool is_root; /* the cgroup2 root: processes here may still be in a v1-only container */
	struct gb_container c;
};

static struct cache_entry cache[CACHE_SIZE];

static void container_init(struct gb_container *c)
{
	memset(c, 0, sizeof(*c));
	c->runtime = c->name = c->image = c->node = c->namespace_ = c->pod = c->k8s_container = "";
}

static struct cache_entry *cache_fill(uint64_t cgroup_id)
{
	struct cache_entry *e = &cache[(cgroup_id * 0x9e3779b97f4a7c15ull) >> 52];
	char path[4096];

	if (e->cgroup_id == cgroup_id)
		return e;
	e->cgroup_id = cgroup_id;
	container_init(&e->c);
	e->is_root = false;
	e->is_container = false;
	if (gb_cgroup_path_by_id(cgroup_id, path, sizeof(path)) == 0) {
		e->is_container = gb_cgroup_container_id(path, strlen(path), e->c.id) == 0;
		/* on a cgroup v1 host every process sits in the v2 root; /proc/PID/cgroup tells more */
		e->is_root = !strcmp(path, "/");
	} else {
		e->cgroup_id = 0; /* not resolvable now: try again next time */
	}
	return e;
}

static bool container_from_proc(uint32_t pid, struct gb_container *c)
{
	char file[64], buf[4096];

	snprintf(file, sizeof(file), "/proc/%u/cgroup", pid);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	container_init(c);
	return n > 0 && gb_cgroup_container_id_from_proc(buf, n, c->id) == 0;
}

const struct gb_container *gb_container_of(const struct gb_proc *p)
{
	static struct gb_container from_proc;
	struct cache_entry *e = cache_fill(p->cgroup_id);

	if (e->is_container)
		return &e->c;
	if (e->cgroup_id == 0 || e->is_root)
		return container_from_proc(p->pid, &from_proc) ? &from_proc : NULL;
	return NULL;
}
