// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * opensnoop-k8s, kernel side: open, openat, openat2 and creat.
 *
 * Entry saves the arguments in task storage (allocated once per task, reused: no map update per open); exit
 * reads the path, applies the filters that need the result or the path, and sends one event. The path is read
 * at exit, after the kernel has copied it, into a per-CPU scratch event so only the bytes used are copied to
 * the ring buffer. With --full-path the path the process sees is rebuilt from the dentry chain (path.bpf.h).
 */
#include "gadget.bpf.h"
#include "opensnoop.h"
#include "path.bpf.h"
#include "proctree.bpf.h"

#define AT_FDCWD -100

const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_tid = 0;
const volatile __u32 targ_uid = GB_INVALID_UID;
const volatile bool failed_only = false;
const volatile bool full_path = false;
const volatile __u32 n_prefixes = 0;
const volatile char prefixes[OPEN_MAX_PREFIXES][OPEN_PREFIX_MAX] = {};
const volatile __u32 prefix_lens[OPEN_MAX_PREFIXES] = {};

struct open_args {
	const char *path;
	const struct open_how *how; /* openat2: read at exit, once the kernel has faulted it in */
	__u64 flags;
	__u64 mode;
	__s32 dirfd;
	__u16 syscall;
	__u16 valid;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct open_args);
} args_storage SEC(".maps");

struct scratch {
	struct open_event ev;
	struct gb_path_scratch path;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline int enter(__u16 sys, int dirfd, const char *path, __u64 flags, __u64 mode,
				 const struct open_how *how)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct open_args *a;

	if (targ_tgid && (pid_tgid >> 32) != targ_tgid)
		return 0;
	if (targ_tid && (__u32)pid_tgid != targ_tid)
		return 0;
	if (targ_uid != GB_INVALID_UID && (__u32)bpf_get_current_uid_gid() != targ_uid)
		return 0;
	if (!gb_tree_allowed(task, pid_tgid >> 32))
		return 0;
	struct mnt_namespace *mnt = gb_task_mnt(task);
	if (!gb_ns_allowed(mnt, mnt->ns.inum))
		return 0;
	a = bpf_task_storage_get(&args_storage, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a) {
		gb_count_drop();
		return 0;
	}
	a->path = path;
	a->flags = flags;
	a->mode = mode;
	a->how = how;
	a->dirfd = dirfd;
	a->syscall = sys;
	a->valid = 1;
	return 0;
}

/* openat2's number on this architecture, set by user space. */
const volatile long nr_openat2 = -1;

/*
 * As few programs as the records allow, each attached to several tracepoints: every load of a pointer from the
 * trusted task costs the verifier searches of the kernel's BTF (gadget.bpf.h). A tracepoint program may not
 * read past the shortest record it is attached to, so the entries take three (openat and openat2 have four
 * arguments, open three, creat two); the exits, one.
 */
SEC("tracepoint/syscalls/sys_enter_openat")
int tp_enter_at(struct trace_event_raw_sys_enter *ctx)
{
	/* each argument read at its constant offset (the verifier refuses a computed one into the context) */
	unsigned long a0 = ctx->args[0], a1 = ctx->args[1], a2 = ctx->args[2], a3 = ctx->args[3];

	if (ctx->id == nr_openat2)
		return enter(OPEN_SYS_OPENAT2, (int)a0, (const char *)a1, 0, 0, (const struct open_how *)a2);
	return enter(OPEN_SYS_OPENAT, (int)a0, (const char *)a1, a2, a3, NULL);
}

SEC("tracepoint/syscalls/sys_enter_open")
int tp_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return enter(OPEN_SYS_OPEN, AT_FDCWD, (const char *)ctx->args[0], ctx->args[1], ctx->args[2], NULL);
}

SEC("tracepoint/syscalls/sys_enter_creat")
int tp_enter_creat(struct trace_event_raw_sys_enter *ctx)
{
	/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode) */
	return enter(OPEN_SYS_CREAT, AT_FDCWD, (const char *)ctx->args[0], 01 | 0100 | 01000, ctx->args[1], NULL);
}

