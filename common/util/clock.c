#include "clock.h"

#include <time.h>

static int64_t boot_to_real;
static uint64_t start_boot_ns;

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void gb_clock_init(void)
{
	/* bracket the realtime read between two boot-time reads to halve the error */
	uint64_t b1 = now_ns(CLOCK_BOOTTIME);
	uint64_t r = now_ns(CLOCK_REALTIME);
	uint64_t b2 = now_ns(CLOCK_BOOTTIME);

	start_boot_ns = b1 + (b2 - b1) / 2;
	boot_to_real = (int64_t)(r - start_boot_ns);
}

uint64_t gb_clock_boot_to_realtime(uint64_t boot_ns)
{
	return boot_ns + boot_to_real;
}

uint64_t gb_clock_monotonic_ms(void)
{
	return now_ns(CLOCK_MONOTONIC) / 1000000;
}

uint64_t gb_clock_realtime_ns(void)
{
	return now_ns(CLOCK_REALTIME);
}

uint64_t gb_clock_boottime_ns(void)
{
	return now_ns(CLOCK_BOOTTIME);
}

uint64_t gb_clock_since_start(uint64_t boot_ns)
{
	return boot_ns > start_boot_ns ? boot_ns - start_boot_ns : 0;
}
