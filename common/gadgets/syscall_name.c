#include "syscall_name.h"

#include <stddef.h>

#include "syscalls.h"

const char *gb_syscall_name(int nr)
{
	return nr >= 0 && (size_t)nr < sizeof(gb_syscall_names) / sizeof(*gb_syscall_names) ? gb_syscall_names[nr]
											    : NULL;
}
