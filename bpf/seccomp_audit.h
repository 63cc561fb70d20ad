/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_SECCOMP_AUDIT_H
#define GADGETBOX_SECCOMP_AUDIT_H

#include "gadget.h"

/* What the filter did (SECCOMP_RET_LOG is read from the kernel log by user space: nothing to see here). */
enum sa_action {
	SA_ERRNO = 1,	     /* a sys_exit without its sys_enter: the filter answered with an errno */
	SA_KILL_PROCESS = 2, /* SIGSYS (SYS_SECCOMP) to a task the filter marked dead: the process dies */
	SA_KILL_THREAD = 3,  /* the task exited, marked dead, without that signal: only the thread died */
	SA_TRAP = 4,	     /* SIGSYS (SYS_SECCOMP) to a task still under its filter */
};

enum sa_flags {
	SA_COMPAT = 1 << 0, /* a 32-bit syscall (x86-64: int $0x80, the ia32 entry) */
};

struct sa_event {
	struct gb_proc proc;
	__u32 nr;     /* the syscall's number in its table (native or compat) */
	__u32 action; /* enum sa_action */
	__s32 data;   /* SA_ERRNO: the errno; SA_TRAP and SA_KILL_PROCESS: the filter's data (si_errno) */
	__u32 flags;  /* enum sa_flags */
};

#endif
