/*
 * request.h - one HTTP request of the service, from its headers to its
 * log line: what handlers read (bb_req_body, bb_req_header...) and how
 * they answer (bb_req_reply*), and the steps the server runs on it.
 *
 * A handler answers once, with bb_req_reply(), bb_req_reply_json() or
 * bb_req_reply_error() (a later call replaces the answer); the server
 * sends it with the headers every answer carries (request id, security
 * headers, rate-limit and CORS headers).
 *
 * Ownership: the server makes and frees requests; a handler's pointers
 * into a request are valid until it returns. The struct's fields belong to
 * the server's modules; handlers use the functions.
 */
#ifndef BB_REQUEST_H
#define BB_REQUEST_H

#include "base/bb.h"
#include "base/buf.h"
#include "base/trace.h"
#include "server/auth.h"
#include "server/httpd.h"
#include "server/metrics.h"
#include "server/pool.h"
#include "server/ratelimit.h"
#include "server/router.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;
typedef struct bb_service bb_service;

#define BB_REQ_ID_MAX 128
#define BB_REQ_MAX_HEADERS 8

typedef enum {
    BB_REQ_HEADERS, /* first call: headers only */
    BB_REQ_BODY,    /* receiving the body */
    BB_REQ_WORKING, /* suspended: in the worker queue */
    BB_REQ_READY,   /* the answer is set: send it when resumed */
    BB_REQ_SENT,
} bb_req_phase;

struct bb_req {
    bb_pool_task task; /* run by a worker (BB_ROUTE_WORKER) */
    bb_service *svc;
    bb_httpd_conn *conn;
    const bb_route *route;
    const char *url;   /* the daemon's, valid for the request's life */
    const char *param; /* the "{name}" segment of the path, or NULL */
    char method[16];
    bool http11; /* HTTP/1.1, not 1.0 */
    bool close;  /* close the connection after the answer */
    char id[BB_REQ_ID_MAX + 1];
    char identity[BB_AUTH_IDENTITY_MAX];
    char ip[INET6_ADDRSTRLEN];
    const char *origin; /* the allowed Origin (config string), or NULL */
    const char *auth_error;
    double start; /* bb_clock_seconds() */
    bb_req_phase phase;
    bb_span span;     /* the request's own, ended with its log line */
    bool trace_given; /* its traceparent was valid: span is its child */

    bb_buf body;
    size_t body_seen; /* bytes received, kept or not */
    bool body_too_large;

    bool rate_applied;
    bb_rate_result rate;

    /* The answer, set by a handler or a step, sent by bb_req_send(). */
    int status;
    const char *content_type;
    char *reply;
    size_t reply_len;
    struct {
        char *name, *value;
    } headers[BB_REQ_MAX_HEADERS]; /* added by bb_req_add_header() */
    int n_headers;
    size_t bytes_sent;
};

/* ---- what handlers use -------------------------------------------------- */

const char *bb_req_body(const bb_req *r, size_t *len);
/* A request header (case-insensitive name), NULL when absent. */
const char *bb_req_header(const bb_req *r, const char *name);
/* The segment matched by the route's "{name}", or NULL. */
const char *bb_req_param(const bb_req *r);

/* Answers with body (bb_malloc'd; the request takes it). */
void bb_req_reply(bb_req *r, int status, const char *content_type, char *body, size_t len);
/* Answers with json (the request takes it and deletes it). */
void bb_req_reply_json(bb_req *r, int status, cJSON *json);
/* Answers with the JSON error body; code is a short machine word. */
void bb_req_reply_error(bb_req *r, int status, const char *code, const char *fmt, ...)
    BB_PRINTF(4, 5);
/* Adds a response header (copied). Up to BB_REQ_MAX_HEADERS per request. */
void bb_req_add_header(bb_req *r, const char *name, const char *value);
/* Counts one outcome (a label of metric id, e.g. "ok") of this request. */
void bb_req_count(bb_req *r, bb_metric_id id, const char *outcome);

/* ---- what the server does with a request -------------------------------- */

bb_req *bb_req_new(bb_service *s, bb_httpd_conn *c, const char *url, const char *method,
                   const char *version);
void bb_req_free(bb_req *r);
/* "kind:name" as the request's identity (a long name is cut). */
void bb_req_set_identity(bb_req *r, const char *kind, const char *name);
/* Keeps a piece of the body, up to the server's limit; past it the body
 * is dropped and body_too_large set. */
void bb_req_receive(bb_req *r, const char *data, size_t n);
/* Runs the route's handler in the request's trace scope (trace.h), so
 * that the work it does and the calls it makes are its span's children. */
void bb_req_run(bb_req *r);
/* Queues the answer the request holds (a 500 if it has none). */
bool bb_req_send(bb_req *r);
/* Ends the request's span, named by its method and route pattern (health
 * probes and /metrics are not traced). */
void bb_req_end_span(bb_req *r);
/* The request's log line, once it is complete. */
void bb_req_log(const bb_req *r, double seconds);

#endif
