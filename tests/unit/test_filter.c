/* --filter EXPR (common/cli/filter.c): which rows each operator lets through, and the exact parse errors. */
#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "strbuf.h"
#include "unit.h"

/* A fake row: the caller's field table and one value per field. */
enum {
	F_A,
	F_PID,
	F_COMM,
	F_POD,
	F_CONTAINER_ID,
	F_RET,
	F_BIG,
	F_MIN,
	F_VERSION,
	F_CWD,
	F_ARGS,
	F_FLAG,
	F_UNSET,
	F_COUNT,
};

static const char *const names[F_COUNT] = {
	[F_A] = "a",
	[F_PID] = "pid",
	[F_COMM] = "comm",
	[F_POD] = "k8s.podName",
	[F_CONTAINER_ID] = "runtime.containerId",
	[F_RET] = "ret",
	[F_BIG] = "big",
	[F_MIN] = "min",
	[F_VERSION] = "version",
	[F_CWD] = "cwd",
	[F_ARGS] = "args",
	[F_FLAG] = "flag",
	[F_UNSET] = "unset",
};

/* The members of a string value, from a literal. */
#define STR(lit) .kind = FV_STR, .s = lit, .len = sizeof(lit) - 1

static const struct filter_value row[F_COUNT] = {
	[F_A] = {STR("x")},
	[F_PID] = {.kind = FV_U64, .u = 1234},
	[F_COMM] = {STR("nginx")},
	[F_POD] = {STR("web-7f9c")},
	[F_CONTAINER_ID] = {STR("abc123def")},
	[F_RET] = {.kind = FV_S64, .i = -2},
	[F_BIG] = {.kind = FV_U64, .u = UINT64_MAX},
	[F_MIN] = {.kind = FV_S64, .i = INT64_MIN},
	[F_VERSION] = {STR("10")},
	[F_CWD] = {STR("")},
	[F_ARGS] = {STR("a,b\\c")},
	[F_FLAG] = {.kind = FV_BOOL, .b = true},
	[F_UNSET] = {.kind = FV_ABSENT},
};

static int lookup(void *arg, const char *name, size_t len)
{
	(void)arg;
	for (int i = 0; i < F_COUNT; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len))
			return i;
	return -1;
}

static void get(void *arg, int field, struct filter_value *v)
{
	const struct filter_value *r = arg;

	*v = r[field];
}

/* Whether @expr lets @r through; a parse error fails the test (and the answer is false). */
static bool matches_row(const char *expr, const struct filter_value *r, const char *file, int line)
{
	struct strbuf err = {0};
	struct filter *f = filter_parse(expr, lookup, NULL, &err);
	bool m = false;

	if (f)
		m = filter_match(f, get, (void *)r);
	else
		unit_fail(file, line, "filter_parse(\"%s\"): %s", expr, err.len ? sb_str(&err) : "(no message)");
	filter_free(f);
	sb_free(&err);
	return m;
}

#define MATCHES(expr) matches_row(expr, row, __FILE__, __LINE__)

/* @expr is refused with exactly @want, and errno EINVAL. */
static void check_error(const char *expr, const char *want, const char *file, int line)
{
	struct strbuf err = {0};
	struct filter *f;

	errno = 0;
	f = filter_parse(expr, lookup, NULL, &err);
	if (f) {
		unit_fail(file, line, "filter_parse(\"%s\") succeeded", expr);
		filter_free(f);
	} else {
		if (errno != EINVAL)
			unit_fail(file, line, "filter_parse(\"%s\"): errno %d, not EINVAL", expr, errno);
		unit_check_str(file, line, "error", want, sb_str(&err), want);
	}
	sb_free(&err);
}

#define CHECK_ERROR(expr, want) check_error(expr, want, __FILE__, __LINE__)

TEST(test_filter_eq_and_ne_compare_strings_byte_exact)
{
	CHECK(MATCHES("comm==nginx"));
	CHECK(!MATCHES("comm==ngin"));
	CHECK(!MATCHES("comm==nginxx"));
	CHECK(!MATCHES("comm==NGINX"));
	CHECK(!MATCHES("comm== nginx"));
	CHECK(MATCHES("comm!=apache"));
	CHECK(!MATCHES("comm!=nginx"));
	/* a string of digits is still compared as bytes */
	CHECK(!MATCHES("version==010"));
	CHECK(MATCHES("version==10"));
}

