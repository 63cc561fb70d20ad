/* Workload: fork() of a child that exits at once, and wait, pinned to a CPU, for a fixed time: one process exit
 * (and one SIGCHLD) per operation, what exitsnoop and sigsnoop trace. usage: forkloop CPU SECONDS → prints
 * "ops=N ns_per_op=X" */
#include "workload.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: forkloop CPU SECONDS\n");
		return 2;
	}
	pin_to_cpu(argv[1]);
	double start = now(), end = start + atof(argv[2]), t = start;
	unsigned long ops = 0;
	while (t < end) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(3);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		ops++;
		t = now();
	}
	printf("ops=%lu ns_per_op=%.1f\n", ops, (t - start) * 1e9 / ops);
	return 0;
}
