/* advisor.c - model advice for the architect and the reviewer (see advisor.h). */
#include "pipeline/advisor.h"

#include "base/pylit.h"
#include "front/patterns.h"
#include "plan/architect.h"
#include "json/jsonpointer.h"

#include <cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the answers' JSON Schemas (strict-mode ready) ------------------------ */

static const char proposals_schema_json[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"proposals\"],"
    "\"properties\":{\"proposals\":{\"type\":\"array\",\"maxItems\":200,\"items\":{"
    "\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"kind\",\"table\",\"column\",\"columns\",\"value\",\"descending\",\"reason\"],"
    "\"properties\":{"
    "\"kind\":{\"type\":\"string\",\"enum\":[\"route_path\",\"filterable\",\"searchable\","
    "\"sortable\",\"default_sort\",\"index\",\"docstring\",\"example\"]},"
    "\"table\":{\"type\":\"string\",\"maxLength\":128},"
    "\"column\":{\"type\":[\"string\",\"null\"],\"maxLength\":128},"
    "\"columns\":{\"type\":[\"array\",\"null\"],\"maxItems\":16,"
    "\"items\":{\"type\":\"string\",\"maxLength\":128}},"
    "\"value\":{\"type\":[\"string\",\"null\"],\"maxLength\":2000},"
    "\"descending\":{\"type\":[\"boolean\",\"null\"]},"
    "\"reason\":{\"type\":[\"string\",\"null\"],\"maxLength\":500}}}}}}";

static const char review_schema_json[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"findings\"],"
    "\"properties\":{\"findings\":{\"type\":\"array\",\"maxItems\":100,\"items\":{"
    "\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"pointer\",\"rule\",\"message\",\"hint\"],\"properties\":{"
    "\"pointer\":{\"type\":\"string\",\"maxLength\":512},"
    "\"rule\":{\"type\":\"string\",\"enum\":[\"money-as-float\",\"email-not-unique\","
    "\"fk-without-index\",\"missing-timestamps\",\"nullable-required\",\"naming\","
    "\"missing-constraint\",\"other\"]},"
    "\"message\":{\"type\":\"string\",\"maxLength\":500},"
    "\"hint\":{\"type\":[\"string\",\"null\"],\"maxLength\":500}}}}}}";

static pthread_once_t schemas_once = PTHREAD_ONCE_INIT;
static cJSON *proposals_schema, *review_schema;

static void parse_schemas(void)
{
    proposals_schema = cJSON_Parse(proposals_schema_json);
    review_schema = cJSON_Parse(review_schema_json);
}

const cJSON *bb_advisor_proposals_schema(void)
{
    pthread_once(&schemas_once, parse_schemas);
    return proposals_schema;
}

const cJSON *bb_advisor_review_schema(void)
{
    pthread_once(&schemas_once, parse_schemas);
    return review_schema;
}

/* ---- checking proposals ---------------------------------------------------- */

typedef struct checker {
    const bb_schema *s;
    bb_diags *d;
    cJSON *accepted;
    int index; /* of the proposal being checked, for messages */
    const char *kind;
} checker;

static const char *str_or_null(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A note about proposal c->index; returns 0 so callers can `return reject(...)`. */
static int reject(checker *c, const char *code, const bb_table *t, const char *fmt, const char *a,
                  const char *b)
{
    char why[600];
    snprintf(why, sizeof(why), fmt, a ? a : "", b ? b : "");
    (void)bb_diag_add(c->d, BB_NOTE, code, t ? t->pointer : NULL, t ? t->offset : BB_NO_OFFSET,
                      NULL, "model proposal %d (%s) rejected: %s", c->index, c->kind, why);
    return 0;
}

static bool utf8_valid_printable(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x20 && *p != '\n' && *p != '\t')
            return false;
        if (*p == 0x7f)
            return false;
        int n = *p < 0x80 ? 0 : (*p >> 5) == 6 ? 1 : (*p >> 4) == 14 ? 2 : (*p >> 3) == 30 ? 3 : -1;
        if (n < 0)
            return false;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return false;
    }
    return true;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/*
 * Text the model wants in generated code goes through the checks user text
 * gets: length, printable UTF-8, the suspicious patterns, and no quote run
 * that could close a Python string.
 */
static bool text_acceptable(checker *c, const bb_table *t, const char *text)
{
    if (!text || !*text)
        return reject(c, "BB0906", t, "the text is empty%s%s", NULL, NULL);
    if (utf8_chars(text) > BB_ADVISOR_MAX_TEXT)
        return reject(c, "BB0905", t, "the text is longer than the string limit%s%s", NULL, NULL);
    if (!utf8_valid_printable(text))
        return reject(c, "BB0905", t, "the text holds control characters or invalid UTF-8%s%s",
                      NULL, NULL);
    if (strstr(text, "\"\"\"") || strstr(text, "'''"))
        return reject(c, "BB0905", t,
                      "the text holds a triple quote, which would end a docstring%s%s", NULL, NULL);
    bb_pattern_hit hit;
    int rc = bb_patterns_scan(text, strlen(text), &hit);
    if (rc == 1) {
        char matched[80];
        size_t n =
            hit.end - hit.start < sizeof(matched) - 1 ? hit.end - hit.start : sizeof(matched) - 1;
        memcpy(matched, text + hit.start, n);
        matched[n] = '\0';
        return reject(c, "BB0905", t, "the text looks like %s ('%s')",
                      bb_pattern_category_name(hit.category), matched);
    }
    if (rc < 0)
        return reject(c, "BB0905", t, "the text could not be checked%s%s", NULL, NULL);
    return true;
}

static const bb_table *find_table(checker *c, const char *name)
{
    int i = name ? bb_schema_table_index(c->s, name) : -1;
    if (i < 0) {
        reject(c, "BB0903", NULL, "there is no table '%s'%s", name ? name : "(none)", NULL);
        return NULL;
    }
    return &c->s->tables[i];
}

static const bb_column *find_column(checker *c, const bb_table *t, const char *name)
{
    int i = name ? bb_table_column_index(t, name) : -1;
    if (i < 0) {
        reject(c, "BB0903", t, "table '%s' has no column '%s'", t->table_name,
               name ? name : "(none)");
        return NULL;
    }
    return &t->columns[i];
}

static bool is_text_type(bb_col_type t)
{
    return t == BB_TYPE_STRING || t == BB_TYPE_TEXT || t == BB_TYPE_ENUM;
}

static bool is_orderable_type(bb_col_type t)
{
    return t != BB_TYPE_JSON && t != BB_TYPE_LARGEBINARY && t != BB_TYPE_UNKNOWN;
}

/* Does an accepted proposal of kind for (table, column) exist already? */
static bool already_accepted(const checker *c, const char *kind, const char *table,
                             const char *column)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, c->accepted)
    {
        const char *k = str_or_null(p, "kind"), *t = str_or_null(p, "table");
        const char *col = str_or_null(p, "column");
        if (k && t && strcmp(k, kind) == 0 && strcmp(t, table) == 0 &&
            ((!col && !column) || (col && column && strcmp(col, column) == 0)))
            return true;
    }
    return false;
}