TEST(test_filter_string_with_nul_compares_its_whole_length)
{
	struct filter_value r[F_COUNT] = {[F_COMM] = {.kind = FV_STR, .s = "ab\0cd", .len = 5}};

	CHECK(!matches_row("comm==ab", r, __FILE__, __LINE__));
	CHECK(matches_row("comm!=ab", r, __FILE__, __LINE__));
	CHECK(matches_row("comm>ab", r, __FILE__, __LINE__));
	/* a regex sees the text up to the NUL */
	CHECK(matches_row("comm~^ab$", r, __FILE__, __LINE__));
}

TEST(test_filter_orders_strings_like_strcmp)
{
	CHECK(MATCHES("comm>nginw"));
	CHECK(!MATCHES("comm>nginy"));
	CHECK(MATCHES("comm<nginy"));
	CHECK(MATCHES("comm>=nginx"));
	CHECK(MATCHES("comm<=nginx"));
	CHECK(!MATCHES("comm>nginx"));
	CHECK(!MATCHES("comm<nginx"));
	/* a prefix sorts first */
	CHECK(MATCHES("comm>ngin"));
	CHECK(MATCHES("comm<nginxa"));
	CHECK(MATCHES("cwd<a"));
	CHECK(MATCHES("cwd>="));
}

TEST(test_filter_orders_numeric_strings_numerically)
{
	/* "10" < "9" as text, but both are integers */
	CHECK(MATCHES("version>9"));
	CHECK(MATCHES("version<=10"));
	CHECK(MATCHES("version>-1"));
	CHECK(!MATCHES("version<9"));
	/* one side text: strcmp's order */
	CHECK(MATCHES("comm>9"));
	CHECK(MATCHES("version<9a"));
}

TEST(test_filter_compares_unsigned_numbers)
{
	CHECK(MATCHES("pid==1234"));
	CHECK(MATCHES("pid==01234"));
	CHECK(!MATCHES("pid==123"));
	CHECK(MATCHES("pid!=123"));
	CHECK(!MATCHES("pid!=1234"));
	CHECK(MATCHES("pid>1233"));
	CHECK(!MATCHES("pid>1234"));
	CHECK(MATCHES("pid>=1234"));
	CHECK(MATCHES("pid<1235"));
	CHECK(!MATCHES("pid<1234"));
	CHECK(MATCHES("pid<=1234"));
	/* numerically, not as text: "1234" < "9" */
	CHECK(MATCHES("pid>9"));
	/* a negative value compares as such with an unsigned field */
	CHECK(MATCHES("pid>-1"));
	CHECK(MATCHES("big>=-1"));
	CHECK(MATCHES("big>-9223372036854775808"));
	CHECK(!MATCHES("big==-1"));
	CHECK(MATCHES("big==18446744073709551615"));
	CHECK(MATCHES("big>18446744073709551614"));
	CHECK(MATCHES("big>9223372036854775807"));
}

TEST(test_filter_compares_signed_numbers)
{
	struct filter_value zero[F_COUNT] = {[F_RET] = {.kind = FV_S64, .i = 0}};

	CHECK(MATCHES("ret==-2"));
	CHECK(!MATCHES("ret==2"));
	CHECK(MATCHES("ret!=2"));
	CHECK(MATCHES("ret<0"));
	CHECK(MATCHES("ret<-1"));
	CHECK(!MATCHES("ret<-2"));
	CHECK(MATCHES("ret<=-2"));
	CHECK(MATCHES("ret>-3"));
	CHECK(MATCHES("ret>=-2"));
	CHECK(!MATCHES("ret>=-1"));
	CHECK(MATCHES("ret<18446744073709551615"));
	CHECK(MATCHES("min==-9223372036854775808"));
	CHECK(MATCHES("min<-9223372036854775807"));
	CHECK(MATCHES("min>-9223372036854775809"));
	CHECK(MATCHES("min>-18446744073709551615"));
	/* -0 is 0 */
	CHECK(MATCHES("ret<-0"));
	CHECK(MATCHES("pid>-0"));
	CHECK(matches_row("ret==-0", zero, __FILE__, __LINE__));
	CHECK(matches_row("ret<=-0", zero, __FILE__, __LINE__));
	CHECK(matches_row("ret>=0", zero, __FILE__, __LINE__));
	/* neither "" nor "-" is 0 */
	CHECK(!matches_row("ret==", zero, __FILE__, __LINE__));
	CHECK(!matches_row("ret==-", zero, __FILE__, __LINE__));
}

