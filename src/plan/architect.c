/*
 * architect.c - the architect stage: a validated schema in, the plan out
 * (docs/plan.md). Every decision about the generated project is made here;
 * the templates only place the precomputed text.
 *
 * Strings are built in an arena that lives for one call; cJSON copies what
 * it keeps. Errors are sticky (a->rc): helpers return "" after a failure so
 * the code reads straight through, and the result is checked once at the end.
 */
#include "plan/architect.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/pylit.h"
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_MAX ((size_t)256 << 20)
#define CODE_MAX ((size_t)1 << 20)
#define API_PREFIX "/api/v1"

typedef struct list {
    const char **v;
    size_t n, cap;
} list;

typedef struct import_item {
    const char *module;
    const char *name; /* NULL: `import module` */
    int section;      /* section_of(module), computed once for the sort */
    int rank;         /* name_rank(name) */
} import_item;

typedef struct imports {
    import_item *v;
    size_t n, cap;
} imports;

/* What the planner derives once per table. */
typedef struct tinfo {
    const char *snake; /* "order_item": route function names */
    int pk;            /* the single primary key column, -1 when not one */
    int *keys;         /* the primary key columns, in table order */
    size_t n_keys;
    bool routes;             /* gets CRUD routes and tests (has a primary key) */
    const char **enum_class; /* per column; NULL when not an enum */
    const char ***members;   /* per enum column: its members' names, by value */
    const char *route;       /* "/posts", or the advised route path */
    const char *api_path;    /* "/api/v1/posts" */
    int model_index;         /* index in plan.models */
} tinfo;

typedef struct arch {
    const bb_schema *s;
    bb_diags *diags;
    bb_arena *arena; /* the plan's: every string the planner makes lives in it */
    bb_plan *plan;
    tinfo *t;
    const bb_plan_advice *advice; /* accepted model proposals, NULL without */
    bb_buf scratch;               /* where the leaf helpers build text before keep() */
    int rc;
    bool uses_uuid, uses_timestamps, uses_soft_delete, has_assoc, uses_search;
    _Alignas(max_align_t) char sink[2048]; /* see sink() */
} arch;

/* ---- small helpers ------------------------------------------------------ */

static void fail(arch *a, int rc)
{
    if (!a->rc)
        a->rc = rc;
}

/* The scratch buffer, emptied. Only helpers that call no other helper
 * while they fill it use it, so it is never in use twice. */
static bb_buf *scratch(arch *a)
{
    bb_buf_reset(&a->scratch);
    return &a->scratch;
}

/* Copies the first n bytes of b into the arena and empties b (keeping its
 * memory); "" and a->rc set when rc or the copy fails. */
static const char *keep_n(arch *a, bb_buf *b, int rc, size_t n)
{
    char *p = NULL;
    if (!rc) {
        p = bb_arena_strndup(a->arena, bb_buf_str(b), n);
        if (!p)
            rc = BB_ENOMEM;
    }
    bb_buf_reset(b);
    if (rc) {
        fail(a, rc);
        return "";
    }
    return p;
}

/* Copies a buffer's text into the arena, dropping one trailing newline. */
static const char *keep(arch *a, bb_buf *b, int rc)
{
    size_t n = b->len;
    if (n && b->data[n - 1] == '\n')
        n--;
    return keep_n(a, b, rc, n);
}

/*
 * Appends f with its arguments to b. The conversions the planner uses
 * (%s, %.*s, %d, %lld, %zu, %%) are done here, as printf does them but
 * without its cost per call and per character; any other format goes to
 * bb_buf_vprintf whole.
 */
static int vformat(bb_buf *b, const char *f, va_list ap)
{
    const char *f0 = f;
    size_t start = b->len;
    va_list ap0;
    int rc = BB_OK;
    va_copy(ap0, ap);
    while (!rc && *f) {
        const char *run = f, *s;
        while (*f && *f != '%')
            f++;
        if (f > run && (rc = bb_buf_append(b, run, (size_t)(f - run))))
            break;
        if (!*f)
            break;
        f++; /* the '%' */
        if (*f == 's') {
            s = va_arg(ap, const char *);
            rc = bb_buf_puts(b, s ? s : "(null)");
            f++;
        } else if (!strncmp(f, ".*s", 3)) {
            int n = va_arg(ap, int);
            s = va_arg(ap, const char *);
            rc = bb_buf_append(b, s, n < 0 ? strlen(s) : strnlen(s, (size_t)n));
            f += 3;
        } else if (*f == 'd') {
            rc = bb_buf_put_int(b, va_arg(ap, int));
            f++;
        } else if (!strncmp(f, "lld", 3)) {
            rc = bb_buf_put_int(b, va_arg(ap, long long));
            f += 3;
        } else if (!strncmp(f, "zu", 2)) {
            rc = bb_buf_put_uint(b, va_arg(ap, size_t));
            f += 2;
        } else if (*f == '%') {
            rc = bb_buf_putc(b, '%');
            f++;
        } else {
            b->len = start; /* undo, and let printf do it all */
            if (b->data)
                b->data[start] = '\0';
            rc = bb_buf_vprintf(b, f0, ap0);
            break;
        }
    }
    va_end(ap0);
    return rc;
}

/* A piece of fmt()'s text: a run of the format or a string argument. */
typedef struct piece {
    const char *s;
    size_t n;
} piece;

#define FMT_PIECES 24

/*
 * Splits f into the pieces of its text when it holds only %s, %.*s and %%
 * (nearly every format here). Returns the number of pieces and their total
 * length, or SIZE_MAX when f needs vformat (a number, too many pieces).
 */
static size_t split_format(const char *f, va_list ap, piece *p, size_t *total)
{
    size_t n = 0;
    *total = 0;
    while (*f) {
        const char *run = f;
        if (n == FMT_PIECES)
            return SIZE_MAX;
        while (*f && *f != '%')
            f++;
        if (f > run) {
            p[n].s = run;
            p[n].n = (size_t)(f - run);
        } else if (f[1] == 's') {
            const char *s = va_arg(ap, const char *);
            p[n].s = s ? s : "(null)";
            p[n].n = strlen(p[n].s);
            f += 2;
        } else if (f[1] == '%') {
            p[n].s = f + 1;
            p[n].n = 1;
            f += 2;
        } else if (!strncmp(f + 1, ".*s", 3)) {
            int w = va_arg(ap, int);
            p[n].s = va_arg(ap, const char *);
            p[n].n = w < 0 ? strlen(p[n].s) : strnlen(p[n].s, (size_t)w);
            f += 4;
        } else {
            return SIZE_MAX;
        }
        *total += p[n++].n;
    }
    return n;
}

/*
 * printf-style text kept in the arena ("" after a failure). The text of a
 * format of strings is measured, then copied once into its place.
 */
static const char *fmt(arch *a, const char *f, ...) BB_PRINTF(2, 3);
static const char *fmt(arch *a, const char *f, ...)
{
    piece p[FMT_PIECES];
    size_t n, total;
    char *d;
    va_list ap;
    int rc;
    if (a->rc)
        return "";
    va_start(ap, f);
    n = split_format(f, ap, p, &total);
    va_end(ap);
    if (n == SIZE_MAX) {
        bb_buf *b = scratch(a);
        va_start(ap, f);
        rc = vformat(b, f, ap);
        va_end(ap);
        return keep_n(a, b, rc, b->len);
    }
    if (total > CODE_MAX) {
        fail(a, BB_ELIMIT);
        return "";
    }
    d = bb_arena_alloc_bytes(a->arena, total + 1);
    if (!d) {
        fail(a, BB_ENOMEM);
        return "";
    }
    for (size_t i = 0, at = 0; i < n; at += p[i++].n)
        memcpy(d + at, p[i].s, p[i].n);
    d[total] = '\0';
    return d;
}

/* f's text for s (a pylit conversion), kept in the arena. */
static const char *convert(arch *a, int (*f)(bb_buf *, const char *), const char *s)
{
    bb_buf *b = scratch(a);
    return keep(a, b, a->rc ? a->rc : f(b, s));
}

static const char *lit(arch *a, const char *s)
{
    return convert(a, bb_pylit_str, s);
}

static const char *snake(arch *a, const char *s)
{
    return convert(a, bb_pylit_snake, s);
}

static const char *capwords(arch *a, const char *s)
{
    return convert(a, bb_pylit_capwords, s);
}

static const char *constant(arch *a, const char *s)
{
    return convert(a, bb_pylit_constant, s);
}

static const char *comment_text(arch *a, const char *s)
{
    return convert(a, bb_pylit_comment, s);
}

/* A TOML basic string: double quotes, \" and \\ escaped, control
 * characters as \uXXXX. */
static const char *toml_str(arch *a, const char *s)
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
static const char *docstring(arch *a, const char *s, int indent)
{
    bb_buf *b = scratch(a);
    return keep(a, b, a->rc ? a->rc : bb_pylit_docstring(b, s, indent));
}

/* One logical line wrapped as Black would, without its final newline. */
static const char *wrap(arch *a, int indent, const char *flat)
{
    size_t n;
    bb_buf *b;
    if (a->rc)
        return "";
    n = strlen(flat);
    /* Most lines fit, and the wrapper would only indent them: at indent 0
     * the line is its own result (both live as long as the arena). */
    if (indent >= 0 && (size_t)indent + n <= BB_PY_LINE) {
        char *p;
        if (!indent)
            return flat;
        p = bb_arena_alloc_bytes(a->arena, (size_t)indent + n + 1);
        if (!p) {
            fail(a, BB_ENOMEM);
            return "";
        }
        memset(p, ' ', (size_t)indent);
        memcpy(p + indent, flat, n + 1);
        return p;
    }
    b = scratch(a);
    return keep(a, b, bb_pylit_wrap(b, indent, flat, false));
}

static void list_add(arch *a, list *l, const char *s)
{
    if (a->rc)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        const char **v = bb_arena_alloc(a->arena, cap * sizeof(*v));
        if (!v) {
            fail(a, BB_ENOMEM);
            return;
        }
        if (l->n)
            memcpy(v, l->v, l->n * sizeof(*v));
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
}

static const char *join(arch *a, const list *l, const char *sep)
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

/* "head(" + items joined by ", " + ")" + tail, wrapped at indent. */
static const char *call(arch *a, int indent, const char *head, const list *items, const char *tail)
{
    return wrap(a, indent, fmt(a, "%s(%s)%s", head, join(a, items, ", "), tail));
}

/* ---- plan objects ------------------------------------------------------------ */

/* Where writes go after a failure, so the planner reads straight through. */
static void *sink(arch *a, size_t size)
{
    if (!a->rc)
        fail(a, BB_ENOMEM);
    if (size > sizeof(a->sink))
        abort(); /* a plan struct larger than the sink: raise its size */
    memset(a->sink, 0, size);
    return a->sink;
}

/* A zeroed element appended to list (any BB_PLAN_LIST). */
static void *push_elem(arch *a, void *to, size_t size)
{
    void *e = a->rc ? NULL : bb_plan_list_push(a->plan, to, size);
    return e ? e : sink(a, size);
}

#define PUSH(a, list) ((__typeof__((list).v))push_elem(a, &(list), sizeof(*(list).v)))

/* A zeroed object of the plan. */
static void *new_obj(arch *a, size_t size)
{
    void *o = a->rc ? NULL : bb_plan_alloc(a->plan, size);
    return o ? o : sink(a, size);
}

#define NEW(a, T) ((T *)new_obj(a, sizeof(T)))

static void push_str(arch *a, bb_plan_strs *l, const char *s)
{
    *PUSH(a, *l) = s;
}

/* {"code": code} appended: the shape of every list of code chunks. */
static void push_code(arch *a, bb_plan_codes *l, const char *code)
{
    PUSH(a, *l)->code = code;
}

/* ---- model advice ----------------------------------------------------------- */

/* The accepted proposal of kind for table (and column, when not NULL), or
 * NULL. Without --llm advise there is none, and the plan is as always. */
