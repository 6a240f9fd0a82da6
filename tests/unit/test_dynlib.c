/*
 * test_dynlib.c - libcurl, libmicrohttpd and libcrypto through the
 * on-demand loader: a real transfer between the first two on a loopback
 * port, every argument type of the variadic functions, known digests,
 * loading from many threads at once, and the clean failure when a library
 * is missing.
 */
#include "testutil.h"

#include "base/dynlib.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
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
    int client_family;
} server_seen;

/* Answers "hello <X-Probe>" with an X-Reply header. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)url, (void)version, (void)upload_data, (void)upload_data_size;
    static int first_call_marker;
    if (!*req_cls) {
        *req_cls = &first_call_marker;
        return MHD_YES;
    }
    server_seen *seen = cls;
    if (strcmp(method, "GET") != 0)
        return MHD_NO;
    const char *probe = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Probe");
    snprintf(seen->probe, sizeof(seen->probe), "%s", probe ? probe : "");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    seen->client_family = ci && ci->client_addr ? ci->client_addr->sa_family : -1;

    char *body = malloc(96);
    if (!body)
        return MHD_NO;
    int len = snprintf(body, 96, "hello %s", seen->probe);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback((size_t)len, body, free);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "X-Reply", "yes");
    enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Starts a daemon on 127.0.0.1 at a port the system picks. */
static struct MHD_Daemon *start_loopback(server_seen *seen, unsigned *port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    /* Options of three argument types go through the variadic list. */
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL,
                         NULL, on_request, seen, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_END);
    assert_non_null(d);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(di);
    assert_true(di->port > 0);
    *port = di->port;
    return d;
}

static void stop_loopback(struct MHD_Daemon *d)
{
    MHD_socket fd = MHD_quiesce_daemon(d);
    assert_true(fd != MHD_INVALID_SOCKET);
    MHD_stop_daemon(d);
    close(fd);
}

/* ---- a transfer ------------------------------------------------------------ */

typedef struct received {
    char data[256];
    size_t len;
} received;

static size_t on_write(char *p, size_t size, size_t nmemb, void *userdata)
{
    received *r = userdata;
    size_t n = size * nmemb;
    if (n > sizeof(r->data) - 1 - r->len)
        return 0;
    memcpy(r->data + r->len, p, n);
    r->len += n;
    r->data[r->len] = '\0';
    return n;
}

static void a_curl_transfer_reaches_an_mhd_daemon_through_the_loader(void **state)
{
    (void)state;
    server_seen seen = {"", 0};
    unsigned port = 0;
    struct MHD_Daemon *d = start_loopback(&seen, &port);
    assert_int_equal(bb_dynlib_load(BB_DYNLIB_MHD), BB_OK);
    assert_string_equal(bb_dynlib_error(BB_DYNLIB_MHD), "");

    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    assert_int_equal(bb_dynlib_load(BB_DYNLIB_CURL), BB_OK);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/probe", port);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    struct curl_slist *headers = curl_slist_append(NULL, "X-Probe: loader");
    assert_non_null(headers);
    received got = {"", 0};
    static int private_marker;
    /* One option of each argument type. */
    assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEDATA, &got), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_PRIVATE, &private_marker), CURLE_OK);
    assert_int_equal(curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)4096), CURLE_OK);
    struct curl_blob blob = {(void *)"", 0, CURL_BLOB_COPY};
    CURLcode blob_rc = curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    assert_true(blob_rc == CURLE_OK || blob_rc == CURLE_NOT_BUILT_IN);

    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_string_equal(got.data, "hello loader");
    assert_string_equal(seen.probe, "loader");
    assert_int_equal(seen.client_family, AF_INET);

    /* One info of each result type. */
    long status = 0;
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status), CURLE_OK);
    assert_int_equal(status, 200);
    char *effective = NULL;
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective), CURLE_OK);
    assert_string_equal(effective, url);
    char *priv = NULL;
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv), CURLE_OK);
    assert_ptr_equal(priv, (char *)&private_marker);
    double total = -1;
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &total), CURLE_OK);
    assert_true(total >= 0);
    curl_off_t length = -1;
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length), CURLE_OK);
    assert_int_equal(length, (curl_off_t)strlen("hello loader"));
    curl_socket_t sock = 0;
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &sock), CURLE_OK);
    struct curl_slist *engines = NULL;
    assert_int_equal(curl_easy_getinfo(h, CURLINFO_SSL_ENGINES, &engines), CURLE_OK);
    curl_slist_free_all(engines);

    struct curl_header *hd = NULL;
    assert_int_equal(curl_easy_header(h, "X-Reply", 0, CURLH_HEADER, -1, &hd), CURLHE_OK);
    assert_non_null(hd);
    assert_string_equal(hd->value, "yes");
    assert_non_null(strstr(curl_easy_strerror(CURLE_COULDNT_CONNECT), "connect"));

    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    stop_loopback(d);
}

