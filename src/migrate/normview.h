/*
 * normview.h - a normalized schema (normalize.h) read once into flat views,
 * for the migration differ (diff.h), which reads every table and column
 * many times (both directions, constraints, enums, foreign keys).
 *
 * A view holds pointers into the cJSON tree it was read from; absent
 * values are NULL (or false). The tree must outlive the views.
 *
 * Ownership: bb_normview_read() allocates the arrays of a bb_normview;
 * bb_normview_free() frees them (never the tree).
 */
#ifndef BB_NORMVIEW_H
#define BB_NORMVIEW_H

#include "base/bb.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

/* What tables and columns share: matching reads both alike. */
typedef struct bb_normview_named {
    const char *name;
    const char *renamed_from;
} bb_normview_named;

typedef struct bb_normview_fk {
    bool present; /* foreign_key is there and not null */
    const char *name, *table, *column, *on_delete;
    bool use_alter;
} bb_normview_fk;

/* The column types the differ treats apart, told once per column. */
typedef enum bb_normview_type {
    BB_NORMVIEW_NONE, /* no type: rendered as Integer */
    BB_NORMVIEW_OTHER,
    BB_NORMVIEW_STRING,
    BB_NORMVIEW_NUMERIC,
    BB_NORMVIEW_DATETIME,
    BB_NORMVIEW_ENUM,
    BB_NORMVIEW_UUID,
    BB_NORMVIEW_TEXT,
    BB_NORMVIEW_SMALLINT, /* the integers from narrow to wide */
    BB_NORMVIEW_INTEGER,
    BB_NORMVIEW_BIGINT,
} bb_normview_type;

typedef struct bb_normview_col {
    bb_normview_named id; /* first: see bb_normview_list */
    const char *type, *enum_name, *server_default, *comment;
    bb_normview_type kind;
    const cJSON *length, *precision, *scale, *dflt; /* NULL when absent or null */
    const cJSON *values;                            /* as found, maybe null */
    bool timezone, primary_key, autoincrement, nullable, unique, index, server_default_literal;
    bb_normview_fk fk;
} bb_normview_col;

typedef struct bb_normview_table {
    bb_normview_named id; /* first: see bb_normview_list */
    const char *comment;
    bool association;                                  /* an automatic many-to-many's table */
    const cJSON *primary_key;                          /* NULL when absent or null */
    const cJSON *columns, *uniques, *indexes, *checks; /* as found */
    bb_normview_col *cols;
    int n_cols;
} bb_normview_table;

typedef struct bb_normview {
    bb_normview_table *tables;
    int n_tables;
    bb_normview_col *cols; /* every table's columns, one allocation */
} bb_normview;

/* Reads a normalized schema (NULL: one with no tables); BB_ENOMEM, BB_ELIMIT. */
int bb_normview_read(const cJSON *norm, bb_normview *v) BB_WUR;
void bb_normview_free(bb_normview *v);

/* The items of a view array (tables, or a table's columns) seen by their names. */
typedef struct bb_normview_list {
    const char *base;
    size_t stride;
    int n;
} bb_normview_list;

bb_normview_list bb_normview_tables(const bb_normview *s);
bb_normview_list bb_normview_columns(const bb_normview_table *t);
const bb_normview_named *bb_normview_at(const bb_normview_list *l, int i);

/* The index of the first item called name, -1 when none (or no name). */
int bb_normview_find(const bb_normview_list *l, const char *name);

/* The string member key of o, NULL when absent or not a string. */
const char *bb_normview_str(const cJSON *o, const char *key);

#endif
