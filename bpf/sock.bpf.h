/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading sockets from BPF, shared by the programs that look at them (socksnap, bindsnoop, tcptracer): the
 * network namespace and the addresses of a socket, the options that change what a bind means, and the socket
 * behind a process's fd (a syscall tracepoint gets an fd, not a socket). Every read goes through
 * bpf_probe_read_kernel (BPF_CORE_READ), so a pointer of any origin will do.
 */
#ifndef GADGETBOX_SOCK_BPF_H
#define GADGETBOX_SOCK_BPF_H

#include <bpf/bpf_endian.h>
#include "sock.h"

#ifndef AF_UNIX
#define AF_UNIX 1
#endif
#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#define GB_S_IFMT   00170000
#define GB_S_IFSOCK 0140000

/* The inode number of the socket's network namespace. */
static __always_inline __u64 gb_sk_netns(struct sock_common *skc)
{
	return BPF_CORE_READ(skc, skc_net.net, ns.inum);
}

/* Who @task is, as the gb_proc of an event (its kind and time are the event's to set): read, not loaded, so
 * @task may come from an iterator as well as from the current task. A socket's owner is kept in this form until
 * softirq, where the current task is whoever was interrupted, needs it. */
static __always_inline void gb_proc_of_task(struct gb_proc *p, struct task_struct *task)
{
	p->pid = BPF_CORE_READ(task, tgid);
	p->tid = BPF_CORE_READ(task, pid);
	p->ppid = BPF_CORE_READ(task, real_parent, tgid);
	p->uid = BPF_CORE_READ(task, cred, uid.val);
	p->gid = BPF_CORE_READ(task, cred, gid.val);
	struct mnt_namespace *mnt = BPF_CORE_READ(task, nsproxy, mnt_ns);
	p->mntns_id = BPF_CORE_READ(mnt, ns.inum);
	p->mntns_uid = gb_mnt_uid_read(mnt);
	bpf_probe_read_kernel_str(p->comm, sizeof(p->comm), task->comm);
}

/* The local and remote address (IPv4: the first 4 bytes of each) and port (host byte order) of an inet socket. */
static __always_inline void gb_sk_endpoints(struct sock_common *skc, __u16 family, __u8 laddr[16], __u8 raddr[16],
					    __u16 *lport, __u16 *rport)
{
	*lport = BPF_CORE_READ(skc, skc_num);
	*rport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO((__u8(*)[16])laddr, skc, skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO((__u8(*)[16])raddr, skc, skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)laddr, skc, skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)raddr, skc, skc_daddr);
	}
}

/* Before Linux 6.6 the inet options were bitfields of their own. */
struct inet_sock___bits {
	__u8 freebind : 1;
	__u8 transparent : 1;
	__u8 bind_address_no_port : 1;
} __attribute__((preserve_access_index));

/* inet_sock.inet_flags (Linux 6.6+), as a flavor: the objects also compile against older vmlinux.h */
struct inet_sock___flags {
	unsigned long inet_flags;
} __attribute__((preserve_access_index));

/* Bits of inet_sock.inet_flags (Linux 6.6+; the enum is anonymous in BTF, so its values are written here). */
#define GB_INET_FLAGS_FREEBIND		   11
#define GB_INET_FLAGS_TRANSPARENT	   15
#define GB_INET_FLAGS_BIND_ADDRESS_NO_PORT 18

static __always_inline __u32 gb_sk_bind_opts(struct sock *sk, __u16 family)
{
	struct sock_common *skc = &sk->__sk_common;
	__u32 opts = 0;

	if (BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuse))
		opts |= GB_SOCKOPT_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuseport))
		opts |= GB_SOCKOPT_REUSEPORT;
	if (family == AF_INET6 && BPF_CORE_READ_BITFIELD_PROBED(skc, skc_ipv6only))
		opts |= GB_SOCKOPT_V6ONLY;
	if (family != AF_INET && family != AF_INET6)
		return opts;
	if (bpf_core_field_exists(struct inet_sock___flags, inet_flags)) {
		unsigned long f = BPF_CORE_READ((struct inet_sock___flags *)sk, inet_flags);
		if (f & (1UL << GB_INET_FLAGS_FREEBIND))
			opts |= GB_SOCKOPT_FREEBIND;
		if (f & (1UL << GB_INET_FLAGS_TRANSPARENT))
			opts |= GB_SOCKOPT_TRANSPARENT;
		if (f & (1UL << GB_INET_FLAGS_BIND_ADDRESS_NO_PORT))
			opts |= GB_SOCKOPT_BIND_ADDRESS_NO_PORT;
	} else {
		struct inet_sock___bits *b = (void *)sk;
		if (BPF_CORE_READ_BITFIELD_PROBED(b, freebind))
			opts |= GB_SOCKOPT_FREEBIND;
		if (BPF_CORE_READ_BITFIELD_PROBED(b, transparent))
			opts |= GB_SOCKOPT_TRANSPARENT;
		if (BPF_CORE_READ_BITFIELD_PROBED(b, bind_address_no_port))
			opts |= GB_SOCKOPT_BIND_ADDRESS_NO_PORT;
	}
	return opts;
}

/*
 * The socket behind fd @fd of @task (the current task), or NULL if it is no socket. A syscall's tracepoint
 * holds no reference to the file, but the syscall does (its fdget), so it stays while the syscall runs. The
 * file must be a socket's (its inode S_IFSOCK, and the socket pointing back to the file): an O_PATH fd of a
 * socket file has the mode but no socket.
 */
static __always_inline struct sock *gb_fd_sock(struct task_struct *task, int fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || (unsigned)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & GB_S_IFMT) != GB_S_IFSOCK)
		return NULL;
	struct socket *so = BPF_CORE_READ(f, private_data);
	if (!so || BPF_CORE_READ(so, file) != f)
		return NULL;
	return BPF_CORE_READ(so, sk);
}

#endif
