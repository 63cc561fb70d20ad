/*
 * What the socket snapshot (socks.c) lends other gadgets (internal to libgadgetbox): the sockets of one network
 * namespace on one port, with the processes that hold them (the bind tracer names who holds an address), and
 * the name of a device in another namespace.
 */
#ifndef GADGETBOX_SOCKS_H
#define GADGETBOX_SOCKS_H

#include <net/if.h>
#include <stdint.h>

#include "gadgetbox.h"

/* A snapshot by @t (a gb_socks__open() tracer, loaded for @protos) of network namespace @netns, entered
 * through @pid (or, if @pid is not in it any more, a container's init or the host's kthreadd): @fn gets each
 * socket of @protos (GB_SOCK_TCP, GB_SOCK_UDP) on local port @port. Returns how many, -ENOENT if no process
 * is left in that namespace, or a negative errno. */
int gb_socks_on_port(struct gb_tracer *t, uint64_t netns, uint32_t pid, unsigned protos, uint16_t port, gb_sock_fn fn,
		     void *cb_ctx);
/* The name of device @ifindex in network namespace @netns (entered as above when it is not this thread's).
 * Returns 0, or a negative errno. */
int gb_netns_ifname(uint64_t netns, uint32_t pid, uint32_t ifindex, char name[IF_NAMESIZE]);

#endif
