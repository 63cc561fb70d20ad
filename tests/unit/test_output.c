/* The shared output writer (common/cli/output.c): the exact bytes it writes in columns and JSON mode. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "unit.h"

/* A common table and an applet's table, shaped like event.c's and execsnoop.c's. */
enum {
	F_TIME,
	F_PID,
	F_COMM,
	F_RUNTIME_NAME,
	F_CONTAINER_ID,
	F_K8S_POD,
	F_COMMON_COUNT,
	F_RET = F_COMMON_COUNT,
	F_TRACE_ID,
	F_ARGS,
	F_COUNT,
};

static const struct out_field common_fields[F_COMMON_COUNT] = {
	[F_TIME] = {"time", "TIME", 8, OUT_F_COLONLY},
	[F_PID] = {"pid", "PID", 7, 0},
	[F_COMM] = {"comm", "PCOMM", 16, 0},
	[F_RUNTIME_NAME] = {"runtime.runtimeName", "RUNTIME", 10, 0},
	[F_CONTAINER_ID] = {"runtime.containerId", "CONTAINERID", 13, 0},
	[F_K8S_POD] = {"k8s.podName", "POD", 16, 0},
};

static const struct out_field own_fields[F_COUNT - F_COMMON_COUNT] = {
	[F_RET - F_COMMON_COUNT] = {"ret", "RET", 4, 0},
	[F_TRACE_ID - F_COMMON_COUNT] = {"traceId", "TRACEID", 8, OUT_F_JSONONLY},
	[F_ARGS - F_COMMON_COUNT] = {"args", "ARGS", 0, 0},
};

#define DEFAULT_COLS "time,pid,comm,ret,args"
#define HEADER	     "TIME     PID     PCOMM            RET  ARGS\n"

/* Each writer's temporary file, for written() and finish(). */
static struct {
	struct output *o;
	int fd;
} files[4];

static int fd_of(const struct output *o)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i].o == o)
			return files[i].fd;
	unit_fail(__FILE__, __LINE__, "a writer without a temporary file");
	return -1;
}

/* A writer into an unlinked temporary file, read back by written(); NULL if output_new() failed. */
static struct output *start_with(enum out_mode mode, const char *select, const char *default_cols, struct strbuf *err)
{
	FILE *f = tmpfile();
	int fd = f ? dup(fileno(f)) : -1;
	size_t slot = 0;

	if (f)
		fclose(f);
	while (slot < sizeof(files) / sizeof(files[0]) && files[slot].o)
		slot++;
	if (fd < 0 || slot == sizeof(files) / sizeof(files[0])) {
		unit_fail(__FILE__, __LINE__, "cannot create a temporary file");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct output *o = output_new("unit", mode, fd, common_fields, F_COMMON_COUNT, own_fields,
				      F_COUNT - F_COMMON_COUNT, select, default_cols, err);
	if (!o) {
		close(fd);
		return NULL;
	}
	files[slot].o = o;
	files[slot].fd = fd;
	return o;
}

static struct output *start(enum out_mode mode, const char *select)
{
	struct strbuf err = {0};
	struct output *o = start_with(mode, select, DEFAULT_COLS, &err);

	if (!o)
		unit_fail(__FILE__, __LINE__, "output_new failed: %s", sb_str(&err));
	sb_free(&err);
	return o;
}

static void finish(struct output *o)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i].o == o) {
			close(files[i].fd);
			files[i].o = NULL;
		}
	output_free(o);
}

/* Flush, then return (in @got) everything written since the last call. */
static void written(struct output *o, struct strbuf *got)
{
	char chunk[65536];
	ssize_t n;
	off_t off = 0;

	sb_reset(got);
	if (output_flush(o))
		unit_fail(__FILE__, __LINE__, "output_flush failed");
	while ((n = pread(fd_of(o), chunk, sizeof(chunk), off)) > 0) {
		sb_add(got, chunk, n);
		off += n;
	}
	if (ftruncate(fd_of(o), 0) || lseek(fd_of(o), 0, SEEK_SET))
		unit_fail(__FILE__, __LINE__, "cannot rewind the temporary file");
}

#define CHECK_WRITTEN(o, want)                                                                                         \
	do {                                                                                                           \
		struct strbuf _got = {0};                                                                              \
		written(o, &_got);                                                                                     \
		CHECK_SB_EQ(&_got, want);                                                                              \
		sb_free(&_got);                                                                                        \
	} while (0)

static struct out_strv strv(const char *buf, size_t size, unsigned count)
{
	return (struct out_strv){.buf = buf, .size = size, .count = count};
}

/* A list literal such as "ls\0-l\0": its size counts the final NUL but not the literal's own. */
#define STRV(lit, count) strv(lit, sizeof(lit) - 1, count)

TEST(test_output_columns_header_is_written_once_and_aligned_to_widths)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	struct out_strv args = STRV("ls\0-l\0", 2);
	for (int i = 0; i < 2; i++) {
		out_begin(o);
		out_str(o, F_TIME, "12:34:56");
		out_u64(o, F_PID, 42);
		out_str(o, F_COMM, "bash");
		out_s64(o, F_RET, 0);
		out_strv(o, F_ARGS, &args);
		out_end(o);
	}
	CHECK_WRITTEN(o, HEADER "12:34:56 42      bash             0    ls -l\n"
				"12:34:56 42      bash             0    ls -l\n");
	out_begin(o);
	out_u64(o, F_PID, 7);
	out_end(o);
	CHECK_WRITTEN(o, "-        7       -                -    -\n");
	finish(o);
}

TEST(test_output_columns_header_alone_before_any_row)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	output_header(o);
	output_header(o);
	CHECK_WRITTEN(o, HEADER);
	finish(o);
}

TEST(test_output_columns_show_dash_for_unset_values)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	out_begin(o);
	out_u64(o, F_PID, 42);
	out_end(o);
	/* out_begin() forgets the previous row's values */
	out_begin(o);
	out_end(o);
	CHECK_WRITTEN(o, HEADER "-        42      -                -    -\n"
				"-        -       -                -    -\n");
	finish(o);
}

TEST(test_output_columns_value_longer_than_width_pushes_next_column)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	out_begin(o);
	out_u64(o, F_PID, 1);
	out_str(o, F_COMM, "a-very-long-command-name");
	out_s64(o, F_RET, 0);
	out_end(o);
	CHECK_WRITTEN(o, HEADER "-        1       a-very-long-command-name 0    -\n");
	finish(o);
}

TEST(test_output_columns_a_longer_value_widens_its_column_for_the_rows_after_it)
{
	struct output *o;
	char hostile[100];

	REQUIRE(o = start(OUT_COLUMNS, "pid,comm,ret"));
	const char *comms[] = {"sh", "a-very-long-command-name", "sh"};
	for (size_t i = 0; i < 3; i++) {
		out_begin(o);
		out_u64(o, F_PID, i + 1);
		out_str(o, F_COMM, comms[i]);
		out_s64(o, F_RET, 0);
		out_end(o);
	}
	CHECK_WRITTEN(o, "PID     PCOMM            RET\n"
			 "1       sh               0\n"
			 "2       a-very-long-command-name 0\n"
			 "3       sh                       0\n");
	/* a value past the cap pushes its own row only */
	memset(hostile, 'x', sizeof(hostile) - 1);
	hostile[sizeof(hostile) - 1] = '\0';
	out_begin(o);
	out_u64(o, F_PID, 4);
	out_str(o, F_COMM, hostile);
	out_end(o);
	out_begin(o);
	out_u64(o, F_PID, 5);
	out_str(o, F_COMM, "sh");
	out_end(o);
	struct strbuf got = {0};
	written(o, &got);
	CHECK(strstr(sb_str(&got), "\n5       sh                       -\n") != NULL);
	sb_free(&got);
	finish(o);
}

