/*
 * redis_rate.h - the rate limits of ratelimit.h counted in Redis, so that
 * every replica of the service counts against the same windows.
 *
 * One Lua script checks every rule of a request and, when all have room,
 * counts it in all of them: atomic, so N requests of a limit of N pass
 * whichever replicas they reach. Windows are fixed and start at multiples
 * of their length on Redis's clock (TIME), so replicas whose clocks differ
 * still agree. A counter's key expires with its window.
 *
 * Keys: bb:rl:{IDENTITY}:RULE:WINDOW_START (the braces keep one identity's
 * counters together).
 */
#ifndef BB_REDIS_RATE_H
#define BB_REDIS_RATE_H

#include "server/ratelimit.h"
#include "server/redis.h"

/* Checks and counts one request of identity against rules, as
 * bb_ratelimit_hit() does in memory. BB_OK with *out; the errors of
 * bb_redis_command() when Redis cannot answer (nothing is counted). */
int bb_redis_rate_hit(bb_redis *r, const char *identity, const bb_rate_rule *rules, size_t n_rules,
                      double deadline, bb_rate_result *out) BB_WUR;

#endif
