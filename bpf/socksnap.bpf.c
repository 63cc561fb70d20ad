// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * socksnap, kernel side: four iterators whose records user space joins.
 *  - iter/task_file: every fd of every process that is an INET or UNIX socket, with its inode and netns (the
 *    owners; threads sharing a file table are visited once).
 *  - iter/tcp, iter/udp, iter/unix: the sockets of one network namespace, the one the reader was in when it
 *    created the iterator (user space enters each container's netns in turn). iter/tcp also lists TIME_WAIT
 *    and SYN_RECV (request) sockets, which have no file and so no owner.
 * Queues follow the kernel's sock_diag (what ss prints): a listener's receive queue is its accept queue and
 * its send queue the accept queue's limit.
 */
#include "gadget.bpf.h"
#include "socksnap.h"
#include <bpf/bpf_endian.h>

#define AF_UNIX		 1
#define AF_INET		 2
#define AF_INET6	 10
#define IPPROTO_TCP	 6
#define IPPROTO_UDP	 17
#define TCP_ESTABLISHED	 1
#define TCP_TIME_WAIT	 6
#define TCP_LISTEN	 10
#define TCP_NEW_SYN_RECV 12
#define SOCK_STREAM	 1
#define SOCK_SEQPACKET	 5

/* The socket's inode, as /proc/PID/fd shows it (socket:[INODE]); 0 if it has no file. */
static __always_inline __u64 sock_inode(struct sock *sk)
{
	struct socket *so = BPF_CORE_READ(sk, sk_socket);

	if (!so) /* struct socket is the first member of struct socket_alloc, its inode follows */
		return 0;
	return BPF_CORE_READ((struct socket_alloc *)so, vfs_inode.i_ino);
}

static __always_inline void common_fill(struct sock_common_rec *c, struct sock_common *skc, __u32 uid)
{
	c->family = BPF_CORE_READ(skc, skc_family);
	c->state = BPF_CORE_READ(skc, skc_state);
	c->netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	c->bound_ifindex = BPF_CORE_READ(skc, skc_bound_dev_if);
	c->uid = uid;
	c->cookie = bpf_get_socket_cookie(skc);
}

static __always_inline void inet_addrs(struct sock_inet *r, struct sock_common *skc)
{
	r->lport = BPF_CORE_READ(skc, skc_num);
	r->rport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	if (r->c.family == AF_INET6) {
		r->v6only = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_ipv6only);
		BPF_CORE_READ_INTO(&r->laddr, skc, skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&r->raddr, skc, skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)r->laddr, skc, skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)r->raddr, skc, skc_daddr);
	}
}

SEC("iter/task_file")
int sock_files(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sock_owner r = {};

	if (!task || !file)
		return 0;
	struct socket *so = bpf_sock_from_file(file);
	if (!so)
		return 0;
	struct sock *sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6 && family != AF_UNIX)
		return 0; /* netlink, packet, vsock ...: not listed */
	r.h.kind = SOCK_REC_OWNER;
	r.h.size = sizeof(r);
	r.pid = task->tgid;
	r.fd = ctx->fd;
	r.uid = BPF_CORE_READ(task, cred, uid.val);
	r.inode = BPF_CORE_READ(file, f_inode, i_ino);
	r.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	r.mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), task->comm);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

