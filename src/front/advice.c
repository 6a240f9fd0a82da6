/* advice.c - model advice kept in the schema, and its one check (see advice.h). */
#include "front/advice.h"

#include "front/patterns.h"
#include "json/jsoncheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bb_advice_list_push(bb_advice_list *l, const bb_table *t, const bb_advice *a)
{
    if (bb_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
        return BB_ENOMEM;
    l->v[l->n].table = t;
    l->v[l->n].advice = a;
    l->n++;
    return BB_OK;
}

void bb_advice_list_free(bb_advice_list *l)
{
    bb_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static bb_advice_fault fault(char *why, size_t cap, bb_advice_fault f, const char *fmt,
                             const char *a, const char *b)
{
    snprintf(why, cap, fmt, a ? a : "", b ? b : "");
    return f;
}

/* ---- text ------------------------------------------------------------------ */

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

const char *bb_advice_text_problem(const char *text, char *buf, size_t cap)
{
    if (!text || !*text)
        return "the text is empty";
    size_t n = strlen(text);
    if (!bb_jsoncheck_utf8_valid(text, n))
        return "the text is not valid UTF-8";
    if (utf8_chars(text) > BB_ADVICE_MAX_TEXT)
        return "the text is longer than the string limit";
    if (bb_jsoncheck_hidden_at(text) != (size_t)-1)
        return "the text holds control, bidirectional or invisible characters";
    if (strstr(text, "\"\"\"") || strstr(text, "'''"))
        return "the text holds a triple quote, which would end a docstring";
    bb_pattern_hit hit;
    int rc = bb_patterns_scan(text, n, &hit);
    if (rc < 0)
        return "the text could not be checked";
    if (rc == 1) {
        bb_buf q;
        bb_buf_init(&q, 200);
        if (bb_jsoncheck_quote(&q, text + hit.start, hit.end - hit.start, false) != BB_OK)
            bb_buf_reset(&q);
        snprintf(buf, cap, "the text looks like %s ('%.80s')",
                 bb_pattern_category_name(hit.category), bb_buf_str(&q));
        bb_buf_free(&q);
        return buf;
    }
    return NULL;
}

/* ---- example values ---------------------------------------------------------- */

/* The n digits at s as a number, -1 when they are not n digits. */
static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return n ? v : -1;
}

static bool in_range(const char *s, size_t n, int lo, int hi)
{
    int v = num(s, n);
    return v >= lo && v <= hi;
}

/* YYYY-MM-DD, a day of the calendar; the length read through *len. */
static bool read_date(const char *v, size_t *len)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(v) < 10 || v[4] != '-' || v[7] != '-' || !in_range(v, 4, 1, 9999) ||
        !in_range(v + 5, 2, 1, 12))
        return false;
    int y = num(v, 4), m = num(v + 5, 2);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    *len = 10;
    return in_range(v + 8, 2, 1, m == 2 && !leap ? 28 : days[m - 1]);
}

/* HH:MM[:SS[.ffffff]]; the length read through *len. */
static bool read_time(const char *v, size_t *len)
{
    if (strlen(v) < 5 || v[2] != ':' || !in_range(v, 2, 0, 23) || !in_range(v + 3, 2, 0, 59))
        return false;
    size_t n = 5;
    if (v[n] == ':') {
        if (!in_range(v + n + 1, 2, 0, 59))
            return false;
        n += 3;
        if (v[n] == '.') {
            size_t k = 0;
            while (v[n + 1 + k] >= '0' && v[n + 1 + k] <= '9')
                k++;
            if (k == 0 || k > 6)
                return false;
            n += 1 + k;
        }
    }
    *len = n;
    return true;
}

/* Nothing, Z, or +HH:MM / -HH:MM. */
static bool is_zone(const char *v)
{
    if (!*v || strcmp(v, "Z") == 0)
        return true;
    return (v[0] == '+' || v[0] == '-') && strlen(v) == 6 && v[3] == ':' &&
           in_range(v + 1, 2, 0, 23) && in_range(v + 4, 2, 0, 59);
}

static bool is_date(const char *v)
{
    size_t n;
    return read_date(v, &n) && v[n] == '\0';
}

static bool is_time(const char *v)
{
    size_t n;
    return read_time(v, &n) && is_zone(v + n);
}

