/*
 * Writes the seed records of fuzz_decode_exec, fuzz_decode_open, fuzz_decode_exit and fuzz_decode_signal (binary: the
 * structs of bpf/execsnoop.h, opensnoop.h, exitsnoop.h, sigsnoop.h) into DIR/<fuzzer>/. Usage: gen_seeds DIR (make
 * fuzz-seeds).
 * Each record is one the BPF programs send: header plus the used bytes of its buffer.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpf/execsnoop.h"
#include "bpf/exitsnoop.h"
#include "bpf/opensnoop.h"
#include "bpf/sigsnoop.h"

static const char *dir;

static void fill_proc(struct gb_proc *p, const char *comm)
{
	p->pid = 18858;
	p->tid = 18858;
	p->ppid = 18122;
	p->ts_boot_ns = 5123456789;
	p->mntns_id = 4026532101;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
}

static void write_seed(const char *sub, const char *name, const void *rec, size_t size)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(rec, 1, size, f) != size || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void exec_seed(const char *name, const char *args, size_t len, unsigned argc, unsigned orig, unsigned final,
		      unsigned flags, unsigned mm, unsigned long long cut)
{
	static struct exec_event e;

	memset(&e, 0, sizeof(e));
	fill_proc(&e.proc, "sh");
	e.flags = flags;
	e.argc = argc;
	e.orig_argc = orig;
	e.final_argc = final;
	e.mm_args_size = mm;
	e.cut_mask = cut;
	e.args_size = len;
	memcpy(e.args, args, len);
	write_seed("fuzz_decode_exec", name, &e, EXEC_EVENT_SIZE(&e));
}

#define EXEC(name, lit, ...) exec_seed(name, lit, sizeof(lit) - 1, __VA_ARGS__)

static void open_seed(const char *name, const char *path, const char *full, unsigned flags, const char *fs, int ret)
{
	static struct open_event o;

	memset(&o, 0, sizeof(o));
	fill_proc(&o.proc, "cat");
	o.ret = ret;
	o.dirfd = -100;
	o.flags = 02000000; /* O_CLOEXEC */
	o.syscall = OPEN_SYS_OPENAT;
	o.path_flags = flags;
	o.path_len = strlen(path) + 1;
	memcpy(o.buf, path, o.path_len);
	o.full_len = full ? strlen(full) : 0;
	if (full)
		memcpy(o.buf + o.path_len, full, o.full_len);
	if (fs) {
		memcpy(o.pseudo_fs, fs, strlen(fs));
		o.pseudo_ino = 51234;
	}
	write_seed("fuzz_decode_open", name, &o, offsetof(struct open_event, buf) + o.path_len + o.full_len);
}

/* An exit of status @status; with @sig, its cause with @code and @flags (sent by pid 4567) */
static void exit_seed(const char *name, unsigned status, unsigned sig, int code, unsigned flags)
{
	static struct exit_event e;

	memset(&e, 0, sizeof(e));
	fill_proc(&e.proc, "app");
	e.age_ns = 1500000000;
	e.status = status;
	if (sig) {
		e.flags = EXIT_CAUSE;
		e.cause.f.sig = sig;
		e.cause.f.code = code;
		e.cause.f.flags = flags;
		e.cause.f.oom_rss_kib = flags & GB_SIG_OOM ? 33000 : 0;
		e.cause.f.memcg_limit = flags & GB_SIG_OOM ? 32 << 20 : 0;
		e.cause.f.memcg_usage = flags & GB_SIG_OOM ? 32 << 20 : 0;
		e.cause.sender_pid = 4567;
		snprintf(e.cause.sender_comm, sizeof(e.cause.sender_comm), "runc");
	}
	write_seed("fuzz_decode_exit", name, &e, sig ? sizeof(e) : EXIT_EVENT_SIZE_NO_CAUSE);
}

