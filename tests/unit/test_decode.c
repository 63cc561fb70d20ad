/*
 * The ring-buffer record decoders (common/gadgets/decode.c): synthetic exec and open records, built the way the BPF
 * programs fill them, in heap blocks of exactly the record's size so that ASan reports any read past it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpf/execsnoop.h"
#include "bpf/opensnoop.h"
#include "bpf/pssnap.h"
#include "decode.h"
#include "unit.h"

#define EXEC_HDR offsetof(struct exec_event, args)
#define OPEN_HDR offsetof(struct open_event, buf)
#define MNTNS	 4026532101ull

static void fill_proc(struct gb_proc *p, const char *comm)
{
	p->kind = GB_RECORD_EVENT;
	p->pid = 18858;
	p->tid = 18859;
	p->ppid = 18122;
	p->uid = 1000;
	p->gid = 1001;
	p->ts_boot_ns = 123456789;
	p->mntns_id = MNTNS;
	strncpy(p->comm, comm, sizeof(p->comm));
}

/* ---- exec records ---- */

static struct exec_event *exec_new(const void *args, size_t len, unsigned argc)
{
	struct exec_event *e = calloc(1, sizeof(*e));

	fill_proc(&e->proc, "cat");
	memcpy(e->args, args, len);
	e->args_size = len;
	e->argc = argc;
	e->orig_argc = argc;
	e->final_argc = argc;
	return e;
}

/* "filename\0argv0\0...": string literals whose size tells the length, embedded NULs included */
#define EXEC_NEW(lit, argc) exec_new(lit, sizeof(lit) - 1, argc)

/* The first @size bytes of the record, alone in a heap block of that size. */
static void *exact_copy(const void *rec, size_t size)
{
	void *p = malloc(size ? size : 1);

	memcpy(p, rec, size);
	return p;
}

/* Decode the record as the ring buffer would hand it over: header plus args_size bytes. */
static int decode_exec_sized(const struct exec_event *e, size_t size, unsigned max_args, struct gb_exec_event *ev,
			     struct strbuf *sb, void **keep)
{
	*keep = exact_copy(e, size);
	return gb_decode_exec(*keep, size, max_args, ev, sb);
}

#define CHECK_ARGS(ev, lit)   CHECK_MEM_EQ((ev).args, (ev).args_size, lit, sizeof(lit) - 1)
#define CHECK_FILENAME(ev, s) CHECK_MEM_EQ((ev).filename, (ev).filename_len, s, strlen(s))

