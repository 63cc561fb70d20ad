/*
 * A small DNS server for dnssnoop's tests (built static, so it also runs in busybox containers). UDP and TCP
 * on PORT of 0.0.0.0 (and :: where there is IPv6). What it answers depends on the question's first label:
 *
 *   slow.*    the answer after DELAY_MS          silent.*  no answer at all
 *   nx.*      NXDOMAIN with an SOA in authority  fail.*    SERVFAIL
 *   trunc.*   over UDP: TC set, no answer; over TCP: three A records
 *   big.*     over TCP: ~60 KiB of TXT records (one message, many segments); over UDP: TC set
 *   bigclose.* the same, and the connection is closed at once (the FIN goes with the last data)
 *   loop.*    a reply whose answer name is a compression pointer to itself (malformed)
 *   anything else: A 10.0.0.1 (AAAA fd00::1 for AAAA), TTL 300
 *
 * Usage: dnsserver PORT DELAY_MS     prints "ready" once listening; SIGTERM ends it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXMSG 65535

static int delay_ms;

static void put16(uint8_t *p, unsigned v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* The end of the question's name (uncompressed), or 0. */
static size_t name_end(const uint8_t *q, size_t len, size_t off)
{
	while (off < len && q[off]) {
		if (q[off] & 0xc0)
			return 0;
		off += q[off] + 1;
	}
	return off < len ? off + 1 : 0;
}

static bool first_label_is(const uint8_t *q, const char *s)
{
	size_t n = strlen(s);
	return q[12] == n && !strncasecmp((const char *)q + 13, s, n);
}

