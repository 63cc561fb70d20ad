/* A signal as exitsnoop and sigsnoop record it (struct gb_sig_facts, bpf/sigcause.h): where it came from. */
#include "decode.h"

#include <string.h>

enum {
	S_ILL = 4,
	S_TRAP = 5,
	S_BUS = 7,
	S_FPE = 8,
	S_KILL = 9,
	S_SEGV = 11,
	S_PIPE = 13,
	S_ALRM = 14,
	S_CHLD = 17,
	S_VTALRM = 26,
	S_PROF = 27,
	S_SYS = 31,
};

static bool is_fault(int sig)
{
	return sig == S_SEGV || sig == S_BUS || sig == S_ILL || sig == S_FPE || sig == S_TRAP;
}

enum gb_signal_origin gb_signal_origin_of(const struct gb_sig_facts *f, uint32_t sender_pid, uint32_t target_pid)
{
	int sig = (int)f->sig, code = f->code;

	if (f->flags & GB_SIG_OOM)
		return GB_SIGNAL_OOM;
	if (sig == S_SYS && code == GB_SYS_SECCOMP)
		return GB_SIGNAL_SECCOMP;
	/* a process's kill(), tkill(), tgkill(), sigqueue(): the codes user space may give */
	if (code == GB_SI_USER || code == GB_SI_TKILL || code == GB_SI_QUEUE)
		return sender_pid == target_pid ? GB_SIGNAL_SELF : GB_SIGNAL_PROCESS;
	if (is_fault(sig) && code > 0 && code != GB_SI_KERNEL)
		return GB_SIGNAL_FAULT;
	if (sig == S_KILL && code == GB_SI_KERNEL && (f->flags & GB_SIG_SENDER_EXITING))
		return GB_SIGNAL_PIDNS;
	if (sig == S_CHLD)
		return GB_SIGNAL_CHILD;
	if (code == GB_SI_TIMER || sig == S_ALRM || sig == S_VTALRM || sig == S_PROF)
		return GB_SIGNAL_TIMER;
	if (sig == S_PIPE)
		return GB_SIGNAL_PIPE;
	return GB_SIGNAL_KERNEL;
}

void gb_decode_sig_facts(const struct gb_sig_facts *f, uint32_t sender_pid, uint32_t target_pid,
			 struct gb_signal_info *info)
{
	info->sig = (int)f->sig;
	info->code = f->code;
	info->err = f->err;
	info->origin = gb_signal_origin_of(f, sender_pid, target_pid);
	info->blocked = f->flags & GB_SIG_BLOCKED;
	info->group = f->flags & GB_SIG_GROUP;
	info->addr = info->origin == GB_SIGNAL_FAULT ? f->addr : 0;
	info->syscall = info->origin == GB_SIGNAL_SECCOMP ? f->syscall : -1;
	info->syscall_compat = info->origin == GB_SIGNAL_SECCOMP && (f->flags & GB_SIG_COMPAT);
	if (info->origin == GB_SIGNAL_OOM) {
		info->oom_rss_kib = f->oom_rss_kib;
		info->memcg_limit = f->memcg_limit;
		info->memcg_usage = f->memcg_limit ? f->memcg_usage : 0;
	}
}

void gb_decode_comm(char dst[16], const char src[GB_COMM_LEN])
{
	memcpy(dst, src, 15);
	dst[15] = '\0';
}

const char *gb_signal_origin_name(enum gb_signal_origin o)
{
	static const char *const names[] = {
		[GB_SIGNAL_UNSEEN] = "unseen", [GB_SIGNAL_PROCESS] = "kill",  [GB_SIGNAL_SELF] = "self",
		[GB_SIGNAL_OOM] = "oom",       [GB_SIGNAL_FAULT] = "fault",   [GB_SIGNAL_SECCOMP] = "seccomp",
		[GB_SIGNAL_PIDNS] = "pidns",   [GB_SIGNAL_CHILD] = "child",   [GB_SIGNAL_TIMER] = "timer",
		[GB_SIGNAL_PIPE] = "pipe",     [GB_SIGNAL_KERNEL] = "kernel",
	};

	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "unknown";
}

const char *gb_signal_result_name(enum gb_signal_result r)
{
	static const char *const names[] = {
		[GB_SIGNAL_DELIVERED] = "delivered",	 [GB_SIGNAL_IGNORED] = "ignored",
		[GB_SIGNAL_ALREADY_PENDING] = "pending", [GB_SIGNAL_OVERFLOW] = "overflow",
		[GB_SIGNAL_LOSE_INFO] = "lose-info",	 [GB_SIGNAL_FAILED] = "failed",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}
