#include "sockfmt.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void gb_fmt_addr(char *buf, size_t size, int family, const uint8_t *addr)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)size) && size)
		buf[0] = '\0';
}

void gb_fmt_endpoint(char *buf, size_t size, int family, const uint8_t *addr, uint16_t port, bool dual, const char *dev)
{
	static const uint8_t any[16];
	char a[INET6_ADDRSTRLEN], p[8], d[24] = "";

	snprintf(p, sizeof(p), port ? "%u" : "*", port);
	if (family == AF_INET6 && dual && !memcmp(addr, any, 16)) {
		snprintf(buf, size, "*:%s", p);
		return;
	}
	gb_fmt_addr(a, sizeof(a), family, addr);
	if (dev && *dev)
		snprintf(d, sizeof(d), "%%%s", dev);
	snprintf(buf, size, family == AF_INET6 ? "[%s]%s:%s" : "%s%s:%s", a, d, p);
}

void gb_fmt_users(struct strbuf *sb, const struct gb_sock_owner *o, size_t n)
{
	sb_adds(sb, "users:(");
	for (size_t i = 0; i < n; i++) {
		sb_addf(sb, "%s(\"", i ? "," : "");
		sb_add(sb, o[i].comm, strnlen(o[i].comm, sizeof(o[i].comm)));
		sb_addf(sb, "\",pid=%u,fd=%u)", o[i].pid, o[i].fd);
	}
	sb_addc(sb, ')');
}

void gb_json_owners(struct jsonw *w, const char *key, const struct gb_sock_owner *o, size_t n)
{
	jw_member_arr_begin(w, key);
	for (size_t i = 0; i < n; i++) {
		jw_obj_begin(w);
		jw_member_u64(w, "pid", o[i].pid);
		jw_member_strn(w, "comm", o[i].comm, strnlen(o[i].comm, sizeof(o[i].comm)));
		jw_member_u64(w, "fd", o[i].fd);
		jw_member_u64(w, "uid", o[i].uid);
		jw_member_u64(w, "mountnsid", o[i].mntns);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}
