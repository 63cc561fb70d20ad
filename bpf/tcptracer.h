/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_TCPTRACER_H
#define GADGETBOX_TCPTRACER_H

#include "gadget.h"

#define TCP_MAX_PORTS 16

enum tcp_event_type {
	TCP_EV_CONNECT = 1, /* its result: established, or the error it failed with */
	TCP_EV_ACCEPT = 2,  /* accept() returned the connection */
	TCP_EV_CLOSE = 3,   /* an established connection's socket reached TCP_CLOSE */
};

/* Who ended a connection (the first sign of it). */
enum tcp_end {
	TCP_END_UNKNOWN = 0,
	TCP_END_LOCAL = 1,	/* this side closed (or shut down writing) first: FIN sent */
	TCP_END_PEER = 2,	/* the peer's FIN came first */
	TCP_END_RESET_SENT = 3, /* this side aborted: a reset (SO_LINGER 0, unread data, an abort) */
	TCP_END_RESET_RECV = 4, /* the peer reset it */
	TCP_END_TIMEOUT = 5,	/* retransmissions or keepalives gave up (ETIMEDOUT) */
};

enum tcp_who {
	TCP_WHO_NONE = 0,   /* no process known: the socket's cgroup tells its container */
	TCP_WHO_OWNER = 1,  /* the process that connected or accepted it (or held it when tracing began) */
	TCP_WHO_CLOSER = 2, /* the process that closed its last fd */
};

struct tcp_event {
	struct gb_proc proc;
	__u8 type; /* enum tcp_event_type */
	__u8 family;
	__u8 ended_by; /* enum tcp_end (close) */
	__u8 who;      /* enum tcp_who */
	__s32 error;   /* connect: 0 or the positive errno */
	__u64 sk;
	__u64 netns;
	__u64 cgroup_id;	   /* the socket's */
	__u8 saddr[16], daddr[16]; /* local, remote; IPv4: the first 4 bytes */
	__u16 sport, dport;
	__u16 listen_port; /* accept: the listener's */
	__u16 pad;
	__u8 listen_addr[16];
	__u64 latency_ns;		   /* connect: its first SYN (else the connect call) to the result */
	__u64 age_ns;			   /* close: since its first SYN (or, accepted, the handshake); 0 if not seen */
	__u64 bytes_acked, bytes_received; /* payload sent (once) and received */
	__u32 retransmits;
	__u32 syn_retransmits; /* connect */
};

#endif
