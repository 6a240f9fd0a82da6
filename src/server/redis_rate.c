/* redis_rate.c - rate limits counted in Redis (see redis_rate.h). */
#include "server/redis_rate.h"

#include "base/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MAX_RULES 4
#define LEASE_MAX 64      /* requests counted at once, at most */
#define LEASE_SHARE 16    /* of a window's room, one lease takes at most 1/16 */
#define LEASE_KEY_MAX 192 /* identity and rule names; longer ones lease nothing */

/* KEYS: a counter's key without its window; ARGV: limit and window of
 * each, then the largest lease and the share of the room one may take.
 * Returns {granted, count1, left1, count2, left2, ...}: granted requests
 * counted in every rule (0: refused, nothing counted), the counts before
 * them and the seconds left in each window. Atomic, so nobody sees a
 * count in between. */
static bb_redis_script script = {
    .source = "local now = tonumber(redis.call('TIME')[1])\n"
              "local n = #KEYS\n"
              "local lease = tonumber(ARGV[2 * n + 1])\n"
              "local share = tonumber(ARGV[2 * n + 2])\n"
              "local out, keys, room = {0}, {}, nil\n"
              "for i = 1, n do\n"
              "  local w = tonumber(ARGV[2 * i])\n"
              "  local start = now - now % w\n"
              "  keys[i] = KEYS[i] .. ':' .. start\n"
              "  local count = tonumber(redis.call('GET', keys[i]) or '0')\n"
              "  local r = tonumber(ARGV[2 * i - 1]) - count\n"
              "  if room == nil or r < room then room = r end\n"
              "  out[2 * i] = count\n"
              "  out[2 * i + 1] = start + w - now\n"
              "end\n"
              "local granted = math.min(math.max(1, math.floor(room / share)), lease, room)\n"
              "if granted <= 0 then return out end\n"
              "for i = 1, n do\n"
              "  if redis.call('INCRBY', keys[i], granted) == granted then\n"
              "    redis.call('EXPIRE', keys[i], tonumber(ARGV[2 * i]) + 1)\n"
              "  end\n"
              "end\n"
              "out[1] = granted\n"
              "return out\n",
};

/* Requests one replica may still let through without asking Redis, or
 * (granted 0) the news that a rule has no room left: counts only go up
 * within a window, so it stays full until the window ends. */
typedef struct lease {
    char key[LEASE_KEY_MAX]; /* "" : none */
    unsigned granted, used;
    unsigned counts[MAX_RULES]; /* before the grant */
    double ends;                /* on bb_clock_seconds(): before any window ends */
} lease;

struct bb_redis_rate {
    bb_redis *redis;
    pthread_mutex_t lock;
    lease *slots;
    size_t n_slots;
    atomic_ulong calls; /* not under lock: it only counts */
};

bb_redis_rate *bb_redis_rate_new(bb_redis *r, size_t n_slots)
{
    bb_redis_rate *rr = bb_calloc(1, sizeof(*rr));
    if (!rr)
        return NULL;
    rr->n_slots = n_slots ? n_slots : 1;
    rr->slots = bb_calloc(rr->n_slots, sizeof(*rr->slots));
    if (!rr->slots) {
        bb_free(rr);
        return NULL;
    }
    rr->redis = r;
    pthread_mutex_init(&rr->lock, NULL);
    return rr;
}

void bb_redis_rate_free(bb_redis_rate *rr)
{
    if (!rr)
        return;
    pthread_mutex_destroy(&rr->lock);
    bb_free(rr->slots);
    bb_free(rr);
}

unsigned long bb_redis_rate_calls(bb_redis_rate *rr)
{
    return atomic_load_explicit(&rr->calls, memory_order_relaxed);
}

static unsigned as_count(const bb_redis_reply *r)
{
    if (r->type != BB_REDIS_INT || r->integer < 0)
        return 0;
    return r->integer > 0xffffffffLL ? 0xffffffffU : (unsigned)r->integer;
}

/* The lease's key: identity and the rules' names. False when too long. */
static bool lease_key(const char *identity, const bb_rate_rule *rules, size_t n, char *key)
{
    int len = snprintf(key, LEASE_KEY_MAX, "%s", identity);
    for (size_t i = 0; i < n && len >= 0 && len < LEASE_KEY_MAX; i++)
        len += snprintf(key + len, (size_t)(LEASE_KEY_MAX - len), "\x1f%s", rules[i].name);
    return len >= 0 && len < LEASE_KEY_MAX;
}

static lease *slot_of(bb_redis_rate *rr, const char *key)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return &rr->slots[h % rr->n_slots];
}

/* Takes one request from identity's lease, if it has one left: the
 * counts before it and the seconds left go to counts and left. */
