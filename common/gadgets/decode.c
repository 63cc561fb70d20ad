#include "decode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf/execsnoop.h"
#include "bpf/opensnoop.h"
#include "bpf/pssnap.h"
#include "clock.h"

void gb_decode_proc(const struct gb_proc *raw, struct gb_event_proc *p)
{
	p->timestamp = gb_clock_boot_to_realtime(raw->ts_boot_ns);
	p->boot_ns = raw->ts_boot_ns;
	p->mntns = raw->mntns_id;
	p->mntns_uid = raw->mntns_uid;
	p->pid = raw->pid;
	p->tid = raw->tid;
	p->ppid = raw->ppid;
	p->uid = raw->uid;
	p->gid = raw->gid;
	memcpy(p->comm, raw->comm, sizeof(p->comm) - 1);
	p->comm[sizeof(p->comm) - 1] = '\0';
	p->container = NULL;
}

/* ---- exec ---- */

/* Offset just past the @n-th NUL-terminated string at or after @off in buf[0..size) (or size). */
static size_t skip_strings(const char *buf, size_t size, size_t off, unsigned n)
{
	while (n-- && off < size)
		off += strnlen(buf + off, size - off) + 1;
	return off < size ? off : size;
}

/*
 * The argv to show: the strings captured at entry, completed (when a page was not present then) by the
 * new program's argv area. For a script, the kernel put the interpreter in front of the caller's argv, so
 * the caller's argv[i] is the area's string i + (final_argc - orig_argc).
 */
static void exec_argv(const struct exec_event *e, size_t args_size, size_t fn_end, unsigned max_args,
		      struct gb_exec_event *ev, struct strbuf *sb)
{
	size_t cap_end = skip_strings(e->args, args_size, fn_end, e->argc);
	unsigned captured = 0;

	for (size_t off = fn_end; off < cap_end; off += strnlen(e->args + off, cap_end - off) + 1)
		captured++;
	ev->args = e->args + fn_end;
	ev->args_size = cap_end - fn_end;
	ev->argc = captured;
	if (!(e->flags & EXEC_ARGS_FROM_MM))
		return;
	size_t mm_end = cap_end + e->mm_args_size <= args_size ? cap_end + e->mm_args_size : args_size;
	unsigned shift = e->final_argc > e->orig_argc ? e->final_argc - e->orig_argc : 0;
	unsigned limit = e->orig_argc < max_args ? e->orig_argc : max_args;
	unsigned want = limit > captured ? limit - captured : 0;
	size_t from = skip_strings(e->args, mm_end, cap_end, shift + captured);

	sb_reset(sb);
	sb_add(sb, ev->args, ev->args_size);
	for (size_t off = from; want && off < mm_end; want--) {
		size_t n = strnlen(e->args + off, mm_end - off);
		sb_add(sb, e->args + off, n);
		sb_addc(sb, '\0');
		off += n + 1;
		ev->argc++;
	}
	ev->args = sb->buf ? sb->buf : "";
	ev->args_size = sb->len;
}

/* Every argument ends in a NUL, even the last one of a record cut short (then copied to @sb). */
static void terminate_args(struct gb_exec_event *ev, struct strbuf *sb)
{
	if (!ev->args_size || ev->args[ev->args_size - 1] == '\0')
		return;
	if (ev->args != sb->buf) {
		sb_reset(sb);
		sb_add(sb, ev->args, ev->args_size);
	}
	sb_addc(sb, '\0');
	ev->args = sb->buf;
	ev->args_size = sb->len;
}

int gb_decode_exec(const void *data, size_t size, unsigned max_args, struct gb_exec_event *ev, struct strbuf *scratch)
{
	const struct exec_event *e = data;
	size_t hdr = offsetof(struct exec_event, args);

	if (size < hdr)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&e->proc, &ev->proc);
	size_t args_size = e->args_size < size - hdr ? e->args_size : size - hdr;
	size_t fn_len = strnlen(e->args, args_size);

	ev->ret = e->ret;
	ev->filename = e->args;
	exec_argv(e, args_size, fn_len + 1 < args_size ? fn_len + 1 : args_size, max_args ? max_args : 20, ev, scratch);
	if (e->flags & EXEC_FILENAME_AT_END && args_size >= 2) {
		/* the last string: scan back from its NUL */
		size_t start = args_size - 1;
		while (start > 0 && e->args[start - 1] != '\0')
			start--;
		ev->filename = e->args + start;
		fn_len = strnlen(ev->filename, args_size - start);
	}
	ev->filename_len = fn_len;
	terminate_args(ev, scratch);
	ev->filename_truncated = e->flags & EXEC_FILENAME_TRUNCATED;
	ev->cut_mask = e->cut_mask;
	ev->args_truncated = (e->flags & (EXEC_ARGV_TRUNCATED | EXEC_ARGV_UNREADABLE)) || ev->argc < e->orig_argc;
	ev->compat = e->flags & EXEC_COMPAT;
	return 0;
}

/* ---- open ---- */

