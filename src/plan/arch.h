/*
 * arch.h - the architect's working state and the helpers every part of it
 * uses (architect.h is the stage; prepass, models, schemas, routes, testplan
 * and files are its parts, each filling its own fields of the plan).
 *
 * Errors are sticky (a->rc): after a failure every helper returns "" (or a
 * zeroed scratch object) so the planning code reads straight through, and the
 * result is checked once at the end.
 *
 * Ownership: every string and object a helper returns lives in the plan's
 * arena (or is a string literal, or borrowed from the schema), so it lives as
 * long as the plan.
 */
#ifndef BB_ARCH_H
#define BB_ARCH_H

#include "base/arena.h"
#include "base/buf.h"
#include "diag/diag.h"
#include "front/schema.h"
#include "plan/plan.h"

#include <stdbool.h>
#include <stddef.h>

#define BB_ARCH_API_PREFIX "/api/v1"

/* What the planner derives once per table (prepass.h). */
typedef struct bb_arch_table {
    const char *snake; /* "order_item": route function names */
    int pk;            /* the single primary key column, -1 when not one */
    int *keys;         /* the primary key columns, in table order */
    size_t n_keys;
    bool routes;             /* gets CRUD routes and tests (has a primary key) */
    const char **enum_class; /* per column; NULL when not an enum */
    const char ***members;   /* per enum column: its members' names, by value */
    const char *route;       /* "/posts", or the advised route path */
    const char *api_path;    /* "/api/v1/posts" */
} bb_arch_table;

typedef struct bb_arch {
    const bb_schema *s;
    bb_diags *diags;
    bb_plan *plan;
    bb_arch_table *t;
    const bb_plan_advice *advice; /* accepted model proposals, NULL without */
    bb_buf scratch;               /* where text is built before it is kept */
    int rc;
    bool uses_uuid, uses_timestamps, uses_soft_delete, has_assoc, uses_search;
    _Alignas(max_align_t) char sink[1024]; /* where writes go after a failure */
} bb_arch;

/* ---- state and memory ---------------------------------------------------------- */

/* Records the first error. */
void bb_arch_fail(bb_arch *a, int rc);

/* Zeroed memory of the plan (the sink after a failure). */
void *bb_arch_new(bb_arch *a, size_t size);
/* A zeroed element appended to a BB_PLAN_LIST (the sink after a failure). */
void *bb_arch_push(bb_arch *a, void *list, size_t size);

#define BB_ARCH_NEW(a, T) ((T *)bb_arch_new(a, sizeof(T)))
#define BB_ARCH_PUSH(a, list) ((__typeof__((list).v))bb_arch_push(a, &(list), sizeof(*(list).v)))

void bb_arch_push_str(bb_arch *a, bb_plan_strs *l, const char *s);

/* Adds `from module import name` (name NULL: `import module`) unless the
 * list has it. Templates write one import line each; the formatting pass
 * after rendering merges and sorts them. */
void bb_arch_import(bb_arch *a, bb_plan_imports *im, const char *module, const char *name);

/* ---- text ------------------------------------------------------------------------ */

/* printf-style text kept in the plan's arena ("" after a failure). */
const char *bb_arch_fmt(bb_arch *a, const char *f, ...) BB_PRINTF(2, 3);

/* pylit.h conversions kept in the arena: a string literal, snake_case,
 * CapWords, an UPPER_CASE constant, one-line comment text. */
const char *bb_arch_lit(bb_arch *a, const char *s);
const char *bb_arch_snake(bb_arch *a, const char *s);
const char *bb_arch_capwords(bb_arch *a, const char *s);
const char *bb_arch_constant(bb_arch *a, const char *s);
const char *bb_arch_comment(bb_arch *a, const char *s);
/* A docstring block at indent, without a final newline; "" when s is blank. */
const char *bb_arch_docstring(bb_arch *a, const char *s, int indent);
/* A TOML basic string. */
const char *bb_arch_toml(bb_arch *a, const char *s);
/* The strings of l joined by sep. */
const char *bb_arch_join(bb_arch *a, const bb_plan_strs *l, const char *sep);
/* The names joined by sep, each as a string literal when quoted. */
const char *bb_arch_name_list(bb_arch *a, const char *const *names, size_t n, const char *sep,
                              bool quoted);
