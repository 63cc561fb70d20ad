/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_EXECSNOOP_H
#define GADGETBOX_EXECSNOOP_H

#include "gadget.h"

#define EXEC_DEFAULT_MAX_ARGS 20
#define EXEC_MAX_ARGS_LIMIT   128  /* bound of the kernel-side argv loop */
#define EXEC_ARG_MAX	      8192 /* one string (filename or argument), NUL included */
#define EXEC_ARGS_SOFT	      8192 /* no new string is started past this offset */

enum exec_flags {
	EXEC_ARGV_TRUNCATED = 1 << 0,	  /* argv had more than max_args entries or did not fit */
	EXEC_FILENAME_TRUNCATED = 1 << 1, /* filename longer than EXEC_ARG_MAX - 1 */
	EXEC_ARGV_UNREADABLE = 1 << 2,	  /* the argv array itself could not be read */
	EXEC_ARGV_FAULT = 1 << 3,	  /* an argument's page was not present at entry (fresh fork) */
	EXEC_ARGS_FROM_MM = 1 << 4,	  /* after the captured strings: the new program's argv area */
	EXEC_FILENAME_FAULT = 1 << 5,	  /* the filename's page was not present at entry */
	EXEC_FILENAME_AT_END = 1 << 6,	  /* the filename (the kernel's copy) is the last string */
	EXEC_COMPAT = 1 << 7,		  /* a 32-bit execve: argv is an array of 32-bit pointers */
};

struct exec_event {
	struct gb_proc proc;
	__s32 ret;
	__u32 flags;	    /* enum exec_flags */
	__u32 argc;	    /* strings captured at entry in args after the filename */
	__u32 orig_argc;    /* entries of the caller's argv (counted up to EXEC_MAX_ARGS_LIMIT + 1) */
	__u32 final_argc;   /* the new program's argc (a script's interpreter adds entries) */
	__u32 args_size;    /* bytes used in args */
	__u32 mm_args_size; /* bytes of the new program's argv area in args (EXEC_ARGS_FROM_MM) */
	__u64 cut_mask;	    /* bit i: argument i was cut at EXEC_ARG_MAX - 1 bytes */
	__u64 filename_ptr; /* the caller's pointers, to read again once exec has faulted the pages in */
	__u64 argv_ptr;
	/* filename\0 argv[0]\0 argv[1]\0 ...; only args_size bytes are sent to user space */
	char args[EXEC_ARGS_SOFT + EXEC_ARG_MAX];
};

#define EXEC_EVENT_SIZE(e) (__builtin_offsetof(struct exec_event, args) + (e)->args_size)

#endif
