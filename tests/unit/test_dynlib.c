/*
 * test_dynlib.c - libcurl and libmicrohttpd loaded on first use, behind
 * base/http.h and server/httpd.h: a real POST between the two on a
 * loopback port, the headers a client reads, the response cap, loading
 * from many threads at once, and the clean failure, said once, when a
 * library is missing or lacks a function.
 */
#include "testutil.h"

#include "base/dynlib.h"
#include "base/http.h"
#include "llm/llm_url.h"
#include "server/httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- capturing stderr ------------------------------------------------------ */

typedef struct captured {
    int saved_fd;
    FILE *file;
} captured;

static void capture_begin(captured *c)
{
    fflush(stderr);
    c->file = tmpfile();
    assert_non_null(c->file);
    c->saved_fd = dup(2);
    assert_true(c->saved_fd >= 0);
    assert_true(dup2(fileno(c->file), 2) >= 0);
}

/* Restores stderr; returns what was written meanwhile (free()). */
static char *capture_end(captured *c)
{
    fflush(stderr);
    assert_true(dup2(c->saved_fd, 2) >= 0);
    close(c->saved_fd);
    long n = ftell(c->file);
    assert_true(n >= 0);
    char *text = calloc((size_t)n + 1, 1);
    assert_non_null(text);
    rewind(c->file);
    assert_int_equal(fread(text, 1, (size_t)n, c->file), (size_t)n);
    fclose(c->file);
    return text;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---- a loopback server ----------------------------------------------------- */

typedef struct server_seen {
    char probe[64];
    char body[256];
    size_t body_len;
    size_t answer_len; /* bytes of 'x' after "hello " */
} server_seen;

/* Answers "hello <X-Probe>" (and answer_len more bytes), with a request id
 * and a Retry-After. */
static bool on_request(void *ctx, bb_httpd_conn *c, const char *url, const char *method,
                       const char *version, const char *upload, size_t *upload_size, void **req)
{
    (void)url, (void)method, (void)version;
    server_seen *seen = ctx;
    if (!*req) {
        *req = seen;
        seen->body_len = 0;
        return true;
    }
    if (*upload_size) {
        size_t room = sizeof(seen->body) - 1 - seen->body_len;
        size_t n = *upload_size < room ? *upload_size : room;
        memcpy(seen->body + seen->body_len, upload, n);
        seen->body_len += n;
        seen->body[seen->body_len] = '\0';
        *upload_size = 0;
        return true;
    }
    const char *probe = bb_httpd_header(c, "X-Probe");
    snprintf(seen->probe, sizeof(seen->probe), "%s", probe ? probe : "");
    size_t cap = 96 + seen->answer_len;
    char *body = malloc(cap);
    if (!body)
        return false;
    int len = snprintf(body, cap, "hello %s", seen->probe);
    memset(body + len, 'x', seen->answer_len);
    bb_httpd_response *resp = bb_httpd_response_new(body, (size_t)len + seen->answer_len, free);
    if (!resp)
        return false;
    bb_httpd_response_header(resp, "X-Request-ID", "req-42");
    bb_httpd_response_header(resp, "Retry-After", "7");
    return bb_httpd_respond(c, 200, resp);
}

static void on_completed(void *ctx, void *req, bb_httpd_end end)
{
    (void)ctx, (void)req, (void)end;
}

/* Starts a daemon on 127.0.0.1 at a port the system picks. */
static bb_httpd *start_loopback(server_seen *seen)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bb_httpd_config c = {
        .addr = (const struct sockaddr *)&sa,
        .threads = 1,
        .max_connections = 16,
        .max_per_ip = 16,
        .timeout = 10,
        .connection_memory = 65536,
        .backlog = 16,
        .on_request = on_request,
        .on_completed = on_completed,
        .ctx = seen,
    };
    bb_httpd *d = NULL;
    assert_int_equal(bb_httpd_start(&c, &d), BB_OK);
    assert_true(bb_httpd_port(d) > 0);
    return d;
}

/* ---- a transfer ------------------------------------------------------------ */