TEST(test_filter_number_against_non_integer_compares_its_decimal_text)
{
	CHECK(!MATCHES("pid==abc"));
	CHECK(MATCHES("pid!=abc"));
	CHECK(!MATCHES("pid==+1234"));
	CHECK(!MATCHES("pid==1234.0"));
	/* "1234" < "abc" */
	CHECK(MATCHES("pid<abc"));
	CHECK(!MATCHES("pid>abc"));
	/* past 2^64-1 is not an integer: "18446744073709551615" < "18446744073709551616" as text */
	CHECK(MATCHES("big<18446744073709551616"));
	CHECK(!MATCHES("big==18446744073709551616"));
	CHECK(MATCHES("ret<-3x"));
}

TEST(test_filter_regex_on_numbers_matches_decimal_text)
{
	CHECK(MATCHES("pid~^12"));
	CHECK(MATCHES("pid~34$"));
	CHECK(!MATCHES("pid~^34"));
	CHECK(MATCHES("pid~^[0-9]{4}$"));
	CHECK(MATCHES("ret~^-2$"));
	CHECK(MATCHES("pid!~5"));
	CHECK(!MATCHES("pid!~3"));
	CHECK(MATCHES("big~^18446744073709551615$"));
	CHECK(MATCHES("min~^-9223372036854775808$"));
}

TEST(test_filter_regex_matches_anywhere_unless_anchored)
{
	CHECK(MATCHES("comm~gin"));
	CHECK(MATCHES("comm~^ngi"));
	CHECK(!MATCHES("comm~^gin"));
	CHECK(MATCHES("comm~nx$"));
	CHECK(!MATCHES("comm~gin$"));
	CHECK(MATCHES("comm~^nginx$"));
	CHECK(MATCHES("comm~^(nginx|apache)$"));
	CHECK(MATCHES("comm~^n.+x$"));
	CHECK(!MATCHES("comm~^NGINX$"));
	CHECK(MATCHES("comm!~apache"));
	CHECK(!MATCHES("comm!~^nginx$"));
	/* an empty string matches an anchored empty pattern, not a non-empty one */
	CHECK(MATCHES("cwd~^$"));
	CHECK(!MATCHES("cwd~."));
	CHECK(MATCHES("cwd!~."));
}

TEST(test_filter_regex_on_a_string_longer_than_the_stack_buffer)
{
	size_t len = 10000;
	char *s = malloc(len);
	struct filter_value r[F_COUNT] = {[F_ARGS] = {.kind = FV_STR, .len = len}};

	REQUIRE(s);
	memset(s, 'a', len);
	s[len - 1] = 'z';
	r[F_ARGS].s = s;
	CHECK(matches_row("args~^a+z$", r, __FILE__, __LINE__));
	CHECK(!matches_row("args~^a+$", r, __FILE__, __LINE__));
	CHECK(matches_row("args!~y", r, __FILE__, __LINE__));
	/* exactly the stack buffer's size, which leaves no room for the NUL, and one less */
	s[4095] = 'y';
	r[F_ARGS].len = 4096;
	CHECK(matches_row("args~^a+y$", r, __FILE__, __LINE__));
	r[F_ARGS].len = 4095;
	CHECK(matches_row("args~^a+$", r, __FILE__, __LINE__));
	CHECK(matches_row("args!~y", r, __FILE__, __LINE__));
	free(s);
}

TEST(test_filter_nested_field_names_with_dots)
{
	CHECK(MATCHES("k8s.podName==web-7f9c"));
	CHECK(MATCHES("k8s.podName~^web-"));
	CHECK(MATCHES("runtime.containerId~^abc"));
	CHECK(!MATCHES("runtime.containerId==abc"));
}

TEST(test_filter_terms_are_anded)
{
	CHECK(MATCHES("pid==1234,comm==nginx"));
	CHECK(MATCHES("k8s.podName~^web-,pid!=1,ret<0,flag==true"));
	CHECK(!MATCHES("pid==1234,comm==apache"));
	CHECK(!MATCHES("comm==apache,pid==1234"));
	/* a range on one field */
	CHECK(MATCHES("pid>1000,pid<2000"));
	CHECK(!MATCHES("pid>1000,pid<1200"));
}

