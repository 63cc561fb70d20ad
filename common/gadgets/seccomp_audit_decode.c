/* seccomp-audit's inputs, decoded: the ring-buffer record (bpf/seccomp_audit.h) and the kernel's audit record
 * of a seccomp action (type 1326) as /dev/kmsg gives it. Pure: the unit tests and the fuzzer feed them. */
#include "decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/seccomp_audit.h"

const char *gb_seccomp_action_name(enum gb_seccomp_action a)
{
	static const char *const names[] = {
		[GB_SECCOMP_ERRNO] = "errno",
		[GB_SECCOMP_KILL_PROCESS] = "kill_process",
		[GB_SECCOMP_KILL_THREAD] = "kill_thread",
		[GB_SECCOMP_TRAP] = "trap",
		[GB_SECCOMP_LOG] = "log",
	};

	return (unsigned)a < sizeof(names) / sizeof(*names) && names[a] ? names[a] : "";
}

int gb_decode_seccomp_audit(const void *data, size_t size, struct gb_seccomp_audit_event *ev)
{
	const struct sa_event *e = data;

	if (size < sizeof(*e))
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&e->proc, &ev->proc);
	switch (e->action) {
	case SA_ERRNO: ev->action = GB_SECCOMP_ERRNO; break;
	case SA_KILL_PROCESS: ev->action = GB_SECCOMP_KILL_PROCESS; break;
	case SA_KILL_THREAD: ev->action = GB_SECCOMP_KILL_THREAD; break;
	case SA_TRAP: ev->action = GB_SECCOMP_TRAP; break;
	default: return -EINVAL;
	}
	ev->nr = e->nr;
	ev->compat = e->flags & SA_COMPAT;
	ev->errno_value = e->data;
	return 0;
}

/* The value of " KEY=" in @msg (up to @end), or NULL; *len is its length up to the next space. */
static const char *field(const char *msg, const char *end, const char *key, size_t *len)
{
	size_t klen = strlen(key);

	for (const char *p = msg; p + klen + 2 <= end; p++) {
		if (*p != ' ' || memcmp(p + 1, key, klen) || p[1 + klen] != '=')
			continue;
		const char *v = p + klen + 2, *q = v;
		/* a quoted string: up to its closing quote (v == end: "KEY=" ends the message, the value is empty) */
		if (v < end && *v == '"') {
			for (q = v + 1; q < end && *q != '"'; q++)
				;
			*len = q < end ? (size_t)(q + 1 - v) : (size_t)(end - v);
			return v;
		}
		while (q < end && *q != ' ')
			q++;
		*len = (size_t)(q - v);
		return v;
	}
	return NULL;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* An untrusted string of the audit log: "quoted", or hex when it holds a space, a quote or a control byte. */
static void untrusted(const char *v, size_t len, char *out, size_t size)
{
	size_t o = 0;

	if (len >= 2 && v[0] == '"') {
		size_t n = len - (v[len - 1] == '"' ? 2 : 1);
		o = n < size - 1 ? n : size - 1;
		memcpy(out, v + 1, o);
	} else if (len % 2 == 0 && len > 0 && hexval(v[0]) >= 0) {
		for (size_t i = 0; i + 1 < len && o + 1 < size; i += 2) {
			int hi = hexval(v[i]), lo = hexval(v[i + 1]);
			if (hi < 0 || lo < 0)
				break;
			out[o++] = (char)(hi << 4 | lo);
		}
	} else {
		o = len < size - 1 ? len : size - 1;
		memcpy(out, v, o);
	}
	out[o] = '\0';
}

static bool number(const char *msg, const char *end, const char *key, int base, unsigned long long *out)
{
	size_t len;
	const char *v = field(msg, end, key, &len);
	char buf[32], *stop;

	if (!v || !len || len >= sizeof(buf))
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtoull(buf, &stop, base);
	return !errno && *stop == '\0' && buf[0] != '-';
}

int gb_parse_audit_seccomp(const char *rec, size_t size, struct gb_audit_seccomp *out)
{
	static const char type[] = "type=1326 audit(";
	const char *msg = memchr(rec, ';', size), *end;
	unsigned long long v, sec, ms;
	char stamp[40];
	size_t len;

	if (!msg)
		return -EINVAL;
	msg++;
	end = memchr(msg, '\n', (size_t)(rec + size - msg));
	if (!end)
		end = rec + size;
	const char *t = memmem(msg, (size_t)(end - msg), type, sizeof(type) - 1);
	if (!t)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	/* audit(SECONDS.MILLIS:SERIAL): */
	t += sizeof(type) - 1;
	len = 0;
	while (t + len < end && len < sizeof(stamp) - 1 && t[len] != ':' && t[len] != ')')
		len++;
	memcpy(stamp, t, len);
	stamp[len] = '\0';
	if (sscanf(stamp, "%llu.%3llu", &sec, &ms) == 2)
		out->time_ns = sec * 1000000000ull + ms * 1000000ull;
	/* the fields after the stamp, each " KEY=VALUE" */
	const char *fields = t + len;
	if (!number(fields - 1, end, "pid", 10, &v) || v > UINT32_MAX)
		return -EINVAL;
	out->pid = (uint32_t)v;
	if (!number(fields - 1, end, "syscall", 10, &v) || v > UINT32_MAX)
		return -EINVAL;
	out->syscall = (uint32_t)v;
	if (!number(fields - 1, end, "code", 16, &v) || v > UINT32_MAX)
		return -EINVAL;
	out->code = (uint32_t)v;
	out->uid = number(fields - 1, end, "uid", 10, &v) && v <= UINT32_MAX ? (uint32_t)v : UINT32_MAX;
	out->gid = number(fields - 1, end, "gid", 10, &v) && v <= UINT32_MAX ? (uint32_t)v : UINT32_MAX;
	out->compat = number(fields - 1, end, "compat", 10, &v) && v;
	out->sig = number(fields - 1, end, "sig", 10, &v) && v < 128 ? (int)v : 0;
	if (number(fields - 1, end, "arch", 16, &v) && v <= UINT32_MAX)
		out->arch = (uint32_t)v;
	const char *s = field(fields - 1, end, "comm", &len);
	if (s)
		untrusted(s, len, out->comm, sizeof(out->comm));
	s = field(fields - 1, end, "exe", &len);
	if (s)
		untrusted(s, len, out->exe, sizeof(out->exe));
	return 0;
}
