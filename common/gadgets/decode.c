/* What every record starts with (struct gb_proc, bpf/gadget.h). Each gadget's own record has its decoder in
 * NAME_decode.c beside it. */
#include "decode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

void gb_decode_proc(const struct gb_proc *raw, struct gb_event_proc *p)
{
	p->timestamp = gb_clock_boot_to_realtime(raw->ts_boot_ns);
	p->boot_ns = raw->ts_boot_ns;
	p->mntns = raw->mntns_id;
	p->mntns_uid = raw->mntns_uid;
	p->pid = raw->pid;
	p->tid = raw->tid;
	p->ppid = raw->ppid;
	p->uid = raw->uid;
	p->gid = raw->gid;
	memcpy(p->comm, raw->comm, sizeof(p->comm) - 1);
	p->comm[sizeof(p->comm) - 1] = '\0';
	p->container = NULL;
}