TEST(test_decode_exec_gives_filename_and_argv_as_captured)
{
	struct exec_event *e = EXEC_NEW("/bin/cat\0cat\0/etc/hostname\0/nope\0", 3);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_FILENAME(ev, "/bin/cat");
	CHECK_ARGS(ev, "cat\0/etc/hostname\0/nope\0");
	CHECK_UINT_EQ(ev.argc, 3);
	CHECK_INT_EQ(ev.ret, 0);
	CHECK(!ev.args_truncated);
	CHECK(!ev.filename_truncated);
	CHECK(!ev.compat);
	CHECK_UINT_EQ(ev.cut_mask, 0);
	/* the strings point into the record itself */
	CHECK(ev.args > (const char *)rec && ev.args + ev.args_size <= (const char *)rec + EXEC_EVENT_SIZE(e));
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_proc_copies_who_and_terminates_a_full_comm)
{
	struct exec_event *e = EXEC_NEW("/bin/true\0true\0", 1);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	memcpy(e->proc.comm, "0123456789abcdef", 16); /* 16 bytes, no NUL */
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_UINT_EQ(ev.proc.pid, 18858);
	CHECK_UINT_EQ(ev.proc.tid, 18859);
	CHECK_UINT_EQ(ev.proc.ppid, 18122);
	CHECK_UINT_EQ(ev.proc.uid, 1000);
	CHECK_UINT_EQ(ev.proc.gid, 1001);
	CHECK_UINT_EQ(ev.proc.boot_ns, 123456789);
	CHECK_UINT_EQ(ev.proc.mntns, MNTNS);
	CHECK_STR_EQ(ev.proc.comm, "0123456789abcde");
	CHECK(ev.proc.container == NULL);
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_failed_32_bit_exec_keeps_its_errno)
{
	struct exec_event *e = EXEC_NEW("/usr/bin/nosuch\0nosuch\0", 1);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	e->ret = -ENOENT;
	e->flags = EXEC_COMPAT;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_INT_EQ(ev.ret, -ENOENT);
	CHECK(ev.compat);
	CHECK_FILENAME(ev, "/usr/bin/nosuch");
	CHECK_ARGS(ev, "nosuch\0");
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_filename_at_end_replaces_an_unreadable_filename)
{
	/* the filename's page was not present at entry: an empty placeholder, the kernel's copy appended last */
	struct exec_event *e = EXEC_NEW("\0ls\0/tmp\0/usr/bin/ls\0", 2);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	e->flags = EXEC_FILENAME_FAULT | EXEC_FILENAME_AT_END;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_FILENAME(ev, "/usr/bin/ls");
	CHECK_ARGS(ev, "ls\0/tmp\0");
	CHECK_UINT_EQ(ev.argc, 2);
	CHECK(!ev.args_truncated);
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_completes_argv_from_the_new_programs_argv_area)
{
	/* fresh fork: argv[1] was not present at entry; the new program's argv area follows the captured strings */
	struct exec_event *e = EXEC_NEW("/bin/cat\0cat\0"
					"cat\0/etc/hostname\0/nope\0",
					1);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	e->orig_argc = 3;
	e->final_argc = 3;
	e->flags = EXEC_ARGV_FAULT | EXEC_ARGS_FROM_MM;
	e->mm_args_size = sizeof("cat\0/etc/hostname\0/nope\0") - 1;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_FILENAME(ev, "/bin/cat");
	CHECK_ARGS(ev, "cat\0/etc/hostname\0/nope\0");
	CHECK_UINT_EQ(ev.argc, 3);
	CHECK(!ev.args_truncated);
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_argv_area_of_a_script_is_shifted_by_the_interpreter)
{
	/* ./run.sh a b with "#!/bin/sh": the kernel's argv is /bin/sh ./run.sh a b (final_argc 4, orig_argc 3) */
	struct exec_event *e = EXEC_NEW("./run.sh\0./run.sh\0"
					"/bin/sh\0./run.sh\0a\0b\0",
					1);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	e->orig_argc = 3;
	e->final_argc = 4;
	e->flags = EXEC_ARGV_FAULT | EXEC_ARGS_FROM_MM;
	e->mm_args_size = sizeof("/bin/sh\0./run.sh\0a\0b\0") - 1;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_ARGS(ev, "./run.sh\0a\0b\0");
	CHECK_UINT_EQ(ev.argc, 3);
	CHECK(!ev.args_truncated);
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_script_with_interpreter_argument_and_nothing_captured)
{
	/* x.py arg with "#!/usr/bin/env python3": /usr/bin/env python3 ./x.py arg; argv[0] is the kernel's */
	struct exec_event *e = EXEC_NEW("\0"
					"/usr/bin/env\0python3\0./x.py\0arg\0"
					"./x.py\0",
					0);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	e->orig_argc = 2;
	e->final_argc = 4;
	e->flags = EXEC_FILENAME_FAULT | EXEC_ARGV_FAULT | EXEC_ARGS_FROM_MM | EXEC_FILENAME_AT_END;
	e->mm_args_size = sizeof("/usr/bin/env\0python3\0./x.py\0arg\0") - 1;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_FILENAME(ev, "./x.py");
	CHECK_ARGS(ev, "./x.py\0arg\0");
	CHECK_UINT_EQ(ev.argc, 2);
	CHECK(!ev.args_truncated);
	free(rec);
	free(e);
	sb_free(&sb);
}

/* "a0\0a1\0...a<n-1>\0" */
static size_t numbered_args(char *out, unsigned n)
{
	size_t len = 0;

	for (unsigned i = 0; i < n; i++)
		len += sprintf(out + len, "a%u", i) + 1;
	return len;
}

