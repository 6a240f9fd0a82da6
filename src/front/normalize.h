/*
 * normalize.h - the canonical JSON of a validated schema.
 *
 * The normalized schema is what migrations compare: the manifest records it
 * ("schema"), `backbone migrate` diffs two of them, and revision ids hash it.
 * It holds only what shapes the database, with every default made explicit
 * (nullable, unique, index, lengths, ...), mixin columns and automatic
 * many-to-many association tables included, and the final name of every
 * constraint and index (the naming convention of the generated Base.metadata):
 *
 *   {"normalized": 1, "project_name": "blog", "db_type": "postgresql",
 *    "tables": [                                   dependencies first
 *      {"name": "users", "renamed_from": null, "comment": null,
 *       "association": false, "primary_key": {"name": "pk_users", "columns": ["id"]},
 *       "columns": [{"name", "type", "length", "precision", "scale", "timezone",
 *                    "values", "enum_name", "primary_key", "autoincrement",
 *                    "nullable", "unique", "index", "default", "server_default",
 *                    "server_default_literal",
 *                    "foreign_key": null | {"name", "table", "column",
 *                                           "on_delete", "use_alter"},
 *                    "comment", "renamed_from"}],
 *       "uniques": [{"name", "columns"}],
 *       "indexes": [{"name", "columns", "unique", "where"}],
 *       "checks": [{"name", "expression"}]}]}
 *
 * Keys always appear, in this order (absent values are null), so equal
 * schemas give equal bytes. docs/migrations.md describes every field.
 *
 * Ownership: *out is the caller's (cJSON_Delete); text from
 * bb_normalize_text() is the caller's (bb_free).
 */
#ifndef BB_NORMALIZE_H
#define BB_NORMALIZE_H

#include "base/bb.h"
#include "base/buf.h"
#include "diag/diag.h"
#include "front/schema.h"

typedef struct cJSON cJSON;

/* The format version stored under "normalized". */
#define BB_NORMALIZED_FORMAT 1

/* Builds the normalized schema of s (validated: resolved FKs, build order). */
int bb_normalize(const bb_schema *s, cJSON **out) BB_WUR;

/* The compact canonical text of a normalized schema (for hashing): the
 * bytes cJSON_PrintUnformatted() gives. */
int bb_normalize_text(const cJSON *norm, char **out) BB_WUR;

/* The same text appended to b (BB_ELIMIT past its cap, BB_ENOMEM). */
int bb_normalize_append(bb_buf *b, const cJSON *norm) BB_WUR;

/* True when doc looks like a normalized schema (has "normalized" and "tables"). */
int bb_normalize_is_normalized(const cJSON *doc);

#endif
