/*
 * The socket snapshot (bpf/socksnap.bpf.c). One pass of iter/task_file gives every process's socket fds with
 * the sockets themselves, in every network namespace at once; one walk of TCP's established hash adds the TCP
 * sockets no process holds (TIME-WAIT, SYN-RECV, connections waiting to be accepted, orphans). The host's own
 * namespace (with the host filter) is listed with the per-namespace iterators, which also see sockets of PID 1
 * and the kernel's; so are the containers' where the walk cannot run (kernels before 6.4), entering each
 * namespace in turn. Sockets are joined to their owners by (netns, inode) and delivered once, after every
 * source has been read and the thread is back in its own namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/socksnap.h"
#include "clock.h"
#include "containers.h"
#include "diag.h"
#include "socks.h"
#include "socksnap.skel.h"
#include "strbuf.h"
#include "tracer.h"

struct socks_kind {
	struct socksnap_bpf *skel;
	struct gb_socks_opts opts;
	struct strbuf *ring_out; /* where the walk's records go as the ring buffer is read */
	uint64_t *wanted;	 /* the namespaces in netns_wanted, to clear them before the next snapshot */
	size_t nwanted;
	bool walk_failed_said;
};

/* A network namespace to list, and the container it is shown with when a socket has no owner. */
struct netns {
	uint64_t inum;
	uint32_t pid; /* a process in it, to open /proc/PID/ns/net */
	const struct gb_container *c;
	bool host_shared; /* the host's: only sockets that selected containers' processes hold (host-network pods) */
	bool host;	  /* the host's, listed whole (the host filter) */
};

/* A device a socket is bound to, named while in its namespace. */
struct bound_dev {
	uint64_t netns;
	uint32_t ifindex;
	char name[IF_NAMESIZE];
};

struct snapshot {
	struct strbuf files_raw, socks_raw; /* the task_file pass's records; every other source's */
	const struct sock_owner **owners;   /* sorted by (netns, inode, pid, fd) */
	size_t nowners;
	const struct sock_rec_head **socks; /* every socket record, sorted by (netns, inode); duplicates skipped */
	size_t nsocks;
	struct netns *ns;
	size_t nns, ns_cap;
	struct bound_dev *devs;
	size_t ndevs;
	gb_sock_fn fn; /* where sockets go */
	void *cb_ctx;
	unsigned protos; /* GB_SOCK_* listed */
	uint16_t port;	 /* only sockets on this local port (0: all) */
};

static const char *const tcp_state_names[] = {
	[1] = "ESTAB",	   [2] = "SYN-SENT",  [3] = "SYN-RECV",	  [4] = "FIN-WAIT-1", [5] = "FIN-WAIT-2",
	[6] = "TIME-WAIT", [7] = "UNCONN",    [8] = "CLOSE-WAIT", [9] = "LAST-ACK",   [10] = "LISTEN",
	[11] = "CLOSING",  [12] = "SYN-RECV", /* TCP_NEW_SYN_RECV: a request socket, reported as SYN-RECV like sock_diag
						 does */
};

