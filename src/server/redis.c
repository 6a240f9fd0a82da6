/* redis.c - a Redis client over hiredis, loaded on first use (see redis.h). */
#include "server/redis.h"
#include "base/hex.h"

#include "base/clock.h"
#include "base/dynlib.h"

#include <hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

/* ---- the library -------------------------------------------------------- */

struct hiredis_api {
    redisContext *(*connect_with_timeout)(const char *ip, int port, const struct timeval tv);
    int (*set_timeout)(redisContext *c, const struct timeval tv);
    void *(*command_argv)(redisContext *c, int argc, const char **argv, const size_t *argvlen);
    void (*free_reply)(void *reply);
    void (*free_context)(redisContext *c);
};

static struct hiredis_api fn;

static const bb_dynlib_symbol symbols[] = {
    BB_DYNLIB_SYMBOL(struct hiredis_api, connect_with_timeout, redisConnectWithTimeout),
    BB_DYNLIB_SYMBOL(struct hiredis_api, set_timeout, redisSetTimeout),
    BB_DYNLIB_SYMBOL(struct hiredis_api, command_argv, redisCommandArgv),
    BB_DYNLIB_SYMBOL(struct hiredis_api, free_reply, freeReplyObject),
    BB_DYNLIB_SYMBOL(struct hiredis_api, free_context, redisFree),
};

#define STR2(x) #x
#define STR(x) STR2(x)
static bb_dynlib library = BB_DYNLIB_INIT("libhiredis.so." STR(HIREDIS_SONAME),
                                          "libhiredis" STR(HIREDIS_SONAME), symbols, &fn);

struct bb_dynlib *bb_redis_library(void)
{
    return &library;
}

/* ---- URLs --------------------------------------------------------------- */

/* Percent-decodes s[0..n) into out; false when it does not fit or a
 * %XX is malformed. */
static bool decode_part(const char *s, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < n ? bb_hex_value(s[i + 1]) : -1;
            int lo = i + 2 < n ? bb_hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return false;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (o + 1 >= size)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

static int url_error(bb_buf *err, const char *why)
{
    if (err && bb_buf_printf(
                   err, "--redis: %s (expected redis://[user[:password]@]host[:port][/db])", why))
        bb_buf_reset(err);
    return BB_EUSAGE;
}

static bool parse_number(const char *s, size_t n, unsigned long max, unsigned *out)
{
    if (n == 0 || n > 10)
        return false;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

static int parse_userinfo(const char *s, size_t n, bb_redis_url *u, bb_buf *err)
{
    const char *colon = memchr(s, ':', n);
    size_t user_len = colon ? (size_t)(colon - s) : n;
    if (!decode_part(s, user_len, u->user, sizeof(u->user)))
        return url_error(err, "the user name is too long or badly percent-encoded");
    if (colon && !decode_part(colon + 1, n - user_len - 1, u->password, sizeof(u->password)))
        return url_error(err, "the password is too long or badly percent-encoded");
    if (u->user[0] && !u->password[0])
        return url_error(err, "a user name needs a password");
    return BB_OK;
}

/* host, [v6], then an optional :port, in s[0..n). */
static int parse_hostport(const char *s, size_t n, bb_redis_url *u, bb_buf *err)
{
    const char *host = s, *port = NULL;
    size_t host_len = n;
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return url_error(err, "an IPv6 address lacks its ']'");
        host = s + 1;
        host_len = (size_t)(close - s) - 1;
        if ((size_t)(close - s) + 1 < n) {
            if (close[1] != ':')
                return url_error(err, "unexpected text after the IPv6 address");
            port = close + 2;
        }
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon) {
            host_len = (size_t)(colon - s);
            port = colon + 1;
        }
    }
    if (host_len == 0 || host_len >= sizeof(u->host))
        return url_error(err, "the host is missing or too long");
    memcpy(u->host, host, host_len);
    u->host[host_len] = '\0';
    if (port && (!parse_number(port, (size_t)(s + n - port), 65535, &u->port) || u->port == 0))
        return url_error(err, "the port is not a number from 1 to 65535");
    return BB_OK;
}