/* What /proc/PID/fd/N shows for a file without a path, as the kernel's d_dname() callbacks write it. */
static void pseudo_path(struct strbuf *sb, const struct open_event *e, const char *name, size_t name_len)
{
	static const struct {
		const char *fs, *prefix;
	} dnames[] = {{"pipefs", "pipe"}, {"sockfs", "socket"}};
	char fs[sizeof(e->pseudo_fs) + 1];

	snprintf(fs, sizeof(fs), "%.*s", (int)sizeof(e->pseudo_fs), e->pseudo_fs);
	for (size_t i = 0; i < sizeof(dnames) / sizeof(dnames[0]); i++)
		if (!strcmp(fs, dnames[i].fs)) {
			sb_addf(sb, "%s:[%llu]", dnames[i].prefix, (unsigned long long)e->pseudo_ino);
			return;
		}
	if (!strcmp(fs, "anon_inodefs")) {
		sb_adds(sb, "anon_inode:");
		sb_add(sb, name, name_len);
		return;
	}
	/* memfd and other files of kernel-internal mounts: simple_dname() writes "/name (deleted)" */
	sb_addc(sb, '/');
	sb_add(sb, name, name_len);
	sb_adds(sb, " (deleted)");
}

static void full_path(struct strbuf *sb, const struct open_event *e, const char *path, size_t path_len,
		      const char *full, size_t full_len)
{
	sb_reset(sb);
	if (e->path_flags & OPEN_FULL_PSEUDO) {
		pseudo_path(sb, e, full, full_len);
	} else if (e->path_flags & OPEN_FULL_IS_FD) {
		sb_add(sb, full, full_len);
		if (e->path_flags & OPEN_FULL_DELETED)
			sb_adds(sb, " (deleted)");
	} else if (e->path_flags & OPEN_FULL_IS_BASE) {
		/* a failed relative open: where it would have been */
		sb_add(sb, full, full_len);
		if (full_len != 1 || full[0] != '/')
			sb_addc(sb, '/');
		sb_add(sb, path, path_len);
	} else {
		sb_add(sb, path, path_len);
	}
}

int gb_decode_open(const void *data, size_t size, bool want_full, struct gb_open_event *ev, struct strbuf *scratch)
{
	const struct open_event *e = data;
	size_t hdr = offsetof(struct open_event, buf);

	if (size < hdr || e->path_len < 1 || e->path_len > size - hdr)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&e->proc, &ev->proc);
	const char *full = e->buf + e->path_len;
	size_t full_len = e->full_len <= size - hdr - e->path_len ? e->full_len : 0;

	ev->ret = e->ret;
	ev->syscall = e->syscall <= GB_SYS_CREAT ? (enum gb_open_syscall)e->syscall : GB_SYS_OPENAT;
	ev->dirfd = e->dirfd;
	ev->flags = e->flags;
	ev->mode = e->mode;
	ev->resolve = e->resolve;
	ev->path = e->buf;
	ev->path_len = strnlen(e->buf, e->path_len);
	ev->path_truncated = e->path_flags & OPEN_PATH_TRUNCATED;
	if (want_full) {
		full_path(scratch, e, ev->path, ev->path_len, full, full_len);
		ev->full_path = scratch->buf ? scratch->buf : "";
		ev->full_path_len = scratch->len;
		ev->full_path_truncated = e->path_flags & OPEN_FULL_TRUNCATED;
		/* a pipe or socket has no path to be outside of: the kernel side flags it unreachable too */
		ev->full_path_outside_root =
			(e->path_flags & OPEN_FULL_UNREACHABLE) && !(e->path_flags & OPEN_FULL_PSEUDO);
	}
	return 0;
}

const char *gb_open_syscall_name(enum gb_open_syscall s)
{
	static const char *const names[] = {"open", "openat", "openat2", "creat"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* ---- ps ---- */

char gb_task_state_letter(unsigned state, unsigned exit_state)
{
	/* the kernel's task_state_index(): the highest set bit of (state | exit_state) & TASK_REPORT indexes
	 * "RSDTtXZPI"; TASK_IDLE (uninterruptible, no load) reads as I */
	static const char letters[] = "RSDTtXZPI";
	unsigned bits = (state | exit_state) & 0x7f, idx = 0;

	if ((state & 0x402) == 0x402)
		bits = 0x80;
	if (state & (0x1000 | 0x8000)) /* TASK_RTLOCK_WAIT, TASK_FROZEN (a frozen cgroup: docker pause) */
		bits = 0x2;
	while (bits >> idx)
		idx++;
	return letters[idx];
}

int gb_decode_ps(const void *data, size_t size, uint64_t now_ns, struct gb_proc_entry *ev)
{
	const struct ps_record *r = data;

	if (size < sizeof(*r))
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&r->proc, &ev->proc);
	ev->start_time = ev->proc.timestamp;
	ev->proc.timestamp = now_ns;
	ev->nspid = r->nspid;
	ev->nstid = r->nstid;
	ev->pidns = r->pidns;
	ev->state = gb_task_state_letter(r->state, r->exit_state);
	ev->nthreads = r->nthreads;
	ev->kthread = r->flags & 0x00200000; /* PF_KTHREAD */
	return 0;
}
