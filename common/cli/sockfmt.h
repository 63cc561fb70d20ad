/* Sockets as ss shows them, for every applet that prints one (socksnap, bindsnoop-k8s, tcptracer-k8s). */
#ifndef GADGETBOX_SOCKFMT_H
#define GADGETBOX_SOCKFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gadgetbox.h"
#include "jsonw.h"
#include "strbuf.h"

/* An address as inet_ntop writes it (IPv4: the first 4 bytes of @addr). */
void gb_fmt_addr(char *buf, size_t size, int family, const uint8_t *addr);
/* ss -n's form: 10.0.0.1:80, [::1]:80, 0.0.0.0:* (port 0), with %DEV when @dev is not empty; *:80 for a socket
 * on :: that takes IPv4 too (@dual). */
void gb_fmt_endpoint(char *buf, size_t size, int family, const uint8_t *addr, uint16_t port, bool dual,
		     const char *dev);
/* users:(("nginx",pid=12,fd=3),...) as ss -p writes it, appended to @sb. */
void gb_fmt_users(struct strbuf *sb, const struct gb_sock_owner *o, size_t n);
/* The member "@key":[{"pid","comm","fd","uid","mountnsid"},...]. */
void gb_json_owners(struct jsonw *w, const char *key, const struct gb_sock_owner *o, size_t n);

#endif
