/* The unit-test runner: runs the registered tests in file and line order. Usage: unit-tests [NAME-SUBSTRING] */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#define UNIT_MAX_TESTS 1024
/* Values longer than this are shown around their first difference. */
#define UNIT_SHOW_MAX 200

struct unit_test {
	const char *name, *file;
	int line;
	void (*fn)(void);
};

static struct unit_test tests[UNIT_MAX_TESTS];
static size_t ntests;
static bool current_failed, finished;
static pid_t runner_pid;
const char *unit_current;

void unit_register(const char *name, void (*fn)(void), const char *file, int line)
{
	if (ntests == UNIT_MAX_TESTS) {
		fprintf(stderr, "unit: more than %d tests; raise UNIT_MAX_TESTS\n", UNIT_MAX_TESTS);
		exit(1);
	}
	tests[ntests++] = (struct unit_test){name, file, line, fn};
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	current_failed = true;
	fprintf(stderr, "%s:%d: %s: ", file, line, unit_current);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A value as a C string literal, so control bytes and invalid UTF-8 are visible. */
static void show(const char *label, const unsigned char *s, size_t len, size_t from)
{
	size_t to = from + UNIT_SHOW_MAX < len ? from + UNIT_SHOW_MAX : len;

	fprintf(stderr, "    %s (%zu bytes%s): %s\"", label, len, from || to < len ? ", excerpt" : "",
		from ? "..." : "");
	for (size_t i = from; i < to; i++) {
		if (s[i] == '"' || s[i] == '\\')
			fprintf(stderr, "\\%c", s[i]);
		else if (s[i] == '\n')
			fputs("\\n", stderr);
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			fprintf(stderr, "\\x%02x", s[i]);
		else
			fputc(s[i], stderr);
	}
	fprintf(stderr, "\"%s\n", to < len ? "..." : "");
}

bool unit_check_mem(const char *file, int line, const char *expr_a, const char *expr_b, const void *a, size_t alen,
		    const void *b, size_t blen)
{
	const unsigned char *pa = a, *pb = b;
	size_t diff = 0;

	while (diff < alen && diff < blen && pa[diff] == pb[diff])
		diff++;
	if (diff == alen && diff == blen)
		return true;
	unit_fail(file, line, "%s == %s: differ at byte %zu", expr_a, expr_b, diff);
	size_t from = diff > UNIT_SHOW_MAX / 2 ? diff - UNIT_SHOW_MAX / 2 : 0;
	show("actual  ", pa, alen, from < alen ? from : 0);
	show("expected", pb, blen, from < blen ? from : 0);
	return false;
}

bool unit_check_str(const char *file, int line, const char *expr_a, const char *expr_b, const char *a, const char *b)
{
	if (a && b)
		return unit_check_mem(file, line, expr_a, expr_b, a, strlen(a), b, strlen(b));
	if (a == b)
		return true;
	unit_fail(file, line, "%s == %s: %s is NULL", expr_a, expr_b, a ? expr_b : expr_a);
	return false;
}

/* A test that ends the process (exit() in code under test) must not pass for a run that stopped early. */
static void exited_early(void)
{
	if (!finished && getpid() == runner_pid) {
		fprintf(stderr, "unit: %s called exit() in the test runner\n", unit_current ? unit_current : "?");
		fflush(stdout);
		_exit(1);
	}
}

/* An undefined-behaviour report fails the run instead of scrolling by (ASan errors already abort). */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

static int by_file_and_line(const void *x, const void *y)
{
	const struct unit_test *a = x, *b = y;
	int c = strcmp(a->file, b->file);

	return c ? c : a->line - b->line;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	unsigned passed = 0, failed = 0;

	runner_pid = getpid();
	atexit(exited_early);
	/* constructors run in no promised order */
	qsort(tests, ntests, sizeof(tests[0]), by_file_and_line);
	for (size_t i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		unit_current = tests[i].name;
		current_failed = false;
		tests[i].fn();
		fflush(stdout);
		if (current_failed) {
			fprintf(stderr, "FAIL %s\n", tests[i].name);
			failed++;
		} else {
			passed++;
		}
	}
	finished = true;
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
