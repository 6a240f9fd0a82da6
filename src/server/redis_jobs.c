/* redis_jobs.c - jobs shared by replicas through a Redis stream (see
 * redis_jobs.h). */
#include "server/redis_jobs.h"

#include "base/clock.h"
#include "base/crypto.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STREAM "bb:jobs"
#define GROUP "bb"
#define OPEN "bb:jobs:open"
#define MAX_ATTEMPTS 3
/* Retry-After when the jobs in the way have no deadline to go by. */
#define RETRY_UNKNOWN 30
/* How long one XREADGROUP waits for a job, in ms. */
#define READ_BLOCK_MS 500
/* A job without a deadline is scored this far ahead. */
#define NO_DEADLINE (10.0 * 365 * 86400)

enum { REASON_NONE, REASON_OWNER, REASON_HANDBACK };

typedef struct slot {
    bool used, ended; /* under the store's lock */
    pthread_t thread;
    char id[BB_JOB_ID_LEN];
    char msg[64]; /* the stream entry */
    atomic_bool cancel;
    atomic_int reason;
    struct bb_redis_jobs *rj;
} slot;

struct bb_redis_jobs {
    bb_redis *r;
    bb_redis_jobs_config cfg;
    char consumer[128];
    slot *slots;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t dispatcher;
    atomic_bool stopping;
    atomic_size_t handed_back;
    bool group_ready;
};

/* ---- scripts ------------------------------------------------------------ */

/* KEYS: job, open, owner's open, stream. ARGV: id, owner, payload, now,
 * deadline, max_running, max_per_owner, the hash's lifetime. */
static bb_redis_script submit_script = {
    .source = "local now = tonumber(ARGV[4])\n"
              "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60)\n"
              "redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 60)\n"
              "local per = tonumber(ARGV[7])\n"
              "if per > 0 and redis.call('ZCARD', KEYS[3]) >= per then\n"
              "  return {1, redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')[2]}\n"
              "end\n"
              "if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then\n"
              "  return {2, redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2]}\n"
              "end\n"
              "redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'state', 'queued', 'created', "
              "ARGV[4], 'deadline', ARGV[5], 'payload', ARGV[3], 'attempts', '0')\n"
              "redis.call('EXPIRE', KEYS[1], ARGV[8])\n"
              "redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])\n"
              "redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])\n"
              "redis.call('XADD', KEYS[4], '*', 'id', ARGV[1])\n"
              "return {0}\n",
};

/* KEYS: job. ARGV: max attempts, now, consumer. */
static bb_redis_script take_script = {
    .source = "if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end\n"
              "local st = redis.call('HGET', KEYS[1], 'state')\n"
              "if st ~= 'queued' and st ~= 'running' then return {'gone'} end\n"
              "local owner = redis.call('HGET', KEYS[1], 'owner')\n"
              "local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)\n"
              "if redis.call('HGET', KEYS[1], 'cancel') then return {'cancel', owner} end\n"
              "if n > tonumber(ARGV[1]) then return {'abandoned', owner} end\n"
              "redis.call('HSET', KEYS[1], 'state', 'running', 'started', ARGV[2], 'runner', "
              "ARGV[3])\n"
              "return {'run', owner, redis.call('HGET', KEYS[1], 'payload'), "
              "redis.call('HGET', KEYS[1], 'deadline')}\n",
};

/* KEYS: job, open, owner's open, stream. ARGV: id, state, status, result,
 * now, ttl, entry. */
static bb_redis_script finish_script = {
    .source = "if redis.call('EXISTS', KEYS[1]) == 1 then\n"
              "  redis.call('HSET', KEYS[1], 'state', ARGV[2], 'status', ARGV[3], 'result', "
              "ARGV[4], 'finished', ARGV[5])\n"
              "  redis.call('HDEL', KEYS[1], 'payload', 'cancel')\n"
              "  redis.call('EXPIRE', KEYS[1], ARGV[6])\n"
              "end\n"
              "redis.call('ZREM', KEYS[2], ARGV[1])\n"
              "redis.call('ZREM', KEYS[3], ARGV[1])\n"
              "redis.call('XACK', KEYS[4], 'bb', ARGV[7])\n"
              "redis.call('XDEL', KEYS[4], ARGV[7])\n"
              "return 1\n",
};