/* The answer to query @q (@qlen bytes) into @r; its length, 0 for none, -1 to wait DELAY_MS first. */
static long answer(const uint8_t *q, size_t qlen, uint8_t *r, bool tcp, bool *delayed)
{
	*delayed = false;
	if (qlen < 12 || (q[2] & 0x80))
		return 0;
	size_t qend = name_end(q, qlen, 12);
	if (!qend || qend + 4 > qlen)
		return 0;
	unsigned qtype = q[qend] << 8 | q[qend + 1];
	size_t qsize = qend + 4 - 12;
	if (first_label_is(q, "silent"))
		return 0;
	*delayed = first_label_is(q, "slow");
	memcpy(r, q, 12 + qsize);
	r[2] = 0x80 | (q[2] & 0x79) | 0x04; /* QR, opcode and RD kept, AA */
	r[3] = 0x80;			    /* RA */
	put16(r + 4, 1);
	put16(r + 6, 0);
	put16(r + 8, 0);
	put16(r + 10, 0);
	size_t o = 12 + qsize;
	if (first_label_is(q, "nx") || first_label_is(q, "fail")) {
		r[3] |= first_label_is(q, "nx") ? 3 : 2;
		if (r[3] & 1) { /* the zone's SOA, name "test." */
			static const uint8_t soa[] = {4,   't', 'e',  's', 't', 0,   0,	  6,	0, 1, 0,   0,
						      0,   60,	0,    32,  2,	'n', 's', 0xc0, 0, 4, 'r', 'o',
						      'o', 't', 0xc0, 0,   0,	0,   0,	  1,	0, 0, 0,   60,
						      0,   0,	0,    60,  0,	0,   0,	  60,	0, 0, 0,   60};
			memcpy(r + o, soa, sizeof(soa));
			/* the compression pointers point to "test." at this record's start */
			r[o + 19] = 0xc0 | (uint8_t)(o >> 8);
			r[o + 20] = (uint8_t)o;
			r[o + 26] = 0xc0 | (uint8_t)(o >> 8);
			r[o + 27] = (uint8_t)o;
			o += sizeof(soa);
			put16(r + 8, 1);
		}
		return (long)o;
	}
	bool big = first_label_is(q, "big") || first_label_is(q, "bigclose");
	if ((first_label_is(q, "trunc") || big) && !tcp) {
		r[2] |= 0x02; /* TC */
		return (long)o;
	}
	if (first_label_is(q, "loop")) {
		static const uint8_t rr[] = {0xc0, 0, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 10, 0, 0, 9};
		memcpy(r + o, rr, sizeof(rr));
		r[o] = 0xc0 | (uint8_t)(o >> 8); /* the answer's name points at itself */
		r[o + 1] = (uint8_t)o;
		put16(r + 6, 1);
		return (long)(o + sizeof(rr));
	}
	unsigned n = 1;
	if (first_label_is(q, "trunc"))
		n = 3;
	if (big) { /* TXT records of 255-byte strings up to ~60 KiB */
		unsigned count = 0;
		while (o + 2 + 10 + 256 * 1 <= 60000) {
			put16(r + o, 0xc00c);
			put16(r + o + 2, 16);
			put16(r + o + 4, 1);
			put32(r + o + 6, 300);
			put16(r + o + 10, 256);
			r[o + 12] = 255;
			memset(r + o + 13, 'a' + count % 26, 255);
			o += 12 + 256;
			count++;
		}
		put16(r + 6, count);
		return (long)o;
	}
	for (unsigned i = 0; i < n; i++) {
		bool aaaa = qtype == 28;
		put16(r + o, 0xc00c);
		put16(r + o + 2, aaaa ? 28 : 1);
		put16(r + o + 4, 1);
		put32(r + o + 6, 300);
		put16(r + o + 10, aaaa ? 16 : 4);
		o += 12;
		if (aaaa) {
			static const uint8_t a6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
			memcpy(r + o, a6, 16);
			r[o + 15] = (uint8_t)(i + 1);
			o += 16;
		} else {
			uint8_t a4[4] = {10, 0, 0, (uint8_t)(i + 1)};
			memcpy(r + o, a4, 4);
			o += 4;
		}
	}
	put16(r + 6, n);
	return (long)o;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* One TCP connection: length-prefixed queries until EOF, each answered (in a child: slow ones block). */
static void serve_tcp(int c)
{
	static uint8_t q[MAXMSG + 2], r[MAXMSG + 2];

	for (;;) {
		size_t have = 0, need = 2;
		while (have < need) {
			ssize_t n = read(c, q + have, need - have);
			if (n <= 0)
				return;
			have += n;
			if (have == 2 && need == 2)
				need = 2 + (q[0] << 8 | q[1]);
		}
		bool delayed;
		long len = answer(q + 2, need - 2, r + 2, true, &delayed);
		if (delayed)
			sleep_ms(delay_ms);
		if (len <= 0)
			continue;
		put16(r, (unsigned)len);
		if (first_label_is(q + 2, "bigclose")) { /* corked: the FIN rides on the last data segment */
			int on = 1, off = 0;
			setsockopt(c, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
			if (write(c, r, len + 2) == len + 2)
				shutdown(c, SHUT_WR);
			setsockopt(c, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
			return;
		}
		/* written in pieces: a message that spans segments */
		for (long off = 0; off < len + 2;) {
			long chunk = len + 2 - off > 8192 ? 8192 : len + 2 - off;
			if (write(c, r + off, chunk) != chunk)
				return;
			off += chunk;
		}
	}
}

struct delayed {
	struct timespec due;
	struct sockaddr_storage to;
	socklen_t tolen;
	int fd;
	size_t len;
	uint8_t msg[1232];
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: dnsserver PORT DELAY_MS\n");
		return 2;
	}
	int port = atoi(argv[1]);
	delay_ms = atoi(argv[2]);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGCHLD, SIG_IGN); /* TCP children reap themselves */
	struct pollfd pf[4];
	int n = 0, one = 1;
	for (int v6 = 0; v6 < 2; v6++) {
		for (int tcp = 0; tcp < 2; tcp++) {
			int fd = socket(v6 ? AF_INET6 : AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
			if (fd < 0)
				continue;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (v6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
			struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
			struct sockaddr_in6 a6 = {
				.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
			int rc = v6 ? bind(fd, (void *)&a6, sizeof(a6)) : bind(fd, (void *)&a4, sizeof(a4));
			if (rc || (tcp && listen(fd, 64))) {
				if (!v6) {
					fprintf(stderr, "dnsserver: bind %d: %s\n", port, strerror(errno));
					return 1;
				}
				close(fd);
				continue;
			}
			pf[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
		}
	}
	printf("ready\n");
	fflush(stdout);
	static struct delayed later[256];
	static double due[256];
	int nlater = 0;
	static uint8_t q[MAXMSG], r[MAXMSG];
	while (!stop) {
		int timeout = -1;
		double t = now_ms();
		for (int i = 0; i < nlater; i++) {
			int left = due[i] > t ? (int)(due[i] - t) + 1 : 0;
			if (timeout < 0 || left < timeout)
				timeout = left;
		}
		if (poll(pf, n, timeout) < 0 && errno != EINTR)
			return 1;
		t = now_ms();
		for (int i = 0; i < nlater;) {
			if (due[i] > t) {
				i++;
				continue;
			}
			sendto(later[i].fd, later[i].msg, later[i].len, 0, (void *)&later[i].to, later[i].tolen);
			later[i] = later[--nlater];
			due[i] = due[nlater];
		}
		for (int i = 0; i < n; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			int type;
			socklen_t tl = sizeof(type);
			getsockopt(pf[i].fd, SOL_SOCKET, SO_TYPE, &type, &tl);
			if (type == SOCK_STREAM) {
				int c = accept(pf[i].fd, NULL, NULL);
				if (c < 0)
					continue;
				if (fork() == 0) {
					serve_tcp(c);
					_exit(0);
				}
				close(c);
				continue;
			}
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t len = recvfrom(pf[i].fd, q, sizeof(q), 0, (void *)&from, &fl);
			if (len <= 0)
				continue;
			bool delayed;
			long rl = answer(q, (size_t)len, r, false, &delayed);
			if (rl <= 0)
				continue;
			if (!delayed) {
				sendto(pf[i].fd, r, rl, 0, (void *)&from, fl);
			} else if (nlater < 256 && rl <= (long)sizeof(later[0].msg)) {
				later[nlater] =
					(struct delayed){.to = from, .tolen = fl, .fd = pf[i].fd, .len = (size_t)rl};
				memcpy(later[nlater].msg, r, rl);
				due[nlater++] = t + delay_ms;
			}
		}
	}
	return 0;
}
