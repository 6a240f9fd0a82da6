/* api.c - the compiler's routes: validate, generate, jobs (see api.h). */
#include "server/api.h"

#include "front/validate.h"
#include "pipeline/pipeline.h"
#include "server/answer.h"
#include "server/generation.h"
#include "server/input.h"
#include "server/redis_jobs.h"
#include "server/service.h"
#include "server/wire.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

static cJSON *build_order_json(const bb_schema *s)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; s && a && i < s->n_build_order; i++) {
        int t = s->build_order[i];
        if (t >= 0 && (size_t)t < s->n_tables)
            cJSON_AddItemToArray(a, cJSON_CreateString(s->tables[t].table_name));
    }
    return a;
}

void bb_api_validate(bb_req *r)
{
    bb_input in;
    if (!bb_input_read(r, BB_M_VALIDATIONS, &in))
        return;
    bb_diags d;
    bb_diags_init(&d, "<request>", in.body + in.schema_at, in.schema_len);
    d.warnings_as_errors = in.strict;
    bb_schema *s = NULL;
    int rc = bb_pipeline_validate("<request>", in.body + in.schema_at, in.schema_len,
                                  &r->svc->cfg.schema_limits, &d, &s);
    bb_input_rebase_diags(&in, &d);
    if (rc == BB_ENOMEM) {
        bb_req_reply_error(r, 503, "unavailable", "out of memory");
    } else if (bb_answer_is_malformed(&d)) {
        bb_req_count(r, BB_M_VALIDATIONS, "malformed");
        bb_req_reply_json(r, 400, bb_answer_malformed(&d, r->id));
    } else if (rc != BB_OK || bb_diags_has_errors(&d)) {
        bb_req_count(r, BB_M_VALIDATIONS, "invalid");
        bb_req_reply_json(r, 422, bb_answer_invalid(&d, r->id, true));
    } else {
        bb_req_count(r, BB_M_VALIDATIONS, "valid");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "valid", true);
        cJSON_AddItemToObject(o, "diagnostics", bb_diags_to_json(&d));
        cJSON_AddItemToObject(o, "build_order", build_order_json(s));
        bb_req_reply_json(r, 200, o);
    }
    bb_schema_free(s);
    bb_diags_free(&d);
}

/* Retry-After when the shared job store cannot be reached. */
#define STORE_RETRY 5

static void reply_store_down(bb_req *r)
{
    char after[16];
    snprintf(after, sizeof(after), "%d", STORE_RETRY);
    bb_req_reply_error(r, 503, "unavailable",
                       "the job store (Redis) cannot be reached; retry in %d s", STORE_RETRY);
    bb_req_add_header(r, "Retry-After", after);
}

/* Queues g as a job, in Redis or in this process. */
static int submit_job(bb_req *r, const bb_generation *g, char id[BB_JOB_ID_LEN],
                      bb_jobs_refusal *why)
{
    if (!r->svc->rjobs)
        return bb_generation_submit(r->svc->jobs, r->identity, g, id, why);
    bb_buf payload;
    bb_buf_init(&payload, r->svc->cfg.max_body + 1024);
    int rc = bb_generation_encode(g, &payload);
    if (!rc)
        rc = bb_redis_jobs_submit(r->svc->rjobs, r->identity, payload.data, payload.len, id, why);
    bb_buf_free(&payload);
    return rc;
}