typedef struct received {
    char data[256];
    size_t len;
} received;

static bool on_data(void *ctx, const char *p, size_t n)
{
    received *r = ctx;
    if (n > sizeof(r->data) - 1 - r->len)
        return false;
    memcpy(r->data + r->len, p, n);
    r->len += n;
    r->data[r->len] = '\0';
    return true;
}

static void post(bb_httpd *d, size_t max_response, received *got, bb_http_response *out)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/probe", bb_httpd_port(d));
    bb_http_headers *headers = NULL;
    assert_int_equal(bb_http_headers_add(&headers, "X-Probe: loader"), BB_OK);
    assert_int_equal(bb_http_headers_add(&headers, "Content-Type: text/plain"), BB_OK);
    memset(got, 0, sizeof(*got));
    bb_http_request rq = {
        .url = url,
        .protocols = "http",
        .headers = headers,
        .body = "ping",
        .len = 4,
        .connect_timeout_ms = 10000,
        .timeout_ms = 10000,
        .max_response_bytes = max_response,
        .user_agent = "backbone-test",
        .on_data = on_data,
        .ctx = got,
    };
    bb_http_post(&rq, out);
    bb_http_headers_free(headers);
}

static void a_post_reaches_a_daemon_through_both_loaders(void **state)
{
    (void)state;
    server_seen seen = {0};
    bb_httpd *d = start_loopback(&seen);
    received got;
    bb_http_response out;
    post(d, 4096, &got, &out);
    assert_int_equal(out.outcome, BB_HTTP_OK);
    assert_string_equal(out.error, "");
    assert_int_equal(out.status, 200);
    assert_string_equal(got.data, "hello loader");
    assert_string_equal(seen.probe, "loader");
    assert_string_equal(seen.body, "ping");
    assert_string_equal(out.request_id, "req-42");
    assert_int_equal(out.retry_after_ms, 7000);
    bb_httpd_quiesce(d);
    bb_httpd_stop(d);
}

static void a_response_over_its_cap_is_cut_short(void **state)
{
    (void)state;
    server_seen seen = {.answer_len = 10000};
    bb_httpd *d = start_loopback(&seen);
    received got;
    bb_http_response out;
    post(d, 1000, &got, &out);
    assert_int_equal(out.outcome, BB_HTTP_TOO_LARGE);
    assert_true(out.error[0] != '\0');
    /* Over what the receiver takes: it stops the transfer itself. */
    post(d, 0, &got, &out);
    assert_int_equal(out.outcome, BB_HTTP_STOPPED);
    bb_httpd_stop(d);
}

/* Base URLs are read by llm/llm_url, which needs no library loaded. */
static void the_url_host_is_read_without_libcurl(void **state)
{
    (void)state;
    char host[64];
    assert_true(bb_llm_url_host("http://localhost:11434/v1", host, sizeof(host)));
    assert_string_equal(host, "localhost");
    assert_true(bb_llm_url_host("http://[::1]:8080/", host, sizeof(host)));
    assert_string_equal(host, "[::1]");
    assert_false(bb_llm_url_host("http://", host, sizeof(host)));
}

/* ---- loading from many threads --------------------------------------------- */

static void *use_curl(void *arg)
{
    bb_http_headers *h = NULL;
    int rc = bb_http_headers_add(&h, "X-A: b");
    bb_http_headers_free(h);
    return rc == BB_OK ? arg : NULL;
}

static void threads_racing_to_the_first_use_all_get_the_library(void **state)
{
    (void)state;
    bb_dynlib__set_soname(bb_http_library(), NULL); /* forget the load: the race is on */
    enum { N = 8 };
    pthread_t t[N];
    static int token;
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, use_curl, &token), 0);
    for (int i = 0; i < N; i++) {
        void *r = NULL;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_ptr_equal(r, &token);
    }
}

/* ---- a missing library ----------------------------------------------------- */