TEST(test_decode_exec_argv_from_the_area_is_bounded_by_max_args)
{
	char buf[512], area[400];
	size_t area_len = numbered_args(area, 30);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	/* filename, then a0 a1 captured, then the area's 30 strings */
	memcpy(buf, "/bin/x\0a0\0a1\0", 13);
	memcpy(buf + 13, area, area_len);
	struct exec_event *e = exec_new(buf, 13 + area_len, 2);
	e->orig_argc = 30;
	e->final_argc = 30;
	e->flags = EXEC_ARGV_FAULT | EXEC_ARGS_FROM_MM;
	e->mm_args_size = area_len;

	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 5, &ev, &sb, &rec) == 0);
	CHECK_ARGS(ev, "a0\0a1\0a2\0a3\0a4\0");
	CHECK_UINT_EQ(ev.argc, 5);
	CHECK(ev.args_truncated); /* 5 of 30 */
	free(rec);

	/* 0: the default, 20 */
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 0, &ev, &sb, &rec) == 0);
	CHECK_UINT_EQ(ev.argc, 20);
	CHECK_MEM_EQ(ev.args, ev.args_size, area, numbered_args(buf, 20));
	CHECK(ev.args_truncated);
	free(rec);

	/* a larger max_args than argv: all of it */
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 128, &ev, &sb, &rec) == 0);
	CHECK_UINT_EQ(ev.argc, 30);
	CHECK_MEM_EQ(ev.args, ev.args_size, area, area_len);
	CHECK(!ev.args_truncated);
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_argv_area_ends_at_mm_args_size)
{
	/* the area was cut at EXEC_ARG_MAX by the kernel side: only the strings inside it are taken */
	struct exec_event *e = EXEC_NEW("/bin/cat\0cat\0"
					"cat\0/etc/hostname\0/nope\0",
					1);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	e->orig_argc = 3;
	e->final_argc = 3;
	e->flags = EXEC_ARGV_FAULT | EXEC_ARGS_FROM_MM | EXEC_ARGV_TRUNCATED;
	e->mm_args_size = sizeof("cat\0/etc/hostname\0") - 1;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_ARGS(ev, "cat\0/etc/hostname\0");
	CHECK_UINT_EQ(ev.argc, 2);
	CHECK(ev.args_truncated);
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_argv_fault_without_the_area_is_truncated)
{
	/* the argv area could not be read either: what was captured, marked truncated */
	struct exec_event *e = EXEC_NEW("/bin/cat\0cat\0", 1);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	e->orig_argc = 3;
	e->flags = EXEC_ARGV_FAULT;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_ARGS(ev, "cat\0");
	CHECK_UINT_EQ(ev.argc, 1);
	CHECK(ev.args_truncated);
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_reports_cut_arguments_and_truncated_argv)
{
	struct exec_event *e = EXEC_NEW("/bin/echo\0echo\0xxxx\0yy\0", 3);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	e->cut_mask = 1ull << 1;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_UINT_EQ(ev.cut_mask, 2);
	CHECK(!ev.args_truncated); /* a cut argument is not a missing one */
	free(rec);

	e->flags = EXEC_ARGV_TRUNCATED;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK(ev.args_truncated);
	free(rec);

	e->flags = EXEC_ARGV_UNREADABLE;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK(ev.args_truncated);
	free(rec);

	/* more entries in the caller's argv than captured, without a flag */
	e->flags = 0;
	e->orig_argc = 4;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK(ev.args_truncated);
	CHECK_UINT_EQ(ev.argc, 3);
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_reports_a_truncated_filename)
{
	struct exec_event *e = EXEC_NEW("/very/long/fil\0fil\0", 1);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	e->flags = EXEC_FILENAME_TRUNCATED;
	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK(ev.filename_truncated);
	CHECK_FILENAME(ev, "/very/long/fil");
	CHECK(!ev.args_truncated);
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_refuses_records_shorter_than_the_header)
{
	struct exec_event *e = EXEC_NEW("/bin/cat\0cat\0", 1);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	CHECK_INT_EQ(decode_exec_sized(e, 0, 20, &ev, &sb, &rec), -EINVAL);
	free(rec);
	CHECK_INT_EQ(decode_exec_sized(e, sizeof(struct gb_proc), 20, &ev, &sb, &rec), -EINVAL);
	free(rec);
	CHECK_INT_EQ(decode_exec_sized(e, EXEC_HDR - 1, 20, &ev, &sb, &rec), -EINVAL);
	free(rec);
	/* exactly the header: an exec with nothing captured */
	CHECK_INT_EQ(decode_exec_sized(e, EXEC_HDR, 20, &ev, &sb, &rec), 0);
	CHECK_UINT_EQ(ev.filename_len, 0);
	CHECK_UINT_EQ(ev.args_size, 0);
	CHECK_UINT_EQ(ev.argc, 0);
	CHECK(ev.args_truncated); /* orig_argc 1, none shown */
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_args_size_past_the_record_is_bounded_by_it)
{
	struct exec_event *e = EXEC_NEW("/bin/cat\0cat\0/etc/hostname\0", 2);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	size_t real = EXEC_EVENT_SIZE(e);
	void *rec;

	e->args_size = sizeof(e->args); /* the header claims more than was sent */
	REQUIRE(decode_exec_sized(e, real, 20, &ev, &sb, &rec) == 0);
	CHECK_FILENAME(ev, "/bin/cat");
	CHECK_ARGS(ev, "cat\0/etc/hostname\0");
	free(rec);

	/* cut in the middle of argv[1]: the partial string, not a byte more, and still NUL-terminated (in the
	 * scratch buffer) so that a library user's strlen() stops */
	REQUIRE(decode_exec_sized(e, real - 5, 20, &ev, &sb, &rec) == 0);
	CHECK_ARGS(ev, "cat\0/etc/host\0");
	REQUIRE(ev.args == sb.buf);
	CHECK_UINT_EQ(ev.argc, 2);
	free(rec);

	/* the same with an argv area and a filename at the end that are not there */
	e->flags = EXEC_ARGS_FROM_MM | EXEC_FILENAME_AT_END | EXEC_ARGV_FAULT;
	e->argc = 1;
	e->orig_argc = 5;
	e->final_argc = 5;
	e->mm_args_size = 0xffffffff;
	REQUIRE(decode_exec_sized(e, real - 5, 20, &ev, &sb, &rec) == 0);
	/* the area would start at "/etc/host" (argv[0]); its argv[1] is not there */
	CHECK_UINT_EQ(ev.argc, 1);
	CHECK_ARGS(ev, "cat\0");
	CHECK_FILENAME(ev, "/etc/host");
	CHECK(ev.args_truncated);
	free(rec);

	/* a filename without its NUL, alone in the record */
	e->flags = 0;
	REQUIRE(decode_exec_sized(e, EXEC_HDR + 4, 20, &ev, &sb, &rec) == 0);
	CHECK_FILENAME(ev, "/bin");
	CHECK_UINT_EQ(ev.args_size, 0);
	CHECK_UINT_EQ(ev.argc, 0);
	free(rec);
	free(e);
	sb_free(&sb);
}