static const bb_plan_decision *advice(arch *a, const char *kind, const char *table,
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

/* The value of the proposal, NULL when there is none. */
static const char *advice_value(const bb_plan_decision *d)
{
    return d ? d->value : NULL;
}

/* ---- imports, sorted as isort's black profile sorts them ----------------- */

static int section_of(const char *module);
static int name_rank(const char *n);

/* Whether two strings are equal, trying the pointer and first byte before
 * strcmp (most names differ at once, many modules are the same literal). */
static bool same_str(const char *x, const char *y)
{
    return x == y || (*x == *y && !strcmp(x, y));
}

static void imp(arch *a, imports *im, const char *module, const char *name)
{
    if (a->rc)
        return;
    for (size_t i = 0; i < im->n; i++) {
        const import_item *it = &im->v[i];
        if ((name ? it->name && same_str(it->name, name) : !it->name) &&
            same_str(it->module, module))
            return;
    }
    if (im->n == im->cap) {
        size_t cap = im->cap ? 2 * im->cap : 32;
        import_item *v = bb_arena_alloc(a->arena, cap * sizeof(*v));
        if (!v) {
            fail(a, BB_ENOMEM);
            return;
        }
        if (im->n)
            memcpy(v, im->v, im->n * sizeof(*v));
        im->v = v;
        im->cap = cap;
    }
    im->v[im->n].module = module;
    im->v[im->n].name = name;
    im->v[im->n].section = section_of(module);
    im->v[im->n].rank = name ? name_rank(name) : 0;
    im->n++;
}

static int section_of(const char *module)
{
    static const char *const stdlib[] = {"datetime", "decimal", "enum", "itertools",
                                         "os",       "typing",  "uuid"};
    size_t n = strcspn(module, ".");
    for (size_t i = 0; i < sizeof(stdlib) / sizeof(stdlib[0]); i++)
        if (strlen(stdlib[i]) == n && !strncmp(module, stdlib[i], n))
            return 0;
    if ((n == 3 && !strncmp(module, "app", 3)) || (n == 5 && !strncmp(module, "tests", 5)))
        return 2;
    return 1;
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

static int import_cmp(const void *x, const void *y)
{
    const import_item *p = x, *q = y;
    int c = p->section - q->section;
    if (c)
        return c;
    if (!p->name != !q->name)
        return p->name ? 1 : -1; /* `import x` before `from x import y` */
    if (p->module != q->module && (c = ranked_cmp(p->module, q->module)))
        return c;
    if (!p->name)
        return 0;
    return p->rank != q->rank ? p->rank - q->rank : ranked_cmp(p->name, q->name);
}

/* The import block: sections separated by a blank line, no final newline. */
static const char *render_imports(arch *a, imports *im)
{
    bb_buf b;
    int rc = a->rc;
    size_t i = 0;
    int last_section = -1;
    bb_buf_init(&b, CODE_MAX);
    if (im->n)
        qsort(im->v, im->n, sizeof(im->v[0]), import_cmp);
    while (!rc && i < im->n) {
        import_item *it = &im->v[i];
        int sec = it->section;
        if (last_section >= 0 && sec != last_section)
            rc = bb_buf_putc(&b, '\n');
        last_section = sec;
        if (rc)
            break;
        if (!it->name) {
            if (!(rc = bb_buf_puts(&b, "import ")) && !(rc = bb_buf_puts(&b, it->module)))
                rc = bb_buf_putc(&b, '\n');
            i++;
            continue;
        }
        /* `from m import x, y`, flat in the scratch buffer, then wrapped. */
        bb_buf *line = scratch(a);
        size_t k = i;
        if (!(rc = bb_buf_puts(line, "from ")) && !(rc = bb_buf_puts(line, it->module)))
            rc = bb_buf_puts(line, " import ");
        for (; !rc && k < im->n && im->v[k].name && same_str(im->v[k].module, it->module); k++)
            if (!(k > i && (rc = bb_buf_puts(line, ", "))))
                rc = bb_buf_puts(line, im->v[k].name);
        if (!rc)
            rc = bb_pylit_wrap(&b, 0, bb_buf_str(line), true);
        i = k;
    }
    const char *text = keep(a, &b, rc);
    bb_buf_free(&b);
    return text;
}

/* ---- types ---------------------------------------------------------------- */

/* The column that defines c's storage: c itself, or the column its foreign
 * key references when the validator has not copied the type over. */
static const bb_column *storage(arch *a, const bb_column *c)
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

static bb_col_type type_of(arch *a, const bb_column *c)
{
    bb_col_type t = storage(a, c)->type;
    return t == BB_TYPE_FOREIGNKEY || t == BB_TYPE_UNKNOWN ? BB_TYPE_INTEGER : t;
}

/* The table index and column index an FK column references, or -1 (and
 * *col -1). */
static int fk_target(arch *a, const bb_column *c, int *col)
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

/* The enum class of column ci of table ti (following a foreign key). */
static const char *enum_class_of(arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    int tci;
    int tti = fk_target(a, c, &tci);
    if (tti >= 0 && a->t[tti].enum_class[tci])
        return a->t[tti].enum_class[tci];
    return a->t[ti].enum_class[ci];
}

/* The enum column whose values define column ci of table ti. */
static const bb_column *enum_source(arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    int tci;
    int tti = fk_target(a, c, &tci);
    if (tti >= 0 && a->t[tti].enum_class[tci])
        return &a->s->tables[tti].columns[tci];
    return c;
}

/* The member names of the enum class of column ci of table ti. */
static const char **enum_members_of(arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    int tci;
    int tti = fk_target(a, c, &tci);
    if (tti >= 0 && a->t[tti].enum_class[tci])
        return a->t[tti].members[tci];
    return a->t[ti].members[ci];
}

/* The Python type of a column's values, importing what it needs. */
static const char *py_type(arch *a, int ti, int ci, imports *im)
{
    switch (type_of(a, &a->s->tables[ti].columns[ci])) {
    case BB_TYPE_STRING:
    case BB_TYPE_TEXT:
        return "str";
    case BB_TYPE_BOOLEAN:
        return "bool";
    case BB_TYPE_DATETIME:
        imp(a, im, "datetime", "datetime");
        return "datetime";
    case BB_TYPE_DATE:
        imp(a, im, "datetime", "date");
        return "date";
    case BB_TYPE_TIME:
        imp(a, im, "datetime", "time");
        return "time";
    case BB_TYPE_INTERVAL:
        imp(a, im, "datetime", "timedelta");
        return "timedelta";
    case BB_TYPE_NUMERIC:
        imp(a, im, "decimal", "Decimal");
        return "Decimal";
    case BB_TYPE_FLOAT:
        return "float";
    case BB_TYPE_ENUM: {
        const char *cls = enum_class_of(a, ti, ci);
        imp(a, im, "app.enums", cls);
        return cls;
    }
    case BB_TYPE_JSON:
        imp(a, im, "typing", "Any");
        return "Any";
    case BB_TYPE_UUID:
        imp(a, im, "uuid", "UUID");
        return "UUID";
    case BB_TYPE_LARGEBINARY:
        return "bytes";
    default:
        return "int";
    }
}

static bool generated_pk(arch *a, int ti, int ci);

/* The SQLAlchemy type expression of a column, importing what it needs. */
static const char *sa_type(arch *a, int ti, int ci, imports *im)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    const bb_column *st = storage(a, c);
    switch (type_of(a, c)) {
    case BB_TYPE_BIGINTEGER:
    case BB_TYPE_SMALLINTEGER: {
        const char *name = type_of(a, c) == BB_TYPE_BIGINTEGER ? "BigInteger" : "SmallInteger";
        imp(a, im, "sqlalchemy", name);
        /* SQLite autoincrements only an INTEGER PRIMARY KEY. */
        if (generated_pk(a, ti, ci)) {
            imp(a, im, "sqlalchemy", "Integer");
            return fmt(a, "%s().with_variant(Integer, \"sqlite\")", name);
        }
        return name;
    }
    case BB_TYPE_STRING:
        imp(a, im, "sqlalchemy", "String");
        if (st->length > 0)
            return fmt(a, "String(%d)", st->length);
        return a->s->db_type == BB_DB_MYSQL ? "String(255)" : "String";
    case BB_TYPE_TEXT:
        imp(a, im, "sqlalchemy", "Text");
        return "Text";
    case BB_TYPE_BOOLEAN:
        imp(a, im, "sqlalchemy", "Boolean");
        return "Boolean";
    case BB_TYPE_DATETIME:
        imp(a, im, "sqlalchemy", "DateTime");
        return st->timezone ? "DateTime(timezone=True)" : "DateTime";
    case BB_TYPE_DATE:
        imp(a, im, "sqlalchemy", "Date");
        return "Date";
    case BB_TYPE_TIME:
        imp(a, im, "sqlalchemy", "Time");
        return "Time";
    case BB_TYPE_NUMERIC:
        imp(a, im, "sqlalchemy", "Numeric");
        if (st->precision > 0 && st->scale >= 0)
            return fmt(a, "Numeric(%d, %d)", st->precision, st->scale);
        if (st->precision > 0)
            return fmt(a, "Numeric(%d)", st->precision);
        return "Numeric";
    case BB_TYPE_FLOAT:
        imp(a, im, "sqlalchemy", "Float");
        return "Float";
    case BB_TYPE_ENUM: {
        const bb_column *src = enum_source(a, ti, ci);
        const char *cls = enum_class_of(a, ti, ci);
        int sti = ti;
        int sci;
        if (src != c)
            sti = fk_target(a, c, &sci);
        imp(a, im, "sqlalchemy", "Enum");
        imp(a, im, "app.enums", cls);
        imp(a, im, "app.enums", "enum_values");
        return fmt(a, "Enum(%s, name=\"%s_%s\", values_callable=enum_values)", cls,
                   a->s->tables[sti].table_name, src->name);
    }
    case BB_TYPE_JSON:
        imp(a, im, "sqlalchemy", "JSON");
        return "JSON";
    case BB_TYPE_UUID:
        imp(a, im, "app.core.types", "GUID");
        return "GUID()";
    case BB_TYPE_LARGEBINARY:
        imp(a, im, "sqlalchemy", "LargeBinary");
        return "LargeBinary";
    case BB_TYPE_INTERVAL:
        imp(a, im, "sqlalchemy", "Interval");
        return "Interval";
    default:
        imp(a, im, "sqlalchemy", "Integer");
        return "Integer";
    }
}

/* Whether a column type can be compared for equality in a filter. */
static bool filterable(bb_col_type t)
{
    return t != BB_TYPE_JSON && t != BB_TYPE_LARGEBINARY && t != BB_TYPE_INTERVAL &&
           t != BB_TYPE_FLOAT;
}

/* Whether a column type is worth sorting on. */
static bool sortable(bb_col_type t)
{
    return filterable(t) && t != BB_TYPE_TEXT && t != BB_TYPE_UUID;
}

/* The Python literal of a column's default, "" when none applies. */
static const char *default_literal(arch *a, int ti, int ci, imports *im)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    const bb_value *v = &c->default_value;
    bb_col_type t = type_of(a, c);
    switch (v->kind) {
    case BB_VALUE_BOOL:
        return t == BB_TYPE_BOOLEAN ? (v->b ? "True" : "False") : "";
    case BB_VALUE_INT:
    case BB_VALUE_NUMBER:
        if (t == BB_TYPE_NUMERIC) {
            imp(a, im, "decimal", "Decimal");
            return fmt(a, "Decimal(%s)", lit(a, v->text ? v->text : "0"));
        }
        if (t == BB_TYPE_FLOAT ||
            (v->kind == BB_VALUE_INT &&
             (t == BB_TYPE_INTEGER || t == BB_TYPE_BIGINTEGER || t == BB_TYPE_SMALLINTEGER)))
            return v->text ? v->text : fmt(a, "%lld", v->i);
        return "";
    case BB_VALUE_STRING:
        if (t == BB_TYPE_STRING || t == BB_TYPE_TEXT)
            return lit(a, v->s);
        if (t == BB_TYPE_ENUM) {
            const bb_column *src = enum_source(a, ti, ci);
            const char *cls = enum_class_of(a, ti, ci);
            const char **names = enum_members_of(a, ti, ci);
            for (size_t i = 0; names && i < src->n_enum_values; i++)
                if (!strcmp(src->enum_values[i], v->s)) {
                    imp(a, im, "app.enums", cls);
                    return fmt(a, "%s.%s", cls, names[i]);
                }
        }
        return "";
    default:
        return "";
    }
}

static const char *on_delete_sql(bb_on_delete d)
{
    switch (d) {
    case BB_ON_DELETE_CASCADE:
        return "CASCADE";
    case BB_ON_DELETE_RESTRICT:
        return "RESTRICT";
    case BB_ON_DELETE_SET_NULL:
        return "SET NULL";
    case BB_ON_DELETE_SET_DEFAULT:
        return "SET DEFAULT";
    case BB_ON_DELETE_NO_ACTION:
        return "NO ACTION";
    default:
        return NULL;
    }
}

static bool is_integer(bb_col_type t)
{
    return t == BB_TYPE_INTEGER || t == BB_TYPE_BIGINTEGER || t == BB_TYPE_SMALLINTEGER;
}

/* The primary key the database generates: an integer autoincrement or a
 * UUID made by the model (never part of a composite key). Such columns are
 * not part of the Create body. */
static bool generated_pk(arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    bb_col_type t = type_of(a, c);
    return c->primary_key && !c->fk_target && a->t[ti].pk == ci &&
           ((is_integer(t) && (c->autoincrement || !c->autoincrement_given)) || t == BB_TYPE_UUID);
}

/* Whether the database (or the model) fills the column when it is omitted. */
static bool has_default(arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    imports scratch = {0};
    if (c->server_default || generated_pk(a, ti, ci))
        return true;
    return *default_literal(a, ti, ci, &scratch) != '\0';
}

/* ---- pre-pass: per-table facts, enum classes ------------------------------- */

/* Classes the generated project defines or imports beside the models. */
static const char *const project_classes[] = {
    "Base",     "ConfigDict",      "Engine",     "GUID",           "ORMModel",     "Schema",
    "Settings", "SoftDeleteMixin", "TestClient", "TimestampMixin", "TypeDecorator"};

static const char *const schema_suffixes[] = {"Create", "Update", "Read", "Page"};

static bool project_class(const char *name)
{
    for (size_t i = 0; i < sizeof(project_classes) / sizeof(project_classes[0]); i++)
        if (!strcmp(name, project_classes[i]))
            return true;
    return false;
}

/* The table (other than self) whose schema classes include name, or -1. */
static int schema_class_owner(arch *a, const char *name, int self)
{
    for (size_t i = 0; i < a->s->n_tables; i++) {
        const char *cls = a->s->tables[i].class_name;
        size_t n = strlen(cls);
        if ((int)i == self || strncmp(name, cls, n))
            continue;
        for (size_t k = 0; k < sizeof(schema_suffixes) / sizeof(schema_suffixes[0]); k++)
            if (!strcmp(name + n, schema_suffixes[k]))
                return (int)i;
    }
    return -1;
}

/* Whether an enum class name is taken: by a model class, a schema class, a
 * class of the project, or an enum named before (table upto_t, column upto_c). */
static bool name_taken(arch *a, const char *name, size_t upto_t, size_t upto_c)
{
    if (project_class(name) || schema_class_owner(a, name, -1) >= 0)
        return true;
    for (size_t i = 0; i < a->s->n_tables; i++) {
        if (!strcmp(a->s->tables[i].class_name, name))
            return true;
        for (size_t k = 0; k < a->s->tables[i].n_columns; k++) {
            const char *e;
            if (i > upto_t || (i == upto_t && k >= upto_c))
                break;
            e = a->t[i].enum_class[k];
            if (e && !strcmp(e, name))
                return true;
        }
    }
    return false;
}

