/* revision.c - naming and rendering a revision file (revision.h). */
#include "migrate/revision.h"

#include "base/buf.h"
#include "base/pylit.h"
#include "base/sha256.h"
#include "front/normalize.h"
#include "migrate/pyexpr.h"
#include "render/embedded.h"
#include "render/mustache.h"
#include "render/mustache_json.h"
#include "render/pyfmt.h"
#include "json/jdoc.h"

#include <cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_SMALL 4096
/* The longest message a revision takes, escaped. */
#define MESSAGE_MAX (TEXT_SMALL * 4)
/* The template's data holds every value as Python: a few times the file. */
#define DATA_MAX (4 * (size_t)BB_REVISION_MAX_OUTPUT)
#define TEMPLATE_PATH "alembic/revision.py.mustache"

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

bool bb_revision_id_valid(const char *s)
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

/* ---- the revision's name ------------------------------------------------------ */

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
    bb_buf_init(&b, BB_REVISION_MAX_OUTPUT * 2);
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
static char *make_message(const char *message, const bb_ops *up, bool initial)
{
    if (message)
        return bb_strdup(message);
    if (initial)
        return bb_strdup("initial");
    const bb_op_note *best = up->notes;
    for (const bb_op_note *n = up->notes; n; n = n->next)
        if (title_rank(n->text) < title_rank(best->text))
            best = n;
    bb_buf b;
    bb_buf_init(&b, TEXT_SMALL);
    int rc = bb_buf_puts(&b, best ? best->text : "");
    if (!rc && up->n_changes > 1)
        rc = bb_buf_printf(&b, " and %zu more change%s", up->n_changes - 1,
                           up->n_changes > 2 ? "s" : "");
    char *s = rc ? NULL : bb_buf_take(&b, NULL);
    bb_buf_free(&b);
    return s;
}

int bb_revision_name(bb_revision *r, const char *parent, const cJSON *new_norm, const char *message,
                     bool initial, const bb_ops *up)
{
    int rc = revision_id(parent, new_norm, r->id);
    if (rc)
        return rc;
    r->down_revision = parent ? bb_strdup(parent) : NULL;
    r->message = make_message(message, up, initial);
    if ((parent && !r->down_revision) || !r->message)
        return BB_ENOMEM;
    char slug[64];
    slugify(r->message, slug, sizeof(slug));
    bb_buf p;
    bb_buf_init(&p, 512);
    rc = bb_buf_printf(&p, "%s/%s_%s.py", BB_ALEMBIC_VERSIONS_DIR, r->id, slug);
    if (!rc)
        r->path = bb_buf_take(&p, NULL);
    bb_buf_free(&p);
    return rc ? rc : r->path ? BB_OK : BB_ENOMEM;
}

/* ---- the template's data ------------------------------------------------------ */

/*
 * The operations as the template reads them: each one an object with one
 * member named after its kind, holding its values as Python text. Every
 * value a kind's part of the template reads is present (false when
 * absent): a name missing from an object would be looked up in the
 * objects around it.
 */
/* PostgreSQL's longest identifier, in bytes (NAMEDATALEN - 1). */
#define PG_MAX_NAME 63

typedef struct tdata {
    cJSON *root;
    int rc;
    bb_buf py; /* one value's Python; reused */
} tdata;

static void tfail(tdata *t, int rc)
{
    if (rc && !t->rc)
        t->rc = rc;
}

/* Adds v under the literal key k (cJSON keeps the pointer); NULL on failure. */
static cJSON *jadd(tdata *t, cJSON *o, const char *k, cJSON *v)
{
    if (!o || t->rc)
        return NULL;
    if (!v || !cJSON_AddItemToObjectCS(o, k, v)) {
        tfail(t, BB_ENOMEM);
        return NULL;
    }
    return v;
}

static cJSON *jpush(tdata *t, cJSON *arr, cJSON *v)
{
    if (!arr || t->rc)
        return NULL;
    if (!v || !cJSON_AddItemToArray(arr, v)) {
        tfail(t, BB_ENOMEM);
        return NULL;
    }
    return v;
}

