/*
 * plan.h - the plan: what the architect decides about the generated project,
 * as typed C structs. Read this header first: every other stage after the
 * architect (the generator, `backbone plan`, the advisor's provenance) reads
 * these structs, and templates see exactly these fields (docs/plan.md).
 *
 * Values are atoms: identifiers, Python literals already made safe by
 * base/pylit.h, type expressions, flags and lists of such. A NULL string is a
 * missing value (a template's {{name}} falls back to the enclosing context);
 * "" is a value that is present and empty (false in a section).
 *
 * Reflection: each struct type has a descriptor (bb_plan_type) listing its
 * fields by name, kind and offset. One mechanism serves two readers: the
 * template data model (render/mustache_plan.h) and the JSON printer below.
 * So the JSON of `backbone plan --format json` and the names a template uses
 * are the same by construction. A struct may hold members its descriptor
 * does not list (links for C readers); those are not part of the contract.
 *
 * Ownership: a plan and everything it made live in the plan's arena and are
 * freed at once by bb_plan_free(). A plan also borrows names and texts of the
 * schema it was made from (table, class and column names, descriptions), so
 * that schema must outlive it; everything else is the plan's own or a string
 * literal.
 */
#ifndef BB_PLAN_H
#define BB_PLAN_H

#include "base/arena.h"
#include "base/bb.h"
#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* The version of the contract with template authors (docs/plan.md). */
#define BB_PLAN_VERSION 2

/* ---- reflection ----------------------------------------------------------- */

typedef enum bb_plan_kind {
    BB_PLAN_STRING, /* const char *: NULL is missing */
    BB_PLAN_BOOL,   /* bool */
    BB_PLAN_INT,    /* int */
    BB_PLAN_LIST,   /* a list: elements of the field's type, or strings */
    BB_PLAN_OBJECT  /* a pointer to a struct of the field's type: NULL is missing */
} bb_plan_kind;

typedef struct bb_plan_type bb_plan_type;

typedef struct bb_plan_field {
    const char *name;
    bb_plan_kind kind;
    size_t offset;
    const bb_plan_type *type; /* OBJECT: its type; LIST: the element type, NULL for strings */
} bb_plan_field;

struct bb_plan_type {
    const char *name;
    size_t size; /* of one struct: list elements are stored contiguously */
    const bb_plan_field *fields;
    size_t n_fields;
};

/*
 * Lists: contiguous elements and their count. Every list type has this
 * layout (a pointer, then a count), so readers that go through descriptors
 * see any of them as a bb_plan_any_list (bb_plan_list_of).
 */
#define BB_PLAN_LIST(T)                                                                            \
    struct {                                                                                       \
        T *v;                                                                                      \
        size_t n;                                                                                  \
    }

typedef BB_PLAN_LIST(const char *) bb_plan_strs;
typedef BB_PLAN_LIST(void) bb_plan_any_list;

/* The field called name (len bytes) of type t, or NULL. */
const bb_plan_field *bb_plan_field_find(const bb_plan_type *t, const char *name, size_t len);

/* The list a LIST field of obj holds (elements of f->type->size bytes, or
 * const char * when f->type is NULL). */
bb_plan_any_list bb_plan_list_of(const void *obj, const bb_plan_field *f);

/* ---- model advice ------------------------------------------------------------- */

/*
 * One accepted proposal of a language model (pipeline/advisor.h checks
 * them; the architect applies them). kind is "route_path", "searchable",
 * "sortable", "default_sort", "example", "docstring", "index" or
 * "filterable"; column is NULL for a table-level decision; value is the
 * proposal's text (a route path, an example, a docstring); columns the
 * columns of an index. effect ("schema" or "plan") and value_py (the
 * example as a Python literal) are filled when the decision is recorded
 * in a plan.
 */
typedef struct bb_plan_decision {
    const char *kind, *table, *column, *value;
    bb_plan_strs columns;
    bool descending;
    const char *reason, *source, *effect, *value_py;
} bb_plan_decision;

