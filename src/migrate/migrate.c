/*
 * migrate.c - Alembic revisions from two normalized schemas (migrate.h).
 *
 * One walk, diff(from, to), writes the body of a Python function; the
 * upgrade is diff(old, new) and the downgrade diff(new, old), so the two are
 * inverse by construction. The order of a walk:
 *
 *   1. PostgreSQL enum types that appear (or gain values)
 *   2. table renames
 *   3. new tables, dependencies first, then their cyclic (use_alter) FKs
 *   4. changed tables, each in one batch: drop constraints, rename, add and
 *      alter columns, create constraints, drop columns
 *   5. dropped tables, dependents first
 *   6. PostgreSQL enum types that disappear
 *
 * Refusals (destructive drops, NOT NULL without default, ...) are reported
 * only while walking the upgrade; the downgrade softens what it cannot do.
 */
#include "migrate/migrate.h"

#include "base/sha256.h"

#include "base/buf.h"
#include "base/file.h"
#include "base/pylit.h"
#include "front/normalize.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SUMMARY_MAX 64 * 1024
#define TEXT_SMALL 4096

/* ---- reading the normalized JSON ---------------------------------------- */

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool jbool(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
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

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
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

/*
 * The walk reads every table and column many times (both directions,
 * constraints, enums, foreign keys): each is read out of the cJSON tree
 * once into a view. A view holds pointers into the tree; absent values are
 * NULL (or false), as jstr()/jbool() give them.
 */
typedef struct named {
    const char *name;
    const char *renamed_from;
} named;

typedef struct fk_view {
    bool present; /* foreign_key is there and not null */
    const char *name, *table, *column, *on_delete;
    bool use_alter;
} fk_view;

/* The column types the walk treats apart, told once per column. */
typedef enum {
    TY_NONE, /* no type: rendered as Integer */
    TY_OTHER,
    TY_STRING,
    TY_NUMERIC,
    TY_DATETIME,
    TY_ENUM,
    TY_UUID,
    TY_SMALLINT, /* the integers from narrow to wide, for integer_width() */
    TY_INTEGER,
    TY_BIGINT,
} type_kind;

static type_kind kind_of(const char *type)
{
    static const char *const names[] = {"String", "Numeric",      "DateTime", "Enum",
                                        "UUID",   "SmallInteger", "Integer",  "BigInteger"};
    if (!type)
        return TY_NONE;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(type, names[i]) == 0)
            return (type_kind)(TY_STRING + i);
    return TY_OTHER;
}

typedef struct col_view {
    named id; /* first: matching reads tables and columns alike */
    const char *type, *enum_name, *server_default, *comment;
    type_kind kind;
    const cJSON *length, *precision, *scale, *dflt; /* NULL when absent or null */
    const cJSON *values;                            /* as found, maybe null */
    bool timezone, primary_key, autoincrement, nullable, unique, index, server_default_literal;
    fk_view fk;
} col_view;

typedef struct table_view {
    named id;
    const char *comment;
    const cJSON *primary_key;                          /* NULL when absent or null */
    const cJSON *columns, *uniques, *indexes, *checks; /* as found */
    col_view *cols;
    int n_cols;
} table_view;

typedef struct schema_view {
    table_view *tables;
    int n_tables;
    col_view *cols; /* every table's columns, one allocation */
} schema_view;

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

static void view_column(const cJSON *col, col_view *v)
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
    v->fk = (fk_view){fk != NULL,          str_of(f[F_NAME]),      str_of(f[F_TABLE]),
                      str_of(f[F_COLUMN]), str_of(f[F_ON_DELETE]), cJSON_IsTrue(f[F_USE_ALTER])};
}

static int count_items(const cJSON *arr)
{
    int n = 0;
    for (const cJSON *it = arr ? arr->child : NULL; it && n < INT_MAX; it = it->next)
        n++;
    return n;
}

static void schema_view_free(schema_view *v)
{
    bb_free(v->tables);
    bb_free(v->cols);
    memset(v, 0, sizeof(*v));
}

/* Reads a normalized schema (NULL: one with no tables) into views;
 * BB_ENOMEM, BB_ELIMIT. */
static int view_schema(const cJSON *norm, schema_view *v)
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
        table_view *tv = &v->tables[i++];
        members(t, table_keys, T_KEYS, m);
        tv->id.name = str_of(m[T_NAME]);
        tv->id.renamed_from = str_of(m[T_RENAMED_FROM]);
        tv->comment = str_of(m[T_COMMENT]);
        tv->primary_key = nonnull(m[T_PRIMARY_KEY]);
        tv->uniques = m[T_UNIQUES];
        tv->indexes = m[T_INDEXES];
        tv->checks = m[T_CHECKS];
        tv->columns = m[T_COLUMNS];
        tv->n_cols = count_items(tv->columns);
        n_cols += (size_t)tv->n_cols;
    }
    if (n_cols > (size_t)INT_MAX) {
        schema_view_free(v);
        return BB_ELIMIT;
    }
    v->cols = bb_calloc(n_cols + 1, sizeof(*v->cols));
    if (!v->cols) {
        schema_view_free(v);
        return BB_ENOMEM;
    }
    col_view *next = v->cols;
    for (i = 0; i < v->n_tables; i++) {
        table_view *tv = &v->tables[i];
        tv->cols = next;
        int k = 0;
        for (const cJSON *c = tv->columns ? tv->columns->child : NULL; c && k < tv->n_cols;
             c = c->next)
            view_column(c, &tv->cols[k++]);
        next += tv->n_cols;
    }
    return BB_OK;
}

/* Items of a view array (tables or columns) seen by their names. */
typedef struct named_list {
    const char *base;
    size_t stride;
    int n;
} named_list;

static const named *named_at(const named_list *l, int i)
{
    return (const named *)(const void *)(l->base + (size_t)i * l->stride);
}

static named_list tables_of(const schema_view *s)
{
    return (named_list){(const char *)s->tables, sizeof(*s->tables), s->n_tables};
}

static named_list columns_of(const table_view *t)
{
    return (named_list){(const char *)t->cols, sizeof(*t->cols), t->n_cols};
}

/* The index of the first item called name, -1 when none (or no name). */
static int find_named(const named_list *l, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < l->n; i++) {
        const char *n = named_at(l, i)->name;
        if (n && strcmp(n, name) == 0)
            return i;
    }
    return -1;
}

/* ---- the walk's state ---------------------------------------------------- */

typedef struct walk {
    bb_buf *out;
    bb_diags *diags;
    const bb_schema *locate; /* for diagnostic positions; may be NULL */
    bool upgrade;
    bool initial; /* from the empty schema: renamed_from means nothing yet */
    bool allow_destructive;
    size_t n_ops;
    bb_buf *summary; /* one line per operation (upgrade only) */
    int rc;          /* first output failure */
    size_t n_refused;
    bb_buf scratch[2]; /* for comparing two renderings; reused */
} walk;

static void walk_init(walk *w, bb_buf *out, bb_diags *diags, bool upgrade, bool initial)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->diags = diags;
    w->upgrade = upgrade;
    w->initial = initial;
    bb_buf_init(&w->scratch[0], TEXT_SMALL * 16);
    bb_buf_init(&w->scratch[1], TEXT_SMALL * 16);
}

static void walk_free(walk *w)
{
    bb_buf_free(&w->scratch[0]);
    bb_buf_free(&w->scratch[1]);
}

/*
 * bb_buf_append, copying in place while the bytes fit. The output is
 * appended piece by piece, without printf: a revision of a large schema is
 * made of tens of thousands of small pieces.
 */
static int add(bb_buf *b, const char *s, size_t n)
{
    if (!b->data || n >= b->cap - b->len)
        return bb_buf_append(b, s, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BB_OK;
}

#define add_lit(b, lit) add((b), "" lit, sizeof(lit) - 1)

static void out_n(walk *w, const char *s, size_t n)
{
    if (!w->rc)
        w->rc = add(w->out, s, n);
}

static void outs(walk *w, const char *s)
{
    out_n(w, s, strlen(s));
}

/* A string literal, its length known at compile time. */
#define out_lit(w, lit) out_n((w), "" lit, sizeof(lit) - 1)

static void out_bool(walk *w, bool b)
{
    if (b)
        out_lit(w, "True");
    else
        out_lit(w, "False");
}

/*
 * s as a Python string literal, the way bb_pylit_str() writes it. Most
 * names need no escaping and no choice of quotes: they are copied.
 */
static int put_q(bb_buf *b, const char *s)
{
    if (!s)
        s = "";
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c < 0x20 || c > 0x7E || c == '"' || c == '\\')
            return bb_pylit_str(b, s);
    }
    if (b->data && n + 2 < b->cap - b->len) {
        char *d = b->data + b->len;
        d[0] = '"';
        memcpy(d + 1, s, n);
        d[n + 1] = '"';
        d[n + 2] = '\0';
        b->len += n + 2;
        return BB_OK;
    }
    int rc = bb_buf_putc(b, '"');
    if (!rc)
        rc = bb_buf_append(b, s, n);
    return rc ? rc : bb_buf_putc(b, '"');
}

static void outq(walk *w, const char *s)
{
    if (!w->rc)
        w->rc = put_q(w->out, s);
}

