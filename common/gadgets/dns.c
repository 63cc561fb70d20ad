/*
 * The DNS tracer (bpf/dnssnoop.bpf.c): packets on the watched ports, in chunks, become messages (a UDP
 * datagram's chunks joined; a TCP direction's segments through dnstcp.c's reassembly), decoded by dnsmsg.c.
 * Queries wait in a table for their response: a response found there gets its latency; a query still there
 * after the timeout is delivered again as a timeout event.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/dnssnoop.h"
#include "clock.h"
#include "containers.h"
#include "decode.h"
#include "diag.h"
#include "dnsmsg.h"
#include "dnssnoop.skel.h"
#include "dnstcp.h"
#include "tracer.h"

/*
 * Queries waiting for a response are kept until MAX_PENDING_BYTES (entries and their messages, ~320 bytes for a
 * typical query: ~25,000, 5,000/s unanswered for the default 5 s). A flood of unanswered queries, or of 64 KiB ones,
 * cannot take more; queries past it are still shown, only their timeouts are not (one warning says so).
 */
#define MAX_PENDING_BYTES (8u << 20)
#define PENDING_BUCKETS	  4096
#define MAX_STREAMS	  4096 /* TCP directions being reassembled */
#define STREAM_BUCKETS	  1024
#define MAX_ASSEMBLIES	  16 /* UDP datagrams larger than a chunk, being joined */
#define DEFAULT_TIMEOUT	  5000
#define MAX_PAYLOAD_BYTES (DNS_CHUNK * DNS_MAX_CHUNKS)

/*
 * A query waiting for its response: the key, and what to say if it never comes. One allocation: data holds the
 * question's name in wire form (qname_len bytes: exact, case included, for a 0x20-randomising resolver), then
 * the query's bytes (ev.msg_len). The socket and the peer of the key are ev's.
 */
struct pending {
	struct pending *next;
	uint64_t hash;
	uint64_t sent_boot_ns; /* its last transmission */
	unsigned retransmits;
	uint16_t id, qtype, qclass, qname_len;
	struct gb_dns_event ev; /* the query's event (pointers cleared) */
	uint8_t data[];
};

/* One TCP direction of one socket. */
struct stream {
	struct stream *next;
	uint64_t sock;
	uint8_t dir;
	uint64_t last_boot_ns;
	struct gb_dns_tcp tcp;
};

/* The chunks of one UDP datagram. */
struct assembly {
	uint64_t pkt_id;
	uint32_t len, have;
	uint8_t *buf;
};

