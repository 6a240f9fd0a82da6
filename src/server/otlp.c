/* otlp.c - spans to an OpenTelemetry collector, OTLP/HTTP JSON (see otlp.h). */
#include "server/otlp.h"

#include "base/clock.h"
#include "base/hex.h"
#include "base/http.h"
#include "json/jsonout.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#define TRACES_PATH "/v1/traces"

struct bb_otlp {
    bb_otlp_config cfg; /* strings point at the copies below */
    char *url, *service_name, *instance;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bb_span *queue; /* a ring of max_queue spans */
    size_t head, count;
    bool stopping;
    double deadline; /* of the last flush, once stopping */
    _Atomic uint64_t exported, dropped;
};

static _Atomic(bb_otlp *) running;

/* ---- the body ----------------------------------------------------------- */

static int put_str(bb_buf *b, const char *s)
{
    return bb_json_put_string(b, s, strlen(s));
}

/* {"key":K,"value":{"stringValue":V}} or {"intValue":"N"}: OTLP/JSON
 * writes 64-bit integers as strings. */
static int put_attr(bb_buf *b, const char *key, const char *s, bool is_int, long long i)
{
    int rc = bb_buf_puts(b, "{\"key\":");
    if (!rc)
        rc = put_str(b, key);
    if (!rc && is_int)
        rc = bb_buf_printf(b, ",\"value\":{\"intValue\":\"%lld\"}}", i);
    if (!rc && !is_int)
        rc = bb_buf_puts(b, ",\"value\":{\"stringValue\":");
    if (!rc && !is_int)
        rc = put_str(b, s);
    if (!rc && !is_int)
        rc = bb_buf_puts(b, "}}");
    return rc;
}

static int put_resource(bb_buf *b, const bb_otlp_config *c)
{
    int rc = bb_buf_puts(b, "{\"resource\":{\"attributes\":[");
    if (!rc)
        rc = put_attr(b, "service.name", c->service_name ? c->service_name : "backbone", false, 0);
    if (!rc)
        rc = bb_buf_putc(b, ',');
    if (!rc)
        rc = put_attr(b, "service.version", BB_VERSION, false, 0);
    if (!rc && c->instance && *c->instance)
        rc = bb_buf_putc(b, ',');
    if (!rc && c->instance && *c->instance)
        rc = put_attr(b, "service.instance.id", c->instance, false, 0);
    if (!rc)
        rc = bb_buf_puts(
            b, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"backbone\",\"version\":\"" BB_VERSION
               "\"},\"spans\":[");
    return rc;
}

static int put_span(bb_buf *b, const bb_span *s)
{
    char trace[33], span[17], parent[17];
    bb_hex_encode(s->ctx.trace_id, 16, trace);
    bb_hex_encode(s->ctx.span_id, 8, span);
    bb_hex_encode(s->parent_id, 8, parent);
    int rc = bb_buf_printf(b, "{\"traceId\":\"%s\",\"spanId\":\"%s\",", trace, span);
    if (!rc && s->has_parent)
        rc = bb_buf_printf(b, "\"parentSpanId\":\"%s\",", parent);
    if (!rc)
        rc = bb_buf_puts(b, "\"name\":");
    if (!rc)
        rc = put_str(b, s->name);
    if (!rc)
        rc = bb_buf_printf(
            b,
            ",\"kind\":%d,\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\","
            "\"attributes\":[",
            (int)s->kind, (unsigned long long)s->start_ns, (unsigned long long)s->end_ns);
    for (int i = 0; !rc && i < s->n_attrs; i++) {
        const bb_span_attr *a = &s->attrs[i];
        if (i)
            rc = bb_buf_putc(b, ',');
        if (!rc)
            rc = put_attr(b, a->key, a->s, a->is_int, a->i);
    }
    if (!rc)
        rc = bb_buf_puts(b, s->error ? "],\"status\":{\"code\":2}}" : "]}");
    return rc;
}

