/*
 * advice.h - model advice kept in the schema, and the one check every piece
 * of advice passes, kept or just proposed.
 *
 * A table's "advice" (extension, docs/schema.md) lists proposals of a
 * language model that the user accepted into the file (`backbone advise
 * --write`), each marked "proposed_by": "model". They are checked like the
 * model's answers (bb_advice_check) and then applied like user input: a
 * docstring becomes the description, an index and a filterable column
 * indexes of the schema (bb_advice_apply_schema); route paths, searchable
 * and sortable columns, the default sort and examples go to the architect
 * (plan/architect.h). So a schema with its advice generates the same
 * project with a model or without.
 *
 * Ownership: nothing here allocates but the lists (bb_advice_list_free);
 * applied text lives in the schema's arena.
 */
#ifndef BB_ADVICE_H
#define BB_ADVICE_H

#include "diag/diag.h"
#include "front/schema.h"

#include <stdbool.h>
#include <stddef.h>

#define BB_ADVICE_MAX_INDEX_COLUMNS 3
#define BB_ADVICE_MAX_TEXT 1000

/* Why a piece of advice does not fit (each a BB09xx note for the model's
 * proposals, BB0920 for advice kept in the schema). */
typedef enum {
    BB_ADVICE_FITS = 0,
    BB_ADVICE_UNKNOWN_NAME, /* no such column */
    BB_ADVICE_BAD_INDEX,
    BB_ADVICE_UNSAFE_TEXT,
    BB_ADVICE_BAD, /* any other reason */
} bb_advice_fault;

/* Advice accepted so far, in order, with its table. */
typedef struct bb_advice_ref {
    const bb_table *table;
    const bb_advice *advice;
} bb_advice_ref;

typedef struct bb_advice_list {
    bb_advice_ref *v;
    size_t n, cap;
} bb_advice_list;

int bb_advice_list_push(bb_advice_list *l, const bb_table *t, const bb_advice *a) BB_WUR;
void bb_advice_list_free(bb_advice_list *l);

/*
 * Does advice a for table t of the validated schema s fit, given what was
 * accepted before it (taken)? BB_ADVICE_FITS, or the fault with the reason
 * in why (a sentence without a final period).
 */
bb_advice_fault bb_advice_check(const bb_schema *s, const bb_table *t, const bb_advice *a,
                                const bb_advice_list *taken, char *why, size_t why_cap);

/* Applies what accepted advice changes in the schema (docstrings, indexes,
 * filterable columns); *changed tells whether it changed anything. */
int bb_advice_apply_schema(bb_schema *s, bb_table *t, const bb_advice *a, bool *changed) BB_WUR;

/*
 * The front end's step for kept advice: checks every table's "advice" in
 * file order (a misfit is a BB0920 error at its entry) and applies the
 * ones that fit to the schema; *kept (may be NULL) receives them all, in
 * order. BB_OK, BB_EINVAL when one did not fit, BB_ENOMEM.
 */
int bb_advice_apply_kept(bb_schema *s, bb_diags *d, bb_advice_list *kept) BB_WUR;

/* Where text the model wants in generated code is not acceptable (empty,
 * too long, invalid UTF-8, control, bidirectional or invisible characters,
 * a triple quote, a suspicious pattern): the reason, else NULL. */
const char *bb_advice_text_problem(const char *text, char *buf, size_t cap);

#endif
