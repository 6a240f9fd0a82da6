/* http.c - HTTP POSTs over libcurl, loaded on first use (see http.h). */
#include "base/http.h"

#include "base/clock.h"
#include "base/dynlib.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libcurl's functions, looked up by name on first use. */
static struct curl_api {
    __typeof__(curl_global_init) *global_init;
    __typeof__(curl_easy_init) *easy_init;
    __typeof__(curl_easy_setopt) *easy_setopt;
    __typeof__(curl_easy_perform) *easy_perform;
    __typeof__(curl_easy_getinfo) *easy_getinfo;
    __typeof__(curl_easy_header) *easy_header;
    __typeof__(curl_easy_strerror) *easy_strerror;
    __typeof__(curl_easy_cleanup) *easy_cleanup;
    __typeof__(curl_slist_append) *slist_append;
    __typeof__(curl_slist_free_all) *slist_free_all;
} fn;

static const bb_dynlib_symbol symbols[] = {
    BB_DYNLIB_SYMBOL(struct curl_api, global_init, curl_global_init),
    BB_DYNLIB_SYMBOL(struct curl_api, easy_init, curl_easy_init),
    BB_DYNLIB_SYMBOL(struct curl_api, easy_setopt, curl_easy_setopt),
    BB_DYNLIB_SYMBOL(struct curl_api, easy_perform, curl_easy_perform),
    BB_DYNLIB_SYMBOL(struct curl_api, easy_getinfo, curl_easy_getinfo),
    BB_DYNLIB_SYMBOL(struct curl_api, easy_header, curl_easy_header),
    BB_DYNLIB_SYMBOL(struct curl_api, easy_strerror, curl_easy_strerror),
    BB_DYNLIB_SYMBOL(struct curl_api, easy_cleanup, curl_easy_cleanup),
    BB_DYNLIB_SYMBOL(struct curl_api, slist_append, curl_slist_append),
    BB_DYNLIB_SYMBOL(struct curl_api, slist_free_all, curl_slist_free_all),
};

static bb_dynlib library = BB_DYNLIB_INIT("libcurl.so.4", "libcurl4", symbols, &fn);

struct bb_dynlib *bb_http_library(void)
{
    return &library;
}

/* The library, set up once it is loaded: curl_global_init is not
 * thread-safe. */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static bool global_ok;

