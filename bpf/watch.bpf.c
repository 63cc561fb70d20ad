// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The context's watch for new containers (common/watch.c). Every container's program starts with an exec that
 * its runtime makes inside the container's new mount namespace, after the runtime's state is written (`runc
 * create` writes it, `runc start` lets the program exec). So an exec in a mount namespace the filter does not
 * know is the moment to find out what it is: user space is woken at once and reads the runtime's state and
 * /proc while the process lives. Nothing waits for user space: a stopped or dead gadgetbox delays no exec.
 * Cost: one hash lookup per exec on the node.
 */
#include "gadget.bpf.h"

SEC("raw_tp/sched_process_exec")
int BPF_PROG(gb_watch_exec, struct task_struct *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mnt_namespace *mnt = gb_task_mnt(task);
	struct gb_new_ns rec = {.kind = GB_RECORD_NEW_NS, .pid = bpf_get_current_pid_tgid() >> 32};

	rec.mntns_id = mnt->ns.inum;
	rec.mntns_uid = gb_mnt_uid(mnt);
	if (!gb_state.armed || gb_state.stopped || gb_ns_verdict(mnt, rec.mntns_id) != GB_NS_UNKNOWN)
		return 0;
	/* rare (the first execs of a namespace until user space has classified it): worth a wake-up each */
	if (bpf_ringbuf_output(&gb_events, &rec, sizeof(rec), BPF_RB_FORCE_WAKEUP))
		gb_count_drop();
	return 0;
}