int bb_redis_url_parse(const char *text, bb_redis_url *u, bb_buf *err)
{
    memset(u, 0, sizeof(*u));
    u->port = 6379;
    static const char scheme[] = "redis://";
    if (!text || strncasecmp(text, scheme, sizeof(scheme) - 1) != 0)
        return url_error(err, strncasecmp(text ? text : "", "rediss://", 9) == 0
                                  ? "TLS (rediss://) is not supported"
                                  : "the URL must start with redis://");
    const char *rest = text + sizeof(scheme) - 1;
    const char *at = strrchr(rest, '@');
    if (at) {
        int rc = parse_userinfo(rest, (size_t)(at - rest), u, err);
        if (rc)
            return rc;
        rest = at + 1;
    }
    const char *slash = strchr(rest, '/');
    size_t hp_len = slash ? (size_t)(slash - rest) : strlen(rest);
    int rc = parse_hostport(rest, hp_len, u, err);
    if (rc)
        return rc;
    if (slash && slash[1] && !parse_number(slash + 1, strlen(slash + 1), 1000000, &u->db))
        return url_error(err, "the database is not a number");
    return BB_OK;
}

/* s with every byte outside [A-Za-z0-9._~:-] percent-encoded, so that a
 * redacted URL can go into a log line or JSON as it is. */
static void encode_part(const char *s, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("._~:-", c)) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

void bb_redis_url_redacted(const bb_redis_url *u, char *out, size_t size)
{
    char user[3 * sizeof(u->user)], host[3 * sizeof(u->host)];
    encode_part(u->user, user, sizeof(user));
    encode_part(u->host, host, sizeof(host));
    bool v6 = strchr(u->host, ':') != NULL;
    snprintf(out, size, "redis://%s%s%s%s%s%s:%u/%u", user, u->password[0] ? ":***" : "",
             u->user[0] || u->password[0] ? "@" : "", v6 ? "[" : "", host, v6 ? "]" : "", u->port,
             u->db);
}

/* ---- replies ------------------------------------------------------------ */

void bb_redis_reply_free(bb_redis_reply *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        bb_redis_reply_free(&r->elem[i]);
    bb_free(r->elem);
    bb_free(r->str);
    memset(r, 0, sizeof(*r));
}

const char *bb_redis_reply_str(const bb_redis_reply *r)
{
    return r && r->type == BB_REDIS_STR ? r->str : NULL;
}

/* hiredis's reply as ours; BB_ENOMEM. Deeper than Redis nests is refused. */
static int copy_reply(const redisReply *in, bb_redis_reply *out, int depth)
{
    memset(out, 0, sizeof(*out));
    if (depth > 8)
        return BB_ELIMIT;
    switch (in->type) {
    case REDIS_REPLY_INTEGER:
        out->type = BB_REDIS_INT;
        out->integer = in->integer;
        return BB_OK;
    case REDIS_REPLY_NIL:
        out->type = BB_REDIS_NIL;
        return BB_OK;
    case REDIS_REPLY_ARRAY:
        out->type = BB_REDIS_ARRAY;
        if (in->elements == 0)
            return BB_OK;
        out->elem = bb_calloc(in->elements, sizeof(*out->elem));
        if (!out->elem)
            return BB_ENOMEM;
        out->n = in->elements;
        for (size_t i = 0; i < in->elements; i++) {
            int rc = copy_reply(in->element[i], &out->elem[i], depth + 1);
            if (rc)
                return rc;
        }
        return BB_OK;
    default:
        out->type = in->type == REDIS_REPLY_ERROR ? BB_REDIS_ERROR : BB_REDIS_STR;
        out->str = bb_strndup(in->str ? in->str : "", in->str ? in->len : 0);
        out->len = in->str ? in->len : 0;
        return out->str ? BB_OK : BB_ENOMEM;
    }
}

