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

/*
 * Atoms, by the suffix or the kind of a field (docs/plan.md has every field):
 *   names        identifiers as Python spells them (class, table, column, attr)
 *   *_literal    Python literals made by base/pylit.h (strings in Black's
 *                quotes, numbers as the schema wrote them)
 *   type, *_type type expressions (`int`, `Optional[Decimal]`, `String(200)`,
 *                `Enum(PostStatus, name="posts_status", values_callable=enum_values)`)
 *   docstring    a docstring literal block, indented, without a final newline ("" none)
 *   bools        flags; a template interpolates them as True and False
 * No field holds a statement: templates write the statements.
 */

/* `from module import name`, or `import module` when name is NULL. */
typedef struct bb_plan_import {
    const char *module, *name;
} bb_plan_import;

typedef BB_PLAN_LIST(bb_plan_import) bb_plan_imports;

typedef struct bb_plan_project {
    const char *name, *package, *distribution, *db_type, *description, *description_text;
    const char *name_literal, *description_literal, *toml_description;
    const char *default_database_url, *default_database_url_literal;
    const char *driver; /* the DB-API package; NULL for SQLite */
    const char *api_prefix, *version;
    bool postgresql;   /* db_type is PostgreSQL: its driver is a dependency */
    const char *style; /* "classic" or "sa2" (bb_architect_use_style) */
    bool sa2;          /* the SQLAlchemy 2.0 style */
} bb_plan_project;

typedef struct bb_plan_enum_member {
    const char *name, *value_literal;
} bb_plan_enum_member;

typedef struct bb_plan_enum {
    const char *class, *table, *column, *type_name, *docstring;
    BB_PLAN_LIST(bb_plan_enum_member) members;
} bb_plan_enum;

/* One side of an automatic association table: a key column to a table. */
typedef struct bb_plan_assoc_side {
    const char *column_literal, *sa_type, *target_literal;
} bb_plan_assoc_side;

typedef struct bb_plan_assoc {
    const char *name, *name_literal;
    BB_PLAN_LIST(bb_plan_assoc_side) sides;
} bb_plan_assoc;

typedef struct bb_plan_foreign_key {
    const char *target_literal; /* "users.id" as a literal */
    const char *ondelete;       /* CASCADE, SET NULL, ...; NULL: none */
    bool use_alter;
} bb_plan_foreign_key;

typedef struct bb_plan_column {
    const char *name, *sa_type;
    bb_plan_foreign_key *foreign_key; /* NULL: none */
    bool primary_key;
    const char *autoincrement;          /* "True" or "False" on a single integer key; else NULL */
    bool nullable, unique, index;       /* unique and index: the keywords, never on a key */
    const char *default_value;          /* a literal, or a callable (uuid.uuid4); NULL: none */
    const char *server_default_literal; /* server_default=text(...) */
    const char *server_default_bool;    /* "true" or "false": server_default=true() */
    const char *server_default_value;   /* server_default="draft": a string literal */
    const char *comment_literal;        /* comment=... */
    const char *description_text;       /* a `# ...` line above the column; NULL: none */
    const char *python_type, *references;
    const char *mapped_type; /* the sa2 style's Mapped[...] argument */
    bb_plan_strs llm_decided;
} bb_plan_column;

typedef struct bb_plan_relationship {
    const char *name, *kind, *target, *target_literal;
    const char *secondary_literal, *back_populates_literal;
    const char *foreign_keys;                /* foreign_keys="[...]": its text */
    const char *remote_side;                 /* remote_side="...": its text */
    const char *primaryjoin, *secondaryjoin; /* "...": their text */
    const char *overlaps_literal, *cascade_literal;
    bool uselist_false;
    const char *passive_deletes; /* True or "all" (a literal); NULL: none */
    bool post_update;
    const char *mapped_type; /* the sa2 style's Mapped[...] argument */
} bb_plan_relationship;

typedef struct bb_plan_table_arg {
    bb_plan_strs unique_columns; /* UniqueConstraint(...), column literals */
    bb_plan_strs index_columns;  /* Index(name, ...) */
    bool index_unique;
    const char *check_literal; /* CheckConstraint(...) */
    const char *where_literal; /* a partial index: postgresql_where=, sqlite_where= */
    const char *name_literal;
    bool name_final; /* over PostgreSQL's 63 bytes: conv(name), shortened where needed */
} bb_plan_table_arg;

typedef struct bb_plan_id_property {
    const char *name, *attr, *target_pk, *id_type;
    bool live_only; /* the target soft-deletes: its deleted rows are left out */
} bb_plan_id_property;

typedef struct bb_plan_schema_field {
    const char *name, *type;
    const char *default_value; /* "...", None or a literal; NULL: required, no default */
    bool field;                /* written as `= Field(default, ...)` */
    const char *max_length, *max_digits, *decimal_places;
    const char *description_literal, *example_literal;
} bb_plan_schema_field;

typedef BB_PLAN_LIST(bb_plan_schema_field) bb_plan_schema_fields;