/* KEYS: job, stream. ARGV: id, entry. */
static bb_redis_script hand_back_script = {
    .source = "if redis.call('EXISTS', KEYS[1]) == 1 then\n"
              "  redis.call('HSET', KEYS[1], 'state', 'queued')\n"
              "  redis.call('HINCRBY', KEYS[1], 'attempts', -1)\n"
              "  redis.call('XADD', KEYS[2], '*', 'id', ARGV[1])\n"
              "end\n"
              "redis.call('XACK', KEYS[2], 'bb', ARGV[2])\n"
              "redis.call('XDEL', KEYS[2], ARGV[2])\n"
              "return 1\n",
};

/* KEYS: job, open, owner's open. ARGV: owner, id, cancelled body, now, ttl.
 * 0: not found, 1: cancelled (or marked), 2: forgotten. */
static bb_redis_script cancel_script = {
    .source = "if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end\n"
              "local st = redis.call('HGET', KEYS[1], 'state')\n"
              "if st == 'queued' then\n"
              "  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'status', '499', 'result', "
              "ARGV[3], 'finished', ARGV[4])\n"
              "  redis.call('HDEL', KEYS[1], 'payload')\n"
              "  redis.call('EXPIRE', KEYS[1], ARGV[5])\n"
              "  redis.call('ZREM', KEYS[2], ARGV[2])\n"
              "  redis.call('ZREM', KEYS[3], ARGV[2])\n"
              "  return 1\n"
              "elseif st == 'running' then\n"
              "  redis.call('HSET', KEYS[1], 'cancel', '1')\n"
              "  return 1\n"
              "end\n"
              "redis.call('DEL', KEYS[1])\n"
              "return 2\n",
};

/* ---- keys and small helpers --------------------------------------------- */

static void job_key(char *out, size_t size, const char *id)
{
    snprintf(out, size, "bb:job:%s", id);
}

static void owner_key(char *out, size_t size, const char *owner)
{
    snprintf(out, size, OPEN ":%.300s", owner);
}

static void log_event(bb_redis_jobs *rj, const char *level, const char *msg, const char *id)
{
    if (!rj->cfg.log)
        return;
    char extra[96];
    snprintf(extra, sizeof(extra), ",\"job\":\"%s\"", id ? id : "");
    rj->cfg.log(rj->cfg.log_ctx, level, msg, id ? extra : NULL);
}

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* A deadline for one of the store's own commands. */
static double soon(void)
{
    return bb_clock_seconds() + 2.0;
}

/* Whether id is 32 hex digits (anything else is no job, and no key). */
static bool id_valid(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++)
        if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
            return false;
    return n == 32;
}

/* ---- submitting, reading, cancelling ------------------------------------ */

static unsigned retry_after_of(const bb_redis_reply *score)
{
    const char *s = bb_redis_reply_str(score);
    if (!s)
        return RETRY_UNKNOWN;
    double wait = ceil(strtod(s, NULL) - bb_clock_wall_seconds());
    if (wait > NO_DEADLINE / 2)
        return RETRY_UNKNOWN;
    return wait < 1 ? 1 : wait > 86400 ? 86400 : (unsigned)wait;
}

