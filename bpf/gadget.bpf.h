/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every gadgetbox BPF program shares: the event ring buffer with batched wake-ups, the counter of events
 * lost to a full buffer, and the mount-namespace filter that container filters compile into.
 * Include it exactly once per .bpf.c; user space (common/core/tracer.c) finds the maps by these names.
 */
#ifndef GADGETBOX_GADGET_BPF_H
#define GADGETBOX_GADGET_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "gadget.h"

/*
 * A wake-up per event costs the traced task ~4x more than the event itself (measured: an openat+close loop
 * went from ~2,750 to ~6,000 ns), so events are submitted without one and user space polls on a short timer;
 * a wake-up is forced only when this many bytes are pending, so a burst never waits for the timer.
 */
const volatile __u64 gb_wakeup_bytes = 65536;
/* When set, tasks whose mount namespace gb_mntns says to drop produce no events (host processes, containers
 * the filters leave out); a namespace it does not know passes (user space identifies it). */
const volatile bool gb_filter_mntns = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* user space may resize before load */
} gb_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} gb_drops SEC(".maps");

/* mount namespace inode → what it is (gadget.h, struct gb_ns_entry); kept by user space, bound here */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GB_MAX_MNTNS);
	__type(key, __u64);
	__type(value, struct gb_ns_entry);
} gb_mntns SEC(".maps");

/* tgid of each registered container's init process → its mount namespace (filled by user space) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GB_MAX_MNTNS);
	__type(key, __u32);
	__type(value, __u64);
} gb_container_inits SEC(".maps");

/*
 * @task from bpf_get_current_task_btf(): a trusted pointer, read with plain (CO-RE relocated) loads, which cost
 * far less than a bpf_probe_read_kernel() per step on this hot path (~270 ns an open for the three steps here
 * and the parent's). The verifier pays instead: it answers each load of a pointer from a trusted pointer with up
 * to four name searches of the kernel's whole BTF (~0.4 ms each here, at every visit of the instruction), so
 * applets keep the programs that call these few (one program for several tracepoints of one kind).
 */
static __always_inline struct mnt_namespace *gb_task_mnt(struct task_struct *task)
{
	return task->nsproxy->mnt_ns;
}

/* From 6.18 the id is ns.ns_id; written as a flavor so that the objects also compile against older kernels'
 * vmlinux.h (make arm64 uses Debian's 6.1 arm64 kernel) */
struct ns_common___id {
	__u64 ns_id;
} __attribute__((preserve_access_index));
struct mnt_namespace___id {
	struct ns_common___id ns;
} __attribute__((preserve_access_index));

/* Before 6.18 the never-reused id of a mount namespace was its own member */
struct mnt_namespace___seq {
	__u64 seq;
} __attribute__((preserve_access_index));

/* The id the kernel never gives to another mount namespace (its inode number it does), or 0 if it has none.
 * @mnt from a trusted pointer (loaded); gb_mnt_uid_read() for one that is read. */
static __always_inline __u64 gb_mnt_uid(struct mnt_namespace *mnt)
{
	if (bpf_core_field_exists(((struct mnt_namespace___id *)mnt)->ns.ns_id))
		return ((struct mnt_namespace___id *)mnt)->ns.ns_id;
	if (bpf_core_field_exists(struct mnt_namespace___seq, seq))
		return ((struct mnt_namespace___seq *)mnt)->seq;
	return 0;
}

static __always_inline __u64 gb_mnt_uid_read(struct mnt_namespace *mnt)
{
	if (bpf_core_field_exists(((struct mnt_namespace___id *)mnt)->ns.ns_id))
		return BPF_CORE_READ((struct mnt_namespace___id *)mnt, ns.ns_id);
	if (bpf_core_field_exists(struct mnt_namespace___seq, seq))
		return BPF_CORE_READ((struct mnt_namespace___seq *)mnt, seq);
	return 0;
}

/*
 * Written by user space (the section's one variable: its map's whole value):
 * - armed: gb_mntns holds what the first container scan found. Programs are attached before that scan ends
 *   (start-up should not wait for the runtimes' files); meanwhile every namespace is unknown, so every event
 *   passes and user space filters.
 * - stopped: the tracer is stopping. Nothing more goes into the ring buffer, so the time its programs take to
 *   detach does not fill the buffer and count as lost events that happened after the end.
 */
struct gb_state gb_state SEC(".data.gb_state") = {};

/* gb_mntns's entry for the current task's mount namespace @mnt (inode @mntns_id), bound to it by its first
 * event; NULL if there is none, or only one written for a namespace that is gone (this one is new). */
static __always_inline struct gb_ns_entry *gb_ns_entry(struct mnt_namespace *mnt, __u64 mntns_id)
{
	struct gb_ns_entry *e = bpf_map_lookup_elem(&gb_mntns, &mntns_id);

	if (!e)
		return NULL;
	__u64 uid = gb_mnt_uid(mnt);
	if (e->uid != uid) {
		if (e->uid)
			return NULL;
		e->uid = uid; /* the first event since user space wrote it: bind it */
	}
	return e;
}

/* The same for a namespace known by its inode and id (@uid 0: not known) where no trusted pointer to it is
 * at hand (a socket's owner, an iterated task, a forked child): no binding. */