TEST(test_filter_escaped_comma_and_backslash_in_value)
{
	struct filter *f;
	const char *value = NULL;

	/* args is a,b\c */
	CHECK(MATCHES("args==a\\,b\\\\c"));
	CHECK(MATCHES("args==a\\,b\\\\c,pid==1234"));
	CHECK(!MATCHES("args==a\\,b\\\\c,pid==1"));
	/* a comma in a regex's bound; other backslashes reach the regex as written */
	CHECK(MATCHES("comm~^n{1\\,2}g"));
	CHECK(MATCHES("args~^a\\,b\\\\\\\\c$"));
	CHECK(MATCHES("args~^a.b\\\\\\\\"));
	CHECK(!MATCHES("args~a\\.b"));
	f = filter_parse("args==a\\,b\\\\c\\d\\", lookup, NULL, NULL);
	REQUIRE(f);
	CHECK(filter_term(f, 0, NULL, NULL, &value));
	CHECK_STR_EQ(value, "a,b\\c\\d\\");
	filter_free(f);
}

TEST(test_filter_empty_value_matches_empty_string)
{
	CHECK(MATCHES("cwd=="));
	CHECK(!MATCHES("cwd!="));
	CHECK(!MATCHES("comm=="));
	CHECK(MATCHES("comm!="));
	CHECK(MATCHES("cwd==,pid==1234"));
	CHECK(MATCHES("pid==1234,cwd=="));
	/* an empty regex matches everything */
	CHECK(MATCHES("comm~"));
	/* an empty value is no integer */
	CHECK(!MATCHES("pid=="));
}

TEST(test_filter_absent_field_matches_only_negations)
{
	CHECK(!MATCHES("unset==x"));
	CHECK(!MATCHES("unset=="));
	CHECK(MATCHES("unset!=x"));
	CHECK(MATCHES("unset!="));
	CHECK(!MATCHES("unset~."));
	CHECK(!MATCHES("unset~"));
	CHECK(MATCHES("unset!~."));
	CHECK(!MATCHES("unset>0"));
	CHECK(!MATCHES("unset>=0"));
	CHECK(!MATCHES("unset<0"));
	CHECK(!MATCHES("unset<=0"));
}

TEST(test_filter_bool_fields_take_go_spellings)
{
	struct filter_value r[F_COUNT] = {[F_FLAG] = {.kind = FV_BOOL, .b = false}};

	CHECK(MATCHES("flag==true"));
	CHECK(MATCHES("flag==1"));
	CHECK(MATCHES("flag==True"));
	CHECK(MATCHES("flag==TRUE"));
	CHECK(MATCHES("flag==t"));
	CHECK(MATCHES("flag==T"));
	CHECK(!MATCHES("flag==false"));
	CHECK(!MATCHES("flag==0"));
	CHECK(MATCHES("flag!=0"));
	CHECK(!MATCHES("flag==yes"));
	CHECK(MATCHES("flag!=yes"));
	CHECK(MATCHES("flag~^t"));
	CHECK(MATCHES("flag~^true$"));
	CHECK(!MATCHES("flag~1"));
	CHECK(MATCHES("flag>0"));
	CHECK(!MATCHES("flag>1"));
	CHECK(matches_row("flag==false", r, __FILE__, __LINE__));
	CHECK(matches_row("flag==F", r, __FILE__, __LINE__));
	CHECK(matches_row("flag==0", r, __FILE__, __LINE__));
	CHECK(!matches_row("flag==1", r, __FILE__, __LINE__));
	CHECK(matches_row("flag~^false$", r, __FILE__, __LINE__));
	CHECK(matches_row("flag!=fals", r, __FILE__, __LINE__));
	CHECK(matches_row("flag<falsf", r, __FILE__, __LINE__));
	CHECK(matches_row("flag<1", r, __FILE__, __LINE__));
}

