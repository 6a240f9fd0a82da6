/* arch.c - the architect's state and shared helpers (see arch.h). */
#include "plan/arch.h"

#include "base/pylit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The value of a proposal, NULL when there is none. */
const char *bb_arch_advice_value(const bb_plan_decision *d)
{
    return d ? d->value : NULL;
}

/* ---- state and memory ---------------------------------------------------------- */

void bb_arch_fail(bb_arch *a, int rc)
{
    if (!a->rc)
        a->rc = rc;
}

/* Where writes go after a failure, so the planner reads straight through. */
static void *sink(bb_arch *a, size_t size)
{
    if (!a->rc)
        bb_arch_fail(a, BB_ENOMEM);
    if (size > sizeof(a->sink))
        abort(); /* a plan struct larger than the sink: make the sink larger */
    memset(a->sink, 0, size);
    return a->sink;
}

void *bb_arch_new(bb_arch *a, size_t size)
{
    void *o = a->rc ? NULL : bb_plan_alloc(a->plan, size);
    return o ? o : sink(a, size);
}

void *bb_arch_push(bb_arch *a, void *list, size_t size)
{
    void *e = a->rc ? NULL : bb_plan_list_push(a->plan, list, size);
    return e ? e : sink(a, size);
}

void bb_arch_push_str(bb_arch *a, bb_plan_strs *l, const char *s)
{
    *BB_ARCH_PUSH(a, *l) = s;
}

/* Whether two strings are equal, trying the pointer and first byte before
 * strcmp (most names differ at once, many modules are the same literal). */
static bool same_str(const char *x, const char *y)
{
    return x == y || (*x == *y && !strcmp(x, y));
}

void bb_arch_import(bb_arch *a, bb_plan_imports *im, const char *module, const char *name)
{
    if (a->rc || !im)
        return;
    for (size_t i = 0; i < im->n; i++) {
        const bb_plan_import *it = &im->v[i];
        if ((name ? it->name && same_str(it->name, name) : !it->name) &&
            same_str(it->module, module))
            return;
    }
    bb_plan_import *it = BB_ARCH_PUSH(a, *im);
    it->module = module;
    it->name = name;
}

/* ---- text ------------------------------------------------------------------------ */

/* The scratch buffer, emptied. Only helpers that call no other helper
 * while they fill it use it, so it is never in use twice. */
static bb_buf *scratch(bb_arch *a)
{
    bb_buf_reset(&a->scratch);
    return &a->scratch;
}

/* Copies the first n bytes of b into the arena and empties b (keeping its
 * memory); "" and a->rc set when rc or the copy fails. */
static const char *keep_n(bb_arch *a, bb_buf *b, int rc, size_t n)
{
    char *p = NULL;
    if (!rc) {
        p = bb_arena_strndup(&a->plan->arena, bb_buf_str(b), n);
        if (!p)
            rc = BB_ENOMEM;
    }
    bb_buf_reset(b);
    if (rc) {
        bb_arch_fail(a, rc);
        return "";
    }
    return p;
}

/* Copies a buffer's text into the arena, dropping one trailing newline. */
static const char *keep(bb_arch *a, bb_buf *b, int rc)
{
    size_t n = b->len;
    if (n && b->data[n - 1] == '\n')
        n--;
    return keep_n(a, b, rc, n);
}

const char *bb_arch_fmt(bb_arch *a, const char *f, ...)
{
    if (a->rc)
        return "";
    bb_buf *b = scratch(a);
    va_list ap;
    va_start(ap, f);
    int rc = bb_buf_vprintf(b, f, ap);
    va_end(ap);
    return keep_n(a, b, rc, b->len);
}

/* f's text for s (a pylit conversion), kept in the arena. */
static const char *convert(bb_arch *a, int (*f)(bb_buf *, const char *), const char *s)
{
    bb_buf *b = scratch(a);
    return keep(a, b, a->rc ? a->rc : f(b, s));
}

const char *bb_arch_lit(bb_arch *a, const char *s)
{
    return convert(a, bb_pylit_str, s);
}

const char *bb_arch_snake(bb_arch *a, const char *s)
{
    return convert(a, bb_pylit_snake, s);
}

const char *bb_arch_capwords(bb_arch *a, const char *s)
{
    return convert(a, bb_pylit_capwords, s);
}

const char *bb_arch_constant(bb_arch *a, const char *s)
{
    return convert(a, bb_pylit_constant, s);
}

