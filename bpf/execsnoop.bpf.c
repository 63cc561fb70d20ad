// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * execsnoop-k8s, kernel side.
 *
 * argv lives in the caller's address space, which a successful exec destroys, so it is read at syscall entry
 * into a per-task scratch event. Right after fork the caller's pages are often not mapped yet (file-backed
 * .rodata is faulted in lazily) and BPF cannot fault them in. By sched_prepare_exec (Linux 6.10+) the kernel
 * has copied them, faulting the pages in, and the old address space is still there: read them again then.
 * On older kernels the strings we could not read are taken from the new program's argv area at
 * sched_process_exec (exact except a script's argv[0], which the kernel replaces) (task storage: allocated on demand,
 * freed with the task, and it follows the task through de_thread, when a non-leader thread's exec takes over the
 * leader's pid). The result is known at sched_process_exec (success, new comm and pid) or at syscall exit (failure);
 * the event is sent then.
 */
#include "gadget.bpf.h"
#include "execsnoop.h"
#include "proctree.bpf.h"

const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_uid = GB_INVALID_UID;
const volatile bool ignore_failed = true;
const volatile __u32 max_args = EXEC_DEFAULT_MAX_ARGS;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct exec_event);
} inflight SEC(".maps");

/* Read one string at @off; returns the new offset, -1 when out of room, -2 when the string faulted. */
static __always_inline long read_string(struct exec_event *e, __u32 off, const char *src, bool *cut)
{
	long len;

	_Static_assert((EXEC_ARGS_SOFT & (EXEC_ARGS_SOFT - 1)) == 0, "EXEC_ARGS_SOFT must be a power of 2");
	if (off >= EXEC_ARGS_SOFT)
		return -1;
	/* the mask changes nothing after the check, but clang drops the check's bound before the verifier sees
	 * it; the barrier keeps clang from proving the mask redundant */
	barrier_var(off);
	len = bpf_probe_read_user_str(&e->args[off & (EXEC_ARGS_SOFT - 1)], EXEC_ARG_MAX, src);
	if (len <= 0)
		return -2;
	*cut = len == EXEC_ARG_MAX;
	return off + len;
}

/* argv[i] of the caller: 64-bit pointers, or 32-bit ones for a 32-bit execve. */
static __always_inline long argv_entry(const void *argv, __u32 i, bool compat, const char **out)
{
	__u32 p32;
	long err;

	if (!compat)
		return bpf_probe_read_user(out, sizeof(*out), (const char *const *)argv + i);
	err = bpf_probe_read_user(&p32, sizeof(p32), (const __u32 *)argv + i);
	*out = (const char *)(unsigned long)p32;
	return err;
}

/*
 * argv is walked with bpf_loop(): the verifier checks a callback until its entry state repeats, where a bounded
 * loop of reads is checked once per iteration (~30 ms per program for 20 arguments, ~50 ms for 129). What
 * changes from one entry to the next (offset, counts) lives in the event, a map value whose contents the
 * verifier does not track, so the second entry already repeats the first.
 */
struct argv_walk {
	struct exec_event *e;
	const void *argv;
	bool compat;
};

/* Strings, until argv ends, max_args, the buffer is full or a page is not present; e->argc counts them and
 * e->args_size is where the next one goes. */
static long read_arg(__u32 i, void *data)
{
	struct argv_walk *w = data;
	struct exec_event *e = w->e;
	const char *arg;
	bool cut = false;
	long next;

	if (argv_entry(w->argv, i, w->compat, &arg)) {
		e->flags |= EXEC_ARGV_UNREADABLE;
		return 1;
	}
	if (!arg)
		return 1;
	next = read_string(e, e->args_size, arg, &cut);
	if (next < 0) {
		e->flags |= next == -2 ? EXEC_ARGV_FAULT : EXEC_ARGV_TRUNCATED;
		return 1;
	}
	e->args_size = next;
	if (cut && i < 64)
		e->cut_mask |= 1ULL << i;
	e->argc = i + 1;
	return 0;
}

