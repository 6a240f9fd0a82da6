/* test_redis.c - redis:// URLs, and the Redis client's failures: refused,
 * silent and erring servers, the back-off, scripts a server forgot. */
#include "testutil.h"

#include "base/clock.h"
#include "server/redis.h"
#include "server/redis_rate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- URLs --------------------------------------------------------------- */

static void full_url_is_parsed(void **state)
{
    (void)state;
    bb_redis_url u;
    assert_int_equal(bb_redis_url_parse("redis://ci:s%40cret@cache.local:6380/4", &u, NULL), BB_OK);
    assert_string_equal(u.user, "ci");
    assert_string_equal(u.password, "s@cret");
    assert_string_equal(u.host, "cache.local");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 4);
}

static void defaults_and_password_only(void **state)
{
    (void)state;
    bb_redis_url u;
    assert_int_equal(bb_redis_url_parse("redis://localhost", &u, NULL), BB_OK);
    assert_string_equal(u.host, "localhost");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_string_equal(u.user, "");
    assert_int_equal(bb_redis_url_parse("REDIS://:pw@[::1]:7000/", &u, NULL), BB_OK);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 7000);
    assert_string_equal(u.password, "pw");
    assert_string_equal(u.user, "");
}

static void bad_urls_are_refused_without_quoting_the_password(void **state)
{
    (void)state;
    const char *bad[] = {
        "http://h",     "rediss://h",      "redis://",
        "redis://h:0",  "redis://h:99999", "redis://h:x",
        "redis://h/x",  "redis://u@h",     "redis://u:%zz@h",
        "redis://[::1", "redis://[::1]x",  "redis://h/99999999999",
        NULL,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bb_buf err;
        bb_buf_init(&err, 1024);
        bb_redis_url u;
        assert_int_equal(bb_redis_url_parse(bad[i], &u, &err), BB_EUSAGE);
        assert_non_null(strstr(bb_buf_str(&err), "redis://"));
        bb_buf_free(&err);
    }
    bb_buf err;
    bb_buf_init(&err, 1024);
    bb_redis_url u;
    assert_int_equal(bb_redis_url_parse("redis://u:topsecret@h:bad", &u, &err), BB_EUSAGE);
    assert_null(strstr(bb_buf_str(&err), "topsecret"));
    bb_buf_free(&err);
}

static void redacted_url_hides_the_password(void **state)
{
    (void)state;
    bb_redis_url u;
    char out[400];
    assert_int_equal(bb_redis_url_parse("redis://ci:topsecret@10.0.0.1:6380/2", &u, NULL), BB_OK);
    bb_redis_url_redacted(&u, out, sizeof(out));
    assert_string_equal(out, "redis://ci:***@10.0.0.1:6380/2");
    assert_int_equal(bb_redis_url_parse("redis://[::1]", &u, NULL), BB_OK);
    bb_redis_url_redacted(&u, out, sizeof(out));
    assert_string_equal(out, "redis://[::1]:6379/0");
    /* What could break a log line is encoded. */
    assert_int_equal(bb_redis_url_parse("redis://a%22b:pw@h", &u, NULL), BB_OK);
    bb_redis_url_redacted(&u, out, sizeof(out));
    assert_string_equal(out, "redis://a%22b:***@h:6379/0");
}

/* ---- a scripted server ---------------------------------------------------- */

/* Listens on a free loopback port; answers each command it reads with the
 * next of its replies (RESP text), or stays silent when replies is NULL.
 * The first word of each command is kept in seen. */
typedef struct fake {
    int fd;
    unsigned port;
    const char *const *replies;
    pthread_t thread;
    char seen[512];
} fake;

