/*
 * validate.h - semantic validation of a loaded schema.
 *
 * Checks identifiers (Python and SQL validity, keywords, reserved words of
 * the chosen db_type, clashes with SQLAlchemy/Pydantic attributes,
 * duplicates), suspicious content (patterns.h) in every string, foreign keys,
 * types and defaults, enums, lengths and precisions, relationships, mixin
 * clashes, and computes the build order (cycles through a nullable FK are
 * broken with use_alter; others are reported with their full path).
 *
 * Fills the resolved fields of the schema (see schema.h) and reports every
 * problem into diags. Returns BB_OK when the schema has no error (warnings
 * allowed), BB_EINVAL when it has errors, BB_ENOMEM on allocation failure.
 */
#ifndef BB_VALIDATE_H
#define BB_VALIDATE_H

#include "diag/diag.h"
#include "front/schema.h"

int bb_validate(bb_schema *s, bb_diags *diags) BB_WUR;

/*
 * The whole front end in one call: load + validate. *out is set as for
 * bb_schema_load(). Returns BB_OK only when the schema is valid.
 */
int bb_frontend(const char *filename, const char *bytes, size_t len, const bb_limits *limits,
                bb_diags *diags, bb_schema **out) BB_WUR;

#endif
