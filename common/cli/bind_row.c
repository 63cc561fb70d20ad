/* bindsnoop-k8s's rows: a bind's address, options and result, and who holds an address in use. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "event.h"
#include "frontend.h"
#include "jsonw.h"
#include "rows.h"
#include "sockfmt.h"

enum {
	BDF_RESULT = GBF_COUNT,
	BDF_RET,
	BDF_ERROR,
	BDF_PROTO,
	BDF_FAMILY,
	BDF_TYPE,
	BDF_ADDR,
	BDF_PORT,
	BDF_REQ_PORT,
	BDF_ENDPOINT,
	BDF_OPTS,
	BDF_OPTIONS,
	BDF_IF,
	BDF_FD,
	BDF_ADDRLEN,
	BDF_NETNS,
	BDF_HELD_BY,
	BDF_HOLDERS,
	BDF_COUNT,
};

#define F(x) [(x)-GBF_COUNT]
static const struct out_field fields[BDF_COUNT - GBF_COUNT] = {
	F(BDF_RESULT) = {"result", "RET", 10, OUT_F_COLONLY},
	F(BDF_RET) = {"ret", "RET", 4, 0},
	F(BDF_ERROR) = {"error", "ERROR", 10, 0},
	F(BDF_PROTO) = {"proto", "PROTO", 5, 0},
	F(BDF_FAMILY) = {"family", "FAMILY", 9, 0},
	F(BDF_TYPE) = {"type", "TYPE", 11, 0},
	F(BDF_ADDR) = {"addr", "ADDR", 15, 0},
	F(BDF_PORT) = {"port", "PORT", 5, 0},
	F(BDF_REQ_PORT) = {"requestedPort", "REQPORT", 7, 0},
	F(BDF_ENDPOINT) = {"endpoint", "ADDRESS", 21, OUT_F_COLONLY},
	F(BDF_OPTS) = {"opts", "OPTS", 6, 0},
	F(BDF_OPTIONS) = {"options", "OPTIONS", 20, OUT_F_JSONONLY},
	F(BDF_IF) = {"if", "IF", 4, 0},
	F(BDF_FD) = {"fd", "FD", 3, 0},
	F(BDF_ADDRLEN) = {"addrlen", "ADDRLEN", 7, 0},
	F(BDF_NETNS) = {"netns", "NETNS", 10, 0},
	F(BDF_HELD_BY) = {"heldBy", "HELD-BY", 0, OUT_F_COLONLY},
	F(BDF_HOLDERS) = {"holders", "HOLDERS", 0, OUT_F_JSONONLY},
};

/* The protocol as ss and BCC name it: TCP, UDP, RAW, UNIX ... */
static const char *proto_name(const struct gb_bind_event *e, char buf[16])
{
	int fam = e->sock_family ? e->sock_family : e->family;

	if (fam == AF_INET || fam == AF_INET6) {
		if (e->sock_type == SOCK_RAW)
			return "RAW";
		switch (e->protocol) {
		case IPPROTO_TCP: return "TCP";
		case IPPROTO_UDP: return "UDP";
		case IPPROTO_UDPLITE: return "UDPLITE";
		case IPPROTO_SCTP: return "SCTP";
		case IPPROTO_MPTCP: return "MPTCP";
		case IPPROTO_ICMP:
		case IPPROTO_ICMPV6: return "ICMP";
		}
		snprintf(buf, 16, "IP/%d", e->protocol);
		return buf;
	}
	switch (fam) {
	case AF_UNIX: return "UNIX";
	case AF_PACKET: return "PACKET";
	case AF_NETLINK: return "NETLINK";
	case AF_VSOCK: return "VSOCK";
	}
	snprintf(buf, 16, "AF%d", fam);
	return buf;
}

static const char *family_name(int family, char buf[16])
{
	switch (family) {
	case AF_INET: return "AF_INET";
	case AF_INET6: return "AF_INET6";
	case AF_UNIX: return "AF_UNIX";
	case AF_PACKET: return "AF_PACKET";
	case AF_NETLINK: return "AF_NETLINK";
	case AF_VSOCK: return "AF_VSOCK";
	case AF_UNSPEC: return "AF_UNSPEC";
	}
	snprintf(buf, 16, "%d", family);
	return buf;
}

