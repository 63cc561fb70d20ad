// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcptracer-k8s, kernel side: every TCP connect, accept and close, without kprobes.
 *
 * Much of TCP happens in softirq, where the current task is whoever was interrupted: a non-blocking
 * connect's result, the handshake of an accepted connection, a close after the peer's reset. So the process is
 * noted per socket (conns, keyed by its address) where it acts in its own context, and the softirq events take
 * it from there:
 *  - cgroup/connect4, connect6 (in connect(), on the cgroup2 root): who connects, and to where;
 *  - sys_exit_accept, accept4: who accepted the connection (the socket behind the returned fd, and the listener
 *    behind the fd that accept() was given, still in the syscall's saved registers);
 *  - cgroup/sock_release: who closed it (its last fd; a socket passed to another process is that one's);
 *  - at start, an iter/task_file pass: who holds the connections that exist already.
 * The state changes (tp_btf/inet_sock_set_state) give the rest: SYN_SENT starts a connect's clock,
 * ESTABLISHED or CLOSE from SYN_SENT is its result (sk_err says which error), LISTEN -> SYN_RECV is an
 * accepted connection's birth, FIN_WAIT1 or CLOSE_WAIT says who ended it (else, at CLOSE, sk_err: a reset
 * received, a timeout), and CLOSE its end, with TCP's own counters. A connect that fails before any SYN (no route) ends
 * in connect() itself: sys_exit_connect.
 *
 * Cost: these programs run several times for every connection, so sockets and tasks are read with plain loads
 * (tp_btf's trusted pointers, or bpf_core_cast() of an address: a faulting load, no helper call), not
 * bpf_probe_read_kernel(); the state program returns before any lookup on transitions it has no use for.
 */
#include "gadget.bpf.h"
#include "sock.bpf.h"
#include "tcptracer.h"

#define IPPROTO_TCP 6

extern void *bpf_cast_to_kern_ctx(void *) __ksym;

const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_uid = GB_INVALID_UID;
const volatile __u32 want_types = (1 << TCP_EV_CONNECT) | (1 << TCP_EV_ACCEPT) | (1 << TCP_EV_CLOSE);
const volatile bool failed_only = false; /* failed connects and connections ended by a reset */
const volatile __u16 targ_ports[TCP_MAX_PORTS] = {};

/* What is known of a connection, from its first sign to its close. */
struct tcp_conn {
	struct gb_proc owner;  /* who connected or accepted it */
	struct gb_proc closer; /* who closed its last fd */
	__u64 start_ns;	       /* its SYN (connect), its birth (accepted) */
	__u64 connect_ns;      /* when connect() was called */
	__u8 owner_known, closer_known;
	__u8 connecting; /* a connect whose result is not told yet */
	__u8 ended_by;
	__u8 family;
	__u8 daddr[16]; /* where connect() was asked to go */
	__u16 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct tcp_conn);
} conns SEC(".maps");

/* thread -> the socket its connect() is about (cgroup/connect4 to sys_exit_connect): preallocated (small: an
 * entry lives while one connect() runs), so that its update and delete on every connect allocate nothing */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} connecting SEC(".maps");

/* per-CPU scratch: one event */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcp_event);
} scratch SEC(".maps");

static __always_inline bool proc_allowed(const struct gb_proc *p)
{
	if (targ_tgid && p->pid != targ_tgid)
		return false;
	if (targ_uid != GB_INVALID_UID && p->uid != targ_uid)
		return false;
	return gb_mntns_allowed(p->mntns_id, p->mntns_uid);
}

/* The current task, if the filters keep it: its gb_proc in @p. */
static __always_inline bool current_allowed(struct gb_proc *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (targ_tgid && (pid_tgid >> 32) != targ_tgid)
		return false;
	if (targ_uid != GB_INVALID_UID && (__u32)bpf_get_current_uid_gid() != targ_uid)
		return false;
	struct mnt_namespace *mnt = gb_task_mnt(task);
	if (!gb_ns_allowed(mnt, mnt->ns.inum))
		return false;
	gb_fill_proc(p, task, mnt);
	return true;
}

