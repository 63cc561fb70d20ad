/* The JSON writer (common/util/jsonw.c): the exact bytes it appends, the same as the applets' hand-written JSON. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "escape.h"
#include "jsonw.h"
#include "unit.h"

TEST(test_jw_nested_objects_and_arrays_are_compact_with_commas)
{
	struct strbuf sb = {0};
	struct jsonw w;

	jw_init(&w, &sb);
	jw_obj_begin(&w);
	jw_member_u64(&w, "a", 1);
	jw_member_arr_begin(&w, "b");
	jw_obj_begin(&w);
	jw_member_str(&w, "c", "x");
	jw_obj_end(&w);
	jw_obj_begin(&w);
	jw_member_arr_begin(&w, "d");
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_member_obj_begin(&w, "e");
	jw_obj_end(&w);
	jw_key(&w, "f");
	jw_arr_begin(&w);
	jw_arr_begin(&w);
	jw_u64(&w, 1);
	jw_arr_end(&w);
	jw_arr_begin(&w);
	jw_arr_end(&w);
	jw_arr_end(&w);
	jw_obj_end(&w);
	CHECK_SB_EQ(&sb, "{\"a\":1,\"b\":[{\"c\":\"x\"},{\"d\":[]}],\"e\":{},\"f\":[[1],[]]}");
	CHECK_UINT_EQ(w.depth, 0);
	sb_free(&sb);
}

TEST(test_jw_array_elements_of_every_type_are_separated)
{
	struct strbuf sb = {0};
	struct jsonw w;

	jw_init(&w, &sb);
	jw_arr_begin(&w);
	jw_u64(&w, 1);
	jw_s64(&w, -2);
	jw_bool(&w, true);
	jw_bool(&w, false);
	jw_null(&w);
	jw_str(&w, "s");
	jw_double(&w, 0.5, 3);
	jw_raw(&w, "{\"k\":1}", 7);
	jw_arr_end(&w);
	CHECK_SB_EQ(&sb, "[1,-2,true,false,null,\"s\",0.500,{\"k\":1}]");
	sb_free(&sb);
}

TEST(test_jw_members_of_every_type)
{
	struct strbuf sb = {0};
	struct jsonw w;

	jw_init(&w, &sb);
	jw_obj_begin(&w);
	jw_member_str(&w, "s", "v");
	jw_member_strn(&w, "n", "abcdef", 3);
	jw_member_u64(&w, "u", 7);
	jw_member_s64(&w, "i", -7);
	jw_member_bool(&w, "t", true);
	jw_member_bool(&w, "f", false);
	jw_member_null(&w, "z");
	jw_member_double(&w, "d", 1.5, 1);
	jw_member_raw(&w, "r", "[1,2]", 5);
	jw_obj_end(&w);
	CHECK_SB_EQ(&sb, "{\"s\":\"v\",\"n\":\"abc\",\"u\":7,\"i\":-7,\"t\":true,\"f\":false,\"z\":null,\"d\":1.5,"
			 "\"r\":[1,2]}");
	sb_free(&sb);
}

TEST(test_jw_hostile_strings_are_escaped)
{
	struct strbuf sb = {0};
	struct jsonw w;
	/* quote, backslash, controls, DEL, a NUL, invalid UTF-8, valid UTF-8, U+2028 and a bidi override */
	static const char s[] = "a\"b\\c\n\t\r\b\f\x01\x7f\0d\xff\xc3\xa9\xe2\x80\xa8\xe2\x80\xae";

	jw_init(&w, &sb);
	jw_obj_begin(&w);
	jw_member_strn(&w, "v", s, sizeof(s) - 1);
	jw_obj_end(&w);
	CHECK_SB_EQ(&sb, "{\"v\":\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u007f\\u0000d\\udcff\xc3\xa9\\u2028\\u202e\"}");
	sb_free(&sb);
}

TEST(test_jw_integer_extremes_are_exact)
{
	struct strbuf sb = {0};
	struct jsonw w;

	jw_init(&w, &sb);
	jw_obj_begin(&w);
	jw_member_u64(&w, "umax", UINT64_MAX);
	jw_member_u64(&w, "zero", 0);
	jw_member_s64(&w, "smin", INT64_MIN);
	jw_member_s64(&w, "smax", INT64_MAX);
	jw_member_s64(&w, "neg", -1);
	jw_obj_end(&w);
	CHECK_SB_EQ(&sb, "{\"umax\":18446744073709551615,\"zero\":0,\"smin\":-9223372036854775808,"
			 "\"smax\":9223372036854775807,\"neg\":-1}");
	sb_free(&sb);
}

TEST(test_jw_double_has_fixed_decimals_and_non_finite_is_null)
{
	struct strbuf sb = {0};
	struct jsonw w;

	jw_init(&w, &sb);
	jw_arr_begin(&w);
	jw_double(&w, 2.0 / 3, 3);
	jw_double(&w, 12.0, 0);
	jw_double(&w, -1.5, 3);
	jw_double(&w, 1e6, 3);
	jw_double(&w, NAN, 3);
	jw_double(&w, INFINITY, 3);
	jw_double(&w, -INFINITY, 3);
	jw_arr_end(&w);
	CHECK_SB_EQ(&sb, "[0.667,12,-1.500,1000000.000,null,null,null]");
	sb_free(&sb);
}

