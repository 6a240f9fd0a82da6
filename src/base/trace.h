/*
 * trace.h - W3C Trace Context and spans: the trace a request belongs to,
 * read from its `traceparent` header (or begun anew), carried to the work
 * it starts on any thread, passed on to the calls it makes, and timed as
 * spans.
 *
 *   traceparent: 00-<trace-id, 32 hex>-<parent-id, 16 hex>-<flags, 2 hex>
 *
 * A span (bb_span) is one timed piece of work: a request, a pipeline
 * stage, a model call. Each thread has a current scope (bb_trace_enter):
 * the context new spans are children of, and the request id of the work.
 * A finished span goes to the sink (bb_trace_set_sink; server/otlp.c
 * exports spans over OTLP) when one is set and the trace is sampled; with
 * no sink, spans cost a clock read and a few random bytes.
 *
 * Thread safety: contexts and spans are the caller's; the scope is per
 * thread; the sink is set once, before spans are made, and cleared after.
 * Ownership: a scope borrows its context and request id (they must outlive
 * it); spans copy their name and attribute values.
 */
#ifndef BB_TRACE_H
#define BB_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BB_TRACEPARENT_LEN 55 /* version 00, without the NUL */
#define BB_TRACE_SAMPLED 0x01

typedef struct bb_trace_ctx {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags; /* trace-flags; bit 0: sampled */
} bb_trace_ctx;

/*
 * Reads a traceparent header value as the W3C Trace Context spec says
 * (Level 1, section 3.2): lowercase hex only; version ff is invalid;
 * version 00 is exactly 55 characters; a later version may be longer,
 * but only with a '-' after the first 55, whose fields are read as 00's;
 * an all-zero trace id or parent id is invalid. false (out untouched)
 * when the value is absent or invalid: the caller starts a new trace.
 */
bool bb_trace_parse(const char *value, bb_trace_ctx *out);

/* The traceparent value of c (version 00), into out. */
void bb_trace_format(const bb_trace_ctx *c, char out[BB_TRACEPARENT_LEN + 1]);

/* A new trace: random ids, sampled. */
void bb_trace_new(bb_trace_ctx *out);

/* A child of parent (NULL: a new trace): the same trace id and flags, a
 * new span id. */
void bb_trace_child(const bb_trace_ctx *parent, bb_trace_ctx *out);

/* ---- the thread's scope ------------------------------------------------- */

typedef struct bb_trace_scope {
    const bb_trace_ctx *ctx; /* NULL: none */
    const char *request_id;  /* NULL: none */
} bb_trace_scope;

/* Makes (ctx, request_id) this thread's scope and returns the one it
 * replaces, for bb_trace_leave. request_id NULL keeps the current one. */
bb_trace_scope bb_trace_enter(const bb_trace_ctx *ctx, const char *request_id);
void bb_trace_leave(bb_trace_scope previous);

/* The thread's current context and request id; NULL when none. */
const bb_trace_ctx *bb_trace_current(void);
const char *bb_trace_request_id(void);

/* ---- spans -------------------------------------------------------------- */

/* OTLP's SpanKind numbers. */
typedef enum {
    BB_SPAN_INTERNAL = 1,
    BB_SPAN_SERVER = 2,
    BB_SPAN_CLIENT = 3,
} bb_span_kind;

#define BB_SPAN_NAME_MAX 64
#define BB_SPAN_ATTRS_MAX 8
#define BB_SPAN_VALUE_MAX 96

typedef struct bb_span_attr {
    const char *key; /* static: attribute names are the code's own */
    bool is_int;
    long long i;
    char s[BB_SPAN_VALUE_MAX]; /* a longer value is cut */
} bb_span_attr;

typedef struct bb_span {
    bb_trace_ctx ctx;
    uint8_t parent_id[8];
    bool has_parent;
    char name[BB_SPAN_NAME_MAX];
    bb_span_kind kind;
    uint64_t start_ns, end_ns; /* Unix nanoseconds */
    bool error;                /* OTLP status: error, else unset */
    bb_span_attr attrs[BB_SPAN_ATTRS_MAX];
    int n_attrs; /* past BB_SPAN_ATTRS_MAX, more are dropped */
} bb_span;

/* Starts s now as a child of parent (NULL: the root of a new trace). */
void bb_span_start(bb_span *s, const char *name, bb_span_kind kind, const bb_trace_ctx *parent);
/* Starts s as a child of the thread's current context, if there is one:
 * false (s unused) without one, so work outside any trace makes none. */
bool bb_span_start_here(bb_span *s, const char *name, bb_span_kind kind);
void bb_span_str(bb_span *s, const char *key, const char *value);
void bb_span_int(bb_span *s, const char *key, long long value);
/* Ends s now and hands it to the sink (when set and s is sampled). */
void bb_span_end(bb_span *s);
/* True when bb_span_end(s) would hand s on: what is only worth naming and
 * describing for a sink can be skipped otherwise. */
bool bb_span_recorded(const bb_span *s);

/* Where finished spans go: fn(s) copies what it keeps and never blocks.
 * NULL: nowhere. */
typedef void (*bb_span_sink)(const bb_span *s);
void bb_trace_set_sink(bb_span_sink fn);

#endif
