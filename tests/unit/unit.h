/*
 * A tiny unit-test framework. TEST(name) defines a test and registers it before main() runs; the runner in
 * main.c runs every test (or those whose name contains argv[1]) and ends with one line "N passed, N failed".
 * CHECK_* report file:line, the expression and the actual values, and let the test go on; REQUIRE returns
 * from the test when what follows would make no sense.
 */
#ifndef GADGETBOX_UNIT_H
#define GADGETBOX_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

void unit_register(const char *name, void (*fn)(void), const char *file, int line);
void unit_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The name of the test that is running, for messages. */
extern const char *unit_current;

/* Reports a difference between two byte strings; returns whether they were equal. */
bool unit_check_mem(const char *file, int line, const char *expr_a, const char *expr_b, const void *a, size_t alen,
		    const void *b, size_t blen);
bool unit_check_str(const char *file, int line, const char *expr_a, const char *expr_b, const char *a, const char *b);

#define TEST(name)                                                                                                     \
	static void name(void);                                                                                        \
	__attribute__((constructor)) static void name##_register(void)                                                 \
	{                                                                                                              \
		unit_register(#name, name, __FILE__, __LINE__);                                                        \
	}                                                                                                              \
	static void name(void)

#define CHECK(expr)                                                                                                    \
	do {                                                                                                           \
		if (!(expr))                                                                                           \
			unit_fail(__FILE__, __LINE__, "CHECK(%s)", #expr);                                             \
	} while (0)

#define REQUIRE(expr)                                                                                                  \
	do {                                                                                                           \
		if (!(expr)) {                                                                                         \
			unit_fail(__FILE__, __LINE__, "REQUIRE(%s)", #expr);                                           \
			return;                                                                                        \
		}                                                                                                      \
	} while (0)

#define CHECK_INT_EQ(a, b)                                                                                             \
	do {                                                                                                           \
		long long _a = (a), _b = (b);                                                                          \
		if (_a != _b)                                                                                          \
			unit_fail(__FILE__, __LINE__, "CHECK_INT_EQ(%s, %s): %lld != %lld", #a, #b, _a, _b);           \
	} while (0)

#define CHECK_UINT_EQ(a, b)                                                                                            \
	do {                                                                                                           \
		unsigned long long _a = (a), _b = (b);                                                                 \
		if (_a != _b)                                                                                          \
			unit_fail(__FILE__, __LINE__, "CHECK_UINT_EQ(%s, %s): %llu != %llu", #a, #b, _a, _b);          \
	} while (0)

#define CHECK_DBL_EQ(a, b)                                                                                             \
	do {                                                                                                           \
		double _a = (a), _b = (b);                                                                             \
		if (_a != _b)                                                                                          \
			unit_fail(__FILE__, __LINE__, "CHECK_DBL_EQ(%s, %s): %.17g != %.17g", #a, #b, _a, _b);         \
	} while (0)

/* NUL-terminated strings; either may be NULL. */
#define CHECK_STR_EQ(a, b) unit_check_str(__FILE__, __LINE__, #a, #b, (a), (b))
/* Byte strings with explicit lengths (embedded NULs allowed). */
#define CHECK_MEM_EQ(a, alen, b, blen) unit_check_mem(__FILE__, __LINE__, #a, #b, (a), (alen), (b), (blen))
/* A struct strbuf's contents against a string literal, which may contain NULs. */
#define CHECK_SB_EQ(sb, lit) unit_check_mem(__FILE__, __LINE__, #sb, #lit, (sb)->buf, (sb)->len, lit, sizeof(lit) - 1)

#endif
