/* sigsnoop-k8s's rows: a signal, its sender (or the kernel and why), its target and result. */
#include <stdio.h>
#include "event.h"
#include "frontend.h"
#include "rows.h"
#include "sigtext.h"
#include "signames.h"

enum {
	SF_SENDER = GBF_COUNT,
	SF_SPID,
	SF_FROM_KERNEL,
	SF_SIG,
	SF_SIGNUM,
	SF_CODE,
	SF_TPID,
	SF_TTID,
	SF_TCOMM,
	SF_TCONTAINER,
	SF_TCONTAINER_ID,
	SF_TMNTNS,
	SF_RESULT,
	SF_BLOCKED,
	SF_REASON,
	SF_DETAIL,
	SF_KILL_SYSCALL,
	SF_KILL_PID,
	SF_KILL_ERROR,
	SF_FAULT_ADDR,
	SF_SYSCALL,
	SF_OOM_RSS,
	SF_OOM_LIMIT,
	SF_OOM_USAGE,
	SF_COUNT,
};

#define F(x) [(x)-GBF_COUNT]
static const struct out_field fields[SF_COUNT - GBF_COUNT] = {
	F(SF_SENDER) = {"sender", "SENDER", 16, OUT_F_COLONLY},
	F(SF_SPID) = {"spid", "PID", 7, OUT_F_COLONLY},
	F(SF_FROM_KERNEL) = {"fromKernel", "KERNEL", 6, 0},
	F(SF_SIG) = {"signal", "SIG", 9, 0},
	F(SF_SIGNUM) = {"signalNumber", "SIGNUM", 3, OUT_F_JSONONLY},
	F(SF_CODE) = {"signalCode", "SICODE", 6, OUT_F_JSONONLY},
	F(SF_TPID) = {"target.pid", "TPID", 7, 0},
	F(SF_TTID) = {"target.tid", "TTID", 7, 0},
	F(SF_TCOMM) = {"target.comm", "TCOMM", 16, 0},
	F(SF_TCONTAINER) = {"target.container", "TCONTAINER", 14, OUT_F_NOCUT},
	F(SF_TCONTAINER_ID) = {"target.containerId", "TCONTAINERID", 13, OUT_F_JSONONLY},
	F(SF_TMNTNS) = {"target.mountnsid", "TMNTNS", 10, OUT_F_JSONONLY},
	F(SF_RESULT) = {"result", "RESULT", 9, 0},
	F(SF_BLOCKED) = {"blocked", "BLOCKED", 7, 0},
	F(SF_REASON) = {"reason", "REASON", 7, 0},
	F(SF_DETAIL) = {"detail", "DETAIL", 0, OUT_F_COLONLY},
	F(SF_KILL_SYSCALL) = {"kill.syscall", "SYSCALL", 7, 0},
	F(SF_KILL_PID) = {"kill.pid", "KILLPID", 7, 0},
	F(SF_KILL_ERROR) = {"kill.error", "ERROR", 7, 0},
	F(SF_FAULT_ADDR) = {"faultAddr", "ADDR", 18, OUT_F_JSONONLY},
	F(SF_SYSCALL) = {"syscall", "SYSCALL", 12, OUT_F_JSONONLY},
	F(SF_OOM_RSS) = {"oom.rssKiB", "RSS_KIB", 9, OUT_F_JSONONLY},
	F(SF_OOM_LIMIT) = {"oom.memcgLimit", "MEMLIMIT", 10, OUT_F_JSONONLY},
	F(SF_OOM_USAGE) = {"oom.memcgUsage", "MEMUSAGE", 10, OUT_F_JSONONLY},
};

/* DETAIL: the kill() behind it, and what the kernel knew of the signal's reason */
static const char *detail(const struct gb_signal_event *e, char *buf, size_t size)
{
	char err[16], why[160];

	gb_sig_reason_text(&e->info, why, sizeof(why));
	if (e->result == GB_SIGNAL_FAILED)
		snprintf(buf, size, "%s(%d) = %s", e->kill_syscall, e->kill_pid, gb_errno_name(e->kill_ret, err));
	else if (e->kill_syscall && why[0])
		snprintf(buf, size, "%s(%d); %s", e->kill_syscall, e->kill_pid, why);
	else if (e->kill_syscall)
		snprintf(buf, size, "%s(%d)", e->kill_syscall, e->kill_pid);
	else
		snprintf(buf, size, "%s", why);
	return buf;
}

void gb_signal_row(struct output *o, const struct gb_signal_event *e)
{
	static char sigbuf[16], errbuf[16], addr[32], text[400], tcont[300];

	gb_event_begin(o, &e->proc);
	out_str(o, SF_SENDER, e->from_kernel ? "kernel" : e->proc.comm);
	if (e->from_kernel)
		out_str(o, SF_SPID, "-");
	else
		out_u64(o, SF_SPID, e->proc.pid);
	out_bool(o, SF_FROM_KERNEL, e->from_kernel);
	out_str(o, SF_SIG, gb_signal_name(e->info.sig, sigbuf));
	out_u64(o, SF_SIGNUM, e->info.sig);
	if (e->result != GB_SIGNAL_FAILED)
		out_s64(o, SF_CODE, e->info.code);
	if (e->target.pid) {
		out_u64(o, SF_TPID, e->target.pid);
		out_u64(o, SF_TTID, e->target.tid);
		out_str(o, SF_TCOMM, e->target.comm);
		out_u64(o, SF_TMNTNS, e->target.mntns);
		if (e->target.container) {
			out_str(o, SF_TCONTAINER, gb_container__display(e->target.container, tcont, sizeof(tcont)));
			out_str(o, SF_TCONTAINER_ID, e->target.container->id);
		} else {
			out_str(o, SF_TCONTAINER, "");
		}
		out_bool(o, SF_BLOCKED, e->info.blocked);
	}
	out_str(o, SF_RESULT, gb_signal_result_name(e->result));
	out_str(o, SF_REASON, gb_signal_origin_name(e->info.origin));
	out_str(o, SF_DETAIL, detail(e, text, sizeof(text)));
	if (e->kill_syscall) {
		out_str(o, SF_KILL_SYSCALL, e->kill_syscall);
		out_s64(o, SF_KILL_PID, e->kill_pid);
		if (e->kill_ret < 0)
			out_str(o, SF_KILL_ERROR, gb_errno_name(e->kill_ret, errbuf));
	}
	if (e->info.origin == GB_SIGNAL_FAULT) {
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)e->info.addr);
		out_str(o, SF_FAULT_ADDR, addr);
	}
	if (e->info.origin == GB_SIGNAL_SECCOMP && e->info.syscall_name)
		out_str(o, SF_SYSCALL, e->info.syscall_name);
	if (e->info.origin == GB_SIGNAL_OOM) {
		out_u64(o, SF_OOM_RSS, e->info.oom_rss_kib);
		if (e->info.memcg_limit) {
			out_u64(o, SF_OOM_LIMIT, e->info.memcg_limit);
			out_u64(o, SF_OOM_USAGE, e->info.memcg_usage);
		}
	}
	out_end(o);
	gb_cli_check_closed(o);
}

const struct gb_cli_rows gb_signal_rows = {"signal", fields, SF_COUNT - GBF_COUNT};