/* Sorts names as isort orders imported names: CONSTANTS, Classes, others. */
void bb_arch_sort_names(bb_plan_strs *l);
/* Sorts `from module import name` lines as isort orders those of one
 * section (for imports the formatting pass does not reach, such as those
 * under `if TYPE_CHECKING:`). */
void bb_arch_sort_imports(bb_plan_imports *im);

/* ---- model advice ----------------------------------------------------------------- */

/* The accepted proposal of kind for table (and column unless NULL), or NULL. */
const bb_plan_decision *bb_arch_advice(bb_arch *a, const char *kind, const char *table,
                                       const char *column);

/* The value of a proposal, NULL when there is none. */
const char *bb_arch_advice_value(const bb_plan_decision *d);

/* ---- columns ----------------------------------------------------------------------- */

/* The column that defines c's storage: c, or the column its foreign key
 * references when the validator has not copied the type over. */
const bb_column *bb_arch_storage(bb_arch *a, const bb_column *c);
bb_col_type bb_arch_type_of(bb_arch *a, const bb_column *c);
/* The table an FK column references and (in *col) its column; -1 and -1. */
int bb_arch_fk_target(bb_arch *a, const bb_column *c, int *col);
/* The enum class of column ci of table ti (following a foreign key), and
 * the column whose values define it, and its members' names. */
const char *bb_arch_enum_class(bb_arch *a, int ti, int ci);
const bb_column *bb_arch_enum_source(bb_arch *a, int ti, int ci);
const char **bb_arch_enum_members(bb_arch *a, int ti, int ci);
/* The Python type of a column's values, importing what it needs (im may be
 * NULL), and its SQLAlchemy type. */
const char *bb_arch_py_type(bb_arch *a, int ti, int ci, bb_plan_imports *im);
const char *bb_arch_sa_type(bb_arch *a, int ti, int ci, bb_plan_imports *im);
/* The Python type a request (body, path, query) takes for the column's
 * values: integers bounded by their column type's range. */
const char *bb_arch_request_type(bb_arch *a, int ti, int ci, bb_plan_imports *im);
/* The Python literal of a column's default, NULL when none applies. */
const char *bb_arch_default_literal(bb_arch *a, int ti, int ci, bb_plan_imports *im);
bool bb_arch_is_integer(bb_col_type t);
/* Compared for equality in a filter; worth sorting on. */
bool bb_arch_filterable(bb_col_type t);
bool bb_arch_sortable(bb_col_type t);
/* The key the database (or the model) generates: not in the Create body. */
bool bb_arch_generated_pk(bb_arch *a, int ti, int ci);
/* Whether the database or the model fills the column when it is omitted. */
bool bb_arch_has_default(bb_arch *a, int ti, int ci);
/* The model's example value of a column as a literal (NULL: none fits);
 * whether the tests may send it instead of their own value. */
const char *bb_arch_example_literal(bb_arch *a, int ti, int ci);
bool bb_arch_example_for_tests(bb_arch *a, int ti, int ci);

/* ---- relationships ------------------------------------------------------------------ */

const char *bb_arch_rel_attr(const bb_relationship *r);
int bb_arch_rel_target(bb_arch *a, const bb_relationship *r);

/* A many-to-many's `<rel>_ids` facts, for the model, schemas, routes, tests. */
typedef struct bb_arch_m2m {
    const char *attr, *ids, *target_class, *target_module, *target_pk, *id_type;
    int target;
} bb_arch_m2m;

#define BB_ARCH_MAX_M2M 64

size_t bb_arch_m2m_of(bb_arch *a, int ti, bb_arch_m2m *out, size_t max, bb_plan_imports *im);

#endif
