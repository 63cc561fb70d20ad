/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_DNSSNOOP_H
#define GADGETBOX_DNSSNOOP_H

#include "gadget.h"

#define DNS_MAX_PORTS 8
/* Payload bytes per record: a larger packet (a 64 KiB TCP message on loopback is one skb) comes in several
 * records with consecutive chunk_off. */
#define DNS_CHUNK      2048
#define DNS_MAX_CHUNKS 33 /* 64 KiB + headers */

enum dns_dir {
	DNS_EGRESS = 0,	 /* sent by a socket of this node */
	DNS_INGRESS = 1, /* received by one */
};

/* One DNS packet (or one chunk of it) on a watched port. */
struct dns_rec {
	struct gb_proc proc; /* the socket's owner; pid 0 if unknown (received before it ever sent) */
	__u64 sk;	     /* the socket's kernel address: a query's socket is its response's */
	__u64 cgroup_id;     /* of the socket (bpf_skb_cgroup_id): its container when the owner is unknown */
	__u64 netns;
	__u64 pkt_id; /* the same for every chunk of one packet */
	__u32 ifindex;
	__u8 dir;	/* enum dns_dir */
	__u8 family;	/* 4 or 6 */
	__u8 protocol;	/* IPPROTO_UDP, IPPROTO_TCP */
	__u8 tcp_flags; /* FIN 1, SYN 2, RST 4, PSH 8, ACK 16 */
	__u8 saddr[16], daddr[16];
	__u16 sport, dport;
	__u32 tcp_seq;	   /* sequence number of this chunk's first byte */
	__u32 payload_len; /* of the whole packet's L4 payload */
	__u32 chunk_off;   /* this chunk's offset in that payload */
	__u16 chunk_len;
	__u8 owner_known;
	__u8 truncated; /* the payload was longer than DNS_MAX_CHUNKS chunks */
	__u8 data[DNS_CHUNK];
};

#define DNS_REC_HEAD_SIZE __builtin_offsetof(struct dns_rec, data)

#endif
