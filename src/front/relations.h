/*
 * relations.h - the validator's relationship pass (relations.c). Internal
 * to the validator: only validate.c includes it; the context it works on is
 * vctx.h's.
 *
 * The pass resolves every relationship: target, foreign key, attribute name
 * and counterpart (the naming rules of docs/diagnostics.md, BB04xx), the
 * counterparts of relationships declared on one side only, association
 * tables of many_to_many, and clashes of attribute names.
 */
#ifndef BB_RELATIONS_H
#define BB_RELATIONS_H

#include "front/vctx.h"

/* The relationship pass; needs names indexed and foreign keys resolved. */
void bb__relations_resolve(bb__vctx *v);

#endif
