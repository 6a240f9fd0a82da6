/*
 * httpd.h - the HTTP server underneath the service: libmicrohttpd behind
 * backbone's own names, so that no other file knows the library.
 *
 * The daemon polls with epoll in a pool of threads and calls on_request
 * for each request several times: first with *req NULL once the headers
 * are in (the callee sets *req to its own state), then once per piece of
 * body (*upload_size > 0: consume it and set *upload_size to 0), then with
 * *upload_size 0 when the body is complete, and again after each resume.
 * An answer is queued with bb_httpd_respond(). on_completed is called once
 * per request whose *req was set, when the connection is done with it.
 *
 * The url given to on_request is the request's path as sent, without its
 * query and with its percent escapes left alone.
 *
 * A connection may be suspended (no more calls) while another thread
 * works, then resumed from any thread (on_request is called again).
 *
 * libmicrohttpd is loaded on first use (base/dynlib.h): without it
 * bb_httpd_start() fails with BB_ENOTFOUND after one message naming the
 * package to install; the other functions are only reached through a
 * started daemon.
 *
 * Ownership: bb_httpd_start() gives a daemon that bb_httpd_stop() stops
 * and frees. A response takes its body in every case.
 */
#ifndef BB_HTTPD_H
#define BB_HTTPD_H

#include "base/bb.h"

#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

typedef struct bb_httpd bb_httpd;
typedef struct bb_httpd_conn bb_httpd_conn;
typedef struct bb_httpd_response bb_httpd_response;

/* Returns false to close the connection without an answer. */
typedef bool (*bb_httpd_request_fn)(void *ctx, bb_httpd_conn *c, const char *url,
                                    const char *method, const char *version, const char *upload,
                                    size_t *upload_size, void **req);
/* How a request ended. */
typedef enum {
    BB_HTTPD_ANSWERED,    /* the answer went out whole */
    BB_HTTPD_CLIENT_GONE, /* the client left, or the connection failed */
    BB_HTTPD_TIMED_OUT,   /* its headers or body missed their deadline */
} bb_httpd_end;

typedef void (*bb_httpd_completed_fn)(void *ctx, void *req, bb_httpd_end end);
/* A message of the library's own (malformed requests, failures). */
typedef void (*bb_httpd_log_fn)(void *ctx, const char *msg);

typedef struct bb_httpd_config {
    const struct sockaddr *addr; /* AF_INET or AF_INET6; port 0 picks a free one */
    unsigned threads;            /* polling threads */
    unsigned max_connections;
    unsigned max_per_ip;
    unsigned timeout;         /* idle seconds before a connection is closed */
    unsigned header_timeout;  /* seconds for a request's whole header block (conns.h) */
    unsigned body_timeout;    /* seconds for a request's whole body, from its headers */
    size_t connection_memory; /* bytes per connection for headers and reads */
    unsigned backlog;         /* listen() backlog */
    bb_httpd_request_fn on_request;
    bb_httpd_completed_fn on_completed;
    bb_httpd_log_fn on_log;
    void *ctx; /* passed to the three callbacks */
} bb_httpd_config;

/* Starts listening and serving. BB_EIO when the address cannot be bound,
 * BB_ENOTFOUND without libmicrohttpd. */
int bb_httpd_start(const bb_httpd_config *c, bb_httpd **out) BB_WUR;

/* The port actually bound. */
unsigned bb_httpd_port(bb_httpd *d);

/* Stops accepting: the listening socket is closed, so new connections
 * are refused at once; those open are served on. */
void bb_httpd_quiesce(bb_httpd *d);

/* Closes the connections that wait for a request and have no byte of
 * one (conns.h); returns how many connections are still open. */
unsigned bb_httpd_close_idle(bb_httpd *d);

/* Closes every connection and frees d. NULL is fine. */
void bb_httpd_stop(bb_httpd *d);

/* A request header (name compared without regard to case), or NULL. */
const char *bb_httpd_header(bb_httpd_conn *c, const char *name);

/* Calls visit for every request header line, in the order received, as the
 * library split it (a name may hold characters no header name may);
 * visit returns false to stop. */
typedef bool (*bb_httpd_header_fn)(void *ctx, const char *name, const char *value);
void bb_httpd_each_header(bb_httpd_conn *c, bb_httpd_header_fn visit, void *ctx);

/* The client's address as text ("unknown" when it has none). */
void bb_httpd_client_ip(bb_httpd_conn *c, char *out, size_t size);

/* Only from on_request; resume from any thread, once per suspend. */
void bb_httpd_suspend(bb_httpd_conn *c);
void bb_httpd_resume(bb_httpd_conn *c);

/* A response with body (len bytes; may be NULL when len is 0), released
 * with free_body(body) once sent. NULL when out of memory, and then body
 * has already been released. */
bb_httpd_response *bb_httpd_response_new(void *body, size_t len, void (*free_body)(void *));
/* Adds a header; false when out of memory or not a valid header. */
bool bb_httpd_response_header(bb_httpd_response *r, const char *name, const char *value);
/* Queues r as the answer of the connection's request and releases r.
 * false when it cannot be queued (the connection is then closed). */
bool bb_httpd_respond(bb_httpd_conn *c, unsigned status, bb_httpd_response *r);

/* The loader of libmicrohttpd, for a command to check early
 * (bb_dynlib_ready) and for tests (bb_dynlib__set_soname). */
struct bb_dynlib *bb_httpd_library(void);

#endif
