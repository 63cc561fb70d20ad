/*
 * The exit and signal record decoders (common/gadgets/exit_decode.c, signal_decode.c, sigcause_decode.c), signal
 * names (common/util/signames.c) and the words for them (common/cli/sigtext.c): synthetic records built the way
 * exitsnoop.bpf.c and sigsnoop.bpf.c fill them, each in a heap block of exactly its size so that ASan reports a
 * read past it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/exitsnoop.h"
#include "bpf/sigsnoop.h"
#include "decode.h"
#include "signames.h"
#include "sigtext.h"
#include "unit.h"

static void fill_proc(struct gb_proc *p, unsigned pid, const char *comm)
{
	p->kind = GB_RECORD_EVENT;
	p->pid = pid;
	p->tid = pid;
	p->ppid = 1;
	p->ts_boot_ns = 5000000000ull;
	p->mntns_id = 4026532101ull;
	strncpy(p->comm, comm, sizeof(p->comm));
}

static void *exact(const void *rec, size_t size)
{
	void *p = malloc(size);

	memcpy(p, rec, size);
	return p;
}

static int decode_exit(const struct exit_event *e, size_t size, struct gb_exit_event *ev)
{
	void *copy = exact(e, size);
	int rc = gb_decode_exit(copy, size, ev);

	free(copy);
	return rc;
}

static int decode_signal(const struct signal_event *e, size_t size, struct gb_signal_event *ev)
{
	void *copy = exact(e, size);
	int rc = gb_decode_signal(copy, size, ev);

	free(copy);
	return rc;
}

/* A record of process 200 ending with @status, its cause (if @sig) sent by process @sender. */
static struct exit_event exit_rec(unsigned status, unsigned sig, int code, unsigned sender)
{
	struct exit_event e = {0};

	fill_proc(&e.proc, 200, "app");
	e.age_ns = 1500000000ull;
	e.status = status;
	if (sig) {
		e.flags = EXIT_CAUSE;
		e.cause.f.sig = sig;
		e.cause.f.code = code;
		e.cause.sender_pid = sender;
		e.cause.sender_tid = sender + 1;
		e.cause.ts_boot_ns = 4000000000ull;
		strcpy(e.cause.sender_comm, "runc");
	}
	return e;
}

TEST(test_exit_code_without_cause_is_read_from_the_short_record)
{
	struct exit_event e = exit_rec(3 << 8, 0, 0, 0);
	struct gb_exit_event ev;

	REQUIRE(decode_exit(&e, EXIT_EVENT_SIZE_NO_CAUSE, &ev) == 0);
	CHECK_INT_EQ(ev.exit_code, 3);
	CHECK_INT_EQ(ev.signal, 0);
	CHECK(!ev.core_dumped && !ev.thread && !ev.container_end);
	CHECK_INT_EQ(ev.cause.sig, 0);
	CHECK_INT_EQ(ev.cause.origin, GB_SIGNAL_UNSEEN);
	CHECK_UINT_EQ(ev.age_ns, 1500000000ull);
	CHECK_STR_EQ(ev.proc.comm, "app");
	CHECK(gb_decode_exit(&e, EXIT_EVENT_SIZE_NO_CAUSE - 1, &ev) == -EINVAL);
}

TEST(test_exit_by_sigkill_from_another_process_names_the_sender)
{
	struct exit_event e = exit_rec(SIGKILL, SIGKILL, 0 /* SI_USER */, 4567);
	struct gb_exit_event ev;

	REQUIRE(decode_exit(&e, sizeof(e), &ev) == 0);
	CHECK_INT_EQ(ev.signal, SIGKILL);
	CHECK_INT_EQ(ev.exit_code, 0);
	CHECK_INT_EQ(ev.cause.origin, GB_SIGNAL_PROCESS);
	CHECK_UINT_EQ(ev.sender.pid, 4567);
	CHECK_UINT_EQ(ev.sender.tid, 4568);
	CHECK_STR_EQ(ev.sender.comm, "runc");
	CHECK_UINT_EQ(ev.sender.boot_ns, 4000000000ull);
}