static __always_inline bool port_wanted(__u16 a, __u16 b)
{
	if (!targ_ports[0])
		return true;
	for (int i = 0; i < TCP_MAX_PORTS && targ_ports[i]; i++)
		if (targ_ports[i] == a || targ_ports[i] == b)
			return true;
	return false;
}

/* @sk read with plain loads: a trusted pointer, or one from bpf_core_cast(). */
static __always_inline bool is_tcp(struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	return sk->sk_protocol == IPPROTO_TCP && (family == AF_INET || family == AF_INET6);
}

/* A socket's address as a pointer plain loads may read (untrusted: the verifier checks no more than the type). */
static __always_inline struct sock *sk_cast(__u64 addr)
{
	return bpf_core_cast((void *)addr, struct sock);
}

/* The local and remote address and port of @skc (plain loads), as gb_sk_endpoints(). */
static __always_inline void sk_endpoints(struct sock_common *skc, __u16 family, __u8 laddr[16], __u8 raddr[16],
					 __u16 *lport, __u16 *rport)
{
	*lport = skc->skc_num;
	*rport = bpf_ntohs(skc->skc_dport);
	if (family == AF_INET6) {
		__builtin_memcpy(laddr, skc->skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		__builtin_memcpy(raddr, skc->skc_v6_daddr.in6_u.u6_addr8, 16);
	} else {
		__u32 l = skc->skc_rcv_saddr, r = skc->skc_daddr;
		__builtin_memcpy(laddr, &l, 4);
		__builtin_memcpy(raddr, &r, 4);
	}
}

/* An event about @sk (plain loads: see is_tcp()), its process from @c (NULL: none known), in the per-CPU
 * scratch; NULL if the filters drop it. */
static __always_inline struct tcp_event *event_new(__u8 type, struct sock *sk, struct tcp_conn *c)
{
	__u32 zero = 0;
	struct tcp_event *e;

	if (!(want_types & (1 << type)) || !(e = bpf_map_lookup_elem(&scratch, &zero)))
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	if (c && c->closer_known && type == TCP_EV_CLOSE) {
		e->proc = c->closer;
		e->who = TCP_WHO_CLOSER;
	} else if (c && c->owner_known) {
		e->proc = c->owner;
		e->who = TCP_WHO_OWNER;
	}
	if (e->who != TCP_WHO_NONE && !proc_allowed(&e->proc))
		return NULL;
	if (e->who == TCP_WHO_NONE && (targ_tgid || targ_uid != GB_INVALID_UID))
		return NULL;
	e->proc.kind = GB_RECORD_EVENT;
	e->proc.ts_boot_ns = bpf_ktime_get_boot_ns();
	e->type = type;
	e->sk = (__u64)sk;
	struct sock_common *skc = &sk->__sk_common;
	e->family = skc->skc_family;
	e->netns = skc->skc_net.net->ns.inum;
	e->cgroup_id = sk->sk_cgrp_data.cgroup->kn->id;
	sk_endpoints(skc, e->family, e->saddr, e->daddr, &e->sport, &e->dport);
	if (!e->sport) /* a closed socket gave its port back (skc_num is 0); the inet_sock keeps its copy */
		e->sport = bpf_ntohs(bpf_core_cast(sk, struct inet_sock)->inet_sport);
	if (c && !e->dport && c->dport) { /* a failed connect may have cleared it */
		e->dport = c->dport;
		__builtin_memcpy(e->daddr, c->daddr, 16);
	}
	if (!port_wanted(e->sport, e->dport))
		return NULL;
	return e;
}

/*
 * gb_output(), waking the consumer when this event crosses a multiple of the wake-up mark (once per 64 KiB of
 * events), not at every event above the mark as gb_output() does: when the consumer lags (a loaded node), each
 * forced wake-up is an IPI to this CPU, a VM exit on a virtual machine (measured here: two thirds of the
 * programs' time in a loopback connect loop).
 */
static __always_inline void tcp_output(struct tcp_event *e)
{
	if (gb_state.stopped)
		return;
	__u64 avail = bpf_ringbuf_query(&gb_events, BPF_RB_AVAIL_DATA);
	__u64 flag = (avail + sizeof(*e)) / gb_wakeup_bytes != avail / gb_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
										       : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&gb_events, e, sizeof(*e), flag))
		gb_count_drop();
}

