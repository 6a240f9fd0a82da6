/*
 * mustache_plan.h - the typed plan (plan/plan.h) behind the template engine's
 * data model (bb_mustache_model). It reads the plan through the descriptors
 * only, so it knows no field by name: a name is a field of the object in
 * scope; lists iterate; a missing string or object is missing (the lookup
 * goes on down the context stack); bools drive sections; "" and empty lists
 * are false, as the JSON model treats them. A bool interpolates as Python
 * writes it (True, False), since the templates write Python.
 *
 * Inside a list, two names more: @first and @last are true on the first and
 * the last element, for separators ({{^@last}}, {{/@last}}) and one-element
 * tuples ({{#@first}}{{#@last}},{{/@last}}{{/@first}}). They belong to the
 * innermost list element in scope.
 *
 * Values handed to the engine are small handles made in the context's pool;
 * they stay valid until bb_mustache_plan_reset() or _free(), so one context
 * serves any number of renders, reset between them.
 *
 * Ownership: the context is the caller's (init/free); the plan is borrowed
 * and must not change while a render runs.
 */
#ifndef BB_MUSTACHE_PLAN_H
#define BB_MUSTACHE_PLAN_H

#include "plan/plan.h"
#include "render/mustache.h"

typedef struct bb_mustache_plan_block bb_mustache_plan_block;

/* A name looked up in a type, and the field it found (NULL: none). */
typedef struct bb_mustache_plan_name {
    const bb_plan_type *type;
    const bb_plan_field *field;
    size_t len;
    char name[24];
} bb_mustache_plan_name;

#define BB_MUSTACHE_PLAN_NAMES 256 /* the hash in find_field picks one of 256 */

typedef struct bb_mustache_plan {
    bb_mustache_plan_block *blocks, *current;
    size_t used; /* handles used in current */
    int rc;      /* BB_ENOMEM once a handle could not be made */
    bb_mustache_plan_name names[BB_MUSTACHE_PLAN_NAMES]; /* see find_field */
} bb_mustache_plan;

extern const bb_mustache_model bb_mustache_plan_model;

void bb_mustache_plan_init(bb_mustache_plan *c);
/* Forgets every handle (keeping the memory) and the error. */
void bb_mustache_plan_reset(bb_mustache_plan *c);
void bb_mustache_plan_free(bb_mustache_plan *c);

/* The handle of object obj of type t, for a render's frames; NULL when out
 * of memory. */
const void *bb_mustache_plan_object(bb_mustache_plan *c, const bb_plan_type *t, const void *obj);

#endif
