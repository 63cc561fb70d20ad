/* exitsnoop-k8s's rows: how a process ended, and who or what ended it. */
#include <stdio.h>
#include "event.h"
#include "frontend.h"
#include "rows.h"
#include "sigtext.h"
#include "signames.h"
#include "strbuf.h"

enum {
	XF_AGE = GBF_COUNT,
	XF_AGE_NS,
	XF_EXIT,
	XF_EXIT_CODE,
	XF_SIGNAL,
	XF_CORE,
	XF_CAUSE,
	XF_AFTER_SIGNAL,
	XF_DETAIL,
	XF_SIGNAL_CODE,
	XF_SENDER_PID,
	XF_SENDER_TID,
	XF_SENDER_UID,
	XF_SENDER_COMM,
	XF_SENDER_CONTAINER,
	XF_SENDER_CONTAINER_ID,
	XF_FAULT_ADDR,
	XF_SYSCALL,
	XF_SYSCALL_NR,
	XF_OOM_RSS,
	XF_OOM_LIMIT,
	XF_OOM_USAGE,
	XF_THREAD,
	XF_CONTAINER_END,
	XF_COUNT,
};

#define F(x) [(x)-GBF_COUNT]
static const struct out_field fields[XF_COUNT - GBF_COUNT] = {
	F(XF_AGE) = {"ageSec", "AGE(s)", 8, OUT_F_COLONLY},
	F(XF_AGE_NS) = {"age", "AGE_NS", 12, OUT_F_JSONONLY},
	F(XF_EXIT) = {"exit", "EXIT", 9, OUT_F_COLONLY},
	F(XF_EXIT_CODE) = {"exitCode", "CODE", 4, 0},
	F(XF_SIGNAL) = {"signal", "SIGNAL", 9, 0},
	F(XF_CORE) = {"coreDumped", "CORE", 4, 0},
	F(XF_CAUSE) = {"cause", "CAUSE", 7, 0},
	F(XF_AFTER_SIGNAL) = {"afterSignal", "AFTER", 9, 0},
	F(XF_DETAIL) = {"detail", "DETAIL", 0, OUT_F_COLONLY},
	F(XF_SIGNAL_CODE) = {"signalCode", "SICODE", 6, OUT_F_JSONONLY},
	F(XF_SENDER_PID) = {"sender.pid", "SPID", 7, 0},
	F(XF_SENDER_TID) = {"sender.tid", "STID", 7, OUT_F_JSONONLY},
	F(XF_SENDER_UID) = {"sender.uid", "SUID", 6, OUT_F_JSONONLY},
	F(XF_SENDER_COMM) = {"sender.comm", "SCOMM", 16, 0},
	F(XF_SENDER_CONTAINER) = {"sender.container", "SCONTAINER", 14, 0},
	F(XF_SENDER_CONTAINER_ID) = {"sender.containerId", "SCONTAINERID", 13, OUT_F_JSONONLY},
	F(XF_FAULT_ADDR) = {"faultAddr", "ADDR", 18, 0},
	F(XF_SYSCALL) = {"syscall", "SYSCALL", 12, 0},
	F(XF_SYSCALL_NR) = {"syscallNr", "NR", 4, OUT_F_JSONONLY},
	F(XF_OOM_RSS) = {"oom.rssKiB", "RSS_KIB", 9, 0},
	F(XF_OOM_LIMIT) = {"oom.memcgLimit", "MEMLIMIT", 10, 0},
	F(XF_OOM_USAGE) = {"oom.memcgUsage", "MEMUSAGE", 10, 0},
	F(XF_THREAD) = {"thread", "THREAD", 6, 0},
	F(XF_CONTAINER_END) = {"containerEnd", "END", 3, 0},
};

