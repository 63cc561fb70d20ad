/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_SIGSNOOP_H
#define GADGETBOX_SIGSNOOP_H

#include "sigcause.h"

/* signal_generate's results (include/trace/events/signal.h: TRACE_SIGNAL_*), and ours */
enum signal_result {
	SIGNAL_DELIVERED = 0,
	SIGNAL_IGNORED = 1,
	SIGNAL_ALREADY_PENDING = 2,
	SIGNAL_OVERFLOW_FAIL = 3,
	SIGNAL_LOSE_INFO = 4,
	SIGNAL_SYSCALL_FAILED = 100, /* a kill syscall failed before any signal was generated */
};

/* The syscalls a process sends signals with */
enum signal_kill_syscall {
	SIGNAL_SYS_KILL,
	SIGNAL_SYS_TKILL,
	SIGNAL_SYS_TGKILL,
	SIGNAL_SYS_PIDFD_SEND_SIGNAL,
	SIGNAL_SYS_RT_SIGQUEUEINFO,
	SIGNAL_SYS_RT_TGSIGQUEUEINFO,
	SIGNAL_SYS_COUNT,
};

struct signal_event {
	struct gb_proc proc; /* the sender: the task that generated it */
	struct gb_sig_facts f;
	__u64 target_mntns_id;
	__u64 target_mntns_uid;
	__u32 target_pid; /* tgid; 0 if not known (a failed kill()) */
	__u32 target_tid;
	__s32 result;	    /* enum signal_result */
	__s32 kill_ret;	    /* GB_SIG_KILL_SYSCALL: the syscall's return (0, or -errno) */
	__s32 kill_pid;	    /* and the pid it was given (kill(): 0 or negative for a process group; a pidfd) */
	__u32 kill_syscall; /* enum signal_kill_syscall */
	char target_comm[GB_COMM_LEN];
};

#endif
