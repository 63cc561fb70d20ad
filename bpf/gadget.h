/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Types shared by every gadgetbox BPF program and its user-space half. */
#ifndef GADGETBOX_GADGET_H
#define GADGETBOX_GADGET_H

#ifndef __VMLINUX_H__ /* user space */
#include <linux/types.h>
#endif

#define GB_COMM_LEN 16
#define GB_INVALID_UID ((__u32)-1)
/* Upper bound on mount namespaces in the in-kernel container filter. */
#define GB_MAX_MNTNS 8192

/* Who did it: the first member of every event, filled in by gb_fill_proc() and decoded by common code. */
struct gb_proc {
	__u64 ts_boot_ns; /* bpf_ktime_get_boot_ns() */
	__u64 mntns_id;
	__u64 cgroup_id; /* cgroup v2 id of the task */
	__u32 pid;       /* tgid */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	char comm[GB_COMM_LEN];
};

#endif
