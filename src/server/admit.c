/* admit.c - the checks before a request's body (see admit.h). */
#include "server/admit.h"

#include "base/clock.h"
#include "server/service.h"
#include "server/wire.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The body buffer is reserved up to this much of a declared length: a
 * client that declares much and sends little makes it grow only as bytes
 * arrive. */
#define BODY_RESERVE_MAX (1 << 20)

static void assign_request_id(bb_req *r)
{
    const char *given = bb_req_header(r, "X-Request-ID");
    if (given && bb_wire_token_valid(given, BB_REQ_ID_MAX)) {
        snprintf(r->id, sizeof(r->id), "%s", given);
        return;
    }
    uint64_t n = atomic_fetch_add(&r->svc->id_counter, 1);
    snprintf(r->id, sizeof(r->id), "%s-%08llx", r->svc->id_prefix, (unsigned long long)n);
}

/* The request's span: a child of the caller's span when its traceparent
 * is valid, else the root of a new trace (trace.h). Named once routed. */
static void begin_trace(bb_req *r)
{
    bb_trace_ctx caller;
    r->trace_given = bb_trace_parse(bb_req_header(r, "traceparent"), &caller);
    bb_span_start(&r->span, "HTTP", BB_SPAN_SERVER, r->trace_given ? &caller : NULL);
}

/* ---- framing ------------------------------------------------------------ */

typedef struct framing {
    int n_host, n_length, n_encoding;
    const char *length, *encoding;
    bool bad_name, lengths_differ;
} framing;

static bool tally_header(void *ctx, const char *name, const char *value)
{
    framing *f = ctx;
    if (!bb_wire_field_name_valid(name)) {
        f->bad_name = true;
        return false;
    }
    if (strcasecmp(name, "Host") == 0) {
        f->n_host++;
    } else if (strcasecmp(name, "Content-Length") == 0) {
        f->lengths_differ = f->lengths_differ || (f->length && strcmp(f->length, value) != 0);
        f->length = value;
        f->n_length++;
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        f->encoding = value;
        f->n_encoding++;
    }
    return true;
}

/* Why the request's framing is ambiguous (RFC 9112), or NULL. */
static const char *framing_error(const bb_req *r, const framing *f)
{
    if (f->bad_name)
        return "a header name holds a character no header name may (a blank before the colon?)";
    if (r->http11 && f->n_host == 0)
        return "an HTTP/1.1 request needs a Host header";
    if (f->n_host > 1)
        return "more than one Host header";
    if (f->lengths_differ)
        return "Content-Length given twice with different values";
    if (f->n_length && f->n_encoding)
        return "both Content-Length and Transfer-Encoding";
    if (f->n_encoding > 1 || (f->n_encoding && !bb_wire_is_chunked(f->encoding)))
        return "a Transfer-Encoding other than chunked";
    return NULL;
}

/* The longest request target routed; longer ones are 414. */
#define TARGET_MAX 2048

/* A path or method that is not printable ASCII is refused unquoted: it
 * would otherwise reach answers and logs as bytes that are not UTF-8. */
static bool check_target(bb_req *r)
{
    if (!bb_wire_field_name_valid(r->method)) {
        r->close = true;
        bb_req_reply_error(r, 400, "bad_request", "the method is not a token");
        return false;
    }
    if (r->url && strlen(r->url) > TARGET_MAX) {
        bb_req_reply_error(r, 414, "uri_too_long", "the path is longer than %d bytes", TARGET_MAX);
        return false;
    }
    if (!bb_wire_printable(r->url, TARGET_MAX, false)) {
        bb_req_reply_error(r, 400, "bad_request",
                           "the path must be printable ASCII, other bytes percent-encoded");
        return false;
    }
    return true;
}

/* A request whose end is in doubt is answered 400 and its connection
 * closed, so that no byte of it is read as another request. */
static bool check_framing(bb_req *r)
{
    framing f;
    memset(&f, 0, sizeof(f));
    bb_httpd_each_header(r->conn, tally_header, &f);
    const char *why = framing_error(r, &f);
    if (!why)
        return true;
    r->close = true;
    bb_req_reply_error(r, 400, "bad_request", "%s", why);
    return false;
}

static const char *allowed_origin(const bb_service *s, const char *origin)
{
    if (!origin)
        return NULL;
    for (size_t i = 0; i < s->cfg.n_cors_origins; i++)
        if (strcmp(s->cfg.cors_origins[i], "*") == 0 || strcmp(s->cfg.cors_origins[i], origin) == 0)
            return s->cfg.cors_origins[i][0] == '*' ? "*" : s->cfg.cors_origins[i];
    return NULL;
}

