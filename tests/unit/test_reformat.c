/* The JSON reformatter (common/cli/reformat.c): pretty JSON and YAML bytes, and malformed lines passed through. */
#include <string.h>

#include "reformat.h"
#include "unit.h"

/* Reformats the literal @in; checks the return code and the output against @want (a literal). */
#define CHECK_REFORMAT(in, style, rc, want)                                                                            \
	do {                                                                                                           \
		struct strbuf _sb = {0};                                                                               \
		CHECK_INT_EQ(json_reformat(&_sb, in, sizeof(in) - 1, style), rc);                                      \
		CHECK_SB_EQ(&_sb, want);                                                                               \
		sb_free(&_sb);                                                                                         \
	} while (0)

#define NESTED "{\"a\":1,\"b\":[{\"c\":\"x\",\"d\":[]},{\"e\":{}}],\"f\":{\"g\":[1,2.5]},\"h\":[],\"i\":{}}\n"

TEST(test_reformat_pretty_indents_nested_containers)
{
	CHECK_REFORMAT(NESTED, REFORMAT_PRETTY, 0,
		       "{\n"
		       "  \"a\": 1,\n"
		       "  \"b\": [\n"
		       "    {\n"
		       "      \"c\": \"x\",\n"
		       "      \"d\": []\n"
		       "    },\n"
		       "    {\n"
		       "      \"e\": {}\n"
		       "    }\n"
		       "  ],\n"
		       "  \"f\": {\n"
		       "    \"g\": [\n"
		       "      1,\n"
		       "      2.5\n"
		       "    ]\n"
		       "  },\n"
		       "  \"h\": [],\n"
		       "  \"i\": {}\n"
		       "}\n");
}

TEST(test_reformat_yaml_indents_nested_containers_and_items)
{
	CHECK_REFORMAT(NESTED, REFORMAT_YAML, 0,
		       "---\n"
		       "a: 1\n"
		       "b:\n"
		       "  - c: \"x\"\n"
		       "    d: []\n"
		       "  - e: {}\n"
		       "f:\n"
		       "  g:\n"
		       "    - 1\n"
		       "    - 2.5\n"
		       "h: []\n"
		       "i: {}\n");
}

TEST(test_reformat_yaml_arrays_of_arrays_and_nested_objects_in_items)
{
	CHECK_REFORMAT("[[1,[2,3]],{\"a\":{\"b\":[{\"c\":{}}]},\"d\":true},[],null]", REFORMAT_YAML, 0,
		       "---\n"
		       "- - 1\n"
		       "  - - 2\n"
		       "    - 3\n"
		       "- a:\n"
		       "    b:\n"
		       "      - c: {}\n"
		       "  d: true\n"
		       "- []\n"
		       "- null\n");
}

TEST(test_reformat_empty_containers_and_scalars_at_the_top)
{
	CHECK_REFORMAT("{}", REFORMAT_PRETTY, 0, "{}\n");
	CHECK_REFORMAT("[]\n", REFORMAT_PRETTY, 0, "[]\n");
	CHECK_REFORMAT("{}\n", REFORMAT_YAML, 0, "--- {}\n");
	CHECK_REFORMAT("[]", REFORMAT_YAML, 0, "--- []\n");
	CHECK_REFORMAT("\"s\"", REFORMAT_PRETTY, 0, "\"s\"\n");
	CHECK_REFORMAT("-12", REFORMAT_YAML, 0, "--- -12\n");
	CHECK_REFORMAT("false", REFORMAT_YAML, 0, "--- false\n");
}

TEST(test_reformat_tolerates_whitespace_between_tokens)
{
	CHECK_REFORMAT(" { \"a\" :\t[ 1 , { } ] ,\r\n\"b\" : [ ] }\n\n", REFORMAT_PRETTY, 0,
		       "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}\n");
}

