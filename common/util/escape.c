#include "escape.h"

#include <stdbool.h>

size_t utf8_seq_len(const unsigned char *s, size_t len, unsigned *codepoint)
{
	unsigned c = s[0], cp, need, min;

	if (c < 0x80) {
		*codepoint = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < need + 1)
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8 */
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	*codepoint = cp;
	return need + 1;
}

/* Code points a terminal may act on: C1 controls and the bidi embedding/override/isolate controls. */
static bool unsafe_codepoint(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

size_t esc_terminal(struct strbuf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t cells = 0;

	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t run = i;

		/* the common case first: a run of printable ASCII goes out as it is */
		while (run < len && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '\\')
			run++;
		if (run > i) {
			sb_add(out, s + i, run - i);
			cells += run - i;
			i = run;
			continue;
		}
		size_t n = utf8_seq_len(s + i, len - i, &cp);
		size_t before = out->len;

		if (n == 0) {
			sb_addf(out, "\\x%02x", s[i]);
			i++;
		} else if (n == 1) {
			switch (cp) {
			case '\n': sb_add(out, "\\n", 2); break;
			case '\t': sb_add(out, "\\t", 2); break;
			case '\r': sb_add(out, "\\r", 2); break;
			case '\\': sb_add(out, "\\\\", 2); break;
			default:
				if (cp < 0x20 || cp == 0x7f)
					sb_addf(out, "\\x%02x", cp);
				else
					sb_addc(out, (char)cp);
			}
			i++;
		} else {
			if (unsafe_codepoint(cp)) {
				sb_addf(out, "\\u%04x", cp);
			} else {
				sb_add(out, s + i, n);
				before = out->len - 1; /* one character, one cell */
			}
			i += n;
		}
		cells += out->len - before;
	}
	return cells;
}

void esc_json(struct strbuf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t run = i;

		while (run < len && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			sb_add(out, s + i, run - i);
			i = run;
			continue;
		}
		size_t n = utf8_seq_len(s + i, len - i, &cp);

		if (n == 0) {
			sb_addf(out, "\\udc%02x", s[i]);
			i++;
			continue;
		}
		if (n == 1) {
			switch (cp) {
			case '"': sb_add(out, "\\\"", 2); break;
			case '\\': sb_add(out, "\\\\", 2); break;
			case '\n': sb_add(out, "\\n", 2); break;
			case '\t': sb_add(out, "\\t", 2); break;
			case '\r': sb_add(out, "\\r", 2); break;
			case '\b': sb_add(out, "\\b", 2); break;
			case '\f': sb_add(out, "\\f", 2); break;
			default:
				if (cp < 0x20 || cp == 0x7f)
					sb_addf(out, "\\u%04x", cp);
				else
					sb_addc(out, (char)cp);
			}
		} else if (unsafe_codepoint(cp) || cp == 0x2028 || cp == 0x2029) {
			/* still valid JSON, and safe to cat to a terminal or paste into JavaScript */
			sb_addf(out, "\\u%04x", cp);
		} else {
			sb_add(out, s + i, n);
		}
		i += n;
	}
}