static __always_inline struct gb_ns_entry *gb_ns_entry_of(__u64 mntns_id, __u64 uid)
{
	struct gb_ns_entry *e = bpf_map_lookup_elem(&gb_mntns, &mntns_id);

	return e && (!e->uid || !uid || e->uid == uid) ? e : NULL;
}

/* What gb_mntns says of the current task's mount namespace @mnt (inode @mntns_id): enum gb_ns_verdict. */
static __always_inline __u32 gb_ns_verdict(struct mnt_namespace *mnt, __u64 mntns_id)
{
	struct gb_ns_entry *e = gb_ns_entry(mnt, mntns_id);

	return e ? e->verdict : GB_NS_UNKNOWN;
}

/* Whether an event of the current task, in mount namespace @mnt (inode @mntns_id), passes the filter. */
static __always_inline bool gb_ns_allowed(struct mnt_namespace *mnt, __u64 mntns_id)
{
	return !gb_filter_mntns || gb_ns_verdict(mnt, mntns_id) != GB_NS_DROP;
}

/* The same by inode and id (gb_ns_entry_of()). */
static __always_inline bool gb_mntns_allowed(__u64 mntns_id, __u64 uid)
{
	struct gb_ns_entry *e;

	return !gb_filter_mntns || !(e = gb_ns_entry_of(mntns_id, uid)) || e->verdict != GB_NS_DROP;
}

static __always_inline void gb_count_drop(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&gb_drops, &zero);

	if (n)
		(*n)++;
}

static __always_inline __u64 gb_wakeup_flag(void)
{
	return bpf_ringbuf_query(&gb_events, BPF_RB_AVAIL_DATA) >= gb_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
										   : BPF_RB_NO_WAKEUP;
}

/* Copy a finished event of @size bytes to user space; a full buffer is counted, never silent. */
static __always_inline void gb_output(void *event, __u64 size)
{
	if (gb_state.stopped)
		return;
	if (bpf_ringbuf_output(&gb_events, event, size, gb_wakeup_flag()))
		gb_count_drop();
}

static __always_inline void *gb_reserve(__u64 size)
{
	void *event = bpf_ringbuf_reserve(&gb_events, size, 0);

	if (!event)
		gb_count_drop();
	return event;
}

static __always_inline void gb_submit(void *event)
{
	bpf_ringbuf_submit(event, gb_wakeup_flag());
}

/* Fill the common part of an event from @task, which must be the current task, in mount namespace @mnt. */
static __always_inline void gb_fill_proc(struct gb_proc *p, struct task_struct *task, struct mnt_namespace *mnt)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	p->kind = GB_RECORD_EVENT;
	p->ts_boot_ns = bpf_ktime_get_boot_ns();
	p->mntns_id = mnt->ns.inum;
	p->mntns_uid = gb_mnt_uid(mnt);
	p->pid = pid_tgid >> 32;
	p->tid = (__u32)pid_tgid;
	p->ppid = task->real_parent->tgid;
	p->uid = (__u32)uid_gid;
	p->gid = uid_gid >> 32;
	bpf_get_current_comm(p->comm, sizeof(p->comm));
}

/* The socket behind a file (an fd an iter/task_file program visits), or NULL if it is not one. */
static __always_inline struct sock *gb_file_sock(struct file *file)
{
	struct socket *so = file ? bpf_sock_from_file(file) : NULL;

	return so ? so->sk : NULL;
}

/*
 * 32-bit syscalls (a 32-bit program, or int $0x80) do not fire the per-syscall tracepoints on x86-64; the
 * raw sys_enter/sys_exit tracepoints do. Applets attach raw_tp programs there that return at once unless
 * this says the current syscall is a 32-bit one.
 */
#ifdef __TARGET_ARCH_x86
#define GB_TS_COMPAT 0x0002

static __always_inline bool gb_in_ia32_syscall(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return task->thread_info.status & GB_TS_COMPAT;
}
#else
/* elsewhere (arm64's AArch32 tasks) 32-bit syscalls are not told apart: recorded with the native table */
static __always_inline bool gb_in_ia32_syscall(void)
{
	return false;
}
#endif

/*
 * A container ends when its init process does: tell user space, in order with the events (the container's
 * last events are labelled before its record goes). Its filter entry stays until user space removes it, so
 * what its last processes do on their way out is still filtered as the container's; an entry bound to the
 * namespace cannot be taken for a new one that gets the inode number. An entry not bound yet is forgotten
 * here, before the namespace can be freed and its inode given to a new container.
 */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(gb_container_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct gb_container_exit rec = {.kind = GB_RECORD_CONTAINER_EXIT, .pid = tgid};
	__u64 *mntns_id;

	if ((__u32)BPF_CORE_READ(task, pid) != tgid)
		return 0;
	mntns_id = bpf_map_lookup_elem(&gb_container_inits, &tgid);
	if (!mntns_id)
		return 0;
	rec.mntns_id = *mntns_id;
	struct gb_ns_entry *e = bpf_map_lookup_elem(&gb_mntns, &rec.mntns_id);
	if (e && !e->uid)
		bpf_map_delete_elem(&gb_mntns, &rec.mntns_id);
	bpf_map_delete_elem(&gb_container_inits, &tgid);
	gb_output(&rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#endif
