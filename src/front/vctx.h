/*
 * vctx.h - what the validator's passes share: the validation context, the
 * name index, diagnostics with locations, small helpers. Internal to the
 * validator (validate.c, relations.c); names with "bb__" are not API.
 * validate.c runs the passes and calls relations.c's; both call this
 * module, which calls neither.
 */
#ifndef BB_VCTX_H
#define BB_VCTX_H

#include "base/bb.h"
#include "diag/diag.h"
#include "front/schema.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- the name index ------------------------------------------------------ */

/*
 * One open-addressing hash of (scope, name) -> value. Scopes: tables,
 * classes, automatic association tables, explicit constraint names, and one per table for its
 * members (columns have values >= 0, relationship attributes -2 - index).
 */
enum {
    BB__SCOPE_TABLE = -1,
    BB__SCOPE_CLASS = -2,
    BB__SCOPE_ASSOC = -3,
    BB__SCOPE_CONSTRAINT = -4,
};
#define BB__NX_NONE INT_MIN

typedef struct bb__name_slot {
    const char *name; /* NULL: empty slot */
    int scope;
    int value;
} bb__name_slot;

typedef struct bb__name_index {
    bb__name_slot *slots;
    size_t mask;
} bb__name_index;

/* Sized for n_items names (it never fills); BB_ENOMEM or BB_OK. */
int bb__nx_init(bb__name_index *x, size_t n_items) BB_WUR;
/* The value stored for name in scope, or BB__NX_NONE. */
int bb__nx_get(const bb__name_index *x, int scope, const char *name);
/* Inserts name unless present; returns the value already there, or
 * BB__NX_NONE. The index is sized for every name at init: it never fills. */
int bb__nx_put(bb__name_index *x, int scope, const char *name, int value);

/* ---- the validation context and reporting -------------------------------- */

/* Per declared relationship: how its name was found and what is pending. */
typedef struct bb__rel_state {
    int rule;         /* 0 not named yet, 1 explicit, 2 pair, 3 original rule */
    bool fk_explicit; /* the FK came from its own "foreign_key" */
    bool reported;    /* an error about it was reported: stay quiet */
    bool wants_implicit;
} bb__rel_state;

typedef struct bb__vctx {
    bb_schema *s;
    bb_diags *d;
    bb__name_index names;
    const char **table_names; /* for "did you mean" */
    size_t *rel_base;         /* first bb__rel_state of each table */
    bb__rel_state *rs;
    int rc; /* BB_ENOMEM once an allocation failed */
} bb__vctx;

/*
 * Where a diagnostic points: a node (its JSON Pointer and offset), or a
 * member key of it, or an item of that member. Only resolved into a pointer
 * and an offset when a diagnostic is reported, since finding a member's
 * offset means skimming the source text.
 */
typedef struct bb__loc {
    const char *ptr;
    size_t off;
    const char *key; /* NULL: the node itself */
    bool has_item;
    size_t item;
} bb__loc;

typedef struct bb__resolved_loc {
    char ptr[384];
    size_t off;
} bb__resolved_loc;

bb__loc bb__loc_node(const char *ptr, size_t off);
/* The member key of the node at ptr/off (the node itself when absent). */
bb__loc bb__loc_key(const char *ptr, size_t off, const char *key);
/* Item idx of the array member key (key NULL: the node is the array). */
bb__loc bb__loc_item(const char *ptr, size_t off, const char *key, size_t idx);
void bb__resolve_loc(const bb__vctx *v, const bb__loc *at, bb__resolved_loc *out);
/* True when the value at byte offset off of the input is an array. */
bool bb__is_array_at(const bb__vctx *v, size_t off);

#define COL_LOC(c, key) bb__loc_key((c)->pointer, (c)->offset, (key))
#define TABLE_LOC(t, key) bb__loc_key((t)->pointer, (t)->offset, (key))
#define REL_LOC(r, key) bb__loc_key((r)->pointer, (r)->offset, (key))

/* Adds a diagnostic at `at`; remembers BB_ENOMEM in v->rc. */
void bb__report(bb__vctx *v, bb_severity sev, const char *code, const bb__loc *at, const char *hint,
                const char *fmt, ...) BB_PRINTF(6, 7);

/* "did you mean" hint for name among candidates (written into buf), or NULL. */
const char *bb__did_you_mean(const char *name, const char *const *cands, size_t n, char *buf,
                             size_t size);
/* "OrderItem" -> "order_item". */
void bb__class_snake(const char *name, char *out, size_t size);
/* A copy in the schema's arena; NULL (and v->rc set) when out of memory. */
char *bb__arena_str(bb__vctx *v, const char *s);

#endif
