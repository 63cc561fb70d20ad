/*
 * --output json-pretty and --output yaml: the command line reformats each compact JSON line the writer
 * (jsonw.h) produced, so the applets have one JSON printer and the human-friendly styles cost them nothing.
 *
 * The input is parsed strictly (RFC 8259, UTF-8) with an explicit stack, in linear time; numbers are copied as
 * text, never converted to double, so 64-bit integers stay exact.
 *
 * pretty: 2-space indentation, `"key": value`, one member or element per line, `{}` and `[]` for empty
 * containers, a newline at the end.
 *
 * yaml: one document per value, starting with `---`. Objects are `key: value` lines, nested containers are
 * indented by 2 spaces, array elements are `- ` items (an object element's first member on the item's line),
 * empty containers are `{}` and `[]`. Keys matching [A-Za-z_][A-Za-z0-9_.-]* are plain, unless YAML 1.1 would
 * read them as a boolean or null (yes, on, n, null...); other keys, and every string value, are double-quoted
 * with the JSON escapes, all valid in YAML, except:
 *  - `\/` becomes `/` (YAML 1.1 lacks it) and a surrogate pair `\ud83d\ude00` becomes `\U0001f600` (libyaml and
 *    Go's yaml refuse surrogates);
 *  - raw characters YAML does not allow unescaped or reads as line breaks (DEL, C1 controls, U+2028/9, U+FEFF,
 *    U+FFFE/F) become `\uXXXX`;
 *  - a string holding a lone surrogate, which is how esc_json() records bytes of invalid UTF-8 (`\udcNN`), has
 *    no YAML string equivalent: it is written as `!!binary "<base64>"` of its original bytes (surrogateescape:
 *    \udc80..\udcff is the byte 80..ff; other lone surrogates, which esc_json() never writes, their 3-byte
 *    generalized UTF-8), so the bytes are kept exactly; YAML libraries load it as bytes, not text.
 * Numbers with an exponent get a fraction and an exponent sign (1e5 -> 1.0e+5): YAML 1.1 reads 1e5 as a string.
 * Keys longer than YAML's implicit-key limit (1024 characters) use the explicit `? key` form.
 */
#ifndef GADGETBOX_REFORMAT_H
#define GADGETBOX_REFORMAT_H

#include <stddef.h>

#include "strbuf.h"

/* Containers nested deeper than this are refused (jsonw.h writes at most JW_MAX_DEPTH, the same). */
#define REFORMAT_MAX_DEPTH 64

enum reformat_style { REFORMAT_PRETTY, REFORMAT_YAML };

/*
 * Appends @json[0..len) (one JSON value, optionally followed by whitespace such as its newline) to @out in
 * @style. Returns 0, or -1 if it is not well-formed JSON or nests too deep: then @json is appended unchanged.
 */
int json_reformat(struct strbuf *out, const char *json, size_t len, enum reformat_style style);

#endif