int bb_redis_jobs_submit(bb_redis_jobs *rj, const char *owner, const char *payload, size_t len,
                         char id[BB_JOB_ID_LEN], bb_jobs_refusal *why)
{
    memset(why, 0, sizeof(*why));
    int rc = bb_jobs_new_id(id);
    if (rc)
        return rc;
    const bb_jobs_limits *l = &rj->cfg.limits;
    double now = bb_clock_wall_seconds();
    char key[64], okey[320], snow[32], sdeadline[32], smax[24], sper[24], slife[24];
    job_key(key, sizeof(key), id);
    owner_key(okey, sizeof(okey), owner);
    snprintf(snow, sizeof(snow), "%.3f", now);
    snprintf(sdeadline, sizeof(sdeadline), "%.3f",
             now + (l->timeout > 0 ? l->timeout : NO_DEADLINE));
    snprintf(smax, sizeof(smax), "%zu", l->max_running);
    snprintf(sper, sizeof(sper), "%zu", l->max_per_owner);
    snprintf(slife, sizeof(slife), "%.0f",
             (l->timeout > 0 ? l->timeout : 7 * 86400.0) + l->ttl + 3600);
    const char *keys[] = {key, OPEN, okey, STREAM};
    const char *args[] = {id, owner, payload, snow, sdeadline, smax, sper, slife};
    size_t lens[8];
    for (int i = 0; i < 8; i++)
        lens[i] = i == 2 ? len : strlen(args[i]);
    bb_redis_reply rep;
    rc = bb_redis_eval(rj->r, 0, &submit_script, &rep, 4, keys, 8, args, lens);
    if (!rc && (rep.type != BB_REDIS_ARRAY || rep.n < 1 || rep.elem[0].type != BB_REDIS_INT))
        rc = BB_ESTATE;
    if (!rc && rep.elem[0].integer != 0) {
        why->per_owner = rep.elem[0].integer == 1;
        why->retry_after = rep.n > 1 ? retry_after_of(&rep.elem[1]) : RETRY_UNKNOWN;
        rc = BB_ELIMIT;
    }
    bb_redis_reply_free(&rep);
    return rc;
}

static long long number_of(const bb_redis_reply *r)
{
    const char *s = bb_redis_reply_str(r);
    return s ? strtoll(s, NULL, 10) : 0;
}

int bb_redis_jobs_status_json(bb_redis_jobs *rj, const char *id, const char *owner, char **json)
{
    *json = NULL;
    if (!id_valid(id))
        return BB_ENOTFOUND;
    char key[64];
    job_key(key, sizeof(key), id);
    bb_redis_reply rep;
    int rc = bb_redis_cmd(rj->r, 0, &rep, "HMGET", key, "owner", "state", "created", "started",
                          "finished", "status", "result", (const char *)NULL);
    if (rc) {
        bb_redis_reply_free(&rep);
        return rc;
    }
    bb_job_view v;
    memset(&v, 0, sizeof(v));
    const char *who = rep.n == 7 ? bb_redis_reply_str(&rep.elem[0]) : NULL;
    if (!who || strcmp(who, owner) != 0 ||
        !bb_job_state_parse(bb_redis_reply_str(&rep.elem[1]), &v.state)) {
        bb_redis_reply_free(&rep);
        return BB_ENOTFOUND;
    }
    v.created = (time_t)number_of(&rep.elem[2]);
    v.started = (time_t)number_of(&rep.elem[3]);
    v.finished = (time_t)number_of(&rep.elem[4]);
    v.status = (int)number_of(&rep.elem[5]);
    v.body = rep.elem[6].str;
    v.len = rep.elem[6].len;
    rc = bb_job_view_json(id, &v, json);
    bb_redis_reply_free(&rep);
    return rc;
}

int bb_redis_jobs_cancel(bb_redis_jobs *rj, const char *id, const char *owner, bool *forgotten)
{
    *forgotten = false;
    if (!id_valid(id))
        return BB_ENOTFOUND;
    char *body = bb_jobs_cancelled_body("cancelled by its owner");
    if (!body)
        return BB_ENOMEM;
    char key[64], okey[320], snow[32], sttl[24];
    job_key(key, sizeof(key), id);
    owner_key(okey, sizeof(okey), owner);
    snprintf(snow, sizeof(snow), "%.0f", bb_clock_wall_seconds());
    snprintf(sttl, sizeof(sttl), "%.0f", rj->cfg.limits.ttl > 1 ? rj->cfg.limits.ttl : 1);
    const char *keys[] = {key, OPEN, okey};
    const char *args[] = {owner, id, body, snow, sttl};
    bb_redis_reply rep;
    int rc = bb_redis_eval(rj->r, 0, &cancel_script, &rep, 3, keys, 5, args, NULL);
    bb_free(body);
    if (!rc && rep.type != BB_REDIS_INT)
        rc = BB_ESTATE;
    if (!rc && rep.integer == 0)
        rc = BB_ENOTFOUND;
    if (!rc)
        *forgotten = rep.integer == 2;
    bb_redis_reply_free(&rep);
    return rc;
}

/* ---- running a job ------------------------------------------------------ */