/* The accepted form of a proposal: only the fields that matter, "source": "llm". */
static cJSON *accepted_entry(const cJSON *p, const bb_table *t, const bb_column *col)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "kind", str_or_null(p, "kind"));
    cJSON_AddStringToObject(e, "table", t->table_name);
    if (col)
        cJSON_AddStringToObject(e, "column", col->name);
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(p, "columns");
    if (cJSON_IsArray(cols) && strcmp(str_or_null(p, "kind"), "index") == 0)
        cJSON_AddItemToObject(e, "columns", cJSON_Duplicate(cols, 1));
    const char *v = str_or_null(p, "value");
    if (v)
        cJSON_AddStringToObject(e, "value", v);
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(p, "descending");
    if (cJSON_IsBool(desc))
        cJSON_AddBoolToObject(e, "descending", cJSON_IsTrue(desc));
    const char *why = str_or_null(p, "reason");
    if (why && utf8_valid_printable(why) && utf8_chars(why) <= 500)
        cJSON_AddStringToObject(e, "reason", why);
    cJSON_AddStringToObject(e, "source", "llm");
    return e;
}

static int accept(checker *c, const cJSON *p, const bb_table *t, const bb_column *col)
{
    cJSON *e = accepted_entry(p, t, col);
    if (!e || !cJSON_AddItemToArray(c->accepted, e)) {
        cJSON_Delete(e);
        return BB_ENOMEM;
    }
    return BB_OK;
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

static bool route_path_taken(const checker *c, const bb_table *self, const char *v)
{
    for (size_t i = 0; i < c->s->n_tables; i++) {
        const bb_table *t = &c->s->tables[i];
        if (t != self && v[0] == '/' && strcmp(v + 1, t->table_name) == 0)
            return true;
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, c->accepted)
    {
        const char *k = str_or_null(p, "kind"), *val = str_or_null(p, "value");
        if (k && val && strcmp(k, "route_path") == 0 && strcmp(val, v) == 0)
            return true;
    }
    return false;
}

/* Sorted, comma-joined column list: the identity of an index. */
static void index_key(const char **cols, size_t n, char *out, size_t cap)
{
    const char *sorted[BB_ADVISOR_MAX_INDEX_COLUMNS + 1];
    for (size_t i = 0; i < n; i++)
        sorted[i] = cols[i];
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
            const char *tmp = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = tmp;
        }
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", sorted[i]);
}