TEST(test_reformat_big_integers_and_numbers_are_copied_as_text)
{
	static const char in[] = "{\"u\":18446744073709551615,\"s\":-9223372036854775808,\"d\":0.000,\"e\":1E5,"
				 "\"f\":-2.5e-3,\"g\":3e+2,\"h\":1.0e7}";

	CHECK_REFORMAT(in, REFORMAT_PRETTY, 0,
		       "{\n  \"u\": 18446744073709551615,\n  \"s\": -9223372036854775808,\n  \"d\": 0.000,\n"
		       "  \"e\": 1E5,\n  \"f\": -2.5e-3,\n  \"g\": 3e+2,\n  \"h\": 1.0e7\n}\n");
	/* YAML 1.1 reads 1E5 as a string: a fraction and an exponent sign make it a float */
	CHECK_REFORMAT(in, REFORMAT_YAML, 0,
		       "---\nu: 18446744073709551615\ns: -9223372036854775808\nd: 0.000\ne: 1.0E+5\nf: -2.5e-3\n"
		       "g: 3.0e+2\nh: 1.0e+7\n");
}

TEST(test_reformat_strings_keep_their_json_escapes)
{
	static const char in[] = "{\"s\":\"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001\\u007f\xc3\xa9\\u2028\"}";

	CHECK_REFORMAT(in, REFORMAT_PRETTY, 0,
		       "{\n  \"s\": \"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001\\u007f\xc3\xa9\\u2028\"\n}\n");
	CHECK_REFORMAT(in, REFORMAT_YAML, 0, "---\ns: \"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001\\u007f\xc3\xa9\\u2028\"\n");
}

TEST(test_reformat_yaml_rewrites_escapes_and_characters_yaml_refuses)
{
	/* \/ is not YAML 1.1; a surrogate pair becomes one \U escape; raw DEL, C1, U+2028 and U+FEFF are escaped */
	CHECK_REFORMAT("[\"a\\/b\",\"\\ud83d\\ude00\",\"\x7f\xc2\x85\xe2\x80\xa8\xef\xbb\xbf\xf0\x9f\x98\x80\"]",
		       REFORMAT_YAML, 0,
		       "---\n- \"a/b\"\n- \"\\U0001f600\"\n- \"\\u007f\\u0085\\u2028\\ufeff\xf0\x9f\x98\x80\"\n");
}

TEST(test_reformat_yaml_invalid_utf8_escapes_become_binary_bytes)
{
	/* esc_json() wrote the bytes "a\xff\n" as a\udcff\n; the YAML keeps those bytes, in base64 */
	CHECK_REFORMAT("{\"argv\":\"a\\udcff\\n\",\"k\\udc80\":[\"\\ud800\"]}", REFORMAT_YAML, 0,
		       "---\nargv: !!binary \"Yf8K\"\n!!binary \"a4A=\":\n  - !!binary \"7aCA\"\n");
}

TEST(test_reformat_yaml_quotes_keys_that_are_not_plain)
{
	CHECK_REFORMAT("{\"runtime.containerId\":1,\"_x-y\":2,\"on\":3,\"Null\":4,\"1a\":5,\"a b\":6,\"\":7,"
		       "\"a:b\":8,\"-a\":9}",
		       REFORMAT_YAML, 0,
		       "---\nruntime.containerId: 1\n_x-y: 2\n\"on\": 3\n\"Null\": 4\n\"1a\": 5\n\"a b\": 6\n\"\": 7\n"
		       "\"a:b\": 8\n\"-a\": 9\n");
}

TEST(test_reformat_yaml_long_keys_use_the_explicit_form)
{
	struct strbuf in = {0}, out = {0}, want = {0};
	char key[1200];

	memset(key, 'k', sizeof(key));
	sb_adds(&in, "[{\"");
	sb_add(&in, key, sizeof(key));
	sb_adds(&in, "\":{\"a\":1}}]");
	CHECK_INT_EQ(json_reformat(&out, in.buf, in.len, REFORMAT_YAML), 0);
	sb_adds(&want, "---\n- ? ");
	sb_add(&want, key, sizeof(key));
	sb_adds(&want, "\n  :\n    a: 1\n");
	CHECK_MEM_EQ(out.buf, out.len, want.buf, want.len);
	sb_free(&in);
	sb_free(&out);
	sb_free(&want);
}

