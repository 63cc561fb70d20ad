/* The growable byte buffer (common/util/strbuf.c). */
#include <stdlib.h>

#include "strbuf.h"
#include "unit.h"

TEST(test_strbuf_str_of_an_empty_buffer_is_an_empty_string)
{
	struct strbuf sb = {0};

	CHECK_STR_EQ(sb_str(&sb), "");
	CHECK_UINT_EQ(sb.len, 0);
	sb_free(&sb);
}

TEST(test_strbuf_add_keeps_embedded_nuls_and_sb_str_terminates)
{
	struct strbuf sb = {0};

	sb_add(&sb, "a\0b", 3);
	sb_addc(&sb, '\0');
	sb_adds(&sb, "cd");
	sb_add(&sb, "ignored", 0);
	CHECK_SB_EQ(&sb, "a\0b\0cd");
	CHECK(sb_str(&sb)[6] == '\0');
	CHECK_UINT_EQ(sb.len, 6);
	sb_free(&sb);
}

TEST(test_strbuf_addf_formats_output_of_any_length)
{
	struct strbuf sb = {0};
	char long_arg[1000];

	/* the formatter has a 128-byte fast path: check both sides of it */
	memset(long_arg, 'x', sizeof(long_arg));
	for (int n = 125; n <= 130; n++) {
		sb_reset(&sb);
		sb_addf(&sb, "<%.*s>", n, long_arg);
		CHECK_UINT_EQ(sb.len, (size_t)n + 2);
		CHECK(sb.buf[0] == '<' && sb.buf[n + 1] == '>' && memchr(sb.buf + 1, '>', n) == NULL);
	}
	sb_reset(&sb);
	sb_adds(&sb, "pre ");
	sb_addf(&sb, "%s=%d %.*s", "key", -42, 999, long_arg);
	CHECK_UINT_EQ(sb.len, 4 + 7 + 1 + 999);
	CHECK(!strncmp(sb_str(&sb), "pre key=-42 xxx", 15));
	CHECK(sb.buf[sb.len - 1] == 'x' && sb.buf[sb.len] == '\0');
	sb_free(&sb);
}

TEST(test_strbuf_grows_to_megabytes_and_keeps_contents)
{
	struct strbuf sb = {0};
	char chunk[1000];

	for (size_t i = 0; i < 2000; i++) {
		memset(chunk, 'a' + i % 26, sizeof(chunk));
		sb_add(&sb, chunk, sizeof(chunk));
	}
	REQUIRE(sb.len == 2000 * sizeof(chunk));
	CHECK(sb.cap > sb.len);
	bool intact = true;
	for (size_t i = 0; i < sb.len; i++)
		intact &= sb.buf[i] == (char)('a' + i / sizeof(chunk) % 26);
	CHECK(intact);
	sb_free(&sb);
}

TEST(test_strbuf_reset_empties_and_free_leaves_a_reusable_buffer)
{
	struct strbuf sb = {0};

	sb_adds(&sb, "hello");
	size_t cap = sb.cap;
	sb_reset(&sb);
	CHECK_STR_EQ(sb_str(&sb), "");
	CHECK_UINT_EQ(sb.cap, cap);
	sb_free(&sb);
	CHECK(sb.buf == NULL && sb.len == 0 && sb.cap == 0);
	sb_adds(&sb, "again");
	CHECK_STR_EQ(sb_str(&sb), "again");
	sb_free(&sb);
}

TEST(test_strbuf_out_of_memory_keeps_what_it_has_and_says_so)
{
	struct strbuf sb = {0};

	sb_abort_on_oom(false); /* the library's policy (the command line aborts instead) */
	sb_adds(&sb, "kept");
	CHECK(!sb_failed(&sb));
	CHECK(!sb_reserve(&sb, SIZE_MAX - 16)); /* more than any allocator gives */
	CHECK(sb_failed(&sb));
	CHECK_STR_EQ(sb_str(&sb), "kept");
	sb_add(&sb, "x", 1); /* what fits still goes in; the failure stays reported until a reset */
	CHECK_STR_EQ(sb_str(&sb), "keptx");
	CHECK(sb_failed(&sb));
	sb_reset(&sb);
	CHECK(!sb_failed(&sb));
	sb_free(&sb);
}
