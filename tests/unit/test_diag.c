/* The library's checks of a caller's options (common/core/diag.c): libbpf's OPTS_VALID habit. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "unit.h"

static char last[256];

static void keep(enum gb_log_level level, const char *msg, void *arg)
{
	(void)level, (void)arg;
	snprintf(last, sizeof(last), "%s", msg);
}

/* What a caller built against a newer header passes: the members we know, then one we do not. */
struct newer_opts {
	size_t sz;
	int known;
	uint64_t unknown;
};

TEST(test_opts_valid_accepts_older_and_same_size_and_zero_tails)
{
	struct newer_opts o = {.sz = sizeof(o), .known = 5};

	CHECK(gb_opts_valid("f", &o, offsetof(struct newer_opts, known), offsetof(struct newer_opts, unknown)));
	CHECK(gb_opts_valid("f", &o, offsetof(struct newer_opts, unknown), offsetof(struct newer_opts, unknown)));
	CHECK(gb_opts_valid("f", &o, sizeof(o), offsetof(struct newer_opts, unknown))); /* unknown is zero */
}

TEST(test_opts_valid_refuses_a_non_zero_member_it_does_not_know)
{
	struct newer_opts o = {.sz = sizeof(o), .known = 5, .unknown = 1ull << 40};

	gb_set_log(keep, NULL);
	last[0] = 0;
	CHECK(!gb_opts_valid("gb_exec__open", &o, sizeof(o), offsetof(struct newer_opts, unknown)));
	CHECK_STR_EQ(last, "gb_exec__open: the options set members this library does not know (24 bytes, this "
			   "library knows 16): built against a newer gadgetbox.h?");
	gb_set_log(NULL, NULL);
}
