/*
 * The bind tracer (bpf/bindsnoop.bpf.c): every bind() with its result. A bind that fails with EADDRINUSE is
 * the question "who holds it?": the socket snapshot (socks.c) of that network namespace answers it, with the
 * sockets on that port and the processes holding them, when the event is read.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bpf/bindsnoop.h"
#include "clock.h"
#include "decode.h"
#include "diag.h"
#include "bindsnoop.skel.h"
#include "socks.h"
#include "tracer.h"

/* The same question within this time gets the same answer (a crash-looping server asks many times a second). */
#define HOLDERS_REUSE_NS (200 * 1000000ull)
#define MAX_HOLDERS	 64
#define MAX_DEVS	 16

/* A holder as the snapshot gave it, kept past its callback: its owners are copied into owners[]. */
struct holder {
	struct gb_sock_entry e;
	size_t first_owner;
	char dev[IF_NAMESIZE];
};

struct bind_kind {
	struct bindsnoop_bpf *skel;
	struct gb_bind_opts opts;
	/* the last search: its question, when it was asked, its answer */
	uint64_t netns, asked_ns;
	unsigned protos;
	uint16_t port;
	int searched; /* its result: >= 0 found, < 0 no search could be made */
	struct holder *found;
	size_t nfound, found_cap;
	struct gb_sock_owner *owners;
	size_t nowners, owners_cap;
	struct gb_sock_entry *holders; /* what events point to */
	bool socks_failed;	       /* the socket snapshot did not load: not tried again */
	const struct gb_bind_event *cur;
	/* devices named so far */
	struct {
		uint64_t netns;
		uint32_t ifindex;
		char name[IF_NAMESIZE];
	} devs[MAX_DEVS];
	unsigned ndevs;
};

static bool addr_any(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, family == AF_INET ? 4 : 16);
}

/* IPv4 address of an IPv4-mapped IPv6 one (::ffff:a.b.c.d), or NULL. */
static const uint8_t *mapped_v4(const uint8_t *a6)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a6, prefix, 12) ? NULL : a6 + 12;
}

/* Whether socket @s, on the port asked for, takes the address the bind asked for: the same address, or a
 * wildcard on either side, within the families each takes (an IPv6 socket takes IPv4 unless IPV6_V6ONLY). */
static bool overlaps(const struct gb_bind_event *b, const struct gb_sock_entry *s)
{
	bool b6 = b->family == AF_INET6, s6 = s->family == AF_INET6;

	if (b6 != s6) {
		const struct gb_sock_entry *six = s6 ? s : NULL;
		if ((six && six->v6only) || (!six && (b->opts & GB_BIND_V6ONLY)))
			return false;
		const uint8_t *a6 = b6 ? b->addr : s->local_addr, *a4 = b6 ? s->local_addr : b->addr;
		const uint8_t *m = mapped_v4(a6);
		return addr_any(AF_INET6, a6) || addr_any(AF_INET, a4) || (m && !memcmp(m, a4, 4));
	}
	return addr_any(b->family, b->addr) || addr_any(s->family, s->local_addr) ||
	       !memcmp(b->addr, s->local_addr, b6 ? 16 : 4);
}

/* One socket of the snapshot on that port: kept if it overlaps. */
static void on_sock(void *cb_ctx, const struct gb_sock_entry *s)
{
	struct bind_kind *k = cb_ctx;

	if (!overlaps(k->cur, s) || k->nfound == MAX_HOLDERS)
		return;
	if (k->nfound == k->found_cap) {
		size_t cap = k->found_cap ? 2 * k->found_cap : 4;
		struct holder *v = realloc(k->found, cap * sizeof(*v));
		if (!v)
			return;
		k->found = v, k->found_cap = cap;
	}
	if (k->nowners + s->nowners > k->owners_cap) {
		size_t cap = (k->nowners + s->nowners) * 2;
		struct gb_sock_owner *v = realloc(k->owners, cap * sizeof(*v));
		if (!v)
			return;
		k->owners = v, k->owners_cap = cap;
	}
	struct holder *h = &k->found[k->nfound++];
	h->e = *s;
	h->first_owner = k->nowners;
	memcpy(k->owners + k->nowners, s->owners, s->nowners * sizeof(*s->owners));
	k->nowners += s->nowners;
	snprintf(h->dev, sizeof(h->dev), "%s", s->bound_dev ? s->bound_dev : "");
	h->e.tcp_info = NULL; /* not kept */
	h->e.path = NULL;
	h->e.path_len = 0;
}

static void ignore_sock(void *cb_ctx, const struct gb_sock_entry *s)
{
	(void)cb_ctx, (void)s;
}

/* The socket snapshot, loaded at the first address in use (most runs never need it: it would double the
 * tracer's memory and start-up); NULL if it cannot load (binds are still traced). */
static struct gb_tracer *socks_helper(struct gb_tracer *t, struct bind_kind *k)
{
	if (t->helper || k->socks_failed)
		return t->helper;
	GB_OPTS(gb_socks_opts, so, .on_sock = ignore_sock, .protocols = GB_SOCK_TCP | GB_SOCK_UDP);
	struct gb_tracer *socks = gb_socks__open(t->ctx, &so);
	if (socks) {
		gb_tracer_adopt(t, socks);
	} else {
		k->socks_failed = true;
		gb_warn("bind: the socket snapshot did not load: who holds an address in use is not said");
	}
	return socks;
}

