/*
 * models.h - the architect's part for app/models and app/enums.py: each
 * model's columns (every keyword argument of Column() its own field),
 * relationships (each keyword argument of relationship() its own field:
 * back_populates, secondary for a many-to-many, foreign_keys when two tables
 * are linked by more than one key, remote_side on the child side of a
 * self-reference, uselist=False for one-to-one, cascade, passive_deletes on
 * the side without the key, post_update on the side holding a use_alter key,
 * overlaps for a many-to-many through a table that has its own
 * relationships), __table_args__, the `<rel>_ids` properties; the enum
 * classes; the automatic association tables; the names of the models
 * package.
 */
#ifndef BB_MODELS_H
#define BB_MODELS_H

#include "plan/arch.h"

/* The model file's fields of m (table ti). */
void bb_models_plan_model(bb_arch *a, int ti, bb_plan_model *m);

/* The enums, the association tables and model_names of the plan. */
void bb_models_plan(bb_arch *a, bb_plan *plan);

#endif
