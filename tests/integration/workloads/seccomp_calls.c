/* Syscalls for seccomp-audit's tests, run in order from the command line:
 *   name NAME          set the thread's comm (15 bytes at most)
 *   mkdir PATH         mkdir(2), prints "mkdir: 0" or "mkdir: -ERRNO"
 *   mkdir32 PATH       the same through int $0x80 (the i386 table: mkdir is 39)
 *   thread-mkdir PATH  mkdir in a second thread, then "main alive" once it ended (killed or not)
 *   filter NR ERRNO    install a seccomp filter: syscall NR (x86-64) returns ERRNO, the rest runs
 *   busy N             N rounds of ordinary syscalls (open, read, close, getppid, a short sleep)
 *   sleep MS
 * Static, so it runs in a busybox container (mounted there). */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char path32[256]; /* int $0x80 takes 32-bit pointers: .bss of a static, non-PIE binary is below 4 GiB */

static long mkdir32(const char *path)
{
	long ret;

	snprintf(path32, sizeof(path32), "%s", path);
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(39), "b"(path32), "c"(0755) : "memory");
	return ret;
}

static void *mkdir_thread(void *arg)
{
	long r = syscall(SYS_mkdir, (const char *)arg, 0755);
	printf("mkdir: %ld\n", r ? -(long)errno : 0);
	fflush(stdout);
	return NULL;
}

static int install_filter(int nr, int err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("filter");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *cmd = argv[i], *arg = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(cmd, "name")) {
			prctl(PR_SET_NAME, arg);
			i++;
		} else if (!strcmp(cmd, "mkdir")) {
			long r = syscall(SYS_mkdir, arg, 0755);
			printf("mkdir: %ld\n", r ? -(long)errno : 0);
			i++;
		} else if (!strcmp(cmd, "mkdir32")) {
			printf("mkdir32: %ld\n", mkdir32(arg));
			i++;
		} else if (!strcmp(cmd, "thread-mkdir")) {
			pthread_t t;
			pthread_create(&t, NULL, mkdir_thread, (void *)arg);
			pthread_join(t, NULL);
			printf("main alive\n");
			i++;
		} else if (!strcmp(cmd, "filter") && i + 2 < argc) {
			if (install_filter(atoi(argv[i + 1]), atoi(argv[i + 2])))
				return 1;
			i += 2;
		} else if (!strcmp(cmd, "busy")) {
			for (int n = atoi(arg), k = 0; k < n; k++) {
				char buf[64];
				int fd = open("/proc/self/stat", O_RDONLY);
				if (fd >= 0) {
					(void)!read(fd, buf, sizeof(buf));
					close(fd);
				}
				getppid();
				struct timespec ts = {0, 1000000};
				nanosleep(&ts, NULL);
			}
			i++;
		} else if (!strcmp(cmd, "sleep")) {
			struct timespec ts = {atoi(arg) / 1000, (atoi(arg) % 1000) * 1000000L};
			nanosleep(&ts, NULL);
			i++;
		} else {
			fprintf(stderr, "unknown command %s\n", cmd);
			return 2;
		}
	}
	return 0;
}
