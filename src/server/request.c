/* request.c - one request's state, answer and log line (see request.h). */
#include "server/request.h"

#include "base/clock.h"
#include "base/hex.h"
#include "server/answer.h"
#include "server/log.h"
#include "server/service.h"
#include "json/jsonout.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERROR_MESSAGE_MAX 4096

const char *bb_req_body(const bb_req *r, size_t *len)
{
    *len = r->body.len;
    return bb_buf_str(&r->body);
}

const char *bb_req_header(const bb_req *r, const char *name)
{
    return bb_httpd_header(r->conn, name);
}

const char *bb_req_param(const bb_req *r)
{
    return r->param;
}

void bb_req_count(bb_req *r, bb_metric_id id, const char *outcome)
{
    const char *l[1] = {outcome};
    bb_metrics_add(r->svc->metrics, id, l, 1);
}

void bb_req_reply(bb_req *r, int status, const char *content_type, char *body, size_t len)
{
    bb_free(r->reply);
    r->status = status;
    r->content_type = content_type;
    r->reply = body;
    r->reply_len = body ? len : 0;
}

void bb_req_add_header(bb_req *r, const char *name, const char *value)
{
    if (r->n_headers >= BB_REQ_MAX_HEADERS)
        return;
    char *n = bb_strdup(name), *v = bb_strdup(value);
    if (!n || !v) {
        bb_free(n);
        bb_free(v);
        return;
    }
    r->headers[r->n_headers].name = n;
    r->headers[r->n_headers].value = v;
    r->n_headers++;
}

static const char fallback_error[] =
    "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\",\"request_id\":null}}";

void bb_req_reply_json(bb_req *r, int status, cJSON *json)
{
    bb_buf b;
    bb_buf_init(&b, r->svc->cfg.max_output);
    int rc = json ? bb_json_print(&b, json, false) : BB_ENOMEM;
    cJSON_Delete(json);
    if (rc || !b.data) {
        bb_buf_free(&b);
        bb_req_reply(r, 500, "application/json", bb_strdup(fallback_error),
                     sizeof(fallback_error) - 1);
        return;
    }
    size_t len;
    char *text = bb_buf_take(&b, &len);
    bb_req_reply(r, status, "application/json", text, len);
}