TEST(test_decode_exec_argc_beyond_the_strings_present_counts_only_those)
{
	struct exec_event *e = EXEC_NEW("/bin/cat\0cat\0x\0", 10);
	struct gb_exec_event ev;
	struct strbuf sb = {0};
	void *rec;

	REQUIRE(decode_exec_sized(e, EXEC_EVENT_SIZE(e), 20, &ev, &sb, &rec) == 0);
	CHECK_UINT_EQ(ev.argc, 2);
	CHECK_ARGS(ev, "cat\0x\0");
	CHECK(ev.args_truncated);
	free(rec);
	free(e);
	sb_free(&sb);
}

/* ---- open records ---- */

static struct open_event *open_new(const char *path, const char *full, unsigned short path_flags)
{
	struct open_event *o = calloc(1, sizeof(*o));

	fill_proc(&o->proc, "cat");
	o->ret = 3;
	o->dirfd = AT_FDCWD;
	o->flags = O_RDONLY | O_CLOEXEC;
	o->syscall = OPEN_SYS_OPENAT;
	o->path_flags = path_flags;
	o->path_len = strlen(path) + 1;
	memcpy(o->buf, path, o->path_len);
	if (full) {
		o->full_len = strlen(full);
		memcpy(o->buf + o->path_len, full, o->full_len);
	}
	return o;
}

static size_t open_size(const struct open_event *o)
{
	return OPEN_HDR + o->path_len + o->full_len;
}

static int decode_open_sized(const struct open_event *o, size_t size, bool want_full, struct gb_open_event *ev,
			     struct strbuf *sb, void **keep)
{
	*keep = exact_copy(o, size);
	return gb_decode_open(*keep, size, want_full, ev, sb);
}

#define CHECK_PATH(ev, s) CHECK_MEM_EQ((ev).path, (ev).path_len, s, strlen(s))
#define CHECK_FULL(ev, s) CHECK_MEM_EQ((ev).full_path, (ev).full_path_len, s, strlen(s))

