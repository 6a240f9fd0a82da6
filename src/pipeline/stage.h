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
 * not BB_LLM_OFF (agents/llm.h), for advice only: what it gets back is
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

#include "diag/diag.h"
#include "pipeline/pipeline.h"

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
