/* seccomp-audit's rows: a syscall a seccomp filter refused, killed, trapped or logged. */
#include <stdio.h>
#include "event.h"
#include "frontend.h"
#include "rows.h"

enum {
	SAF_SYSCALL = GBF_COUNT,
	SAF_NR,
	SAF_ARCH,
	SAF_ACTION,
	SAF_ERRNO,
	SAF_FIRST,
	SAF_EXE,
	SAF_COUNT,
};

static const struct out_field fields[SAF_COUNT - GBF_COUNT] = {
	[SAF_SYSCALL - GBF_COUNT] = {"syscall", "SYSCALL", 12, 0},
	[SAF_NR - GBF_COUNT] = {"nr", "NR", 4, 0},
	[SAF_ARCH - GBF_COUNT] = {"arch", "ARCH", 16, 0},
	[SAF_ACTION - GBF_COUNT] = {"action", "ACTION", 12, 0},
	[SAF_ERRNO - GBF_COUNT] = {"errno", "ERRNO", 6, 0},
	[SAF_FIRST - GBF_COUNT] = {"first", "FIRST", 5, 0},
	[SAF_EXE - GBF_COUNT] = {"exe", "EXE", 0, 0},
};

void gb_seccomp_audit_names(const struct gb_seccomp_audit_event *e, char action[40], char name[32])
{
	char err[16];

	if (e->action != GB_SECCOMP_ERRNO)
		snprintf(action, 40, "%s", gb_seccomp_action_name(e->action));
	else
		snprintf(action, 40, "errno(%s)", gb_errno_name(e->errno_value, err));
	if (e->syscall)
		snprintf(name, 32, "%s", e->syscall);
	else
		snprintf(name, 32, "syscall_%u", e->nr);
}

void gb_seccomp_audit_row(struct output *o, const struct gb_seccomp_audit_event *e)
{
	char action[40], nrname[32], err[16];

	gb_seccomp_audit_names(e, action, nrname);
	gb_event_begin(o, &e->proc);
	out_str(o, SAF_SYSCALL, nrname);
	out_u64(o, SAF_NR, e->nr);
	out_str(o, SAF_ARCH, gb_syscall_arch(e->compat));
	out_str(o, SAF_ACTION, action);
	if (e->action == GB_SECCOMP_ERRNO)
		out_str(o, SAF_ERRNO, gb_errno_name(e->errno_value, err));
	out_bool(o, SAF_FIRST, e->first);
	if (e->exe)
		out_str(o, SAF_EXE, e->exe);
	out_end(o);
	gb_cli_check_closed(o);
}

const struct gb_cli_rows gb_seccomp_audit_rows = {"seccomp-audit", fields, SAF_COUNT - GBF_COUNT};
