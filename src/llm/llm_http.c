/* llm_http.c - the LLM transport: retries and circuit breakers (see llm_http.h). */
#include "llm/llm_http.h"

#include "base/clock.h"
#include "base/dynlib.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void bb_llm_http_opts_default(bb_llm_http_opts *o)
{
    o->connect_timeout_ms = 10000;
    o->timeout_ms = 120000;
    o->max_response_bytes = 4u << 20;
    o->max_attempts = 4;
    o->base_delay_ms = 1000;
    o->max_delay_ms = 30000;
    o->breaker_threshold = 5;
    o->breaker_cooldown_ms = 30000;
    o->progress = true;
}

void bb_llm_http_result_free(bb_llm_http_result *r)
{
    bb_buf_free(&r->body);
}

/* ---- time, sleep and randomness ---------------------------------------- */

/* Sleeps ms, in steps of at most 100 ms, and no longer once the thread's
 * transfers are told to stop (bb_http_scope). */
static void sleep_ms(long ms)
{
    while (ms > 0 && !bb_http_stopped()) {
        long step = ms < 100 ? ms : 100;
        struct timespec ts = {0, step * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
        ms -= step;
    }
}

/* Milliseconds left before the operation's deadline (LONG_MAX: none). */
static long left_ms(const bb_llm_http_opts *opts)
{
    return opts->deadline_at_ms > 0 ? opts->deadline_at_ms - (long)bb_clock_ms() : LONG_MAX;
}

/* A timeout that ends by the deadline at the latest (at least 1 ms: 0 means
 * no timeout to libcurl). */
static long by_deadline(long timeout_ms, long left)
{
    long t = timeout_ms < left ? timeout_ms : left;
    return t > 0 ? t : 1;
}

/* xorshift64*, shared by threads: jitter needs spread, not secrecy. */
static _Atomic unsigned long long rng_state;

static double random_unit(void)
{
    unsigned long long x = atomic_load(&rng_state);
    if (x == 0)
        x = (unsigned long long)time(NULL) * 2654435761ULL ^ (unsigned long long)getpid() ^ 1;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    atomic_store(&rng_state, x);
    return (double)((x * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

long bb_llm_backoff_ms(const bb_llm_http_opts *opts, int attempt, long retry_after_ms, double rnd)
{
    long ceiling = opts->base_delay_ms;
    for (int i = 1; i < attempt && ceiling < opts->max_delay_ms; i++)
        ceiling *= 2;
    if (ceiling > opts->max_delay_ms)
        ceiling = opts->max_delay_ms;
    long wait = (long)(rnd * (double)(ceiling + 1));
    if (wait > ceiling)
        wait = ceiling;
    if (retry_after_ms > wait)
        wait = retry_after_ms;
    return wait > opts->max_delay_ms ? opts->max_delay_ms : wait;
}

/* ---- circuit breakers ---------------------------------------------------- */

#define BREAKERS_MAX 32

typedef struct breaker {
    char key[200];
    int failures; /* consecutive */
    bb_breaker_state state;
    long opened_at;
    bool trial_in_flight; /* half-open lets one call through */
} breaker;

static pthread_mutex_t breakers_lock = PTHREAD_MUTEX_INITIALIZER;
static breaker breakers[BREAKERS_MAX];
static size_t n_breakers;

/* The breaker of key, created on first use; a shared spare when the table is full. */
static breaker *breaker_find(const char *key)
{
    for (size_t i = 0; i < n_breakers; i++)
        if (strncmp(breakers[i].key, key, sizeof(breakers[i].key) - 1) == 0)
            return &breakers[i];
    breaker *b = &breakers[n_breakers < BREAKERS_MAX ? n_breakers++ : BREAKERS_MAX - 1];
    memset(b, 0, sizeof(*b));
    snprintf(b->key, sizeof(b->key), "%s", key);
    return b;
}

static void breaker_tick(const bb_llm_http_opts *opts, breaker *b)
{
    if (b->state == BB_BREAKER_OPEN &&
        (long)bb_clock_ms() - b->opened_at >= opts->breaker_cooldown_ms) {
        b->state = BB_BREAKER_HALF_OPEN;
        b->trial_in_flight = false;
    }
}

/* May a call go out now? Half-open admits a single trial. */
static bool breaker_admit(const bb_llm_http_opts *opts, const char *key)
{
    if (opts->breaker_threshold <= 0)
        return true;
    pthread_mutex_lock(&breakers_lock);
    breaker *b = breaker_find(key);
    breaker_tick(opts, b);
    bool ok = b->state == BB_BREAKER_CLOSED;
    if (b->state == BB_BREAKER_HALF_OPEN && !b->trial_in_flight) {
        b->trial_in_flight = true;
        ok = true;
    }
    pthread_mutex_unlock(&breakers_lock);
    return ok;
}

static void breaker_record(const bb_llm_http_opts *opts, const char *key, bool success)
{
    if (opts->breaker_threshold <= 0)
        return;
    pthread_mutex_lock(&breakers_lock);
    breaker *b = breaker_find(key);
    if (success) {
        b->failures = 0;
        b->state = BB_BREAKER_CLOSED;
    } else if (b->state == BB_BREAKER_HALF_OPEN || ++b->failures >= opts->breaker_threshold) {
        b->state = BB_BREAKER_OPEN;
        b->opened_at = (long)bb_clock_ms();
    }
    b->trial_in_flight = false;
    pthread_mutex_unlock(&breakers_lock);
}

bb_breaker_state bb_llm_breaker_state(const bb_llm_http_opts *opts, const char *breaker_key)
{
    pthread_mutex_lock(&breakers_lock);
    breaker *b = breaker_find(breaker_key);
    breaker_tick(opts, b);
    bb_breaker_state s = b->state;
    pthread_mutex_unlock(&breakers_lock);
    return s;
}

void bb_llm_breakers_reset(void)
{
    pthread_mutex_lock(&breakers_lock);
    n_breakers = 0;
    pthread_mutex_unlock(&breakers_lock);
}

/* ---- one attempt ----------------------------------------------------------- */

typedef struct attempt_ctx {
    bb_buf *body;
    bool too_large;
    long started;
    long last_drawn;
} attempt_ctx;

static bool on_data(void *ctx, const char *p, size_t n)
{
    attempt_ctx *a = ctx;
    if (bb_buf_append(a->body, p, n) != BB_OK) {
        a->too_large = true;
        return false;
    }
    return true;
}

/* A spinner with the elapsed time, redrawn at most every 200 ms. */
static void on_progress(void *ctx)
{
    attempt_ctx *a = ctx;
    long t = (long)bb_clock_ms();
    if (t - a->last_drawn >= 200) {
        static const char spin[] = "|/-\\";
        a->last_drawn = t;
        fprintf(stderr, "\r%c waiting for the model... %.1fs ", spin[(t / 200) % 4],
                (double)(t - a->started) / 1000.0);
    }
}

static void one_attempt(const bb_llm_http_opts *opts, const char *url,
                        const bb_http_headers *headers, const char *body, size_t len,
                        bb_llm_http_result *out)
{
    bb_buf_reset(&out->body);
    attempt_ctx a = {&out->body, false, (long)bb_clock_ms(), 0};
    bool progress = opts->progress && isatty(2);
    bb_http_request rq = {
        .url = url,
        .protocols = strncmp(url, "http://", 7) == 0 ? "http" : "https",
        .headers = headers,
        .body = body,
        .len = len,
        .connect_timeout_ms = by_deadline(opts->connect_timeout_ms, left_ms(opts)),
        .timeout_ms = by_deadline(opts->timeout_ms, left_ms(opts)),
        .max_response_bytes = opts->max_response_bytes,
        .user_agent = "backbone/" BB_VERSION,
        .on_data = on_data,
        .on_progress = progress ? on_progress : NULL,
        .ctx = &a,
    };
    bb_http_response resp;
    bb_http_post(&rq, &resp);
    out->transport = resp.outcome;
    out->status = resp.status;
    out->last_retry_after_ms = resp.retry_after_ms;
    snprintf(out->request_id, sizeof(out->request_id), "%s", resp.request_id);
    out->too_large = a.too_large || resp.outcome == BB_HTTP_TOO_LARGE;
    if (out->too_large)
        snprintf(out->error, sizeof(out->error), "the response is larger than %zu bytes",
                 opts->max_response_bytes);
    else
        snprintf(out->error, sizeof(out->error), "%.159s", resp.error);
    if (progress)
        fputs("\r\033[K", stderr);
}

/* ---- the retry loop -------------------------------------------------------- */

int bb_llm_http_post(const bb_llm_http_opts *opts, const char *breaker_key, const char *url,
                     const bb_http_headers *headers, const char *body, size_t len,
                     bb_llm_http_classify_fn classify, void *ctx, bb_llm_http_result *out)
{
    memset(out, 0, sizeof(*out));
    bb_buf_init(&out->body, opts->max_response_bytes);
    out->last_retry_after_ms = -1;
    if (!bb_dynlib_ready(bb_http_library())) {
        snprintf(out->error, sizeof(out->error), "%s", bb_dynlib_error(bb_http_library()));
        return BB_ENET;
    }
    if (!bb_llm_url_allowed(url)) {
        snprintf(out->error, sizeof(out->error),
                 "only https:// URLs (or http:// to a loopback host) are allowed");
        return BB_EUSAGE;
    }
    if (left_ms(opts) <= 0) {
        out->deadline_passed = true;
        snprintf(out->error, sizeof(out->error), "the deadline of the operation passed");
        return BB_ETIMEOUT;
    }
    if (!breaker_admit(opts, breaker_key)) {
        out->breaker_open = true;
        snprintf(out->error, sizeof(out->error),
                 "the circuit breaker is open after repeated failures");
        return BB_ESTATE;
    }
    int max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 1;
    bb_llm_http_verdict v = BB_LLM_HTTP_FATAL;
    for (;;) {
        out->attempts++;
        one_attempt(opts, url, headers, body, len, out);
        if (out->too_large)
            v = BB_LLM_HTTP_FATAL; /* the same request would bring the same flood */
        else
            v = classify(out->transport == BB_HTTP_OK ? out->status : 0, bb_buf_str(&out->body),
                         out->body.len, ctx);
        if (v != BB_LLM_HTTP_RETRY || out->attempts >= max_attempts || bb_http_stopped())
            break;
        long wait = bb_llm_backoff_ms(opts, out->attempts, out->last_retry_after_ms, random_unit());
        if (wait >= left_ms(opts)) { /* the next try would start after the deadline */
            out->deadline_passed = true;
            break;
        }
        out->waited_ms += wait;
        sleep_ms(wait);
    }
    /* Health of the provider: only transient failures count against it. */
    breaker_record(opts, breaker_key, v != BB_LLM_HTTP_RETRY);
    if (v == BB_LLM_HTTP_DONE)
        return BB_OK;
    if (out->deadline_passed) {
        char last[160];
        if (out->error[0]) /* what libcurl said of the last attempt */
            snprintf(last, sizeof(last), "%s", out->error);
        else
            snprintf(last, sizeof(last), "HTTP status %ld", out->status);
        snprintf(out->error, sizeof(out->error),
                 "the deadline of the operation passed (last attempt: %.100s)", last);
        return BB_ETIMEOUT;
    }
    if (out->too_large)
        return BB_ELIMIT;
    if (out->transport == BB_HTTP_TIMEOUT)
        return BB_ETIMEOUT;
    if (out->transport != BB_HTTP_OK)
        return BB_ENET;
    if (!out->error[0])
        snprintf(out->error, sizeof(out->error), "HTTP status %ld", out->status);
    return BB_EINVAL;
}
