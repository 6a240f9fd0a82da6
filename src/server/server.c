/* server.c - the HTTP service (see server.h): daemon, request steps, worker
 * pool, logging, and the built-in routes. */
#include "server/server.h"

#include "pipeline/advisor.h"

#include "front/schema.h"
#include "front/validate.h"
#include "migrate/migrate.h"
#include "output/manifest.h"
#include "output/project.h"
#include "pipeline/pipeline.h"
#include "render/embedded.h"
#include "server/ratelimit.h"
#include "server/tarball.h"
#include "json/jsonout.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_ID_MAX 128
#define MAX_EXTRA_HEADERS 8
/* The longest request line: escaped identity (200 bytes), path (256) and
 * method (16) at 6 bytes each, a request id and the fixed members. */
#define LOG_LINE_MAX 4096
#define ERROR_BODY_MAX 4096
/* A chunked body past the cap is read and dropped so the client gets its
 * 413; past this many times the cap the connection is simply closed. */
#define DISCARD_FACTOR 4

enum {
    PHASE_HEADERS, /* first call: headers only */
    PHASE_BODY,    /* receiving the body */
    PHASE_WORKING, /* suspended: in the worker queue */
    PHASE_READY,   /* the answer is set: send it when resumed */
    PHASE_SENT,
};

typedef struct header {
    char *name, *value;
} header;

struct bb_req {
    bb_server *srv;
    struct MHD_Connection *conn;
    const bb_route *route;
    const char *url;   /* MHD's, valid for the request's life */
    const char *param; /* the "{name}" segment of the path, or NULL */
    char method[16];
    char id[REQUEST_ID_MAX + 1];
    char identity[BB_AUTH_IDENTITY_MAX];
    char ip[INET6_ADDRSTRLEN];
    const char *origin; /* the allowed Origin (config string), or NULL */
    const char *auth_error;
    struct timespec start;
    int phase;

    bb_buf body;
    size_t body_seen; /* bytes received, kept or not */
    bool body_too_large;

    bool rate_applied;
    bb_rate_result rate;

    /* The answer, built by a handler or a step, sent by send_reply(). */
    int status;
    const char *content_type;
    char *reply;
    size_t reply_len;
    header headers[MAX_EXTRA_HEADERS];
    int n_headers;
    size_t bytes_sent;

    bb_req *next; /* worker queue */
};

typedef struct pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bb_req *head, *tail;
    unsigned depth, max;
    bool stop;
    pthread_t *threads;
    unsigned n_threads;
    atomic_uint alive;
} pool;

struct bb_server {
    bb_server_config cfg;
    struct MHD_Daemon *daemon;
    unsigned port;
    bb_ratelimit *rl;
    bb_metrics *metrics;
    bb_jobs *jobs; /* generations with a model */
    pool pool;
    atomic_long in_flight;
    atomic_bool draining;
    time_t started_wall;
    struct timespec started;
    char id_prefix[17];
    atomic_uint_fast64_t id_counter;
    bb_rate_rule rule_public, rule_authenticated, rule_generate, rule_generate_hour, rule_validate;
};

/* The route table (built-in routes, then the config's), defined last. */
static size_t route_count(const bb_server *s);
static const bb_route *route_at(const bb_server *s, size_t k);

/* ---- small helpers ------------------------------------------------------ */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static uint64_t monotonic_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec;
}

static bool valid_request_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= REQUEST_ID_MAX ||
            !(isalnum((unsigned char)s[n]) || s[n] == '.' || s[n] == '_' || s[n] == '-'))
            return false;
    return n > 0;
}

static bool media_type_is(const char *value, const char *want)
{
    if (!value)
        return false;
    while (*value == ' ')
        value++;
    size_t n = strlen(want);
    if (strncasecmp(value, want, n) != 0)
        return false;
    value += n;
    while (*value == ' ')
        value++;
    return *value == '\0' || *value == ';';
}

/* True when an Accept header names type and does not refuse it (q=0). */
static bool accepts(const char *accept, const char *type)
{
    if (!accept)
        return false;
    size_t n = strlen(type);
    for (const char *p = accept; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        if (len >= n && strncasecmp(p, type, n) == 0 && (len == n || p[n] == ';' || p[n] == ' ')) {
            char entry[128];
            snprintf(entry, sizeof(entry), "%.*s", (int)len, p);
            const char *q = strstr(entry, "q=");
            if (!q || strtod(q + 2, NULL) > 0)
                return true;
        }
        p += len;
    }
    return false;
}

/* ---- logging ------------------------------------------------------------ */

/* "2026-11-22T00:13:50.120Z" into out (at least 25 bytes). The part up to
 * the second is formatted once per second and thread. */
static void format_time(char *out)
{
    static _Thread_local time_t cached_sec = (time_t)-1;
    static _Thread_local char cached[24];
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    if (t.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&t.tv_sec, &tm);
        if (strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
            cached[0] = '\0';
        cached_sec = t.tv_sec;
    }
    size_t n = strlen(cached);
    int ms = (int)(t.tv_nsec / 1000000);
    memcpy(out, cached, n);
    out[n] = '.';
    out[n + 1] = (char)('0' + ms / 100);
    out[n + 2] = (char)('0' + ms / 10 % 10);
    out[n + 3] = (char)('0' + ms % 10);
    out[n + 4] = 'Z';
    out[n + 5] = '\0';
}

/* One line, one write, so lines from several threads never interleave.
 * data ends with its newline. */
static void write_line(bb_server *s, const char *data, size_t len)
{
    fwrite(data, 1, len, s->cfg.log);
    fflush(s->cfg.log);
}

/*
 * A log line built in a fixed buffer on the stack: the request log is
 * written for every request, so it neither allocates nor goes through
 * printf. An append that does not fit marks the line cut; a cut line is
 * not written (it would not be JSON).
 */
typedef struct log_line {
    char data[LOG_LINE_MAX];
    size_t len;
    bool cut;
} log_line;

static void line_put(log_line *l, const char *s, size_t n)
{
    if (l->cut || n > sizeof(l->data) - l->len) {
        l->cut = true;
        return;
    }
    memcpy(l->data + l->len, s, n);
    l->len += n;
}

static void line_str(log_line *l, const char *s)
{
    line_put(l, s, strlen(s));
}

/* s as the inside of a JSON string, cut at max bytes of s. */
static void line_escaped(log_line *l, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; s[i] && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            line_put(l, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            line_put(l, e, 6);
        } else {
            line_put(l, (const char *)&c, 1);
        }
    }
}

static void line_uint(log_line *l, unsigned long long v)
{
    char d[24];
    size_t i = sizeof(d);
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    line_put(l, d + i, sizeof(d) - i);
}

/* {"time":"...","level":"LEVEL","msg":" : the start of every line. */
static void line_start(log_line *l, const char *level)
{
    char t[40];
    format_time(t);
    l->len = 0;
    l->cut = false;
    line_str(l, "{\"time\":\"");
    line_str(l, t);
    line_str(l, "\",\"level\":\"");
    line_str(l, level);
    line_str(l, "\",\"msg\":\"");
}

static void line_end(bb_server *s, log_line *l)
{
    line_put(l, "}\n", 2);
    if (!l->cut)
        write_line(s, l->data, l->len);
}

void bb_server_log(bb_server *s, const char *level, const char *msg, const char *extra)
{
    log_line l;
    line_start(&l, level);
    line_escaped(&l, msg, 512);
    line_put(&l, "\"", 1);
    line_str(&l, extra ? extra : "");
    line_end(s, &l);
}

static void log_request(bb_req *r, double seconds)
{
    log_line l;
    line_start(&l, "info");
    line_str(&l, "request\",\"request_id\":\"");
    line_escaped(&l, r->id, REQUEST_ID_MAX);
    line_str(&l, "\",\"identity\":\"");
    line_escaped(&l, r->identity[0] ? r->identity : r->ip, 200);
    line_str(&l, "\",\"method\":\"");
    line_escaped(&l, r->method, 16);
    line_str(&l, "\",\"path\":\"");
    line_escaped(&l, r->url ? r->url : "", 256);
    line_str(&l, "\",\"status\":");
    line_uint(&l, (unsigned)r->status);
    line_str(&l, ",\"bytes\":");
    line_uint(&l, r->bytes_sent);
    line_str(&l, ",\"request_bytes\":");
    line_uint(&l, r->body_seen);
    /* Milliseconds with three decimals, rounded, as "%.3f" would give. */
    unsigned long long us = seconds > 0 ? (unsigned long long)(seconds * 1e6 + 0.5) : 0;
    char frac[4] = {(char)('0' + us / 100 % 10), (char)('0' + us / 10 % 10), (char)('0' + us % 10),
                    '\0'};
    line_str(&l, ",\"duration_ms\":");
    line_uint(&l, us / 1000);
    line_put(&l, ".", 1);
    line_str(&l, frac);
    if (r->auth_error) {
        line_str(&l, ",\"auth_error\":\"");
        line_str(&l, r->auth_error);
        line_put(&l, "\"", 1);
    }
    line_end(r->srv, &l);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    bb_server_log(cls, "warn", msg, ",\"source\":\"microhttpd\"");
}