int bb_otlp_encode(const bb_otlp_config *c, const bb_span *spans, size_t n, bb_buf *out)
{
    int rc = bb_buf_puts(out, "{\"resourceSpans\":[");
    if (!rc)
        rc = put_resource(out, c);
    for (size_t i = 0; !rc && i < n; i++) {
        if (i)
            rc = bb_buf_putc(out, ',');
        if (!rc)
            rc = put_span(out, &spans[i]);
    }
    if (!rc)
        rc = bb_buf_puts(out, "]}]}]}");
    return rc;
}

/* ---- sending ------------------------------------------------------------ */

static bool ignore_body(void *ctx, const char *data, size_t n)
{
    (void)ctx, (void)data, (void)n;
    return true;
}

/* One batch to the collector; true when it took it (2xx). */
static bool send_batch(bb_otlp *o, const bb_span *spans, size_t n)
{
    bb_buf body;
    bb_buf_init(&body, n * 8192 + 4096); /* a span's JSON is under 4 KiB */
    bb_http_headers *headers = NULL;
    int rc = bb_otlp_encode(&o->cfg, spans, n, &body);
    if (!rc)
        rc = bb_http_headers_add(&headers, "Content-Type: application/json");
    bb_http_response resp;
    resp.status = 0;
    if (!rc) {
        bb_http_request rq = {
            .url = o->url,
            .protocols = "http,https",
            .headers = headers,
            .body = bb_buf_str(&body),
            .len = body.len,
            .connect_timeout_ms = o->cfg.timeout_ms,
            .timeout_ms = o->cfg.timeout_ms,
            .max_response_bytes = 64 * 1024,
            .user_agent = "backbone/" BB_VERSION,
            .on_data = ignore_body,
        };
        bb_http_post(&rq, &resp);
    }
    bb_http_headers_free(headers);
    bb_buf_free(&body);
    return !rc && resp.outcome == BB_HTTP_OK && resp.status >= 200 && resp.status < 300;
}

/* Takes up to max_batch spans off the queue into batch; the lock is held. */
static size_t take(bb_otlp *o, bb_span *batch)
{
    size_t n = o->count < o->cfg.max_batch ? o->count : o->cfg.max_batch;
    for (size_t i = 0; i < n; i++)
        batch[i] = o->queue[(o->head + i) % o->cfg.max_queue];
    o->head = (o->head + n) % o->cfg.max_queue;
    o->count -= n;
    return n;
}

static void wait_for_work(bb_otlp *o)
{
    if (o->stopping || o->count >= o->cfg.max_batch)
        return;
    struct timespec until = bb_clock_wall_after_ms((long)o->cfg.interval_ms);
    pthread_cond_timedwait(&o->wake, &o->lock, &until);
}

static void *exporter_main(void *p)
{
    bb_otlp *o = p;
    bb_span *batch = bb_calloc(o->cfg.max_batch, sizeof(bb_span));
    pthread_mutex_lock(&o->lock);
    for (;;) {
        wait_for_work(o);
        bool late = o->stopping && bb_clock_seconds() >= o->deadline;
        if (o->stopping && (o->count == 0 || late || !batch))
            break;
        size_t n = batch ? take(o, batch) : 0;
        if (n == 0)
            continue;
        pthread_mutex_unlock(&o->lock);
        bool ok = send_batch(o, batch, n);
        atomic_fetch_add(ok ? &o->exported : &o->dropped, n);
        pthread_mutex_lock(&o->lock);
    }
    atomic_fetch_add(&o->dropped, o->count); /* what the deadline left */
    o->count = 0;
    pthread_mutex_unlock(&o->lock);
    bb_free(batch);
    return NULL;
}

