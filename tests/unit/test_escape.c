/* Escaping of untrusted bytes for the terminal and for JSON (common/util/escape.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "escape.h"
#include "unit.h"

/* Inputs and expectations are literals that may hold NULs, so their length comes from sizeof. */
#define CHECK_TERM(in, want) check_escape(__FILE__, __LINE__, false, in, sizeof(in) - 1, want, sizeof(want) - 1)
#define CHECK_JSON(in, want) check_escape(__FILE__, __LINE__, true, in, sizeof(in) - 1, want, sizeof(want) - 1)
#define TERM_CELLS(in)	     term_cells(in, sizeof(in) - 1)

/*
 * An independent UTF-8 decoder (the code under test has its own): the length of the well-formed sequence at
 * s, or 0. Overlong forms, surrogates and values past U+10FFFF are ill-formed (Unicode table 3-7).
 */
static size_t wellformed_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
	static const struct {
		unsigned char lo, hi;	/* lead byte range */
		unsigned char n;	/* sequence length */
		unsigned char lo2, hi2; /* allowed second byte */
	} forms[] = {
		{0xc2, 0xdf, 2, 0x80, 0xbf}, {0xe0, 0xe0, 3, 0xa0, 0xbf}, {0xe1, 0xec, 3, 0x80, 0xbf},
		{0xed, 0xed, 3, 0x80, 0x9f}, {0xee, 0xef, 3, 0x80, 0xbf}, {0xf0, 0xf0, 4, 0x90, 0xbf},
		{0xf1, 0xf3, 4, 0x80, 0xbf}, {0xf4, 0xf4, 4, 0x80, 0x8f},
	};

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		if (s[0] < forms[f].lo || s[0] > forms[f].hi)
			continue;
		size_t n = forms[f].n;
		if (len < n || s[1] < forms[f].lo2 || s[1] > forms[f].hi2)
			return 0;
		uint32_t v = s[0] & (0xff >> (n + 1));
		for (size_t i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			v = v << 6 | (s[i] & 0x3f);
		}
		*cp = v;
		return n;
	}
	return 0;
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Whether s could sit between the quotes of a JSON string (RFC 8259 section 7, and valid UTF-8); where not. */
static bool json_string_body_valid(const char *str, size_t len, size_t *bad_at)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n;

		*bad_at = i;
		if (s[i] < 0x20 || s[i] == '"')
			return false;
		if (s[i] == '\\') {
			if (i + 1 >= len)
				return false;
			if (strchr("\"\\/bfnrt", s[i + 1]) && s[i + 1]) {
				i += 2;
				continue;
			}
			if (s[i + 1] != 'u' || i + 6 > len || !is_hex(s[i + 2]) || !is_hex(s[i + 3]) ||
			    !is_hex(s[i + 4]) || !is_hex(s[i + 5]))
				return false;
			i += 6;
			continue;
		}
		n = wellformed_utf8(s + i, len - i, &cp);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* What a terminal may act on: C0 controls, DEL, C1 controls, bidi controls, and bytes that are not UTF-8. */
static bool terminal_safe(const char *str, size_t len, size_t *bad_at)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = wellformed_utf8(s + i, len - i, &cp);

		*bad_at = i;
		if (!n || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c)
			return false;
		i += n;
	}
	return true;
}

static bool check_escape(const char *file, int line, bool json, const char *in, size_t inlen, const char *want,
			 size_t wantlen)
{
	struct strbuf sb = {0};
	size_t bad_at;

	if (json)
		esc_json(&sb, in, inlen);
	else
		esc_terminal(&sb, in, inlen);
	bool ok = unit_check_mem(file, line, json ? "esc_json(in)" : "esc_terminal(in)", "want", sb.buf, sb.len, want,
				 wantlen);
	if (json && !json_string_body_valid(sb.buf, sb.len, &bad_at)) {
		unit_fail(file, line, "esc_json output is not a valid JSON string body at byte %zu", bad_at);
		ok = false;
	}
	if (!json && !terminal_safe(sb.buf, sb.len, &bad_at)) {
		unit_fail(file, line, "esc_terminal output has an unsafe character at byte %zu", bad_at);
		ok = false;
	}
	sb_free(&sb);
	return ok;
}

static size_t term_cells(const char *in, size_t len)
{
	struct strbuf sb = {0};
	size_t cells = esc_terminal(&sb, in, len);

	sb_free(&sb);
	return cells;
}

