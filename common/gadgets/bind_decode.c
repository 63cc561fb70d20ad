/* The bind record (bpf/bindsnoop.h) into a struct gb_bind_event: the caller's sockaddr read as its family says. */
#include "decode.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "bpf/bindsnoop.h"
#include "bpf/sock.h"

#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(GB_BIND_REUSEADDR, GB_SOCKOPT_REUSEADDR) && SAME(GB_BIND_REUSEPORT, GB_SOCKOPT_REUSEPORT) &&
		       SAME(GB_BIND_FREEBIND, GB_SOCKOPT_FREEBIND) &&
		       SAME(GB_BIND_TRANSPARENT, GB_SOCKOPT_TRANSPARENT) &&
		       SAME(GB_BIND_ADDRESS_NO_PORT, GB_SOCKOPT_BIND_ADDRESS_NO_PORT) &&
		       SAME(GB_BIND_V6ONLY, GB_SOCKOPT_V6ONLY),
	       "the kernel side's option bits are the API's");

/* Big-endian 16 bits at @p. */
static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* What the sockaddr's @n bytes say, as the kernel would read them: an address family's fields only when
 * addrlen holds them (the kernel refuses a shorter one with EINVAL). */
static void decode_sockaddr(const uint8_t *sa, size_t n, struct gb_bind_event *ev)
{
	ev->family = n >= 2 ? (int)(sa[0] | sa[1] << 8) : -1; /* sa_family_t, native (x86-64, arm64: little) */
	if (ev->family == AF_INET && n >= 8) {
		ev->port = be16(sa + 2);
		memcpy(ev->addr, sa + 4, 4);
	} else if (ev->family == AF_INET6 && n >= 24) {
		ev->port = be16(sa + 2);
		memcpy(ev->addr, sa + 8, 16);
		if (n >= 28)
			ev->scope_id = (uint32_t)(sa[24] | sa[25] << 8 | sa[26] << 16 | (uint32_t)sa[27] << 24);
	} else if (ev->family == AF_UNIX) {
		/* sun_path: up to addrlen, or its first NUL for a filesystem name (an abstract one has its own length)
		 */
		size_t len = n > 2 ? n - 2 : 0;
		const char *path = (const char *)sa + 2;
		if (len && path[0])
			len = strnlen(path, len);
		ev->path = path;
		ev->path_len = len;
	}
}

int gb_decode_bind(const void *data, size_t size, struct gb_bind_event *ev)
{
	const struct bind_event *r = data;

	if (size < sizeof(*r))
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&r->proc, &ev->proc);
	ev->ret = r->ret;
	ev->fd = r->fd;
	ev->addrlen = r->addrlen;
	ev->sockaddr = r->addr;
	ev->sockaddr_len = r->addrlen < BIND_ADDR_MAX ? r->addrlen : BIND_ADDR_MAX;
	ev->sockaddr_unreadable = r->flags & BIND_ADDR_UNREADABLE;
	if (ev->sockaddr_unreadable)
		ev->sockaddr_len = 0;
	decode_sockaddr(r->addr, ev->sockaddr_len, ev);
	ev->no_socket = r->flags & BIND_NO_SOCKET;
	ev->sock_family = r->sk_family;
	ev->sock_type = r->sk_type;
	ev->protocol = r->sk_protocol;
	ev->bound_port = r->bound_port;
	ev->opts = r->opts;
	ev->bound_ifindex = r->bound_ifindex;
	ev->bound_dev = "";
	ev->netns = r->netns;
	return 0;
}
