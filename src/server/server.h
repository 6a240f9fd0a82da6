/*
 * server.h - `backbone serve`: the HTTP service, on libmicrohttpd.
 *
 * The daemon polls with epoll in a small pool of threads. Every request goes
 * through the same steps, in this order, each of which may answer early with
 * a JSON error {"error": {"code", "message", "request_id"}}:
 *
 *   route (404, 405 + Allow, OPTIONS/CORS preflight)
 *   -> credentials (401) for protected routes
 *   -> rate limits per identity and tier (429 + Retry-After)
 *   -> Content-Type (415) and Content-Length (413) before any body is read
 *   -> body, capped (413 for a chunked body past the cap)
 *   -> the route's handler, inline or in the worker pool
 *
 * Handlers that may take long (generation) run in a bounded worker pool: the
 * connection is suspended, a worker runs the handler, the connection is
 * resumed to send the answer, so health checks and metrics keep answering.
 * A full queue answers 503 with Retry-After.
 *
 * Adding a route: write a bb_route_fn (it reads the request with bb_req_*
 * and answers with bb_req_reply*), then list it in the route table of
 * server.c or pass it in bb_server_config.routes.
 *
 * Ownership: bb_server_start() gives a server that bb_server_stop() stops
 * and frees. The config's strings and the bb_auth are borrowed: they must
 * outlive the server.
 */
#ifndef BB_SERVER_H
#define BB_SERVER_H

#include "base/bb.h"
#include "base/buf.h"
#include "server/auth.h"
#include "server/metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct cJSON cJSON;
typedef struct bb_server bb_server;
typedef struct bb_req bb_req;

/* What a route needs before its handler runs. */
enum {
    BB_ROUTE_AUTH = 1 << 0,      /* credentials required (unless --no-auth) */
    BB_ROUTE_JSON_BODY = 1 << 1, /* a body of Content-Type application/json */
    BB_ROUTE_WORKER = 1 << 2,    /* run in the worker pool, not the poller */
};

typedef void (*bb_route_fn)(bb_req *r);

typedef struct bb_route {
    const char *method; /* "GET" (HEAD is served too) or "POST"... */
    /* The path, e.g. "/api/v1/validate"; a last segment "{name}" matches
     * any one segment of [A-Za-z0-9._-]{1,128} (bb_req_param gives it). */
    const char *path;
    unsigned flags;
    const char *tier; /* rate-limit tier: "public", "validate", "generate"; NULL none */
    const char *summary;
    bb_route_fn run;
} bb_route;

typedef struct bb_server_config {
    const char *host; /* address to bind; "127.0.0.1" by default */
    unsigned port;    /* 0: any free port (see bb_server_port) */
    bool no_auth;     /* serve protected routes without credentials */
    const bb_auth *auth;
    const char *keys_file; /* named in the "how to configure" message */
    const char *const *cors_origins;
    size_t n_cors_origins;

    size_t max_body;          /* bytes; 10 MiB */
    size_t max_output;        /* bytes of generated files together; 64 MiB */
    unsigned max_connections; /* 1024 */
    unsigned max_per_ip;      /* 256 */
    unsigned timeout;         /* idle seconds before a connection is closed; 30 */
    size_t connection_memory; /* bytes per connection for headers and reads */
    unsigned threads;         /* polling threads; 0: one per CPU */
    unsigned workers;         /* generation workers; 0: one per CPU */
    unsigned queue;           /* generations waiting at most; 64 */
    unsigned shutdown_grace;  /* seconds to let requests finish on stop; 30 */

    /* Rate limits: requests per window (0: unlimited). The "hour" limit
     * uses a window 60 times longer. */
    unsigned rate_public, rate_authenticated, rate_generate, rate_generate_hour, rate_validate;
    unsigned rate_window; /* seconds; 60 */
    size_t rate_slots;    /* counters kept; 16384 */

    /* Generations with a model run as jobs (agents/jobs.h): at most
     * max_jobs held, each kept job_ttl seconds after it ends. */
    unsigned max_jobs; /* 32 */
    unsigned job_ttl;  /* seconds; 3600 */

    const char *templates_dir; /* NULL: embedded templates */
    const char *review_python; /* Python the reviewer compiles output with; NULL: built-in check */
    FILE *log;                 /* access and event log (JSON lines); stderr */

    const bb_route *routes; /* extra routes, after the built-in ones */
    size_t n_routes;
} bb_server_config;

void bb_server_config_default(bb_server_config *c);

/* Starts listening and serving. On failure writes why into err. */
int bb_server_start(const bb_server_config *c, bb_server **out, bb_buf *err) BB_WUR;

/* The port actually bound. */
unsigned bb_server_port(const bb_server *s);

/*
 * Graceful stop: stops accepting connections, lets requests in flight
 * finish (up to shutdown_grace seconds), then stops every thread and frees
 * the server.
 */
void bb_server_stop(bb_server *s);

/* Writes one JSON log line {"time","level","msg",...extra} to the log.
 * extra is NULL or a string of further members (",\"k\":1"). */
void bb_server_log(bb_server *s, const char *level, const char *msg, const char *extra);

/* ---- what handlers use -------------------------------------------------- */

const char *bb_req_body(const bb_req *r, size_t *len);
/* A request header (case-insensitive name), NULL when absent. */
const char *bb_req_header(const bb_req *r, const char *name);
const char *bb_req_id(const bb_req *r);
/* The segment matched by the route's "{name}", or NULL. */
const char *bb_req_param(const bb_req *r);
/* "key:NAME", "jwt:SUB" or "ip:ADDR". */
const char *bb_req_identity(const bb_req *r);
bb_server *bb_req_server(const bb_req *r);
bb_metrics *bb_req_metrics(const bb_req *r);
const bb_server_config *bb_req_config(const bb_req *r);

/* Answers with body (bb_malloc'd; the request takes it). */
void bb_req_reply(bb_req *r, int status, const char *content_type, char *body, size_t len);
/* Answers with json (the request takes it and deletes it). */
void bb_req_reply_json(bb_req *r, int status, cJSON *json);
/* Answers with the JSON error body; code is a short machine word. */
void bb_req_reply_error(bb_req *r, int status, const char *code, const char *fmt, ...)
    BB_PRINTF(4, 5);
/* Adds a response header (copied). Up to 8 per request. */
void bb_req_add_header(bb_req *r, const char *name, const char *value);

#endif
