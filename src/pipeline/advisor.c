/* advisor.c - model advice for the architect and the reviewer (see advisor.h). */
#include "pipeline/advisor.h"

#include "base/pylit.h"
#include "front/advice.h"
#include "front/lint.h"
#include "plan/architect.h"
#include "review/reviewer.h"
#include "json/jsoncheck.h"
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

static const char *str_or_null(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Room for one proposal as a bb_advice: its strings are the proposal's. */
typedef struct advice_slot {
    bb_advice a;
    const char *cols[16];
} advice_slot;

/* The proposal p as a bb_advice borrowing p's strings (at most 16 columns,
 * the answer schema's bound; more are cut, so the index check refuses it). */
static void to_advice(const cJSON *p, advice_slot *slot)
{
    bb_advice *a = &slot->a;
    memset(slot, 0, sizeof(*slot));
    a->kind = str_or_null(p, "kind");
    a->column = str_or_null(p, "column");
    a->value = str_or_null(p, "value");
    a->reason = str_or_null(p, "reason");
    a->descending = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "descending"));
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(p, "columns"))
    {
        if (cJSON_IsString(c) && a->n_columns < 16)
            slot->cols[a->n_columns++] = c->valuestring;
        else if (!cJSON_IsString(c))
            slot->cols[a->n_columns < 16 ? a->n_columns++ : 15] = "";
    }
    a->columns = slot->cols;
    a->offset = BB_NO_OFFSET;
}

/* The note code of each fault. */
static const char *fault_code(bb_advice_fault f)
{
    switch (f) {
    case BB_ADVICE_UNKNOWN_NAME:
        return "BB0903";
    case BB_ADVICE_BAD_INDEX:
        return "BB0904";
    case BB_ADVICE_UNSAFE_TEXT:
        return "BB0905";
    default:
        return "BB0906";
    }
}

static bool utf8_printable(const char *s)
{
    return s && bb_jsoncheck_utf8_valid(s, strlen(s)) && bb_jsoncheck_hidden_at(s) == (size_t)-1;
}

/* The accepted form of a proposal: only the fields that matter, and its source. */
static cJSON *accepted_entry(const bb_table *t, const bb_advice *a, const char *source)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "kind", a->kind);
    cJSON_AddStringToObject(e, "table", t->table_name);
    bool index = strcmp(a->kind, "index") == 0;
    if (a->column && !index)
        cJSON_AddStringToObject(e, "column", a->column);
    if (index) {
        cJSON *cols = cJSON_AddArrayToObject(e, "columns");
        for (size_t i = 0; cols && i < a->n_columns; i++)
            cJSON_AddItemToArray(cols, cJSON_CreateString(a->columns[i]));
    }
    if (a->value && !index)
        cJSON_AddStringToObject(e, "value", a->value);
    if (strcmp(a->kind, "default_sort") == 0)
        cJSON_AddBoolToObject(e, "descending", a->descending);
    if (a->reason && utf8_printable(a->reason) && strlen(a->reason) <= 500)
        cJSON_AddStringToObject(e, "reason", a->reason);
    cJSON_AddStringToObject(e, "source", source);
    return e;
}

/*
 * Text the model wants in generated code must also pass the reviewer's
 * rules (secrets, shell, eval, pickle), which scan generated files: the
 * text is scanned alone and as the assignment and the dictionary entry
 * generated code writes it in.
 */
static const char *review_problem(const bb_column *col, const char *text, char *why, size_t cap)
{
    bb_buf b;
    bb_buf_init(&b, 16 * 1024);
    const char *name = col ? col->name : "doc";
    int rc = bb_buf_printf(&b, "%s\n%s = ", text, name);
    if (!rc)
        rc = bb_pylit_str(&b, text);
    if (!rc)
        rc = bb_buf_printf(&b, "\n\"%s\": ", name);
    if (!rc)
        rc = bb_pylit_str(&b, text);
    if (!rc)
        rc = bb_buf_putc(&b, '\n');
    bb_diags scratch;
    bb_diags_init(&scratch, "advice", NULL, 0);
    if (!rc)
        rc = bb_reviewer_scan("advice.py", bb_buf_str(&b), b.len, "advice", &scratch);
    const char *out = NULL;
    if (rc || scratch.n_errors) {
        bb_buf q;
        bb_buf_init(&q, 400);
        if (scratch.n && bb_jsoncheck_quote(&q, scratch.items[0].message, 160, true) == BB_OK)
            snprintf(why, cap, "generated code holding it would fail review: [%s] %s",
                     scratch.items[0].code, bb_buf_str(&q));
        else
            snprintf(why, cap, "generated code holding it would fail review");
        bb_buf_free(&q);
        out = why;
    }
    bb_diags_free(&scratch);
    bb_buf_free(&b);
    return out;
}

