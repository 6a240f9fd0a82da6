/*
 * stages.h - the stages of the pipeline, in the order they run:
 *
 *   validator  bytes        -> out->schema   (front end: load + validate)
 *   architect  out->schema  -> out->plan     (every decision the templates need)
 *   advisor    out->plan    -> out->plan     (model advice, checked; off by default)
 *   generator  out->plan    -> out->files    (templates rendered)
 *   reviewer   out->files   -> diagnostics   (Python compiles; security patterns)
 *
 * `backbone plan` runs the first BB_PLAN_STAGES of them.
 */
#ifndef BB_STAGES_H
#define BB_STAGES_H

#include "pipeline/stage.h"

#include <stddef.h>

#define BB_PLAN_STAGES 3

extern const bb_stage *const bb_stages[];
extern const size_t bb_n_stages;

#endif