static void reply_options(bb_req *r)
{
    char allow[128];
    bb_router_allow(&r->svc->router, r->url, allow, sizeof(allow));
    bb_req_reply(r, 204, NULL, NULL, 0);
    bb_req_add_header(r, "Allow", allow);
    if (r->origin) {
        bb_req_add_header(r, "Access-Control-Allow-Methods", allow);
        bb_req_add_header(
            r, "Access-Control-Allow-Headers",
            "Content-Type, Authorization, X-API-Key, X-Request-ID, Accept, traceparent");
        bb_req_add_header(r, "Access-Control-Max-Age", "600");
    }
}

/* Finds the request's route; false with a 404, a 405 or the answer to
 * OPTIONS. */
static bool route_request(bb_req *r)
{
    bool path_known;
    r->route = bb_router_find(&r->svc->router, r->url, r->method, &path_known, &r->param);
    if (strcmp(r->method, "OPTIONS") == 0 && path_known) {
        reply_options(r);
        return false;
    }
    if (r->route)
        return true;
    if (!path_known) {
        bb_req_reply_error(r, 404, "not_found", "no route %s", r->url);
        return false;
    }
    char allow[128];
    bb_router_allow(&r->svc->router, r->url, allow, sizeof(allow));
    bb_req_reply_error(r, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
                       r->method, r->url, allow);
    bb_req_add_header(r, "Allow", allow);
    return false;
}

/* ---- rate limits -------------------------------------------------------- */

/* The rules a route's requests count against; limits of 0 are off. */
static size_t route_rules(const bb_service *s, const bb_route *rt, const bb_rate_rule *rules[3])
{
    const bb_rate_rule *all[3] = {NULL, NULL, NULL};
    if (rt->flags & BB_ROUTE_AUTH)
        all[0] = &s->rule_authenticated;
    if (rt->tier && strcmp(rt->tier, "public") == 0) {
        all[1] = &s->rule_public;
    } else if (rt->tier && strcmp(rt->tier, "validate") == 0) {
        all[1] = &s->rule_validate;
    } else if (rt->tier && strcmp(rt->tier, "generate") == 0) {
        all[1] = &s->rule_generate;
        all[2] = &s->rule_generate_hour;
    }
    size_t n = 0;
    for (int i = 0; i < 3; i++)
        if (all[i] && all[i]->limit > 0)
            rules[n++] = all[i];
    return n;
}

/* Counts the request against rules; answers 429 and returns false when a
 * limit is reached. */
static bool apply_rate(bb_req *r, const bb_rate_rule *const *rules, size_t n)
{
    bb_rate_rule copy[3];
    for (size_t i = 0; i < n && i < 3; i++)
        copy[i] = *rules[i];
    if (bb_service_rate(r->svc, r->identity, copy, n, &r->rate) != BB_OK) {
        bb_req_reply_error(r, 503, "unavailable",
                           "rate limits cannot be checked: the shared store (Redis) cannot be "
                           "reached; retry in 1 s");
        bb_req_add_header(r, "Retry-After", "1");
        return false;
    }
    r->rate_applied = true;
    if (r->rate.allowed)
        return true;
    bb_req_count(r, BB_M_RATE_LIMITED, r->rate.rule);
    bb_req_reply_error(r, 429, "rate_limited",
                       "rate limit '%s' reached (%u requests per window); retry in %u s",
                       r->rate.rule, r->rate.limit, r->rate.retry_after);
    return false;
}

/* ---- credentials -------------------------------------------------------- */

static void reply_unauthorized(bb_req *r, bb_auth_result why)
{
    r->auth_error = bb_auth_result_name(why);
    bb_req_count(r, BB_M_AUTH_FAILURES, r->auth_error);
    /* Failed attempts count against the caller's address, so guessing
     * keys is as slow as the public tier. */
    bb_req_set_identity(r, "ip", r->ip);
    const bb_rate_rule *rules[1] = {&r->svc->rule_public};
    if (r->svc->rule_public.limit && !apply_rate(r, rules, 1))
        return;
    /* Said to anyone: how to configure, never where (the operator's log
     * names the keys file). */
    if (why == BB_AUTH_UNCONFIGURED)
        bb_req_reply_error(r, 401, "unauthorized",
                           "this server has no credentials configured: its operator creates an "
                           "API key with 'backbone keys new NAME' and restarts it, or sets "
                           "BACKBONE_API_KEYS (SHA-256 digests) or BACKBONE_JWT_SECRET; "
                           "then send X-API-Key or Authorization: Bearer");
    else if (why == BB_AUTH_MISSING)
        bb_req_reply_error(r, 401, "unauthorized",
                           "credentials required: send X-API-Key or Authorization: Bearer <JWT>");
    else
        bb_req_reply_error(r, 401, "unauthorized", "invalid credentials");
    bb_req_add_header(r, "WWW-Authenticate", "Bearer realm=\"backbone\"");
}

