/*
 * libFuzzer: a kernel log record (one read of /dev/kmsg) into gb_parse_audit_seccomp(), and the same bytes as a
 * seccomp-audit ring-buffer record into gb_decode_seccomp_audit(). Strings come out NUL-terminated within
 * their arrays; every field is read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_audit_seccomp a;
	struct gb_seccomp_audit_event ev;
	char *copy = malloc(size ? size : 1); /* exactly @size bytes: ASan sees any read past them */

	memcpy(copy, data, size);
	if (gb_parse_audit_seccomp(copy, size, &a) == 0) {
		if (strnlen(a.comm, sizeof(a.comm)) == sizeof(a.comm) || strnlen(a.exe, sizeof(a.exe)) == sizeof(a.exe))
			__builtin_trap();
		volatile uint64_t sum =
			a.time_ns + a.pid + a.uid + a.gid + (unsigned)a.sig + a.arch + a.syscall + a.compat + a.code;
		(void)sum;
	}
	if (gb_decode_seccomp_audit(copy, size, &ev) == 0) {
		if (!*gb_seccomp_action_name(ev.action) ||
		    strnlen(ev.proc.comm, sizeof(ev.proc.comm)) == sizeof(ev.proc.comm))
			__builtin_trap();
	}
	free(copy);
	return 0;
}
