/* The pssnap record (bpf/pssnap.h) into a struct gb_proc_entry, with ps's state letter. */
#include "decode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf/pssnap.h"

char gb_task_state_letter(unsigned state, unsigned exit_state)
{
	/* the kernel's task_state_index(): the highest set bit of (state | exit_state) & TASK_REPORT indexes
	 * "RSDTtXZPI"; TASK_IDLE (uninterruptible, no load) reads as I */
	static const char letters[] = "RSDTtXZPI";
	unsigned bits = (state | exit_state) & 0x7f, idx = 0;

	if ((state & 0x402) == 0x402)
		bits = 0x80;
	if (state & (0x1000 | 0x8000)) /* TASK_RTLOCK_WAIT, TASK_FROZEN (a frozen cgroup: docker pause) */
		bits = 0x2;
	while (bits >> idx)
		idx++;
	return letters[idx];
}

int gb_decode_ps(const void *data, size_t size, uint64_t now_ns, struct gb_proc_entry *ev)
{
	const struct ps_record *r = data;

	if (size < sizeof(*r))
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&r->proc, &ev->proc);
	ev->start_time = ev->proc.timestamp;
	ev->proc.timestamp = now_ns;
	ev->nspid = r->nspid;
	ev->nstid = r->nstid;
	ev->pidns = r->pidns;
	ev->state = gb_task_state_letter(r->state, r->exit_state);
	ev->nthreads = r->nthreads;
	ev->kthread = r->flags & 0x00200000; /* PF_KTHREAD */
	return 0;
}
