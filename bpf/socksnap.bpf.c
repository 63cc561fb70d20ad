// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * socksnap, kernel side. One snapshot takes two passes that cover every network namespace at once:
 *  - iter/task_file: every fd of every process that is a TCP, UDP or UNIX socket: an owner record (pid, fd,
 *    inode, netns) and the socket's own record (user space keeps one per socket). It also notes the TCP
 *    established hash table(s) the sockets live in.
 *  - a walk of those tables for the TCP sockets no process holds (TIME-WAIT, SYN-RECV requests, connections
 *    not yet accepted, orphans closing down) in the namespaces of netns_wanted: from the first task an
 *    iter/task visits (bpf_loop, kernel 5.17), into the ring buffer, since one iterator object's output is
 *    limited to a few pages. (iter/bpf_map_elem, one slice per element, is refused here: EPERM.)
 * The classic iterators (iter/tcp, iter/udp, iter/unix) list one namespace each, the one the reader was in
 * when it created them: used for the host's namespace (whose PID 1 task_file cannot see, and kernel sockets)
 * and where the walk is not possible. Each of them walks the whole global table, so not once per container.
 * Queues follow the kernel's sock_diag (what ss prints): a listener's receive queue is its accept queue and
 * its send queue the accept queue's limit.
 */
#include "gadget.bpf.h"
#include "sock.bpf.h"
#include "socksnap.h"

#define IPPROTO_TCP	 6
#define IPPROTO_UDP	 17
#define TCP_TIME_WAIT	 6
#define TCP_LISTEN	 10
#define TCP_NEW_SYN_RECV 12
#define SOCK_STREAM	 1
#define SOCK_DGRAM	 2
#define SOCK_SEQPACKET	 5

/* what to list (GB_SOCK_* bits of gadgetbox.h: TCP 1, UDP 2, UNIX 4) */
const volatile __u32 want_protocols = 3;

/* Filled by user space before the walk: the namespaces whose unowned TCP sockets are wanted. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GB_MAX_MNTNS);
	__type(key, __u64);
	__type(value, __u8);
} netns_wanted SEC(".maps");

/* The established hash tables seen by the task_file pass (a namespace may have its own), and what the walk
 * found out; user space reads them between the passes. */
struct sock_walk_state walk;

/* The socket's inode, as /proc/PID/fd shows it (socket:[INODE]); 0 if it has no file. */
static __always_inline __u64 sock_inode(struct sock *sk)
{
	struct socket *so = BPF_CORE_READ(sk, sk_socket);

	if (!so) /* struct socket is the first member of struct socket_alloc, its inode follows */
		return 0;
	return BPF_CORE_READ((struct socket_alloc *)so, vfs_inode.i_ino);
}

/* What every socket record has; @cookie from bpf_get_socket_cookie() where the pointer allows it, else the
 * cookie the socket already has (0 if none was ever asked for). */
static __always_inline void common_fill(struct sock_common_rec *c, struct sock_common *skc, __u32 uid, __u64 cookie)
{
	c->family = BPF_CORE_READ(skc, skc_family);
	c->state = BPF_CORE_READ(skc, skc_state);
	c->netns = gb_sk_netns(skc);
	c->bound_ifindex = BPF_CORE_READ(skc, skc_bound_dev_if);
	c->uid = uid;
	c->cookie = cookie ? cookie : BPF_CORE_READ(skc, skc_cookie.counter);
}

static __always_inline void inet_fill(struct sock_inet *r, struct sock_common *skc, __u32 uid, __u64 cookie,
				      __u8 protocol)
{
	r->h.kind = SOCK_REC_INET;
	r->h.size = sizeof(*r);
	common_fill(&r->c, skc, uid, cookie);
	r->c.protocol = protocol;
	gb_sk_endpoints(skc, r->c.family, r->laddr, r->raddr, &r->lport, &r->rport);
	if (r->c.family == AF_INET6)
		r->v6only = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_ipv6only);
}

