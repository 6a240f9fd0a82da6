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
 * Leases: a call to Redis costs about as much as a validate request, so
 * when a window has plenty of room the script counts a few requests at
 * once (a sixteenth of the room, at most 64) and the replica hands them
 * out itself until they run out or the window is about to end. The room
 * is never exceeded; what a lease leaves unused is lost, so a client that
 * moves between replicas may be refused up to one lease per replica early.
 * Under 32 requests of room a lease is one request: exact, as without.
 *
 * Keys: bb:rl:{IDENTITY}:RULE:WINDOW_START (the braces keep one identity's
 * counters together).
 */
#ifndef BB_REDIS_RATE_H
#define BB_REDIS_RATE_H

#include "server/ratelimit.h"
#include "server/redis.h"

typedef struct bb_redis_rate bb_redis_rate;

/* Limits counted through r (borrowed: it must outlive the result), with
 * room for the leases of n_slots identities. NULL when out of memory. */
bb_redis_rate *bb_redis_rate_new(bb_redis *r, size_t n_slots) BB_WUR;
void bb_redis_rate_free(bb_redis_rate *rr);

/* Checks and counts one request of identity against rules, as
 * bb_ratelimit_hit() does in memory; thread-safe. BB_OK with *out; the
 * errors of bb_redis_command() when Redis cannot answer (nothing is
 * counted). */
int bb_redis_rate_hit(bb_redis_rate *rr, const char *identity, const bb_rate_rule *rules,
                      size_t n_rules, double deadline, bb_rate_result *out) BB_WUR;

/* Calls made to Redis so far, for the bench and tests. */
unsigned long bb_redis_rate_calls(bb_redis_rate *rr);

#endif