/* 202 with the job's id: generation with a model outlasts a request. */
static void reply_job(bb_req *r, const bb_generation *g)
{
    char id[BB_JOB_ID_LEN];
    bb_jobs_refusal why;
    int rc = submit_job(r, g, id, &why);
    if (rc == BB_ELIMIT) {
        char after[16];
        snprintf(after, sizeof(after), "%u", why.retry_after);
        if (why.per_owner)
            bb_req_reply_error(r, 429, "too_many_jobs",
                               "this identity already has %u jobs unfinished; retry in %u s",
                               r->svc->cfg.max_jobs_per_key, why.retry_after);
        else
            bb_req_reply_error(r, 503, "busy", "every job slot is taken; retry in %u s",
                               why.retry_after);
        bb_req_add_header(r, "Retry-After", after);
        return;
    }
    if (rc == BB_ENOMEM) {
        bb_req_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    if (rc) {
        reply_store_down(r);
        return;
    }
    char url[64];
    snprintf(url, sizeof(url), "/api/v1/jobs/%s", id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "job", id);
    cJSON_AddStringToObject(o, "state", "queued");
    cJSON_AddStringToObject(o, "status_url", url);
    bb_req_reply_json(r, 202, o);
    bb_req_add_header(r, "Location", url);
}

static int job_json(bb_req *r, const char *id, char **json)
{
    if (r->svc->rjobs)
        return bb_redis_jobs_status_json(r->svc->rjobs, id, r->identity, json);
    return bb_jobs_status_json(r->svc->jobs, id, r->identity, json);
}

/* A job store's failure other than "not found". */
static void reply_store_error(bb_req *r, int rc)
{
    if (rc == BB_ENOMEM)
        bb_req_reply_error(r, 503, "unavailable", "out of memory");
    else
        reply_store_down(r);
}

static void reply_no_job(bb_req *r, const char *id)
{
    bb_req_reply_error(r, 404, "not_found", "no job %.40s (unknown, expired or not yours)", id);
}

/* GET /api/v1/jobs/{id}: the job's state, and its result once done; only
 * to the identity that submitted it. */
void bb_api_job(bb_req *r)
{
    const char *id = bb_req_param(r);
    char *json = NULL;
    int rc = job_json(r, id, &json);
    if (rc == BB_ENOTFOUND)
        reply_no_job(r, id);
    else if (rc)
        reply_store_error(r, rc);
    else
        bb_req_reply(r, 200, "application/json", json, strlen(json));
}

/* DELETE /api/v1/jobs/{id}: cancels an unfinished job (202 with its
 * state), forgets a finished one (204). */
void bb_api_job_cancel(bb_req *r)
{
    const char *id = bb_req_param(r);
    bool forgotten;
    int rc = r->svc->rjobs ? bb_redis_jobs_cancel(r->svc->rjobs, id, r->identity, &forgotten)
                           : bb_jobs_cancel(r->svc->jobs, id, r->identity, &forgotten);
    if (rc == BB_ENOTFOUND) {
        reply_no_job(r, id);
        return;
    }
    if (rc) {
        reply_store_error(r, rc);
        return;
    }
    if (forgotten) {
        bb_req_reply(r, 204, NULL, NULL, 0);
        return;
    }
    char *json = NULL;
    rc = job_json(r, id, &json);
    if (rc == BB_OK)
        bb_req_reply(r, 202, "application/json", json, strlen(json));
    else
        reply_store_error(r, rc);
}

/* A generation with the service's settings, before its input. */
static void generation_settings(bb_service *s, bb_generation *g)
{
    const bb_service_config *c = &s->cfg;
    memset(g, 0, sizeof(*g));
    g->max_answer = c->max_output;
    g->metrics = s->metrics;
    bb_pipeline_opts_default(&g->opts);
    g->opts.limits = c->schema_limits;
    g->opts.templates_dir = c->templates_dir;
    g->opts.max_output_bytes = c->max_output;
    /* The reviewer's Python compile costs a process per request: the
     * service uses the built-in check unless told otherwise. */
    g->opts.python = c->review_python ? c->review_python : "";
}

static void set_input(bb_generation *g, const bb_input *in, const char *request_id)
{
    g->in = *in;
    g->request_id = request_id;
    g->opts.strict = in->strict;
    g->opts.llm = in->llm;
    g->opts.style = in->style;
}

/* The generation a request asks for, with the service's limits. */
static void generation_of(bb_req *r, const bb_input *in, bb_generation *g)
{
    generation_settings(r->svc, g);
    set_input(g, in, r->id);
    g->tarball = bb_wire_accepts(bb_req_header(r, "Accept"), "application/gzip");
}

int bb_api_run_job(void *ctx, const char *payload, size_t len, const bb_job_ctx *jc,
                   bb_job_result *out)
{
    bb_generation g;
    generation_settings(ctx, &g);
    bb_input in;
    bb_job_origin origin;
    if (bb_generation_decode(payload, len, &in, &origin) != BB_OK)
        return BB_EINVAL;
    set_input(&g, &in, origin.request_id);
    return bb_generation_job(&g, origin.traced ? &origin.trace : NULL, jc, out);
}

void bb_api_generate(bb_req *r)
{
    bb_input in;
    if (!bb_input_read(r, BB_M_GENERATIONS, &in))
        return;
    bb_generation g;
    generation_of(r, &in, &g);
    if (in.llm == BB_LLM_ADVISE) {
        reply_job(r, &g);
        return;
    }
    bb_generation_answer a;
    bb_generation_run(&g, &a);
    bb_req_reply(r, a.status, a.content_type, a.body, a.len);
    if (a.filename[0]) {
        char disp[128];
        snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", a.filename);
        bb_req_add_header(r, "Content-Disposition", disp);
    }
}
