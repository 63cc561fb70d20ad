/* Number parsing and the generated command-line parser (common/cli/cli.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "cli.h"
#include "metrics.h"
#include "unit.h"

/* What the fake applets' parse callbacks received. */
static struct {
	int key[16];
	const char *arg[16];
	size_t n;
} seen;

static int record(int key, const char *arg)
{
	unsigned long pid;

	if (seen.n < 16)
		seen.key[seen.n] = key, seen.arg[seen.n] = arg, seen.n++;
	if (key == 'p' && gb_parse_ulong(arg, 0x3fffffff, &pid))
		return gb_usage_error("invalid PID '%s'", arg);
	return 0;
}

enum { FAKE_OPT_MAX_THINGS = GB_LONG_OPT };

/* Claims 't', so the common --timeout keeps only its long form. */
static const struct gb_opt fake_opts[] = {
	{"timestamp", 't', NULL, "include a timestamp column"},
	{"pid", 'p', "PID", "trace this process only"},
	{"name", 'n', "NAME", "only commands whose name contains NAME"},
	{"max-things", FAKE_OPT_MAX_THINGS, "N", "capture at most N things"},
	{0},
};

static const struct gb_applet fake = {
	.name = "fake",
	.summary = "Trace fake things.",
	.examples = "  fake -p 1     # things done by PID 1\n",
	.opts = fake_opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_BPF | GB_OPTS_IA32,
	.parse = record,
};

/* Leaves every common letter free, and has no output options. */
static const struct gb_opt plain_opts[] = {
	{"quiet", 'q', NULL, "say less"},
	{0},
};

static const struct gb_applet plain = {
	.name = "plain",
	.summary = "Plain.",
	.opts = plain_opts,
	.common = GB_OPTS_BPF,
	.parse = record,
};

/* Takes the letters of -o, -v and -h for itself. */
static const struct gb_opt greedy_opts[] = {
	{"host", 'h', "HOST", "connect to HOST"},
	{"old", 'o', NULL, "old format"},
	{"version", 'v', NULL, "print the version"},
	{0},
};

static const struct gb_applet greedy = {
	.name = "greedy",
	.summary = "Greedy.",
	.opts = greedy_opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_BPF,
	.parse = record,
};

static void reset(void)
{
	gb_opts = (struct gb_common_opts){.mode = OUT_COLUMNS};
	memset(&seen, 0, sizeof(seen));
}

#define NARGS(...) (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *))
/* gb_parse_args(applet, argc, argv) in this process, from a fresh state; getopt may permute the array. */
#define PARSE(applet, ...) (reset(), gb_parse_args(applet, NARGS(__VA_ARGS__), (char *[]){__VA_ARGS__, NULL}))
/* The same in a child process, for the cases that exit. */
#define PARSE_IN_CHILD(res, applet, ...) parse_in_child(res, applet, NARGS(__VA_ARGS__), (char *[]){__VA_ARGS__, NULL})

struct child {
	int status; /* exit status, or 128 + signal; 100 if gb_parse_args returned */
	struct strbuf out, err;
};

static void read_all(int fd, struct strbuf *sb)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		sb_add(sb, chunk, n);
	close(fd);
}

static void parse_in_child(struct child *res, const struct gb_applet *a, int argc, char **argv)
{
	int out[2], err[2];

	*res = (struct child){.status = -1};
	sb_str(&res->out);
	sb_str(&res->err);
	fflush(stdout);
	fflush(stderr);
	if (pipe(out) || pipe(err)) {
		unit_fail(__FILE__, __LINE__, "pipe failed");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close(out[0]), close(out[1]), close(err[0]), close(err[1]);
		reset();
		gb_parse_args(a, argc, argv);
		fflush(stdout);
		_exit(100);
	}
	close(out[1]);
	close(err[1]);
	read_all(err[0], &res->err);
	read_all(out[0], &res->out);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		unit_fail(__FILE__, __LINE__, "fork or waitpid failed");
		return;
	}
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	sb_str(&res->out);
	sb_str(&res->err);
}

