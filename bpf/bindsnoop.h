/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_BINDSNOOP_H
#define GADGETBOX_BINDSNOOP_H

#include "gadget.h"

#define BIND_ADDR_MAX  128 /* sizeof(struct sockaddr_storage): the most of the caller's sockaddr copied */
#define BIND_MAX_PORTS 16

enum bind_flags {
	BIND_NO_SOCKET = 1 << 0,       /* the fd was no socket (the bind failed with ENOTSOCK or EBADF) */
	BIND_ADDR_UNREADABLE = 1 << 1, /* the caller's sockaddr could not be read (EFAULT) */
};

struct bind_event {
	struct gb_proc proc;
	__s32 ret; /* 0 or -errno */
	__s32 fd;
	__u32 addrlen; /* as passed */
	__u32 flags;   /* enum bind_flags */
	/* the socket's, read after the bind */
	__u16 sk_family;
	__u16 sk_type; /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW ... */
	__u16 sk_protocol;
	__u16 bound_port; /* the socket's local port after the bind (the kernel's choice for port 0) */
	__u32 opts;	  /* enum gb_sock_opt (sock.bpf.h) */
	__u32 bound_ifindex;
	__u64 netns;
	__u8 addr[BIND_ADDR_MAX]; /* the caller's sockaddr, min(addrlen, BIND_ADDR_MAX) bytes of it */
};

#endif
