/*
 * Workload for tests/integration/test_opensnoop.py (compiled at test time: gcc -O2 -o opens opens.c).
 *
 *   opens fidelity DIR     every kind of open the tracer decodes, in DIR (created fresh by the caller);
 *                          prints "NAME VALUE" lines (fds, dirfds) the test checks events against
 *   opens fullpath DIR     opens files in DIR in every way a path can be written and keeps them open; prints
 *                          "PATH-FD <fd> <readlink /proc/self/fd/fd>\0" and "FAIL <path as passed>\0"
 *                          records and "DONE\0", then waits for EOF on stdin
 *   opens burst DIR N      open(DIR/missing-<i>) for i in [0, N): N failing opens (ENOENT), as fast as it can
 *   opens openat2-cold DIR openat2(AT_FDCWD, "target", how) in DIR with the path and struct open_how in pages
 *                          of a file mapping this process never touched (present only once the kernel reads them)
 *   opens compat P1 P2..   open(P, O_RDONLY) through the i386 syscall ABI (int $0x80, x86-64 only), then
 *                          an ordinary openat of P1 ".native"; prints "<path> <result>" per compat open
 *
 * Every syscall here is checked: the workload exits non-zero if anything did not go as planned, so a test
 * never compares the tracer against a run that did something else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "opens: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (errno %d: %s)\n", errno, strerror(errno));
	va_end(ap);
	exit(1);
}

/* A call that must succeed: returns the fd. */
static int ok(int fd, const char *what)
{
	if (fd < 0)
		die("%s failed", what);
	return fd;
}

/* A call that must fail with @err. */
static void fails(int rc, int err, const char *what)
{
	if (rc >= 0 || errno != err)
		die("%s: expected errno %d, got rc %d", what, err, rc);
}