static __always_inline void connect_result(struct sock *sk, struct tcp_conn *c, int error)
{
	struct tcp_event *e;

	c->connecting = 0;
	if (failed_only && !error)
		return;
	if (!(e = event_new(TCP_EV_CONNECT, sk, c)))
		return;
	e->error = error;
	__u64 from = c->start_ns ? c->start_ns : c->connect_ns;
	e->latency_ns = from ? e->proc.ts_boot_ns - from : 0;
	e->syn_retransmits = bpf_core_cast(sk, struct inet_connection_sock)->icsk_retransmits;
	tcp_output(e);
}

static __always_inline void close_event(struct sock *sk, struct tcp_conn *c, int oldstate)
{
	struct tcp_event *e;
	__u8 end = c ? c->ended_by : TCP_END_UNKNOWN;

	if (end == TCP_END_UNKNOWN) {
		/* straight from a connected state to CLOSE: an abort, ours unless the peer's reset came first. A reset
		 * received sets sk_err before the state changes (tcp_reset(): ECONNRESET, EPIPE in CLOSE_WAIT); one
		 * sent (tcp_disconnect(), an abort on close) changes the state first. No reset tracepoints needed. */
		int err = sk->sk_err;
		end = err == 110 /* ETIMEDOUT */				  ? TCP_END_TIMEOUT
		      : err == 104 /* ECONNRESET */ || err == 32 /* EPIPE */	  ? TCP_END_RESET_RECV
		      : oldstate == TCP_ESTABLISHED || oldstate == TCP_CLOSE_WAIT ? TCP_END_RESET_SENT
										  : TCP_END_UNKNOWN;
	}
	if (failed_only && end != TCP_END_RESET_SENT && end != TCP_END_RESET_RECV && end != TCP_END_TIMEOUT)
		return;
	if (!(e = event_new(TCP_EV_CLOSE, sk, c)))
		return;
	struct tcp_sock *tp = bpf_core_cast(sk, struct tcp_sock);
	e->ended_by = end;
	e->age_ns = c && c->start_ns ? e->proc.ts_boot_ns - c->start_ns : 0;
	/* payload only: what was sent (each byte once, though it may not all have been acknowledged by a
	 * connection that was reset) and what came in order, less the peer's FIN, which counts one */
	e->bytes_acked = tp->bytes_sent - tp->bytes_retrans;
	e->bytes_received = tp->bytes_received;
	if (e->bytes_received && (sk->__sk_common.skc_flags & (1UL << SOCK_DONE))) /* tcp_fin() */
		e->bytes_received--;
	e->retransmits = tp->total_retrans;
	tcp_output(e);
}

/* Whether a state change says anything the tracer tells: a connect's start and result, an accepted
 * connection's birth, who ended a connection, its end. An accepted connection's ESTABLISHED (SYN_RECV with no
 * socket yet), FIN_WAIT2, CLOSING, LAST_ACK, TIME_WAIT and LISTEN say nothing. */
static __always_inline bool state_wanted(struct sock *sk, int oldstate, int newstate)
{
	switch (newstate) {
	case TCP_SYN_SENT:
	case TCP_FIN_WAIT1:
	case TCP_CLOSE_WAIT: return true;
	case TCP_SYN_RECV: return oldstate == TCP_LISTEN || oldstate == TCP_SYN_SENT;
	case TCP_ESTABLISHED:
		return oldstate == TCP_SYN_SENT || (oldstate == TCP_SYN_RECV && sk->sk_socket); /* simultaneous open */
	case TCP_CLOSE: return oldstate != TCP_LISTEN && oldstate != TCP_CLOSE;
	default: return false;
	}
}