TEST(test_filter_terms_expose_field_operator_and_value)
{
	static const struct {
		int field;
		enum filter_op op;
		const char *value;
	} want[] = {
		{F_PID, FILTER_EQ, "1"},  {F_COMM, FILTER_NE, "a"}, {F_POD, FILTER_RE, "^w,"}, {F_CWD, FILTER_NRE, ""},
		{F_RET, FILTER_GT, "-1"}, {F_RET, FILTER_GE, "-2"}, {F_BIG, FILTER_LT, "x"},   {F_BIG, FILTER_LE, "y"},
	};
	struct filter *f =
		filter_parse("pid==1,comm!=a,k8s.podName~^w\\,,cwd!~,ret>-1,ret>=-2,big<x,big<=y", lookup, NULL, NULL);
	int field = -1;
	enum filter_op op = FILTER_EQ;
	const char *value = NULL;

	REQUIRE(f);
	CHECK_UINT_EQ(filter_nterms(f), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		REQUIRE(filter_term(f, i, &field, &op, &value));
		CHECK_INT_EQ(field, want[i].field);
		CHECK_INT_EQ(op, want[i].op);
		CHECK_STR_EQ(value, want[i].value);
	}
	CHECK(!filter_term(f, sizeof(want) / sizeof(want[0]), &field, &op, &value));
	filter_free(f);
	CHECK_STR_EQ(filter_op_name(FILTER_EQ), "==");
	CHECK_STR_EQ(filter_op_name(FILTER_NRE), "!~");
	CHECK_STR_EQ(filter_op_name(FILTER_LE), "<=");
}

TEST(test_filter_null_filter_matches_every_row)
{
	CHECK(filter_match(NULL, get, (void *)row));
	CHECK_UINT_EQ(filter_nterms(NULL), 0);
	CHECK(!filter_term(NULL, 0, NULL, NULL, NULL));
	filter_free(NULL);
}

TEST(test_filter_error_missing_operator)
{
	CHECK_ERROR("pid5", "--filter: expected an operator (==, !=, ~, !~, >, >=, <, <=) at position 5 in 'pid5'");
	CHECK_ERROR("pid 5", "--filter: expected an operator (==, !=, ~, !~, >, >=, <, <=) at position 4 in 'pid 5'");
	CHECK_ERROR("comm==a,pid!5",
		    "--filter: expected an operator (==, !=, ~, !~, >, >=, <, <=) at position 12 in 'comm==a,pid!5'");
	CHECK_ERROR("pid:5", "--filter: expected an operator (==, !=, ~, !~, >, >=, <, <=) at position 4 in 'pid:5'");
}

TEST(test_filter_error_bare_equals_suggests_the_operator)
{
	CHECK_ERROR("pid=5", "--filter: unknown operator '=' at position 4 in 'pid=5' (did you mean '=='?)");
	CHECK_ERROR("comm=~^ng", "--filter: unknown operator '=' at position 5 in 'comm=~^ng' (did you mean '~'?)");
	CHECK_ERROR("pid==1,comm=",
		    "--filter: unknown operator '=' at position 12 in 'pid==1,comm=' (did you mean '=='?)");
}

TEST(test_filter_error_empty_field_name)
{
	CHECK_ERROR("==5", "--filter: expected a field name at position 1 in '==5'");
	CHECK_ERROR("pid==1,~x", "--filter: expected a field name at position 8 in 'pid==1,~x'");
	CHECK_ERROR("@pid==1", "--filter: expected a field name at position 1 in '@pid==1'");
}

TEST(test_filter_error_empty_terms)
{
	CHECK_ERROR("a==1,,b==2", "--filter: empty term at position 6 in 'a==1,,b==2'");
	CHECK_ERROR("pid==1,", "--filter: empty term at position 8 in 'pid==1,'");
	CHECK_ERROR(",pid==1", "--filter: empty term at position 1 in ',pid==1'");
	CHECK_ERROR("", "--filter: empty term at position 1 in ''");
}

TEST(test_filter_error_unknown_field)
{
	CHECK_ERROR("foo==1", "--filter: unknown field 'foo' at position 1 in 'foo==1'");
	CHECK_ERROR("pid==1,k8s.pod~x", "--filter: unknown field 'k8s.pod' at position 8 in 'pid==1,k8s.pod~x'");
	/* the lookup sees the name alone, not the rest of the term */
	CHECK_ERROR("pidx==1", "--filter: unknown field 'pidx' at position 1 in 'pidx==1'");
}

/* The C library's own words for @pattern's error (musl's and glibc's differ). */
static const char *regex_error(const char *pattern, char *text, size_t size)
{
	regex_t re;
	int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);

	if (!rc) {
		regfree(&re);
		return "(compiles)";
	}
	regerror(rc, &re, text, size);
	return text;
}