/* The full path of a record with @path_flags, for one-line cases. */
static void check_full(const char *file, int line, struct open_event *o, const char *want)
{
	struct gb_open_event ev;
	struct strbuf sb = {0};
	void *rec;

	if (decode_open_sized(o, open_size(o), true, &ev, &sb, &rec) != 0)
		unit_fail(file, line, "gb_decode_open() failed");
	else if (!ev.full_path)
		unit_fail(file, line, "full_path is NULL");
	else
		unit_check_mem(file, line, "full_path", want, ev.full_path, ev.full_path_len, want, strlen(want));
	free(rec);
	free(o);
	sb_free(&sb);
}

#define CHECK_FULL_OF(o, want) check_full(__FILE__, __LINE__, o, want)

TEST(test_decode_open_without_full_path_gives_the_path_as_passed)
{
	struct open_event *o = open_new("/etc/hostname", NULL, 0);
	struct gb_open_event ev;
	struct strbuf sb = {0};
	void *rec;

	o->flags = O_WRONLY | O_CREAT | O_CLOEXEC;
	o->mode = 0640;
	o->dirfd = 7;
	o->syscall = OPEN_SYS_OPENAT2;
	o->resolve = 0x08; /* RESOLVE_IN_ROOT */
	REQUIRE(decode_open_sized(o, open_size(o), false, &ev, &sb, &rec) == 0);
	CHECK_PATH(ev, "/etc/hostname");
	CHECK(ev.full_path == NULL);
	CHECK_UINT_EQ(ev.full_path_len, 0);
	CHECK(!ev.full_path_outside_root);
	CHECK_INT_EQ(ev.ret, 3);
	CHECK_INT_EQ(ev.syscall, GB_SYS_OPENAT2);
	CHECK_INT_EQ(ev.dirfd, 7);
	CHECK_UINT_EQ(ev.flags, O_WRONLY | O_CREAT | O_CLOEXEC);
	CHECK_UINT_EQ(ev.mode, 0640);
	CHECK_UINT_EQ(ev.resolve, 0x08);
	CHECK(!ev.path_truncated);
	CHECK_UINT_EQ(ev.proc.pid, 18858);
	free(rec);

	/* the tracer was asked for full paths, none was rebuilt (a failed absolute open): the path itself */
	REQUIRE(decode_open_sized(o, open_size(o), true, &ev, &sb, &rec) == 0);
	CHECK_FULL(ev, "/etc/hostname");
	free(rec);
	free(o);
	sb_free(&sb);
}

TEST(test_decode_open_full_path_of_the_opened_file)
{
	CHECK_FULL_OF(open_new("hostname", "/etc/hostname", OPEN_FULL_IS_FD), "/etc/hostname");
	CHECK_FULL_OF(open_new("../etc/./hostname", "/etc/hostname", OPEN_FULL_IS_FD), "/etc/hostname");
}

TEST(test_decode_open_deleted_file_gets_the_deleted_suffix)
{
	/* open("/tmp", O_TMPFILE) */
	CHECK_FULL_OF(open_new("/tmp", "/tmp/#1835093", OPEN_FULL_IS_FD | OPEN_FULL_DELETED),
		      "/tmp/#1835093 (deleted)");
	/* DELETED only means something for the opened file itself */
	CHECK_FULL_OF(open_new("/tmp/x", NULL, OPEN_FULL_DELETED), "/tmp/x");
}

TEST(test_decode_open_failed_relative_open_joins_the_base_with_one_slash)
{
	struct open_event *o = open_new("nope", "/home/u", OPEN_FULL_IS_BASE);

	o->ret = -ENOENT;
	CHECK_FULL_OF(o, "/home/u/nope");
	CHECK_FULL_OF(open_new("nope", "/", OPEN_FULL_IS_BASE), "/nope");
	CHECK_FULL_OF(open_new("../nope", "/etc", OPEN_FULL_IS_BASE), "/etc/../nope");
	/* a base that is the tail of a longer path (the walk gave up) is still joined with a slash */
	CHECK_FULL_OF(open_new("x", "c/d", OPEN_FULL_IS_BASE | OPEN_FULL_TRUNCATED), "c/d/x");
}

/* A pseudo file as the BPF program reports it: the opened file, outside the root, named by its fs. */
static struct open_event *pseudo_new(const char *fs, unsigned long long ino, const char *name)
{
	struct open_event *o =
		open_new("/proc/self/fd/0", name, OPEN_FULL_IS_FD | OPEN_FULL_UNREACHABLE | OPEN_FULL_PSEUDO);