/* A full TCP socket (not TIME-WAIT, not a request): its file, queues and counters. */
static __always_inline void tcp_full_fill(struct sock_inet *r, struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;

	r->c.inode = sock_inode(sk);
	if (r->c.state == TCP_LISTEN) {
		r->c.rqueue = BPF_CORE_READ(sk, sk_ack_backlog);
		r->c.wqueue = BPF_CORE_READ(sk, sk_max_ack_backlog);
	} else {
		int unread = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
		r->c.rqueue = unread > 0 ? unread : 0;
		r->c.wqueue = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
	}
	r->tcp_info_valid = 1;
	r->ti.srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	r->ti.rttvar_us = BPF_CORE_READ(tp, mdev_us) >> 2;
	r->ti.snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
	r->ti.snd_ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
	r->ti.retrans_out = BPF_CORE_READ(tp, retrans_out);
	r->ti.total_retrans = BPF_CORE_READ(tp, total_retrans);
	r->ti.mss_cache = BPF_CORE_READ(tp, mss_cache);
	r->ti.rcv_space = BPF_CORE_READ(tp, rcvq_space.space);
	r->ti.bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	r->ti.bytes_received = BPF_CORE_READ(tp, bytes_received);
	r->ti.bytes_sent = BPF_CORE_READ(tp, bytes_sent);
	r->ti.segs_out = BPF_CORE_READ(tp, segs_out);
	r->ti.segs_in = BPF_CORE_READ(tp, segs_in);
	r->ti.lost_out = BPF_CORE_READ(tp, lost_out);
}

static __always_inline void udp_fill(struct sock_inet *r, struct sock *sk)
{
	struct udp_sock *udp = (struct udp_sock *)sk;

	r->c.inode = sock_inode(sk);
	/* udp_diag: memory charged to the receive queue less what was forwarded but not yet released */
	int rq = BPF_CORE_READ(sk, sk_backlog.rmem_alloc.counter) - BPF_CORE_READ(udp, forward_deficit);
	r->c.rqueue = rq > 0 ? rq : 0;
	r->c.wqueue = BPF_CORE_READ(sk, sk_wmem_alloc.refs.counter) - 1;
}

static __always_inline void unix_fill(struct sock_unix *r, struct sock *sk, __u32 uid, __u64 cookie)
{
	struct unix_sock *u = (struct unix_sock *)sk;

	r->h.kind = SOCK_REC_UNIX;
	r->h.size = sizeof(*r);
	common_fill(&r->c, &sk->__sk_common, uid, cookie);
	r->c.protocol = BPF_CORE_READ(sk, sk_type);
	r->c.inode = sock_inode(sk);
	struct sock *peer = BPF_CORE_READ(u, peer);
	if (peer)
		r->peer_inode = sock_inode(peer);
	struct unix_address *addr = BPF_CORE_READ(u, addr);
	if (addr) {
		/* len counts sun_family too */
		__u32 len = BPF_CORE_READ(addr, len);
		len = len > sizeof(__u16) ? len - sizeof(__u16) : 0;
		if (len > SOCK_UNIX_PATH_MAX)
			len = SOCK_UNIX_PATH_MAX;
		barrier_var(len);
		if (len > 0 && len <= SOCK_UNIX_PATH_MAX) {
			r->path_len = len;
			bpf_probe_read_kernel(r->path, len, &addr->name[0].sun_path);
		}
	}
	if (r->c.state == TCP_LISTEN) {
		r->c.rqueue = BPF_CORE_READ(sk, sk_receive_queue.qlen);
		r->c.wqueue = BPF_CORE_READ(sk, sk_max_ack_backlog);
		return;
	}
	/* unix_diag: the bytes queued (a datagram socket: the first datagram's), and the memory written */
	r->c.wqueue = BPF_CORE_READ(sk, sk_wmem_alloc.refs.counter) - 1;
	void *head = &sk->sk_receive_queue;
	struct sk_buff *skb = BPF_CORE_READ(sk, sk_receive_queue.next);
	bool stream = r->c.protocol == SOCK_STREAM || r->c.protocol == SOCK_SEQPACKET;
	for (int i = 0; i < 32 && skb && (void *)skb != head; i++) {
		r->c.rqueue += BPF_CORE_READ(skb, len);
		if (!stream)
			break;
		skb = BPF_CORE_READ(skb, next);
	}
	r->rqueue_more = stream && skb && (void *)skb != head;
}

/* The established hash a TCP socket lives in: its namespace's own (5.19+ may give one), else the global. */
static __always_inline void note_ehash(struct sock *sk)
{
	struct inet_hashinfo *h = NULL;

	if (bpf_core_field_exists(((struct netns_ipv4 *)0)->tcp_death_row.hashinfo))
		h = BPF_CORE_READ(sk, __sk_common.skc_net.net, ipv4.tcp_death_row.hashinfo);
	if (!h)
		h = BPF_CORE_READ(sk, __sk_common.skc_prot, h.hashinfo);
	if (!h)
		return;
	for (int i = 0; i < SOCK_MAX_EHASH; i++) {
		if (walk.ehash[i] == (__u64)h)
			return;
		if (!walk.ehash[i]) {
			walk.ehash[i] = (__u64)h;
			return;
		}
	}
	walk.ehash_overflow = 1;
}

