/*
 * pipeline.h - the staged pipeline behind `backbone generate`, `plan` and the
 * HTTP service:
 *
 *   validator (front end) -> architect (plan) -> generator (render) -> reviewer
 *
 * Each stage is a bb_stage behind one interface; the orchestrator runs them
 * in order, times each one and collects their diagnostics into one context.
 * Every stage is deterministic by default; a stage may consult an LLM when
 * the options allow it (llm/llm.h), and falls back to its deterministic
 * result on any failure.
 *
 * Ownership: bb_pipeline_run() gives the caller a bb_output to free with
 * bb_output_free(). The diagnostics context is the caller's.
 */
#ifndef BB_PIPELINE_H
#define BB_PIPELINE_H

#include "pipeline/stage.h"

#include <stdbool.h>
#include <stddef.h>

/* Options with their defaults: limits, no model, a 64 MiB output cap. */
void bb_pipeline_opts_default(bb_pipeline_opts *o);

/*
 * Runs the pipeline over input bytes. Returns BB_OK when every stage
 * succeeded (*out set); BB_EINVAL when the schema is invalid (diags says
 * why; *out may still be set with the stages that ran); other codes on
 * internal failure.
 */
int bb_pipeline_run(const char *filename, const char *bytes, size_t len,
                    const bb_pipeline_opts *opts, bb_diags *diags, bb_output **out) BB_WUR;

void bb_output_free(bb_output *o);

/*
 * What `backbone validate` and the service's validate check: the front end,
 * then the architect's checks of the names it would generate (BB0750-BB0760:
 * project classes, file paths, identifier lengths), so that a schema valid
 * here is one the pipeline generates. *out as for bb_frontend(); the plan
 * is not kept. Returns BB_OK only when the schema is valid.
 */
int bb_pipeline_validate(const char *filename, const char *bytes, size_t len,
                         const bb_limits *limits, bb_diags *diags, bb_schema **out) BB_WUR;

#endif
