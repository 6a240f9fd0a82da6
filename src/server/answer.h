/*
 * answer.h - the JSON bodies the service answers with, made apart from
 * any connection so that a request and a background job give the same.
 *
 * Every error body has one shape:
 *   {"error": {"code", "message", "request_id"}, ...more}
 * where request_id is the id of the request the answer is for (a job's
 * answer names the request that submitted it).
 *
 * Ownership: each function returns a new cJSON tree (the caller's, for
 * cJSON_Delete), or NULL when out of memory.
 */
#ifndef BB_ANSWER_H
#define BB_ANSWER_H

#include "diag/diag.h"

#include <stdbool.h>

typedef struct cJSON cJSON;

cJSON *bb_answer_error(const char *code, const char *message, const char *request_id);

/* 400: the body is not JSON; the error also has "line" and "column" of the
 * first error, and the body every diagnostic. */
cJSON *bb_answer_malformed(bb_diags *d, const char *request_id);

/* 422: the schema is readable but wrong: "valid": false and every
 * diagnostic, as the command line gives them, plus an empty "build_order"
 * when asked (validate's answer has one). */
cJSON *bb_answer_invalid(bb_diags *d, const char *request_id, bool with_build_order);

/* True when the problem is with the bytes or the JSON syntax (BB01xx): a
 * 400, not a 422. */
bool bb_answer_is_malformed(const bb_diags *d);

#endif
