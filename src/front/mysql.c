/* mysql.c - what MySQL refuses in a schema that says "db_type": "mysql" (see
 * mysql.h). */
#include "front/mysql.h"

#include <stdio.h>

/* utf8mb4: up to four bytes per character. */
#define BYTES_PER_CHAR 4
/* InnoDB's limit on one index with the DYNAMIC row format (MySQL 8,
 * MariaDB 10.11). */
#define MAX_KEY_BYTES 3072
/* The limit on a row's columns other than TEXT, BLOB and JSON. */
#define MAX_ROW_BYTES 65535

/* Types MySQL stores off the row and cannot index without a prefix length. */
static bool is_long_type(bb_col_type t)
{
    return t == BB_TYPE_TEXT || t == BB_TYPE_JSON || t == BB_TYPE_LARGEBINARY;
}

/* The most bytes a value of the column takes in an index or a row. */
static size_t column_bytes(const bb_column *c)
{
    switch (c->type) {
    case BB_TYPE_STRING:
        /* the loader makes a String without a length 255 long on MySQL */
        return (size_t)(c->length > 0 ? c->length : 255) * BYTES_PER_CHAR + 2;
    case BB_TYPE_UUID:
        return 32 * BYTES_PER_CHAR; /* CHAR(32) */
    case BB_TYPE_NUMERIC:
        return 32;
    case BB_TYPE_TEXT:
    case BB_TYPE_JSON:
    case BB_TYPE_LARGEBINARY:
        return 12; /* a pointer to the value stored elsewhere */
    default:
        return 8;
    }
}

static const char *long_type_hint(void)
{
    return "use a String with a length of at most 768 for a key, or drop the key";
}

/* A Text, JSON or LargeBinary column in a key: "BLOB/TEXT column used in
 * key specification without a key length" (MySQL 8), refused as a primary
 * key by MariaDB too. */
static void report_long_key(bb__vctx *v, const bb_column *c, const bb__loc *at, const char *what)
{
    bb__report(v, BB_ERROR, "BB0455", at, long_type_hint(),
               "column \"%s\" is %s, which MySQL cannot use in %s", c->name, c->type_name, what);
}

static void check_column_keys(bb__vctx *v, const bb_column *c)
{
    if (c->from_mixin)
        return;
    if (is_long_type(c->type)) {
        static const struct {
            const char *key, *what;
        } keys[] = {
            {"primary_key", "a primary key"}, {"unique", "a unique key"}, {"index", "an index"}};
        const bool on[] = {c->primary_key, c->unique, c->index};
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            if (!on[i])
                continue;
            bb__loc at = COL_LOC(c, keys[i].key);
            report_long_key(v, c, &at, keys[i].what);
            return;
        }
        if (c->default_value.kind > BB_VALUE_NULL || c->server_default) {
            bb__loc at = COL_LOC(c, c->server_default ? "server_default" : "default");
            bb__report(
                v, BB_ERROR, "BB0458", &at, "drop the default, or use a String with a length",
                "column \"%s\" is %s, which cannot have a default on MySQL", c->name, c->type_name);
        }
        return;
    }
    if ((c->primary_key || c->unique || c->index) && column_bytes(c) - 2 > MAX_KEY_BYTES) {
        bb__loc at = COL_LOC(c, "length");
        bb__report(v, BB_ERROR, "BB0456", &at, "use a length of at most 768 for a key",
                   "a key on column \"%s\" takes up to %zu bytes; MySQL's limit is %d "
                   "(4 bytes per character)",
                   c->name, column_bytes(c) - 2, MAX_KEY_BYTES);
    }
}

/* A unique constraint or index over several columns (table-level). */
static void check_composite_key(bb__vctx *v, const bb_table *t, const char *ptr, size_t off,
                                const char **columns, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        int ci = bb_table_column_index(t, columns[i]);
        if (ci < 0)
            return; /* reported as BB0430 */
        const bb_column *c = &t->columns[ci];
        if (is_long_type(c->type)) {
            bb__loc at = bb__loc_item(ptr, off, "columns", i);
            report_long_key(v, c, &at, "a key");
            return;
        }
        total += column_bytes(c) - 2;
    }
    if (total > MAX_KEY_BYTES) {
        bb__loc at = bb__loc_key(ptr, off, "columns");
        bb__report(v, BB_ERROR, "BB0456", &at,
                   "shorten the String columns of the key (4 bytes per character)",
                   "this key takes up to %zu bytes; MySQL's limit is %d", total, MAX_KEY_BYTES);
    }
}

static void check_row_size(bb__vctx *v, const bb_table *t)
{
    size_t total = 0;
    const bb_column *widest = NULL;
    for (size_t i = 0; i < t->n_columns; i++) {
        const bb_column *c = &t->columns[i];
        total += column_bytes(c);
        if (c->type == BB_TYPE_STRING && (!widest || column_bytes(c) > column_bytes(widest)))
            widest = c;
    }
    if (total <= MAX_ROW_BYTES || !widest)
        return;
    bb__loc at = COL_LOC(widest, "length");
    char hint[160];
    snprintf(hint, sizeof(hint), "make long columns such as \"%.80s\" Text", widest->name);
    bb__report(v, BB_ERROR, "BB0457", &at, hint,
               "table \"%s\" takes up to %zu bytes per row; MySQL's limit is %d (4 bytes per "
               "String character)",
               t->table_name, total, MAX_ROW_BYTES);
}

/* A primary key over several columns is one key: its columns' bytes add up. */
static void check_composite_primary_key(bb__vctx *v, const bb_table *t)
{
    size_t total = 0, n = 0;
    const bb_column *last = NULL;
    for (size_t i = 0; i < t->n_columns; i++) {
        const bb_column *c = &t->columns[i];
        if (!c->primary_key || is_long_type(c->type))
            continue;
        total += column_bytes(c) - 2;
        n++;
        last = c;
    }
    if (n < 2 || total <= MAX_KEY_BYTES)
        return;
    bb__loc at = COL_LOC(last, "primary_key");
    bb__report(v, BB_ERROR, "BB0456", &at,
               "shorten the String columns of the primary key (4 bytes per character)",
               "the primary key of \"%s\" takes up to %zu bytes; MySQL's limit is %d",
               t->table_name, total, MAX_KEY_BYTES);
}

void bb__mysql_check(bb__vctx *v, size_t ti)
{
    const bb_table *t = &v->s->tables[ti];
    if (v->s->db_type != BB_DB_MYSQL)
        return;
    for (size_t i = 0; i < t->n_columns; i++)
        check_column_keys(v, &t->columns[i]);
    for (size_t i = 0; i < t->n_uniques; i++)
        check_composite_key(v, t, t->uniques[i].pointer, t->uniques[i].offset,
                            t->uniques[i].columns, t->uniques[i].n_columns);
    for (size_t i = 0; i < t->n_indexes; i++)
        check_composite_key(v, t, t->indexes[i].pointer, t->indexes[i].offset,
                            t->indexes[i].columns, t->indexes[i].n_columns);
    check_composite_primary_key(v, t);
    check_row_size(v, t);
}
