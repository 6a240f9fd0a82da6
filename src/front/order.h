/*
 * order.h - the build order of a schema's tables: every table after the
 * tables its foreign keys reference, ties broken by position in the input,
 * so the order is deterministic.
 *
 * A cycle of foreign keys is broken at a nullable foreign key: that key is
 * marked use_alter (created by ALTER TABLE once both tables exist) and a
 * BB0428 warning says so. A cycle made only of NOT NULL foreign keys cannot
 * be loaded with data and is a BB0429 error naming its full path
 * ("users.org_id -> orgs.owner_id -> users"). A table's foreign key to
 * itself is not a cycle.
 *
 * Needs resolved foreign keys (bb_column.fk_table_index). Writes
 * s->build_order (allocated in the schema's arena) and s->n_build_order.
 */
#ifndef BB_ORDER_H
#define BB_ORDER_H

#include "base/bb.h"
#include "diag/diag.h"
#include "front/schema.h"

/*
 * Where a diagnostic about a foreign key column should point: fills ptr
 * (size bytes) and *off, e.g. with the column's "target" member. NULL:
 * the column itself.
 */
typedef void (*bb_order_locate_fn)(const bb_schema *s, const bb_column *c, char *ptr, size_t size,
                                   size_t *off);

/* Returns BB_OK (even with cycles reported: the order is still complete),
 * or BB_ENOMEM. */
int bb_order_build(bb_schema *s, bb_diags *d, bb_order_locate_fn locate) BB_WUR;

#endif
