/* stages.c - each stage of the pipeline over the module that does its work. */
#include "pipeline/stages.h"

#include "front/validate.h"
#include "pipeline/advisor.h"
#include "plan/architect.h"
#include "render/generator.h"
#include "review/reviewer.h"

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
    int rc = bb_architect_plan(o->schema, NULL, st->diags, &o->plan);
    if (!rc)
        rc = bb_architect_use_style(o->plan, st->opts->style);
    if (rc)
        return rc;
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
                                 st->diags, &o->files, &o->n_files);
    if (!rc)
        o->n_lines = count_lines(o->files, o->n_files);
    return rc;
}

/*
 * With --templates, Python that does not compile comes from the user's
 * templates as likely as from backbone: the reviewer's findings (BB0740,
 * BB0741) say so instead of calling it a bug in backbone.
 */
static void blame_templates(bb_diags *d, size_t first, const char *templates_dir)
{
    char hint[4200];
    snprintf(hint, sizeof(hint),
             "the file was rendered with the templates of %s: check the overrides it uses",
             templates_dir);
    for (size_t i = first; i < d->n; i++) {
        if (strcmp(d->items[i].code, "BB0740") && strcmp(d->items[i].code, "BB0741"))
            continue;
        char *h = bb_strdup(hint);
        if (!h)
            return;
        bb_free(d->items[i].hint);
        d->items[i].hint = h;
    }
}

static int reviewer_run(bb_pipeline_state *st)
{
    size_t first = st->diags->n;
    int rc = bb_reviewer_check(st->out->files, st->out->n_files, st->opts->python,
                               st->opts->reviewed, st->opts->reviewed_ctx, st->filename, st->diags);
    if (st->opts->templates_dir)
        blame_templates(st->diags, first, st->opts->templates_dir);
    return rc;
}

static const bb_stage validator = {"validator", validator_run};
static const bb_stage architect = {"architect", architect_run};
static const bb_stage advisor = {"advisor", advisor_run};
static const bb_stage generator = {"generator", generator_run};
static const bb_stage reviewer = {"reviewer", reviewer_run};

const bb_stage *const bb_stages[] = {&validator, &architect, &advisor, &generator, &reviewer};
const size_t bb_n_stages = sizeof(bb_stages) / sizeof(bb_stages[0]);
