/*
 * sarif.h - diagnostics as SARIF 2.1.0, the format code-scanning services
 * read (GitHub code scanning, GitLab, Azure DevOps): `--format sarif`.
 *
 * One run of the "backbone" tool; one artifact per diagnostics context (one
 * per input file); one rule per code used, named after codes.h; one result
 * per diagnostic with its level, message, line:column (columns count code
 * points: the run says "columnKind": "unicodeCodePoints"), and the JSON
 * Pointer as a logical location. The hint goes to the result's properties.
 *
 * Ownership: the caller owns the returned document (cJSON_Delete); the
 * contexts are only read (their line tables may be built on first use).
 */
#ifndef BB_SARIF_H
#define BB_SARIF_H

#include "base/bb.h"
#include "diag/diag.h"

#include <stddef.h>

typedef struct cJSON cJSON;

#define BB_SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

/* The SARIF log of n contexts; NULL when out of memory. */
cJSON *bb_diags_to_sarif(bb_diags *const *diags, size_t n);

/* Prints the SARIF log of n contexts to out. BB_OK, BB_ENOMEM or BB_EIO. */
int bb_diags_print_sarif(bb_diags *const *diags, size_t n, FILE *out) BB_WUR;

#endif