static void jstr(tdata *t, cJSON *o, const char *k, const char *s)
{
    if (o && !t->rc)
        jadd(t, o, k, bb_jdoc_string(t->root, s));
}

static void jbool(tdata *t, cJSON *o, const char *k, bool b)
{
    if (o && !t->rc)
        jadd(t, o, k, bb_jdoc_bool(t->root, b));
}

static cJSON *jobj(tdata *t, cJSON *o, const char *k)
{
    return o && !t->rc ? jadd(t, o, k, bb_jdoc_object(t->root)) : NULL;
}

static cJSON *jarr(tdata *t, cJSON *o, const char *k)
{
    return o && !t->rc ? jadd(t, o, k, bb_jdoc_array(t->root)) : NULL;
}

/* The Python of an atom into b. */
static int put_atom(bb_buf *b, const bb_op_atom *a)
{
    switch (a->kind) {
    case BB_ATOM_NAME:
    case BB_ATOM_TEXT:
        return bb_pyexpr_str(b, a->text);
    case BB_ATOM_PYTHON:
        return bb_buf_puts(b, a->text);
    case BB_ATOM_FLAG:
        return bb_buf_puts(b, a->flag ? "True" : "False");
    case BB_ATOM_NONE:
        break;
    }
    return BB_OK;
}

/* The text in t->py as a string node; NULL on failure. */
static cJSON *py_node(tdata *t, int rc)
{
    tfail(t, rc);
    return t->rc ? NULL : bb_jdoc_string(t->root, bb_buf_str(&t->py));
}

/* An atom's Python under key k, or false when the atom is absent. */
static void jatom(tdata *t, cJSON *o, const char *k, const bb_op_atom *a)
{
    if (!o || t->rc)
        return;
    if (a->kind == BB_ATOM_NONE) {
        jbool(t, o, k, false);
        return;
    }
    bb_buf_reset(&t->py);
    jadd(t, o, k, py_node(t, put_atom(&t->py, a)));
}

/* A constraint's or an index's name. One over PostgreSQL's 63 bytes goes
 * through op.f(): marked final, SQLAlchemy shortens it for a database that
 * needs it (with a hash, as it shortens the models' names from the naming
 * convention) where a plain string would be refused. */
static void jname(tdata *t, cJSON *o, const char *k, const bb_op_atom *a)
{
    if (!o || t->rc || a->kind != BB_ATOM_NAME || strlen(a->text) <= PG_MAX_NAME) {
        jatom(t, o, k, a);
        return;
    }
    bb_buf_reset(&t->py);
    int rc = bb_buf_puts(&t->py, "op.f(");
    if (!rc)
        rc = put_atom(&t->py, a);
    if (!rc)
        rc = bb_buf_putc(&t->py, ')');
    jadd(t, o, k, py_node(t, rc));
}

/* The atoms' Python, one string each. */
static void jatoms(tdata *t, cJSON *o, const char *k, const bb_op_atoms *l)
{
    cJSON *arr = jarr(t, o, k);
    for (size_t i = 0; i < l->n && arr && !t->rc; i++) {
        bb_buf_reset(&t->py);
        jpush(t, arr, py_node(t, put_atom(&t->py, &l->items[i])));
    }
}

/* The atoms as one Python list: ["a", "b"]. */
static void jpylist(tdata *t, cJSON *o, const char *k, const bb_op_atoms *l)
{
    if (!o || t->rc)
        return;
    bb_buf_reset(&t->py);
    int rc = bb_buf_putc(&t->py, '[');
    for (size_t i = 0; i < l->n && !rc; i++) {
        if (i)
            rc = bb_buf_puts(&t->py, ", ");
        if (!rc)
            rc = put_atom(&t->py, &l->items[i]);
    }
    if (!rc)
        rc = bb_buf_putc(&t->py, ']');
    jadd(t, o, k, py_node(t, rc));
}

static void column_data(tdata *t, cJSON *o, const bb_op_column *c)
{
    jatom(t, o, "name", &c->name);
    jatom(t, o, "type", &c->type);
    jatom(t, o, "autoincrement", &c->autoincrement);
    jatom(t, o, "nullable", &c->nullable);
    jatom(t, o, "server_default", &c->server_default);
    jatom(t, o, "comment", &c->comment);
}