static void the_url_parser_works_through_the_loader(void **state)
{
    (void)state;
    CURLU *u = curl_url();
    assert_non_null(u);
    assert_int_equal(curl_url_set(u, CURLUPART_URL, "http://localhost:11434/v1", 0), CURLUE_OK);
    char *host = NULL;
    assert_int_equal(curl_url_get(u, CURLUPART_HOST, &host, 0), CURLUE_OK);
    assert_string_equal(host, "localhost");
    curl_free(host);
    curl_url_cleanup(u);
}

/* ---- libcrypto ------------------------------------------------------------- */

static void hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void openssl_digests_work_through_the_loader(void **state)
{
    (void)state;
    static const char abc_sha256[] =
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    unsigned char md[EVP_MAX_MD_SIZE];
    char text[2 * EVP_MAX_MD_SIZE + 1];
    assert_ptr_equal(SHA256((const unsigned char *)"abc", 3, md), md);
    hex(md, 32, text);
    assert_string_equal(text, abc_sha256);

    unsigned int n = 0;
    memset(md, 0, sizeof(md));
    assert_int_equal(EVP_Digest("abc", 3, md, &n, EVP_sha256(), NULL), 1);
    assert_int_equal(n, 32);
    hex(md, n, text);
    assert_string_equal(text, abc_sha256);

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, "a", 1), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, "bc", 2), 1);
    assert_int_equal(EVP_DigestFinal_ex(ctx, md, &n), 1);
    EVP_MD_CTX_free(ctx);
    hex(md, n, text);
    assert_string_equal(text, abc_sha256);

    const char *msg = "The quick brown fox jumps over the lazy dog";
    assert_non_null(HMAC(EVP_sha256(), "key", 3, (const unsigned char *)msg, strlen(msg), md, &n));
    hex(md, n, text);
    assert_string_equal(text, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");

    unsigned char r[16] = {0};
    assert_int_equal(RAND_bytes(r, sizeof(r)), 1);
    assert_int_equal(CRYPTO_memcmp("same", "same", 4), 0);
    assert_int_not_equal(CRYPTO_memcmp("same", "sane", 4), 0);
    char secret[8] = "hunter2";
    OPENSSL_cleanse(secret, sizeof(secret));
    assert_int_equal(CRYPTO_memcmp(secret, "\0\0\0\0\0\0\0\0", 8), 0);
}

static void a_missing_libcrypto_fails_closed_naming_its_package(void **state)
{
    (void)state;
    bb_dynlib__set_soname(BB_DYNLIB_CRYPTO, "libcrypto-absent.so.3");
    captured c;
    capture_begin(&c);
    unsigned char md[SHA256_DIGEST_LENGTH];
    memset(md, 0xaa, sizeof(md));
    assert_null(SHA256((const unsigned char *)"abc", 3, md));
    static const unsigned char zeros[SHA256_DIGEST_LENGTH];
    assert_memory_equal(md, zeros, sizeof(md)); /* defined bytes for callers that do not check */
    assert_null(EVP_sha256());
    unsigned int n = 0;
    assert_int_equal(EVP_Digest("abc", 3, md, &n, NULL, NULL), 0);
    assert_null(EVP_MD_CTX_new());
    EVP_MD_CTX_free(NULL);
    assert_null(HMAC(NULL, "k", 1, md, 1, md, &n));
    assert_int_equal(RAND_bytes(md, 4), 0);
    /* Comparisons fail closed: equal secrets do not match. */
    assert_int_not_equal(CRYPTO_memcmp("same", "same", 4), 0);
    char secret[8] = "hunter2";
    OPENSSL_cleanse(secret, sizeof(secret)); /* wiped all the same */
    assert_memory_equal(secret, zeros, sizeof(secret));
    char *err = capture_end(&c);

    const char *why = bb_dynlib_error(BB_DYNLIB_CRYPTO);
    assert_non_null(strstr(why, "libcrypto-absent.so.3"));
    assert_non_null(strstr(why, "install the Debian package libssl3"));
    assert_int_equal(count_lines(err), 1);
    free(err);

    bb_dynlib__set_soname(BB_DYNLIB_CRYPTO, NULL);
    assert_int_equal(bb_dynlib_load(BB_DYNLIB_CRYPTO), BB_OK);
}

/* ---- loading from many threads --------------------------------------------- */

static void *use_curl(void *arg)
{
    (void)arg;
    CURL *h = curl_easy_init();
    if (h)
        curl_easy_cleanup(h);
    return h ? arg : NULL;
}