/* Appends v in decimal, as "%d" would. */
static int put_int(bb_buf *b, int v)
{
    char digits[16];
    size_t n = sizeof(digits);
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        digits[--n] = '-';
    return bb_buf_append(b, digits + n, sizeof(digits) - n);
}

/*
 * Records one operation for the message (upgrade walk only): its parts
 * joined, a NULL part written "(null)" as printf would.
 */
static void op_note(walk *w, const char *const *parts, size_t n)
{
    w->n_ops++;
    if (!w->summary || w->rc)
        return;
    for (size_t i = 0; i < n && !w->rc; i++)
        w->rc = bb_buf_puts(w->summary, parts[i] ? parts[i] : "(null)");
    if (!w->rc)
        w->rc = bb_buf_putc(w->summary, '\n');
}

#define op_done(w, ...)                                                                            \
    op_note((w), (const char *const[]){__VA_ARGS__},                                               \
            sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* The JSON Pointer and offset of a table or column of the new schema. */
static void locate(const walk *w, const char *table, const char *column, const char **pointer,
                   size_t *offset)
{
    *pointer = NULL;
    *offset = BB_NO_OFFSET;
    if (!w->locate || !table)
        return;
    int ti = bb_schema_table_index(w->locate, table);
    if (ti < 0)
        return;
    const bb_table *t = &w->locate->tables[ti];
    *pointer = t->pointer;
    *offset = t->offset;
    int ci = column ? bb_table_column_index(t, column) : -1;
    if (ci >= 0) {
        *pointer = t->columns[ci].pointer;
        *offset = t->columns[ci].offset;
    }
}

/*
 * Reports a refusal (BB_ERROR: the revision is not written) or a warning,
 * placed on the table or column of the new schema when it can be found.
 */
static void report(walk *w, bb_severity sev, const char *code, const char *table,
                   const char *column, const char *hint, const char *fmt, ...) BB_PRINTF(7, 8);

static void report(walk *w, bb_severity sev, const char *code, const char *table,
                   const char *column, const char *hint, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *pointer;
    size_t offset;
    locate(w, table, column, &pointer, &offset);
    if (sev == BB_ERROR)
        w->n_refused++;
    (void)bb_diag_add(w->diags, sev, code, pointer, offset, hint, "%s", msg);
}

/* ---- rendering columns as Python ------------------------------------------ */

static int put_sa_type(bb_buf *b, const char *type, const char *suffix)
{
    int rc = add_lit(b, "sa.");
    if (!rc)
        rc = bb_buf_puts(b, type);
    return rc ? rc : bb_buf_puts(b, suffix);
}

static int put_type(bb_buf *b, const col_view *col)
{
    const char *type = col->type ? col->type : "Integer";
    int rc;
    switch (col->kind) {
    case TY_STRING:
        if (!col->length)
            return add_lit(b, "sa.String()");
        rc = add_lit(b, "sa.String(length=");
        if (!rc)
            rc = put_int(b, col->length->valueint);
        return rc ? rc : add_lit(b, ")");
    case TY_NUMERIC:
        rc = add_lit(b, "sa.Numeric(");
        if (!rc && col->precision)
            rc = add_lit(b, "precision=");
        if (!rc && col->precision)
            rc = put_int(b, col->precision->valueint);
        if (!rc && col->precision && col->scale)
            rc = add_lit(b, ", ");
        if (!rc && col->scale)
            rc = add_lit(b, "scale=");
        if (!rc && col->scale)
            rc = put_int(b, col->scale->valueint);
        return rc ? rc : add_lit(b, ")");
    case TY_DATETIME:
        return bb_buf_puts(b, col->timezone ? "sa.DateTime(timezone=True)" : "sa.DateTime()");
    case TY_ENUM:
        rc = add_lit(b, "_enum(");
        if (!rc)
            rc = put_q(b, col->enum_name);
        const cJSON *v;
        cJSON_ArrayForEach(v, col->values)
        {
            if (!rc && cJSON_IsString(v))
                rc = add_lit(b, ", ");
            if (!rc && cJSON_IsString(v))
                rc = put_q(b, v->valuestring);
        }
        return rc ? rc : add_lit(b, ")");
    case TY_UUID:
        return bb_buf_puts(b, "sa.CHAR(length=36).with_variant(postgresql.UUID(as_uuid=True), "
                              "\"postgresql\")");
    case TY_SMALLINT:
    case TY_BIGINT:
        /* SQLite only autoincrements an INTEGER PRIMARY KEY. */
        if (col->autoincrement)
            return put_sa_type(b, type, "().with_variant(sa.Integer(), \"sqlite\")");
        break;
    default:
        break;
    }
    return put_sa_type(b, type, "()");
}

/* sa.text("s") */
static int put_text(bb_buf *b, const char *s)
{
    int rc = add_lit(b, "sa.text(");
    if (!rc)
        rc = put_q(b, s);
    return rc ? rc : add_lit(b, ")");
}

/* The Python of a column's server default, "" when it has none. */
static int put_server_default(bb_buf *b, const col_view *col)
{
    const char *sd = col->server_default;
    /* A literal true/false server default: each dialect spells it its way. */
    if (sd && col->server_default_literal && (strcmp(sd, "true") == 0 || strcmp(sd, "false") == 0))
        return bb_buf_puts(b, sd[0] == 't' ? "sa.true()" : "sa.false()");
    if (sd)
        return put_text(b, sd);
    const cJSON *d = col->dflt;
    if (!d)
        return BB_OK;
    if (cJSON_IsBool(d))
        return bb_buf_puts(b, cJSON_IsTrue(d) ? "sa.true()" : "sa.false()");
    if (cJSON_IsString(d))
        return put_q(b, d->valuestring);
    if (cJSON_IsNumber(d) || cJSON_IsRaw(d)) {
        char *num = cJSON_PrintUnformatted(d);
        if (!num)
            return BB_ENOMEM;
        int rc = put_text(b, num);
        cJSON_free(num);
        return rc;
    }
    return BB_OK;
}

/* The Python value a NULL is replaced with before a column becomes NOT NULL. */
static int put_fill_value(bb_buf *b, const col_view *col)
{
    const char *sd = col->server_default;
    if (sd && col->server_default_literal)
        return strcmp(sd, "true") == 0    ? add_lit(b, "True")
               : strcmp(sd, "false") == 0 ? add_lit(b, "False")
                                          : bb_buf_puts(b, sd);
    if (sd)
        return put_text(b, sd);
    const cJSON *d = col->dflt;
    if (cJSON_IsBool(d))
        return bb_buf_puts(b, cJSON_IsTrue(d) ? "True" : "False");
    if (cJSON_IsString(d))
        return put_q(b, d->valuestring);
    char *num = cJSON_PrintUnformatted(d);
    if (!num)
        return BB_ENOMEM;
    int rc = bb_buf_puts(b, num);
    cJSON_free(num);
    return rc;
}

static bool has_default(const col_view *col)
{
    return col->server_default || col->dflt;
}

/* Renders into the walk's scratch buffers, for comparing two columns' Python. */
typedef int (*render_fn)(bb_buf *b, const col_view *col);

static bool rendered_equal(walk *w, render_fn f, const col_view *a, const col_view *b)
{
    bb_buf *x = &w->scratch[0], *y = &w->scratch[1];
    bb_buf_reset(x);
    bb_buf_reset(y);
    int r = f(x, a);
    if (!r)
        r = f(y, b);
    if (r && !w->rc)
        w->rc = r;
    return x->len == y->len && memcmp(bb_buf_str(x), bb_buf_str(y), x->len) == 0;
}

static void out_render(walk *w, render_fn f, const col_view *col)
{
    if (!w->rc)
        w->rc = f(w->out, col);
}

/* sa.Column("name", TYPE, nullable=..., ...) */
static void out_column(walk *w, const col_view *col, bool force_nullable)
{
    out_lit(w, "sa.Column(");
    outq(w, col->id.name);
    out_lit(w, ", ");
    out_render(w, put_type, col);
    if (col->primary_key && col->kind >= TY_SMALLINT) {
        out_lit(w, ", autoincrement=");
        out_bool(w, col->autoincrement);
    }
    out_lit(w, ", nullable=");
    out_bool(w, col->nullable || force_nullable);
    if (has_default(col)) {
        out_lit(w, ", server_default=");
        out_render(w, put_server_default, col);
    }
    if (col->comment) {
        out_lit(w, ", comment=");
        outq(w, col->comment);
    }
    out_lit(w, ")");
}

static void out_name_list(walk *w, const cJSON *names)
{
    out_lit(w, "[");
    const cJSON *n;
    bool first = true;
    cJSON_ArrayForEach(n, names)
    {
        if (!cJSON_IsString(n))
            continue;
        if (!first)
            out_lit(w, ", ");
        outq(w, n->valuestring);
        first = false;
    }
    out_lit(w, "]");
}

/* ---- constraints of a table ------------------------------------------------ */

typedef enum { K_UNIQUE, K_INDEX, K_CHECK, K_FK } ckind;

/* One constraint or index, from a table-level list or from a column flag. */
typedef struct cons {
    ckind kind;
    const char *name;
    const cJSON *columns; /* array of names, or NULL for a single column */
    const char *column;   /* the single column */
    bool unique;          /* index */
    const char *expression;
    const fk_view *fk; /* the column's foreign key */
} cons;

#define MAX_CONS 1024

typedef struct cons_set {
    cons items[MAX_CONS];
    size_t n;
} cons_set;

/* Adds c (when named); false when the set is full. */
static bool cons_push(cons_set *s, cons c)
{
    if (!c.name)
        return true;
    if (s->n == MAX_CONS)
        return false;
    s->items[s->n++] = c;
    return true;
}

/*
 * Every constraint and index of a normalized table but the primary key.
 * Column flags follow SQLAlchemy: index=True makes ix_<table>_<col> (unique
 * when the column is unique too); unique alone makes uq_<table>_<col>.
 * BB_ELIMIT when a table has more than MAX_CONS of them.
 */
static int collect_cons(const table_view *table, cons_set *s)
{
    const cJSON *it;
    bool ok = true;
    s->n = 0;
    for (int i = 0; i < table->n_cols; i++) {
        const col_view *col = &table->cols[i];
        const char *cname = col->id.name;
        if (!cname)
            continue;
        /* Column-derived constraints have no name here: cons_name() makes
         * it from the table, which may differ on each side of a rename. */
        if (col->index)
            ok &= cons_push(s, (cons){K_INDEX, "", NULL, cname, col->unique, NULL, NULL});
        else if (col->unique)
            ok &= cons_push(s, (cons){K_UNIQUE, "", NULL, cname, false, NULL, NULL});
        if (col->fk.present && col->fk.name)
            ok &= cons_push(s, (cons){K_FK, col->fk.name, NULL, cname, false, NULL, &col->fk});
    }
    cJSON_ArrayForEach(it, table->uniques)
    {
        const cJSON *cols = cJSON_GetObjectItemCaseSensitive(it, "columns");
        ok &= cons_push(s, (cons){K_UNIQUE, jstr(it, "name"), cols, NULL, false, NULL, NULL});
    }
    cJSON_ArrayForEach(it, table->indexes)
    {
        const cJSON *cols = cJSON_GetObjectItemCaseSensitive(it, "columns");
        ok &= cons_push(
            s, (cons){K_INDEX, jstr(it, "name"), cols, NULL, jbool(it, "unique"), NULL, NULL});
    }
    cJSON_ArrayForEach(it, table->checks)
    {
        ok &= cons_push(
            s, (cons){K_CHECK, jstr(it, "name"), NULL, NULL, false, jstr(it, "expression"), NULL});
    }
    return ok ? BB_OK : BB_ELIMIT;
}

/* Appends s to buf at *len, cut to size - 1 bytes in all, as snprintf cuts. */
static void cat_cut(char *buf, size_t size, size_t *len, const char *s)
{
    if (!s)
        s = "(null)";
    while (*s && *len + 1 < size)
        buf[(*len)++] = *s++;
    buf[*len] = '\0';
}

/* The name of a constraint; column-derived ones ("ix_<table>_<column>",
 * "uq_...") are made here, cut to size - 1 bytes. */
static const char *cons_name(const cons *c, const char *table, char *buf, size_t size)
{
    if (c->name && *c->name)
        return c->name;
    size_t len = 0;
    cat_cut(buf, size, &len, c->kind == K_INDEX ? "ix_" : "uq_");
    cat_cut(buf, size, &len, table);
    cat_cut(buf, size, &len, "_");
    cat_cut(buf, size, &len, c->column);
    return buf;
}

/* A canonical description of what a constraint enforces, for comparing. */
#define CONS_DEF_MAX (TEXT_SMALL * 4)

static int cons_def(const cons *c, bb_buf *b)
{
    char head[] = {(char)('0' + c->kind), '|', c->unique ? '1' : '0', '|'};
    int rc = bb_buf_append(b, head, sizeof(head));
    if (!rc && c->column)
        rc = bb_buf_puts(b, c->column);
    const cJSON *n;
    cJSON_ArrayForEach(n, c->columns)
    {
        if (!rc && cJSON_IsString(n))
            rc = bb_buf_puts(b, n->valuestring);
        if (!rc && cJSON_IsString(n))
            rc = bb_buf_putc(b, ',');
    }
    if (!rc && c->expression)
        rc = bb_buf_puts(b, c->expression);
    if (!rc && c->fk)
        rc = bb_buf_puts(b, c->fk->table ? c->fk->table : "");
    if (!rc && c->fk)
        rc = bb_buf_putc(b, '.');
    if (!rc && c->fk)
        rc = bb_buf_puts(b, c->fk->column ? c->fk->column : "");
    if (!rc && c->fk)
        rc = bb_buf_putc(b, '|');
    if (!rc && c->fk)
        rc = bb_buf_puts(b, c->fk->on_delete ? c->fk->on_delete : "");
    return rc;
}

/* The constraint of set s with the same name and definition as c. */
static bool cons_in(walk *w, const cons *c, const char *c_table, const cons_set *s,
                    const char *s_table)
{
    char n1[512], n2[512];
    const char *name = cons_name(c, c_table, n1, sizeof(n1));
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(cons_name(&s->items[i], s_table, n2, sizeof(n2)), name) != 0)
            continue;
        bb_buf *a = &w->scratch[0], *b = &w->scratch[1];
        bb_buf_reset(a);
        bb_buf_reset(b);
        int r = cons_def(c, a);
        if (!r)
            r = cons_def(&s->items[i], b);
        if (!r && (a->len > CONS_DEF_MAX || b->len > CONS_DEF_MAX))
            r = BB_ELIMIT;
        if (r && !w->rc)
            w->rc = r;
        return strcmp(bb_buf_str(a), bb_buf_str(b)) == 0;
    }
    return false;
}