static int listen_any(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

/* The command's name: the first bulk string of a RESP array. */
static void note_command(fake *f, const char *req, size_t n)
{
    const char *p = memchr(req, '\n', n);
    p = p ? memchr(p + 1, '\n', n - (size_t)(p + 1 - req)) : NULL;
    if (!p)
        return;
    const char *end = memchr(p + 1, '\r', n - (size_t)(p + 1 - req));
    size_t used = strlen(f->seen);
    if (end && used + (size_t)(end - p) + 2 < sizeof(f->seen))
        snprintf(f->seen + used, sizeof(f->seen) - used, "%.*s ", (int)(end - p - 1), p + 1);
}

/* Serves the replies in order, over as many connections as it takes: the
 * reply "CLOSE" closes the connection instead of answering; "HANGUP"
 * closes it without waiting for a command, as a restarted server does. */
static void *fake_main(void *p)
{
    fake *f = p;
    size_t i = 0;
    for (;;) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        if (!f->replies) {
            struct timespec t = {1, 0};
            nanosleep(&t, NULL);
            close(c);
            return NULL;
        }
        char req[4096];
        for (; f->replies[i]; i++) {
            if (strcmp(f->replies[i], "HANGUP") == 0) {
                i++;
                break;
            }
            ssize_t n = read(c, req, sizeof(req));
            if (n <= 0)
                break;
            note_command(f, req, (size_t)n);
            if (strcmp(f->replies[i], "CLOSE") == 0) {
                i++;
                break;
            }
            if (write(c, f->replies[i], strlen(f->replies[i])) < 0)
                break;
        }
        close(c);
        if (!f->replies[i])
            return NULL;
    }
}

static void fake_start(fake *f, const char *const *replies)
{
    memset(f, 0, sizeof(*f));
    f->replies = replies;
    f->fd = listen_any(&f->port);
    pthread_create(&f->thread, NULL, fake_main, f);
}

static void fake_stop(fake *f)
{
    shutdown(f->fd, SHUT_RDWR);
    pthread_join(f->thread, NULL);
    close(f->fd);
}

/* The outages' starts and ends every client reports. */
static int outages_begun, outages_ended;

static void count_changes(void *ctx, bool up, const char *why)
{
    (void)ctx;
    if (up)
        outages_ended++;
    else if (why && why[0])
        outages_begun++;
}

static bb_redis *client_of(const char *url_text, unsigned timeout_ms)
{
    bb_redis_url u;
    assert_int_equal(bb_redis_url_parse(url_text, &u, NULL), BB_OK);
    bb_redis_opts o = {.timeout_ms = timeout_ms, .on_change = count_changes};
    bb_redis *r = bb_redis_new(&u, &o, NULL);
    assert_non_null(r);
    return r;
}

static bb_redis *client_on(unsigned port, const char *userinfo, unsigned timeout_ms)
{
    char url[128];
    snprintf(url, sizeof(url), "redis://%s127.0.0.1:%u", userinfo, port);
    return client_of(url, timeout_ms);
}

/* ---- the client's failures ---------------------------------------------- */

static void refused_connection_is_enet_then_backs_off(void **state)
{
    (void)state;
    unsigned port;
    close(listen_any(&port)); /* nobody listens there now */
    bb_redis *r = client_on(port, "", 200);
    bb_redis_reply rep;
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL), BB_ENET);
    char why[200];
    assert_false(bb_redis_healthy(r, why, sizeof(why)));
    assert_non_null(strstr(why, "cannot connect"));
    assert_int_equal(bb_redis_failures(r), 1);
    /* During the back-off no attempt is made. */
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL), BB_ENET);
    assert_int_equal(bb_redis_failures(r), 1);
    bb_redis_free(r);
}

static void silent_server_times_out_within_the_timeout(void **state)
{
    (void)state;
    fake f;
    fake_start(&f, NULL);
    bb_redis *r = client_on(f.port, "", 100);
    double t0 = bb_clock_seconds();
    bb_redis_reply rep;
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL), BB_ETIMEOUT);
    assert_true(bb_clock_seconds() - t0 < 0.6);
    char why[200];
    assert_false(bb_redis_healthy(r, why, sizeof(why)));
    assert_non_null(strstr(why, "timed out"));
    bb_redis_free(r);
    fake_stop(&f);
}

static void passed_deadline_fails_without_a_connection(void **state)
{
    (void)state;
    bb_redis *r = client_on(1, "", 100);
    bb_redis_reply rep;
    assert_int_equal(bb_redis_cmd(r, bb_clock_seconds() - 1, &rep, "PING", (const char *)NULL),
                     BB_ETIMEOUT);
    assert_true(bb_redis_healthy(r, NULL, 0));
    assert_int_equal(bb_redis_failures(r), 0);
    bb_redis_free(r);
}