/* Acknowledges and deletes a stream entry whose job needs no run. */
static void drop_entry(bb_redis_jobs *rj, const char *msg)
{
    bb_redis_reply r;
    int rc = bb_redis_cmd(rj->r, soon(), &r, "XACK", STREAM, GROUP, msg, (const char *)NULL);
    bb_redis_reply_free(&r);
    if (!rc)
        rc = bb_redis_cmd(rj->r, soon(), &r, "XDEL", STREAM, msg, (const char *)NULL);
    bb_redis_reply_free(&r);
}

/* Writes the job's end and removes its stream entry; retried while Redis
 * is away, for up to the visibility timeout (then another replica runs
 * the job again). */
static void finish(slot *s, const char *owner, const char *state, int status, const char *body,
                   size_t len)
{
    bb_redis_jobs *rj = s->rj;
    char key[64], okey[320], sstatus[16], snow[32], sttl[24];
    job_key(key, sizeof(key), s->id);
    owner_key(okey, sizeof(okey), owner);
    snprintf(sstatus, sizeof(sstatus), "%d", status);
    snprintf(snow, sizeof(snow), "%.0f", bb_clock_wall_seconds());
    snprintf(sttl, sizeof(sttl), "%.0f", rj->cfg.limits.ttl > 1 ? rj->cfg.limits.ttl : 1);
    const char *keys[] = {key, OPEN, okey, STREAM};
    const char *args[] = {s->id, state, sstatus, body ? body : "", snow, sttl, s->msg};
    size_t lens[7];
    for (int i = 0; i < 7; i++)
        lens[i] = i == 3 ? (body ? len : 0) : strlen(args[i]);
    double give_up = bb_clock_seconds() + rj->cfg.visibility;
    for (;;) {
        bb_redis_reply rep;
        int rc = bb_redis_eval(rj->r, soon(), &finish_script, &rep, 4, keys, 7, args, lens);
        bb_redis_reply_free(&rep);
        if (rc == BB_OK || bb_clock_seconds() > give_up)
            return;
        nap_ms(200);
    }
}

static void finish_cancelled(slot *s, const char *owner, int status, const char *message)
{
    char *body = bb_jobs_cancelled_body(message);
    finish(s, owner, "cancelled", status, body, body ? strlen(body) : 0);
    bb_free(body);
}

static void hand_back(slot *s)
{
    char key[64];
    job_key(key, sizeof(key), s->id);
    const char *keys[] = {key, STREAM};
    const char *args[] = {s->id, s->msg};
    bb_redis_reply rep;
    if (bb_redis_eval(s->rj->r, soon(), &hand_back_script, &rep, 2, keys, 2, args, NULL) == BB_OK)
        atomic_fetch_add(&s->rj->handed_back, 1);
    bb_redis_reply_free(&rep);
}

/* Runs the job of a taken entry: what the take script said to do. */
static void run_taken(slot *s, const bb_redis_reply *t)
{
    bb_redis_jobs *rj = s->rj;
    const char *what = bb_redis_reply_str(&t->elem[0]);
    const char *owner = t->n > 1 && bb_redis_reply_str(&t->elem[1]) ? t->elem[1].str : "";
    if (strcmp(what, "cancel") == 0) {
        finish_cancelled(s, owner, 499, "cancelled by its owner");
        return;
    }
    if (strcmp(what, "abandoned") == 0) {
        log_event(rj, "warn", "job abandoned: its runners stopped three times", s->id);
        finish_cancelled(s, owner, 503, "abandoned: the replicas running it stopped three times");
        return;
    }
    if (t->n < 4 || !t->elem[2].str)
        return;
    if (atomic_load(&s->reason) == REASON_HANDBACK) {
        hand_back(s);
        return;
    }
    double deadline_wall = number_of(&t->elem[3]);
    double deadline = 0;
    if (rj->cfg.limits.timeout > 0)
        deadline = bb_clock_seconds() + (deadline_wall - bb_clock_wall_seconds());
    bb_job_ctx ctx = {&s->cancel, deadline};
    bb_job_result res = {0};
    int rc = rj->cfg.run(rj->cfg.run_ctx, t->elem[2].str, t->elem[2].len, &ctx, &res);
    int reason = atomic_load(&s->reason);
    if (reason == REASON_HANDBACK)
        hand_back(s);
    else if (reason == REASON_OWNER)
        finish_cancelled(s, owner, 499, "cancelled by its owner");
    else if (deadline > 0 && bb_clock_seconds() >= deadline) {
        char msg[96];
        snprintf(msg, sizeof(msg), "cancelled: its deadline of %.0f s passed",
                 rj->cfg.limits.timeout);
        finish_cancelled(s, owner, 504, msg);
    } else
        finish(s, owner, rc == BB_OK ? "done" : "failed", res.status, res.body, res.len);
    bb_free(res.body);
}