/* Why the column set duplicates something the table has already, or NULL. */
static const char *index_duplicate(const checker *c, const bb_table *t, const char **cols, size_t n)
{
    char key[600], other[600];
    index_key(cols, n, key, sizeof(key));
    if (n == 1) {
        const bb_column *col = &t->columns[bb_table_column_index(t, cols[0])];
        if (col->primary_key)
            return "it repeats the primary key";
        if (col->unique)
            return "the column is unique, which indexes it already";
        if (col->index)
            return "the column is indexed already";
    }
    const char *pk[BB_ADVISOR_MAX_INDEX_COLUMNS + 1];
    size_t n_pk = 0;
    for (size_t i = 0; i < t->n_columns && n_pk <= BB_ADVISOR_MAX_INDEX_COLUMNS; i++)
        if (t->columns[i].primary_key)
            pk[n_pk++] = t->columns[i].name;
    if (n_pk == n) {
        index_key(pk, n_pk, other, sizeof(other));
        if (strcmp(key, other) == 0)
            return "it repeats the primary key";
    }
    for (size_t i = 0; i < t->n_uniques; i++) {
        if (t->uniques[i].n_columns != n)
            continue;
        index_key(t->uniques[i].columns, n, other, sizeof(other));
        if (strcmp(key, other) == 0)
            return "it repeats a unique constraint";
    }
    for (size_t i = 0; i < t->n_indexes; i++) {
        if (t->indexes[i].n_columns != n)
            continue;
        index_key(t->indexes[i].columns, n, other, sizeof(other));
        if (strcmp(key, other) == 0)
            return "it repeats an index of the schema";
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, c->accepted)
    {
        const char *k = str_or_null(p, "kind"), *tn = str_or_null(p, "table");
        const cJSON *pc = cJSON_GetObjectItemCaseSensitive(p, "columns");
        if (!k || strcmp(k, "index") != 0 || strcmp(tn, t->table_name) != 0 ||
            (size_t)cJSON_GetArraySize(pc) != n)
            continue;
        const char *names[BB_ADVISOR_MAX_INDEX_COLUMNS];
        size_t m = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, pc) names[m++] = e->valuestring;
        index_key(names, m, other, sizeof(other));
        if (strcmp(key, other) == 0)
            return "another proposal has the same index";
    }
    return NULL;
}

static int check_index(checker *c, const cJSON *p, const bb_table *t)
{
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(p, "columns");
    size_t n = cJSON_IsArray(cols) ? (size_t)cJSON_GetArraySize(cols) : 0;
    if (n == 0)
        return reject(c, "BB0904", t, "an index needs columns%s%s", NULL, NULL);
    if (n > BB_ADVISOR_MAX_INDEX_COLUMNS) {
        char lim[16];
        snprintf(lim, sizeof(lim), "%d", BB_ADVISOR_MAX_INDEX_COLUMNS);
        return reject(c, "BB0904", t, "an index has at most %s columns%s", lim, NULL);
    }
    const char *names[BB_ADVISOR_MAX_INDEX_COLUMNS];
    size_t m = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cols)
    {
        const bb_column *col = find_column(c, t, e->valuestring);
        if (!col)
            return 0;
        if (!is_orderable_type(col->type))
            return reject(c, "BB0904", t, "column '%s' cannot be indexed%s", col->name, NULL);
        for (size_t i = 0; i < m; i++)
            if (strcmp(names[i], col->name) == 0)
                return reject(c, "BB0904", t, "column '%s' appears twice in the index%s", col->name,
                              NULL);
        names[m++] = col->name;
    }
    const char *dup = index_duplicate(c, t, names, m);
    if (dup)
        return reject(c, "BB0904", t, "%s%s", dup, NULL);
    return accept(c, p, t, NULL);
}

/* An example value must read as a value of the column's type. */
static const char *example_problem(const bb_column *col, const char *v)
{
    size_t n = strlen(v);
    switch (col->type) {
    case BB_TYPE_INTEGER:
    case BB_TYPE_BIGINTEGER:
    case BB_TYPE_SMALLINTEGER:
        for (size_t i = v[0] == '-' ? 1 : 0; i < n; i++)
            if (v[i] < '0' || v[i] > '9')
                return "it is not an integer";
        return n == 0 || n > 19 ? "it is not an integer" : NULL;
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
    case BB_TYPE_JSON:
    case BB_TYPE_LARGEBINARY:
        return "examples are only taken for scalar columns";
    default:
        return NULL;
    }
}

