// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bindsnoop-k8s, kernel side: every bind() of the node, any address family, with its result. No kprobes: the
 * syscall's tracepoints. At entry the caller's sockaddr is copied (bind copies it too; a later change by
 * another thread is not seen); at exit the socket behind the fd (still held by the syscall) gives its
 * family, type, protocol, the options that changed what the bind meant, the device it is bound to, its
 * network namespace and the port it got, and the event goes out with the result.
 */
#include "gadget.bpf.h"
#include "bindsnoop.h"
#include "sock.bpf.h"

const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_uid = GB_INVALID_UID;
const volatile bool failed_only = false;
const volatile bool inet_only = false; /* only AF_INET and AF_INET6 binds (BCC's bindsnoop) */
/* only these ports (0-terminated; empty: any), of AF_INET and AF_INET6 binds */
const volatile __u16 targ_ports[BIND_MAX_PORTS] = {};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bind_event);
} inflight SEC(".maps");

static __always_inline bool port_wanted(__u16 port)
{
	if (!targ_ports[0])
		return true;
	for (int i = 0; i < BIND_MAX_PORTS && targ_ports[i]; i++)
		if (targ_ports[i] == port)
			return true;
	return false;
}

SEC("tracepoint/syscalls/sys_enter_bind")
int bind_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	unsigned long fd = ctx->args[0], uaddr = ctx->args[1], addrlen = ctx->args[2];
	struct bind_event *e;

	if (targ_tgid && (pid_tgid >> 32) != targ_tgid)
		return 0;
	if (targ_uid != GB_INVALID_UID && (__u32)bpf_get_current_uid_gid() != targ_uid)
		return 0;
	struct mnt_namespace *mnt = gb_task_mnt(task);
	if (!gb_ns_allowed(mnt, mnt->ns.inum))
		return 0;
	e = bpf_task_storage_get(&inflight, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e) {
		gb_count_drop();
		return 0;
	}
	gb_fill_proc(&e->proc, task, mnt);
	e->fd = (int)fd;
	e->addrlen = (__u32)addrlen;
	e->flags = 0;
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	__u64 n = e->addrlen < BIND_ADDR_MAX ? e->addrlen : BIND_ADDR_MAX;
	barrier_var(n); /* the test below is on the register passed (clang would test a copy) */
	if (n <= BIND_ADDR_MAX && bpf_probe_read_user(e->addr, n, (void *)uaddr))
		e->flags |= BIND_ADDR_UNREADABLE;
	__u16 family = *(__u16 *)e->addr;
	bool inet = family == AF_INET || family == AF_INET6;
	if ((inet_only && !inet) || (targ_ports[0] && (!inet || !port_wanted(bpf_ntohs(*(__u16 *)&e->addr[2]))))) {
		bpf_task_storage_delete(&inflight, task);
		return 0;
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int bind_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bind_event *e = bpf_task_storage_get(&inflight, task, 0, 0);

	if (!e)
		return 0;
	e->ret = ctx->ret;
	if (failed_only && e->ret == 0) {
		bpf_task_storage_delete(&inflight, task);
		return 0;
	}
	struct sock *sk = gb_fd_sock(task, e->fd);
	if (sk) {
		struct sock_common *skc = &sk->__sk_common;
		e->sk_family = BPF_CORE_READ(skc, skc_family);
		e->sk_type = BPF_CORE_READ(sk, sk_type);
		e->sk_protocol = BPF_CORE_READ(sk, sk_protocol);
		e->opts = gb_sk_bind_opts(sk, e->sk_family);
		e->bound_ifindex = BPF_CORE_READ(skc, skc_bound_dev_if);
		e->netns = gb_sk_netns(skc);
		e->bound_port = e->sk_family == AF_INET || e->sk_family == AF_INET6 ? BPF_CORE_READ(skc, skc_num) : 0;
	} else {
		e->flags |= BIND_NO_SOCKET;
		e->sk_family = e->sk_type = e->sk_protocol = e->bound_port = 0;
		e->opts = e->bound_ifindex = 0;
		e->netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	}
	gb_output(e, sizeof(*e));
	bpf_task_storage_delete(&inflight, task);
	return 0;
}
