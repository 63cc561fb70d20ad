/* The pssnap record (bpf/pssnap.h) into a struct gb_proc_entry, with ps's state letter. */
#include "decode.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static uint64_t page_kib(void)
{
	static uint64_t kib;

	if (!kib) {
		long sz = sysconf(_SC_PAGESIZE);
		kib = sz >= 1024 ? (uint64_t)sz / 1024 : 4;
	}
	return kib;
}

long gb_ps_record_len(const void *data, size_t avail)
{
	uint32_t kind, args_size;

	if (avail < sizeof(kind))
		return 0;
	memcpy(&kind, data, sizeof(kind));
	if (kind == PS_RECORD_THREAD_CPU)
		return avail < sizeof(struct ps_thread_cpu) ? 0 : (long)sizeof(struct ps_thread_cpu);
	if (kind != PS_RECORD_TASK)
		return -EINVAL;
	if (avail < PS_RECORD_FIXED)
		return 0;
	memcpy(&args_size, (const char *)data + offsetof(struct ps_record, args_size), sizeof(args_size));
	if (args_size > PS_ARGS_MAX)
		return -EINVAL;
	return avail < PS_RECORD_FIXED + args_size ? 0 : (long)(PS_RECORD_FIXED + args_size);
}

int gb_decode_ps(const void *data, size_t size, struct gb_proc_entry *ev)
{
	struct ps_record r; /* the fixed part, copied: records follow each other unaligned */

	if (size < PS_RECORD_FIXED)
		return -EINVAL;
	memcpy(&r, data, PS_RECORD_FIXED);
	if (r.proc.kind != PS_RECORD_TASK || r.args_size > size - PS_RECORD_FIXED)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&r.proc, &ev->proc);
	ev->start_time = ev->proc.timestamp;
	ev->nspid = r.nspid;
	ev->nstid = r.nstid;
	ev->pidns = r.pidns;
	ev->state = gb_task_state_letter(r.state, r.exit_state);
	ev->nthreads = r.nthreads;
	ev->kthread = r.flags & 0x00200000; /* PF_KTHREAD */
	ev->cpu_ns = r.cpu_ns;
	ev->rss_kib = r.rss_pages * page_kib();
	ev->args = r.args_size ? (const char *)data + PS_RECORD_FIXED : NULL;
	ev->args_size = r.args_size;
	ev->args_truncated = r.ps_flags & PS_ARGS_TRUNCATED;
	return 0;
}
