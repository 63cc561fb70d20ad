/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_SOCKSNAP_H
#define GADGETBOX_SOCKSNAP_H

#include "gadget.h"

/* What a socksnap record is: its first 16 bits; its size is in the next 16. */
enum sock_record_kind {
	SOCK_REC_OWNER = 1, /* struct sock_owner: a process holds a socket in an fd (iter/task_file) */
	SOCK_REC_INET = 2,  /* struct sock_inet: a TCP or UDP socket of the iterator's netns (iter/tcp, iter/udp) */
	SOCK_REC_UNIX = 3,  /* struct sock_unix (iter/unix) */
};

struct sock_rec_head {
	__u16 kind;
	__u16 size; /* of the whole record */
};

/* A process's fd that is a socket (threads that share the file table are skipped by the iterator). */
struct sock_owner {
	struct sock_rec_head h;
	__u32 pid;
	__u32 fd;
	__u32 uid;
	__u64 inode; /* of the socket: what the socket records are joined by, with netns */
	__u64 netns;
	__u64 mntns;
	char comm[GB_COMM_LEN];
};

/* The fields both socket kinds share. */
struct sock_common_rec {
	__u64 inode; /* 0: no file (TIME_WAIT, SYN_RECV, a kernel socket) */
	__u64 cookie;
	__u64 netns;
	__u32 uid;
	__u32 rqueue; /* bytes to read; a listener's accept queue */
	__u32 wqueue; /* bytes not yet acknowledged/sent; a listener's accept queue limit */
	__u32 bound_ifindex;
	__u8 family;   /* AF_INET, AF_INET6, AF_UNIX */
	__u8 state;    /* TCP_* of the kernel (UDP: TCP_CLOSE unconnected, TCP_ESTABLISHED connected) */
	__u8 protocol; /* IPPROTO_TCP, IPPROTO_UDP; for UNIX sockets the socket type (SOCK_STREAM ...) */
	__u8 pad;
};

/* TCP's counters, as ss -i shows them (full sockets only). */
struct sock_tcp_info {
	__u32 srtt_us; /* smoothed rtt, microseconds */
	__u32 rttvar_us;
	__u32 snd_cwnd;
	__u32 snd_ssthresh;
	__u32 retrans_out; /* segments retransmitted and not yet acknowledged */
	__u32 total_retrans;
	__u32 mss_cache;
	__u32 rcv_space;
	__u64 bytes_acked;
	__u64 bytes_received;
	__u64 bytes_sent;
	__u32 segs_out;
	__u32 segs_in;
	__u32 lost_out;
	__u32 pad;
};

struct sock_inet {
	struct sock_rec_head h;
	__u32 tcp_info_valid; /* 1 for a full TCP socket */
	struct sock_common_rec c;
	__u8 laddr[16]; /* IPv4: the first 4 bytes */
	__u8 raddr[16];
	__u16 lport; /* host byte order */
	__u16 rport;
	__u8 v6only; /* IPV6_V6ONLY: an IPv6 socket that takes no IPv4 traffic */
	__u8 pad[3];
	struct sock_tcp_info ti;
};

#define SOCK_UNIX_PATH_MAX 108

/* The established-hash walk: tables, and the longest chain followed. */
#define SOCK_MAX_EHASH 8
#define SOCK_MAX_CHAIN 16

/* What the task_file pass and the walk tell user space (the program's .bss). */
struct sock_walk_state {
	__u64 ehash[SOCK_MAX_EHASH]; /* the established hash tables seen (kernel addresses) */
	__u32 ehash_overflow;	     /* more tables than that: fall back to per-namespace iterators */
	__u32 walked;		     /* the walk ran to its end */
	__u32 chain_overflow;	     /* a chain longer than SOCK_MAX_CHAIN was cut */
	/* where the walk goes on: it stops when the ring buffer could not take another chunk, and the next run
	 * (user space has read the buffer meanwhile) starts here */
	__u32 resume_table, resume_chunk;
};

struct sock_unix {
	struct sock_rec_head h;
	__u32 path_len; /* 0: unnamed; path[0] == 0: abstract */
	struct sock_common_rec c;
	__u64 peer_inode;
	char path[SOCK_UNIX_PATH_MAX];
	__u32 rqueue_more; /* the receive queue held more buffers than were counted */
};

#endif
