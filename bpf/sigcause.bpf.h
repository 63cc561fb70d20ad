/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading a signal as the kernel generates it (signal:signal_generate) and an OOM kill (oom:mark_victim), for
 * exitsnoop and sigsnoop (include after gadget.bpf.h). No kprobes: both are tracepoints, read as raw ones
 * (their arguments are the kernel's own pointers, read with CO-RE).
 */
#ifndef GADGETBOX_SIGCAUSE_BPF_H
#define GADGETBOX_SIGCAUSE_BPF_H

#include "mm.bpf.h"
#include "sigcause.h"

#define GB_SIGKILL 9
#define GB_SIGSYS  31
/* Signals whose default action does not end the process: SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN,
 * SIGTTOU, SIGURG, SIGWINCH. */
#define GB_SIG_NONFATAL_MASK                                                                                           \
	((1ULL << 16) | (1ULL << 17) | (1ULL << 18) | (1ULL << 19) | (1ULL << 20) | (1ULL << 21) | (1ULL << 22) |      \
	 (1ULL << 27))
/* SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV: si_addr is the fault's address when the kernel sends them */
#define GB_SIG_FAULT_MASK ((1ULL << 3) | (1ULL << 4) | (1ULL << 6) | (1ULL << 7) | (1ULL << 10))
/* The kernel's PAGE_COUNTER_MAX: a memory cgroup without a limit */
#define GB_PAGE_COUNTER_MAX (0x7fffffffffffffffULL / 4096)

const volatile __u32 gb_page_size = 4096;

static __always_inline bool gb_sig_in(__u64 mask, int sig)
{
	return sig >= 1 && sig <= 64 && (mask >> (sig - 1)) & 1;
}

/* SIGHUP, SIGINT, SIGQUIT, SIGTERM: what asks a process to stop (a process that handles one and then exits
 * stopped on request) */
#define GB_SIG_STOP_MASK ((1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 14))

/* The handler @task's process has for @sig: 0 SIG_DFL, 1 SIG_IGN, else a function. */
static __always_inline unsigned long gb_sig_handler(int sig, struct task_struct *task)
{
	struct sighand_struct *sh = BPF_CORE_READ(task, sighand);
	unsigned long handler = 1;

	if (sh && sig >= 1 && sig <= 64)
		bpf_core_read(&handler, sizeof(handler), &sh->action[(sig - 1) & 63].sa.sa_handler);
	return handler;
}

/* Whether @sig, generated now for @task, will end its process unless something changes its disposition
 * (SIGKILL, or a signal whose default action kills and that @task's process leaves at the default), or asks
 * it to stop and is handled (then an exit that follows is a stop on request). */
static __always_inline bool gb_sig_may_end(int sig, struct task_struct *task)
{
	unsigned long handler;

	if (sig == GB_SIGKILL)
		return true;
	if (sig < 1 || sig > 64 || gb_sig_in(GB_SIG_NONFATAL_MASK, sig))
		return false;
	handler = gb_sig_handler(sig, task);
	return handler == 0 || (handler != 1 && gb_sig_in(GB_SIG_STOP_MASK, sig));
}

/* The signal's facts from the tracepoint's arguments. @info may be the kernel's SEND_SIG_NOINFO (0: from a
 * process, no details) or SEND_SIG_PRIV (1: from the kernel), as the tracepoint itself reads them. */
static __always_inline void gb_sig_facts_fill(struct gb_sig_facts *f, int sig, struct kernel_siginfo *info, int group)
{
	f->sig = sig;
	f->flags = group ? GB_SIG_GROUP : 0;
	f->code = GB_SI_USER;
	if ((unsigned long)info == 1) {
		f->code = GB_SI_KERNEL;
	} else if ((unsigned long)info > 1) {
		f->code = BPF_CORE_READ(info, si_code);
		f->err = BPF_CORE_READ(info, si_errno);
		if (f->code > 0 && gb_sig_in(GB_SIG_FAULT_MASK, sig))
			f->addr = (__u64)BPF_CORE_READ(info, _sifields._sigfault._addr);
		if (sig == GB_SIGSYS && f->code == GB_SYS_SECCOMP) {
			f->syscall = BPF_CORE_READ(info, _sifields._sigsys._syscall);
			if (BPF_CORE_READ(info, _sifields._sigsys._arch) == GB_AUDIT_ARCH_I386)
				f->flags |= GB_SIG_COMPAT;
		}
	}
}

/* The sender: the current task (@cur from bpf_get_current_task_btf()). */
static __always_inline void gb_sig_sender_fill(struct gb_sig_cause *c, struct task_struct *cur)
{
	struct mnt_namespace *mnt = gb_task_mnt(cur);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	c->ts_boot_ns = bpf_ktime_get_boot_ns();
	c->sender_pid = pid_tgid >> 32;
	c->sender_tid = (__u32)pid_tgid;
	c->sender_uid = (__u32)bpf_get_current_uid_gid();
	c->sender_mntns_id = mnt->ns.inum;
	c->sender_mntns_uid = gb_mnt_uid(mnt);
	bpf_get_current_comm(c->sender_comm, sizeof(c->sender_comm));
	if (cur->flags & 0x4 /* PF_EXITING */)
		c->f.flags |= GB_SIG_SENDER_EXITING;
}

/* An OOM kill of @victim: its resident memory, and the limit and usage of the nearest memory cgroup (its
 * own or an ancestor's) that has a limit, as they are at the kill. */
static __always_inline void gb_oom_fill(struct gb_sig_facts *f, struct task_struct *victim)
{
	struct mm_struct *mm = BPF_CORE_READ(victim, mm);

	f->flags |= GB_SIG_OOM;
	f->oom_rss_kib = mm ? gb_mm_rss_pages(mm) * (gb_page_size / 1024) : 0;

	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_subsys_state *css = BPF_CORE_READ(victim, cgroups, subsys[id & 31]);
	struct page_counter *pc = css ? __builtin_preserve_access_index(&((struct mem_cgroup *)css)->memory) : NULL;

	for (int i = 0; i < 8 && pc; i++) { /* a pod's limit may sit on a parent of the container's cgroup */
		__u64 max = BPF_CORE_READ(pc, max);
		if (max < GB_PAGE_COUNTER_MAX) {
			f->memcg_limit = max * gb_page_size;
			f->memcg_usage = BPF_CORE_READ(pc, usage.counter) * gb_page_size;
			break;
		}
		pc = BPF_CORE_READ(pc, parent);
	}
}

#endif
