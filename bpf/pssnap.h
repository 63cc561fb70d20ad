/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_PSSNAP_H
#define GADGETBOX_PSSNAP_H

#include "gadget.h"

/* One task, as iter/task sees it; written to the iterator's fd with bpf_seq_write. */
struct ps_record {
	struct gb_proc proc; /* ts_boot_ns: the task's start (start_boottime) */
	__u32 nspid;	     /* the process's pid in its own pid namespace */
	__u32 nstid;	     /* the thread's */
	__u32 state;	     /* task->__state */
	__u32 exit_state;    /* EXIT_ZOMBIE, EXIT_DEAD */
	__u32 nthreads;
	__u32 flags; /* PF_KTHREAD etc., the kernel's task->flags */
	__u64 pidns; /* inode of its pid namespace */
};

#endif
