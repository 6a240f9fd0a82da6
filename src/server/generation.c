/* generation.c - a generation and its answer, for requests and jobs alike
 * (see generation.h). */
#include "server/generation.h"

#include "base/http.h"
#include "base/trace.h"
#include "output/project.h"
#include "pipeline/advisor.h"
#include "pipeline/patch.h"
#include "plan/architect.h"
#include "server/answer.h"
#include "server/tarball.h"
#include "json/jsonout.h"

#include <cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- the answer's parts ------------------------------------------------- */

static void count(const bb_generation *g, const char *outcome)
{
    if (!g->metrics)
        return;
    const char *l[1] = {outcome};
    bb_metrics_add(g->metrics, BB_M_GENERATIONS, l, 1);
}

static void record_stages(const bb_generation *g, const bb_output *out)
{
    if (!g->metrics)
        return;
    for (size_t i = 0; i < out->n_stages; i++) {
        if (!out->stages[i].ran || !out->stages[i].name)
            continue;
        const char *l[1] = {out->stages[i].name};
        bb_metrics_add(g->metrics, BB_M_STAGE_SECONDS, l, out->stages[i].seconds);
    }
    bb_metrics_add(g->metrics, BB_M_FILES_GENERATED, NULL, (double)out->n_files);
    bb_metrics_add(g->metrics, BB_M_LINES_GENERATED, NULL, (double)out->n_lines);
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

static cJSON *llm_json(const bb_llm_stats *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "requests", (double)st->requests);
    cJSON_AddNumberToObject(o, "cache_hits", (double)st->cache_hits);
    cJSON_AddNumberToObject(o, "prompt_tokens", (double)st->prompt_tokens);
    cJSON_AddNumberToObject(o, "completion_tokens", (double)st->completion_tokens);
    cJSON_AddNumberToObject(o, "seconds", st->seconds);
    return o;
}

/* Appends a cJSON value as compact JSON and deletes it. */
static int put_cjson(bb_buf *b, cJSON *v)
{
    int rc = v ? bb_json_print(b, v, false) : BB_ENOMEM;
    cJSON_Delete(v);
    return rc;
}

/* ---- answers ------------------------------------------------------------ */

static const char fallback_error[] =
    "{\"error\":{\"code\":\"unavailable\",\"message\":\"out of memory\",\"request_id\":null}}";

static void set_body(bb_generation_answer *a, int status, const char *type, bb_buf *b)
{
    a->status = status;
    a->content_type = type;
    a->body = bb_buf_take(b, &a->len);
}

/* Prints json (deleted) as the answer; a 503 when that fails. */
static void set_json(const bb_generation *g, bb_generation_answer *a, int status, cJSON *json)
{
    bb_buf b;
    bb_buf_init(&b, g->max_answer);
    int rc = put_cjson(&b, json);
    if (!rc && b.data) {
        set_body(a, status, "application/json", &b);
        return;
    }
    bb_buf_free(&b);
    a->status = 503;
    a->content_type = "application/json";
    a->body = bb_strdup(fallback_error);
    a->len = a->body ? sizeof(fallback_error) - 1 : 0;
}

static void set_error(const bb_generation *g, bb_generation_answer *a, int status, const char *code,
                      const char *message)
{
    set_json(g, a, status, bb_answer_error(code, message, g->request_id));
}

