/*
 * Binds and TCP connections on demand, for bindsnoop-k8s's and tcptracer-k8s's tests (built static,
 * bind-mounted into busybox containers). Each command prints one line saying what happened, with the times
 * it measured itself, so the tests compare the tracer against the program's own view.
 *
 *   netprobe listen ADDR PORT           a TCP listener; prints "ready PORT" (the port it got), waits for SIGTERM
 *   netprobe bind ADDR PORT             bind a TCP socket once: "ok PORT" or "error ERRNO", exit 0 or 1
 *   netprobe unix NAME                  bind an abstract UNIX socket named NAME and exit (a marker event)
 *   netprobe serve ADDR PORT N REPLY    accept N connections one after the other; read each to EOF, write REPLY
 *                                       bytes, close; prints "ready PORT" first, then "conn PEERPORT READ" for each
 *   netprobe client ADDR PORT SEND [rst] connect, write SEND bytes, shut down writing, read to EOF, close (with
 *                                       rst: SO_LINGER 0, a reset instead of a FIN); prints "client LPORT RET
 *                                       CONNECT_NS READ AGE_NS" (RET 0 or the errno's name; AGE_NS from before the
 *                                       connect to after the close)
 *   netprobe nbconnect ADDR PORT        a non-blocking connect, poll for its result: "client LPORT RET NS"
 *   netprobe pass ADDR PORT             connect, pass the socket to a forked child over a UNIX socketpair, close
 *                                       it here, then let the child go on: it writes 1 byte and closes the last
 *                                       fd of it: "passed PARENT CHILD"
 *   netprobe burst N                    N connections over loopback as fast as they go: a forked server accepts
 *                                       and closes each, the client connects, writes 1 byte and closes; prints
 *                                       "burst PORT N" at the end
 * ADDR is an IPv4 or IPv6 address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EADDRINUSE: return "EADDRINUSE";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNRESET: return "ECONNRESET";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	}
	static char buf[16];
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void die(const char *what)
{
	fprintf(stderr, "netprobe: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* @addr:@port as a sockaddr; its family in *family */
static socklen_t sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss, int *family)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = *family = AF_INET;
		a4->sin_port = htons(port);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = *family = AF_INET6;
		a6->sin6_port = htons(port);
		return sizeof(*a6);
	}
	fprintf(stderr, "netprobe: bad address %s\n", addr);
	exit(2);
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

static int bound_socket(const char *addr, int port, int *err)
{
	struct sockaddr_storage ss;
	int family;
	socklen_t len = sockaddr_of(addr, port, &ss, &family);
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	*err = bind(fd, (struct sockaddr *)&ss, len) ? errno : 0;
	return fd;
}

static int connect_to(const char *addr, int port, int flags, int *err)
{
	struct sockaddr_storage ss;
	int family;
	socklen_t len = sockaddr_of(addr, port, &ss, &family);
	int fd = socket(family, SOCK_STREAM | flags, 0);

	if (fd < 0)
		die("socket");
	*err = connect(fd, (struct sockaddr *)&ss, len) ? errno : 0;
	return fd;
}

static void wait_term(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &sig);
}

static long read_all(int fd)
{
	char buf[65536];
	long total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	return total;
}

static void write_n(int fd, long n)
{
	static char buf[65536];

	while (n > 0) {
		ssize_t w = write(fd, buf, n < (long)sizeof(buf) ? (size_t)n : sizeof(buf));
		if (w <= 0)
			return;
		n -= w;
	}
}