TEST(test_exit_core_dump_bit_and_self_sent_abort)
{
	struct exit_event e = exit_rec(SIGABRT | 0x80, SIGABRT, -6 /* SI_TKILL */, 200);
	struct gb_exit_event ev;

	REQUIRE(decode_exit(&e, sizeof(e), &ev) == 0);
	CHECK_INT_EQ(ev.signal, SIGABRT);
	CHECK(ev.core_dumped);
	CHECK_INT_EQ(ev.cause.origin, GB_SIGNAL_SELF);
}

TEST(test_exit_cause_of_another_signal_is_dropped)
{
	/* remembered SIGTERM, died of SIGKILL: the cause is not the remembered one */
	struct exit_event e = exit_rec(SIGKILL, SIGTERM, 0, 4567);
	struct gb_exit_event ev;

	REQUIRE(decode_exit(&e, sizeof(e), &ev) == 0);
	CHECK_INT_EQ(ev.signal, SIGKILL);
	CHECK_INT_EQ(ev.cause.sig, 0);
	CHECK_UINT_EQ(ev.sender.pid, 0);
	/* a record claiming a cause but cut before it has none */
	e = exit_rec(SIGKILL, SIGKILL, 0, 4567);
	REQUIRE(decode_exit(&e, sizeof(e) - 1, &ev) == 0);
	CHECK_INT_EQ(ev.cause.sig, 0);
}

TEST(test_exit_after_a_handled_stop_request_is_a_graceful_stop)
{
	struct exit_event e = exit_rec(0, SIGTERM, 0, 4567);
	struct gb_exit_event ev;

	REQUIRE(decode_exit(&e, sizeof(e), &ev) == 0);
	CHECK_INT_EQ(ev.signal, 0);
	CHECK_INT_EQ(ev.exit_code, 0);
	CHECK_INT_EQ(ev.cause.sig, SIGTERM);
	CHECK_UINT_EQ(ev.sender.pid, 4567);
	/* only the four stop requests count for an exit */
	e = exit_rec(1 << 8, SIGUSR1, 0, 4567);
	REQUIRE(decode_exit(&e, sizeof(e), &ev) == 0);
	CHECK_INT_EQ(ev.cause.sig, 0);
}

TEST(test_exit_by_oom_keeps_memory_and_limit)
{
	struct exit_event e = exit_rec(SIGKILL, SIGKILL, 0x80 /* SI_KERNEL */, 200);
	struct gb_exit_event ev;

	e.cause.f.flags = GB_SIG_OOM;
	e.cause.f.oom_rss_kib = 33000;
	e.cause.f.memcg_limit = 32 << 20;
	e.cause.f.memcg_usage = (32 << 20) - 4096;
	REQUIRE(decode_exit(&e, sizeof(e), &ev) == 0);
	CHECK_INT_EQ(ev.cause.origin, GB_SIGNAL_OOM);
	CHECK_UINT_EQ(ev.cause.oom_rss_kib, 33000);
	CHECK_UINT_EQ(ev.cause.memcg_limit, 32 << 20);
	CHECK_UINT_EQ(ev.cause.memcg_usage, (32 << 20) - 4096);
}

