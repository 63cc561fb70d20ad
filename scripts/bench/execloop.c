/* Workload: fork()+execve() of a tiny static program and wait, pinned to a CPU, for a fixed time.
 * usage: execloop CPU SECONDS PROGRAM   → prints "ops=N ns_per_op=X" */
#include "workload.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: execloop CPU SECONDS PROGRAM\n");
		return 2;
	}
	pin_to_cpu(argv[1]);
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
