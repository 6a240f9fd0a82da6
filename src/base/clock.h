/*
 * clock.h - the one clock of backbone: monotonic time for durations,
 * deadlines and timeouts (never the wall clock, which can jump).
 */
#ifndef BB_CLOCK_H
#define BB_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Seconds since an arbitrary fixed point, with nanosecond resolution. */
double bb_clock_seconds(void);

/* Seconds since the epoch (CLOCK_REALTIME): for times other processes read
 * too, such as a job's deadline kept in Redis. */
double bb_clock_wall_seconds(void);

/* Milliseconds since the same point. */
int64_t bb_clock_ms(void);

/* The wall-clock time ms milliseconds from now: the absolute time
 * pthread_cond_timedwait() takes (its condition variables wait on the wall
 * clock). A wait with it is a bounded nap; durations still come from the
 * monotonic clock above. */
struct timespec bb_clock_wall_after_ms(long ms);

#endif