/* ---- the client --------------------------------------------------------- */

#define BACKOFF_MIN 0.1
#define BACKOFF_MAX 5.0

/* A connection and the timeout its socket has (setting it costs two
 * system calls, so only a change is made). */
struct conn {
    redisContext *c;
    long timeout_ms;
};

struct bb_redis {
    bb_redis_url url;
    bb_redis_opts opts;
    pthread_mutex_t lock;
    struct conn *idle;
    size_t n_idle;
    /* The outage, if any: no attempt before retry_at. */
    bool down;
    double retry_at, backoff;
    char last_error[160];
    unsigned long failures;
};

bb_redis *bb_redis_new(const bb_redis_url *url, const bb_redis_opts *opts, bb_buf *err)
{
    if (!bb_dynlib_ready(&library)) {
        if (err && bb_buf_printf(err, "%s", bb_dynlib_error(&library)))
            bb_buf_reset(err);
        return NULL;
    }
    bb_redis *r = bb_calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->url = *url;
    r->opts = *opts;
    if (!r->opts.timeout_ms)
        r->opts.timeout_ms = 250;
    if (!r->opts.max_idle)
        r->opts.max_idle = 16;
    r->idle = bb_calloc(r->opts.max_idle, sizeof(*r->idle));
    if (!r->idle) {
        bb_free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void bb_redis_free(bb_redis *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_idle; i++)
        fn.free_context(r->idle[i].c);
    bb_free(r->idle);
    pthread_mutex_destroy(&r->lock);
    memset(&r->url, 0, sizeof(r->url)); /* the password */
    bb_free(r);
}

static struct timeval timeval_of(double seconds)
{
    if (seconds < 0.001)
        seconds = 0.001;
    struct timeval tv;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    return tv;
}

/* An outage begins or goes on: the next attempt waits a back-off. The
 * idle connections went to the same server, so they go too; otherwise
 * each would fail one request after Redis is back. */
static void note_failure(bb_redis *r, const char *why)
{
    struct conn stale[64];
    size_t n_stale = 0;
    pthread_mutex_lock(&r->lock);
    while (r->n_idle && n_stale < sizeof(stale) / sizeof(stale[0]))
        stale[n_stale++] = r->idle[--r->n_idle];
    r->backoff = !r->down                       ? BACKOFF_MIN
                 : r->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX
                                                : r->backoff * 2;
    bool was_up = !r->down;
    r->down = true;
    r->retry_at = bb_clock_seconds() + r->backoff;
    r->failures++;
    snprintf(r->last_error, sizeof(r->last_error), "%s", why);
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < n_stale; i++)
        fn.free_context(stale[i].c);
    if (was_up && r->opts.on_change)
        r->opts.on_change(r->opts.on_change_ctx, false, why);
}

static void note_success(bb_redis *r)
{
    pthread_mutex_lock(&r->lock);
    bool was_down = r->down;
    r->down = false;
    r->backoff = 0;
    pthread_mutex_unlock(&r->lock);
    if (was_down && r->opts.on_change)
        r->opts.on_change(r->opts.on_change_ctx, true, NULL);
}

/* A connection's failure as our code, noted; the connection is freed. */
static int drop(bb_redis *r, redisContext *c, const char *what)
{
    char why[160];
    bool timed_out = c && c->err == REDIS_ERR_IO && strstr(c->errstr, "temporarily unavailable");
    snprintf(why, sizeof(why), "%s %.100s:%u: %.40s", what, r->url.host, r->url.port,
             !c          ? "out of memory"
             : timed_out ? "timed out"
                         : c->errstr);
    if (c)
        fn.free_context(c);
    note_failure(r, why);
    return timed_out ? BB_ETIMEOUT : BB_ENET;
}

/* Runs one command on c; a reply of hiredis (NULL when c failed). */
static redisReply *run(redisContext *c, int argc, const char *const *argv, const size_t *lens)
{
    return fn.command_argv(c, argc, (const char **)argv, lens);
}

