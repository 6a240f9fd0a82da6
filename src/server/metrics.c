/* metrics.c - a fixed registry of Prometheus families (see metrics.h). */
#include "server/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_LABELS 3
#define LABEL_MAX 64 /* label values are cut to this many bytes */
#define MAX_SERIES 1024
#define MAX_BUCKETS 16

typedef enum { COUNTER, GAUGE, HISTOGRAM } family_type;

typedef struct family {
    const char *name;
    const char *help;
    family_type type;
    int n_labels;
    const char *labels[MAX_LABELS];
    const double *buckets; /* upper bounds, increasing; +Inf is implied */
    int n_buckets;
    bool optional; /* shown only once set: a part the service may not use */
} family;

static const double seconds_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};
static const double bytes_buckets[] = {128,   512,    1024,    4096,    16384,
                                       65536, 262144, 1048576, 4194304, 10485760};
#define NB(a) (int)(sizeof(a) / sizeof((a)[0]))

static const family families[BB_M_FAMILY_COUNT] = {
    [BB_M_REQUESTS] = {"backbone_http_requests_total",
                       "HTTP requests answered, by route pattern, method and status.",
                       COUNTER,
                       3,
                       {"route", "method", "status"},
                       NULL,
                       0},
    [BB_M_REQUEST_SECONDS] = {"backbone_http_request_duration_seconds",
                              "Time from the request's headers to the end of its response.",
                              HISTOGRAM,
                              1,
                              {"route"},
                              seconds_buckets,
                              NB(seconds_buckets)},
    [BB_M_REQUEST_BYTES] = {"backbone_http_request_size_bytes",
                            "Request body sizes.",
                            HISTOGRAM,
                            1,
                            {"route"},
                            bytes_buckets,
                            NB(bytes_buckets)},
    [BB_M_RESPONSE_BYTES] = {"backbone_http_response_size_bytes",
                             "Response body sizes.",
                             HISTOGRAM,
                             1,
                             {"route"},
                             bytes_buckets,
                             NB(bytes_buckets)},
    [BB_M_GENERATIONS] = {"backbone_generations_total",
                          "Generation requests, by outcome (ok, invalid, error, busy).",
                          COUNTER,
                          1,
                          {"outcome"},
                          NULL,
                          0},
    [BB_M_VALIDATIONS] = {"backbone_validations_total",
                          "Validation requests, by outcome (valid, invalid, malformed).",
                          COUNTER,
                          1,
                          {"outcome"},
                          NULL,
                          0},
    [BB_M_STAGE_SECONDS] = {"backbone_pipeline_stage_duration_seconds",
                            "Time spent in each pipeline stage.",
                            HISTOGRAM,
                            1,
                            {"stage"},
                            seconds_buckets,
                            NB(seconds_buckets)},
    [BB_M_FILES_GENERATED] =
        {"backbone_generated_files_total", "Files generated.", COUNTER, 0, {NULL}, NULL, 0},
    [BB_M_LINES_GENERATED] =
        {"backbone_generated_lines_total", "Lines of code generated.", COUNTER, 0, {NULL}, NULL, 0},
    [BB_M_RATE_LIMITED] = {"backbone_rate_limited_total",
                           "Requests refused by a rate limit, by tier.",
                           COUNTER,
                           1,
                           {"tier"},
                           NULL,
                           0},
    [BB_M_AUTH_FAILURES] = {"backbone_auth_failures_total",
                            "Refused credentials, by reason.",
                            COUNTER,
                            1,
                            {"reason"},
                            NULL,
                            0},
    [BB_M_IN_FLIGHT] = {"backbone_http_requests_in_flight",
                        "Requests being handled now.",
                        GAUGE,
                        0,
                        {NULL},
                        NULL,
                        0},
    [BB_M_QUEUE_DEPTH] = {"backbone_worker_queue_depth",
                          "Generations waiting for a worker thread.",
                          GAUGE,
                          0,
                          {NULL},
                          NULL,
                          0},
    [BB_M_WORKERS] =
        {"backbone_workers_alive", "Worker threads running.", GAUGE, 0, {NULL}, NULL, 0},
    [BB_M_UPTIME] = {"backbone_uptime_seconds",
                     "Seconds since the service started.",
                     GAUGE,
                     0,
                     {NULL},
                     NULL,
                     0},
    [BB_M_RATE_EVICTIONS] = {"backbone_rate_limit_evictions_total",
                             "Rate-limit counters evicted to keep memory bounded.",
                             COUNTER,
                             0,
                             {NULL},
                             NULL,
                             0},
    [BB_M_SPANS_EXPORTED] = {"backbone_trace_spans_exported_total",
                             "Trace spans the OTLP collector took.",
                             COUNTER,
                             0,
                             {NULL},
                             NULL,
                             0},
    [BB_M_SPANS_DROPPED] = {"backbone_trace_spans_dropped_total",
                            "Trace spans lost: the export queue was full or the collector "
                            "refused their batch.",
                            COUNTER,
                            0,
                            {NULL},
                            NULL,
                            0},
    [BB_M_DROPPED_SERIES] = {"backbone_metrics_dropped_series_total",
                             "Series not recorded because the registry was full.",
                             COUNTER,
                             0,
                             {NULL},
                             NULL,
                             0},
    [BB_M_REDIS_UP] = {"backbone_redis_up",
                       "1 when the last command reached Redis, 0 during an outage.",
                       GAUGE,
                       0,
                       {NULL},
                       NULL,
                       0,
                       true},
    [BB_M_REDIS_FAILURES] = {"backbone_redis_failures_total",
                             "Commands to Redis that failed: refused, lost or timed out.",
                             COUNTER,
                             0,
                             {NULL},
                             NULL,
                             0,
                             true},
    [BB_M_REDIS_RATE_CALLS] = {"backbone_redis_rate_limit_calls_total",
                               "Calls to Redis made by rate limits (a lease counts many "
                               "requests in one).",
                               COUNTER,
                               0,
                               {NULL},
                               NULL,
                               0,
                               true},
};

