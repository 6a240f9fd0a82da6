/*
 * redis_cache.h - the model answer cache of llm_cache.h kept in Redis, so
 * that replicas share it: an answer one replica paid for is free to the
 * others.
 *
 * Entries are keyed by the disk cache's hash (bb:llm:HEX), expire ttl
 * seconds after they are written, and are at most max_entries: past that,
 * the oldest written go first (a sorted set bb:llm:index orders them). An
 * answer larger than max_bytes is not shared. Redis being away is a miss,
 * never an error.
 *
 * Ownership: bb_redis_cache_new() borrows the client and returns a store
 * for bb_llm_cache_set_shared(), freed by bb_redis_cache_free() once it is
 * no longer set.
 */
#ifndef BB_REDIS_CACHE_H
#define BB_REDIS_CACHE_H

#include "llm/llm_cache.h"
#include "server/redis.h"

typedef struct bb_redis_cache_limits {
    unsigned ttl;         /* seconds */
    unsigned max_entries; /* >= 1 */
    size_t max_bytes;     /* of one entry */
} bb_redis_cache_limits;

/* NULL when out of memory. */
bb_llm_cache_store *bb_redis_cache_new(bb_redis *r, const bb_redis_cache_limits *l) BB_WUR;
void bb_redis_cache_free(bb_llm_cache_store *s);

#endif
