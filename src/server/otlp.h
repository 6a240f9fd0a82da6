/*
 * otlp.h - the service's traces sent to an OpenTelemetry collector: OTLP
 * over HTTP with JSON bodies (POST {endpoint}/v1/traces), through
 * base/http.h.
 *
 * While an exporter runs, it is the sink of base/trace.h: each finished,
 * sampled span is copied into a bounded queue, never waiting (a full queue
 * drops the span and counts it). One thread sends the queue in batches of
 * at most max_batch spans, at least every interval_ms; a batch the
 * collector does not take (no answer, not 2xx) is dropped and counted, so
 * a collector that is down costs memory only up to the queue's size. On
 * stop, what is queued is sent until a deadline.
 *
 * One exporter per process: the sink is process-wide.
 * Thread safety: stats may be read from any thread.
 * Ownership: the config's strings are copied; bb_otlp_stop frees.
 */
#ifndef BB_OTLP_H
#define BB_OTLP_H

#include "base/bb.h"
#include "base/buf.h"
#include "base/trace.h"

#include <stddef.h>
#include <stdint.h>

typedef struct bb_otlp_config {
    const char *endpoint;     /* http(s) URL; /v1/traces is added unless it ends so */
    const char *service_name; /* the service.name resource attribute; "backbone" */
    const char *instance;     /* service.instance.id; NULL: none */
    size_t max_queue;         /* spans waiting at most; 4096 */
    size_t max_batch;         /* spans per request; 512 */
    unsigned interval_ms;     /* a batch goes out at least this often; 1000 */
    long timeout_ms;          /* per request to the collector; 5000 */
} bb_otlp_config;

typedef struct bb_otlp bb_otlp;

/* Starts the exporter's thread and makes it the trace sink. BB_EUSAGE:
 * not an http(s) URL; BB_ESTATE: one is running already; BB_ENOMEM. */
int bb_otlp_start(const bb_otlp_config *c, bb_otlp **out) BB_WUR;

/* Stops taking spans, sends what is queued until deadline
 * (bb_clock_seconds()), stops the thread and frees. NULL is fine. */
void bb_otlp_stop(bb_otlp *o, double deadline);

typedef struct bb_otlp_stats {
    uint64_t exported; /* spans the collector took */
    uint64_t dropped;  /* spans lost: queue full, or their batch refused */
} bb_otlp_stats;

/* Zeros when o is NULL. */
void bb_otlp_stats_get(bb_otlp *o, bb_otlp_stats *out);

/* The OTLP/JSON body of n spans of one resource (service name, version,
 * instance); appended to out. For the exporter and its tests. */
int bb_otlp_encode(const bb_otlp_config *c, const bb_span *spans, size_t n, bb_buf *out) BB_WUR;

#endif
