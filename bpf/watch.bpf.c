// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The context's watch for new containers (common/containers/watch.c). A container's runtime makes its mount namespace
 * (crun clones into it, runc unshares it), writes its state (`runc create`), then lets the program exec
 * (`runc start`). User space is woken at the namespace's birth, and again at each exec in a namespace the
 * filter does not know: it reads the runtime's state and /proc while the process lives, and keeps reading for
 * a moment while the state is not there yet. A container that lives a millisecond is known before it ends.
 * Nothing waits for user space: a stopped or dead gadgetbox delays no fork, unshare or exec.
 * Cost: a hash lookup per exec, two reads per fork (a lookup only for a fork into a new mount namespace); the
 * record, with the cgroup's names, only for a namespace the filter does not know.
 */
#include "gadget.bpf.h"

/* kernfs_node's parent was renamed __parent in Linux 6.15 */
struct kernfs_node___new {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node___new, __parent))
		return BPF_CORE_READ((struct kernfs_node___new *)kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

static __always_inline void tell(struct task_struct *task, __u32 tgid, __u64 mntns_id, __u64 uid, __u32 exec)
{
	struct gb_new_ns *rec;

	if (!gb_state.armed || gb_state.stopped)
		return;
	rec = bpf_ringbuf_reserve(&gb_events, sizeof(*rec), 0);
	if (!rec) {
		gb_count_drop();
		return;
	}
	rec->kind = GB_RECORD_NEW_NS;
	rec->pid = tgid;
	rec->mntns_id = mntns_id;
	rec->mntns_uid = uid;
	rec->exec = exec;
	rec->pad = 0;
	/* the cgroup's name and its parents' up to (not including) the root, whose node has no parent */
	struct kernfs_node *kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
#pragma unroll
	for (int i = 0; i < GB_CGROUP_DEPTH; i++) {
		struct kernfs_node *parent = kn ? kn_parent(kn) : NULL;
		rec->cgroup[i][0] = '\0';
		if (parent)
			bpf_probe_read_kernel_str(rec->cgroup[i], GB_CGROUP_NAME_LEN, BPF_CORE_READ(kn, name));
		kn = parent;
	}
	/* rare (namespaces being made, the first execs of one until user space has classified it): worth a
	 * wake-up each */
	bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(gb_watch_exec, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mnt_namespace *mnt = gb_task_mnt(task);
	__u64 mntns_id = mnt->ns.inum;

	struct gb_ns_entry *e = gb_ns_entry(mnt, mntns_id);

	/* unknown; or a new container known before its program ran: the program's first events are on their way,
	 * and the loop may be polling slowly (nothing happened since it was found) */
	if (!e || e->fresh) {
		if (e)
			e->fresh = 0;
		tell(task, bpf_get_current_pid_tgid() >> 32, mntns_id, gb_mnt_uid(mnt), 1);
	}
	return 0;
}

/* A child in a mount namespace of its own (clone with CLONE_NEWNS: crun, podman's conmon, sandboxes). */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(gb_watch_fork, struct task_struct *parent, struct task_struct *child)
{
	struct mnt_namespace *mnt = BPF_CORE_READ(child, nsproxy, mnt_ns);
	__u64 mntns_id = BPF_CORE_READ(mnt, ns.inum);

	if (!mnt || mntns_id == BPF_CORE_READ(parent, nsproxy, mnt_ns, ns.inum))
		return 0;
	__u64 uid = gb_mnt_uid_read(mnt);
	if (!gb_ns_entry_of(mntns_id, uid))
		tell(child, BPF_CORE_READ(child, tgid), mntns_id, uid, 0);
	return 0;
}

/* A process that unshared its mount namespace (runc init does, before it sets the container's root up). */
SEC("tracepoint/syscalls/sys_exit_unshare")
int gb_watch_unshare(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mnt_namespace *mnt = gb_task_mnt(task);
	__u64 mntns_id = mnt->ns.inum;

	if (ctx->ret == 0 && gb_ns_verdict(mnt, mntns_id) == GB_NS_UNKNOWN)
		tell(task, bpf_get_current_pid_tgid() >> 32, mntns_id, gb_mnt_uid(mnt), 0);
	return 0;
}