TEST(test_signal_origins_from_code_and_flags)
{
	struct gb_sig_facts f = {0};

	f = (struct gb_sig_facts){.sig = SIGSEGV, .code = 1 /* SEGV_MAPERR */};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 5, 5), GB_SIGNAL_FAULT);
	f = (struct gb_sig_facts){.sig = SIGSEGV, .code = 0};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 5, 6), GB_SIGNAL_PROCESS); /* kill -SEGV */
	f = (struct gb_sig_facts){.sig = SIGSYS, .code = 1 /* SYS_SECCOMP */, .syscall = 83};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 5, 5), GB_SIGNAL_SECCOMP);
	f = (struct gb_sig_facts){.sig = SIGKILL, .code = 0x80, .flags = GB_SIG_SENDER_EXITING};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 1, 7), GB_SIGNAL_PIDNS);
	f = (struct gb_sig_facts){.sig = SIGKILL, .code = 0x80};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 1, 7), GB_SIGNAL_KERNEL);
	f = (struct gb_sig_facts){.sig = SIGKILL, .code = 0x80, .flags = GB_SIG_OOM};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 9, 7), GB_SIGNAL_OOM);
	f = (struct gb_sig_facts){.sig = SIGCHLD, .code = 1 /* CLD_EXITED */};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 9, 7), GB_SIGNAL_CHILD);
	f = (struct gb_sig_facts){.sig = SIGALRM, .code = 0x80};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 9, 7), GB_SIGNAL_TIMER);
	f = (struct gb_sig_facts){.sig = SIGRTMIN, .code = -2 /* SI_TIMER */};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 9, 7), GB_SIGNAL_TIMER);
	f = (struct gb_sig_facts){.sig = SIGPIPE, .code = 0x80};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 7, 7), GB_SIGNAL_PIPE);
	f = (struct gb_sig_facts){.sig = SIGTERM, .code = -1 /* SI_QUEUE */};
	CHECK_INT_EQ(gb_signal_origin_of(&f, 7, 7), GB_SIGNAL_SELF);
	CHECK_STR_EQ(gb_signal_origin_name(GB_SIGNAL_PROCESS), "kill");
	CHECK_STR_EQ(gb_signal_origin_name(GB_SIGNAL_PIDNS), "pidns");
	CHECK_STR_EQ(gb_signal_origin_name((enum gb_signal_origin)99), "unknown");
}

TEST(test_fault_address_and_seccomp_syscall_only_for_their_origin)
{
	struct gb_sig_facts f = {.sig = SIGSEGV, .code = 1, .addr = 0x1234, .syscall = 77};
	struct gb_signal_info i;

	gb_decode_sig_facts(&f, 5, 5, &i);
	CHECK_UINT_EQ(i.addr, 0x1234);
	CHECK_INT_EQ(i.syscall, -1);
	f = (struct gb_sig_facts){.sig = SIGSYS, .code = 1, .addr = 0x1234, .syscall = 83};
	gb_decode_sig_facts(&f, 5, 5, &i);
	CHECK_UINT_EQ(i.addr, 0);
	CHECK_INT_EQ(i.syscall, 83);
}

static struct signal_event sig_rec(unsigned sig, int code, int result)
{
	struct signal_event e = {0};

	fill_proc(&e.proc, 4567, "runc");
	e.f.sig = sig;
	e.f.code = code;
	e.result = result;
	e.target_pid = 200;
	e.target_tid = 201;
	e.target_mntns_id = 4026532999ull;
	memcpy(e.target_comm, "sleep-with-a-long-name", 16); /* a full comm, no NUL */
	return e;
}

TEST(test_signal_record_both_ends_and_result)
{
	struct signal_event e = sig_rec(SIGTERM, 0, SIGNAL_IGNORED);
	struct gb_signal_event ev;

	e.f.flags = GB_SIG_KILL_SYSCALL | GB_SIG_BLOCKED | GB_SIG_GROUP;
	e.kill_syscall = SIGNAL_SYS_PIDFD_SEND_SIGNAL;
	e.kill_pid = 5;
	REQUIRE(decode_signal(&e, sizeof(e), &ev) == 0);
	CHECK_UINT_EQ(ev.proc.pid, 4567);
	CHECK_STR_EQ(ev.proc.comm, "runc");
	CHECK_UINT_EQ(ev.target.pid, 200);
	CHECK_UINT_EQ(ev.target.tid, 201);
	CHECK_UINT_EQ(ev.target.mntns, 4026532999ull);
	CHECK_STR_EQ(ev.target.comm, "sleep-with-a-lo");
	CHECK_INT_EQ(ev.result, GB_SIGNAL_IGNORED);
	CHECK(!ev.from_kernel && ev.info.blocked && ev.info.group);
	CHECK_STR_EQ(ev.kill_syscall, "pidfd_send_signal");
	CHECK_INT_EQ(ev.kill_pid, 5);
	CHECK_STR_EQ(gb_signal_result_name(ev.result), "ignored");
	CHECK(gb_decode_signal(&e, sizeof(e) - 1, &ev) == -EINVAL);
}

