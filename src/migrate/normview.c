/* normview.c - a normalized schema read into views (normview.h). */
#include "migrate/normview.h"

#include <cJSON.h>
#include <limits.h>
#include <string.h>

const char *bb_normview_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A member's string, or NULL when it is absent or not a string. */
static const char *str_of(const cJSON *v)
{
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A member, or NULL when it is absent or null. */
static const cJSON *nonnull(const cJSON *v)
{
    return v && !cJSON_IsNull(v) ? v : NULL;
}

static int key_index(const char *const *keys, int n, const char *key)
{
    for (int k = 0; k < n; k++)
        if (strcmp(keys[k], key) == 0)
            return k;
    return -1;
}

/*
 * Sets found[k] to the member of o named keys[k] (NULL when none), what
 * cJSON_GetObjectItemCaseSensitive() finds for each key, in one pass over
 * the members instead of one per key. The normalized schema writes its keys
 * in a fixed order, so the key after the last one found is tried first.
 */
static void members(const cJSON *o, const char *const *keys, int n, const cJSON **found)
{
    int next = 0;
    for (int k = 0; k < n; k++)
        found[k] = NULL;
    for (const cJSON *m = o ? o->child : NULL; m && m->string; m = m->next) {
        /* A tree bb_normalize() built in this process may share the
         * literals of its keys with keys[] (the linker merges equal
         * strings): then no strcmp is needed. */
        bool hit = next < n && (m->string == keys[next] || strcmp(m->string, keys[next]) == 0);
        int k = hit ? next : key_index(keys, n, m->string);
        if (k < 0)
            continue;
        if (!found[k])
            found[k] = m;
        next = k + 1;
    }
}

static bb_normview_type kind_of(const char *type)
{
    static const char *const names[] = {"String", "Numeric",      "DateTime", "Enum",      "UUID",
                                        "Text",   "SmallInteger", "Integer",  "BigInteger"};
    if (!type)
        return BB_NORMVIEW_NONE;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(type, names[i]) == 0)
            return (bb_normview_type)(BB_NORMVIEW_STRING + i);
    return BB_NORMVIEW_OTHER;
}

enum {
    C_NAME,
    C_TYPE,
    C_LENGTH,
    C_PRECISION,
    C_SCALE,
    C_TIMEZONE,
    C_VALUES,
    C_ENUM_NAME,
    C_PRIMARY_KEY,
    C_AUTOINCREMENT,
    C_NULLABLE,
    C_UNIQUE,
    C_INDEX,
    C_DEFAULT,
    C_SERVER_DEFAULT,
    C_SERVER_DEFAULT_LITERAL,
    C_FOREIGN_KEY,
    C_COMMENT,
    C_RENAMED_FROM,
    C_KEYS
};

static const char *const col_keys[C_KEYS] = {
    "name",        "type",          "length",         "precision",
    "scale",       "timezone",      "values",         "enum_name",
    "primary_key", "autoincrement", "nullable",       "unique",
    "index",       "default",       "server_default", "server_default_literal",
    "foreign_key", "comment",       "renamed_from",
};

enum { F_NAME, F_TABLE, F_COLUMN, F_ON_DELETE, F_USE_ALTER, F_KEYS };

static const char *const fk_keys[F_KEYS] = {"name", "table", "column", "on_delete", "use_alter"};

enum {
    T_NAME,
    T_RENAMED_FROM,
    T_COMMENT,
    T_ASSOCIATION,
    T_PRIMARY_KEY,
    T_COLUMNS,
    T_UNIQUES,
    T_INDEXES,
    T_CHECKS,
    T_KEYS
};

static const char *const table_keys[T_KEYS] = {
    "name",    "renamed_from", "comment", "association", "primary_key",
    "columns", "uniques",      "indexes", "checks",
};