static int check_one(checker *c, const cJSON *p)
{
    const char *kind = c->kind;
    const bb_table *t = find_table(c, str_or_null(p, "table"));
    if (!t)
        return BB_OK;
    const char *column = str_or_null(p, "column");
    const char *value = str_or_null(p, "value");
    if (strcmp(kind, "route_path") == 0) {
        if (!value || !route_path_valid(value))
            return reject(c, "BB0906", t,
                          "'%s' is not a route path ('/' and lower-case segments)%s",
                          value ? value : "(none)", NULL);
        if (route_path_taken(c, t, value) || already_accepted(c, kind, t->table_name, NULL))
            return reject(c, "BB0906", t, "route path '%s' is taken%s", value, NULL);
        return accept(c, p, t, NULL);
    }
    if (strcmp(kind, "index") == 0)
        return check_index(c, p, t);
    if (strcmp(kind, "docstring") == 0 && !column) {
        if (t->description && *t->description)
            return reject(c, "BB0906", t, "table '%s' has a description already%s", t->table_name,
                          NULL);
        if (!text_acceptable(c, t, value) || already_accepted(c, kind, t->table_name, NULL))
            return BB_OK;
        return accept(c, p, t, NULL);
    }
    const bb_column *col = find_column(c, t, column);
    if (!col)
        return BB_OK;
    if (already_accepted(c, kind, t->table_name, col->name))
        return reject(c, "BB0906", t, "a proposal for '%s' of this kind came already%s", col->name,
                      NULL);
    if (strcmp(kind, "searchable") == 0 && !is_text_type(col->type))
        return reject(c, "BB0906", t, "column '%s' is not text, so it cannot be searched%s",
                      col->name, NULL);
    if ((strcmp(kind, "sortable") == 0 || strcmp(kind, "filterable") == 0 ||
         strcmp(kind, "default_sort") == 0) &&
        !is_orderable_type(col->type))
        return reject(c, "BB0906", t, "column '%s' cannot be compared%s", col->name, NULL);
    if (strcmp(kind, "default_sort") == 0 && already_accepted(c, kind, t->table_name, NULL))
        return reject(c, "BB0906", t, "table '%s' has a default sort already%s", t->table_name,
                      NULL);
    if (strcmp(kind, "docstring") == 0) {
        if (col->description && *col->description)
            return reject(c, "BB0906", t, "column '%s' has a description already%s", col->name,
                          NULL);
        if (!text_acceptable(c, t, value))
            return BB_OK;
    }
    if (strcmp(kind, "example") == 0) {
        if (!text_acceptable(c, t, value))
            return BB_OK;
        const char *why = example_problem(col, value);
        if (why)
            return reject(c, "BB0906", t, "example '%s' does not fit: %s", value, why);
    }
    return accept(c, p, t, col);
}

int bb_advisor_check_proposals(const bb_schema *s, const cJSON *answer, bb_diags *d,
                               cJSON **accepted)
{
    checker c = {s, d, cJSON_CreateArray(), 0, ""};
    if (!c.accepted)
        return BB_ENOMEM;
    const cJSON *p;
    int rc = BB_OK;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(answer, "proposals"))
    {
        c.index++;
        c.kind = str_or_null(p, "kind");
        if (!c.kind)
            continue; /* the schema check makes this impossible; be safe anyway */
        rc = check_one(&c, p);
        if (rc)
            break;
    }
    if (rc) {
        cJSON_Delete(c.accepted);
        return rc;
    }
    *accepted = c.accepted;
    return BB_OK;
}

/* ---- applying proposals ---------------------------------------------------- */

static int add_index(bb_schema *s, bb_table *t, const cJSON *cols)
{
    size_t n = (size_t)cJSON_GetArraySize(cols);
    bb_index *idx = bb_arena_alloc(&s->arena, (t->n_indexes + 1) * sizeof(*idx));
    const char **names = bb_arena_alloc(&s->arena, n * sizeof(*names));
    if (!idx || !names)
        return BB_ENOMEM;
    if (t->n_indexes)
        memcpy(idx, t->indexes, t->n_indexes * sizeof(*idx));
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cols)
    {
        /* Point at the schema's own spelling of the name. */
        names[i++] = t->columns[bb_table_column_index(t, e->valuestring)].name;
    }
    bb_index *x = &idx[t->n_indexes];
    memset(x, 0, sizeof(*x));
    x->columns = names;
    x->n_columns = n;
    x->pointer = t->pointer;
    x->offset = t->offset;
    t->indexes = idx;
    t->n_indexes++;
    return BB_OK;
}