TEST(test_signal_kill_syscall_out_of_range_reads_as_kill)
{
	struct signal_event e = sig_rec(SIGTERM, 0, SIGNAL_DELIVERED);
	struct gb_signal_event ev;

	e.f.flags = GB_SIG_KILL_SYSCALL;
	e.kill_syscall = SIGNAL_SYS_COUNT;
	REQUIRE(decode_signal(&e, sizeof(e), &ev) == 0);
	CHECK_STR_EQ(ev.kill_syscall, "kill");
	for (unsigned s = 0; s < SIGNAL_SYS_COUNT; s++) {
		e.kill_syscall = s;
		REQUIRE(decode_signal(&e, sizeof(e), &ev) == 0);
		CHECK(ev.kill_syscall != NULL);
	}
}

TEST(test_failed_kill_is_the_process_asking)
{
	struct signal_event e = sig_rec(SIGHUP, 0, SIGNAL_SYSCALL_FAILED);
	struct gb_signal_event ev;

	e.f.flags = GB_SIG_KILL_SYSCALL;
	e.target_pid = 0;
	e.kill_pid = 999999;
	e.kill_ret = -ESRCH;
	REQUIRE(decode_signal(&e, sizeof(e), &ev) == 0);
	CHECK_INT_EQ(ev.result, GB_SIGNAL_FAILED);
	CHECK(!ev.from_kernel);
	CHECK_INT_EQ(ev.info.origin, GB_SIGNAL_PROCESS);
	CHECK_STR_EQ(ev.kill_syscall, "kill");
	CHECK_INT_EQ(ev.kill_ret, -ESRCH);
	CHECK_STR_EQ(gb_signal_result_name((enum gb_signal_result)77), "unknown");
}

TEST(test_oom_signal_is_from_the_kernel)
{
	struct signal_event e = sig_rec(SIGKILL, 0x80, SIGNAL_DELIVERED);
	struct gb_signal_event ev;

	e.f.flags = GB_SIG_OOM;
	e.f.oom_rss_kib = 100;
	e.f.memcg_limit = 0; /* no limit: usage means nothing */
	e.f.memcg_usage = 5;
	REQUIRE(decode_signal(&e, sizeof(e), &ev) == 0);
	CHECK(ev.from_kernel);
	CHECK_INT_EQ(ev.info.origin, GB_SIGNAL_OOM);
	CHECK_UINT_EQ(ev.info.oom_rss_kib, 100);
	CHECK_UINT_EQ(ev.info.memcg_usage, 0);
}

