#include "base/parallel.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

unsigned bb_parallel_quota_cpus(const char *cpu_max)
{
    char *end;
    if (!cpu_max || strncmp(cpu_max, "max", 3) == 0)
        return 0;
    errno = 0;
    long long quota = strtoll(cpu_max, &end, 10);
    if (errno || end == cpu_max || *end != ' ' || quota <= 0)
        return 0;
    const char *p = end + 1;
    long long period = strtoll(p, &end, 10);
    if (errno || end == p || period <= 0)
        return 0;
    long long n = quota / period + (quota % period != 0); /* 1.5 CPUs: two threads */
    return n > 4096 ? 4096 : (unsigned)n;
}

/* The first line of a small file, NUL-terminated; false when unreadable. */
static bool read_line(const char *path, char *line, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool ok = fgets(line, (int)cap, f) != NULL;
    fclose(f);
    return ok;
}

unsigned bb_parallel_cgroup_cpus(const char *root, const char *group)
{
    char dir[4200], path[4300], text[128];
    unsigned least = 0;
    size_t root_len = strlen(root);
    if ((size_t)snprintf(dir, sizeof(dir), "%s%s", root, strcmp(group, "/") ? group : "") >=
        sizeof(dir))
        return 0;
    for (;;) {
        snprintf(path, sizeof(path), "%s/cpu.max", dir);
        unsigned n = read_line(path, text, sizeof(text)) ? bb_parallel_quota_cpus(text) : 0;
        if (n && (!least || n < least))
            least = n;
        char *slash = strrchr(dir, '/');
        if (!slash || (size_t)(slash - dir) < root_len)
            break;
        *slash = '\0'; /* the group above */
    }
    return least;
}

/* The CPU quota of this process's cgroup (v2, else v1's at the mount's
 * root, as a container sees it); 0 when there is none. */
static unsigned cgroup_quota_cpus(void)
{
    char line[4096], quota[64], period[64], text[160];
    if (read_line("/proc/self/cgroup", line, sizeof(line)) && strncmp(line, "0::/", 4) == 0) {
        line[strcspn(line, "\n")] = '\0';
        return bb_parallel_cgroup_cpus("/sys/fs/cgroup", line + 3);
    }
    if (read_line("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", quota, sizeof(quota)) &&
        read_line("/sys/fs/cgroup/cpu/cpu.cfs_period_us", period, sizeof(period))) {
        quota[strcspn(quota, "\n")] = '\0';
        snprintf(text, sizeof(text), "%s %s", quota, period);
        return bb_parallel_quota_cpus(text);
    }
    return 0;
}

unsigned bb_parallel_cpus(void)
{
    static atomic_uint known;
    unsigned n = atomic_load(&known);
    if (n)
        return n;
    cpu_set_t set;
    int mask = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
    n = mask > 0 ? (unsigned)mask : 1;
    unsigned quota = cgroup_quota_cpus();
    if (quota && quota < n)
        n = quota;
    atomic_store(&known, n);
    return n;
}
