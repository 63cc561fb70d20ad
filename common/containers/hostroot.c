#include "hostroot.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "diag.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static char root_path[4096] = "/";
static int root_fd = -1;
static int have_openat2 = 1;

int gb_host_root_init(const char *path)
{
	if (!path || !*path)
		path = getenv("HOST_ROOT");
	if (!path || !*path)
		path = "/";
	if (root_fd >= 0)
		close(root_fd);
	root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		gb_err("cannot open host root %s: %s", path, strerror(errno));
		return -1;
	}
	if (!realpath(path, root_path))
		snprintf(root_path, sizeof(root_path), "%s", path);
	return 0;
}

const char *gb_host_root(void)
{
	return root_path;
}

int gb_host_openat(int dirfd, const char *path, int flags)
{
	if (root_fd < 0 && gb_host_root_init(NULL))
		return -ENOENT;
	if (dirfd < 0)
		dirfd = root_fd;
	while (*path == '/' && dirfd == root_fd)
		path++;
	if (!*path)
		path = ".";
	if (have_openat2) {
		struct open_how how = {
			.flags = (unsigned)(flags | O_CLOEXEC),
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		/* RESOLVE_IN_ROOT treats dirfd as "/": absolute symlinks and ".." stay inside */
		int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd >= 0 ? fd : -errno;
		have_openat2 = 0;
	}
	/* kernels before 5.6: only safe when the root is the real root, where nothing can escape */
	if (strcmp(root_path, "/") != 0)
		return -ENOSYS;
	int fd = openat(dirfd, path, flags | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

int gb_host_open(const char *path, int flags)
{
	return gb_host_openat(-1, path, flags);
}

DIR *gb_host_opendir(const char *path)
{
	int fd = gb_host_open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	DIR *d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

long gb_read_fd(int fd, struct strbuf *out, size_t max)
{
	size_t start = out->len;

	for (;;) {
		if (!sb_reserve(out, 16384))
			return -ENOMEM;
		ssize_t n = read(fd, out->buf + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		out->len += n;
		if (out->len - start > max)
			return -EFBIG;
	}
	out->buf[out->len] = '\0';
	return (long)(out->len - start);
}

long gb_host_read(const char *path, struct strbuf *out, size_t max)
{
	int fd = gb_host_open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	long n = gb_read_fd(fd, out, max);
	close(fd);
	return n;
}

/* The inode of the kernel's initial pid namespace, the same on every kernel (PROC_PID_INIT_INO) */
#define PID_INIT_INO 0xEFFFFFFCu

int gb_host_pids_visible(void)
{
	if (strcmp(root_path, "/") != 0) {
		/* the host's procfs under the host root: "NSpid:" lists our pid in every pid namespace from that
		 * procfs's down to our own, so one number means we are in the host's (measured in a docker container
		 * with -v /:/host: "NSpid: 5123 1" without --pid=host, "NSpid: 5123" with it) */
		struct strbuf sb = {0};
		const char *at;
		int visible = -1;
		if (gb_host_read("/proc/self/status", &sb, 1 << 16) > 0 && (at = strstr(sb.buf, "\nNSpid:"))) {
			at += strlen("\nNSpid:");
			size_t len = strcspn(at, "\n"), numbers = 0;
			for (size_t i = 0; i < len; i++)
				numbers += (at[i] >= '0' && at[i] <= '9') &&
					   (i == 0 || at[i - 1] == ' ' || at[i - 1] == '\t');
			visible = numbers == 1;
		}
		sb_free(&sb);
		if (visible >= 0)
			return visible;
	}
	/* no host procfs to ask: the host's processes are in the kernel's initial pid namespace (a node that is
	 * itself a container, as kind's, needs the host root for this) */
	struct stat st;
	if (stat("/proc/self/ns/pid", &st))
		return 1; /* cannot tell: say nothing */
	return st.st_ino == PID_INIT_INO;
}