SEC("iter/tcp")
int sock_tcp(struct bpf_iter__tcp *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct sock_common *skc = ctx->sk_common;
	struct sock_inet r = {};

	if (!skc)
		return 0;
	r.h.kind = SOCK_REC_INET;
	r.h.size = sizeof(r);
	common_fill(&r.c, skc, ctx->uid);
	r.c.protocol = IPPROTO_TCP;
	inet_addrs(&r, skc);
	/* TIME_WAIT and request sockets: no file, no queues (as sock_diag reports them) */
	struct tcp_sock *tp =
		r.c.state == TCP_TIME_WAIT || r.c.state == TCP_NEW_SYN_RECV ? NULL : bpf_skc_to_tcp_sock(skc);
	if (tp) {
		struct sock *sk = (struct sock *)tp;
		r.c.inode = sock_inode(sk);
		if (r.c.state == TCP_LISTEN) {
			r.c.rqueue = BPF_CORE_READ(sk, sk_ack_backlog);
			r.c.wqueue = BPF_CORE_READ(sk, sk_max_ack_backlog);
		} else {
			int unread = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
			r.c.rqueue = unread > 0 ? unread : 0;
			r.c.wqueue = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
		}
		r.tcp_info_valid = 1;
		r.ti.srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
		r.ti.rttvar_us = BPF_CORE_READ(tp, mdev_us) >> 2;
		r.ti.snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
		r.ti.snd_ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
		r.ti.retrans_out = BPF_CORE_READ(tp, retrans_out);
		r.ti.total_retrans = BPF_CORE_READ(tp, total_retrans);
		r.ti.mss_cache = BPF_CORE_READ(tp, mss_cache);
		r.ti.rcv_space = BPF_CORE_READ(tp, rcvq_space.space);
		r.ti.bytes_acked = BPF_CORE_READ(tp, bytes_acked);
		r.ti.bytes_received = BPF_CORE_READ(tp, bytes_received);
		r.ti.bytes_sent = BPF_CORE_READ(tp, bytes_sent);
		r.ti.segs_out = BPF_CORE_READ(tp, segs_out);
		r.ti.segs_in = BPF_CORE_READ(tp, segs_in);
		r.ti.lost_out = BPF_CORE_READ(tp, lost_out);
	}
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

SEC("iter/udp")
int sock_udp(struct bpf_iter__udp *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct udp_sock *udp = ctx->udp_sk;
	struct sock_inet r = {};

	if (!udp)
		return 0;
	struct sock *sk = (struct sock *)udp;
	struct sock_common *skc = &sk->__sk_common;
	r.h.kind = SOCK_REC_INET;
	r.h.size = sizeof(r);
	common_fill(&r.c, skc, ctx->uid);
	r.c.protocol = IPPROTO_UDP;
	inet_addrs(&r, skc);
	r.c.inode = sock_inode(sk);
	/* udp_diag: memory charged to the receive queue less what was forwarded but not yet released */
	int rq = BPF_CORE_READ(sk, sk_backlog.rmem_alloc.counter) - BPF_CORE_READ(udp, forward_deficit);
	r.c.rqueue = rq > 0 ? rq : 0;
	r.c.wqueue = BPF_CORE_READ(sk, sk_wmem_alloc.refs.counter) - 1;
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

SEC("iter/unix")
int sock_unix(struct bpf_iter__unix *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct unix_sock *u = ctx->unix_sk;
	struct sock_unix r = {};

	if (!u)
		return 0;
	struct sock *sk = (struct sock *)u;
	r.h.kind = SOCK_REC_UNIX;
	r.h.size = sizeof(r);
	common_fill(&r.c, &sk->__sk_common, ctx->uid);
	r.c.protocol = BPF_CORE_READ(sk, sk_type);
	r.c.inode = sock_inode(sk);
	struct sock *peer = BPF_CORE_READ(u, peer);
	if (peer)
		r.peer_inode = sock_inode(peer);
	struct unix_address *addr = BPF_CORE_READ(u, addr);
	if (addr) {
		/* len counts sun_family too */
		__u32 len = BPF_CORE_READ(addr, len);
		len = len > sizeof(__u16) ? len - sizeof(__u16) : 0;
		if (len > SOCK_UNIX_PATH_MAX)
			len = SOCK_UNIX_PATH_MAX;
		barrier_var(len);
		if (len > 0 && len <= SOCK_UNIX_PATH_MAX) {
			r.path_len = len;
			bpf_probe_read_kernel(r.path, len, &addr->name[0].sun_path);
		}
	}
	if (r.c.state == TCP_LISTEN) {
		r.c.rqueue = BPF_CORE_READ(sk, sk_receive_queue.qlen);
		r.c.wqueue = BPF_CORE_READ(sk, sk_max_ack_backlog);
		bpf_seq_write(seq, &r, sizeof(r));
		return 0;
	}
	/* unix_diag: the bytes queued (a datagram socket: the first datagram's), and the memory written */
	r.c.wqueue = BPF_CORE_READ(sk, sk_wmem_alloc.refs.counter) - 1;
	void *head = &sk->sk_receive_queue;
	struct sk_buff *skb = BPF_CORE_READ(sk, sk_receive_queue.next);
	bool stream = r.c.protocol == SOCK_STREAM || r.c.protocol == SOCK_SEQPACKET;
	for (int i = 0; i < 32 && skb && (void *)skb != head; i++) {
		r.c.rqueue += BPF_CORE_READ(skb, len);
		if (!stream)
			break;
		skb = BPF_CORE_READ(skb, next);
	}
	r.rqueue_more = stream && skb && (void *)skb != head;
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}
