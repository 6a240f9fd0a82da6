/*
 * metrics.h - the HTTP service's metrics, rendered in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * The families are fixed (listed in metrics.c and docs/server.md); a series
 * is a family plus its label values, created on first use. Series live in a
 * fixed-size table, so label values that come from clients (never used
 * directly: routes are the route table's patterns, not raw paths) cannot
 * grow memory: past the table's size, new series are dropped and counted in
 * backbone_metrics_dropped_series_total.
 *
 * Every call is thread-safe (one mutex; each update is a few instructions).
 * Ownership: bb_metrics_new() returns a registry freed by bb_metrics_free().
 */
#ifndef BB_METRICS_H
#define BB_METRICS_H

#include "base/bb.h"
#include "base/buf.h"

#include <stddef.h>

typedef struct bb_metrics bb_metrics;

typedef enum {
    BB_M_REQUESTS,         /* counter {route, method, status} */
    BB_M_REQUEST_SECONDS,  /* histogram {route} */
    BB_M_REQUEST_BYTES,    /* histogram {route} */
    BB_M_RESPONSE_BYTES,   /* histogram {route} */
    BB_M_GENERATIONS,      /* counter {outcome} */
    BB_M_VALIDATIONS,      /* counter {outcome} */
    BB_M_STAGE_SECONDS,    /* histogram {stage} */
    BB_M_FILES_GENERATED,  /* counter */
    BB_M_LINES_GENERATED,  /* counter */
    BB_M_RATE_LIMITED,     /* counter {tier} */
    BB_M_AUTH_FAILURES,    /* counter {reason} */
    BB_M_IN_FLIGHT,        /* gauge */
    BB_M_QUEUE_DEPTH,      /* gauge */
    BB_M_WORKERS,          /* gauge */
    BB_M_UPTIME,           /* gauge */
    BB_M_RATE_EVICTIONS,   /* counter, set from the rate limiter */
    BB_M_SPANS_EXPORTED,   /* counter, set from the trace exporter */
    BB_M_SPANS_DROPPED,    /* counter, set from the trace exporter */
    BB_M_DROPPED_SERIES,   /* counter */
    BB_M_REDIS_UP,         /* gauge, with --redis */
    BB_M_REDIS_FAILURES,   /* counter, with --redis: set from the client */
    BB_M_REDIS_RATE_CALLS, /* counter, with --redis: set from its limits */
    BB_M_FAMILY_COUNT
} bb_metric_id;

bb_metrics *bb_metrics_new(void) BB_WUR;
void bb_metrics_free(bb_metrics *m);

/*
 * Adds v to a counter or gauge, or observes v in a histogram. labels holds
 * as many values as the family has label names (NULL when none).
 */
void bb_metrics_add(bb_metrics *m, bb_metric_id id, const char *const *labels, double v);
/* Sets a gauge (or a counter mirrored from elsewhere) to v. */
void bb_metrics_set(bb_metrics *m, bb_metric_id id, const char *const *labels, double v);

/* One finished HTTP request: the request counter, duration and sizes. A
 * method HTTP does not define is counted as "other". */
void bb_metrics_request(bb_metrics *m, const char *route, const char *method, int status,
                        double seconds, size_t request_bytes, size_t response_bytes);

/* The current value of a counter or gauge, or a histogram's count; 0 when
 * the series does not exist. For tests and health checks. */
double bb_metrics_value(bb_metrics *m, bb_metric_id id, const char *const *labels);

/* Labels every series with instance="NAME" (the replica's name: several
 * replicas behind one scrape job stay apart); NULL or "": none. A long
 * name is cut to the label length. */
void bb_metrics_set_instance(bb_metrics *m, const char *instance);

/* Appends the labels every series carries, as "{instance=\"NAME\"}", to
 * out; nothing without an instance. For figures rendered elsewhere. */
int bb_metrics_labels(bb_metrics *m, bb_buf *out) BB_WUR;

/* Appends the text exposition of every family to out. */
int bb_metrics_render(bb_metrics *m, bb_buf *out) BB_WUR;

/* The Content-Type of the rendered text. */
#define BB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