int bb_advisor_apply_schema(bb_schema *s, const cJSON *accepted, size_t *n_schema)
{
    *n_schema = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, accepted)
    {
        const char *kind = str_or_null(p, "kind");
        int ti = bb_schema_table_index(s, str_or_null(p, "table"));
        if (ti < 0)
            continue;
        bb_table *t = &s->tables[ti];
        const char *column = str_or_null(p, "column");
        int rc = BB_OK;
        if (strcmp(kind, "docstring") == 0) {
            char *text = bb_arena_strdup(&s->arena, str_or_null(p, "value"));
            if (!text)
                return BB_ENOMEM;
            if (column)
                t->columns[bb_table_column_index(t, column)].description = text;
            else
                t->description = text;
        } else if (strcmp(kind, "index") == 0) {
            rc = add_index(s, t, cJSON_GetObjectItemCaseSensitive(p, "columns"));
        } else if (strcmp(kind, "filterable") == 0) {
            /* The architect makes indexed columns filters of the list endpoint. */
            bb_column *c = &t->columns[bb_table_column_index(t, column)];
            if (c->index || c->unique || c->primary_key)
                continue;
            c->index = true;
        } else {
            continue;
        }
        if (rc)
            return rc;
        ++*n_schema;
    }
    return BB_OK;
}

/* ---- the decisions as plain data ------------------------------------------------ */

int bb_advisor_decisions(const cJSON *accepted, bb_plan_advice *out)
{
    size_t n = (size_t)cJSON_GetArraySize(accepted);
    bb_plan_decision *v = bb_calloc(n ? n : 1, sizeof(*v));
    out->v = v;
    out->n = 0;
    if (!v)
        return BB_ENOMEM;
    const cJSON *p;
    cJSON_ArrayForEach(p, accepted)
    {
        bb_plan_decision *d = &v[out->n++];
        d->kind = str_or_null(p, "kind");
        d->table = str_or_null(p, "table");
        d->column = str_or_null(p, "column");
        d->value = str_or_null(p, "value");
        d->descending = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "descending"));
        d->reason = str_or_null(p, "reason");
        d->source = str_or_null(p, "source");
        const cJSON *cols = cJSON_GetObjectItemCaseSensitive(p, "columns");
        size_t k = (size_t)cJSON_GetArraySize(cols);
        if (!k)
            continue;
        d->columns.v = bb_calloc(k, sizeof(char *));
        if (!d->columns.v) {
            bb_advisor_decisions_free(out);
            return BB_ENOMEM;
        }
        const cJSON *c;
        cJSON_ArrayForEach(c, cols) d->columns.v[d->columns.n++] = cJSON_GetStringValue(c);
    }
    return BB_OK;
}

void bb_advisor_decisions_free(bb_plan_advice *a)
{
    for (size_t i = 0; a->v && i < a->n; i++)
        bb_free(a->v[i].columns.v);
    bb_free((void *)a->v);
    a->v = NULL;
    a->n = 0;
}

/* ---- provenance in the plan ---------------------------------------------------- */

/* The plan's model of a table, or NULL. */
static bb_plan_model *plan_model(bb_plan *plan, const char *table)
{
    for (size_t i = 0; table && i < plan->models.n; i++)
        if (strcmp(plan->models.v[i].table, table) == 0)
            return &plan->models.v[i];
    return NULL;
}

/* The model's column of a name, or NULL. */
static bb_plan_column *plan_column(bb_plan_model *m, const char *column)
{
    for (size_t i = 0; i < m->columns.n; i++)
        if (strcmp(m->columns.v[i].name, column) == 0)
            return &m->columns.v[i];
    return NULL;
}

/* Adds kind to a "llm_decided" list: this part of the plan came from the model. */
static int mark(bb_plan *plan, bb_plan_strs *marks, const char *kind)
{
    const char **slot = bb_plan_list_push(plan, marks, sizeof(*slot));
    if (!slot)
        return BB_ENOMEM;
    *slot = kind;
    return BB_OK;
}

/* What a decision changed: "schema" ones were planned like user input;
 * the others were applied by the architect to the plan it made. */
static const char *effect_of(const char *kind)
{
    if (strcmp(kind, "docstring") == 0 || strcmp(kind, "index") == 0 ||
        strcmp(kind, "filterable") == 0)
        return "schema";
    return "plan";
}

/* The example as a Python literal, escaped like user strings. */
static int example_literal(bb_plan *plan, const char *value, const char **out)
{
    bb_buf b;
    bb_buf_init(&b, 16 * 1024);
    int rc = bb_pylit_str(&b, value);
    if (!rc && !(*out = bb_plan_strdup(plan, bb_buf_str(&b))))
        rc = BB_ENOMEM;
    bb_buf_free(&b);
    return rc;
}

