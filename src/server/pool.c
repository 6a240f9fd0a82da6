/* pool.c - worker threads behind a bounded queue (see pool.h). */
#include "server/pool.h"

#include <pthread.h>
#include <stdatomic.h>

struct bb_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bb_pool_task *head, *tail;
    unsigned depth, max;
    bool stop;
    pthread_t *threads;
    unsigned n_threads;
    atomic_uint alive;
};

static void *worker_main(void *arg)
{
    bb_pool *p = arg;
    atomic_fetch_add(&p->alive, 1);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->cond, &p->lock);
        if (!p->head)
            break; /* stopping and nothing left */
        bb_pool_task *t = p->head;
        p->head = t->next;
        if (!p->head)
            p->tail = NULL;
        p->depth--;
        pthread_mutex_unlock(&p->lock);
        t->next = NULL;
        t->run(t);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    atomic_fetch_sub(&p->alive, 1);
    return NULL;
}

int bb_pool_start(unsigned workers, unsigned max_queue, bb_pool **out)
{
    *out = NULL;
    bb_pool *p = bb_calloc(1, sizeof(*p));
    if (!p)
        return BB_ENOMEM;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->max = max_queue ? max_queue : 1;
    workers = workers ? workers : 1;
    p->threads = bb_calloc(workers, sizeof(pthread_t));
    if (!p->threads) {
        bb_pool_stop(p);
        return BB_ENOMEM;
    }
    for (unsigned i = 0; i < workers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            bb_pool_stop(p);
            return BB_ENOMEM;
        }
        p->n_threads++;
    }
    *out = p;
    return BB_OK;
}

bool bb_pool_submit(bb_pool *p, bb_pool_task *t)
{
    pthread_mutex_lock(&p->lock);
    bool ok = p->depth < p->max && !p->stop;
    if (ok) {
        t->next = NULL;
        if (p->tail)
            p->tail->next = t;
        else
            p->head = t;
        p->tail = t;
        p->depth++;
        pthread_cond_signal(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

void bb_pool_stop(bb_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    bb_free(p->threads);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    bb_free(p);
}

unsigned bb_pool_depth(bb_pool *p)
{
    pthread_mutex_lock(&p->lock);
    unsigned d = p->depth;
    pthread_mutex_unlock(&p->lock);
    return d;
}

unsigned bb_pool_alive(bb_pool *p)
{
    return atomic_load(&p->alive);
}

unsigned bb_pool_workers(const bb_pool *p)
{
    return p->n_threads;
}

unsigned bb_pool_capacity(const bb_pool *p)
{
    return p->max;
}