int main(int argc, char **argv)
{
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "listen")) {
		int fd = bound_socket(argv[2], atoi(argv[3]), &err);
		if (err || listen(fd, 16))
			die("listen");
		printf("ready %d\n", local_port(fd));
		wait_term();
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "bind")) {
		int fd = bound_socket(argv[2], atoi(argv[3]), &err);
		if (err)
			printf("error %s\n", errname(err));
		else
			printf("ok %d\n", local_port(fd));
		return err != 0;
	}
	if (argc == 3 && !strcmp(argv[1], "unix")) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		size_t n = strlen(argv[2]);
		if (n > sizeof(a.sun_path) - 1)
			n = sizeof(a.sun_path) - 1;
		memcpy(a.sun_path + 1, argv[2], n);
		return bind(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) != 0;
	}
	if (argc == 6 && !strcmp(argv[1], "serve")) {
		int fd = bound_socket(argv[2], atoi(argv[3]), &err), n = atoi(argv[4]);
		long reply = atol(argv[5]);
		if (err || listen(fd, 128))
			die("listen");
		printf("ready %d\n", local_port(fd));
		for (int i = 0; i < n; i++) {
			struct sockaddr_storage peer;
			socklen_t len = sizeof(peer);
			int c = accept(fd, (struct sockaddr *)&peer, &len);
			if (c < 0)
				die("accept");
			long got = read_all(c);
			write_n(c, reply);
			int pport = ntohs(peer.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&peer)->sin6_port
								     : ((struct sockaddr_in *)&peer)->sin_port);
			close(c);
			printf("conn %d %ld\n", pport, got);
		}
		return 0;
	}
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "client")) {
		long long t0 = now_ns();
		int fd = connect_to(argv[2], atoi(argv[3]), 0, &err);
		long long t1 = now_ns();
		long got = 0;
		if (!err) {
			write_n(fd, atol(argv[4]));
			if (argc == 6) { /* a reset: unread data, or SO_LINGER 0 */
				struct linger l = {.l_onoff = 1, .l_linger = 0};
				setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			} else {
				shutdown(fd, SHUT_WR);
				got = read_all(fd);
			}
		}
		int lport = local_port(fd);
		close(fd);
		printf("client %d %s %lld %ld %lld\n", lport, errname(err), t1 - t0, got, now_ns() - t0);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "nbconnect")) {
		long long t0 = now_ns();
		int fd = connect_to(argv[2], atoi(argv[3]), SOCK_NONBLOCK, &err);
		if (err == EINPROGRESS) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			socklen_t len = sizeof(err);
			poll(&p, 1, 60000);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		}
		long long t1 = now_ns();
		int lport = local_port(fd);
		close(fd);
		printf("client %d %s %lld\n", lport, errname(err), t1 - t0);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "pass")) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
			die("socketpair");
		pid_t child = fork();
		if (child == 0) { /* receive the socket, use it, close it */
			char c, cbuf[CMSG_SPACE(sizeof(int))];
			struct iovec iov = {.iov_base = &c, .iov_len = 1};
			struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
			if (recvmsg(sp[1], &m, 0) != 1)
				die("recvmsg");
			int fd;
			memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(fd));
			if (read(sp[1], &c, 1) != 1) /* the parent has closed its fd */
				die("read");
			write_n(fd, 1);
			close(fd);
			return 0;
		}
		int fd = connect_to(argv[2], atoi(argv[3]), 0, &err);
		if (err)
			die("connect");
		char c = 'x', cbuf[CMSG_SPACE(sizeof(int))] = {0};
		struct iovec iov = {.iov_base = &c, .iov_len = 1};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
		if (sendmsg(sp[0], &m, 0) != 1)
			die("sendmsg");
		close(fd);
		if (write(sp[0], &c, 1) != 1)
			die("write");
		waitpid(child, NULL, 0);
		printf("passed %d %d\n", (int)getpid(), (int)child);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "burst")) {
		int n = atoi(argv[2]), lfd = bound_socket("127.0.0.1", 0, &err);
		if (err || listen(lfd, 4096))
			die("listen");
		int port = local_port(lfd);
		pid_t server = fork();
		if (server == 0) {
			for (int i = 0; i < n; i++) {
				int c = accept(lfd, NULL, NULL);
				if (c < 0)
					die("accept");
				read_all(c);
				close(c);
			}
			return 0;
		}
		close(lfd);
		for (int i = 0; i < n; i++) {
			int fd = connect_to("127.0.0.1", port, 0, &err);
			if (err)
				die("connect");
			write_n(fd, 1);
			close(fd);
		}
		waitpid(server, NULL, 0);
		printf("burst %d %d\n", port, n);
		return 0;
	}
	fprintf(stderr, "netprobe: bad arguments (see the comment at the top of netprobe.c)\n");
	return 2;
}