static const char *type_name(int type)
{
	switch (type) {
	case SOCK_STREAM: return "SOCK_STREAM";
	case SOCK_DGRAM: return "SOCK_DGRAM";
	case SOCK_RAW: return "SOCK_RAW";
	case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
	case SOCK_RDM: return "SOCK_RDM";
	}
	return NULL;
}

/* BCC's OPTS column (F freebind, T transparent, N bind-address-no-port, R reuseaddr, r reuseport), then V
 * IPV6_V6ONLY; '.' for each one not set. */
static void opts_letters(unsigned opts, char buf[8])
{
	static const struct {
		unsigned bit;
		char c;
	} letters[] = {{GB_BIND_FREEBIND, 'F'},	 {GB_BIND_TRANSPARENT, 'T'}, {GB_BIND_ADDRESS_NO_PORT, 'N'},
		       {GB_BIND_REUSEADDR, 'R'}, {GB_BIND_REUSEPORT, 'r'},   {GB_BIND_V6ONLY, 'V'}};

	for (size_t i = 0; i < 6; i++)
		buf[i] = opts & letters[i].bit ? letters[i].c : '.';
	buf[6] = '\0';
}

static void json_options(struct strbuf *sb, unsigned opts)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{GB_BIND_REUSEADDR, "SO_REUSEADDR"},
		     {GB_BIND_REUSEPORT, "SO_REUSEPORT"},
		     {GB_BIND_FREEBIND, "IP_FREEBIND"},
		     {GB_BIND_TRANSPARENT, "IP_TRANSPARENT"},
		     {GB_BIND_ADDRESS_NO_PORT, "IP_BIND_ADDRESS_NO_PORT"},
		     {GB_BIND_V6ONLY, "IPV6_V6ONLY"}};
	struct jsonw w;

	jw_init_members(&w, sb, true);
	jw_member_arr_begin(&w, "options");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (opts & names[i].bit)
			jw_str(&w, names[i].name);
	jw_arr_end(&w);
}

/* What the sockaddr names, as text: an IP address, a UNIX path (@name for an abstract one), a packet
 * socket's interface, a netlink port; else its bytes in hex. */
static void addr_text(struct strbuf *sb, const struct gb_bind_event *e, bool inet)
{
	char a[INET6_ADDRSTRLEN];

	if (e->sockaddr_unreadable) {
		sb_adds(sb, "(unreadable)");
	} else if (inet) {
		gb_fmt_addr(a, sizeof(a), e->family, e->addr);
		sb_adds(sb, a);
		if (e->family == AF_INET6 && e->scope_id)
			sb_addf(sb, "%%%u", e->scope_id);
	} else if (e->family == AF_UNIX && e->path) {
		if (e->path_len && !e->path[0]) {
			sb_addc(sb, '@');
			sb_add(sb, e->path + 1, e->path_len - 1);
		} else {
			sb_add(sb, e->path, e->path_len);
		}
	} else if (e->family == AF_PACKET && e->sockaddr_len >= 8) {
		const uint8_t *s = e->sockaddr;
		sb_addf(sb, "ifindex %d proto 0x%04x", (int)(s[4] | s[5] << 8 | s[6] << 16 | (unsigned)s[7] << 24),
			s[2] << 8 | s[3]);
	} else if (e->family == AF_NETLINK && e->sockaddr_len >= 12) {
		const uint8_t *s = e->sockaddr;
		sb_addf(sb, "portid %u groups 0x%x", (unsigned)(s[4] | s[5] << 8 | s[6] << 16 | (unsigned)s[7] << 24),
			(unsigned)(s[8] | s[9] << 8 | s[10] << 16 | (unsigned)s[11] << 24));
	} else {
		for (size_t i = 0; i < e->sockaddr_len; i++)
			sb_addf(sb, "%02x", e->sockaddr[i]);
	}
}

/* HELD-BY: each holding socket, "STATE ADDR:PORT users:((...)) CONTAINER" */
static void held_by_text(struct strbuf *sb, const struct gb_bind_event *e)
{
	char ep[96], name[300];

	if (!e->holders_searched) {
		sb_adds(sb, "?");
		return;
	}
	if (!e->nholders)
		sb_adds(sb, "(no socket holds it now)");
	for (size_t i = 0; i < e->nholders; i++) {
		const struct gb_sock_entry *h = &e->holders[i];
		gb_fmt_endpoint(ep, sizeof(ep), h->family, h->local_addr, h->local_port, !h->v6only, h->bound_dev);
		sb_addf(sb, "%s%s %s ", i ? "; " : "", h->state_name, ep);
		if (h->nowners)
			gb_fmt_users(sb, h->owners, h->nowners);
		else
			sb_adds(sb, "-");
		if (h->container)
			sb_addf(sb, " %s", gb_container__display(h->container, name, sizeof(name)));
	}
}