/* Then only count, from e->argc on: user space needs the caller's argc to line up the new program's argv. */
static long count_arg(__u32 i, void *data)
{
	struct argv_walk *w = data;
	struct exec_event *e = w->e;
	const char *arg;

	if (argv_entry(w->argv, e->orig_argc, w->compat, &arg) || !arg)
		return 1;
	e->orig_argc++;
	return 0;
}

/* Read the filename and argv into @e. */
static __noinline int capture(struct exec_event *e, const char *filename, const char *const *argv, bool compat)
{
	struct argv_walk w = {.e = e, .argv = argv, .compat = compat};
	bool cut = false;
	long off;
	__u32 n;

	if (!e)
		return 0;
	e->ret = 0;
	e->flags = compat ? EXEC_COMPAT : 0;
	e->argc = 0;
	e->final_argc = 0;
	e->mm_args_size = 0;
	e->cut_mask = 0;

	off = read_string(e, 0, filename, &cut);
	if (off < 0) {
		e->flags |= EXEC_FILENAME_FAULT;
		e->args[0] = '\0';
		off = 1;
	}
	if (cut)
		e->flags |= EXEC_FILENAME_TRUNCATED;
	e->args_size = off;

	n = max_args < EXEC_MAX_ARGS_LIMIT ? max_args : EXEC_MAX_ARGS_LIMIT;
	bpf_loop(n, read_arg, &w, 0);
	/* an argument that was not read (fault, full buffer) is counted from its entry on */
	n = e->argc;
	e->orig_argc = n;
	if (n < EXEC_MAX_ARGS_LIMIT + 1)
		bpf_loop(EXEC_MAX_ARGS_LIMIT + 1 - n, count_arg, &w, 0);
	if (e->orig_argc > e->argc && !(e->flags & EXEC_ARGV_FAULT))
		e->flags |= EXEC_ARGV_TRUNCATED;
	return 0;
}

static __always_inline int exec_enter(const char *filename, const char *const *argv, bool compat)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct exec_event *e;
	__u64 mntns_id;

	if (targ_tgid && (pid_tgid >> 32) != targ_tgid)
		return 0;
	if (targ_uid != GB_INVALID_UID && (__u32)bpf_get_current_uid_gid() != targ_uid)
		return 0;
	if (!gb_tree_allowed(task, pid_tgid >> 32))
		return 0;
	struct mnt_namespace *mnt = gb_task_mnt(task);
	mntns_id = mnt->ns.inum;
	if (!gb_ns_allowed(mnt, mntns_id))
		return 0;

	e = bpf_task_storage_get(&inflight, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e) {
		gb_count_drop();
		return 0;
	}
	gb_fill_proc(&e->proc, task, mnt);
	e->filename_ptr = (__u64)filename;
	e->argv_ptr = (__u64)argv;
	capture(e, filename, argv, compat);
	return 0;
}

static __always_inline void exec_send(struct task_struct *task, struct exec_event *e)
{
	__u32 size = e->args_size;

	if (size > sizeof(e->args))
		size = sizeof(e->args);
	gb_output(e, __builtin_offsetof(struct exec_event, args) + size);
	bpf_task_storage_delete(&inflight, task);
}

/* execve's and execveat's numbers on this architecture, set by user space. */
const volatile long nr_execve = -1, nr_execveat = -1;

/* One program for both entries (and one for both exits), attached to each tracepoint: one program for the
 * verifier to check instead of two (see gadget.bpf.h on what loads from the task cost it). */
SEC("tracepoint/syscalls/sys_enter_execve")
int tp_enter_exec(struct trace_event_raw_sys_enter *ctx)
{
	/* each argument read at its constant offset (the verifier refuses a computed one into the context) */
	unsigned long a0 = ctx->args[0], a1 = ctx->args[1], a2 = ctx->args[2];
	bool at = ctx->id == nr_execveat;

	if (!at && ctx->id != nr_execve)
		return 0;
	return exec_enter((const char *)(at ? a1 : a0), (const char *const *)(at ? a2 : a1), false);
}

/* Append the new program's argv area (NUL-separated, in memory the kernel just wrote) after the strings
 * captured at entry; user space takes the missing arguments from it. */