static void view_column(const cJSON *col, bb_normview_col *v)
{
    const cJSON *m[C_KEYS], *f[F_KEYS];
    members(col, col_keys, C_KEYS, m);
    v->id.name = str_of(m[C_NAME]);
    v->id.renamed_from = str_of(m[C_RENAMED_FROM]);
    v->type = str_of(m[C_TYPE]);
    v->kind = kind_of(v->type);
    v->enum_name = str_of(m[C_ENUM_NAME]);
    v->server_default = str_of(m[C_SERVER_DEFAULT]);
    v->comment = str_of(m[C_COMMENT]);
    v->length = nonnull(m[C_LENGTH]);
    v->precision = nonnull(m[C_PRECISION]);
    v->scale = nonnull(m[C_SCALE]);
    v->dflt = nonnull(m[C_DEFAULT]);
    v->values = m[C_VALUES];
    v->timezone = cJSON_IsTrue(m[C_TIMEZONE]);
    v->primary_key = cJSON_IsTrue(m[C_PRIMARY_KEY]);
    v->autoincrement = cJSON_IsTrue(m[C_AUTOINCREMENT]);
    v->nullable = cJSON_IsTrue(m[C_NULLABLE]);
    v->unique = cJSON_IsTrue(m[C_UNIQUE]);
    v->index = cJSON_IsTrue(m[C_INDEX]);
    v->server_default_literal = cJSON_IsTrue(m[C_SERVER_DEFAULT_LITERAL]);
    const cJSON *fk = nonnull(m[C_FOREIGN_KEY]);
    members(fk, fk_keys, F_KEYS, f);
    v->fk =
        (bb_normview_fk){fk != NULL,          str_of(f[F_NAME]),      str_of(f[F_TABLE]),
                         str_of(f[F_COLUMN]), str_of(f[F_ON_DELETE]), cJSON_IsTrue(f[F_USE_ALTER])};
}

static int count_items(const cJSON *arr)
{
    int n = 0;
    for (const cJSON *it = arr ? arr->child : NULL; it && n < INT_MAX; it = it->next)
        n++;
    return n;
}

void bb_normview_free(bb_normview *v)
{
    bb_free(v->tables);
    bb_free(v->cols);
    memset(v, 0, sizeof(*v));
}

int bb_normview_read(const cJSON *norm, bb_normview *v)
{
    memset(v, 0, sizeof(*v));
    const cJSON *tables = cJSON_GetObjectItemCaseSensitive(norm, "tables");
    v->n_tables = count_items(tables);
    v->tables = bb_calloc((size_t)v->n_tables + 1, sizeof(*v->tables));
    if (!v->tables)
        return BB_ENOMEM;
    const cJSON *m[T_KEYS];
    size_t n_cols = 0;
    int i = 0;
    for (const cJSON *t = tables ? tables->child : NULL; t && i < v->n_tables; t = t->next) {
        bb_normview_table *tv = &v->tables[i++];
        members(t, table_keys, T_KEYS, m);
        tv->id.name = str_of(m[T_NAME]);
        tv->id.renamed_from = str_of(m[T_RENAMED_FROM]);
        tv->comment = str_of(m[T_COMMENT]);
        tv->association = cJSON_IsTrue(m[T_ASSOCIATION]);
        tv->primary_key = nonnull(m[T_PRIMARY_KEY]);
        tv->uniques = m[T_UNIQUES];
        tv->indexes = m[T_INDEXES];
        tv->checks = m[T_CHECKS];
        tv->columns = m[T_COLUMNS];
        tv->n_cols = count_items(tv->columns);
        n_cols += (size_t)tv->n_cols;
    }
    if (n_cols > (size_t)INT_MAX) {
        bb_normview_free(v);
        return BB_ELIMIT;
    }
    v->cols = bb_calloc(n_cols + 1, sizeof(*v->cols));
    if (!v->cols) {
        bb_normview_free(v);
        return BB_ENOMEM;
    }
    bb_normview_col *next = v->cols;
    for (i = 0; i < v->n_tables; i++) {
        bb_normview_table *tv = &v->tables[i];
        tv->cols = next;
        int k = 0;
        for (const cJSON *c = tv->columns ? tv->columns->child : NULL; c && k < tv->n_cols;
             c = c->next)
            view_column(c, &tv->cols[k++]);
        next += tv->n_cols;
    }
    return BB_OK;
}

const bb_normview_named *bb_normview_at(const bb_normview_list *l, int i)
{
    return (const bb_normview_named *)(const void *)(l->base + (size_t)i * l->stride);
}

bb_normview_list bb_normview_tables(const bb_normview *s)
{
    return (bb_normview_list){(const char *)s->tables, sizeof(*s->tables), s->n_tables};
}

bb_normview_list bb_normview_columns(const bb_normview_table *t)
{
    return (bb_normview_list){(const char *)t->cols, sizeof(*t->cols), t->n_cols};
}

int bb_normview_find(const bb_normview_list *l, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < l->n; i++) {
        const char *n = bb_normview_at(l, i)->name;
        if (n && strcmp(n, name) == 0)
            return i;
    }
    return -1;
}