typedef struct checker {
    const bb_schema *s;
    bb_diags *d;
    bb_advice_list taken; /* kept advice first, then what was accepted */
    int index;            /* of the proposal being checked, for messages */
} checker;

static void reject(checker *c, const char *code, const bb_table *t, const char *kind,
                   const char *why)
{
    (void)bb_diag_add(c->d, BB_NOTE, code, t ? t->pointer : NULL, t ? t->offset : BB_NO_OFFSET,
                      NULL, "model proposal %d (%s) rejected: %s", c->index, kind, why);
}

/* Checks one proposal; true when it fits (then it is in c->taken). */
static int check_one(checker *c, const cJSON *p, advice_slot *slot, bool *fits)
{
    *fits = false;
    to_advice(p, slot);
    const char *table = str_or_null(p, "table");
    int ti = table ? bb_schema_table_index(c->s, table) : -1;
    char why[600];
    if (ti < 0) {
        bb_buf q;
        bb_buf_init(&q, 300);
        int rc = bb_jsoncheck_quote(&q, table ? table : "(none)", 100, true);
        snprintf(why, sizeof(why), "there is no table %s", rc ? "?" : bb_buf_str(&q));
        bb_buf_free(&q);
        reject(c, "BB0903", NULL, slot->a.kind, why);
        return BB_OK;
    }
    const bb_table *t = &c->s->tables[ti];
    bb_advice_fault f = bb_advice_check(c->s, t, &slot->a, &c->taken, why, sizeof(why));
    const bb_column *col = NULL;
    if (!f && slot->a.column && strcmp(slot->a.kind, "index") != 0)
        col = &t->columns[bb_table_column_index(t, slot->a.column)];
    if (!f && slot->a.value &&
        (strcmp(slot->a.kind, "docstring") == 0 || strcmp(slot->a.kind, "example") == 0))
        f = review_problem(col, slot->a.value, why, sizeof(why)) ? BB_ADVICE_UNSAFE_TEXT
                                                                 : BB_ADVICE_FITS;
    if (f) {
        reject(c, fault_code(f), t, slot->a.kind, why);
        return BB_OK;
    }
    *fits = true;
    return bb_advice_list_push(&c->taken, t, &slot->a);
}

int bb_advisor_kept(const bb_schema *s, cJSON **accepted)
{
    cJSON *out = cJSON_CreateArray();
    if (!out)
        return BB_ENOMEM;
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        const bb_table *t = &s->tables[ti];
        for (size_t i = 0; i < t->n_advice; i++) {
            cJSON *e = accepted_entry(t, &t->advice[i], "schema");
            if (!e || !cJSON_AddItemToArray(out, e)) {
                cJSON_Delete(e);
                cJSON_Delete(out);
                return BB_ENOMEM;
            }
        }
    }
    *accepted = out;
    return BB_OK;
}

/* Kept advice of the schema into the checker's list, so the model's
 * proposals that repeat it are refused. */
static int take_kept(checker *c)
{
    for (size_t ti = 0; ti < c->s->n_tables; ti++) {
        const bb_table *t = &c->s->tables[ti];
        for (size_t i = 0; i < t->n_advice; i++) {
            int rc = bb_advice_list_push(&c->taken, t, &t->advice[i]);
            if (rc)
                return rc;
        }
    }
    return BB_OK;
}

