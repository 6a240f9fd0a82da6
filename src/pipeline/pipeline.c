/*
 * pipeline.c - the orchestrator: runs the stages in order, times each one
 * and counts the diagnostics it added (see pipeline.h and stage.h).
 */
#include "pipeline/pipeline.h"

#include "base/clock.h"
#include "base/trace.h"

#include "front/validate.h"
#include "pipeline/stages.h"
#include "plan/architect.h"
#include "render/generator.h"

#include <cJSON.h>
#include <string.h>
#include <time.h>

#define DEFAULT_MAX_OUTPUT_BYTES (64u << 20)

void bb_pipeline_opts_default(bb_pipeline_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->limits = bb_limits_default();
    o->llm = BB_LLM_OFF;
    o->max_output_bytes = DEFAULT_MAX_OUTPUT_BYTES;
}

/* Runs one stage and fills its report. A stage that added an error fails
 * even if it returned BB_OK: an error always stops the run. Inside a
 * trace (a request of the service), the stage is a span, and the model
 * calls it makes are its children. */
static int run_stage(const bb_stage *stage, bb_pipeline_state *st, bb_stage_report *r)
{
    size_t errors = st->diags->n_errors, warnings = st->diags->n_warnings;
    bb_span span;
    bool traced = bb_span_start_here(&span, stage->name, BB_SPAN_INTERNAL);
    bb_trace_scope previous = bb_trace_enter(traced ? &span.ctx : bb_trace_current(), NULL);
    double start = bb_clock_seconds();
    int rc = stage->run(st);
    bb_trace_leave(previous);
    r->name = stage->name;
    r->schema = st->out->schema;
    r->seconds = bb_clock_seconds() - start;
    r->n_errors = st->diags->n_errors - errors;
    r->n_warnings = st->diags->n_warnings - warnings;
    r->ran = true;
    if (!rc && r->n_errors)
        rc = BB_EINVAL;
    if (traced) {
        bb_span_str(&span, "backbone.stage", stage->name);
        bb_span_int(&span, "backbone.errors", (long long)r->n_errors);
        bb_span_int(&span, "backbone.warnings", (long long)r->n_warnings);
        span.error = rc != BB_OK;
        bb_span_end(&span);
    }
    return rc;
}

int bb_pipeline_run(const char *filename, const char *bytes, size_t len,
                    const bb_pipeline_opts *opts, bb_diags *diags, bb_output **out)
{
    *out = NULL;
    bb_pipeline_opts defaults;
    if (!opts) {
        bb_pipeline_opts_default(&defaults);
        opts = &defaults;
    }
    bb_output *o = bb_calloc(1, sizeof(*o));
    if (!o)
        return BB_ENOMEM;
    bb_pipeline_state st = {.filename = filename ? filename : "<input>",
                            .bytes = bytes,
                            .len = len,
                            .opts = opts,
                            .diags = diags,
                            .out = o};
    bool was_strict = diags->warnings_as_errors;
    if (opts->strict)
        diags->warnings_as_errors = true;
    size_t n = opts->stop_after_plan ? BB_PLAN_STAGES : bb_n_stages;
    int rc = BB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        bb_stage_report *r = &o->stages[o->n_stages++];
        rc = run_stage(bb_stages[i], &st, r);
        if (opts->on_stage)
            opts->on_stage(opts->on_stage_ctx, r);
    }
    diags->warnings_as_errors = was_strict;
    *out = o;
    return rc;
}

void bb_output_free(bb_output *o)
{
    if (!o)
        return;
    cJSON_Delete(o->advice);
    bb_plan_free(o->plan); /* before the schema, whose strings it borrows */
    bb_schema_free(o->schema);
    bb_generator_free(o->files, o->n_files);
    bb_free(o);
}

int bb_pipeline_validate(const char *filename, const char *bytes, size_t len,
                         const bb_limits *limits, bb_diags *diags, bb_schema **out)
{
    bb_plan *plan = NULL;
    int rc = bb_frontend(filename, bytes, len, limits, diags, out);
    if (rc || bb_diags_has_errors(diags))
        return rc ? rc : BB_EINVAL;
    rc = bb_architect_plan(*out, NULL, diags, &plan);
    bb_plan_free(plan);
    if (!rc && bb_diags_has_errors(diags))
        rc = BB_EINVAL;
    return rc;
}
