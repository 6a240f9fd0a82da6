/*
 * patch.h - model advice as a change to the user's schema.
 *
 * The proposals a run accepted (pipeline/advisor.h's accepted form) become
 * entries of each table's "advice" key (front/advice.h), marked
 * "proposed_by": "model":
 *
 *   - as an RFC 6902 JSON Patch: {"op": "add", "path": "/schema/2/advice",
 *     "value": [...]} for a table without the key, {"op": "add", "path":
 *     "/schema/2/advice/-", "value": {...}} per entry for one with it;
 *   - as the schema's text with the entries inserted, the rest of the file
 *     byte for byte as it was (its layout, key order, other advice kept),
 *     for a unified diff or for `advise --write`.
 *
 * The file then generates without a model what the run generated with it.
 *
 * Ownership: *out of bb_patch_json is the caller's (cJSON_Delete); text is
 * appended to the caller's buffer.
 */
#ifndef BB_PATCH_H
#define BB_PATCH_H

#include "base/buf.h"
#include "front/schema.h"

typedef struct cJSON cJSON;

/* The entry of "advice" for one accepted proposal (a new cJSON object). */
cJSON *bb_patch_entry(const cJSON *accepted);

/* The JSON Patch adding accepted (NULL: none) to s's document. */
int bb_patch_json(const bb_schema *s, const cJSON *accepted, cJSON **out) BB_WUR;

/* s's source text with accepted added, into out. BB_EUSAGE when s was not
 * read from text (no source map). */
int bb_patch_text(const bb_schema *s, const cJSON *accepted, bb_buf *out) BB_WUR;

/*
 * The advice of a run as its result carries it (`advise --format json`,
 * `generate --format json`, the service): {"proposals": n, "patch": [...]}
 * and, when s was read from text, "schema": the patched text. NULL when
 * out of memory.
 */
cJSON *bb_patch_result(const bb_schema *s, const cJSON *accepted);

#endif