/* DETAIL: the container's end, who sent the signal, and what the kernel knew of it */
static const char *detail(const struct gb_exit_event *e, struct strbuf *sb)
{
	char who[400], why[160], sigbuf[16];
	const char *sep = "";

	sb_reset(sb);
	if (e->container_end) {
		sb_addf(sb, "container ended after %.2fs", e->age_ns / 1e9);
		sep = "; ";
	}
	if (!e->signal && e->cause.sig) { /* a stop request it handled */
		bool by_process = e->cause.origin == GB_SIGNAL_PROCESS || e->cause.origin == GB_SIGNAL_SELF;
		sb_addf(sb, "%s%.2fs after %s from %s", sep, (e->proc.boot_ns - e->sender.boot_ns) / 1e9,
			gb_signal_name(e->cause.sig, sigbuf),
			by_process ? gb_sig_proc_text(&e->sender, who, sizeof(who)) : "the kernel");
	} else if (e->cause.origin == GB_SIGNAL_PROCESS) {
		sb_addf(sb, "%sfrom %s", sep, gb_sig_proc_text(&e->sender, who, sizeof(who)));
	} else if (e->cause.origin == GB_SIGNAL_PIDNS) {
		sb_addf(sb, "%sits pid namespace's init ended", sep);
	} else if (*gb_sig_reason_text(&e->cause, why, sizeof(why))) {
		sb_addf(sb, "%s%s", sep, why);
	}
	return sb_str(sb);
}

void gb_exit_row(struct output *o, const struct gb_exit_event *e, bool threads)
{
	static char age[32], exit_text[32], sigbuf[16], addr[32], scont[300];
	static struct strbuf text;

	gb_event_begin(o, &e->proc);
	snprintf(age, sizeof(age), "%.2f", e->age_ns / 1e9);
	out_str(o, XF_AGE, age);
	out_u64(o, XF_AGE_NS, e->age_ns);
	if (e->signal) {
		const char *name = gb_signal_name(e->signal, sigbuf);
		snprintf(exit_text, sizeof(exit_text), "%s%s", name, e->core_dumped ? "(core)" : "");
		out_str(o, XF_SIGNAL, name);
		out_bool(o, XF_CORE, e->core_dumped);
		out_str(o, XF_CAUSE, gb_signal_origin_name(e->cause.origin));
	} else {
		snprintf(exit_text, sizeof(exit_text), "%d", e->exit_code);
		out_s64(o, XF_EXIT_CODE, e->exit_code);
		out_str(o, XF_CAUSE, "exit");
		if (e->cause.sig)
			out_str(o, XF_AFTER_SIGNAL, gb_signal_name(e->cause.sig, sigbuf));
	}
	out_str(o, XF_EXIT, exit_text);
	out_str(o, XF_DETAIL, detail(e, &text));
	if (e->cause.sig) {
		out_s64(o, XF_SIGNAL_CODE, e->cause.code);
		if (e->cause.origin == GB_SIGNAL_PROCESS || e->cause.origin == GB_SIGNAL_SELF) {
			out_u64(o, XF_SENDER_PID, e->sender.pid);
			out_u64(o, XF_SENDER_TID, e->sender.tid);
			out_u64(o, XF_SENDER_UID, e->sender.uid);
			out_str(o, XF_SENDER_COMM, e->sender.comm);
			if (e->sender.container) {
				out_str(o, XF_SENDER_CONTAINER,
					gb_container__display(e->sender.container, scont, sizeof(scont)));
				out_str(o, XF_SENDER_CONTAINER_ID, e->sender.container->id);
			} else {
				out_str(o, XF_SENDER_CONTAINER, "");
			}
		}
		if (e->cause.origin == GB_SIGNAL_FAULT) {
			snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)e->cause.addr);
			out_str(o, XF_FAULT_ADDR, addr);
		}
		if (e->cause.origin == GB_SIGNAL_SECCOMP) {
			if (e->cause.syscall_name)
				out_str(o, XF_SYSCALL, e->cause.syscall_name);
			out_s64(o, XF_SYSCALL_NR, e->cause.syscall);
		}
		if (e->cause.origin == GB_SIGNAL_OOM) {
			out_u64(o, XF_OOM_RSS, e->cause.oom_rss_kib);
			if (e->cause.memcg_limit) {
				out_u64(o, XF_OOM_LIMIT, e->cause.memcg_limit);
				out_u64(o, XF_OOM_USAGE, e->cause.memcg_usage);
			}
		}
	}
	if (threads)
		out_bool(o, XF_THREAD, e->thread);
	out_bool(o, XF_CONTAINER_END, e->container_end);
	out_end(o);
	gb_cli_check_closed(o);
}

const struct gb_cli_rows gb_exit_rows = {"exit", fields, XF_COUNT - GBF_COUNT};