/* ---- answers ------------------------------------------------------------ */

const char *bb_req_body(const bb_req *r, size_t *len)
{
    *len = r->body.len;
    return bb_buf_str(&r->body);
}

const char *bb_req_header(const bb_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *bb_req_param(const bb_req *r)
{
    return r->param;
}

const char *bb_req_id(const bb_req *r)
{
    return r->id;
}

const char *bb_req_identity(const bb_req *r)
{
    return r->identity;
}

bb_server *bb_req_server(const bb_req *r)
{
    return r->srv;
}

bb_metrics *bb_req_metrics(const bb_req *r)
{
    return r->srv->metrics;
}

const bb_server_config *bb_req_config(const bb_req *r)
{
    return &r->srv->cfg;
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
    if (r->n_headers >= MAX_EXTRA_HEADERS)
        return;
    header *h = &r->headers[r->n_headers];
    h->name = bb_strdup(name);
    h->value = bb_strdup(value);
    if (!h->name || !h->value) {
        bb_free(h->name);
        bb_free(h->value);
        return;
    }
    r->n_headers++;
}

static const char *fallback_error =
    "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\",\"request_id\":null}}";

void bb_req_reply_json(bb_req *r, int status, cJSON *json)
{
    bb_buf b;
    bb_buf_init(&b, r->srv->cfg.max_output);
    int rc = json ? bb_json_print(&b, json, false) : BB_ENOMEM;
    cJSON_Delete(json);
    if (rc || !b.data) {
        bb_buf_free(&b);
        bb_req_reply(r, 500, "application/json", bb_strdup(fallback_error), strlen(fallback_error));
        return;
    }
    size_t len;
    char *text = bb_buf_take(&b, &len);
    bb_req_reply(r, status, "application/json", text, len);
}

static cJSON *error_object(const bb_req *r, const char *code, const char *message)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(root, "error");
    if (!err || !cJSON_AddStringToObject(err, "code", code) ||
        !cJSON_AddStringToObject(err, "message", message) ||
        !cJSON_AddStringToObject(err, "request_id", r->id)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

void bb_req_reply_error(bb_req *r, int status, const char *code, const char *fmt, ...)
{
    char message[ERROR_BODY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    bb_req_reply_json(r, status, error_object(r, code, message));
}

static void free_reply_buffer(void *p)
{
    bb_free(p);
}

static void add_rate_headers(struct MHD_Response *resp, const bb_req *r)
{
    char v[32];
    snprintf(v, sizeof(v), "%u", r->rate.limit);
    MHD_add_response_header(resp, "X-RateLimit-Limit", v);
    snprintf(v, sizeof(v), "%u", r->rate.remaining);
    MHD_add_response_header(resp, "X-RateLimit-Remaining", v);
    snprintf(v, sizeof(v), "%u", r->rate.reset);
    MHD_add_response_header(resp, "X-RateLimit-Reset", v);
    if (!r->rate.allowed) {
        snprintf(v, sizeof(v), "%u", r->rate.retry_after);
        MHD_add_response_header(resp, "Retry-After", v);
    }
}

static void add_cors_headers(struct MHD_Response *resp, const bb_req *r)
{
    if (!r->origin)
        return;
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", r->origin);
    MHD_add_response_header(resp, "Vary", "Origin");
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, "
                            "X-RateLimit-Reset, Retry-After");
}

static bool has_body(const bb_req *r)
{
    const char *len = bb_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return (len && strcmp(len, "0") != 0) ||
           bb_req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

/* Queues the answer the request holds (an internal error if it has none). */
static enum MHD_Result send_reply(bb_req *r)
{
    if (r->status == 0)
        bb_req_reply_error(r, 500, "internal", "the request produced no answer");
    char *body = r->reply;
    size_t len = r->reply_len;
    r->reply = NULL;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, body, free_reply_buffer);
    if (!resp) {
        bb_free(body);
        return MHD_NO;
    }
    if (r->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, "X-Request-ID", r->id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'");
    if (r->rate_applied)
        add_rate_headers(resp, r);
    add_cors_headers(resp, r);
    for (int i = 0; i < r->n_headers; i++)
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    /* Refused before its body was read: the connection cannot carry
     * another request. */
    if (r->phase == PHASE_HEADERS && has_body(r))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    r->bytes_sent = len;
    r->phase = PHASE_SENT;
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* ---- request steps ------------------------------------------------------ */

/*
 * True when path fits the route's pattern: the same text, where a last
 * segment "{name}" takes any one segment of [A-Za-z0-9._-]{1,128}, given back
 * in *param (NULL when the pattern has none).
 */
static bool path_matches(const char *pattern, const char *path, const char **param)
{
    *param = NULL;
    const char *brace = strchr(pattern, '{');
    if (!brace)
        return strcmp(pattern, path) == 0;
    size_t prefix = (size_t)(brace - pattern);
    if (strncmp(pattern, path, prefix) != 0 || !valid_request_id(path + prefix))
        return false;
    *param = path + prefix;
    return true;
}

static const bb_route *find_route(const bb_server *s, const char *path, const char *method,
                                  bool *path_known, const char **param)
{
    *path_known = false;
    bool head = strcmp(method, "HEAD") == 0;
    for (size_t k = 0; k < route_count(s); k++) {
        const bb_route *rt = route_at(s, k);
        if (!path_matches(rt->path, path, param))
            continue;
        *path_known = true;
        if (strcmp(rt->method, method) == 0 || (head && strcmp(rt->method, "GET") == 0))
            return rt;
    }
    return NULL;
}

/* "GET, HEAD, OPTIONS" for a path. */
static void allowed_methods(const bb_server *s, const char *path, char *out, size_t size)
{
    bb_buf b;
    bb_buf_init(&b, size - 1);
    int rc = BB_OK;
    for (size_t k = 0; !rc && k < route_count(s); k++) {
        const bb_route *rt = route_at(s, k);
        const char *param;
        if (!path_matches(rt->path, path, &param))
            continue;
        rc = bb_buf_printf(&b, "%s%s", b.len ? ", " : "", rt->method);
        if (!rc && strcmp(rt->method, "GET") == 0)
            rc = bb_buf_puts(&b, ", HEAD");
    }
    if (!rc)
        rc = bb_buf_puts(&b, b.len ? ", OPTIONS" : "OPTIONS");
    snprintf(out, size, "%s", bb_buf_str(&b));
    bb_buf_free(&b);
}

static const char *allowed_origin(const bb_server *s, const char *origin)
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
    allowed_methods(r->srv, r->url, allow, sizeof(allow));
    bb_req_reply(r, 204, NULL, NULL, 0);
    bb_req_add_header(r, "Allow", allow);
    if (r->origin) {
        bb_req_add_header(r, "Access-Control-Allow-Methods", allow);
        bb_req_add_header(r, "Access-Control-Allow-Headers",
                          "Content-Type, Authorization, X-API-Key, X-Request-ID, Accept");
        bb_req_add_header(r, "Access-Control-Max-Age", "600");
    }
}

/* The rules a route's requests count against; limits of 0 are off. */
static bool route_rules(const bb_server *s, const bb_route *rt, const bb_rate_rule **rules,
                        size_t *n)
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
    *n = 0;
    for (int i = 0; i < 3; i++)
        if (all[i] && all[i]->limit > 0)
            rules[(*n)++] = all[i];
    return *n > 0;
}

/* Counts the request against rules; answers 429 and returns false when a
 * limit is reached. */
static bool apply_rate(bb_req *r, const bb_rate_rule *const *rules, size_t n)
{
    bb_rate_rule copy[4];
    for (size_t i = 0; i < n && i < 4; i++)
        copy[i] = *rules[i];
    bb_ratelimit_hit(r->srv->rl, r->identity, copy, n, monotonic_seconds(), &r->rate);
    r->rate_applied = true;
    if (r->rate.allowed)
        return true;
    const char *tier[1] = {r->rate.rule};
    bb_metrics_add(r->srv->metrics, BB_M_RATE_LIMITED, tier, 1);
    bb_req_reply_error(r, 429, "rate_limited",
                       "rate limit '%s' reached (%u requests per window); retry in %u s",
                       r->rate.rule, r->rate.limit, r->rate.retry_after);
    return false;
}

static void set_identity(bb_req *r, const char *kind, const char *name)
{
    /* A long JWT subject is cut: the identity only names a rate bucket. */
    if (snprintf(r->identity, sizeof(r->identity), "%s:%s", kind, name) < 0)
        r->identity[0] = '\0';
}

static void reply_unauthorized(bb_req *r, bb_auth_result why)
{
    const bb_server_config *c = &r->srv->cfg;
    r->auth_error = bb_auth_result_name(why);
    const char *reason[1] = {r->auth_error};
    bb_metrics_add(r->srv->metrics, BB_M_AUTH_FAILURES, reason, 1);
    /* Failed attempts count against the caller's address, so guessing
     * keys is as slow as the public tier. */
    set_identity(r, "ip", r->ip);
    const bb_rate_rule *rules[1] = {&r->srv->rule_public};
    if (r->srv->rule_public.limit && !apply_rate(r, rules, 1))
        return;
    if (why == BB_AUTH_UNCONFIGURED)
        bb_req_reply_error(r, 401, "unauthorized",
                           "this server has no credentials configured: create an API key with "
                           "'backbone keys new NAME' (keys file %s) and restart, or set "
                           "BACKBONE_API_KEYS (SHA-256 digests) or BACKBONE_JWT_SECRET; "
                           "then send X-API-Key or Authorization: Bearer",
                           c->keys_file ? c->keys_file : "~/.config/backbone/api-keys");
    else if (why == BB_AUTH_MISSING)
        bb_req_reply_error(r, 401, "unauthorized",
                           "credentials required: send X-API-Key or Authorization: Bearer <JWT>");
    else
        bb_req_reply_error(r, 401, "unauthorized", "invalid credentials");
    bb_req_add_header(r, "WWW-Authenticate", "Bearer realm=\"backbone\"");
}

static const char *bearer_token(const char *authz)
{
    if (!authz || strncasecmp(authz, "Bearer ", 7) != 0)
        return NULL;
    authz += 7;
    while (*authz == ' ')
        authz++;
    return authz;
}

/* Sets the identity from the credentials, or answers 401. */
static bool authenticate(bb_req *r)
{
    const bb_server_config *c = &r->srv->cfg;
    if (c->no_auth) {
        set_identity(r, "ip", r->ip);
        return true;
    }
    const char *key = bb_req_header(r, "X-API-Key");
    const char *authz = bb_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *token = bearer_token(authz);
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
            set_identity(r, "key", name);
            return true;
        }
    }
    if (token && *token) {
        bb_auth_result jr = bb_auth_check_jwt(c->auth, token, time(NULL), name, sizeof(name));
        if (jr == BB_AUTH_OK) {
            /* A token without a subject is counted by the caller's address. */
            if (name[0])
                set_identity(r, "jwt", name);
            else
                set_identity(r, "ip", r->ip);
            return true;
        }
        res = jr;
    }
    reply_unauthorized(r, res);
    return false;
}