/* The answer to a failure of the pipeline or the project assembly. */
static void set_failure(const bb_generation *g, bb_generation_answer *a, int rc, bb_diags *d)
{
    if (rc == BB_EINVAL && bb_answer_is_malformed(d)) {
        count(g, "malformed");
        set_json(g, a, 400, bb_answer_malformed(d, g->request_id));
    } else if (rc == BB_EINVAL) {
        count(g, "invalid");
        set_json(g, a, 422, bb_answer_invalid(d, g->request_id, false));
    } else {
        count(g, "error");
        char msg[160];
        snprintf(msg, sizeof(msg), "generation failed: %s", bb_strerror(rc));
        set_error(g, a,
                  rc == BB_ENOMEM   ? 503
                  : rc == BB_ELIMIT ? 413
                                    : 500,
                  rc == BB_ELIMIT ? "output_too_large" : "internal", msg);
    }
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

static void set_tarball(const bb_generation *g, bb_generation_answer *a, const bb_output *out,
                        const bb_project *p)
{
    char name[72];
    archive_name(out, name, sizeof(name));
    bb_buf tgz;
    bb_buf_init(&tgz, g->max_answer);
    int rc = bb_tarball_gzip(p->files, p->n_files, name, &tgz);
    if (rc) {
        bb_buf_free(&tgz);
        char msg[160];
        snprintf(msg, sizeof(msg), "cannot build the archive: %s", bb_strerror(rc));
        set_error(g, a, 500, "internal", msg);
        return;
    }
    set_body(a, 200, "application/gzip", &tgz);
    snprintf(a->filename, sizeof(a->filename), "%s.tar.gz", name);
}

/*
 * The 200 body, written straight into one buffer: a project is most of the
 * answer, and building it as a cJSON tree copied every file three times.
 * File contents may hold NULs only if a template does; JSON strings end
 * there, so the tarball is the exact form.
 */
static void set_files(const bb_generation *g, bb_generation_answer *a, const bb_output *out,
                      const bb_project *p, bb_diags *d)
{
    size_t total = 0;
    for (size_t i = 0; i < p->n_files; i++)
        total += p->files[i].len + strlen(p->files[i].path) + 8;
    bb_buf b;
    /* Escaping grows text by at most 6 times. */
    bb_buf_init(&b, 6 * g->max_answer + (1 << 20));
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
    if (!rc && g->opts.llm != BB_LLM_OFF)
        rc = bb_buf_puts(&b, ",\"llm\":");
    if (!rc && g->opts.llm != BB_LLM_OFF)
        rc = put_cjson(&b, llm_json(bb_advisor_last_stats()));
    /* The accepted advice as a change to the schema sent, as `advise` prints it. */
    if (!rc && out->advice && out->schema)
        rc = bb_buf_puts(&b, ",\"advice\":");
    if (!rc && out->advice && out->schema)
        rc = put_cjson(&b, bb_patch_result(out->schema, out->advice));
    if (!rc)
        rc = bb_buf_putc(&b, '}');
    if (!rc) {
        set_body(a, 200, "application/json", &b);
        return;
    }
    bb_buf_free(&b);
    if (rc == BB_ELIMIT)
        set_error(g, a, 413, "output_too_large", "the answer is too large");
    else
        set_error(g, a, 503, "unavailable", "out of memory");
}

void bb_generation_run(const bb_generation *g, bb_generation_answer *out)
{
    memset(out, 0, sizeof(*out));
    const bb_input *in = &g->in;
    bb_diags d;
    bb_diags_init(&d, "<request>", in->body + in->schema_at, in->schema_len);
    d.warnings_as_errors = g->opts.strict;
    bb_output *o = NULL;
    int rc =
        bb_pipeline_run("<request>", in->body + in->schema_at, in->schema_len, &g->opts, &d, &o);
    bb_input_rebase_diags(in, &d);
    if (o)
        record_stages(g, o);
    bb_project p;
    memset(&p, 0, sizeof(p));
    if (!rc && !o)
        rc = BB_ESTATE;
    if (!rc)
        rc = bb_project_build(o, &d, &p);
    if (rc) {
        set_failure(g, out, rc, &d);
    } else {
        count(g, "ok");
        if (g->tarball)
            set_tarball(g, out, o, &p);
        else
            set_files(g, out, o, &p, &d);
    }
    bb_project_free(&p);
    bb_output_free(o);
    bb_diags_free(&d);
}

/* ---- as a job ----------------------------------------------------------- */

typedef struct job_arg {
    bb_generation g; /* its body and request id point into the copies below */
    char *body;
    bb_job_origin origin;
} job_arg;

/* Where a job submitted now comes from: g's request and its trace. */
static void origin_now(const bb_generation *g, bb_job_origin *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->request_id, sizeof(o->request_id), "%s", g->request_id ? g->request_id : "");
    o->traced = bb_trace_current() != NULL;
    if (o->traced)
        o->trace = *bb_trace_current();
}

static void job_arg_free(void *p)
{
    job_arg *j = p;
    bb_free(j->body);
    bb_free(j);
}

int bb_generation_job(const bb_generation *g, const bb_trace_ctx *parent, const bb_job_ctx *ctx,
                      bb_job_result *res)
{
    bb_generation_answer a;
    /* The job's span is a child of the request's, which has ended. */
    bb_span span;
    bb_span_start(&span, "job generate", BB_SPAN_INTERNAL, parent);
    bb_trace_scope previous = bb_trace_enter(&span.ctx, g->request_id);
    bb_http_scope(ctx->cancel, ctx->deadline);
    bb_generation_run(g, &a);
    bb_http_scope(NULL, 0);
    bb_trace_leave(previous);
    bb_span_int(&span, "backbone.status", a.status);
    span.error = a.status >= 500 || !a.body;
    bb_span_end(&span);
    if (!a.body)
        return BB_ENOMEM;
    res->status = a.status;
    res->body = a.body;
    res->len = a.len;
    /* The service's own failures fail the job; the input's do not. */
    return a.status >= 500 ? BB_ESTATE : BB_OK;
}