/*
 * The member names of an enum column, one per value: the value as an
 * UPPER_CASE identifier (accents transliterated), VALUE_<n> (n counting from
 * 1) when nothing of it is left, then _2, _3... until unique. Deterministic.
 */
static const char **member_names(arch *a, const bb_column *c)
{
    const char **names = bb_arena_alloc(a->arena, (c->n_enum_values + 1) * sizeof(char *));
    if (!names) {
        fail(a, BB_ENOMEM);
        return NULL;
    }
    for (size_t v = 0; v < c->n_enum_values; v++) {
        const char *base = constant(a, c->enum_values[v]);
        const char *name;
        bool clash = true;
        if (!*base)
            base = fmt(a, "VALUE_%zu", v + 1);
        name = base;
        for (int n = 2; clash && !a->rc; n++) {
            clash = false;
            for (size_t u = 0; u < v; u++)
                if (!strcmp(names[u], name))
                    clash = true;
            if (clash)
                name = fmt(a, "%s_%d", base, n);
        }
        names[v] = name;
    }
    return names;
}

static void prepass(arch *a)
{
    const bb_schema *s = a->s;
    a->t = bb_arena_alloc(a->arena, (s->n_tables ? s->n_tables : 1) * sizeof(*a->t));
    if (!a->t) {
        fail(a, BB_ENOMEM);
        return;
    }
    for (size_t i = 0; i < s->n_tables && !a->rc; i++) {
        const bb_table *t = &s->tables[i];
        tinfo *ti = &a->t[i];
        size_t n_pk = 0;
        ti->snake = snake(a, t->class_name);
        ti->pk = -1;
        {
            const char *route = advice_value(advice(a, "route_path", t->table_name, NULL));
            ti->route = route ? fmt(a, "%s", route) : fmt(a, "/%s", t->table_name);
        }
        ti->api_path = fmt(a, API_PREFIX "%s", ti->route);
        ti->enum_class = bb_arena_alloc(a->arena, (t->n_columns + 1) * sizeof(char *));
        ti->keys = bb_arena_alloc(a->arena, (t->n_columns + 1) * sizeof(int));
        ti->members = bb_arena_alloc(a->arena, (t->n_columns + 1) * sizeof(char **));
        if (!ti->enum_class || !ti->keys || !ti->members) {
            fail(a, BB_ENOMEM);
            return;
        }
        for (size_t k = 0; k < t->n_columns; k++) {
            const bb_column *c = &t->columns[k];
            if (c->primary_key) {
                n_pk++;
                ti->pk = (int)k;
                ti->keys[ti->n_keys++] = (int)k;
            }
            if (c->type == BB_TYPE_UUID)
                a->uses_uuid = true;
            if (c->type == BB_TYPE_ENUM && !c->fk_target) {
                const char *base = fmt(a, "%s%s", capwords(a, t->class_name), capwords(a, c->name));
                const char *name = base;
                for (int n = 2; !a->rc && name_taken(a, name, i, k); n++)
                    name = fmt(a, "%s%d", base, n);
                ti->enum_class[k] = name;
                ti->members[k] = member_names(a, c);
            }
        }
        if (n_pk != 1)
            ti->pk = -1;
        ti->routes = ti->n_keys > 0;
        a->uses_timestamps |= t->use_timestamps;
        a->uses_soft_delete |= t->use_soft_delete;
        for (size_t r = 0; r < t->n_rels; r++)
            if (t->rels[r].kind == BB_REL_MANY_TO_MANY && t->rels[r].through_index < 0)
                a->has_assoc = true;
    }
    /* FK columns get the type of what they reference (UUID included). */
    for (size_t i = 0; i < s->n_tables; i++)
        for (size_t k = 0; k < s->tables[i].n_columns; k++)
            if (type_of(a, &s->tables[i].columns[k]) == BB_TYPE_UUID)
                a->uses_uuid = true;
}

/* ---- project ---------------------------------------------------------------- */

static const char *default_url(arch *a, const char *db)
{
    switch (a->s->db_type) {
    case BB_DB_SQLITE:
        return fmt(a, "sqlite:///./%s.db", db);
    case BB_DB_MYSQL:
        return fmt(a, "mysql+pymysql://localhost/%s", db);
    case BB_DB_MSSQL:
        return fmt(a, "mssql+pyodbc://localhost/%s?driver=ODBC+Driver+18+for+SQL+Server", db);
    default:
        return fmt(a, "postgresql://localhost/%s", db);
    }
}

static const char *db_driver(const bb_schema *s)
{
    switch (s->db_type) {
    case BB_DB_SQLITE:
        return NULL;
    case BB_DB_MYSQL:
        return "pymysql";
    case BB_DB_MSSQL:
        return "pyodbc";
    default:
        return "psycopg2-binary";
    }
}

static void plan_project(arch *a, bb_plan *plan)
{
    const bb_schema *s = a->s;
    bb_plan_project *p = plan->project = NEW(a, bb_plan_project);
    const char *pkg = snake(a, s->project_name);
    const char *dist = fmt(a, "%s", pkg);
    const char *desc = s->description ? s->description : "";
    if (!a->rc)
        for (char *q = (char *)dist; *q; q++)
            if (*q == '_')
                *q = '-';
    p->name = s->project_name;
    p->package = pkg;
    p->distribution = dist;
    p->db_type = s->db_type_name;
    p->description = desc;
    p->description_text = comment_text(a, desc);
    p->name_literal = lit(a, s->project_name);
    p->description_literal = lit(a, desc);
    p->toml_description = toml_str(a, comment_text(a, desc));
    p->default_database_url = default_url(a, pkg);
    p->default_database_url_literal = lit(a, default_url(a, pkg));
    p->database_url_line =
        wrap(a, 0, fmt(a, "DEFAULT_DATABASE_URL = %s", lit(a, default_url(a, pkg))));
    p->project_name_line = wrap(a, 8, fmt(a, "self.project_name = %s", lit(a, s->project_name)));
    p->driver = db_driver(s);
    p->has_driver = db_driver(s) != NULL;
    p->api_prefix = API_PREFIX;
    p->version = "0.1.0";
    p->app_title_line = wrap(a, 4, fmt(a, "title=%s,", lit(a, s->project_name)));
    p->app_description_line = wrap(a, 4, fmt(a, "description=%s,", lit(a, desc)));
}

/* ---- enums ------------------------------------------------------------------- */

static void plan_enums(arch *a, bb_plan *plan)
{
    bool any = false;
    for (size_t i = 0; i < a->s->n_tables; i++) {
        const bb_table *t = &a->s->tables[i];
        for (size_t k = 0; k < t->n_columns; k++) {
            const bb_column *c = &t->columns[k];
            const char *cls = a->t[i].enum_class[k];
            bb_plan_enum *e;
            if (!cls)
                continue;
            any = true;
            e = PUSH(a, plan->enums);
            e->class = cls;
            e->class_line = wrap(a, 0, fmt(a, "class %s(str, enum.Enum):", cls));
            e->table = t->table_name;
            e->column = c->name;
            e->type_name = fmt(a, "%s_%s", t->table_name, c->name);
            e->docstring = docstring(a, fmt(a, "Values of %s.%s.", t->table_name, c->name), 4);
            for (size_t v = 0; v < c->n_enum_values && a->t[i].members[k]; v++)
                push_code(
                    a, &e->members,
                    wrap(a, 4,
                         fmt(a, "%s = %s", a->t[i].members[k][v], lit(a, c->enum_values[v]))));
        }
    }
    plan->has_enums = any;
}

/* ---- models ---------------------------------------------------------------- */

static const char *test_value(arch *a, int ti, int ci, imports *im);

/* The flat `name = Column(...)` text of a user column. */
static const char *column_code(arch *a, int ti, int ci, imports *im)
{
    const bb_table *t = &a->s->tables[ti];
    const bb_column *c = &t->columns[ci];
    list args = {0};
    const char *dflt;
    imp(a, im, "sqlalchemy", "Column");
    list_add(a, &args, sa_type(a, ti, ci, im));
    if (c->fk_target) {
        list fk = {0};
        int tci;
        int tti = fk_target(a, c, &tci);
        const char *od = on_delete_sql(c->on_delete);
        imp(a, im, "sqlalchemy", "ForeignKey");
        list_add(a, &fk,
                 lit(a, tti >= 0 ? fmt(a, "%s.%s", a->s->tables[tti].table_name,
                                       a->s->tables[tti].columns[tci].name)
                                 : c->fk_target));
        if (od)
            list_add(a, &fk, fmt(a, "ondelete=\"%s\"", od));
        if (c->use_alter)
            list_add(a, &fk, "use_alter=True");
        list_add(a, &args, fmt(a, "ForeignKey(%s)", join(a, &fk, ", ")));
    }
    if (c->primary_key) {
        list_add(a, &args, "primary_key=True");
        /* A composite key never autoincrements (SQLite refuses it). */
        if (is_integer(type_of(a, c)) && !c->fk_target && a->t[ti].pk >= 0)
            list_add(a, &args,
                     (c->autoincrement || !c->autoincrement_given) ? "autoincrement=True"
                                                                   : "autoincrement=False");
    } else {
        list_add(a, &args, c->nullable ? "nullable=True" : "nullable=False");
    }
    if (c->unique && !c->primary_key)
        list_add(a, &args, "unique=True");
    if (c->index && !c->primary_key)
        list_add(a, &args, "index=True");
    dflt = default_literal(a, ti, ci, im);
    if (*dflt)
        list_add(a, &args, fmt(a, "default=%s", dflt));
    else if (generated_pk(a, ti, ci) && type_of(a, c) == BB_TYPE_UUID) {
        imp(a, im, "uuid", NULL);
        list_add(a, &args, "default=uuid.uuid4");
    }
    if (c->server_default) {
        if (c->server_default_literal && type_of(a, c) == BB_TYPE_BOOLEAN) {
            bool on = !strcmp(c->server_default, "true");
            imp(a, im, "sqlalchemy", on ? "true" : "false");
            list_add(a, &args, on ? "server_default=true()" : "server_default=false()");
        } else {
            imp(a, im, "sqlalchemy", "text");
            list_add(a, &args, fmt(a, "server_default=text(%s)", lit(a, c->server_default)));
        }
    }
    if (c->comment)
        list_add(a, &args, fmt(a, "comment=%s", lit(a, c->comment)));
    return call(a, 4, fmt(a, "%s = Column", c->name), &args, "");
}

/* How many foreign keys link tables x and y (either way); a self-reference
 * counts its own. Above one, relationships must name their foreign keys. */
static size_t fk_paths(arch *a, int x, int y)
{
    size_t n = 0;
    for (int side = 0; side < 2; side++) {
        int from = side ? y : x, to = side ? x : y;
        const bb_table *t = &a->s->tables[from];
        if (side && x == y)
            break;
        for (size_t k = 0; k < t->n_columns; k++) {
            int tci;
            if (fk_target(a, &t->columns[k], &tci) == to)
                n++;
        }
    }
    return n;
}

/* The FK column behind a relationship (not many_to_many): table and column. */
static bool rel_fk(arch *a, int ti, const bb_relationship *r, int *fk_t, int *fk_c)
{
    const bb_table *t = &a->s->tables[ti];
    int target =
        r->target_index >= 0 ? r->target_index : bb_schema_table_index(a->s, r->target_table);
    if (r->fk_table_index >= 0 && r->fk_column_index >= 0) {
        *fk_t = r->fk_table_index;
        *fk_c = r->fk_column_index;
        return true;
    }
    if (target < 0)
        return false;
    /* Not resolved: the one FK between the two tables, on the side the
     * relationship kind implies. */
    int holder = r->kind == BB_REL_MANY_TO_ONE ? ti : target;
    int other = holder == ti ? target : ti;
    const bb_table *h = &a->s->tables[holder];
    (void)t;
    for (size_t k = 0; k < h->n_columns; k++) {
        int tci;
        if (r->foreign_key && strcmp(h->columns[k].name, r->foreign_key))
            continue;
        if (fk_target(a, &h->columns[k], &tci) == other) {
            *fk_t = holder;
            *fk_c = (int)k;
            return true;
        }
    }
    return false;
}

static const char *rel_attr(const bb_relationship *r)
{
    return r->attr_name ? r->attr_name : r->name ? r->name : r->target_table;
}

static int rel_target(arch *a, const bb_relationship *r)
{
    return r->target_index >= 0 ? r->target_index : bb_schema_table_index(a->s, r->target_table);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Adds to l the attribute names of table from's relationships (not
 * many-to-many) that point at table to_a or to_b. */
static void rels_between(arch *a, list *l, int from, int to_a, int to_b)
{
    const bb_table *t = &a->s->tables[from];
    for (size_t i = 0; i < t->n_rels; i++) {
        int tg = rel_target(a, &t->rels[i]);
        if (t->rels[i].kind != BB_REL_MANY_TO_MANY && (tg == to_a || tg == to_b))
            list_add(a, l, rel_attr(&t->rels[i]));
    }
}

/*
 * A many-to-many through a named table writes the same foreign keys as the
 * relationships that reach that table directly; SQLAlchemy wants them listed
 * in `overlaps` (comma-separated attribute names), "" when there are none.
 */
static const char *m2m_overlaps(arch *a, int ti, int target, const bb_relationship *r)
{
    int through = r->through_index >= 0 ? r->through_index
                  : r->through          ? bb_schema_table_index(a->s, r->through)
                                        : -1;
    list names = {0}, uniq = {0};
    if (through < 0 || target < 0)
        return "";
    rels_between(a, &names, ti, through, through);
    if (target != ti)
        rels_between(a, &names, target, through, through);
    rels_between(a, &names, through, ti, target);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < names.n; i++)
        if (!uniq.n || strcmp(uniq.v[uniq.n - 1], names.v[i]))
            list_add(a, &uniq, names.v[i]);
    return join(a, &uniq, ",");
}