static void child_free(struct child *res)
{
	sb_free(&res->out);
	sb_free(&res->err);
}

/* The child exited 2 with exactly this on stderr and nothing on stdout. */
#define CHECK_USAGE_ERROR(applet, want_err, ...)                                                                       \
	do {                                                                                                           \
		struct child _c;                                                                                       \
		PARSE_IN_CHILD(&_c, applet, __VA_ARGS__);                                                              \
		CHECK_INT_EQ(_c.status, 2);                                                                            \
		CHECK_SB_EQ(&_c.err, want_err);                                                                        \
		CHECK_SB_EQ(&_c.out, "");                                                                              \
		child_free(&_c);                                                                                       \
	} while (0)

TEST(test_parse_ulong_accepts_whole_decimal_numbers_up_to_max)
{
	unsigned long v = 1;
	char max[32];

	CHECK_INT_EQ(gb_parse_ulong("0", 10, &v), 0);
	CHECK_UINT_EQ(v, 0);
	CHECK_INT_EQ(gb_parse_ulong("42", 42, &v), 0);
	CHECK_UINT_EQ(v, 42);
	CHECK_INT_EQ(gb_parse_ulong("007", 10, &v), 0);
	CHECK_UINT_EQ(v, 7);
	snprintf(max, sizeof(max), "%lu", ULONG_MAX);
	CHECK_INT_EQ(gb_parse_ulong(max, ULONG_MAX, &v), 0);
	CHECK_UINT_EQ(v, ULONG_MAX);
}