static void out_cons_columns(walk *w, const cons *c)
{
    if (c->columns)
        out_name_list(w, c->columns);
    else {
        out_lit(w, "[");
        outq(w, c->column);
        out_lit(w, "]");
    }
}

static const char *cons_type(ckind k)
{
    return k == K_UNIQUE ? "unique" : k == K_CHECK ? "check" : "foreignkey";
}

static const char *cons_what(ckind k)
{
    return k == K_INDEX ? "index " : "constraint ";
}

/*
 * Drops one constraint (inside the batch block) or index (before it: in a
 * SQLite batch that also renames a column, Alembic cannot rebuild an index
 * on the renamed column, so indexes are handled outside batches).
 */
static void out_drop_cons(walk *w, const cons *c, const char *from_table, const char *table)
{
    char buf[512];
    const char *name = cons_name(c, from_table, buf, sizeof(buf));
    if (c->kind == K_INDEX) {
        out_lit(w, "    op.drop_index(");
        outq(w, name);
        out_lit(w, ", table_name=");
        outq(w, table);
        out_lit(w, ")\n");
    } else {
        out_lit(w, "        batch_op.drop_constraint(");
        outq(w, name);
        out_lit(w, ", type_=\"");
        outs(w, cons_type(c->kind));
        out_lit(w, "\")\n");
    }
    op_done(w, "drop ", cons_what(c->kind), name);
}

static void out_fk_args(walk *w, const fk_view *fk, const char *column)
{
    outq(w, fk->table);
    out_lit(w, ", [");
    outq(w, column);
    out_lit(w, "], [");
    outq(w, fk->column);
    out_lit(w, "]");
    if (fk->on_delete) {
        out_lit(w, ", ondelete=");
        outq(w, fk->on_delete);
    }
}

/* op.create_index("name", "table", [...], unique=...) */
static void out_create_index(walk *w, const cons *c, const char *name, const char *table)
{
    out_lit(w, "    op.create_index(");
    outq(w, name);
    out_lit(w, ", ");
    outq(w, table);
    out_lit(w, ", ");
    out_cons_columns(w, c);
    out_lit(w, ", unique=");
    out_bool(w, c->unique);
    out_lit(w, ")\n");
}

/* Creates one constraint (inside the batch block) or index (after it). */
static void out_create_cons(walk *w, const cons *c, const char *table)
{
    char buf[512];
    const char *name = cons_name(c, table, buf, sizeof(buf));
    switch (c->kind) {
    case K_INDEX:
        out_create_index(w, c, name, table);
        break;
    case K_UNIQUE:
        out_lit(w, "        batch_op.create_unique_constraint(");
        outq(w, name);
        out_lit(w, ", ");
        out_cons_columns(w, c);
        out_lit(w, ")\n");
        break;
    case K_CHECK:
        out_lit(w, "        batch_op.create_check_constraint(");
        outq(w, name);
        out_lit(w, ", sa.text(");
        outq(w, c->expression);
        out_lit(w, "))\n");
        break;
    case K_FK:
        out_lit(w, "        batch_op.create_foreign_key(");
        outq(w, name);
        out_lit(w, ", ");
        out_fk_args(w, c->fk, c->column);
        out_lit(w, ")\n");
        break;
    }
    op_done(w, "create ", cons_what(c->kind), name);
}

/* ---- matching tables and columns across a rename ---------------------------- */

/*
 * The index in `from` of the item that becomes item ti of `to`: the one
 * with the same name, or the one it is renamed from; -1 when none. In the
 * upgrade the new item names its old name (renamed_from); in the downgrade
 * the roles swap, so the old item is found as the one whose renamed_from is
 * this name.
 */
