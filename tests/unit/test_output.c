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

/* Writes into an unlinked temporary file, read back by written(). */
static int start_with(struct output *o, enum out_mode mode, const char *select, const char *default_cols,
		      struct strbuf *err)
{
	FILE *f = tmpfile();
	int fd = f ? dup(fileno(f)) : -1;

	if (f)
		fclose(f);
	if (fd < 0) {
		unit_fail(__FILE__, __LINE__, "cannot create a temporary file");
		return -2;
	}
	int rc = output_init(o, "unit", mode, fd, common_fields, F_COMMON_COUNT, own_fields, F_COUNT - F_COMMON_COUNT,
			     select, default_cols, err);
	if (rc)
		close(fd);
	return rc;
}

static int start(struct output *o, enum out_mode mode, const char *select)
{
	struct strbuf err = {0};
	int rc = start_with(o, mode, select, DEFAULT_COLS, &err);

	if (rc == -1)
		unit_fail(__FILE__, __LINE__, "output_init failed: %s", sb_str(&err));
	sb_free(&err);
	return rc;
}

static void finish(struct output *o)
{
	close(o->fd);
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
	while ((n = pread(o->fd, chunk, sizeof(chunk), off)) > 0) {
		sb_add(got, chunk, n);
		off += n;
	}
	if (ftruncate(o->fd, 0) || lseek(o->fd, 0, SEEK_SET))
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

TEST(test_columns_header_is_written_once_and_aligned_to_widths)
{
	struct output o;

	REQUIRE(start(&o, OUT_COLUMNS, NULL) == 0);
	struct out_strv args = STRV("ls\0-l\0", 2);
	for (int i = 0; i < 2; i++) {
		out_begin(&o);
		out_str(&o, F_TIME, "12:34:56");
		out_u64(&o, F_PID, 42);
		out_str(&o, F_COMM, "bash");
		out_s64(&o, F_RET, 0);
		out_strv(&o, F_ARGS, &args);
		out_end(&o);
	}
	CHECK_WRITTEN(&o, HEADER "12:34:56 42      bash             0    ls -l\n"
				 "12:34:56 42      bash             0    ls -l\n");
	out_begin(&o);
	out_u64(&o, F_PID, 7);
	out_end(&o);
	CHECK_WRITTEN(&o, "-        7       -                -    -\n");
	finish(&o);
}

TEST(test_columns_header_alone_before_any_row)
{
	struct output o;

	REQUIRE(start(&o, OUT_COLUMNS, NULL) == 0);
	output_header(&o);
	output_header(&o);
	CHECK_WRITTEN(&o, HEADER);
	finish(&o);
}

TEST(test_columns_show_dash_for_unset_values)
{
	struct output o;

	REQUIRE(start(&o, OUT_COLUMNS, NULL) == 0);
	out_begin(&o);
	out_u64(&o, F_PID, 42);
	out_end(&o);
	/* out_begin() forgets the previous row's values */
	out_begin(&o);
	out_end(&o);
	CHECK_WRITTEN(&o, HEADER "-        42      -                -    -\n"
				 "-        -       -                -    -\n");
	finish(&o);
}

TEST(test_columns_value_longer_than_width_pushes_next_column)
{
	struct output o;

	REQUIRE(start(&o, OUT_COLUMNS, NULL) == 0);
	out_begin(&o);
	out_u64(&o, F_PID, 1);
	out_str(&o, F_COMM, "a-very-long-command-name");
	out_s64(&o, F_RET, 0);
	out_end(&o);
	CHECK_WRITTEN(&o, HEADER "-        1       a-very-long-command-name 0    -\n");
	finish(&o);
}

TEST(test_columns_escape_strings_and_pad_by_display_cells)
{
	struct output o;

	REQUIRE(start(&o, OUT_COLUMNS, NULL) == 0);
	out_begin(&o);
	out_u64(&o, F_PID, 1);
	out_str(&o, F_COMM, "caf\xc3\xa9"); /* 5 bytes, 4 cells */
	out_s64(&o, F_RET, 0);
	out_end(&o);
	out_begin(&o);
	out_u64(&o, F_PID, 1);
	out_strn(&o, F_COMM, "a\nb\0c", 5);
	out_s64(&o, F_RET, 0);
	out_end(&o);
	CHECK_WRITTEN(&o, HEADER "-        1       caf\xc3\xa9             0    -\n"
				 "-        1       a\\nb\\x00c        0    -\n");
	finish(&o);
}

TEST(test_columns_render_integers_and_booleans)
{
	struct output o;

	REQUIRE(start(&o, OUT_COLUMNS, NULL) == 0);
	out_begin(&o);
	out_u64(&o, F_PID, UINT64_MAX);
	out_s64(&o, F_RET, -2);
	out_bool(&o, F_ARGS, true);
	out_end(&o);
	out_begin(&o);
	out_s64(&o, F_RET, INT64_MIN);
	out_bool(&o, F_ARGS, false);
	out_end(&o);
	CHECK_WRITTEN(&o, HEADER "-        18446744073709551615 -                -2   true\n"
				 "-        -       -                -9223372036854775808 false\n");
	finish(&o);
}

/* Renders @v alone, in the last (unpadded) column. */
static void check_args_column(const char *file, int line, const struct out_strv *v, const char *want)
{
	struct output o;
	struct strbuf got = {0};

	if (start(&o, OUT_COLUMNS, "args") != 0)
		return;
	out_begin(&o);
	out_strv(&o, F_ARGS, v);
	out_end(&o);
	written(&o, &got);
	unit_check_mem(file, line, "args column", want, got.buf, got.len, want, strlen(want));
	sb_free(&got);
	finish(&o);
}

#define CHECK_ARGS_COLUMN(v, want) check_args_column(__FILE__, __LINE__, v, "ARGS\n" want "\n")

TEST(test_columns_join_string_list_with_spaces)
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

TEST(test_columns_quote_string_list_and_escape_embedded_quotes)
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

TEST(test_columns_mark_cut_elements_and_truncated_lists)
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

TEST(test_columns_string_list_whose_last_element_lacks_its_nul)
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

TEST(test_columns_pad_string_list_by_its_display_cells)
{
	struct output o;
	struct out_strv v = STRV("a\0b\"c\0", 2);

	v.quote = true;
	REQUIRE(start(&o, OUT_COLUMNS, NULL) == 0);
	out_begin(&o);
	out_strv(&o, F_COMM, &v);
	out_end(&o);
	CHECK_WRITTEN(&o, HEADER "-        -       \"a\" \"b\\\"c\"       -    -\n");
	finish(&o);
}

TEST(test_json_writes_one_object_per_line_in_table_order)
{
	struct output o;
	struct out_strv args = STRV("ls\0-l\0", 2);

	REQUIRE(start(&o, OUT_JSON, NULL) == 0);
	output_header(&o); /* no header in JSON */
	out_begin(&o);
	out_strv(&o, F_ARGS, &args);
	out_s64(&o, F_RET, -2);
	out_str(&o, F_COMM, "bash");
	out_u64(&o, F_PID, 42);
	out_str(&o, F_TIME, "12:34:56"); /* a column-only field */
	out_end(&o);
	out_begin(&o);
	out_bool(&o, F_RET, false);
	out_end(&o);
	CHECK_WRITTEN(&o, "{\"pid\":42,\"comm\":\"bash\",\"ret\":-2,\"args\":[\"ls\",\"-l\"]}\n"
			  "{\"ret\":false}\n");
	finish(&o);
}

TEST(test_json_nests_group_fields_one_level)
{
	struct output o;

	REQUIRE(start(&o, OUT_JSON, NULL) == 0);
	out_begin(&o);
	out_u64(&o, F_PID, 1);
	out_str(&o, F_RUNTIME_NAME, "docker");
	out_str(&o, F_CONTAINER_ID, "abc");
	out_str(&o, F_K8S_POD, "web-0");
	out_s64(&o, F_RET, 0);
	out_end(&o);
	CHECK_WRITTEN(&o, "{\"pid\":1,\"runtime\":{\"runtimeName\":\"docker\",\"containerId\":\"abc\"},"
			  "\"k8s\":{\"podName\":\"web-0\"},\"ret\":0}\n");

	/* a group opened by its second field, first in the object, followed by a plain key */
	out_begin(&o);
	out_str(&o, F_CONTAINER_ID, "abc");
	out_s64(&o, F_RET, 0);
	out_end(&o);
	/* adjacent groups, the last one closing the object */
	out_begin(&o);
	out_str(&o, F_RUNTIME_NAME, "docker");
	out_str(&o, F_K8S_POD, "web-0");
	out_end(&o);
	out_begin(&o);
	out_str(&o, F_CONTAINER_ID, "abc");
	out_end(&o);
	CHECK_WRITTEN(&o, "{\"runtime\":{\"containerId\":\"abc\"},\"ret\":0}\n"
			  "{\"runtime\":{\"runtimeName\":\"docker\"},\"k8s\":{\"podName\":\"web-0\"}}\n"
			  "{\"runtime\":{\"containerId\":\"abc\"}}\n");
	finish(&o);
}

/* The containers applet adds k8s.podUID in its own table: one "k8s" object, whatever lies between. */
TEST(test_json_group_split_across_tables_is_one_object)
{
	static const struct out_field split_own[] = {
		{"event", "EVENT", 7, 0},
		{"k8s.podUID", "PODUID", 36, 0},
	};
	struct output o;
	struct strbuf err = {0};
	FILE *f = tmpfile();
	int fd = f ? dup(fileno(f)) : -1;

	if (f)
		fclose(f);
	REQUIRE(fd >= 0);
	REQUIRE(output_init(&o, "unit", OUT_JSON, fd, common_fields, F_COMMON_COUNT, split_own, 2, NULL, "pid", &err) ==
		0);
	out_begin(&o);
	out_u64(&o, F_PID, 7);
	out_str(&o, F_K8S_POD, "web-0");
	out_str(&o, F_COMMON_COUNT, "ADDED");
	out_str(&o, F_COMMON_COUNT + 1, "u-1");
	out_end(&o);
	CHECK_WRITTEN(&o, "{\"pid\":7,\"k8s\":{\"podName\":\"web-0\",\"podUID\":\"u-1\"},\"event\":\"ADDED\"}\n");
	sb_free(&err);
	finish(&o);
}

TEST(test_json_omits_unset_values)
{
	struct output o;

	REQUIRE(start(&o, OUT_JSON, NULL) == 0);
	out_begin(&o);
	out_end(&o);
	out_begin(&o);
	out_str(&o, F_COMM, "");
	out_end(&o);
	CHECK_WRITTEN(&o, "{}\n{\"comm\":\"\"}\n");
	finish(&o);
}

TEST(test_json_escapes_strings_and_string_lists)
{
	struct output o;
	struct out_strv args = STRV("a\"b\0\xff\x1b\0", 2);

	REQUIRE(start(&o, OUT_JSON, NULL) == 0);
	out_begin(&o);
	out_strn(&o, F_COMM, "x\\\n\0\xe2\x80\xae", 7);
	out_strv(&o, F_ARGS, &args);
	out_end(&o);
	CHECK_WRITTEN(&o, "{\"comm\":\"x\\\\\\n\\u0000\\u202e\",\"args\":[\"a\\\"b\",\"\\udcff\\u001b\"]}\n");
	finish(&o);
}

/* Pre-rendered members (event.c's container cache) go in where their first field is; values of every kind
 * around a string that needs escaping halfway, long enough to grow the buffer. */
TEST(test_json_raw_members_numbers_and_escapes_mid_string)
{
	struct output o;
	char long_comm[3000];

	memset(long_comm, 'a', sizeof(long_comm));
	long_comm[1500] = '"';
	REQUIRE(start(&o, OUT_JSON, NULL) == 0);
	out_begin(&o);
	out_u64(&o, F_PID, UINT64_MAX);
	const char *members = "\"runtime\":{\"runtimeName\":\"docker\"}";
	out_raw(&o, F_RUNTIME_NAME, members, strlen(members));
	out_s64(&o, F_RET, INT64_MIN);
	out_bool(&o, F_TRACE_ID, false);
	out_end(&o);
	out_begin(&o);
	out_strn(&o, F_COMM, long_comm, sizeof(long_comm));
	out_str(&o, F_K8S_POD, "p");
	out_s64(&o, F_RET, -2);
	out_end(&o);
	struct strbuf want = {0};
	sb_adds(&want, "{\"pid\":18446744073709551615,\"runtime\":{\"runtimeName\":\"docker\"},"
		       "\"ret\":-9223372036854775808,\"traceId\":false}\n{\"comm\":\"");
	sb_add(&want, long_comm, 1500);
	sb_adds(&want, "\\\"");
	sb_add(&want, long_comm + 1501, sizeof(long_comm) - 1501);
	sb_adds(&want, "\",\"k8s\":{\"podName\":\"p\"},\"ret\":-2}\n");
	struct strbuf got = {0};
	written(&o, &got);
	unit_check_mem(__FILE__, __LINE__, "written", "want", got.buf, got.len, want.buf, want.len);
	sb_free(&got);
	sb_free(&want);
	finish(&o);
}

TEST(test_json_string_list_has_no_cut_or_truncation_markers)
{
	struct output o;
	struct out_strv args = STRV("ls\0-l\0", 2);

	args.cut_mask = 1;
	args.truncated = true;
	args.quote = true;
	REQUIRE(start(&o, OUT_JSON, NULL) == 0);
	out_begin(&o);
	out_strv(&o, F_ARGS, &args);
	out_end(&o);
	args = STRV("", 0);
	out_begin(&o);
	out_strv(&o, F_ARGS, &args);
	out_end(&o);
	CHECK_WRITTEN(&o, "{\"args\":[\"ls\",\"-l\"]}\n{\"args\":[]}\n");
	finish(&o);
}

TEST(test_json_includes_json_only_fields)
{
	struct output o;

	REQUIRE(start(&o, OUT_JSON, NULL) == 0);
	out_begin(&o);
	out_str(&o, F_TRACE_ID, "t1");
	out_end(&o);
	CHECK_WRITTEN(&o, "{\"traceId\":\"t1\"}\n");
	finish(&o);
}

TEST(test_fields_choose_columns_in_list_order)
{
	struct output o;

	REQUIRE(start(&o, OUT_COLUMNS, "ret,comm,pid") == 0);
	out_begin(&o);
	out_u64(&o, F_PID, 42);
	out_str(&o, F_COMM, "bash");
	out_s64(&o, F_RET, 0);
	out_str(&o, F_TIME, "12:34:56");
	out_end(&o);
	CHECK_WRITTEN(&o, "RET  PCOMM            PID\n"
			  "0    bash             42\n");
	finish(&o);
}

TEST(test_fields_are_matched_case_insensitively)
{
	struct output o;

	REQUIRE(start(&o, OUT_COLUMNS, "PID,Runtime.ContainerID") == 0);
	out_begin(&o);
	out_u64(&o, F_PID, 42);
	out_str(&o, F_CONTAINER_ID, "abc");
	out_end(&o);
	CHECK_WRITTEN(&o, "PID     CONTAINERID\n"
			  "42      abc\n");
	finish(&o);
}

TEST(test_fields_limit_json_to_the_selected_keys)
{
	struct output o;

	REQUIRE(start(&o, OUT_JSON, "ret,runtime.containerId") == 0);
	out_begin(&o);
	out_u64(&o, F_PID, 42);
	out_str(&o, F_RUNTIME_NAME, "docker");
	out_str(&o, F_CONTAINER_ID, "abc");
	out_s64(&o, F_RET, 0);
	out_str(&o, F_TRACE_ID, "t1");
	out_end(&o);
	CHECK_WRITTEN(&o, "{\"runtime\":{\"containerId\":\"abc\"},\"ret\":0}\n");
	finish(&o);
}

TEST(test_fields_column_only_field_is_never_in_json)
{
	struct output o;

	REQUIRE(start(&o, OUT_JSON, "time,pid") == 0);
	CHECK(!out_wants(&o, F_TIME));
	out_begin(&o);
	out_str(&o, F_TIME, "12:34:56");
	out_u64(&o, F_PID, 42);
	out_end(&o);
	CHECK_WRITTEN(&o, "{\"pid\":42}\n");
	finish(&o);
}

TEST(test_fields_json_only_field_is_never_a_column)
{
	struct output o;

	REQUIRE(start(&o, OUT_COLUMNS, "traceId,pid") == 0);
	CHECK(!out_wants(&o, F_TRACE_ID));
	out_begin(&o);
	out_str(&o, F_TRACE_ID, "t1");
	out_u64(&o, F_PID, 42);
	out_end(&o);
	CHECK_WRITTEN(&o, "PID\n42\n");
	finish(&o);
}

TEST(test_fields_unknown_name_fails_and_names_it)
{
	struct output o;
	struct strbuf err = {0};

	CHECK_INT_EQ(start_with(&o, OUT_COLUMNS, "pid,bogus,comm", DEFAULT_COLS, &err), -1);
	CHECK_STR_EQ(sb_str(&err), "unknown field 'bogus' in --fields; known fields: time,pid,comm,runtime.runtimeName,"
				   "runtime.containerId,k8s.podName,ret,traceId,args");
	sb_reset(&err);
	/* a prefix of a known name is not that name */
	CHECK_INT_EQ(start_with(&o, OUT_JSON, "runtime", DEFAULT_COLS, &err), -1);
	CHECK(!strncmp(sb_str(&err), "unknown field 'runtime' in --fields;", 36));
	sb_free(&err);
}

TEST(test_fields_unknown_default_column_is_an_internal_error)
{
	struct output o;
	struct strbuf err = {0};

	CHECK_INT_EQ(start_with(&o, OUT_COLUMNS, NULL, "pid,nope", &err), -1);
	CHECK_STR_EQ(sb_str(&err), "internal error: unknown default field 'nope'");
	sb_free(&err);
}

TEST(test_out_wants_follows_mode_and_selection)
{
	struct output o;

	REQUIRE(start(&o, OUT_COLUMNS, NULL) == 0);
	CHECK(out_wants(&o, F_TIME));
	CHECK(out_wants(&o, F_ARGS));
	CHECK(!out_wants(&o, F_CONTAINER_ID));
	finish(&o);

	REQUIRE(start(&o, OUT_JSON, NULL) == 0);
	CHECK(!out_wants(&o, F_TIME));
	CHECK(out_wants(&o, F_CONTAINER_ID));
	CHECK(out_wants(&o, F_TRACE_ID));
	finish(&o);

	REQUIRE(start(&o, OUT_JSON, "pid") == 0);
	CHECK(out_wants(&o, F_PID));
	CHECK(!out_wants(&o, F_COMM));
	finish(&o);
}

TEST(test_out_record_writes_a_json_line_and_nothing_in_columns)
{
	struct output o;

	REQUIRE(start(&o, OUT_JSON, NULL) == 0);
	out_record(&o, "lost", "lost", 12, 1700000000123456789ull);
	CHECK_WRITTEN(&o, "{\"type\":\"lost\",\"timestamp\":1700000000123456789,\"lost\":12}\n");
	finish(&o);

	REQUIRE(start(&o, OUT_COLUMNS, NULL) == 0);
	out_record(&o, "lost", "lost", 12, 1);
	CHECK_WRITTEN(&o, "");
	finish(&o);
}

TEST(test_out_end_flushes_once_the_buffer_is_large)
{
	struct output o;
	char *big = malloc(20000);

	REQUIRE(big);
	memset(big, 'x', 20000);
	REQUIRE(start(&o, OUT_JSON, NULL) == 0);
	for (int i = 0; i < 4; i++) {
		out_begin(&o);
		out_strn(&o, F_COMM, big, 20000);
		out_end(&o);
	}
	/* 4 rows of 20012 bytes passed the 64 KiB mark: all of it is in the file already */
	CHECK_UINT_EQ(o.buf.len, 0);
	CHECK_INT_EQ(lseek(o.fd, 0, SEEK_END), 4 * 20012);
	finish(&o);
	free(big);
}

TEST(test_flush_to_a_pipe_delivers_the_bytes)
{
	struct output o;
	struct strbuf err = {0};
	int p[2];
	char got[64];

	REQUIRE(pipe(p) == 0);
	REQUIRE(output_init(&o, "unit", OUT_JSON, p[1], common_fields, F_COMMON_COUNT, own_fields,
			    F_COUNT - F_COMMON_COUNT, NULL, DEFAULT_COLS, &err) == 0);
	out_begin(&o);
	out_u64(&o, F_PID, 1);
	out_end(&o);
	CHECK_INT_EQ(output_flush(&o), 0);
	CHECK(!o.closed);
	ssize_t n = read(p[0], got, sizeof(got));
	CHECK_MEM_EQ(got, n > 0 ? (size_t)n : 0, "{\"pid\":1}\n", 10);
	close(p[0]);
	close(p[1]);
	output_free(&o);
}

TEST(test_flush_to_a_pipe_whose_reader_is_gone_marks_output_closed)
{
	struct output o;
	struct strbuf err = {0};
	int p[2];
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);

	REQUIRE(pipe(p) == 0);
	close(p[0]);
	REQUIRE(output_init(&o, "unit", OUT_COLUMNS, p[1], common_fields, F_COMMON_COUNT, own_fields,
			    F_COUNT - F_COMMON_COUNT, NULL, DEFAULT_COLS, &err) == 0);
	out_begin(&o);
	out_u64(&o, F_PID, 1);
	out_end(&o);
	CHECK_INT_EQ(output_flush(&o), -1);
	CHECK(o.closed);
	/* later rows are dropped, not buffered */
	out_begin(&o);
	out_u64(&o, F_PID, 2);
	out_end(&o);
	CHECK_UINT_EQ(o.buf.len, 0);
	CHECK_INT_EQ(output_flush(&o), -1);
	close(p[1]);
	output_free(&o);
	signal(SIGPIPE, old);
}