static void signal_seed(const char *name, unsigned sig, int code, int result, unsigned flags, unsigned kill_syscall)
{
	static struct signal_event e;

	memset(&e, 0, sizeof(e));
	fill_proc(&e.proc, "runc");
	e.f.sig = sig;
	e.f.code = code;
	e.f.flags = flags;
	e.result = result;
	e.target_pid = result == SIGNAL_SYSCALL_FAILED ? 0 : 200;
	e.target_tid = e.target_pid;
	e.kill_syscall = kill_syscall;
	e.kill_pid = 200;
	e.kill_ret = result == SIGNAL_SYSCALL_FAILED ? -3 : 0;
	snprintf(e.target_comm, sizeof(e.target_comm), "sleep");
	write_seed("fuzz_decode_signal", name, &e, sizeof(e));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	EXEC("plain", "/bin/cat\0cat\0/etc/hostname\0/nope\0", 3, 3, 3, 0, 0, 0);
	EXEC("script-from-mm", "./run.sh\0./run.sh\0/bin/sh\0./run.sh\0a\0b\0", 1, 3, 4,
	     EXEC_ARGV_FAULT | EXEC_ARGS_FROM_MM, 21, 0);
	EXEC("filename-at-end", "\0ls\0/tmp\0/usr/bin/ls\0", 2, 2, 2, EXEC_FILENAME_FAULT | EXEC_FILENAME_AT_END, 0, 0);
	EXEC("truncated", "/bin/echo\0echo\0xxxx\0", 2, 30, 30, EXEC_ARGV_TRUNCATED | EXEC_FILENAME_TRUNCATED, 0, 2);
	EXEC("header-only", "", 0, 0, 0, EXEC_ARGV_UNREADABLE | EXEC_COMPAT, 0, 0);
	open_seed("plain", "/etc/hostname", NULL, 0, NULL, 3);
	open_seed("full-fd", "hostname", "/etc/hostname", OPEN_FULL_IS_FD, NULL, 3);
	open_seed("full-base", "../nope", "/etc", OPEN_FULL_IS_BASE, NULL, -2);
	open_seed("deleted", "/tmp", "/tmp/#1835093", OPEN_FULL_IS_FD | OPEN_FULL_DELETED, NULL, 4);
	open_seed("pipe", "/proc/self/fd/0", "", OPEN_FULL_IS_FD | OPEN_FULL_UNREACHABLE | OPEN_FULL_PSEUDO, "pipefs",
		  5);
	open_seed("anon-inode", "/proc/self/fd/7", "[eventfd]",
		  OPEN_FULL_IS_FD | OPEN_FULL_UNREACHABLE | OPEN_FULL_PSEUDO, "anon_inodefs", 6);
	open_seed("memfd", "/proc/self/fd/8", "memfd:buf", OPEN_FULL_IS_FD | OPEN_FULL_UNREACHABLE | OPEN_FULL_PSEUDO,
		  "tmpfs", 7);
	exit_seed("code", 3 << 8, 0, 0, 0);
	exit_seed("killed", 9, 9, 0, 0);
	exit_seed("oom", 9, 9, 0x80, GB_SIG_OOM);
	exit_seed("segv-core", 11 | 0x80, 11, 1, 0);
	exit_seed("graceful", 0, 15, 0, 0);
	signal_seed("kill", 15, 0, SIGNAL_DELIVERED, GB_SIG_KILL_SYSCALL, SIGNAL_SYS_KILL);
	signal_seed("pidfd-ignored", 15, 0, SIGNAL_IGNORED, GB_SIG_KILL_SYSCALL | GB_SIG_GROUP,
		    SIGNAL_SYS_PIDFD_SEND_SIGNAL);
	signal_seed("oom", 9, 0x80, SIGNAL_DELIVERED, GB_SIG_OOM, 0);
	signal_seed("failed", 1, 0, SIGNAL_SYSCALL_FAILED, GB_SIG_KILL_SYSCALL, SIGNAL_SYS_KILL);
	signal_seed("seccomp", 31, 1, SIGNAL_DELIVERED, 0, 0);
	return 0;
}