struct dns_kind {
	struct dnssnoop_bpf *skel;
	struct gb_dns_opts opts;
	int cgroup_fd; /* the cgroup2 root (gb_cgroup2_root(): not ours to close) */
	uint16_t ports[DNS_MAX_PORTS];
	struct gb_dns_msg msg;
	struct pending *pending[PENDING_BUCKETS];
	size_t npending, pending_bytes;
	uint64_t untracked; /* queries not kept for want of room: their timeouts went unreported */
	struct stream *streams[STREAM_BUCKETS];
	size_t nstreams;
	struct assembly asm_[MAX_ASSEMBLIES];
	unsigned asm_next;
	/* the record being handled, for the TCP reassembly's callback */
	struct gb_dns_event cur;
	struct stream *cur_stream; /* the TCP direction being fed, NULL for UDP */
	int delivered;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

/* The remote end from the socket's side: the destination of what it sent, the source of what it received. */
static void peer_of(const struct gb_dns_event *e, const uint8_t **addr, uint16_t *port)
{
	*addr = e->egress ? e->daddr : e->saddr;
	*port = e->egress ? e->dport : e->sport;
}

static uint64_t pending_hash(uint64_t sock, const uint8_t *peer, uint16_t peer_port, uint16_t id,
			     const struct gb_dns_question *q)
{
	uint64_t h = mix(sock, (uint64_t)peer_port << 16 | id);
	uint64_t a, b;

	memcpy(&a, peer, 8);
	memcpy(&b, peer + 8, 8);
	h = mix(mix(h, a), b);
	h = mix(h, (uint64_t)q->type << 16 | q->class);
	for (size_t i = 0; i < q->name.wire_len; i++)
		h = mix(h, q->name.wire[i]);
	return h;
}

static struct pending **pending_find(struct dns_kind *k, uint64_t hash, uint64_t sock, const uint8_t *peer,
				     uint16_t peer_port, uint16_t id, const struct gb_dns_question *q)
{
	struct pending **pp = &k->pending[hash % PENDING_BUCKETS];

	for (; *pp; pp = &(*pp)->next) {
		struct pending *p = *pp;
		const uint8_t *p_peer;
		uint16_t p_port;

		if (p->hash != hash || p->ev.sock != sock || p->id != id || p->qtype != q->type ||
		    p->qclass != q->class || p->qname_len != q->name.wire_len)
			continue;
		peer_of(&p->ev, &p_peer, &p_port);
		if (p_port == peer_port && !memcmp(p_peer, peer, 16) && !memcmp(p->data, q->name.wire, p->qname_len))
			return pp;
	}
	return pp;
}

static size_t pending_size(const struct pending *p)
{
	return sizeof(*p) + p->qname_len + p->ev.msg_len;
}

/* Unlinks *pp and frees it. */
static void pending_drop(struct dns_kind *k, struct pending **pp)
{
	struct pending *p = *pp;

	*pp = p->next;
	k->npending--;
	k->pending_bytes -= pending_size(p);
	free(p);
}

static void deliver(struct dns_kind *k, struct gb_dns_event *e)
{
	k->opts.on_event(k->opts.cb_ctx, e);
	k->delivered++;
}

/*
 * A query: remember it (or count a retransmission). A response: find its query, for the latency. A message
 * with no question (or that did not decode one) is delivered as it is.
 */
static void match(struct dns_kind *k, struct gb_dns_event *e)
{
	const struct gb_dns_msg *m = e->dns;
	const uint8_t *peer;
	uint16_t peer_port;

	if (!m->nqd || m->opcode != 0)
		return;
	peer_of(e, &peer, &peer_port);
	const struct gb_dns_question *q = &m->qd[0];
	uint64_t hash = pending_hash(e->sock, peer, peer_port, m->id, q);
	struct pending **pp = pending_find(k, hash, e->sock, peer, peer_port, m->id, q), *p = *pp;
	if (m->qr) {
		if (!p)
			return;
		e->matched = true;
		e->latency_ns = e->proc.boot_ns > p->sent_boot_ns ? e->proc.boot_ns - p->sent_boot_ns : 0;
		pending_drop(k, pp);
		return;
	}
	if (p) { /* sent again: the same id and question to the same peer */
		e->retransmits = ++p->retransmits;
		p->sent_boot_ns = e->proc.boot_ns;
		return;
	}
	size_t size = sizeof(*p) + q->name.wire_len + e->msg_len;
	if (k->pending_bytes + size > MAX_PENDING_BYTES || !(p = malloc(size))) {
		k->untracked++;
		gb_warn_once("DNS queries waiting for a response fill %u MiB (%zu of them): the timeouts of newer "
			     "ones will not be reported until some are answered or time out",
			     MAX_PENDING_BYTES >> 20, k->npending);
		return;
	}
	p->hash = hash;
	p->id = m->id;
	p->qtype = q->type;
	p->qclass = q->class;
	p->qname_len = q->name.wire_len;
	p->sent_boot_ns = e->proc.boot_ns;
	p->retransmits = 0;
	p->ev = *e;
	p->ev.msg = NULL;
	p->ev.dns = NULL;
	p->ev.proc.container = NULL;
	memcpy(p->data, q->name.wire, q->name.wire_len);
	memcpy(p->data + p->qname_len, e->msg, e->msg_len);
	p->next = k->pending[hash % PENDING_BUCKETS];
	k->pending[hash % PENDING_BUCKETS] = p;
	k->npending++;
	k->pending_bytes += size;
}

/* One whole DNS message of the current record. */
static void on_message(void *arg, const uint8_t *msg, size_t len)
{
	struct dns_kind *k = arg;
	struct gb_dns_event e = k->cur;

	e.msg = msg;
	e.msg_len = len;
	gb_dns_parse(&k->msg, msg, len);
	e.dns = &k->msg;
	/* a TCP stream first seen mid-way may have framed this wrongly: look for a frame at the next segment */
	if (k->cur_stream && !k->msg.complete && k->cur_stream->tcp.stats.late_starts)
		gb_dns_tcp_resync(&k->cur_stream->tcp);
	match(k, &e);
	deliver(k, &e);
}

static struct stream *stream_get(struct dns_kind *k, uint64_t sock, uint8_t dir, uint64_t now)
{
	struct stream **sp = &k->streams[mix(sock, dir) % STREAM_BUCKETS];