void bb_req_reply_error(bb_req *r, int status, const char *code, const char *fmt, ...)
{
    char message[ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    bb_req_reply_json(r, status, bb_answer_error(code, message, r->id));
}

/* ---- life of a request -------------------------------------------------- */

bb_req *bb_req_new(bb_service *s, bb_httpd_conn *c, const char *url, const char *method,
                   const char *version)
{
    bb_req *r = bb_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->svc = s;
    r->conn = c;
    r->url = url;
    snprintf(r->method, sizeof(r->method), "%s", method);
    r->http11 = version && strcmp(version, "HTTP/1.1") == 0;
    r->start = bb_clock_seconds();
    bb_buf_init(&r->body, s->cfg.max_body);
    return r;
}

void bb_req_free(bb_req *r)
{
    bb_buf_free(&r->body);
    bb_free(r->reply);
    for (int i = 0; i < r->n_headers; i++) {
        bb_free(r->headers[i].name);
        bb_free(r->headers[i].value);
    }
    bb_free(r);
}

void bb_req_set_identity(bb_req *r, const char *kind, const char *name)
{
    /* A long JWT subject is cut: the identity only names a rate bucket. */
    if (snprintf(r->identity, sizeof(r->identity), "%s:%s", kind, name) < 0)
        r->identity[0] = '\0';
}

void bb_req_receive(bb_req *r, const char *data, size_t n)
{
    r->body_seen += n;
    if (r->body_too_large)
        return;
    if (r->body.len + n > r->svc->cfg.max_body || bb_buf_append(&r->body, data, n) != BB_OK) {
        r->body_too_large = true;
        bb_buf_free(&r->body);
    }
}

void bb_req_run(bb_req *r)
{
    bb_trace_scope previous = bb_trace_enter(&r->span.ctx, r->id);
    r->route->run(r);
    bb_trace_leave(previous);
}

/* ---- sending ------------------------------------------------------------ */

static void add_rate_headers(bb_httpd_response *resp, const bb_req *r)
{
    char v[32];
    snprintf(v, sizeof(v), "%u", r->rate.limit);
    bb_httpd_response_header(resp, "X-RateLimit-Limit", v);
    snprintf(v, sizeof(v), "%u", r->rate.remaining);
    bb_httpd_response_header(resp, "X-RateLimit-Remaining", v);
    snprintf(v, sizeof(v), "%u", r->rate.reset);
    bb_httpd_response_header(resp, "X-RateLimit-Reset", v);
    if (!r->rate.allowed) {
        snprintf(v, sizeof(v), "%u", r->rate.retry_after);
        bb_httpd_response_header(resp, "Retry-After", v);
    }
}

static void add_cors_headers(bb_httpd_response *resp, const bb_req *r)
{
    if (!r->origin)
        return;
    bb_httpd_response_header(resp, "Access-Control-Allow-Origin", r->origin);
    bb_httpd_response_header(resp, "Vary", "Origin");
    bb_httpd_response_header(resp, "Access-Control-Expose-Headers",
                             "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, "
                             "X-RateLimit-Reset, Retry-After");
}

static bool has_body(const bb_req *r)
{
    const char *len = bb_req_header(r, "Content-Length");
    return (len && strcmp(len, "0") != 0) || bb_req_header(r, "Transfer-Encoding") != NULL;
}

static void free_reply(void *p)
{
    bb_free(p);
}

bool bb_req_send(bb_req *r)
{
    if (r->status == 0)
        bb_req_reply_error(r, 500, "internal", "the request produced no answer");
    char *body = r->reply;
    size_t len = r->reply_len;
    r->reply = NULL;
    bb_httpd_response *resp = bb_httpd_response_new(body, len, free_reply);
    if (!resp)
        return false;
    if (r->content_type)
        bb_httpd_response_header(resp, "Content-Type", r->content_type);
    bb_httpd_response_header(resp, "X-Request-ID", r->id);
    bb_httpd_response_header(resp, "X-Content-Type-Options", "nosniff");
    bb_httpd_response_header(resp, "Cache-Control", "no-store");
    bb_httpd_response_header(resp, "X-Frame-Options", "DENY");
    bb_httpd_response_header(resp, "Content-Security-Policy", "default-src 'none'");
    if (r->rate_applied)
        add_rate_headers(resp, r);
    add_cors_headers(resp, r);
    for (int i = 0; i < r->n_headers; i++)
        bb_httpd_response_header(resp, r->headers[i].name, r->headers[i].value);
    /* Refused before its body was read, or unsure where the request ends:
     * the connection cannot carry another request. */
    if (r->close || atomic_load(&r->svc->draining) || (r->phase == BB_REQ_HEADERS && has_body(r)))
        bb_httpd_response_header(resp, "Connection", "close");
    r->bytes_sent = len;
    r->phase = BB_REQ_SENT;
    return bb_httpd_respond(r->conn, (unsigned)r->status, resp);
}

/* ---- the span and the log line ----------------------------------------- */

/* Probes and scrapes come every few seconds from every prober: their spans
 * would bury the requests'. */
static bool traced_route(const char *route)
{
    return !route || (strncmp(route, "/health", 7) != 0 && strcmp(route, "/metrics") != 0);
}

void bb_req_end_span(bb_req *r)
{
    bb_span *s = &r->span;
    const char *route = r->route ? r->route->path : NULL;
    /* Not admitted, not sent anywhere, or not worth sending. */
    if (!s->start_ns || !bb_span_recorded(s) || !traced_route(route))
        return;
    snprintf(s->name, sizeof(s->name), "%s%s%s", r->method, route ? " " : "", route ? route : "");
    bb_span_str(s, "http.request.method", r->method);
    if (route)
        bb_span_str(s, "http.route", route);
    bb_span_int(s, "http.response.status_code", r->status);
    bb_span_str(s, "backbone.request_id", r->id);
    bb_span_int(s, "http.request.body.size", (long long)r->body_seen);
    bb_span_int(s, "http.response.body.size", (long long)r->bytes_sent);
    s->error = r->status >= 500;
    bb_span_end(s);
}

/* The trace and span ids of the request, as its log line names them. */
static void log_trace(bb_log_line *l, const bb_req *r)
{
    if (!r->span.start_ns)
        return;
    char hex[33];
    bb_hex_encode(r->span.ctx.trace_id, 16, hex);
    bb_log_str(l, ",\"trace_id\":\"");
    bb_log_str(l, hex);
    bb_hex_encode(r->span.ctx.span_id, 8, hex);
    bb_log_str(l, "\",\"span_id\":\"");
    bb_log_str(l, hex);
    bb_log_put(l, "\"", 1);
    if (!r->trace_given)
        return;
    bb_hex_encode(r->span.parent_id, 8, hex);
    bb_log_str(l, ",\"parent_span_id\":\"");
    bb_log_str(l, hex);
    bb_log_put(l, "\"", 1);
}

void bb_req_log(const bb_req *r, double seconds)
{
    bb_log_line l;
    bb_log_start(&l, "info");
    bb_log_str(&l, "request\",\"request_id\":\"");
    bb_log_escaped(&l, r->id, BB_REQ_ID_MAX);
    bb_log_str(&l, "\",\"identity\":\"");
    bb_log_escaped(&l, r->identity[0] ? r->identity : r->ip, 200);
    bb_log_str(&l, "\",\"method\":\"");
    bb_log_escaped(&l, r->method, 16);
    bb_log_str(&l, "\",\"path\":\"");
    bb_log_escaped(&l, r->url ? r->url : "", 256);
    bb_log_str(&l, "\",\"status\":");
    bb_log_uint(&l, (unsigned)r->status);
    bb_log_str(&l, ",\"bytes\":");
    bb_log_uint(&l, r->bytes_sent);
    bb_log_str(&l, ",\"request_bytes\":");
    bb_log_uint(&l, r->body_seen);
    /* Milliseconds with three decimals, rounded, as "%.3f" would give. */
    unsigned long long us = seconds > 0 ? (unsigned long long)(seconds * 1e6 + 0.5) : 0;
    char frac[4] = {(char)('0' + us / 100 % 10), (char)('0' + us / 10 % 10), (char)('0' + us % 10),
                    '\0'};
    bb_log_str(&l, ",\"duration_ms\":");
    bb_log_uint(&l, us / 1000);
    bb_log_put(&l, ".", 1);
    bb_log_str(&l, frac);
    log_trace(&l, r);
    if (r->auth_error) {
        bb_log_str(&l, ",\"auth_error\":\"");
        bb_log_str(&l, r->auth_error);
        bb_log_put(&l, "\"", 1);
    }
    bb_log_end(&l, r->svc->cfg.log);
}