static __always_inline bool prefix_allowed(const struct open_event *e)
{
	if (!n_prefixes)
		return true;
	for (__u32 p = 0; p < OPEN_MAX_PREFIXES && p < n_prefixes; p++) {
		__u32 len = prefix_lens[p];
		bool match = len <= e->path_len;
		for (__u32 i = 0; i < OPEN_PREFIX_MAX && i < len && match; i++)
			match = e->buf[i] == prefixes[p][i];
		if (match)
			return true;
	}
	return false;
}

/* The file behind @fd of @task, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *task, int fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || (unsigned)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* Append the full path: of the opened file, or (failed, relative) of the directory it was relative to. */
static __always_inline void add_full_path(struct scratch *s, struct task_struct *task, const struct open_args *a)
{
	struct open_event *e = &s->ev;
	struct dentry *dentry = NULL;
	struct vfsmount *mnt = NULL;
	bool truncated = false, unreachable = false;

	if (e->ret >= 0) {
		struct file *f = fd_file(task, e->ret);
		if (!f)
			return;
		dentry = BPF_CORE_READ(f, f_path.dentry);
		mnt = BPF_CORE_READ(f, f_path.mnt);
		e->path_flags |= OPEN_FULL_IS_FD;
		/* d_unhashed() and not the root: unlinked, or an O_TMPFILE */
		if (!BPF_CORE_READ(dentry, d_hash.pprev) && BPF_CORE_READ(dentry, d_parent) != dentry)
			e->path_flags |= OPEN_FULL_DELETED;
	} else if (e->buf[0] != '/') {
		if (a->dirfd == AT_FDCWD) {
			dentry = BPF_CORE_READ(task, fs, pwd.dentry);
			mnt = BPF_CORE_READ(task, fs, pwd.mnt);
		} else {
			struct file *f = fd_file(task, a->dirfd);
			if (!f)
				return;
			dentry = BPF_CORE_READ(f, f_path.dentry);
			mnt = BPF_CORE_READ(f, f_path.mnt);
		}
		e->path_flags |= OPEN_FULL_IS_BASE;
	} else {
		return; /* failed and absolute: the path as passed is the full path */
	}
	__u32 start = gb_path_build(&s->path, dentry, mnt, BPF_CORE_READ(task, fs, root.dentry),
				    BPF_CORE_READ(task, fs, root.mnt), &truncated, &unreachable);
	__u32 len = GB_PATH_BUF - start;
	if (len > OPEN_FULL_MAX - 1) { /* keep the tail that fits */
		start += len - (OPEN_FULL_MAX - 1);
		len = OPEN_FULL_MAX - 1;
		truncated = true;
	}
	if (truncated)
		e->path_flags |= OPEN_FULL_TRUNCATED;
	if (unreachable)
		e->path_flags |= OPEN_FULL_UNREACHABLE;
	__u32 off = e->path_len;
	if (off > OPEN_PATH_MAX || len > OPEN_FULL_MAX)
		return;
	if (unreachable && (e->path_flags & OPEN_FULL_IS_FD) && BPF_CORE_READ(dentry, d_parent) == dentry &&
	    dentry != BPF_CORE_READ(mnt, mnt_root)) {
		/* a pseudo file (pipe, socket, memfd): no path; user space names it from its file system, inode
		 * and dentry name, like the kernel's d_dname() */
		e->path_flags |= OPEN_FULL_PSEUDO;
		e->pseudo_ino = BPF_CORE_READ(dentry, d_inode, i_ino);
		bpf_probe_read_kernel_str(e->pseudo_fs, sizeof(e->pseudo_fs),
					  BPF_CORE_READ(dentry, d_sb, s_type, name));
		long n = bpf_probe_read_kernel_str(&e->buf[off & (2 * OPEN_PATH_MAX - 1)], 256,
						   BPF_CORE_READ(dentry, d_name.name));
		e->full_len = n > 0 ? n - 1 : 0;
		return;
	}
	barrier_var(len); /* keep the mask below: clang would drop it, and the verifier needs it */
	bpf_probe_read_kernel(&e->buf[off & (2 * OPEN_PATH_MAX - 1)], len & (OPEN_FULL_MAX - 1),
			      &s->path.buf[start & (GB_PATH_BUF - 1)]);
	e->full_len = len & (OPEN_FULL_MAX - 1);
}