typedef BB_PLAN_LIST(const bb_plan_decision) bb_plan_advice;

/* Where the decisions came from, recorded in plan->llm. */
typedef struct bb_plan_llm {
    const char *provider, *model;
    BB_PLAN_LIST(bb_plan_decision) decisions;
} bb_plan_llm;

/* ---- the plan ------------------------------------------------------------------ */

/* One line of Python, as one element of a list a template iterates. */
typedef struct bb_plan_code {
    const char *code;
} bb_plan_code;

typedef BB_PLAN_LIST(bb_plan_code) bb_plan_codes;

typedef struct bb_plan_project {
    const char *name, *package, *distribution, *db_type, *description, *description_text;
    const char *name_literal, *description_literal, *toml_description;
    const char *default_database_url, *default_database_url_literal;
    const char *database_url_line, *project_name_line;
    const char *driver;
    bool has_driver;
    const char *api_prefix, *version, *app_title_line, *app_description_line;
} bb_plan_project;

typedef struct bb_plan_enum {
    const char *class, *class_line, *table, *column, *type_name, *docstring;
    bb_plan_codes members;
} bb_plan_enum;

typedef struct bb_plan_assoc {
    const char *name, *code;
} bb_plan_assoc;

typedef struct bb_plan_column {
    const char *name, *code, *sa_type, *python_type, *pydantic_type, *default_literal;
    const char *test_value, *references;
    bool primary_key, nullable, unique, index;
    const char *comment_line;
    bool has_comment_line;
    bb_plan_strs llm_decided;
} bb_plan_column;

typedef struct bb_plan_relationship {
    const char *name, *kind, *target, *code;
} bb_plan_relationship;

typedef struct bb_plan_id_property {
    const char *name, *attr, *target_pk, *def_line, *return_line;
} bb_plan_id_property;

typedef struct bb_plan_filter {
    const char *name, *param, *query, *type, *code;
} bb_plan_filter;

typedef struct bb_plan_test_link {
    const char *ids, *attr, *def_line, *fields_line, *create_target, *missing;
} bb_plan_test_link;

typedef struct bb_plan_test_filter {
    const char *name;
    bool exact;
    const char *field_line;
} bb_plan_test_filter;

typedef struct bb_plan_test_search {
    const char *field_line, *search_line;
} bb_plan_test_search;

typedef struct bb_plan_test_update {
    const char *field_line, *value_line;
} bb_plan_test_update;

/* The unique, NOT NULL and foreign key tests: the column they use. */
typedef struct bb_plan_test_column {
    const char *name, *field_line, *missing;
} bb_plan_test_column;

typedef struct bb_plan_model {
    /* identity */
    const char *class, *table, *module, *description;
    bool timestamps, soft_delete, routes;
    const char *api_path;
    /* app/models/<table>.py */
    const char *class_line, *docstring;
    BB_PLAN_LIST(bb_plan_column) columns;
    const char *table_args;
    BB_PLAN_LIST(bb_plan_relationship) relationships;
    bool has_relationships;
    BB_PLAN_LIST(bb_plan_id_property) id_properties;
    const char *model_imports;
    /* app/schemas/<table>.py */
    bb_plan_codes create_fields, update_fields, read_fields;
    bool has_create_fields, has_update_fields;
    const char *schema_imports;
    /* app/api/routes/<table>.py (tables with routes) */
    BB_PLAN_LIST(bb_plan_filter) filters;
    bb_plan_codes references, links;
    bb_plan_strs sort_fields;
    bool has_references, has_links;
    const char *snake, *pk, *pk_type;
    bool composite_key;
    const char *key_path;
    bool has_search;
    const char *search_line, *columns_line, *sort_fields_line, *router_line;
    const char *dec_list, *dec_create, *dec_read, *dec_update, *dec_delete, *dec_restore;
    const char *soft_condition, *page_return, *new_item, *read_return, *get_live, *get_any;
    const char *sig_list, *sig_create, *sig_read, *sig_update, *sig_delete, *sig_restore;
    const char *link_sig, *route_imports;
    /* tests/test_<table>.py (tables with routes) */
    BB_PLAN_LIST(bb_plan_test_link) test_links;
    const char *exact_checks, *decimal_checks, *key_line, *missing_path;
    const char *body_call, *first_call, *create_call, *item_call;
    bool integer_pk;
    bb_plan_test_filter *test_filter;
    bb_plan_test_search *test_search;
    bb_plan_test_update *test_update;
    bb_plan_test_column *test_unique, *test_not_null, *test_fk;
    const char *test_imports;
    bb_plan_strs llm_decided;
} bb_plan_model;