const char *bb_arch_comment(bb_arch *a, const char *s)
{
    return convert(a, bb_pylit_comment, s);
}

/* A TOML basic string: double quotes, \" and \\ escaped, control
 * characters as \uXXXX. */
const char *bb_arch_toml(bb_arch *a, const char *s)
{
    bb_buf *b = scratch(a);
    int rc = a->rc;
    if (!rc)
        rc = bb_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
        if (*p == '"' || *p == '\\')
            rc = bb_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7F)
            rc = bb_buf_printf(b, "\\u%04x", *p);
        else
            rc = bb_buf_putc(b, (char)*p);
    }
    if (!rc)
        rc = bb_buf_puts(b, "\"\n");
    return keep(a, b, rc);
}

/* A docstring block at indent, "" when s is blank. */
const char *bb_arch_docstring(bb_arch *a, const char *s, int indent)
{
    bb_buf *b = scratch(a);
    return keep(a, b, a->rc ? a->rc : bb_pylit_docstring(b, s, indent));
}

const char *bb_arch_join(bb_arch *a, const bb_plan_strs *l, const char *sep)
{
    bb_buf *b = scratch(a);
    int rc = a->rc;
    for (size_t i = 0; !rc && i < l->n; i++) {
        if (i)
            rc = bb_buf_puts(b, sep);
        if (!rc)
            rc = bb_buf_puts(b, l->v[i]);
    }
    return keep_n(a, b, rc, b->len);
}

/* Compares as isort does: case-insensitively, and "naturally" (runs of
 * digits by value, so t9 comes before t10). */
static int lower_cmp(const char *x, const char *y)
{
    for (;;) {
        if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
            const char *p = x, *q = y;
            while (*p == '0')
                p++;
            while (*q == '0')
                q++;
            size_t np = 0, nq = 0;
            while (p[np] >= '0' && p[np] <= '9')
                np++;
            while (q[nq] >= '0' && q[nq] <= '9')
                nq++;
            if (np != nq)
                return np < nq ? -1 : 1;
            int c = strncmp(p, q, np);
            if (c)
                return c;
            x = p + np;
            y = q + nq;
            continue;
        }
        int cx = (*x >= 'A' && *x <= 'Z') ? *x + 32 : (unsigned char)*x;
        int cy = (*y >= 'A' && *y <= 'Z') ? *y + 32 : (unsigned char)*y;
        if (cx != cy || !cx)
            return cx - cy;
        x++;
        y++;
    }
}

