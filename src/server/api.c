/* api.c - the compiler's routes: validate, generate, jobs (see api.h). */
#include "server/api.h"

#include "front/validate.h"
#include "output/project.h"
#include "pipeline/advisor.h"
#include "pipeline/pipeline.h"
#include "server/answer.h"
#include "server/input.h"
#include "server/service.h"
#include "server/tarball.h"
#include "server/wire.h"
#include "json/jsonout.h"

#include <cJSON.h>
#include <ctype.h>
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
    bb_limits limits = bb_limits_default();
    limits.max_input_bytes = r->svc->cfg.max_body;
    bb_diags d;
    bb_diags_init(&d, "<request>", in.body + in.schema_at, in.schema_len);
    d.warnings_as_errors = in.strict;
    bb_schema *s = NULL;
    int rc = bb_frontend("<request>", in.body + in.schema_at, in.schema_len, &limits, &d, &s);
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

/* n_files: the files of the answer (the project's, not only the pipeline's). */
static cJSON *summary_json(const bb_output *out, size_t n_files)
{
    cJSON *o = cJSON_CreateObject();
    const char *project = out->schema && out->schema->project_name ? out->schema->project_name : "";
    cJSON_AddStringToObject(o, "project_name", project);
    cJSON_AddNumberToObject(o, "files", (double)n_files);
    cJSON_AddNumberToObject(o, "models", (double)out->n_models);
    cJSON_AddNumberToObject(o, "routes", (double)out->n_routes);
    cJSON_AddNumberToObject(o, "lines", (double)out->n_lines);
    cJSON *stages = cJSON_AddArrayToObject(o, "stages");
    for (size_t i = 0; stages && i < out->n_stages; i++) {
        const bb_stage_report *st = &out->stages[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", st->name ? st->name : "");
        cJSON_AddBoolToObject(x, "ran", st->ran);
        cJSON_AddNumberToObject(x, "seconds", st->seconds);
        cJSON_AddNumberToObject(x, "errors", (double)st->n_errors);
        cJSON_AddNumberToObject(x, "warnings", (double)st->n_warnings);
        cJSON_AddItemToArray(stages, x);
    }
    return o;
}

static void record_generation(bb_req *r, const bb_output *out)
{
    bb_metrics *m = r->svc->metrics;
    for (size_t i = 0; i < out->n_stages; i++) {
        if (!out->stages[i].ran || !out->stages[i].name)
            continue;
        const char *l[1] = {out->stages[i].name};
        bb_metrics_add(m, BB_M_STAGE_SECONDS, l, out->stages[i].seconds);
    }
    bb_metrics_add(m, BB_M_FILES_GENERATED, NULL, (double)out->n_files);
    bb_metrics_add(m, BB_M_LINES_GENERATED, NULL, (double)out->n_lines);
}

/* A project name fit for a file name: [A-Za-z0-9_-], else "project". */
static void archive_name(const bb_output *out, char *name, size_t size)
{
    const char *p = out->schema && out->schema->project_name ? out->schema->project_name : "";
    size_t n = 0;
    for (; p[n] && n + 1 < size && n < 64; n++) {
        if (!isalnum((unsigned char)p[n]) && p[n] != '-' && p[n] != '_')
            break;
        name[n] = p[n];
    }
    if (p[n] || n == 0)
        n = (size_t)snprintf(name, size, "project");
    name[n] = '\0';
}

static void reply_tarball(bb_req *r, const bb_output *out, const bb_project *p)
{
    char name[72];
    archive_name(out, name, sizeof(name));
    bb_buf tgz;
    bb_buf_init(&tgz, r->svc->cfg.max_output);
    int rc = bb_tarball_gzip(p->files, p->n_files, name, &tgz);
    if (rc) {
        bb_buf_free(&tgz);
        bb_req_reply_error(r, 500, "internal", "cannot build the archive: %s", bb_strerror(rc));
        return;
    }
    size_t len;
    char *data = bb_buf_take(&tgz, &len);
    bb_req_reply(r, 200, "application/gzip", data, len);
    char disp[128];
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s.tar.gz\"", name);
    bb_req_add_header(r, "Content-Disposition", disp);
}

/* Appends a cJSON value as compact JSON and deletes it. */
static int put_cjson(bb_buf *b, cJSON *v)
{
    int rc = v ? bb_json_print(b, v, false) : BB_ENOMEM;
    cJSON_Delete(v);
    return rc;
}

/*
 * {"files": {path: content}, "summary", "diagnostics"}, written straight
 * into one buffer: a project is most of the answer, and building it as a
 * cJSON tree copied every file three times. File contents may hold NULs
 * only if a template does; JSON strings end there, so the tarball is the
 * exact form.
 */
