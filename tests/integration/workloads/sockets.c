/*
 * A container's sockets, for socksnap's tests (built static, bind-mounted into busybox containers).
 *
 *   sockets all PORT     every kind socksnap lists (PORT, PORT+1, ... are used), then a forked child shares
 *                        them all; prints "ready" and waits for SIGTERM
 *   sockets many N PORT  N sockets: TCP listeners and bound UDP sockets on PORT, PORT+1, ...
 *
 * "all" makes, on 127.0.0.1 unless said:
 *   PORT    a TCP listener (0.0.0.0) with one accepted connection: 5 bytes the server never reads
 *   PORT+1  a listener whose accepted connection the client closed first: the client's side is TIME-WAIT
 *   PORT+2  a listener with backlog 1 that never accepts, and 3 clients: a full accept queue, a SYN-SENT
 *   PORT+3  a bound UDP socket (0.0.0.0), and a UDP socket connected to it
 *   PORT+4  a TCP listener on [::1] if the container has IPv6
 *   /tmp/gbt.sock and @gbt-abstract: UNIX stream listeners, one with a connected client; a socketpair
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "sockets: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_in v4(const char *addr, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, addr, &a.sin_addr);
	return a;
}

static int tcp_listener(const char *addr, int port, int backlog)
{
	struct sockaddr_in a = v4(addr, port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) || listen(fd, backlog))
		die("tcp listener");
	return fd;
}

static int tcp_connect(int port, int flags)
{
	struct sockaddr_in a = v4("127.0.0.1", port);
	int fd = socket(AF_INET, SOCK_STREAM | flags, 0);

	if (fd < 0 || (connect(fd, (void *)&a, sizeof(a)) && errno != EINPROGRESS))
		die("tcp connect");
	return fd;
}

static int unix_listener(const char *path, size_t len)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memcpy(a.sun_path, path, len);
	unlink(path);
	if (fd < 0 || bind(fd, (void *)&a, offsetof(struct sockaddr_un, sun_path) + len) || listen(fd, 8))
		die("unix listener");
	return fd;
}

static void all(int port)
{
	/* an established connection with unread bytes */
	int l = tcp_listener("0.0.0.0", port, 16);
	int c = tcp_connect(port, 0);
	int s = accept(l, NULL, NULL);
	if (s < 0 || write(c, "hello", 5) != 5)
		die("established");

	/* TIME-WAIT: the client closes first */
	int l2 = tcp_listener("127.0.0.1", port + 1, 16);
	int c2 = tcp_connect(port + 1, 0);
	int s2 = accept(l2, NULL, NULL);
	char b;
	close(c2);
	if (read(s2, &b, 1) != 0) /* the FIN */
		die("time-wait");
	close(s2);

	/* a full accept queue (backlog 1 holds 2), and a third client left in SYN-SENT */
	tcp_listener("127.0.0.1", port + 2, 1);
	for (int i = 0; i < 3; i++) {
		tcp_connect(port + 2, SOCK_NONBLOCK);
		usleep(50000);
	}

	/* UDP: bound, and connected to it */
	struct sockaddr_in u = v4("0.0.0.0", port + 3), to = v4("127.0.0.1", port + 3);
	int ub = socket(AF_INET, SOCK_DGRAM, 0), uc = socket(AF_INET, SOCK_DGRAM, 0);
	if (ub < 0 || uc < 0 || bind(ub, (void *)&u, sizeof(u)) || connect(uc, (void *)&to, sizeof(to)))
		die("udp");

	/* IPv6, where the container has it */
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port + 4), .sin6_addr = in6addr_loopback};
	int l6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (l6 >= 0 && (bind(l6, (void *)&a6, sizeof(a6)) || listen(l6, 4)))
		close(l6);

	/* UNIX: a named listener with a client, an abstract listener, a socketpair */
	int ul = unix_listener("/tmp/gbt.sock", sizeof("/tmp/gbt.sock"));
	unix_listener("\0gbt-abstract", sizeof("\0gbt-abstract") - 1);
	struct sockaddr_un ua = {.sun_family = AF_UNIX, .sun_path = "/tmp/gbt.sock"};
	int ucl = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ucl < 0 || connect(ucl, (void *)&ua, sizeof(ua)) || accept(ul, NULL, NULL) < 0)
		die("unix client");
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp))
		die("socketpair");
	(void)s;
}

static void many(int n, int port)
{
	for (int i = 0; i < n; i++) {
		if (i % 2 == 0) {
			tcp_listener("127.0.0.1", port + i, 4);
		} else {
			struct sockaddr_in a = v4("127.0.0.1", port + i);
			int fd = socket(AF_INET, SOCK_DGRAM, 0);
			if (fd < 0 || bind(fd, (void *)&a, sizeof(a)))
				die("udp");
		}
	}
}

/* @n connections to a listener of our own, each closed by its client first: @n sockets in TIME-WAIT, which no
 * process holds (more than one run of socksnap's hash walk fits in its ring buffer). */
static void timewait(int n, int port)
{
	int l = tcp_listener("127.0.0.1", port, 128);
	struct sockaddr_in a = v4("127.0.0.1", port);

	for (int i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;
		if (c < 0 || connect(c, (void *)&a, sizeof(a)) || (s = accept(l, NULL, NULL)) < 0)
			die("timewait connect");
		close(c);
		close(s);
	}
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "all"))
		all(atoi(argv[2]));
	else if (argc == 4 && !strcmp(argv[1], "many"))
		many(atoi(argv[2]), atoi(argv[3]));
	else if (argc == 4 && !strcmp(argv[1], "timewait"))
		timewait(atoi(argv[2]), atoi(argv[3]));
	else {
		fprintf(stderr, "usage: sockets all PORT | sockets many N PORT | sockets timewait N PORT\n");
		return 2;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	pid_t child = 0;
	if (argv[1][0] == 'a' && (child = fork()) == 0) { /* shares every socket */
		while (!stop)
			pause();
		return 0;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	return 0;
}