typedef struct series {
    int family; /* -1: free */
    uint64_t hash;
    char labels[MAX_LABELS][LABEL_MAX];
    double value; /* counters and gauges; histogram sum */
    uint64_t count;
    uint64_t buckets[MAX_BUCKETS]; /* per bucket, not cumulative */
} series;

struct bb_metrics {
    pthread_mutex_t lock;
    series *table; /* open addressing, MAX_SERIES slots */
    int *order;    /* slots in creation order, for stable output */
    int n_series;
    double dropped;
    char instance[LABEL_MAX * 2 + 16]; /* instance="..." escaped, or "" */
};

static series *lookup(bb_metrics *m, bb_metric_id id, const char *const *labels, bool create);

bb_metrics *bb_metrics_new(void)
{
    bb_metrics *m = bb_calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->table = bb_calloc(MAX_SERIES, sizeof(series));
    m->order = bb_calloc(MAX_SERIES, sizeof(int));
    if (!m->table || !m->order) {
        bb_free(m->table);
        bb_free(m->order);
        bb_free(m);
        return NULL;
    }
    for (int i = 0; i < MAX_SERIES; i++)
        m->table[i].family = -1;
    pthread_mutex_init(&m->lock, NULL);
    /* Made first, so it has a place even when the table fills up. */
    (void)lookup(m, BB_M_DROPPED_SERIES, NULL, true);
    return m;
}

void bb_metrics_free(bb_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    bb_free(m->table);
    bb_free(m->order);
    bb_free(m);
}

static uint64_t series_hash(int fam, const char *const *labels, int n)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)fam;
    for (int i = 0; i < n; i++) {
        const char *v = labels[i] ? labels[i] : "";
        for (size_t k = 0; v[k] && k < LABEL_MAX - 1; k++)
            h = (h ^ (unsigned char)v[k]) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
    }
    return h;
}

static bool same_labels(const series *s, const char *const *labels, int n)
{
    for (int i = 0; i < n; i++) {
        const char *v = labels[i] ? labels[i] : "";
        if (strncmp(s->labels[i], v, LABEL_MAX - 1) != 0)
            return false;
    }
    return true;
}

/* The series of (id, labels), created when create is set; NULL when absent
 * or when the table is full. The lock is held by the caller. */
static series *lookup(bb_metrics *m, bb_metric_id id, const char *const *labels, bool create)
{
    int n = families[id].n_labels;
    uint64_t h = series_hash((int)id, labels, n);
    for (int probe = 0; probe < MAX_SERIES; probe++) {
        series *s = &m->table[(h + (uint64_t)probe) % MAX_SERIES];
        if (s->family == (int)id && s->hash == h && same_labels(s, labels, n))
            return s;
        if (s->family >= 0)
            continue;
        if (!create || m->n_series >= MAX_SERIES * 3 / 4) {
            if (create)
                m->dropped++;
            return NULL;
        }
        memset(s, 0, sizeof(*s));
        s->family = (int)id;
        s->hash = h;
        for (int i = 0; i < n; i++)
            snprintf(s->labels[i], LABEL_MAX, "%s", labels[i] ? labels[i] : "");
        m->order[m->n_series++] = (int)(s - m->table);
        return s;
    }
    return NULL;
}

