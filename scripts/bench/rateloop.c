/* Workload at a fixed rate of traced events, pinned to a CPU, for the loss-under-contention phase.
 * usage: rateloop KIND CPU EVENTS_PER_S SECONDS ARG   → prints "events=N seconds=X"
 *   open: open()+close() of the file ARG (one open event each)
 *   exec: execve() of the missing program ARG (one failed exec each, with its argv; execsnoop-k8s -x)
 *   dns:  a DNS query to 127.0.0.1:ARG, received and answered by a socket of ours, its answer received (four
 *         messages each, as dnssnoop sees them: the query sent and received, the answer sent and received)
 * Events are made in 1 ms steps (at 80,000/s: 80 per step), so the rate holds at every millisecond, not only
 * on average: what a tracer's ring buffer must absorb is the time its reader is kept from a CPU. */
#include "workload.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int dns_out = -1, dns_in = -1;
static struct sockaddr_in dns_to;

static int dns_setup(const char *port)
{
	dns_to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(atoi(port))};
	inet_pton(AF_INET, "127.0.0.1", &dns_to.sin_addr);
	dns_in = socket(AF_INET, SOCK_DGRAM, 0);
	dns_out = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 8 << 20;
	setsockopt(dns_in, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (dns_in < 0 || dns_out < 0 || bind(dns_in, (struct sockaddr *)&dns_to, sizeof(dns_to))) {
		perror("rateloop: dns socket");
		return -1;
	}
	return 0;
}

/* one query for qN.gbloss.test (a valid message: dnssnoop decodes it), its answer (NXDOMAIN) and its reception */
static void dns_one(unsigned long n)
{
	unsigned char q[64] = {(unsigned char)(n >> 8), (unsigned char)n, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	char label[16], buf[512];
	size_t len = 12, l = (size_t)snprintf(label, sizeof(label), "q%lu", n % 100000000);

	q[len++] = (unsigned char)l;
	memcpy(q + len, label, l), len += l;
	memcpy(q + len, "\6gbloss\4test\0\0\1\0\1", 17), len += 17;
	sendto(dns_out, q, len, 0, (struct sockaddr *)&dns_to, sizeof(dns_to));
	ssize_t got = recvfrom(dns_in, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
	if (got >= 12) {
		buf[2] |= (char)0x80, buf[3] = 3; /* QR, NXDOMAIN */
		sendto(dns_in, buf, (size_t)got, 0, (struct sockaddr *)&from, fromlen);
		recv(dns_out, buf, sizeof(buf), 0);
	}
}

static void exec_one(const char *path)
{
	char *argv[] = {(char *)path, "gb-loss-arg", NULL}, *envp[] = {NULL};

	execve(path, argv, envp); /* fails: ENOENT */
}

static void open_one(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: rateloop open|exec|dns CPU EVENTS_PER_S SECONDS ARG\n");
		return 2;
	}
	const char *kind = argv[1], *arg = argv[5];
	double rate = atof(argv[3]), secs = atof(argv[4]);
	int per_op = !strcmp(kind, "dns") ? 4 : 1;
	if (strcmp(kind, "open") && strcmp(kind, "exec") && strcmp(kind, "dns"))
		return fprintf(stderr, "rateloop: unknown kind %s\n", kind), 2;
	if (per_op == 4 && dns_setup(arg))
		return 1;
	pin_to_cpu(argv[2]);
	double start = now(), t = start, end = start + secs;
	unsigned long ops = 0;
	/* a traced event may cost more than the rate leaves it: then the loop runs flat out, and says what it reached
	 */
	while (t < end) {
		unsigned long due = (unsigned long)((t - start) * rate / per_op) + 1;
		for (; ops < due && (ops % 64 || now() < end); ops++)
			if (per_op == 4)
				dns_one(ops);
			else if (kind[0] == 'e')
				exec_one(arg);
			else
				open_one(arg);
		struct timespec step = {0, 1000000 - (long)((now() - start) * 1e9) % 1000000};
		nanosleep(&step, NULL);
		t = now();
	}
	printf("events=%lu seconds=%.3f\n", ops * per_op, now() - start);
	return 0;
}
