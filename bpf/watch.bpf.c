// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The context's watch for new containers (common/containers/watch.c). A container's runtime makes its mount namespace
 * (crun clones into it, runc unshares it), writes its state (`runc create`), then lets the program exec
 * (`runc start`). User space is woken at the namespace's birth, and again at each exec in a namespace the
 * filter does not know: it reads the runtime's state and /proc while the process lives, and keeps reading for
 * a moment while the state is not there yet. A container that lives a millisecond is known before it ends.
 * Nothing waits for user space: a stopped or dead gadgetbox delays no fork, unshare or exec.
 * Cost: a hash lookup per exec, two reads per fork (a lookup only for a fork into a new mount namespace).
 */
#include "gadget.bpf.h"

static __always_inline void tell(__u32 tgid, __u64 mntns_id, __u64 uid)
{
	struct gb_new_ns rec = {.kind = GB_RECORD_NEW_NS, .pid = tgid, .mntns_id = mntns_id, .mntns_uid = uid};

	if (!gb_state.armed || gb_state.stopped)
		return;
	/* rare (namespaces being made, the first execs of one until user space has classified it): worth a
	 * wake-up each */
	if (bpf_ringbuf_output(&gb_events, &rec, sizeof(rec), BPF_RB_FORCE_WAKEUP))
		gb_count_drop();
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
		tell(bpf_get_current_pid_tgid() >> 32, mntns_id, gb_mnt_uid(mnt));
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
		tell(BPF_CORE_READ(child, tgid), mntns_id, uid);
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
		tell(bpf_get_current_pid_tgid() >> 32, mntns_id, gb_mnt_uid(mnt));
	return 0;
}