typedef struct bb_plan_factory {
    const char *class;
    bb_plan_codes parents;
    bool uses_n;
    const char *body_line, *body_sig, *create_sig, *create_return;
} bb_plan_factory;

/*
 * A file to generate: path, template (templates/<template>.mustache) and
 * scope ("" the root, "/models/<i>" a model, rendered with the context stack
 * [plan, model]). user marks a file that belongs to the user once written.
 */
typedef struct bb_plan_file {
    const char *path, *template, *scope;
    bool user;
    const bb_plan_model *model; /* the model of scope, NULL for the root */
} bb_plan_file;

typedef struct bb_plan {
    bb_arena arena; /* everything below */
    int plan_version;
    const char *backbone_version;
    bb_plan_project *project;
    bb_plan_strs build_order;
    bool uses_timestamps, uses_soft_delete, uses_uuid;
    BB_PLAN_LIST(bb_plan_enum) enums;
    bool has_enums;
    BB_PLAN_LIST(bb_plan_assoc) association_tables;
    bool has_association_tables;
    const char *association_imports;
    BB_PLAN_LIST(bb_plan_model) models;
    BB_PLAN_LIST(bb_plan_factory) factories;
    bool uses_search;
    const char *models_imports, *models_all, *router_imports;
    bb_plan_codes router_includes;
    const char *custom_imports, *custom_all;
    BB_PLAN_LIST(bb_plan_file) files;
    bb_plan_llm *llm; /* only with model advice */
} bb_plan;

/* The descriptor of the root; the others are reached through its fields. */
extern const bb_plan_type bb_plan_root_type;
extern const bb_plan_type bb_plan_model_type;

/* ---- life cycle ---------------------------------------------------------------- */

/* A new empty plan whose arena may hold max bytes; NULL when out of memory. */
bb_plan *bb_plan_new(size_t max) BB_WUR;
void bb_plan_free(bb_plan *p);

/* Memory and strings of the plan's arena (NULL when out of memory or over the
 * cap); s NULL gives NULL. */
void *bb_plan_alloc(bb_plan *p, size_t n) BB_WUR;
const char *bb_plan_strdup(bb_plan *p, const char *s);

/*
 * Appends a zeroed element of elem_size bytes to the list at list (any
 * BB_PLAN_LIST), growing it in the arena; returns the element, or NULL when
 * out of memory. Pointers to earlier elements stay valid only until the list
 * grows, unless the list was sized with bb_plan_list_reserve first.
 */
void *bb_plan_list_push(bb_plan *p, void *list, size_t elem_size) BB_WUR;
int bb_plan_list_reserve(bb_plan *p, void *list, size_t elem_size, size_t n) BB_WUR;

/*
 * Appends the plan as JSON to out: objects with their fields in descriptor
 * order, missing strings and objects left out, lists in order; indented by
 * two spaces, ending with a newline. Deterministic: the same plan gives the
 * same bytes. Returns BB_OK or the buffer's error.
 */
int bb_plan_print_json(const bb_plan *p, bb_buf *out) BB_WUR;

#endif
