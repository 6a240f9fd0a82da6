/* httpd.c - libmicrohttpd behind backbone's names, loaded on first use
 * (see httpd.h). */
#include "server/httpd.h"

#include "base/dynlib.h"
#include "server/conns.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* libmicrohttpd's functions, looked up by name on first use. */
static struct mhd_api {
    __typeof__(MHD_start_daemon_va) *start_daemon_va;
    __typeof__(MHD_get_daemon_info) *get_daemon_info;
    __typeof__(MHD_quiesce_daemon) *quiesce_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
    __typeof__(MHD_get_connection_info) *get_connection_info;
    __typeof__(MHD_lookup_connection_value) *lookup_connection_value;
    __typeof__(MHD_get_connection_values) *get_connection_values;
    __typeof__(MHD_suspend_connection) *suspend_connection;
    __typeof__(MHD_resume_connection) *resume_connection;
    __typeof__(MHD_create_response_from_buffer_with_free_callback) *response_with_free;
    __typeof__(MHD_add_response_header) *add_response_header;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_destroy_response) *destroy_response;
} fn;

static const bb_dynlib_symbol symbols[] = {
    BB_DYNLIB_SYMBOL(struct mhd_api, start_daemon_va, MHD_start_daemon_va),
    BB_DYNLIB_SYMBOL(struct mhd_api, get_daemon_info, MHD_get_daemon_info),
    BB_DYNLIB_SYMBOL(struct mhd_api, quiesce_daemon, MHD_quiesce_daemon),
    BB_DYNLIB_SYMBOL(struct mhd_api, stop_daemon, MHD_stop_daemon),
    BB_DYNLIB_SYMBOL(struct mhd_api, get_connection_info, MHD_get_connection_info),
    BB_DYNLIB_SYMBOL(struct mhd_api, lookup_connection_value, MHD_lookup_connection_value),
    BB_DYNLIB_SYMBOL(struct mhd_api, get_connection_values, MHD_get_connection_values),
    BB_DYNLIB_SYMBOL(struct mhd_api, suspend_connection, MHD_suspend_connection),
    BB_DYNLIB_SYMBOL(struct mhd_api, resume_connection, MHD_resume_connection),
    BB_DYNLIB_SYMBOL(struct mhd_api, response_with_free,
                     MHD_create_response_from_buffer_with_free_callback),
    BB_DYNLIB_SYMBOL(struct mhd_api, add_response_header, MHD_add_response_header),
    BB_DYNLIB_SYMBOL(struct mhd_api, queue_response, MHD_queue_response),
    BB_DYNLIB_SYMBOL(struct mhd_api, destroy_response, MHD_destroy_response),
};

static bb_dynlib library = BB_DYNLIB_INIT("libmicrohttpd.so.12", "libmicrohttpd12", symbols, &fn);

struct bb_dynlib *bb_httpd_library(void)
{
    return &library;
}

struct bb_httpd {
    struct MHD_Daemon *daemon;
    bb_httpd_config cfg;
    bb_conns *conns;
    bool quiesced;
    unsigned port;
};

/* The connection handle is libmicrohttpd's own, under another name. */
static struct MHD_Connection *mhd(bb_httpd_conn *c)
{
    return (struct MHD_Connection *)(void *)c;
}

/* The connection's entry in the registry of deadlines, or NULL. */
static bb_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        fn.get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    bb_httpd *d = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            fn.get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? bb_conns_add(d->conns, ci->connect_fd) : NULL;
    } else {
        /* Before the library closes the socket. */
        bb_conns_remove(d->conns, *socket_context);
        *socket_context = NULL;
    }
}

/* Called as soon as a request line is in, before its headers. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls, (void)uri;
    bb_conn_enter(conn_of(conn), BB_CONN_REQUEST);
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req)
{
    bb_httpd *d = cls;
    if (!*req)
        bb_conn_enter(conn_of(conn), BB_CONN_BODY);
    else if (*upload_size == 0)
        bb_conn_enter(conn_of(conn), BB_CONN_BUSY);
    bool ok = d->cfg.on_request(d->cfg.ctx, (bb_httpd_conn *)(void *)conn, url, method, version,
                                upload, upload_size, req);
    return ok ? MHD_YES : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req,
                         enum MHD_RequestTerminationCode toe)
{
    bb_httpd *d = cls;
    bb_conn *c = conn_of(conn);
    bb_conn_enter(c, BB_CONN_WAITING);
    if (!*req)
        return;
    void *r = *req;
    *req = NULL;
    bb_httpd_end end = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? BB_HTTPD_ANSWERED
                       : bb_conn_timed_out(c)                     ? BB_HTTPD_TIMED_OUT
                                                                  : BB_HTTPD_CLIENT_GONE;
    d->cfg.on_completed(d->cfg.ctx, r, end);
}

/* The path is routed as it came: "%2F" and "%00" are not decoded into
 * "/" and a NUL that would change which route matches. */
