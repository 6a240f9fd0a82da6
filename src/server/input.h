/*
 * input.h - the body of validate and generate: a bare schema, or the
 * wrapper the original service used,
 *
 *   {"schema": {...}, "options": {"strict": true, "llm": "advise"}}
 *
 * (with "strict_validation" also accepted next to "schema"). The wrapper
 * is found by a scan that does not parse the schema: the front end then
 * parses the schema's bytes where they lie in the body, and reports its
 * diagnostics at positions counted in the body (bb_input_rebase_diags).
 *
 * Ownership: a bb_input points into the request's body.
 */
#ifndef BB_INPUT_H
#define BB_INPUT_H

#include "diag/diag.h"
#include "llm/llm.h"
#include "server/request.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct bb_input {
    const char *body; /* the whole request body */
    size_t len;
    size_t schema_at, schema_len; /* the schema's bytes within it */
    bool strict;                  /* warnings are errors */
    bb_llm_mode llm;              /* "llm": "off" | "advise" */
    const char *style;            /* "style": "classic" | "sa2" (static); NULL: classic */
} bb_input;

/*
 * Reads r's body into *in. false when the options are not understood: the
 * request then holds its 400, counted as "malformed" under metric.
 */
bool bb_input_read(bb_req *r, bb_metric_id metric, bb_input *in) BB_WUR;

/* Diagnostics computed on the schema's bytes: make their positions count
 * from the start of the body. */
void bb_input_rebase_diags(const bb_input *in, bb_diags *d);

#endif