TEST(test_output_columns_min_width_sizes_a_column_before_the_header)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, "comm,pid"));
	output_min_width(o, F_COMM, 20);
	output_min_width(o, F_COMM, 3); /* never narrower */
	out_begin(o);
	out_str(o, F_COMM, "sh");
	out_u64(o, F_PID, 1);
	out_end(o);
	CHECK_WRITTEN(o, "PCOMM                PID\n"
			 "sh                   1\n");
	finish(o);
}

TEST(test_output_columns_a_terminal_cuts_the_last_text_column_only)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	output_set_term_width(o, 44);
	struct out_strv args = STRV("cat\0/etc/a-rather-long-path\0", 2);
	out_begin(o);
	out_u64(o, F_PID, 42);
	out_str(o, F_COMM, "cat");
	out_s64(o, F_RET, 0);
	out_strv(o, F_ARGS, &args);
	out_end(o);
	/* 39 cells before ARGS: 5 of it fit a 44-column terminal */
	CHECK_WRITTEN(o, HEADER "-        42      cat              0    cat /\n");
	/* a number as the last column is never cut */
	finish(o);
	REQUIRE(o = start(OUT_COLUMNS, "comm,args,pid"));
	output_set_term_width(o, 10);
	out_begin(o);
	out_str(o, F_COMM, "cat");
	out_u64(o, F_PID, 123456789);
	out_end(o);
	CHECK_WRITTEN(o, "PCOMM            ARGS PID\n"
			 "cat              - 123456789\n");
	finish(o);
}

TEST(test_output_columns_a_terminal_cut_counts_characters_not_bytes)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, "ret,args"));
	output_set_term_width(o, 8);
	struct out_strv args = STRV("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\0", 1);
	out_begin(o);
	out_s64(o, F_RET, 0);
	out_strv(o, F_ARGS, &args);
	out_end(o);
	CHECK_WRITTEN(o, "RET  ARGS\n0    \xc3\xa9\xc3\xa9\xc3\xa9\n");
	finish(o);
}

TEST(test_output_columns_escape_strings_and_pad_by_display_cells)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	out_begin(o);
	out_u64(o, F_PID, 1);
	out_str(o, F_COMM, "caf\xc3\xa9"); /* 5 bytes, 4 cells */
	out_s64(o, F_RET, 0);
	out_end(o);
	out_begin(o);
	out_u64(o, F_PID, 1);
	out_strn(o, F_COMM, "a\nb\0c", 5);
	out_s64(o, F_RET, 0);
	out_end(o);
	CHECK_WRITTEN(o, HEADER "-        1       caf\xc3\xa9             0    -\n"
				"-        1       a\\nb\\x00c        0    -\n");
	finish(o);
}

TEST(test_output_columns_render_integers_and_booleans)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	out_begin(o);
	out_u64(o, F_PID, UINT64_MAX);
	out_s64(o, F_RET, -2);
	out_bool(o, F_ARGS, true);
	out_end(o);
	out_begin(o);
	out_s64(o, F_RET, INT64_MIN);
	out_bool(o, F_ARGS, false);
	out_end(o);
	CHECK_WRITTEN(o, HEADER "-        18446744073709551615 -                -2   true\n"
				"-        -                    -                -9223372036854775808 false\n");
	finish(o);
}

/* Renders @v alone, in the last (unpadded) column. */
static void check_args_column(const char *file, int line, const struct out_strv *v, const char *want)
{
	struct output *o;
	struct strbuf got = {0};

	if (!(o = start(OUT_COLUMNS, "args")))
		return;
	out_begin(o);
	out_strv(o, F_ARGS, v);
	out_end(o);
	written(o, &got);
	unit_check_mem(file, line, "args column", want, got.buf, got.len, want, strlen(want));
	sb_free(&got);
	finish(o);
}

#define CHECK_ARGS_COLUMN(v, want) check_args_column(__FILE__, __LINE__, v, "ARGS\n" want "\n")

TEST(test_output_columns_join_string_list_with_spaces)
{
	struct out_strv v = STRV("ls\0-l\0/tmp\0", 3);

	CHECK_ARGS_COLUMN(&v, "ls -l /tmp");
	v.count = 2; /* count limits the elements shown */
	CHECK_ARGS_COLUMN(&v, "ls -l");
	v = STRV("printf\0a\nb\0\x1b[2J\0", 3);
	CHECK_ARGS_COLUMN(&v, "printf a\\nb \\x1b[2J");
	v = STRV("a\0\0b\0", 3); /* an empty argument */
	CHECK_ARGS_COLUMN(&v, "a  b");
}

TEST(test_output_columns_quote_string_list_and_escape_embedded_quotes)
{
	struct out_strv v = STRV("echo\0say \"hi\"\0\"\0", 3);

	v.quote = true;
	CHECK_ARGS_COLUMN(&v, "\"echo\" \"say \\\"hi\\\"\" \"\\\"\"");
	v = STRV("a\\\"b\0", 1); /* a backslash before a quote stays unambiguous */
	v.quote = true;
	CHECK_ARGS_COLUMN(&v, "\"a\\\\\\\"b\"");
	v = STRV("x\0\0", 2);
	v.quote = true;
	CHECK_ARGS_COLUMN(&v, "\"x\" \"\"");
}

TEST(test_output_columns_mark_cut_elements_and_truncated_lists)
{
	struct out_strv v = STRV("ls\0-l\0/tmp\0", 3);

	v.cut_mask = 1 << 1;
	CHECK_ARGS_COLUMN(&v, "ls -l... /tmp");
	v.quote = true;
	CHECK_ARGS_COLUMN(&v, "\"ls\" \"-l\"... \"/tmp\"");
	v.quote = false;
	v.cut_mask = 0;
	v.truncated = true;
	CHECK_ARGS_COLUMN(&v, "ls -l /tmp ...");
	v.cut_mask = 1 << 2;
	CHECK_ARGS_COLUMN(&v, "ls -l /tmp... ...");
}

TEST(test_output_columns_string_list_whose_last_element_lacks_its_nul)
{
	/* an exactly sized heap copy, so reading past the end is an ASan error */
	static const char list[] = {'l', 's', '\0', '-', 'l', '"', 'x'};
	char *buf = malloc(sizeof(list));
	REQUIRE(buf);
	memcpy(buf, list, sizeof(list));

	struct out_strv v = strv(buf, sizeof(list), 2);
	CHECK_ARGS_COLUMN(&v, "ls -l\"x");
	v.quote = true;
	CHECK_ARGS_COLUMN(&v, "\"ls\" \"-l\\\"x\"");
	v.count = 5; /* a count larger than the buffer holds */
	CHECK_ARGS_COLUMN(&v, "\"ls\" \"-l\\\"x\"");
	free(buf);
}

TEST(test_output_columns_pad_string_list_by_its_display_cells)
{
	struct output *o;
	struct out_strv v = STRV("a\0b\"c\0", 2);

	v.quote = true;
	REQUIRE(o = start(OUT_COLUMNS, NULL));
	out_begin(o);
	out_strv(o, F_COMM, &v);
	out_end(o);
	CHECK_WRITTEN(o, HEADER "-        -       \"a\" \"b\\\"c\"       -    -\n");
	finish(o);
}

