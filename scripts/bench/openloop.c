/* Workload: open()+close() of one path in a tight loop, pinned to a CPU, for a fixed time.
 * usage: openloop CPU SECONDS PATH   → prints "ops=N ns_per_op=X" */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
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
		fprintf(stderr, "usage: openloop CPU SECONDS PATH\n");
		return 2;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[1]), &set);
	sched_setaffinity(0, sizeof(set), &set);
	double secs = atof(argv[2]), start = now(), end = start + secs, t = start;
	unsigned long ops = 0;
	while (t < end) {
		for (int i = 0; i < 1024; i++) {
			int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				close(fd);
		}
		ops += 1024;
		t = now();
	}
	printf("ops=%lu ns_per_op=%.1f\n", ops, (t - start) * 1e9 / ops);
	return 0;
}
