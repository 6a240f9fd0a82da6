/*
 * schema.h - the typed schema: what the front end makes of the input JSON and
 * what every later stage (validator, planner, migrations) reads.
 *
 * Read this header first: it is the data that flows through backbone.
 *
 *   bytes --bb_schema_load()--> bb_schema (raw, with source locations)
 *         --bb_validate()-----> bb_schema (resolved: FK types, relationship
 *                                attribute names and pairs, build order)
 *
 * Ownership: a bb_schema owns everything it points to through its arena;
 * bb_schema_free() releases it all. Strings are NUL-terminated UTF-8. The
 * source text is copied into the arena, so diagnostics can quote it after the
 * caller's buffer is gone.
 *
 * Strings the format requires (project_name, db_type, table_name, class_name,
 * a column's name and type, a relationship's target_table) are never NULL:
 * "" when missing or of the wrong type (the loader has reported it). Optional
 * strings are NULL when absent.
 *
 * Every node carries `pointer` (its JSON Pointer, e.g. "/schema/2/columns/4")
 * and `offset` (byte offset of its value in the source), so a diagnostic about
 * any node names its place.
 */
#ifndef BB_SCHEMA_H
#define BB_SCHEMA_H

#include "base/arena.h"
#include "base/bb.h"
#include "diag/diag.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;
typedef struct bb_srcmap bb_srcmap;

/* Caps applied while reading; every one is configurable (CLI flags, HTTP
 * options). bb_limits_default() gives the documented defaults. */
typedef struct bb_limits {
    size_t max_input_bytes;   /* 10 MiB */
    size_t max_tables;        /* 50 */
    size_t max_columns;       /* 100 per table */
    size_t max_relationships; /* 50 per table */
    size_t max_string_chars;  /* 1000 characters per string value */
    size_t max_depth;         /* 64 levels of nesting */
} bb_limits;

bb_limits bb_limits_default(void);

typedef enum {
    BB_DB_POSTGRESQL,
    BB_DB_MYSQL,
    BB_DB_SQLITE,
    BB_DB_MSSQL,
} bb_db_type;

typedef enum {
    BB_TYPE_UNKNOWN = 0,
    BB_TYPE_INTEGER,
    BB_TYPE_BIGINTEGER,
    BB_TYPE_SMALLINTEGER,
    BB_TYPE_STRING,
    BB_TYPE_TEXT,
    BB_TYPE_BOOLEAN,
    BB_TYPE_DATETIME,
    BB_TYPE_DATE,
    BB_TYPE_TIME,
    BB_TYPE_NUMERIC,
    BB_TYPE_FLOAT,
    BB_TYPE_ENUM,
    BB_TYPE_JSON,
    BB_TYPE_UUID,
    BB_TYPE_LARGEBINARY,
    BB_TYPE_INTERVAL,
    BB_TYPE_FOREIGNKEY, /* only as declared_type: the storage type is the target's */
} bb_col_type;

/* The spelling used in the input format ("BigInteger"), NULL for UNKNOWN. */
const char *bb_col_type_name(bb_col_type t);
bb_col_type bb_col_type_from_name(const char *name);

typedef enum {
    BB_ON_DELETE_NONE = 0, /* not given: the database default (NO ACTION) */
    BB_ON_DELETE_CASCADE,
    BB_ON_DELETE_RESTRICT,
    BB_ON_DELETE_SET_NULL,
    BB_ON_DELETE_SET_DEFAULT,
    BB_ON_DELETE_NO_ACTION,
} bb_on_delete;

/* The one table of ON DELETE actions. The input spells an action as SQL
 * does ("SET NULL"): this is both its name and its SQL; NULL for NONE (and
 * out of range). */
const char *bb_on_delete_sql(bb_on_delete d);
/* The action spelled sql exactly ("SET NULL"), BB_ON_DELETE_NONE when none
 * is (also for NULL). */
bb_on_delete bb_on_delete_from_sql(const char *sql);

/* A JSON scalar as written in the input (a column default). */
typedef enum {
    BB_VALUE_ABSENT = 0,
    BB_VALUE_NULL,
    BB_VALUE_BOOL,
    BB_VALUE_INT,
    BB_VALUE_NUMBER, /* not integral, or outside int64 */
    BB_VALUE_STRING,
    BB_VALUE_OTHER, /* an array or object: always invalid for a default */
} bb_value_kind;

typedef struct bb_value {
    bb_value_kind kind;
    bool b;
    long long i;
    double d;
    const char *s;    /* BB_VALUE_STRING */
    const char *text; /* the number exactly as written, for lossless output */
} bb_value;

