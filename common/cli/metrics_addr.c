/* --metrics ADDR, parsed at the command line (a usage error, exit 2) before anything starts. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int gb_metrics_parse_addr(const char *arg, struct gb_metrics_addr **out)
{
	struct gb_metrics_addr *a = calloc(1, sizeof(*a));
	char host[100] = "";
	const char *colon = strrchr(arg, ':');
	unsigned long port;
	char *end;

	if (!a)
		abort();
	snprintf(a->text, sizeof(a->text), "%s", arg);
	if (!colon || !colon[1] || (size_t)(colon - arg) >= sizeof(host))
		goto bad;
	port = strtoul(colon + 1, &end, 10);
	if (*end || port > 65535 || colon[1] == '-' || colon[1] == '+')
		goto bad;
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = 0;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (host[0] && inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
	}
	free(*out);
	*out = a;
	return 0;
bad:
	free(a);
	return -1;
}

const char *gb_metrics_addr_text(const struct gb_metrics_addr *a)
{
	return a->text;
}
