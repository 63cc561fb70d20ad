/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --ppid and --tree for the exec and open programs (include after gadget.bpf.h; user space:
 * common/gadgets/proctree.c).
 *
 * --tree follows a process's descendants in the kernel as they fork, so a child that forks, execs and exits
 * within microseconds is caught: gb_tree holds the tracked tgids, seeded by user space with the root and its
 * existing descendants; gb_tree_fork adds a child when the process forking it is tracked, gb_tree_exit drops
 * a process when its last thread exits (its pid may be reused by anyone). Both are loaded only with --tree:
 * sched_process_fork and sched_process_exit then run for every fork and exit of the node.
 */
#ifndef GADGETBOX_PROCTREE_BPF_H
#define GADGETBOX_PROCTREE_BPF_H

#define GB_TREE_MAX 16384

const volatile __u32 targ_ppid = 0;    /* only processes whose parent is this tgid (0: any) */
const volatile bool targ_tree = false; /* only the processes of gb_tree */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* costs nothing at load when unused */
	__uint(max_entries, GB_TREE_MAX);
	__type(key, __u32);
	__type(value, __u8);
} gb_tree SEC(".maps");

/* Whether the current task (@task, process @tgid) passes --ppid and --tree. */
static __always_inline bool gb_tree_allowed(struct task_struct *task, __u32 tgid)
{
	if (targ_ppid && (__u32)BPF_CORE_READ(task, real_parent, tgid) != targ_ppid)
		return false;
	return !targ_tree || bpf_map_lookup_elem(&gb_tree, &tgid);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(gb_tree_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	/* a new thread (same tgid) changes nothing */
	if (ptgid != ctgid && bpf_map_lookup_elem(&gb_tree, &ptgid))
		bpf_map_update_elem(&gb_tree, &ctgid, &one, BPF_ANY);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(gb_tree_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	/* signal->live counts the group's threads still running; do_exit() decrements it before this tracepoint */
	if (!BPF_CORE_READ(task, signal, live.counter))
		bpf_map_delete_elem(&gb_tree, &tgid);
	return 0;
}

#endif