static bool parse_size(const char *s, size_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = (size_t)v;
    return true;
}

/* Checks the body's declared type and size before reading any of it. */
static bool check_body_headers(bb_req *r)
{
    const char *len_text = bb_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    size_t len = 0;
    if (len_text && !parse_size(len_text, &len)) {
        bb_req_reply_error(r, 400, "bad_request", "malformed Content-Length");
        return false;
    }
    if (len > r->srv->cfg.max_body) {
        bb_req_reply_error(r, 413, "payload_too_large",
                           "request body of %zu bytes is over the limit of %zu bytes", len,
                           r->srv->cfg.max_body);
        return false;
    }
    if (!(r->route->flags & BB_ROUTE_JSON_BODY))
        return true;
    const char *type = bb_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!media_type_is(type, "application/json")) {
        bb_req_reply_error(r, 415, "unsupported_media_type",
                           "Content-Type must be application/json (got %s)", type ? type : "none");
        return false;
    }
    /* Room for the declared body, up to 1 MiB: a client that declares much
     * and sends little makes the buffer grow only as bytes arrive. */
    if (len && bb_buf_reserve(&r->body, len < (1 << 20) ? len : (1 << 20)) != BB_OK) {
        bb_req_reply_error(r, 503, "unavailable", "out of memory");
        return false;
    }
    return true;
}

static void client_address(bb_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->ip, sizeof(r->ip), "unknown");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->ip,
                  sizeof(r->ip));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->ip,
                  sizeof(r->ip));
}

static void assign_request_id(bb_req *r)
{
    const char *given = bb_req_header(r, "X-Request-ID");
    if (given && valid_request_id(given)) {
        snprintf(r->id, sizeof(r->id), "%s", given);
        return;
    }
    uint64_t n = atomic_fetch_add(&r->srv->id_counter, 1);
    snprintf(r->id, sizeof(r->id), "%s-%08llx", r->srv->id_prefix, (unsigned long long)n);
}

/*
 * The first call for a request: its headers are in. Returns true when the
 * request may go on to its body; otherwise an answer is ready.
 */
static bool begin_request(bb_req *r)
{
    bb_server *s = r->srv;
    client_address(r);
    assign_request_id(r);
    r->origin = allowed_origin(s, bb_req_header(r, "Origin"));
    bool path_known;
    r->route = find_route(s, r->url, r->method, &path_known, &r->param);
    if (strcmp(r->method, "OPTIONS") == 0 && path_known) {
        reply_options(r);
        return false;
    }
    if (!r->route) {
        if (!path_known) {
            bb_req_reply_error(r, 404, "not_found", "no route %s", r->url);
            return false;
        }
        char allow[128];
        allowed_methods(s, r->url, allow, sizeof(allow));
        bb_req_reply_error(r, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
                           r->method, r->url, allow);
        bb_req_add_header(r, "Allow", allow);
        return false;
    }
    if (r->route->flags & BB_ROUTE_AUTH) {
        if (!authenticate(r))
            return false;
    } else {
        set_identity(r, "ip", r->ip);
    }
    const bb_rate_rule *rules[4];
    size_t n_rules;
    if (route_rules(s, r->route, rules, &n_rules) && !apply_rate(r, rules, n_rules))
        return false;
    return check_body_headers(r);
}

static void receive_body(bb_req *r, const char *data, size_t n)
{
    r->body_seen += n;
    if (r->body_too_large)
        return;
    if (r->body.len + n > r->srv->cfg.max_body || bb_buf_append(&r->body, data, n) != BB_OK) {
        r->body_too_large = true;
        bb_buf_free(&r->body);
    }
}

/* ---- worker pool -------------------------------------------------------- */

static void *worker_main(void *arg)
{
    bb_server *s = arg;
    pool *p = &s->pool;
    atomic_fetch_add(&p->alive, 1);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->cond, &p->lock);
        if (!p->head)
            break; /* stopping and nothing left */
        bb_req *r = p->head;
        p->head = r->next;
        if (!p->head)
            p->tail = NULL;
        p->depth--;
        pthread_mutex_unlock(&p->lock);
        r->route->run(r);
        r->phase = PHASE_READY;
        MHD_resume_connection(r->conn);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    atomic_fetch_sub(&p->alive, 1);
    return NULL;
}

static int pool_start(bb_server *s, unsigned n, unsigned max)
{
    pool *p = &s->pool;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->max = max;
    p->threads = bb_calloc(n, sizeof(pthread_t));
    if (!p->threads)
        return BB_ENOMEM;
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, s) != 0)
            return BB_ENOMEM;
        p->n_threads++;
    }
    return BB_OK;
}

static void pool_stop(bb_server *s)
{
    pool *p = &s->pool;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    bb_free(p->threads);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
}

/* Suspends the connection and queues the request; false when full. */
static bool pool_submit(bb_server *s, bb_req *r)
{
    pool *p = &s->pool;
    pthread_mutex_lock(&p->lock);
    if (p->depth >= p->max || p->stop) {
        pthread_mutex_unlock(&p->lock);
        return false;
    }
    /* Suspended before any worker can see it, so the resume always comes
     * after the suspend. */
    r->phase = PHASE_WORKING;
    MHD_suspend_connection(r->conn);
    r->next = NULL;
    if (p->tail)
        p->tail->next = r;
    else
        p->head = r;
    p->tail = r;
    p->depth++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return true;
}

static unsigned pool_depth(bb_server *s)
{
    pthread_mutex_lock(&s->pool.lock);
    unsigned d = s->pool.depth;
    pthread_mutex_unlock(&s->pool.lock);
    return d;
}

/* ---- the daemon's callbacks --------------------------------------------- */

static bb_req *request_new(bb_server *s, struct MHD_Connection *conn, const char *url,
                           const char *method)
{
    bb_req *r = bb_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->srv = s;
    r->conn = conn;
    r->url = url;
    snprintf(r->method, sizeof(r->method), "%s", method);
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    bb_buf_init(&r->body, s->cfg.max_body);
    atomic_fetch_add(&s->in_flight, 1);
    return r;
}

static void request_free(bb_req *r)
{
    bb_buf_free(&r->body);
    bb_free(r->reply);
    for (int i = 0; i < r->n_headers; i++) {
        bb_free(r->headers[i].name);
        bb_free(r->headers[i].value);
    }
    bb_free(r);
}

