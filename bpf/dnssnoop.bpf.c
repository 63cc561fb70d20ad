// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dnssnoop, kernel side: every packet of every socket of the node passes cgroup_skb programs attached to the
 * cgroup2 root (ingress and egress; no kprobes). A UDP or TCP packet to or from a watched port is copied,
 * payload and addresses, into the ring buffer, in chunks of DNS_CHUNK bytes, with the socket it belongs to.
 *
 * Who owns the socket: egress runs in the sender's context (but for TCP's retransmissions and ACK-clocked
 * sends, which run in softirq), ingress in softirq, where the current task is whoever was interrupted. So the
 * owner is kept per socket (keyed by its kernel address): set at socket creation (cgroup/sock_create), at its
 * first send from a process, or for sockets that existed before dnssnoop started by an iter/task_file pass,
 * and dropped at release. A packet whose socket has no known owner goes up with pid 0 and its socket's
 * cgroup, from which user space finds its container.
 */
#include "gadget.bpf.h"
#include <bpf/bpf_endian.h>
#include "dnssnoop.h"
#include "sock.bpf.h"

#define ETH_P_IP    0x0800
#define ETH_P_IPV6  0x86DD
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define AF_INET	    2
#define AF_INET6    10

extern void *bpf_cast_to_kern_ctx(void *) __ksym;

/* the watched ports (0-terminated), and whether host processes count */
const volatile __u16 ports[DNS_MAX_PORTS] = {53};
/* only sockets this process owns (0: any) */
const volatile __u32 targ_tgid = 0;

/* Entries come and go with the sockets (sock_create or first send from a process, sock_release), so nothing
 * needs evicting: a plain hash, allocated as it fills. An LRU hash is preallocated whole: 8 ms of start-up. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct gb_proc); /* its kind and time unused */
} owners SEC(".maps");

/* per-CPU scratch: one record */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_rec);
} scratch SEC(".maps");

static __always_inline bool port_watched(__u16 port)
{
	for (int i = 0; i < DNS_MAX_PORTS; i++) {
		if (!ports[i])
			return false;
		if (ports[i] == port)
			return true;
	}
	return false;
}

/* The current task owns @sk now (it created it, or sends on it). */
static __always_inline void note_owner(__u64 sk, bool replace)
{
	struct gb_proc o = {};

	if (!replace && bpf_map_lookup_elem(&owners, &sk))
		return;
	gb_proc_of_task(&o, bpf_get_current_task_btf());
	bpf_map_update_elem(&owners, &sk, &o, BPF_ANY);
}

/* One chunk of the payload per bpf_loop() step (checked once by the verifier, where an unrolled loop of 33
 * was checked 33 times: 40 ms per program). */
struct chunk_walk {
	struct __sk_buff *skb;
	struct dns_rec *r;
	__u32 payload; /* the payload's offset in the packet */
};

static long send_chunk(__u32 i, void *data)
{
	struct chunk_walk *w = data;
	struct dns_rec *r = w->r;
	__u32 off = i * DNS_CHUNK, len = 0;

	if (off < r->payload_len)
		len = r->payload_len - off;
	if (len > DNS_CHUNK)
		len = DNS_CHUNK;
	r->chunk_off = off;
	r->chunk_len = len;
	if (gb_state.stopped)
		return 1;
	_Static_assert((DNS_CHUNK & (DNS_CHUNK - 1)) == 0, "DNS_CHUNK must be a power of 2");
	/* the size as 1..DNS_CHUNK whatever the compiler keeps of the test above (it may test one copy of len
	 * and pass another, which the verifier then sees as possibly 0); equal to len for every len tested */
	if (len && bpf_skb_load_bytes(w->skb, w->payload + off, r->data, ((len - 1) & (DNS_CHUNK - 1)) + 1))
		return 1;
	if (bpf_ringbuf_output(&gb_events, r, DNS_REC_HEAD_SIZE + len, gb_wakeup_flag()))
		gb_count_drop();
	return 0;
}

