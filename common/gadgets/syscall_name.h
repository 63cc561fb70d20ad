/* Syscall names by number, for this architecture (build/syscalls.h). */
#ifndef GADGETBOX_SYSCALL_NAME_H
#define GADGETBOX_SYSCALL_NAME_H

/* "mkdir" for x86-64's 83; NULL for a number this table does not know. */
const char *gb_syscall_name(int nr);

#endif
