/*
 * pipeline.h - the staged pipeline behind `backbone generate`, `plan` and the
 * HTTP service:
 *
 *   validator (front end) -> architect (plan) -> generator (render) -> reviewer
 *
 * Each stage is a bb_stage behind one interface; the orchestrator runs them
 * in order, times each one and collects their diagnostics into one context.
 * Every stage is deterministic by default; a stage may consult an LLM when
 * the options allow it (agents/llm.h), and falls back to its deterministic
 * result on any failure.
 *
 * Ownership: bb_pipeline_run() gives the caller a bb_output to free with
 * bb_output_free(). The diagnostics context is the caller's.
 */
#ifndef BB_PIPELINE_H
#define BB_PIPELINE_H

#include "diag/diag.h"
#include "front/schema.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

typedef enum { BB_LLM_OFF = 0, BB_LLM_ADVISE } bb_llm_mode;

struct bb_stage_report;
struct bb_file;

/* True when a generated file was already reviewed in exactly this form (an
 * earlier run wrote these bytes), so the reviewer need not compile it again. */
typedef bool (*bb_reviewed_fn)(void *ctx, const struct bb_file *f);

typedef struct bb_pipeline_opts {
    bb_limits limits;
    const char *templates_dir; /* NULL: embedded templates only */
    bool strict;               /* warnings are errors */
    bool stop_after_plan;      /* `backbone plan`: no rendering */
    bb_llm_mode llm;           /* BB_LLM_OFF by default */
    size_t max_output_bytes;   /* cap on all rendered files together */
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

void bb_pipeline_opts_default(bb_pipeline_opts *o);

typedef struct bb_file {
    char *path; /* relative, '/'-separated, e.g. "app/models/user.py" */
    char *data;
    size_t len;
    bool user; /* plan entry with "user": true: written only when absent */
} bb_file;

typedef struct bb_stage_report {
    const char *name; /* "validator", "architect", "generator", "reviewer" */
    double seconds;
    size_t n_errors, n_warnings;
    bool ran;
} bb_stage_report;

#define BB_MAX_STAGES 8

typedef struct bb_output {
    bb_schema *schema; /* the validated schema */
    cJSON *plan;       /* the architect's plan (docs/plan.md) */
    bb_file *files;    /* sorted by path */
    size_t n_files;
    size_t n_models, n_routes, n_lines;
    bb_stage_report stages[BB_MAX_STAGES];
    size_t n_stages;
} bb_output;

/*
 * Runs the pipeline over input bytes. Returns BB_OK when every stage
 * succeeded (*out set); BB_EINVAL when the schema is invalid (diags says
 * why; *out may still be set with the stages that ran); other codes on
 * internal failure.
 */
int bb_pipeline_run(const char *filename, const char *bytes, size_t len,
                    const bb_pipeline_opts *opts, bb_diags *diags, bb_output **out) BB_WUR;

void bb_output_free(bb_output *o);

#endif
