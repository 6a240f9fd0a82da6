/* conns.c - open connections, their phases and deadlines (see conns.h). */
#include "server/conns.h"

#include "base/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#define REAP_INTERVAL_MS 250

struct bb_conn {
    int fd;
    atomic_int phase;     /* bb_conn_phase */
    _Atomic double since; /* when the phase began */
    atomic_bool timed_out;
    bool shut; /* shut down by us (under the list's lock) */
    struct bb_conn *prev, *next;
};

struct bb_conns {
    double header_timeout, body_timeout;
    pthread_mutex_t lock;
    bb_conn *head;
    unsigned count;
    pthread_t reaper;
    bool has_reaper;
    pthread_cond_t wake;
    bool stopping;
};

static const char timeout_answer[] = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                                     "Content-Length: 0\r\n\r\n";

/* Ends c's connection (lock held). The socket stays open, and so not
 * reusable, until its owner removes c. */
static void shut(bb_conn *c, bool tell)
{
    if (tell)
        (void)send(c->fd, timeout_answer, sizeof(timeout_answer) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(c->fd, SHUT_RDWR);
    c->shut = true;
}

void bb_conns_reap(bb_conns *cs, double now)
{
    pthread_mutex_lock(&cs->lock);
    for (bb_conn *c = cs->head; c; c = c->next) {
        if (c->shut)
            continue;
        int phase = atomic_load(&c->phase);
        double limit = phase == BB_CONN_BODY   ? cs->body_timeout
                       : phase == BB_CONN_BUSY ? 0
                                               : cs->header_timeout;
        if (limit <= 0 || now - atomic_load(&c->since) <= limit)
            continue;
        /* An idle keep-alive connection is simply closed; a request that
         * began is told why it ends. */
        atomic_store(&c->timed_out, phase != BB_CONN_WAITING);
        shut(c, phase != BB_CONN_WAITING);
    }
    pthread_mutex_unlock(&cs->lock);
}

static void *reaper_main(void *arg)
{
    bb_conns *cs = arg;
    pthread_mutex_lock(&cs->lock);
    while (!cs->stopping) {
        struct timespec t = bb_clock_wall_after_ms(REAP_INTERVAL_MS);
        pthread_cond_timedwait(&cs->wake, &cs->lock, &t);
        if (cs->stopping)
            break;
        pthread_mutex_unlock(&cs->lock);
        bb_conns_reap(cs, bb_clock_seconds());
        pthread_mutex_lock(&cs->lock);
    }
    pthread_mutex_unlock(&cs->lock);
    return NULL;
}

int bb_conns_start(double header_timeout, double body_timeout, bb_conns **out)
{
    *out = NULL;
    bb_conns *cs = bb_calloc(1, sizeof(*cs));
    if (!cs)
        return BB_ENOMEM;
    cs->header_timeout = header_timeout;
    cs->body_timeout = body_timeout;
    pthread_mutex_init(&cs->lock, NULL);
    pthread_cond_init(&cs->wake, NULL);
    if (header_timeout > 0 || body_timeout > 0) {
        if (pthread_create(&cs->reaper, NULL, reaper_main, cs) != 0) {
            bb_conns_stop(cs);
            return BB_ENOMEM;
        }
        cs->has_reaper = true;
    }
    *out = cs;
    return BB_OK;
}

void bb_conns_stop(bb_conns *cs)
{
    if (!cs)
        return;
    pthread_mutex_lock(&cs->lock);
    cs->stopping = true;
    pthread_cond_broadcast(&cs->wake);
    pthread_mutex_unlock(&cs->lock);
    if (cs->has_reaper)
        pthread_join(cs->reaper, NULL);
    while (cs->head)
        bb_conns_remove(cs, cs->head);
    pthread_cond_destroy(&cs->wake);
    pthread_mutex_destroy(&cs->lock);
    bb_free(cs);
}

bb_conn *bb_conns_add(bb_conns *cs, int fd)
{
    bb_conn *c = bb_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->fd = fd;
    atomic_init(&c->phase, BB_CONN_WAITING);
    atomic_init(&c->since, bb_clock_seconds());
    atomic_init(&c->timed_out, false);
    pthread_mutex_lock(&cs->lock);
    c->next = cs->head;
    if (cs->head)
        cs->head->prev = c;
    cs->head = c;
    cs->count++;
    pthread_mutex_unlock(&cs->lock);
    return c;
}

void bb_conns_remove(bb_conns *cs, bb_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&cs->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    cs->count--;
    pthread_mutex_unlock(&cs->lock);
    bb_free(c);
}

void bb_conn_enter(bb_conn *c, bb_conn_phase phase)
{
    if (!c)
        return;
    if (phase != BB_CONN_REQUEST)
        atomic_store(&c->since, bb_clock_seconds());
    atomic_store(&c->phase, phase);
}

bool bb_conn_timed_out(bb_conn *c)
{
    return c && atomic_load(&c->timed_out);
}

unsigned bb_conns_close_idle(bb_conns *cs)
{
    pthread_mutex_lock(&cs->lock);
    for (bb_conn *c = cs->head; c; c = c->next) {
        int pending = 0;
        /* Bytes waiting in the socket are a request on its way. */
        if (!c->shut && atomic_load(&c->phase) == BB_CONN_WAITING &&
            ioctl(c->fd, FIONREAD, &pending) == 0 && pending == 0)
            shut(c, false);
    }
    unsigned n = cs->count;
    pthread_mutex_unlock(&cs->lock);
    return n;
}