/* Per-CPU scratch for the records (too big for the stack together). */
struct scratch {
	struct sock_inet inet;
	struct sock_unix unx;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline struct scratch *scratch_get(void)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);

	if (s) {
		__builtin_memset(&s->inet, 0, sizeof(s->inet));
		__builtin_memset(&s->unx, 0, sizeof(s->unx));
	}
	return s;
}

/* Not a loss when it fails: the read's buffer is full, so the kernel drops this object's output and shows the
 * object again at the next read. */
static __always_inline void seq_out(struct seq_file *seq, void *r, __u32 size)
{
	bpf_seq_write(seq, r, size);
}

SEC("iter/task_file")
int sock_files(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sock_owner o = {};

	struct sock *sk = gb_file_sock(file);
	if (!task || !sk)
		return 0;
	__u16 family = sk->__sk_common.skc_family;
	__u16 type = sk->sk_type, protocol = sk->sk_protocol;
	bool tcp = (family == AF_INET || family == AF_INET6) && type == SOCK_STREAM && protocol == IPPROTO_TCP;
	bool udp = (family == AF_INET || family == AF_INET6) && type == SOCK_DGRAM && protocol == IPPROTO_UDP;
	bool unx = family == AF_UNIX;
	if (!(tcp && (want_protocols & 1)) && !(udp && (want_protocols & 2)) && !(unx && (want_protocols & 4)))
		return 0; /* netlink, packet, raw, SCTP, MPTCP ...: not listed */
	o.h.kind = SOCK_REC_OWNER;
	o.h.size = sizeof(o);
	o.pid = task->tgid;
	o.fd = ctx->fd;
	o.uid = BPF_CORE_READ(task, cred, uid.val);
	o.inode = BPF_CORE_READ(file, f_inode, i_ino);
	o.netns = gb_sk_netns(&sk->__sk_common);
	o.mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	bpf_probe_read_kernel_str(o.comm, sizeof(o.comm), task->comm);
	seq_out(seq, &o, sizeof(o));

	struct scratch *s = scratch_get();
	if (!s)
		return 0;
	__u64 cookie = 0; /* the pointer is not trusted enough for bpf_get_socket_cookie(): the one it has */
	__u32 uid = BPF_CORE_READ(file, f_inode, i_uid.val); /* sock_i_uid: the socket inode's owner */
	if (unx) {
		unix_fill(&s->unx, sk, uid, cookie);
		seq_out(seq, &s->unx, sizeof(s->unx));
		return 0;
	}
	inet_fill(&s->inet, &sk->__sk_common, uid, cookie, protocol);
	if (tcp) {
		tcp_full_fill(&s->inet, sk);
		note_ehash(sk);
	} else {
		udp_fill(&s->inet, sk);
	}
	seq_out(seq, &s->inet, sizeof(s->inet));
	return 0;
}

/* One node of an established-hash chain: its socket is listed when no process holds it and its namespace
 * is wanted. Returns the next node. */
static __always_inline __u64 walk_node(__u64 node)
{
	struct sock_common *skc = (void *)(node - bpf_core_field_offset(struct sock_common, skc_nulls_node));
	__u64 netns = gb_sk_netns(skc);
	__u8 state = BPF_CORE_READ(skc, skc_state);
	__u64 next = (__u64)BPF_CORE_READ((struct hlist_nulls_node *)node, next);
	__u32 zero = 0;
	struct scratch *s;

	if (!bpf_map_lookup_elem(&netns_wanted, &netns))
		return next;
	bool full = state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV;
	if (full && BPF_CORE_READ((struct sock *)skc, sk_socket))
		return next; /* it has a file: the task_file pass listed it with its owners */
	if (!(s = bpf_map_lookup_elem(&scratch, &zero)))
		return next;
	__builtin_memset(&s->inet, 0, sizeof(s->inet));
	__u32 uid = 0;
	if (full) /* sock_i_uid, like iter/tcp; a request socket shows its listener's */
		uid = BPF_CORE_READ((struct sock *)skc, sk_uid.val);
	else if (state == TCP_NEW_SYN_RECV)
		uid = BPF_CORE_READ(skc, skc_listener, sk_uid.val);
	inet_fill(&s->inet, skc, uid, 0, IPPROTO_TCP);
	if (full)
		tcp_full_fill(&s->inet, (struct sock *)skc);
	/* its first 32 bits (kind, size) are never GB_RECORD_CONTAINER_EXIT */
	if (bpf_ringbuf_output(&gb_events, &s->inet, sizeof(s->inet), 0))
		gb_count_drop();
	return next;
}

#define HEADS 16 /* bucket heads read at once */

struct walk_ctx {
	struct inet_ehash_bucket *eh;
	__u32 nbuckets;
	__u32 first; /* the chunk this run starts at */
	bool stopped;
};

