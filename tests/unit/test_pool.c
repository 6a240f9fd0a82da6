/* test_pool.c - the worker pool: every accepted task runs once, a full
 * queue refuses at once, stopping finishes what was accepted. */
#include "testutil.h"

#include "server/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

typedef struct counted {
    bb_pool_task task; /* first: the task is the struct */
    atomic_int *runs;
} counted;

static void count_run(bb_pool_task *t)
{
    counted *c = (counted *)(void *)t;
    atomic_fetch_add(c->runs, 1);
}

/* A task that holds its worker until released. */
typedef struct gate {
    bb_pool_task task;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool started, open;
} gate;

static void gate_run(bb_pool_task *t)
{
    gate *g = (gate *)(void *)t;
    pthread_mutex_lock(&g->lock);
    g->started = true;
    pthread_cond_broadcast(&g->cond);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void gate_init(gate *g)
{
    memset(g, 0, sizeof(*g));
    g->task.run = gate_run;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
}

static void gate_wait_started(gate *g)
{
    pthread_mutex_lock(&g->lock);
    while (!g->started)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void gate_open(gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = true;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

static void gate_destroy(gate *g)
{
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
}

static void every_task_runs_once(void **state)
{
    (void)state;
    bb_pool *p;
    assert_int_equal(bb_pool_start(3, 1000, &p), BB_OK);
    assert_int_equal(bb_pool_workers(p), 3);
    assert_int_equal(bb_pool_capacity(p), 1000);
    atomic_int runs = 0;
    counted tasks[500];
    for (int i = 0; i < 500; i++) {
        tasks[i] = (counted){{count_run, NULL}, &runs};
        assert_true(bb_pool_submit(p, &tasks[i].task));
    }
    bb_pool_stop(p); /* finishes what is queued */
    assert_int_equal(atomic_load(&runs), 500);
}

static void a_full_queue_refuses_at_once_and_accepted_work_still_runs(void **state)
{
    (void)state;
    bb_pool *p;
    assert_int_equal(bb_pool_start(1, 2, &p), BB_OK);
    gate g;
    gate_init(&g);
    assert_true(bb_pool_submit(p, &g.task));
    gate_wait_started(&g); /* the only worker is held: the queue fills */
    atomic_int runs = 0;
    counted a = {{count_run, NULL}, &runs}, b = a, c = a;
    assert_true(bb_pool_submit(p, &a.task));
    assert_true(bb_pool_submit(p, &b.task));
    assert_int_equal(bb_pool_depth(p), 2);
    assert_false(bb_pool_submit(p, &c.task));
    gate_open(&g);
    bb_pool_stop(p);
    assert_int_equal(atomic_load(&runs), 2);
    gate_destroy(&g);
}

static void workers_are_counted_alive_until_stopped(void **state)
{
    (void)state;
    bb_pool *p;
    assert_int_equal(bb_pool_start(2, 0, &p), BB_OK);
    assert_int_equal(bb_pool_capacity(p), 1); /* at least one may wait */
    for (int i = 0; i < 200 && bb_pool_alive(p) < 2; i++)
        usleep(5000);
    assert_int_equal(bb_pool_alive(p), 2);
    assert_int_equal(bb_pool_depth(p), 0);
    bb_pool_stop(p);
    bb_pool_stop(NULL);
}

typedef struct submitter {
    bb_pool *p;
    counted tasks[100];
    atomic_int *runs;
    int refused;
} submitter;

static void *submit_many(void *arg)
{
    submitter *s = arg;
    for (int i = 0; i < 100; i++) {
        s->tasks[i] = (counted){{count_run, NULL}, s->runs};
        while (!bb_pool_submit(s->p, &s->tasks[i].task)) {
            s->refused++;
            usleep(100);
        }
    }
    return NULL;
}

static void submitters_on_many_threads_lose_nothing(void **state)
{
    (void)state;
    bb_pool *p;
    assert_int_equal(bb_pool_start(2, 4, &p), BB_OK);
    atomic_int runs = 0;
    enum { N = 4 };
    static submitter subs[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        subs[i].p = p;
        subs[i].runs = &runs;
        assert_int_equal(pthread_create(&t[i], NULL, submit_many, &subs[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    bb_pool_stop(p);
    assert_int_equal(atomic_load(&runs), N * 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_task_runs_once),
        cmocka_unit_test(a_full_queue_refuses_at_once_and_accepted_work_still_runs),
        cmocka_unit_test(workers_are_counted_alive_until_stopped),
        cmocka_unit_test(submitters_on_many_threads_lose_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