/*
 * A self-referential many-to-many: the association table has two keys to
 * the same table, so SQLAlchemy needs to be told which one is this side's.
 * The relationship's foreign_key names it; else its counterpart's names
 * the other one; else the first of the pair takes the first key.
 */
static void self_m2m_joins(arch *a, int ti, const bb_relationship *r, list *args)
{
    const bb_table *t = &a->s->tables[ti];
    int through = r->through_index >= 0 ? r->through_index
                  : r->through          ? bb_schema_table_index(a->s, r->through)
                                        : -1;
    int keys[2], n = 0, local = 0;
    const bb_relationship *other = NULL;
    if (through < 0 || a->t[ti].pk < 0)
        return;
    const bb_table *tt = &a->s->tables[through];
    for (size_t k = 0; k < tt->n_columns && n < 2; k++) {
        int tci;
        if (fk_target(a, &tt->columns[k], &tci) == ti)
            keys[n++] = (int)k;
    }
    if (n < 2)
        return;
    if (r->counterpart >= 0 && (size_t)r->counterpart < t->n_rels)
        other = &t->rels[r->counterpart];
    if (r->foreign_key)
        local = !strcmp(tt->columns[keys[1]].name, r->foreign_key);
    else if (other && other->foreign_key)
        local = !strcmp(tt->columns[keys[0]].name, other->foreign_key);
    else if (other)
        local = other < r;
    const char *pk = t->columns[a->t[ti].pk].name;
    list_add(a, args,
             fmt(a, "primaryjoin=\"%s.%s == %s.%s\"", t->class_name, pk, tt->class_name,
                 tt->columns[keys[local]].name));
    list_add(a, args,
             fmt(a, "secondaryjoin=\"%s.%s == %s.%s\"", t->class_name, pk, tt->class_name,
                 tt->columns[keys[!local]].name));
}

/* The flat `name = relationship(...)` text. */
static const char *relationship_code(arch *a, int ti, const bb_relationship *r, imports *im)
{
    const bb_table *t = &a->s->tables[ti];
    int target = rel_target(a, r);
    list args = {0};
    int fk_t = -1, fk_c = -1;
    const bb_column *fk = NULL;
    bool holds_fk = false;
    if (target < 0)
        return "";
    imp(a, im, "sqlalchemy.orm", "relationship");
    list_add(a, &args, lit(a, a->s->tables[target].class_name));
    if (r->kind == BB_REL_MANY_TO_MANY) {
        const char *assoc = r->assoc_table;
        if (!assoc && r->through)
            assoc = r->through;
        list_add(a, &args, fmt(a, "secondary=%s", lit(a, assoc ? assoc : "")));
    } else if (rel_fk(a, ti, r, &fk_t, &fk_c)) {
        fk = &a->s->tables[fk_t].columns[fk_c];
        holds_fk = fk_t == ti && (r->kind != BB_REL_ONE_TO_MANY || target != ti);
        if (ti == target && r->kind == BB_REL_ONE_TO_ONE && r->foreign_key)
            holds_fk = bb_table_column_index(t, r->foreign_key) == fk_c && !r->implicit;
    }
    if (r->counterpart >= 0 && target >= 0 && (size_t)r->counterpart < a->s->tables[target].n_rels)
        list_add(a, &args,
                 fmt(a, "back_populates=%s",
                     lit(a, rel_attr(&a->s->tables[target].rels[r->counterpart]))));
    else if (r->back_populates)
        list_add(a, &args, fmt(a, "back_populates=%s", lit(a, r->back_populates)));
    if (fk && fk_paths(a, ti, target) > 1)
        list_add(a, &args,
                 fmt(a, "foreign_keys=\"[%s.%s]\"", a->s->tables[fk_t].class_name, fk->name));
    if (fk && ti == target && (r->kind == BB_REL_MANY_TO_ONE || holds_fk)) {
        int tci;
        int tti = fk_target(a, fk, &tci);
        if (tti >= 0)
            list_add(a, &args,
                     fmt(a, "remote_side=\"%s.%s\"", t->class_name,
                         a->s->tables[tti].columns[tci].name));
    }
    if (r->kind == BB_REL_MANY_TO_MANY && target == ti)
        self_m2m_joins(a, ti, r, &args);
    if (r->kind == BB_REL_MANY_TO_MANY) {
        const char *ov = m2m_overlaps(a, ti, target, r);
        if (*ov)
            list_add(a, &args, fmt(a, "overlaps=%s", lit(a, ov)));
    }
    if (r->kind == BB_REL_ONE_TO_ONE)
        list_add(a, &args, "uselist=False");
    if (r->cascade)
        list_add(a, &args, fmt(a, "cascade=%s", lit(a, r->cascade)));
    /* The side without the FK: let the database apply ON DELETE, and never
     * null out children behind its back. */
    if (fk && !holds_fk && r->kind != BB_REL_MANY_TO_ONE) {
        bool deletes = r->cascade && strstr(r->cascade, "delete");
        if (fk->on_delete == BB_ON_DELETE_CASCADE || fk->on_delete == BB_ON_DELETE_SET_NULL)
            list_add(a, &args, "passive_deletes=True");
        else if (!deletes)
            list_add(a, &args, "passive_deletes=\"all\"");
    }
    if (fk && holds_fk && fk->use_alter)
        list_add(a, &args, "post_update=True");
    return call(a, 4, fmt(a, "%s = relationship", rel_attr(r)), &args, "");
}

/* The column names of a constraint as string literals, comma-separated. */
static const char *name_list(arch *a, const char *const *cols, size_t n, const char *sep,
                             bool quoted)
{
    list l = {0};
    for (size_t i = 0; i < n; i++)
        list_add(a, &l, quoted ? lit(a, cols[i]) : cols[i]);
    return join(a, &l, sep);
}

/* __table_args__ for table-level uniques, indexes and checks; "" if none. */
static const char *table_args(arch *a, int ti, imports *im)
{
    const bb_table *t = &a->s->tables[ti];
    list items = {0};
    for (size_t i = 0; i < t->n_uniques; i++) {
        const bb_unique *u = &t->uniques[i];
        imp(a, im, "sqlalchemy", "UniqueConstraint");
        list_add(a, &items,
                 fmt(a, "UniqueConstraint(%s, name=%s)",
                     name_list(a, u->columns, u->n_columns, ", ", true),
                     lit(a, u->name ? u->name
                                    : fmt(a, "uq_%s_%s", t->table_name,
                                          name_list(a, u->columns, u->n_columns, "_", false)))));
    }
    for (size_t i = 0; i < t->n_indexes; i++) {
        const bb_index *x = &t->indexes[i];
        imp(a, im, "sqlalchemy", "Index");
        list_add(a, &items,
                 fmt(a, "Index(%s, %s%s)",
                     lit(a, x->name ? x->name
                                    : fmt(a, "ix_%s_%s", t->table_name,
                                          name_list(a, x->columns, x->n_columns, "_", false))),
                     name_list(a, x->columns, x->n_columns, ", ", true),
                     x->unique ? ", unique=True" : ""));
    }
    for (size_t i = 0; i < t->n_checks; i++) {
        const bb_check *ck = &t->checks[i];
        imp(a, im, "sqlalchemy", "CheckConstraint");
        /* The naming convention makes ck_<table>_<name>. */
        list_add(a, &items,
                 fmt(a, "CheckConstraint(%s, name=%s)", lit(a, ck->expression),
                     lit(a, ck->name ? ck->name : fmt(a, "%zu", i + 1))));
    }
    if (t->comment) {
        const char *dict = fmt(a, "{\"comment\": %s}", lit(a, t->comment));
        if (!items.n)
            return wrap(a, 4, fmt(a, "__table_args__ = %s", dict));
        list_add(a, &items, dict);
    }
    if (!items.n)
        return "";
    if (items.n == 1)
        return wrap(a, 4, fmt(a, "__table_args__ = (%s,)", items.v[0]));
    return call(a, 4, "__table_args__ = ", &items, "");
}

/* A model's many-to-many `<rel>_ids` facts, for the model, schemas, routes. */
typedef struct m2m_info {
    const char *attr, *ids, *target_class, *target_module, *target_pk, *id_type;
    int target;
} m2m_info;

static size_t m2m_of(arch *a, int ti, m2m_info *out, size_t max, imports *im)
{
    const bb_table *t = &a->s->tables[ti];
    size_t n = 0;
    for (size_t r = 0; r < t->n_rels && n < max; r++) {
        const bb_relationship *rel = &t->rels[r];
        int target = rel_target(a, rel);
        if (rel->kind != BB_REL_MANY_TO_MANY || target < 0 || a->t[target].pk < 0)
            continue;
        m2m_info *m = &out[n++];
        m->attr = rel_attr(rel);
        m->target = target;
        m->target_class = a->s->tables[target].class_name;
        m->target_module = a->s->tables[target].table_name;
        m->target_pk = a->s->tables[target].columns[a->t[target].pk].name;
        m->id_type = py_type(a, target, a->t[target].pk, im);
        /* "tags" -> "tag_ids"; otherwise "<attr>_ids". */
        size_t len = strlen(m->attr);
        if (len > 1 && m->attr[len - 1] == 's')
            m->ids = fmt(a, "%.*s_ids", (int)(len - 1), m->attr);
        else
            m->ids = fmt(a, "%s_ids", m->attr);
    }
    return n;
}

#define MAX_M2M 64

static void plan_model(arch *a, int ti, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    imports im = {0};
    list bases = {0};
    m2m_info mm[MAX_M2M];
    size_t n_mm;
    bool any_rel = false;

    imp(a, &im, "app.core.database", "Base");
    if (t->use_timestamps) {
        imp(a, &im, "app.models.mixins", "TimestampMixin");
        list_add(a, &bases, "TimestampMixin");
    }
    if (t->use_soft_delete) {
        imp(a, &im, "app.models.mixins", "SoftDeleteMixin");
        list_add(a, &bases, "SoftDeleteMixin");
    }
    list_add(a, &bases, "Base");
    m->class_line = call(a, 0, fmt(a, "class %s", t->class_name), &bases, ":");
    m->docstring = docstring(a, t->description, 4);

    if (!a->rc && bb_plan_list_reserve(a->plan, &m->columns, sizeof(bb_plan_column), t->n_columns))
        fail(a, BB_ENOMEM);
    for (size_t k = 0; k < t->n_columns; k++) {
        const bb_column *c = &t->columns[k];
        if (c->from_mixin)
            continue;
        bb_plan_column *o = PUSH(a, m->columns);
        imports scratch = {0};
        o->name = c->name;
        o->code = column_code(a, ti, (int)k, &im);
        o->sa_type = sa_type(a, ti, (int)k, &scratch);
        o->python_type = py_type(a, ti, (int)k, &scratch);
        o->pydantic_type = c->nullable && !c->primary_key
                               ? fmt(a, "Optional[%s]", py_type(a, ti, (int)k, &scratch))
                               : py_type(a, ti, (int)k, &scratch);
        o->default_literal = default_literal(a, ti, (int)k, &scratch);
        o->test_value = test_value(a, ti, (int)k, &scratch);
        o->references = c->fk_target ? c->fk_target : "";
        o->primary_key = c->primary_key;
        o->nullable = c->nullable;
        o->unique = c->unique;
        o->index = c->index;
        o->comment_line = c->description ? fmt(a, "    # %s", comment_text(a, c->description)) : "";
        o->has_comment_line = c->description && *comment_text(a, c->description);
    }
    const char *args = table_args(a, ti, &im);
    m->table_args = args;

    for (size_t r = 0; r < t->n_rels; r++) {
        const char *code = relationship_code(a, ti, &t->rels[r], &im);
        if (!*code)
            continue;
        any_rel = true;
        bb_plan_relationship *o = PUSH(a, m->relationships);
        o->name = rel_attr(&t->rels[r]);
        o->kind = bb_rel_kind_name(t->rels[r].kind);
        o->target = t->rels[r].target_class;
        o->code = code;
    }
    m->has_relationships = any_rel;

    n_mm = m2m_of(a, ti, mm, MAX_M2M, &im);
    for (size_t i = 0; i < n_mm; i++) {
        bb_plan_id_property *o = PUSH(a, m->id_properties);
        imp(a, &im, "typing", "List");
        o->name = mm[i].ids;
        o->attr = mm[i].attr;
        o->target_pk = mm[i].target_pk;
        o->def_line = wrap(a, 4, fmt(a, "def %s(self) -> List[%s]:", mm[i].ids, mm[i].id_type));
        o->return_line =
            wrap(a, 8, fmt(a, "return [item.%s for item in self.%s]", mm[i].target_pk, mm[i].attr));
    }
    m->model_imports = render_imports(a, &im);
}

/* ---- schemas ---------------------------------------------------------------- */

/*
 * The Python literal of the model's example value for column ci, NULL when
 * none was advised or it does not read as a value of the column's type
 * (numbers for integers, true/false for booleans; other types as strings).
 */
static const char *example_literal(arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    const char *v = advice_value(advice(a, "example", a->s->tables[ti].table_name, c->name));
    if (!v || !*v)
        return NULL;
    switch (type_of(a, c)) {
    case BB_TYPE_INTEGER:
    case BB_TYPE_BIGINTEGER:
    case BB_TYPE_SMALLINTEGER: {
        char *end;
        long long n;
        errno = 0;
        n = strtoll(v, &end, 10);
        if (errno || *end || end == v)
            return NULL;
        if (type_of(a, c) == BB_TYPE_SMALLINTEGER ? (n < -32768 || n > 32767)
            : type_of(a, c) == BB_TYPE_INTEGER    ? (n < -2147483648LL || n > 2147483647LL)
                                                  : false)
            return NULL;
        return fmt(a, "%lld", n);
    }
    case BB_TYPE_BOOLEAN:
        return !strcmp(v, "true") ? "True" : !strcmp(v, "false") ? "False" : NULL;
    case BB_TYPE_JSON:
    case BB_TYPE_LARGEBINARY:
        return NULL;
    case BB_TYPE_ENUM: {
        const bb_column *src = enum_source(a, ti, ci);
        for (size_t i = 0; i < src->n_enum_values; i++)
            if (!strcmp(src->enum_values[i], v))
                return lit(a, v);
        return NULL;
    }
    case BB_TYPE_STRING:
        if (storage(a, c)->length > 0) {
            size_t chars = 0;
            for (const char *p = v; *p; p++)
                chars += ((unsigned char)*p & 0xC0) != 0x80;
            if (chars > (size_t)storage(a, c)->length)
                return NULL;
        }
        return lit(a, v);
    default:
        return lit(a, v);
    }
}

