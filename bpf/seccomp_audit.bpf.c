// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * seccomp-audit, kernel side: what a seccomp filter refused, without kprobes (the kernel's audit_seccomp()).
 *
 * - SECCOMP_RET_ERRNO: the filter runs before the sys_enter tracepoint, so a refused syscall shows as a
 *   sys_exit that had no sys_enter, its return value the errno the filter chose. Both programs return after
 *   one load (task->seccomp.mode) for a task without a filter: the cost of the node's other syscalls is that
 *   of two raw tracepoints. A task under a filter keeps one flag in task storage: set at sys_enter, cleared
 *   at sys_exit.
 * - KILL_PROCESS and TRAP: the filter sends SIGSYS (code SYS_SECCOMP) to the task, whose seccomp mode it
 *   first sets to SECCOMP_MODE_DEAD for a kill; KILL_THREAD of a thread that is not the last one calls
 *   do_exit(SIGSYS) without a signal: a task that exits marked dead and was not signalled.
 * - LOG: the syscall runs; the kernel's audit record (type=1326) is read from the kernel log in user space.
 *   For it, the identity of filtered processes that exit is kept a moment (sa_gone): the record often comes
 *   after the process ended.
 */
#include "gadget.bpf.h"
#include "seccomp_audit.h"

#define SECCOMP_MODE_FILTER 2
#define SECCOMP_MODE_DEAD   3 /* kernel/seccomp.c: set before a kill */
#define SIGSYS		    31
#define SYS_SECCOMP	    1

const volatile __u32 targ_tgid = 0;
/* user space sets it when log events are wanted (sa_gone is filled only then) */
const volatile bool keep_gone = false;

struct sa_task {
	__u32 entered; /* sys_enter ran for the syscall in progress */
	__u32 killed;  /* a kill was reported at its SIGSYS */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sa_task);
} sa_tasks SEC(".maps");

/* tgid of a process under a filter that exited → who it was (for the kernel log's records, which name a pid) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct gb_proc);
} sa_gone SEC(".maps");

/* x86-64 keeps the syscall's number in orig_ax, arm64 in syscallno */
struct pt_regs___sa_x86 {
	unsigned long orig_ax;
} __attribute__((preserve_access_index));

struct pt_regs___sa_arm64 {
	int syscallno;
} __attribute__((preserve_access_index));

static __always_inline __u32 regs_syscall_nr(void *regs)
{
	if (bpf_core_field_exists(((struct pt_regs___sa_x86 *)regs)->orig_ax))
		return (__u32)BPF_CORE_READ((struct pt_regs___sa_x86 *)regs, orig_ax);
	return (__u32)BPF_CORE_READ((struct pt_regs___sa_arm64 *)regs, syscallno);
}

static __always_inline void report(struct task_struct *task, __u32 nr, bool compat, __u32 action, __s32 data)
{
	struct sa_event e = {};

	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return;
	struct mnt_namespace *mnt = gb_task_mnt(task);
	if (!gb_ns_allowed(mnt, mnt->ns.inum))
		return;
	gb_fill_proc(&e.proc, task, mnt);
	e.nr = nr;
	e.action = action;
	e.data = data;
	e.flags = compat ? SA_COMPAT : 0;
	gb_output(&e, sizeof(e));
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sa_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->seccomp.mode != SECCOMP_MODE_FILTER)
		return 0;
	struct sa_task *s = bpf_task_storage_get(&sa_tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (s)
		s->entered = 1;
	return 0;
}

/* Attached after sa_enter (user space): an exit program alone would take every syscall for a refused one. */
SEC("raw_tp/sys_exit")
int BPF_PROG(sa_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->seccomp.mode != SECCOMP_MODE_FILTER)
		return 0; /* no filter; or a kill (reported at its signal) */
	struct sa_task *s = bpf_task_storage_get(&sa_tasks, task, 0, 0);
	if (!s) {
		/*
		 * The first exit of this task we see: the syscall may have begun before we attached, before its
		 * filter was installed (another thread's, with TSYNC), or be a new task's return from clone. Not
		 * told; from now on every exit is.
		 */
		bpf_task_storage_get(&sa_tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		return 0;
	}
	if (s->entered) {
		s->entered = 0;
		return 0;
	}
	/* a trap or kill rolls the registers back (ret is the syscall's number) and is seen at its signal;
	 * an errno outside the kernel's range is no errno */
	if (ret >= 0 || ret < -4095)
		return 0;
	report(task, regs_syscall_nr(regs), gb_in_ia32_syscall(), SA_ERRNO, (__s32)-ret);
	return 0;
}

SEC("raw_tp/signal_generate")
int BPF_PROG(sa_signal, int sig, struct kernel_siginfo *info, struct task_struct *target)
{
	if (sig != SIGSYS || (unsigned long)info <= 1) /* SEND_SIG_NOINFO, SEND_SIG_PRIV: no siginfo */
		return 0;
	if (BPF_CORE_READ(info, si_code) != SYS_SECCOMP)
		return 0;
	/* the filter signals the task that made the syscall (compared as numbers: the verifier would take the
	 * trusted pointer for the untyped one it equals) */
	if ((__u64)target != bpf_get_current_task())
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 nr = BPF_CORE_READ(info, _sifields._sigsys._syscall);
	bool compat = BPF_CORE_READ(info, _sifields._sigsys._arch) == GB_AUDIT_ARCH_I386;
	__s32 data = BPF_CORE_READ(info, si_errno);
	if (task->seccomp.mode == SECCOMP_MODE_DEAD) {
		struct sa_task *s = bpf_task_storage_get(&sa_tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (s)
			s->killed = 1;
		report(task, nr, compat, SA_KILL_PROCESS, data);
	} else {
		report(task, nr, compat, SA_TRAP, data);
	}
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(sa_task_exit, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	int mode = task->seccomp.mode;

	if (mode == SECCOMP_MODE_DEAD) {
		struct sa_task *s = bpf_task_storage_get(&sa_tasks, task, 0, 0);
		if (!s || !s->killed)
			report(task, regs_syscall_nr((void *)bpf_task_pt_regs(task)), gb_in_ia32_syscall(),
			       SA_KILL_THREAD, 0);
	}
	if (keep_gone && mode >= SECCOMP_MODE_FILTER) {
		__u64 pid_tgid = bpf_get_current_pid_tgid();
		if ((__u32)pid_tgid != pid_tgid >> 32)
			return 0; /* the process ends with its main thread */
		struct gb_proc who = {};
		struct mnt_namespace *mnt = gb_task_mnt(task);
		gb_fill_proc(&who, task, mnt);
		bpf_map_update_elem(&sa_gone, &who.pid, &who, BPF_ANY);
	}
	return 0;
}
