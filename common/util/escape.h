/*
 * Escaping of untrusted bytes (argv, paths, container names, annotations) for the two outputs.
 *
 * Terminal: printable ASCII and valid UTF-8 pass; C0 controls, DEL, C1 controls (U+0080..U+009F) and
 * bidirectional overrides become \n, \t, \r, \xNN or \uXXXX text, a backslash becomes \\, and each
 * byte of invalid UTF-8 becomes \xNN. Nothing that reaches the terminal can move the cursor or change colours.
 *
 * JSON (RFC 8259): ", \ and all controls are escaped; every byte of invalid UTF-8 becomes the lone surrogate
 * \udcNN ("surrogateescape", as Python decodes it), so the original bytes can be recovered exactly.
 */
#ifndef GADGETBOX_ESCAPE_H
#define GADGETBOX_ESCAPE_H

#include <stddef.h>
#include "strbuf.h"

/* Appends the escaped form of s[0..len) and returns the number of display cells it takes. */
size_t esc_terminal(struct strbuf *out, const char *s, size_t len);
/* Appends the escaped form of s[0..len) without surrounding quotes. */
void esc_json(struct strbuf *out, const char *s, size_t len);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 if s[0..len) does not start with one. */
size_t utf8_seq_len(const unsigned char *s, size_t len, unsigned *codepoint);

#endif
