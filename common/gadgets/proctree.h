/*
 * --ppid and --tree of the exec and open tracers (the kernel side: bpf/proctree.bpf.h): the options into an
 * object's rodata, the fork and exit programs loaded only for --tree, and the tree seeded with the root
 * process and the descendants it has when the tracer starts.
 */
#ifndef GADGETBOX_PROCTREE_H
#define GADGETBOX_PROCTREE_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stdint.h>

struct gb_tracer;

/* Before load: whether the tree's root (@tree_pid, 0: no tree) exists. 0, or -ESRCH after logging (@fn). */
int gb_proctree_check(const char *fn, uint32_t tree_pid);
/* Before load: gb_tree_fork and gb_tree_exit are loaded (and attached) only for a tree. */
void gb_proctree_configure(struct bpf_object *obj, bool tree);
#define GB_PROCTREE_CONFIGURE(skel, ppid, tree_pid)                                                                    \
	do {                                                                                                           \
		(skel)->rodata->targ_ppid = (ppid);                                                                    \
		(skel)->rodata->targ_tree = (tree_pid) != 0;                                                           \
		gb_proctree_configure((skel)->obj, (tree_pid) != 0);                                                   \
	} while (0)
/* Once the fork program is attached (a tracer's ops->attach), before the programs that filter: the root and
 * its descendants into gb_tree. 0, or a negative errno after logging. */
int gb_proctree_seed(struct gb_tracer *t, uint32_t tree_pid);

#endif
