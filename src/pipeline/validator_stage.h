/*
 * validator_stage.h - the first stage: the front end (load, then validate)
 * as a pipeline stage. Leaves the validated schema in st->out->schema.
 */
#ifndef BB_VALIDATOR_STAGE_H
#define BB_VALIDATOR_STAGE_H

#include "pipeline/stage.h"

extern const bb_stage bb_validator_stage;

#endif
