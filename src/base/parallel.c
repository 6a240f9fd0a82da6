#include "base/parallel.h"

#include <sched.h>

/* The next item to do, waiting for one to become ready; false when every
 * item is taken. */
static bool take(bb_parallel *p, size_t *item)
{
    pthread_mutex_lock(&p->lock);
    while (p->next >= p->ready && !p->done)
        pthread_cond_wait(&p->more, &p->lock);
    bool got = p->next < p->ready;
    if (got)
        *item = p->next++;
    pthread_mutex_unlock(&p->lock);
    return got;
}

static void *help(void *arg)
{
    bb_parallel *p = arg;
    size_t item;
    while (take(p, &item))
        p->fn(p->ctx, item);
    return NULL;
}

void bb_parallel_start(bb_parallel *p, unsigned jobs, bb_parallel_fn fn, void *ctx)
{
    p->fn = fn;
    p->ctx = ctx;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->more, NULL);
    p->ready = p->next = 0;
    p->done = false;
    p->n_helpers = 0;
    size_t want = jobs > 1 ? jobs - 1 : 0;
    if (want > BB_PARALLEL_MAX_HELPERS)
        want = BB_PARALLEL_MAX_HELPERS;
    while (p->n_helpers < want && pthread_create(&p->helpers[p->n_helpers], NULL, help, p) == 0)
        p->n_helpers++;
}

void bb_parallel_ready(bb_parallel *p, size_t n)
{
    if (!p->n_helpers)
        return; /* the caller does everything in bb_parallel_finish() */
    pthread_mutex_lock(&p->lock);
    if (n > p->ready) {
        p->ready = n;
        pthread_cond_signal(&p->more);
    }
    pthread_mutex_unlock(&p->lock);
}

void bb_parallel_finish(bb_parallel *p, size_t n)
{
    pthread_mutex_lock(&p->lock);
    if (n > p->ready)
        p->ready = n;
    p->done = true;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->lock);
    help(p);
    for (size_t k = 0; k < p->n_helpers; k++)
        pthread_join(p->helpers[k], NULL);
    pthread_cond_destroy(&p->more);
    pthread_mutex_destroy(&p->lock);
}

void bb_parallel_for(size_t n, unsigned jobs, bb_parallel_fn fn, void *ctx)
{
    bb_parallel p;
    bb_parallel_start(&p, n < jobs ? (unsigned)n : jobs, fn, ctx);
    bb_parallel_finish(&p, n);
}

unsigned bb_parallel_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? (unsigned)n : 1;
}