static size_t keep_escapes(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls, (void)conn;
    return strlen(s);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    bb_httpd *d = cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    if (d->cfg.on_log)
        d->cfg.on_log(d->cfg.ctx, msg);
}

/* MHD_start_daemon, whose options are variadic, through the library's
 * va_list entry point. */
static struct MHD_Daemon *start_daemon(unsigned flags, bb_httpd *d, ...)
{
    va_list ap;
    va_start(ap, d);
    struct MHD_Daemon *daemon = fn.start_daemon_va(flags, 0, NULL, NULL, on_request, d, ap);
    va_end(ap);
    return daemon;
}

int bb_httpd_start(const bb_httpd_config *c, bb_httpd **out)
{
    *out = NULL;
    if (!bb_dynlib_ready(&library))
        return BB_ENOTFOUND;
    bb_httpd *d = bb_calloc(1, sizeof(*d));
    if (!d)
        return BB_ENOMEM;
    d->cfg = *c;
    if (bb_conns_start(c->header_timeout, c->body_timeout, &d->conns) != BB_OK) {
        bb_free(d);
        return BB_ENOMEM;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (c->addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    d->daemon = start_daemon(
        flags, d, MHD_OPTION_EXTERNAL_LOGGER, on_log, d, MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes,
        NULL, MHD_OPTION_SOCK_ADDR, c->addr, MHD_OPTION_THREAD_POOL_SIZE, c->threads,
        MHD_OPTION_CONNECTION_LIMIT, c->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        c->max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, c->timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->connection_memory, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, d, MHD_OPTION_NOTIFY_CONNECTION, on_connection, d,
        MHD_OPTION_URI_LOG_CALLBACK, on_request_line, d, MHD_OPTION_LISTEN_BACKLOG_SIZE, c->backlog,
        MHD_OPTION_END);
    if (!d->daemon) {
        bb_conns_stop(d->conns);
        bb_free(d);
        return BB_EIO;
    }
    const union MHD_DaemonInfo *di = fn.get_daemon_info(d->daemon, MHD_DAEMON_INFO_BIND_PORT);
    d->port = di ? di->port : 0;
    *out = d;
    return BB_OK;
}

unsigned bb_httpd_port(bb_httpd *d)
{
    return d->port;
}

void bb_httpd_quiesce(bb_httpd *d)
{
    if (d->quiesced)
        return;
    d->quiesced = true;
    /* The library no longer watches the socket, and leaves it to us:
     * closed now, a new connection is refused instead of waiting in the
     * backlog for a server that will never accept it. */
    MHD_socket fd = fn.quiesce_daemon(d->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

unsigned bb_httpd_close_idle(bb_httpd *d)
{
    return bb_conns_close_idle(d->conns);
}

void bb_httpd_stop(bb_httpd *d)
{
    if (!d)
        return;
    fn.stop_daemon(d->daemon);
    bb_conns_stop(d->conns);
    bb_free(d);
}

const char *bb_httpd_header(bb_httpd_conn *c, const char *name)
{
    return fn.lookup_connection_value(mhd(c), MHD_HEADER_KIND, name);
}

typedef struct header_walk {
    bb_httpd_header_fn visit;
    void *ctx;
} header_walk;

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *name,
                                 const char *value)
{
    (void)kind;
    header_walk *w = cls;
    return w->visit(w->ctx, name, value ? value : "") ? MHD_YES : MHD_NO;
}

void bb_httpd_each_header(bb_httpd_conn *c, bb_httpd_header_fn visit, void *ctx)
{
    header_walk w = {visit, ctx};
    fn.get_connection_values(mhd(c), MHD_HEADER_KIND, on_header, &w);
}

void bb_httpd_client_ip(bb_httpd_conn *c, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        fn.get_connection_info(mhd(c), MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "unknown");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)size);
}

void bb_httpd_suspend(bb_httpd_conn *c)
{
    fn.suspend_connection(mhd(c));
}

void bb_httpd_resume(bb_httpd_conn *c)
{
    fn.resume_connection(mhd(c));
}

bb_httpd_response *bb_httpd_response_new(void *body, size_t len, void (*free_body)(void *))
{
    struct MHD_Response *r = fn.response_with_free(len, body, free_body);
    if (!r && free_body)
        free_body(body);
    return (bb_httpd_response *)(void *)r;
}

bool bb_httpd_response_header(bb_httpd_response *r, const char *name, const char *value)
{
    return fn.add_response_header((struct MHD_Response *)(void *)r, name, value) == MHD_YES;
}

bool bb_httpd_respond(bb_httpd_conn *c, unsigned status, bb_httpd_response *r)
{
    bb_conn_enter(conn_of(mhd(c)), BB_CONN_BUSY);
    struct MHD_Response *resp = (struct MHD_Response *)(void *)r;
    enum MHD_Result ok = fn.queue_response(mhd(c), status, resp);
    fn.destroy_response(resp);
    return ok == MHD_YES;
}
