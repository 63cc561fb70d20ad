/*
 * Finding new containers without ever holding their runtime. Engines start a container in two steps: `runc
 * create` (the runtime writes its state; the init waits in the container's new namespaces) then `runc start`
 * (the init execs the container's program). Small BPF programs (bpf/watch.bpf.c) wake the context when a mount
 * namespace is made (fork into a new one, unshare) and when a process of a namespace the filter does not know
 * execs; the context then reads the runtime's state and /proc while the processes live (again every 10 ms
 * while the state is not written yet: gb_ns_poll), and the tracers' filters learn the new container. Meanwhile the
 * tracers' programs let the unknown namespace's events through and hold them in user space until it is identified
 * (containers.c, gb_ns_resolve). No container start waits for gadgetbox: a stopped, frozen or killed gadgetbox delays
 * nothing on the node.
 */
#ifndef GADGETBOX_WATCH_H
#define GADGETBOX_WATCH_H

#include "gadgetbox.h"

/* Load and attach the watcher on the context (its ring buffer is read before the tracers'). NULL where BPF
 * cannot be loaded (warned once: new containers are then found by rescans every second). */
struct gb_tracer *gb_watch_open(struct gb_ctx *ctx);

#endif
