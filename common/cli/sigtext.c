#include "sigtext.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "signames.h"

const char *gb_sig_proc_text(const struct gb_event_proc *p, char *buf, size_t size)
{
	char name[300];

	snprintf(buf, size, "%s[%u] (%s)", p->comm, p->pid,
		 p->container ? gb_container__display(p->container, name, sizeof(name)) : "host");
	return buf;
}

/* 33554432 -> "32.0MiB" */
static const char *mib(uint64_t bytes, char *buf, size_t size)
{
	snprintf(buf, size, "%.1fMiB", bytes / 1048576.0);
	return buf;
}

const char *gb_sig_reason_text(const struct gb_signal_info *i, char *buf, size_t size)
{
	char a[32], b[32], c[32];

	switch (i->origin) {
	case GB_SIGNAL_OOM:
		if (i->memcg_limit)
			snprintf(buf, size, "rss %s, memory limit %s, usage %s",
				 mib(i->oom_rss_kib * 1024, a, sizeof(a)), mib(i->memcg_limit, b, sizeof(b)),
				 mib(i->memcg_usage, c, sizeof(c)));
		else
			snprintf(buf, size, "rss %s, no memory cgroup limit", mib(i->oom_rss_kib * 1024, a, sizeof(a)));
		break;
	case GB_SIGNAL_FAULT: snprintf(buf, size, "at 0x%llx", (unsigned long long)i->addr); break;
	case GB_SIGNAL_SECCOMP:
		snprintf(buf, size, "syscall %s (%d)", i->syscall_name ? i->syscall_name : "?", i->syscall);
		break;
	default: buf[0] = '\0';
	}
	return buf;
}

int gb_parse_signals(const char *list, unsigned long long *mask)
{
	char item[32];

	*mask = 0;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		int sig = -1;
		if (len && len < sizeof(item)) {
			memcpy(item, p, len);
			item[len] = '\0';
			sig = gb_signal_number(item);
		}
		if (sig < 1 || sig > 64)
			return gb_usage_error("unknown signal '%.*s' in '%s' (a name like TERM or SIGKILL, or 1..64)",
					      (int)len, p, list);
		*mask |= 1ULL << (sig - 1);
		p += len + (p[len] == ',');
	}
	if (!*mask)
		return gb_usage_error("no signal in '%s'", list);
	return 0;
}
