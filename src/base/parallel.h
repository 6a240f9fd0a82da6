/*
 * parallel.h - one function over the items 0..n-1 of a list, on several
 * threads: for work whose items are independent, such as formatting or
 * scanning one generated file.
 *
 * Each item is done exactly once, by the calling thread or by one of at
 * most jobs - 1 helper threads, each taking the next ready item. The
 * function writes its result into a slot of its own item, so what the
 * caller merges afterwards, in item order, is the same whatever the number
 * of threads. A helper that cannot be started only means fewer helpers.
 * jobs 0 or 1: everything runs on the caller's thread, in order, in
 * bb_parallel_finish().
 *
 * Items may also be made ready one by one while the caller produces them
 * (the helpers format file i while the caller renders file i + 1):
 * bb_parallel_start(), bb_parallel_ready() as they come, then
 * bb_parallel_finish(), where the caller helps with what is left.
 * bb_parallel_for() is the three at once.
 */
#ifndef BB_PARALLEL_H
#define BB_PARALLEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef void (*bb_parallel_fn)(void *ctx, size_t item);

#define BB_PARALLEL_MAX_HELPERS 7 /* more do not pay for a few hundred files */

/* Fields are private; it lives on the caller's stack. */
typedef struct bb_parallel {
    bb_parallel_fn fn;
    void *ctx;
    pthread_mutex_t lock;
    pthread_cond_t more; /* items became ready, or all are */
    size_t ready, next;  /* items 0..ready-1 may be taken; next is the next one */
    bool done;           /* no more items will become ready */
    pthread_t helpers[BB_PARALLEL_MAX_HELPERS];
    size_t n_helpers;
} bb_parallel;

void bb_parallel_start(bb_parallel *p, unsigned jobs, bb_parallel_fn fn, void *ctx);

/* Items 0..n-1 are ready to be taken (n never goes down). */
void bb_parallel_ready(bb_parallel *p, size_t n);

/* Items 0..n-1 are all the items: the caller takes items until none is
 * left, then waits for the helpers. */
void bb_parallel_finish(bb_parallel *p, size_t n);

void bb_parallel_for(size_t n, unsigned jobs, bb_parallel_fn fn, void *ctx);

/* The CPUs this process may use, at least 1: those of its affinity mask,
 * or fewer when its cgroup has a CPU quota (a container run with
 * --cpus=2 on a larger machine). Read once, then remembered. */
unsigned bb_parallel_cpus(void);

/* The CPUs a cgroup v2 cpu.max text allows ("150000 100000": 2, rounded
 * up), 0 for "max" (no quota) or text it cannot read. */
unsigned bb_parallel_quota_cpus(const char *cpu_max);

/* The smallest quota in the cpu.max files of cgroup v2's `group` (a path
 * such as "/system.slice/ci.service", from /proc/self/cgroup) and of every
 * group above it, up to the hierarchy mounted at root; 0 when none has one. */
unsigned bb_parallel_cgroup_cpus(const char *root, const char *group);

#endif
