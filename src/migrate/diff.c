/* diff.c - the operations between two normalized schemas (diff.h). */
#include "migrate/diff.h"

#include "base/buf.h"
#include "migrate/pyexpr.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TEXT_SMALL 4096

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* ---- the walk's state ---------------------------------------------------- */

typedef struct walk {
    bb_ops *ops;
    bb_op_seq *seq; /* where the next operation goes */
    bb_diags *diags;
    const bb_diff_opts *o;
    int rc; /* first failure outside the list */
    size_t n_refused;
    bb_buf scratch[2]; /* for rendering and comparing; reused */
    /* The schemas and how their tables pair up, to follow a table's rename
     * into the association tables that link it. */
    const bb_normview *from, *to;
    const struct matching *tables;
} walk;

static void fail(walk *w, int rc)
{
    if (rc && !w->rc)
        w->rc = rc;
}

/* A new operation of kind at the walk's place; NULL on failure (the list
 * keeps it). */
static bb_op *add_op(walk *w, bb_op_kind kind)
{
    return bb_ops_add(w->ops, w->seq, kind);
}

typedef int (*render_fn)(bb_buf *b, const bb_normview_col *col);

/* The Python f renders for col, as an atom; NONE when f renders nothing. */
static bb_op_atom python_of(walk *w, render_fn f, const bb_normview_col *col)
{
    bb_buf *b = &w->scratch[0];
    bb_buf_reset(b);
    fail(w, f(b, col));
    if (w->rc || !b->len)
        return (bb_op_atom){BB_ATOM_NONE, false, NULL};
    return bb_ops_python(w->ops, bb_buf_str(b), b->len);
}

/* Whether f renders a and b alike. */
static bool rendered_equal(walk *w, render_fn f, const bb_normview_col *a, const bb_normview_col *b)
{
    bb_buf *x = &w->scratch[0], *y = &w->scratch[1];
    bb_buf_reset(x);
    bb_buf_reset(y);
    int r = f(x, a);
    if (!r)
        r = f(y, b);
    fail(w, r);
    return x->len == y->len && memcmp(bb_buf_str(x), bb_buf_str(y), x->len) == 0;
}

/* The JSON Pointer and offset of a table or column of the new schema. */
static void locate(const walk *w, const char *table, const char *column, const char **pointer,
                   size_t *offset)
{
    *pointer = NULL;
    *offset = BB_NO_OFFSET;
    const bb_schema *s = w->o->locate;
    if (!s || !table)
        return;
    int ti = bb_schema_table_index(s, table);
    if (ti < 0)
        return;
    const bb_table *t = &s->tables[ti];
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

/* ---- atoms of columns and name lists ---------------------------------------- */

static void column_of(walk *w, const bb_normview_col *col, bool force_nullable, bb_op_column *c)
{
    c->name = bb_ops_name(w->ops, col->id.name);
    c->type = python_of(w, bb_pyexpr_type, col);
    if (col->primary_key && col->kind >= BB_NORMVIEW_SMALLINT)
        c->autoincrement = bb_ops_flag(col->autoincrement);
    c->nullable = bb_ops_flag(col->nullable || force_nullable);
    if (bb_pyexpr_has_default(col))
        c->server_default = python_of(w, bb_pyexpr_server_default, col);
    if (col->comment)
        c->comment = bb_ops_text(w->ops, col->comment);
}

/* The names of a JSON list; an item that is no string is left out, or
 * with keep_all, given as "". */
static bb_op_atoms names_of(walk *w, const cJSON *names, bool keep_all)
{
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, names)
    {
        n += keep_all || cJSON_IsString(it);
    }
    bb_op_atoms l = bb_ops_atoms(w->ops, n);
    size_t k = 0;
    cJSON_ArrayForEach(it, names)
    {
        if (k < l.n && (keep_all || cJSON_IsString(it)))
            l.items[k++] = bb_ops_name(w->ops, cJSON_IsString(it) ? it->valuestring : "");
    }
    return l;
}

static bb_op_atoms one_name(walk *w, const char *name)
{
    bb_op_atoms l = bb_ops_atoms(w->ops, 1);
    if (l.n)
        l.items[0] = bb_ops_name(w->ops, name);
    return l;
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
    const bb_normview_fk *fk; /* the column's foreign key */
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
static int collect_cons(const bb_normview_table *table, cons_set *s)
{
    const cJSON *it;
    bool ok = true;
    s->n = 0;
    for (int i = 0; i < table->n_cols; i++) {
        const bb_normview_col *col = &table->cols[i];
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
        ok &= cons_push(
            s, (cons){K_UNIQUE, bb_normview_str(it, "name"), cols, NULL, false, NULL, NULL});
    }
    cJSON_ArrayForEach(it, table->indexes)
    {
        const cJSON *cols = cJSON_GetObjectItemCaseSensitive(it, "columns");
        bool unique = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "unique"));
        ok &= cons_push(s, (cons){K_INDEX, bb_normview_str(it, "name"), cols, NULL, unique,
                                  bb_normview_str(it, "where"), NULL});
    }
    cJSON_ArrayForEach(it, table->checks)
    {
        ok &= cons_push(s, (cons){K_CHECK, bb_normview_str(it, "name"), NULL, NULL, false,
                                  bb_normview_str(it, "expression"), NULL});
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
        fail(w, r);
        return strcmp(bb_buf_str(a), bb_buf_str(b)) == 0;
    }
    return false;
}

