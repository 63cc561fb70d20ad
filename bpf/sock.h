/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What sock.bpf.h's readers tell user space. */
#ifndef GADGETBOX_SOCK_H
#define GADGETBOX_SOCK_H

/* The options that change what a bind means (the same bits as gadgetbox.h's GB_BIND_*). */
enum gb_sock_opt {
	GB_SOCKOPT_REUSEADDR = 1 << 0,		  /* SO_REUSEADDR */
	GB_SOCKOPT_REUSEPORT = 1 << 1,		  /* SO_REUSEPORT */
	GB_SOCKOPT_FREEBIND = 1 << 2,		  /* IP_FREEBIND, IPV6_FREEBIND */
	GB_SOCKOPT_TRANSPARENT = 1 << 3,	  /* IP_TRANSPARENT, IPV6_TRANSPARENT */
	GB_SOCKOPT_BIND_ADDRESS_NO_PORT = 1 << 4, /* IP_BIND_ADDRESS_NO_PORT */
	GB_SOCKOPT_V6ONLY = 1 << 5,		  /* IPV6_V6ONLY */
};

#endif
