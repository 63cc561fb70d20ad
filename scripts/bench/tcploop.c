/* Workload: a loopback TCP connect+accept+close cycle in a tight loop, pinned to a CPU, for a fixed time: a forked
 * server accepts each connection, reads it to EOF and closes it; the client connects, writes a byte and closes.
 * usage: tcploop CPU SECONDS   → prints "ops=N ns_per_op=X" (one op: one connection, both ends) */
#include "workload.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: tcploop CPU SECONDS\n");
		return 2;
	}
	pin_to_cpu(argv[1]);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4096) || getsockname(l, (struct sockaddr *)&a, &len))
		return perror("listen"), 1;
	pid_t server = fork();
	if (server == 0) {
		char buf[64];
		for (;;) {
			int c = accept(l, NULL, NULL);
			if (c < 0)
				continue;
			while (read(c, buf, sizeof(buf)) > 0)
				;
			close(c);
		}
	}
	close(l);
	double secs = atof(argv[2]), start = now(), end = start + secs, t = start;
	unsigned long ops = 0;
	while (t < end) {
		for (int i = 0; i < 64; i++) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			/* SO_LINGER 0: a reset instead of TIME-WAIT, so that a long run does not use up the ports */
			struct linger lg = {.l_onoff = 1, .l_linger = 0};
			if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
				return perror("connect"), 1;
			if (write(fd, "x", 1) != 1)
				return perror("write"), 1;
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);
		}
		ops += 64;
		t = now();
	}
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	printf("ops=%lu ns_per_op=%.1f\n", ops, (t - start) * 1e9 / ops);
	return 0;
}