static void a_missing_libcurl_fails_cleanly_naming_its_package(void **state)
{
    (void)state;
    bb_dynlib *lib = bb_http_library();
    bb_dynlib__set_soname(lib, "libcurl-absent.so.4");
    captured c;
    capture_begin(&c);
    bb_http_headers *headers = NULL;
    assert_int_equal(bb_http_headers_add(&headers, "X-A: b"), BB_ENOTFOUND);
    assert_null(headers);
    bb_http_headers_free(NULL);
    assert_int_equal(bb_http_headers_add(&headers, "X-C: d"), BB_ENOTFOUND);
    bb_http_request rq = {.url = "http://127.0.0.1:9/", .protocols = "http"};
    bb_http_response out;
    bb_http_post(&rq, &out);
    assert_int_equal(out.outcome, BB_HTTP_FAILED);
    assert_int_equal(out.status, 0);
    assert_false(bb_dynlib_ready(lib));
    char *err = capture_end(&c);

    const char *why = bb_dynlib_error(lib);
    assert_non_null(strstr(why, "libcurl-absent.so.4"));
    assert_non_null(strstr(why, "install the Debian package libcurl4"));
    assert_string_equal(out.error, why);
    /* Said once, however many calls failed. */
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, why));
    free(err);

    bb_dynlib__set_soname(lib, NULL);
    assert_true(bb_dynlib_ready(lib));
    assert_string_equal(bb_dynlib_error(lib), "");
}

static void a_missing_libmicrohttpd_fails_cleanly_naming_its_package(void **state)
{
    (void)state;
    bb_dynlib *lib = bb_httpd_library();
    bb_dynlib__set_soname(lib, "libmicrohttpd-absent.so.12");
    captured c;
    capture_begin(&c);
    server_seen seen = {0};
    struct sockaddr_in sa = {.sin_family = AF_INET};
    bb_httpd_config cfg = {.addr = (const struct sockaddr *)&sa,
                           .on_request = on_request,
                           .on_completed = on_completed,
                           .ctx = &seen};
    bb_httpd *d = NULL;
    assert_int_equal(bb_httpd_start(&cfg, &d), BB_ENOTFOUND);
    assert_int_equal(bb_httpd_start(&cfg, &d), BB_ENOTFOUND);
    assert_null(d);
    bb_httpd_stop(NULL);
    char *err = capture_end(&c);

    const char *why = bb_dynlib_error(lib);
    assert_non_null(strstr(why, "libmicrohttpd-absent.so.12"));
    assert_non_null(strstr(why, "install the Debian package libmicrohttpd12"));
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, why));
    free(err);

    bb_dynlib__set_soname(lib, NULL);
    assert_true(bb_dynlib_ready(lib));
}

static void a_library_without_the_functions_is_refused_by_name(void **state)
{
    (void)state;
    bb_dynlib *lib = bb_http_library();
    /* libz is loaded already (we link it) and has no curl functions. */
    bb_dynlib__set_soname(lib, "libz.so.1");
    captured c;
    capture_begin(&c);
    bb_http_headers *h = NULL;
    assert_int_equal(bb_http_headers_add(&h, "X-A: b"), BB_ENOTFOUND);
    char *err = capture_end(&c);
    assert_non_null(strstr(bb_dynlib_error(lib), "libz.so.1 has no function curl_"));
    assert_int_equal(count_lines(err), 1);
    free(err);

    bb_dynlib__set_soname(lib, NULL);
    assert_int_equal(bb_http_headers_add(&h, "X-A: b"), BB_OK);
    bb_http_headers_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_missing_libcurl_fails_cleanly_naming_its_package),
        cmocka_unit_test(a_missing_libmicrohttpd_fails_cleanly_naming_its_package),
        cmocka_unit_test(a_library_without_the_functions_is_refused_by_name),
        cmocka_unit_test(a_post_reaches_a_daemon_through_both_loaders),
        cmocka_unit_test(a_response_over_its_cap_is_cut_short),
        cmocka_unit_test(the_url_host_is_read_without_libcurl),
        cmocka_unit_test(threads_racing_to_the_first_use_all_get_the_library),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
