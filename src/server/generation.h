/*
 * generation.h - one generation of the service, from the request body to
 * the answer: the pipeline, the whole project (output/project.h) and the
 * answer's body. POST /api/v1/generate runs it on a worker; with a model
 * ("llm": "advise") it runs as a job and the job's result is the same
 * answer, so both have the same shapes:
 *
 *   200 {"files": {path: text}, "summary": {"project_name", "files",
 *        "models", "routes", "lines", "stages"}, "diagnostics": [...]}
 *       plus "llm": {"requests", "cache_hits", "prompt_tokens",
 *       "completion_tokens", "seconds"} when a model advised;
 *       or the project as a gzip tarball when asked for
 *   400 malformed JSON, 422 invalid schema, 413 too large, 500 or 503:
 *       the error bodies of answer.h, naming the request's id
 *
 * Outcomes, stage times, files and lines are counted in the metrics.
 *
 * Ownership: a bb_generation borrows everything it points to; a job
 * (bb_generation_submit) copies what it needs. An answer's body is the
 * caller's (bb_free).
 */
#ifndef BB_GENERATION_H
#define BB_GENERATION_H

#include "base/trace.h"
#include "pipeline/pipeline.h"
#include "server/input.h"
#include "server/jobs.h"
#include "server/metrics.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct bb_generation {
    bb_input in;            /* the body and where its schema is */
    const char *request_id; /* named by error answers */
    bool tarball;           /* answer with a gzip tarball instead of JSON */
    bb_pipeline_opts opts;
    size_t max_answer;   /* the most bytes an answer may have */
    bb_metrics *metrics; /* NULL: nothing counted */
} bb_generation;

typedef struct bb_generation_answer {
    int status;
    const char *content_type; /* static */
    char *body;
    size_t len;
    char filename[80]; /* the tarball's download name; "" for JSON */
} bb_generation_answer;

/* Runs g and fills *out; there is always an answer (a 503 when memory
 * runs out). */
void bb_generation_run(const bb_generation *g, bb_generation_answer *out);

/* Runs g as a job of js owned by owner (a JSON answer, whatever
 * g->tarball says) and writes its id. Its model calls stop when the job
 * is cancelled or its deadline passes. BB_ELIMIT (*why says which limit),
 * BB_ENOMEM. */
int bb_generation_submit(bb_jobs *js, const char *owner, const bb_generation *g,
                         char id[BB_JOB_ID_LEN], bb_jobs_refusal *why) BB_WUR;

/* Runs g as a job's body, in a span under parent (the submitting
 * request's trace, kept with the job in Redis too; NULL: a new trace):
 * its model calls stop when ctx says so. BB_OK, or BB_ESTATE
 * when the answer is the service's own failure (5xx). */
int bb_generation_job(const bb_generation *g, const bb_trace_ctx *parent, const bb_job_ctx *ctx,
                      bb_job_result *res) BB_WUR;

/* Where a job came from: the submitting request's id and trace, so its
 * spans and model calls join that trace, on any replica with Redis. */
typedef struct bb_job_origin {
    char request_id[160];
    bb_trace_ctx trace;
    bool traced; /* false: the request had no trace context */
} bb_job_origin;

/* A generation's input as one string a job kept in Redis carries (the
 * body, where the schema is, the options, the request id and the current
 * trace), and back: decoding points in into payload. BB_EINVAL when
 * payload is not one. */
int bb_generation_encode(const bb_generation *g, bb_buf *out) BB_WUR;
int bb_generation_decode(const char *payload, size_t len, bb_input *in,
                         bb_job_origin *origin) BB_WUR;

#endif