/* The whole body is in: answer, inline or through the worker pool. */
static enum MHD_Result dispatch(bb_req *r)
{
    if (r->body_too_large) {
        bb_req_reply_error(r, 413, "payload_too_large",
                           "request body is over the limit of %zu bytes", r->srv->cfg.max_body);
        return send_reply(r);
    }
    if (r->route->flags & BB_ROUTE_WORKER) {
        if (pool_submit(r->srv, r))
            return MHD_YES;
        const char *outcome[1] = {"busy"};
        bb_metrics_add(r->srv->metrics, BB_M_GENERATIONS, outcome, 1);
        bb_req_reply_error(r, 503, "busy", "every worker is busy; retry shortly");
        bb_req_add_header(r, "Retry-After", "1");
        return send_reply(r);
    }
    r->route->run(r);
    return send_reply(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    bb_server *s = cls;
    bb_req *r = *con_cls;
    if (!r) {
        r = request_new(s, conn, url, method);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        if (!begin_request(r))
            return send_reply(r);
        r->phase = PHASE_BODY;
        return MHD_YES;
    }
    if (r->phase == PHASE_READY)
        return send_reply(r);
    if (r->phase != PHASE_BODY) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        receive_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return r->body_seen > DISCARD_FACTOR * s->cfg.max_body ? MHD_NO : MHD_YES;
    }
    return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    bb_server *s = cls;
    bb_req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    double secs = seconds_since(&r->start);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->phase != PHASE_SENT)
        r->status = 499; /* the client went away before the answer */
    const char *route = r->route ? r->route->path : "unmatched";
    bb_metrics_request(s->metrics, route, r->method, r->status, secs, r->body_seen, r->bytes_sent);
    log_request(r, secs);
    request_free(r);
    atomic_fetch_sub(&s->in_flight, 1);
}

/* ---- lifecycle ---------------------------------------------------------- */

void bb_server_config_default(bb_server_config *c)
{
    memset(c, 0, sizeof(*c));
    c->host = "127.0.0.1";
    c->port = 8000;
    c->max_body = 10 * 1024 * 1024;
    c->max_output = 64 * 1024 * 1024;
    c->max_connections = 1024;
    c->max_per_ip = 256;
    c->timeout = 30;
    c->connection_memory = 32 * 1024;
    c->queue = 64;
    c->shutdown_grace = 30;
    c->rate_public = 20;
    c->rate_authenticated = 100;
    c->rate_generate = 10;
    c->rate_generate_hour = 50;
    c->rate_validate = 50;
    c->rate_window = 60;
    c->rate_slots = 16384;
    c->max_jobs = 32;
    c->job_ttl = 3600;
    c->log = stderr;
}

static unsigned cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

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

static void set_rule(bb_rate_rule *r, const char *name, unsigned limit, unsigned window)
{
    r->name = name;
    r->limit = limit;
    r->window = window;
}

static void random_prefix(char out[17])
{
    unsigned char raw[8];
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        memcpy(raw, &t, sizeof(raw));
    }
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static void server_free(bb_server *s)
{
    bb_jobs_free(s->jobs);
    bb_ratelimit_free(s->rl);
    bb_metrics_free(s->metrics);
    bb_free(s);
}

int bb_server_start(const bb_server_config *c, bb_server **out, bb_buf *err)
{
    *out = NULL;
    bb_server *s = bb_calloc(1, sizeof(*s));
    if (!s)
        return BB_ENOMEM;
    s->cfg = *c;
    if (!s->cfg.log)
        s->cfg.log = stderr;
    if (!s->cfg.threads)
        s->cfg.threads = cpu_count();
    if (!s->cfg.workers)
        s->cfg.workers = cpu_count();
    unsigned w = s->cfg.rate_window ? s->cfg.rate_window : 60;
    set_rule(&s->rule_public, "public", c->rate_public, w);
    set_rule(&s->rule_authenticated, "authenticated", c->rate_authenticated, w);
    set_rule(&s->rule_generate, "generate", c->rate_generate, w);
    set_rule(&s->rule_generate_hour, "generate_hour", c->rate_generate_hour, 60 * w);
    set_rule(&s->rule_validate, "validate", c->rate_validate, w);
    s->started_wall = time(NULL);
    clock_gettime(CLOCK_MONOTONIC, &s->started);
    random_prefix(s->id_prefix);
    s->rl = bb_ratelimit_new(c->rate_slots ? c->rate_slots : 16384);
    s->metrics = bb_metrics_new();
    s->jobs = bb_jobs_new(c->max_jobs ? c->max_jobs : 32, c->job_ttl ? c->job_ttl : 3600);
    if (!s->rl || !s->metrics || !s->jobs) {
        server_free(s);
        return BB_ENOMEM;
    }
    struct sockaddr_storage ss;
    int rc = resolve_host(c->host ? c->host : "127.0.0.1", c->port, &ss, err);
    if (rc) {
        server_free(s);
        return rc;
    }
    rc = pool_start(s, s->cfg.workers, s->cfg.queue ? s->cfg.queue : 1);
    if (rc) {
        pool_stop(s);
        server_free(s);
        return rc;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads,
        MHD_OPTION_CONNECTION_LIMIT, s->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        s->cfg.max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->cfg.connection_memory, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_END);
    if (!s->daemon) {
        if (bb_buf_printf(err, "cannot listen on %s:%u (address in use or not available)",
                          c->host ? c->host : "127.0.0.1", c->port))
            bb_buf_reset(err);
        pool_stop(s);
        server_free(s);
        return BB_EIO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : c->port;
    *out = s;
    return BB_OK;
}

unsigned bb_server_port(const bb_server *s)
{
    return s->port;
}

void bb_server_stop(bb_server *s)
{
    if (!s)
        return;
    atomic_store(&s->draining, true);
    MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
    char extra[96];
    snprintf(extra, sizeof(extra), ",\"in_flight\":%ld", atomic_load(&s->in_flight));
    bb_server_log(s, "info", "stopped accepting connections; finishing requests in flight", extra);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (atomic_load(&s->in_flight) > 0 && seconds_since(&t0) < s->cfg.shutdown_grace) {
        struct timespec nap = {0, 20 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    /* Workers first: a generation still queued is answered before the
     * daemon closes its connection. */
    pool_stop(s);
    MHD_stop_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    snprintf(extra, sizeof(extra), ",\"unfinished\":%ld", atomic_load(&s->in_flight));
    bb_server_log(s, "info", "stopped", extra);
    server_free(s);
}

/* ---- built-in routes ---------------------------------------------------- */

static double uptime(const bb_server *s)
{
    return seconds_since(&s->started);
}

static cJSON *component(cJSON *components, const char *name, const char *status,
                        const char *message)
{
    cJSON *c = cJSON_AddObjectToObject(components, name);
    if (c) {
        cJSON_AddStringToObject(c, "name", name);
        cJSON_AddStringToObject(c, "status", status);
        cJSON_AddStringToObject(c, "message", message);
    }
    return c;
}

static int status_rank(const char *st)
{
    return strcmp(st, "healthy") == 0 ? 0 : strcmp(st, "degraded") == 0 ? 1 : 2;
}

/* The components of /health/detailed and /health/readiness; *worst gets
 * the worst status among them. */
static cJSON *check_components(bb_server *s, const char **worst)
{
    cJSON *comps = cJSON_CreateObject();
    const char *w = "healthy";
    char msg[160];

    unsigned n_tpl = bb_embedded_template_count;
    const char *st = n_tpl > 0 || s->cfg.templates_dir ? "healthy" : "unhealthy";
    snprintf(msg, sizeof(msg), "%u embedded templates%s%s", n_tpl,
             s->cfg.templates_dir ? ", overridden from " : "",
             s->cfg.templates_dir ? s->cfg.templates_dir : "");
    cJSON *c = component(comps, "templates", st, msg);
    cJSON_AddNumberToObject(c, "count", n_tpl);
    if (status_rank(st) > status_rank(w))
        w = st;

    unsigned alive = atomic_load(&s->pool.alive), depth = pool_depth(s);
    st = alive == 0                                                  ? "unhealthy"
         : alive < s->pool.n_threads || depth * 4 >= s->pool.max * 3 ? "degraded"
                                                                     : "healthy";
    snprintf(msg, sizeof(msg), "%u of %u workers alive, %u of %u queued", alive, s->pool.n_threads,
             depth, s->pool.max);
    c = component(comps, "worker_pool", st, msg);
    cJSON_AddNumberToObject(c, "workers", alive);
    cJSON_AddNumberToObject(c, "queue_depth", depth);
    cJSON_AddNumberToObject(c, "queue_max", s->pool.max);
    if (status_rank(st) > status_rank(w))
        w = st;

    bool configured =
        s->cfg.auth && (bb_auth_key_count(s->cfg.auth) || bb_auth_has_jwt(s->cfg.auth));
    st = s->cfg.no_auth || !configured ? "degraded" : "healthy";
    snprintf(msg, sizeof(msg), "%s",
             s->cfg.no_auth ? "authentication disabled (--no-auth)"
             : !configured  ? "no credentials configured: protected routes answer 401"
                            : "credentials configured");
    c = component(comps, "auth", st, msg);
    if (s->cfg.auth) {
        cJSON_AddNumberToObject(c, "api_keys", (double)bb_auth_key_count(s->cfg.auth));
        cJSON_AddBoolToObject(c, "jwt", bb_auth_has_jwt(s->cfg.auth));
    }
    if (status_rank(st) > status_rank(w))
        w = st;

    uint64_t ev = bb_ratelimit_evictions(s->rl);
    st = "healthy";
    snprintf(msg, sizeof(msg), "%zu counters, %llu evicted", bb_ratelimit_capacity(s->rl),
             (unsigned long long)ev);
    component(comps, "rate_limiter", st, msg);

    st = atomic_load(&s->draining) ? "unhealthy" : "healthy";
    component(comps, "server", st, atomic_load(&s->draining) ? "shutting down" : "accepting");
    if (status_rank(st) > status_rank(w))
        w = st;
    *worst = w;
    return comps;
}

static void route_health(bb_req *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "healthy");
    cJSON_AddStringToObject(o, "app_name", "backbone");
    cJSON_AddStringToObject(o, "version", BB_VERSION);
    bb_req_reply_json(r, 200, o);
}

static void route_liveness(bb_req *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "alive");
    cJSON_AddNumberToObject(o, "timestamp", (double)r->srv->started_wall);
    bb_req_reply_json(r, 200, o);
}

static void route_readiness(bb_req *r)
{
    const char *worst;
    cJSON *comps = check_components(r->srv, &worst);
    cJSON *o = cJSON_CreateObject();
    bool ready = strcmp(worst, "unhealthy") != 0;
    cJSON_AddStringToObject(o, "status", ready ? "ready" : "not_ready");
    cJSON_AddItemToObject(o, "components", comps);
    bb_req_reply_json(r, ready ? 200 : 503, o);
}

static void route_detailed(bb_req *r)
{
    const char *worst;
    cJSON *comps = check_components(r->srv, &worst);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", worst);
    cJSON_AddNumberToObject(o, "timestamp", (double)time(NULL));
    cJSON_AddNumberToObject(o, "uptime_seconds", uptime(r->srv));
    cJSON_AddStringToObject(o, "version", BB_VERSION);
    cJSON_AddItemToObject(o, "components", comps);
    bb_req_reply_json(r, 200, o);
}

static void route_metrics(bb_req *r)
{
    bb_server *s = r->srv;
    bb_metrics_set(s->metrics, BB_M_UPTIME, NULL, uptime(s));
    bb_metrics_set(s->metrics, BB_M_IN_FLIGHT, NULL, (double)atomic_load(&s->in_flight));
    bb_metrics_set(s->metrics, BB_M_QUEUE_DEPTH, NULL, pool_depth(s));
    bb_metrics_set(s->metrics, BB_M_WORKERS, NULL, atomic_load(&s->pool.alive));
    bb_metrics_set(s->metrics, BB_M_RATE_EVICTIONS, NULL, (double)bb_ratelimit_evictions(s->rl));
    bb_buf out;
    bb_buf_init(&out, 16 * 1024 * 1024);
    if (bb_metrics_render(s->metrics, &out) != BB_OK || bb_llm_metrics_render(&out) != BB_OK) {
        bb_buf_free(&out);
        bb_req_reply_error(r, 500, "internal", "cannot render metrics");
        return;
    }
    size_t len;
    char *text = bb_buf_take(&out, &len);
    bb_req_reply(r, 200, BB_METRICS_CONTENT_TYPE, text, len);
}

static void route_status(bb_req *r)
{
    const bb_server_config *c = &r->srv->cfg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status",
                            atomic_load(&r->srv->draining) ? "stopping" : "operational");
    cJSON_AddStringToObject(o, "version", BB_VERSION);
    cJSON_AddBoolToObject(o, "authentication_enabled", !c->no_auth);
    cJSON_AddBoolToObject(o, "metrics_enabled", true);
    cJSON *rl = cJSON_AddObjectToObject(o, "rate_limits");
    char v[64];
    unsigned w = c->rate_window ? c->rate_window : 60;
    snprintf(v, sizeof(v), "%u/%us", c->rate_public, w);
    cJSON_AddStringToObject(rl, "public", v);
    snprintf(v, sizeof(v), "%u/%us", c->rate_authenticated, w);
    cJSON_AddStringToObject(rl, "authenticated", v);
    snprintf(v, sizeof(v), "%u/%us, %u/%us", c->rate_generate, w, c->rate_generate_hour, 60 * w);
    cJSON_AddStringToObject(rl, "generation", v);
    snprintf(v, sizeof(v), "%u/%us", c->rate_validate, w);
    cJSON_AddStringToObject(rl, "validation", v);
    cJSON_AddNumberToObject(o, "workers", r->srv->pool.n_threads);
    cJSON_AddNumberToObject(o, "queue_max", r->srv->pool.max);
    cJSON_AddNumberToObject(o, "max_body_bytes", (double)c->max_body);
    bb_req_reply_json(r, 200, o);
}

