// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pssnap, kernel side: one pass of iter/task over every task of the node, a record per process (or per thread)
 * whose mount namespace passes the container filter, written to the iterator's fd. Nothing is sent while no
 * one reads: the snapshot runs in the reader's read(). PID 1 is hidden from task iterators on some VMs. A zombie
 * counts in its parent's mount namespace (it has left its own); so does a thread-group leader that exited
 * while its other threads run, which then shows under the parent's container.
 */
#include "gadget.bpf.h"
#include "pssnap.h"

const volatile bool all_threads = false;

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_uid = GB_INVALID_UID;

/* The number of a struct pid in its own (deepest) namespace, and that namespace's inode. */
static __always_inline __u32 pid_nr_own_ns(struct pid *pid, __u64 *ns_inum)
{
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	if (level > 32) /* MAX_PID_NS_LEVEL */
		level = 32;
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level]);
	if (ns_inum)
		*ns_inum = BPF_CORE_READ(up.ns, ns.inum);
	return up.nr;
}

SEC("iter/task")
int ps_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct ps_record r = {};

	if (!task)
		return 0;
	r.proc.pid = task->tgid;
	r.proc.tid = task->pid;
	if (!all_threads && r.proc.pid != r.proc.tid)
		return 0;
	if (targ_tgid && r.proc.pid != targ_tgid)
		return 0;
	r.proc.uid = BPF_CORE_READ(task, cred, uid.val);
	if (targ_uid != GB_INVALID_UID && r.proc.uid != targ_uid)
		return 0;
	/* a zombie has given up its namespaces: it is its parent's (which reaps it) */
	struct mnt_namespace *mnt = BPF_CORE_READ(task, nsproxy, mnt_ns);
	if (!mnt)
		mnt = BPF_CORE_READ(task, real_parent, nsproxy, mnt_ns);
	r.proc.mntns_id = BPF_CORE_READ(mnt, ns.inum);
	r.proc.mntns_uid = gb_mnt_uid_read(mnt);
	if (!gb_mntns_allowed(r.proc.mntns_id, r.proc.mntns_uid))
		return 0;
	r.proc.kind = GB_RECORD_EVENT;
	r.proc.gid = BPF_CORE_READ(task, cred, gid.val);
	r.proc.ppid = BPF_CORE_READ(task, real_parent, tgid);
	r.proc.ts_boot_ns = task->start_boottime;
	bpf_probe_read_kernel_str(r.proc.comm, sizeof(r.proc.comm), task->comm);
	r.nstid = pid_nr_own_ns(BPF_CORE_READ(task, thread_pid), NULL);
	r.nspid = pid_nr_own_ns(BPF_CORE_READ(task, group_leader, thread_pid), &r.pidns);
	if (bpf_core_field_exists(task->__state)) {
		r.state = BPF_CORE_READ(task, __state);
	} else { /* before 5.14 */
		struct task_struct___old *old = (void *)task;
		r.state = BPF_CORE_READ(old, state);
	}
	r.exit_state = BPF_CORE_READ(task, exit_state);
	r.nthreads = BPF_CORE_READ(task, signal, nr_threads);
	r.flags = BPF_CORE_READ(task, flags);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}
