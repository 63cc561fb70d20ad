/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_SECCOMP_H
#define GADGETBOX_SECCOMP_H

#include "gadget.h"

#define SC_MAX		  512 /* syscall numbers recorded: 0..511 (x86-64 and i386 stay below) */
#define SC_WORDS	  (SC_MAX / 64)
#define SC_MAX_CONTAINERS 1024

enum sc_state {
	SC_WAITING = 0, /* a new namespace: the runtime's setup is not recorded, its program's execve is */
	SC_RECORDING = 1,
};

/* What one container (mount namespace) made. */
struct sc_rec {
	__u64 seen[SC_WORDS];	/* native syscalls */
	__u64 seen32[SC_WORDS]; /* 32-bit (compat) syscalls */
	__u64 setup[SC_WORDS];	/* native syscalls the runtime made in there before the program's execve */
	__u64 count[SC_MAX];
	__u64 count32[SC_MAX];
	__u32 state;	     /* enum sc_state */
	__u32 seccomp_mode;  /* task->seccomp.mode of the first task recorded: 2 = already under a filter */
	__u64 first_boot_ns; /* its first recorded syscall */
	__u64 ns_uid;	     /* the namespace's never-reused id (gadget.h): a record of another is stale */
	__u32 pid;	     /* made by the kernel for a namespace not known yet: its first process (else 0) */
	__u32 pad;
};

/* The task that made a syscall first, per container and syscall. */
struct sc_first_key {
	__u64 mntns;
	__u32 nr;
	__u32 compat;
};

#endif
