/* llm_http.c - libcurl transport with retries and circuit breakers (see llm_http.h). */
#include "llm/llm_http.h"

#include "base/clock.h"

#include <curl/curl.h>
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

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int bb_llm_http_global_init(void)
{
    pthread_once(&global_once, global_init_once);
    return global_rc == CURLE_OK ? BB_OK : BB_ENET;
}

/* ---- time, sleep and randomness ---------------------------------------- */

static void sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
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
    bool progress;
    long started;
    long last_drawn;
} attempt_ctx;

static size_t on_write(char *p, size_t size, size_t nmemb, void *userdata)
{
    attempt_ctx *a = userdata;
    size_t n = size * nmemb;
    if (bb_buf_append(a->body, p, n) != BB_OK) {
        a->too_large = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

/* A spinner with the elapsed time, redrawn at most every 200 ms. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    attempt_ctx *a = userdata;
    long t = (long)bb_clock_ms();
    if (t - a->last_drawn >= 200) {
        static const char spin[] = "|/-\\";
        a->last_drawn = t;
        fprintf(stderr, "\r%c waiting for the model... %.1fs ", spin[(t / 200) % 4],
                (double)(t - a->started) / 1000.0);
    }
    return 0;
}

static void read_header(CURL *h, const char *name, char *dst, size_t cap)
{
    struct curl_header *hd = NULL;
    if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) == CURLHE_OK && hd && hd->value)
        snprintf(dst, cap, "%s", hd->value);
}

/* Retry-After in ms: retry-after-ms when given, else what libcurl parsed. */
static long read_retry_after(CURL *h)
{
    char ms[32] = "";
    read_header(h, "retry-after-ms", ms, sizeof(ms));
    if (ms[0]) {
        char *end;
        long v = strtol(ms, &end, 10);
        if (end != ms && v >= 0)
            return v;
    }
    curl_off_t secs = -1;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &secs) == CURLE_OK && secs > 0)
        return secs > 3600 ? 3600000L : (long)secs * 1000;
    return -1;
}

static void one_attempt(const bb_llm_http_opts *opts, const char *url,
                        const struct curl_slist *headers, const char *body, size_t len,
                        bb_llm_http_result *out)
{
    bb_buf_reset(&out->body);
    out->status = 0;
    out->too_large = false;
    out->last_retry_after_ms = -1;
    out->request_id[0] = '\0';
    out->error[0] = '\0';
    CURL *h = curl_easy_init();
    if (!h) {
        out->curl_code = CURLE_FAILED_INIT;
        snprintf(out->error, sizeof(out->error), "cannot create a transfer");
        return;
    }
    attempt_ctx a = {&out->body, false, opts->progress && isatty(2), (long)bb_clock_ms(), 0};
    bool loopback = strncmp(url, "http://", 7) == 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, loopback ? "http" : "https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    long left = left_ms(opts);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, by_deadline(opts->connect_timeout_ms, left));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, by_deadline(opts->timeout_ms, left));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "backbone/" BB_VERSION);
    if ((curl_off_t)opts->max_response_bytes > 0)
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)opts->max_response_bytes);
    if (a.progress) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &a);
    }
    CURLcode rc = curl_easy_perform(h);
    out->curl_code = rc;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    if (out->status) {
        out->last_retry_after_ms = read_retry_after(h);
        read_header(h, "x-request-id", out->request_id, sizeof(out->request_id));
        if (!out->request_id[0])
            read_header(h, "request-id", out->request_id, sizeof(out->request_id));
    }
    if (rc == CURLE_FILESIZE_EXCEEDED)
        a.too_large = true;
    out->too_large = a.too_large;
    if (a.too_large)
        snprintf(out->error, sizeof(out->error), "the response is larger than %zu bytes",
                 opts->max_response_bytes);
    else if (rc != CURLE_OK)
        snprintf(out->error, sizeof(out->error), "%s", curl_easy_strerror(rc));
    if (a.progress)
        fputs("\r\033[K", stderr);
    curl_easy_cleanup(h);
}

/* ---- the retry loop -------------------------------------------------------- */

int bb_llm_http_post(const bb_llm_http_opts *opts, const char *breaker_key, const char *url,
                     const struct curl_slist *headers, const char *body, size_t len,
                     bb_llm_http_classify_fn classify, void *ctx, bb_llm_http_result *out)
{
    memset(out, 0, sizeof(*out));
    bb_buf_init(&out->body, opts->max_response_bytes);
    out->last_retry_after_ms = -1;
    if (!bb_llm_url_allowed(url)) {
        snprintf(out->error, sizeof(out->error),
                 "only https:// URLs (or http:// to a loopback host) are allowed");
        return BB_EUSAGE;
    }
    if (bb_llm_http_global_init() != BB_OK) {
        snprintf(out->error, sizeof(out->error), "libcurl could not be initialised");
        return BB_ENET;
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
            v = classify(out->curl_code == CURLE_OK ? out->status : 0, bb_buf_str(&out->body),
                         out->body.len, ctx);
        if (v != BB_LLM_HTTP_RETRY || out->attempts >= max_attempts)
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
    if (out->curl_code == CURLE_OPERATION_TIMEDOUT)
        return BB_ETIMEOUT;
    if (out->curl_code != CURLE_OK)
        return BB_ENET;
    if (!out->error[0])
        snprintf(out->error, sizeof(out->error), "HTTP status %ld", out->status);
    return BB_EINVAL;
}