static __always_inline int exit_open(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct open_args *a = bpf_task_storage_get(&args_storage, task, 0, 0);
	struct scratch *s;
	struct open_event *e;
	__u32 zero = 0;
	long len;

	if (!a || !a->valid)
		return 0;
	a->valid = 0;
	if (failed_only && ret >= 0)
		return 0;
	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;
	e = &s->ev;
	e->path_flags = 0;
	len = bpf_probe_read_user_str(e->buf, OPEN_PATH_MAX, a->path);
	if (len <= 0) {
		e->buf[0] = '\0';
		len = 1;
	} else if (len == OPEN_PATH_MAX) {
		char next = 0;
		bpf_probe_read_user(&next, 1, a->path + OPEN_PATH_MAX - 1);
		if (next)
			e->path_flags |= OPEN_PATH_TRUNCATED;
	}
	e->path_len = len;
	if (!prefix_allowed(e))
		return 0;
	gb_fill_proc(&e->proc, task, gb_task_mnt(task));
	e->ret = ret;
	e->dirfd = a->dirfd;
	e->flags = a->flags;
	e->mode = a->mode;
	e->resolve = 0;
	if (a->how) { /* like the path, the struct is in memory the kernel has read by now */
		struct open_how how = {};
		bpf_probe_read_user(&how, sizeof(how), a->how);
		e->flags = how.flags;
		e->mode = how.mode;
		e->resolve = how.resolve;
	}
	e->syscall = a->syscall;
	e->full_len = 0;
	if (full_path)
		add_full_path(s, task, a);
	__u64 size = __builtin_offsetof(struct open_event, buf) + e->path_len + e->full_len;
	if (size > sizeof(*e))
		size = sizeof(*e);
	gb_output(e, size);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tp_exit(struct trace_event_raw_sys_exit *ctx)
{
	return exit_open(ctx->ret);
}

#ifdef __TARGET_ARCH_x86
/* 32-bit opens (see gb_in_ia32_syscall()): otherwise a process could open files unseen */
enum { IA32_OPEN = 5, IA32_CREAT = 8, IA32_OPENAT = 295, IA32_OPENAT2 = 437 };

SEC("raw_tp/sys_enter")
int BPF_PROG(ia32_enter, struct pt_regs *regs, long id)
{
	if (!gb_in_ia32_syscall())
		return 0;
	/* i386 arguments: ebx, ecx, edx, esi */
	unsigned long bx = (unsigned)BPF_CORE_READ(regs, bx), cx = (unsigned)BPF_CORE_READ(regs, cx);
	unsigned long dx = (unsigned)BPF_CORE_READ(regs, dx), si = (unsigned)BPF_CORE_READ(regs, si);

	switch (id) {
	case IA32_OPEN: return enter(OPEN_SYS_OPEN, AT_FDCWD, (const char *)bx, cx, dx, NULL);
	case IA32_CREAT: return enter(OPEN_SYS_CREAT, AT_FDCWD, (const char *)bx, 01 | 0100 | 01000, cx, NULL);
	case IA32_OPENAT: return enter(OPEN_SYS_OPENAT, (int)bx, (const char *)cx, dx, si, NULL);
	case IA32_OPENAT2: return enter(OPEN_SYS_OPENAT2, (int)bx, (const char *)cx, 0, 0, (const struct open_how *)dx);
	}
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(ia32_exit, struct pt_regs *regs, long ret)
{
	if (!gb_in_ia32_syscall())
		return 0;
	return exit_open(ret);
}
#endif
