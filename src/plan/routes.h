/*
 * routes.h - the architect's part for app/api: each table's route module
 * (the key in the path: `/{item_id}` for one column, else one segment per
 * key column, named after it, `<column>_key` when the name is one the
 * route functions use; the list's filters on indexed, unique, enum, boolean
 * and foreign key columns and the columns of a composite key; the sort
 * whitelist; the search a model advised; the references checked before a
 * write; the many-to-many links) and the order of the routers.
 */
#ifndef BB_ROUTES_H
#define BB_ROUTES_H

#include "plan/arch.h"

void bb_routes_plan(bb_arch *a, int ti, bb_plan_model *m);
void bb_routes_plan_router(bb_arch *a, bb_plan *plan);

/* The URL query name of the filter on column name: the column, or
 * `<name>_filter` for a column called like a parameter of the list. */
const char *bb_routes_filter_query(bb_arch *a, const char *name);

#endif
