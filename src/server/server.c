/* server.c - the service's life: start, the daemon's callbacks, stop (see
 * server.h). */
#include "server/server.h"

#include "base/clock.h"
#include "server/admit.h"
#include "server/api.h"
#include "server/log.h"
#include "server/status.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A body up to this size is handled on the polling thread that read it;
 * a larger one (validating 10 MiB takes seconds) goes to the workers, so
 * that health checks never wait behind it. */
#define INLINE_BODY_MAX (64 * 1024)

/* A chunked body past the cap is read and dropped so the client gets its
 * 413; past this many times the cap the connection is simply closed. */
#define DISCARD_FACTOR 4

static const bb_route builtin_routes[] = {
    {"POST", "/api/v1/generate", BB_ROUTE_AUTH | BB_ROUTE_JSON_BODY | BB_ROUTE_WORKER, "generate",
     "generate the backend from a schema", bb_api_generate},
    {"POST", "/api/v1/validate", BB_ROUTE_AUTH | BB_ROUTE_JSON_BODY, "validate",
     "validate a schema", bb_api_validate},
    {"GET", "/api/v1/jobs/{id}", BB_ROUTE_AUTH, NULL, "state and result of a job", bb_api_job},
    {"DELETE", "/api/v1/jobs/{id}", BB_ROUTE_AUTH, NULL, "cancel a job, or forget its result",
     bb_api_job_cancel},
    {"GET", "/api/v1/status", 0, "public", "service status and limits", bb_status_service},
    {"GET", "/health", 0, NULL, "basic health", bb_status_health},
    {"GET", "/health/liveness", 0, NULL, "liveness probe", bb_status_liveness},
    {"GET", "/health/readiness", 0, NULL, "readiness probe", bb_status_readiness},
    {"GET", "/health/detailed", 0, NULL, "components and their health", bb_status_detailed},
    {"GET", "/metrics", 0, NULL, "Prometheus metrics", bb_status_metrics},
    {"GET", "/openapi.json", 0, "public", "this API's OpenAPI description", bb_status_openapi},
};

struct bb_server {
    bb_service svc;
    bb_httpd *httpd;
};

void bb_server_log(bb_server *s, const char *level, const char *msg, const char *extra)
{
    bb_service_log(&s->svc, level, msg, extra);
}

static void on_library_log(void *ctx, const char *msg)
{
    bb_service_log(ctx, "warn", msg, ",\"source\":\"microhttpd\"");
}

/* ---- a request's steps -------------------------------------------------- */

/* On a worker: the handler, then the answer goes out on a polling thread. */
static void run_on_worker(bb_pool_task *t)
{
    bb_req *r = (bb_req *)(void *)t;
    bb_req_run(r);
    r->phase = BB_REQ_READY;
    bb_httpd_resume(r->conn);
}

/* The whole body is in: answer, inline or through the worker pool. */
static bool dispatch(bb_req *r)
{
    if (r->body_too_large) {
        bb_req_reply_error(r, 413, "payload_too_large",
                           "request body is over the limit of %zu bytes", r->svc->cfg.max_body);
        return bb_req_send(r);
    }
    if (!(r->route->flags & BB_ROUTE_WORKER) && r->body.len <= INLINE_BODY_MAX) {
        bb_req_run(r);
        return bb_req_send(r);
    }
    /* Suspended before a worker can take it, so that its resume always
     * comes after the suspend. */
    r->phase = BB_REQ_WORKING;
    r->task.run = run_on_worker;
    bb_httpd_suspend(r->conn);
    if (bb_pool_submit(r->svc->pool, &r->task))
        return true;
    bool validation = r->route->tier && strcmp(r->route->tier, "validate") == 0;
    bb_req_count(r, validation ? BB_M_VALIDATIONS : BB_M_GENERATIONS, "busy");
    bb_req_reply_error(r, 503, "busy", "every worker is busy; retry shortly");
    bb_req_add_header(r, "Retry-After", "1");
    r->phase = BB_REQ_READY;
    bb_httpd_resume(r->conn);
    return true;
}

static bool on_request(void *ctx, bb_httpd_conn *c, const char *url, const char *method,
                       const char *version, const char *upload, size_t *upload_size, void **req)
{
    bb_service *s = ctx;
    bb_req *r = *req;
    if (!r) {
        r = bb_req_new(s, c, url, method, version);
        if (!r)
            return false;
        atomic_fetch_add(&s->in_flight, 1);
        *req = r;
        if (!bb_admit_request(r))
            return bb_req_send(r);
        r->phase = BB_REQ_BODY;
        return true;
    }
    if (r->phase == BB_REQ_READY)
        return bb_req_send(r);
    if (r->phase != BB_REQ_BODY) {
        *upload_size = 0;
        return true;
    }
    if (*upload_size) {
        bb_req_receive(r, upload, *upload_size);
        *upload_size = 0;
        return r->body_seen <= DISCARD_FACTOR * s->cfg.max_body;
    }
    return dispatch(r);
}