static void reply_files(bb_req *r, const bb_output *out, const bb_project *p, bb_diags *d)
{
    size_t total = 0;
    for (size_t i = 0; i < p->n_files; i++)
        total += p->files[i].len + strlen(p->files[i].path) + 8;
    bb_buf b;
    /* Escaping grows text by at most 6 times. */
    bb_buf_init(&b, 6 * r->svc->cfg.max_output + (1 << 20));
    int rc = bb_buf_reserve(&b, total + total / 8 + 4096);
    if (!rc)
        rc = bb_buf_puts(&b, "{\"files\":{");
    for (size_t i = 0; !rc && i < p->n_files; i++) {
        if (i)
            rc = bb_buf_putc(&b, ',');
        if (!rc)
            rc = bb_json_put_string(&b, p->files[i].path, strlen(p->files[i].path));
        if (!rc)
            rc = bb_buf_putc(&b, ':');
        if (!rc)
            rc = bb_json_put_string(&b, p->files[i].data, p->files[i].len);
    }
    if (!rc)
        rc = bb_buf_puts(&b, "},\"summary\":");
    if (!rc)
        rc = put_cjson(&b, summary_json(out, p->n_files));
    if (!rc)
        rc = bb_buf_puts(&b, ",\"diagnostics\":");
    if (!rc)
        rc = put_cjson(&b, bb_diags_to_json(d));
    if (!rc)
        rc = bb_buf_putc(&b, '}');
    if (rc) {
        bb_buf_free(&b);
        if (rc == BB_ELIMIT)
            bb_req_reply_error(r, 413, "output_too_large", "the answer is too large");
        else
            bb_req_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    size_t len;
    char *text = bb_buf_take(&b, &len);
    bb_req_reply(r, 200, "application/json", text, len);
}

/* 202 with the job's id: generation with a model outlasts a request. */
static void reply_job(bb_req *r, const char *schema, size_t len, const bb_pipeline_opts *opts)
{
    char id[BB_JOB_ID_LEN];
    int rc = bb_advisor_submit_generation(r->svc->jobs, schema, len, opts, id);
    if (rc) {
        bb_req_reply_error(r, 503, "unavailable", "%s",
                           rc == BB_ELIMIT ? "too many jobs; retry later" : "out of memory");
        bb_req_add_header(r, "Retry-After", "30");
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

/* GET /api/v1/jobs/{id}: the job's state, and its result once done. */
void bb_api_job(bb_req *r)
{
    const char *id = bb_req_param(r);
    char *json = NULL;
    int rc = bb_jobs_status_json(r->svc->jobs, id, &json);
    if (rc == BB_ENOTFOUND)
        bb_req_reply_error(r, 404, "not_found", "no job %.40s (unknown or expired)", id);
    else if (rc)
        bb_req_reply_error(r, 503, "unavailable", "out of memory");
    else
        bb_req_reply(r, 200, "application/json", json, strlen(json));
}

/* 200 with the whole project (JSON or tarball), or why it could not be
 * made: the initial revision is refused (422) or too large. */
static void reply_project(bb_req *r, const bb_output *out, bb_diags *d)
{
    bb_project p;
    int rc = bb_project_build(out, d, &p);
    if (rc == BB_EINVAL) {
        bb_req_count(r, BB_M_GENERATIONS, "invalid");
        bb_req_reply_json(r, 422, bb_answer_invalid(d, r->id, false));
    } else if (rc) {
        bb_req_count(r, BB_M_GENERATIONS, "error");
        bb_req_reply_error(r,
                           rc == BB_ENOMEM   ? 503
                           : rc == BB_ELIMIT ? 413
                                             : 500,
                           rc == BB_ELIMIT ? "output_too_large" : "internal",
                           "generation failed: %s", bb_strerror(rc));
    } else {
        bb_req_count(r, BB_M_GENERATIONS, "ok");
        if (bb_wire_accepts(bb_req_header(r, "Accept"), "application/gzip"))
            reply_tarball(r, out, &p);
        else
            reply_files(r, out, &p, d);
    }
    bb_project_free(&p);
}

void bb_api_generate(bb_req *r)
{
    bb_input in;
    if (!bb_input_read(r, BB_M_GENERATIONS, &in))
        return;
    bb_pipeline_opts opts;
    bb_pipeline_opts_default(&opts);
    opts.limits.max_input_bytes = r->svc->cfg.max_body;
    opts.strict = in.strict;
    opts.templates_dir = r->svc->cfg.templates_dir;
    opts.max_output_bytes = r->svc->cfg.max_output;
    /* The reviewer's Python compile costs a process per request: the
     * service uses the built-in check unless told otherwise. */
    opts.python = r->svc->cfg.review_python ? r->svc->cfg.review_python : "";
    if (in.llm == BB_LLM_ADVISE) {
        opts.llm = BB_LLM_ADVISE;
        reply_job(r, in.body + in.schema_at, in.schema_len, &opts);
        return;
    }
    bb_diags d;
    bb_diags_init(&d, "<request>", in.body + in.schema_at, in.schema_len);
    d.warnings_as_errors = in.strict;
    bb_output *out = NULL;
    int rc = bb_pipeline_run("<request>", in.body + in.schema_at, in.schema_len, &opts, &d, &out);
    bb_input_rebase_diags(&in, &d);
    if (out)
        record_generation(r, out);
    if (rc == BB_EINVAL && bb_answer_is_malformed(&d)) {
        bb_req_count(r, BB_M_GENERATIONS, "malformed");
        bb_req_reply_json(r, 400, bb_answer_malformed(&d, r->id));
    } else if (rc == BB_EINVAL) {
        bb_req_count(r, BB_M_GENERATIONS, "invalid");
        bb_req_reply_json(r, 422, bb_answer_invalid(&d, r->id, false));
    } else if (rc != BB_OK || !out) {
        bb_req_count(r, BB_M_GENERATIONS, "error");
        bb_req_reply_error(r,
                           rc == BB_ENOMEM   ? 503
                           : rc == BB_ELIMIT ? 413
                                             : 500,
                           rc == BB_ELIMIT ? "output_too_large" : "internal",
                           "generation failed: %s", bb_strerror(rc));
    } else {
        reply_project(r, out, &d);
    }
    bb_output_free(out);
    bb_diags_free(&d);
}