/* Sets the identity from the credentials, or answers 401. */
static bool authenticate(bb_req *r)
{
    const bb_service_config *c = &r->svc->cfg;
    if (c->no_auth) {
        bb_req_set_identity(r, "ip", r->ip);
        return true;
    }
    const char *key = bb_req_header(r, "X-API-Key");
    const char *token = bb_wire_bearer_token(bb_req_header(r, "Authorization"));
    bool configured = c->auth && (bb_auth_key_count(c->auth) || bb_auth_has_jwt(c->auth));
    if (!configured) {
        reply_unauthorized(r, BB_AUTH_UNCONFIGURED);
        return false;
    }
    if ((!key || !*key) && (!token || !*token)) {
        reply_unauthorized(r, BB_AUTH_MISSING);
        return false;
    }
    char name[BB_AUTH_IDENTITY_MAX];
    bb_auth_result res = BB_AUTH_MISSING;
    if (key && *key) {
        res = bb_auth_check_key(c->auth, key, name, sizeof(name));
        if (res == BB_AUTH_OK) {
            bb_req_set_identity(r, "key", name);
            return true;
        }
    }
    if (token && *token) {
        bb_auth_result jr = bb_auth_check_jwt(c->auth, token, time(NULL), name, sizeof(name));
        if (jr == BB_AUTH_OK) {
            /* A token without a subject is counted by the caller's address. */
            if (name[0])
                bb_req_set_identity(r, "jwt", name);
            else
                bb_req_set_identity(r, "ip", r->ip);
            return true;
        }
        res = jr;
    }
    reply_unauthorized(r, res);
    return false;
}

/* ---- the body's headers ------------------------------------------------- */

/* Checks the body's declared type and size before reading any of it. */
static bool check_body_headers(bb_req *r)
{
    const char *len_text = bb_req_header(r, "Content-Length");
    size_t len = 0;
    if (len_text && !bb_wire_parse_size(len_text, &len)) {
        bb_req_reply_error(r, 400, "bad_request", "malformed Content-Length");
        return false;
    }
    if (len > r->svc->cfg.max_body) {
        bb_req_reply_error(r, 413, "payload_too_large",
                           "request body of %zu bytes is over the limit of %zu bytes", len,
                           r->svc->cfg.max_body);
        return false;
    }
    if (!(r->route->flags & BB_ROUTE_JSON_BODY)) {
        /* Nothing to keep: refused before a byte of it is read, so a body
         * sent to a public route costs no memory. */
        if (len || bb_req_header(r, "Transfer-Encoding")) {
            bb_req_reply_error(r, 413, "payload_too_large", "%s %s takes no request body",
                               r->method, r->route->path);
            return false;
        }
        return true;
    }
    const char *type = bb_req_header(r, "Content-Type");
    if (!bb_wire_media_type_is(type, "application/json")) {
        bb_req_reply_error(r, 415, "unsupported_media_type",
                           "Content-Type must be application/json (got %s)",
                           !type                                ? "none"
                           : bb_wire_printable(type, 200, true) ? type
                                                                : "a value not shown");
        return false;
    }
    if (len && bb_buf_reserve(&r->body, len < BODY_RESERVE_MAX ? len : BODY_RESERVE_MAX) != BB_OK) {
        bb_req_reply_error(r, 503, "unavailable", "out of memory");
        return false;
    }
    return true;
}

static bool is_trusted_proxy(void *ctx, const char *addr)
{
    const bb_service_config *c = ctx;
    for (size_t i = 0; i < c->n_trusted_proxies; i++)
        if (strcmp(c->trusted_proxies[i], addr) == 0)
            return true;
    return false;
}

/* The client's address: the peer's, or, when the peer is a trusted proxy,
 * the one it says it forwarded for. */
static void client_address(bb_req *r)
{
    bb_httpd_client_ip(r->conn, r->ip, sizeof(r->ip));
    const bb_service_config *c = &r->svc->cfg;
    if (!c->n_trusted_proxies || !is_trusted_proxy((void *)c, r->ip))
        return;
    char client[sizeof(r->ip)];
    if (bb_wire_forwarded_client(bb_req_header(r, "X-Forwarded-For"), is_trusted_proxy, (void *)c,
                                 client, sizeof(client)))
        memcpy(r->ip, client, sizeof(client));
}

bool bb_admit_request(bb_req *r)
{
    client_address(r);
    assign_request_id(r);
    begin_trace(r);
    r->origin = allowed_origin(r->svc, bb_req_header(r, "Origin"));
    if (!check_framing(r) || !check_target(r) || !route_request(r))
        return false;
    if (r->route->flags & BB_ROUTE_AUTH) {
        if (!authenticate(r))
            return false;
    } else {
        bb_req_set_identity(r, "ip", r->ip);
    }
    const bb_rate_rule *rules[3];
    size_t n_rules = route_rules(r->svc, r->route, rules);
    if (n_rules && !apply_rate(r, rules, n_rules))
        return false;
    return check_body_headers(r);
}