/* The design lints (front/lint.h), as "allow" names them. */
typedef enum {
    BB_LINT_MONEY_AS_FLOAT,
    BB_LINT_EMAIL_NOT_UNIQUE,
    BB_LINT_FK_WITHOUT_INDEX,
    BB_LINT_MISSING_TIMESTAMPS,
    BB_LINT_NULLABLE_REQUIRED,
    BB_LINT_COUNT
} bb_lint;

/* The lint a name ("money-as-float") or code ("BB0480") names, or -1. */
int bb_lint_find(const char *name_or_code);

/* "money-as-float", ... and "BB0480", ... (NULL out of range). */
const char *bb_lint_name(bb_lint l);
const char *bb_lint_code(bb_lint l);

/* Lints silenced by an "allow" key (extension): bit 1 << bb_lint. */
typedef unsigned bb_lint_set;

typedef struct bb_column {
    const char *name;
    bb_col_type declared_type; /* as written; FOREIGNKEY for FK columns */
    bb_col_type type;          /* storage type; for FKs set by the validator */
    const char *type_name;     /* the type string as written (for messages) */
    int length;                /* String; 0 when not given */
    int precision, scale;      /* Numeric; -1 when not given (scale 0 is kept) */
    bool primary_key;
    bool autoincrement;
    bool autoincrement_given;
    bool unique;
    bool nullable; /* effective: false for primary keys */
    bool nullable_given;
    bool index;
    bb_value default_value;
    const char *server_default;  /* extension: SQL expression, verbatim */
    bool server_default_literal; /* a number/bool was given: server_default is
                                    its JSON text ("0", "true"), not SQL */
    bool timezone;               /* DateTime with time zone (the mixins) */
    bool on_update_now;          /* set to now on every update (updated_at) */
    const char **enum_values;
    size_t n_enum_values;
    const char *description;
    const char *comment;      /* extension: database column comment */
    const char *renamed_from; /* extension: explicit rename, for migrations */
    bb_lint_set allow;        /* extension "allow": lints silenced for this column */

    /* Foreign key ("target": "table.column"). */
    const char *fk_target; /* as written; NULL when not an FK */
    const char *fk_table;  /* split at the first '.' */
    const char *fk_column;
    bb_on_delete on_delete;
    int fk_table_index;  /* resolved by the validator, -1 until then */
    int fk_column_index; /* index into that table's columns, -1 until then */
    bool use_alter;      /* the FK closes a cycle: create it after the tables */

    /* Length/values of the referenced column when this is an FK, copied by
     * the validator so later stages need not follow the reference. */

    bool from_mixin; /* created_at, updated_at, is_deleted, deleted_at */
    const char *pointer;
    size_t offset;
} bb_column;

typedef enum {
    BB_REL_ONE_TO_MANY,
    BB_REL_MANY_TO_ONE,
    BB_REL_ONE_TO_ONE,
    BB_REL_MANY_TO_MANY,
} bb_rel_kind;

const char *bb_rel_kind_name(bb_rel_kind k);

typedef struct bb_relationship {
    /* As written. */
    const char *name; /* extension: explicit attribute name */
    const char *target_table;
    const char *target_class;
    bb_rel_kind kind;
    bool kind_known; /* false: "type" was missing or unknown (reported) */
    const char *back_populates;
    const char *foreign_key; /* the FK column (local for many_to_one) */
    const char *cascade;     /* extension: SQLAlchemy cascade string */
    const char *through;     /* extension: many_to_many association table */
    const char *description;

    /* Resolved by the validator. */
    const char *attr_name;   /* the attribute on this class */
    int target_index;        /* index of target_table, -1 if unknown */
    int counterpart;         /* index in the target's rels, -1 if none */
    int fk_table_index;      /* the table holding the FK column (not m2m) */
    int fk_column_index;     /* that column's index */
    int through_index;       /* m2m: named association table, -1 for automatic */
    const char *assoc_table; /* m2m: association table name (named or automatic) */
    bool implicit;           /* made by the validator as the missing other side */
    bool uselist;            /* false for many_to_one and one_to_one */

    const char *pointer;
    size_t offset;
} bb_relationship;

/* Table-level constraints (extensions). */
typedef struct bb_unique {
    const char *name; /* NULL: the planner names it (uq_<table>_<cols>) */
    const char **columns;
    size_t n_columns;
    const char *pointer;
    size_t offset;
} bb_unique;

typedef struct bb_index {
    const char *name; /* NULL: ix_<table>_<cols> */
    const char **columns;
    size_t n_columns;
    bool unique;
    const char *pointer;
    size_t offset;
} bb_index;