static void *job_main(void *p)
{
    slot *s = p;
    bb_redis_jobs *rj = s->rj;
    char key[64], snow[32], smax[8];
    job_key(key, sizeof(key), s->id);
    snprintf(snow, sizeof(snow), "%.0f", bb_clock_wall_seconds());
    snprintf(smax, sizeof(smax), "%d", MAX_ATTEMPTS);
    const char *keys[] = {key};
    const char *args[] = {smax, snow, rj->consumer};
    bb_redis_reply t;
    int rc = bb_redis_eval(rj->r, soon(), &take_script, &t, 1, keys, 3, args, NULL);
    if (!rc && t.type == BB_REDIS_ARRAY && t.n >= 1 && bb_redis_reply_str(&t.elem[0])) {
        if (strcmp(t.elem[0].str, "gone") == 0) {
            drop_entry(rj, s->msg);
        } else {
            run_taken(s, &t);
        }
    }
    /* Otherwise Redis is away: the entry stays pending, and is taken again
     * after the visibility timeout. */
    bb_redis_reply_free(&t);
    pthread_mutex_lock(&rj->lock);
    s->ended = true;
    pthread_cond_broadcast(&rj->changed);
    pthread_mutex_unlock(&rj->lock);
    return NULL;
}

/* ---- the dispatcher ----------------------------------------------------- */

/* Joins the threads of ended jobs and frees their slots; how many slots
 * are free. */
static size_t reap(bb_redis_jobs *rj)
{
    size_t n_free = 0;
    for (unsigned i = 0; i < rj->cfg.slots; i++) {
        slot *s = &rj->slots[i];
        pthread_mutex_lock(&rj->lock);
        bool join = s->used && s->ended;
        pthread_mutex_unlock(&rj->lock);
        if (join) {
            pthread_join(s->thread, NULL);
            pthread_mutex_lock(&rj->lock);
            s->used = s->ended = false;
            pthread_mutex_unlock(&rj->lock);
        }
        pthread_mutex_lock(&rj->lock);
        n_free += !s->used;
        pthread_mutex_unlock(&rj->lock);
    }
    return n_free;
}

/* Starts the job of stream entry msg in a free slot. */
static void start_job(bb_redis_jobs *rj, const char *msg, const char *id)
{
    slot *s = NULL;
    pthread_mutex_lock(&rj->lock);
    for (unsigned i = 0; i < rj->cfg.slots && !s; i++)
        if (!rj->slots[i].used)
            s = &rj->slots[i];
    if (s) {
        s->used = true;
        s->ended = false;
        snprintf(s->id, sizeof(s->id), "%s", id);
        snprintf(s->msg, sizeof(s->msg), "%s", msg);
        atomic_store(&s->cancel, false);
        atomic_store(&s->reason, REASON_NONE);
        s->rj = rj;
        if (pthread_create(&s->thread, NULL, job_main, s) != 0)
            s->used = false;
    }
    pthread_mutex_unlock(&rj->lock);
}

/* The job id of a stream entry [entry-id, [field, value, ...]]. */
static const char *entry_job(const bb_redis_reply *e)
{
    if (e->type != BB_REDIS_ARRAY || e->n < 2 || e->elem[1].type != BB_REDIS_ARRAY)
        return NULL;
    const bb_redis_reply *f = &e->elem[1];
    for (size_t i = 0; i + 1 < f->n; i += 2)
        if (bb_redis_reply_str(&f->elem[i]) && strcmp(f->elem[i].str, "id") == 0)
            return bb_redis_reply_str(&f->elem[i + 1]);
    return NULL;
}