/*
 * Whether the tests may send the example instead of their own value: a
 * string, enum, boolean or integer that no key, unique constraint or check
 * involves (the tests need unique rows and cannot know what a check allows).
 */
static bool example_for_tests(arch *a, int ti, int ci)
{
    const bb_table *t = &a->s->tables[ti];
    const bb_column *c = &t->columns[ci];
    bb_col_type bt = type_of(a, c);
    if (c->primary_key || c->fk_target || c->unique ||
        !(bt == BB_TYPE_STRING || bt == BB_TYPE_TEXT || bt == BB_TYPE_ENUM ||
          bt == BB_TYPE_BOOLEAN || is_integer(bt)))
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
    return example_literal(a, ti, ci) != NULL;
}

/* One Pydantic field line: name: type = default-or-Field(...). */
static const char *field_code(arch *a, int ti, int ci, int mode, imports *im)
{
    /* mode 0: Create, 1: Update, 2: Read */
    const bb_table *t = &a->s->tables[ti];
    const bb_column *c = &t->columns[ci];
    const bb_column *st = storage(a, c);
    const char *ty = py_type(a, ti, ci, im);
    bb_col_type bt = type_of(a, c);
    list fargs = {0};
    bool optional, required;
    const char *dflt = "None";
    if (mode == 2) {
        optional = c->nullable && !c->primary_key;
        required = !optional;
    } else if (mode == 1) {
        optional = true;
        required = false;
    } else {
        const char *d = default_literal(a, ti, ci, im);
        required = !c->nullable && !has_default(a, ti, ci);
        optional = c->nullable || (!*d && !required);
        if (*d)
            dflt = d;
    }
    if (mode != 2) {
        if ((bt == BB_TYPE_STRING) && st->length > 0)
            list_add(a, &fargs, fmt(a, "max_length=%d", st->length));
        if (bt == BB_TYPE_NUMERIC && st->precision > 0) {
            list_add(a, &fargs, fmt(a, "max_digits=%d", st->precision));
            if (st->scale >= 0)
                list_add(a, &fargs, fmt(a, "decimal_places=%d", st->scale));
        }
    }
    if (c->description && mode != 1)
        list_add(a, &fargs, fmt(a, "description=%s", lit(a, c->description)));
    if (mode == 0 && example_literal(a, ti, ci))
        list_add(a, &fargs, fmt(a, "examples=[%s]", example_literal(a, ti, ci)));
    if (optional) {
        imp(a, im, "typing", "Optional");
        ty = fmt(a, "Optional[%s]", ty);
    }
    if (fargs.n) {
        list all = {0};
        imp(a, im, "pydantic", "Field");
        list_add(a, &all, required ? "..." : dflt);
        for (size_t i = 0; i < fargs.n; i++)
            list_add(a, &all, fargs.v[i]);
        return call(a, 4, fmt(a, "%s: %s = Field", c->name, ty), &all, "");
    }
    if (required)
        return wrap(a, 4, fmt(a, "%s: %s", c->name, ty));
    return wrap(a, 4, fmt(a, "%s: %s = %s", c->name, ty, dflt));
}

static void plan_schema(arch *a, int ti, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    imports im = {0};
    bb_plan_codes *create = &m->create_fields, *update = &m->update_fields;
    bb_plan_codes *read = &m->read_fields;
    m2m_info mm[MAX_M2M];
    size_t n_mm;
    imp(a, &im, "typing", "List");
    imp(a, &im, "app.schemas.compat", "ORMModel");
    imp(a, &im, "app.schemas.compat", "Schema");
    for (size_t k = 0; k < t->n_columns; k++) {
        const bb_column *c = &t->columns[k];
        push_code(a, read, field_code(a, ti, (int)k, 2, &im));
        if (c->from_mixin || generated_pk(a, ti, (int)k))
            continue;
        push_code(a, create, field_code(a, ti, (int)k, 0, &im));
        if (!c->primary_key)
            push_code(a, update, field_code(a, ti, (int)k, 1, &im));
    }
    n_mm = m2m_of(a, ti, mm, MAX_M2M, &im);
    for (size_t i = 0; i < n_mm; i++) {
        imp(a, &im, "typing", "Optional");
        const char *opt =
            wrap(a, 4, fmt(a, "%s: Optional[List[%s]] = None", mm[i].ids, mm[i].id_type));
        push_code(a, create, opt);
        push_code(a, update, opt);
        push_code(a, read, wrap(a, 4, fmt(a, "%s: List[%s] = []", mm[i].ids, mm[i].id_type)));
    }
    m->has_create_fields = create->n > 0;
    m->has_update_fields = update->n > 0;
    m->schema_imports = render_imports(a, &im);
}

/* ---- routes ----------------------------------------------------------------- */

/* Names the list function uses: a filter parameter must not shadow them. */
static bool reserved_param(const char *n)
{
    static const char *const words[] = {
        "limit", "offset",      "sort",      "include_deleted", "db",      "order",  "conditions",
        "page",  "sort_clause", "Query",     "Depends",         "Session", "get_db", "List",
        "Any",   "Optional",    "MAX_LIMIT", "SORT_FIELDS",     "COLUMNS", "TABLE",  "router"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(n, words[i]))
            return true;
    return false;
}

/* Query parameters of the list route itself: a filter on a column of that
 * name is sent as <name>_filter. */
static bool control_param(const char *n)
{
    return !strcmp(n, "limit") || !strcmp(n, "offset") || !strcmp(n, "sort") ||
           !strcmp(n, "include_deleted");
}

/* The URL query name of the filter on column name. */
static const char *filter_query(arch *a, const char *name)
{
    return control_param(name) ? fmt(a, "%s_filter", name) : name;
}

/* Names a function with a key in its path holds besides the key itself. */
static bool key_reserved(const char *n)
{
    static const char *const words[] = {"payload",       "item",
                                        "data",          "key",
                                        "value",         "item_id",
                                        "Response",      "dump",
                                        "columns_of",    "commit_or_raise",
                                        "get_or_404",    "check_reference",
                                        "fetch_related", "search_condition",
                                        "sort_clause",   "Dict",
                                        "UUID",          "APIRouter"};
    if (reserved_param(n))
        return true;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(n, words[i]))
            return true;
    return false;
}

/* The Python name of key column i in the route functions: item_id for a
 * single key, else the column's name (<name>_key when that name is taken). */
static const char *key_param(arch *a, int ti, size_t i)
{
    const char *n = a->s->tables[ti].columns[a->t[ti].keys[i]].name;
    if (a->t[ti].n_keys == 1)
        return "item_id";
    return key_reserved(n) ? fmt(a, "%s_key", n) : n;
}

/* A resource's key in its routes: the parameters ("item_id: int"), the
 * value get_or_404 takes ("item_id" or "(a, b)"), the path ("/{item_id}"). */
typedef struct key_info {
    const char *params, *expr, *path;
} key_info;

static key_info key_of(arch *a, int ti, imports *im)
{
    const tinfo *inf = &a->t[ti];
    list params = {0}, names = {0}, segs = {0};
    key_info k;
    for (size_t i = 0; i < inf->n_keys; i++) {
        const char *p = key_param(a, ti, i);
        list_add(a, &params, fmt(a, "%s: %s", p, py_type(a, ti, inf->keys[i], im)));
        list_add(a, &names, p);
        list_add(a, &segs, fmt(a, "{%s}", p));
    }
    k.params = join(a, &params, ", ");
    k.expr = inf->n_keys == 1 && names.n ? names.v[0] : fmt(a, "(%s)", join(a, &names, ", "));
    k.path = fmt(a, "/%s", join(a, &segs, "/"));
    return k;
}

/* What the planning of one table's routes gathers as it goes. */
typedef struct route_plan {
    arch *a;
    int ti;
    const bb_table *t;
    const tinfo *inf;
    const char *cls;          /* the model class */
    const char *sort_default; /* a column name, "-" first when descending */
    key_info key;
    imports im;
    list cols, sorts, params, search;
    bb_plan_model *m;
    size_t n_refs;
} route_plan;

/* The imports every route module has. */
static void route_base_imports(route_plan *r)
{
    arch *a = r->a;
    imports *im = &r->im;
    const char *cls = r->cls, *table = r->t->table_name;
    imp(a, im, "typing", "Any");
    imp(a, im, "typing", "List");
    imp(a, im, "fastapi", "APIRouter");
    imp(a, im, "fastapi", "Depends");
    imp(a, im, "fastapi", "Query");
    imp(a, im, "fastapi", "Response");
    imp(a, im, "sqlalchemy.orm", "Session");
    imp(a, im, "app.api.crud", "MAX_LIMIT");
    imp(a, im, "app.api.crud", "columns_of");
    imp(a, im, "app.api.crud", "commit_or_raise");
    imp(a, im, "app.api.crud", "get_or_404");
    imp(a, im, "app.api.crud", "page");
    imp(a, im, "app.api.crud", "sort_clause");
    imp(a, im, "app.core.database", "get_db");
    imp(a, im, fmt(a, "app.models.%s", table), cls);
    imp(a, im, "app.schemas.compat", "dump");
    const char *schemas_mod = fmt(a, "app.schemas.%s", table);
    imp(a, im, schemas_mod, fmt(a, "%sCreate", cls));
    imp(a, im, schemas_mod, fmt(a, "%sPage", cls));
    imp(a, im, schemas_mod, fmt(a, "%sRead", cls));
    imp(a, im, schemas_mod, fmt(a, "%sUpdate", cls));
}

/* The list's default sort: the first key column, or the column a model
 * advised (not JSON nor binary), "-" first when descending. */
static const char *route_sort_default(arch *a, const bb_table *t, const tinfo *inf)
{
    const bb_plan_decision *ds = advice(a, "default_sort", t->table_name, NULL);
    const char *col = ds ? ds->column : NULL;
    int ci = col ? bb_table_column_index(t, col) : -1;
    if (ci < 0 || type_of(a, &t->columns[ci]) == BB_TYPE_JSON ||
        type_of(a, &t->columns[ci]) == BB_TYPE_LARGEBINARY)
        return t->columns[inf->keys[0]].name;
    return ds->descending ? fmt(a, "-%s", t->columns[ci].name) : t->columns[ci].name;
}

/* The list's paging, sort, search (the columns a model advised as
 * searchable: a `q` parameter) and soft-delete parameters. */
static void route_list_params(route_plan *r)
{
    arch *a = r->a;
    const bb_table *t = r->t;
    list_add(a, &r->params, "limit: int = Query(20, ge=1, le=MAX_LIMIT)");
    list_add(a, &r->params, "offset: int = Query(0, ge=0)");
    r->sort_default = route_sort_default(a, t, r->inf);
    for (size_t k = 0; k < t->n_columns; k++) {
        bb_col_type bt = type_of(a, &t->columns[k]);
        if ((bt == BB_TYPE_STRING || bt == BB_TYPE_TEXT || bt == BB_TYPE_ENUM) &&
            advice(a, "searchable", t->table_name, t->columns[k].name))
            list_add(a, &r->search, fmt(a, "%s.%s", r->cls, t->columns[k].name));
    }
    list_add(a, &r->params, fmt(a, "sort: str = %s", lit(a, r->sort_default)));
    if (r->search.n) {
        imp(a, &r->im, "typing", "Optional");
        imp(a, &r->im, "app.api.crud", "search_condition");
        list_add(a, &r->params, "q: Optional[str] = None");
        a->uses_search = true;
    }
    if (t->use_soft_delete)
        list_add(a, &r->params, "include_deleted: bool = False");
}

/* Column c in the sort whitelist: sortable types, the key, and what a
 * model advised; of the mixins' columns only the timestamps. */
static void route_sort_field(route_plan *r, const bb_column *c, bb_col_type bt)
{
    arch *a = r->a;
    bool advised = advice(a, "sortable", r->t->table_name, c->name) ||
                   !strcmp(r->sort_default + (*r->sort_default == '-'), c->name);
    if ((sortable(bt) || c->primary_key ||
         (advised && bt != BB_TYPE_JSON && bt != BB_TYPE_LARGEBINARY)) &&
        (!c->from_mixin || !strcmp(c->name, "created_at") || !strcmp(c->name, "updated_at"))) {
        list_add(a, &r->sorts, fmt(a, "%s: %s.%s", lit(a, c->name), r->cls, c->name));
        push_str(a, &r->m->sort_fields, c->name);
    }
}

/* Column k as a list filter when it is indexed, unique, an enum, a boolean
 * or a reference. The columns of a composite key filter too (rows of one
 * parent). */