/* A copy of decision src in the plan's arena, with its effect. */
static int record(bb_plan *plan, const bb_plan_decision *src, bb_plan_decision *d)
{
    *d = *src;
    d->kind = bb_plan_strdup(plan, src->kind);
    d->table = bb_plan_strdup(plan, src->table);
    d->column = bb_plan_strdup(plan, src->column);
    d->value = bb_plan_strdup(plan, src->value);
    d->reason = bb_plan_strdup(plan, src->reason);
    d->source = bb_plan_strdup(plan, src->source);
    d->effect = effect_of(src->kind);
    d->columns.n = 0;
    d->columns.v = NULL;
    if (!d->kind || !d->table || (src->column && !d->column) || (src->value && !d->value) ||
        (src->reason && !d->reason) || (src->source && !d->source))
        return BB_ENOMEM;
    for (size_t i = 0; i < src->columns.n; i++) {
        const char **slot = bb_plan_list_push(plan, &d->columns, sizeof(*slot));
        if (!slot || !(*slot = bb_plan_strdup(plan, src->columns.v[i])))
            return BB_ENOMEM;
    }
    if (strcmp(d->kind, "example") == 0 && d->value)
        return example_literal(plan, d->value, &d->value_py);
    return BB_OK;
}

int bb_advisor_apply_plan(bb_plan *plan, const bb_plan_advice *advice, const char *provider,
                          const char *model)
{
    bb_plan_llm *llm = bb_plan_alloc(plan, sizeof(*llm));
    if (!llm || !(llm->provider = bb_plan_strdup(plan, provider)) ||
        !(llm->model = bb_plan_strdup(plan, model)))
        return BB_ENOMEM;
    for (size_t i = 0; i < advice->n; i++) {
        bb_plan_decision *d = bb_plan_list_push(plan, &llm->decisions, sizeof(*d));
        int rc = d ? record(plan, &advice->v[i], d) : BB_ENOMEM;
        if (rc)
            return rc;
        bb_plan_model *m = plan_model(plan, d->table);
        bb_plan_column *col = m && d->column ? plan_column(m, d->column) : NULL;
        rc = col ? mark(plan, &col->llm_decided, d->kind)
             : m ? mark(plan, &m->llm_decided, d->kind)
                 : BB_OK;
        if (rc)
            return rc;
    }
    plan->llm = llm;
    return BB_OK;
}

/* Model text shown on a terminal: control characters become spaces. */
static void printable_copy(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    for (; src && *src && o + 1 < cap; src++)
        dst[o++] = (unsigned char)*src < 0x20 || *src == 0x7f ? ' ' : *src;
    dst[o] = '\0';
}

void bb_advisor_print_decisions(FILE *out, const bb_plan *plan)
{
    const bb_plan_llm *llm = plan->llm;
    if (!llm || !llm->decisions.n)
        return;
    fprintf(out, "\ndecided by the model (%s, %s):\n", llm->provider, llm->model);
    for (size_t i = 0; i < llm->decisions.n; i++) {
        const bb_plan_decision *d = &llm->decisions.v[i];
        char where[300];
        snprintf(where, sizeof(where), "%s%s%s", d->table, d->column ? "." : "",
                 d->column ? d->column : "");
        fprintf(out, "  %-12s %-32s", d->kind, where);
        for (size_t k = 0; k < d->columns.n; k++)
            fprintf(out, "%s%s", k ? ", " : "(", d->columns.v[k]);
        if (d->columns.n)
            fputc(')', out);
        if (d->value) {
            char shown[120];
            printable_copy(shown, sizeof(shown), d->value);
            fprintf(out, "%s", shown);
        }
        fputc('\n', out);
    }
}

/* ---- review findings ------------------------------------------------------- */

/* Keeps the candidate node when its pointer is the longest prefix of ptr so far. */
static void consider(const char *ptr, const char *cand, size_t cand_offset, size_t *best,
                     size_t *best_len)
{
    size_t n = cand ? strlen(cand) : 0;
    if (n > *best_len && strncmp(ptr, cand, n) == 0 && (ptr[n] == '\0' || ptr[n] == '/')) {
        *best = cand_offset;
        *best_len = n;
    }
}