	for (struct stream *s = *sp; s; s = s->next)
		if (s->sock == sock && s->dir == dir) {
			s->last_boot_ns = now;
			return s;
		}
	if (k->nstreams >= MAX_STREAMS) {
		gb_warn_once("more than %d DNS-over-TCP connections at once: the others are not decoded", MAX_STREAMS);
		return NULL;
	}
	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sock = sock;
	s->dir = dir;
	s->last_boot_ns = now;
	gb_dns_tcp_init(&s->tcp, on_message, k);
	s->next = *sp;
	*sp = s;
	k->nstreams++;
	return s;
}

static void stream_drop(struct dns_kind *k, uint64_t sock, uint8_t dir)
{
	for (struct stream **sp = &k->streams[mix(sock, dir) % STREAM_BUCKETS]; *sp; sp = &(*sp)->next)
		if ((*sp)->sock == sock && (*sp)->dir == dir) {
			struct stream *s = *sp;
			*sp = s->next;
			gb_dns_tcp_free(&s->tcp);
			free(s);
			k->nstreams--;
			return;
		}
}

/* A UDP datagram in several chunks: joined in arrival order (the chunks of one packet come from one CPU, in
 * order); NULL until the last one. */
static const uint8_t *assemble(struct dns_kind *k, const struct dns_rec *r, const uint8_t *data)
{
	struct assembly *a = NULL;

	for (unsigned i = 0; i < MAX_ASSEMBLIES && !a; i++)
		if (k->asm_[i].buf && k->asm_[i].pkt_id == r->pkt_id)
			a = &k->asm_[i];
	if (!a) {
		if (r->chunk_off != 0)
			return NULL;			      /* its first chunk was lost */
		a = &k->asm_[k->asm_next++ % MAX_ASSEMBLIES]; /* the oldest goes */
		free(a->buf);
		a->pkt_id = r->pkt_id;
		a->len = r->payload_len > MAX_PAYLOAD_BYTES ? MAX_PAYLOAD_BYTES : r->payload_len;
		a->have = 0;
		if (!(a->buf = malloc(a->len)))
			return NULL;
	}
	if (r->chunk_off != a->have || a->have + r->chunk_len > a->len)
		return NULL;
	memcpy(a->buf + a->have, data, r->chunk_len);
	a->have += r->chunk_len;
	return a->have == a->len ? a->buf : NULL;
}

static void assembly_done(struct dns_kind *k, uint64_t pkt_id)
{
	for (unsigned i = 0; i < MAX_ASSEMBLIES; i++)
		if (k->asm_[i].buf && k->asm_[i].pkt_id == pkt_id) {
			free(k->asm_[i].buf);
			k->asm_[i].buf = NULL;
		}
}

static int dns_record(struct gb_tracer *t, const void *data, size_t size)
{
	struct dns_kind *k = t->kind;
	const struct dns_rec *r = data;

	if (size < DNS_REC_HEAD_SIZE || r->chunk_len > size - DNS_REC_HEAD_SIZE)
		return 0;
	struct gb_dns_event *e = &k->cur;
	memset(e, 0, sizeof(*e));
	gb_decode_proc(&r->proc, &e->proc);
	if (r->owner_known) {
		if (!gb_tracer_proc(&e->proc))
			return 0;
	} else {
		/* not known who holds it: its cgroup's container */
		e->proc.container = gb_container_by_cgroup(r->cgroup_id);
		if (e->proc.container)
			e->proc.mntns = e->proc.container->mntns;
		if (!gb_container_visible(e->proc.container))
			return 0;
	}
	e->kind = GB_DNS_MESSAGE;
	e->egress = r->dir == DNS_EGRESS;
	e->family = r->family == 6 ? AF_INET6 : AF_INET;
	e->protocol = r->protocol;
	memcpy(e->saddr, r->saddr, 16);
	memcpy(e->daddr, r->daddr, 16);
	e->sport = r->sport;
	e->dport = r->dport;
	e->netns = r->netns;
	e->sock = r->sk;
	e->cgroup_id = r->cgroup_id;
	e->ifindex = r->ifindex;
	e->truncated = r->truncated;
	k->delivered = 0;
	k->cur_stream = NULL;
	const uint8_t *payload = r->data;
	if (r->protocol == IPPROTO_UDP) {
		if (r->chunk_off == 0 && r->chunk_len == r->payload_len) {
			on_message(k, payload, r->chunk_len);
		} else if ((payload = assemble(k, r, payload))) {
			on_message(k, payload, r->payload_len < MAX_PAYLOAD_BYTES ? r->payload_len : MAX_PAYLOAD_BYTES);
			assembly_done(k, r->pkt_id);
		}
		return k->delivered;
	}
	struct stream *s = stream_get(k, r->sk, r->dir, e->proc.boot_ns);
	if (s) {
		/* a packet in several chunks: its SYN goes with the first, its FIN or RST with the last */
		uint32_t captured = r->payload_len < MAX_PAYLOAD_BYTES ? r->payload_len : MAX_PAYLOAD_BYTES;
		bool last = r->chunk_off + r->chunk_len >= captured;
		unsigned flags = (r->chunk_off ? 0 : r->tcp_flags & GB_DNS_TCP_SYN) |
				 (last ? r->tcp_flags & (GB_DNS_TCP_FIN | GB_DNS_TCP_RST) : 0);
		k->cur_stream = s;
		gb_dns_tcp_segment(&s->tcp, r->tcp_seq + r->chunk_off, payload, r->chunk_len, flags);
		k->cur_stream = NULL;
		if (flags & (GB_DNS_TCP_FIN | GB_DNS_TCP_RST))
			stream_drop(k, r->sk, r->dir);
	}
	return k->delivered;
}

/* Queries whose response did not come in time; TCP streams idle for a minute. */
static void dns_tick(struct gb_tracer *t)
{
	struct dns_kind *k = t->kind;
	uint64_t now = gb_clock_boottime_ns();
	uint64_t limit = (uint64_t)k->opts.query_timeout_ms * 1000000ull;
	for (size_t b = 0; b < PENDING_BUCKETS; b++) {
		for (struct pending **pp = &k->pending[b]; *pp;) {
			struct pending *p = *pp;
			if (now - p->sent_boot_ns < limit) {
				pp = &p->next;
				continue;
			}
			struct gb_dns_event e = p->ev;
			e.kind = GB_DNS_TIMEOUT;
			e.latency_ns = now - p->sent_boot_ns;
			/* stamped when it timed out; the query's own time is latency_ns earlier */
			e.proc.timestamp += e.latency_ns;
			e.proc.boot_ns = now;
			e.retransmits = p->retransmits;
			e.proc.container = e.proc.mntns ? gb_container_by_mntns(e.proc.mntns) : NULL;
			e.msg = p->data + p->qname_len;
			gb_dns_parse(&k->msg, e.msg, e.msg_len);
			e.dns = &k->msg;
			if (gb_container_visible(e.proc.container))
				deliver(k, &e);
			pending_drop(k, pp);
		}
	}
	for (size_t b = 0; b < STREAM_BUCKETS; b++)
		for (struct stream *s = k->streams[b], *next; s; s = next) {
			next = s->next;
			if (now - s->last_boot_ns > 60000000000ull)
				stream_drop(k, s->sock, s->dir);
		}
}

static void dns_destroy(struct gb_tracer *t)
{
	struct dns_kind *k = t->kind;

	if (!k)
		return;
	dnssnoop_bpf__destroy(k->skel);
	for (size_t b = 0; b < PENDING_BUCKETS; b++)
		for (struct pending *p = k->pending[b], *next; p; p = next) {
			next = p->next;
			free(p);
		}
	if (k->untracked)
		gb_warn("%llu DNS queries were shown but not kept for a timeout (more than %u MiB of queries waited)",
			(unsigned long long)k->untracked, MAX_PENDING_BYTES >> 20);
	for (size_t b = 0; b < STREAM_BUCKETS; b++)
		for (struct stream *s = k->streams[b], *next; s; s = next) {
			next = s->next;
			gb_dns_tcp_free(&s->tcp);
			free(s);
		}
	for (unsigned i = 0; i < MAX_ASSEMBLIES; i++)
		free(k->asm_[i].buf);
	gb_dns_msg_free(&k->msg);
	free(k);
}

/* The owners of the sockets that exist already: one pass of iter/task_file fills the kernel's table. */
static void scan_owners(struct gb_tracer *t, struct dns_kind *k)
{
	struct bpf_link *link = gb_tracer_link(t, k->skel->progs.dns_owners_scan);
	char buf[4096];

	int fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0) {
		gb_warn("cannot scan the sockets that exist already (%s): their processes show once they send",
			strerror(errno));
		return;
	}
	for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR);)
		;
	close(fd);
}