static void route_filter(route_plan *r, size_t k, bb_col_type bt)
{
    arch *a = r->a;
    const bb_column *c = &r->t->columns[k];
    if (c->from_mixin || (c->primary_key && r->inf->n_keys <= 1) || !filterable(bt) ||
        !(c->index || c->unique || bt == BB_TYPE_ENUM || bt == BB_TYPE_BOOLEAN || c->fk_target ||
          c->primary_key))
        return;
    bool is_q = r->search.n && !strcmp(c->name, "q");
    const char *pname = reserved_param(c->name) || is_q ? fmt(a, "%s_filter", c->name) : c->name;
    const char *query = control_param(c->name) || is_q ? pname : c->name;
    const char *ty = py_type(a, r->ti, (int)k, &r->im);
    imp(a, &r->im, "typing", "Optional");
    if (pname != query)
        list_add(a, &r->params,
                 fmt(a, "%s: Optional[%s] = Query(None, alias=%s)", pname, ty, lit(a, query)));
    else
        list_add(a, &r->params, fmt(a, "%s: Optional[%s] = None", pname, ty));
    bb_plan_filter *f = PUSH(a, r->m->filters);
    f->name = c->name;
    f->param = pname;
    f->query = query;
    f->type = ty;
    f->code = fmt(a, "%s\n%s", wrap(a, 4, fmt(a, "if %s is not None:", pname)),
                  wrap(a, 8, fmt(a, "conditions.append(%s.%s == %s)", r->cls, c->name, pname)));
}

/* A foreign key's check before a write: a missing parent is a 422 that
 * names the field, not a database error. */
static void route_reference(route_plan *r, const bb_column *c)
{
    arch *a = r->a;
    int tci;
    int tti = fk_target(a, c, &tci);
    if (tti < 0)
        return;
    const bb_table *tt = &a->s->tables[tti];
    if (tti != r->ti)
        imp(a, &r->im, fmt(a, "app.models.%s", tt->table_name), tt->class_name);
    imp(a, &r->im, "app.api.crud", "check_reference");
    push_code(a, &r->m->references,
              wrap(a, 4,
                   fmt(a, "check_reference(db, %s, data.get(%s), %s, %s.%s)", lit(a, c->name),
                       lit(a, c->name), tt->class_name, tt->class_name, tt->columns[tci].name)));
    r->n_refs++;
}

/* The many-to-many links a create or an update sets from `<rel>_ids`. */
static size_t route_links(route_plan *r)
{
    arch *a = r->a;
    m2m_info mm[MAX_M2M];
    size_t n_mm = m2m_of(a, r->ti, mm, MAX_M2M, &r->im);
    for (size_t i = 0; i < n_mm; i++) {
        if (mm[i].target != r->ti)
            imp(a, &r->im, fmt(a, "app.models.%s", mm[i].target_module), mm[i].target_class);
        imp(a, &r->im, "app.api.crud", "fetch_related");
        push_code(a, &r->m->links,
                  fmt(a, "%s\n%s",
                      wrap(a, 4, fmt(a, "if data.get(%s) is not None:", lit(a, mm[i].ids))),
                      wrap(a, 8,
                           fmt(a, "item.%s = fetch_related(db, %s, data[%s], %s, %s.%s)",
                               mm[i].attr, lit(a, mm[i].ids), lit(a, mm[i].ids), mm[i].target_class,
                               mm[i].target_class, mm[i].target_pk))));
    }
    return n_mm;
}

/* The module's constant lines: search fields, columns, sort whitelist. */
static void route_constants(route_plan *r, bb_plan_model *m)
{
    arch *a = r->a;
    m->has_search = r->search.n > 0;
    if (r->search.n == 1)
        m->search_line = wrap(a, 0, fmt(a, "SEARCH_FIELDS = (%s,)", r->search.v[0]));
    else if (r->search.n)
        m->search_line = call(a, 0, "SEARCH_FIELDS = ", &r->search, "");
    if (r->cols.n == 1)
        m->columns_line = wrap(a, 0, fmt(a, "COLUMNS = (%s,)", r->cols.v[0]));
    else
        m->columns_line = call(a, 0, "COLUMNS = ", &r->cols, "");
    /* A dict with more than one entry that does not fit is exploded. */
    m->sort_fields_line = wrap(a, 0, fmt(a, "SORT_FIELDS = {%s}", join(a, &r->sorts, ", ")));
}

/* The decorators and the statements that hold the class or table name,
 * wrapped for long names. */
static void route_code_lines(route_plan *r, bb_plan_model *m)
{
    arch *a = r->a;
    const char *cls = r->cls, *path = r->key.path, *expr = r->key.expr;
    m->router_line = wrap(a, 0,
                          fmt(a, "router = APIRouter(prefix=\"%s\", tags=[\"%s\"])", r->inf->route,
                              r->t->table_name));
    m->dec_list = wrap(a, 0, fmt(a, "@router.get(\"\", response_model=%sPage)", cls));
    m->dec_create =
        wrap(a, 0, fmt(a, "@router.post(\"\", response_model=%sRead, status_code=201)", cls));
    m->dec_read = wrap(a, 0, fmt(a, "@router.get(\"%s\", response_model=%sRead)", path, cls));
    m->dec_update = wrap(a, 0, fmt(a, "@router.patch(\"%s\", response_model=%sRead)", path, cls));
    m->dec_delete = wrap(a, 0, fmt(a, "@router.delete(\"%s\", status_code=204)", path));
    m->dec_restore =
        wrap(a, 0, fmt(a, "@router.post(\"%s/restore\", response_model=%sRead)", path, cls));
    m->soft_condition = wrap(a, 8, fmt(a, "conditions.append(%s.is_deleted.is_(False))", cls));
    m->page_return =
        wrap(a, 4, fmt(a, "return page(db, %s, conditions, order, limit, offset)", cls));
    m->new_item = wrap(a, 4, fmt(a, "item = %s(**columns_of(data, COLUMNS))", cls));
    m->read_return = wrap(a, 4,
                          r->t->use_soft_delete
                              ? fmt(a, "return get_or_404(db, %s, %s, include_deleted)", cls, expr)
                              : fmt(a, "return get_or_404(db, %s, %s)", cls, expr));
    m->get_live =
        wrap(a, 4, fmt(a, "item = get_or_404(db, %s, %s, include_deleted=False)", cls, expr));
    m->get_any = wrap(a, 4, fmt(a, "item = get_or_404(db, %s, %s)", cls, expr));
}

/* The signatures of the route functions. */
static void route_signatures(route_plan *r, bb_plan_model *m)
{
    arch *a = r->a;
    const char *cls = r->cls, *sn = r->inf->snake, *params = r->key.params;
    m->sig_list = call(a, 0, fmt(a, "def list_%s", r->t->table_name), &r->params, " -> dict:");
    m->sig_create = wrap(a, 0,
                         fmt(a,
                             "def create_%s(payload: %sCreate, db: Session = Depends(get_db)) -> "
                             "%s:",
                             sn, cls, cls));
    m->sig_read = wrap(
        a, 0,
        r->t->use_soft_delete
            ? fmt(a,
                  "def read_%s(%s, include_deleted: bool = False, db: "
                  "Session = Depends(get_db)) -> %s:",
                  sn, params, cls)
            : fmt(a, "def read_%s(%s, db: Session = Depends(get_db)) -> %s:", sn, params, cls));
    m->sig_update = wrap(a, 0,
                         fmt(a,
                             "def update_%s(%s, payload: %sUpdate, db: Session = "
                             "Depends(get_db)) -> %s:",
                             sn, params, cls, cls));
    m->sig_delete = wrap(a, 0,
                         fmt(a,
                             "def delete_%s(%s, db: Session = Depends(get_db)) -> "
                             "Response:",
                             sn, params));
    m->sig_restore = wrap(
        a, 0, fmt(a, "def restore_%s(%s, db: Session = Depends(get_db)) -> %s:", sn, params, cls));
    m->link_sig =
        wrap(a, 0, fmt(a, "def _link(db: Session, item: %s, data: Dict[str, Any]) -> None:", cls));
}

static void plan_routes(arch *a, int ti, bb_plan_model *m)
{
    route_plan r = {.a = a, .ti = ti, .t = &a->s->tables[ti], .inf = &a->t[ti], .m = m};
    const bb_table *t = r.t;
    r.cls = t->class_name;
    const char *pk_type = py_type(a, ti, r.inf->keys[0], &r.im);
    r.key = key_of(a, ti, &r.im);

    route_base_imports(&r);
    route_list_params(&r);
    for (size_t k = 0; k < t->n_columns; k++) {
        const bb_column *c = &t->columns[k];
        bb_col_type bt = type_of(a, c);
        list_add(a, &r.cols, lit(a, c->name));
        route_sort_field(&r, c, bt);
        route_filter(&r, k, bt);
        if (c->fk_target)
            route_reference(&r, c);
    }
    list_add(a, &r.params, "db: Session = Depends(get_db)");
    size_t n_mm = route_links(&r);

    m->has_references = r.n_refs > 0;
    m->has_links = n_mm > 0;
    m->snake = r.inf->snake;
    m->pk = t->columns[r.inf->keys[0]].name;
    m->pk_type = pk_type;
    m->composite_key = r.inf->n_keys > 1;
    m->key_path = r.key.path;
    route_constants(&r, m);
    route_code_lines(&r, m);
    route_signatures(&r, m);
    if (n_mm || r.n_refs)
        imp(a, &r.im, "typing", "Dict");
    if (pk_type && !strcmp(pk_type, "UUID"))
        imp(a, &r.im, "uuid", "UUID");
    m->route_imports = render_imports(a, &r.im);
}

/* ---- tests -------------------------------------------------------------------- */

/* The Python expression of a test value for column ci ("n" is unique). */
static const char *test_value(arch *a, int ti, int ci, imports *im)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    const bb_column *st = storage(a, c);
    if (example_for_tests(a, ti, ci))
        return example_literal(a, ti, ci);
    switch (type_of(a, c)) {
    case BB_TYPE_STRING:
        imp(a, im, "tests.factories", "text_value");
        if (st->length > 0)
            return fmt(a, "text_value(%s, n, %d)", lit(a, c->name), st->length);
        return fmt(a, "text_value(%s, n)", lit(a, c->name));
    case BB_TYPE_TEXT:
        imp(a, im, "tests.factories", "text_value");
        return fmt(a, "text_value(%s, n)", lit(a, c->name));
    case BB_TYPE_BOOLEAN:
        return "True";
    case BB_TYPE_DATETIME:
        imp(a, im, "tests.factories", "datetime_value");
        return "datetime_value(n)";
    case BB_TYPE_DATE:
        imp(a, im, "tests.factories", "date_value");
        return "date_value(n)";
    case BB_TYPE_TIME:
        imp(a, im, "tests.factories", "time_value");
        return "time_value(n)";
    case BB_TYPE_INTERVAL:
        return "n * 60";
    case BB_TYPE_NUMERIC:
        imp(a, im, "tests.factories", "decimal_value");
        return fmt(a, "decimal_value(n, %d, %d)", st->precision > 0 ? st->precision : 10,
                   st->scale >= 0 ? st->scale : 2);
    case BB_TYPE_FLOAT:
        return "n + 0.5";
    case BB_TYPE_ENUM: {
        const bb_column *src = enum_source(a, ti, ci);
        return lit(a, src->n_enum_values ? src->enum_values[0] : "");
    }
    case BB_TYPE_JSON:
        return "{\"n\": n}";
    case BB_TYPE_UUID:
        imp(a, im, "tests.factories", "uuid_value");
        return "uuid_value()";
    case BB_TYPE_LARGEBINARY:
        imp(a, im, "tests.factories", "text_value");
        return fmt(a, "text_value(%s, n)", lit(a, c->name));
    case BB_TYPE_SMALLINTEGER:
        return "n % 30000";
    default:
        return "n";
    }
}

/* A key no row has, of the pk column's type (a Python literal). */
static const char *missing_key(arch *a, int ti, int ci)
{
    switch (type_of(a, &a->s->tables[ti].columns[ci])) {
    case BB_TYPE_STRING:
    case BB_TYPE_TEXT:
        return "\"no-such-key\"";
    case BB_TYPE_UUID:
        return "\"00000000-0000-4000-8000-000000000000\"";
    case BB_TYPE_SMALLINTEGER:
        return "32000";
    default:
        return "999999";
    }
}

/* Whether table ti's factory fills FK column ci (else it stays null). */
static bool factory_fills(arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    int tci, tti = fk_target(a, c, &tci);
    if (tti < 0 || !a->t[tti].routes)
        return false;
    if (!c->nullable)
        return tti != ti;
    if (tti == ti || c->use_alter)
        return false;
    /* Only references to tables built earlier, so factories never recurse. */
    for (size_t i = 0; i < a->s->n_build_order; i++) {
        if (a->s->build_order[i] == tti)
            return true;
        if (a->s->build_order[i] == ti)
            return false;
    }
    return tti < ti;
}

static void plan_factory(arch *a, int ti, bb_plan_factory *m)
{
    imports scratch = {0}; /* factories.py imports its helpers once, fixed */
    const bb_table *t = &a->s->tables[ti];
    list entries = {0};
    bool uses_n = false;
    for (size_t k = 0; k < t->n_columns; k++) {
        const bb_column *c = &t->columns[k];
        if (c->from_mixin || generated_pk(a, ti, (int)k))
            continue;
        if (c->fk_target) {
            int tci, tti = fk_target(a, c, &tci);
            if (factory_fills(a, ti, (int)k)) {
                const bb_table *tt = &a->s->tables[tti];
                push_code(a, &m->parents,
                          fmt(a, "%s\n%s",
                              wrap(a, 4, fmt(a, "parent = create_%s(client)", a->t[tti].snake)),
                              wrap(a, 4,
                                   fmt(a, "body[%s] = parent[%s]", lit(a, c->name),
                                       lit(a, tt->columns[tci].name)))));
            }
            continue;
        }
        list_add(a, &entries,
                 fmt(a, "%s: %s", lit(a, c->name), test_value(a, ti, (int)k, &scratch)));
        bb_col_type bt = type_of(a, c);
        uses_n |= bt != BB_TYPE_BOOLEAN && bt != BB_TYPE_ENUM && bt != BB_TYPE_UUID &&
                  !example_for_tests(a, ti, (int)k);
    }
    m->uses_n = uses_n;
    m->body_line = wrap(a, 4, fmt(a, "body: Dict[str, Any] = {%s}", join(a, &entries, ", ")));
    m->body_sig =
        wrap(a, 0, fmt(a, "def %s_body(client: TestClient) -> Dict[str, Any]:", a->t[ti].snake));
    m->create_sig =
        wrap(a, 0, fmt(a, "def create_%s(client: TestClient) -> Dict[str, Any]:", a->t[ti].snake));
    m->create_return = wrap(a, 4,
                            fmt(a, "return created(client, \"%s\", %s_body(client))",
                                a->t[ti].api_path, a->t[ti].snake));
}