/* The source offset of the deepest table, column or relationship holding ptr. */
static size_t offset_of(const bb_schema *s, const char *ptr)
{
    size_t best = BB_NO_OFFSET, best_len = 0;
    for (size_t i = 0; s && i < s->n_tables; i++) {
        const bb_table *t = &s->tables[i];
        consider(ptr, t->pointer, t->offset, &best, &best_len);
        for (size_t j = 0; j < t->n_columns; j++)
            consider(ptr, t->columns[j].pointer, t->columns[j].offset, &best, &best_len);
        for (size_t j = 0; j < t->n_rels; j++)
            consider(ptr, t->rels[j].pointer, t->rels[j].offset, &best, &best_len);
    }
    return best;
}

int bb_advisor_report_findings(const bb_schema *s, const cJSON *input_doc, const cJSON *answer,
                               bb_diags *d, size_t *n_reported)
{
    *n_reported = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(answer, "findings"))
    {
        const char *ptr = str_or_null(f, "pointer");
        const char *rule = str_or_null(f, "rule");
        char msg[520], hint[520], shown_ptr[520];
        printable_copy(msg, sizeof(msg), str_or_null(f, "message"));
        printable_copy(hint, sizeof(hint), str_or_null(f, "hint"));
        printable_copy(shown_ptr, sizeof(shown_ptr), ptr);
        if (!ptr || !bb_json_pointer_get(input_doc, ptr)) {
            (void)bb_diag_add(d, BB_NOTE, "BB0909", NULL, BB_NO_OFFSET, NULL,
                              "design review finding dropped: its pointer '%s' does not exist "
                              "in the input",
                              shown_ptr);
            continue;
        }
        (void)bb_diag_add(d, BB_WARNING, "BB0908", ptr, offset_of(s, ptr), hint[0] ? hint : NULL,
                          "design review (model, %s): %s", rule ? rule : "other", msg);
        ++*n_reported;
    }
    return BB_OK;
}

/* ---- the pipeline step ------------------------------------------------------- */

static const char architect_prompt[] =
    "You review the plan of backbone, a compiler that turns a JSON database schema into a "
    "FastAPI + SQLAlchemy backend. Propose refinements for the schema the user gives, as JSON:\n"
    "- route_path: a better URL path for a table's router (value: \"/...\", lower case);\n"
    "- filterable, searchable (text columns only), sortable: columns worth it in list "
    "endpoints (column);\n"
    "- default_sort: the list order of a table (column, descending);\n"
    "- index: extra indexes for frequent filters (columns, at most 3; not the primary key, "
    "not unique columns);\n"
    "- docstring: a one-sentence description for tables (column null) and columns that "
    "have none (value);\n"
    "- example: a realistic example value for a column (value, as text).\n"
    "Use only tables and columns that exist. Give a short reason for each. Set fields that "
    "do not apply to null. Propose nothing rather than something doubtful.";

static const char review_prompt[] =
    "You review database schemas written for backbone (JSON). Find design problems the user "
    "should know about: money stored as Float instead of Numeric, email or username columns "
    "that are not unique, foreign keys without an index, required data that is nullable, "
    "missing timestamps on tables that record events, inconsistent naming, missing "
    "constraints. For each finding give the JSON Pointer (RFC 6901) of the value in the "
    "user's document it is about, e.g. /schema/0/columns/2, the rule, a one-sentence "
    "message and a hint to fix it (or null). Report nothing you are not sure about.";

static _Thread_local bb_llm_stats last_stats;

const bb_llm_stats *bb_advisor_last_stats(void)
{
    return &last_stats;
}

/* One model answer or a warning saying why there is none (and the stage goes on). */
static bool ask(bb_llm_client *c, const char *what, const char *system, const char *doc,
                const char *schema_name, const cJSON *schema, bb_diags *d, bb_llm_reply *reply)
{
    bb_llm_msg m = {"user", doc};
    bb_llm_request req = {system, &m, 1, schema_name, schema};
    bb_llm_error e;
    if (bb_llm_complete(c, &req, reply, &e) == BB_OK)
        return true;
    bool bad_answer = bb_llm_error_is_bad_answer(e.kind);
    char rid[128] = "";
    if (e.request_id[0])
        snprintf(rid, sizeof(rid), " (request id %s)", e.request_id);
    (void)bb_diag_add(d, BB_WARNING, bad_answer ? "BB0902" : "BB0901", NULL, BB_NO_OFFSET,
                      "the deterministic result is used; see docs/llm.md",
                      "%s: no model advice (%s after %d attempt%s): %s%s", what,
                      bb_llm_error_name(e.kind), e.attempts, e.attempts == 1 ? "" : "s", e.message,
                      rid);
    return false;
}

/* The schema for the prompt: the user's document as they wrote it. */
static const char *prompt_document(const bb_pipeline_state *st)
{
    return st->out->schema && st->out->schema->src ? st->out->schema->src : st->bytes;
}