TEST(test_parse_ulong_rejects_empty_signs_junk_overflow_and_values_over_max)
{
	unsigned long v = 1234;
	char overflow[32];

	snprintf(overflow, sizeof(overflow), "%lu0", ULONG_MAX);
	CHECK_INT_EQ(gb_parse_ulong(NULL, 10, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong("", 10, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong("-1", ULONG_MAX, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong("+1", 10, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong("12x", 100, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong("1 ", 10, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong("0x10", 100, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong("1.5", 10, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong(overflow, ULONG_MAX, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong("43", 42, &v), -1);
	CHECK_UINT_EQ(v, 1234); /* untouched on failure */
}

TEST(test_parse_size_takes_bytes_and_binary_k_m_g_within_range)
{
	size_t v = 0;

	CHECK_INT_EQ(gb_parse_size("256K", 65536, 1ul << 30, &v), 0);
	CHECK_UINT_EQ(v, 262144);
	CHECK_INT_EQ(gb_parse_size("4m", 65536, 1ul << 30, &v), 0);
	CHECK_UINT_EQ(v, 4u << 20);
	CHECK_INT_EQ(gb_parse_size("1G", 65536, 1ul << 30, &v), 0);
	CHECK_UINT_EQ(v, 1u << 30);
	CHECK_INT_EQ(gb_parse_size("65536", 65536, 1ul << 30, &v), 0);
	CHECK_UINT_EQ(v, 65536);
}

TEST(test_parse_size_rejects_junk_units_signs_overflow_and_out_of_range)
{
	size_t v = 77;

	CHECK_INT_EQ(gb_parse_size(NULL, 0, 100, &v), -1);
	CHECK_INT_EQ(gb_parse_size("", 0, 100, &v), -1);
	CHECK_INT_EQ(gb_parse_size("K", 0, 1 << 20, &v), -1);
	CHECK_INT_EQ(gb_parse_size("-1K", 0, 1 << 20, &v), -1);
	CHECK_INT_EQ(gb_parse_size("1MB", 0, 1 << 30, &v), -1);
	CHECK_INT_EQ(gb_parse_size("1T", 0, 1ul << 30, &v), -1);
	CHECK_INT_EQ(gb_parse_size("4M4", 0, 1ul << 30, &v), -1);
	CHECK_INT_EQ(gb_parse_size("2G", 0, 1ul << 30, &v), -1);
	CHECK_INT_EQ(gb_parse_size("1K", 65536, 1ul << 30, &v), -1);
	CHECK_INT_EQ(gb_parse_size("99999999999999999999G", 0, 1ul << 30, &v), -1);
	CHECK_INT_EQ(gb_parse_size("17179869184G", 0, 1ul << 30, &v), -1); /* 2^34 G: shifting it would wrap */
	CHECK_UINT_EQ(v, 77);
}

TEST(test_parse_ulong_rejects_leading_space_so_a_sign_cannot_hide_behind_it)
{
	unsigned long v = 1234;

	/* strtoul() skips spaces, then accepts "-1" as ULONG_MAX */
	CHECK_INT_EQ(gb_parse_ulong(" -1", ULONG_MAX, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong(" 5", 10, &v), -1);
	CHECK_INT_EQ(gb_parse_ulong("\t5", 10, &v), -1);
	CHECK_UINT_EQ(v, 1234);
}

TEST(test_parse_seconds_accepts_positive_fractions_up_to_a_billion)
{
	double v = 0;

	CHECK_INT_EQ(gb_parse_seconds("2.5", &v), 0);
	CHECK_DBL_EQ(v, 2.5);
	CHECK_INT_EQ(gb_parse_seconds("0.001", &v), 0);
	CHECK_DBL_EQ(v, 0.001);
	CHECK_INT_EQ(gb_parse_seconds("10", &v), 0);
	CHECK_DBL_EQ(v, 10);
	CHECK_INT_EQ(gb_parse_seconds("1e9", &v), 0);
	CHECK_DBL_EQ(v, 1e9);
}

TEST(test_parse_seconds_rejects_empty_zero_negative_junk_and_non_finite)
{
	double v = 7;

	CHECK_INT_EQ(gb_parse_seconds(NULL, &v), -1);
	CHECK_INT_EQ(gb_parse_seconds("", &v), -1);
	CHECK_INT_EQ(gb_parse_seconds("0", &v), -1);
	CHECK_INT_EQ(gb_parse_seconds("-0", &v), -1);
	CHECK_INT_EQ(gb_parse_seconds("-1", &v), -1);
	CHECK_INT_EQ(gb_parse_seconds("5s", &v), -1);
	CHECK_INT_EQ(gb_parse_seconds("1.5.2", &v), -1);
	CHECK_INT_EQ(gb_parse_seconds("inf", &v), -1);
	CHECK_INT_EQ(gb_parse_seconds("nan", &v), -1);
	CHECK_INT_EQ(gb_parse_seconds("1e400", &v), -1);  /* overflow */
	CHECK_INT_EQ(gb_parse_seconds("1e-400", &v), -1); /* underflow */
	CHECK_INT_EQ(gb_parse_seconds("1000000001", &v), -1);
	CHECK_DBL_EQ(v, 7);
}

TEST(test_parse_args_passes_applet_options_and_their_args_to_its_callback)
{
	PARSE(&fake, "fake", "-t", "-p", "42", "--name", "bash", "--max-things=7", "-n", "x", "--timestamp");
	REQUIRE(seen.n == 6);
	CHECK_INT_EQ(seen.key[0], 't');
	CHECK_STR_EQ(seen.arg[0], NULL);
	CHECK_INT_EQ(seen.key[1], 'p');
	CHECK_STR_EQ(seen.arg[1], "42");
	CHECK_INT_EQ(seen.key[2], 'n');
	CHECK_STR_EQ(seen.arg[2], "bash");
	CHECK_INT_EQ(seen.key[3], FAKE_OPT_MAX_THINGS);
	CHECK_STR_EQ(seen.arg[3], "7");
	CHECK_INT_EQ(seen.key[4], 'n');
	CHECK_STR_EQ(seen.arg[4], "x");
	CHECK_INT_EQ(seen.key[5], 't');
	CHECK_STR_EQ(gb_prog, "fake");
	/* common options left alone */
	CHECK_INT_EQ(gb_opts.mode, OUT_COLUMNS);
	CHECK_DBL_EQ(gb_opts.timeout, 0);
}

TEST(test_parse_args_sets_common_options)
{
	PARSE(&fake, "fake", "-o", "json", "--fields", "pid,comm", "--timeout", "2.5", "-v", "--btf", "/tmp/vmlinux");
	CHECK_INT_EQ(gb_opts.mode, OUT_JSON);
	CHECK_STR_EQ(gb_opts.fields, "pid,comm");
	CHECK_DBL_EQ(gb_opts.timeout, 2.5);
	CHECK(gb_opts.verbose);
	CHECK_STR_EQ(gb_opts.btf, "/tmp/vmlinux");
	CHECK_UINT_EQ(seen.n, 0);

	PARSE(&fake, "fake", "-ojson", "--fields=ret", "--timeout=1", "--verbose", "--output", "columns");
	CHECK_INT_EQ(gb_opts.mode, OUT_COLUMNS); /* the last -o wins */
	CHECK_STR_EQ(gb_opts.fields, "ret");
	CHECK_DBL_EQ(gb_opts.timeout, 1);
	CHECK(gb_opts.verbose);

	PARSE(&fake, "fake", "--output=json");
	CHECK_INT_EQ(gb_opts.mode, OUT_JSON);
	CHECK_STR_EQ(gb_opts.fields, NULL);
	CHECK(!gb_opts.verbose);
}

TEST(test_parse_args_applet_t_leaves_common_timeout_only_its_long_form)
{
	PARSE(&fake, "fake", "-t", "--timeout", "3", "-vt");
	CHECK_DBL_EQ(gb_opts.timeout, 3);
	CHECK(gb_opts.verbose);
	REQUIRE(seen.n == 2);
	CHECK_INT_EQ(seen.key[0], 't');
	CHECK_INT_EQ(seen.key[1], 't');
}

TEST(test_parse_args_common_letter_works_when_applet_leaves_it_free)
{
	PARSE(&plain, "plain", "-t", "4", "-qv");
	CHECK_DBL_EQ(gb_opts.timeout, 4);
	CHECK(gb_opts.verbose);
	REQUIRE(seen.n == 1);
	CHECK_INT_EQ(seen.key[0], 'q');
	PARSE(&plain, "plain", "-t0.5");
	CHECK_DBL_EQ(gb_opts.timeout, 0.5);
}

TEST(test_parse_args_applet_letters_win_over_common_letters)
{
	PARSE(&greedy, "greedy", "-o", "-v", "-h", "example.com", "--output", "json", "--verbose");
	REQUIRE(seen.n == 3);
	CHECK_INT_EQ(seen.key[0], 'o');
	CHECK_INT_EQ(seen.key[1], 'v');
	CHECK_INT_EQ(seen.key[2], 'h');
	CHECK_STR_EQ(seen.arg[2], "example.com");
	CHECK_INT_EQ(gb_opts.mode, OUT_JSON);
	CHECK(gb_opts.verbose);

	struct child c;
	PARSE_IN_CHILD(&c, &greedy, "greedy", "--help");
	CHECK_INT_EQ(c.status, 0);
	CHECK(strstr(c.out.buf, "Usage: greedy [OPTION]...\n"));
	CHECK(strstr(c.out.buf, "  -h, --host HOST            connect to HOST\n"));
	CHECK(strstr(c.out.buf, "      --help                 show this help and exit\n"));
	CHECK(strstr(c.out.buf, "      --output FORMAT        output format"));
	child_free(&c);
}

TEST(test_parse_args_help_lists_every_option_and_exits_0)
{
	struct child c;

	PARSE_IN_CHILD(&c, &fake, "fake", "-p", "1", "--help", "-Z");
	CHECK_INT_EQ(c.status, 0);
	CHECK_SB_EQ(&c.err, "");
	CHECK_SB_EQ(
		&c.out,
		"Usage: fake [OPTION]...\n"
		"Trace fake things.\n"
		"\n"
		"Options:\n"
		"  -t, --timestamp            include a timestamp column\n"
		"  -p, --pid PID              trace this process only\n"
		"  -n, --name NAME            only commands whose name contains NAME\n"
		"      --max-things N         capture at most N things\n"
		"  -o, --output FORMAT        output format: columns (default), json (one object per line), jsonpretty "
		"(indented) or yaml\n"
		"      --fields LIST          comma-separated fields to show (columns) or include (json)\n"
		"      --filter EXPR          only rows where FIELD==VALUE (also !=, ~REGEX, !~, >, >=, <, <=; terms "
		"joined "
		"with ',' must all hold)\n"
		"      --timeout SECONDS      stop after SECONDS\n"
		"      --btf PATH             kernel BTF file, for kernels without /sys/kernel/btf/vmlinux\n"
		"  -v, --verbose              print the start-up steps with their times, and libbpf's debug messages\n"
		"      --ia32                 also trace 32-bit syscalls (x86-64; costs every syscall on the node ~0.2 "
		"us)\n"
		"  -h, --help                 show this help and exit\n"
		"\n"
		"EXAMPLES:\n"
		"  fake -p 1     # things done by PID 1\n");
	child_free(&c);

	PARSE_IN_CHILD(&c, &fake, "fake", "-h");
	CHECK_INT_EQ(c.status, 0);
	CHECK(!strncmp(c.out.buf, "Usage: fake [OPTION]...\n", 24));
	child_free(&c);
}

TEST(test_parse_args_that_succeeds_returns_to_its_caller)
{
	struct child c;

	/* the harness itself: a parse that succeeds returns to the caller */
	PARSE_IN_CHILD(&c, &fake, "fake", "-t");
	CHECK_INT_EQ(c.status, 100);
	CHECK_SB_EQ(&c.err, "");
	child_free(&c);
}

TEST(test_parse_args_exits_2_on_unknown_output_format)
{
	CHECK_USAGE_ERROR(
		&fake,
		"fake: unknown output format 'xml' (use columns, json, jsonpretty or yaml) (see 'fake --help')\n",
		"fake", "-o", "xml");
	CHECK_USAGE_ERROR(
		&fake,
		"fake: unknown output format 'JSON' (use columns, json, jsonpretty or yaml) (see 'fake --help')\n",
		"fake", "--output=JSON");
}

TEST(test_parse_args_exits_2_on_unknown_options)
{
	CHECK_USAGE_ERROR(&fake, "fake: unknown option -Z (see 'fake --help')\n", "fake", "-Z");
	CHECK_USAGE_ERROR(&fake, "fake: unknown option -Z (see 'fake --help')\n", "fake", "--verbose", "-tZ");
	CHECK_USAGE_ERROR(&fake, "fake: unknown option --bogus (see 'fake --help')\n", "fake", "--bogus");
	CHECK_USAGE_ERROR(&fake, "fake: unknown option --bogus=1 (see 'fake --help')\n", "fake", "-t", "--bogus=1");
	/* no abbreviations: a unique prefix of --max-things or --timeout is not that option */
	CHECK_USAGE_ERROR(&fake, "fake: unknown option --max (see 'fake --help')\n", "fake", "--max", "3");
	CHECK_USAGE_ERROR(&fake, "fake: unknown option --timeo=1 (see 'fake --help')\n", "fake", "--timeo=1");
	/* without GB_OPTS_OUTPUT there is no -o and no --fields */
	CHECK_USAGE_ERROR(&plain, "plain: unknown option -o (see 'plain --help')\n", "plain", "-o", "json");
	CHECK_USAGE_ERROR(&plain, "plain: unknown option --fields (see 'plain --help')\n", "plain", "--fields", "pid");
}

TEST(test_parse_args_exits_2_on_a_missing_argument)
{
	CHECK_USAGE_ERROR(&fake, "fake: option needs an argument: -p (see 'fake --help')\n", "fake", "-p");
	CHECK_USAGE_ERROR(&fake, "fake: option needs an argument: -n (see 'fake --help')\n", "fake", "--name");
	CHECK_USAGE_ERROR(&fake, "fake: option needs an argument: -o (see 'fake --help')\n", "fake", "-o");
	CHECK_USAGE_ERROR(&fake, "fake: option needs an argument: --max-things (see 'fake --help')\n", "fake",
			  "--max-things");
}

TEST(test_parse_args_missing_argument_names_a_long_only_common_option_as_typed)
{
	/* these common options have no letter of their own here, so "-<letter>" would name something else */
	CHECK_USAGE_ERROR(&fake, "fake: option needs an argument: --fields (see 'fake --help')\n", "fake", "--fields");
	CHECK_USAGE_ERROR(&fake, "fake: option needs an argument: --timeout (see 'fake --help')\n", "fake", "-t",
			  "--timeout");
	CHECK_USAGE_ERROR(&fake, "fake: option needs an argument: --btf (see 'fake --help')\n", "fake", "--btf");
}

TEST(test_parse_args_exits_2_on_an_invalid_timeout)
{
	CHECK_USAGE_ERROR(&fake, "fake: invalid timeout '0' (seconds, > 0) (see 'fake --help')\n", "fake", "--timeout",
			  "0");
	CHECK_USAGE_ERROR(&plain, "plain: invalid timeout 'soon' (seconds, > 0) (see 'plain --help')\n", "plain", "-t",
			  "soon");
}

TEST(test_parse_args_exits_2_when_the_applet_rejects_an_argument)
{
	CHECK_USAGE_ERROR(&fake, "fake: invalid PID 'abc' (see 'fake --help')\n", "fake", "-p", "abc");
}

TEST(test_parse_args_exits_2_on_an_unexpected_operand)
{
	CHECK_USAGE_ERROR(&fake, "fake: unexpected argument 'extra' (see 'fake --help')\n", "fake", "extra");
	CHECK_USAGE_ERROR(&fake, "fake: unexpected argument 'extra' (see 'fake --help')\n", "fake", "extra", "-t");
	CHECK_USAGE_ERROR(&fake, "fake: unexpected argument '-t' (see 'fake --help')\n", "fake", "--", "-t");
}

TEST(test_metrics_addr_forms_and_refusals)
{
	struct gb_metrics_addr *a = NULL;
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	REQUIRE(!gb_metrics_parse_addr("127.0.0.1:9100", &a));
	s4 = (const struct sockaddr_in *)&a->sa;
	CHECK_INT_EQ(s4->sin_family, AF_INET);
	CHECK_UINT_EQ(ntohs(s4->sin_port), 9100);
	CHECK_UINT_EQ(ntohl(s4->sin_addr.s_addr), 0x7f000001);
	CHECK_STR_EQ(gb_metrics_addr_text(a), "127.0.0.1:9100");
	REQUIRE(!gb_metrics_parse_addr(":9100", &a)); /* every address */
	s4 = (const struct sockaddr_in *)&a->sa;
	CHECK_UINT_EQ(s4->sin_addr.s_addr, 0);
	REQUIRE(!gb_metrics_parse_addr("[::1]:0", &a));
	s6 = (const struct sockaddr_in6 *)&a->sa;
	CHECK_INT_EQ(s6->sin6_family, AF_INET6);
	CHECK(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
	static const char *const bad[] = {"9100",	  "127.0.0.1",	   "127.0.0.1:",      "127.0.0.1:65536",
					  "127.0.0.1:-1", "127.0.0.1:+80", "host.example:80", "[::1:80",
					  "::1:80",	  "1.2.3:4"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(gb_metrics_parse_addr(bad[i], &a) == -1);
	CHECK_STR_EQ(gb_metrics_addr_text(a), "[::1]:0"); /* a refusal leaves the last good one */
	free(a);
}