static __always_inline void add_new_argv(struct exec_event *e, struct task_struct *task)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u32 off = e->args_size;
	__u64 size = end > start ? end - start : 0;

	if (off >= EXEC_ARGS_SOFT)
		return;
	if (size > EXEC_ARG_MAX) {
		size = EXEC_ARG_MAX;
		e->flags |= EXEC_ARGV_TRUNCATED;
	}
	barrier_var(off);
	if (bpf_probe_read_user(&e->args[off & (EXEC_ARGS_SOFT - 1)], size, (void *)start))
		return;
	e->flags |= EXEC_ARGS_FROM_MM;
	e->mm_args_size = size;
	e->args_size = off + size;
}

/* The filename as the kernel copied it, appended last. */
static __always_inline void add_kernel_filename(struct exec_event *e, struct linux_binprm *bprm)
{
	__u32 off = e->args_size;
	long len;

	if (off >= EXEC_ARGS_SOFT)
		return;
	barrier_var(off);
	len = bpf_probe_read_kernel_str(&e->args[off & (EXEC_ARGS_SOFT - 1)], EXEC_ARG_MAX,
					BPF_CORE_READ(bprm, filename));
	if (len <= 0)
		return;
	e->flags |= EXEC_FILENAME_AT_END;
	e->args_size = off + len;
}

/* Linux 6.10+: the kernel has copied argv (faulting its pages in); the old address space is still current. */
SEC("raw_tp/sched_prepare_exec")
int BPF_PROG(tp_prepare_exec, struct task_struct *task, struct linux_binprm *bprm)
{
	/* @task is current (raw tracepoint arguments are plain numbers: the BTF pointer comes from the helper) */
	struct exec_event *e = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);

	if (e && (e->flags & (EXEC_ARGV_FAULT | EXEC_FILENAME_FAULT)))
		capture(e, (const char *)e->filename_ptr, (const char *const *)e->argv_ptr, e->flags & EXEC_COMPAT);
	return 0;
}

/* Success: the new program is mapped; comm and (after de_thread) pid are the new ones. */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(tp_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf(); /* @p, as a BTF pointer */
	struct exec_event *e = bpf_task_storage_get(&inflight, task, 0, 0);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!e)
		return 0;
	e->ret = 0;
	e->final_argc = BPF_CORE_READ(bprm, argc);
	if (e->flags & EXEC_ARGV_FAULT)
		add_new_argv(e, p);
	if (e->flags & EXEC_FILENAME_FAULT)
		add_kernel_filename(e, bprm);
	e->proc.pid = pid_tgid >> 32;
	e->proc.tid = (__u32)pid_tgid;
	e->proc.ppid = BPF_CORE_READ(p, real_parent, tgid);
	bpf_get_current_comm(e->proc.comm, sizeof(e->proc.comm));
	exec_send(task, e);
	return 0;
}

/* Failure (success was sent at sched_process_exec and left nothing behind). */
static __always_inline int exec_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct exec_event *e = bpf_task_storage_get(&inflight, task, 0, 0);

	if (!e)
		return 0;
	if (ret < 0 && ignore_failed) {
		bpf_task_storage_delete(&inflight, task);
		return 0;
	}
	e->ret = ret;
	exec_send(task, e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tp_exit_exec(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx->ret);
}

#ifdef __TARGET_ARCH_x86
/* 32-bit execs (see gb_in_ia32_syscall()) */
enum { IA32_EXECVE = 11, IA32_EXECVEAT = 358 };

SEC("raw_tp/sys_enter")
int BPF_PROG(ia32_enter, struct pt_regs *regs, long id)
{
	if (!gb_in_ia32_syscall())
		return 0;
	/* i386 arguments: ebx, ecx, edx */
	unsigned long bx = (unsigned)BPF_CORE_READ(regs, bx), cx = (unsigned)BPF_CORE_READ(regs, cx);
	unsigned long dx = (unsigned)BPF_CORE_READ(regs, dx);

	if (id == IA32_EXECVE)
		return exec_enter((const char *)bx, (const char *const *)cx, true);
	if (id == IA32_EXECVEAT)
		return exec_enter((const char *)cx, (const char *const *)dx, true);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(ia32_exit, struct pt_regs *regs, long ret)
{
	if (!gb_in_ia32_syscall())
		return 0;
	return exec_exit(ret);
}
#endif