/* isort's order_by_type: CONSTANTS, then Classes, then the rest. */
static int name_rank(const char *n)
{
    bool upper = true;
    for (const char *p = n; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            upper = false;
    if (upper && strlen(n) > 1)
        return 0;
    return (*n >= 'A' && *n <= 'Z') ? 1 : 2;
}

/* Names of the same rank: case-insensitively, then as bytes. */
static int ranked_cmp(const char *p, const char *q)
{
    int c = lower_cmp(p, q);
    return c ? c : strcmp(p, q);
}

static int name_cmp(const void *x, const void *y)
{
    const char *p = *(const char *const *)x, *q = *(const char *const *)y;
    int rp = name_rank(p), rq = name_rank(q);
    return rp != rq ? rp - rq : ranked_cmp(p, q);
}

void bb_arch_sort_names(bb_plan_strs *l)
{
    if (l->n)
        qsort(l->v, l->n, sizeof(l->v[0]), name_cmp);
}

static int import_cmp(const void *x, const void *y)
{
    const bb_plan_import *p = x, *q = y;
    int c = ranked_cmp(p->module, q->module);
    return c ? c : ranked_cmp(p->name ? p->name : "", q->name ? q->name : "");
}

void bb_arch_sort_imports(bb_plan_imports *im)
{
    if (im->n)
        qsort(im->v, im->n, sizeof(im->v[0]), import_cmp);
}

/* The accepted proposal of kind for table (and column, when not NULL), or
 * NULL. Without --llm advise there is none, and the plan is as always. */
const bb_plan_decision *bb_arch_advice(bb_arch *a, const char *kind, const char *table,
                                       const char *column)
{
    for (size_t i = 0; a->advice && i < a->advice->n; i++) {
        const bb_plan_decision *d = &a->advice->v[i];
        if (d->kind && d->table && !strcmp(d->kind, kind) && !strcmp(d->table, table) &&
            (!column || (d->column && !strcmp(d->column, column))))
            return d;
    }
    return NULL;
}

/* The column that defines c's bb_arch_storage: c itself, or the column its foreign
 * key references when the validator has not copied the type over. */
const bb_column *bb_arch_storage(bb_arch *a, const bb_column *c)
{
    if (c->fk_target && (c->type == BB_TYPE_FOREIGNKEY || c->type == BB_TYPE_UNKNOWN)) {
        int ti =
            c->fk_table_index >= 0 ? c->fk_table_index : bb_schema_table_index(a->s, c->fk_table);
        if (ti >= 0) {
            const bb_table *t = &a->s->tables[ti];
            int ci = c->fk_column_index >= 0 ? c->fk_column_index
                                             : bb_table_column_index(t, c->fk_column);
            if (ci >= 0 && t->columns[ci].type != BB_TYPE_FOREIGNKEY)
                return &t->columns[ci];
        }
    }
    return c;
}

bb_col_type bb_arch_type_of(bb_arch *a, const bb_column *c)
{
    bb_col_type t = bb_arch_storage(a, c)->type;
    return t == BB_TYPE_FOREIGNKEY || t == BB_TYPE_UNKNOWN ? BB_TYPE_INTEGER : t;
}

/* The table index and column index an FK column references, or -1 (and
 * *col -1). */
int bb_arch_fk_target(bb_arch *a, const bb_column *c, int *col)
{
    int ti, ci;
    *col = -1;
    if (!c->fk_target)
        return -1;
    ti = c->fk_table_index >= 0 ? c->fk_table_index : bb_schema_table_index(a->s, c->fk_table);
    if (ti < 0)
        return -1;
    ci = c->fk_column_index >= 0 ? c->fk_column_index
                                 : bb_table_column_index(&a->s->tables[ti], c->fk_column);
    if (ci < 0)
        return -1;
    *col = ci;
    return ti;
}

/* The table and column whose enum defines column ci of table ti: the one
 * its foreign key references when that is an enum, else itself. */
static void enum_owner(bb_arch *a, int *ti, int *ci)
{
    int tci, tti = bb_arch_fk_target(a, &a->s->tables[*ti].columns[*ci], &tci);
    if (tti >= 0 && a->t[tti].enum_class[tci]) {
        *ti = tti;
        *ci = tci;
    }
}

const char *bb_arch_enum_class(bb_arch *a, int ti, int ci)
{
    enum_owner(a, &ti, &ci);
    return a->t[ti].enum_class[ci];
}

const bb_column *bb_arch_enum_source(bb_arch *a, int ti, int ci)
{
    enum_owner(a, &ti, &ci);
    return &a->s->tables[ti].columns[ci];
}

const char **bb_arch_enum_members(bb_arch *a, int ti, int ci)
{
    enum_owner(a, &ti, &ci);
    return a->t[ti].members[ci];
}

/*
 * Per storage type: the Python type of a column's values and the
 * SQLAlchemy type, each with the module it is imported from (NULL: a
 * builtin). sa_expr is the expression when it is not the name itself. The
 * types whose expression depends on the column (lengths, time zones,
 * enums, ...) have their own cases in bb_arch_sa_type().
 */
typedef struct type_names {
    const char *py, *py_module;
    const char *sa, *sa_module, *sa_expr;
} type_names;

static const type_names by_type[] = {
    [BB_TYPE_INTEGER] = {"int", NULL, "Integer", "sqlalchemy", NULL},
    [BB_TYPE_BIGINTEGER] = {"int", NULL, "BigInteger", "sqlalchemy", NULL},
    [BB_TYPE_SMALLINTEGER] = {"int", NULL, "SmallInteger", "sqlalchemy", NULL},
    [BB_TYPE_STRING] = {"str", NULL, "String", "sqlalchemy", NULL},
    [BB_TYPE_TEXT] = {"str", NULL, "Text", "sqlalchemy", NULL},
    [BB_TYPE_BOOLEAN] = {"bool", NULL, "Boolean", "sqlalchemy", NULL},
    [BB_TYPE_DATETIME] = {"datetime", "datetime", "DateTime", "sqlalchemy", NULL},
    [BB_TYPE_DATE] = {"date", "datetime", "Date", "sqlalchemy", NULL},
    [BB_TYPE_TIME] = {"time", "datetime", "Time", "sqlalchemy", NULL},
    [BB_TYPE_NUMERIC] = {"Decimal", "decimal", "Numeric", "sqlalchemy", NULL},
    [BB_TYPE_FLOAT] = {"float", NULL, "Float", "sqlalchemy", NULL},
    [BB_TYPE_ENUM] = {NULL, "app.enums", "Enum", "sqlalchemy", NULL},
    [BB_TYPE_JSON] = {"Any", "typing", "JSON", "sqlalchemy", NULL},
    [BB_TYPE_UUID] = {"UUID", "uuid", "GUID", "app.core.types", "GUID()"},
    [BB_TYPE_LARGEBINARY] = {"bytes", NULL, "LargeBinary", "sqlalchemy", NULL},
    [BB_TYPE_INTERVAL] = {"timedelta", "datetime", "Interval", "sqlalchemy", NULL},
};

/* The names of type t; a type without its own (none is stored) is an
 * integer's. */
static const type_names *names_of(bb_col_type t)
{
    bool known = (size_t)t < sizeof(by_type) / sizeof(by_type[0]) && by_type[t].sa;
    return &by_type[known ? t : BB_TYPE_INTEGER];
}

/* The Python type of a column's values, importing what it needs. */
const char *bb_arch_py_type(bb_arch *a, int ti, int ci, bb_plan_imports *im)
{
    bb_col_type t = bb_arch_type_of(a, &a->s->tables[ti].columns[ci]);
    const type_names *n = names_of(t);
    const char *name = t == BB_TYPE_ENUM ? bb_arch_enum_class(a, ti, ci) : n->py;
    if (n->py_module)
        bb_arch_import(a, im, n->py_module, name);
    return name;
}

/* The type a request takes for an integer column: int bounded by the range
 * of the column's type (app.schemas.compat), so that a value the database
 * would refuse is a 422. Other columns: their Python type. */
const char *bb_arch_request_type(bb_arch *a, int ti, int ci, bb_plan_imports *im)
{
    const char *name;
    switch (bb_arch_type_of(a, &a->s->tables[ti].columns[ci])) {
    case BB_TYPE_INTEGER:
        name = "Int32";
        break;
    case BB_TYPE_BIGINTEGER:
        name = "Int64";
        break;
    case BB_TYPE_SMALLINTEGER:
        name = "Int16";
        break;
    default:
        return bb_arch_py_type(a, ti, ci, im);
    }
    bb_arch_import(a, im, "app.schemas.compat", name);
    return name;
}

/* The SQLAlchemy type expression of a column, importing what it needs. */
const char *bb_arch_sa_type(bb_arch *a, int ti, int ci, bb_plan_imports *im)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    const bb_column *st = bb_arch_storage(a, c);
    bb_col_type t = bb_arch_type_of(a, c);
    const type_names *n = names_of(t);
    bb_arch_import(a, im, n->sa_module, n->sa);
    switch (t) {
    case BB_TYPE_BIGINTEGER:
    case BB_TYPE_SMALLINTEGER:
        /* SQLite autoincrements only an INTEGER PRIMARY KEY. */
        if (bb_arch_generated_pk(a, ti, ci)) {
            bb_arch_import(a, im, "sqlalchemy", "Integer");
            return bb_arch_fmt(a, "%s().with_variant(Integer, \"sqlite\")", n->sa);
        }
        return n->sa;
    case BB_TYPE_STRING:
        return st->length > 0 ? bb_arch_fmt(a, "String(%d)", st->length) : "String";
    case BB_TYPE_DATETIME:
        return st->timezone ? "DateTime(timezone=True)" : "DateTime";
    case BB_TYPE_NUMERIC:
        if (st->precision > 0 && st->scale >= 0)
            return bb_arch_fmt(a, "Numeric(%d, %d)", st->precision, st->scale);
        if (st->precision > 0)
            return bb_arch_fmt(a, "Numeric(%d)", st->precision);
        return "Numeric";
    case BB_TYPE_ENUM: {
        const bb_column *src = bb_arch_enum_source(a, ti, ci);
        const char *cls = bb_arch_enum_class(a, ti, ci);
        int sti = ti;
        int sci;
        if (src != c)
            sti = bb_arch_fk_target(a, c, &sci);
        bb_arch_import(a, im, "app.enums", cls);
        bb_arch_import(a, im, "app.enums", "enum_values");
        return bb_arch_fmt(a, "Enum(%s, name=\"%s_%s\", values_callable=enum_values)", cls,
                           a->s->tables[sti].table_name, src->name);
    }
    default:
        return n->sa_expr ? n->sa_expr : n->sa;
    }
}

