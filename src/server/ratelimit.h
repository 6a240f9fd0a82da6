/*
 * ratelimit.h - fixed-window rate limits per identity, in bounded memory.
 *
 * A rule is "limit requests per window seconds" with a name (the tier:
 * "public", "authenticated", "generate", "generate_hour", "validate"). A
 * request is checked against every rule of its route at once: it is allowed
 * only when every rule has room, and only then is it counted by all of them
 * (a refused request consumes nothing).
 *
 * Counters live in a fixed-size hash table split into shards, each behind
 * its own mutex. An identity's counter is found by open addressing over a
 * short probe run; when the run is full, the counter whose window started
 * longest ago is evicted. Memory is thus fixed at creation, whatever the
 * number of clients: an attacker cycling identities can only make old
 * counters restart, never grow the table.
 *
 * Ownership: bb_ratelimit_new() returns a table freed by bb_ratelimit_free().
 * Rules are borrowed and must outlive the calls that use them.
 */
#ifndef BB_RATELIMIT_H
#define BB_RATELIMIT_H

#include "base/bb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bb_ratelimit bb_ratelimit;

typedef struct bb_rate_rule {
    const char *name; /* the tier, part of the counter's key */
    unsigned limit;   /* 0: the rule never limits */
    unsigned window;  /* seconds */
} bb_rate_rule;

typedef struct bb_rate_result {
    bool allowed;
    const char *rule;     /* the binding rule: the refusing one, else the tightest */
    unsigned limit;       /* of the binding rule */
    unsigned remaining;   /* requests left in its window after this one */
    unsigned reset;       /* seconds until its window ends (at least 1) */
    unsigned retry_after; /* when refused: seconds until every refusing rule has room */
} bb_rate_result;

/* A table of about n_slots counters (rounded up to a multiple of the shard
 * count). NULL when out of memory. */
bb_ratelimit *bb_ratelimit_new(size_t n_slots) BB_WUR;
void bb_ratelimit_free(bb_ratelimit *rl);

/*
 * Checks and, when allowed, counts one request of identity against rules at
 * time now (seconds from any monotonic origin). Thread-safe.
 */
void bb_ratelimit_hit(bb_ratelimit *rl, const char *identity, const bb_rate_rule *rules,
                      size_t n_rules, uint64_t now, bb_rate_result *out);

/*
 * The answer to a check whose counters are known, wherever they are kept
 * (here, or in Redis: redis_rate.h): counts[i] requests already counted in
 * rule i's window, left[i] seconds until that window ends (at least 1).
 * When out->allowed, the caller counts the request in every rule.
 */
void bb_ratelimit_decide(const bb_rate_rule *rules, size_t n_rules, const unsigned *counts,
                         const unsigned *left, bb_rate_result *out);

/* Counters evicted to make room so far (for metrics and health). */
uint64_t bb_ratelimit_evictions(bb_ratelimit *rl);
size_t bb_ratelimit_capacity(const bb_ratelimit *rl);

#endif