TEST(test_output_json_writes_one_object_per_line_in_table_order)
{
	struct output *o;
	struct out_strv args = STRV("ls\0-l\0", 2);

	REQUIRE(o = start(OUT_JSON, NULL));
	output_header(o); /* no header in JSON */
	out_begin(o);
	out_strv(o, F_ARGS, &args);
	out_s64(o, F_RET, -2);
	out_str(o, F_COMM, "bash");
	out_u64(o, F_PID, 42);
	out_str(o, F_TIME, "12:34:56"); /* a column-only field */
	out_end(o);
	out_begin(o);
	out_bool(o, F_RET, false);
	out_end(o);
	CHECK_WRITTEN(o, "{\"pid\":42,\"comm\":\"bash\",\"ret\":-2,\"args\":[\"ls\",\"-l\"]}\n"
			 "{\"ret\":false}\n");
	finish(o);
}

TEST(test_output_json_nests_group_fields_one_level)
{
	struct output *o;

	REQUIRE(o = start(OUT_JSON, NULL));
	out_begin(o);
	out_u64(o, F_PID, 1);
	out_str(o, F_RUNTIME_NAME, "docker");
	out_str(o, F_CONTAINER_ID, "abc");
	out_str(o, F_K8S_POD, "web-0");
	out_s64(o, F_RET, 0);
	out_end(o);
	CHECK_WRITTEN(o, "{\"pid\":1,\"runtime\":{\"runtimeName\":\"docker\",\"containerId\":\"abc\"},"
			 "\"k8s\":{\"podName\":\"web-0\"},\"ret\":0}\n");

	/* a group opened by its second field, first in the object, followed by a plain key */
	out_begin(o);
	out_str(o, F_CONTAINER_ID, "abc");
	out_s64(o, F_RET, 0);
	out_end(o);
	/* adjacent groups, the last one closing the object */
	out_begin(o);
	out_str(o, F_RUNTIME_NAME, "docker");
	out_str(o, F_K8S_POD, "web-0");
	out_end(o);
	out_begin(o);
	out_str(o, F_CONTAINER_ID, "abc");
	out_end(o);
	CHECK_WRITTEN(o, "{\"runtime\":{\"containerId\":\"abc\"},\"ret\":0}\n"
			 "{\"runtime\":{\"runtimeName\":\"docker\"},\"k8s\":{\"podName\":\"web-0\"}}\n"
			 "{\"runtime\":{\"containerId\":\"abc\"}}\n");
	finish(o);
}

/* The containers applet adds k8s.podUID in its own table: one "k8s" object, whatever lies between. */
TEST(test_output_json_group_split_across_tables_is_one_object)
{
	static const struct out_field split_own[] = {
		{"event", "EVENT", 7, 0},
		{"k8s.podUID", "PODUID", 36, 0},
	};
	struct output *o;
	struct strbuf err = {0};
	FILE *f = tmpfile();
	int fd = f ? dup(fileno(f)) : -1;

	if (f)
		fclose(f);
	REQUIRE(fd >= 0);
	o = output_new("unit", OUT_JSON, fd, common_fields, F_COMMON_COUNT, split_own, 2, NULL, "pid", &err);
	if (!o)
		close(fd);
	REQUIRE(o);
	files[0].o = o; /* for written() and finish() */
	files[0].fd = fd;
	out_begin(o);
	out_u64(o, F_PID, 7);
	out_str(o, F_K8S_POD, "web-0");
	out_str(o, F_COMMON_COUNT, "ADDED");
	out_str(o, F_COMMON_COUNT + 1, "u-1");
	out_end(o);
	CHECK_WRITTEN(o, "{\"pid\":7,\"k8s\":{\"podName\":\"web-0\",\"podUID\":\"u-1\"},\"event\":\"ADDED\"}\n");
	sb_free(&err);
	finish(o);
}

TEST(test_output_json_omits_unset_values)
{
	struct output *o;

	REQUIRE(o = start(OUT_JSON, NULL));
	out_begin(o);
	out_end(o);
	out_begin(o);
	out_str(o, F_COMM, "");
	out_end(o);
	CHECK_WRITTEN(o, "{}\n{\"comm\":\"\"}\n");
	finish(o);
}

TEST(test_output_json_escapes_strings_and_string_lists)
{
	struct output *o;
	struct out_strv args = STRV("a\"b\0\xff\x1b\0", 2);

	REQUIRE(o = start(OUT_JSON, NULL));
	out_begin(o);
	out_strn(o, F_COMM, "x\\\n\0\xe2\x80\xae", 7);
	out_strv(o, F_ARGS, &args);
	out_end(o);
	CHECK_WRITTEN(o, "{\"comm\":\"x\\\\\\n\\u0000\\u202e\",\"args\":[\"a\\\"b\",\"\\udcff\\u001b\"]}\n");
	finish(o);
}

/* Pre-rendered members (event.c's container cache) go in where their first field is; values of every kind
 * around a string that needs escaping halfway, long enough to grow the buffer. */
TEST(test_output_json_raw_members_numbers_and_escapes_mid_string)
{
	struct output *o;
	char long_comm[3000];

	memset(long_comm, 'a', sizeof(long_comm));
	long_comm[1500] = '"';
	REQUIRE(o = start(OUT_JSON, NULL));
	out_begin(o);
	out_u64(o, F_PID, UINT64_MAX);
	const char *members = "\"runtime\":{\"runtimeName\":\"docker\"}";
	out_raw(o, F_RUNTIME_NAME, members, strlen(members));
	out_s64(o, F_RET, INT64_MIN);
	out_bool(o, F_TRACE_ID, false);
	out_end(o);
	out_begin(o);
	out_strn(o, F_COMM, long_comm, sizeof(long_comm));
	out_str(o, F_K8S_POD, "p");
	out_s64(o, F_RET, -2);
	out_end(o);
	struct strbuf want = {0};
	sb_adds(&want, "{\"pid\":18446744073709551615,\"runtime\":{\"runtimeName\":\"docker\"},"
		       "\"ret\":-9223372036854775808,\"traceId\":false}\n{\"comm\":\"");
	sb_add(&want, long_comm, 1500);
	sb_adds(&want, "\\\"");
	sb_add(&want, long_comm + 1501, sizeof(long_comm) - 1501);
	sb_adds(&want, "\",\"k8s\":{\"podName\":\"p\"},\"ret\":-2}\n");
	struct strbuf got = {0};
	written(o, &got);
	unit_check_mem(__FILE__, __LINE__, "written", "want", got.buf, got.len, want.buf, want.len);
	sb_free(&got);
	sb_free(&want);
	finish(o);
}

TEST(test_output_json_string_list_has_no_cut_or_truncation_markers)
{
	struct output *o;
	struct out_strv args = STRV("ls\0-l\0", 2);

	args.cut_mask = 1;
	args.truncated = true;
	args.quote = true;
	REQUIRE(o = start(OUT_JSON, NULL));
	out_begin(o);
	out_strv(o, F_ARGS, &args);
	out_end(o);
	args = STRV("", 0);
	out_begin(o);
	out_strv(o, F_ARGS, &args);
	out_end(o);
	CHECK_WRITTEN(o, "{\"args\":[\"ls\",\"-l\"]}\n{\"args\":[]}\n");
	finish(o);
}