/* The cgroup programs, on the cgroup2 root; then the owners of the sockets that exist already. */
static int dns_attach(struct gb_tracer *t)
{
	struct dns_kind *k = t->kind;
	struct bpf_program *progs[] = {k->skel->progs.dns_egress, k->skel->progs.dns_ingress,
				       k->skel->progs.dns_sock_create, k->skel->progs.dns_sock_release};

	for (size_t i = 0; i < sizeof(progs) / sizeof(*progs); i++) {
		int err = gb_tracer_add_link(t, progs[i], bpf_program__attach_cgroup(progs[i], k->cgroup_fd),
					     "to the cgroup2 root");
		if (err)
			return err;
	}
	scan_owners(t, k);
	return 0;
}

static const struct gb_tracer_ops dns_ops = {
	.name = "dns", .record = dns_record, .tick = dns_tick, .attach = dns_attach, .destroy = dns_destroy};

struct gb_tracer *gb_dns__open(struct gb_ctx *ctx, const struct gb_dns_opts *opts)
{
	static const uint16_t default_ports[] = {53, 5353, 5355};
	struct dns_kind *k =
		gb_kind_new(ctx, "gb_dns__open", opts, offsetof(struct gb_dns_opts, ports), sizeof(k->opts),
			    opts ? (const void *)opts->on_event : NULL, sizeof(*k), offsetof(struct dns_kind, opts));