/* ---- the request body: a bare schema or {"schema": {...}, "options"} ---- */

typedef struct body_parts {
    size_t schema_at, schema_len;   /* the schema's bytes within the body */
    size_t options_at, options_len; /* 0 length: none */
    bool wrapped;
    int strict; /* the original service's top-level "strict_validation": -1 absent */
} body_parts;

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* Index just past the JSON string starting at s[i] == '"', or 0. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return 0;
}

/* Index just past the JSON value at s[i] (brackets balanced, strings
 * skipped; the value's own syntax is left to the real parser), or 0. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
    if (i >= n)
        return 0;
    if (s[i] == '"')
        return skip_string(s, i, n);
    if (s[i] != '{' && s[i] != '[') {
        while (i < n && !strchr(",}] \t\r\n", s[i]))
            i++;
        return i;
    }
    int depth = 0;
    for (; i < n; i++) {
        if (s[i] == '"') {
            size_t e = skip_string(s, i, n);
            if (!e)
                return 0;
            i = e - 1;
        } else if (s[i] == '{' || s[i] == '[') {
            if (++depth > 256)
                return 0;
        } else if (s[i] == '}' || s[i] == ']') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return 0;
}

/*
 * Finds whether the body wraps the schema, and where. Anything that does
 * not scan as {"key": value, ...} is treated as a bare schema, so the front
 * end reports its syntax errors against the body's own text.
 */
static void split_body(const char *s, size_t n, body_parts *p)
{
    memset(p, 0, sizeof(*p));
    p->schema_len = n;
    p->strict = -1;
    size_t i = skip_ws(s, 0, n);
    if (i >= n || s[i] != '{')
        return;
    i = skip_ws(s, i + 1, n);
    size_t schema_at = 0, schema_end = 0, opt_at = 0, opt_end = 0;
    int strict = -1;
    while (i < n && s[i] == '"') {
        size_t key_end = skip_string(s, i, n);
        if (!key_end)
            return;
        bool is_schema = key_end - i == 8 && memcmp(s + i, "\"schema\"", 8) == 0;
        bool is_options = key_end - i == 9 && memcmp(s + i, "\"options\"", 9) == 0;
        bool is_strict = key_end - i == 19 && memcmp(s + i, "\"strict_validation\"", 19) == 0;
        i = skip_ws(s, key_end, n);
        if (i >= n || s[i] != ':')
            return;
        size_t v = skip_ws(s, i + 1, n);
        /* "schema": [...] is the tables of a bare schema: known before
         * scanning them, which is most of the body. */
        if (is_schema && (v >= n || s[v] != '{'))
            return;
        size_t e = skip_value(s, v, n);
        if (!e)
            return;
        if (is_schema) {
            schema_at = v;
            schema_end = e;
        } else if (is_options) {
            opt_at = v;
            opt_end = e;
        } else if (is_strict) {
            strict = e - v == 4 && memcmp(s + v, "true", 4) == 0 ? 1 : 0;
        }
        i = skip_ws(s, e, n);
        if (i < n && s[i] == ',')
            i = skip_ws(s, i + 1, n);
        else
            break;
    }
    if (i >= n || s[i] != '}' || skip_ws(s, i + 1, n) != n || !schema_end)
        return;
    p->wrapped = true;
    p->strict = strict;
    p->schema_at = schema_at;
    p->schema_len = schema_end - schema_at;
    p->options_at = opt_at;
    p->options_len = opt_end - opt_at;
}

/* Diagnostics were computed on the schema's bytes: make their positions
 * count from the start of the body. */
static void rebase_diags(bb_diags *d, const char *body, size_t body_len, size_t at)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].offset != BB_NO_OFFSET)
            d->items[i].offset += at;
    bb_free(d->line_starts);
    d->line_starts = NULL;
    d->n_lines = 0;
    d->src = body;
    d->src_len = body_len;
}

/* True when the problem is with the bytes or the JSON syntax (BB01xx):
 * a 400, not a 422. */
static bool syntax_error(const bb_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].severity == BB_ERROR && strncmp(d->items[i].code, "BB01", 4) == 0)
            return true;
    return false;
}

static const bb_diag *first_error(const bb_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].severity == BB_ERROR)
            return &d->items[i];
    return NULL;
}

/* 400 for malformed JSON, with line:column of the first error. */
static void reply_malformed(bb_req *r, bb_diags *d)
{
    const bb_diag *g = first_error(d);
    int line = 0, col = 0;
    if (g)
        bb_diags_position(d, g->offset, &line, &col);
    char msg[512];
    snprintf(msg, sizeof(msg), "malformed JSON at line %d, column %d: %s", line, col,
             g ? g->message : "unreadable input");
    cJSON *o = error_object(r, "malformed_json", msg);
    cJSON *err = o ? cJSON_GetObjectItem(o, "error") : NULL;
    if (err) {
        cJSON_AddNumberToObject(err, "line", line);
        cJSON_AddNumberToObject(err, "column", col);
    }
    if (o)
        cJSON_AddItemToObject(o, "diagnostics", bb_diags_to_json(d));
    bb_req_reply_json(r, 400, o);
}