static void observe(const family *f, series *s, double v)
{
    int i = 0;
    while (i < f->n_buckets && v > f->buckets[i])
        i++;
    if (i < f->n_buckets)
        s->buckets[i]++;
    s->count++;
    s->value += v;
}

void bb_metrics_add(bb_metrics *m, bb_metric_id id, const char *const *labels, double v)
{
    pthread_mutex_lock(&m->lock);
    series *s = lookup(m, id, labels, true);
    if (s) {
        if (families[id].type == HISTOGRAM)
            observe(&families[id], s, v);
        else
            s->value += v;
    }
    pthread_mutex_unlock(&m->lock);
}

void bb_metrics_set(bb_metrics *m, bb_metric_id id, const char *const *labels, double v)
{
    pthread_mutex_lock(&m->lock);
    series *s = lookup(m, id, labels, true);
    if (s && families[id].type != HISTOGRAM)
        s->value = v;
    pthread_mutex_unlock(&m->lock);
}

/* The method as a label: one of HTTP's own, else "other", so that a
 * client inventing methods cannot fill the registry with series. */
static const char *method_label(const char *method)
{
    static const char *const known[] = {"GET",     "HEAD",  "POST",  "PUT",    "DELETE",
                                        "OPTIONS", "PATCH", "TRACE", "CONNECT"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(method, known[i]) == 0)
            return known[i];
    return "other";
}

void bb_metrics_request(bb_metrics *m, const char *route, const char *method, int status,
                        double seconds, size_t request_bytes, size_t response_bytes)
{
    char code[8];
    snprintf(code, sizeof(code), "%d", status);
    const char *rl[3] = {route, method_label(method), code};
    pthread_mutex_lock(&m->lock);
    series *s = lookup(m, BB_M_REQUESTS, rl, true);
    if (s)
        s->value += 1;
    if ((s = lookup(m, BB_M_REQUEST_SECONDS, rl, true)))
        observe(&families[BB_M_REQUEST_SECONDS], s, seconds);
    if ((s = lookup(m, BB_M_REQUEST_BYTES, rl, true)))
        observe(&families[BB_M_REQUEST_BYTES], s, (double)request_bytes);
    if ((s = lookup(m, BB_M_RESPONSE_BYTES, rl, true)))
        observe(&families[BB_M_RESPONSE_BYTES], s, (double)response_bytes);
    pthread_mutex_unlock(&m->lock);
}

double bb_metrics_value(bb_metrics *m, bb_metric_id id, const char *const *labels)
{
    pthread_mutex_lock(&m->lock);
    series *s = lookup(m, id, labels, false);
    double v = !s ? 0 : families[id].type == HISTOGRAM ? (double)s->count : s->value;
    pthread_mutex_unlock(&m->lock);
    return v;
}

/* Label values are escaped as the text format asks: \\, \" and \n. */
static int put_label_value(bb_buf *out, const char *v)
{
    int rc = BB_OK;
    for (const char *p = v; !rc && *p; p++) {
        if (*p == '\\')
            rc = bb_buf_puts(out, "\\\\");
        else if (*p == '"')
            rc = bb_buf_puts(out, "\\\"");
        else if (*p == '\n')
            rc = bb_buf_puts(out, "\\n");
        else
            rc = bb_buf_putc(out, *p);
    }
    return rc;
}

/* {instance="i",a="x",b="y"} plus an optional le="..." (NULL: none);
 * nothing when empty. */
static int put_labels(bb_buf *out, const char *instance, const family *f, const series *s,
                      const char *le)
{
    if (!instance[0] && f->n_labels == 0 && !le)
        return BB_OK;
    int rc = bb_buf_putc(out, '{');
    if (!rc)
        rc = bb_buf_puts(out, instance);
    bool first = !instance[0];
    for (int i = 0; !rc && i < f->n_labels; i++, first = false) {
        rc = bb_buf_printf(out, "%s%s=\"", first ? "" : ",", f->labels[i]);
        if (!rc)
            rc = put_label_value(out, s->labels[i]);
        if (!rc)
            rc = bb_buf_putc(out, '"');
    }
    if (!rc && le)
        rc = bb_buf_printf(out, "%sle=\"%s\"", first ? "" : ",", le);
    if (!rc)
        rc = bb_buf_putc(out, '}');
    return rc;
}

