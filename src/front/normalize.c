/*
 * normalize.c - the canonical JSON of a validated schema (normalize.h).
 *
 * Every builder below adds keys in one fixed order and writes null for what
 * is absent, so two equal schemas always give byte-equal text. Names of
 * constraints and indexes follow the naming convention of the generated
 * Base.metadata (docs/migrations.md), so the migrations and the models
 * agree on them.
 */
#include "front/normalize.h"

#include "base/pylit.h"
#include "json/jsonout.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 256
/* The canonical text has no cap of its own; this only bounds a runaway. */
#define NORMALIZED_TEXT_MAX ((size_t)1 << 30)

/*
 * Adds item to o under key, a string literal: the key is not copied (the
 * "CS" variant of cJSON), which saves an allocation and a free for each of
 * the thousands of members a large schema has. Returns item, or NULL (item
 * deleted) when it is NULL or cannot be added.
 */
static cJSON *add_item(cJSON *o, const char *key, cJSON *item)
{
    if (!item || !cJSON_AddItemToObjectCS(o, key, item)) {
        cJSON_Delete(item);
        return NULL;
    }
    return item;
}

/* Adds s, or null when s is NULL. Returns false when out of memory. */
static int add_str(cJSON *o, const char *key, const char *s)
{
    return add_item(o, key, s ? cJSON_CreateString(s) : cJSON_CreateNull()) != NULL;
}

static int add_int_or_null(cJSON *o, const char *key, int v, int absent)
{
    return add_item(o, key, v == absent ? cJSON_CreateNull() : cJSON_CreateNumber(v)) != NULL;
}

static int add_bool(cJSON *o, const char *key, bool b)
{
    return add_item(o, key, cJSON_CreateBool(b)) != NULL;
}

static int add_names(cJSON *o, const char *key, const char *const *names, size_t n)
{
    cJSON *arr = add_item(o, key, cJSON_CreateArray());
    if (!arr)
        return 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *s = cJSON_CreateString(names[i]);
        if (!s || !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            return 0;
        }
    }
    return 1;
}

/*
 * A column default as JSON. Numbers are stored as numbers, not as the digits
 * written ("1.50" is 1.5): the recorded schema is read back by cJSON, and
 * both sides of a comparison must print the same.
 */
static cJSON *default_json(const bb_value *v)
{
    switch (v->kind) {
    case BB_VALUE_BOOL:
        return cJSON_CreateBool(v->b);
    case BB_VALUE_INT:
        return cJSON_CreateNumber((double)v->i);
    case BB_VALUE_NUMBER:
        return cJSON_CreateNumber(v->d);
    case BB_VALUE_STRING:
        return cJSON_CreateString(v->s ? v->s : "");
    default:
        return cJSON_CreateNull();
    }
}

/* Joins parts into buf (a NULL part as printf writes it, "(null)"):
 * constraint names are made for every column, snprintf costs more. */
static int join_parts(char *buf, size_t size, const char *const *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = parts[i] ? parts[i] : "(null)";
        size_t m = strlen(p);
        if (m >= size - len)
            return BB_ELIMIT;
        memcpy(buf + len, p, m);
        len += m;
    }
    buf[len] = '\0';
    return BB_OK;
}