TEST(test_output_json_includes_json_only_fields)
{
	struct output *o;

	REQUIRE(o = start(OUT_JSON, NULL));
	out_begin(o);
	out_str(o, F_TRACE_ID, "t1");
	out_end(o);
	CHECK_WRITTEN(o, "{\"traceId\":\"t1\"}\n");
	finish(o);
}

TEST(test_output_fields_choose_columns_in_list_order)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, "ret,comm,pid"));
	out_begin(o);
	out_u64(o, F_PID, 42);
	out_str(o, F_COMM, "bash");
	out_s64(o, F_RET, 0);
	out_str(o, F_TIME, "12:34:56");
	out_end(o);
	CHECK_WRITTEN(o, "RET  PCOMM            PID\n"
			 "0    bash             42\n");
	finish(o);
}

TEST(test_output_fields_are_matched_case_insensitively)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, "PID,Runtime.ContainerID"));
	out_begin(o);
	out_u64(o, F_PID, 42);
	out_str(o, F_CONTAINER_ID, "abc");
	out_end(o);
	CHECK_WRITTEN(o, "PID     CONTAINERID\n"
			 "42      abc\n");
	finish(o);
}

TEST(test_output_fields_limit_json_to_the_selected_keys)
{
	struct output *o;

	REQUIRE(o = start(OUT_JSON, "ret,runtime.containerId"));
	out_begin(o);
	out_u64(o, F_PID, 42);
	out_str(o, F_RUNTIME_NAME, "docker");
	out_str(o, F_CONTAINER_ID, "abc");
	out_s64(o, F_RET, 0);
	out_str(o, F_TRACE_ID, "t1");
	out_end(o);
	CHECK_WRITTEN(o, "{\"runtime\":{\"containerId\":\"abc\"},\"ret\":0}\n");
	finish(o);
}

/* A field the format does not have is a usage error that lists the format's fields, not a field silently left
 * out (`-o json --fields container,args` used to drop container without a word). */
TEST(test_output_fields_column_only_field_in_json_is_an_error)
{
	struct strbuf err = {0};

	CHECK(!start_with(OUT_JSON, "time,pid", DEFAULT_COLS, &err));
	CHECK_STR_EQ(sb_str(&err), "field 'time' is a column only: not in JSON output; its fields: pid,comm,"
				   "runtime.runtimeName,runtime.containerId,k8s.podName,ret,traceId,args");
	sb_free(&err);
}

TEST(test_output_fields_json_only_field_in_columns_is_an_error)
{
	struct strbuf err = {0};

	CHECK(!start_with(OUT_COLUMNS, "traceId,pid", DEFAULT_COLS, &err));
	CHECK_STR_EQ(sb_str(&err), "field 'traceId' is in JSON only: not in columns output; its fields: time,pid,comm,"
				   "runtime.runtimeName,runtime.containerId,k8s.podName,ret,args");
	sb_free(&err);
}

TEST(test_output_fields_unknown_name_fails_and_names_it)
{
	struct strbuf err = {0};

	CHECK(!start_with(OUT_COLUMNS, "pid,bogus,comm", DEFAULT_COLS, &err));
	CHECK_STR_EQ(sb_str(&err), "unknown field 'bogus' in --fields; known fields: time,pid,comm,runtime.runtimeName,"
				   "runtime.containerId,k8s.podName,ret,args");
	sb_reset(&err);
	/* a prefix of a known name is not that name */
	CHECK(!start_with(OUT_JSON, "runtime", DEFAULT_COLS, &err));
	CHECK(!strncmp(sb_str(&err), "unknown field 'runtime' in --fields;", 36));
	sb_free(&err);
}

TEST(test_output_fields_unknown_default_column_is_an_internal_error)
{
	struct strbuf err = {0};

	CHECK(!start_with(OUT_COLUMNS, NULL, "pid,nope", &err));
	CHECK_STR_EQ(sb_str(&err), "internal error: unknown default field 'nope'");
	sb_free(&err);
}

TEST(test_output_wants_follows_mode_and_selection)
{
	struct output *o;

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	CHECK(out_wants(o, F_TIME));
	CHECK(out_wants(o, F_ARGS));
	CHECK(!out_wants(o, F_CONTAINER_ID));
	finish(o);

	REQUIRE(o = start(OUT_JSON, NULL));
	CHECK(!out_wants(o, F_TIME));
	CHECK(out_wants(o, F_CONTAINER_ID));
	CHECK(out_wants(o, F_TRACE_ID));
	finish(o);

	REQUIRE(o = start(OUT_JSON, "pid"));
	CHECK(out_wants(o, F_PID));
	CHECK(!out_wants(o, F_COMM));
	finish(o);
}

TEST(test_output_record_writes_a_json_line_and_nothing_in_columns)
{
	struct output *o;

	REQUIRE(o = start(OUT_JSON, NULL));
	out_record(o, "lost", "lost", 12, 1700000000123456789ull);
	CHECK_WRITTEN(o, "{\"type\":\"lost\",\"timestamp\":1700000000123456789,\"lost\":12}\n");
	finish(o);

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	out_record(o, "lost", "lost", 12, 1);
	CHECK_WRITTEN(o, "");
	finish(o);
}

TEST(test_output_end_flushes_once_the_buffer_is_large)
{
	struct output *o;
	char *big = malloc(20000);

	REQUIRE(big);
	memset(big, 'x', 20000);
	REQUIRE(o = start(OUT_JSON, NULL));
	for (int i = 0; i < 4; i++) {
		out_begin(o);
		out_strn(o, F_COMM, big, 20000);
		out_end(o);
	}
	/* 4 rows of 20012 bytes passed the 64 KiB mark: all of it is in the file already, nothing left buffered */
	CHECK_INT_EQ(lseek(fd_of(o), 0, SEEK_END), 4 * 20012);
	CHECK_INT_EQ(output_flush(o), 0);
	CHECK_INT_EQ(lseek(fd_of(o), 0, SEEK_END), 4 * 20012);
	finish(o);
	free(big);
}

TEST(test_output_flush_to_a_pipe_delivers_the_bytes)
{
	struct output *o;
	struct strbuf err = {0};
	int p[2];
	char got[64];

	REQUIRE(pipe(p) == 0);
	o = output_new("unit", OUT_JSON, p[1], common_fields, F_COMMON_COUNT, own_fields, F_COUNT - F_COMMON_COUNT,
		       NULL, DEFAULT_COLS, &err);
	REQUIRE(o);
	out_begin(o);
	out_u64(o, F_PID, 1);
	out_end(o);
	CHECK_INT_EQ(output_flush(o), 0);
	CHECK(!output_closed(o));
	ssize_t n = read(p[0], got, sizeof(got));
	CHECK_MEM_EQ(got, n > 0 ? (size_t)n : 0, "{\"pid\":1}\n", 10);
	close(p[0]);
	close(p[1]);
	output_free(o);
}