int bb_advisor_check_proposals(const bb_schema *s, const cJSON *answer, bb_diags *d,
                               cJSON **accepted)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(answer, "proposals");
    size_t n = (size_t)cJSON_GetArraySize(props);
    checker c = {s, d, {0}, 0};
    advice_slot *slots = bb_calloc(n ? n : 1, sizeof(*slots));
    int rc = slots ? take_kept(&c) : BB_ENOMEM;
    size_t first = c.taken.n;
    const cJSON *p;
    cJSON_ArrayForEach(p, props)
    {
        if (rc)
            break;
        c.index++;
        if (!str_or_null(p, "kind"))
            continue; /* the schema check makes this impossible; be safe anyway */
        bool fits;
        rc = check_one(&c, p, &slots[c.index - 1], &fits);
    }
    /* Accepted in table order, each table's in the model's order: the order
     * advice kept in the file is read in, so both plan alike. */
    cJSON *out = rc ? NULL : cJSON_CreateArray();
    for (size_t ti = 0; out && ti < s->n_tables; ti++)
        for (size_t i = first; i < c.taken.n; i++) {
            if (c.taken.v[i].table != &s->tables[ti])
                continue;
            cJSON *e = accepted_entry(c.taken.v[i].table, c.taken.v[i].advice, "llm");
            if (!e || !cJSON_AddItemToArray(out, e)) {
                cJSON_Delete(e);
                cJSON_Delete(out);
                out = NULL;
            }
        }
    bb_advice_list_free(&c.taken);
    bb_free(slots);
    if (!rc && !out)
        rc = BB_ENOMEM;
    if (!rc)
        *accepted = out;
    return rc;
}

/* ---- applying proposals ---------------------------------------------------- */