/* The "table.column" a foreign key of a new table refers to. */
static void fk_ref(tdata *t, cJSON *o, const bb_op_fk *fk)
{
    bb_buf ref;
    bb_buf_init(&ref, TEXT_SMALL + 1);
    int rc = bb_buf_puts(&ref, fk->ref_table.text ? fk->ref_table.text : "");
    if (!rc)
        rc = bb_buf_putc(&ref, '.');
    if (!rc)
        rc = bb_buf_puts(&ref, fk->ref_column.text ? fk->ref_column.text : "");
    if (!rc && ref.len > TEXT_SMALL)
        rc = BB_ELIMIT;
    if (!rc) {
        bb_op_atom a = {BB_ATOM_NAME, false, bb_buf_str(&ref)};
        jatom(t, o, "ref", &a);
    }
    tfail(t, rc);
    bb_buf_free(&ref);
}

static void fk_data(tdata *t, cJSON *o, const bb_op_fk *fk)
{
    jname(t, o, "name", &fk->name);
    jatom(t, o, "table", &fk->table);
    jatom(t, o, "column", &fk->column);
    jatom(t, o, "ref_table", &fk->ref_table);
    jatom(t, o, "ref_column", &fk->ref_column);
    jatom(t, o, "on_delete", &fk->on_delete);
    jbool(t, o, "late", fk->late);
}

