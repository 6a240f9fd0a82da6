/*
 * jobs.h - a bounded store of background jobs for the HTTP service:
 * generation with a model may take minutes, so the service answers
 * 202 Accepted with a job id and the client polls GET /api/v1/jobs/{id}.
 *
 * Each job runs its function on its own thread. The store holds at most
 * max_jobs jobs (queued, running or finished); a finished job is kept for
 * ttl_seconds after it ends, then forgotten. A submit into a full store
 * fails with BB_ELIMIT (the service answers 503 with Retry-After).
 *
 * Ids are 32 random hex digits (unguessable: a job's result may hold a
 * whole generated project).
 *
 * Thread safety: every function may be called from any thread.
 * Ownership: the store owns each job's argument (freed with the given
 * free_arg once the job has run) and its result; bb_jobs_get() hands the
 * caller a copy (bb_job_view_free). bb_jobs_free() waits for running jobs.
 */
#ifndef BB_JOBS_H
#define BB_JOBS_H

#include "base/bb.h"

#include <stddef.h>
#include <time.h>

#define BB_JOB_ID_LEN 33 /* 32 hex digits and the NUL */

typedef enum { BB_JOB_QUEUED = 0, BB_JOB_RUNNING, BB_JOB_DONE, BB_JOB_FAILED } bb_job_state;

/* "queued", "running", "done", "failed". */
const char *bb_job_state_name(bb_job_state s);

/* What a job produced: an HTTP status and a body (JSON by convention). */
typedef struct bb_job_result {
    int status;
    char *body; /* bb_malloc'd; the store takes it */
    size_t len;
} bb_job_result;

/* Runs on the job's thread. BB_OK: the job is done with *out (the body
 * may describe a failure of the input, e.g. 422); other codes: failed. */
typedef int (*bb_job_fn)(void *arg, bb_job_result *out);

typedef struct bb_jobs bb_jobs;

/* NULL when out of memory. max_jobs >= 1; ttl_seconds >= 0. */
bb_jobs *bb_jobs_new(size_t max_jobs, double ttl_seconds) BB_WUR;

/*
 * Starts fn(arg) on a new thread and writes the job's id into id. On
 * failure (BB_ELIMIT: store full, BB_ENOMEM) nothing runs and arg is left
 * to the caller.
 */
int bb_jobs_submit(bb_jobs *js, bb_job_fn fn, void *arg, void (*free_arg)(void *),
                   char id[BB_JOB_ID_LEN]) BB_WUR;

typedef struct bb_job_view {
    bb_job_state state;
    time_t created, started, finished; /* 0 when not yet */
    int status;                        /* the result's status when done */
    char *body;                        /* a copy of the result (caller's), NULL before */
    size_t len;
} bb_job_view;

/* A snapshot of job id: BB_OK, or BB_ENOTFOUND (unknown or expired). */
int bb_jobs_get(bb_jobs *js, const char *id, bb_job_view *out) BB_WUR;
void bb_job_view_free(bb_job_view *v);

/*
 * The answer of GET /api/v1/jobs/{id} as JSON text (caller's, bb_free):
 *   {"id", "state", "created_at", "finished_at", "status", "result"}
 * with the result inlined when it is JSON. BB_ENOTFOUND as bb_jobs_get.
 */
int bb_jobs_status_json(bb_jobs *js, const char *id, char **json) BB_WUR;

/* Jobs currently held (any state), after dropping expired ones. */
size_t bb_jobs_count(bb_jobs *js);

/* Waits for every running job, then frees the store. NULL is fine. */
void bb_jobs_free(bb_jobs *js);

#endif
