/* Workload: fork()+execve() of a tiny static program and wait, pinned to a CPU, for a fixed time.
 * usage: execloop CPU SECONDS PROGRAM   → prints "ops=N ns_per_op=X" */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: execloop CPU SECONDS PROGRAM\n");
		return 2;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[1]), &set);
	sched_setaffinity(0, sizeof(set), &set);
	double start = now(), end = start + atof(argv[2]), t = start;
	unsigned long ops = 0;
	char *const args[] = {argv[3], "gb-bench-exec", NULL};
	while (t < end) {
		pid_t pid = fork();
		if (pid == 0) {
			execv(argv[3], args);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		ops++;
		t = now();
	}
	printf("ops=%lu ns_per_op=%.1f\n", ops, (t - start) * 1e9 / ops);
	return 0;
}
