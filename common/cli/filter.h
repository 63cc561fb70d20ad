/*
 * --filter EXPR, shared by every applet: which rows an applet writes, in Inspektor Gadget's syntax
 * (`k8s.podName~^web-,pid!=1`). The caller resolves field names and hands over a row's values through callbacks,
 * so this module knows nothing of the output writer and can be unit-tested and fuzzed alone.
 *
 * Syntax. EXPR is one or more terms joined with ',', all of which must match (AND). A term is FIELD OP VALUE:
 *   FIELD  letters, digits, '_', '.', '-' (nested keys are written with dots: k8s.podName)
 *   OP     ==  !=  ~ (POSIX extended regex, matches anywhere unless anchored)  !~ (does not match)
 *          >  >=  <  <=
 *          A bare '=' is refused with a hint to write '==', rather than guessed at.
 *   VALUE  everything up to the next ',' or the end, as written: no blank is skipped anywhere in a term.
 *          '\,' is a comma and '\\' a backslash (so a regex may hold a comma: args~a{1\,3}); any other
 *          backslash stays as written, for the regex (comm~^a\.b). VALUE may be empty: `cwd==`.
 *
 * Matching, by the kind of the row's value:
 *   string   ==, != compare bytes (len counts, NULs included). ~, !~ match the text up to its first NUL.
 *            Ordering compares numerically when both the string and VALUE are integers, else bytewise
 *            like strcmp() ("10" > "9" as numbers, "b" > "abc" as text).
 *   integer  VALUE is an integer (optional '-', decimal digits, magnitude up to 2^64-1): compared as
 *            numbers, exactly, across signedness (an unsigned field is >= -1). Otherwise VALUE is compared
 *            with the number's decimal text (== never matches, ordering is strcmp's). ~, !~ match the
 *            decimal text (pid~^12).
 *   bool     VALUE true/false in Go's spellings (1, t, T, TRUE, true, True; 0, f, F, ...) for ==, !=;
 *            ~, !~ match the text "true" or "false"; against an integer, ordering takes 0 or 1.
 *   absent   an unset field equals nothing and matches no regex: only != and !~ match.
 * A regex match that needs memory it cannot get does not match (for ~ and !~ alike). A regex whose
 * repetitions expand to more than 1,024 atoms ((a{1,255}){1,255}: regcomp() would take gigabytes) is refused.
 *
 * Errors are one line for the caller to print, naming the 1-based position in EXPR (in UTF-8 characters) and
 * what was expected there:
 *   --filter: expected an operator (==, !=, ~, !~, >, >=, <, <=) at position 5 in 'pid5'
 *   --filter: unknown field 'foo' at position 1 in 'foo==1'
 * Listing the known field names after an unknown one is the caller's job (it owns the names).
 *
 * Thread-compatible: no global state; a parsed filter is read-only, so threads may match with it at once.
 * filter_match() does not allocate, except for a regex on a string of 4 KiB or more.
 */
#ifndef GADGETBOX_FILTER_H
#define GADGETBOX_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

enum filter_op {
	FILTER_EQ,  /* == */
	FILTER_NE,  /* != */
	FILTER_RE,  /* ~ */
	FILTER_NRE, /* !~ */
	FILTER_GT,  /* > */
	FILTER_GE,  /* >= */
	FILTER_LT,  /* < */
	FILTER_LE,  /* <= */
};

enum filter_kind { FV_ABSENT, FV_STR, FV_U64, FV_S64, FV_BOOL };

/* One field's value in a row: s/len for FV_STR (s need not be NUL-terminated), u, i or b for the others. */
struct filter_value {
	enum filter_kind kind;
	const char *s;
	size_t len;
	uint64_t u;
	int64_t i;
	bool b;
};

/*
 * Fills *v with field @field's value in the current row. *v arrives zeroed (FV_ABSENT): leave it so for a
 * field the row does not have. Must not fail; @arg is the one given to filter_match().
 */
typedef void (*filter_get_fn)(void *arg, int field, struct filter_value *v);

/* Resolves a field name (as written: @len bytes, not NUL-terminated) to the caller's index (>= 0), or -1. */
typedef int (*filter_lookup_fn)(void *arg, const char *name, size_t len);

struct filter;

/*
 * Parses @expr, resolving every FIELD through @lookup once, here, so that matching is only comparisons.
 * Returns NULL on a bad expression with errno EINVAL and the message appended to @err (which may be NULL),
 * or NULL with errno ENOMEM when memory runs out.
 */
struct filter *filter_parse(const char *expr, filter_lookup_fn lookup, void *lookup_arg, struct strbuf *err);

/* Whether the row that @get reads (with @arg) matches every term. A NULL filter matches every row. */
bool filter_match(const struct filter *f, filter_get_fn get, void *arg);

/* Accepts NULL. */
void filter_free(struct filter *f);

/*
 * The terms, in the order written, for pushing some down (pid==N into a BPF program's rodata): term @i's
 * field index, operator and VALUE (unescaped, NUL-terminated, owned by @f). Any out pointer may be NULL.
 * filter_term() returns false when @i >= filter_nterms(). A pushed-down term must stay in the filter: it is
 * cheap to match again, and the kernel side may be coarser.
 */
size_t filter_nterms(const struct filter *f);
bool filter_term(const struct filter *f, size_t i, int *field, enum filter_op *op, const char **value);

/* The operator as written in EXPR ("==", "!~", ...), for messages. */
const char *filter_op_name(enum filter_op op);

#endif