static int counterpart(const walk *w, const named_list *from, const named_list *to, int ti,
                       bool *renamed)
{
    *renamed = false;
    const named *item = named_at(to, ti);
    const char *name = item->name;
    int f = find_named(from, name);
    if (f >= 0 || w->initial)
        return f;
    if (w->upgrade) {
        const char *old = item->renamed_from;
        if (old && find_named(to, old) < 0 && (f = find_named(from, old)) >= 0)
            *renamed = true;
        return f;
    }
    for (f = 0; f < from->n; f++) {
        const named *it = named_at(from, f);
        const char *rf = it->renamed_from;
        if (rf && name && strcmp(rf, name) == 0 && find_named(to, it->name) < 0) {
            *renamed = true;
            return f;
        }
    }
    return -1;
}

/*
 * The pairing of two lists (tables, or a table's columns), computed once:
 * for each item of `to`, its counterpart in `from` (or -1: it is new) and
 * whether it is a rename; for each item of `from`, whether anything maps
 * onto it (if not, it is dropped).
 */
typedef struct matching {
    int *from_of;  /* per item of `to` */
    bool *renamed; /* per item of `to` */
    bool *matched; /* per item of `from` */
    int n_to, n_from;
} matching;

static void matching_free(matching *m)
{
    bb_free(m->from_of);
    bb_free(m->renamed);
    bb_free(m->matched);
    memset(m, 0, sizeof(*m));
}

static int match_items(const walk *w, const named_list *from, const named_list *to, matching *m)
{
    memset(m, 0, sizeof(*m));
    m->n_to = to->n;
    m->n_from = from->n;
    m->from_of = bb_malloc(((size_t)m->n_to + 1) * sizeof(*m->from_of));
    m->renamed = bb_calloc((size_t)m->n_to + 1, sizeof(*m->renamed));
    m->matched = bb_calloc((size_t)m->n_from + 1, sizeof(*m->matched));
    if (!m->from_of || !m->renamed || !m->matched) {
        matching_free(m);
        return BB_ENOMEM;
    }
    for (int i = 0; i < m->n_to; i++) {
        int f = counterpart(w, from, to, i, &m->renamed[i]);
        m->from_of[i] = f;
        if (f >= 0)
            m->matched[f] = true;
    }
    return BB_OK;
}

/* An upgrade's renamed_from that names nothing recorded is a mistake. */
static void check_rename_source(walk *w, const named_list *from, const named *to_item,
                                const char *table, const char *what)
{
    const char *old = to_item->renamed_from;
    const char *name = to_item->name;
    if (!w->upgrade || w->initial || !old || find_named(from, name) >= 0 ||
        find_named(from, old) >= 0)
        return;
    report(w, BB_ERROR, "BB0824", table, strcmp(what, "table") == 0 ? NULL : name,
           "fix renamed_from, or remove it to create a new, empty one",
           "%s '%s' is renamed from '%s', which the recorded schema does not have", what, name,
           old);
}

/* ---- enum types (PostgreSQL) ----------------------------------------------- */

typedef struct enum_ref {
    const char *name;
    const col_view *col; /* a column using it, for its values */
} enum_ref;

#define MAX_ENUMS 1024

static size_t collect_enums(const schema_view *s, enum_ref *out)
{
    size_t n = 0;
    for (int t = 0; t < s->n_tables; t++) {
        const table_view *tv = &s->tables[t];
        for (int c = 0; c < tv->n_cols; c++) {
            const char *en = tv->cols[c].enum_name;
            if (!en)
                continue;
            bool seen = false;
            for (size_t i = 0; i < n && !seen; i++)
                seen = strcmp(out[i].name, en) == 0;
            if (!seen && n < MAX_ENUMS)
                out[n++] = (enum_ref){en, &tv->cols[c]};
        }
    }
    return n;
}

static const enum_ref *find_enum(const enum_ref *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].name, name) == 0)
            return &list[i];
    return NULL;
}

static bool has_value(const col_view *col, const char *v)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, col->values)
    {
        if (cJSON_IsString(x) && strcmp(x->valuestring, v) == 0)
            return true;
    }
    return false;
}

/* s between quote characters, the quote doubled inside (SQL quoting of an
 * identifier with '"', of a string with '\''). */
static int sql_quote(bb_buf *b, const char *s, char quote)
{
    int rc = bb_buf_putc(b, quote);
    for (const char *p = s; *p && !rc; p++) {
        if (*p == quote)
            rc = bb_buf_putc(b, quote);
        if (!rc)
            rc = bb_buf_putc(b, *p);
    }
    return rc ? rc : bb_buf_putc(b, quote);
}

static void walk_enums_before(walk *w, const enum_ref *from, size_t nf, const enum_ref *to,
                              size_t nt)
{
    for (size_t i = 0; i < nt; i++) {
        const enum_ref *old = find_enum(from, nf, to[i].name);
        const cJSON *v;
        if (!old) {
            out_lit(w, "    _create_enum(");
            outq(w, to[i].name);
            cJSON_ArrayForEach(v, to[i].col->values)
            {
                out_lit(w, ", ");
                outq(w, cJSON_IsString(v) ? v->valuestring : "");
            }
            out_lit(w, ")\n");
            op_done(w, "create enum type ", to[i].name);
            continue;
        }
        cJSON_ArrayForEach(v, to[i].col->values)
        {
            if (!cJSON_IsString(v) || has_value(old->col, v->valuestring))
                continue;
            out_lit(w, "    if _dialect() == \"postgresql\":\n        op.execute(");
            bb_buf sql;
            bb_buf_init(&sql, TEXT_SMALL * 4);
            int rc = bb_buf_puts(&sql, "ALTER TYPE ");
            if (!rc)
                rc = sql_quote(&sql, to[i].name, '"');
            if (!rc)
                rc = bb_buf_puts(&sql, " ADD VALUE IF NOT EXISTS ");
            if (!rc)
                rc = sql_quote(&sql, v->valuestring, '\'');
            if (rc && !w->rc)
                w->rc = rc;
            outq(w, bb_buf_str(&sql));
            bb_buf_free(&sql);
            out_lit(w, ")\n");
            op_done(w, "add value '", v->valuestring, "' to enum type ", to[i].name);
        }
        bool kept = false; /* the downgrade leaves values the upgrade added */
        cJSON_ArrayForEach(v, old->col->values)
        {
            if (!cJSON_IsString(v) || has_value(to[i].col, v->valuestring))
                continue;
            if (w->upgrade)
                report(w, BB_ERROR, "BB0823", NULL, NULL,
                       "keep the value in the schema (PostgreSQL cannot drop an enum value), or "
                       "migrate the rows and the type by hand",
                       "enum value '%s' of type %s is removed", v->valuestring, to[i].name);
            else
                kept = true;
        }
        if (kept) {
            /* A recorded name may have been edited: made safe for a comment. */
            bb_buf name;
            bb_buf_init(&name, TEXT_SMALL);
            int rc = bb_pylit_comment(&name, to[i].name);
            if (rc && !w->rc)
                w->rc = rc;
            out_lit(w, "    # PostgreSQL cannot drop enum values: ");
            outs(w, bb_buf_str(&name));
            out_lit(w, " keeps the new ones.\n");
            bb_buf_free(&name);
        }
    }
}

static void walk_enums_after(walk *w, const enum_ref *from, size_t nf, const enum_ref *to,
                             size_t nt)
{
    for (size_t i = 0; i < nf; i++) {
        if (find_enum(to, nt, from[i].name))
            continue;
        out_lit(w, "    _drop_enum(");
        outq(w, from[i].name);
        out_lit(w, ")\n");
        op_done(w, "drop enum type ", from[i].name);
    }
}

/* ---- tables ---------------------------------------------------------------- */

/* Each name of a list quoted and followed by ", ". */
static void out_names_each(walk *w, const cJSON *names)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        outq(w, cJSON_IsString(n) ? n->valuestring : "");
        out_lit(w, ", ");
    }
}

/* sa.ForeignKeyConstraint(["col"], ["table.column"], name=..., ondelete=...) */
static void out_table_fk(walk *w, const col_view *col)
{
    const fk_view *fk = &col->fk;
    /* A cyclic FK is added after the tables; SQLite cannot ALTER one in,
     * but does not need the target to exist, so it gets it here. */
    bool late = fk->use_alter;
    if (late)
        out_lit(w, "        *_sqlite_only(sa.ForeignKeyConstraint([");
    else
        out_lit(w, "        sa.ForeignKeyConstraint([");
    outq(w, col->id.name);
    out_lit(w, "], [");
    bb_buf *ref = &w->scratch[0];
    bb_buf_reset(ref);
    int rc = bb_buf_puts(ref, fk->table ? fk->table : "");
    if (!rc)
        rc = bb_buf_putc(ref, '.');
    if (!rc)
        rc = bb_buf_puts(ref, fk->column ? fk->column : "");
    if (!rc && ref->len > TEXT_SMALL)
        rc = BB_ELIMIT;
    if (rc && !w->rc)
        w->rc = rc;
    outq(w, bb_buf_str(ref));
    out_lit(w, "], name=");
    outq(w, fk->name);
    if (fk->on_delete) {
        out_lit(w, ", ondelete=");
        outq(w, fk->on_delete);
    }
    if (late)
        out_lit(w, ")),\n");
    else
        out_lit(w, "),\n");
}