static void threads_racing_to_the_first_use_all_get_the_library(void **state)
{
    (void)state;
    bb_dynlib__set_soname(BB_DYNLIB_CURL, NULL); /* forget the load: the race is on */
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
    bb_dynlib__set_soname(BB_DYNLIB_CURL, "libcurl-absent.so.4");
    captured c;
    capture_begin(&c);
    assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_FAILED_INIT);
    assert_null(curl_easy_init());
    assert_int_equal(curl_easy_perform(NULL), CURLE_FAILED_INIT);
    assert_int_equal(curl_easy_setopt(NULL, CURLOPT_URL, "http://127.0.0.1/"), CURLE_FAILED_INIT);
    long status = 0;
    assert_int_equal(curl_easy_getinfo(NULL, CURLINFO_RESPONSE_CODE, &status), CURLE_FAILED_INIT);
    assert_null(curl_slist_append(NULL, "X-A: b"));
    assert_null(curl_url());
    assert_int_equal(curl_url_set(NULL, CURLUPART_URL, "http://x/", 0), CURLUE_BAD_HANDLE);
    curl_easy_cleanup(NULL);
    curl_slist_free_all(NULL);
    curl_url_cleanup(NULL);
    curl_free(NULL);
    assert_int_equal(bb_dynlib_load(BB_DYNLIB_CURL), BB_ENOTFOUND);
    char *err = capture_end(&c);

    const char *why = bb_dynlib_error(BB_DYNLIB_CURL);
    assert_non_null(strstr(why, "libcurl-absent.so.4"));
    assert_non_null(strstr(why, "install the Debian package libcurl4"));
    assert_string_equal(curl_easy_strerror(CURLE_FAILED_INIT), why);
    /* Said once, however many calls failed. */
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, why));
    free(err);

    bb_dynlib__set_soname(BB_DYNLIB_CURL, NULL);
    assert_int_equal(bb_dynlib_load(BB_DYNLIB_CURL), BB_OK);
    assert_string_equal(bb_dynlib_error(BB_DYNLIB_CURL), "");
}

static void a_missing_libmicrohttpd_fails_cleanly_naming_its_package(void **state)
{
    (void)state;
    bb_dynlib__set_soname(BB_DYNLIB_MHD, "libmicrohttpd-absent.so.12");
    captured c;
    capture_begin(&c);
    assert_null(MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, NULL,
                                 MHD_OPTION_END));
    assert_null(MHD_get_daemon_info(NULL, MHD_DAEMON_INFO_BIND_PORT));
    assert_true(MHD_quiesce_daemon(NULL) == MHD_INVALID_SOCKET);
    assert_null(MHD_create_response_from_buffer_with_free_callback(0, NULL, NULL));
    assert_int_equal(MHD_add_response_header(NULL, "A", "b"), MHD_NO);
    assert_int_equal(MHD_queue_response(NULL, 200, NULL), MHD_NO);
    MHD_destroy_response(NULL);
    MHD_stop_daemon(NULL);
    char *err = capture_end(&c);

    const char *why = bb_dynlib_error(BB_DYNLIB_MHD);
    assert_non_null(strstr(why, "libmicrohttpd-absent.so.12"));
    assert_non_null(strstr(why, "install the Debian package libmicrohttpd12"));
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, why));
    free(err);

    bb_dynlib__set_soname(BB_DYNLIB_MHD, NULL);
    assert_int_equal(bb_dynlib_load(BB_DYNLIB_MHD), BB_OK);
}

static void a_library_without_the_functions_is_refused_by_name(void **state)
{
    (void)state;
    /* libz is loaded already (we link it) and has no curl functions. */
    bb_dynlib__set_soname(BB_DYNLIB_CURL, "libz.so.1");
    captured c;
    capture_begin(&c);
    assert_null(curl_easy_init());
    char *err = capture_end(&c);
    assert_non_null(strstr(bb_dynlib_error(BB_DYNLIB_CURL), "libz.so.1 has no function curl_"));
    assert_int_equal(count_lines(err), 1);
    free(err);

    bb_dynlib__set_soname(BB_DYNLIB_CURL, NULL);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_cleanup(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_missing_libcurl_fails_cleanly_naming_its_package),
        cmocka_unit_test(a_missing_libmicrohttpd_fails_cleanly_naming_its_package),
        cmocka_unit_test(a_library_without_the_functions_is_refused_by_name),
        cmocka_unit_test(a_missing_libcrypto_fails_closed_naming_its_package),
        cmocka_unit_test(openssl_digests_work_through_the_loader),
        cmocka_unit_test(a_curl_transfer_reaches_an_mhd_daemon_through_the_loader),
        cmocka_unit_test(the_url_parser_works_through_the_loader),
        cmocka_unit_test(threads_racing_to_the_first_use_all_get_the_library),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