static void on_completed(void *ctx, void *req, bb_httpd_end end)
{
    bb_service *s = ctx;
    bb_req *r = req;
    double secs = bb_clock_seconds() - r->start;
    if (end == BB_HTTPD_TIMED_OUT)
        r->status = 408; /* its body missed its deadline */
    else if (end == BB_HTTPD_CLIENT_GONE && r->phase != BB_REQ_SENT)
        r->status = 499; /* the client went away before the answer */
    const char *route = r->route ? r->route->path : "unmatched";
    bb_metrics_request(s->metrics, route, r->method, r->status, secs, r->body_seen, r->bytes_sent);
    bb_req_end_span(r);
    bb_req_log(r, secs);
    bb_req_free(r);
    atomic_fetch_sub(&s->in_flight, 1);
}

/* ---- lifecycle ---------------------------------------------------------- */

static int resolve_host(const char *host, unsigned port, struct sockaddr_storage *ss, bb_buf *err)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char service[8];
    snprintf(service, sizeof(service), "%u", port);
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai != 0 || !res) {
        if (bb_buf_printf(err, "cannot resolve host '%s': %s", host, gai_strerror(gai)))
            bb_buf_reset(err);
        return BB_EUSAGE;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return BB_OK;
}

static int start_daemon(bb_server *srv, bb_buf *err)
{
    bb_service *s = &srv->svc;
    struct sockaddr_storage ss;
    int rc = resolve_host(s->cfg.host, s->cfg.port, &ss, err);
    if (rc)
        return rc;
    bb_httpd_config hc = {
        .addr = (const struct sockaddr *)&ss,
        .threads = s->cfg.threads,
        .max_connections = s->cfg.max_connections,
        .max_per_ip = s->cfg.max_per_ip,
        .timeout = s->cfg.timeout,
        .header_timeout = s->cfg.header_timeout,
        .body_timeout = s->cfg.body_timeout,
        .connection_memory = s->cfg.connection_memory,
        .backlog = 1024,
        .on_request = on_request,
        .on_completed = on_completed,
        .on_log = on_library_log,
        .ctx = s,
    };
    rc = bb_httpd_start(&hc, &srv->httpd);
    if (rc == BB_EIO &&
        bb_buf_printf(err, "cannot listen on %s:%u (address in use or not available)", s->cfg.host,
                      s->cfg.port))
        bb_buf_reset(err);
    return rc;
}

int bb_server_start(const bb_service_config *c, bb_server **out, bb_buf *err)
{
    *out = NULL;
    bb_server *s = bb_calloc(1, sizeof(*s));
    if (!s)
        return BB_ENOMEM;
    int rc = bb_service_init(&s->svc, c, builtin_routes,
                             sizeof(builtin_routes) / sizeof(builtin_routes[0]), bb_api_run_job);
    if (!rc)
        rc = start_daemon(s, err);
    if (rc) {
        bb_service_fini(&s->svc);
        bb_free(s);
        return rc;
    }
    *out = s;
    return BB_OK;
}

unsigned bb_server_port(const bb_server *s)
{
    return bb_httpd_port(s->httpd);
}

/*
 * Waits until no request is in flight and no connection is open, closing
 * the connections that wait for a request as it goes; gives up at
 * deadline. A connection whose request line has come is left to finish:
 * its answer closes it.
 */
static void drain(bb_server *srv, double deadline)
{
    bb_service *s = &srv->svc;
    while (bb_clock_seconds() < deadline) {
        unsigned open = bb_httpd_close_idle(srv->httpd);
        if (open == 0 && atomic_load(&s->in_flight) == 0)
            return;
        struct timespec nap = {0, 20 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
}

void bb_server_stop(bb_server *srv)
{
    if (!srv)
        return;
    bb_service *s = &srv->svc;
    double deadline = bb_clock_seconds() + s->cfg.shutdown_grace;
    /* From now on every answer closes its connection. */
    atomic_store(&s->draining, true);
    bb_httpd_quiesce(srv->httpd);
    size_t jobs = bb_jobs_cancel_all(s->jobs);
    /* Jobs kept in Redis go back to the stream, for another replica. */
    size_t handed_back = s->rjobs ? bb_redis_jobs_stop(s->rjobs, deadline) : 0;
    char extra[160];
    snprintf(extra, sizeof(extra),
             ",\"in_flight\":%ld,\"jobs_cancelled\":%zu,\"jobs_handed_back\":%zu",
             atomic_load(&s->in_flight), jobs, handed_back);
    bb_service_log(s, "info", "stopped accepting connections; finishing requests in flight", extra);
    drain(srv, deadline);
    long unfinished = atomic_load(&s->in_flight);
    size_t jobs_left = bb_jobs_wait(s->jobs, deadline);
    /* Workers first: a generation still queued is answered before the
     * daemon closes its connection. */
    bb_service_stop_workers(s);
    bb_httpd_stop(srv->httpd);
    snprintf(extra, sizeof(extra), ",\"unfinished\":%ld,\"jobs_unfinished\":%zu", unfinished,
             jobs_left);
    bb_service_log(s, "info", "stopped", extra);
    bb_service_fini(s);
    bb_free(srv);
}