	memcpy(o->pseudo_fs, fs, strnlen(fs, sizeof(o->pseudo_fs)));
	o->pseudo_ino = ino;
	return o;
}

TEST(test_decode_open_pipe_socket_anon_inode_and_memfd_read_as_in_proc_fd)
{
	CHECK_FULL_OF(pseudo_new("pipefs", 123, ""), "pipe:[123]");
	CHECK_FULL_OF(pseudo_new("sockfs", 456, "TCP"), "socket:[456]");
	CHECK_FULL_OF(pseudo_new("anon_inodefs", 9, "[eventfd]"), "anon_inode:[eventfd]");
	CHECK_FULL_OF(pseudo_new("tmpfs", 1029, "memfd:buf"), "/memfd:buf (deleted)");
	/* a file system name of all 16 bytes, no NUL: read no further */
	CHECK_FULL_OF(pseudo_new("0123456789abcdef", 1, "x"), "/x (deleted)");
	CHECK_FULL_OF(pseudo_new("pipefs", 18446744073709551615ull, ""), "pipe:[18446744073709551615]");
}

TEST(test_decode_open_refuses_a_path_longer_than_the_record)
{
	struct open_event *o = open_new("/etc/hostname", NULL, 0);
	struct gb_open_event ev;
	struct strbuf sb = {0};
	void *rec;

	CHECK_INT_EQ(decode_open_sized(o, OPEN_HDR - 1, true, &ev, &sb, &rec), -EINVAL);
	free(rec);
	CHECK_INT_EQ(decode_open_sized(o, open_size(o) - 1, true, &ev, &sb, &rec), -EINVAL);
	free(rec);
	o->path_len = 0;
	CHECK_INT_EQ(decode_open_sized(o, OPEN_HDR + 14, true, &ev, &sb, &rec), -EINVAL);
	free(rec);
	o->path_len = 0xffffffff;
	CHECK_INT_EQ(decode_open_sized(o, OPEN_HDR + 14, true, &ev, &sb, &rec), -EINVAL);
	free(rec);
	free(o);
	sb_free(&sb);
}

TEST(test_decode_open_full_len_past_the_record_is_ignored)
{
	struct open_event *o = open_new("hostname", "/etc/hostname", OPEN_FULL_IS_FD);
	struct gb_open_event ev;
	struct strbuf sb = {0};
	void *rec;

	/* the full path claims one byte more than was sent */
	REQUIRE(decode_open_sized(o, open_size(o) - 1, true, &ev, &sb, &rec) == 0);
	CHECK_PATH(ev, "hostname");
	CHECK_UINT_EQ(ev.full_path_len, 0);
	free(rec);

	o->full_len = 0xffffffff;
	REQUIRE(decode_open_sized(o, OPEN_HDR + o->path_len + 13, true, &ev, &sb, &rec) == 0);
	CHECK_UINT_EQ(ev.full_path_len, 0);
	free(rec);
	free(o);
	sb_free(&sb);
}

TEST(test_decode_open_path_without_nul_is_bounded_by_path_len)
{
	struct open_event *o = open_new("/etc/hostname", NULL, OPEN_PATH_TRUNCATED);
	struct gb_open_event ev;
	struct strbuf sb = {0};
	void *rec;

	o->path_len = 4; /* "/etc", no NUL */
	REQUIRE(decode_open_sized(o, OPEN_HDR + 4, true, &ev, &sb, &rec) == 0);
	CHECK_PATH(ev, "/etc");
	CHECK(ev.path_truncated);
	CHECK_FULL(ev, "/etc");
	free(rec);
	free(o);
	sb_free(&sb);
}

TEST(test_decode_open_reports_outside_root_and_truncated_full_paths)
{
	struct open_event *o = open_new("/proc/1/root/etc/passwd", "/etc/passwd",
					OPEN_FULL_IS_FD | OPEN_FULL_UNREACHABLE | OPEN_FULL_TRUNCATED);
	struct gb_open_event ev;
	struct strbuf sb = {0};
	void *rec;

	REQUIRE(decode_open_sized(o, open_size(o), true, &ev, &sb, &rec) == 0);
	CHECK(ev.full_path_outside_root);
	CHECK(ev.full_path_truncated);
	CHECK_FULL(ev, "/etc/passwd");
	free(rec);
	/* without full paths, neither is reported */
	REQUIRE(decode_open_sized(o, open_size(o), false, &ev, &sb, &rec) == 0);
	CHECK(!ev.full_path_outside_root);
	CHECK(!ev.full_path_truncated);
	CHECK(ev.full_path == NULL);
	free(rec);
	free(o);
	sb_free(&sb);
}