/* Who holds the address @ev asked for (the last answer again if it is fresh). */
static void find_holders(struct gb_tracer *t, struct bind_kind *k, struct gb_bind_event *ev)
{
	unsigned protos = ev->protocol == IPPROTO_TCP ? GB_SOCK_TCP : ev->protocol == IPPROTO_UDP ? GB_SOCK_UDP : 0;
	uint64_t now = gb_clock_boottime_ns();

	if (k->opts.no_holders || !protos || !ev->port || (ev->family != AF_INET && ev->family != AF_INET6) ||
	    !socks_helper(t, k))
		return;
	if (!(k->netns == ev->netns && k->protos == protos && k->port == ev->port &&
	      now - k->asked_ns < HOLDERS_REUSE_NS)) {
		k->netns = ev->netns, k->protos = protos, k->port = ev->port, k->asked_ns = now;
		k->nfound = k->nowners = 0;
		k->cur = ev;
		k->searched = gb_socks_on_port(t->helper, ev->netns, ev->proc.pid, protos, ev->port, on_sock, k);
		k->cur = NULL;
		if (k->searched < 0 && k->searched != -ENOENT)
			gb_warn("bind: cannot look for who holds port %u: %s", ev->port, strerror(-k->searched));
		struct gb_sock_entry *v = realloc(k->holders, (k->nfound ? k->nfound : 1) * sizeof(*v));
		if (!v) {
			k->nfound = 0;
			return;
		}
		k->holders = v;
		for (size_t i = 0; i < k->nfound; i++) {
			k->holders[i] = k->found[i].e;
			k->holders[i].owners = k->owners + k->found[i].first_owner;
			k->holders[i].bound_dev = k->found[i].dev;
		}
	}
	ev->holders_searched = k->searched >= 0;
	ev->holders = k->holders;
	ev->nholders = k->searched >= 0 ? k->nfound : 0;
}

/* The name of the device the socket is bound to, in its namespace (asked once per device). */
static const char *dev_name(struct bind_kind *k, const struct gb_bind_event *ev)
{
	unsigned i;

	for (i = 0; i < k->ndevs; i++)
		if (k->devs[i].netns == ev->netns && k->devs[i].ifindex == ev->bound_ifindex)
			return k->devs[i].name;
	i = k->ndevs < MAX_DEVS ? k->ndevs++ : MAX_DEVS - 1; /* full: the last one is asked again */
	k->devs[i].netns = ev->netns;
	k->devs[i].ifindex = ev->bound_ifindex;
	if (gb_netns_ifname(ev->netns, ev->proc.pid, ev->bound_ifindex, k->devs[i].name))
		snprintf(k->devs[i].name, IF_NAMESIZE, "if%u", ev->bound_ifindex);
	return k->devs[i].name;
}

static int bind_record(struct gb_tracer *t, const void *data, size_t size)
{
	struct bind_kind *k = t->kind;
	struct gb_bind_event ev;

	if (gb_decode_bind(data, size, &ev) || !gb_tracer_proc(&ev.proc))
		return 0;
	if (ev.bound_ifindex)
		ev.bound_dev = dev_name(k, &ev);
	if (ev.ret == -EADDRINUSE)
		find_holders(t, k, &ev);
	k->opts.on_event(k->opts.cb_ctx, &ev);
	return 1;
}

static void bind_destroy(struct gb_tracer *t)
{
	struct bind_kind *k = t->kind;

	if (!k)
		return;
	bindsnoop_bpf__destroy(k->skel);
	free(k->found);
	free(k->owners);
	free(k->holders);
	free(k);
}

static const struct gb_tracer_ops bind_ops = {.name = "bind", .record = bind_record, .destroy = bind_destroy};

struct gb_tracer *gb_bind__open(struct gb_ctx *ctx, const struct gb_bind_opts *opts)
{
	struct bind_kind *k;

	if (opts && opts->nports > GB_BIND_MAX_PORTS) {
		gb_err("gb_bind__open: at most %d ports", GB_BIND_MAX_PORTS);
		errno = EINVAL;
		return NULL;
	}
	k = gb_kind_new(ctx, "gb_bind__open", opts, offsetof(struct gb_bind_opts, ringbuf_bytes), sizeof(k->opts),
			opts ? (const void *)opts->on_event : NULL, sizeof(*k), offsetof(struct bind_kind, opts));
	if (!k)
		return NULL;
	if (!(k->skel = GB_SKEL_OPEN(ctx, bindsnoop_bpf)))
		return gb_kind_open_failed(&bind_ops, k);
	GB_TRACER_CONFIGURE(ctx, k->skel, k->opts.ringbuf_bytes ? k->opts.ringbuf_bytes : 256 << 10, false);
	k->skel->rodata->targ_tgid = k->opts.pid;
	k->skel->rodata->targ_uid = k->opts.uid_given ? k->opts.uid : GB_INVALID_UID;
	k->skel->rodata->failed_only = k->opts.failed_only;
	k->skel->rodata->inet_only = k->opts.inet_only;
	for (size_t i = 0; i < k->opts.nports; i++)
		k->skel->rodata->targ_ports[i] = k->opts.ports[i];
	k->opts.ports = NULL; /* the caller's: not kept */
	return gb_kind_load(ctx, &bind_ops, k, k->skel->skeleton, k->opts.on_lost, k->opts.cb_ctx);
}
