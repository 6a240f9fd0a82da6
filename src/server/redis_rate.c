/* redis_rate.c - rate limits counted in Redis (see redis_rate.h). */
#include "server/redis_rate.h"

#include <stdio.h>
#include <string.h>

#define MAX_RULES 4

/* KEYS: a counter's key without its window; ARGV: limit and window of
 * each. Returns {allowed, count1, left1, count2, left2, ...}, the counts
 * before this request. Counting first and taking back a refused request
 * is one call fewer per rule than reading first; the script is atomic, so
 * nobody sees the count in between. */
static bb_redis_script script = {
    .source = "local now = tonumber(redis.call('TIME')[1])\n"
              "local out, keys, allowed = {1}, {}, 1\n"
              "for i = 1, #KEYS do\n"
              "  local w = tonumber(ARGV[2 * i])\n"
              "  local start = now - now % w\n"
              "  keys[i] = KEYS[i] .. ':' .. start\n"
              "  local n = redis.call('INCR', keys[i])\n"
              "  if n == 1 then redis.call('EXPIRE', keys[i], w + 1) end\n"
              "  if n > tonumber(ARGV[2 * i - 1]) then allowed = 0 end\n"
              "  out[2 * i] = n - 1\n"
              "  out[2 * i + 1] = start + w - now\n"
              "end\n"
              "if allowed == 0 then\n"
              "  for i = 1, #KEYS do redis.call('DECR', keys[i]) end\n"
              "end\n"
              "out[1] = allowed\n"
              "return out\n",
};

static unsigned as_count(const bb_redis_reply *r)
{
    if (r->type != BB_REDIS_INT || r->integer < 0)
        return 0;
    return r->integer > 0xffffffffLL ? 0xffffffffU : (unsigned)r->integer;
}

int bb_redis_rate_hit(bb_redis *r, const char *identity, const bb_rate_rule *rules, size_t n_rules,
                      double deadline, bb_rate_result *out)
{
    bb_rate_rule active[MAX_RULES];
    size_t n = 0;
    for (size_t i = 0; i < n_rules && n < MAX_RULES; i++)
        if (rules[i].limit > 0 && rules[i].window > 0)
            active[n++] = rules[i];
    unsigned counts[MAX_RULES] = {0}, left[MAX_RULES] = {0};
    if (n == 0) {
        bb_ratelimit_decide(active, 0, counts, left, out);
        return BB_OK;
    }
    char keys[MAX_RULES][320], args[2 * MAX_RULES][16];
    const char *key_p[MAX_RULES], *arg_p[2 * MAX_RULES];
    for (size_t i = 0; i < n; i++) {
        snprintf(keys[i], sizeof(keys[i]), "bb:rl:{%.256s}:%.40s", identity, active[i].name);
        snprintf(args[2 * i], sizeof(args[0]), "%u", active[i].limit);
        snprintf(args[2 * i + 1], sizeof(args[0]), "%u", active[i].window);
        key_p[i] = keys[i];
        arg_p[2 * i] = args[2 * i];
        arg_p[2 * i + 1] = args[2 * i + 1];
    }
    bb_redis_reply rep;
    int rc = bb_redis_eval(r, deadline, &script, &rep, (int)n, key_p, (int)(2 * n), arg_p, NULL);
    if (!rc && (rep.type != BB_REDIS_ARRAY || rep.n != 1 + 2 * n))
        rc = BB_ESTATE;
    for (size_t i = 0; !rc && i < n; i++) {
        counts[i] = as_count(&rep.elem[1 + 2 * i]);
        left[i] = as_count(&rep.elem[2 + 2 * i]);
        if (left[i] < 1)
            left[i] = 1;
    }
    if (!rc)
        bb_ratelimit_decide(active, n, counts, left, out);
    bb_redis_reply_free(&rep);
    return rc;
}
