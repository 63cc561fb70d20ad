/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GADGETBOX_OPENSNOOP_H
#define GADGETBOX_OPENSNOOP_H

#include "gadget.h"

#define OPEN_PATH_MAX	  4096 /* PATH_MAX, NUL included */
#define OPEN_FULL_MAX	  8192 /* room for a full path (a path as passed may already be PATH_MAX) */
#define OPEN_MAX_PREFIXES 8
#define OPEN_PREFIX_MAX	  256

enum open_syscall { OPEN_SYS_OPEN, OPEN_SYS_OPENAT, OPEN_SYS_OPENAT2, OPEN_SYS_CREAT };

enum open_path_flags {
	OPEN_PATH_TRUNCATED = 1 << 0,	/* the path as passed did not fit */
	OPEN_FULL_IS_FD = 1 << 1,	/* full path: of the opened file itself */
	OPEN_FULL_IS_BASE = 1 << 2,	/* full path: of the directory a relative path starts from */
	OPEN_FULL_TRUNCATED = 1 << 3,	/* the walk gave up (too deep or too long) */
	OPEN_FULL_DELETED = 1 << 4,	/* the file is unlinked (O_TMPFILE, deleted): " (deleted)" */
	OPEN_FULL_UNREACHABLE = 1 << 5, /* outside the task's root: shown from the namespace root */
	OPEN_FULL_PSEUDO = 1 << 6,	/* no path (pipe, socket, memfd): the full path is the dentry's name */
};

struct open_event {
	struct gb_proc proc;
	__s32 ret; /* fd, or -errno */
	__s32 dirfd;
	__u64 flags;
	__u64 mode;
	__u64 resolve; /* openat2 */
	__u16 syscall; /* enum open_syscall */
	__u16 path_flags;
	__u32 path_len; /* bytes of buf holding the path, NUL included */
	__u32 full_len; /* bytes after it holding the full path (no NUL), 0 without --full-path */
	__u32 pad;
	__u64 pseudo_ino;			     /* OPEN_FULL_PSEUDO: inode number */
	char pseudo_fs[16];			     /* and file system type ("pipefs", "sockfs", "tmpfs") */
	char buf[2 * OPEN_PATH_MAX + OPEN_FULL_MAX]; /* path, then the full path at a masked offset */
};

#endif
