/* stages.c - each stage of the pipeline over the module that does its work. */
#include "pipeline/stages.h"

#include "front/validate.h"
#include "pipeline/advisor.h"
#include "plan/architect.h"
#include "render/generator.h"
#include "review/reviewer.h"
#include "json/jsoncheck.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

static int validator_run(bb_pipeline_state *st)
{
    return bb_frontend(st->filename, st->bytes, st->len, &st->opts->limits, st->diags,
                       &st->out->schema);
}

/* The endpoints of a model with routes: list, create, read, update, delete,
 * and restore when rows are soft-deleted. */
static size_t endpoints_of(const bb_plan_model *m)
{
    return m->routes ? 5 + m->soft_delete : 0;
}

static int architect_run(bb_pipeline_state *st)
{
    bb_output *o = st->out;
    /* The schema's kept advice is planned like the rest of it. */
    int rc = bb_advisor_plan(o->schema, NULL, st->diags, &o->plan);
    if (!rc)
        rc = bb_architect_use_style(o->plan, st->opts->style);
    if (rc)
        return rc;
    o->style = o->plan->project->style;
    o->n_routes = 2; /* GET /health and /health/ready */
    o->n_models = o->plan->models.n;
    for (size_t i = 0; i < o->plan->models.n; i++)
        o->n_routes += endpoints_of(&o->plan->models.v[i]);
    return BB_OK;
}

static int advisor_run(bb_pipeline_state *st)
{
    return bb_advisor_run(st); /* nothing when opts->llm is off */
}

static size_t count_lines(const bb_file *files, size_t n)
{
    size_t lines = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = files[i].data, *end = p + files[i].len;
        while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            lines++;
            p++;
        }
        if (files[i].len && files[i].data[files[i].len - 1] != '\n')
            lines++;
    }
    return lines;
}

static int generator_run(bb_pipeline_state *st)
{
    bb_output *o = st->out;
    int rc = bb_generator_render(o->plan, st->opts->templates_dir, st->opts->max_output_bytes,
                                 st->opts->jobs, st->diags, &o->files, &o->n_files);
    if (!rc)
        o->n_lines = count_lines(o->files, o->n_files);
    return rc;
}

/*
 * With --templates, what the reviewer finds (Python that does not compile,
 * BB0740 and BB0741; eval, pickle, shell calls or secrets, BB0742 to
 * BB0745) comes from the user's templates as likely as from backbone: the
 * findings say so instead of calling it a bug in backbone.
 */
static void blame_templates(bb_diags *d, size_t first, const char *templates_dir)
{
    char hint[4200];
    snprintf(hint, sizeof(hint),
             "the file was rendered with the templates of %s: check the overrides it uses",
             templates_dir);
    for (size_t i = first; i < d->n; i++) {
        const char *code = d->items[i].code;
        if (strcmp(code, "BB0740") < 0 || strcmp(code, "BB0745") > 0)
            continue;
        char *h = bb_strdup(hint);
        if (!h)
            return;
        bb_free(d->items[i].hint);
        d->items[i].hint = h;
    }
}

static int review(bb_pipeline_state *st, bb_diags *d)
{
    size_t first = d->n;
    int rc =
        bb_reviewer_check(st->out->files, st->out->n_files, st->opts->python, st->opts->reviewed,
                          st->opts->reviewed_ctx, st->filename, st->opts->jobs, d);
    if (st->opts->templates_dir)
        blame_templates(d, first, st->opts->templates_dir);
    return rc;
}

/* Is the file at path named by an error of d? */
static bool flagged(const bb_diags *d, const char *path)
{
    char quoted[4200];
    snprintf(quoted, sizeof(quoted), "'%s'", path);
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].severity == BB_ERROR && strstr(d->items[i].message, quoted))
            return true;
    return false;
}

/* Does a file the review flagged hold the proposal's text? */
static bool in_flagged_file(const bb_output *o, const bb_diags *d, const char *value)
{
    size_t n = value ? strlen(value) : 0;
    for (size_t i = 0; n && i < o->n_files; i++)
        if (flagged(d, o->files[i].path) && memmem(o->files[i].data, o->files[i].len, value, n))
            return true;
    return false;
}

/* "docstring doctors, example appointments.starts_at": the proposals whose
 * text is in a flagged file, else all of them. */