/* The most a chunk of HEADS buckets can write: HEADS chains of SOCK_MAX_CHAIN records (ring header included). */
#define CHUNK_MAX_BYTES (HEADS * SOCK_MAX_CHAIN * (sizeof(struct sock_inet) + 8))

/* A bucket's chain, followed for up to SOCK_MAX_CHAIN sockets. A global function: verified once, not once
 * per bucket of a chunk. */
__noinline int walk_chain(__u64 node)
{
	for (int k = 0; k < SOCK_MAX_CHAIN && !(node & 1); k++)
		node = walk_node(node);
	if (!(node & 1))
		walk.chain_overflow = 1;
	return 0;
}

/* HEADS buckets. */
static long walk_chunk(__u64 c, void *arg)
{
	struct walk_ctx *w = arg;
	__u64 heads[HEADS];
	__u32 b = ((__u32)c + w->first) * HEADS;

	if (bpf_ringbuf_query(&gb_events, BPF_RB_AVAIL_DATA) + CHUNK_MAX_BYTES >
	    bpf_ringbuf_query(&gb_events, BPF_RB_RING_SIZE)) {
		walk.resume_chunk = (__u32)c + w->first;
		w->stopped = true;
		return 1;
	}
	if (bpf_probe_read_kernel(heads, sizeof(heads), &w->eh[b]))
		return 1;
	/* a chain ends at a "nulls" marker: an odd value (an empty bucket is one) */
	for (int j = 0; j < HEADS && b + j < w->nbuckets; j++)
		if (!(heads[j] & 1))
			walk_chain(heads[j]);
	return 0;
}

SEC("iter/task")
int tcp_ehash(struct bpf_iter__task *ctx)
{
	struct walk_ctx w = {};

	/* the walk needs one run, and iter/task always has a first task */
	if (ctx->meta->seq_num != 0)
		return 0;
	/* one table per run (user space runs it again until walked): no loop over tables to verify */
	__u32 h = walk.resume_table;
	if (h >= SOCK_MAX_EHASH || !walk.ehash[h & (SOCK_MAX_EHASH - 1)]) {
		walk.walked = 1;
		return 0;
	}
	struct inet_hashinfo *hi = (struct inet_hashinfo *)walk.ehash[h & (SOCK_MAX_EHASH - 1)];
	w.eh = BPF_CORE_READ(hi, ehash);
	w.nbuckets = BPF_CORE_READ(hi, ehash_mask) + 1;
	w.first = walk.resume_chunk;
	__u32 chunks = (w.nbuckets + HEADS - 1) / HEADS;
	if (w.first < chunks)
		bpf_loop(chunks - w.first, walk_chunk, &w, 0);
	if (!w.stopped) { /* this table is done: the next run takes the next one */
		walk.resume_table = h + 1;
		walk.resume_chunk = 0;
	}
	return 0;
}

/* ---- one namespace at a time (the host's, or where the walk cannot run) ---- */

SEC("iter/tcp")
int sock_tcp(struct bpf_iter__tcp *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct sock_common *skc = ctx->sk_common;
	struct scratch *s;

	if (!skc || !(s = scratch_get()))
		return 0;
	inet_fill(&s->inet, skc, ctx->uid, bpf_get_socket_cookie(skc), IPPROTO_TCP);
	/* TIME_WAIT and request sockets: no file, no queues (as sock_diag reports them) */
	if (s->inet.c.state != TCP_TIME_WAIT && s->inet.c.state != TCP_NEW_SYN_RECV)
		tcp_full_fill(&s->inet, (struct sock *)skc);
	seq_out(seq, &s->inet, sizeof(s->inet));
	return 0;
}

SEC("iter/udp")
int sock_udp(struct bpf_iter__udp *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct udp_sock *udp = ctx->udp_sk;
	struct scratch *s;

	if (!udp || !(s = scratch_get()))
		return 0;
	struct sock *sk = (struct sock *)udp;
	inet_fill(&s->inet, &sk->__sk_common, ctx->uid, bpf_get_socket_cookie(sk), IPPROTO_UDP);
	udp_fill(&s->inet, sk);
	seq_out(seq, &s->inet, sizeof(s->inet));
	return 0;
}

SEC("iter/unix")
int sock_unix(struct bpf_iter__unix *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct unix_sock *u = ctx->unix_sk;
	struct scratch *s;

	if (!u || !(s = scratch_get()))
		return 0;
	unix_fill(&s->unx, (struct sock *)u, ctx->uid, bpf_get_socket_cookie(u));
	seq_out(seq, &s->unx, sizeof(s->unx));
	return 0;
}
