/* Converting the kernel's boot-time stamps to wall-clock time. */
#ifndef GADGETBOX_CLOCK_H
#define GADGETBOX_CLOCK_H

#include <stdint.h>

/* Measure the offset between CLOCK_BOOTTIME and CLOCK_REALTIME (call once at start). */
void gb_clock_init(void);
uint64_t gb_clock_boot_to_realtime(uint64_t boot_ns);
uint64_t gb_clock_realtime_ns(void);
/* CLOCK_MONOTONIC in milliseconds, for timers and rate limits. */
uint64_t gb_clock_monotonic_ms(void);
/* CLOCK_BOOTTIME in nanoseconds: the clock of the kernel's event stamps. */
uint64_t gb_clock_boottime_ns(void);
/* Nanoseconds since gb_clock_init(), for a boot-time stamp. */
uint64_t gb_clock_since_start(uint64_t boot_ns);

#endif