typedef struct bb_check {
    const char *name;       /* NULL: ck_<table>_<n> */
    const char *expression; /* SQL, verbatim */
    const char *pointer;
    size_t offset;
} bb_check;

/* The rows of a soft-delete table that are not deleted: the WHERE of its
 * unique indexes, so that a deleted row frees its unique values. */
#define BB_SOFT_DELETE_LIVE "deleted_at IS NULL"

/*
 * One piece of advice kept in the schema (extension "advice", a table key):
 * a proposal a language model made that the user accepted into the file,
 * marked "proposed_by": "model". kind is one of bb_advice_kinds
 * (front/advice.h); column is NULL for a table-level entry; columns are
 * an index's. Checked and applied by the front end (front/advice.h).
 */
/* The kinds of advice, as the format spells them. */
extern const char *const bb_advice_kinds[];
extern const size_t bb_advice_n_kinds;

typedef struct bb_advice {
    const char *kind;
    const char *column;
    const char **columns;
    size_t n_columns;
    const char *value;
    bool descending;
    const char *reason;
    const char *pointer;
    size_t offset;
} bb_advice;

typedef struct bb_table {
    const char *table_name;
    const char *class_name;
    const char *description;
    const char *comment;      /* extension */
    const char *renamed_from; /* extension: explicit rename, for migrations */
    bool use_timestamps;
    bool use_soft_delete;

    bb_column *columns; /* user columns first, then mixin columns */
    size_t n_columns;
    size_t n_user_columns;
    bb_relationship *rels; /* declared first, then implicit counterparts */
    size_t n_rels;
    size_t n_declared_rels;
    bb_unique *uniques;
    size_t n_uniques;
    bb_index *indexes;
    size_t n_indexes;
    bb_check *checks;
    size_t n_checks;
    bb_advice *advice; /* extension: kept model advice, in file order */
    size_t n_advice;
    bb_lint_set allow; /* extension "allow": lints silenced for this table */

    bool is_association; /* named as some many_to_many's `through` */
    /* Columns past --max-columns were not read (BB0604): a reference to a
     * column of this table that is not found may be one of them. */
    bool columns_capped;
    const char *pointer;
    size_t offset;
} bb_table;

typedef struct bb_schema {
    const char *project_name;
    const char *db_type_name;
    bb_db_type db_type;
    const char *description;
    bb_table *tables;
    size_t n_tables;
    bool tables_capped; /* tables past --max-tables were not read (BB0603) */
    bb_lint_set allow;  /* extension "allow": lints silenced everywhere */

    /* Set by the validator: table indexes, dependencies first; ties broken
     * by position in the input, so the order is deterministic. */
    int *build_order;
    size_t n_build_order;
    bool validated; /* bb_validate() ran and found no error */

    const char *filename; /* for diagnostics */
    const char *src;      /* copy of the input text */
    size_t src_len;
    /* The parsed document and every node's offset in src (json/srcmap.h):
     * what finds a member's offset for a diagnostic. NULL when the schema
     * was not read from text. The schema's: it holds the tree's strings. */
    bb_srcmap *map;
    bb_arena arena; /* owns every byte above but the map's */
} bb_schema;

/*
 * Reads input bytes into a typed schema: size limit, UTF-8 and NUL checks,
 * nesting depth, the JSON reader (syntax errors with line:column), then the
 * shape of every value (types of keys, required keys, unknown keys with a
 * "did you mean" warning). Everything found goes into diags.
 *
 * On BB_OK *out is a new schema the caller frees with bb_schema_free(), even
 * if diags holds errors about its contents (so validation can go on and
 * report more). On failure (syntax error, over a limit, out of memory) *out
 * is NULL and diags says why.
 */
int bb_schema_load(const char *filename, const char *bytes, size_t len, const bb_limits *limits,
                   bb_diags *diags, bb_schema **out) BB_WUR;

/* Same, from an already parsed document (the HTTP service's {"schema":..}
 * wrapper); offsets are then unknown unless src is given. */
int bb_schema_from_json(const cJSON *root, const bb_limits *limits, bb_diags *diags,
                        bb_schema **out) BB_WUR;

void bb_schema_free(bb_schema *s);

/* Lookups by name; NULL / -1 when absent. */
int bb_schema_table_index(const bb_schema *s, const char *table_name);
int bb_table_column_index(const bb_table *t, const char *column_name);

/* The first primary-key column's index, -1 when none. */
int bb_table_pk_index(const bb_table *t);

/* How many columns the primary key has (0 when none). */
size_t bb_table_pk_count(const bb_table *t);

#endif
