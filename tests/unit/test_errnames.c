/* Errno names (common/util/errnames.c). */
#include <errno.h>
#include <limits.h>

#include "errnames.h"
#include "unit.h"

TEST(test_errno_name_by_positive_and_negative_value)
{
	char buf[16];

	CHECK_STR_EQ(gb_errno_name(ENOENT, buf), "ENOENT");
	CHECK_STR_EQ(gb_errno_name(-ENOENT, buf), "ENOENT");
	CHECK_STR_EQ(gb_errno_name(EACCES, buf), "EACCES");
	CHECK_STR_EQ(gb_errno_name(-EACCES, buf), "EACCES");
	CHECK_STR_EQ(gb_errno_name(ELOOP, buf), "ELOOP");
	CHECK_STR_EQ(gb_errno_name(-ELOOP, buf), "ELOOP");
	CHECK_STR_EQ(gb_errno_name(-EPERM, buf), "EPERM");
	CHECK_STR_EQ(gb_errno_name(-E2BIG, buf), "E2BIG");
	CHECK_STR_EQ(gb_errno_name(-ERFKILL, buf), "ERFKILL");
}

TEST(test_errno_name_of_unknown_value_is_e_and_the_number)
{
	char buf[16];

	CHECK_STR_EQ(gb_errno_name(0, buf), "E0");
	CHECK_STR_EQ(gb_errno_name(4095, buf), "E4095");
	CHECK_STR_EQ(gb_errno_name(-4095, buf), "E4095");
	CHECK_STR_EQ(gb_errno_name(-520, buf), "E520"); /* a gap among the kernel-internal values */
	CHECK_STR_EQ(gb_errno_name(INT_MAX, buf), "E2147483647");
	CHECK(gb_errno_name(12345, buf) == buf);
}

TEST(test_errno_name_knows_kernel_internal_restart_values)
{
	char buf[16];

	CHECK_STR_EQ(gb_errno_name(-512, buf), "ERESTARTSYS");
	CHECK_STR_EQ(gb_errno_name(-516, buf), "ERESTART_RESTARTBLOCK");
	CHECK_STR_EQ(gb_errno_name(531, buf), "ENOGRACE");
}

TEST(test_errno_name_of_int_min_does_not_overflow)
{
	char buf[16];

	/* -INT_MIN is undefined behaviour; UBSan reports it */
	CHECK_STR_EQ(gb_errno_name(INT_MIN, buf), "E2147483648");
}