static void utf8_encode(struct strbuf *out, uint32_t cp)
{
	if (cp < 0x80) {
		sb_addc(out, (char)cp);
	} else if (cp < 0x800) {
		sb_addc(out, (char)(0xc0 | cp >> 6));
		sb_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sb_addc(out, (char)(0xe0 | cp >> 12));
		sb_addc(out, (char)(0x80 | (cp >> 6 & 0x3f)));
		sb_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		sb_addc(out, (char)(0xf0 | cp >> 18));
		sb_addc(out, (char)(0x80 | (cp >> 12 & 0x3f)));
		sb_addc(out, (char)(0x80 | (cp >> 6 & 0x3f)));
		sb_addc(out, (char)(0x80 | (cp & 0x3f)));
	}
}

static bool parse_hex(const char *s, size_t digits, uint32_t *v)
{
	*v = 0;
	for (size_t i = 0; i < digits; i++) {
		if (!is_hex((unsigned char)s[i]))
			return false;
		*v = *v << 4 | (uint32_t)(s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
	}
	return true;
}

/* Undo esc_terminal() or esc_json(): the bytes that were escaped, or false on an escape neither writes. */
static bool unescape(bool json, const char *s, size_t len, struct strbuf *out)
{
	for (size_t i = 0; i < len; i++) {
		uint32_t v;

		if (s[i] != '\\') {
			sb_addc(out, s[i]);
			continue;
		}
		if (++i == len)
			return false;
		switch (s[i]) {
		case '\\': sb_addc(out, '\\'); break;
		case 'n': sb_addc(out, '\n'); break;
		case 't': sb_addc(out, '\t'); break;
		case 'r': sb_addc(out, '\r'); break;
		case '"':
		case 'b':
		case 'f':
			if (!json)
				return false;
			sb_addc(out, s[i] == '"' ? '"' : s[i] == 'b' ? '\b' : '\f');
			break;
		case 'x':
			if (json || i + 2 >= len || !parse_hex(s + i + 1, 2, &v))
				return false;
			sb_addc(out, (char)v);
			i += 2;
			break;
		case 'u':
			if (i + 4 >= len || !parse_hex(s + i + 1, 4, &v))
				return false;
			if (json && v >= 0xdc80 && v <= 0xdcff)
				sb_addc(out, (char)(v & 0xff)); /* surrogateescape: one raw byte */
			else
				utf8_encode(out, v);
			i += 4;
			break;
		default: return false;
		}
	}
	return true;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* About @size bytes mixing ASCII, controls, valid UTF-8 of every length, unsafe code points and random bytes. */
static void random_mixed_bytes(struct strbuf *sb, size_t size)
{
	static const uint32_t unsafe[] = {0x80, 0x9b, 0x9f, 0x202e, 0x2066, 0x200f, 0x061c, 0x2028, 0x2029};

	while (sb->len < size) {
		switch (rng() % 6) {
		case 0: sb_addc(sb, (char)(0x20 + rng() % 0x5f)); break;
		case 1: sb_addc(sb, (char)(rng() % 0x20)); break;
		case 2: sb_addc(sb, (char)rng()); break;
		case 3: utf8_encode(sb, unsafe[rng() % (sizeof(unsafe) / sizeof(unsafe[0]))]); break;
		case 4: sb_add(sb, "\\\"\x7f", 1 + rng() % 3); break;
		default: {
			uint32_t cp = rng() % 0x110000;
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			utf8_encode(sb, cp);
		}
		}
	}
}

static void check_round_trip(bool json, const struct strbuf *in)
{
	struct strbuf esc = {0}, back = {0};
	size_t bad_at;

	if (json)
		esc_json(&esc, in->buf, in->len);
	else
		esc_terminal(&esc, in->buf, in->len);
	if (json)
		CHECK(json_string_body_valid(esc.buf, esc.len, &bad_at));
	else
		CHECK(terminal_safe(esc.buf, esc.len, &bad_at));
	CHECK(unescape(json, esc.buf, esc.len, &back));
	CHECK_MEM_EQ(back.buf, back.len, in->buf, in->len);
	sb_free(&esc);
	sb_free(&back);
}

static const char *const c0_terminal[32] = {
	"\\x00", "\\x01", "\\x02", "\\x03", "\\x04", "\\x05", "\\x06", "\\x07", "\\x08", "\\t",	  "\\n",
	"\\x0b", "\\x0c", "\\r",   "\\x0e", "\\x0f", "\\x10", "\\x11", "\\x12", "\\x13", "\\x14", "\\x15",
	"\\x16", "\\x17", "\\x18", "\\x19", "\\x1a", "\\x1b", "\\x1c", "\\x1d", "\\x1e", "\\x1f",
};

static const char *const c0_json[32] = {
	"\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
	"\\b",	   "\\t",     "\\n",	 "\\u000b", "\\f",     "\\r",	  "\\u000e", "\\u000f",
	"\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
	"\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
};

TEST(test_terminal_passes_printable_ascii_unchanged)
{
	char in[0x7f - 0x20];
	size_t n = 0;

	for (int c = 0x20; c < 0x7f; c++)
		if (c != '\\')
			in[n++] = (char)c;
	struct strbuf sb = {0};
	CHECK_UINT_EQ(esc_terminal(&sb, in, n), n);
	CHECK_MEM_EQ(sb.buf, sb.len, in, n);
	sb_free(&sb);
	CHECK_TERM("say \"hi\" 'there'", "say \"hi\" 'there'");
}

TEST(test_terminal_escapes_every_c0_control)
{
	for (int c = 0; c < 0x20; c++) {
		char in = (char)c;
		struct strbuf sb = {0};
		size_t cells = esc_terminal(&sb, &in, 1);
		if (!CHECK_MEM_EQ(sb.buf, sb.len, c0_terminal[c], strlen(c0_terminal[c])))
			unit_fail(__FILE__, __LINE__, "for control 0x%02x", c);
		CHECK_UINT_EQ(cells, strlen(c0_terminal[c]));
		sb_free(&sb);
	}
	CHECK_TERM("a\nb\tc\rd", "a\\nb\\tc\\rd");
}

TEST(test_terminal_escapes_esc_so_colour_sequences_are_inert)
{
	CHECK_TERM("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	CHECK_TERM("\x1b]0;title\x07", "\\x1b]0;title\\x07");
}

TEST(test_terminal_escapes_del_and_backslash)
{
	CHECK_TERM("\x7f", "\\x7f");
	CHECK_TERM("C:\\dir\\x41", "C:\\\\dir\\\\x41");
	CHECK_UINT_EQ(TERM_CELLS("\\"), 2);
}

TEST(test_terminal_passes_valid_multibyte_utf8_unchanged)
{
	CHECK_TERM("caf\xc3\xa9", "caf\xc3\xa9");	      /* 2 bytes: U+00E9 */
	CHECK_TERM("\xe2\x82\xac!", "\xe2\x82\xac!");	      /* 3 bytes: U+20AC */
	CHECK_TERM("\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!"); /* 4 bytes: U+1F600 */
	CHECK_TERM("\xc2\xa0", "\xc2\xa0");		      /* U+00A0, just past the C1 controls */
	CHECK_TERM("\xdf\xbf", "\xdf\xbf");		      /* U+07FF, the largest 2-byte form */
	CHECK_TERM("\xe0\xa0\x80", "\xe0\xa0\x80");	      /* U+0800, the smallest 3-byte form */
	CHECK_TERM("\xed\x9f\xbf", "\xed\x9f\xbf");	      /* U+D7FF, below the surrogates */
	CHECK_TERM("\xee\x80\x80", "\xee\x80\x80");	      /* U+E000, above them */
	CHECK_TERM("\xef\xbf\xbf", "\xef\xbf\xbf");	      /* U+FFFF */
	CHECK_TERM("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");   /* U+10000 */
	CHECK_TERM("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");   /* U+10FFFF, the last code point */
}

TEST(test_terminal_escapes_each_byte_of_invalid_utf8_as_hex)
{
	CHECK_TERM("\x80", "\\x80"); /* lone continuation byte */
	CHECK_TERM("a\xbfz", "a\\xbfz");
	CHECK_TERM("\xc0\xaf", "\\xc0\\xaf");			/* overlong '/' */
	CHECK_TERM("\xc1\xbf", "\\xc1\\xbf");			/* overlong DEL */
	CHECK_TERM("\xe0\x80\xaf", "\\xe0\\x80\\xaf");		/* overlong 3-byte */
	CHECK_TERM("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf"); /* overlong 4-byte */
	CHECK_TERM("\xed\xa0\x80", "\\xed\\xa0\\x80");		/* surrogate U+D800 */
	CHECK_TERM("\xed\xbf\xbf", "\\xed\\xbf\\xbf");		/* surrogate U+DFFF */
	CHECK_TERM("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* U+110000 */
	CHECK_TERM("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
	CHECK_TERM("\xfe\xff", "\\xfe\\xff");
	CHECK_TERM("ok\xe2\x82", "ok\\xe2\\x82"); /* truncated at the end */
	CHECK_TERM("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
	CHECK_TERM("\xc3", "\\xc3");
	CHECK_TERM("\xe2(\xa1", "\\xe2(\\xa1");	     /* a non-continuation inside */
	CHECK_TERM("\xc3\xc3\xa9", "\\xc3\xc3\xa9"); /* the valid sequence after survives */
}

TEST(test_terminal_escapes_c1_controls_and_bidi_controls_as_u)
{
	for (unsigned cp = 0x80; cp <= 0x9f; cp++) {
		char in[2] = {(char)0xc2, (char)cp}, want[8];
		struct strbuf sb = {0};
		snprintf(want, sizeof(want), "\\u%04x", cp);
		size_t cells = esc_terminal(&sb, in, 2);
		if (!CHECK_MEM_EQ(sb.buf, sb.len, want, strlen(want)))
			unit_fail(__FILE__, __LINE__, "for U+%04X", cp);
		CHECK_UINT_EQ(cells, 6);
		sb_free(&sb);
	}
	/* CSI, the 8-bit form of ESC [ */
	CHECK_TERM("\xc2\x9bH", "\\u009bH");
	/* RIGHT-TO-LEFT OVERRIDE, which makes "invoice<RLO>gpj.exe" display as "invoiceexe.jpg" */
	CHECK_TERM("invoice\xe2\x80\xaegpj.exe", "invoice\\u202egpj.exe");
	CHECK_TERM("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "\\u202a\\u202b\\u202c\\u202d");
	CHECK_TERM("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\\u2066\\u2067\\u2068\\u2069");
	CHECK_TERM("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c");
}

TEST(test_terminal_escapes_embedded_nul)
{
	CHECK_TERM("a\0b", "a\\x00b");
	CHECK_TERM("\0\0", "\\x00\\x00");
	CHECK_UINT_EQ(TERM_CELLS("a\0b"), 6);
}

TEST(test_terminal_returns_display_cells_of_what_it_appended)
{
	CHECK_UINT_EQ(TERM_CELLS(""), 0);
	CHECK_UINT_EQ(TERM_CELLS("abc"), 3);
	CHECK_UINT_EQ(TERM_CELLS("h\xc3\xa9llo"), 5);
	CHECK_UINT_EQ(TERM_CELLS("\xe2\x82\xac\xf0\x9f\x98\x80"), 2);
	CHECK_UINT_EQ(TERM_CELLS("a\nb"), 4);
	CHECK_UINT_EQ(TERM_CELLS("\x1b[0m"), 7);
	CHECK_UINT_EQ(TERM_CELLS("\xff\xc3"), 8);
	CHECK_UINT_EQ(TERM_CELLS("\xe2\x80\xae"), 6);

	/* only what this call appends counts */
	struct strbuf sb = {0};
	sb_adds(&sb, "prefix ");
	CHECK_UINT_EQ(esc_terminal(&sb, "\xc3\xa9\t", 3), 3);
	CHECK_SB_EQ(&sb, "prefix \xc3\xa9\\t");
	sb_free(&sb);
}

TEST(test_terminal_passes_1mib_of_ascii_unchanged)
{
	size_t len = 1 << 20;
	char *in = malloc(len);
	struct strbuf sb = {0};

	REQUIRE(in);
	for (size_t i = 0; i < len; i++)
		in[i] = (char)('a' + i % 26);
	CHECK_UINT_EQ(esc_terminal(&sb, in, len), len);
	CHECK_MEM_EQ(sb.buf, sb.len, in, len);
	sb_free(&sb);
	free(in);
}

TEST(test_terminal_escaping_of_1mib_of_mixed_bytes_is_safe_and_reversible)
{
	struct strbuf in = {0};

	random_mixed_bytes(&in, 1 << 20);
	check_round_trip(false, &in);
	sb_free(&in);
}

TEST(test_json_escapes_quote_and_backslash)
{
	CHECK_JSON("say \"hi\"", "say \\\"hi\\\"");
	CHECK_JSON("C:\\dir", "C:\\\\dir");
	CHECK_JSON("\\\"", "\\\\\\\"");
	CHECK_JSON("a/b 'c'", "a/b 'c'");
}

TEST(test_json_escapes_every_c0_control)
{
	for (int c = 0; c < 0x20; c++) {
		char in = (char)c;
		struct strbuf sb = {0};
		esc_json(&sb, &in, 1);
		if (!CHECK_MEM_EQ(sb.buf, sb.len, c0_json[c], strlen(c0_json[c])))
			unit_fail(__FILE__, __LINE__, "for control 0x%02x", c);
		sb_free(&sb);
	}
	CHECK_JSON("\x1b[31m", "\\u001b[31m");
	CHECK_JSON("a\r\nb", "a\\r\\nb");
}

TEST(test_json_escapes_del)
{
	CHECK_JSON("\x7f", "\\u007f");
}

TEST(test_json_escapes_embedded_nul)
{
	CHECK_JSON("a\0b", "a\\u0000b");
}

TEST(test_json_passes_valid_multibyte_utf8_unchanged)
{
	CHECK_JSON("caf\xc3\xa9", "caf\xc3\xa9");
	CHECK_JSON("\xe2\x82\xac", "\xe2\x82\xac");
	CHECK_JSON("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
	CHECK_JSON("\xc2\xa0\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf",
		   "\xc2\xa0\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf");
}

TEST(test_json_escapes_invalid_utf8_as_surrogates)
{
	CHECK_JSON("\x80", "\\udc80");
	CHECK_JSON("\xc0\xaf", "\\udcc0\\udcaf");
	CHECK_JSON("\xe0\x80\xaf", "\\udce0\\udc80\\udcaf");
	CHECK_JSON("\xed\xa0\x80", "\\udced\\udca0\\udc80");
	CHECK_JSON("\xf4\x90\x80\x80", "\\udcf4\\udc90\\udc80\\udc80");
	CHECK_JSON("\xff", "\\udcff");
	CHECK_JSON("ok\xe2\x82", "ok\\udce2\\udc82");
	CHECK_JSON("\xe2(\xa1", "\\udce2(\\udca1");
}

TEST(test_json_escapes_c1_bidi_and_line_separators_as_u)
{
	CHECK_JSON("\xc2\x80\xc2\x9b\xc2\x9f", "\\u0080\\u009b\\u009f");
	CHECK_JSON("invoice\xe2\x80\xaegpj.exe", "invoice\\u202egpj.exe");
	CHECK_JSON("\xe2\x81\xa6\xe2\x80\x8f\xd8\x9c", "\\u2066\\u200f\\u061c");
	CHECK_JSON("a\xe2\x80\xa8z\xe2\x80\xa9", "a\\u2028z\\u2029"); /* line and paragraph separators */
}

TEST(test_json_escaping_of_1mib_of_mixed_bytes_is_valid_and_reversible)
{
	struct strbuf in = {0};

	random_mixed_bytes(&in, 1 << 20);
	check_round_trip(true, &in);
	sb_free(&in);
}

TEST(test_json_validity_check_rejects_raw_controls_and_bad_escapes)
{
	size_t at;

	/* the checker itself must be able to fail */
	CHECK(!json_string_body_valid("a\nb", 3, &at));
	CHECK_UINT_EQ(at, 1);
	CHECK(!json_string_body_valid("a\"", 2, &at));
	CHECK(!json_string_body_valid("\\x41", 4, &at));
	CHECK(!json_string_body_valid("\\u12", 4, &at));
	CHECK(!json_string_body_valid("\xc0\xaf", 2, &at));
	CHECK(json_string_body_valid("\\u001b\\/\xc3\xa9", 10, &at));
}

TEST(test_utf8_seq_len_decodes_code_points_and_rejects_ill_formed)
{
	unsigned cp = 0;

	CHECK_UINT_EQ(utf8_seq_len((const unsigned char *)"A", 1, &cp), 1);
	CHECK_UINT_EQ(cp, 'A');
	CHECK_UINT_EQ(utf8_seq_len((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
	CHECK_UINT_EQ(cp, 0xe9);
	CHECK_UINT_EQ(utf8_seq_len((const unsigned char *)"\xe2\x80\xae", 3, &cp), 3);
	CHECK_UINT_EQ(cp, 0x202e);
	CHECK_UINT_EQ(utf8_seq_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);
	CHECK_UINT_EQ(cp, 0x10ffff);
	/* a valid sequence cut by the length limit */
	CHECK_UINT_EQ(utf8_seq_len((const unsigned char *)"\xe2\x80\xae", 2, &cp), 0);
	CHECK_UINT_EQ(utf8_seq_len((const unsigned char *)"\xc0\x80", 2, &cp), 0);
	CHECK_UINT_EQ(utf8_seq_len((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);
	CHECK_UINT_EQ(utf8_seq_len((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
}
