/* The open record (bpf/opensnoop.h) into a struct gb_open_event: the path, and the full path assembled. */
#include "decode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf/opensnoop.h"

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
