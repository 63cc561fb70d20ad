/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by every gadgetbox BPF program and its user-space half. */
#ifndef GADGETBOX_GADGET_H
#define GADGETBOX_GADGET_H

#ifndef __VMLINUX_H__ /* user space */
#include <linux/types.h>
#endif

#define GB_COMM_LEN    16
#define GB_INVALID_UID ((__u32)-1)
/* Upper bound on mount namespaces in the in-kernel container filter. */
#define GB_MAX_MNTNS 8192

/* What user space tells every program (gadget.bpf.h's gb_state, alone in section .data.gb_state). */
struct gb_state {
	_Bool armed;   /* the container filter (gb_mntns) is filled: use it */
	_Bool stopped; /* the tracer is stopping: put nothing more in the ring buffer */
};

/* What a ring-buffer record is; its first 32 bits. */
enum gb_record_kind {
	GB_RECORD_EVENT = 0,	      /* an applet's event, starting with struct gb_proc */
	GB_RECORD_CONTAINER_EXIT = 1, /* struct gb_container_exit */
};

/* Who did it: the first member of every event, filled in by gb_fill_proc() and decoded by common code. */
struct gb_proc {
	__u32 kind; /* GB_RECORD_EVENT */
	__u32 pid;  /* tgid */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u64 ts_boot_ns; /* bpf_ktime_get_boot_ns() */
	__u64 mntns_id;
	char comm[GB_COMM_LEN];
};

/*
 * The init process of a registered container exited. The kernel has already removed its mount namespace from
 * the filter (the id may be reused by the next container); user space drops the record when it reads this,
 * in order with the events before it.
 */
struct gb_container_exit {
	__u32 kind; /* GB_RECORD_CONTAINER_EXIT */
	__u32 pid;
	__u64 mntns_id;
};

#endif