static bool is_datetime(const char *v)
{
    size_t n, m;
    return read_date(v, &n) && (v[n] == 'T' || v[n] == ' ') && read_time(v + n + 1, &m) &&
           is_zone(v + n + 1 + m);
}

static bool is_uuid(const char *v)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (strlen(v) != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; shape[i]; i++) {
        bool hex = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f') ||
                   (v[i] >= 'A' && v[i] <= 'F');
        if (shape[i] == '-' ? v[i] != '-' : !hex)
            return false;
    }
    return true;
}

/* [-]digits[.digits] within the column's precision and scale. */
static const char *decimal_problem(const bb_column *col, const char *v)
{
    const char *p = v + (*v == '-');
    size_t whole = strspn(p, "0123456789");
    size_t frac = p[whole] == '.' ? strspn(p + whole + 1, "0123456789") : 0;
    size_t used = whole + (p[whole] == '.' ? 1 + frac : 0);
    if (whole == 0 || p[used] != '\0' || (p[whole] == '.' && frac == 0))
        return "it is not a decimal number";
    while (whole > 1 && *p == '0') {
        p++;
        whole--;
    }
    if (col->scale >= 0 && frac > (size_t)col->scale)
        return "it has more digits after the point than the column's scale";
    int scale = col->scale >= 0 ? col->scale : 0;
    if (col->precision > 0 && whole > (size_t)(col->precision - scale))
        return "it has more digits than the column's precision";
    return NULL;
}

static const char *float_problem(const char *v)
{
    const char *p = v + (*v == '-');
    size_t whole = strspn(p, "0123456789"), n = whole;
    if (p[n] == '.')
        n += 1 + strspn(p + n + 1, "0123456789");
    if (n == 0 || (n == 1 && p[0] == '.'))
        return "it is not a number";
    if (p[n] == 'e' || p[n] == 'E') {
        size_t e = n + 1 + (p[n + 1] == '+' || p[n + 1] == '-');
        size_t k = strspn(p + e, "0123456789");
        if (k == 0)
            return "it is not a number";
        n = e + k;
    }
    if (p[n] != '\0')
        return "it is not a number";
    double d = strtod(v, NULL);
    return isfinite(d) ? NULL : "it is not a finite number";
}

/* An example value must read as a value of the column's type. */
static const char *example_problem(const bb_column *col, const char *v)
{
    size_t n = strlen(v);
    switch (col->type) {
    case BB_TYPE_INTEGER:
    case BB_TYPE_BIGINTEGER:
    case BB_TYPE_SMALLINTEGER: {
        size_t sign = v[0] == '-';
        bool ok = n > sign && n - sign <= 18 && strspn(v + sign, "0123456789") == n - sign;
        return ok ? NULL : "it is not an integer";
    }
    case BB_TYPE_BOOLEAN:
        return strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ? NULL : "it is not true or false";
    case BB_TYPE_ENUM:
        for (size_t i = 0; i < col->n_enum_values; i++)
            if (strcmp(col->enum_values[i], v) == 0)
                return NULL;
        return "it is not one of the enum's values";
    case BB_TYPE_STRING:
        return col->length > 0 && utf8_chars(v) > (size_t)col->length
                   ? "it is longer than the column"
                   : NULL;
    case BB_TYPE_TEXT:
        return NULL;
    case BB_TYPE_FLOAT:
        return float_problem(v);
    case BB_TYPE_NUMERIC:
        return decimal_problem(col, v);
    case BB_TYPE_DATE:
        return is_date(v) ? NULL : "it is not a date (YYYY-MM-DD)";
    case BB_TYPE_DATETIME:
        return is_datetime(v) ? NULL : "it is not a date and time (YYYY-MM-DDTHH:MM:SS)";
    case BB_TYPE_TIME:
        return is_time(v) ? NULL : "it is not a time of day (HH:MM:SS)";
    case BB_TYPE_UUID:
        return is_uuid(v) ? NULL : "it is not a UUID";
    default:
        return "examples are only taken for scalar columns";
    }
}

/* ---- the check ------------------------------------------------------------ */

static bool is_text_type(bb_col_type t)
{
    return t == BB_TYPE_STRING || t == BB_TYPE_TEXT || t == BB_TYPE_ENUM;
}