static void out_create_table(walk *w, const table_view *t)
{
    const char *name = t->id.name;
    out_lit(w, "    op.create_table(\n        ");
    outq(w, name);
    out_lit(w, ",\n");
    for (int i = 0; i < t->n_cols; i++) {
        out_lit(w, "        ");
        out_column(w, &t->cols[i], false);
        out_lit(w, ",\n");
    }
    const cJSON *pk = t->primary_key;
    const cJSON *pk_cols = pk ? cJSON_GetObjectItemCaseSensitive(pk, "columns") : NULL;
    if (pk && cJSON_GetArraySize(pk_cols) > 0) {
        out_lit(w, "        sa.PrimaryKeyConstraint(");
        out_names_each(w, pk_cols);
        out_lit(w, "name=");
        outq(w, jstr(pk, "name"));
        out_lit(w, "),\n");
    }
    for (int i = 0; i < t->n_cols; i++)
        if (t->cols[i].fk.present)
            out_table_fk(w, &t->cols[i]);
    cons_set *set = bb_malloc(sizeof(*set));
    if (!set) {
        w->rc = BB_ENOMEM;
        return;
    }
    if (collect_cons(t, set) != BB_OK && !w->rc)
        w->rc = BB_ELIMIT;
    char buf[512];
    for (size_t i = 0; i < set->n; i++) {
        const cons *c = &set->items[i];
        if (c->kind == K_UNIQUE) {
            out_lit(w, "        sa.UniqueConstraint(");
            if (c->columns) {
                out_names_each(w, c->columns);
            } else {
                outq(w, c->column);
                out_lit(w, ", ");
            }
            out_lit(w, "name=");
            outq(w, cons_name(c, name, buf, sizeof(buf)));
            out_lit(w, "),\n");
        } else if (c->kind == K_CHECK) {
            out_lit(w, "        sa.CheckConstraint(");
            outq(w, c->expression);
            out_lit(w, ", name=");
            outq(w, c->name);
            out_lit(w, "),\n");
        }
    }
    if (t->comment) {
        out_lit(w, "        comment=");
        outq(w, t->comment);
        out_lit(w, ",\n");
    }
    out_lit(w, "    )\n");
    op_done(w, "create table ", name);
    for (size_t i = 0; i < set->n; i++) {
        const cons *c = &set->items[i];
        if (c->kind == K_INDEX)
            out_create_index(w, c, cons_name(c, name, buf, sizeof(buf)), name);
    }
    bb_free(set);
}

/*
 * The cyclic (use_alter) FKs of a table: added once every new table exists,
 * or dropped before the tables are, since they would block the drop.
 * SQLite has them inside CREATE TABLE and needs neither.
 */
static void out_late_fks(walk *w, const table_view *t, bool create)
{
    for (int i = 0; i < t->n_cols; i++) {
        const col_view *col = &t->cols[i];
        if (!col->fk.present || !col->fk.use_alter)
            continue;
        out_lit(w, "    if _dialect() != \"sqlite\":\n        op.");
        if (create)
            out_lit(w, "create_foreign_key(");
        else
            out_lit(w, "drop_constraint(");
        outq(w, col->fk.name);
        out_lit(w, ", ");
        outq(w, t->id.name);
        if (create) {
            out_lit(w, ", ");
            out_fk_args(w, &col->fk, col->id.name);
            out_lit(w, ")\n");
        } else {
            out_lit(w, ", type_=\"foreignkey\")\n");
        }
    }
}

/* ---- one changed table ------------------------------------------------------ */

static int int_or(const cJSON *v, int absent)
{
    return cJSON_IsNumber(v) ? v->valueint : absent;
}

static int integer_width(type_kind k)
{
    return k >= TY_SMALLINT ? (int)(k - TY_SMALLINT) + 1 : 0;
}

/* True when every value of the old type fits the new one unchanged (a
 * longer String, a wider integer, more digits): no warning is needed. */
static bool widens(const col_view *from, const col_view *to)
{
    const char *a = from->type, *b = to->type;
    int wa = integer_width(from->kind), wb = integer_width(to->kind);
    if (wa && wb)
        return wb >= wa;
    if (!same_str(a, b))
        return false;
    if (from->kind == TY_STRING) {
        int la = int_or(from->length, 0), lb = int_or(to->length, 0);
        return lb == 0 || (la > 0 && lb >= la);
    }
    if (from->kind == TY_NUMERIC) {
        int pa = int_or(from->precision, -1), pb = int_or(to->precision, -1);
        int sa = int_or(from->scale, -1), sb = int_or(to->scale, -1);
        return (pb == -1 || (pa != -1 && pb - sb >= pa - sa)) && sb >= sa;
    }
    return false;
}

/* Column changes: type, nullability, server default. */
static void walk_alter_column(walk *w, bb_buf *pre, const char *table, const col_view *fc,
                              const col_view *tc)
{
    const char *name = tc->id.name;
    if (fc->primary_key != tc->primary_key) {
        if (w->upgrade)
            report(w, BB_ERROR, "BB0822", table, name,
                   "primary keys cannot change in place: create a new table and copy the rows",
                   "column %s.%s changes its primary key membership, which backbone does not "
                   "migrate",
                   table, name);
        return;
    }
    bool type_same = rendered_equal(w, put_type, fc, tc);
    bool null_same = fc->nullable == tc->nullable;
    bool dflt_same = rendered_equal(w, put_server_default, fc, tc);
    if (type_same && null_same && dflt_same)
        return;
    bool enum_only = !type_same && fc->kind == TY_ENUM && tc->kind == TY_ENUM &&
                     same_str(fc->enum_name, tc->enum_name);
    bool becomes_not_null = !null_same && !tc->nullable;
    if (becomes_not_null && has_default(tc)) {
        /* Rows holding NULL get the default first, or the ALTER fails. */
        bb_buf *keep = w->out;
        w->out = pre;
        out_lit(w, "    _fill_nulls(");
        outq(w, table);
        out_lit(w, ", ");
        outq(w, name);
        out_lit(w, ", ");
        out_render(w, put_fill_value, tc);
        out_lit(w, ")\n");
        w->out = keep;
    } else if (becomes_not_null && w->upgrade) {
        report(w, BB_WARNING, "BB0825", table, name,
               "give the column a default, or fill its NULLs before upgrading",
               "column %s.%s becomes NOT NULL without a default: the upgrade fails if a row holds "
               "NULL there",
               table, name);
    }
    if (!type_same && !enum_only && !widens(fc, tc) && w->upgrade)
        report(w, BB_WARNING, "BB0826", table, name,
               "check that every stored value converts to the new type",
               "column %s.%s changes type: the database converts the stored values", table, name);
    if (enum_only && null_same && dflt_same) {
        /* On PostgreSQL the enum type itself gained the values. */
        out_lit(w, "        if _dialect() != \"postgresql\":\n            ");
    } else {
        out_lit(w, "        ");
    }
    out_lit(w, "batch_op.alter_column(");
    outq(w, name);
    out_lit(w, ", existing_type=");
    out_render(w, put_type, fc);
    if (!type_same) {
        out_lit(w, ", type_=");
        out_render(w, put_type, tc);
    }
    if (null_same)
        out_lit(w, ", existing_nullable=");
    else
        out_lit(w, ", nullable=");
    out_bool(w, tc->nullable);
    if (!dflt_same) {
        out_lit(w, ", server_default=");
        if (has_default(tc))
            out_render(w, put_server_default, tc);
        else
            out_lit(w, "None");
    } else if (has_default(tc)) {
        out_lit(w, ", existing_server_default=");
        out_render(w, put_server_default, tc);
    }
    out_lit(w, ")\n");
    op_done(w, "alter column ", table, ".", name);
}

/*
 * Drops a column (inside a batch block) or, column NULL, a table. In the
 * upgrade, without allow_destructive, the drop is refused (BB0820): the
 * data would be lost.
 */
static void out_drop(walk *w, const char *table, const char *column)
{
    const char *what = column ? "column" : "table";
    if (w->upgrade && !w->allow_destructive)
        report(w, BB_ERROR, "BB0820", column ? table : NULL, NULL,
               column ? "pass --allow-destructive to drop it, or keep the column (use "
                        "renamed_from to rename it)"
                      : "pass --allow-destructive to drop it, or keep the table (use "
                        "renamed_from to rename it)",
               "%s %s%s%s would be dropped with its data", what, table, column ? "." : "",
               column ? column : "");
    if (column)
        out_lit(w, "        batch_op.drop_column(");
    else
        out_lit(w, "    op.drop_table(");
    outq(w, column ? column : table);
    out_lit(w, ")\n");
    if (column)
        op_done(w, "drop column ", table, ".", column);
    else
        op_done(w, "drop table ", table);
}

/* One `with op.batch_alter_table(table)` block of a and b; none if empty. */
static void out_batch(walk *w, const char *table, const bb_buf *a, const bb_buf *b)
{
    if ((!a || !a->len) && !b->len)
        return;
    out_lit(w, "    with op.batch_alter_table(");
    outq(w, table);
    out_lit(w, ") as batch_op:\n");
    if (!w->rc && a && a->len)
        w->rc = bb_buf_append(w->out, a->data, a->len);
    if (!w->rc && b->len)
        w->rc = bb_buf_append(w->out, b->data, b->len);
}

/* The pieces of one table's changes: constraint drops (head), column
 * renames (ren) and the rest (body) of its batch block; what runs before
 * (pre) and after (post) it. */
typedef struct table_parts {
    bb_buf head, ren, body, pre, post;
} table_parts;

static void parts_init(table_parts *p)
{
    bb_buf *all[] = {&p->head, &p->ren, &p->body, &p->pre, &p->post};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        bb_buf_init(all[i], BB_MIGRATE_MAX_OUTPUT);
}

