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
	_Bool armed;   /* the first container scan is in gb_mntns: a mount namespace missing there is new */
	_Bool stopped; /* the tracer is stopping: put nothing more in the ring buffer */
};

/*
 * What the container filter (gb_mntns, keyed by mount namespace inode) knows of a namespace. A namespace it
 * does not know passes: it may be a container that started a moment ago, and user space finds out which (no
 * container start ever waits for gadgetbox). Inode numbers are reused as soon as a namespace is freed, so an
 * entry is bound to one namespace by the id the kernel never reuses: user space writes uid 0, the first
 * event seen from that inode fills it in, and an entry whose uid differs from the event's namespace is stale
 * (the namespace it was written for is gone): the event passes as unknown.
 */
enum gb_ns_verdict {
	GB_NS_UNKNOWN = 0,
	GB_NS_PASS = 1, /* a container the filters select */
	GB_NS_DROP = 2, /* the host, a container the filters leave out, a namespace that is no container */
};

struct gb_ns_entry {
	__u64 uid;     /* the namespace's never-reused id (ns_common.ns_id, mnt_namespace.seq before 6.18) */
	__u32 verdict; /* GB_NS_PASS or GB_NS_DROP */
	__u32 fresh;   /* a container found after the first scan: its first exec wakes user space (watch.bpf.c) */
};

/* What a ring-buffer record is; its first 32 bits. */
enum gb_record_kind {
	GB_RECORD_EVENT = 0,	      /* an applet's event, starting with struct gb_proc */
	GB_RECORD_CONTAINER_EXIT = 1, /* struct gb_container_exit */
	GB_RECORD_NEW_NS = 2,	      /* struct gb_new_ns (the context's watcher, bpf/watch.bpf.c) */
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
	__u64 mntns_uid; /* the namespace's never-reused id (struct gb_ns_entry), 0 where not known */
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

/* The cgroup names a new namespace's record carries: the process's cgroup and its parents, leaf first. */
#define GB_CGROUP_DEPTH	   4
#define GB_CGROUP_NAME_LEN 96

/* A process of a mount namespace the filter does not know exec'd: user space finds out what it is now, while
 * the process lives (a new container's first exec). */
struct gb_new_ns {
	__u32 kind; /* GB_RECORD_NEW_NS */
	__u32 pid;  /* tgid */
	__u64 mntns_id;
	__u64 mntns_uid;
	__u32 exec; /* 1: told at an exec (the process is in its container's cgroup by then); 0: a fork or unshare */
	__u32 pad;
	/*
	 * The names of the process's cgroup (unified hierarchy) and of its parents, leaf first, each NUL-terminated;
	 * "" past the root. A runtime names a container's cgroup after its id (docker-ID.scope, pod.../ID,
	 * default/ID): the kernel's word for which container this is, still there when a container that lived a
	 * millisecond left neither its process nor its state for user space to read.
	 */
	char cgroup[GB_CGROUP_DEPTH][GB_CGROUP_NAME_LEN];
};

/* seccomp's si_arch (and seccomp_data.arch) of a 32-bit x86 syscall (include/uapi/linux/audit.h) */
#define GB_AUDIT_ARCH_I386 0x40000003

#endif