static bool is_orderable_type(bb_col_type t)
{
    return t != BB_TYPE_JSON && t != BB_TYPE_LARGEBINARY && t != BB_TYPE_UNKNOWN;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Was advice of kind for (t, column) accepted already? */
static bool taken_kind(const bb_advice_list *taken, const bb_table *t, const char *kind,
                       const char *column)
{
    for (size_t i = 0; taken && i < taken->n; i++) {
        const bb_advice *a = taken->v[i].advice;
        if (taken->v[i].table == t && strcmp(a->kind, kind) == 0 && same_str(a->column, column))
            return true;
    }
    return false;
}

static bool taken_default_sort(const bb_advice_list *taken, const bb_table *t)
{
    for (size_t i = 0; taken && i < taken->n; i++)
        if (taken->v[i].table == t && strcmp(taken->v[i].advice->kind, "default_sort") == 0)
            return true;
    return false;
}

/* A route path: '/' then lower-case segments of [a-z0-9_-], at most 64 bytes. */
static bool route_path_valid(const char *v)
{
    size_t n = strlen(v);
    if (n < 2 || n > 64 || v[0] != '/' || v[n - 1] == '/')
        return false;
    for (size_t i = 1; i < n; i++) {
        char ch = v[i];
        bool seg = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!seg && !(ch == '/' && v[i - 1] != '/'))
            return false;
    }
    return true;
}

static bool route_path_taken(const bb_schema *s, const bb_table *self, const char *v,
                             const bb_advice_list *taken)
{
    for (size_t i = 0; i < s->n_tables; i++)
        if (&s->tables[i] != self && strcmp(v + 1, s->tables[i].table_name) == 0)
            return true;
    for (size_t i = 0; taken && i < taken->n; i++) {
        const bb_advice *a = taken->v[i].advice;
        if (strcmp(a->kind, "route_path") == 0 && a->value && strcmp(a->value, v) == 0)
            return true;
    }
    return false;
}

/* Does the column list of an index equal names[0..n), in any order? */
static bool same_set(const char *const *cols, size_t n_cols, const char *const *names, size_t n)
{
    if (n_cols != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < n_cols && !found; j++)
            found = strcmp(names[i], cols[j]) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* Why an index on names[0..n) adds nothing, or NULL. */
static const char *index_duplicate(const bb_table *t, const char *const *names, size_t n,
                                   const bb_advice_list *taken)
{
    const char *pk[BB_ADVICE_MAX_INDEX_COLUMNS + 1];
    size_t n_pk = 0;
    for (size_t i = 0; i < t->n_columns && n_pk <= BB_ADVICE_MAX_INDEX_COLUMNS; i++)
        if (t->columns[i].primary_key)
            pk[n_pk++] = t->columns[i].name;
    if (n_pk <= BB_ADVICE_MAX_INDEX_COLUMNS && same_set(pk, n_pk, names, n))
        return "it repeats the primary key";
    if (n == 1) {
        const bb_column *c = &t->columns[bb_table_column_index(t, names[0])];
        if (c->unique)
            return "the column is unique, so it has an index already";
        if (c->index)
            return "the column is indexed already";
    }
    for (size_t i = 0; i < t->n_uniques; i++)
        if (same_set(t->uniques[i].columns, t->uniques[i].n_columns, names, n))
            return "it repeats a unique constraint";
    for (size_t i = 0; i < t->n_indexes; i++)
        if (same_set(t->indexes[i].columns, t->indexes[i].n_columns, names, n))
            return "it repeats an index of the schema";
    for (size_t i = 0; taken && i < taken->n; i++) {
        const bb_advice *a = taken->v[i].advice;
        if (taken->v[i].table == t && strcmp(a->kind, "index") == 0 &&
            same_set(a->columns, a->n_columns, names, n))
            return "another proposal has the same index";
    }
    return NULL;
}

static bb_advice_fault check_index(const bb_table *t, const bb_advice *a,
                                   const bb_advice_list *taken, char *why, size_t cap)
{
    if (a->n_columns == 0)
        return fault(why, cap, BB_ADVICE_BAD_INDEX, "an index needs columns%s%s", NULL, NULL);
    if (a->n_columns > BB_ADVICE_MAX_INDEX_COLUMNS)
        return fault(why, cap, BB_ADVICE_BAD_INDEX, "an index has at most 3 columns%s%s", NULL,
                     NULL);
    for (size_t i = 0; i < a->n_columns; i++) {
        int ci = bb_table_column_index(t, a->columns[i]);
        if (ci < 0)
            return fault(why, cap, BB_ADVICE_UNKNOWN_NAME, "table '%s' has no column '%s'",
                         t->table_name, a->columns[i]);
        if (!is_orderable_type(t->columns[ci].type))
            return fault(why, cap, BB_ADVICE_BAD_INDEX, "column '%s' cannot be indexed%s",
                         a->columns[i], NULL);
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->columns[i], a->columns[j]) == 0)
                return fault(why, cap, BB_ADVICE_BAD_INDEX,
                             "column '%s' appears twice in the index%s", a->columns[i], NULL);
    }
    const char *dup = index_duplicate(t, a->columns, a->n_columns, taken);
    return dup ? fault(why, cap, BB_ADVICE_BAD_INDEX, "%s%s", dup, NULL) : BB_ADVICE_FITS;
}