/* `for key in (...):` over the keys, then body (indented 8), or "". */
static const char *check_loop(arch *a, const list *keys, const char *body)
{
    if (!keys->n)
        return "";
    const char *tuple =
        keys->n == 1 ? fmt(a, "(%s,)", keys->v[0]) : fmt(a, "(%s)", join(a, keys, ", "));
    return fmt(a, "%s\n%s", wrap(a, 4, fmt(a, "for key in %s:", tuple)), wrap(a, 8, body));
}

/* The columns one table's generated tests use: -1 where there is none. */
typedef struct test_columns {
    int unique_col, fk_col, filter_col, update_col, required_col;
    list exact, decimal; /* the fields compared as sent, and as decimals */
} test_columns;

/* Picks the test columns: the first of each kind, except that a unique
 * filter (which finds exactly one row) wins over any other filter. */
static test_columns pick_test_columns(arch *a, int ti)
{
    const bb_table *t = &a->s->tables[ti];
    test_columns tc = {-1, -1, -1, -1, -1, {0}, {0}};
    for (size_t k = 0; k < t->n_columns; k++) {
        const bb_column *c = &t->columns[k];
        bb_col_type bt = type_of(a, c);
        if (c->from_mixin || generated_pk(a, ti, (int)k))
            continue;
        if (!c->fk_target || factory_fills(a, ti, (int)k)) {
            /* What round-trips exactly is compared as sent. */
            if (bt == BB_TYPE_NUMERIC)
                list_add(a, &tc.decimal, lit(a, c->name));
            else if (bt != BB_TYPE_DATETIME && bt != BB_TYPE_INTERVAL &&
                     bt != BB_TYPE_LARGEBINARY && bt != BB_TYPE_FLOAT)
                list_add(a, &tc.exact, lit(a, c->name));
        }
        if (c->unique && !c->primary_key && tc.unique_col < 0 &&
            (!c->fk_target || factory_fills(a, ti, (int)k)))
            tc.unique_col = (int)k;
        if (c->fk_target && tc.fk_col < 0) {
            int tci, tti = fk_target(a, c, &tci);
            if (tti >= 0 && a->t[tti].routes)
                tc.fk_col = (int)k;
        }
        if (!c->primary_key && !c->fk_target && filterable(bt) && tc.filter_col < 0 &&
            (c->index || c->unique || bt == BB_TYPE_ENUM || bt == BB_TYPE_BOOLEAN))
            tc.filter_col = (int)k;
        if (!c->primary_key && !c->fk_target && !c->unique && tc.update_col < 0 &&
            (bt == BB_TYPE_STRING || bt == BB_TYPE_TEXT))
            tc.update_col = (int)k;
        if (!c->primary_key && !c->nullable && tc.required_col < 0)
            tc.required_col = (int)k;
    }
    for (size_t k = 0; k < t->n_columns; k++) {
        const bb_column *c = &t->columns[k];
        if (!c->from_mixin && c->unique && !c->primary_key && !c->fk_target &&
            filterable(type_of(a, c))) {
            tc.filter_col = (int)k;
            break;
        }
    }
    return tc;
}

/* KEY names the key columns; a URL holds their values in order. */
static void test_key_lines(arch *a, int ti, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    const tinfo *inf = &a->t[ti];
    list names = {0}, missing = {0};
    for (size_t i = 0; i < inf->n_keys; i++) {
        const char *k = missing_key(a, ti, inf->keys[i]);
        size_t n = strlen(k);
        list_add(a, &names, lit(a, t->columns[inf->keys[i]].name));
        /* The key in a URL: without the quotes of a string literal. */
        list_add(a, &missing, *k == '"' ? fmt(a, "%.*s", (int)(n - 2), k + 1) : k);
    }
    m->key_line = names.n == 1 ? wrap(a, 0, fmt(a, "KEY = (%s,)", names.v[0]))
                               : call(a, 0, "KEY = ", &names, "");
    m->missing_path = join(a, &missing, "/");
}

static void test_filter(arch *a, const bb_column *c, bb_plan_model *m)
{
    bb_plan_test_filter *f = m->test_filter = NEW(a, bb_plan_test_filter);
    f->name = c->name;
    f->exact = c->unique;
    f->field_line = wrap(
        a, 4, fmt(a, "field, query = %s, %s", lit(a, c->name), lit(a, filter_query(a, c->name))));
}

/* The `q` search of advised searchable columns. */
static void test_search(arch *a, const bb_table *t, bb_plan_model *m)
{
    list names = {0};
    for (size_t k = 0; k < t->n_columns; k++) {
        bb_col_type bt = type_of(a, &t->columns[k]);
        if ((bt == BB_TYPE_STRING || bt == BB_TYPE_TEXT || bt == BB_TYPE_ENUM) &&
            advice(a, "searchable", t->table_name, t->columns[k].name))
            list_add(a, &names, lit(a, t->columns[k].name));
    }
    if (!names.n)
        return;
    bb_plan_test_search *q = m->test_search = NEW(a, bb_plan_test_search);
    q->field_line = wrap(a, 4, fmt(a, "field = %s", names.v[0]));
    q->search_line = names.n == 1 ? wrap(a, 0, fmt(a, "SEARCH = (%s,)", names.v[0]))
                                  : call(a, 0, "SEARCH = ", &names, "");
}

static void test_update(arch *a, const bb_column *c, imports *im, bb_plan_model *m)
{
    const bb_column *st = storage(a, c);
    bb_plan_test_update *u = m->test_update = NEW(a, bb_plan_test_update);
    imp(a, im, "tests.factories", "text_value");
    imp(a, im, "tests.factories", "next_number");
    u->field_line = wrap(a, 4, fmt(a, "field = %s", lit(a, c->name)));
    u->value_line =
        st->length > 0 && type_of(a, c) == BB_TYPE_STRING
            ? fmt(a, "    changes = {field: text_value(\"new\", next_number(), %d)}", st->length)
            : "    changes = {field: text_value(\"new\", next_number())}";
}

/* A test of one column: its name and the line that names it. The unique
 * and NOT NULL tests (NULL where the database forbids it: a 422 naming
 * the field) need nothing else; the FK test adds a missing parent key. */
static bb_plan_test_column *test_of_column(arch *a, const bb_column *c)
{
    bb_plan_test_column *u = NEW(a, bb_plan_test_column);
    u->name = c->name;
    u->field_line = wrap(a, 4, fmt(a, "field = %s", lit(a, c->name)));
    return u;
}

/* Link and unlink tests of the many-to-many relationships. */
static void test_links(arch *a, int ti, imports *im, bb_plan_model *m)
{
    m2m_info mm[MAX_M2M];
    size_t n_mm = m2m_of(a, ti, mm, MAX_M2M, im);
    for (size_t i = 0; i < n_mm; i++) {
        const tinfo *target = &a->t[mm[i].target];
        if (!target->routes)
            continue;
        bb_plan_test_link *o = PUSH(a, m->test_links);
        imp(a, im, "tests.factories", "created");
        imp(a, im, "tests.factories", fmt(a, "create_%s", target->snake));
        o->ids = mm[i].ids;
        o->attr = mm[i].attr;
        o->def_line = wrap(a, 0, fmt(a, "def test_link_and_unlink_%s(client):", mm[i].attr));
        o->fields_line =
            wrap(a, 4, fmt(a, "field, key = %s, %s", lit(a, mm[i].ids), lit(a, mm[i].target_pk)));
        o->create_target = wrap(a, 4, fmt(a, "other = create_%s(client)", target->snake));
        o->missing = missing_key(a, mm[i].target, target->pk);
    }
}

static void plan_tests(arch *a, int ti, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    const tinfo *inf = &a->t[ti];
    imports im = {0};
    const char *sn = inf->snake;

    imp(a, &im, "tests.factories", fmt(a, "%s_body", sn));
    imp(a, &im, "tests.factories", fmt(a, "create_%s", sn));
    test_columns tc = pick_test_columns(a, ti);
    if (tc.decimal.n)
        imp(a, &im, "tests.factories", "same_decimal");
    m->exact_checks = check_loop(a, &tc.exact, "assert item[key] == body[key], key");
    m->decimal_checks =
        check_loop(a, &tc.decimal, "assert same_decimal(item[key], body[key]), key");
    test_key_lines(a, ti, m);
    imp(a, &im, "tests.factories", "key_of");
    imp(a, &im, "tests.factories", "url_of");
    m->body_call = wrap(a, 4, fmt(a, "body = %s_body(client)", sn));
    m->first_call = wrap(a, 4, fmt(a, "first = create_%s(client)", sn));
    m->create_call = wrap(a, 4, fmt(a, "create_%s(client)", sn));
    m->item_call = wrap(a, 4, fmt(a, "item = create_%s(client)", sn));
    m->integer_pk = inf->n_keys == 1 && is_integer(type_of(a, &t->columns[inf->keys[0]]));
    if (tc.filter_col >= 0)
        test_filter(a, &t->columns[tc.filter_col], m);
    test_search(a, t, m);
    if (tc.update_col >= 0)
        test_update(a, &t->columns[tc.update_col], &im, m);
    if (tc.unique_col >= 0)
        m->test_unique = test_of_column(a, &t->columns[tc.unique_col]);
    if (tc.required_col >= 0)
        m->test_not_null = test_of_column(a, &t->columns[tc.required_col]);
    if (tc.fk_col >= 0) {
        const bb_column *c = &t->columns[tc.fk_col];
        int tci, tti = fk_target(a, c, &tci);
        m->test_fk = test_of_column(a, c);
        m->test_fk->missing = missing_key(a, tti, tci);
    }
    test_links(a, ti, &im, m);
    m->test_imports = render_imports(a, &im);
}

/* ---- the association tables and project-wide files ---------------------------- */

static void plan_associations(arch *a, bb_plan *plan)
{
    imports im = {0};
    list done = {0};
    imp(a, &im, "sqlalchemy", "Column");
    imp(a, &im, "sqlalchemy", "ForeignKey");
    imp(a, &im, "sqlalchemy", "Table");
    imp(a, &im, "app.core.database", "Base");
    for (size_t i = 0; i < a->s->n_tables; i++) {
        const bb_table *t = &a->s->tables[i];
        for (size_t r = 0; r < t->n_rels; r++) {
            const bb_relationship *rel = &t->rels[r];
            int target = rel_target(a, rel);
            bool seen = false;
            if (rel->kind != BB_REL_MANY_TO_MANY || rel->through_index >= 0 || rel->through ||
                target < 0 || !rel->assoc_table)
                continue;
            for (size_t d = 0; d < done.n; d++)
                seen |= !strcmp(done.v[d], rel->assoc_table);
            if (seen || a->t[i].pk < 0 || a->t[target].pk < 0)
                continue;
            list_add(a, &done, rel->assoc_table);
            /* Sides in table-name order, as the automatic name is built. */
            int sides[2] = {(int)i, target};
            if (strcmp(a->s->tables[sides[0]].table_name, a->s->tables[sides[1]].table_name) > 0) {
                sides[0] = target;
                sides[1] = (int)i;
            }
            list items = {0};
            list_add(a, &items, lit(a, rel->assoc_table));
            list_add(a, &items, "Base.metadata");
            for (int sd = 0; sd < 2; sd++) {
                const bb_table *st = &a->s->tables[sides[sd]];
                int pk = a->t[sides[sd]].pk;
                list col = {0};
                list_add(a, &col,
                         lit(a, fmt(a, "%s_%s", snake(a, st->class_name), st->columns[pk].name)));
                list_add(a, &col, sa_type(a, sides[sd], pk, &im));
                list_add(a, &col,
                         fmt(a, "ForeignKey(%s, ondelete=\"CASCADE\")",
                             lit(a, fmt(a, "%s.%s", st->table_name, st->columns[pk].name))));
                list_add(a, &col, "primary_key=True");
                list_add(a, &items, fmt(a, "Column(%s)", join(a, &col, ", ")));
            }
            bb_plan_assoc *o = PUSH(a, plan->association_tables);
            o->name = rel->assoc_table;
            o->code = call(a, 0, fmt(a, "%s = Table", rel->assoc_table), &items, "");
        }
    }
    plan->has_association_tables = done.n > 0;
    plan->association_imports = render_imports(a, &im);
}

static void plan_models_init(arch *a, bb_plan *plan)
{
    imports im = {0};
    list all = {0};
    if (a->has_assoc) {
        imp(a, &im, "app.models", "associations");
        list_add(a, &all, "\"associations\"");
    }
    for (size_t i = 0; i < a->s->n_tables; i++) {
        const bb_table *t = &a->s->tables[i];
        imp(a, &im, fmt(a, "app.models.%s", t->table_name), t->class_name);
    }
    /* __all__ in the imports' order. */
    list names = {0};
    for (size_t i = 0; i < a->s->n_tables; i++)
        list_add(a, &names, a->s->tables[i].class_name);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), name_cmp);
    for (size_t i = 0; i < names.n; i++)
        list_add(a, &all, lit(a, names.v[i]));
    plan->models_imports = render_imports(a, &im);
    plan->models_all = wrap(a, 0, fmt(a, "__all__ = [%s]", join(a, &all, ", ")));
}

/* The number of segments of a route path ("/a/b": 2). */
static size_t path_depth(const char *route)
{
    size_t n = 0;
    for (; *route; route++)
        n += *route == '/';
    return n ? n : 1;
}