TEST(test_reformat_appends_to_what_the_buffer_holds)
{
	struct strbuf sb = {0};

	sb_adds(&sb, "x\n");
	CHECK_INT_EQ(json_reformat(&sb, "{\"a\":1}\n", 8, REFORMAT_YAML), 0);
	CHECK_INT_EQ(json_reformat(&sb, "{\"a\":2}\n", 8, REFORMAT_YAML), 0);
	CHECK_SB_EQ(&sb, "x\n---\na: 1\n---\na: 2\n");
	sb_free(&sb);
}

/* Each malformed input, in both styles: -1, and the input appended unchanged after what the buffer held. */
TEST(test_reformat_malformed_input_is_passed_through)
{
	static const char *const bad[] = {
		"",
		" \n",
		"{\"a\":1",
		"{\"a\":1,\"b\":[1,2}",
		"{\"a\":1}}",
		"[1,2]]\n",
		"{\"a\" 1}",
		"{\"a\":}",
		"{\"a\":1,}",
		"[1,]",
		"[,1]",
		"{1:2}",
		"{\"a\":1 \"b\":2}",
		"[\"abc]",
		"[\"a\\x\"]",
		"[\"a\\u12g4\"]",
		"[\"a\\u12\"]",
		"[\"a\\",
		"[\"tab\there\"]",
		"[\"\xff\"]",
		"[\"\xc3\"]",
		"[01]",
		"[1.]",
		"[.5]",
		"[1e]",
		"[+1]",
		"[-]",
		"[tru]",
		"[nul]",
		"[True]",
		"garbage",
		"{\"a\":1} trailing",
		"\"a\" \"b\"",
		"]",
		"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int style = REFORMAT_PRETTY; style <= REFORMAT_YAML; style++) {
			struct strbuf sb = {0};
			size_t len = strlen(bad[i]);

			sb_adds(&sb, "kept");
			if (json_reformat(&sb, bad[i], len, style) != -1)
				unit_fail(__FILE__, __LINE__, "input %zu (style %d) was accepted", i, style);
			CHECK_MEM_EQ(sb.buf + 4, sb.len - 4, bad[i], len);
			CHECK_MEM_EQ(sb.buf, 4, "kept", 4);
			sb_free(&sb);
		}
	}
}

TEST(test_reformat_refuses_nesting_deeper_than_its_stack)
{
	struct strbuf in = {0}, out = {0};

	for (int i = 0; i < REFORMAT_MAX_DEPTH; i++)
		sb_addc(&in, '[');
	for (int i = 0; i < REFORMAT_MAX_DEPTH; i++)
		sb_addc(&in, ']');
	/* the innermost [] is an empty value, not a frame: one more level still fits */
	CHECK_INT_EQ(json_reformat(&out, in.buf, in.len, REFORMAT_YAML), 0);
	sb_reset(&in);
	sb_reset(&out);
	for (int i = 0; i < REFORMAT_MAX_DEPTH + 1; i++)
		sb_adds(&in, "[1,");
	for (int i = 0; i < REFORMAT_MAX_DEPTH + 1; i++)
		sb_addc(&in, ']');
	CHECK_INT_EQ(json_reformat(&out, in.buf, in.len, REFORMAT_PRETTY), -1);
	CHECK_MEM_EQ(out.buf, out.len, in.buf, in.len);
	sb_free(&in);
	sb_free(&out);
}

/* A hostile depth must not exhaust the C stack nor take quadratic time. */
TEST(test_reformat_million_brackets_fail_fast)
{
	struct strbuf in = {0}, out = {0};

	for (int i = 0; i < 1000000; i++)
		sb_addc(&in, '[');
	CHECK_INT_EQ(json_reformat(&out, in.buf, in.len, REFORMAT_YAML), -1);
	CHECK_UINT_EQ(out.len, in.len);
	sb_free(&in);
	sb_free(&out);
}