static bb_advice_fault check_text(const char *text, char *why, size_t cap)
{
    char buf[200];
    const char *p = bb_advice_text_problem(text, buf, sizeof(buf));
    return p ? fault(why, cap, BB_ADVICE_UNSAFE_TEXT, "%s%s", p, NULL) : BB_ADVICE_FITS;
}

static bb_advice_fault check_table_level(const bb_schema *s, const bb_table *t, const bb_advice *a,
                                         const bb_advice_list *taken, char *why, size_t cap)
{
    if (strcmp(a->kind, "route_path") == 0) {
        if (!a->value || !route_path_valid(a->value))
            return fault(why, cap, BB_ADVICE_BAD,
                         "'%s' is not a route path ('/' and lower-case segments)%s",
                         a->value ? a->value : "(none)", NULL);
        if (route_path_taken(s, t, a->value, taken) || taken_kind(taken, t, a->kind, NULL))
            return fault(why, cap, BB_ADVICE_BAD, "route path '%s' is taken%s", a->value, NULL);
        return BB_ADVICE_FITS;
    }
    if (strcmp(a->kind, "index") == 0)
        return check_index(t, a, taken, why, cap);
    if (strcmp(a->kind, "docstring") == 0) {
        if ((t->description && *t->description) || taken_kind(taken, t, a->kind, NULL))
            return fault(why, cap, BB_ADVICE_BAD, "table '%s' has a description already%s",
                         t->table_name, NULL);
        return check_text(a->value, why, cap);
    }
    return fault(why, cap, BB_ADVICE_BAD, "a %s needs a column%s", a->kind, NULL);
}

bb_advice_fault bb_advice_check(const bb_schema *s, const bb_table *t, const bb_advice *a,
                                const bb_advice_list *taken, char *why, size_t cap)
{
    if (!a->column || strcmp(a->kind, "index") == 0 || strcmp(a->kind, "route_path") == 0)
        return check_table_level(s, t, a, taken, why, cap);
    int ci = bb_table_column_index(t, a->column);
    if (ci < 0)
        return fault(why, cap, BB_ADVICE_UNKNOWN_NAME, "table '%s' has no column '%s'",
                     t->table_name, a->column);
    const bb_column *col = &t->columns[ci];
    const char *kind = a->kind;
    if (taken_kind(taken, t, kind, col->name))
        return fault(why, cap, BB_ADVICE_BAD, "a proposal for '%s' of this kind came already%s",
                     col->name, NULL);
    if (strcmp(kind, "searchable") == 0 && !is_text_type(col->type))
        return fault(why, cap, BB_ADVICE_BAD, "column '%s' is not text, so it cannot be searched%s",
                     col->name, NULL);
    bool ordered = strcmp(kind, "sortable") == 0 || strcmp(kind, "filterable") == 0 ||
                   strcmp(kind, "default_sort") == 0;
    if (ordered && !is_orderable_type(col->type))
        return fault(why, cap, BB_ADVICE_BAD, "column '%s' cannot be compared%s", col->name, NULL);
    if (strcmp(kind, "filterable") == 0 && (col->index || col->unique || col->primary_key))
        return fault(why, cap, BB_ADVICE_BAD, "column '%s' is a filter already%s", col->name, NULL);
    if (strcmp(kind, "default_sort") == 0 && taken_default_sort(taken, t))
        return fault(why, cap, BB_ADVICE_BAD, "table '%s' has a default sort already%s",
                     t->table_name, NULL);
    if (strcmp(kind, "docstring") == 0) {
        if (col->description && *col->description)
            return fault(why, cap, BB_ADVICE_BAD, "column '%s' has a description already%s",
                         col->name, NULL);
        return check_text(a->value, why, cap);
    }
    if (strcmp(kind, "example") == 0) {
        bb_advice_fault f = check_text(a->value, why, cap);
        if (f)
            return f;
        const char *problem = example_problem(col, a->value);
        if (problem)
            return fault(why, cap, BB_ADVICE_BAD, "the example does not fit: %s%s", problem, NULL);
    }
    return BB_ADVICE_FITS;
}