TEST(test_filter_error_invalid_regex_quotes_regerror)
{
	char text[160], want[400];

	snprintf(want, sizeof(want), "--filter: invalid regular expression '(' at position 3 in 'a~(': %s",
		 regex_error("(", text, sizeof(text)));
	CHECK_ERROR("a~(", want);
	snprintf(want, sizeof(want),
		 "--filter: invalid regular expression '[z-a]' at position 14 in 'pid==1,comm!~[z-a]': %s",
		 regex_error("[z-a]", text, sizeof(text)));
	CHECK_ERROR("pid==1,comm!~[z-a]", want);
	/* '\(' is no escape of the filter's: the regex gets it as written, and the error shows it so */
	snprintf(want, sizeof(want), "--filter: invalid regular expression '\\((' at position 6 in 'comm~\\((': %s",
		 regex_error("\\((", text, sizeof(text)));
	CHECK_ERROR("comm~\\((", want);
}

/* Repetitions that would expand to gigabytes in regcomp() are refused before it; ordinary bounds compile. */
TEST(test_filter_refuses_regex_whose_repetitions_multiply)
{
	CHECK_ERROR("comm~((a{1\\,255}){1\\,255})",
		    "--filter: regular expression too large once its repetitions are expanded '((a{1,255}){1,255})' at "
		    "position 6 in 'comm~((a{1\\,255}){1\\,255})' (more than 1024 atoms: use fewer or smaller {m,n})");
	/* stacked repetitions (glibc's compiler blew up on 80 '+' or a few hundred '?', found by fuzz_filter) */
	CHECK_ERROR("comm~a+++", "--filter: a repetition of a repetition in regular expression 'a+++' at position 6 in "
				 "'comm~a+++' ('**', '+?', '{m,n}*' are undefined in POSIX: write one)");
	CHECK_ERROR("comm~.*?", "--filter: a repetition of a repetition in regular expression '.*?' at position 6 in "
				"'comm~.*?' ('**', '+?', '{m,n}*' are undefined in POSIX: write one)");
	CHECK_ERROR("comm~x{2}*", "--filter: a repetition of a repetition in regular expression 'x{2}*' at position 6 "
				  "in 'comm~x{2}*' ('**', '+?', '{m,n}*' are undefined in POSIX: write one)");
	/* a '+' doubles what it repeats: (a+)+ and so on, grouped, are bounded by size */
	CHECK_ERROR("comm~((((((((((a+)+)+)+)+)+)+)+)+)+)+",
		    "--filter: regular expression too large once its repetitions are expanded "
		    "'((((((((((a+)+)+)+)+)+)+)+)+)+)+' "
		    "at position 6 in 'comm~((((((((((a+)+)+)+)+)+)+)+)+)+)+' (more than 1024 atoms: use fewer or "
		    "smaller {m,n})");
	/* one repetition after an escaped one is fine */
	CHECK(MATCHES("comm~ngin\\**x"));
	/* a group's size is its content's: (ab{1,30}){1,30} is 31 * 30 */
	CHECK(MATCHES("comm~(ab{1\\,30}){1\\,30}|^n"));
	CHECK(!MATCHES("comm~[a-f0-9]{64}"));
	CHECK(MATCHES("comm~^[[:alpha:]]{1\\,255}$"));
	/* a ']' first in a bracket is in the set, not its end */
	CHECK(MATCHES("comm~^[]n]g"));
}

TEST(test_filter_error_position_counts_utf8_characters)
{
	/* "é" is two bytes, one character */
	CHECK_ERROR("comm==\xc3\xa9,foo==1", "--filter: unknown field 'foo' at position 9 in 'comm==\xc3\xa9,foo==1'");
}

TEST(test_filter_error_message_stays_on_one_line)
{
	CHECK_ERROR("comm==a\nb,x", "--filter: expected an operator (==, !=, ~, !~, >, >=, <, <=) at position 12 in "
				    "'comm==a\\x0ab,x'");
}

TEST(test_filter_error_appends_to_err_and_accepts_null)
{
	struct strbuf err = {0};

	sb_adds(&err, "gadgetbox: ");
	errno = 0;
	CHECK(!filter_parse("pid", lookup, NULL, &err));
	CHECK_INT_EQ(errno, EINVAL);
	CHECK_SB_EQ(&err,
		    "gadgetbox: --filter: expected an operator (==, !=, ~, !~, >, >=, <, <=) at position 4 in 'pid'");
	sb_free(&err);
	errno = 0;
	CHECK(!filter_parse("pid==1,comm~(", lookup, NULL, NULL));
	CHECK_INT_EQ(errno, EINVAL);
}