static void table_data(tdata *t, cJSON *o, const bb_op_table *tb)
{
    jatom(t, o, "name", &tb->name);
    jatom(t, o, "comment", &tb->comment);
    cJSON *cols = jarr(t, o, "columns");
    for (size_t i = 0; i < tb->n_columns && !t->rc; i++)
        column_data(t, jpush(t, cols, bb_jdoc_object(t->root)), &tb->columns[i]);
    if (tb->pk_name.kind == BB_ATOM_NONE) {
        jbool(t, o, "primary_key", false);
    } else {
        cJSON *pk = jobj(t, o, "primary_key");
        jatoms(t, pk, "columns", &tb->pk_columns);
        jname(t, pk, "name", &tb->pk_name);
    }
    cJSON *fks = jarr(t, o, "foreign_keys");
    for (size_t i = 0; i < tb->n_fks && !t->rc; i++) {
        cJSON *f = jpush(t, fks, bb_jdoc_object(t->root));
        fk_data(t, f, &tb->fks[i]);
        fk_ref(t, f, &tb->fks[i]);
    }
    cJSON *uniques = jarr(t, o, "uniques");
    for (size_t i = 0; i < tb->n_uniques && !t->rc; i++) {
        cJSON *u = jpush(t, uniques, bb_jdoc_object(t->root));
        jatoms(t, u, "columns", &tb->uniques[i].columns);
        jname(t, u, "name", &tb->uniques[i].name);
    }
    cJSON *checks = jarr(t, o, "checks");
    for (size_t i = 0; i < tb->n_checks && !t->rc; i++) {
        cJSON *c = jpush(t, checks, bb_jdoc_object(t->root));
        jatom(t, c, "expression", &tb->checks[i].expression);
        jatom(t, c, "name", &tb->checks[i].name);
    }
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

/* ALTER TYPE "name" ADD VALUE IF NOT EXISTS 'value', as a Python string. */
static void enum_value_sql(tdata *t, cJSON *o, const bb_op_enum *e)
{
    bb_buf sql;
    bb_buf_init(&sql, TEXT_SMALL * 4);
    int rc = bb_buf_puts(&sql, "ALTER TYPE ");
    if (!rc)
        rc = sql_quote(&sql, e->name.text, '"');
    if (!rc)
        rc = bb_buf_puts(&sql, " ADD VALUE IF NOT EXISTS ");
    if (!rc)
        rc = sql_quote(&sql, e->value.text, '\'');
    if (!rc) {
        bb_op_atom a = {BB_ATOM_TEXT, false, bb_buf_str(&sql)};
        jatom(t, o, "sql", &a);
    }
    tfail(t, rc);
    bb_buf_free(&sql);
}

/* A type name made safe for a comment line (a recorded one may be edited). */
static void comment_name(tdata *t, cJSON *o, const bb_op_atom *name)
{
    bb_buf b;
    bb_buf_init(&b, TEXT_SMALL);
    int rc = bb_pylit_comment(&b, name->text);
    if (!rc)
        jstr(t, o, "name", bb_buf_str(&b));
    tfail(t, rc);
    bb_buf_free(&b);
}

static void alter_data(tdata *t, cJSON *o, const bb_op_alter *a)
{
    jatom(t, o, "name", &a->name);
    jatom(t, o, "existing_type", &a->existing_type);
    jatom(t, o, "type", &a->type);
    jatom(t, o, "nullable", &a->nullable);
    jbool(t, o, "nullable_changed", a->nullable_changed);
    jatom(t, o, "server_default", &a->server_default);
    jatom(t, o, "existing_server_default", &a->existing_server_default);
    jbool(t, o, "not_on_postgresql", a->not_on_postgresql);
}

static const char *const kind_keys[] = {
    [BB_OP_CREATE_ENUM] = "create_enum",
    [BB_OP_ADD_ENUM_VALUE] = "add_enum_value",
    [BB_OP_ENUM_KEEPS_VALUES] = "enum_keeps_values",
    [BB_OP_DROP_ENUM] = "drop_enum",
    [BB_OP_RENAME_TABLE] = "rename_table",
    [BB_OP_CREATE_TABLE] = "create_table",
    [BB_OP_DROP_TABLE] = "drop_table",
    [BB_OP_CREATE_LATE_FK] = "create_late_fk",
    [BB_OP_DROP_LATE_FK] = "drop_late_fk",
    [BB_OP_CREATE_INDEX] = "create_index",
    [BB_OP_DROP_INDEX] = "drop_index",
    [BB_OP_FILL_NULLS] = "fill_nulls",
    [BB_OP_CHECK_CAST] = "check_cast",
    [BB_OP_BATCH] = "batch",
    [BB_OP_ADD_COLUMN] = "add_column",
    [BB_OP_DROP_COLUMN] = "drop_column",
    [BB_OP_ALTER_COLUMN] = "alter_column",
    [BB_OP_RENAME_COLUMN] = "rename_column",
    [BB_OP_CREATE_UNIQUE] = "create_unique",
    [BB_OP_CREATE_CHECK] = "create_check",
    [BB_OP_CREATE_FK] = "create_fk",
    [BB_OP_DROP_CONSTRAINT] = "drop_constraint",
};

static const char *cons_type_name(bb_op_cons_type type)
{
    return type == BB_CONS_UNIQUE ? "unique" : type == BB_CONS_CHECK ? "check" : "foreignkey";
}

static void seq_data(tdata *t, cJSON *arr, const bb_op_seq *seq);

static void op_data(tdata *t, cJSON *o, const bb_op *op)
{
    const bb_op_enum *en = &op->u.en;
    switch (op->kind) {
    case BB_OP_CREATE_ENUM:
        jatom(t, o, "name", &en->name);
        jatoms(t, o, "values", &en->values);
        break;
    case BB_OP_ADD_ENUM_VALUE:
        enum_value_sql(t, o, en);
        break;
    case BB_OP_ENUM_KEEPS_VALUES:
        comment_name(t, o, &en->name);
        break;
    case BB_OP_RENAME_TABLE:
    case BB_OP_RENAME_COLUMN:
        jatom(t, o, "name", &op->u.rename.name);
        jatom(t, o, "new_name", &op->u.rename.new_name);
        jatom(t, o, "existing_type", &op->u.rename.existing_type);
        break;
    case BB_OP_CREATE_TABLE:
        table_data(t, o, &op->u.table);
        break;
    case BB_OP_DROP_ENUM:
    case BB_OP_DROP_TABLE:
    case BB_OP_DROP_INDEX:
    case BB_OP_DROP_COLUMN:
    case BB_OP_DROP_CONSTRAINT:
        if (op->kind == BB_OP_DROP_INDEX ||
            (op->kind == BB_OP_DROP_CONSTRAINT && op->u.drop.type != BB_CONS_CHECK))
            jname(t, o, "name", &op->u.drop.name);
        else
            jatom(t, o, "name", &op->u.drop.name);
        jatom(t, o, "table", &op->u.drop.table);
        jstr(t, o, "type", cons_type_name(op->u.drop.type));
        /* op.f(): the name is final, the naming convention's "ck" (which
         * adds ck_<table>_ again) must not apply. */
        jbool(t, o, "check", op->u.drop.type == BB_CONS_CHECK);
        break;
    case BB_OP_CREATE_LATE_FK:
    case BB_OP_DROP_LATE_FK:
    case BB_OP_CREATE_FK:
        fk_data(t, o, &op->u.fk);
        break;
    case BB_OP_CREATE_INDEX:
    case BB_OP_CREATE_UNIQUE:
    case BB_OP_CREATE_CHECK:
        if (op->kind == BB_OP_CREATE_CHECK)
            jatom(t, o, "name", &op->u.cons.name);
        else
            jname(t, o, "name", &op->u.cons.name);
        jatom(t, o, "table", &op->u.cons.table);
        jpylist(t, o, "columns", &op->u.cons.columns);
        jatom(t, o, "expression", &op->u.cons.expression);
        jstr(t, o, "unique", op->u.cons.unique ? "True" : "False");
        break;
    case BB_OP_FILL_NULLS:
    case BB_OP_CHECK_CAST:
        jatom(t, o, "table", &op->u.fill.table);
        jatom(t, o, "column", &op->u.fill.column);
        jatom(t, o, "value", &op->u.fill.value);
        break;
    case BB_OP_BATCH:
        jatom(t, o, "table", &op->u.batch.table);
        seq_data(t, jarr(t, o, "ops"), &op->u.batch.ops);
        break;
    case BB_OP_ADD_COLUMN:
        column_data(t, o, &op->u.column);
        break;
    case BB_OP_ALTER_COLUMN:
        alter_data(t, o, &op->u.alter);
        break;
    }
}

static void seq_data(tdata *t, cJSON *arr, const bb_op_seq *seq)
{
    for (const bb_op *op = seq->first; op && arr && !t->rc; op = op->next) {
        cJSON *item = jpush(t, arr, bb_jdoc_object(t->root));
        op_data(t, jobj(t, item, kind_keys[op->kind]), op);
    }
}

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

/* s escaped for the docstring under key k (into array arr when k is NULL). */
static void jdoc_text(tdata *t, cJSON *o, const char *k, const char *s)
{
    if (!o || t->rc)
        return;
    bb_buf_reset(&t->py);
    cJSON *v = py_node(t, put_doc_text(&t->py, s, strlen(s)));
    if (k)
        jadd(t, o, k, v);
    else
        jpush(t, o, v);
}

static void function_data(tdata *t, cJSON *functions, const char *name, const bb_ops *ops)
{
    cJSON *f = jpush(t, functions, bb_jdoc_object(t->root));
    jstr(t, f, "name", name);
    seq_data(t, jarr(t, f, "ops"), &ops->ops);
}

/* Whether seq (or a batch in it) holds an operation of kind. */
static bool seq_has(const bb_op_seq *seq, bb_op_kind kind)
{
    for (const bb_op *op = seq->first; op; op = op->next)
        if (op->kind == kind || (op->kind == BB_OP_BATCH && seq_has(&op->u.batch.ops, kind)))
            return true;
    return false;
}

static int message_fits(const char *message)
{
    size_t n_escaped = 0;
    for (const char *p = message; *p; p++)
        n_escaped += 1 + (*p == '"' || *p == '\\');
    return n_escaped > MESSAGE_MAX ? BB_ELIMIT : BB_OK;
}

/* The template's data for revision r; NULL when out of memory (*rc says). */
static cJSON *revision_data(const bb_revision *r, const bb_ops *up, const bb_ops *down, int *rc)
{
    tdata t = {.root = bb_jdoc_new(DATA_MAX), .rc = BB_OK};
    if (!t.root) {
        *rc = BB_ENOMEM;
        return NULL;
    }
    bb_buf_init(&t.py, BB_REVISION_MAX_OUTPUT);
    tfail(&t, message_fits(r->message));
    jdoc_text(&t, t.root, "message", r->message);
    jstr(&t, t.root, "id", r->id);
    if (r->down_revision)
        jstr(&t, t.root, "down_revision", r->down_revision);
    else
        jbool(&t, t.root, "down_revision", false);
    jstr(&t, t.root, "version", BB_VERSION);
    jbool(&t, t.root, "has_changes", up->notes != NULL);
    cJSON *changes = jarr(&t, t.root, "changes");
    for (const bb_op_note *n = up->notes; n && !t.rc; n = n->next)
        jdoc_text(&t, changes, NULL, n->text);
    /* _check_cast is defined only in the revisions that call it. */
    jbool(&t, t.root, "checks_casts",
          seq_has(&up->ops, BB_OP_CHECK_CAST) || seq_has(&down->ops, BB_OP_CHECK_CAST));
    cJSON *functions = jarr(&t, t.root, "functions");
    function_data(&t, functions, "upgrade", up);
    function_data(&t, functions, "downgrade", down);
    bb_buf_free(&t.py);
    *rc = t.rc;
    if (t.rc) {
        bb_jdoc_free(t.root);
        return NULL;
    }
    return t.root;
}

/* ---- rendering ---------------------------------------------------------------- */

static int compare_embedded(const void *key, const void *item)
{
    return strcmp(key, ((const bb_embedded_template *)item)->path);
}

/*
 * The revision template, compiled on first use and kept for the process
 * (the HTTP service writes an initial revision per project). A compiled
 * template is immutable: threads render it at once.
 */
static bb_mustache_template *compiled;
static pthread_mutex_t compiled_lock = PTHREAD_MUTEX_INITIALIZER;

static int revision_template(const bb_mustache_template **out)
{
    int rc = BB_OK;
    pthread_mutex_lock(&compiled_lock);
    if (!compiled) {
        const bb_embedded_template *e =
            bsearch(TEMPLATE_PATH, bb_embedded_templates, bb_embedded_template_count,
                    sizeof(bb_embedded_templates[0]), compare_embedded);
        rc =
            e ? bb_mustache_compile(TEMPLATE_PATH, e->data, e->len, &compiled, NULL) : BB_ENOTFOUND;
        /* The template ships with backbone: only memory can make it fail. */
        if (rc != BB_OK && rc != BB_ENOMEM)
            rc = BB_ESTATE;
    }
    *out = compiled;
    pthread_mutex_unlock(&compiled_lock);
    return rc;
}

int bb_revision_render(bb_revision *r, const bb_ops *up, const bb_ops *down)
{
    int rc;
    cJSON *data = revision_data(r, up, down, &rc);
    const bb_mustache_template *tpl = NULL;
    if (!rc)
        rc = revision_template(&tpl);
    bb_buf flat, file;
    bb_buf_init(&flat, BB_REVISION_MAX_OUTPUT);
    bb_buf_init(&file, BB_REVISION_MAX_OUTPUT);
    if (!rc) {
        bb_mustache_opts o;
        bb_mustache_opts_default(&o);
        o.escape = NULL; /* Python, every value made safe already */
        o.strict_names = true;
        const cJSON *frames[1] = {data};
        rc = bb_mustache_render(tpl, frames, 1, &o, &flat, NULL);
        /* A name the template asks for and the data lacks is a bug here. */
        if (rc && rc != BB_ENOMEM && rc != BB_ELIMIT)
            rc = BB_ESTATE;
    }
    /* The template writes statements whole: Black's layout comes after. */
    if (!rc)
        rc = bb_pyfmt_format(r->path, bb_buf_str(&flat), flat.len, NULL, &file, NULL);
    if (rc == BB_EINVAL)
        rc = BB_ESTATE; /* every value is a valid Python literal: a bug here */
    if (!rc) {
        r->text = bb_buf_take(&file, &r->len);
        if (!r->text)
            rc = BB_ENOMEM;
    }
    bb_buf_free(&flat);
    bb_buf_free(&file);
    bb_jdoc_free(data);
    return rc;
}