TEST(test_signal_names_and_numbers)
{
	char buf[16];

	CHECK_STR_EQ(gb_signal_name(SIGKILL, buf), "SIGKILL");
	CHECK_STR_EQ(gb_signal_name(31, buf), "SIGSYS");
	CHECK_STR_EQ(gb_signal_name(32, buf), "SIGRTMIN");
	CHECK_STR_EQ(gb_signal_name(35, buf), "SIGRTMIN+3");
	CHECK_STR_EQ(gb_signal_name(63, buf), "SIGRTMAX-1");
	CHECK_STR_EQ(gb_signal_name(64, buf), "SIGRTMAX");
	CHECK_STR_EQ(gb_signal_name(0, buf), "SIG0");
	CHECK_STR_EQ(gb_signal_name(65, buf), "SIG65");
	CHECK_STR_EQ(gb_signal_name(-1, buf), "SIG-1");
	CHECK_INT_EQ(gb_signal_number("SIGTERM"), 15);
	CHECK_INT_EQ(gb_signal_number("term"), 15);
	CHECK_INT_EQ(gb_signal_number("Kill"), 9);
	CHECK_INT_EQ(gb_signal_number("9"), 9);
	CHECK_INT_EQ(gb_signal_number("64"), 64);
	CHECK_INT_EQ(gb_signal_number("RTMIN+3"), 35);
	CHECK_INT_EQ(gb_signal_number("SIGRTMAX-1"), 63);
	CHECK_INT_EQ(gb_signal_number("SIGRTMIN"), 32);
	for (int s = 1; s <= 64; s++) /* every name reads back as its number */
		CHECK_INT_EQ(gb_signal_number(gb_signal_name(s, buf)), s);
	CHECK_INT_EQ(gb_signal_number("0"), -1);
	CHECK_INT_EQ(gb_signal_number("65"), -1);
	CHECK_INT_EQ(gb_signal_number(""), -1);
	CHECK_INT_EQ(gb_signal_number("SIG"), -1);
	CHECK_INT_EQ(gb_signal_number("NOPE"), -1);
	CHECK_INT_EQ(gb_signal_number("RTMIN-1"), -1);
	CHECK_INT_EQ(gb_signal_number("RTMIN+33"), -1);
	CHECK_INT_EQ(gb_signal_number("9x"), -1);
	CHECK_INT_EQ(gb_signal_number("-9"), -1);
}

TEST(test_parse_signals_list_into_mask)
{
	unsigned long long mask;

	CHECK_INT_EQ(gb_parse_signals("TERM,KILL,SIGHUP,1,RTMIN+3", &mask), 0);
	CHECK_UINT_EQ(mask, (1ull << 14) | (1ull << 8) | 1ull | (1ull << 34));
	CHECK_INT_EQ(gb_parse_signals("64", &mask), 0);
	CHECK_UINT_EQ(mask, 1ull << 63);
	CHECK_INT_EQ(gb_parse_signals("TERM,,KILL", &mask), -1);
	CHECK_INT_EQ(gb_parse_signals("NOPE", &mask), -1);
	CHECK_INT_EQ(gb_parse_signals("", &mask), -1);
	CHECK_INT_EQ(gb_parse_signals("0", &mask), -1);
}

TEST(test_reason_text_of_oom_fault_and_seccomp)
{
	char buf[160];
	struct gb_signal_info i = {
		.origin = GB_SIGNAL_OOM, .oom_rss_kib = 33587, .memcg_limit = 32 << 20, .memcg_usage = 32 << 20};

	CHECK_STR_EQ(gb_sig_reason_text(&i, buf, sizeof(buf)), "rss 32.8MiB, memory limit 32.0MiB, usage 32.0MiB");
	i.memcg_limit = 0;
	CHECK_STR_EQ(gb_sig_reason_text(&i, buf, sizeof(buf)), "rss 32.8MiB, no memory cgroup limit");
	i = (struct gb_signal_info){.origin = GB_SIGNAL_FAULT, .addr = 0xdead};
	CHECK_STR_EQ(gb_sig_reason_text(&i, buf, sizeof(buf)), "at 0xdead");
	i = (struct gb_signal_info){.origin = GB_SIGNAL_SECCOMP, .syscall = 83, .syscall_name = "mkdir"};
	CHECK_STR_EQ(gb_sig_reason_text(&i, buf, sizeof(buf)), "syscall mkdir (83)");
	i.syscall_name = NULL;
	CHECK_STR_EQ(gb_sig_reason_text(&i, buf, sizeof(buf)), "syscall ? (83)");
	i = (struct gb_signal_info){.origin = GB_SIGNAL_PROCESS};
	CHECK_STR_EQ(gb_sig_reason_text(&i, buf, sizeof(buf)), "");
}