TEST(test_output_flush_to_a_pipe_whose_reader_is_gone_marks_output_closed)
{
	struct output *o;
	struct strbuf err = {0};
	int p[2];
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);

	REQUIRE(pipe(p) == 0);
	close(p[0]);
	o = output_new("unit", OUT_COLUMNS, p[1], common_fields, F_COMMON_COUNT, own_fields, F_COUNT - F_COMMON_COUNT,
		       NULL, DEFAULT_COLS, &err);
	REQUIRE(o);
	out_begin(o);
	out_u64(o, F_PID, 1);
	out_end(o);
	CHECK_INT_EQ(output_flush(o), -1);
	CHECK(output_closed(o));
	/* later rows (and records, and text) are dropped; the writer stays closed */
	out_begin(o);
	out_u64(o, F_PID, 2);
	out_end(o);
	out_text(o, "x\n", 2);
	CHECK(output_closed(o));
	CHECK_INT_EQ(output_flush(o), -1);
	close(p[1]);
	output_free(o);
	signal(SIGPIPE, old);
}

/* -o jsonpretty and -o yaml: a row with groups, a raw member and a list, two records and a caller's two JSON
 * lines, each reformatted on its own. */
static void write_every_shape(struct output *o)
{
	struct out_strv args = STRV("ls\0-l\0", 2);
	const char *runtime = "\"runtime\":{\"runtimeName\":\"docker\",\"containerId\":\"abc\"}";
	const char *text = "{\"type\":\"summary\",\"n\":1}\n{\"type\":\"summary\",\"n\":[]}\n";

	output_header(o); /* no header in any JSON style */
	out_begin(o);
	out_u64(o, F_PID, 42);
	out_str(o, F_COMM, "bash");
	out_raw(o, F_RUNTIME_NAME, runtime, strlen(runtime));
	out_str(o, F_K8S_POD, "web-0");
	out_s64(o, F_RET, -2);
	out_strv(o, F_ARGS, &args);
	out_str(o, F_TIME, "12:34:56"); /* a column-only field */
	out_end(o);
	out_record(o, "lost", "lost", 12, 5);
	out_record_str(o, "warning", "message", "say \"hi\"\n", 6);
	out_text(o, text, strlen(text));
}

TEST(test_output_json_pretty_indents_every_row_record_and_text_line)
{
	struct output *o;

	REQUIRE(o = start(OUT_JSON_PRETTY, NULL));
	CHECK(output_json(o));
	CHECK(out_wants(o, F_K8S_POD));
	CHECK(!out_wants(o, F_TIME));
	write_every_shape(o);
	CHECK_WRITTEN(o, "{\n"
			 "  \"pid\": 42,\n"
			 "  \"comm\": \"bash\",\n"
			 "  \"runtime\": {\n"
			 "    \"runtimeName\": \"docker\",\n"
			 "    \"containerId\": \"abc\"\n"
			 "  },\n"
			 "  \"k8s\": {\n"
			 "    \"podName\": \"web-0\"\n"
			 "  },\n"
			 "  \"ret\": -2,\n"
			 "  \"args\": [\n"
			 "    \"ls\",\n"
			 "    \"-l\"\n"
			 "  ]\n"
			 "}\n"
			 "{\n"
			 "  \"type\": \"lost\",\n"
			 "  \"timestamp\": 5,\n"
			 "  \"lost\": 12\n"
			 "}\n"
			 "{\n"
			 "  \"type\": \"warning\",\n"
			 "  \"timestamp\": 6,\n"
			 "  \"message\": \"say \\\"hi\\\"\\n\"\n"
			 "}\n"
			 "{\n"
			 "  \"type\": \"summary\",\n"
			 "  \"n\": 1\n"
			 "}\n"
			 "{\n"
			 "  \"type\": \"summary\",\n"
			 "  \"n\": []\n"
			 "}\n");
	finish(o);
}

TEST(test_output_yaml_writes_one_document_per_row_record_and_text_line)
{
	struct output *o;

	REQUIRE(o = start(OUT_YAML, NULL));
	CHECK(output_json(o));
	write_every_shape(o);
	CHECK_WRITTEN(o, "---\n"
			 "pid: 42\n"
			 "comm: \"bash\"\n"
			 "runtime:\n"
			 "  runtimeName: \"docker\"\n"
			 "  containerId: \"abc\"\n"
			 "k8s:\n"
			 "  podName: \"web-0\"\n"
			 "ret: -2\n"
			 "args:\n"
			 "  - \"ls\"\n"
			 "  - \"-l\"\n"
			 "---\n"
			 "type: \"lost\"\n"
			 "timestamp: 5\n"
			 "lost: 12\n"
			 "---\n"
			 "type: \"warning\"\n"
			 "timestamp: 6\n"
			 "message: \"say \\\"hi\\\"\\n\"\n"
			 "---\n"
			 "type: \"summary\"\n"
			 "\"n\": 1\n" /* YAML 1.1 would read a plain n as false */
			 "---\n"
			 "type: \"summary\"\n"
			 "\"n\": []\n");
	finish(o);
}

/* The same calls in compact JSON and in columns, for comparison: text as given, records only in JSON. */
TEST(test_output_json_and_columns_write_the_callers_text_as_given)
{
	struct output *o;

	REQUIRE(o = start(OUT_JSON, NULL));
	write_every_shape(o);
	CHECK_WRITTEN(o,
		      "{\"pid\":42,\"comm\":\"bash\",\"runtime\":{\"runtimeName\":\"docker\",\"containerId\":\"abc\"},"
		      "\"k8s\":{\"podName\":\"web-0\"},\"ret\":-2,\"args\":[\"ls\",\"-l\"]}\n"
		      "{\"type\":\"lost\",\"timestamp\":5,\"lost\":12}\n"
		      "{\"type\":\"warning\",\"timestamp\":6,\"message\":\"say \\\"hi\\\"\\n\"}\n"
		      "{\"type\":\"summary\",\"n\":1}\n{\"type\":\"summary\",\"n\":[]}\n");
	finish(o);

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	CHECK(!output_json(o));
	write_every_shape(o);
	CHECK_WRITTEN(o, HEADER "12:34:56 42      bash             -2   ls -l\n"
				"{\"type\":\"summary\",\"n\":1}\n{\"type\":\"summary\",\"n\":[]}\n");
	finish(o);
}

/* Text that is not JSON (or lacks its last newline) is written as it is, line by line, between documents. */
TEST(test_output_yaml_passes_text_that_is_not_json_through)
{
	struct output *o;
	const char *text = "not json\n{\"a\":1}\n{\"b\":2}";

	REQUIRE(o = start(OUT_YAML, NULL));
	out_text(o, text, strlen(text));
	CHECK_WRITTEN(o, "not json\n---\na: 1\n---\nb: 2\n");
	finish(o);
}

/* --filter: four processes, written as JSON with --fields pid so each row shows which one it is. */
static const struct proc {
	uint64_t pid;
	const char *comm, *pod; /* pod NULL: unset */
	const char *args;	/* NULL: unset */
	size_t args_size;
	unsigned argc;
} procs[] = {
	{9, "bash", "web-0", "ls\0-l\0", 6, 2},
	{10, "nginx", "web-1", "nginx\0-g\0daemon off;\0", 22, 3},
	{100, "systemd-journald", NULL, NULL, 0, 0},
	{7, "bash", "db-0", "bash\0", 5, 1},
};

static void write_procs(struct output *o)
{
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		const struct proc *p = &procs[i];
		out_begin(o);
		out_u64(o, F_PID, p->pid);
		out_str(o, F_COMM, p->comm);
		if (p->pod)
			out_str(o, F_K8S_POD, p->pod);
		if (p->args) {
			struct out_strv v = strv(p->args, p->args_size, p->argc);
			out_strv(o, F_ARGS, &v);
		}
		out_end(o);
	}
}

