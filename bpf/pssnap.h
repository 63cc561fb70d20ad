/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_PSSNAP_H
#define GADGETBOX_PSSNAP_H

#include "gadget.h"

/* The command line captured per process: ps -o args is rarely wider, and 10,000 processes stay ~40 MB read. */
#define PS_ARGS_MAX 4096

/* What a record written to the iterator's fd is; its first 32 bits (gb_proc.kind for a task's record). */
enum ps_record_kind {
	PS_RECORD_TASK = GB_RECORD_EVENT, /* struct ps_record */
	PS_RECORD_THREAD_CPU = 16,	  /* struct ps_thread_cpu */
};

enum ps_flags {
	PS_ARGS_TRUNCATED = 1 << 0, /* the argument area was longer than PS_ARGS_MAX */
	PS_ARGS_UNREAD = 1 << 1,    /* the task has an mm but its argument area could not be read */
};

/* One task, as iter/task sees it; written to the iterator's fd with bpf_seq_write, args_size bytes of args
 * after the fixed part (PS_RECORD_SIZE). */
struct ps_record {
	struct gb_proc proc; /* ts_boot_ns: the task's start (start_boottime) */
	__u32 nspid;	     /* the process's pid in its own pid namespace */
	__u32 nstid;	     /* the thread's */
	__u32 state;	     /* task->__state */
	__u32 exit_state;    /* EXIT_ZOMBIE, EXIT_DEAD */
	__u32 nthreads;
	__u32 flags;	 /* PF_KTHREAD etc., the kernel's task->flags */
	__u64 pidns;	 /* inode of its pid namespace */
	__u64 cpu_ns;	 /* CPU time: the thread's, or (a process) its exited threads' and its leader's */
	__u64 rss_pages; /* resident pages of its mm (file + anon + shmem), 0 without one */
	__u32 args_size; /* bytes of args that follow (the NUL-separated argument area, as /proc/PID/cmdline) */
	__u32 ps_flags;	 /* enum ps_flags */
	char args[PS_ARGS_MAX];
};

#define PS_RECORD_FIXED	  __builtin_offsetof(struct ps_record, args)
#define PS_RECORD_SIZE(r) (PS_RECORD_FIXED + (r)->args_size)

/* A thread other than its process's leader (without all_threads): its CPU time, added to the process's. */
struct ps_thread_cpu {
	__u32 kind; /* PS_RECORD_THREAD_CPU */
	__u32 tgid;
	__u64 cpu_ns;
};

#endif