/* The columns of a constraint, as a list of names. */
static bb_op_atoms cons_columns(walk *w, const cons *c)
{
    return c->columns ? names_of(w, c->columns, false) : one_name(w, c->column);
}

static const char *cons_what(ckind k)
{
    return k == K_INDEX ? "index " : "constraint ";
}

/* The foreign key fk of column (of table), as atoms. */
static void fk_of(walk *w, const bb_normview_fk *fk, const char *table, const char *column,
                  bb_op_fk *out)
{
    out->name = bb_ops_name(w->ops, fk->name);
    out->table = bb_ops_name(w->ops, table);
    out->column = bb_ops_name(w->ops, column);
    out->ref_table = bb_ops_name(w->ops, fk->table);
    out->ref_column = bb_ops_name(w->ops, fk->column);
    if (fk->on_delete)
        out->on_delete = bb_ops_text(w->ops, fk->on_delete);
    out->late = fk->use_alter;
}

/*
 * Drops one constraint (inside the batch block) or index (before it: in a
 * SQLite batch that also renames a column, Alembic cannot rebuild an index
 * on the renamed column, so indexes are handled outside batches). The walk
 * is at the right place for it.
 */
static void drop_cons(walk *w, const cons *c, const char *from_table, const char *table)
{
    char buf[512];
    const char *name = cons_name(c, from_table, buf, sizeof(buf));
    bb_op *op = add_op(w, c->kind == K_INDEX ? BB_OP_DROP_INDEX : BB_OP_DROP_CONSTRAINT);
    if (op) {
        op->u.drop.name = bb_ops_name(w->ops, name);
        op->u.drop.table = bb_ops_name(w->ops, table);
        op->u.drop.type = c->kind == K_UNIQUE  ? BB_CONS_UNIQUE
                          : c->kind == K_CHECK ? BB_CONS_CHECK
                                               : BB_CONS_FOREIGN_KEY;
    }
    bb_ops_note_of(w->ops, "drop ", cons_what(c->kind), name);
}

/* op.create_index("name", "table", [...], unique=...) */
static void create_index(walk *w, const cons *c, const char *name, const char *table)
{
    bb_op *op = add_op(w, BB_OP_CREATE_INDEX);
    if (!op)
        return;
    op->u.cons.name = bb_ops_name(w->ops, name);
    op->u.cons.table = bb_ops_name(w->ops, table);
    op->u.cons.columns = cons_columns(w, c);
    op->u.cons.unique = c->unique;
    if (c->expression)
        op->u.cons.expression = bb_ops_text(w->ops, c->expression);
}

/* Creates one constraint (inside the batch block) or index (after it). */
static void create_cons(walk *w, const cons *c, const char *table)
{
    char buf[512];
    const char *name = cons_name(c, table, buf, sizeof(buf));
    bb_op *op = NULL;
    switch (c->kind) {
    case K_INDEX:
        create_index(w, c, name, table);
        break;
    case K_UNIQUE:
        if ((op = add_op(w, BB_OP_CREATE_UNIQUE)) != NULL) {
            op->u.cons.name = bb_ops_name(w->ops, name);
            op->u.cons.columns = cons_columns(w, c);
        }
        break;
    case K_CHECK:
        if ((op = add_op(w, BB_OP_CREATE_CHECK)) != NULL) {
            op->u.cons.name = bb_ops_name(w->ops, name);
            op->u.cons.expression = bb_ops_text(w->ops, c->expression);
        }
        break;
    case K_FK:
        if ((op = add_op(w, BB_OP_CREATE_FK)) != NULL)
            fk_of(w, c->fk, table, c->column, &op->u.fk);
        break;
    }
    bb_ops_note_of(w->ops, "create ", cons_what(c->kind), name);
}

/* ---- matching tables and columns across a rename ---------------------------- */

/*
 * The index in `from` of the item that becomes item ti of `to`: the one
 * with the same name, or the one it is renamed from; -1 when none. In the
 * upgrade the new item names its old name (renamed_from); in the downgrade
 * the roles swap, so the old item is found as the one whose renamed_from is
 * this name.
 */