/* Whether a column type can be compared for equality in a filter. */
bool bb_arch_filterable(bb_col_type t)
{
    return t != BB_TYPE_JSON && t != BB_TYPE_LARGEBINARY && t != BB_TYPE_INTERVAL &&
           t != BB_TYPE_FLOAT;
}

/* Whether a column type is worth sorting on. */
bool bb_arch_sortable(bb_col_type t)
{
    return bb_arch_filterable(t) && t != BB_TYPE_TEXT && t != BB_TYPE_UUID;
}

bool bb_arch_is_integer(bb_col_type t)
{
    return t == BB_TYPE_INTEGER || t == BB_TYPE_BIGINTEGER || t == BB_TYPE_SMALLINTEGER;
}

/* The Python literal of a column's default, NULL when none applies. */
const char *bb_arch_default_literal(bb_arch *a, int ti, int ci, bb_plan_imports *im)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    const bb_value *v = &c->default_value;
    bb_col_type t = bb_arch_type_of(a, c);
    switch (v->kind) {
    case BB_VALUE_BOOL:
        return t == BB_TYPE_BOOLEAN ? (v->b ? "True" : "False") : NULL;
    case BB_VALUE_INT:
    case BB_VALUE_NUMBER:
        if (t == BB_TYPE_NUMERIC) {
            bb_arch_import(a, im, "decimal", "Decimal");
            return bb_arch_fmt(a, "Decimal(%s)", bb_arch_lit(a, v->text ? v->text : "0"));
        }
        if (t == BB_TYPE_FLOAT ||
            (v->kind == BB_VALUE_INT &&
             (t == BB_TYPE_INTEGER || t == BB_TYPE_BIGINTEGER || t == BB_TYPE_SMALLINTEGER)))
            return v->text ? v->text : bb_arch_fmt(a, "%lld", v->i);
        return NULL;
    case BB_VALUE_STRING:
        if (t == BB_TYPE_STRING || t == BB_TYPE_TEXT)
            return bb_arch_lit(a, v->s);
        if (t == BB_TYPE_ENUM) {
            const bb_column *src = bb_arch_enum_source(a, ti, ci);
            const char *cls = bb_arch_enum_class(a, ti, ci);
            const char **names = bb_arch_enum_members(a, ti, ci);
            for (size_t i = 0; names && i < src->n_enum_values; i++)
                if (!strcmp(src->enum_values[i], v->s)) {
                    bb_arch_import(a, im, "app.enums", cls);
                    return bb_arch_fmt(a, "%s.%s", cls, names[i]);
                }
        }
        return NULL;
    default:
        return NULL;
    }
}