static void check_filter(const char *file, int line, enum out_mode mode, const char *select, const char *expr,
			 const char *want)
{
	struct output *o = start(mode, select);
	struct strbuf err = {0}, got = {0};

	if (!o)
		return;
	if (output_set_filter(o, expr, &err))
		unit_fail(file, line, "output_set_filter(\"%s\"): %s", expr, sb_str(&err));
	write_procs(o);
	written(o, &got);
	unit_check_mem(file, line, expr, want, got.buf, got.len, want, strlen(want));
	sb_free(&got);
	sb_free(&err);
	finish(o);
}

#define CHECK_FILTER(expr, want) check_filter(__FILE__, __LINE__, OUT_JSON, "pid", expr, want)

TEST(test_output_filter_keeps_rows_by_comparison_and_regex)
{
	CHECK_FILTER("pid==10", "{\"pid\":10}\n");
	CHECK_FILTER("pid!=10", "{\"pid\":9}\n{\"pid\":100}\n{\"pid\":7}\n");
	CHECK_FILTER("comm==bash", "{\"pid\":9}\n{\"pid\":7}\n");
	CHECK_FILTER("comm!=bash", "{\"pid\":10}\n{\"pid\":100}\n");
	CHECK_FILTER("comm~^(ng|sys)", "{\"pid\":10}\n{\"pid\":100}\n");
	CHECK_FILTER("comm~journal", "{\"pid\":100}\n");
	CHECK_FILTER("comm!~[abn]", "");
	/* numbers compare as numbers (as text, "9" > "10") */
	CHECK_FILTER("pid>9", "{\"pid\":10}\n{\"pid\":100}\n");
	CHECK_FILTER("pid>=10,pid<100", "{\"pid\":10}\n");
	CHECK_FILTER("pid<=9", "{\"pid\":9}\n{\"pid\":7}\n");
	CHECK_FILTER("pid==11", "");
}

TEST(test_output_filter_on_a_group_key_and_an_unset_value)
{
	CHECK_FILTER("k8s.podName~^web-", "{\"pid\":9}\n{\"pid\":10}\n");
	CHECK_FILTER("k8s.podName==db-0", "{\"pid\":7}\n");
	CHECK_FILTER("K8S.PODNAME==db-0", "{\"pid\":7}\n");
	/* an unset value equals nothing: only != and !~ let its row through */
	CHECK_FILTER("k8s.podName!=web-0", "{\"pid\":10}\n{\"pid\":100}\n{\"pid\":7}\n");
	CHECK_FILTER("k8s.podName!~web", "{\"pid\":100}\n{\"pid\":7}\n");
	CHECK_FILTER("k8s.podName~.", "{\"pid\":9}\n{\"pid\":10}\n{\"pid\":7}\n");
	CHECK_FILTER("k8s.podName==", "");
}

TEST(test_output_filter_on_a_column_header_name)
{
	CHECK_FILTER("PCOMM==bash", "{\"pid\":9}\n{\"pid\":7}\n");
	CHECK_FILTER("pcomm!=bash,POD~web", "{\"pid\":10}\n");
	/* in columns too, with the fixed widths of a stream */
	check_filter(__FILE__, __LINE__, OUT_COLUMNS, NULL, "PCOMM==bash",
		     HEADER "-        9       bash             -    ls -l\n"
			    "-        7       bash             -    bash\n");
}

/* A list is matched as its elements joined with spaces, as its column shows it (without quotes or markers). */
TEST(test_output_filter_on_a_string_list_matches_its_elements_joined_with_spaces)
{
	CHECK_FILTER("args==ls -l", "{\"pid\":9}\n");
	CHECK_FILTER("args==nginx -g daemon off;", "{\"pid\":10}\n");
	CHECK_FILTER("args~-g daemon", "{\"pid\":10}\n");
	CHECK_FILTER("args~^bash$", "{\"pid\":7}\n");
	CHECK_FILTER("args!=bash", "{\"pid\":9}\n{\"pid\":10}\n{\"pid\":100}\n");
	CHECK_FILTER("args==ls", "");
}

TEST(test_output_filter_reads_a_field_that_fields_did_not_select)
{
	struct output *o;
	struct strbuf err = {0};

	REQUIRE(o = start(OUT_COLUMNS, "pid"));
	CHECK(!out_wants(o, F_COMM));
	CHECK(!out_wants(o, F_K8S_POD));
	CHECK_INT_EQ(output_set_filter(o, "comm==bash,k8s.podName~web", &err), 0);
	CHECK_STR_EQ(sb_str(&err), "");
	CHECK(out_wants(o, F_COMM));
	CHECK(out_wants(o, F_K8S_POD));
	CHECK(!out_wants(o, F_ARGS));
	CHECK(output_filter(o) != NULL);
	write_procs(o);
	CHECK_WRITTEN(o, "PID\n9\n");
	finish(o);

	/* in JSON, the filtered field stays out of the record */
	REQUIRE(o = start(OUT_JSON, "pid"));
	CHECK(output_filter(o) == NULL);
	CHECK(!out_wants(o, F_ARGS));
	CHECK_INT_EQ(output_set_filter(o, "args~^nginx", &err), 0);
	CHECK(out_wants(o, F_ARGS));
	write_procs(o);
	CHECK_WRITTEN(o, "{\"pid\":10}\n");
	finish(o);
	sb_free(&err);
}

TEST(test_output_filter_unknown_field_lists_the_known_fields)
{
	struct output *o;
	struct strbuf err = {0};

	REQUIRE(o = start(OUT_JSON, NULL));
	CHECK_INT_EQ(output_set_filter(o, "pid==1,foo==1", &err), -1);
	CHECK_STR_EQ(sb_str(&err),
		     "--filter: unknown field 'foo' at position 8 in 'pid==1,foo==1'; known fields: time,pid,"
		     "comm,runtime.runtimeName,runtime.containerId,k8s.podName,ret,traceId,args");
	finish(o);

	/* other errors are the filter's alone, even when the expression says "unknown field" */
	sb_free(&err);
	REQUIRE(o = start(OUT_JSON, NULL));
	CHECK_INT_EQ(output_set_filter(o, "pid=5", &err), -1);
	CHECK_STR_EQ(sb_str(&err), "--filter: unknown operator '=' at position 4 in 'pid=5' (did you mean '=='?)");
	finish(o);
	sb_free(&err);
	REQUIRE(o = start(OUT_JSON, NULL));
	CHECK_INT_EQ(output_set_filter(o, "comm=unknown field", &err), -1);
	CHECK_STR_EQ(sb_str(&err), "--filter: unknown operator '=' at position 5 in 'comm=unknown field' (did you mean "
				   "'=='?)");
	finish(o);

	/* appended to what @err already holds */
	sb_reset(&err);
	sb_adds(&err, "x: ");
	REQUIRE(o = start(OUT_JSON, NULL));
	CHECK_INT_EQ(output_set_filter(o, "podName==a", &err), -1);
	CHECK_STR_EQ(sb_str(&err),
		     "x: --filter: unknown field 'podName' at position 1 in 'podName==a'; known fields: "
		     "time,pid,comm,runtime.runtimeName,runtime.containerId,k8s.podName,ret,traceId,args");
	finish(o);
	sb_free(&err);
}