static int counterpart(const walk *w, const bb_normview_list *from, const bb_normview_list *to,
                       int ti, bool *renamed)
{
    *renamed = false;
    const bb_normview_named *item = bb_normview_at(to, ti);
    const char *name = item->name;
    int f = bb_normview_find(from, name);
    if (f >= 0 || w->o->initial)
        return f;
    if (w->o->upgrade) {
        const char *old = item->renamed_from;
        if (old && bb_normview_find(to, old) < 0 && (f = bb_normview_find(from, old)) >= 0)
            *renamed = true;
        return f;
    }
    for (f = 0; f < from->n; f++) {
        const bb_normview_named *it = bb_normview_at(from, f);
        const char *rf = it->renamed_from;
        if (rf && name && strcmp(rf, name) == 0 && bb_normview_find(to, it->name) < 0) {
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

static int match_items(const walk *w, const bb_normview_list *from, const bb_normview_list *to,
                       matching *m)
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

/* The name the table called name in w->from has in w->to; NULL when none. */
static const char *new_table_name(const walk *w, const char *name)
{
    bb_normview_list fl = bb_normview_tables(w->from);
    int f = bb_normview_find(&fl, name);
    for (int i = 0; f >= 0 && i < w->tables->n_to; i++)
        if (w->tables->from_of[i] == f)
            return w->to->tables[i].id.name;
    return NULL;
}

/* Whether the old association table a and the new one b link the same
 * tables, following renames: each target of b is a target of a, renamed. */
static bool same_links(const walk *w, const bb_normview_table *a, const bb_normview_table *b)
{
    if (a->n_cols != b->n_cols)
        return false;
    for (int i = 0; i < b->n_cols; i++) {
        bool found = false;
        for (int k = 0; k < a->n_cols && !found; k++)
            found = a->cols[k].fk.present && b->cols[i].fk.present &&
                    same_str(new_table_name(w, a->cols[k].fk.table), b->cols[i].fk.table);
        if (!found)
            return false;
    }
    return true;
}

/*
 * An automatic many-to-many's table is named after the tables it links:
 * when one of them is renamed, so is it. Each new association table that
 * matched nothing is paired, as a rename, with the one old association
 * table that matched nothing and links the same tables; its rows stay.
 */
static void match_association_tables(const walk *w, matching *m)
{
    for (int i = 0; i < m->n_to; i++) {
        const bb_normview_table *t = &w->to->tables[i];
        if (m->from_of[i] >= 0 || !t->association)
            continue;
        int found = -1, n = 0;
        for (int k = 0; k < m->n_from; k++) {
            const bb_normview_table *f = &w->from->tables[k];
            if (!m->matched[k] && f->association && same_links(w, f, t)) {
                found = k;
                n++;
            }
        }
        if (n == 1) {
            m->from_of[i] = found;
            m->renamed[i] = true;
            m->matched[found] = true;
        }
    }
}

/* The columns of a renamed association table are named after the classes
 * they link: a column that matched nothing is paired with the old one
 * that refers to the same table (renamed). */
static void match_link_columns(const walk *w, const bb_normview_table *ft,
                               const bb_normview_table *tt, matching *m)
{
    for (int i = 0; i < m->n_to; i++) {
        const bb_normview_col *tc = &tt->cols[i];
        for (int k = 0; m->from_of[i] < 0 && tc->fk.present && k < m->n_from; k++) {
            const bb_normview_col *fc = &ft->cols[k];
            if (m->matched[k] || !fc->fk.present ||
                !same_str(new_table_name(w, fc->fk.table), tc->fk.table))
                continue;
            m->from_of[i] = k;
            m->renamed[i] = !same_str(fc->id.name, tc->id.name);
            m->matched[k] = true;
        }
    }
}

/* An upgrade's renamed_from that names nothing recorded is a mistake. */
static void check_rename_source(walk *w, const bb_normview_list *from,
                                const bb_normview_named *to_item, const char *table,
                                const char *what)
{
    const char *old = to_item->renamed_from;
    const char *name = to_item->name;
    if (!w->o->upgrade || w->o->initial || !old || bb_normview_find(from, name) >= 0 ||
        bb_normview_find(from, old) >= 0)
        return;
    report(w, BB_ERROR, "BB0824", table, strcmp(what, "table") == 0 ? NULL : name,
           "fix renamed_from, or remove it to create a new, empty one",
           "%s '%s' is renamed from '%s', which the recorded schema does not have", what, name,
           old);
}

/* ---- enum types (PostgreSQL) ----------------------------------------------- */

typedef struct enum_ref {
    const char *name;
    const bb_normview_col *col; /* a column using it, for its values */
} enum_ref;

#define MAX_ENUMS 1024

static size_t collect_enums(const bb_normview *s, enum_ref *out)
{
    size_t n = 0;
    for (int t = 0; t < s->n_tables; t++) {
        const bb_normview_table *tv = &s->tables[t];
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

static bool has_value(const bb_normview_col *col, const char *v)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, col->values)
    {
        if (cJSON_IsString(x) && strcmp(x->valuestring, v) == 0)
            return true;
    }
    return false;
}

static void create_enum(walk *w, const enum_ref *e)
{
    bb_op *op = add_op(w, BB_OP_CREATE_ENUM);
    if (op) {
        op->u.en.name = bb_ops_name(w->ops, e->name);
        op->u.en.values = names_of(w, e->col->values, true);
        for (size_t k = 0; k < op->u.en.values.n; k++)
            op->u.en.values.items[k].kind = BB_ATOM_TEXT;
    }
    bb_ops_note_of(w->ops, "create enum type ", e->name);
}

/* The values of enum type e the old type lacks: added (PostgreSQL adds
 * them to the type). */
static void add_enum_values(walk *w, const enum_ref *old, const enum_ref *e)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, e->col->values)
    {
        if (!cJSON_IsString(v) || has_value(old->col, v->valuestring))
            continue;
        bb_op *op = add_op(w, BB_OP_ADD_ENUM_VALUE);
        if (op) {
            op->u.en.name = bb_ops_name(w->ops, e->name);
            op->u.en.value = bb_ops_text(w->ops, v->valuestring);
        }
        bb_ops_note_of(w->ops, "add value '", v->valuestring, "' to enum type ", e->name);
    }
}

static void walk_enums_before(walk *w, const enum_ref *from, size_t nf, const enum_ref *to,
                              size_t nt)
{
    for (size_t i = 0; i < nt; i++) {
        const enum_ref *old = find_enum(from, nf, to[i].name);
        if (!old) {
            create_enum(w, &to[i]);
            continue;
        }
        add_enum_values(w, old, &to[i]);
        bool kept = false; /* the downgrade leaves values the upgrade added */
        const cJSON *v;
        cJSON_ArrayForEach(v, old->col->values)
        {
            if (!cJSON_IsString(v) || has_value(to[i].col, v->valuestring))
                continue;
            if (w->o->upgrade)
                report(w, BB_ERROR, "BB0823", NULL, NULL,
                       "keep the value in the schema (PostgreSQL cannot drop an enum value), or "
                       "migrate the rows and the type by hand",
                       "enum value '%s' of type %s is removed", v->valuestring, to[i].name);
            else
                kept = true;
        }
        bb_op *op = kept ? add_op(w, BB_OP_ENUM_KEEPS_VALUES) : NULL;
        if (op)
            op->u.en.name = bb_ops_name(w->ops, to[i].name);
    }
}

static void walk_enums_after(walk *w, const enum_ref *from, size_t nf, const enum_ref *to,
                             size_t nt)
{
    for (size_t i = 0; i < nf; i++) {
        if (find_enum(to, nt, from[i].name))
            continue;
        bb_op *op = add_op(w, BB_OP_DROP_ENUM);
        if (op)
            op->u.drop.name = bb_ops_name(w->ops, from[i].name);
        bb_ops_note_of(w->ops, "drop enum type ", from[i].name);
    }
}

/* ---- tables ---------------------------------------------------------------- */

/* The unique and check constraints of a new table, into its operation; its
 * indexes are created after it. */
static void table_constraints(walk *w, const cons_set *set, const char *name, bb_op_table *t)
{
    char buf[512];
    t->uniques = bb_ops_alloc(w->ops, set->n, sizeof(*t->uniques));
    t->checks = bb_ops_alloc(w->ops, set->n, sizeof(*t->checks));
    if (!t->uniques || !t->checks)
        return;
    for (size_t i = 0; i < set->n; i++) {
        const cons *c = &set->items[i];
        if (c->kind == K_UNIQUE) {
            bb_op_cons *u = &t->uniques[t->n_uniques++];
            u->columns = c->columns ? names_of(w, c->columns, true) : one_name(w, c->column);
            u->name = bb_ops_name(w->ops, cons_name(c, name, buf, sizeof(buf)));
        } else if (c->kind == K_CHECK) {
            bb_op_cons *k = &t->checks[t->n_checks++];
            k->expression = bb_ops_text(w->ops, c->expression);
            k->name = bb_ops_name(w->ops, c->name);
        }
    }
}

static void table_of(walk *w, const bb_normview_table *t, const cons_set *set, bb_op_table *out)
{
    const char *name = t->id.name;
    out->name = bb_ops_name(w->ops, name);
    out->columns = bb_ops_alloc(w->ops, (size_t)t->n_cols, sizeof(*out->columns));
    out->fks = bb_ops_alloc(w->ops, (size_t)t->n_cols, sizeof(*out->fks));
    if (!out->columns || !out->fks)
        return;
    for (int i = 0; i < t->n_cols; i++)
        column_of(w, &t->cols[i], false, &out->columns[out->n_columns++]);
    const cJSON *pk = t->primary_key;
    const cJSON *pk_cols = pk ? cJSON_GetObjectItemCaseSensitive(pk, "columns") : NULL;
    if (pk && cJSON_GetArraySize(pk_cols) > 0) {
        out->pk_columns = names_of(w, pk_cols, true);
        out->pk_name = bb_ops_name(w->ops, bb_normview_str(pk, "name"));
    }
    for (int i = 0; i < t->n_cols; i++)
        if (t->cols[i].fk.present)
            fk_of(w, &t->cols[i].fk, name, t->cols[i].id.name, &out->fks[out->n_fks++]);
    table_constraints(w, set, name, out);
    if (t->comment)
        out->comment = bb_ops_text(w->ops, t->comment);
}

static void create_table(walk *w, const bb_normview_table *t)
{
    const char *name = t->id.name;
    cons_set *set = bb_malloc(sizeof(*set));
    if (!set) {
        fail(w, BB_ENOMEM);
        return;
    }
    if (collect_cons(t, set) != BB_OK)
        fail(w, BB_ELIMIT);
    bb_op *op = add_op(w, BB_OP_CREATE_TABLE);
    if (op)
        table_of(w, t, set, &op->u.table);
    bb_ops_note_of(w->ops, "create table ", name);
    char buf[512];
    for (size_t i = 0; i < set->n; i++) {
        const cons *c = &set->items[i];
        if (c->kind == K_INDEX)
            create_index(w, c, cons_name(c, name, buf, sizeof(buf)), name);
    }
    bb_free(set);
}

/*
 * The cyclic (use_alter) FKs of a table: added once every new table exists,
 * or dropped before the tables are, since they would block the drop.
 * SQLite has them inside CREATE TABLE and needs neither.
 */
static void late_fks(walk *w, const bb_normview_table *t, bool create)
{
    for (int i = 0; i < t->n_cols; i++) {
        const bb_normview_col *col = &t->cols[i];
        if (!col->fk.present || !col->fk.use_alter)
            continue;
        bb_op *op = add_op(w, create ? BB_OP_CREATE_LATE_FK : BB_OP_DROP_LATE_FK);
        if (op)
            fk_of(w, &col->fk, t->id.name, col->id.name, &op->u.fk);
    }
}

/* ---- one changed table ------------------------------------------------------ */

static int int_or(const cJSON *v, int absent)
{
    return cJSON_IsNumber(v) ? v->valueint : absent;
}

static int integer_width(bb_normview_type k)
{
    return k >= BB_NORMVIEW_SMALLINT ? (int)(k - BB_NORMVIEW_SMALLINT) + 1 : 0;
}

/* Types SQLite stores as text, so its table copy converts nothing. */
static bool stored_as_text(bb_normview_type k)
{
    return k == BB_NORMVIEW_STRING || k == BB_NORMVIEW_TEXT || k == BB_NORMVIEW_ENUM ||
           k == BB_NORMVIEW_UUID;
}

/* True when every value of the old type fits the new one unchanged (a
 * longer String, any String to Text or to an unbounded String, a wider
 * integer, more digits): no warning is needed. */
static bool widens(const bb_normview_col *from, const bb_normview_col *to)
{
    const char *a = from->type, *b = to->type;
    int wa = integer_width(from->kind), wb = integer_width(to->kind);
    if (wa && wb)
        return wb >= wa;
    bool from_text = from->kind == BB_NORMVIEW_STRING || from->kind == BB_NORMVIEW_TEXT;
    if (from_text && (to->kind == BB_NORMVIEW_TEXT ||
                      (to->kind == BB_NORMVIEW_STRING && int_or(to->length, 0) == 0)))
        return true;
    if (!same_str(a, b))
        return false;
    if (from->kind == BB_NORMVIEW_STRING) {
        int la = int_or(from->length, 0), lb = int_or(to->length, 0);
        return lb == 0 || (la > 0 && lb >= la);
    }
    if (from->kind == BB_NORMVIEW_NUMERIC) {
        int pa = int_or(from->precision, -1), pb = int_or(to->precision, -1);
        int sa = int_or(from->scale, -1), sb = int_or(to->scale, -1);
        return (pb == -1 || (pa != -1 && pb - sb >= pa - sa)) && sb >= sa;
    }
    return false;
}

/*
 * Before the batch that changes column fc into tc (so under fc's name: a
 * rename comes in the batch), either its NULLs take tc's default (kind
 * FILL_NULLS, before it becomes NOT NULL), or (CHECK_CAST) on SQLite the
 * values are checked to survive the conversion to tc's type.
 */
static void before_batch(walk *w, bb_op_seq *pre, bb_op_kind kind, const char *table,
                         const bb_normview_col *fc, const bb_normview_col *tc)
{
    bb_op *op = bb_ops_add(w->ops, pre, kind);
    if (!op)
        return;
    op->u.fill.table = bb_ops_name(w->ops, table);
    op->u.fill.column = bb_ops_name(w->ops, fc->id.name);
    op->u.fill.value =
        python_of(w, kind == BB_OP_FILL_NULLS ? bb_pyexpr_fill_value : bb_pyexpr_type, tc);
}

/* Column changes: type, nullability, server default. */
static void walk_alter_column(walk *w, bb_op_seq *pre, const char *table, const bb_normview_col *fc,
                              const bb_normview_col *tc)
{
    const char *name = tc->id.name;
    bool up = w->o->upgrade;
    if (fc->primary_key != tc->primary_key) {
        if (up)
            report(w, BB_ERROR, "BB0822", table, name,
                   "primary keys cannot change in place: create a new table and copy the rows",
                   "column %s.%s changes its primary key membership, which backbone does not "
                   "migrate",
                   table, name);
        return;
    }
    bool type_same = rendered_equal(w, bb_pyexpr_type, fc, tc);
    bool null_same = fc->nullable == tc->nullable;
    bool dflt_same = rendered_equal(w, bb_pyexpr_server_default, fc, tc);
    if (type_same && null_same && dflt_same)
        return;
    bool enum_only = !type_same && fc->kind == BB_NORMVIEW_ENUM && tc->kind == BB_NORMVIEW_ENUM &&
                     same_str(fc->enum_name, tc->enum_name);
    bool becomes_not_null = !null_same && !tc->nullable;
    if (becomes_not_null && bb_pyexpr_has_default(tc)) {
        /* Rows holding NULL get the default first, or the ALTER fails. */
        before_batch(w, pre, BB_OP_FILL_NULLS, table, fc, tc);
    } else if (becomes_not_null && up) {
        report(w, BB_WARNING, "BB0825", table, name,
               "give the column a default, or fill its NULLs before upgrading",
               "column %s.%s becomes NOT NULL without a default: the upgrade fails if a row holds "
               "NULL there",
               table, name);
    }
    /* SQLite's table copy CASTs the values to a type it does not store as
     * text: what does not convert becomes 0 (or a number's prefix). */
    bool checked = !type_same && !enum_only && !widens(fc, tc) && !stored_as_text(tc->kind);
    if (checked)
        before_batch(w, pre, BB_OP_CHECK_CAST, table, fc, tc);
    if (!type_same && !enum_only && !widens(fc, tc) && up)
        report(w, BB_WARNING, "BB0826", table, name,
               checked ? "check that every stored value converts to the new type; on SQLite the "
                         "upgrade stops if one would change"
                       : "check that every stored value converts to the new type",
               "column %s.%s changes type: the database converts the stored values", table, name);
    bb_op *op = add_op(w, BB_OP_ALTER_COLUMN);
    if (op) {
        bb_op_alter *a = &op->u.alter;
        /* On PostgreSQL the enum type itself gained the values. */
        a->not_on_postgresql = enum_only && null_same && dflt_same;
        a->name = bb_ops_name(w->ops, name);
        a->existing_type = python_of(w, bb_pyexpr_type, fc);
        if (!type_same)
            a->type = python_of(w, bb_pyexpr_type, tc);
        a->nullable = bb_ops_flag(tc->nullable);
        a->nullable_changed = !null_same;
        bool has = bb_pyexpr_has_default(tc);
        if (!dflt_same)
            a->server_default =
                has ? python_of(w, bb_pyexpr_server_default, tc) : bb_ops_python(w->ops, "None", 4);
        else if (has)
            a->existing_server_default = python_of(w, bb_pyexpr_server_default, tc);
    }
    bb_ops_note_of(w->ops, "alter column ", table, ".", name);
}

/*
 * Drops a column (inside a batch block) or, column NULL, a table (an
 * association table: the links of a many_to_many). In the upgrade,
 * without allow_destructive, the drop is refused (BB0820): the data would
 * be lost.
 */
static void drop(walk *w, const char *table, const char *column, bool association)
{
    const char *what = column ? "column" : "table";
    const char *hint = column ? "pass --allow-destructive to drop it, or keep the column (use "
                                "renamed_from to rename it)"
                       : association
                           ? "it holds the links of a many_to_many that is gone: pass "
                             "--allow-destructive to drop them"
                           : "pass --allow-destructive to drop it, or keep the table (use "
                             "renamed_from to rename it)";
    if (w->o->upgrade && !w->o->allow_destructive)
        report(w, BB_ERROR, "BB0820", column ? table : NULL, NULL, hint,
               "%s %s%s%s would be dropped with its data", what, table, column ? "." : "",
               column ? column : "");
    bb_op *op = add_op(w, column ? BB_OP_DROP_COLUMN : BB_OP_DROP_TABLE);
    if (op)
        op->u.drop.name = bb_ops_name(w->ops, column ? column : table);
    if (column)
        bb_ops_note_of(w->ops, "drop column ", table, ".", column);
    else
        bb_ops_note_of(w->ops, "drop table ", table);
}

/* The pieces of one table's changes: constraint drops (head), column
 * renames (ren) and the rest (body) of its batch block; what runs before
 * (pre) and after (post) it. */
typedef struct table_parts {
    bb_op_seq head, ren, body, pre, post;
} table_parts;

/* One `with op.batch_alter_table(table)` block of a and b; none if empty. */
static void batch(walk *w, const char *table, bb_op_seq *a, bb_op_seq *b)
{
    if (!a->n && !b->n)
        return;
    bb_op *op = add_op(w, BB_OP_BATCH);
    if (!op)
        return;
    op->u.batch.table = bb_ops_name(w->ops, table);
    bb_ops_move(&op->u.batch.ops, a);
    bb_ops_move(&op->u.batch.ops, b);
}

/* Constraints of the old table the new one lacks: indexes dropped before
 * the batch, the others at its head. */
static void drop_old_constraints(walk *w, table_parts *p, const cons_set *fs,
                                 const char *from_table, const cons_set *ts, const char *table)
{
    for (size_t k = 0; k < fs->n; k++) {
        if (cons_in(w, &fs->items[k], from_table, ts, table))
            continue;
        w->seq = fs->items[k].kind == K_INDEX ? &p->pre : &p->head;
        drop_cons(w, &fs->items[k], from_table, table);
    }
}

static void rename_columns(walk *w, table_parts *p, const bb_normview_table *ft,
                           const bb_normview_table *tt, const bb_normview_list *fcols,
                           const matching *m)
{
    const char *table = tt->id.name;
    w->seq = &p->ren;
    for (int i = 0; i < tt->n_cols; i++) {
        const bb_normview_col *tc = &tt->cols[i];
        check_rename_source(w, fcols, &tc->id, table, "column");
        if (m->from_of[i] < 0 || !m->renamed[i])
            continue;
        const bb_normview_col *fc = &ft->cols[m->from_of[i]];
        bb_op *op = add_op(w, BB_OP_RENAME_COLUMN);
        if (op) {
            op->u.rename.name = bb_ops_name(w->ops, fc->id.name);
            op->u.rename.new_name = bb_ops_name(w->ops, tc->id.name);
            op->u.rename.existing_type = python_of(w, bb_pyexpr_type, fc);
        }
        bb_ops_note_of(w->ops, "rename column ", table, ".", fc->id.name, " to ", tc->id.name);
    }
}

/* Columns only the new table has. A NOT NULL one needs a default for the
 * rows already there (BB0821); the downgrade brings it back nullable. */
static void add_new_columns(walk *w, table_parts *p, const bb_normview_table *tt, const matching *m)
{
    const char *table = tt->id.name;
    w->seq = &p->body;
    for (int i = 0; i < tt->n_cols; i++) {
        const bb_normview_col *tc = &tt->cols[i];
        if (m->from_of[i] >= 0)
            continue;
        bool soften = false;
        if (!tc->nullable && !bb_pyexpr_has_default(tc)) {
            if (w->o->upgrade)
                report(w, BB_ERROR, "BB0821", table, tc->id.name,
                       "give the column a \"default\" or \"server_default\", or make it nullable",
                       "column %s.%s is added NOT NULL without a default: existing rows would "
                       "have no value",
                       table, tc->id.name);
            else
                soften = true;
        }
        bb_op *op = add_op(w, BB_OP_ADD_COLUMN);
        if (op)
            column_of(w, tc, soften, &op->u.column);
        bb_ops_note_of(w->ops, "add column ", table, ".", tc->id.name);
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
        w->seq = ts->items[k].kind == K_INDEX ? &p->post : &p->body;
        create_cons(w, &ts->items[k], table);
    }
}

/* The parts in their order into out. SQLite's table copy cannot alter or
 * constrain a column renamed in the same batch: renames get a batch of
 * their own. */
static void emit_parts(walk *w, bb_op_seq *out, const char *table, table_parts *p)
{
    w->seq = out;
    bb_ops_move(out, &p->pre);
    if (p->ren.n) {
        batch(w, table, &p->head, &p->ren);
        batch(w, table, &(bb_op_seq){0}, &p->body);
    } else {
        batch(w, table, &p->head, &p->body);
    }
    bb_ops_move(out, &p->post);
}

static void walk_table_changes(walk *w, const bb_normview_table *ft, const bb_normview_table *tt)
{
    const char *table = tt->id.name;
    const char *from_table = ft->id.name;
    bb_normview_list fcols = bb_normview_columns(ft), tcols = bb_normview_columns(tt);
    cons_set *fs = bb_malloc(sizeof(*fs)), *ts = bb_malloc(sizeof(*ts));
    matching m;
    if (!fs || !ts || match_items(w, &fcols, &tcols, &m) != BB_OK) {
        bb_free(fs);
        bb_free(ts);
        fail(w, BB_ENOMEM);
        return;
    }
    if (ft->association && tt->association)
        match_link_columns(w, ft, tt, &m);
    if (collect_cons(ft, fs) != BB_OK || collect_cons(tt, ts) != BB_OK)
        fail(w, BB_ELIMIT);
    table_parts p;
    memset(&p, 0, sizeof(p));
    bb_op_seq *out = w->seq;
    drop_old_constraints(w, &p, fs, from_table, ts, table);
    rename_columns(w, &p, ft, tt, &fcols, &m);
    add_new_columns(w, &p, tt, &m);
    w->seq = &p.body; /* what must precede the batch goes to pre */
    for (int i = 0; i < tt->n_cols; i++)
        if (m.from_of[i] >= 0)
            walk_alter_column(w, &p.pre, table, &ft->cols[m.from_of[i]], &tt->cols[i]);
    create_new_constraints(w, &p, ts, table, fs, from_table);
    w->seq = &p.body;
    for (int k = m.n_from - 1; k >= 0; k--)
        if (!m.matched[k])
            drop(w, table, ft->cols[k].id.name, false);
    emit_parts(w, out, table, &p);
    matching_free(&m);
    bb_free(fs);
    bb_free(ts);
}

/* ---- the whole walk ---------------------------------------------------------- */

static void rename_table(walk *w, const char *from, const char *to)
{
    bb_op *op = add_op(w, BB_OP_RENAME_TABLE);
    if (op) {
        op->u.rename.name = bb_ops_name(w->ops, from);
        op->u.rename.new_name = bb_ops_name(w->ops, to);
    }
    bb_ops_note_of(w->ops, "rename table ", from, " to ", to);
}

static void walk_schemas(walk *w, const bb_normview *from, const bb_normview *to)
{
    bb_normview_list ft = bb_normview_tables(from), tt = bb_normview_tables(to);
    enum_ref *fe = bb_malloc(MAX_ENUMS * sizeof(*fe)), *te = bb_malloc(MAX_ENUMS * sizeof(*te));
    matching m;
    if (!fe || !te || match_items(w, &ft, &tt, &m) != BB_OK) {
        bb_free(fe);
        bb_free(te);
        fail(w, BB_ENOMEM);
        return;
    }
    w->from = from;
    w->to = to;
    w->tables = &m;
    match_association_tables(w, &m);
    size_t nfe = collect_enums(from, fe), nte = collect_enums(to, te);
    walk_enums_before(w, fe, nfe, te, nte);

    for (int i = 0; i < to->n_tables; i++) {
        const bb_normview_table *t = &to->tables[i];
        check_rename_source(w, &ft, &t->id, t->id.name, "table");
        if (m.from_of[i] >= 0 && m.renamed[i])
            rename_table(w, from->tables[m.from_of[i]].id.name, t->id.name);
    }
    for (int i = 0; i < to->n_tables; i++)
        if (m.from_of[i] < 0)
            create_table(w, &to->tables[i]);
    for (int i = 0; i < to->n_tables; i++)
        if (m.from_of[i] < 0)
            late_fks(w, &to->tables[i], true);
    for (int i = 0; i < to->n_tables; i++)
        if (m.from_of[i] >= 0)
            walk_table_changes(w, &from->tables[m.from_of[i]], &to->tables[i]);
    for (int k = 0; k < m.n_from; k++)
        if (!m.matched[k])
            late_fks(w, &from->tables[k], false);
    for (int k = m.n_from - 1; k >= 0; k--) {
        if (!m.matched[k])
            drop(w, from->tables[k].id.name, NULL, from->tables[k].association);
    }
    walk_enums_after(w, fe, nfe, te, nte);
    matching_free(&m);
    bb_free(fe);
    bb_free(te);
}

int bb_diff(const bb_normview *from, const bb_normview *to, const bb_diff_opts *o, bb_diags *diags,
            bb_ops *out, size_t *n_refused)
{
    walk w;
    memset(&w, 0, sizeof(w));
    w.ops = out;
    w.seq = &out->ops;
    w.diags = diags;
    w.o = o;
    bb_buf_init(&w.scratch[0], TEXT_SMALL * 16);
    bb_buf_init(&w.scratch[1], TEXT_SMALL * 16);
    walk_schemas(&w, from, to);
    bb_buf_free(&w.scratch[0]);
    bb_buf_free(&w.scratch[1]);
    *n_refused = w.n_refused;
    return w.rc ? w.rc : out->rc;
}