static int name_proposals(const bb_output *o, const bb_diags *d, bb_buf *out)
{
    int rc = BB_OK;
    for (int pass = 0; pass < 2 && !rc && !out->len; pass++) {
        const cJSON *p;
        cJSON_ArrayForEach(p, o->advice)
        {
            const char *value = cJSON_GetStringValue(cJSON_GetObjectItem(p, "value"));
            const char *column = cJSON_GetStringValue(cJSON_GetObjectItem(p, "column"));
            if (rc || (pass == 0 && !in_flagged_file(o, d, value)))
                continue;
            rc = bb_buf_printf(out, "%s%s %s%s%s", out->len ? ", " : "",
                               cJSON_GetStringValue(cJSON_GetObjectItem(p, "kind")),
                               cJSON_GetStringValue(cJSON_GetObjectItem(p, "table")),
                               column ? "." : "", column ? column : "");
        }
    }
    return rc;
}

/* The project again from the input without the model's advice of this run
 * (kept advice stays: it is the user's). */
static int without_advice(bb_pipeline_state *st)
{
    bb_output *o = st->out;
    bb_generator_free(o->files, o->n_files);
    o->files = NULL;
    o->n_files = 0;
    bb_plan_free(o->plan);
    o->plan = NULL;
    bb_schema_free(o->schema);
    o->schema = NULL;
    cJSON_Delete(o->advice);
    o->advice = NULL;
    /* Everything these report was reported by the first pass. */
    bb_diags quiet;
    bb_diags_init(&quiet, st->filename, NULL, 0);
    int rc = bb_frontend(st->filename, st->bytes, st->len, &st->opts->limits, &quiet, &o->schema);
    if (!rc)
        rc = bb_advisor_plan(o->schema, NULL, &quiet, &o->plan);
    if (!rc)
        rc = bb_generator_render(o->plan, st->opts->templates_dir, st->opts->max_output_bytes,
                                 st->opts->jobs, &quiet, &o->files, &o->n_files);
    bb_diags_free(&quiet);
    if (!rc)
        o->n_lines = count_lines(o->files, o->n_files);
    return rc;
}

/*
 * Model advice is checked before it is used, with the reviewer's rules
 * among others; should the generated code still fail review with it, the
 * run does not fail because of the model: the advice is dropped (BB0921,
 * naming the proposals) and the project generated and reviewed without it.
 */
static int reviewer_run(bb_pipeline_state *st)
{
    if (!st->out->advice)
        return review(st, st->diags);
    bb_diags first;
    bb_diags_init(&first, st->diags->filename, st->diags->src, st->diags->src_len);
    int rc = review(st, &first);
    if (rc != BB_EINVAL || !first.n_errors) {
        int copied = bb_diags_append(st->diags, &first);
        bb_diags_free(&first);
        return rc ? rc : copied;
    }
    bb_buf names, why;
    bb_buf_init(&names, 64 * 1024);
    bb_buf_init(&why, 1024);
    const bb_diag *err = NULL;
    for (size_t i = 0; i < first.n && !err; i++)
        if (first.items[i].severity == BB_ERROR)
            err = &first.items[i];
    rc = name_proposals(st->out, &first, &names);
    if (!rc)
        rc = bb_jsoncheck_quote(&why, err ? err->message : "", 300, true);
    if (!rc)
        (void)bb_diag_add(st->diags, BB_WARNING, "BB0921", NULL, BB_NO_OFFSET,
                          "the project is generated without the model's advice of this run",
                          "model advice dropped: the generated code failed review with it "
                          "(%s %s); dropped: %s",
                          err ? err->code : "", bb_buf_str(&why), bb_buf_str(&names));
    bb_buf_free(&names);
    bb_buf_free(&why);
    bb_diags_free(&first);
    if (!rc)
        rc = without_advice(st);
    return rc ? rc : review(st, st->diags);
}

static const bb_stage validator = {"validator", validator_run};
static const bb_stage architect = {"architect", architect_run};
static const bb_stage advisor = {"advisor", advisor_run};
static const bb_stage generator = {"generator", generator_run};
static const bb_stage reviewer = {"reviewer", reviewer_run};

const bb_stage *const bb_stages[] = {&validator, &architect, &advisor, &generator, &reviewer};
const size_t bb_n_stages = sizeof(bb_stages) / sizeof(bb_stages[0]);