/* --sort and --max-entries: the same four processes in a snapshot, with columns fitted to the rows shown. */
static void check_sort(const char *file, int line, enum out_mode mode, const char *select, const char *spec,
		       size_t max_entries, const char *want)
{
	struct output *o = start(mode, select);
	struct strbuf err = {0}, got = {0};

	if (!o)
		return;
	if (output_set_sort(o, spec, max_entries, &err))
		unit_fail(file, line, "output_set_sort(\"%s\"): %s", spec ? spec : "(null)", sb_str(&err));
	output_snapshot_begin(o);
	output_header(o); /* the snapshot writes its own, fitted */
	write_procs(o);
	written(o, &got); /* nothing before the snapshot ends */
	unit_check_mem(file, line, "before output_snapshot_end", "\"\"", got.buf, got.len, "", 0);
	output_snapshot_end(o);
	written(o, &got);
	unit_check_mem(file, line, spec ? spec : "(no sort)", want, got.buf, got.len, want, strlen(want));
	sb_free(&got);
	sb_free(&err);
	finish(o);
}

#define SORT_COLS		    "pid,comm,k8s.podName"
#define CHECK_SORT(spec, max, want) check_sort(__FILE__, __LINE__, OUT_COLUMNS, SORT_COLS, spec, max, want)

TEST(test_output_sort_ascending_and_descending_in_columns)
{
	CHECK_SORT(NULL, 0,
		   "PID PCOMM            POD\n"
		   "9   bash             web-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n"
		   "7   bash             db-0\n");
	/* numbers as numbers (as text: 10, 100, 7, 9) */
	CHECK_SORT("pid", 0,
		   "PID PCOMM            POD\n"
		   "7   bash             db-0\n"
		   "9   bash             web-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n");
	CHECK_SORT("-pid", 0,
		   "PID PCOMM            POD\n"
		   "100 systemd-journald -\n"
		   "10  nginx            web-1\n"
		   "9   bash             web-0\n"
		   "7   bash             db-0\n");
	CHECK_SORT("+PID", 0,
		   "PID PCOMM            POD\n"
		   "7   bash             db-0\n"
		   "9   bash             web-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n");
}

TEST(test_output_sort_ties_keep_arrival_order_and_a_second_key_breaks_them)
{
	CHECK_SORT("comm", 0,
		   "PID PCOMM            POD\n"
		   "9   bash             web-0\n"
		   "7   bash             db-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n");
	/* descending reverses the keys, not the ties */
	CHECK_SORT("-comm", 0,
		   "PID PCOMM            POD\n"
		   "100 systemd-journald -\n"
		   "10  nginx            web-1\n"
		   "9   bash             web-0\n"
		   "7   bash             db-0\n");
	CHECK_SORT("comm,pid", 0,
		   "PID PCOMM            POD\n"
		   "7   bash             db-0\n"
		   "9   bash             web-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n");
	CHECK_SORT("-comm,pid", 0,
		   "PID PCOMM            POD\n"
		   "100 systemd-journald -\n"
		   "10  nginx            web-1\n"
		   "7   bash             db-0\n"
		   "9   bash             web-0\n");
	CHECK_SORT("comm,-k8s.podName", 0,
		   "PID PCOMM            POD\n"
		   "9   bash             web-0\n"
		   "7   bash             db-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n");
}

TEST(test_output_sort_puts_a_missing_value_last_in_either_direction)
{
	CHECK_SORT("k8s.podName", 0,
		   "PID PCOMM            POD\n"
		   "7   bash             db-0\n"
		   "9   bash             web-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n");
	CHECK_SORT("-POD", 0,
		   "PID PCOMM            POD\n"
		   "10  nginx            web-1\n"
		   "9   bash             web-0\n"
		   "7   bash             db-0\n"
		   "100 systemd-journald -\n");
	/* a list sorts by its elements joined with spaces; the row without one comes last */
	CHECK_SORT("args", 0,
		   "PID PCOMM            POD\n"
		   "7   bash             db-0\n"
		   "9   bash             web-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n");
}

/* The header and every column are as wide as the rows shown, not the rows cut. */
TEST(test_output_max_entries_cuts_after_sorting_and_columns_fit_what_is_left)
{
	CHECK_SORT("pid", 2,
		   "PID PCOMM POD\n"
		   "7   bash  db-0\n"
		   "9   bash  web-0\n");
	CHECK_SORT("-pid", 1,
		   "PID PCOMM            POD\n"
		   "100 systemd-journald -\n");
	/* no sort: the first rows as they came */
	CHECK_SORT(NULL, 3,
		   "PID PCOMM            POD\n"
		   "9   bash             web-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n");
	CHECK_SORT("comm", 4,
		   "PID PCOMM            POD\n"
		   "9   bash             web-0\n"
		   "7   bash             db-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n");
	CHECK_SORT("comm", 99,
		   "PID PCOMM            POD\n"
		   "9   bash             web-0\n"
		   "7   bash             db-0\n"
		   "10  nginx            web-1\n"
		   "100 systemd-journald -\n");
}

TEST(test_output_sort_and_max_entries_in_json)
{
	check_sort(__FILE__, __LINE__, OUT_JSON, "pid,comm", "-pid", 3,
		   "{\"pid\":100,\"comm\":\"systemd-journald\"}\n"
		   "{\"pid\":10,\"comm\":\"nginx\"}\n"
		   "{\"pid\":9,\"comm\":\"bash\"}\n");
	/* by a field --fields left out of the records */
	check_sort(__FILE__, __LINE__, OUT_JSON, "pid", "k8s.podName", 0,
		   "{\"pid\":7}\n{\"pid\":9}\n{\"pid\":10}\n{\"pid\":100}\n");
	check_sort(__FILE__, __LINE__, OUT_JSON, "pid", "comm,-pid", 2, "{\"pid\":9}\n{\"pid\":7}\n");
	check_sort(__FILE__, __LINE__, OUT_YAML, "pid,k8s.podName", "-pid", 2,
		   "---\npid: 100\n---\npid: 10\nk8s:\n  podName: \"web-1\"\n");
}

/* A field that holds numbers in some rows and text in others: numbers first, compared as numbers across
 * signedness (booleans as 0 and 1), then text compared bytewise ("10" before "9"); unset last. */
TEST(test_output_sort_numbers_before_text_and_text_bytewise)
{
	struct output *o;
	struct strbuf err = {0};

	REQUIRE(o = start(OUT_COLUMNS, "pid,ret"));
	REQUIRE(output_set_sort(o, "ret", 0, &err) == 0);
	for (int dir = 0; dir < 2; dir++) {
		output_snapshot_begin(o);
		for (uint64_t pid = 1; pid <= 8; pid++) {
			out_begin(o);
			out_u64(o, F_PID, pid);
			switch (pid) {
			case 1: out_str(o, F_RET, "9"); break;
			case 2: out_u64(o, F_RET, UINT64_MAX); break;
			case 3: break;
			case 4: out_str(o, F_RET, "10"); break;
			case 5: out_s64(o, F_RET, -2); break;
			case 6: out_bool(o, F_RET, true); break;
			case 7: out_u64(o, F_RET, 0); break;
			case 8: out_s64(o, F_RET, INT64_MIN); break;
			}
			out_end(o);
		}
		output_snapshot_end(o);
		if (!dir) {
			CHECK_WRITTEN(o, "PID RET\n"
					 "8   -9223372036854775808\n"
					 "5   -2\n"
					 "7   0\n"
					 "6   true\n"
					 "2   18446744073709551615\n"
					 "4   10\n"
					 "1   9\n"
					 "3   -\n");
			finish(o);
			REQUIRE(o = start(OUT_COLUMNS, "pid,ret"));
			REQUIRE(output_set_sort(o, "-ret", 0, &err) == 0);
		} else {
			CHECK_WRITTEN(o, "PID RET\n"
					 "1   9\n"
					 "4   10\n"
					 "2   18446744073709551615\n"
					 "6   true\n"
					 "7   0\n"
					 "5   -2\n"
					 "8   -9223372036854775808\n"
					 "3   -\n");
		}
	}
	finish(o);
	sb_free(&err);
}

