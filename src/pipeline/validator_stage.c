/* validator_stage.c - the front end as the pipeline's first stage. */
#include "pipeline/validator_stage.h"

#include "front/validate.h"

static int validator_run(bb_pipeline_state *st)
{
    return bb_frontend(st->filename, st->bytes, st->len, &st->opts->limits, st->diags,
                       &st->out->schema);
}

const bb_stage bb_validator_stage = {"validator", validator_run};