/* Read an iterator to its end, appending to @out. 0, or a negative errno after a warning. */
static int iter_read(struct bpf_link *link, struct strbuf *out, const char *what)
{
	int err = 0;

	if (!link)
		return -ENOENT;
	int fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		gb_err("cannot start the %s iterator: %s", what, strerror(-err));
		return err;
	}
	for (;;) {
		if (!sb_reserve(out, 64 << 10)) {
			err = -ENOMEM;
			gb_warn("the %s iterator stopped early: %s; the snapshot may be incomplete", what,
				strerror(-err));
			break;
		}
		ssize_t n = read(fd, out->buf + out->len, out->cap - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* EAGAIN: restarted too often while sockets came and went; what was read stands */
			err = -errno;
			gb_warn("the %s iterator stopped early: %s; the snapshot may be incomplete", what,
				strerror(-err));
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	close(fd);
	return err;
}

/* The records of @sb one by one: NULL at the end (or at a record that does not fit, which is dropped). */
static const struct sock_rec_head *next_record(const struct strbuf *sb, size_t *off)
{
	if (*off + sizeof(struct sock_rec_head) > sb->len)
		return NULL;
	const struct sock_rec_head *h = (const void *)(sb->buf + *off);
	if (h->size < sizeof(*h) || *off + h->size > sb->len)
		return NULL;
	*off += h->size;
	return h;
}

static int cmp_key(uint64_t an, uint64_t ai, uint64_t bn, uint64_t bi)
{
	if (an != bn)
		return an < bn ? -1 : 1;
	return ai < bi ? -1 : ai > bi;
}

static int by_socket(const void *a, const void *b)
{
	const struct sock_owner *x = *(const struct sock_owner *const *)a, *y = *(const struct sock_owner *const *)b;
	int c = cmp_key(x->netns, x->inode, y->netns, y->inode);

	if (c)
		return c;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

static const struct sock_common_rec *rec_common(const struct sock_rec_head *h)
{
	if (h->kind == SOCK_REC_INET && h->size == sizeof(struct sock_inet))
		return &((const struct sock_inet *)h)->c;
	if (h->kind == SOCK_REC_UNIX && h->size == sizeof(struct sock_unix))
		return &((const struct sock_unix *)h)->c;
	return NULL;
}

static int by_sock_key(const void *a, const void *b)
{
	const struct sock_rec_head *x = *(const struct sock_rec_head *const *)a,
				   *y = *(const struct sock_rec_head *const *)b;
	const struct sock_common_rec *cx = rec_common(x), *cy = rec_common(y);
	int c = cmp_key(cx->netns, cx->inode, cy->netns, cy->inode);

	return c ? c : (x < y ? -1 : x > y); /* equal keys: any order, but a fixed one */
}

/* The owners, sorted for the join, and every socket record once: the same socket comes from each fd that
 * holds it and may come from an iterator too. A socket without an inode (TIME-WAIT) is only ever listed once. */
static int index_records(struct snapshot *s)
{
	const struct sock_rec_head *h;
	size_t no = 0, ns = 0;
	const struct strbuf *bufs[] = {&s->files_raw, &s->socks_raw};

	for (int b = 0; b < 2; b++)
		for (size_t off = 0; (h = next_record(bufs[b], &off));) {
			no += h->kind == SOCK_REC_OWNER && h->size == sizeof(struct sock_owner);
			ns += rec_common(h) != NULL;
		}
	s->owners = calloc(no ? no : 1, sizeof(*s->owners));
	s->socks = calloc(ns ? ns : 1, sizeof(*s->socks));
	if (!s->owners || !s->socks)
		return -ENOMEM;
	for (int b = 0; b < 2; b++)
		for (size_t off = 0; (h = next_record(bufs[b], &off));) {
			if (h->kind == SOCK_REC_OWNER && h->size == sizeof(struct sock_owner))
				s->owners[s->nowners++] = (const struct sock_owner *)h;
			else if (rec_common(h))
				s->socks[s->nsocks++] = h;
		}
	qsort(s->owners, s->nowners, sizeof(*s->owners), by_socket);
	qsort(s->socks, s->nsocks, sizeof(*s->socks), by_sock_key);
	size_t n = 0;
	for (size_t i = 0; i < s->nsocks; i++) {
		const struct sock_common_rec *c = rec_common(s->socks[i]);
		if (n && c->inode) {
			const struct sock_common_rec *p = rec_common(s->socks[n - 1]);
			if (p->inode == c->inode && p->netns == c->netns)
				continue;
		}
		s->socks[n++] = s->socks[i];
	}
	s->nsocks = n;
	return 0;
}

static struct netns *ns_find(struct snapshot *s, uint64_t inum)
{
	for (size_t i = 0; i < s->nns; i++)
		if (s->ns[i].inum == inum)
			return &s->ns[i];
	return NULL;
}

static struct netns *ns_add(struct snapshot *s, uint64_t inum, uint32_t pid)
{
	if (s->nns == s->ns_cap) {
		size_t cap = s->ns_cap ? 2 * s->ns_cap : 64;
		struct netns *v = realloc(s->ns, cap * sizeof(*v));
		if (!v)
			return NULL;
		s->ns = v;
		s->ns_cap = cap;
	}
	struct netns *n = &s->ns[s->nns++];
	*n = (struct netns){.inum = inum, .pid = pid};
	return n;
}

/* The namespaces to list: each selected container's (once per pod), and the host's if host processes count. */
static void collect_netns(struct gb_ctx *ctx, struct snapshot *s)
{
	uint64_t host = gb_host_netns();
	const struct gb_container *c;

	for (unsigned i = 0; (c = gb_container_at(i)); i++) {
		if (!c->selected || !c->netns || !c->pid)
			continue;
		struct netns *n = ns_find(s, c->netns);
		if (!n && !(n = ns_add(s, c->netns, c->pid)))
			return;
		if (!n->c) {
			/* unowned sockets of a pod's namespace are the pod's: shown with its sandbox */
			const struct gb_container *sb = *c->sandbox_id ? gb_container_by_id(c->sandbox_id) : NULL;
			n->c = sb && sb->netns == c->netns ? sb : c;
		}
		n->host_shared = c->netns == host;
	}
	if (gb_ctx_filter(ctx)->host && host) {
		struct netns *n = ns_find(s, host);
		if (!n)
			n = ns_add(s, host, 2); /* kthreadd */
		if (n) {
			n->host = true;
			n->host_shared = false;
			n->c = NULL;
		}
	}
}

/* Note each (netns, device) a socket is bound to, to be named in that namespace. */
static void note_bound_devs(struct snapshot *s)
{
	for (size_t i = 0; i < s->nsocks; i++) {
		const struct sock_common_rec *c = rec_common(s->socks[i]);
		bool known = !c->bound_ifindex;
		for (size_t j = 0; j < s->ndevs && !known; j++)
			known = s->devs[j].netns == c->netns && s->devs[j].ifindex == c->bound_ifindex;
		if (known)
			continue;
		struct bound_dev *v = realloc(s->devs, (s->ndevs + 1) * sizeof(*v));
		if (!v)
			return;
		s->devs = v;
		v[s->ndevs++] = (struct bound_dev){.netns = c->netns, .ifindex = c->bound_ifindex};
	}
}

/* Enter a namespace (unless already in it): false if it is gone. */
static bool enter_netns(const struct netns *n, uint64_t *current)
{
	if (*current == n->inum)
		return true;
	int fd = gb_proc_open_ns(n->pid, "net");
	struct stat st;
	bool ok = fd >= 0 && !fstat(fd, &st) && st.st_ino == n->inum;

	if (ok && setns(fd, CLONE_NEWNET)) {
		gb_warn("cannot enter network namespace %llu: %s", (unsigned long long)n->inum, strerror(errno));
		ok = false;
	}
	if (fd >= 0)
		close(fd);
	if (ok)
		*current = n->inum;
	return ok;
}

/* Name the devices sockets are bound to, each in its own namespace (a socket made there asks it). */
static void name_bound_devs(struct snapshot *s, uint64_t *current)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		struct bound_dev *d = &s->devs[i];
		struct netns *n = ns_find(s, d->netns);
		if (!n || !enter_netns(n, current) || !if_indextoname(d->ifindex, d->name))
			snprintf(d->name, sizeof(d->name), "if%u", d->ifindex);
	}
}

