/* --ppid and --tree of the exec and open tracers: user space (proctree.h). */
#include "proctree.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "containers.h"
#include "diag.h"
#include "hostroot.h"
#include "tracer.h"

/* The parent's pid of a process of the host's /proc (0: gone). */
static uint32_t parent_of(uint32_t pid)
{
	char buf[512];

	if (gb_proc_read(pid, "stat", buf, sizeof(buf)) < 0)
		return 0;
	const char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses: "PID (COMM) S PPID ..." */
	return p ? (uint32_t)strtoul(p + 4, NULL, 10) : 0;
}

int gb_proctree_check(const char *fn, uint32_t tree_pid)
{
	char buf[512];

	if (tree_pid && gb_proc_read(tree_pid, "stat", buf, sizeof(buf)) < 0) {
		gb_err("%s: no process %u to follow (tree_pid)", fn, tree_pid);
		return -ESRCH;
	}
	return 0;
}

void gb_proctree_configure(struct bpf_object *obj, bool tree)
{
	static const char *const progs[] = {"gb_tree_fork", "gb_tree_exit"};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, progs[i]);
		if (p)
			bpf_program__set_autoload(p, tree);
	}
}

struct proc_link {
	uint32_t pid, ppid;
};

/* Every process of the host's /proc with its parent, into @v (@n of them). 0 or a negative errno. */
static int read_links(struct proc_link **v, size_t *n)
{
	DIR *d = gb_host_opendir("/proc");
	size_t cap = 0;
	struct dirent *de;

	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		if (*end || !pid)
			continue;
		if (*n == cap) {
			struct proc_link *nv = realloc(*v, (cap = cap ? 2 * cap : 512) * sizeof(**v));
			if (!nv) {
				closedir(d);
				return -ENOMEM;
			}
			*v = nv;
		}
		(*v)[*n] = (struct proc_link){(uint32_t)pid, parent_of((uint32_t)pid)};
		*n += (*v)[*n].ppid != 0;
	}
	closedir(d);
	return 0;
}

/*
 * The fork program is attached already: a process forked from now on by a tracked one is added by the kernel.
 * Those forked before are found here, from /proc; a child forked between its parent's start and the moment
 * this walk adds the parent is in /proc by then, so a second walk finds it.
 */
int gb_proctree_seed(struct gb_tracer *t, uint32_t tree_pid)
{
	int fd = tree_pid ? bpf_object__find_map_fd_by_name(t->obj, "gb_tree") : -1;
	struct proc_link *v = NULL;
	uint8_t one = 1, val;
	size_t n = 0;
	int err = 0;

	if (!tree_pid)
		return 0;
	if (fd < 0 || bpf_map_update_elem(fd, &tree_pid, &one, BPF_ANY)) {
		err = fd < 0 ? fd : -errno;
		gb_err("cannot follow the process tree of %u: %s", tree_pid, strerror(-err));
		return err;
	}
	for (int walk = 0; walk < 2 && !err; walk++) {
		if ((err = read_links(&v, &n)))
			break;
		/* parents before children is not the order of /proc: add until nothing changes */
		for (bool added = true; added;) {
			added = false;
			for (size_t i = 0; i < n; i++) {
				if (bpf_map_lookup_elem(fd, &v[i].ppid, &val) ||
				    !bpf_map_lookup_elem(fd, &v[i].pid, &val))
					continue;
				if (bpf_map_update_elem(fd, &v[i].pid, &one, BPF_ANY) == 0)
					added = true;
			}
		}
	}
	free(v);
	if (err)
		gb_err("cannot read the process tree of %u: %s", tree_pid, strerror(-err));
	return err;
}
