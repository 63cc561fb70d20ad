// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sigsnoop-k8s, kernel side: every signal generated (signal_generate: the sender is the current task), and
 * every kill syscall (kill, tkill, tgkill, pidfd_send_signal, rt_sigqueueinfo, rt_tgsigqueueinfo) that failed
 * before generating one (their syscall tracepoints; they also mark the signals a kill syscall sends, for -k).
 *
 * The OOM killer's SIGKILL is generated just before oom:mark_victim names its victim: a SIGKILL from the
 * kernel is held here until mark_victim (sent with the reason oom) or the end of its target (sent as it was).
 */
#include "gadget.bpf.h"
#include "sigcause.bpf.h"
#include "sigsnoop.h"

const volatile __u32 targ_tgid = 0; /* only signals sent by or to this process (0: any) */
const volatile __u64 targ_sigs = 0; /* bit N-1: only signal N (0: every signal) */
const volatile bool failed_only = false;
const volatile bool kill_only = false; /* only signals sent by kill(), tkill(), tgkill() */
/* this architecture's numbers of the kill syscalls that take (pid, sig, ...), set by user space */
const volatile long nr_tkill = -1, nr_tgkill = -1, nr_pidfd_send_signal = -1, nr_rt_sigqueueinfo = -1;

struct kill_call {
	__u32 syscall; /* enum signal_kill_syscall */
	__s32 pid;
	__u32 sig;
	__u32 generated;
};

/* thread id -> the kill syscall it is in */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct kill_call);
} kill_calls SEC(".maps");

/* target tgid -> a SIGKILL from the kernel, until mark_victim or its target's end */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct signal_event);
} held SEC(".maps");

static __always_inline bool sig_wanted(int sig)
{
	return !targ_sigs || gb_sig_in(targ_sigs, sig);
}

SEC("raw_tp/signal_generate")
int BPF_PROG(sig_generate, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct kill_call *k = bpf_map_lookup_elem(&kill_calls, &tid);
	struct signal_event e = {};

	if (!sig_wanted(sig) || (kill_only && !k) || (failed_only && result == SIGNAL_DELIVERED))
		return 0;
	e.target_pid = BPF_CORE_READ(task, tgid);
	if (targ_tgid && e.target_pid != targ_tgid && (pid_tgid >> 32) != targ_tgid)
		return 0;
	struct mnt_namespace *tmnt = BPF_CORE_READ(task, nsproxy, mnt_ns);
	if (tmnt) {
		e.target_mntns_id = BPF_CORE_READ(tmnt, ns.inum);
		e.target_mntns_uid = gb_mnt_uid_read(tmnt);
	}
	struct mnt_namespace *mnt = gb_task_mnt(cur);
	/* a signal passes if its sender or its target does */
	if (!gb_ns_allowed(mnt, mnt->ns.inum) && !(tmnt && gb_mntns_allowed(e.target_mntns_id, e.target_mntns_uid)))
		return 0;
	gb_fill_proc(&e.proc, cur, mnt);
	gb_sig_facts_fill(&e.f, sig, info, group);
	if (cur->flags & 0x4 /* PF_EXITING */)
		e.f.flags |= GB_SIG_SENDER_EXITING;
	e.target_tid = BPF_CORE_READ(task, pid);
	BPF_CORE_READ_STR_INTO(&e.target_comm, task, comm);
	e.result = result;
	if (sig >= 1 && sig <= 64 && (BPF_CORE_READ(task, blocked.sig[0]) >> (sig - 1)) & 1)
		e.f.flags |= GB_SIG_BLOCKED;
	if (k) {
		k->generated = 1;
		e.f.flags |= GB_SIG_KILL_SYSCALL;
		e.kill_syscall = k->syscall;
		e.kill_pid = k->pid;
	}
	if (sig == GB_SIGKILL && e.f.code == GB_SI_KERNEL && result == SIGNAL_DELIVERED &&
	    !bpf_map_update_elem(&held, &e.target_pid, &e, BPF_ANY))
		return 0;
	gb_output(&e, sizeof(e));
	return 0;
}

SEC("raw_tp/mark_victim")
int BPF_PROG(sig_oom, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct signal_event *e = bpf_map_lookup_elem(&held, &tgid);

	if (!e)
		return 0;
	gb_oom_fill(&e->f, task);
	gb_output(e, sizeof(*e));
	bpf_map_delete_elem(&held, &tgid);
	return 0;
}

/* A held SIGKILL whose target ends without mark_victim: not the OOM killer's */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(sig_target_exit, struct task_struct *p)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct signal_event *e = bpf_map_lookup_elem(&held, &tgid);

	if (!e)
		return 0;
	gb_output(e, sizeof(*e));
	bpf_map_delete_elem(&held, &tgid);
	return 0;
}

static __always_inline int kill_enter(__u32 syscall, __s32 pid, __u32 sig)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kill_call k = {.syscall = syscall, .pid = pid, .sig = sig};

	if (sig > 64 || (sig && !sig_wanted(sig)))
		return 0;
	bpf_map_update_elem(&kill_calls, &tid, &k, BPF_ANY);
	return 0;
}

/* The call is remembered for the signal it generates and its exit. One program for the calls whose pid and
 * signal are their first two arguments, one for tgkill and rt_tgsigqueueinfo (tgid, tid, sig): a program
 * attached to several tracepoints may not read past the shortest record. */
SEC("tracepoint/syscalls/sys_enter_kill")
int tp_enter_kill(struct trace_event_raw_sys_enter *ctx)
{
	long id = ctx->id;
	__u32 syscall = id == nr_tkill		     ? SIGNAL_SYS_TKILL
			: id == nr_pidfd_send_signal ? SIGNAL_SYS_PIDFD_SEND_SIGNAL
			: id == nr_rt_sigqueueinfo   ? SIGNAL_SYS_RT_SIGQUEUEINFO
						     : SIGNAL_SYS_KILL;

	return kill_enter(syscall, ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_tgkill")
int tp_enter_tgkill(struct trace_event_raw_sys_enter *ctx)
{
	return kill_enter(ctx->id == nr_tgkill ? SIGNAL_SYS_TGKILL : SIGNAL_SYS_RT_TGSIGQUEUEINFO, ctx->args[1],
			  ctx->args[2]);
}

/* A call that generated no signal and failed (ESRCH, EPERM, EINVAL) is an event of its own. */
SEC("tracepoint/syscalls/sys_exit_kill")
int tp_exit_kill(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct kill_call *k = bpf_map_lookup_elem(&kill_calls, &tid);
	struct signal_event e = {};

	if (!k)
		return 0;
	if (k->generated || ctx->ret >= 0 || (!k->sig && !kill_only))
		goto out;
	if (targ_tgid && (pid_tgid >> 32) != targ_tgid && k->pid != (__s32)targ_tgid)
		goto out;
	struct mnt_namespace *mnt = gb_task_mnt(cur);
	if (!gb_ns_allowed(mnt, mnt->ns.inum))
		goto out;
	gb_fill_proc(&e.proc, cur, mnt);
	e.f.sig = k->sig;
	e.f.flags = GB_SIG_KILL_SYSCALL;
	e.result = SIGNAL_SYSCALL_FAILED;
	e.kill_ret = ctx->ret;
	e.kill_pid = k->pid;
	e.kill_syscall = k->syscall;
	gb_output(&e, sizeof(e));
out:
	bpf_map_delete_elem(&kill_calls, &tid);
	return 0;
}