#define join(buf, ...)                                                                             \
    join_parts((buf), sizeof(buf), (const char *const[]){__VA_ARGS__},                             \
               sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Joins "prefix_table_col1_col2" into buf. */
static int join_name(char *buf, size_t size, const char *prefix, const char *table,
                     const char *const *cols, size_t n)
{
    int len = snprintf(buf, size, "%s_%s", prefix, table);
    for (size_t i = 0; i < n && len >= 0 && (size_t)len < size; i++)
        len += snprintf(buf + len, size - (size_t)len, "_%s", cols[i]);
    return len >= 0 && (size_t)len < size ? BB_OK : BB_ELIMIT;
}

/* The column a foreign key points at, NULL when unresolved. */
static const bb_column *fk_target(const bb_schema *s, const bb_column *c)
{
    if (!c->fk_target || c->fk_table_index < 0 || (size_t)c->fk_table_index >= s->n_tables)
        return NULL;
    const bb_table *t = &s->tables[c->fk_table_index];
    if (c->fk_column_index < 0 || (size_t)c->fk_column_index >= t->n_columns)
        return NULL;
    return &t->columns[c->fk_column_index];
}

/* Storage type facts of a column: its own, or its FK target's. */
typedef struct storage {
    bb_col_type type;
    int length, precision, scale;
    const char **values;
    size_t n_values;
    const char *enum_table, *enum_column; /* the enum's owner, for its type name */
} storage;

static storage storage_of(const bb_schema *s, const bb_table *t, const bb_column *c)
{
    storage st = {c->type,        c->length,        c->precision,  c->scale,
                  c->enum_values, c->n_enum_values, t->table_name, c->name};
    const bb_column *target = fk_target(s, c);
    if (target) {
        st.type = target->type;
        st.length = target->length;
        st.precision = target->precision;
        st.scale = target->scale;
        st.values = target->enum_values;
        st.n_values = target->n_enum_values;
        st.enum_table = s->tables[c->fk_table_index].table_name;
        st.enum_column = target->name;
    }
    if (st.type == BB_TYPE_FOREIGNKEY || st.type == BB_TYPE_UNKNOWN)
        st.type = BB_TYPE_INTEGER; /* unresolved FK: validation reports it */
    return st;
}

static int add_foreign_key(cJSON *col, const bb_schema *s, const bb_table *t, const bb_column *c)
{
    if (!c->fk_target)
        return add_item(col, "foreign_key", cJSON_CreateNull()) != NULL;
    const bb_column *target = fk_target(s, c);
    const char *ref_table = target ? s->tables[c->fk_table_index].table_name : c->fk_table;
    const char *ref_col = target ? target->name : c->fk_column;
    char name[NAME_MAX_LEN];
    if (join(name, "fk_", t->table_name, "_", c->name, "_", ref_table ? ref_table : "") != BB_OK)
        return 0;
    cJSON *fk = add_item(col, "foreign_key", cJSON_CreateObject());
    return fk && add_str(fk, "name", name) && add_str(fk, "table", ref_table) &&
           add_str(fk, "column", ref_col) &&
           add_str(fk, "on_delete", bb_on_delete_sql(c->on_delete)) &&
           add_bool(fk, "use_alter", c->use_alter);
}

static int is_mixin_name(const char *name)
{
    return strcmp(name, "created_at") == 0 || strcmp(name, "updated_at") == 0 ||
           strcmp(name, "is_deleted") == 0 || strcmp(name, "deleted_at") == 0;
}

/*
 * The mixin columns, always the same definition whatever the loader made of
 * them: timestamps are timezone-aware with a server default of now;
 * is_deleted is NOT NULL, false by default, indexed.
 */
static bb_column mixin_column(const char *name)
{
    bb_column c;
    memset(&c, 0, sizeof(c));
    c.name = name;
    c.precision = c.scale = -1;
    c.fk_table_index = c.fk_column_index = -1;
    c.from_mixin = true;
    if (strcmp(name, "is_deleted") == 0) {
        c.type = BB_TYPE_BOOLEAN;
        c.nullable = false;
        c.index = true;
        c.default_value.kind = BB_VALUE_BOOL;
        c.default_value.b = false;
    } else {
        c.type = BB_TYPE_DATETIME;
        c.nullable = strcmp(name, "deleted_at") == 0;
        if (!c.nullable)
            c.server_default = "CURRENT_TIMESTAMP";
    }
    return c;
}

static int add_column(cJSON *cols, const bb_schema *s, const bb_table *t, const bb_column *in)
{
    bb_column mixin;
    const bb_column *c = in;
    if (in->from_mixin && is_mixin_name(in->name)) {
        mixin = mixin_column(in->name);
        c = &mixin;
    }
    storage st = storage_of(s, t, c);
    cJSON *col = cJSON_CreateObject();
    if (!col || !cJSON_AddItemToArray(cols, col)) {
        cJSON_Delete(col);
        return BB_ENOMEM;
    }
    char enum_name[NAME_MAX_LEN];
    if (st.type == BB_TYPE_ENUM && join(enum_name, st.enum_table, "_", st.enum_column) != BB_OK)
        return BB_ELIMIT;
    bool pk = c->primary_key;
    bool integer_type = st.type == BB_TYPE_INTEGER || st.type == BB_TYPE_BIGINTEGER ||
                        st.type == BB_TYPE_SMALLINTEGER;
    /* Integer primary keys autoincrement unless told otherwise; FK columns
     * and composite keys never do (as the models say). */
    bool autoinc = pk && integer_type && !c->fk_target && bb_table_pk_count(t) == 1 &&
                   (c->autoincrement_given ? c->autoincrement : true);
    cJSON *dflt = default_json(&c->default_value);
    if (!dflt || !add_item(col, "name", cJSON_CreateString(c->name)) ||
        !add_item(col, "type", cJSON_CreateString(bb_col_type_name(st.type))) ||
        !add_int_or_null(col, "length", st.type == BB_TYPE_STRING ? st.length : 0, 0) ||
        !add_int_or_null(col, "precision", st.type == BB_TYPE_NUMERIC ? st.precision : -1, -1) ||
        !add_int_or_null(col, "scale", st.type == BB_TYPE_NUMERIC ? st.scale : -1, -1) ||
        !add_bool(col, "timezone", st.type == BB_TYPE_DATETIME && (c->from_mixin || c->timezone)) ||
        !(st.type == BB_TYPE_ENUM ? add_names(col, "values", st.values, st.n_values)
                                  : add_item(col, "values", cJSON_CreateNull()) != NULL) ||
        !add_str(col, "enum_name", st.type == BB_TYPE_ENUM ? enum_name : NULL) ||
        !add_bool(col, "primary_key", pk) || !add_bool(col, "autoincrement", autoinc) ||
        !add_bool(col, "nullable", pk ? false : c->nullable) ||
        !add_bool(col, "unique", c->unique && !pk && !t->use_soft_delete) ||
        !add_bool(col, "index", c->index && !pk)) {
        cJSON_Delete(dflt);
        return BB_ENOMEM;
    }
    if (!add_item(col, "default", dflt) || !add_str(col, "server_default", c->server_default) ||
        !add_bool(col, "server_default_literal", c->server_default && c->server_default_literal) ||
        !add_foreign_key(col, s, t, c) || !add_str(col, "comment", c->comment) ||
        !add_str(col, "renamed_from", c->renamed_from))
        return BB_ENOMEM;
    return BB_OK;
}

static int has_column(const bb_table *t, const char *name)
{
    return bb_table_column_index(t, name) >= 0;
}

/* User columns, then the mixin columns (added here if the loader did not). */
static int add_columns(cJSON *tab, const bb_schema *s, const bb_table *t)
{
    cJSON *cols = add_item(tab, "columns", cJSON_CreateArray());
    if (!cols)
        return BB_ENOMEM;
    for (size_t i = 0; i < t->n_columns; i++) {
        int rc = add_column(cols, s, t, &t->columns[i]);
        if (rc)
            return rc;
    }
    static const char *const ts[] = {"created_at", "updated_at"};
    static const char *const sd[] = {"is_deleted", "deleted_at"};
    for (int k = 0; k < 2; k++) {
        const char *const *names = k == 0 ? ts : sd;
        if (!(k == 0 ? t->use_timestamps : t->use_soft_delete))
            continue;
        for (int j = 0; j < 2; j++) {
            if (has_column(t, names[j]))
                continue;
            bb_column c = mixin_column(names[j]);
            int rc = add_column(cols, s, t, &c);
            if (rc)
                return rc;
        }
    }
    return BB_OK;
}

static int add_primary_key(cJSON *tab, const bb_table *t)
{
    const char *cols[64];
    size_t n = 0;
    for (size_t i = 0; i < t->n_columns && n < 64; i++)
        if (t->columns[i].primary_key)
            cols[n++] = t->columns[i].name;
    char name[NAME_MAX_LEN];
    if (join(name, "pk_", t->table_name) != BB_OK)
        return BB_ELIMIT;
    cJSON *pk = add_item(tab, "primary_key", cJSON_CreateObject());
    if (!pk || !add_str(pk, "name", name) || !add_names(pk, "columns", cols, n))
        return BB_ENOMEM;
    return BB_OK;
}

/* A unique index of a soft-delete table: over the rows not deleted, so a
 * deleted row frees its values (a partial index where the database has
 * them; a plain unique index elsewhere). */
static int add_live_unique(cJSON *ixs, const char *name, const char *const *cols, size_t n)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(ixs, o) || !add_str(o, "name", name) ||
        !add_names(o, "columns", cols, n) || !add_bool(o, "unique", true) ||
        !add_str(o, "where", BB_SOFT_DELETE_LIVE))
        return BB_ENOMEM;
    return BB_OK;
}

