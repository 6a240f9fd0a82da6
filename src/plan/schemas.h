/*
 * schemas.h - the architect's part for app/schemas: the fields of each
 * table's Create, Update and Read bodies. Create leaves out generated keys
 * (integer autoincrement, UUID) and mixin columns; a field is required when
 * NOT NULL without any default. Update makes every field Optional[...] =
 * None. Read has every column and the `<rel>_ids` lists. Field() carries
 * max_length for String, max_digits and decimal_places for Numeric, the
 * column's description, and in Create the example a model advised.
 */
#ifndef BB_SCHEMAS_H
#define BB_SCHEMAS_H

#include "plan/arch.h"

void bb_schemas_plan(bb_arch *a, int ti, bb_plan_model *m);

#endif