/* The primary key the database generates: an integer autoincrement or a
 * UUID made by the model (never part of a composite key). */
bool bb_arch_generated_pk(bb_arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    bb_col_type t = bb_arch_type_of(a, c);
    return c->primary_key && !c->fk_target && a->t[ti].pk == ci &&
           ((bb_arch_is_integer(t) && (c->autoincrement || !c->autoincrement_given)) ||
            t == BB_TYPE_UUID);
}

/* Whether the database (or the model) fills the column when it is omitted. */
bool bb_arch_has_default(bb_arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    bb_plan_imports scratch = {0};
    if (c->server_default || bb_arch_generated_pk(a, ti, ci))
        return true;
    return bb_arch_default_literal(a, ti, ci, &scratch) != NULL;
}

/*
 * The Python literal of the model's example value for column ci, NULL when
 * none was advised or it does not read as a value of the column's type
 * (numbers for integers, true/false for booleans; other types as strings).
 */
const char *bb_arch_example_literal(bb_arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    const char *v =
        bb_arch_advice_value(bb_arch_advice(a, "example", a->s->tables[ti].table_name, c->name));
    if (!v || !*v)
        return NULL;
    switch (bb_arch_type_of(a, c)) {
    case BB_TYPE_INTEGER:
    case BB_TYPE_BIGINTEGER:
    case BB_TYPE_SMALLINTEGER: {
        char *end;
        long long n;
        errno = 0;
        n = strtoll(v, &end, 10);
        if (errno || *end || end == v)
            return NULL;
        if (bb_arch_type_of(a, c) == BB_TYPE_SMALLINTEGER ? (n < -32768 || n > 32767)
            : bb_arch_type_of(a, c) == BB_TYPE_INTEGER    ? (n < -2147483648LL || n > 2147483647LL)
                                                          : false)
            return NULL;
        return bb_arch_fmt(a, "%lld", n);
    }
    case BB_TYPE_BOOLEAN:
        return !strcmp(v, "true") ? "True" : !strcmp(v, "false") ? "False" : NULL;
    case BB_TYPE_JSON:
    case BB_TYPE_LARGEBINARY:
        return NULL;
    case BB_TYPE_ENUM: {
        const bb_column *src = bb_arch_enum_source(a, ti, ci);
        for (size_t i = 0; i < src->n_enum_values; i++)
            if (!strcmp(src->enum_values[i], v))
                return bb_arch_lit(a, v);
        return NULL;
    }
    case BB_TYPE_STRING:
        if (bb_arch_storage(a, c)->length > 0) {
            size_t chars = 0;
            for (const char *p = v; *p; p++)
                chars += ((unsigned char)*p & 0xC0) != 0x80;
            if (chars > (size_t)bb_arch_storage(a, c)->length)
                return NULL;
        }
        return bb_arch_lit(a, v);
    default:
        return bb_arch_lit(a, v);
    }
}

