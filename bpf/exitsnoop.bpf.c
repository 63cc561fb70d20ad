// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * exitsnoop-k8s, kernel side: every process exit, with why it died.
 *
 * The cause is joined in the kernel. A signal that will end its target (SIGKILL, or one it leaves at a
 * default action that kills), or a stop request it handles (SIGTERM, SIGINT, SIGHUP, SIGQUIT: a graceful
 * stop, when it exits afterwards) is remembered per process as it is generated (signal_generate: the sender is
 * the current task, or the kernel for a fault, a seccomp kill, the OOM killer); oom:mark_victim, which follows
 * the OOM killer's SIGKILL, adds the victim's memory and its cgroup's limit; the process's exit
 * (sched_process_exit, when its last thread goes) sends the event with the remembered signal if that is the
 * one it died of. All three are tracepoints: no kprobes.
 */
#include "gadget.bpf.h"
#include "sigcause.bpf.h"
#include "exitsnoop.h"

#define SIGNAL_GROUP_EXIT 0x4

const volatile __u32 targ_tgid = 0;
const volatile bool trace_threads = false;
const volatile bool failed_only = false;

/* tgid -> the last signal generated for it that would end it or asked it to stop (deleted when it exits) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct gb_sig_cause);
} causes SEC(".maps");

SEC("raw_tp/signal_generate")
int BPF_PROG(exit_signal, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result)
{
	struct gb_sig_cause c = {};
	__u32 tgid;

	if (result != 0 || !gb_sig_may_end(sig, task)) /* not delivered (ignored, pending already), or harmless */
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	if (targ_tgid && tgid != targ_tgid)
		return 0;
	struct mnt_namespace *mnt = BPF_CORE_READ(task, nsproxy, mnt_ns);
	if (mnt && !gb_mntns_allowed(BPF_CORE_READ(mnt, ns.inum), gb_mnt_uid_read(mnt)))
		return 0;
	gb_sig_facts_fill(&c.f, sig, info, group);
	gb_sig_sender_fill(&c, bpf_get_current_task_btf());
	bpf_map_update_elem(&causes, &tgid, &c, BPF_ANY);
	return 0;
}

/* The OOM killer sent @task SIGKILL a moment ago (in this same call) */
SEC("raw_tp/mark_victim")
int BPF_PROG(exit_oom, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct gb_sig_cause *c = bpf_map_lookup_elem(&causes, &tgid);

	if (!c) { /* its SIGKILL was pending already, or the signal was not seen */
		struct gb_sig_cause n = {.f = {.sig = GB_SIGKILL, .code = GB_SI_KERNEL}};
		if (targ_tgid && tgid != targ_tgid)
			return 0;
		gb_sig_sender_fill(&n, bpf_get_current_task_btf());
		bpf_map_update_elem(&causes, &tgid, &n, BPF_NOEXIST);
		if (!(c = bpf_map_lookup_elem(&causes, &tgid)))
			return 0;
	}
	gb_oom_fill(&c->f, task);
	return 0;
}

/* Attached before the container-end program (gadget.bpf.h), so a container's init is labelled as its own. */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_exit, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf(); /* @p, as a BTF pointer */
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct signal_struct *sig = task->signal;
	/* signal->live counts the group's threads still running; do_exit() decrements it before this tracepoint */
	bool last = !sig->live.counter;
	struct gb_sig_cause *c = last ? bpf_map_lookup_elem(&causes, &tgid) : NULL;
	struct exit_event e = {};
	__u32 size = EXIT_EVENT_SIZE_NO_CAUSE;

	if ((!last && !trace_threads) || (targ_tgid && tgid != targ_tgid))
		goto out;
	struct mnt_namespace *mnt = gb_task_mnt(task);
	if (!gb_ns_allowed(mnt, mnt->ns.inum))
		goto out;
	/* what wait() reports: a group exit (exit_group(), a fatal signal) sets the group's code; else the
	 * leader's own, for the process (the last thread may not be the leader) */
	if (sig->flags & SIGNAL_GROUP_EXIT)
		e.status = sig->group_exit_code;
	else
		e.status = last ? task->group_leader->exit_code : task->exit_code;
	if (failed_only && !e.status)
		goto out;
	gb_fill_proc(&e.proc, task, mnt);
	e.age_ns = bpf_ktime_get_ns() - (last ? task->group_leader->start_time : task->start_time);
	e.flags = last ? 0 : EXIT_THREAD;
	/* the signal it died of, or the stop request it handled before it exited */
	if (c && ((e.status & 0x7f) ? (e.status & 0x7f) == c->f.sig : gb_sig_in(GB_SIG_STOP_MASK, c->f.sig))) {
		e.cause = *c;
		e.flags |= EXIT_CAUSE;
		size = sizeof(e);
	}
	gb_output(&e, size);
out:
	if (c)
		bpf_map_delete_elem(&causes, &tgid);
	return 0;
}
