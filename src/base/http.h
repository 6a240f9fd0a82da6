/*
 * http.h - HTTP POST requests, over libcurl loaded on first use
 * (dynlib.h). The only file that knows libcurl is http.c.
 *
 * One call is one transfer on its own handle: calls may run on several
 * threads at once (no signals are used). libcurl's global setup runs once,
 * on the first call. Without libcurl every call fails cleanly: headers
 * cannot be added (BB_ENOTFOUND) and a post ends BB_HTTP_FAILED with the
 * reason, which names the package to install.
 *
 * Ownership: a header list is the caller's (bb_http_headers_free). The
 * response's body goes to the caller's on_data as it arrives.
 */
#ifndef BB_HTTP_H
#define BB_HTTP_H

#include "base/bb.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* A list of request header lines ("Name: value"). NULL is the empty list. */
typedef struct bb_http_headers bb_http_headers;

/* Appends a line to *list. BB_ENOMEM, or BB_ENOTFOUND without libcurl;
 * *list is unchanged on failure. */
int bb_http_headers_add(bb_http_headers **list, const char *line) BB_WUR;
void bb_http_headers_free(bb_http_headers *list);

typedef struct bb_http_request {
    const char *url;
    const char *protocols; /* allowed schemes, e.g. "https" or "http" */
    const bb_http_headers *headers;
    const char *body; /* POSTed as is */
    size_t len;
    long connect_timeout_ms;
    long timeout_ms;           /* the whole transfer */
    size_t max_response_bytes; /* 0: no cap */
    const char *user_agent;
    /* Each piece of the response body; false stops the transfer. */
    bool (*on_data)(void *ctx, const char *data, size_t n);
    /* Called now and then while the transfer runs; NULL: never. */
    void (*on_progress)(void *ctx);
    void *ctx;
} bb_http_request;

typedef enum {
    BB_HTTP_OK = 0,    /* a response came (of any status) */
    BB_HTTP_TIMEOUT,   /* connecting or the transfer took too long */
    BB_HTTP_TOO_LARGE, /* the body went over max_response_bytes */
    BB_HTTP_STOPPED,   /* on_data said stop */
    BB_HTTP_FAILED,    /* anything else: no connection, TLS, no libcurl */
} bb_http_outcome;

typedef struct bb_http_response {
    bb_http_outcome outcome;
    long status;         /* the HTTP status; 0 when no response came */
    long retry_after_ms; /* retry-after-ms, else Retry-After (seconds or date); -1 none */
    char request_id[96]; /* x-request-id, else request-id; "" none */
    char error[320];     /* why the transfer failed; "" when it did not */
} bb_http_response;

/* POSTs rq->body to rq->url and fills *out; out->outcome says how it went. */
void bb_http_post(const bb_http_request *rq, bb_http_response *out);

/*
 * A stop for this thread's transfers, for work that may be cancelled (a
 * job of the service): once *cancel is true or the clock passes deadline
 * (bb_clock_seconds(); 0: none), a running transfer ends BB_HTTP_STOPPED
 * within about a second and no new one starts. Transfers never wait past
 * the deadline. bb_http_scope(NULL, 0) ends the scope.
 */
void bb_http_scope(const atomic_bool *cancel, double deadline);

/* True when this thread's scope says to stop (false without a scope). */
bool bb_http_stopped(void);

/* The loader of libcurl, for a command to check early (bb_dynlib_ready)
 * and for tests (bb_dynlib__set_soname). */
struct bb_dynlib *bb_http_library(void);

#endif
