/*
 * stage.h - the interface every pipeline stage implements.
 *
 * A stage is a name and a run function over the shared pipeline state. The
 * orchestrator (pipeline.c) runs the stages in order, times each one and
 * counts the diagnostics it added; a stage that returns an error stops the
 * run. A stage reads what earlier stages left in st->out and adds its own
 * result there:
 *
 *   validator  bytes             -> out->schema (validated)
 *   architect  out->schema       -> out->plan
 *   generator  out->plan         -> out->files (sorted by path)
 *   reviewer   out->files        -> diagnostics only
 *
 * Room for a language model: a stage may consult one when st->opts->llm is
 * not BB_LLM_OFF (llm/llm.h), for advice only: what it gets back is
 * checked like user input, reported as BB09xx diagnostics, and on any
 * failure (no key, timeout, bad answer) the stage keeps its deterministic
 * result. With BB_LLM_OFF (the default) no stage touches the network, so the
 * output only depends on the input bytes and the backbone version.
 *
 * Ownership: the state is the orchestrator's; stages own nothing in it but
 * what they put into st->out, which bb_output_free() releases.
 */
#ifndef BB_STAGE_H
#define BB_STAGE_H

#include "base/file.h"
#include "diag/diag.h"
#include "front/schema.h"
#include "llm/llm.h"
#include "plan/plan.h"
#include "review/reviewer.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;
struct bb_stage_report;

typedef struct bb_pipeline_opts {
    bb_limits limits;
    const char *templates_dir; /* NULL: embedded templates only */
    const char *style;         /* the models' style (architect.h); NULL: classic */
    bool strict;               /* warnings are errors */
    bool stop_after_plan;      /* `backbone plan`: no rendering */
    bb_llm_mode llm;           /* BB_LLM_OFF by default */
    /* Provider, model, cache and budget chosen on the command line (NULL:
     * all from the environment); borrowed. */
    const bb_llm_options *llm_options;
    size_t max_output_bytes; /* cap on all rendered files together */
    /* Threads that format and review the files (base/parallel.h); 0 or 1:
     * the caller's only. The output is the same for any number. */
    unsigned jobs;
    /* The Python the reviewer parses generated code with: NULL picks
     * /usr/bin/python3 (else /usr/local/bin/python3), "" uses only the built-in
     * check. */
    const char *python;
    bb_reviewed_fn reviewed; /* may be NULL: review every file */
    void *reviewed_ctx;
    /* Called after each stage (progress on a terminal); may be NULL. */
    void (*on_stage)(void *ctx, const struct bb_stage_report *report);
    void *on_stage_ctx;
} bb_pipeline_opts;

typedef struct bb_stage_report {
    const char *name; /* "validator", "architect", "generator", "reviewer" */
    /* The validated schema, once the validator has passed (else NULL): read
     * only, and it stays until the output is freed unless the model's
     * advice is dropped (opts->llm on), which validates the input again. */
    const bb_schema *schema;
    double seconds;
    size_t n_errors, n_warnings;
    bool ran;
} bb_stage_report;

#define BB_MAX_STAGES 8

typedef struct bb_output {
    bb_schema *schema; /* the validated schema */
    bb_plan *plan;     /* the architect's plan (plan/plan.h) */
    bb_file *files;    /* sorted by path */
    size_t n_files;
    size_t n_models, n_routes, n_lines;
    /* The models' style the files are in, "classic" or "sa2" (static),
     * set by the architect. */
    const char *style;
    /* The model's proposals accepted in this run, in the accepted form of
     * pipeline/advisor.h and table order; NULL when there are none (no
     * model, nothing accepted, or the advice was dropped). What `advise`
     * turns into a patch of the schema (pipeline/patch.h). */
    cJSON *advice;
    bb_stage_report stages[BB_MAX_STAGES];
    size_t n_stages;
} bb_output;

typedef struct bb_pipeline_state {
    const char *filename; /* the schema's name, for messages */
    const char *bytes;    /* the schema's text */
    size_t len;
    const bb_pipeline_opts *opts;
    bb_diags *diags;
    bb_output *out;
} bb_pipeline_state;

typedef struct bb_stage {
    const char *name;
    /* BB_OK to go on; BB_EINVAL when the input is at fault (diagnostics say
     * why); other codes on internal failure. */
    int (*run)(bb_pipeline_state *st);
} bb_stage;

#endif
