/*
 * api.h - the compiler's routes of the service, each a bb_route_fn:
 *
 *   POST /api/v1/validate   the front end: {"valid", "diagnostics", "build_order"}
 *   POST /api/v1/generate   the whole project, as JSON or a gzip tarball;
 *                           with "llm": "advise", 202 and a job
 *   GET  /api/v1/jobs/{id}  a job's state, and its answer once done
 *   DELETE /api/v1/jobs/{id} cancels the job, or forgets its result
 *
 * The body is read by input.h; answers are described in docs/server.md.
 */
#ifndef BB_API_H
#define BB_API_H

#include "server/request.h"

void bb_api_validate(bb_req *r);
void bb_api_generate(bb_req *r);
void bb_api_job(bb_req *r);
void bb_api_job_cancel(bb_req *r);

/* Runs a generation job kept in Redis (a bb_redis_job_fn; ctx is the
 * bb_service): the payload is bb_generation_encode()'s. */
struct bb_job_ctx;
struct bb_job_result;
int bb_api_run_job(void *ctx, const char *payload, size_t len, const struct bb_job_ctx *jc,
                   struct bb_job_result *out);

#endif
