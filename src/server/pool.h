/*
 * pool.h - a fixed set of worker threads behind a bounded queue.
 *
 * The service runs what may take long (generation) here, so that its
 * polling threads stay free for health checks and metrics. A task is a
 * bb_pool_task embedded in the caller's own structure: submitting links it
 * into the queue, no allocation; a worker calls its run function once.
 * A full queue refuses the task at once (the caller answers 503): work is
 * never dropped after it was accepted.
 *
 * Thread safety: every function may be called from any thread, except
 * bb_pool_stop(), which is called once, last.
 * Ownership: a task belongs to its submitter; the pool only links it until
 * a worker has taken it. bb_pool_stop() frees the pool.
 */
#ifndef BB_POOL_H
#define BB_POOL_H

#include "base/bb.h"

#include <stdbool.h>

typedef struct bb_pool bb_pool;

typedef struct bb_pool_task {
    void (*run)(struct bb_pool_task *t); /* called on a worker thread */
    struct bb_pool_task *next;           /* the pool's */
} bb_pool_task;

/* Starts `workers` threads (at least 1) and a queue of at most max_queue
 * waiting tasks (at least 1). BB_ENOMEM when a thread cannot be made. */
int bb_pool_start(unsigned workers, unsigned max_queue, bb_pool **out) BB_WUR;

/* Queues t (its run set by the caller); false when the queue is full or
 * the pool is stopping, and then t is left untouched. */
bool bb_pool_submit(bb_pool *p, bb_pool_task *t) BB_WUR;

/* Lets the workers finish every queued task, joins them and frees p.
 * NULL is fine. */
void bb_pool_stop(bb_pool *p);

unsigned bb_pool_depth(bb_pool *p);          /* tasks waiting now */
unsigned bb_pool_alive(bb_pool *p);          /* worker threads running */
unsigned bb_pool_workers(const bb_pool *p);  /* worker threads started */
unsigned bb_pool_capacity(const bb_pool *p); /* the most tasks that may wait */

#endif