static void global_init(void)
{
    global_ok = fn.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static bool ready(void)
{
    if (!bb_dynlib_ready(&library))
        return false;
    pthread_once(&global_once, global_init);
    return global_ok;
}

/* ---- header lists ------------------------------------------------------- */

/* The list is libcurl's own, under another name. */
int bb_http_headers_add(bb_http_headers **list, const char *line)
{
    if (!ready())
        return BB_ENOTFOUND;
    struct curl_slist *l = fn.slist_append((struct curl_slist *)(void *)*list, line);
    if (!l)
        return BB_ENOMEM;
    *list = (bb_http_headers *)(void *)l;
    return BB_OK;
}

void bb_http_headers_free(bb_http_headers *list)
{
    if (list && ready())
        fn.slist_free_all((struct curl_slist *)(void *)list);
}

/* ---- the thread's stop -------------------------------------------------- */

static _Thread_local const atomic_bool *scope_cancel;
static _Thread_local double scope_deadline;

void bb_http_scope(const atomic_bool *cancel, double deadline)
{
    scope_cancel = cancel;
    scope_deadline = deadline;
}

bool bb_http_stopped(void)
{
    return (scope_cancel && atomic_load(scope_cancel)) ||
           (scope_deadline > 0 && bb_clock_seconds() >= scope_deadline);
}

/* The transfer's time limit, cut to what the scope's deadline leaves. */
static long time_limit_ms(long timeout_ms)
{
    if (scope_deadline <= 0)
        return timeout_ms;
    double left = (scope_deadline - bb_clock_seconds()) * 1000;
    long ms = left < 1 ? 1 : (long)left;
    return timeout_ms > 0 && timeout_ms < ms ? timeout_ms : ms;
}

/* ---- one POST ----------------------------------------------------------- */

typedef struct transfer {
    const bb_http_request *rq;
    bool stopped;
} transfer;

static size_t on_write(char *p, size_t size, size_t nmemb, void *userdata)
{
    transfer *t = userdata;
    size_t n = size * nmemb;
    if (t->rq->on_data && !t->rq->on_data(t->rq->ctx, p, n)) {
        t->stopped = true;
        return 0; /* ends the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

/* Called about once a second, and more while data moves; non-zero ends
 * the transfer. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    transfer *t = userdata;
    if (bb_http_stopped()) {
        t->stopped = true;
        return 1;
    }
    if (t->rq->on_progress)
        t->rq->on_progress(t->rq->ctx);
    return 0;
}

static void read_header(CURL *h, const char *name, char *dst, size_t cap)
{
    struct curl_header *hd = NULL;
    if (fn.easy_header(h, name, 0, CURLH_HEADER, -1, &hd) == CURLHE_OK && hd && hd->value)
        snprintf(dst, cap, "%s", hd->value);
}

/* Retry-After in ms: retry-after-ms when given, else what libcurl parsed
 * from Retry-After (seconds or an HTTP date); -1 when neither. */
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
    if (fn.easy_getinfo(h, CURLINFO_RETRY_AFTER, &secs) == CURLE_OK && secs > 0)
        return secs > 3600 ? 3600000L : (long)secs * 1000;
    return -1;
}

static void set_options(CURL *h, const bb_http_request *rq, transfer *t)
{
    fn.easy_setopt(h, CURLOPT_URL, rq->url);
    fn.easy_setopt(h, CURLOPT_PROTOCOLS_STR, rq->protocols);
    fn.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    fn.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
    fn.easy_setopt(h, CURLOPT_TIMEOUT_MS, time_limit_ms(rq->timeout_ms));
    fn.easy_setopt(h, CURLOPT_HTTPHEADER, (const struct curl_slist *)(const void *)rq->headers);
    fn.easy_setopt(h, CURLOPT_POST, 1L);
    fn.easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
    fn.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->len);
    fn.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    fn.easy_setopt(h, CURLOPT_WRITEDATA, t);
    if (rq->user_agent)
        fn.easy_setopt(h, CURLOPT_USERAGENT, rq->user_agent);
    if (rq->max_response_bytes > 0)
        fn.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rq->max_response_bytes);
    if (rq->on_progress || scope_cancel || scope_deadline > 0) {
        fn.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        fn.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        fn.easy_setopt(h, CURLOPT_XFERINFODATA, t);
    }
}

static bb_http_outcome outcome_of(CURLcode rc, const transfer *t)
{
    if (rc == CURLE_OK)
        return BB_HTTP_OK;
    if (t->stopped)
        return BB_HTTP_STOPPED;
    if (rc == CURLE_FILESIZE_EXCEEDED)
        return BB_HTTP_TOO_LARGE;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return BB_HTTP_TIMEOUT;
    return BB_HTTP_FAILED;
}

void bb_http_post(const bb_http_request *rq, bb_http_response *out)
{
    memset(out, 0, sizeof(*out));
    out->retry_after_ms = -1;
    out->outcome = BB_HTTP_FAILED;
    if (!ready()) {
        snprintf(out->error, sizeof(out->error), "%s",
                 library.error[0] ? library.error : "libcurl could not be initialised");
        return;
    }
    if (bb_http_stopped()) {
        out->outcome = BB_HTTP_STOPPED;
        snprintf(out->error, sizeof(out->error), "stopped before it began");
        return;
    }
    CURL *h = fn.easy_init();
    if (!h) {
        snprintf(out->error, sizeof(out->error), "cannot create a transfer");
        return;
    }
    transfer t = {rq, false};
    set_options(h, rq, &t);
    CURLcode rc = fn.easy_perform(h);
    out->outcome = outcome_of(rc, &t);
    fn.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    if (out->status) {
        out->retry_after_ms = read_retry_after(h);
        read_header(h, "x-request-id", out->request_id, sizeof(out->request_id));
        if (!out->request_id[0])
            read_header(h, "request-id", out->request_id, sizeof(out->request_id));
    }
    if (out->outcome != BB_HTTP_OK)
        snprintf(out->error, sizeof(out->error), "%s", fn.easy_strerror(rc));
    fn.easy_cleanup(h);
}