static void plan_router(arch *a, bb_plan *plan)
{
    imports im = {0};
    bb_plan_codes *inc = &plan->router_includes;
    /* The custom package imports its modules, so one name reaches them all
     * (`from x import y as z` lines would need aliases). */
    imp(a, &im, "fastapi", "APIRouter");
    for (size_t i = 0; i < a->s->n_tables; i++) {
        const bb_table *t = &a->s->tables[i];
        if (!a->t[i].routes)
            continue;
        imp(a, &im, "app.api.routes", t->table_name);
    }
    bool any = false;
    for (size_t i = 0; i < a->s->n_tables; i++)
        any |= a->t[i].routes;
    if (any)
        imp(a, &im, "app.api.routes", "custom");
    /* Deeper paths first (an advised /doctors/visits before /doctors, whose
     * /{item_id} would take it), else schema order. */
    size_t depth_max = 1;
    for (size_t i = 0; i < a->s->n_tables; i++)
        if (path_depth(a->t[i].route) > depth_max)
            depth_max = path_depth(a->t[i].route);
    for (size_t depth = depth_max; depth >= 1; depth--)
        for (size_t i = 0; i < a->s->n_tables; i++) {
            const bb_table *t = &a->s->tables[i];
            if (!a->t[i].routes || path_depth(a->t[i].route) != depth)
                continue;
            /* The custom router first: its fixed paths (/posts/summary) must win
             * over the generated /posts/{item_id}. */
            push_code(a, inc,
                      wrap(a, 0,
                           fmt(a,
                               "api_router.include_router(custom.%s.router, prefix=\"%s\", "
                               "tags=[\"%s\"])",
                               t->table_name, a->t[i].route, t->table_name)));
            push_code(a, inc,
                      wrap(a, 0, fmt(a, "api_router.include_router(%s.router)", t->table_name)));
        }
    plan->router_imports = render_imports(a, &im);
    imports ci = {0};
    for (size_t i = 0; i < a->s->n_tables; i++)
        if (a->t[i].routes)
            imp(a, &ci, "app.api.routes.custom", a->s->tables[i].table_name);
    plan->custom_imports = render_imports(a, &ci);
    list all = {0};
    for (size_t i = 0; i < a->s->n_tables; i++)
        if (a->t[i].routes)
            list_add(a, &all, a->s->tables[i].table_name);
    if (all.n)
        qsort(all.v, all.n, sizeof(char *), name_cmp);
    list quoted = {0};
    for (size_t i = 0; i < all.n; i++)
        list_add(a, &quoted, lit(a, all.v[i]));
    plan->custom_all = wrap(a, 0, fmt(a, "__all__ = [%s]", join(a, &quoted, ", ")));
}

/* ---- files ----------------------------------------------------------------------- */

static void file_entry(arch *a, const char *path, const char *tpl, const char *scope,
                       const bb_plan_model *model, bool user)
{
    bb_plan_file *f = PUSH(a, a->plan->files);
    f->model = model;
    f->path = path;
    f->template = tpl;
    f->scope = scope;
    f->user = user;
}

static void plan_files(arch *a, bb_plan *plan)
{
    static const char *const fixed[] = {
        ".flake8",
        ".gitignore",
        "README.md",
        "pyproject.toml",
        "alembic.ini",
        "alembic/env.py",
        "alembic/script.py.mako",
        "app/__init__.py",
        "app/api/__init__.py",
        "app/api/crud.py",
        "app/api/router.py",
        "app/api/routes/__init__.py",
        "app/api/routes/custom/__init__.py",
        "app/core/__init__.py",
        "app/core/config.py",
        "app/core/database.py",
        "app/enums.py",
        "app/main.py",
        "app/models/__init__.py",
        "app/schemas/__init__.py",
        "app/schemas/compat.py",
        "tests/__init__.py",
        "tests/conftest.py",
        "tests/factories.py",
        "tests/test_health.py",
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        file_entry(a, fixed[i], fixed[i], "", NULL, false);
    if (a->uses_timestamps || a->uses_soft_delete)
        file_entry(a, "app/models/mixins.py", "app/models/mixins.py", "", NULL, false);
    if (a->has_assoc)
        file_entry(a, "app/models/associations.py", "app/models/associations.py", "", NULL, false);
    if (a->uses_uuid)
        file_entry(a, "app/core/types.py", "app/core/types.py", "", NULL, false);
    for (size_t i = 0; i < a->s->n_tables; i++) {
        const bb_table *t = &a->s->tables[i];
        const char *scope = fmt(a, "/models/%d", a->t[i].model_index);
        const bb_plan_model *m = &plan->models.v[a->t[i].model_index];
        file_entry(a, fmt(a, "app/models/%s.py", t->table_name), "app/models/model.py", scope, m,
                   false);
        file_entry(a, fmt(a, "app/schemas/%s.py", t->table_name), "app/schemas/schema.py", scope, m,
                   false);
        if (!a->t[i].routes)
            continue;
        file_entry(a, fmt(a, "app/api/routes/%s.py", t->table_name), "app/api/routes/route.py",
                   scope, m, false);
        file_entry(a, fmt(a, "app/api/routes/custom/%s.py", t->table_name),
                   "app/api/routes/custom/custom.py", scope, m, true);
        file_entry(a, fmt(a, "tests/test_%s.py", t->table_name), "tests/test_resource.py", scope, m,
                   false);
    }
}

/* ---- names the architect generates ------------------------------------------ */

/* A generated SQL identifier longer than PostgreSQL keeps (63 bytes): an
 * error for PostgreSQL, which would truncate it silently, else a warning. */
static void check_length(arch *a, const char *ident, const char *what, const char *pointer,
                         size_t offset, const char *hint)
{
    size_t n = strlen(ident);
    if (a->rc || n <= 63)
        return;
    (void)bb_diag_add(a->diags, a->s->db_type == BB_DB_POSTGRESQL ? BB_ERROR : BB_WARNING, "BB0752",
                      pointer, offset, hint,
                      "the generated %s name '%s' is %zu bytes, over PostgreSQL's 63-byte limit",
                      what, ident, n);
}

static void check_names(arch *a)
{
    const bb_schema *s = a->s;
    list assoc = {0};
    if (!a->diags)
        return;
    for (size_t i = 0; i < s->n_tables && !a->rc; i++) {
        const bb_table *t = &s->tables[i];
        int owner;
        if (project_class(t->class_name))
            (void)bb_diag_add(a->diags, BB_ERROR, "BB0750", t->pointer, t->offset,
                              "choose another class_name (e.g. prefix it with the project's "
                              "domain)",
                              "class_name '%s' is a class the generated project defines itself",
                              t->class_name);
        owner = schema_class_owner(a, t->class_name, (int)i);
        if (owner >= 0)
            (void)bb_diag_add(a->diags, BB_ERROR, "BB0751", t->pointer, t->offset,
                              "rename one of the two classes",
                              "class_name '%s' is also the name of a request or response schema "
                              "of table '%s' (class %s)",
                              t->class_name, s->tables[owner].table_name,
                              s->tables[owner].class_name);
        if (a->t[i].n_keys)
            check_length(a, fmt(a, "pk_%s", t->table_name), "primary key constraint", t->pointer,
                         t->offset, "shorten the table name");
        for (size_t k = 0; k < t->n_columns; k++) {
            const bb_column *c = &t->columns[k];
            int tci, tti = fk_target(a, c, &tci);
            if (c->index && !c->primary_key)
                check_length(a, fmt(a, "ix_%s_%s", t->table_name, c->name), "index", c->pointer,
                             c->offset,
                             "drop \"index\" and add an index with an explicit \"name\" to the "
                             "table's \"indexes\"");
            else if (c->unique && !c->primary_key)
                check_length(a, fmt(a, "uq_%s_%s", t->table_name, c->name), "unique constraint",
                             c->pointer, c->offset,
                             "drop \"unique\" and add a unique constraint with an explicit "
                             "\"name\" to the table's \"unique\"");
            if (tti >= 0)
                check_length(
                    a, fmt(a, "fk_%s_%s_%s", t->table_name, c->name, s->tables[tti].table_name),
                    "foreign key constraint", c->pointer, c->offset,
                    "shorten the column or table names");
            if (a->t[i].enum_class[k])
                check_length(a, fmt(a, "%s_%s", t->table_name, c->name), "enum type", c->pointer,
                             c->offset, "shorten the column or table name");
        }
        for (size_t k = 0; k < t->n_uniques; k++)
            if (!t->uniques[k].name)
                check_length(
                    a,
                    fmt(a, "uq_%s_%s", t->table_name,
                        name_list(a, t->uniques[k].columns, t->uniques[k].n_columns, "_", false)),
                    "unique constraint", t->uniques[k].pointer, t->uniques[k].offset,
                    "give the unique constraint an explicit \"name\"");
        for (size_t k = 0; k < t->n_indexes; k++)
            if (!t->indexes[k].name)
                check_length(
                    a,
                    fmt(a, "ix_%s_%s", t->table_name,
                        name_list(a, t->indexes[k].columns, t->indexes[k].n_columns, "_", false)),
                    "index", t->indexes[k].pointer, t->indexes[k].offset,
                    "give the index an explicit \"name\"");
        for (size_t k = 0; k < t->n_checks; k++)
            check_length(a,
                         fmt(a, "ck_%s_%s", t->table_name,
                             t->checks[k].name ? t->checks[k].name : fmt(a, "%zu", k + 1)),
                         "check constraint", t->checks[k].pointer, t->checks[k].offset,
                         "give the check a shorter \"name\" (it becomes ck_<table>_<name>)");
        for (size_t r = 0; r < t->n_rels; r++) {
            const bb_relationship *rel = &t->rels[r];
            int target = rel_target(a, rel);
            bool seen = false;
            if (rel->kind != BB_REL_MANY_TO_MANY || rel->through_index >= 0 || rel->through ||
                target < 0 || !rel->assoc_table || a->t[i].pk < 0 || a->t[target].pk < 0)
                continue;
            for (size_t d = 0; d < assoc.n; d++)
                seen |= !strcmp(assoc.v[d], rel->assoc_table);
            if (seen)
                continue;
            list_add(a, &assoc, rel->assoc_table);
            const char *hint = "name the association table with \"through\" (a table of the "
                               "schema)";
            check_length(a, rel->assoc_table, "association table", rel->pointer, rel->offset, hint);
            check_length(a, fmt(a, "pk_%s", rel->assoc_table), "primary key constraint",
                         rel->pointer, rel->offset, hint);
            for (int sd = 0; sd < 2; sd++) {
                const bb_table *st = &s->tables[sd ? target : (int)i];
                int pk = a->t[sd ? target : (int)i].pk;
                check_length(a,
                             fmt(a, "fk_%s_%s_%s_%s", rel->assoc_table, snake(a, st->class_name),
                                 st->columns[pk].name, st->table_name),
                             "foreign key constraint", rel->pointer, rel->offset, hint);
            }
        }
    }
}

/* ---- the plan ----------------------------------------------------------------------- */

static void plan_all(arch *a, bb_plan *plan)
{
    const bb_schema *s = a->s;

    plan->backbone_version = BB_VERSION;
    prepass(a);
    if (a->rc)
        return; /* the per-table facts are incomplete */
    check_names(a);
    plan_project(a, plan);
    for (size_t i = 0; i < s->n_build_order; i++)
        push_str(a, &plan->build_order, s->tables[s->build_order[i]].table_name);
    if (!s->n_build_order)
        for (size_t i = 0; i < s->n_tables; i++)
            push_str(a, &plan->build_order, s->tables[i].table_name);
    plan->uses_timestamps = a->uses_timestamps;
    plan->uses_soft_delete = a->uses_soft_delete;
    plan->uses_uuid = a->uses_uuid;
    plan_enums(a, plan);
    plan_associations(a, plan);

    /* Files point at their models: the list is made at its full size. */
    if (bb_plan_list_reserve(plan, &plan->models, sizeof(bb_plan_model), s->n_tables)) {
        fail(a, BB_ENOMEM);
        return;
    }
    for (size_t i = 0; i < s->n_tables; i++) {
        const bb_table *t = &s->tables[i];
        bb_plan_model *m = PUSH(a, plan->models);
        a->t[i].model_index = (int)i;
        m->class = t->class_name;
        m->table = t->table_name;
        m->module = t->table_name;
        m->description = t->description ? t->description : "";
        m->timestamps = t->use_timestamps;
        m->soft_delete = t->use_soft_delete;
        m->routes = a->t[i].routes;
        m->api_path = a->t[i].api_path;
        plan_model(a, (int)i, m);
        plan_schema(a, (int)i, m);
        if (a->t[i].routes) {
            plan_routes(a, (int)i, m);
            plan_tests(a, (int)i, m);
            bb_plan_factory *f = PUSH(a, plan->factories);
            f->class = t->class_name;
            plan_factory(a, (int)i, f);
        }
    }
    plan->uses_search = a->uses_search;
    plan_models_init(a, plan);
    plan_router(a, plan);
    plan_files(a, plan);
}

int bb_architect_plan(const bb_schema *s, const bb_plan_advice *advice, bb_diags *diags,
                      bb_plan **plan)
{
    arch *a;
    bb_plan *p;
    *plan = NULL;
    if (!s)
        return BB_EUSAGE;
    a = bb_calloc(1, sizeof(*a));
    p = bb_plan_new(ARENA_MAX);
    if (!a || !p) {
        bb_free(a);
        bb_plan_free(p);
        return BB_ENOMEM;
    }
    a->s = s;
    a->diags = diags;
    a->advice = advice;
    a->plan = p;
    a->arena = &p->arena;
    bb_buf_init(&a->scratch, CODE_MAX);
    plan_all(a, p);
    bb_buf_free(&a->scratch);
    int rc = a->rc;
    bb_free(a);
    if (rc) {
        bb_plan_free(p);
        return rc;
    }
    *plan = p;
    return BB_OK;
}