typedef struct bb_plan_filter {
    const char *name, *param, *query, *type;
    bool alias; /* the parameter is Query(None, alias=query) */
} bb_plan_filter;

typedef struct bb_plan_key {
    const char *name, *param, *type;
    const char *missing; /* a value no row has, as it appears in a URL */
} bb_plan_key;

typedef struct bb_plan_reference {
    const char *name, *target_class, *target_column;
} bb_plan_reference;

typedef struct bb_plan_link {
    const char *ids, *attr, *target_class, *target_pk, *id_type;
    bool tested;                        /* the target has routes: the tests link and unlink one */
    const char *target_snake, *missing; /* tests: the factory, a missing key literal */
    const char *target_path;            /* tests: the target's API path when it soft-deletes */
} bb_plan_link;

typedef struct bb_plan_test_column {
    const char *name, *query;
    bool exact;
    const char *missing;     /* the FK test: a missing parent key literal */
    const char *length;      /* the update test: the column's length; NULL: none */
    const char *parent_path; /* the FK test: the parent's API path when it soft-deletes */
    bool frees;              /* the unique test: a soft delete frees the value (partial index) */
} bb_plan_test_column;

typedef struct bb_plan_model {
    /* identity */
    const char *class, *table, *module, *description, *snake;
    bool timestamps, soft_delete, routes;
    const char *route, *api_path;
    /* app/models/<table>.py */
    const char *docstring;
    bb_plan_strs mixins;
    bb_plan_imports model_imports;
    /* the sa2 style: its imports, and the models its annotations name
     * (imported under TYPE_CHECKING) */
    bb_plan_imports mapped_imports, mapped_targets;
    BB_PLAN_LIST(bb_plan_column) columns;
    BB_PLAN_LIST(bb_plan_table_arg) table_args;
    const char *table_comment_literal;
    bool has_table_args;
    BB_PLAN_LIST(bb_plan_relationship) relationships;
    BB_PLAN_LIST(bb_plan_id_property) id_properties;
    /* app/schemas/<table>.py */
    bb_plan_imports schema_imports;
    bb_plan_schema_fields create_fields, update_fields, read_fields;
    bb_plan_strs create_not_null, update_not_null; /* optional fields of NOT NULL columns */
    /* app/api/routes/<table>.py (tables with routes) */
    bb_plan_imports route_imports;
    BB_PLAN_LIST(bb_plan_key) key;
    bool composite_key;
    const char *key_path, *pk, *pk_type;
    bb_plan_strs column_names, sort_fields, search_fields;
    const char *sort_default_literal;
    BB_PLAN_LIST(bb_plan_filter) filters;
    BB_PLAN_LIST(bb_plan_reference) references;
    BB_PLAN_LIST(bb_plan_link) links;
    /* tests/test_<table>.py (tables with routes) */
    bb_plan_imports test_imports;
    bb_plan_strs exact_fields, decimal_fields;
    bool integer_pk;
    bb_plan_test_column *test_filter, *test_search, *test_update, *test_unique, *test_not_null,
        *test_fk;
    bb_plan_strs llm_decided;
} bb_plan_model;

/* A router of app/api/router.py: the table's and its custom module's. */
typedef struct bb_plan_route {
    const char *table, *route;
} bb_plan_route;

/* A value of a factory's body, or the parent a foreign key is filled from. */
typedef struct bb_plan_body_value {
    const char *name, *value;
} bb_plan_body_value;

typedef struct bb_plan_parent {
    const char *column, *snake, *target_column;
} bb_plan_parent;

typedef struct bb_plan_factory {
    const char *class, *snake, *api_path;
    BB_PLAN_LIST(bb_plan_body_value) body;
    BB_PLAN_LIST(bb_plan_parent) parents;
    bool uses_n;
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
    bool uses_timestamps, uses_soft_delete, uses_uuid, uses_search;
    BB_PLAN_LIST(bb_plan_enum) enums;
    BB_PLAN_LIST(bb_plan_assoc) association_tables;
    bool has_association_tables;
    bb_plan_imports association_imports;
    BB_PLAN_LIST(bb_plan_model) models;
    BB_PLAN_LIST(bb_plan_factory) factories;
    bb_plan_strs model_names;                /* the classes, in the order of __all__ */
    BB_PLAN_LIST(bb_plan_route) route_order; /* tables with routes: deeper paths first */
    bb_plan_strs route_tables;               /* the same tables, in the order of __all__ */
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
 * out of memory. Pointers to its elements stay valid only until the list
 * grows again: point at the elements of a list once it is complete.
 */
void *bb_plan_list_push(bb_plan *p, void *list, size_t elem_size) BB_WUR;

/*
 * Appends the plan as JSON to out: objects with their fields in descriptor
 * order, missing strings and objects left out, lists in order; indented by
 * two spaces, ending with a newline. Deterministic: the same plan gives the
 * same bytes. Returns BB_OK or the buffer's error.
 */
int bb_plan_print_json(const bb_plan *p, bb_buf *out) BB_WUR;

#endif