static int sys_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long mode,
		       unsigned long long resolve)
{
	struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* 20 nested directories of 199-byte names below the cwd, and the 4,000-byte relative path of a file in them. */
static void long_path(char *out)
{
	char *p = out;

	for (int i = 0; i < 19; i++) {
		memset(p, 'a' + i, 199);
		p[199] = '\0';
		if (mkdir(out, 0755))
			die("mkdir long");
		p[199] = '/';
		p += 200;
	}
	memset(p, 'z', 4000 - 19 * 200);
	p[4000 - 19 * 200] = '\0';
	if (strlen(out) != 4000)
		die("long path length %zu", strlen(out));
}

static int fidelity(const char *dir)
{
	static char longp[4096];
	int fd, dfd, topfd;

	if (chdir(dir))
		die("chdir");
	umask(022);
	/* relative opens after chdir */
	fd = ok(open("created.txt", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640), "create relative");
	printf("CREAT_FD %d\n", fd);
	close(fd);
	close(ok(open("created.txt", O_RDONLY), "open relative"));
	/* dirfd-relative openat */
	if (mkdir("sub", 0755))
		die("mkdir sub");
	dfd = ok(open("sub", O_RDONLY | O_DIRECTORY), "open sub");
	printf("DIRFD %d\n", dfd);
	fd = ok(openat(dfd, "in-sub.txt", O_RDWR | O_CREAT | O_APPEND, 0600), "openat dirfd");
	close(fd);
	fails(openat(dfd, "missing-in-sub", O_RDONLY), ENOENT, "openat dirfd missing");
	/* newline, non-ASCII (é, ✓) and an invalid UTF-8 byte (0xff) in one name */
	close(ok(open("nl\nname-\xc3\xa9-\xe2\x9c\x93-\xff-end", O_WRONLY | O_CREAT | O_TRUNC, 0644), "odd name"));
	/* a 4,000-byte path that exists */
	long_path(longp);
	close(ok(open(longp, O_WRONLY | O_CREAT, 0600), "long path"));
	/* failures */
	fails(open("no-such-dir/no-such-file", O_RDONLY), ENOENT, "ENOENT");
	close(ok(open("secret", O_WRONLY | O_CREAT, 0), "create secret"));
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) { /* EACCES: nobody opening a 0000 file */
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			die("drop privileges");
		fails(open("secret", O_RDONLY), EACCES, "EACCES");
		_exit(0);
	}
	int status;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("EACCES child failed");
	printf("CHILD %d\n", (int)child);
	if (symlink("created.txt", "link"))
		die("symlink");
	fails(open("link", O_RDONLY | O_NOFOLLOW), ELOOP, "ELOOP");
	/* O_TMPFILE */
	fd = ok(open(".", O_TMPFILE | O_RDWR, 0600), "O_TMPFILE");
	printf("TMPFILE_FD %d\n", fd);
	close(fd);
	/* openat2: resolve flags; one succeeds, two fail because of them */
	topfd = ok(open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open .");
	printf("TOPFD %d\n", topfd);
	fd = ok(sys_openat2(topfd, "created.txt", O_RDONLY, 0, RESOLVE_BENEATH), "openat2 beneath");
	printf("OPENAT2_FD %d\n", fd);
	close(fd);
	fails(sys_openat2(topfd, "../escape", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV, "openat2 EXDEV");
	fails(sys_openat2(topfd, "link", O_RDONLY, 0, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH), ELOOP, "openat2 ELOOP");
	close(ok(sys_openat2(AT_FDCWD, "openat2-created", O_WRONLY | O_CREAT | O_EXCL, 0640, RESOLVE_NO_SYMLINKS),
		 "openat2 create"));
	/* creat and the legacy open syscall (glibc's open() is openat) */
	fd = ok((int)syscall(SYS_creat, "creat.txt", 0644), "creat");
	printf("CREAT_SYSCALL_FD %d\n", fd);
	close(fd);
	fd = ok((int)syscall(SYS_open, "created.txt", O_RDONLY), "SYS_open");
	printf("LEGACY_OPEN_FD %d\n", fd);
	close(fd);
	fails((int)syscall(SYS_open, "legacy-missing", O_RDONLY), ENOENT, "SYS_open ENOENT");
	close(topfd);
	close(dfd);
	fflush(stdout);
	return 0;
}

static void record_fd(int fd)
{
	char link[64], target[8192];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target));
	if (n < 0 || n == sizeof(target))
		die("readlink %s", link);
	printf("PATH-FD %d ", fd);
	fwrite(target, 1, n, stdout);
	putchar('\0');
}

static void record_fail(int rc, const char *path)
{
	if (rc >= 0)
		die("open %s should fail", path);
	printf("FAIL %s", path);
	putchar('\0');
}

/* Layout made by the test: DIR/sub/f2 exists, DIR/bind is a bind mount of DIR/sub, DIR/stack has two tmpfs
 * mounted on it, the upper one holding f3. */
