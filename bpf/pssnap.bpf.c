// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pssnap, kernel side: one pass of iter/task over every task of the node, a record per process (or per thread)
 * whose mount namespace passes the container filter, written to the iterator's fd. Nothing is sent while no
 * one reads: the snapshot runs in the reader's read(). PID 1 is hidden from task iterators on some VMs. A zombie
 * counts in its parent's mount namespace (it has left its own); so does a thread-group leader that exited
 * while its other threads run, which then shows under the parent's container.
 *
 * The program is sleepable (iter.s/task) to read each process's argument area from its own address space with
 * bpf_copy_from_user_task(), which may fault pages in, as /proc/PID/cmdline does.
 */
#include "gadget.bpf.h"
#include "mm.bpf.h"
#include "pssnap.h"

const volatile bool all_threads = false;

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_uid = GB_INVALID_UID;

/* a record is larger than the BPF stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ps_record);
} ps_scratch SEC(".maps");

/* The argument area (what /proc/PID/cmdline shows, setproctitle's changes included), at most PS_ARGS_MAX bytes. */
static __always_inline void read_args(struct task_struct *task, struct mm_struct *mm, struct ps_record *r)
{
	unsigned long start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	__u32 len;

	if (end <= start)
		return;
	if (end - start > PS_ARGS_MAX) {
		len = PS_ARGS_MAX;
		r->ps_flags |= PS_ARGS_TRUNCATED;
	} else {
		len = end - start;
	}
	if (len == 0 || len > PS_ARGS_MAX)
		return;
	if (bpf_copy_from_user_task(r->args, len, (void *)start, task, 0)) {
		r->ps_flags |= PS_ARGS_UNREAD;
		return;
	}
	r->args_size = len;
}

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

SEC("iter.s/task")
int ps_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	__u32 zero = 0, tgid, uid;

	if (!task)
		return 0;
	tgid = task->tgid;
	if (targ_tgid && tgid != targ_tgid)
		return 0;
	uid = BPF_CORE_READ(task, cred, uid.val);
	if (targ_uid != GB_INVALID_UID && uid != targ_uid)
		return 0;
	/* a zombie has given up its namespaces: it is its parent's (which reaps it) */
	struct mnt_namespace *mnt = BPF_CORE_READ(task, nsproxy, mnt_ns);
	if (!mnt)
		mnt = BPF_CORE_READ(task, real_parent, nsproxy, mnt_ns);
	__u64 mntns_id = BPF_CORE_READ(mnt, ns.inum), mntns_uid = gb_mnt_uid_read(mnt);
	if (!gb_mntns_allowed(mntns_id, mntns_uid))
		return 0;
	__u64 cpu = BPF_CORE_READ(task, se.sum_exec_runtime);
	if (!all_threads && tgid != (__u32)task->pid) { /* its CPU time counts in its process's */
		struct ps_thread_cpu tc = {.kind = PS_RECORD_THREAD_CPU, .tgid = tgid, .cpu_ns = cpu};
		bpf_seq_write(seq, &tc, sizeof(tc));
		return 0;
	}
	struct ps_record *rp = bpf_map_lookup_elem(&ps_scratch, &zero);
	if (!rp)
		return 0;
	struct ps_record *r = rp;
	__builtin_memset(r, 0, PS_RECORD_FIXED);
	r->proc.pid = tgid;
	r->proc.tid = task->pid;
	r->proc.uid = uid;
	r->proc.mntns_id = mntns_id;
	r->proc.mntns_uid = mntns_uid;
	/* a process: its exited threads' time too (those alive add theirs through PS_RECORD_THREAD_CPU) */
	r->cpu_ns = all_threads ? cpu : cpu + BPF_CORE_READ(task, signal, sum_sched_runtime);
	struct mm_struct *mm = task->mm;
	if (mm) {
		r->rss_pages = gb_mm_rss_pages(mm);
		read_args(task, mm, r);
	}
	r->proc.kind = PS_RECORD_TASK;
	r->proc.gid = BPF_CORE_READ(task, cred, gid.val);
	r->proc.ppid = BPF_CORE_READ(task, real_parent, tgid);
	r->proc.ts_boot_ns = task->start_boottime;
	bpf_probe_read_kernel_str(r->proc.comm, sizeof(r->proc.comm), task->comm);
	r->nstid = pid_nr_own_ns(BPF_CORE_READ(task, thread_pid), NULL);
	r->nspid = pid_nr_own_ns(BPF_CORE_READ(task, group_leader, thread_pid), &r->pidns);
	if (bpf_core_field_exists(task->__state)) {
		r->state = BPF_CORE_READ(task, __state);
	} else { /* before 5.14 */
		struct task_struct___old *old = (void *)task;
		r->state = BPF_CORE_READ(old, state);
	}
	r->exit_state = BPF_CORE_READ(task, exit_state);
	r->nthreads = BPF_CORE_READ(task, signal, nr_threads);
	r->flags = BPF_CORE_READ(task, flags);
	__u32 size = r->args_size;
	if (size > PS_ARGS_MAX)
		size = PS_ARGS_MAX;
	bpf_seq_write(seq, r, PS_RECORD_FIXED + size);
	return 0;
}
