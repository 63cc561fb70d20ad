/* The exit record (bpf/exitsnoop.h) into a struct gb_exit_event: the status as wait() reads it, and its cause. */
#include "decode.h"

#include <errno.h>
#include <string.h>

#include "bpf/exitsnoop.h"
#include "clock.h"

/* SIGHUP, SIGINT, SIGQUIT, SIGTERM */
static bool is_stop_request(int sig)
{
	return sig == 1 || sig == 2 || sig == 3 || sig == 15;
}

int gb_decode_exit(const void *data, size_t size, struct gb_exit_event *ev)
{
	const struct exit_event *e = data;

	if (size < EXIT_EVENT_SIZE_NO_CAUSE)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&e->proc, &ev->proc);
	ev->age_ns = e->age_ns;
	ev->thread = e->flags & EXIT_THREAD;
	ev->signal = e->status & 0x7f;
	ev->core_dumped = ev->signal && (e->status & 0x80);
	ev->exit_code = ev->signal ? 0 : (e->status >> 8) & 0xff;
	ev->cause.syscall = -1;
	if (!(e->flags & EXIT_CAUSE) || size < sizeof(*e))
		return 0;
	/* the signal it died of, or the stop request it handled before exiting */
	if (ev->signal ? (int)e->cause.f.sig != ev->signal : !is_stop_request((int)e->cause.f.sig))
		return 0;
	const struct gb_sig_cause *c = &e->cause;
	gb_decode_sig_facts(&c->f, c->sender_pid, e->proc.pid, &ev->cause);
	ev->sender.timestamp = gb_clock_boot_to_realtime(c->ts_boot_ns);
	ev->sender.boot_ns = c->ts_boot_ns;
	ev->sender.mntns = c->sender_mntns_id;
	ev->sender.mntns_uid = c->sender_mntns_uid;
	ev->sender.pid = c->sender_pid;
	ev->sender.tid = c->sender_tid;
	ev->sender.uid = c->sender_uid;
	gb_decode_comm(ev->sender.comm, c->sender_comm);
	return 0;
}
