/* The signal record (bpf/sigsnoop.h) into a struct gb_signal_event. */
#include "decode.h"

#include <errno.h>
#include <string.h>

#include "bpf/sigsnoop.h"

static const char *const kill_syscalls[SIGNAL_SYS_COUNT] = {
	[SIGNAL_SYS_KILL] = "kill",
	[SIGNAL_SYS_TKILL] = "tkill",
	[SIGNAL_SYS_TGKILL] = "tgkill",
	[SIGNAL_SYS_PIDFD_SEND_SIGNAL] = "pidfd_send_signal",
	[SIGNAL_SYS_RT_SIGQUEUEINFO] = "rt_sigqueueinfo",
	[SIGNAL_SYS_RT_TGSIGQUEUEINFO] = "rt_tgsigqueueinfo",
};

int gb_decode_signal(const void *data, size_t size, struct gb_signal_event *ev)
{
	const struct signal_event *e = data;

	if (size < sizeof(*e))
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&e->proc, &ev->proc);
	gb_decode_sig_facts(&e->f, e->proc.pid, e->target_pid, &ev->info);
	ev->from_kernel = ev->info.origin != GB_SIGNAL_PROCESS && ev->info.origin != GB_SIGNAL_SELF;
	ev->target.timestamp = ev->proc.timestamp;
	ev->target.boot_ns = ev->proc.boot_ns;
	ev->target.pid = e->target_pid;
	ev->target.tid = e->target_tid;
	ev->target.mntns = e->target_mntns_id;
	ev->target.mntns_uid = e->target_mntns_uid;
	gb_decode_comm(ev->target.comm, e->target_comm);
	switch (e->result) {
	case SIGNAL_DELIVERED: ev->result = GB_SIGNAL_DELIVERED; break;
	case SIGNAL_IGNORED: ev->result = GB_SIGNAL_IGNORED; break;
	case SIGNAL_ALREADY_PENDING: ev->result = GB_SIGNAL_ALREADY_PENDING; break;
	case SIGNAL_OVERFLOW_FAIL: ev->result = GB_SIGNAL_OVERFLOW; break;
	case SIGNAL_LOSE_INFO: ev->result = GB_SIGNAL_LOSE_INFO; break;
	default: ev->result = GB_SIGNAL_FAILED; break;
	}
	if (ev->result == GB_SIGNAL_FAILED) /* no signal was generated: the process asked, the kernel refused */
		ev->from_kernel = false, ev->info.origin = GB_SIGNAL_PROCESS;
	if (e->f.flags & GB_SIG_KILL_SYSCALL) {
		ev->kill_syscall = e->kill_syscall < SIGNAL_SYS_COUNT ? kill_syscalls[e->kill_syscall] : "kill";
		ev->kill_pid = e->kill_pid;
		ev->kill_ret = e->kill_ret;
	}
	return 0;
}