TEST(test_jw_members_continue_an_object_opened_elsewhere)
{
	struct strbuf sb = {0};
	struct jsonw w;

	/* an object whose first members are written by someone else, closed by the caller */
	sb_adds(&sb, "{\"type\":\"x\"");
	jw_init_members(&w, &sb, false);
	jw_member_u64(&w, "pid", 1);
	jw_member_arr_begin(&w, "args");
	jw_str(&w, "a");
	jw_str(&w, "b");
	jw_arr_end(&w);
	sb_addc(&sb, '}');
	CHECK_SB_EQ(&sb, "{\"type\":\"x\",\"pid\":1,\"args\":[\"a\",\"b\"]}");

	/* an object opened by someone else with nothing in it yet, closed by the writer */
	sb_reset(&sb);
	sb_adds(&sb, "{");
	jw_init_members(&w, &sb, true);
	jw_member_u64(&w, "pid", 1);
	jw_member_obj_begin(&w, "o");
	jw_obj_end(&w);
	jw_obj_end(&w);
	CHECK_SB_EQ(&sb, "{\"pid\":1,\"o\":{}}");
	CHECK_UINT_EQ(w.depth, 0);
	sb_free(&sb);
}

TEST(test_jw_appends_after_existing_bytes_and_top_level_values_are_not_separated)
{
	struct strbuf sb = {0};
	struct jsonw w;

	sb_adds(&sb, "prefix ");
	jw_init(&w, &sb);
	jw_obj_begin(&w);
	jw_obj_end(&w);
	jw_obj_begin(&w);
	jw_member_u64(&w, "a", 1);
	jw_obj_end(&w);
	CHECK_SB_EQ(&sb, "prefix {}{\"a\":1}");
	sb_free(&sb);
}

TEST(test_jw_nests_to_its_maximum_depth)
{
	struct strbuf sb = {0}, want = {0};
	struct jsonw w;

	jw_init(&w, &sb);
	for (int i = 0; i < JW_MAX_DEPTH; i++) {
		jw_arr_begin(&w);
		jw_u64(&w, i);
		sb_addf(&want, "%s[%d", i ? "," : "", i);
	}
	for (int i = 0; i < JW_MAX_DEPTH; i++) {
		jw_arr_end(&w);
		sb_addc(&want, ']');
	}
	CHECK_MEM_EQ(sb.buf, sb.len, want.buf, want.len);
	CHECK_UINT_EQ(w.depth, 0);
	sb_free(&sb);
	sb_free(&want);
}

/* dnssnoop's summary line as it is written by hand with sb_addf(), and with the writer: the same bytes. */
TEST(test_jw_writes_the_bytes_of_a_hand_written_summary_line)
{
	struct strbuf hand = {0}, sb = {0};
	struct jsonw w;
	const char *container = "web \"1\"", *id = "0123abcd";
	double p50 = 1.23456, p99 = 20.5;

	sb_addf(&hand, "{\"type\":\"summary\",\"timestamp\":%llu,", 1700000000123456789ull);
	sb_adds(&hand, "\"container\":\"");
	esc_json(&hand, container, strlen(container));
	sb_adds(&hand, "\",\"containerId\":\"");
	esc_json(&hand, id, strlen(id));
	sb_addf(&hand, "\",\"queries\":%lu,\"responses\":%lu", 10ul, 9ul);
	sb_addf(&hand, ",\"latencyP50Ms\":%.3f,\"latencyP99Ms\":%.3f", p50, p99);
	sb_adds(&hand, ",\"topNames\":[");
	for (int j = 0; j < 2; j++) {
		sb_adds(&hand, j ? ",{" : "{");
		sb_adds(&hand, "\"name\":\"");
		esc_json(&hand, j ? "b.example" : "a.example", 9);
		sb_addf(&hand, "\",\"count\":%lu}", (unsigned long)(5 - j));
	}
	sb_adds(&hand, "]}\n");

	jw_init(&w, &sb);
	jw_obj_begin(&w);
	jw_member_str(&w, "type", "summary");
	jw_member_u64(&w, "timestamp", 1700000000123456789ull);
	jw_member_str(&w, "container", container);
	jw_member_str(&w, "containerId", id);
	jw_member_u64(&w, "queries", 10);
	jw_member_u64(&w, "responses", 9);
	jw_member_double(&w, "latencyP50Ms", p50, 3);
	jw_member_double(&w, "latencyP99Ms", p99, 3);
	jw_member_arr_begin(&w, "topNames");
	for (int j = 0; j < 2; j++) {
		jw_obj_begin(&w);
		jw_member_str(&w, "name", j ? "b.example" : "a.example");
		jw_member_u64(&w, "count", 5 - j);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	sb_addc(&sb, '\n');
	CHECK_MEM_EQ(sb.buf, sb.len, hand.buf, hand.len);
	sb_free(&hand);
	sb_free(&sb);
}