static void parts_free(table_parts *p)
{
    bb_buf *all[] = {&p->head, &p->ren, &p->body, &p->pre, &p->post};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        bb_buf_free(all[i]);
}

/* Constraints of the old table the new one lacks: indexes dropped before
 * the batch, the others at its head. */
static void drop_old_constraints(walk *w, table_parts *p, const cons_set *fs,
                                 const char *from_table, const cons_set *ts, const char *table)
{
    for (size_t k = 0; k < fs->n; k++) {
        if (cons_in(w, &fs->items[k], from_table, ts, table))
            continue;
        w->out = fs->items[k].kind == K_INDEX ? &p->pre : &p->head;
        out_drop_cons(w, &fs->items[k], from_table, table);
    }
}

static void rename_columns(walk *w, table_parts *p, const table_view *ft, const table_view *tt,
                           const named_list *fcols, const matching *m)
{
    const char *table = tt->id.name;
    w->out = &p->ren;
    for (int i = 0; i < tt->n_cols; i++) {
        const col_view *tc = &tt->cols[i];
        check_rename_source(w, fcols, &tc->id, table, "column");
        if (m->from_of[i] < 0 || !m->renamed[i])
            continue;
        const col_view *fc = &ft->cols[m->from_of[i]];
        out_lit(w, "        batch_op.alter_column(");
        outq(w, fc->id.name);
        out_lit(w, ", new_column_name=");
        outq(w, tc->id.name);
        out_lit(w, ", existing_type=");
        out_render(w, put_type, fc);
        out_lit(w, ")\n");
        op_done(w, "rename column ", table, ".", fc->id.name, " to ", tc->id.name);
    }
}

/* Columns only the new table has. A NOT NULL one needs a default for the
 * rows already there (BB0821); the downgrade brings it back nullable. */
static void add_new_columns(walk *w, table_parts *p, const table_view *tt, const matching *m)
{
    const char *table = tt->id.name;
    w->out = &p->body;
    for (int i = 0; i < tt->n_cols; i++) {
        const col_view *tc = &tt->cols[i];
        if (m->from_of[i] >= 0)
            continue;
        bool soften = false;
        if (!tc->nullable && !has_default(tc)) {
            if (w->upgrade)
                report(w, BB_ERROR, "BB0821", table, tc->id.name,
                       "give the column a \"default\" or \"server_default\", or make it nullable",
                       "column %s.%s is added NOT NULL without a default: existing rows would "
                       "have no value",
                       table, tc->id.name);
            else
                soften = true;
        }
        out_lit(w, "        batch_op.add_column(");
        out_column(w, tc, soften);
        out_lit(w, ")\n");
        op_done(w, "add column ", table, ".", tc->id.name);
    }
}

/* Constraints the new table adds: indexes after the batch, the others in
 * its body. */
static void create_new_constraints(walk *w, table_parts *p, const cons_set *ts, const char *table,
                                   const cons_set *fs, const char *from_table)
{
    for (size_t k = 0; k < ts->n; k++) {
        if (cons_in(w, &ts->items[k], table, fs, from_table))
            continue;
        w->out = ts->items[k].kind == K_INDEX ? &p->post : &p->body;
        out_create_cons(w, &ts->items[k], table);
    }
}

/* The parts in their order into out. SQLite's table copy cannot alter or
 * constrain a column renamed in the same batch: renames get a batch of
 * their own. */
static void emit_parts(walk *w, bb_buf *out, const char *table, table_parts *p)
{
    w->out = out;
    if (!w->rc && p->pre.len)
        w->rc = bb_buf_append(w->out, p->pre.data, p->pre.len);
    if (p->ren.len) {
        out_batch(w, table, &p->head, &p->ren);
        out_batch(w, table, NULL, &p->body);
    } else {
        out_batch(w, table, &p->head, &p->body);
    }
    if (!w->rc && p->post.len)
        w->rc = bb_buf_append(w->out, p->post.data, p->post.len);
}

static void walk_table_changes(walk *w, const table_view *ft, const table_view *tt)
{
    const char *table = tt->id.name;
    const char *from_table = ft->id.name;
    named_list fcols = columns_of(ft), tcols = columns_of(tt);
    cons_set *fs = bb_malloc(sizeof(*fs)), *ts = bb_malloc(sizeof(*ts));
    matching m;
    if (!fs || !ts || match_items(w, &fcols, &tcols, &m) != BB_OK) {
        bb_free(fs);
        bb_free(ts);
        w->rc = BB_ENOMEM;
        return;
    }
    if ((collect_cons(ft, fs) != BB_OK || collect_cons(tt, ts) != BB_OK) && !w->rc)
        w->rc = BB_ELIMIT;
    table_parts p;
    parts_init(&p);
    bb_buf *out = w->out;
    drop_old_constraints(w, &p, fs, from_table, ts, table);
    rename_columns(w, &p, ft, tt, &fcols, &m);
    add_new_columns(w, &p, tt, &m);
    w->out = &p.body; /* walk_alter_column puts what must precede the batch in pre */
    for (int i = 0; i < tt->n_cols; i++)
        if (m.from_of[i] >= 0)
            walk_alter_column(w, &p.pre, table, &ft->cols[m.from_of[i]], &tt->cols[i]);
    create_new_constraints(w, &p, ts, table, fs, from_table);
    w->out = &p.body;
    for (int k = m.n_from - 1; k >= 0; k--)
        if (!m.matched[k])
            out_drop(w, table, ft->cols[k].id.name);
    emit_parts(w, out, table, &p);
    parts_free(&p);
    matching_free(&m);
    bb_free(fs);
    bb_free(ts);
}

/* ---- the whole walk ---------------------------------------------------------- */

static void walk_schemas(walk *w, const schema_view *from, const schema_view *to)
{
    named_list ft = tables_of(from), tt = tables_of(to);
    enum_ref *fe = bb_malloc(MAX_ENUMS * sizeof(*fe)), *te = bb_malloc(MAX_ENUMS * sizeof(*te));
    matching m;
    if (!fe || !te || match_items(w, &ft, &tt, &m) != BB_OK) {
        bb_free(fe);
        bb_free(te);
        w->rc = BB_ENOMEM;
        return;
    }
    size_t nfe = collect_enums(from, fe), nte = collect_enums(to, te);
    walk_enums_before(w, fe, nfe, te, nte);

    for (int i = 0; i < to->n_tables; i++) {
        const table_view *t = &to->tables[i];
        check_rename_source(w, &ft, &t->id, t->id.name, "table");
        if (m.from_of[i] < 0 || !m.renamed[i])
            continue;
        const table_view *f = &from->tables[m.from_of[i]];
        out_lit(w, "    op.rename_table(");
        outq(w, f->id.name);
        out_lit(w, ", ");
        outq(w, t->id.name);
        out_lit(w, ")\n");
        op_done(w, "rename table ", f->id.name, " to ", t->id.name);
    }
    for (int i = 0; i < to->n_tables; i++)
        if (m.from_of[i] < 0)
            out_create_table(w, &to->tables[i]);
    for (int i = 0; i < to->n_tables; i++)
        if (m.from_of[i] < 0)
            out_late_fks(w, &to->tables[i], true);
    for (int i = 0; i < to->n_tables; i++)
        if (m.from_of[i] >= 0)
            walk_table_changes(w, &from->tables[m.from_of[i]], &to->tables[i]);
    for (int k = 0; k < m.n_from; k++)
        if (!m.matched[k])
            out_late_fks(w, &from->tables[k], false);
    for (int k = m.n_from - 1; k >= 0; k--) {
        if (!m.matched[k])
            out_drop(w, from->tables[k].id.name, NULL);
    }
    walk_enums_after(w, fe, nfe, te, nte);
    matching_free(&m);
    bb_free(fe);
    bb_free(te);
}

/* ---- the revision file -------------------------------------------------------- */

static const char file_helpers[] =
    "\n\ndef _dialect():\n"
    "    return op.get_bind().dialect.name\n"
    "\n\n"
    "def _enum(name, *values):\n"
    "    # A named type on PostgreSQL, created and dropped by the revisions\n"
    "    # themselves; a VARCHAR elsewhere.\n"
    "    return sa.Enum(*values, name=name).with_variant(\n"
    "        postgresql.ENUM(*values, name=name, create_type=False), \"postgresql\"\n"
    "    )\n"
    "\n\n"
    "def _create_enum(name, *values):\n"
    "    if _dialect() == \"postgresql\":\n"
    "        postgresql.ENUM(*values, name=name).create(op.get_bind(), checkfirst=True)\n"
    "\n\n"
    "def _drop_enum(name):\n"
    "    if _dialect() == \"postgresql\":\n"
    "        postgresql.ENUM(name=name).drop(op.get_bind(), checkfirst=True)\n"
    "\n\n"
    "def _sqlite_only(*constraints):\n"
    "    return list(constraints) if _dialect() == \"sqlite\" else []\n"
    "\n\n"
    "def _fill_nulls(table, column, value):\n"
    "    # Before a column becomes NOT NULL: its NULLs take the default.\n"
    "    t = sa.table(table, sa.column(column))\n"
    "    op.execute(t.update().where(t.c[column].is_(None)).values({column: value}))\n";

