/* redis_cache.c - the model answer cache shared in Redis (see
 * redis_cache.h). */
#include "server/redis_cache.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define INDEX "bb:llm:index"

typedef struct redis_cache {
    bb_llm_cache_store store; /* first: the store is the cache */
    bb_redis *r;
    bb_redis_cache_limits limits;
} redis_cache;

/* KEYS: entry, index. ARGV: hex, data, ttl, now, max entries. Writes the
 * entry, then forgets the oldest past the bound (and index members whose
 * entry expired). */
static bb_redis_script put_script = {
    .source = "redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])\n"
              "redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])\n"
              "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[4]) - "
              "tonumber(ARGV[3]))\n"
              "local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])\n"
              "if over > 0 then\n"
              "  for _, h in ipairs(redis.call('ZPOPMIN', KEYS[2], over)) do\n"
              "    if string.len(h) == 64 then redis.call('DEL', 'bb:llm:' .. h) end\n"
              "  end\n"
              "end\n"
              "return 1\n",
};

static void entry_key(char out[80], const char hex[65])
{
    snprintf(out, 80, "bb:llm:%.64s", hex);
}

static int cache_get(void *ctx, const char hex[65], bb_buf *out)
{
    redis_cache *c = ctx;
    char key[80];
    entry_key(key, hex);
    bb_redis_reply rep;
    int rc = bb_redis_cmd(c->r, 0, &rep, "GET", key, (const char *)NULL);
    if (!rc && rep.type != BB_REDIS_STR)
        rc = BB_ENOTFOUND;
    if (!rc)
        rc = bb_buf_append(out, rep.str, rep.len);
    bb_redis_reply_free(&rep);
    return rc;
}

static int cache_put(void *ctx, const char hex[65], const char *data, size_t len)
{
    redis_cache *c = ctx;
    if (len > c->limits.max_bytes)
        return BB_ELIMIT;
    char key[80], ttl[24], now[24], max[24];
    entry_key(key, hex);
    snprintf(ttl, sizeof(ttl), "%u", c->limits.ttl);
    snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
    snprintf(max, sizeof(max), "%u", c->limits.max_entries);
    const char *keys[] = {key, INDEX};
    const char *args[] = {hex, data, ttl, now, max};
    const size_t lens[] = {64, len, strlen(ttl), strlen(now), strlen(max)};
    bb_redis_reply rep;
    int rc = bb_redis_eval(c->r, 0, &put_script, &rep, 2, keys, 5, args, lens);
    bb_redis_reply_free(&rep);
    return rc;
}

bb_llm_cache_store *bb_redis_cache_new(bb_redis *r, const bb_redis_cache_limits *l)
{
    redis_cache *c = bb_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->r = r;
    c->limits = *l;
    if (c->limits.max_entries < 1)
        c->limits.max_entries = 1;
    if (c->limits.ttl < 1)
        c->limits.ttl = 1;
    c->store.get = cache_get;
    c->store.put = cache_put;
    c->store.ctx = c;
    return &c->store;
}

void bb_redis_cache_free(bb_llm_cache_store *s)
{
    bb_free(s); /* the store is the first member of its redis_cache */
}