	if (!k)
		return NULL;
	const uint16_t *ports = k->opts.ports ? k->opts.ports : default_ports;
	size_t nports = k->opts.ports ? k->opts.nports : 3;
	if (!nports || nports > DNS_MAX_PORTS) {
		gb_err("gb_dns__open: between 1 and %d ports", DNS_MAX_PORTS);
		free(k);
		errno = EINVAL;
		return NULL;
	}
	if (!k->opts.query_timeout_ms)
		k->opts.query_timeout_ms = DEFAULT_TIMEOUT;
	int cg = gb_cgroup2_root();
	if (cg < 0) {
		gb_err("no cgroup2 hierarchy is mounted on the host: dnssnoop attaches to its root");
		free(k);
		errno = ENOENT;
		return NULL;
	}
	if (!(k->skel = GB_SKEL_OPEN(ctx, dnssnoop_bpf)))
		return gb_kind_open_failed(&dns_ops, k);
	GB_TRACER_CONFIGURE(ctx, k->skel, k->opts.ringbuf_bytes, false);
	for (size_t i = 0; i < nports; i++)
		k->skel->rodata->ports[i] = ports[i];
	k->skel->rodata->targ_tgid = k->opts.pid;
	struct bpf_program *cgroup_progs[] = {k->skel->progs.dns_egress, k->skel->progs.dns_ingress,
					      k->skel->progs.dns_sock_create, k->skel->progs.dns_sock_release};
	for (size_t i = 0; i < sizeof(cgroup_progs) / sizeof(*cgroup_progs); i++)
		bpf_program__set_autoattach(cgroup_progs[i], false); /* to the cgroup2 root: dns_attach() */
	k->cgroup_fd = cg;
	return gb_kind_load(ctx, &dns_ops, k, k->skel->skeleton, k->opts.on_lost, k->opts.cb_ctx);
}