/*
 * The file name part of a message: "add column posts.views and 2 more
 * changes" -> "add_column_posts_views". Only the first change is used, cut
 * at a word boundary to at most SLUG_MAX characters.
 */
#define SLUG_MAX 40

static void slugify(const char *s, char *out, size_t size)
{
    size_t n = 0, last_word_end = 0;
    bool sep = false, cut = false;
    const char *end = strstr(s, " and ");
    if (!end)
        end = s + strlen(s);
    for (; s < end && *s != '\n' && !cut; s++) {
        char c = *s;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
        if (!alnum) {
            sep = true;
            continue;
        }
        if (sep && n > 0) {
            last_word_end = n;
            if (n + 1 >= size || n + 1 > SLUG_MAX)
                cut = true;
            else
                out[n++] = '_';
        }
        if (!cut && (n + 1 >= size || n + 1 > SLUG_MAX)) {
            cut = true;
            n = last_word_end ? last_word_end : n;
        } else if (!cut) {
            out[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        sep = false;
    }
    while (n > 0 && out[n - 1] == '_')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, size, "revision");
}

static int revision_id(const char *parent, const cJSON *new_norm, char id[BB_REVISION_ID_LEN + 1])
{
    bb_buf b;
    bb_buf_init(&b, BB_MIGRATE_MAX_OUTPUT * 2);
    int rc = bb_buf_puts(&b, parent ? parent : "");
    if (!rc)
        rc = bb_normalize_append(&b, new_norm);
    char hex[BB_SHA256_HEX_LEN + 1];
    if (!rc)
        rc = bb_sha256_hex(bb_buf_str(&b), b.len, hex);
    if (!rc) {
        memcpy(id, hex, BB_REVISION_ID_LEN);
        id[BB_REVISION_ID_LEN] = '\0';
    }
    bb_buf_free(&b);
    return rc;
}

/* The message: the given one, or the first change and how many follow. */
/* How telling a change is as a revision's title: lower is better. */
static int title_rank(const char *line)
{
    static const char *const order[] = {
        "rename table",      "create table",  "drop table",      "add column",
        "drop column",       "rename column", "alter column",    "create index",
        "create constraint", "drop index",    "drop constraint", "add value",
    };
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (strncmp(line, order[i], strlen(order[i])) == 0)
            return (int)i;
    return (int)(sizeof(order) / sizeof(order[0]));
}

/*
 * The message: the given one, or the most telling change (a table's before
 * a column's before a constraint's) and how many others come with it.
 */
static char *make_message(const bb_migrate_opts *o, const char *summary, size_t n_ops, bool initial)
{
    if (o && o->message)
        return bb_strdup(o->message);
    if (initial)
        return bb_strdup("initial");
    const char *best = summary;
    for (const char *line = summary; *line;) {
        if (title_rank(line) < title_rank(best))
            best = line;
        const char *next = strchr(line, '\n');
        if (!next)
            break;
        line = next + 1;
    }
    const char *nl = strchr(best, '\n');
    size_t len = nl ? (size_t)(nl - best) : strlen(best);
    bb_buf b;
    bb_buf_init(&b, TEXT_SMALL);
    int rc = bb_buf_append(&b, best, len);
    if (!rc && n_ops > 1)
        rc = bb_buf_printf(&b, " and %zu more change%s", n_ops - 1, n_ops > 2 ? "s" : "");
    char *s = rc ? NULL : bb_buf_take(&b, NULL);
    bb_buf_free(&b);
    return s;
}

/*
 * Appends a function body, each line longer than Black's limit wrapped the
 * way Black does (bb_pylit_wrap), so the revision passes `black --check`.
 * Bodies hold one logical line per physical line (an item of a call spread
 * over lines ends with its comma).
 */
static int append_black(bb_buf *f, const bb_buf *body)
{
    int rc = BB_OK;
    bb_buf line;
    bb_buf_init(&line, BB_MIGRATE_MAX_OUTPUT);
    for (const char *p = bb_buf_str(body); *p && !rc;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n <= BB_PY_LINE) {
            rc = bb_buf_append(f, p, n);
            if (!rc)
                rc = bb_buf_putc(f, '\n');
        } else {
            size_t indent = 0;
            while (indent < n && p[indent] == ' ')
                indent++;
            /* An item's trailing comma counts in the line's length, so it
             * goes to the wrapper with the item. */
            bb_buf_reset(&line);
            rc = bb_buf_append(&line, p + indent, n - indent);
            if (!rc)
                rc = bb_pylit_wrap(f, (int)indent, bb_buf_str(&line), false);
        }
        p += n + (nl ? 1 : 0);
    }
    bb_buf_free(&line);
    return rc;
}

/* The longest message a revision takes, escaped. */
#define MESSAGE_MAX (TEXT_SMALL * 4)

/* n bytes of s for the docstring: quotes and backslashes are escaped, so
 * the docstring cannot end early. */
static int put_doc_text(bb_buf *f, const char *s, size_t n)
{
    int rc = BB_OK;
    size_t run = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (s[i] != '"' && s[i] != '\\')
            continue;
        rc = bb_buf_append(f, s + run, i - run);
        if (!rc)
            rc = bb_buf_putc(f, '\\');
        run = i; /* the character itself starts the next run */
    }
    return rc ? rc : bb_buf_append(f, s + run, n - run);
}

/* Appends the parts one after the other. */
static int put_parts(bb_buf *f, const char *const *parts, size_t n)
{
    int rc = BB_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = bb_buf_puts(f, parts[i]);
    return rc;
}

#define puts_all(f, ...)                                                                           \
    put_parts((f), (const char *const[]){__VA_ARGS__},                                             \
              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static int write_file(bb_buf *f, const bb_revision *r, const char *summary, const bb_buf *up,
                      const bb_buf *down)
{
    /* The file holds both bodies at least: grown once, not line by line. */
    int rc = bb_buf_reserve(f, up->len + down->len);
    size_t n_msg = strlen(r->message), n_escaped = n_msg;
    for (size_t i = 0; i < n_msg; i++)
        n_escaped += r->message[i] == '"' || r->message[i] == '\\';
    if (!rc && n_escaped > MESSAGE_MAX)
        rc = BB_ELIMIT;
    if (!rc)
        rc = bb_buf_puts(f, "\"\"\"");
    if (!rc)
        rc = put_doc_text(f, r->message, n_msg);
    const char *down_id = r->down_revision ? r->down_revision : "";
    if (!rc)
        rc = puts_all(f, "\n\nRevision ID: ", r->id, "\nRevises:", r->down_revision ? " " : "",
                      down_id,
                      "\nGenerated by backbone " BB_VERSION " from the schema change. backbone "
                      "keeps\nthis file as it is on later runs; it only adds new revisions.\n");
    if (!rc && *summary) {
        rc = bb_buf_puts(f, "\nChanges:\n");
        for (const char *p = summary; *p && !rc;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            rc = bb_buf_puts(f, "  - ");
            if (!rc)
                rc = put_doc_text(f, p, n);
            if (!rc)
                rc = bb_buf_putc(f, '\n');
            p += n + (nl ? 1 : 0);
        }
    }
    if (!rc)
        rc = puts_all(f,
                      "\"\"\"\nimport sqlalchemy as sa\n"
                      "from sqlalchemy.dialects import postgresql\n\n"
                      "from alembic import op\n\n"
                      "# revision identifiers, used by Alembic.\nrevision = \"",
                      r->id, "\"\n");
    if (!rc)
        rc = r->down_revision ? puts_all(f, "down_revision = \"", r->down_revision, "\"\n")
                              : bb_buf_puts(f, "down_revision = None\n");
    if (!rc)
        rc = bb_buf_puts(f, "branch_labels = None\ndepends_on = None\n");
    if (!rc)
        rc = bb_buf_puts(f, file_helpers);
    if (!rc)
        rc = bb_buf_puts(f, "\n\ndef upgrade():\n");
    if (!rc)
        rc = up->len ? append_black(f, up) : bb_buf_puts(f, "    pass\n");
    if (!rc)
        rc = bb_buf_puts(f, "\n\ndef downgrade():\n");
    if (!rc)
        rc = down->len ? append_black(f, down) : bb_buf_puts(f, "    pass\n");
    return rc;
}

static bool valid_revision_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

int bb_migrate_revision(const cJSON *old_norm, const cJSON *new_norm, const bb_schema *locate_in,
                        const bb_migrate_opts *opts, bb_diags *diags, bb_revision *out)
{
    memset(out, 0, sizeof(*out));
    bool initial = old_norm == NULL ||
                   cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(old_norm, "tables")) == 0;
    /* No recorded schema: the walk starts from no tables at all. */
    const cJSON *from = old_norm;
    if (!bb_normalize_is_normalized(new_norm) || (from && !bb_normalize_is_normalized(from)))
        return BB_EUSAGE;
    const char *parent = opts ? opts->down_revision : NULL;
    if (parent && !valid_revision_id(parent)) {
        (void)bb_diag_add(diags, BB_ERROR, "BB0827", NULL, BB_NO_OFFSET,
                          "revision ids are letters, digits, '_' and '-'",
                          "'%s' is not a usable revision id", parent);
        return BB_EINVAL;
    }
    bb_buf up, down, summary, file;
    bb_buf_init(&up, BB_MIGRATE_MAX_OUTPUT);
    bb_buf_init(&down, BB_MIGRATE_MAX_OUTPUT);
    bb_buf_init(&summary, SUMMARY_MAX);
    bb_buf_init(&file, BB_MIGRATE_MAX_OUTPUT);
    walk wu, wd;
    walk_init(&wu, &up, diags, true, initial);
    wu.locate = locate_in;
    wu.allow_destructive = opts && opts->allow_destructive;
    wu.summary = &summary;
    walk_init(&wd, &down, diags, false, initial);
    wd.allow_destructive = true;
    /* Both walks read the two schemas: each is viewed once. */
    schema_view old_v, new_v;
    int rc = view_schema(from, &old_v);
    if (!rc) {
        rc = view_schema(new_norm, &new_v);
        if (rc)
            schema_view_free(&old_v);
    }
    if (!rc) {
        walk_schemas(&wu, &old_v, &new_v);
        rc = wu.rc;
        if (!rc && wu.n_refused)
            rc = BB_EINVAL;
        if (!rc) {
            walk_schemas(&wd, &new_v, &old_v);
            rc = wd.rc;
        }
        schema_view_free(&old_v);
        schema_view_free(&new_v);
    }
    walk_free(&wu);
    walk_free(&wd);
    if (!rc)
        out->n_ops = wu.n_ops;
    /* No file, no id: hashing the whole schema is most of an unchanged run. */
    if (!rc && wu.n_ops > 0)
        rc = revision_id(parent, new_norm, out->id);
    if (!rc && wu.n_ops > 0) {
        out->down_revision = parent ? bb_strdup(parent) : NULL;
        out->message = make_message(opts, bb_buf_str(&summary), wu.n_ops, initial);
        char slug[64];
        slugify(out->message ? out->message : "", slug, sizeof(slug));
        bb_buf p;
        bb_buf_init(&p, 512);
        rc = (parent && !out->down_revision) || !out->message ? BB_ENOMEM : BB_OK;
        if (!rc)
            rc = puts_all(&p, BB_ALEMBIC_VERSIONS_DIR "/", out->id, "_", slug, ".py");
        if (!rc)
            out->path = bb_buf_take(&p, NULL);
        bb_buf_free(&p);
        if (!rc && !out->path)
            rc = BB_ENOMEM;
        if (!rc)
            rc = write_file(&file, out, bb_buf_str(&summary), &up, &down);
        if (!rc) {
            out->len = file.len;
            out->text = bb_buf_take(&file, NULL);
            if (!out->text)
                rc = BB_ENOMEM;
        }
    }
    bb_buf_free(&up);
    bb_buf_free(&down);
    bb_buf_free(&summary);
    bb_buf_free(&file);
    if (rc)
        bb_revision_free(out);
    return rc;
}