static int add_uniques(cJSON *uqs, cJSON *ixs, const bb_table *t)
{
    char name[NAME_MAX_LEN];
    for (size_t i = 0; i < t->n_columns && t->use_soft_delete; i++) {
        const bb_column *c = &t->columns[i];
        if (!c->unique || c->primary_key)
            continue;
        if (join_name(name, sizeof(name), "uq", t->table_name, &c->name, 1) != BB_OK)
            return BB_ELIMIT;
        int rc = add_live_unique(ixs, name, &c->name, 1);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < t->n_uniques; i++) {
        const bb_unique *u = &t->uniques[i];
        if (!u->name &&
            join_name(name, sizeof(name), "uq", t->table_name, u->columns, u->n_columns) != BB_OK)
            return BB_ELIMIT;
        const char *n = u->name ? u->name : name;
        if (t->use_soft_delete) {
            int rc = add_live_unique(ixs, n, u->columns, u->n_columns);
            if (rc)
                return rc;
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(uqs, o) || !add_str(o, "name", n) ||
            !add_names(o, "columns", u->columns, u->n_columns))
            return BB_ENOMEM;
    }
    return BB_OK;
}

static int add_constraints(cJSON *tab, const bb_table *t)
{
    char name[NAME_MAX_LEN];
    cJSON *uqs = add_item(tab, "uniques", cJSON_CreateArray());
    cJSON *ixs = add_item(tab, "indexes", cJSON_CreateArray());
    cJSON *cks = add_item(tab, "checks", cJSON_CreateArray());
    if (!uqs || !ixs || !cks)
        return BB_ENOMEM;
    int rc = add_uniques(uqs, ixs, t);
    if (rc)
        return rc;
    for (size_t i = 0; i < t->n_indexes; i++) {
        const bb_index *x = &t->indexes[i];
        if (!x->name &&
            join_name(name, sizeof(name), "ix", t->table_name, x->columns, x->n_columns) != BB_OK)
            return BB_ELIMIT;
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(ixs, o) || !add_str(o, "name", x->name ? x->name : name) ||
            !add_names(o, "columns", x->columns, x->n_columns) ||
            !add_bool(o, "unique", x->unique) || !add_str(o, "where", NULL))
            return BB_ENOMEM;
    }
    for (size_t i = 0; i < t->n_checks; i++) {
        const bb_check *k = &t->checks[i];
        /* ck_%(table_name)s_%(constraint_name)s, the constraint name being
         * the given one or the check's 1-based position. */
        int len = k->name ? snprintf(name, sizeof(name), "ck_%s_%s", t->table_name, k->name)
                          : snprintf(name, sizeof(name), "ck_%s_%zu", t->table_name, i + 1);
        if (len >= (int)sizeof(name))
            return BB_ELIMIT;
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(cks, o) || !add_str(o, "name", name) ||
            !add_str(o, "expression", k->expression))
            return BB_ENOMEM;
    }
    return BB_OK;
}