static void json_holders(struct strbuf *sb, const struct gb_bind_event *e)
{
	char a[INET6_ADDRSTRLEN], name[300];
	struct jsonw w;

	jw_init_members(&w, sb, true);
	jw_member_arr_begin(&w, "holders");
	for (size_t i = 0; i < e->nholders; i++) {
		const struct gb_sock_entry *h = &e->holders[i];
		jw_obj_begin(&w);
		jw_member_str(&w, "proto", h->proto == GB_SOCK_TCP ? "TCP" : "UDP");
		jw_member_str(&w, "state", h->state_name);
		gb_fmt_addr(a, sizeof(a), h->family, h->local_addr);
		jw_member_str(&w, "addr", a);
		jw_member_u64(&w, "port", h->local_port);
		if (*h->bound_dev)
			jw_member_str(&w, "if", h->bound_dev);
		jw_member_u64(&w, "inode", h->inode);
		gb_json_owners(&w, "processes", h->owners, h->nowners);
		if (h->container) {
			jw_member_str(&w, "container", gb_container__display(h->container, name, sizeof(name)));
			jw_member_str(&w, "containerId", h->container->id);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
}

void gb_bind_row(struct output *o, const struct gb_bind_event *e)
{
	static struct strbuf sb;
	char buf[16], buf2[16], ep[128], opts[8];
	/* an address and a port only where the sockaddr was long enough to hold them */
	bool inet = (e->family == AF_INET && e->sockaddr_len >= 8) || (e->family == AF_INET6 && e->sockaddr_len >= 24);
	uint16_t port = e->ret == 0 && e->bound_port ? e->bound_port : e->port;

	gb_event_begin(o, &e->proc);
	out_s64(o, BDF_RET, e->ret);
	out_str(o, BDF_RESULT, e->ret < 0 ? gb_errno_name(e->ret, buf) : "0");
	if (e->ret < 0)
		out_str(o, BDF_ERROR, gb_errno_name(e->ret, buf));
	out_str(o, BDF_PROTO, proto_name(e, buf2));
	if (e->family >= 0)
		out_str(o, BDF_FAMILY, family_name(e->family, buf));
	if (type_name(e->sock_type))
		out_str(o, BDF_TYPE, type_name(e->sock_type));
	sb_reset(&sb);
	addr_text(&sb, e, inet);
	out_strn(o, BDF_ADDR, sb.buf ? sb.buf : "", sb.len);
	if (inet) {
		out_u64(o, BDF_PORT, port);
		out_u64(o, BDF_REQ_PORT, e->port);
		gb_fmt_endpoint(ep, sizeof(ep), e->family, e->addr, port, false, "");
		out_str(o, BDF_ENDPOINT, ep);
	} else {
		out_strn(o, BDF_ENDPOINT, sb.buf ? sb.buf : "", sb.len);
	}
	opts_letters(e->opts, opts);
	out_str(o, BDF_OPTS, opts);
	if (out_wants(o, BDF_OPTIONS)) {
		static struct strbuf options; /* the row points to it until out_end() */
		sb_reset(&options);
		json_options(&options, e->opts);
		out_raw(o, BDF_OPTIONS, options.buf, options.len);
	}
	if (*e->bound_dev)
		out_str(o, BDF_IF, e->bound_dev);
	out_s64(o, BDF_FD, e->fd);
	out_u64(o, BDF_ADDRLEN, e->addrlen);
	out_u64(o, BDF_NETNS, e->netns);
	if (e->ret == -EADDRINUSE && e->holders_searched) {
		static struct strbuf held;
		sb_reset(&held);
		if (output_json(o)) {
			json_holders(&held, e);
			out_raw(o, BDF_HOLDERS, held.buf, held.len);
		} else {
			held_by_text(&held, e);
			out_strn(o, BDF_HELD_BY, held.buf, held.len);
		}
	}
	out_end(o);
	gb_cli_check_closed(o);
}

const struct gb_cli_rows gb_bind_rows = {"bind", fields, BDF_COUNT - GBF_COUNT};
