/* The words exitsnoop-k8s and sigsnoop-k8s share for signals and who sent them. */
#ifndef GADGETBOX_SIGTEXT_H
#define GADGETBOX_SIGTEXT_H

#include <stddef.h>

#include "gadgetbox.h"

/* "runc[4567] (host)", "sh[12] (web)": a process and its container's display name. */
const char *gb_sig_proc_text(const struct gb_event_proc *p, char *buf, size_t size);
/* What the kernel knew of a signal's reason, or "": "rss 31.9MiB, limit 32.0MiB, usage 32.0MiB" for an OOM
 * kill, "at 0x0" for a fault, "syscall mkdir (83)" for seccomp. */
const char *gb_sig_reason_text(const struct gb_signal_info *i, char *buf, size_t size);
/* -s: a comma list of signal names or numbers ("TERM,KILL,SIGHUP,1") into a mask (bit N-1: signal N); 0, or
 * -1 after a usage error. */
int gb_parse_signals(const char *list, unsigned long long *mask);

#endif