void bb_revision_free(bb_revision *r)
{
    if (!r)
        return;
    bb_free(r->down_revision);
    bb_free(r->message);
    bb_free(r->path);
    bb_free(r->text);
    memset(r, 0, sizeof(*r));
}

/* ---- the hook of `backbone generate` ---------------------------------------- */

void bb_migrate_result_free(bb_migrate_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_files; i++) {
        bb_free(r->files[i].path);
        bb_free(r->files[i].data);
    }
    bb_free(r->files);
    cJSON_Delete(r->schema);
    cJSON_Delete(r->revisions);
    memset(r, 0, sizeof(*r));
}

/* A recorded revision path must stay inside alembic/versions/. */
static bool safe_revision_path(const char *p)
{
    size_t prefix = strlen(BB_ALEMBIC_VERSIONS_DIR "/");
    return p && strncmp(p, BB_ALEMBIC_VERSIONS_DIR "/", prefix) == 0 && !strstr(p, "..") &&
           !strchr(p + prefix, '/') && strlen(p) > prefix + 3 &&
           strcmp(p + strlen(p) - 3, ".py") == 0;
}

static int push_file(bb_migrate_result *r, char *path, char *data, size_t len)
{
    bb_file *files = bb_realloc(r->files, (r->n_files + 1) * sizeof(*files));
    if (!files) {
        bb_free(path);
        bb_free(data);
        return BB_ENOMEM;
    }
    r->files = files;
    r->files[r->n_files++] = (bb_file){.path = path, .data = data, .len = len};
    return BB_OK;
}

/* Reads out_dir/path (a recorded revision) into the result, as it is now. */
static int carry_revision(bb_migrate_result *r, const char *out_dir, const char *path,
                          bb_diags *diags)
{
    bb_buf full;
    bb_buf_init(&full, 4096);
    int rc = bb_buf_printf(&full, "%s/%s", out_dir, path);
    char *data = NULL;
    size_t len = 0;
    if (!rc) {
        rc = bb_file_read(bb_buf_str(&full), BB_MIGRATE_MAX_OUTPUT, &data, &len);
        if (rc == BB_EIO) {
            (void)bb_diag_add(diags, BB_ERROR, "BB0828", NULL, BB_NO_OFFSET,
                              "restore it (from version control), or remove the whole project's "
                              "migrations and the manifest's \"revisions\" to start over",
                              "recorded revision %s cannot be read: %s", bb_buf_str(&full),
                              strerror(errno));
            rc = BB_EINVAL;
        }
    }
    bb_buf_free(&full);
    if (rc)
        return rc;
    char *p = bb_strdup(path);
    if (!p) {
        bb_free(data);
        return BB_ENOMEM;
    }
    return push_file(r, p, data, len);
}

static int recorded_error(bb_diags *diags, const char *what)
{
    (void)bb_diag_add(diags, BB_ERROR, "BB0829", NULL, BB_NO_OFFSET,
                      "restore " BB_MANIFEST_PATH " from version control",
                      "the manifest's migration record is unreadable: %s", what);
    return BB_EINVAL;
}

/*
 * Checks the manifest's record and carries every recorded revision over.
 * *old is the recorded schema (borrowed) or NULL; *head the last id or NULL.
 */
static int read_record(const cJSON *manifest, const char *out_dir, bb_diags *diags,
                       bb_migrate_result *r, const cJSON **old, const char **head)
{
    *old = NULL;
    *head = NULL;
    const cJSON *schema = manifest ? cJSON_GetObjectItemCaseSensitive(manifest, "schema") : NULL;
    const cJSON *revs = manifest ? cJSON_GetObjectItemCaseSensitive(manifest, "revisions") : NULL;
    r->revisions = cJSON_CreateArray();
    if (!r->revisions)
        return BB_ENOMEM;
    if (!revs || cJSON_GetArraySize(revs) == 0)
        return BB_OK; /* never migrated: the next revision is the initial one */
    if (!cJSON_IsArray(revs))
        return recorded_error(diags, "\"revisions\" is not an array");
    if (!bb_normalize_is_normalized(schema))
        return recorded_error(diags, "\"schema\" is not a normalized schema");
    const cJSON *rev;
    const char *prev = NULL;
    cJSON_ArrayForEach(rev, revs)
    {
        const char *id = jstr(rev, "id"), *path = jstr(rev, "path");
        const char *down = jstr(rev, "down_revision");
        if (!id || !valid_revision_id(id) || !safe_revision_path(path))
            return recorded_error(diags, "a revision has no valid \"id\" or \"path\"");
        if (!same_str(down, prev))
            return recorded_error(diags, "the revisions do not form one chain");
        int rc = carry_revision(r, out_dir, path, diags);
        if (rc)
            return rc;
        cJSON *copy = cJSON_Duplicate(rev, 1);
        if (!copy || !cJSON_AddItemToArray(r->revisions, copy)) {
            cJSON_Delete(copy);
            return BB_ENOMEM;
        }
        prev = id;
    }
    *old = schema;
    *head = prev;
    return BB_OK;
}

static int record_revision(bb_migrate_result *r, const bb_revision *rev)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(r->revisions, o)) {
        cJSON_Delete(o);
        return BB_ENOMEM;
    }
    if (!cJSON_AddStringToObject(o, "id", rev->id) ||
        !(rev->down_revision ? cJSON_AddStringToObject(o, "down_revision", rev->down_revision)
                             : cJSON_AddNullToObject(o, "down_revision")) ||
        !cJSON_AddStringToObject(o, "path", rev->path) ||
        !cJSON_AddStringToObject(o, "message", rev->message))
        return BB_ENOMEM;
    return BB_OK;
}

int bb_migrate_generate(const bb_schema *s, const char *out_dir, const cJSON *manifest_root,
                        const bb_migrate_opts *opts, bb_diags *diags, bb_migrate_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!s || (!out_dir && manifest_root))
        return BB_EUSAGE;
    const cJSON *old;
    const char *head;
    int rc = read_record(manifest_root, out_dir, diags, out, &old, &head);
    if (!rc)
        rc = bb_normalize(s, &out->schema);
    bb_revision rev;
    memset(&rev, 0, sizeof(rev));
    if (!rc) {
        bb_migrate_opts o = opts ? *opts : (bb_migrate_opts){0};
        o.down_revision = head;
        rc = bb_migrate_revision(old, out->schema, s, &o, diags, &rev);
    }
    if (!rc && rev.n_ops > 0) {
        rc = record_revision(out, &rev);
        if (!rc) {
            rc = push_file(out, rev.path, rev.text, rev.len);
            rev.path = rev.text = NULL;
            out->created = rc == BB_OK;
        }
    }
    bb_revision_free(&rev);
    if (rc)
        bb_migrate_result_free(out);
    return rc;
}
