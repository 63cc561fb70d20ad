/*
 * The host's file system, seen from wherever gadgetbox runs: `--host-root PATH` (default $HOST_ROOT, else "/")
 * prefixes every host path (proc, run, var/lib). Paths are resolved inside the root with openat2
 * RESOLVE_IN_ROOT, so a symlink or ".." in a runtime's files can never lead outside it.
 */
#ifndef GADGETBOX_HOSTROOT_H
#define GADGETBOX_HOSTROOT_H

#include <dirent.h>
#include <stddef.h>

#include "strbuf.h"

/* Set the host root (NULL: $HOST_ROOT or "/"). Returns 0, or -1 after printing why. */
int gb_host_root_init(const char *path);
const char *gb_host_root(void);
/* Open an absolute host path inside the root. Returns an fd or -errno. */
int gb_host_open(const char *path, int flags);
/* Same, relative to a directory fd obtained from gb_host_open (stays inside the root too). */
int gb_host_openat(int dirfd, const char *path, int flags);
DIR *gb_host_opendir(const char *path);
/* Read a whole host file (at most @max bytes; larger is -EFBIG). Returns bytes read or -errno. */
long gb_host_read(const char *path, struct strbuf *out, size_t max);
long gb_read_fd(int fd, struct strbuf *out, size_t max);
/* Whether this process is in the pid namespace of the host's processes (1) or in one below it (0: a debug
 * container without --pid=host, where task iterators see only that container's tasks). */
int gb_host_pids_visible(void);

#endif