static int add_table(cJSON *tables, const bb_schema *s, const bb_table *t)
{
    cJSON *tab = cJSON_CreateObject();
    if (!tab || !cJSON_AddItemToArray(tables, tab)) {
        cJSON_Delete(tab);
        return BB_ENOMEM;
    }
    if (!add_str(tab, "name", t->table_name) || !add_str(tab, "renamed_from", t->renamed_from) ||
        !add_str(tab, "comment", t->comment) || !add_bool(tab, "association", t->is_association))
        return BB_ENOMEM;
    int rc = add_primary_key(tab, t);
    if (!rc)
        rc = add_columns(tab, s, t);
    if (!rc)
        rc = add_constraints(tab, t);
    return rc;
}

/* One side of an automatic association table: "<class in snake_case>_<pk>". */
static int assoc_side(const bb_schema *s, const bb_table *side, bb_arena *a, bb_column *out)
{
    int pk = bb_table_pk_index(side);
    if (pk < 0)
        return BB_EINVAL;
    const bb_column *p = &side->columns[pk];
    bb_buf snake;
    bb_buf_init(&snake, NAME_MAX_LEN);
    int rc = bb_pylit_snake(&snake, side->class_name ? side->class_name : side->table_name);
    memset(out, 0, sizeof(*out));
    out->name = rc ? NULL : bb_arena_printf(a, "%s_%s", bb_buf_str(&snake), p->name);
    bb_buf_free(&snake);
    out->fk_target = bb_arena_printf(a, "%s.%s", side->table_name, p->name);
    if (!out->name || !out->fk_target)
        return BB_ENOMEM;
    out->type = p->type;
    out->declared_type = BB_TYPE_FOREIGNKEY;
    out->precision = out->scale = -1;
    out->primary_key = true;
    out->fk_table = side->table_name;
    out->fk_column = p->name;
    out->fk_table_index = (int)(side - s->tables);
    out->fk_column_index = pk;
    out->on_delete = BB_ON_DELETE_CASCADE;
    return BB_OK;
}

/*
 * An automatic many-to-many association table: named "<a>_<b>" after the two
 * tables sorted, one FK column per side (ON DELETE CASCADE), together the
 * primary key.
 */
