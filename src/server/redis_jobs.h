/*
 * redis_jobs.h - the jobs of jobs.h kept in Redis, so that replicas of the
 * service share them: any replica takes a job, any replica answers for it,
 * and a job whose replica died is run again by another.
 *
 * A job is a hash bb:job:ID (owner, state, times, deadline, the payload to
 * run, then the result) and an entry in the stream bb:jobs, read by the
 * consumer group "bb". Each replica has one dispatcher thread that reads
 * the stream (XREADGROUP) while it has free slots and runs each job on a
 * thread of its own. A job stays pending in the group while it runs; the
 * dispatcher claims its own pending entries again every third of the
 * visibility timeout (XCLAIM), so their idle time only grows when their
 * replica is gone, and then after the visibility timeout any replica takes
 * them (XAUTOCLAIM) and runs them again, at most three times in all.
 *
 * Limits hold across replicas: unfinished jobs are kept in sorted sets
 * (all of them, and each owner's) scored by their deadline, checked and
 * added to by the submit script, atomically; a refusal says when the
 * earliest of the jobs in the way is sure to have ended. A finished job's
 * hash expires ttl seconds after it ends; the owner check is the same as
 * in memory (another identity is told the job does not exist).
 *
 * Cancelling: a queued job is cancelled at once; a running one is marked,
 * and its replica sees the mark at its next claim and stops it. On stop a
 * replica hands its running jobs back to the stream (bb_redis_jobs_stop).
 *
 * Ownership: the store borrows the client; payloads are copied into Redis;
 * answers handed out are the caller's (bb_free).
 */
#ifndef BB_REDIS_JOBS_H
#define BB_REDIS_JOBS_H

#include "server/jobs.h"
#include "server/redis.h"

#include <stdbool.h>
#include <stddef.h>

/* Runs a job from its payload, as bb_job_fn. */
typedef int (*bb_redis_job_fn)(void *ctx, const char *payload, size_t len, const bb_job_ctx *jc,
                               bb_job_result *out);

typedef void (*bb_redis_jobs_log_fn)(void *ctx, const char *level, const char *msg,
                                     const char *extra);

typedef struct bb_redis_jobs_config {
    bb_jobs_limits limits; /* max_running and max_per_owner count every replica's jobs */
    unsigned slots;        /* jobs this replica runs at once (>= 1) */
    double visibility;     /* seconds before a silent replica's job is taken again */
    const char *consumer;  /* this replica's name in the group (copied) */
    bb_redis_job_fn run;
    void *run_ctx;
    bb_redis_jobs_log_fn log; /* NULL: silent */
    void *log_ctx;
} bb_redis_jobs_config;

typedef struct bb_redis_jobs bb_redis_jobs;

/* Starts the dispatcher (it creates the group when Redis can be reached). */
int bb_redis_jobs_start(bb_redis *r, const bb_redis_jobs_config *c, bb_redis_jobs **out) BB_WUR;

/*
 * Queues a job of owner and writes its id. BB_ELIMIT with *why when a
 * limit is reached; the errors of bb_redis_command() when Redis cannot
 * take it (the caller answers 503).
 */
int bb_redis_jobs_submit(bb_redis_jobs *rj, const char *owner, const char *payload, size_t len,
                         char id[BB_JOB_ID_LEN], bb_jobs_refusal *why) BB_WUR;

/* The answer of GET /api/v1/jobs/{id} (bb_job_view_json); BB_ENOTFOUND
 * (unknown, expired or another's), or Redis's errors. */
int bb_redis_jobs_status_json(bb_redis_jobs *rj, const char *id, const char *owner,
                              char **json) BB_WUR;

/* DELETE, as bb_jobs_cancel(). */
int bb_redis_jobs_cancel(bb_redis_jobs *rj, const char *id, const char *owner,
                         bool *forgotten) BB_WUR;

/*
 * Stops taking jobs, stops the running ones and hands them back to the
 * stream, where another replica takes them at once; waits for them until
 * deadline (bb_clock_seconds()). Returns how many were handed back.
 */
size_t bb_redis_jobs_stop(bb_redis_jobs *rj, double deadline);

/* Stops (if not yet) and frees. NULL is fine. */
void bb_redis_jobs_free(bb_redis_jobs *rj);

#endif
