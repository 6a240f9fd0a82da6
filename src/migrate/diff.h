/*
 * diff.h - the differ: the Alembic operations (ops.h) that take a database
 * from one normalized schema (normview.h) to another, in this order:
 *
 *   1. PostgreSQL enum types that appear (or gain values)
 *   2. table renames
 *   3. new tables, dependencies first, then their cyclic (use_alter) FKs
 *   4. changed tables, each in one batch: drop constraints, rename, add and
 *      alter columns, create constraints, drop columns
 *   5. dropped tables, dependents first
 *   6. PostgreSQL enum types that disappear
 *
 * A revision's upgrade is bb_diff(old, new) and its downgrade
 * bb_diff(new, old), so the two are inverse by construction. Refusals
 * (destructive drops, NOT NULL without default, ...; BB0820..BB0826) are
 * reported only on the upgrade; the downgrade softens what it cannot do.
 */
#ifndef BB_DIFF_H
#define BB_DIFF_H

#include "base/bb.h"
#include "diag/diag.h"
#include "front/schema.h"
#include "migrate/normview.h"
#include "migrate/ops.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct bb_diff_opts {
    bool upgrade;            /* false: the downgrade (no refusals, softened) */
    bool initial;            /* from no tables: renamed_from means nothing yet */
    bool allow_destructive;  /* drops of tables and columns are not refused */
    const bb_schema *locate; /* the new schema, to place diagnostics; may be NULL */
} bb_diff_opts;

/*
 * Appends the operations from `from` to `to` to out->ops, and a line per
 * change to its notes. Refusals and warnings go to diags; *n_refused counts
 * the refusals. Returns BB_OK (even with refusals), BB_ENOMEM or BB_ELIMIT.
 */
int bb_diff(const bb_normview *from, const bb_normview *to, const bb_diff_opts *o, bb_diags *diags,
            bb_ops *out, size_t *n_refused) BB_WUR;

#endif