static int put_number(bb_buf *out, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        return bb_buf_printf(out, " %.0f\n", v);
    return bb_buf_printf(out, " %.9g\n", v);
}

static int render_histogram(bb_metrics *m, bb_buf *out, const family *f, const series *s)
{
    uint64_t cumulative = 0;
    int rc = BB_OK;
    for (int b = 0; !rc && b <= f->n_buckets; b++) {
        char le[32];
        if (b < f->n_buckets) {
            cumulative += s->buckets[b];
            snprintf(le, sizeof(le), "%g", f->buckets[b]);
        } else {
            cumulative = s->count;
            snprintf(le, sizeof(le), "+Inf");
        }
        rc = bb_buf_printf(out, "%s_bucket", f->name);
        if (!rc)
            rc = put_labels(out, m->instance, f, s, le);
        if (!rc)
            rc = put_number(out, (double)cumulative);
    }
    if (!rc)
        rc = bb_buf_printf(out, "%s_sum", f->name);
    if (!rc)
        rc = put_labels(out, m->instance, f, s, NULL);
    if (!rc)
        rc = put_number(out, s->value);
    if (!rc)
        rc = bb_buf_printf(out, "%s_count", f->name);
    if (!rc)
        rc = put_labels(out, m->instance, f, s, NULL);
    if (!rc)
        rc = put_number(out, (double)s->count);
    return rc;
}

static bool has_series(const bb_metrics *m, int id)
{
    for (int k = 0; k < m->n_series; k++)
        if (m->table[m->order[k]].family == id)
            return true;
    return false;
}

static int render_family(bb_metrics *m, bb_buf *out, int id)
{
    const family *f = &families[id];
    if (f->optional && !has_series(m, id))
        return BB_OK;
    static const char *type_names[] = {"counter", "gauge", "histogram"};
    int rc = bb_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
                           type_names[f->type]);
    bool any = false;
    for (int k = 0; !rc && k < m->n_series; k++) {
        const series *s = &m->table[m->order[k]];
        if (s->family != id)
            continue;
        any = true;
        if (f->type == HISTOGRAM) {
            rc = render_histogram(m, out, f, s);
            continue;
        }
        rc = bb_buf_puts(out, f->name);
        if (!rc)
            rc = put_labels(out, m->instance, f, s, NULL);
        if (!rc)
            rc = put_number(out, s->value);
    }
    /* A family without labels always shows its value, 0 until it moves. */
    if (!rc && !any && f->n_labels == 0 && f->type != HISTOGRAM)
        rc = bb_buf_printf(out, "%s%s%s%s 0\n", f->name, m->instance[0] ? "{" : "", m->instance,
                           m->instance[0] ? "}" : "");
    return rc;
}

void bb_metrics_set_instance(bb_metrics *m, const char *instance)
{
    bb_buf b;
    bb_buf_init(&b, sizeof(m->instance) - 1);
    char cut[LABEL_MAX];
    snprintf(cut, sizeof(cut), "%s", instance ? instance : "");
    int rc = cut[0] ? bb_buf_puts(&b, "instance=\"") : BB_OK;
    if (!rc && cut[0])
        rc = put_label_value(&b, cut);
    if (!rc && cut[0])
        rc = bb_buf_putc(&b, '"');
    pthread_mutex_lock(&m->lock);
    snprintf(m->instance, sizeof(m->instance), "%s", rc || !b.data ? "" : bb_buf_str(&b));
    pthread_mutex_unlock(&m->lock);
    bb_buf_free(&b);
}

int bb_metrics_labels(bb_metrics *m, bb_buf *out)
{
    pthread_mutex_lock(&m->lock);
    int rc = m->instance[0] ? bb_buf_printf(out, "{%s}", m->instance) : BB_OK;
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int bb_metrics_render(bb_metrics *m, bb_buf *out)
{
    pthread_mutex_lock(&m->lock);
    series *d = lookup(m, BB_M_DROPPED_SERIES, NULL, true);
    if (d)
        d->value = m->dropped;
    int rc = BB_OK;
    for (int id = 0; !rc && id < BB_M_FAMILY_COUNT; id++)
        rc = render_family(m, out, id);
    pthread_mutex_unlock(&m->lock);
    return rc;
}