static int add_assoc_table(cJSON *tables, const bb_schema *s, const bb_table *a_side,
                           const bb_table *b_side, const char *name)
{
    if (strcmp(a_side->table_name, b_side->table_name) > 0) {
        const bb_table *tmp = a_side;
        a_side = b_side;
        b_side = tmp;
    }
    bb_arena arena;
    bb_arena_init(&arena, 64 * 1024);
    bb_column cols[2];
    bb_table t;
    memset(&t, 0, sizeof(t));
    int rc = assoc_side(s, a_side, &arena, &cols[0]);
    if (!rc)
        rc = assoc_side(s, b_side, &arena, &cols[1]);
    if (!rc) {
        t.table_name = name;
        t.class_name = name;
        t.columns = cols;
        t.n_columns = t.n_user_columns = 2;
        t.is_association = true;
        rc = add_table(tables, s, &t);
    }
    bb_arena_free(&arena);
    return rc;
}

typedef struct assoc {
    char name[NAME_MAX_LEN];
    const bb_table *a, *b;
} assoc;

static int assoc_cmp(const void *x, const void *y)
{
    return strcmp(((const assoc *)x)->name, ((const assoc *)y)->name);
}

/* Automatic association tables, after every declared table, by name. */
static int add_assoc_tables(cJSON *tables, const bb_schema *s)
{
    size_t cap = 0, n = 0;
    for (size_t i = 0; i < s->n_tables; i++)
        cap += s->tables[i].n_rels;
    if (cap == 0)
        return BB_OK;
    assoc *list = bb_calloc(cap, sizeof(*list));
    if (!list)
        return BB_ENOMEM;
    int rc = BB_OK;
    for (size_t i = 0; i < s->n_tables && !rc; i++) {
        const bb_table *t = &s->tables[i];
        for (size_t r = 0; r < t->n_rels && !rc; r++) {
            const bb_relationship *rel = &t->rels[r];
            if (rel->kind != BB_REL_MANY_TO_MANY || rel->through || rel->target_index < 0 ||
                (size_t)rel->target_index >= s->n_tables)
                continue;
            const bb_table *o = &s->tables[rel->target_index];
            int lt = strcmp(t->table_name, o->table_name) < 0;
            int len = rel->assoc_table
                          ? snprintf(list[n].name, NAME_MAX_LEN, "%s", rel->assoc_table)
                          : snprintf(list[n].name, NAME_MAX_LEN, "%s_%s",
                                     lt ? t->table_name : o->table_name,
                                     lt ? o->table_name : t->table_name);
            if (len >= NAME_MAX_LEN)
                rc = BB_ELIMIT;
            list[n].a = t;
            list[n].b = o;
            n++;
        }
    }
    qsort(list, n, sizeof(*list), assoc_cmp);
    for (size_t i = 0; i < n && !rc; i++)
        if (i == 0 || strcmp(list[i].name, list[i - 1].name) != 0)
            rc = add_assoc_table(tables, s, list[i].a, list[i].b, list[i].name);
    bb_free(list);
    return rc;
}

int bb_normalize(const bb_schema *s, cJSON **out)
{
    *out = NULL;
    if (!s)
        return BB_EUSAGE;
    cJSON *root = cJSON_CreateObject();
    if (!root || !add_item(root, "normalized", cJSON_CreateNumber(BB_NORMALIZED_FORMAT)) ||
        !add_str(root, "project_name", s->project_name) ||
        !add_str(root, "db_type", s->db_type_name)) {
        cJSON_Delete(root);
        return BB_ENOMEM;
    }
    cJSON *tables = add_item(root, "tables", cJSON_CreateArray());
    int rc = tables ? BB_OK : BB_ENOMEM;
    size_t n = s->build_order && s->n_build_order == s->n_tables ? s->n_build_order : s->n_tables;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t ti =
            s->build_order && s->n_build_order == s->n_tables ? (size_t)s->build_order[i] : i;
        rc = add_table(tables, s, &s->tables[ti]);
    }
    if (!rc)
        rc = add_assoc_tables(tables, s);
    if (rc) {
        cJSON_Delete(root);
        return rc;
    }
    *out = root;
    return BB_OK;
}

int bb_normalize_append(bb_buf *b, const cJSON *norm)
{
    return bb_json_print(b, norm, false);
}

int bb_normalize_text(const cJSON *norm, char **out)
{
    *out = NULL;
    bb_buf b;
    bb_buf_init(&b, NORMALIZED_TEXT_MAX);
    int rc = bb_normalize_append(&b, norm);
    if (!rc)
        *out = bb_buf_take(&b, NULL);
    bb_buf_free(&b);
    return rc ? rc : *out ? BB_OK : BB_ENOMEM;
}

int bb_normalize_is_normalized(const cJSON *doc)
{
    return cJSON_IsObject(doc) &&
           cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "normalized")) &&
           cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "tables"));
}