/* Logs in and picks the database on a new connection. */
static bool setup(bb_redis *r, redisContext *c, char *why, size_t size)
{
    char db[16];
    snprintf(db, sizeof(db), "%u", r->url.db);
    const char *auth_user[] = {"AUTH", r->url.user, r->url.password};
    const char *auth[] = {"AUTH", r->url.password};
    const char *select[] = {"SELECT", db};
    for (int step = 0; step < 2; step++) {
        redisReply *rep = NULL;
        if (step == 0 && r->url.user[0])
            rep = run(c, 3, auth_user, NULL);
        else if (step == 0 && r->url.password[0])
            rep = run(c, 2, auth, NULL);
        else if (step == 1 && r->url.db)
            rep = run(c, 2, select, NULL);
        else
            continue;
        bool failed = !rep || rep->type == REDIS_REPLY_ERROR;
        if (rep && failed)
            snprintf(why, size, "%s refused: %.100s", step == 0 ? "AUTH" : "SELECT", rep->str);
        if (rep)
            fn.free_reply(rep);
        if (failed)
            return false;
    }
    return true;
}

/* Whether the server closed an idle connection: its end of the socket
 * reads as EOF (or fails) without waiting. A command sent there would
 * fail one request for nothing. */
static bool closed_by_server(const redisContext *c)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0)
        return false;
    char byte;
    return recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

/* A connection: an idle one still open, or a new one made before deadline. */
static int take(bb_redis *r, double timeout, struct conn *out)
{
    out->c = NULL;
    pthread_mutex_lock(&r->lock);
    bool waiting = r->down && bb_clock_seconds() < r->retry_at;
    if (!waiting && r->n_idle)
        *out = r->idle[--r->n_idle];
    pthread_mutex_unlock(&r->lock);
    if (waiting)
        return BB_ENET;
    if (out->c && !closed_by_server(out->c))
        return BB_OK;
    if (out->c) { /* its server restarted, or closed it for idling */
        fn.free_context(out->c);
        out->c = NULL;
    }
    redisContext *c = fn.connect_with_timeout(r->url.host, (int)r->url.port, timeval_of(timeout));
    if (!c || c->err)
        return drop(r, c, "cannot connect to Redis at");
    fn.set_timeout(c, timeval_of(timeout));
    out->timeout_ms = -1;
    char why[160] = "";
    if (!setup(r, c, why, sizeof(why))) {
        if (!why[0])
            return drop(r, c, "lost Redis at");
        fn.free_context(c);
        note_failure(r, why);
        return BB_ENET;
    }
    out->c = c;
    return BB_OK;
}

static void give_back(bb_redis *r, struct conn *k)
{
    pthread_mutex_lock(&r->lock);
    if (r->n_idle < r->opts.max_idle) {
        r->idle[r->n_idle++] = *k;
        k->c = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    if (k->c)
        fn.free_context(k->c);
}

int bb_redis_command(bb_redis *r, double deadline, unsigned extra_ms, bb_redis_reply *out, int argc,
                     const char *const *argv, const size_t *lens)
{
    memset(out, 0, sizeof(*out));
    double timeout = r->opts.timeout_ms / 1000.0;
    if (deadline > 0) {
        double left = deadline - bb_clock_seconds();
        if (left <= 0)
            return BB_ETIMEOUT;
        if (left < timeout)
            timeout = left;
    }
    struct conn k;
    int rc = take(r, timeout, &k);
    if (rc)
        return rc;
    long ms = (long)(timeout * 1000) + (long)extra_ms;
    if (ms != k.timeout_ms)
        fn.set_timeout(k.c, timeval_of(ms / 1000.0));
    k.timeout_ms = ms;
    redisReply *rep = run(k.c, argc, argv, lens);
    if (!rep)
        return drop(r, k.c, "lost Redis at");
    note_success(r);
    rc = copy_reply(rep, out, 0);
    fn.free_reply(rep);
    give_back(r, &k);
    if (rc) {
        bb_redis_reply_free(out);
        return rc;
    }
    return out->type == BB_REDIS_ERROR ? BB_ESTATE : BB_OK;
}

#define MAX_ARGS 32

int bb_redis_cmd(bb_redis *r, double deadline, bb_redis_reply *out, ...)
{
    const char *argv[MAX_ARGS];
    int argc = 0;
    va_list ap;
    va_start(ap, out);
    for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
        if (argc == MAX_ARGS) {
            va_end(ap);
            memset(out, 0, sizeof(*out));
            return BB_EUSAGE;
        }
        argv[argc++] = a;
    }
    va_end(ap);
    return bb_redis_command(r, deadline, 0, out, argc, argv, NULL);
}

