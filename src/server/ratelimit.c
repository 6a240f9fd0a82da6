/* ratelimit.c - fixed-window counters in a sharded fixed-size table
 * (see ratelimit.h). */
#include "server/ratelimit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define SHARDS 16
#define PROBE 8     /* slots looked at per key before evicting */
#define KEY_MAX 192 /* identity + '\0' + rule name; longer keys are hashed only */
#define MAX_RULES 8

typedef struct slot {
    uint64_t hash; /* 0: free */
    uint64_t window_start;
    unsigned window;
    unsigned count;
    char key[KEY_MAX];
} slot;

typedef struct shard {
    pthread_mutex_t lock;
    slot *slots;
} shard;

struct bb_ratelimit {
    shard shards[SHARDS];
    size_t per_shard;
    _Atomic uint64_t evictions;
};

/* FNV-1a over identity, a separator and the rule name; never 0. */
static uint64_t key_hash(const char *identity, const char *rule)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = identity; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *p = rule; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h ^= h >> 29;
    return h ? h : 1;
}

static void make_key(char key[KEY_MAX], const char *identity, const char *rule)
{
    size_t a = strlen(identity), b = strlen(rule);
    if (a > KEY_MAX - 2 - b)
        a = KEY_MAX - 2 - b; /* a long identity is told apart by its hash */
    memcpy(key, identity, a);
    key[a] = '\x1f';
    memcpy(key + a + 1, rule, b);
    key[a + 1 + b] = '\0';
}

bb_ratelimit *bb_ratelimit_new(size_t n_slots)
{
    bb_ratelimit *rl = bb_calloc(1, sizeof(*rl));
    if (!rl)
        return NULL;
    rl->per_shard = (n_slots + SHARDS - 1) / SHARDS;
    if (rl->per_shard < PROBE)
        rl->per_shard = PROBE;
    for (size_t i = 0; i < SHARDS; i++) {
        rl->shards[i].slots = bb_calloc(rl->per_shard, sizeof(slot));
        if (!rl->shards[i].slots) {
            for (size_t j = 0; j < i; j++)
                bb_free(rl->shards[j].slots);
            bb_free(rl);
            return NULL;
        }
        pthread_mutex_init(&rl->shards[i].lock, NULL);
    }
    return rl;
}

void bb_ratelimit_free(bb_ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < SHARDS; i++) {
        pthread_mutex_destroy(&rl->shards[i].lock);
        bb_free(rl->shards[i].slots);
    }
    bb_free(rl);
}

size_t bb_ratelimit_capacity(const bb_ratelimit *rl)
{
    return rl->per_shard * SHARDS;
}

uint64_t bb_ratelimit_evictions(bb_ratelimit *rl)
{
    return atomic_load(&rl->evictions);
}

static bool window_over(const slot *s, uint64_t now)
{
    return now >= s->window_start + s->window;
}

/*
 * The counter of key in its shard (locked by the caller), created or
 * recycled as needed, with its window brought up to date.
 */
static slot *find_slot(bb_ratelimit *rl, shard *sh, uint64_t hash, const char *key, unsigned window,
                       uint64_t now)
{
    size_t start = (size_t)(hash / SHARDS) % rl->per_shard;
    slot *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        slot *s = &sh->slots[(start + i) % rl->per_shard];
        if (s->hash == hash && strcmp(s->key, key) == 0) {
            if (s->window != window || window_over(s, now)) {
                s->window = window;
                s->window_start = now;
                s->count = 0;
            }
            return s;
        }
        if (!free_slot && (s->hash == 0 || window_over(s, now)))
            free_slot = s;
        if (!oldest || s->window_start < oldest->window_start)
            oldest = s;
    }
    slot *s = free_slot;
    if (!s) {
        s = oldest;
        atomic_fetch_add(&rl->evictions, 1);
    }
    s->hash = hash;
    memcpy(s->key, key, KEY_MAX);
    s->window = window;
    s->window_start = now;
    s->count = 0;
    return s;
}

static unsigned seconds_left(const slot *s, uint64_t now)
{
    uint64_t end = s->window_start + s->window;
    return end > now ? (unsigned)(end - now) : 1;
}

static bool rule_active(const bb_rate_rule *r)
{
    return r->limit > 0 && r->window > 0;
}

void bb_ratelimit_decide(const bb_rate_rule *rules, size_t n_rules, const unsigned *counts,
                         const unsigned *left, bb_rate_result *out)
{
    memset(out, 0, sizeof(*out));
    out->allowed = true;
    for (size_t i = 0; i < n_rules; i++) {
        if (!rule_active(&rules[i]) || counts[i] < rules[i].limit)
            continue;
        if (out->allowed || left[i] > out->retry_after) {
            out->rule = rules[i].name;
            out->limit = rules[i].limit;
            out->remaining = 0;
            out->reset = left[i];
        }
        out->allowed = false;
        if (left[i] > out->retry_after)
            out->retry_after = left[i];
    }
    if (!out->allowed)
        return;
    bool have_binding = false;
    for (size_t i = 0; i < n_rules; i++) {
        if (!rule_active(&rules[i]))
            continue;
        unsigned remaining = rules[i].limit - counts[i] - 1;
        if (!have_binding || remaining < out->remaining) {
            have_binding = true;
            out->rule = rules[i].name;
            out->limit = rules[i].limit;
            out->remaining = remaining;
            out->reset = left[i];
        }
    }
}

void bb_ratelimit_hit(bb_ratelimit *rl, const char *identity, const bb_rate_rule *rules,
                      size_t n_rules, uint64_t now, bb_rate_result *out)
{
    slot *slots[MAX_RULES];
    shard *shards[MAX_RULES];
    unsigned counts[MAX_RULES] = {0}, left[MAX_RULES] = {0};
    if (n_rules > MAX_RULES)
        n_rules = MAX_RULES;

    /* Locks are taken in shard order so two threads never wait on each
     * other; a shard used by two rules is locked once. */
    bool need[SHARDS] = {false};
    uint64_t hashes[MAX_RULES];
    for (size_t i = 0; i < n_rules; i++) {
        hashes[i] = key_hash(identity, rules[i].name);
        shards[i] = &rl->shards[hashes[i] % SHARDS];
        if (rule_active(&rules[i]))
            need[hashes[i] % SHARDS] = true;
    }
    for (size_t k = 0; k < SHARDS; k++)
        if (need[k])
            pthread_mutex_lock(&rl->shards[k].lock);

    for (size_t i = 0; i < n_rules; i++) {
        slots[i] = NULL;
        counts[i] = left[i] = 0;
        if (!rule_active(&rules[i]))
            continue;
        char key[KEY_MAX];
        make_key(key, identity, rules[i].name);
        slots[i] = find_slot(rl, shards[i], hashes[i], key, rules[i].window, now);
        counts[i] = slots[i]->count;
        left[i] = seconds_left(slots[i], now);
    }
    bb_ratelimit_decide(rules, n_rules, counts, left, out);
    for (size_t i = 0; out->allowed && i < n_rules; i++)
        if (slots[i])
            slots[i]->count++;
    for (size_t k = SHARDS; k-- > 0;)
        if (need[k])
            pthread_mutex_unlock(&rl->shards[k].lock);
}