static void error_reply_is_estate_with_its_message(void **state)
{
    (void)state;
    static const char *const replies[] = {"-ERR boom\r\n", "$2\r\nhi\r\n", NULL};
    fake f;
    fake_start(&f, replies);
    bb_redis *r = client_on(f.port, "", 500);
    bb_redis_reply rep;
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "GET", "k", (const char *)NULL), BB_ESTATE);
    assert_int_equal(rep.type, BB_REDIS_ERROR);
    assert_string_equal(rep.str, "ERR boom");
    bb_redis_reply_free(&rep);
    /* An error answer is no outage: the connection is kept and reused. */
    assert_true(bb_redis_healthy(r, NULL, 0));
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "GET", "k", (const char *)NULL), BB_OK);
    assert_string_equal(bb_redis_reply_str(&rep), "hi");
    bb_redis_reply_free(&rep);
    bb_redis_free(r);
    fake_stop(&f);
}

static void refused_login_is_an_outage_naming_no_password(void **state)
{
    (void)state;
    static const char *const replies[] = {"-WRONGPASS invalid username-password pair\r\n", NULL};
    fake f;
    fake_start(&f, replies);
    bb_redis *r = client_on(f.port, "ci:topsecret@", 500);
    bb_redis_reply rep;
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL), BB_ENET);
    char why[200];
    assert_false(bb_redis_healthy(r, why, sizeof(why)));
    assert_non_null(strstr(why, "AUTH refused"));
    assert_null(strstr(why, "topsecret"));
    bb_redis_free(r);
    fake_stop(&f);
    assert_string_equal(f.seen, "AUTH ");
}

static void forgotten_script_is_sent_whole(void **state)
{
    (void)state;
    static const char *const replies[] = {
        "$40\r\n0123456789012345678901234567890123456789\r\n",
        "-NOSCRIPT No matching script.\r\n",
        ":7\r\n",
        NULL,
    };
    fake f;
    fake_start(&f, replies);
    bb_redis *r = client_on(f.port, "", 500);
    bb_redis_script s = {.source = "return 7"};
    const char *keys[] = {"k"};
    bb_redis_reply rep;
    assert_int_equal(bb_redis_eval(r, 0, &s, &rep, 1, keys, 0, NULL, NULL), BB_OK);
    assert_int_equal(rep.type, BB_REDIS_INT);
    assert_int_equal(rep.integer, 7);
    assert_string_equal(f.seen, "SCRIPT EVALSHA EVAL ");
    bb_redis_reply_free(&rep);
    bb_redis_free(r);
    fake_stop(&f);
}

/* A client whose server answered one PING, then closed the connection
 * on the second: an outage has begun. The server answers one more. */
static bb_redis *client_after_a_lost_connection(fake *f)
{
    static const char *const replies[] = {"+PONG\r\n", "CLOSE", "+PONG\r\n", NULL};
    fake_start(f, replies);
    bb_redis *r = client_on(f->port, "", 300);
    bb_redis_reply rep;
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL), BB_OK);
    bb_redis_reply_free(&rep);
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL), BB_ENET);
    return r;
}

static void lost_connection_recovers_after_the_back_off(void **state)
{
    (void)state;
    outages_begun = outages_ended = 0;
    fake f;
    bb_redis *r = client_after_a_lost_connection(&f);
    bb_redis_reply rep;
    assert_false(bb_redis_healthy(r, NULL, 0));
    /* Within the back-off (100 ms at first): no attempt. */
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL), BB_ENET);
    assert_int_equal(bb_redis_failures(r), 1);
    struct timespec t = {0, 150 * 1000 * 1000};
    nanosleep(&t, NULL);
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL), BB_OK);
    assert_string_equal(bb_redis_reply_str(&rep), "PONG");
    bb_redis_reply_free(&rep);
    assert_true(bb_redis_healthy(r, NULL, 0));
    /* One outage: told once when it began, though two commands failed. */
    assert_int_equal(outages_begun, 1);
    assert_int_equal(outages_ended, 1);
    bb_redis_free(r);
    fake_stop(&f);
}

