/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_EXITSNOOP_H
#define GADGETBOX_EXITSNOOP_H

#include "sigcause.h"

enum exit_flags {
	EXIT_THREAD = 1 << 0, /* a thread ended, not its process's last */
	EXIT_CAUSE = 1 << 1,  /* the signal that ended it (or the stop request it handled) was seen: cause follows */
};

struct exit_event {
	struct gb_proc proc;	   /* the task that exited */
	__u64 age_ns;		   /* since the process (or, for a thread, the thread) started */
	__u32 status;		   /* as wait() reports it: code << 8, or the signal (| 0x80: core dumped) */
	__u32 flags;		   /* enum exit_flags */
	struct gb_sig_cause cause; /* sent only with EXIT_CAUSE */
};

#define EXIT_EVENT_SIZE_NO_CAUSE __builtin_offsetof(struct exit_event, cause)

#endif
