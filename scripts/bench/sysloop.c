/* A syscall loop for the seccomp benchmarks: N getppid() calls; prints the ns per call. Static, so it runs in a
 * busybox container. Usage: sysloop N [filter|deny]
 *   filter: first install a seccomp filter that allows everything (the loop runs under a filter, as a
 *           container's processes do)
 *   deny:   first install one that refuses getppid with EPERM (every call is a denial)
 * SYSLOOP_CLOCK=cpu: the loop's own CPU time per call, not wall time (on a loaded machine, the time it waited
 * for the CPU is left out: what the programs on the syscalls cost stays, other people's work does not). */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int install(int deny)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, deny ? SYS_getppid : 0xffffff, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000000;
	const char *clk = getenv("SYSLOOP_CLOCK");
	clockid_t id = clk && !strcmp(clk, "cpu") ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
	struct timespec a, b;

	if (argc > 2 && install(!strcmp(argv[2], "deny"))) {
		perror("sysloop: seccomp");
		return 1;
	}
	clock_gettime(id, &a);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(id, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