/* Rows the filter drops take no place among --max-entries; a second snapshot starts afresh. */
TEST(test_output_snapshot_with_filter_and_a_second_snapshot)
{
	struct output *o;
	struct strbuf err = {0};

	REQUIRE(o = start(OUT_COLUMNS, SORT_COLS));
	REQUIRE(output_set_filter(o, "comm!=bash", &err) == 0);
	REQUIRE(output_set_sort(o, "pid", 1, &err) == 0);
	output_snapshot_begin(o);
	write_procs(o);
	output_snapshot_end(o);
	CHECK_WRITTEN(o, "PID PCOMM POD\n"
			 "10  nginx web-1\n");
	output_snapshot_begin(o);
	out_begin(o);
	out_u64(o, F_PID, 12345);
	out_str(o, F_COMM, "x");
	out_end(o);
	output_snapshot_end(o);
	CHECK_WRITTEN(o, "PID   PCOMM POD\n"
			 "12345 x     -\n");
	/* rows that follow a snapshot (containers --watch) keep its widths, so they line up under it */
	out_begin(o);
	out_u64(o, F_PID, 1);
	out_str(o, F_COMM, "y");
	out_end(o);
	CHECK_WRITTEN(o, "1     y     -\n");
	finish(o);
	sb_free(&err);
}

TEST(test_output_sort_unknown_or_empty_field_fails)
{
	struct output *o;
	struct strbuf err = {0};

	REQUIRE(o = start(OUT_COLUMNS, NULL));
	CHECK_INT_EQ(output_set_sort(o, "pid,-bogus", 0, &err), -1);
	CHECK_STR_EQ(sb_str(&err),
		     "--sort: unknown field 'bogus' at position 6 in 'pid,-bogus'; known fields: time,pid,"
		     "comm,runtime.runtimeName,runtime.containerId,k8s.podName,ret,traceId,args");
	finish(o);

	sb_reset(&err);
	REQUIRE(o = start(OUT_COLUMNS, NULL));
	CHECK_INT_EQ(output_set_sort(o, "pid,,comm", 0, &err), -1);
	CHECK_STR_EQ(sb_str(&err), "--sort: empty field name at position 5 in 'pid,,comm'");
	finish(o);

	sb_reset(&err);
	REQUIRE(o = start(OUT_COLUMNS, NULL));
	CHECK_INT_EQ(output_set_sort(o, "-", 0, &err), -1);
	CHECK_STR_EQ(sb_str(&err), "--sort: empty field name at position 1 in '-'");
	finish(o);
	sb_free(&err);
}

/* event.c's container cache: members rendered from values of their own, nested as in its process cache. */
struct members {
	const char *runtime, *id, *pod;
};

static void fill_members(struct output *o, const void *arg)
{
	const struct members *m = arg;

	out_str(o, F_RUNTIME_NAME, m->runtime);
	out_str(o, F_CONTAINER_ID, m->id);
	if (m->pod)
		out_str(o, F_K8S_POD, m->pod);
}

static void fill_nothing(struct output *o, const void *arg)
{
	(void)o, (void)arg;
}

struct process {
	struct members container;
	struct strbuf *inner;
};

/* The process's members with its container's, pre-rendered by an inner call, as one raw piece. */
static void fill_process(struct output *o, const void *arg)
{
	const struct process *p = arg;

	out_u64(o, F_PID, 5);
	out_str(o, F_COMM, "sh");
	out_json_members_of(o, F_RUNTIME_NAME, F_K8S_POD, fill_members, &p->container, p->inner);
	out_raw(o, F_RUNTIME_NAME, p->inner->buf, p->inner->len);
}

TEST(test_output_json_members_of_leave_the_current_row_untouched)
{
	struct output *o;
	struct strbuf sb = {0}, outer = {0}, inner = {0};
	struct members m = {"docker", "abc", "web-0"};
	struct process proc = {{"cri-o", "def", NULL}, &inner};

	REQUIRE(o = start(OUT_JSON, NULL));
	out_begin(o);
	out_u64(o, F_PID, 1);
	out_str(o, F_COMM, "bash");
	out_str(o, F_CONTAINER_ID, "old");
	out_str(o, F_K8S_POD, "p");
	out_s64(o, F_RET, 0);
	out_json_members_of(o, F_RUNTIME_NAME, F_K8S_POD, fill_members, &m, &sb);
	CHECK_SB_EQ(&sb,
		    "\"runtime\":{\"runtimeName\":\"docker\",\"containerId\":\"abc\"},\"k8s\":{\"podName\":\"web-0\"}");
	/* a fill that sets nothing renders nothing; the row's own values do not leak in */
	out_json_members_of(o, F_RUNTIME_NAME, F_K8S_POD, fill_nothing, NULL, &sb);
	CHECK_SB_EQ(&sb,
		    "\"runtime\":{\"runtimeName\":\"docker\",\"containerId\":\"abc\"},\"k8s\":{\"podName\":\"web-0\"}");
	/* nested, as event.c's process cache holds its container's members */
	out_json_members_of(o, F_PID, F_K8S_POD, fill_process, &proc, &outer);
	CHECK_SB_EQ(&outer,
		    "\"pid\":5,\"comm\":\"sh\",\"runtime\":{\"runtimeName\":\"cri-o\",\"containerId\":\"def\"}");
	out_end(o);
	CHECK_WRITTEN(o,
		      "{\"pid\":1,\"comm\":\"bash\",\"runtime\":{\"containerId\":\"old\"},\"k8s\":{\"podName\":\"p\"},"
		      "\"ret\":0}\n");
	/* the pieces go in with out_raw() */
	out_begin(o);
	out_raw(o, F_RUNTIME_NAME, sb.buf, sb.len);
	out_s64(o, F_RET, -1);
	out_end(o);
	out_begin(o);
	out_raw(o, F_PID, outer.buf, outer.len);
	out_end(o);
	CHECK_WRITTEN(
		o, "{\"runtime\":{\"runtimeName\":\"docker\",\"containerId\":\"abc\"},\"k8s\":{\"podName\":\"web-0\"},"
		   "\"ret\":-1}\n"
		   "{\"pid\":5,\"comm\":\"sh\",\"runtime\":{\"runtimeName\":\"cri-o\",\"containerId\":\"def\"}}\n");
	sb_free(&sb);
	sb_free(&outer);
	sb_free(&inner);
	finish(o);
}

/* --fields narrows the members too. */
TEST(test_output_json_members_of_follow_the_selected_fields)
{
	struct output *o;
	struct strbuf sb = {0};
	struct members m = {"docker", "abc", "web-0"};

	REQUIRE(o = start(OUT_JSON, "pid,k8s.podName"));
	out_begin(o);
	out_json_members_of(o, F_RUNTIME_NAME, F_K8S_POD, fill_members, &m, &sb);
	CHECK_SB_EQ(&sb, "\"k8s\":{\"podName\":\"web-0\"}");
	sb_free(&sb);
	finish(o);
}