static __always_inline int state_change(struct sock *sk, int oldstate, int newstate)
{
	if (!state_wanted(sk, oldstate, newstate) || !is_tcp(sk))
		return 0;
	__u64 key = (__u64)sk;

	if (newstate == TCP_SYN_RECV && oldstate == TCP_LISTEN) { /* a connection a listener will hand out */
		struct tcp_conn n = {.start_ns = bpf_ktime_get_boot_ns()};
		bpf_map_update_elem(&conns, &key, &n, BPF_ANY);
		return 0;
	}
	struct tcp_conn *c = bpf_map_lookup_elem(&conns, &key);
	if (!c && newstate != TCP_CLOSE)
		return 0;
	if (newstate == TCP_SYN_SENT) {
		c->start_ns = bpf_ktime_get_boot_ns();
	} else if (oldstate == TCP_SYN_SENT && newstate == TCP_SYN_RECV) {
		/* a simultaneous open: the SYN_RECV that follows tells the result */
	} else if (oldstate == TCP_SYN_SENT || (oldstate == TCP_SYN_RECV && c && c->connecting)) {
		if (c && c->connecting)
			connect_result(sk, c, newstate == TCP_ESTABLISHED ? 0 : sk->sk_err ?: 111);
		if (newstate == TCP_CLOSE)
			bpf_map_delete_elem(&conns, &key);
	} else if (newstate == TCP_FIN_WAIT1 || newstate == TCP_CLOSE_WAIT) {
		if (c && !c->ended_by)
			c->ended_by = newstate == TCP_FIN_WAIT1 ? TCP_END_LOCAL : TCP_END_PEER;
	} else if (newstate == TCP_CLOSE && oldstate != TCP_LISTEN && oldstate != TCP_CLOSE) {
		close_event(sk, c, oldstate);
		if (c)
			bpf_map_delete_elem(&conns, &key);
	}
	return 0;
}

/*
 * A tracing program does not run inside itself: when softirq interrupts it on its CPU and hits the tracepoint
 * again (a process closing one socket while packets arrive for another), the kernel skips that run and only
 * counts a miss. Measured: 64 of 40,000 closes in a loopback burst. So a second program on the same tracepoint
 * does the work of exactly those runs: the first marks (per CPU) that it is running; the second works only
 * when it finds the mark, i.e. when it was called while the first was interrupted.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} state_running SEC(".maps");

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state, struct sock *sk, int oldstate, int newstate)
{
	__u32 zero = 0, *running;

	if (!state_wanted(sk_cast((__u64)sk), oldstate, newstate) ||
	    !(running = bpf_map_lookup_elem(&state_running, &zero)))
		return 0;
	*running = 1;
	state_change(sk_cast((__u64)sk), oldstate, newstate);
	*running = 0;
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state_nested, struct sock *sk, int oldstate, int newstate)
{
	__u32 zero = 0, *running = bpf_map_lookup_elem(&state_running, &zero);

	if (running && *running) /* tcp_state was interrupted: this run is one it missed */
		state_change(sk_cast((__u64)sk), oldstate, newstate);
	return 0;
}

/* connect() of a TCP socket, in the caller's context (the hook runs only for a new attempt). */
static __always_inline int on_connect(struct bpf_sock_addr *ctx, __u8 family)
{
	struct tcp_conn c = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (ctx->protocol != IPPROTO_TCP || !current_allowed(&c.owner))
		return 1;
	struct bpf_sock_addr_kern *kctx = bpf_cast_to_kern_ctx(ctx);
	__u64 key = (__u64)kctx->sk;
	c.owner_known = 1;
	c.connecting = 1;
	c.connect_ns = bpf_ktime_get_boot_ns();
	c.family = family;
	c.dport = bpf_ntohs(ctx->user_port);
	if (family == AF_INET) {
		__u32 a = ctx->user_ip4;
		__builtin_memcpy(c.daddr, &a, 4);
	} else {
		__u32 a[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
		__builtin_memcpy(c.daddr, a, 16);
	}
	bpf_map_update_elem(&conns, &key, &c, BPF_ANY);
	bpf_map_update_elem(&connecting, &tid, &key, BPF_ANY);
	return 1;
}

SEC("cgroup/connect4")
int tcp_connect4(struct bpf_sock_addr *ctx)
{
	return on_connect(ctx, AF_INET);
}

SEC("cgroup/connect6")
int tcp_connect6(struct bpf_sock_addr *ctx)
{
	return on_connect(ctx, AF_INET6);
}

/* A connect that failed in connect() itself, before any SYN (no route, no local port): its result is here. */
SEC("tracepoint/syscalls/sys_exit_connect")
int tcp_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *skp = bpf_map_lookup_elem(&connecting, &tid);

	if (!skp)
		return 0;
	__u64 key = *skp;
	bpf_map_delete_elem(&connecting, &tid);
	struct tcp_conn *c = bpf_map_lookup_elem(&conns, &key);
	struct sock *sk = sk_cast(key);
	if (!c || !c->connecting || ctx->ret >= 0 || sk->__sk_common.skc_state != TCP_CLOSE)
		return 0;
	connect_result(sk, c, -ctx->ret);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}