static int architect_advice(bb_pipeline_state *st, bb_llm_client *c)
{
    bb_output *o = st->out;
    bb_llm_reply reply;
    if (!ask(c, "architect", architect_prompt, prompt_document(st), "plan_proposals",
             bb_advisor_proposals_schema(), st->diags, &reply))
        return BB_OK;
    cJSON *accepted = NULL;
    int rc = bb_advisor_check_proposals(o->schema, reply.value, st->diags, &accepted);
    size_t n_total =
        (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(reply.value, "proposals"));
    bb_llm_reply_free(&reply);
    if (rc)
        return rc;
    size_t n_schema = 0;
    rc = bb_advisor_apply_schema(o->schema, accepted, &n_schema);
    bb_plan_advice advice = {0};
    if (!rc)
        rc = bb_advisor_decisions(accepted, &advice);
    if (!rc && (n_schema || advice.n)) {
        /* Docstrings and indexes changed the schema, and the architect
         * applies the other decisions: plan it again, quietly (the first run
         * reported the architect's own diagnostics). The schema holds the
         * advice now, so a plan without it would not match the schema the
         * migrations record: a failed re-plan fails the run. */
        bb_diags scratch;
        bb_diags_init(&scratch, st->diags->filename, NULL, 0);
        bb_plan *plan = NULL;
        rc = bb_architect_plan(o->schema, &advice, &scratch, &plan);
        if (!rc)
            rc = bb_architect_use_style(plan, st->opts->style);
        if (!rc) {
            bb_plan_free(o->plan);
            o->plan = plan;
        } else {
            bb_plan_free(plan);
        }
        bb_diags_free(&scratch);
    }
    if (!rc)
        rc = bb_advisor_apply_plan(o->plan, &advice, c->cfg.provider->name, c->cfg.model);
    bb_advisor_decisions_free(&advice);
    size_t n_ok = (size_t)cJSON_GetArraySize(accepted);
    if (!rc)
        (void)bb_diag_add(st->diags, BB_NOTE, "BB0907", NULL, BB_NO_OFFSET,
                          "`backbone plan` lists them under \"llm\" with \"source\": \"llm\"",
                          "model advice: %zu of %zu proposal%s accepted", n_ok, n_total,
                          n_total == 1 ? "" : "s");
    cJSON_Delete(accepted);
    return rc;
}

static int design_review(bb_pipeline_state *st, bb_llm_client *c)
{
    cJSON *doc = cJSON_ParseWithLength(st->bytes, st->len);
    if (!doc)
        return BB_OK; /* the validator accepted these bytes: out of memory */
    bb_llm_reply reply;
    int rc = BB_OK;
    if (ask(c, "reviewer", review_prompt, prompt_document(st), "design_review",
            bb_advisor_review_schema(), st->diags, &reply)) {
        size_t n = 0;
        rc = bb_advisor_report_findings(st->out->schema, doc, reply.value, st->diags, &n);
        bb_llm_reply_free(&reply);
    }
    cJSON_Delete(doc);
    return rc;
}

int bb_advisor_run(bb_pipeline_state *st)
{
    memset(&last_stats, 0, sizeof(last_stats));
    if (st->opts->llm == BB_LLM_OFF || !st->out->schema || !st->out->plan)
        return BB_OK;
    bb_llm_config cfg;
    char err[256];
    if (bb_llm_config_load(&cfg, st->opts->llm_options, err, sizeof(err)) != BB_OK) {
        (void)bb_diag_add(st->diags, BB_WARNING, "BB0901", NULL, BB_NO_OFFSET,
                          "the deterministic result is used; see docs/llm.md",
                          "no model advice: %s", err);
        return BB_OK;
    }
    /* A spinner only for a command on a terminal, never for the service. */
    cfg.http.progress = st->opts->llm_options != NULL;
    bb_llm_client c;
    bb_llm_client_init(&c, &cfg);
    /* Model answers are advice: never let them turn into errors under --strict. */
    bool strict = st->diags->warnings_as_errors;
    st->diags->warnings_as_errors = false;
    int rc = architect_advice(st, &c);
    if (!rc)
        rc = design_review(st, &c);
    st->diags->warnings_as_errors = strict;
    last_stats = c.stats;
    if (isatty(2) && (c.stats.requests || c.stats.cache_hits))
        fprintf(stderr, "backbone: model: %ld request%s, %ld cached, %ld+%ld tokens, %.1fs\n",
                c.stats.requests, c.stats.requests == 1 ? "" : "s", c.stats.cache_hits,
                c.stats.prompt_tokens, c.stats.completion_tokens, c.stats.seconds);
    bb_llm_client_free(&c);
    return rc;
}
