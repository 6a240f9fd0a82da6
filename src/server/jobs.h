/*
 * jobs.h - background jobs of the HTTP service: generation with a model
 * may take minutes, so the service answers 202 Accepted with a job id and
 * the client polls GET /api/v1/jobs/{id}.
 *
 * Each job runs its function on its own thread and belongs to the identity
 * that submitted it: another identity is told it does not exist. Limits:
 *
 *   - at most max_running jobs unfinished (queued or running) at once, and
 *     max_per_owner of them per identity; past either, a submit is refused
 *     with the seconds until a slot is sure to free: the earliest deadline
 *     of the jobs in the way;
 *   - a job runs at most timeout seconds; then, or when its owner cancels
 *     it, or when the service stops, its context says so (the job stops
 *     its network calls, see base/http.h bb_http_scope) and it ends
 *     cancelled, whatever it had produced;
 *   - finished jobs are kept apart from that capacity, so they never block
 *     new work: at most max_results of them, each ttl seconds after it
 *     ends; past max_results the oldest is forgotten.
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

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define BB_JOB_ID_LEN 33 /* 32 hex digits and the NUL */

/* A new job id: 16 random bytes from the kernel, in hex. BB_ESTATE when
 * the kernel gives none. Shared by the in-process store and Redis's. */
int bb_jobs_new_id(char id[BB_JOB_ID_LEN]) BB_WUR;

typedef enum {
    BB_JOB_QUEUED = 0,
    BB_JOB_RUNNING,
    BB_JOB_DONE,
    BB_JOB_FAILED,
    BB_JOB_CANCELLED,
} bb_job_state;

/* "queued", "running", "done", "failed", "cancelled". */
const char *bb_job_state_name(bb_job_state s);

/* The state named name; false when there is none. */
bool bb_job_state_parse(const char *name, bb_job_state *out);

/* What a job produced: an HTTP status and a body (JSON by convention). */
typedef struct bb_job_result {
    int status;
    char *body; /* bb_malloc'd; the store takes it */
    size_t len;
} bb_job_result;

/* What a running job is told: stop when *cancel is true or at deadline
 * (bb_clock_seconds(); 0: none). */
typedef struct bb_job_ctx {
    const atomic_bool *cancel;
    double deadline;
} bb_job_ctx;

/* Runs on the job's thread. BB_OK: the job is done with *out (the body
 * may describe a failure of the input, e.g. 422); other codes: failed. */
typedef int (*bb_job_fn)(void *arg, const bb_job_ctx *ctx, bb_job_result *out);

typedef struct bb_jobs_limits {
    size_t max_running;   /* unfinished jobs at once (>= 1) */
    size_t max_per_owner; /* of those, per identity; 0: no limit of its own */
    size_t max_results;   /* finished jobs kept (>= 1) */
    double ttl;           /* seconds a finished job is kept */
    double timeout;       /* seconds a job may run; 0: no deadline */
} bb_jobs_limits;

typedef struct bb_jobs bb_jobs;

/* NULL when out of memory. */
bb_jobs *bb_jobs_new(const bb_jobs_limits *limits) BB_WUR;

/* Why a submit was refused. */
typedef struct bb_jobs_refusal {
    bool per_owner;       /* the owner's own limit, not the store's */
    unsigned retry_after; /* seconds until a slot is sure to free (>= 1) */
} bb_jobs_refusal;

/*
 * Starts fn(arg) on a new thread for owner and writes the job's id. On
 * failure (BB_ELIMIT: a limit is reached, *why says which and when to
 * retry; BB_ENOMEM) nothing runs and arg is left to the caller.
 */
int bb_jobs_submit(bb_jobs *js, const char *owner, bb_job_fn fn, void *arg,
                   void (*free_arg)(void *), char id[BB_JOB_ID_LEN], bb_jobs_refusal *why) BB_WUR;

typedef struct bb_job_view {
    bb_job_state state;
    time_t created, started, finished; /* 0 when not yet */
    int status;                        /* the result's status when finished */
    char *body;                        /* a copy of the result (caller's), NULL before */
    size_t len;
} bb_job_view;

/* A snapshot of job id as owner sees it (NULL: any owner): BB_OK, or
 * BB_ENOTFOUND (unknown, expired, or another's). */
int bb_jobs_get(bb_jobs *js, const char *id, const char *owner, bb_job_view *out) BB_WUR;
void bb_job_view_free(bb_job_view *v);

/*
 * The answer of GET /api/v1/jobs/{id} as JSON text (caller's, bb_free):
 *   {"id", "state", "created_at", "finished_at", "status", "result"}
 * with the result inlined when it is JSON. BB_ENOTFOUND as bb_jobs_get.
 */
int bb_jobs_status_json(bb_jobs *js, const char *id, const char *owner, char **json) BB_WUR;

/* The same answer from a snapshot, wherever the job is kept. */
int bb_job_view_json(const char *id, const bb_job_view *v, char **json) BB_WUR;

/* The body of a cancelled job, {"error": {"code": "cancelled", "message"}}
 * (caller's, bb_free); NULL when out of memory. */
char *bb_jobs_cancelled_body(const char *message) BB_WUR;

/*
 * DELETE: an unfinished job is cancelled (it ends soon, as "cancelled");
 * a finished one is forgotten (*forgotten set). BB_ENOTFOUND as
 * bb_jobs_get.
 */
int bb_jobs_cancel(bb_jobs *js, const char *id, const char *owner, bool *forgotten) BB_WUR;

/* Cancels every unfinished job (the service is stopping); returns how many. */
size_t bb_jobs_cancel_all(bb_jobs *js);

/* Waits until no job is unfinished or the clock passes deadline
 * (bb_clock_seconds()); returns how many are still unfinished. */
size_t bb_jobs_wait(bb_jobs *js, double deadline);

/* Jobs held (any state), after dropping expired ones. */
size_t bb_jobs_count(bb_jobs *js);

/* Waits for every running job, then frees the store. NULL is fine. */
void bb_jobs_free(bb_jobs *js);

#endif
