/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What exitsnoop and sigsnoop record of a signal as it is generated (bpf/sigcause.bpf.h fills it). */
#ifndef GADGETBOX_SIGCAUSE_H
#define GADGETBOX_SIGCAUSE_H

#include "gadget.h"

enum gb_sig_flags {
	GB_SIG_OOM = 1 << 0,		/* the OOM killer chose the target (oom:mark_victim) */
	GB_SIG_BLOCKED = 1 << 1,	/* the target blocks it: it stays pending */
	GB_SIG_GROUP = 1 << 2,		/* sent to the whole thread group */
	GB_SIG_SENDER_EXITING = 1 << 3, /* sent by a task on its way out (a pid namespace's init ending the rest) */
	GB_SIG_KILL_SYSCALL = 1 << 4,	/* sent from kill(), tkill() or tgkill() (sigsnoop) */
	GB_SIG_COMPAT = 1 << 5,		/* SIGSYS from seccomp for a 32-bit syscall (si_arch is the 32-bit one) */
};

/* si_code values (include/uapi/asm-generic/siginfo.h) */
#define GB_SI_USER     0
#define GB_SI_KERNEL   0x80
#define GB_SI_QUEUE    (-1)
#define GB_SI_TIMER    (-2)
#define GB_SI_TKILL    (-6)
#define GB_SYS_SECCOMP 1 /* SIGSYS's si_code from a seccomp filter */

/* The signal itself and what the kernel knew of its reason. */
struct gb_sig_facts {
	__u64 addr;	   /* a fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP from the kernel): si_addr */
	__u64 oom_rss_kib; /* an OOM kill: the victim's resident memory (anon + file + shmem) */
	__u64 memcg_limit; /* and its memory cgroup's limit and usage at the kill, bytes (limit 0: none found) */
	__u64 memcg_usage;
	__u32 sig;
	__s32 code;    /* si_code */
	__s32 err;     /* si_errno */
	__s32 syscall; /* SIGSYS from seccomp: the syscall's number */
	__u32 flags;   /* enum gb_sig_flags */
	__u32 pad;
};

/* Who sent it (the task that generated it) and when. */
struct gb_sig_cause {
	struct gb_sig_facts f;
	__u64 ts_boot_ns;
	__u64 sender_mntns_id;
	__u64 sender_mntns_uid;
	__u32 sender_pid; /* tgid */
	__u32 sender_tid;
	__u32 sender_uid;
	__u32 pad;
	char sender_comm[GB_COMM_LEN];
};

#endif