static void connection_the_server_closed_is_not_used(void **state)
{
    (void)state;
    static const char *const replies[] = {"+PONG\r\n", "HANGUP", "+PONG\r\n", NULL};
    fake f;
    fake_start(&f, replies);
    bb_redis *r = client_on(f.port, "", 300);
    bb_redis_reply rep;
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL), BB_OK);
    bb_redis_reply_free(&rep);
    struct timespec t = {0, 50 * 1000 * 1000}; /* the hang-up reaches us */
    nanosleep(&t, NULL);
    /* The pooled connection is seen closed and a new one is made: no
     * request fails for it and no outage begins. */
    assert_int_equal(bb_redis_cmd(r, 0, &rep, "PING", (const char *)NULL), BB_OK);
    assert_string_equal(bb_redis_reply_str(&rep), "PONG");
    bb_redis_reply_free(&rep);
    assert_int_equal(bb_redis_failures(r), 0);
    bb_redis_free(r);
    fake_stop(&f);
    assert_string_equal(f.seen, "PING PING ");
}

static void readiness_probe_retries_after_the_back_off(void **state)
{
    (void)state;
    fake f;
    bb_redis *r = client_after_a_lost_connection(&f);
    assert_false(bb_redis_healthy(r, NULL, 0)); /* within the back-off: no probe */
    assert_int_equal(bb_redis_failures(r), 1);
    struct timespec t = {0, 150 * 1000 * 1000};
    nanosleep(&t, NULL);
    assert_true(bb_redis_healthy(r, NULL, 0)); /* past it: the probe pings */
    bb_redis_free(r);
    fake_stop(&f);
    assert_string_equal(f.seen, "PING PING PING ");
}

/* ---- rate limits with leases -------------------------------------------- */

static void leased_requests_pass_without_a_call_and_a_refusal_is_kept(void **state)
{
    (void)state;
    static const char *const replies[] = {
        "$40\r\n0123456789012345678901234567890123456789\r\n", /* SCRIPT LOAD */
        "*3\r\n:3\r\n:10\r\n:30\r\n",  /* 3 granted, 10 counted before, 30 s left */
        "*3\r\n:0\r\n:100\r\n:29\r\n", /* refused: 100 of 100 counted */
        NULL,
    };
    fake f;
    fake_start(&f, replies);
    bb_redis *r = client_on(f.port, "", 500);
    bb_redis_rate *rr = bb_redis_rate_new(r, 8);
    assert_non_null(rr);
    bb_rate_rule rule = {"validate", 100, 60};
    bb_rate_result out;
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(bb_redis_rate_hit(rr, "key:a", &rule, 1, 0, &out), BB_OK);
        assert_true(out.allowed);
        assert_int_equal(out.remaining, 100 - 10 - i - 1);
    }
    assert_int_equal(bb_redis_rate_calls(rr), 1);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(bb_redis_rate_hit(rr, "key:a", &rule, 1, 0, &out), BB_OK);
        assert_false(out.allowed);
        assert_true(out.retry_after >= 1 && out.retry_after <= 29);
    }
    assert_int_equal(bb_redis_rate_calls(rr), 2); /* the second refusal asked nobody */
    bb_redis_rate_free(rr);
    bb_redis_free(r);
    fake_stop(&f);
    assert_string_equal(f.seen, "SCRIPT EVALSHA EVALSHA ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_url_is_parsed),
        cmocka_unit_test(defaults_and_password_only),
        cmocka_unit_test(bad_urls_are_refused_without_quoting_the_password),
        cmocka_unit_test(redacted_url_hides_the_password),
        cmocka_unit_test(refused_connection_is_enet_then_backs_off),
        cmocka_unit_test(silent_server_times_out_within_the_timeout),
        cmocka_unit_test(passed_deadline_fails_without_a_connection),
        cmocka_unit_test(error_reply_is_estate_with_its_message),
        cmocka_unit_test(refused_login_is_an_outage_naming_no_password),
        cmocka_unit_test(forgotten_script_is_sent_whole),
        cmocka_unit_test(lost_connection_recovers_after_the_back_off),
        cmocka_unit_test(connection_the_server_closed_is_not_used),
        cmocka_unit_test(readiness_probe_retries_after_the_back_off),
        cmocka_unit_test(leased_requests_pass_without_a_call_and_a_refusal_is_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