/* The socket behind fd @fd in @fdt (a pointer for plain loads), or NULL if it is no socket: as gb_fd_sock(), with
 * plain loads but for the fd array's slot, whose index the verifier cannot bound. */
static __always_inline struct sock *fd_sock(struct fdtable *fdt, int fd)
{
	struct file *f = NULL;

	if (fd < 0 || (unsigned)fd >= fdt->max_fds)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]) || !f)
		return NULL;
	f = bpf_core_cast(f, struct file);
	if ((f->f_inode->i_mode & GB_S_IFMT) != GB_S_IFSOCK)
		return NULL;
	struct socket *so = f->private_data;
	if (!so)
		return NULL;
	so = bpf_core_cast(so, struct socket);
	if (so->file != f || !so->sk)
		return NULL;
	return sk_cast((__u64)so->sk);
}

/* accept() returned a connection: its process is the caller. */
SEC("tracepoint/syscalls/sys_exit_accept4")
int tcp_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct tcp_conn n = {};

	struct sock *sk = ctx->ret >= 0 ? fd_sock(fdt, ctx->ret) : NULL;
	if (!sk || !is_tcp(sk))
		return 0;
	__u64 key = (__u64)sk;
	struct tcp_conn *c = bpf_map_lookup_elem(&conns, &key);
	if (!current_allowed(&n.owner)) {
		if (c)
			bpf_map_delete_elem(&conns, &key);
		return 0;
	}
	if (!c) { /* born before tracing began */
		bpf_map_update_elem(&conns, &key, &n, BPF_NOEXIST);
		if (!(c = bpf_map_lookup_elem(&conns, &key)))
			return 0;
	}
	c->owner = n.owner;
	c->owner_known = 1;
	if (failed_only)
		return 0;
	struct tcp_event *e = event_new(TCP_EV_ACCEPT, sk, c);
	if (!e)
		return 0;
	/* the listener: accept()'s first argument, from the registers saved at syscall entry */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct sock *l = fd_sock(fdt, (int)PT_REGS_PARM1_CORE_SYSCALL(regs));
	if (l) {
		__u8 raddr[16];
		__u16 rport;
		sk_endpoints(&l->__sk_common, e->family, e->listen_addr, raddr, &e->listen_port, &rport);
	}
	tcp_output(e);
	return 0;
}

/* The last fd of a socket was closed, by the current task: it is the one that ended it (a socket passed to
 * another process is that process's to close). A socket already closed leaves its entry here. */
SEC("cgroup/sock_release")
int tcp_release(struct bpf_sock *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 1;
	__u64 key = (__u64)bpf_cast_to_kern_ctx(ctx);
	struct tcp_conn *c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 1;
	if (ctx->state == TCP_CLOSE || ctx->state == TCP_LISTEN) {
		bpf_map_delete_elem(&conns, &key);
		return 1;
	}
	if (current_allowed(&c->closer))
		c->closer_known = 1;
	return 1;
}

/* At start: the owners of the connections that exist already. */
SEC("iter/task_file")
int tcp_owners_scan(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct tcp_conn c = {.owner_known = 1};

	struct sock *sk = gb_file_sock(file);
	if (!task || !sk || !is_tcp(sk))
		return 0;
	__u8 state = sk->__sk_common.skc_state;
	if (state == TCP_LISTEN || state == TCP_CLOSE)
		return 0;
	__u64 key = (__u64)sk;
	gb_proc_of_task(&c.owner, task);
	bpf_map_update_elem(&conns, &key, &c, BPF_NOEXIST); /* the first process holding it */
	return 0;
}