/*
 * Whether the tests may send the example instead of their own value: a
 * string, enum, boolean or integer that no key, unique constraint or check
 * involves (the tests need unique rows and cannot know what a check allows).
 */
bool bb_arch_example_for_tests(bb_arch *a, int ti, int ci)
{
    const bb_table *t = &a->s->tables[ti];
    const bb_column *c = &t->columns[ci];
    bb_col_type bt = bb_arch_type_of(a, c);
    if (c->primary_key || c->fk_target || c->unique ||
        !(bt == BB_TYPE_STRING || bt == BB_TYPE_TEXT || bt == BB_TYPE_ENUM ||
          bt == BB_TYPE_BOOLEAN || bb_arch_is_integer(bt)))
        return false;
    for (size_t i = 0; i < t->n_uniques; i++)
        for (size_t k = 0; k < t->uniques[i].n_columns; k++)
            if (!strcmp(t->uniques[i].columns[k], c->name))
                return false;
    for (size_t i = 0; i < t->n_indexes; i++)
        for (size_t k = 0; t->indexes[i].unique && k < t->indexes[i].n_columns; k++)
            if (!strcmp(t->indexes[i].columns[k], c->name))
                return false;
    for (size_t i = 0; i < t->n_checks; i++)
        if (t->checks[i].expression && strstr(t->checks[i].expression, c->name))
            return false;
    return bb_arch_example_literal(a, ti, ci) != NULL;
}

const char *bb_arch_rel_attr(const bb_relationship *r)
{
    return r->attr_name ? r->attr_name : r->name ? r->name : r->target_table;
}

int bb_arch_rel_target(bb_arch *a, const bb_relationship *r)
{
    return r->target_index >= 0 ? r->target_index : bb_schema_table_index(a->s, r->target_table);
}

size_t bb_arch_m2m_of(bb_arch *a, int ti, bb_arch_m2m *out, size_t max, bb_plan_imports *im)
{
    const bb_table *t = &a->s->tables[ti];
    size_t n = 0;
    for (size_t r = 0; r < t->n_rels && n < max; r++) {
        const bb_relationship *rel = &t->rels[r];
        int target = bb_arch_rel_target(a, rel);
        if (rel->kind != BB_REL_MANY_TO_MANY || target < 0 || a->t[target].pk < 0)
            continue;
        bb_arch_m2m *m = &out[n++];
        m->attr = bb_arch_rel_attr(rel);
        m->target = target;
        m->target_class = a->s->tables[target].class_name;
        m->target_module = a->s->tables[target].table_name;
        m->target_pk = a->s->tables[target].columns[a->t[target].pk].name;
        m->id_type = bb_arch_py_type(a, target, a->t[target].pk, im);
        /* "tags" -> "tag_ids"; otherwise "<attr>_ids". */
        size_t len = strlen(m->attr);
        if (len > 1 && m->attr[len - 1] == 's')
            m->ids = bb_arch_fmt(a, "%.*s_ids", (int)(len - 1), m->attr);
        else
            m->ids = bb_arch_fmt(a, "%s_ids", m->attr);
    }
    return n;
}

/* The column names of a constraint as string literals, comma-separated. */
const char *bb_arch_name_list(bb_arch *a, const char *const *cols, size_t n, const char *sep,
                              bool quoted)
{
    bb_plan_strs l = {0};
    for (size_t i = 0; i < n; i++)
        bb_arch_push_str(a, &l, quoted ? bb_arch_lit(a, cols[i]) : cols[i]);
    return bb_arch_join(a, &l, sep);
}
