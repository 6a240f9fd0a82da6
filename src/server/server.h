/*
 * server.h - `backbone serve`: the HTTP service.
 *
 * Every request goes through the same steps, each of which may answer
 * early with a JSON error {"error": {"code", "message", "request_id"}}:
 * admission (admit.h: route, credentials, rate limits, the body's declared
 * type and size), the body (capped: 413 past --max-body), then the route's
 * handler, on the polling thread or in the worker pool.
 *
 * Handlers that may take long (generation) run in a bounded worker pool
 * (pool.h): the connection is suspended, a worker runs the handler, the
 * connection is resumed to send the answer, so health checks and metrics
 * keep answering. A full queue answers 503 with Retry-After.
 *
 * The modules of the service: httpd (libmicrohttpd), conns (connection
 * deadlines), service (settings and shared state), request (one request's
 * state and answer), admit, router, wire (header values), input (the body
 * of validate and generate), api and status (the routes), generation and
 * answer (answers' bodies), pool, log, and auth, ratelimit, metrics, jobs,
 * tarball.
 *
 * Adding a route: write a bb_route_fn (it reads the request with bb_req_*
 * and answers with bb_req_reply*), then list it in the route table of
 * server.c or pass it in bb_service_config.routes.
 *
 * Ownership: bb_server_start() gives a server that bb_server_stop() stops
 * and frees. The config's strings and the bb_auth are borrowed: they must
 * outlive the server.
 */
#ifndef BB_SERVER_H
#define BB_SERVER_H

#include "base/bb.h"
#include "base/buf.h"
#include "server/service.h"

typedef struct bb_server bb_server;

/* Starts listening and serving. On failure writes why into err. */
int bb_server_start(const bb_service_config *c, bb_server **out, bb_buf *err) BB_WUR;

/* The port actually bound. */
unsigned bb_server_port(const bb_server *s);

/*
 * Graceful stop: stops accepting connections, lets requests in flight
 * finish (up to shutdown_grace seconds), then stops every thread and frees
 * the server.
 */
void bb_server_stop(bb_server *s);

/* One JSON log line, as bb_service_log(). */
void bb_server_log(bb_server *s, const char *level, const char *msg, const char *extra);

#endif
