/*
 * clock.h - the one clock of backbone: monotonic time for durations,
 * deadlines and timeouts (never the wall clock, which can jump).
 */
#ifndef BB_CLOCK_H
#define BB_CLOCK_H

#include <stdint.h>

/* Seconds since an arbitrary fixed point, with nanosecond resolution. */
double bb_clock_seconds(void);

/* Milliseconds since the same point. */
int64_t bb_clock_ms(void);

#endif