/* Learns the script's SHA-1 from the server (SCRIPT LOAD). */
static int load_script(bb_redis *r, double deadline, bb_redis_script *s)
{
    bb_redis_reply rep;
    int rc = bb_redis_cmd(r, deadline, &rep, "SCRIPT", "LOAD", s->source, (const char *)NULL);
    if (!rc && rep.type == BB_REDIS_STR && rep.len == 40)
        memcpy(s->sha, rep.str, 41);
    else if (!rc)
        rc = BB_ESTATE;
    bb_redis_reply_free(&rep);
    return rc;
}

int bb_redis_eval(bb_redis *r, double deadline, bb_redis_script *script, bb_redis_reply *out,
                  int n_keys, const char *const *keys, int n_args, const char *const *args,
                  const size_t *arg_lens)
{
    memset(out, 0, sizeof(*out));
    if (3 + n_keys + n_args > MAX_ARGS)
        return BB_EUSAGE;
    if (!script->sha[0]) {
        int rc = load_script(r, deadline, script);
        if (rc)
            return rc;
    }
    const char *argv[MAX_ARGS];
    size_t lens[MAX_ARGS];
    char nk[16];
    snprintf(nk, sizeof(nk), "%d", n_keys);
    argv[0] = "EVALSHA";
    argv[1] = script->sha;
    argv[2] = nk;
    int argc = 3;
    for (int i = 0; i < n_keys; i++)
        argv[argc++] = keys[i];
    for (int i = 0; i < n_args; i++)
        argv[argc++] = args[i];
    for (int i = 0; i < argc; i++)
        lens[i] = i >= 3 + n_keys && arg_lens ? arg_lens[i - 3 - n_keys] : strlen(argv[i]);
    int rc = bb_redis_command(r, deadline, 0, out, argc, argv, lens);
    if (rc == BB_ESTATE && out->str && strncmp(out->str, "NOSCRIPT", 8) == 0) {
        /* The server restarted or flushed its scripts: send it whole. */
        bb_redis_reply_free(out);
        argv[0] = "EVAL";
        argv[1] = script->source;
        lens[0] = 4;
        lens[1] = strlen(script->source);
        rc = bb_redis_command(r, deadline, 0, out, argc, argv, lens);
    }
    return rc;
}

bool bb_redis_healthy(bb_redis *r, char *why, size_t size)
{
    pthread_mutex_lock(&r->lock);
    bool due = r->down && bb_clock_seconds() >= r->retry_at;
    pthread_mutex_unlock(&r->lock);
    if (due) { /* a probe that says "down" after Redis is back would mislead */
        bb_redis_reply rep;
        int rc = bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL);
        (void)rc; /* the outcome is in r->down, read below */
        bb_redis_reply_free(&rep);
    }
    pthread_mutex_lock(&r->lock);
    bool down = r->down;
    if (down && why)
        snprintf(why, size, "%s", r->last_error);
    pthread_mutex_unlock(&r->lock);
    return !down;
}

unsigned long bb_redis_failures(bb_redis *r)
{
    pthread_mutex_lock(&r->lock);
    unsigned long n = r->failures;
    pthread_mutex_unlock(&r->lock);
    return n;
}