/* The trace sink: a copy into the queue, or a count when it is full. */
static void enqueue(const bb_span *s)
{
    bb_otlp *o = atomic_load(&running);
    if (!o)
        return;
    pthread_mutex_lock(&o->lock);
    if (o->stopping || o->count >= o->cfg.max_queue) {
        atomic_fetch_add(&o->dropped, 1);
    } else {
        o->queue[(o->head + o->count) % o->cfg.max_queue] = *s;
        if (++o->count == o->cfg.max_batch)
            pthread_cond_signal(&o->wake);
    }
    pthread_mutex_unlock(&o->lock);
}

/* ---- life --------------------------------------------------------------- */

/* The traces URL: the endpoint as given when it ends with /v1/traces,
 * else with it added (as OTEL_EXPORTER_OTLP_ENDPOINT is read). */
static char *traces_url(const char *endpoint)
{
    size_t n = strlen(endpoint), p = strlen(TRACES_PATH);
    if (n >= p && strcmp(endpoint + n - p, TRACES_PATH) == 0)
        return bb_strdup(endpoint);
    while (n && endpoint[n - 1] == '/')
        n--;
    char *url = bb_malloc(n + p + 1);
    if (url) {
        memcpy(url, endpoint, n);
        memcpy(url + n, TRACES_PATH, p + 1);
    }
    return url;
}

static void free_exporter(bb_otlp *o)
{
    pthread_cond_destroy(&o->wake);
    pthread_mutex_destroy(&o->lock);
    bb_free(o->url);
    bb_free(o->service_name);
    bb_free(o->instance);
    bb_free(o->queue);
    bb_free(o);
}

static void fill_defaults(bb_otlp_config *c)
{
    if (!c->max_queue)
        c->max_queue = 4096;
    if (!c->max_batch)
        c->max_batch = 512;
    if (c->max_batch > c->max_queue)
        c->max_batch = c->max_queue;
    if (!c->interval_ms)
        c->interval_ms = 1000;
    if (!c->timeout_ms)
        c->timeout_ms = 5000;
}

int bb_otlp_start(const bb_otlp_config *c, bb_otlp **out)
{
    *out = NULL;
    if (!c->endpoint ||
        (strncmp(c->endpoint, "http://", 7) != 0 && strncmp(c->endpoint, "https://", 8) != 0))
        return BB_EUSAGE;
    bb_otlp *o = bb_calloc(1, sizeof(*o));
    if (!o)
        return BB_ENOMEM;
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->wake, NULL);
    o->cfg = *c;
    fill_defaults(&o->cfg);
    o->url = traces_url(c->endpoint);
    o->service_name = bb_strdup(c->service_name ? c->service_name : "backbone");
    o->instance = c->instance ? bb_strdup(c->instance) : NULL;
    o->queue = bb_calloc(o->cfg.max_queue, sizeof(bb_span));
    o->cfg.endpoint = o->url;
    o->cfg.service_name = o->service_name;
    o->cfg.instance = o->instance;
    if (!o->url || !o->service_name || (c->instance && !o->instance) || !o->queue) {
        free_exporter(o);
        return BB_ENOMEM;
    }
    bb_otlp *none = NULL;
    if (!atomic_compare_exchange_strong(&running, &none, o)) {
        free_exporter(o);
        return BB_ESTATE;
    }
    if (pthread_create(&o->thread, NULL, exporter_main, o) != 0) {
        atomic_store(&running, NULL);
        free_exporter(o);
        return BB_ENOMEM;
    }
    bb_trace_set_sink(enqueue);
    *out = o;
    return BB_OK;
}

void bb_otlp_stop(bb_otlp *o, double deadline)
{
    if (!o)
        return;
    bb_trace_set_sink(NULL);
    pthread_mutex_lock(&o->lock);
    o->stopping = true;
    o->deadline = deadline;
    pthread_cond_signal(&o->wake);
    pthread_mutex_unlock(&o->lock);
    pthread_join(o->thread, NULL);
    atomic_store(&running, NULL);
    free_exporter(o);
}

void bb_otlp_stats_get(bb_otlp *o, bb_otlp_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!o)
        return;
    out->exported = atomic_load(&o->exported);
    out->dropped = atomic_load(&o->dropped);
}