static int job_run(void *arg, const bb_job_ctx *ctx, bb_job_result *res)
{
    job_arg *j = arg;
    return bb_generation_job(&j->g, j->origin.traced ? &j->origin.trace : NULL, ctx, res);
}

/* "BB2 schema_at schema_len strict llm style traceparent request_id\n"
 * then the body; the traceparent is "-" without a trace. "BB1" has no
 * style (classic) and no traceparent, as replicas of an earlier release
 * queued it. */
int bb_generation_encode(const bb_generation *g, bb_buf *out)
{
    bb_job_origin o;
    origin_now(g, &o);
    char tp[BB_TRACEPARENT_LEN + 1] = "-";
    if (o.traced)
        bb_trace_format(&o.trace, tp);
    int rc =
        bb_buf_printf(out, "BB2 %zu %zu %d %d %s %s %s\n", g->in.schema_at, g->in.schema_len,
                      g->in.strict ? 1 : 0, (int)g->in.llm, g->in.style ? g->in.style : "classic",
                      tp, o.request_id[0] ? o.request_id : "-");
    return rc ? rc : bb_buf_append(out, g->in.body, g->in.len);
}

/* The head's fields after the version into in and origin; false when
 * they do not parse. */
static bool decode_head(const char *head, bool v2, bb_input *in, bb_job_origin *origin)
{
    int used = 0, strict, llm;
    if (sscanf(head, "%zu %zu %d %d %n", &in->schema_at, &in->schema_len, &strict, &llm, &used) !=
            4 ||
        !used)
        return false;
    in->strict = strict != 0;
    in->llm = (bb_llm_mode)llm;
    head += used;
    if (v2) { /* the style, then the trace */
        size_t word = strcspn(head, " ");
        in->style = bb_architect_style(head, word);
        if (!in->style || head[word] != ' ')
            return false;
        head += word + 1;
        size_t len = strcspn(head, " ");
        char tp[BB_TRACEPARENT_LEN + 1];
        if (len != 1 && len != BB_TRACEPARENT_LEN)
            return false;
        memcpy(tp, head, len);
        tp[len] = '\0';
        origin->traced = len == BB_TRACEPARENT_LEN && bb_trace_parse(tp, &origin->trace);
        if (len == BB_TRACEPARENT_LEN && !origin->traced)
            return false;
        head += len + (head[len] == ' ');
    }
    snprintf(origin->request_id, sizeof(origin->request_id), "%s",
             strcmp(head, "-") == 0 ? "" : head);
    return true;
}

int bb_generation_decode(const char *payload, size_t len, bb_input *in, bb_job_origin *origin)
{
    const char *nl = memchr(payload, '\n', len);
    if (!nl || len < 4 || nl - payload > 400)
        return BB_EINVAL;
    bool v2 = memcmp(payload, "BB2 ", 4) == 0;
    if (!v2 && memcmp(payload, "BB1 ", 4) != 0)
        return BB_EINVAL;
    char head[416];
    memcpy(head, payload + 4, (size_t)(nl - payload) - 4);
    head[nl - payload - 4] = '\0';
    memset(origin, 0, sizeof(*origin));
    memset(in, 0, sizeof(*in));
    if (!decode_head(head, v2, in, origin))
        return BB_EINVAL;
    in->body = nl + 1;
    in->len = len - (size_t)(nl + 1 - payload);
    if (in->schema_at > in->len || in->schema_len > in->len - in->schema_at)
        return BB_EINVAL;
    return BB_OK;
}

int bb_generation_submit(bb_jobs *js, const char *owner, const bb_generation *g,
                         char id[BB_JOB_ID_LEN], bb_jobs_refusal *why)
{
    job_arg *j = bb_calloc(1, sizeof(*j));
    if (!j)
        return BB_ENOMEM;
    j->g = *g;
    j->body = bb_strndup(g->in.body, g->in.len);
    if (!j->body) {
        job_arg_free(j);
        return BB_ENOMEM;
    }
    origin_now(g, &j->origin);
    j->g.in.body = j->body;
    j->g.request_id = j->origin.request_id;
    j->g.tarball = false;
    /* Nobody is there to watch its progress. */
    j->g.opts.on_stage = NULL;
    j->g.opts.on_stage_ctx = NULL;
    j->g.opts.reviewed = NULL;
    j->g.opts.reviewed_ctx = NULL;
    int rc = bb_jobs_submit(js, owner, job_run, j, job_arg_free, id, why);
    if (rc)
        job_arg_free(j);
    return rc;
}