/* 422: the schema is readable but wrong; every diagnostic, as the CLI
 * gives them. */
static void reply_invalid(bb_req *r, bb_diags *d, bool with_build_order)
{
    bb_buf summary;
    bb_buf_init(&summary, 256);
    if (bb_diags_summary(d, &summary) != BB_OK)
        bb_buf_reset(&summary);
    char msg[300];
    snprintf(msg, sizeof(msg), "the schema is invalid: %s", bb_buf_str(&summary));
    bb_buf_free(&summary);
    cJSON *o = error_object(r, "invalid_schema", msg);
    if (o) {
        cJSON_AddBoolToObject(o, "valid", false);
        cJSON_AddItemToObject(o, "diagnostics", bb_diags_to_json(d));
        if (with_build_order)
            cJSON_AddItemToObject(o, "build_order", cJSON_CreateArray());
    }
    bb_req_reply_json(r, 422, o);
}

typedef struct request_options {
    bool strict;
    bb_llm_mode llm; /* "llm": "off" | "advise" */
} request_options;

/* Reads "options" (and the original service's top-level flags); false and
 * a 400 when they are not understood. */
static bool read_options(bb_req *r, const char *body, const body_parts *p, request_options *o)
{
    memset(o, 0, sizeof(*o));
    o->strict = p->strict == 1;
    if (!p->options_len)
        return true;
    cJSON *j = cJSON_ParseWithLengthOpts(body + p->options_at, p->options_len, NULL, 0);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        bb_req_reply_error(r, 400, "bad_request", "\"options\" must be a JSON object");
        return false;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, j)
    {
        if (strcmp(it->string, "strict") == 0 || strcmp(it->string, "strict_validation") == 0) {
            if (!cJSON_IsBool(it))
                break;
            o->strict = cJSON_IsTrue(it);
        } else if (strcmp(it->string, "llm") == 0) {
            if (!cJSON_IsString(it) ||
                (strcmp(it->valuestring, "off") != 0 && strcmp(it->valuestring, "advise") != 0))
                break;
            o->llm = strcmp(it->valuestring, "advise") == 0 ? BB_LLM_ADVISE : BB_LLM_OFF;
        } else if (strcmp(it->string, "enable_code_validation") == 0) {
            if (!cJSON_IsBool(it))
                break;
        } else {
            break;
        }
    }
    bool ok = it == NULL;
    if (!ok)
        bb_req_reply_error(
            r, 400, "bad_request",
            "unknown or mistyped option \"%s\" (known: strict, "
            "strict_validation, enable_code_validation: booleans; llm: \"off\" or \"advise\")",
            it->string);
    cJSON_Delete(j);
    return ok;
}

static cJSON *build_order_json(const bb_schema *s)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; s && a && i < s->n_build_order; i++) {
        int t = s->build_order[i];
        if (t >= 0 && (size_t)t < s->n_tables)
            cJSON_AddItemToArray(a, cJSON_CreateString(s->tables[t].table_name));
    }
    return a;
}

static void count_outcome(bb_req *r, bb_metric_id id, const char *outcome)
{
    const char *l[1] = {outcome};
    bb_metrics_add(r->srv->metrics, id, l, 1);
}

/* The request body, split into its schema and options. false when the
 * options are not understood: the 400 is sent and counted as malformed
 * under metric. */
static bool read_request(bb_req *r, bb_metric_id metric, const char **body, size_t *len,
                         body_parts *p, request_options *o)
{
    *body = bb_req_body(r, len);
    split_body(*body, *len, p);
    if (read_options(r, *body, p, o))
        return true;
    count_outcome(r, metric, "malformed");
    return false;
}

static void route_validate(bb_req *r)
{
    const char *body;
    size_t len;
    body_parts p;
    request_options opts;
    if (!read_request(r, BB_M_VALIDATIONS, &body, &len, &p, &opts))
        return;
    bb_limits limits = bb_limits_default();
    limits.max_input_bytes = r->srv->cfg.max_body;
    bb_diags d;
    bb_diags_init(&d, "<request>", body + p.schema_at, p.schema_len);
    d.warnings_as_errors = opts.strict;
    bb_schema *s = NULL;
    int rc = bb_frontend("<request>", body + p.schema_at, p.schema_len, &limits, &d, &s);
    rebase_diags(&d, body, len, p.schema_at);
    if (rc == BB_ENOMEM) {
        bb_req_reply_error(r, 503, "unavailable", "out of memory");
    } else if (syntax_error(&d)) {
        count_outcome(r, BB_M_VALIDATIONS, "malformed");
        reply_malformed(r, &d);
    } else if (rc != BB_OK || bb_diags_has_errors(&d)) {
        count_outcome(r, BB_M_VALIDATIONS, "invalid");
        reply_invalid(r, &d, true);
    } else {
        count_outcome(r, BB_M_VALIDATIONS, "valid");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "valid", true);
        cJSON_AddItemToObject(o, "diagnostics", bb_diags_to_json(&d));
        cJSON_AddItemToObject(o, "build_order", build_order_json(s));
        bb_req_reply_json(r, 200, o);
    }
    bb_schema_free(s);
    bb_diags_free(&d);
}

/* n_files: the files of the answer (the project's, not only the pipeline's). */
static cJSON *summary_json(const bb_output *out, size_t n_files)
{
    cJSON *o = cJSON_CreateObject();
    const char *project = out->schema && out->schema->project_name ? out->schema->project_name : "";
    cJSON_AddStringToObject(o, "project_name", project);
    cJSON_AddNumberToObject(o, "files", (double)n_files);
    cJSON_AddNumberToObject(o, "models", (double)out->n_models);
    cJSON_AddNumberToObject(o, "routes", (double)out->n_routes);
    cJSON_AddNumberToObject(o, "lines", (double)out->n_lines);
    cJSON *stages = cJSON_AddArrayToObject(o, "stages");
    for (size_t i = 0; stages && i < out->n_stages; i++) {
        const bb_stage_report *st = &out->stages[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", st->name ? st->name : "");
        cJSON_AddBoolToObject(x, "ran", st->ran);
        cJSON_AddNumberToObject(x, "seconds", st->seconds);
        cJSON_AddNumberToObject(x, "errors", (double)st->n_errors);
        cJSON_AddNumberToObject(x, "warnings", (double)st->n_warnings);
        cJSON_AddItemToArray(stages, x);
    }
    return o;
}

static void record_generation(bb_req *r, const bb_output *out)
{
    bb_metrics *m = r->srv->metrics;
    for (size_t i = 0; i < out->n_stages; i++) {
        if (!out->stages[i].ran || !out->stages[i].name)
            continue;
        const char *l[1] = {out->stages[i].name};
        bb_metrics_add(m, BB_M_STAGE_SECONDS, l, out->stages[i].seconds);
    }
    bb_metrics_add(m, BB_M_FILES_GENERATED, NULL, (double)out->n_files);
    bb_metrics_add(m, BB_M_LINES_GENERATED, NULL, (double)out->n_lines);
}

/* A project name fit for a file name: [A-Za-z0-9_-], else "project". */
static void archive_name(const bb_output *out, char *name, size_t size)
{
    const char *p = out->schema && out->schema->project_name ? out->schema->project_name : "";
    size_t n = 0;
    for (; p[n] && n + 1 < size && n < 64; n++) {
        if (!isalnum((unsigned char)p[n]) && p[n] != '-' && p[n] != '_')
            break;
        name[n] = p[n];
    }
    if (p[n] || n == 0)
        n = (size_t)snprintf(name, size, "project");
    name[n] = '\0';
}

static void reply_tarball(bb_req *r, const bb_output *out, const bb_project *p)
{
    char name[72];
    archive_name(out, name, sizeof(name));
    bb_buf tgz;
    bb_buf_init(&tgz, r->srv->cfg.max_output);
    int rc = bb_tarball_gzip(p->files, p->n_files, name, &tgz);
    if (rc) {
        bb_buf_free(&tgz);
        bb_req_reply_error(r, 500, "internal", "cannot build the archive: %s", bb_strerror(rc));
        return;
    }
    size_t len;
    char *data = bb_buf_take(&tgz, &len);
    bb_req_reply(r, 200, "application/gzip", data, len);
    char disp[128];
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s.tar.gz\"", name);
    bb_req_add_header(r, "Content-Disposition", disp);
}

/* Appends a cJSON value as compact JSON and deletes it. */
static int put_cjson(bb_buf *b, cJSON *v)
{
    int rc = v ? bb_json_print(b, v, false) : BB_ENOMEM;
    cJSON_Delete(v);
    return rc;
}

/*
 * {"files": {path: content}, "summary", "diagnostics"}, written straight
 * into one buffer: a project is most of the answer, and building it as a
 * cJSON tree copied every file three times. File contents may hold NULs
 * only if a template does; JSON strings end there, so the tarball is the
 * exact form.
 */
