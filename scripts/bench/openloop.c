/* Workload: open()+close() of one path in a tight loop, pinned to a CPU, for a fixed time.
 * usage: openloop CPU SECONDS PATH   → prints "ops=N ns_per_op=X" */
#include "workload.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: openloop CPU SECONDS PATH\n");
		return 2;
	}
	pin_to_cpu(argv[1]);
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