/* ---- applying -------------------------------------------------------------- */

static int add_index(bb_schema *s, bb_table *t, const bb_advice *a)
{
    bb_index *idx = bb_arena_alloc(&s->arena, (t->n_indexes + 1) * sizeof(*idx));
    const char **names = bb_arena_alloc(&s->arena, a->n_columns * sizeof(*names));
    if (!idx || !names)
        return BB_ENOMEM;
    if (t->n_indexes)
        memcpy(idx, t->indexes, t->n_indexes * sizeof(*idx));
    /* The schema's own spelling of each name. */
    for (size_t i = 0; i < a->n_columns; i++)
        names[i] = t->columns[bb_table_column_index(t, a->columns[i])].name;
    bb_index *x = &idx[t->n_indexes];
    memset(x, 0, sizeof(*x));
    x->columns = names;
    x->n_columns = a->n_columns;
    x->pointer = a->pointer ? a->pointer : t->pointer;
    x->offset = a->pointer ? a->offset : t->offset;
    t->indexes = idx;
    t->n_indexes++;
    return BB_OK;
}

int bb_advice_apply_schema(bb_schema *s, bb_table *t, const bb_advice *a, bool *changed)
{
    *changed = false;
    bb_column *col = a->column && strcmp(a->kind, "index") != 0
                         ? &t->columns[bb_table_column_index(t, a->column)]
                         : NULL;
    if (strcmp(a->kind, "docstring") == 0) {
        char *text = bb_arena_strdup(&s->arena, a->value);
        if (!text)
            return BB_ENOMEM;
        if (col)
            col->description = text;
        else
            t->description = text;
    } else if (strcmp(a->kind, "index") == 0) {
        int rc = add_index(s, t, a);
        if (rc)
            return rc;
    } else if (strcmp(a->kind, "filterable") == 0) {
        /* The architect makes indexed columns filters of the list endpoint. */
        col->index = true;
    } else {
        return BB_OK;
    }
    *changed = true;
    return BB_OK;
}

int bb_advice_apply_kept(bb_schema *s, bb_diags *d, bb_advice_list *kept)
{
    bb_advice_list taken = {0};
    int rc = BB_OK;
    bool misfit = false;
    for (size_t ti = 0; ti < s->n_tables && !rc; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t i = 0; i < t->n_advice && !rc; i++) {
            const bb_advice *a = &t->advice[i];
            char why[400];
            if (bb_advice_check(s, t, a, &taken, why, sizeof(why)) != BB_ADVICE_FITS) {
                misfit = true;
                rc = bb_diag_add(d, BB_ERROR, "BB0920", a->pointer, a->offset,
                                 "correct the entry or remove it from \"advice\"",
                                 "kept advice (%s) does not fit the schema: %s", a->kind, why);
                continue;
            }
            bool changed;
            rc = bb_advice_apply_schema(s, t, a, &changed);
            if (!rc)
                rc = bb_advice_list_push(&taken, t, a);
        }
    }
    if (!rc && kept)
        *kept = taken;
    else
        bb_advice_list_free(&taken);
    return rc ? rc : misfit ? BB_EINVAL : BB_OK;
}
