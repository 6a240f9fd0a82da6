/*
 * jsoncheck.h - checks a cJSON value against the subset of JSON Schema that
 * backbone sends to language models with structured output:
 *   type (a name or an array of names: object, array, string, integer,
 *   number, boolean, null), properties, required, additionalProperties
 *   (false, or a schema), enum, const, items, minItems, maxItems,
 *   minLength, maxLength (in code points), minimum, maximum.
 * Keywords outside the subset are ignored, so the same schema can be sent
 * to a provider and checked here.
 *
 * A model's answer is never trusted because the provider promised to follow
 * the schema: it is checked here in any case.
 */
#ifndef BB_JSONCHECK_H
#define BB_JSONCHECK_H

#include "base/bb.h"
#include "base/buf.h"

typedef struct cJSON cJSON;

/*
 * BB_OK when value satisfies schema. Otherwise BB_EINVAL, with the JSON
 * Pointer of the first offending value in where and a sentence in why (both
 * may be NULL). BB_ELIMIT when the value nests deeper than 64 levels.
 */
int bb_jsoncheck(const cJSON *schema, const cJSON *value, bb_buf *where, bb_buf *why) BB_WUR;

#endif