static __always_inline int handle(struct __sk_buff *skb, __u8 dir)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	__u32 zero = 0, l4;
	__u8 proto;
	struct dns_rec *r = bpf_map_lookup_elem(&scratch, &zero);

	if (!r)
		return 1;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return 1;
		if (ip.frag_off & bpf_htons(0x1fff)) /* a later fragment: no L4 header */
			return 1;
		proto = ip.protocol;
		l4 = ip.ihl * 4;
		r->family = 4;
		__builtin_memset(r->saddr, 0, 32);
		__builtin_memcpy(r->saddr, &ip.saddr, 4);
		__builtin_memcpy(r->daddr, &ip.daddr, 4);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return 1;
		proto = ip6.nexthdr; /* extension headers are not followed */
		l4 = sizeof(ip6);
		r->family = 6;
		__builtin_memcpy(r->saddr, &ip6.saddr, 16);
		__builtin_memcpy(r->daddr, &ip6.daddr, 16);
	} else {
		return 1;
	}
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return 1;
	__u16 pp[2];
	if (bpf_skb_load_bytes(skb, l4, pp, sizeof(pp)))
		return 1;
	r->sport = bpf_ntohs(pp[0]);
	r->dport = bpf_ntohs(pp[1]);
	if (!port_watched(r->sport) && !port_watched(r->dport))
		return 1;

	__u32 payload;
	r->tcp_flags = 0;
	r->tcp_seq = 0;
	if (proto == IPPROTO_TCP) {
		struct tcphdr th;
		if (bpf_skb_load_bytes(skb, l4, &th, sizeof(th)))
			return 1;
		payload = l4 + th.doff * 4;
		r->tcp_seq = bpf_ntohl(th.seq);
		r->tcp_flags = th.fin | th.syn << 1 | th.rst << 2 | th.psh << 3 | th.ack << 4;
		if (skb->len <= payload && !(r->tcp_flags & 7))
			return 1; /* a bare ACK */
	} else {
		payload = l4 + 8;
	}
	r->payload_len = skb->len > payload ? skb->len - payload : 0;
	r->protocol = proto;
	r->dir = dir;

	/* the socket and its owner */
	/* read, not loaded: a load from the trusted kskb costs the verifier four searches of the kernel's BTF */
	struct sock *sk = BPF_CORE_READ(kskb, sk);
	__u64 key = (__u64)sk;
	r->sk = key;
	r->cgroup_id = bpf_skb_cgroup_id(skb);
	r->netns = sk ? BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) : 0;
	r->ifindex = skb->ifindex;
	/* data sent: from a process, the first time (a softirq retransmission finds the owner already known;
	 * a SYN-ACK comes from softirq and carries no data) */
	/* (an orphan, closed by its process and still sending from a timer, has no owner to note: its entry went
	 * at sock_release and must not come back, nothing would remove it again) */
	if (dir == DNS_EGRESS && key && r->payload_len && BPF_CORE_READ(sk, sk_socket))
		note_owner(key, false);
	struct gb_proc *o = key ? bpf_map_lookup_elem(&owners, &key) : NULL;
	__builtin_memset(&r->proc, 0, sizeof(r->proc));
	r->owner_known = o != NULL;
	if (!o && targ_tgid)
		return 1;
	if (o) {
		if (!gb_mntns_allowed(o->mntns_id, o->mntns_uid) || (targ_tgid && o->pid != targ_tgid))
			return 1;
		r->proc = *o;
	}
	r->proc.kind = GB_RECORD_EVENT;
	r->proc.ts_boot_ns = bpf_ktime_get_boot_ns();
	r->pkt_id = r->proc.ts_boot_ns ^ ((__u64)bpf_get_smp_processor_id() << 56);
	r->truncated = r->payload_len > DNS_CHUNK * DNS_MAX_CHUNKS;

	/* the payload, chunk by chunk (at least one record, for SYN/FIN/RST and empty datagrams) */
	struct chunk_walk w = {.skb = skb, .r = r, .payload = payload};
	__u32 n = (r->payload_len + DNS_CHUNK - 1) / DNS_CHUNK;
	bpf_loop(n ? (n < DNS_MAX_CHUNKS ? n : DNS_MAX_CHUNKS) : 1, send_chunk, &w, 0);
	return 1;
}

SEC("cgroup_skb/egress")
int dns_egress(struct __sk_buff *skb)
{
	return handle(skb, DNS_EGRESS);
}

SEC("cgroup_skb/ingress")
int dns_ingress(struct __sk_buff *skb)
{
	return handle(skb, DNS_INGRESS);
}

/* A new socket: its creator owns it (accepted TCP sockets are made in softirq: their first send tells). */
SEC("cgroup/sock_create")
int dns_sock_create(struct bpf_sock *ctx)
{
	struct sock *sk = bpf_cast_to_kern_ctx(ctx);

	if (ctx->protocol == IPPROTO_UDP || ctx->protocol == IPPROTO_TCP)
		note_owner((__u64)sk, true);
	return 1;
}

SEC("cgroup/sock_release")
int dns_sock_release(struct bpf_sock *ctx)
{
	__u64 key = (__u64)bpf_cast_to_kern_ctx(ctx);

	bpf_map_delete_elem(&owners, &key);
	return 1;
}

/* At start: the owners of the sockets that already exist. */
SEC("iter/task_file")
int dns_owners_scan(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct gb_proc o = {};

	struct sock *sk = gb_file_sock(file);
	if (!task || !sk)
		return 0;
	__u16 family = sk->__sk_common.skc_family, protocol = sk->sk_protocol;
	if ((family != AF_INET && family != AF_INET6) || (protocol != IPPROTO_UDP && protocol != IPPROTO_TCP))
		return 0;
	__u64 key = (__u64)sk;
	if (bpf_map_lookup_elem(&owners, &key))
		return 0; /* the first process holding it (a forked child shares it) */
	gb_proc_of_task(&o, task);
	bpf_map_update_elem(&owners, &key, &o, BPF_NOEXIST);
	return 0;
}