TEST(test_decode_open_syscall_out_of_range_reads_as_openat)
{
	static const enum gb_open_syscall want[] = {GB_SYS_OPEN,  GB_SYS_OPENAT, GB_SYS_OPENAT2,
						    GB_SYS_CREAT, GB_SYS_OPENAT, GB_SYS_OPENAT};
	static const unsigned short raw[] = {OPEN_SYS_OPEN, OPEN_SYS_OPENAT, OPEN_SYS_OPENAT2, OPEN_SYS_CREAT, 4,
					     0xffff};
	struct open_event *o = open_new("/etc/hostname", NULL, 0);
	struct gb_open_event ev;
	struct strbuf sb = {0};
	void *rec;

	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		o->syscall = raw[i];
		REQUIRE(decode_open_sized(o, open_size(o), false, &ev, &sb, &rec) == 0);
		CHECK_INT_EQ(ev.syscall, want[i]);
		free(rec);
	}
	CHECK_STR_EQ(gb_open_syscall_name(GB_SYS_OPEN), "open");
	CHECK_STR_EQ(gb_open_syscall_name(GB_SYS_OPENAT), "openat");
	CHECK_STR_EQ(gb_open_syscall_name(GB_SYS_OPENAT2), "openat2");
	CHECK_STR_EQ(gb_open_syscall_name(GB_SYS_CREAT), "creat");
	CHECK_STR_EQ(gb_open_syscall_name((enum gb_open_syscall)9), "?");
	free(o);
	sb_free(&sb);
}

/* pssnap: records of two kinds and sizes follow each other unaligned in the iterator's file */
TEST(test_ps_records_are_measured_before_they_are_decoded)
{
	static const char args[] = "sleep\0"
				   "1001";
	size_t size = PS_RECORD_FIXED + sizeof(args);
	struct ps_record *r = calloc(1, sizeof(*r));
	struct ps_thread_cpu tc = {.kind = PS_RECORD_THREAD_CPU, .tgid = 7, .cpu_ns = 5};
	struct gb_proc_entry ev;

	REQUIRE(r);
	fill_proc(&r->proc, "sleep");
	r->proc.kind = PS_RECORD_TASK;
	r->nspid = 8;
	r->cpu_ns = 2500000000ull;
	r->rss_pages = 250;
	r->args_size = sizeof(args);
	r->ps_flags = PS_ARGS_TRUNCATED;
	memcpy(r->args, args, sizeof(args));
	char *buf = malloc(size + sizeof(tc));
	REQUIRE(buf);
	memcpy(buf, r, size);
	memcpy(buf + size, &tc, sizeof(tc));
	CHECK_INT_EQ(gb_ps_record_len(buf, 2), 0);
	CHECK_INT_EQ(gb_ps_record_len(buf, size - 1), 0); /* its arguments are not all there yet */
	CHECK_INT_EQ(gb_ps_record_len(buf, size + sizeof(tc)), (long)size);
	CHECK_INT_EQ(gb_ps_record_len(buf + size, sizeof(tc) - 1), 0);
	CHECK_INT_EQ(gb_ps_record_len(buf + size, sizeof(tc)), (long)sizeof(tc));
	REQUIRE(gb_decode_ps(buf, size, &ev) == 0);
	CHECK_UINT_EQ(ev.nspid, 8);
	CHECK_UINT_EQ(ev.cpu_ns, 2500000000ull);
	CHECK(ev.rss_kib >= 250 * 4);
	CHECK_MEM_EQ(ev.args, ev.args_size, args, sizeof(args));
	CHECK(ev.args_truncated);
	CHECK_INT_EQ(gb_decode_ps(buf, size - 1, &ev), -EINVAL); /* shorter than its arguments say */
	r->args_size = PS_ARGS_MAX + 1;
	memcpy(buf, r, PS_RECORD_FIXED);
	CHECK_INT_EQ(gb_ps_record_len(buf, size), -EINVAL);
	uint32_t bad = 99;
	memcpy(buf, &bad, sizeof(bad));
	CHECK_INT_EQ(gb_ps_record_len(buf, size), -EINVAL);
	free(buf);
	free(r);
}
