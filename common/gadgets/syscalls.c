/* This architecture's syscall tables, by number and by name (build/syscalls.h, made by scripts/gen-syscalls.sh
 * from the kernel's uapi headers): for seccomp profiles and for naming what a filter refused. */
#include <string.h>

#include "gadgetbox.h"
#include "syscalls.h"

#define NAMES	(sizeof(gb_syscall_names) / sizeof(*gb_syscall_names))
#define NAMES32 (sizeof(gb_syscall_names32) / sizeof(*gb_syscall_names32))

const char *gb_syscall_name(unsigned nr, bool compat)
{
	if (compat)
		return nr < NAMES32 ? gb_syscall_names32[nr] : NULL;
	return nr < NAMES ? gb_syscall_names[nr] : NULL;
}

int gb_syscall_nr(const char *name, bool compat)
{
	size_t n = compat ? NAMES32 : NAMES;

	for (size_t i = 0; name && i < n; i++) {
		const char *s = compat ? gb_syscall_names32[i] : gb_syscall_names[i];
		if (s && !strcmp(s, name))
			return (int)i;
	}
	return -1;
}

const char *gb_syscall_arch(bool compat)
{
	return compat ? GB_SYSCALL_ARCH32 : GB_SYSCALL_ARCH;
}