/* Read one namespace's iterators, entering it; false if it is gone (the container exited). */
static bool read_netns(struct gb_tracer *t, struct snapshot *s, struct netns *n, uint64_t *current, unsigned protos)
{
	struct socks_kind *k = t->kind;

	if (!enter_netns(n, current))
		return false;
	if (protos & GB_SOCK_TCP)
		iter_read(gb_tracer_link(t, k->skel->progs.sock_tcp), &s->socks_raw, "TCP");
	if (protos & GB_SOCK_UDP)
		iter_read(gb_tracer_link(t, k->skel->progs.sock_udp), &s->socks_raw, "UDP");
	if (protos & GB_SOCK_UNIX)
		iter_read(gb_tracer_link(t, k->skel->progs.sock_unix), &s->socks_raw, "UNIX");
	return true;
}

/* Tell the walk which namespaces' unowned sockets to list: the containers' (the host's is read whole). */
static int set_wanted(struct socks_kind *k, const struct snapshot *s)
{
	int fd = bpf_map__fd(k->skel->maps.netns_wanted);
	uint8_t one = 1;

	for (size_t i = 0; i < k->nwanted; i++)
		bpf_map_delete_elem(fd, &k->wanted[i]);
	k->nwanted = 0;
	uint64_t *v = realloc(k->wanted, (s->nns ? s->nns : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	k->wanted = v;
	for (size_t i = 0; i < s->nns; i++) {
		/* the host's namespace (listed whole, or shared by host-network pods) is read by its own iterators */
		if (s->ns[i].host || s->ns[i].host_shared || bpf_map_update_elem(fd, &s->ns[i].inum, &one, BPF_ANY))
			continue;
		k->wanted[k->nwanted++] = s->ns[i].inum;
	}
	return 0;
}

/* The unowned TCP sockets of every wanted namespace in one walk; false if it cannot run here. */
static bool walk_ehash(struct gb_tracer *t, struct snapshot *s)
{
	struct socks_kind *k = t->kind;
	struct sock_walk_state *w = &k->skel->bss->walk;
	struct strbuf none = {0};

	if (w->ehash_overflow || !w->ehash[0])
		return false; /* no TCP socket seen, or too many tables: each namespace's iterator instead */
	if (set_wanted(k, s))
		return false;
	w->walked = 0;
	w->resume_table = w->resume_chunk = 0;
	/* a run stops where the ring buffer is nearly full; it is read, and the next run goes on from there */
	k->ring_out = &s->socks_raw;
	size_t before = s->socks_raw.len;
	int err = 0;
	for (uint64_t at = 0, first = 1;; first = 0) {
		err = iter_read(gb_tracer_link(t, k->skel->progs.tcp_ehash), &none, "TCP hash");
		gb_tracer_consume(t);
		uint64_t next = (uint64_t)w->resume_table << 32 | w->resume_chunk;
		if (err || w->walked || (!first && next <= at))
			break; /* done, failed, or (never seen) a run that made no progress */
		at = next;
	}
	k->ring_out = NULL;
	sb_free(&none);
	if (err || !w->walked) {
		s->socks_raw.len = before; /* the per-namespace iterators list them all instead */
		return false;
	}
	if (w->chain_overflow)
		gb_warn_once("a TCP hash chain longer than %d sockets was cut: some unowned sockets are not listed",
			     SOCK_MAX_CHAIN);
	return true;
}

/* No rescan here: it could free records this snapshot points to. */
static const struct gb_container *owner_container(const struct sock_owner *o)
{
	return gb_container_by_mntns(o->mntns);
}

/* Decode one socket record with its owners and deliver it; returns 1 if delivered. */
static int deliver(struct snapshot *s, const struct sock_rec_head *h, uint64_t now, struct gb_sock_owner **buf,
		   size_t *buf_cap)
{
	const struct sock_common_rec *c;
	struct gb_sock_entry e = {.timestamp = now};
	struct gb_sock_tcp_info ti;

	if (h->kind == SOCK_REC_INET && h->size == sizeof(struct sock_inet)) {
		const struct sock_inet *r = (const void *)h;
		c = &r->c;
		e.proto = c->protocol == 6 ? GB_SOCK_TCP : GB_SOCK_UDP;
		e.type = e.proto == GB_SOCK_TCP ? SOCK_STREAM : SOCK_DGRAM;
		memcpy(e.local_addr, r->laddr, 16);
		memcpy(e.peer_addr, r->raddr, 16);
		e.local_port = r->lport;
		e.peer_port = r->rport;
		e.v6only = r->v6only;
		if (r->tcp_info_valid) {
			ti = (struct gb_sock_tcp_info){
				.rtt_us = r->ti.srtt_us,
				.rttvar_us = r->ti.rttvar_us,
				.cwnd = r->ti.snd_cwnd,
				.ssthresh = r->ti.snd_ssthresh,
				.mss = r->ti.mss_cache,
				.retrans = r->ti.retrans_out,
				.total_retrans = r->ti.total_retrans,
				.lost = r->ti.lost_out,
				.rcv_space = r->ti.rcv_space,
				.segs_out = r->ti.segs_out,
				.segs_in = r->ti.segs_in,
				.bytes_sent = r->ti.bytes_sent,
				.bytes_acked = r->ti.bytes_acked,
				.bytes_received = r->ti.bytes_received,
			};
			e.tcp_info = &ti;
		}
	} else if (h->kind == SOCK_REC_UNIX && h->size == sizeof(struct sock_unix)) {
		const struct sock_unix *r = (const void *)h;
		c = &r->c;
		e.proto = GB_SOCK_UNIX;
		e.type = c->protocol;
		e.path = r->path;
		e.path_len = r->path_len < SOCK_UNIX_PATH_MAX ? r->path_len : SOCK_UNIX_PATH_MAX;
		e.peer_inode = r->peer_inode;
		e.rqueue_partial = r->rqueue_more;
	} else {
		return 0;
	}
	if (!(e.proto & s->protos) || (s->port && e.local_port != s->port))
		return 0;
	e.family = c->family;
	e.state = c->state == 12 ? 3 : c->state; /* TCP_NEW_SYN_RECV → TCP_SYN_RECV */
	e.state_name = c->state < sizeof(tcp_state_names) / sizeof(*tcp_state_names) && tcp_state_names[c->state]
			       ? tcp_state_names[c->state]
			       : "UNKNOWN";
	e.rqueue = c->rqueue;
	e.wqueue = c->wqueue;
	e.inode = c->inode;
	e.cookie = c->cookie;
	e.netns = c->netns;
	e.uid = c->uid;
	e.bound_ifindex = c->bound_ifindex;
	e.bound_dev = "";
	for (size_t i = 0; i < s->ndevs && e.bound_ifindex; i++)
		if (s->devs[i].netns == e.netns && s->devs[i].ifindex == e.bound_ifindex)
			e.bound_dev = s->devs[i].name;

	/* its owners: the range of (netns, inode) in the sorted owner list */
	size_t lo = 0, hi = s->nowners;
	while (lo < hi && e.inode) {
		size_t mid = (lo + hi) / 2;
		if (cmp_key(s->owners[mid]->netns, s->owners[mid]->inode, e.netns, e.inode) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t n = 0;
	bool selected_owner = false;
	for (size_t i = lo;
	     e.inode && i < s->nowners && s->owners[i]->netns == e.netns && s->owners[i]->inode == e.inode; i++, n++) {
		if (n == *buf_cap) {
			size_t cap = *buf_cap ? 2 * *buf_cap : 16;
			struct gb_sock_owner *v = realloc(*buf, cap * sizeof(*v));
			if (!v)
				break;
			*buf = v;
			*buf_cap = cap;
		}
		const struct sock_owner *o = s->owners[i];
		struct gb_sock_owner *d = &(*buf)[n];
		d->pid = o->pid;
		d->fd = o->fd;
		d->uid = o->uid;
		memcpy(d->comm, o->comm, sizeof(d->comm));
		d->comm[sizeof(d->comm) - 1] = '\0';
		d->mntns = o->mntns;
		d->container = owner_container(o);
		selected_owner |= d->container && d->container->selected;
	}
	e.owners = *buf;
	e.nowners = n;

	struct netns *ns = ns_find(s, e.netns);
	if (!ns)
		return 0; /* a socket of another namespace: iterators list their own only */
	if (ns->host_shared && !selected_owner)
		return 0; /* the host's socket, not a host-network container's */
	e.container = n && e.owners[0].container ? e.owners[0].container : ns->c;
	if (ns->host_shared || ns->host) { /* in the host's namespace: whoever holds it */
		e.container = NULL;
		for (size_t i = 0; i < n && !e.container; i++)
			if (e.owners[i].container && (ns->host || e.owners[i].container->selected))
				e.container = e.owners[i].container;
	}
	s->fn(s->cb_ctx, &e);
	return 1;
}

/* Read every source for the namespaces of @s and deliver their sockets; frees @s. */
static int take_snapshot(struct gb_tracer *t, struct snapshot *s_)
{
	struct socks_kind *k = t->kind;
	struct snapshot s = *s_;
	unsigned protos = s.protos;
	int delivered = 0, err;
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint64_t current = self >= 0 && !fstat(self, &st) ? st.st_ino : 0, own = current;

	if (self < 0) {
		err = -errno;
		gb_err("cannot open this thread's network namespace: %s", strerror(-err));
		free(s.ns);
		return err;
	}
	/* the tables seen last time may be gone (a namespace's own hash dies with it): found again by this pass */
	memset(&k->skel->bss->walk, 0, sizeof(k->skel->bss->walk));
	uint64_t lost_before = gb_tracer__lost(t);
	/* every process's sockets, in every namespace */
	if ((err = iter_read(gb_tracer_link(t, k->skel->progs.sock_files), &s.files_raw, "task file")) &&
	    !s.files_raw.len)
		goto out;
	err = 0;
	/* the sockets no process holds: one walk for the containers' TCP, else their iterators */
	bool walked = !(protos & GB_SOCK_TCP) || walk_ehash(t, &s);
	for (size_t i = 0; i < s.nns; i++) {
		struct netns *n = &s.ns[i];
		/* a host-network pod's: only what its processes hold, all from the task_file pass */
		if (!n->host && (walked || n->host_shared))
			continue;
		/* the host's: all three (PID 1's and the kernel's sockets); a container's: TCP's unowned ones */
		if (!read_netns(t, &s, n, &current, n->host ? protos : GB_SOCK_TCP)) {
			char name[300];
			gb_warn("%s %s exited during the snapshot: its sockets are not listed",
				n->c ? "container" : "process",
				n->c ? gb_container__display(n->c, name, sizeof(name)) : "1");
		}
	}
	if (!(err = index_records(&s))) {
		note_bound_devs(&s);
		name_bound_devs(&s, &current);
	}
	if (current != own && setns(self, CLONE_NEWNET)) {
		/* cannot happen for a namespace we were in; if it does, nothing network-related here is sane */
		err = -errno;
		gb_err("cannot return to this process's network namespace: %s", strerror(-err));
	}
	if (err)
		goto out;
	uint64_t lost = gb_tracer__lost(t) - lost_before;
	if (lost)
		gb_warn("%llu sockets did not fit the buffers of this snapshot and are not listed",
			(unsigned long long)lost);

	uint64_t now = gb_clock_realtime_ns();
	struct gb_sock_owner *obuf = NULL;
	size_t ocap = 0;
	for (size_t i = 0; i < s.nsocks; i++)
		delivered += deliver(&s, s.socks[i], now, &obuf, &ocap);
	free(obuf);
out:
	close(self);
	sb_free(&s.files_raw);
	sb_free(&s.socks_raw);
	free(s.owners);
	free(s.socks);
	free(s.ns);
	free(s.devs);
	return err ? err : delivered;
}

static int socks_snapshot(struct gb_tracer *t)
{
	struct socks_kind *k = t->kind;
	struct snapshot s = {.fn = k->opts.on_sock, .cb_ctx = k->opts.cb_ctx, .protos = k->opts.protocols};

	collect_netns(t->ctx, &s);
	return take_snapshot(t, &s);
}

/* Whether @pid's network namespace is @inum. */
static bool pid_in_netns(uint32_t pid, uint64_t inum)
{
	int fd = gb_proc_open_ns(pid, "net");
	struct stat st;
	bool in = fd >= 0 && !fstat(fd, &st) && st.st_ino == inum;

	if (fd >= 0)
		close(fd);
	return in;
}

/* A process in network namespace @inum to enter it by: @pid, else a container's init, else kthreadd for the
 * host's; 0 if none is found (the namespace is gone). */
static uint32_t netns_pid(uint64_t inum, uint32_t pid)
{
	const struct gb_container *c;

	if (pid && pid_in_netns(pid, inum))
		return pid;
	for (unsigned i = 0; (c = gb_container_at(i)); i++)
		if (c->netns == inum && c->pid && pid_in_netns(c->pid, inum))
			return c->pid;
	return inum == gb_host_netns() ? 2 : 0;
}

int gb_socks_on_port(struct gb_tracer *t, uint64_t netns, uint32_t pid, unsigned protos, uint16_t port, gb_sock_fn fn,
		     void *cb_ctx)
{
	struct snapshot s = {.fn = fn, .cb_ctx = cb_ctx, .protos = protos, .port = port};
	const struct gb_container *c;

	if (!(pid = netns_pid(netns, pid)))
		return -ENOENT;
	struct netns *n = ns_add(&s, netns, pid);
	if (!n)
		return -ENOMEM;
	n->host = netns == gb_host_netns();
	for (unsigned i = 0; !n->host && (c = gb_container_at(i)) && !n->c; i++)
		if (c->netns == netns && !c->sandbox)
			n->c = c;
	return take_snapshot(t, &s);
}

int gb_netns_ifname(uint64_t netns, uint32_t pid, uint32_t ifindex, char name[IF_NAMESIZE])
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint64_t current = self >= 0 && !fstat(self, &st) ? st.st_ino : 0, own = current;
	struct netns n = {.inum = netns, .pid = current == netns ? 0 : netns_pid(netns, pid)};
	int err = 0;

	if (self < 0)
		return -errno;
	if (current != netns && (!n.pid || !enter_netns(&n, &current)))
		err = -ENOENT;
	else if (!if_indextoname(ifindex, name))
		err = -errno;
	if (current != own && setns(self, CLONE_NEWNET))
		err = -errno;
	close(self);
	return err;
}

/* The walk's records, copied out of the ring buffer as it is read (and container exits, handled before). */
static int socks_record(struct gb_tracer *t, const void *data, size_t size)
{
	struct socks_kind *k = t->kind;

	if (k->ring_out)
		sb_add(k->ring_out, data, size);
	return 0;
}

static void socks_destroy(struct gb_tracer *t)
{
	struct socks_kind *k = t->kind;

	if (!k)
		return;
	socksnap_bpf__destroy(k->skel);
	free(k->wanted);
	free(k);
}

static const struct gb_tracer_ops socks_ops = {
	.name = "socks", .record = socks_record, .snapshot = socks_snapshot, .destroy = socks_destroy};

struct gb_tracer *gb_socks__open(struct gb_ctx *ctx, const struct gb_socks_opts *opts)
{
	struct socks_kind *k =
		gb_kind_new(ctx, "gb_socks__open", opts, offsetof(struct gb_socks_opts, protocols), sizeof(k->opts),
			    opts ? (const void *)opts->on_sock : NULL, sizeof(*k), offsetof(struct socks_kind, opts));

	if (!k)
		return NULL;
	if (!k->opts.protocols)
		k->opts.protocols = GB_SOCK_TCP | GB_SOCK_UDP;
	if (!(k->skel = GB_SKEL_OPEN(ctx, socksnap_bpf)))
		return gb_kind_open_failed(&socks_ops, k);
	/* the ring buffer carries the walk's sockets, ~5,900 per run of the walk (see walk_ehash) */
	GB_TRACER_CONFIGURE(ctx, k->skel, 1u << 20, false);
	k->skel->rodata->want_protocols = k->opts.protocols;
	/* only the iterators asked for are loaded (and so verified) */
	bpf_program__set_autoload(k->skel->progs.sock_tcp, k->opts.protocols & GB_SOCK_TCP);
	bpf_program__set_autoload(k->skel->progs.sock_udp, k->opts.protocols & GB_SOCK_UDP);
	bpf_program__set_autoload(k->skel->progs.sock_unix, k->opts.protocols & GB_SOCK_UNIX);
	bpf_program__set_autoload(k->skel->progs.tcp_ehash, k->opts.protocols & GB_SOCK_TCP);
	struct gb_tracer *t = gb_kind_load(ctx, &socks_ops, k, k->skel->skeleton, NULL, NULL);
	return t;
}