/* Starts the job of each entry of a list. */
static void start_entries(bb_redis_jobs *rj, const bb_redis_reply *list)
{
    for (size_t i = 0; list->type == BB_REDIS_ARRAY && i < list->n; i++) {
        const bb_redis_reply *e = &list->elem[i];
        const char *msg =
            e->type == BB_REDIS_ARRAY && e->n ? bb_redis_reply_str(&e->elem[0]) : NULL;
        const char *id = entry_job(e);
        if (msg && id && id_valid(id))
            start_job(rj, msg, id);
        else if (msg)
            drop_entry(rj, msg);
    }
}

static int ensure_group(bb_redis_jobs *rj)
{
    bb_redis_reply r;
    int rc = bb_redis_cmd(rj->r, soon(), &r, "XGROUP", "CREATE", STREAM, GROUP, "0", "MKSTREAM",
                          (const char *)NULL);
    if (rc == BB_ESTATE && r.str && strncmp(r.str, "BUSYGROUP", 9) == 0)
        rc = BB_OK;
    bb_redis_reply_free(&r);
    return rc;
}

/* Entries idle past the visibility timeout: their replica is gone. */
static int take_abandoned(bb_redis_jobs *rj, size_t n_free)
{
    char idle[24], count[24];
    snprintf(idle, sizeof(idle), "%.0f", rj->cfg.visibility * 1000);
    snprintf(count, sizeof(count), "%zu", n_free);
    bb_redis_reply r;
    int rc = bb_redis_cmd(rj->r, soon(), &r, "XAUTOCLAIM", STREAM, GROUP, rj->consumer, idle, "0-0",
                          "COUNT", count, (const char *)NULL);
    if (!rc && r.type == BB_REDIS_ARRAY && r.n >= 2)
        start_entries(rj, &r.elem[1]);
    bb_redis_reply_free(&r);
    return rc;
}

static int take_new(bb_redis_jobs *rj, size_t n_free)
{
    char count[24], block[24];
    snprintf(count, sizeof(count), "%zu", n_free);
    snprintf(block, sizeof(block), "%d", READ_BLOCK_MS);
    const char *argv[] = {"XREADGROUP", "GROUP", GROUP,     rj->consumer, "COUNT", count,
                          "BLOCK",      block,   "STREAMS", STREAM,       ">"};
    bb_redis_reply r;
    int rc = bb_redis_command(rj->r, soon(), READ_BLOCK_MS, &r, 11, argv, NULL);
    /* [[stream, [entries]]], or nil when none came. */
    if (!rc && r.type == BB_REDIS_ARRAY && r.n >= 1 && r.elem[0].type == BB_REDIS_ARRAY &&
        r.elem[0].n >= 2)
        start_entries(rj, &r.elem[0].elem[1]);
    bb_redis_reply_free(&r);
    return rc;
}

/* Keeps this replica's running entries fresh (their idle time restarts)
 * and learns of cancellations. */
static void heartbeat(bb_redis_jobs *rj)
{
    for (unsigned i = 0; i < rj->cfg.slots; i++) {
        slot *s = &rj->slots[i];
        char msg[64], id[BB_JOB_ID_LEN];
        pthread_mutex_lock(&rj->lock);
        bool live = s->used && !s->ended;
        memcpy(msg, s->msg, sizeof(msg));
        memcpy(id, s->id, sizeof(id));
        pthread_mutex_unlock(&rj->lock);
        if (!live)
            continue;
        bb_redis_reply r;
        int rc = bb_redis_cmd(rj->r, soon(), &r, "XCLAIM", STREAM, GROUP, rj->consumer, "0", msg,
                              "JUSTID", (const char *)NULL);
        bb_redis_reply_free(&r);
        if (rc)
            return; /* Redis is away: the next beat tries again */
        char key[64];
        job_key(key, sizeof(key), id);
        if (bb_redis_cmd(rj->r, soon(), &r, "HGET", key, "cancel", (const char *)NULL) == BB_OK &&
            bb_redis_reply_str(&r)) {
            int none = REASON_NONE;
            atomic_compare_exchange_strong(&s->reason, &none, REASON_OWNER);
            atomic_store(&s->cancel, true);
        }
        bb_redis_reply_free(&r);
    }
}