int bb_advisor_apply_schema(bb_schema *s, const cJSON *accepted, size_t *n_schema)
{
    *n_schema = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, accepted)
    {
        int ti = bb_schema_table_index(s, str_or_null(p, "table"));
        if (ti < 0)
            continue;
        advice_slot slot;
        to_advice(p, &slot);
        bool changed = false;
        int rc = bb_advice_apply_schema(s, &s->tables[ti], &slot.a, &changed);
        if (rc)
            return rc;
        *n_schema += changed;
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

void bb_advisor_print_decisions(FILE *out, const bb_plan *plan)
{
    const bb_plan_llm *llm = plan->llm;
    if (!llm || !llm->decisions.n)
        return;
    fprintf(out, "\ndecided by the model (%s, %s):\n", llm->provider, llm->model);
    bb_buf shown;
    bb_buf_init(&shown, 4096);
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
        /* Checked text, shown as data all the same: no control, bidi or
         * invisible character reaches the terminal as itself. */
        bb_buf_reset(&shown);
        if (d->value && bb_jsoncheck_quote(&shown, d->value, 100, false) == BB_OK)
            fputs(bb_buf_str(&shown), out);
        fputc('\n', out);
    }
    bb_buf_free(&shown);
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

/* Model text as data: quoted, with what a terminal would act on escaped. */
static int quoted(bb_buf *b, const char *text, size_t max_chars)
{
    bb_buf_reset(b);
    return bb_jsoncheck_quote(b, text ? text : "", max_chars, true);
}

/* The lint code (front/lint.h) a review rule names, or NULL. */
static const char *lint_code_of(const char *rule)
{
    int l = rule ? bb_lint_find(rule) : -1;
    return l >= 0 ? bb_lint_code((bb_lint)l) : NULL;
}

/* Did the lints report code at pointer ptr (or a node inside it) already? */
static bool linted(const bb_diags *d, const char *code, const char *ptr)
{
    size_t n = strlen(ptr);
    for (size_t i = 0; code && i < d->n; i++)
        if (strcmp(d->items[i].code, code) == 0 && d->items[i].pointer &&
            strncmp(d->items[i].pointer, ptr, n) == 0)
            return true;
    return false;
}

int bb_advisor_report_findings(const bb_schema *s, const cJSON *input_doc, const cJSON *answer,
                               bb_diags *d, size_t *n_reported)
{
    *n_reported = 0;
    bb_buf msg, hint, shown_ptr;
    bb_buf_init(&msg, 8192);
    bb_buf_init(&hint, 8192);
    bb_buf_init(&shown_ptr, 8192);
    const cJSON *f;
    int rc = BB_OK;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(answer, "findings"))
    {
        const char *ptr = str_or_null(f, "pointer");
        const char *rule = str_or_null(f, "rule");
        const char *h = str_or_null(f, "hint");
        if ((rc = quoted(&msg, str_or_null(f, "message"), 500)) != BB_OK ||
            (rc = quoted(&hint, h, 500)) != BB_OK || (rc = quoted(&shown_ptr, ptr, 200)) != BB_OK)
            break;
        if (!ptr || !bb_json_pointer_get(input_doc, ptr)) {
            (void)bb_diag_add(d, BB_NOTE, "BB0909", NULL, BB_NO_OFFSET, NULL,
                              "design review finding dropped: its pointer %s does not exist "
                              "in the input",
                              bb_buf_str(&shown_ptr));
            continue;
        }
        const char *code = lint_code_of(rule);
        if (linted(d, code, ptr)) {
            (void)bb_diag_add(d, BB_NOTE, "BB0909", ptr, offset_of(s, ptr), NULL,
                              "design review finding dropped: %s reports it already", code);
            continue;
        }
        (void)bb_diag_add(d, BB_WARNING, "BB0908", ptr, offset_of(s, ptr),
                          h && *h ? bb_buf_str(&hint) : NULL, "design review (model, %s): %s",
                          rule ? rule : "other", bb_buf_str(&msg));
        ++*n_reported;
    }
    bb_buf_free(&msg);
    bb_buf_free(&hint);
    bb_buf_free(&shown_ptr);
    return rc == BB_ENOMEM ? BB_ENOMEM : BB_OK;
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
    "- example: a realistic example value for a column (value, as text: numbers as digits, "
    "dates as YYYY-MM-DD, times as HH:MM:SS, UUIDs in 8-4-4-4-12 form).\n"
    "After the schema comes what backbone already does without advice: every route path, "
    "filter, search and sort column, default sort, index and description listed there "
    "exists; propose only what changes something. The schema's \"advice\" entries are "
    "accepted already. Use only tables and columns that exist. Give a short reason for each. "
    "Set fields that do not apply to null. Propose nothing rather than something doubtful.";

static const char review_prompt[] =
    "You review database schemas written for backbone (JSON). backbone itself reports money "
    "stored as Float, email columns that are not unique, foreign keys without an index, "
    "tables without timestamps and identifying columns left nullable: do not report those. "
    "Find the other design problems the user should know about: names that mislead or "
    "disagree, missing constraints, data in the wrong place. For each finding give the "
    "JSON Pointer (RFC 6901) of the value in the user's document it is about, e.g. "
    "/schema/0/columns/2, the rule, a one-sentence message and a hint to fix it (or null). "
    "Report nothing you are not sure about.";

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

static int put_list(bb_buf *b, const char *what, const bb_plan_strs *l)
{
    int rc = BB_OK;
    for (size_t i = 0; i < l->n && !rc; i++)
        rc = bb_buf_printf(b, "%s%s", i ? ", " : what, l->v[i]);
    return rc ? rc : l->n ? bb_buf_putc(b, '\n') : BB_OK;
}

/* What one table gets without advice, one line per fact. */
static int put_defaults(bb_buf *b, const bb_table *t, const bb_plan_model *m)
{
    int rc = bb_buf_printf(b, "table %s:\n", t->table_name);
    if (!rc && m && m->routes)
        rc = bb_buf_printf(b, "  route path: %s\n", m->api_path ? m->api_path : m->route);
    for (size_t i = 0; !rc && m && i < m->filters.n; i++)
        rc = bb_buf_printf(b, "%s%s", i ? ", " : "  filters: ", m->filters.v[i].name);
    if (!rc && m && m->filters.n)
        rc = bb_buf_putc(b, '\n');
    if (!rc && m)
        rc = put_list(b, "  searchable: ", &m->search_fields);
    if (!rc && m)
        rc = put_list(b, "  sortable: ", &m->sort_fields);
    if (!rc && m && m->sort_default_literal)
        rc = bb_buf_printf(b, "  default sort: %s\n", m->sort_default_literal);
    for (size_t i = 0; !rc && i < t->n_indexes; i++) {
        rc = bb_buf_puts(b, "  index:");
        for (size_t k = 0; !rc && k < t->indexes[i].n_columns; k++)
            rc = bb_buf_printf(b, " %s", t->indexes[i].columns[k]);
        if (!rc)
            rc = bb_buf_putc(b, '\n');
    }
    for (size_t i = 0; !rc && i < t->n_columns; i++) {
        const bb_column *c = &t->columns[i];
        if (c->index || c->unique || c->primary_key)
            rc = bb_buf_printf(b, "  indexed: %s\n", c->name);
    }
    if (!rc && t->description)
        rc = bb_buf_puts(b, "  has a description\n");
    for (size_t i = 0; !rc && i < t->n_columns; i++)
        if (t->columns[i].description)
            rc = bb_buf_printf(b, "  %s has a description\n", t->columns[i].name);
    return rc;
}

/* The user's document, then the plan's defaults, so the model proposes
 * only what changes something. */
static int architect_request(const bb_pipeline_state *st, bb_buf *b)
{
    const bb_schema *s = st->out->schema;
    int rc = bb_buf_printf(b, "%s\n\nWhat backbone does without advice:\n", prompt_document(st));
    for (size_t i = 0; !rc && i < s->n_tables; i++) {
        const bb_plan_model *m = NULL;
        for (size_t k = 0; k < st->out->plan->models.n; k++)
            if (strcmp(st->out->plan->models.v[k].table, s->tables[i].table_name) == 0)
                m = &st->out->plan->models.v[k];
        rc = put_defaults(b, &s->tables[i], m);
    }
    return rc;
}

/* kept then fresh, each table's together, in table order. */
static cJSON *merged(const bb_schema *s, const cJSON *kept, const cJSON *fresh)
{
    cJSON *all = cJSON_CreateArray();
    for (size_t ti = 0; all && ti < s->n_tables; ti++) {
        const cJSON *lists[2] = {kept, fresh};
        for (int k = 0; k < 2; k++) {
            const cJSON *e;
            cJSON_ArrayForEach(e, lists[k])
            {
                const char *t = str_or_null(e, "table");
                if (!t || strcmp(t, s->tables[ti].table_name) != 0)
                    continue;
                cJSON *dup = cJSON_Duplicate(e, 1);
                if (!dup || !cJSON_AddItemToArray(all, dup)) {
                    cJSON_Delete(dup);
                    cJSON_Delete(all);
                    return NULL;
                }
            }
        }
    }
    return all;
}

int bb_advisor_plan(const bb_schema *s, const cJSON *fresh, bb_diags *d, bb_plan **plan)
{
    cJSON *kept = NULL;
    int rc = bb_advisor_kept(s, &kept);
    cJSON *all = rc ? NULL : merged(s, kept, fresh);
    bb_plan_advice advice = {0};
    if (!rc && !all)
        rc = BB_ENOMEM;
    if (!rc)
        rc = bb_advisor_decisions(all, &advice);
    if (!rc)
        rc = bb_architect_plan(s, advice.n ? &advice : NULL, d, plan);
    bb_advisor_decisions_free(&advice);
    cJSON_Delete(all);
    cJSON_Delete(kept);
    return rc;
}

static int architect_advice(bb_pipeline_state *st, bb_llm_client *c)
{
    bb_output *o = st->out;
    bb_buf request;
    bb_buf_init(&request, (size_t)64 << 20);
    int rc = architect_request(st, &request);
    bb_llm_reply reply;
    bool answered = !rc && ask(c, "architect", architect_prompt, bb_buf_str(&request),
                               "plan_proposals", bb_advisor_proposals_schema(), st->diags, &reply);
    bb_buf_free(&request);
    if (rc || !answered)
        return rc;
    cJSON *accepted = NULL;
    rc = bb_advisor_check_proposals(o->schema, reply.value, st->diags, &accepted);
    size_t n_total =
        (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(reply.value, "proposals"));
    bb_llm_reply_free(&reply);
    if (rc)
        return rc;
    size_t n_schema = 0, n_ok = (size_t)cJSON_GetArraySize(accepted);
    rc = bb_advisor_apply_schema(o->schema, accepted, &n_schema);
    if (!rc && n_ok) {
        /* Docstrings and indexes changed the schema, and the architect
         * applies the other decisions: plan it again, quietly (the first run
         * reported the architect's own diagnostics). The schema holds the
         * advice now, so a plan without it would not match the schema the
         * migrations record: a failed re-plan fails the run. */
        bb_diags scratch;
        bb_diags_init(&scratch, st->diags->filename, NULL, 0);
        bb_plan *plan = NULL;
        rc = bb_advisor_plan(o->schema, accepted, &scratch, &plan);
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
    bb_plan_advice advice = {0};
    if (!rc)
        rc = bb_advisor_decisions(accepted, &advice);
    if (!rc)
        rc = bb_advisor_apply_plan(o->plan, &advice, c->cfg.provider->name, c->cfg.model);
    bb_advisor_decisions_free(&advice);
    if (!rc)
        (void)bb_diag_add(st->diags, BB_NOTE, "BB0907", NULL, BB_NO_OFFSET,
                          n_ok ? "`backbone advise SCHEMA --write` keeps them in the schema" : NULL,
                          "model advice: %zu of %zu proposal%s accepted", n_ok, n_total,
                          n_total == 1 ? "" : "s");
    if (!rc && n_ok) {
        cJSON_Delete(o->advice);
        o->advice = accepted;
        accepted = NULL;
    }
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