static bool take_leased(bb_redis_rate *rr, const char *key, size_t n, unsigned *counts,
                        unsigned *left)
{
    double now = bb_clock_seconds();
    pthread_mutex_lock(&rr->lock);
    lease *l = slot_of(rr, key);
    bool ok = strcmp(l->key, key) == 0 && (!l->granted || l->used < l->granted) && now < l->ends;
    if (ok) {
        for (size_t i = 0; i < n; i++)
            counts[i] = l->counts[i] + l->used;
        unsigned secs = (unsigned)(l->ends - now) + 1;
        for (size_t i = 0; i < n; i++)
            left[i] = secs;
        l->used += l->granted != 0;
    }
    pthread_mutex_unlock(&rr->lock);
    return ok;
}

/* Keeps what a grant of more than one request leaves for later, or that
 * a refusal (granted 0) will be refused again. The windows' seconds left
 * are whole: one is taken off, so a lease is never used in a window that
 * has begun since. */
static void keep_lease(bb_redis_rate *rr, const char *key, size_t n, unsigned granted,
                       const unsigned *counts, const unsigned *left)
{
    unsigned shortest = left[0];
    for (size_t i = 1; i < n; i++)
        if (left[i] < shortest)
            shortest = left[i];
    if (granted == 1 || shortest < 2)
        return;
    double now = bb_clock_seconds(), ends = now + shortest - 1;
    pthread_mutex_lock(&rr->lock);
    lease *l = slot_of(rr, key);
    if (granted && strcmp(l->key, key) == 0 && l->used < l->granted && now < l->ends) {
        /* Another thread's grant is not used up: both are kept, or the
         * requests counted for it would be lost. */
        l->granted += granted;
        l->used++;
        l->ends = ends < l->ends ? ends : l->ends;
    } else {
        snprintf(l->key, sizeof(l->key), "%s", key);
        l->granted = granted;
        l->used = granted != 0; /* this request */
        memcpy(l->counts, counts, n * sizeof(*counts));
        l->ends = ends;
    }
    pthread_mutex_unlock(&rr->lock);
}

/* One call to Redis: *granted requests counted (0: refused). */
static int ask_redis(bb_redis_rate *rr, const char *identity, const bb_rate_rule *active, size_t n,
                     bool may_lease, double deadline, unsigned *granted, unsigned *counts,
                     unsigned *left)
{
    char keys[MAX_RULES][320], args[2 * MAX_RULES + 2][16];
    const char *key_p[MAX_RULES], *arg_p[2 * MAX_RULES + 2];
    for (size_t i = 0; i < n; i++) {
        snprintf(keys[i], sizeof(keys[i]), "bb:rl:{%.256s}:%.40s", identity, active[i].name);
        snprintf(args[2 * i], sizeof(args[0]), "%u", active[i].limit);
        snprintf(args[2 * i + 1], sizeof(args[0]), "%u", active[i].window);
        key_p[i] = keys[i];
    }
    snprintf(args[2 * n], sizeof(args[0]), "%u", may_lease ? LEASE_MAX : 1);
    snprintf(args[2 * n + 1], sizeof(args[0]), "%u", LEASE_SHARE);
    for (size_t i = 0; i < 2 * n + 2; i++)
        arg_p[i] = args[i];
    atomic_fetch_add_explicit(&rr->calls, 1, memory_order_relaxed);
    bb_redis_reply rep;
    int rc = bb_redis_eval(rr->redis, deadline, &script, &rep, (int)n, key_p, (int)(2 * n + 2),
                           arg_p, NULL);
    if (!rc && (rep.type != BB_REDIS_ARRAY || rep.n != 1 + 2 * n))
        rc = BB_ESTATE;
    if (!rc)
        *granted = as_count(&rep.elem[0]);
    for (size_t i = 0; !rc && i < n; i++) {
        counts[i] = as_count(&rep.elem[1 + 2 * i]);
        left[i] = as_count(&rep.elem[2 + 2 * i]);
        if (left[i] < 1)
            left[i] = 1;
    }
    bb_redis_reply_free(&rep);
    return rc;
}

int bb_redis_rate_hit(bb_redis_rate *rr, const char *identity, const bb_rate_rule *rules,
                      size_t n_rules, double deadline, bb_rate_result *out)
{
    bb_rate_rule active[MAX_RULES];
    size_t n = 0;
    for (size_t i = 0; i < n_rules && n < MAX_RULES; i++)
        if (rules[i].limit > 0 && rules[i].window > 0)
            active[n++] = rules[i];
    unsigned counts[MAX_RULES] = {0}, left[MAX_RULES] = {0}, granted = 0;
    char key[LEASE_KEY_MAX];
    bool may_lease = n > 0 && lease_key(identity, active, n, key);
    if (n == 0 || (may_lease && take_leased(rr, key, n, counts, left))) {
        bb_ratelimit_decide(active, n, counts, left, out);
        return BB_OK;
    }
    int rc = ask_redis(rr, identity, active, n, may_lease, deadline, &granted, counts, left);
    if (rc)
        return rc;
    /* Refused (nothing granted): some rule is full, and decide() says so. */
    if (may_lease)
        keep_lease(rr, key, n, granted, counts, left);
    bb_ratelimit_decide(active, n, counts, left, out);
    return BB_OK;
}