static void reply_files(bb_req *r, const bb_output *out, const bb_project *p, bb_diags *d)
{
    size_t total = 0;
    for (size_t i = 0; i < p->n_files; i++)
        total += p->files[i].len + strlen(p->files[i].path) + 8;
    bb_buf b;
    /* Escaping grows text by at most 6 times. */
    bb_buf_init(&b, 6 * r->srv->cfg.max_output + (1 << 20));
    int rc = bb_buf_reserve(&b, total + total / 8 + 4096);
    if (!rc)
        rc = bb_buf_puts(&b, "{\"files\":{");
    for (size_t i = 0; !rc && i < p->n_files; i++) {
        if (i)
            rc = bb_buf_putc(&b, ',');
        if (!rc)
            rc = bb_json_put_string(&b, p->files[i].path, strlen(p->files[i].path));
        if (!rc)
            rc = bb_buf_putc(&b, ':');
        if (!rc)
            rc = bb_json_put_string(&b, p->files[i].data, p->files[i].len);
    }
    if (!rc)
        rc = bb_buf_puts(&b, "},\"summary\":");
    if (!rc)
        rc = put_cjson(&b, summary_json(out, p->n_files));
    if (!rc)
        rc = bb_buf_puts(&b, ",\"diagnostics\":");
    if (!rc)
        rc = put_cjson(&b, bb_diags_to_json(d));
    if (!rc)
        rc = bb_buf_putc(&b, '}');
    if (rc) {
        bb_buf_free(&b);
        if (rc == BB_ELIMIT)
            bb_req_reply_error(r, 413, "output_too_large", "the answer is too large");
        else
            bb_req_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    size_t len;
    char *text = bb_buf_take(&b, &len);
    bb_req_reply(r, 200, "application/json", text, len);
}

/* 202 with the job's id: generation with a model outlasts a request. */
static void reply_job(bb_req *r, const char *schema, size_t len, const bb_pipeline_opts *opts)
{
    char id[BB_JOB_ID_LEN];
    int rc = bb_advisor_submit_generation(r->srv->jobs, schema, len, opts, id);
    if (rc) {
        bb_req_reply_error(r, 503, "unavailable", "%s",
                           rc == BB_ELIMIT ? "too many jobs; retry later" : "out of memory");
        bb_req_add_header(r, "Retry-After", "30");
        return;
    }
    char url[64];
    snprintf(url, sizeof(url), "/api/v1/jobs/%s", id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "job", id);
    cJSON_AddStringToObject(o, "state", "queued");
    cJSON_AddStringToObject(o, "status_url", url);
    bb_req_reply_json(r, 202, o);
    bb_req_add_header(r, "Location", url);
}

/* GET /api/v1/jobs/{id}: the job's state, and its result once done. */
static void route_job(bb_req *r)
{
    const char *id = bb_req_param(r);
    char *json = NULL;
    int rc = bb_jobs_status_json(r->srv->jobs, id, &json);
    if (rc == BB_ENOTFOUND)
        bb_req_reply_error(r, 404, "not_found", "no job %.40s (unknown or expired)", id);
    else if (rc)
        bb_req_reply_error(r, 503, "unavailable", "out of memory");
    else
        bb_req_reply(r, 200, "application/json", json, strlen(json));
}

/* 200 with the whole project (JSON or tarball), or why it could not be
 * made: the initial revision is refused (422) or too large. */
static void reply_project(bb_req *r, const bb_output *out, bb_diags *d)
{
    bb_project p;
    int rc = bb_project_build(out, d, &p);
    if (rc == BB_EINVAL) {
        count_outcome(r, BB_M_GENERATIONS, "invalid");
        reply_invalid(r, d, false);
    } else if (rc) {
        count_outcome(r, BB_M_GENERATIONS, "error");
        bb_req_reply_error(r,
                           rc == BB_ENOMEM   ? 503
                           : rc == BB_ELIMIT ? 413
                                             : 500,
                           rc == BB_ELIMIT ? "output_too_large" : "internal",
                           "generation failed: %s", bb_strerror(rc));
    } else {
        count_outcome(r, BB_M_GENERATIONS, "ok");
        if (accepts(bb_req_header(r, "Accept"), "application/gzip"))
            reply_tarball(r, out, &p);
        else
            reply_files(r, out, &p, d);
    }
    bb_project_free(&p);
}

static void route_generate(bb_req *r)
{
    const char *body;
    size_t len;
    body_parts p;
    request_options ro;
    if (!read_request(r, BB_M_GENERATIONS, &body, &len, &p, &ro))
        return;
    bb_pipeline_opts opts;
    bb_pipeline_opts_default(&opts);
    opts.limits.max_input_bytes = r->srv->cfg.max_body;
    opts.strict = ro.strict;
    opts.templates_dir = r->srv->cfg.templates_dir;
    opts.max_output_bytes = r->srv->cfg.max_output;
    /* The reviewer's Python compile costs a process per request: the
     * service uses the built-in check unless told otherwise. */
    opts.python = r->srv->cfg.review_python ? r->srv->cfg.review_python : "";
    if (ro.llm == BB_LLM_ADVISE) {
        opts.llm = BB_LLM_ADVISE;
        reply_job(r, body + p.schema_at, p.schema_len, &opts);
        return;
    }
    bb_diags d;
    bb_diags_init(&d, "<request>", body + p.schema_at, p.schema_len);
    d.warnings_as_errors = ro.strict;
    bb_output *out = NULL;
    int rc = bb_pipeline_run("<request>", body + p.schema_at, p.schema_len, &opts, &d, &out);
    rebase_diags(&d, body, len, p.schema_at);
    if (out)
        record_generation(r, out);
    if (rc == BB_EINVAL && syntax_error(&d)) {
        count_outcome(r, BB_M_GENERATIONS, "malformed");
        reply_malformed(r, &d);
    } else if (rc == BB_EINVAL) {
        count_outcome(r, BB_M_GENERATIONS, "invalid");
        reply_invalid(r, &d, false);
    } else if (rc != BB_OK || !out) {
        count_outcome(r, BB_M_GENERATIONS, "error");
        bb_req_reply_error(r,
                           rc == BB_ENOMEM   ? 503
                           : rc == BB_ELIMIT ? 413
                                             : 500,
                           rc == BB_ELIMIT ? "output_too_large" : "internal",
                           "generation failed: %s", bb_strerror(rc));
    } else {
        reply_project(r, out, &d);
    }
    bb_output_free(out);
    bb_diags_free(&d);
}

extern const char bb_server_openapi[];

static void route_openapi(bb_req *r)
{
    size_t len = strlen(bb_server_openapi);
    char *copy = bb_strndup(bb_server_openapi, len);
    if (!copy) {
        bb_req_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    bb_req_reply(r, 200, "application/json", copy, len);
}

static const bb_route builtin_routes[] = {
    {"POST", "/api/v1/generate", BB_ROUTE_AUTH | BB_ROUTE_JSON_BODY | BB_ROUTE_WORKER, "generate",
     "generate the backend from a schema", route_generate},
    {"POST", "/api/v1/validate", BB_ROUTE_AUTH | BB_ROUTE_JSON_BODY, "validate",
     "validate a schema", route_validate},
    {"GET", "/api/v1/jobs/{id}", BB_ROUTE_AUTH, NULL, "state and result of a job", route_job},
    {"GET", "/api/v1/status", 0, "public", "service status and limits", route_status},
    {"GET", "/health", 0, NULL, "basic health", route_health},
    {"GET", "/health/liveness", 0, NULL, "liveness probe", route_liveness},
    {"GET", "/health/readiness", 0, NULL, "readiness probe", route_readiness},
    {"GET", "/health/detailed", 0, NULL, "components and their health", route_detailed},
    {"GET", "/metrics", 0, NULL, "Prometheus metrics", route_metrics},
    {"GET", "/openapi.json", 0, "public", "this API's OpenAPI description", route_openapi},
};
static const size_t n_builtin_routes = sizeof(builtin_routes) / sizeof(builtin_routes[0]);

static size_t route_count(const bb_server *s)
{
    return n_builtin_routes + s->cfg.n_routes;
}

static const bb_route *route_at(const bb_server *s, size_t k)
{
    return k < n_builtin_routes ? &builtin_routes[k] : &s->cfg.routes[k - n_builtin_routes];
}

/* The OpenAPI 3.0 description of every route (GET /openapi.json). */
const char bb_server_openapi[] =
    "{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"backbone\",\"version\":\"0.1.0\",\"description\":"
    "\"Compile a"
    " database schema (JSON) into a FastAPI + SQLAlchemy backend.\"},\"components\":{\"securitySc"
    "hemes\":{\"apiKey\":{\"type\":\"apiKey\",\"in\":\"header\",\"name\":\"X-API-Key\"},\"bearer\":"
    "{\"type\":\"ht"
    "tp\",\"scheme\":\"bearer\",\"bearerFormat\":\"JWT\"}},\"schemas\":{\"Error\":{\"type\":"
    "\"object\",\"requir"
    "ed\":[\"error\"],\"properties\":{\"error\":{\"type\":\"object\",\"required\":[\"code\","
    "\"message\",\"reque"
    "st_id\"],\"properties\":{\"code\":{\"type\":\"string\"},\"message\":{\"type\":\"string\"},"
    "\"request_id\":"
    "{\"type\":\"string\"},\"line\":{\"type\":\"integer\"},\"column\":{\"type\":\"integer\"}}}}},"
    "\"Diagnostic\""
    ":{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\",\"example\":\"BB0203\"},"
    "\"severity\":{"
    "\"type\":\"string\",\"enum\":[\"error\",\"warning\",\"note\"]},\"message\":{\"type\":"
    "\"string\"},\"hint\":{\""
    "type\":\"string\",\"nullable\":true},\"pointer\":{\"type\":\"string\",\"description\":\"JSON "
    "Pointer i"
    "nto the "
    "schema\"},\"file\":{\"type\":\"string\"},\"line\":{\"type\":\"integer\",\"description\":"
    "\"line i"
    "n the request "
    "body\"},\"column\":{\"type\":\"integer\"}}},\"SchemaRequest\":{\"oneOf\":[{\"type\":\"ob"
    "ject\",\"description\":\"a bare schema: project_name, db_type, schema "
    "(tables)\",\"required\":["
    "\"project_name\",\"schema\"]},{\"type\":\"object\",\"required\":[\"schema\"],\"properties\":{"
    "\"schema\":"
    "{\"type\":\"object\"},\"options\":{\"type\":\"object\",\"properties\":{\"strict\":{\"type\":"
    "\"boolean\",\"d"
    "escription\":\"warnings are "
    "errors\"},\"llm\":{\"type\":\"string\",\"enum\":[\"off\",\"advise\"],\"descr"
    "iption\":\"advise: a language model advises; answered 202 with a job\"}}}}}]},\"ValidateResp"
    "onse\":{\"type\":\"object\",\"properties\":{\"valid\":{\"type\":\"boolean\"},\"diagnostics\":{"
    "\"type\":\"a"
    "rray\",\"items\":{\"$ref\":\"#/components/schemas/"
    "Diagnostic\"}},\"build_order\":{\"type\":\"array\","
    "\"items\":{\"type\":\"string\"}}}},\"GenerateResponse\":{\"type\":\"object\",\"properties\":{"
    "\"files\":{"
    "\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}},\"summary\":{\"type\":"
    "\"object\"},\"d"
    "iagnostics\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/"
    "Diagnostic\"}}}},\"Healt"
    "h\":{\"type\":\"object\",\"properties\":{\"status\":{\"type\":\"string\"},\"components\":{"
    "\"type\":\"objec"
    "t\",\"additionalProperties\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":"
    "\"string\"},\"statu"
    "s\":{\"type\":\"string\",\"enum\":[\"healthy\",\"degraded\",\"unhealthy\"]},\"message\":{"
    "\"type\":\"string"
    "\"}}}}}}},\"responses\":{\"Error\":{\"description\":\"error\",\"content\":{\"application/"
    "json\":{\"sch"
    "ema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"RateLimited\":{\"description\":\"rate "
    "limit r"
    "eached\",\"headers\":{\"Retry-After\":{\"schema\":{\"type\":\"integer\"}},\"X-RateLimit-"
    "Limit\":{\"sch"
    "ema\":{\"type\":\"integer\"}},\"X-RateLimit-Remaining\":{\"schema\":{\"type\":\"integer\"}},"
    "\"X-RateLi"
    "mit-Reset\":{\"schema\":{\"type\":\"integer\"},\"description\":\"seconds until the window "
    "ends\"}},"
    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
    "Error\"}}}}}},\"path"
    "s\":{\"/api/v1/generate\":{\"post\":{\"summary\":\"Generate the backend project from a "
    "schema\",\""
    "security\":[{\"apiKey\":[]},{\"bearer\":[]}],\"requestBody\":{\"required\":true,\"content\":{"
    "\"appli"
    "cation/json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
    "SchemaRequest\"}}}},\"responses\":{\"20"
    "0\":{\"description\":\"generated files (JSON), or a gzip tarball with Accept: application/gz"
    "ip\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
    "GenerateRespon"
    "se\"}},\"application/"
    "gzip\":{\"schema\":{\"type\":\"string\",\"format\":\"binary\"}}}},\"400\":{\"$ref\":"
    "\"#/components/responses/Error\"},\"401\":{\"$ref\":\"#/components/responses/"
    "Error\"},\"413\":{\"$r"
    "ef\":\"#/components/responses/Error\"},\"415\":{\"$ref\":\"#/components/responses/"
    "Error\"},\"422\":"
    "{\"$ref\":\"#/components/responses/Error\"},\"429\":{\"$ref\":\"#/components/responses/"
    "RateLimite"
    "d\"},\"503\":{\"$ref\":\"#/components/responses/Error\"},\"202\":{\"description\":\"with "
    "options.llm"
    " \\\"advise\\\": the generation runs as a job; poll its "
    "status_url\",\"headers\":{\"Location\":{\""
    "schema\":{\"type\":\"string\"}}},\"content\":{\"application/"
    "json\":{\"schema\":{\"type\":\"object\",\"pr"
    "operties\":{\"job\":{\"type\":\"string\"},\"state\":{\"type\":\"string\"},\"status_url\":{"
    "\"type\":\"strin"
    "g\"}}}}}}}}},\"/api/v1/validate\":{\"post\":{\"summary\":\"Validate a "
    "schema\",\"security\":[{\"apiK"
    "ey\":[]},{\"bearer\":[]}],\"requestBody\":{\"required\":true,\"content\":{\"application/"
    "json\":{\"sc"
    "hema\":{\"$ref\":\"#/components/schemas/"
    "SchemaRequest\"}}}},\"responses\":{\"200\":{\"description\""
    ":\"valid\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
    "ValidateR"
    "esponse\"}}}},\"400\":{\"$ref\":\"#/components/responses/Error\"},\"401\":{\"$ref\":\"#/"
    "components/r"
    "esponses/Error\"},\"413\":{\"$ref\":\"#/components/responses/Error\"},\"415\":{\"$ref\":\"#/"
    "componen"
    "ts/responses/Error\"},\"422\":{\"description\":\"invalid schema: the error plus valid=false an"
    "d every "
    "diagnostic\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schema"
    "s/ValidateResponse\"}}}},\"429\":{\"$ref\":\"#/components/responses/RateLimited\"}}}},\"/api/"
    "v1/"
    "status\":{\"get\":{\"summary\":\"Service status, authentication and rate "
    "limits\",\"responses\":{"
    "\"200\":{\"description\":\"status\",\"content\":{\"application/"
    "json\":{\"schema\":{\"type\":\"object\"}}"
    "}},\"429\":{\"$ref\":\"#/components/responses/RateLimited\"}}}},\"/"
    "health\":{\"get\":{\"summary\":\"B"
    "asic "
    "health\",\"responses\":{\"200\":{\"description\":\"up\",\"content\":{\"application/"
    "json\":{\"sche"
    "ma\":{\"type\":\"object\"}}}}}}},\"/health/liveness\":{\"get\":{\"summary\":\"Liveness "
    "probe\",\"respo"
    "nses\":{\"200\":{\"description\":\"alive\"}}}},\"/health/"
    "readiness\":{\"get\":{\"summary\":\"Readiness"
    " probe: templates loaded, worker pool "
    "alive\",\"responses\":{\"200\":{\"description\":\"ready\",\""
    "content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
    "Health\"}}}},\"503\":{"
    "\"description\":\"not "
    "ready\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/"
    "schemas/Health\"}}}}}}},\"/health/detailed\":{\"get\":{\"summary\":\"Every component and its "
    "hea"
    "lth\",\"responses\":{\"200\":{\"description\":\"components\",\"content\":{\"application/"
    "json\":{\"sche"
    "ma\":{\"$ref\":\"#/components/schemas/Health\"}}}}}}},\"/"
    "metrics\":{\"get\":{\"summary\":\"Prometheu"
    "s metrics (text format "
    "0.0.4)\",\"responses\":{\"200\":{\"description\":\"metrics\",\"content\":{\"t"
    "ext/plain\":{\"schema\":{\"type\":\"string\"}}}}}}},\"/"
    "openapi.json\":{\"get\":{\"summary\":\"This des"
    "cription\",\"responses\":{\"200\":{\"description\":\"OpenAPI 3.0 "
    "document\",\"content\":{\"applicati"
    "on/json\":{\"schema\":{\"type\":\"object\"}}}}}}},\"/api/v1/jobs/"
    "{id}\":{\"get\":{\"summary\":\"State "
    "and result of a generation "
    "job\",\"security\":[{\"apiKey\":[]},{\"bearer\":[]}],\"parameters\":[{"
    "\"name\":\"id\",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}}],"
    "\"responses\":{\"200\":"
    "{\"description\":\"{id, state, created_at, finished_at, status, "
    "result}\",\"content\":{\"applic"
    "ation/json\":{\"schema\":{\"type\":\"object\"}}}},\"401\":{\"$ref\":\"#/components/responses/"
    "Error\"}"
    ",\"404\":{\"$ref\":\"#/components/responses/Error\"},\"429\":{\"$ref\":\"#/components/"
    "responses/Rat"
    "eLimited\"}}}}}}";
