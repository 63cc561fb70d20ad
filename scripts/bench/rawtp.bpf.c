// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The reference for the cost of a program on every syscall: raw_tp sys_enter and sys_exit that return at once
 * (seccomp-audit's pair, without its one load). Loaded by rawtp.c. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("raw_tp/sys_enter")
int empty_enter(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_exit")
int empty_exit(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
