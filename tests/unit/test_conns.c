/* test_conns.c - connection deadlines: what the reaper shuts, and when;
 * what a graceful stop closes. Sockets are socketpairs; time is given. */
#include "testutil.h"

#include "base/clock.h"
#include "server/conns.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct pair {
    int server, client;
} pair;

static pair open_pair(void)
{
    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    return (pair){fds[0], fds[1]};
}

/* What the client end reads now: the bytes, or "" at EOF; NULL when the
 * connection is still open and quiet. */
static const char *client_reads(pair p)
{
    static char buf[256];
    ssize_t n = recv(p.client, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return buf;
}

static void close_pair(pair p)
{
    close(p.server);
    close(p.client);
}

static void each_phase_has_its_deadline(void **state)
{
    (void)state;
    bb_conns *cs;
    assert_int_equal(bb_conns_start(0, 0, &cs), BB_OK); /* no reaper: passes by hand */
    bb_conns_stop(cs);
    assert_int_equal(bb_conns_start(10, 60, &cs), BB_OK);
    pair idle = open_pair(), begun = open_pair(), body = open_pair(), busy = open_pair();
    bb_conn *ci = bb_conns_add(cs, idle.server), *cb = bb_conns_add(cs, begun.server);
    bb_conn *cy = bb_conns_add(cs, body.server), *cu = bb_conns_add(cs, busy.server);
    bb_conn_enter(cb, BB_CONN_REQUEST);
    bb_conn_enter(cy, BB_CONN_BODY);
    bb_conn_enter(cu, BB_CONN_BUSY);
    double now = bb_clock_seconds();

    bb_conns_reap(cs, now + 9);
    assert_null(client_reads(idle));
    assert_null(client_reads(begun));

    bb_conns_reap(cs, now + 11);                                  /* past the header deadline */
    assert_string_equal(client_reads(idle), "");                  /* closed quietly */
    assert_non_null(strstr(client_reads(begun), "HTTP/1.1 408")); /* told why */
    assert_false(bb_conn_timed_out(ci));
    assert_true(bb_conn_timed_out(cb));
    assert_null(client_reads(body));

    bb_conns_reap(cs, now + 61); /* past the body deadline */
    assert_non_null(strstr(client_reads(body), "HTTP/1.1 408"));
    assert_true(bb_conn_timed_out(cy));
    bb_conns_reap(cs, now + 100000);
    assert_null(client_reads(busy)); /* an answer being made has no deadline */

    bb_conns_remove(cs, ci);
    bb_conns_remove(cs, cb);
    bb_conns_remove(cs, cy);
    bb_conns_remove(cs, cu);
    bb_conns_stop(cs);
    close_pair(idle);
    close_pair(begun);
    close_pair(body);
    close_pair(busy);
}

static void a_phase_starts_its_own_clock(void **state)
{
    (void)state;
    bb_conns *cs;
    assert_int_equal(bb_conns_start(10, 60, &cs), BB_OK);
    pair p = open_pair();
    bb_conn *c = bb_conns_add(cs, p.server);
    bb_conn_enter(c, BB_CONN_BODY);
    bb_conn_enter(c, BB_CONN_WAITING); /* the next request, on keep-alive */
    bb_conns_reap(cs, bb_clock_seconds() + 9);
    assert_null(client_reads(p));
    bb_conns_remove(cs, c);
    bb_conns_stop(cs);
    close_pair(p);
}

static void a_graceful_stop_closes_only_connections_without_a_request(void **state)
{
    (void)state;
    bb_conns *cs;
    assert_int_equal(bb_conns_start(0, 0, &cs), BB_OK);
    pair idle = open_pair(), arriving = open_pair(), begun = open_pair();
    bb_conn *ci = bb_conns_add(cs, idle.server), *ca = bb_conns_add(cs, arriving.server);
    bb_conn *cb = bb_conns_add(cs, begun.server);
    bb_conn_enter(cb, BB_CONN_REQUEST);
    assert_int_equal(send(arriving.client, "GET", 3, 0), 3); /* bytes on their way */
    assert_int_equal(bb_conns_close_idle(cs), 3);
    assert_string_equal(client_reads(idle), "");
    assert_null(client_reads(arriving));
    assert_null(client_reads(begun));
    bb_conns_remove(cs, ci);
    assert_int_equal(bb_conns_close_idle(cs), 2);
    bb_conns_remove(cs, ca);
    bb_conns_remove(cs, cb);
    assert_int_equal(bb_conns_close_idle(cs), 0);
    bb_conns_stop(cs);
    close_pair(idle);
    close_pair(arriving);
    close_pair(begun);
}

static void the_reaper_thread_runs_by_itself(void **state)
{
    (void)state;
    bb_conns *cs;
    assert_int_equal(bb_conns_start(0.2, 0, &cs), BB_OK);
    pair p = open_pair();
    bb_conn *c = bb_conns_add(cs, p.server);
    bb_conn_enter(c, BB_CONN_REQUEST);
    const char *got = NULL;
    for (int i = 0; i < 200 && !got; i++) {
        usleep(10000);
        got = client_reads(p);
    }
    assert_non_null(got);
    assert_non_null(strstr(got, "408"));
    bb_conns_remove(cs, c);
    bb_conns_stop(cs);
    close_pair(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_phase_has_its_deadline),
        cmocka_unit_test(a_phase_starts_its_own_clock),
        cmocka_unit_test(a_graceful_stop_closes_only_connections_without_a_request),
        cmocka_unit_test(the_reaper_thread_runs_by_itself),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