static int fullpath(const char *dir)
{
	static char longp[4096];
	int dfd;

	if (chdir(dir))
		die("chdir");
	record_fd(ok(open("f1", O_RDWR | O_CREAT, 0644), "relative"));
	dfd = ok(open("sub", O_RDONLY | O_DIRECTORY), "sub");
	record_fd(dfd);
	record_fd(ok(openat(dfd, "f2", O_RDONLY), "dirfd-relative"));
	if (symlink("sub", "slink"))
		die("symlink");
	record_fd(ok(open("slink/f2", O_RDONLY), "through a symlinked directory"));
	record_fd(ok(open("bind/f2", O_RDONLY), "through a bind mount"));
	record_fd(ok(open("stack/f3", O_RDONLY), "on the upper of two stacked mounts"));
	if (symlink("f1", "link-to-f1"))
		die("symlink");
	record_fd(ok(open("link-to-f1", O_RDONLY), "a symlink to a file"));
	record_fd(ok(open("sub/../f1", O_RDONLY), "dot-dot"));
	record_fd(ok(open("/", O_RDONLY | O_DIRECTORY), "root"));
	record_fd(ok(open(".", O_TMPFILE | O_RDWR, 0600), "O_TMPFILE"));
	record_fd(ok(open("nl\nname-\xc3\xa9-\xff", O_WRONLY | O_CREAT, 0644), "odd name"));
	long_path(longp);
	record_fd(ok(open(longp, O_WRONLY | O_CREAT, 0600), "long path"));
	/* a file unlinked after it was opened: (deleted) */
	int gone = ok(open("gone", O_WRONLY | O_CREAT, 0644), "gone");
	if (unlink("gone"))
		die("unlink");
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", gone);
	record_fd(ok(open(self, O_RDONLY), "reopen of a deleted file"));
	/* failures: relative to the cwd and to a dirfd */
	record_fail(open("nope/x", O_RDONLY), "nope/x");
	record_fail(openat(dfd, "nope-in-sub", O_RDONLY), "nope-in-sub");
	printf("DONE");
	putchar('\0');
	fflush(stdout);
	/* keep everything open until the test has looked */
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}

static int burst(const char *dir, long n)
{
	char path[4096];
	int len = snprintf(path, sizeof(path), "%s/missing-", dir);

	if (len <= 0 || len > 4000)
		die("dir too long");
	for (long i = 0; i < n; i++) {
		snprintf(path + len, sizeof(path) - len, "%ld", i);
		int fd = open(path, O_RDONLY);
		if (fd >= 0 || errno != ENOENT)
			die("burst open %s", path);
	}
	return 0;
}

static int openat2_cold(const char *dir)
{
	struct open_how how = {.flags = O_RDONLY | O_NOFOLLOW, .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
	static char page[8192];
	int f, fd;

	if (chdir(dir))
		die("chdir");
	close(ok(open("target", O_CREAT | O_WRONLY, 0644), "target"));
	memcpy(page, &how, sizeof(how));
	strcpy(page + 4096, "target");
	f = ok(open("how.bin", O_CREAT | O_RDWR | O_TRUNC, 0644), "how.bin");
	if (write(f, page, sizeof(page)) != (ssize_t)sizeof(page))
		die("write");
	/* mapped, not touched: no page table entry until the kernel's own copy faults it in */
	char *m = mmap(NULL, sizeof(page), PROT_READ, MAP_PRIVATE, f, 0);
	if (m == MAP_FAILED)
		die("mmap");
	fd = ok((int)syscall(SYS_openat2, AT_FDCWD, m + 4096, m, sizeof(how)), "openat2 cold");
	printf("%d\n", fd);
	return 0;
}

static int compat(int n, char **paths)
{
#ifdef __x86_64__
	/* the i386 ABI takes 32-bit pointers: the path must live below 4 GiB */
	char *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap MAP_32BIT");
	for (int i = 0; i < n; i++) {
		long ret;
		snprintf(buf, 4096, "%s", paths[i]);
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(5L /* i386 __NR_open */), "b"(buf), "c"(0L), "d"(0L)
				 : "memory");
		printf("%s %ld\n", paths[i], ret);
	}
	snprintf(buf, 4096, "%s.native", paths[0]);
	int fd = open(buf, O_RDONLY);
	if (fd >= 0)
		close(fd);
	return 0;
#else
	(void)n, (void)paths;
	fprintf(stderr, "opens: compat: x86-64 only\n");
	return 3;
#endif
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc == 3 && !strcmp(argv[1], "fidelity"))
		return fidelity(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "fullpath"))
		return fullpath(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "burst"))
		return burst(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "openat2-cold"))
		return openat2_cold(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "compat"))
		return compat(argc - 2, argv + 2);
	fprintf(stderr, "usage: opens fidelity DIR | fullpath DIR | burst DIR N | openat2-cold DIR | compat PATH...\n");
	return 2;
}