static void *dispatch_main(void *p)
{
    bb_redis_jobs *rj = p;
    double next_beat = 0, next_claim = 0;
    while (!atomic_load(&rj->stopping)) {
        size_t n_free = reap(rj);
        if (!rj->group_ready) {
            rj->group_ready = ensure_group(rj) == BB_OK;
            if (!rj->group_ready) {
                nap_ms(200);
                continue;
            }
        }
        double now = bb_clock_seconds();
        if (now >= next_beat) {
            heartbeat(rj);
            next_beat = now + rj->cfg.visibility / 3;
        }
        if (n_free == 0) {
            nap_ms(50);
            continue;
        }
        int rc = BB_OK;
        if (now >= next_claim) {
            rc = take_abandoned(rj, n_free);
            next_claim = now + (rj->cfg.visibility / 4 > 0.5 ? rj->cfg.visibility / 4 : 0.5);
            n_free = reap(rj);
        }
        if (!rc && n_free)
            rc = take_new(rj, n_free);
        /* An error answer: the group may be gone with a Redis that
         * restarted empty. */
        if (rc == BB_ESTATE)
            rj->group_ready = false;
        if (rc)
            nap_ms(200);
    }
    return NULL;
}

int bb_redis_jobs_start(bb_redis *r, const bb_redis_jobs_config *c, bb_redis_jobs **out)
{
    *out = NULL;
    bb_redis_jobs *rj = bb_calloc(1, sizeof(*rj));
    if (!rj)
        return BB_ENOMEM;
    rj->r = r;
    rj->cfg = *c;
    if (rj->cfg.slots < 1)
        rj->cfg.slots = 1;
    if (rj->cfg.visibility < 1)
        rj->cfg.visibility = 1;
    if (rj->cfg.limits.max_running < 1)
        rj->cfg.limits.max_running = 1;
    snprintf(rj->consumer, sizeof(rj->consumer), "%s", c->consumer ? c->consumer : "backbone");
    rj->cfg.consumer = rj->consumer;
    rj->slots = bb_calloc(rj->cfg.slots, sizeof(*rj->slots));
    if (!rj->slots) {
        bb_free(rj);
        return BB_ENOMEM;
    }
    pthread_mutex_init(&rj->lock, NULL);
    pthread_cond_init(&rj->changed, NULL);
    if (pthread_create(&rj->dispatcher, NULL, dispatch_main, rj) != 0) {
        pthread_cond_destroy(&rj->changed);
        pthread_mutex_destroy(&rj->lock);
        bb_free(rj->slots);
        bb_free(rj);
        return BB_ENOMEM;
    }
    *out = rj;
    return BB_OK;
}

size_t bb_redis_jobs_stop(bb_redis_jobs *rj, double deadline)
{
    if (!atomic_exchange(&rj->stopping, true))
        pthread_join(rj->dispatcher, NULL);
    pthread_mutex_lock(&rj->lock);
    for (unsigned i = 0; i < rj->cfg.slots; i++) {
        slot *s = &rj->slots[i];
        if (!s->used || s->ended)
            continue;
        atomic_store(&s->reason, REASON_HANDBACK);
        atomic_store(&s->cancel, true);
    }
    for (;;) {
        size_t live = 0;
        for (unsigned i = 0; i < rj->cfg.slots; i++)
            live += rj->slots[i].used && !rj->slots[i].ended;
        if (live == 0 || bb_clock_seconds() >= deadline)
            break;
        struct timespec t = bb_clock_wall_after_ms(50);
        pthread_cond_timedwait(&rj->changed, &rj->lock, &t);
    }
    pthread_mutex_unlock(&rj->lock);
    return atomic_load(&rj->handed_back);
}

void bb_redis_jobs_free(bb_redis_jobs *rj)
{
    if (!rj)
        return;
    bb_redis_jobs_stop(rj, bb_clock_seconds());
    for (unsigned i = 0; i < rj->cfg.slots; i++)
        if (rj->slots[i].used)
            pthread_join(rj->slots[i].thread, NULL);
    pthread_cond_destroy(&rj->changed);
    pthread_mutex_destroy(&rj->lock);
    bb_free(rj->slots);
    bb_free(rj);
}
