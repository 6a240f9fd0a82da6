/* lint.c - deterministic design checks of a valid schema (see lint.h). */
#include "front/lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct linter {
    const bb_schema *s;
    bb_diags *d;
    int rc;
} linter;

static bool allowed(const linter *L, const bb_table *t, const bb_column *c, bb_lint l)
{
    bb_lint_set bit = 1u << l;
    return (L->s->allow & bit) || (t && (t->allow & bit)) || (c && (c->allow & bit));
}

static void warn(linter *L, const bb_table *t, const bb_column *c, bb_lint l, const char *hint,
                 const char *fmt, ...) BB_PRINTF(6, 7);
static void warn(linter *L, const bb_table *t, const bb_column *c, bb_lint l, const char *hint,
                 const char *fmt, ...)
{
    if (L->rc || allowed(L, t, c, l))
        return;
    char full[400];
    snprintf(full, sizeof(full), "%s, or silence it with \"allow\": [\"%s\"]", hint,
             bb_lint_name(l));
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    L->rc = bb_diag_add(L->d, BB_WARNING, bb_lint_code(l), c ? c->pointer : t->pointer,
                        c ? c->offset : t->offset, full, "%s", msg);
}

/* Does name hold word as one of its '_'-separated parts? */
static bool has_part(const char *name, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = name; (p = strstr(p, word)) != NULL; p++) {
        bool starts = p == name || p[-1] == '_';
        bool ends = p[n] == '\0' || p[n] == '_';
        if (starts && ends)
            return true;
    }
    return false;
}

static bool any_part(const char *name, const char *const *words)
{
    for (; *words; words++)
        if (has_part(name, *words))
            return true;
    return false;
}

static const char *const money_words[] = {
    "price", "amount", "cost",     "total",   "balance", "fee",     "fees",   "salary",
    "wage",  "tax",    "subtotal", "payment", "revenue", "budget",  "refund", "charge",
    "paid",  "income", "expense",  "money",   "prices",  "amounts", "costs",  NULL};

static const char *const identity_names[] = {"name", "title",         "email", "username",
                                             "slug", "email_address", NULL};

static bool identity_name(const char *name)
{
    for (const char *const *w = identity_names; *w; w++)
        if (strcmp(name, *w) == 0)
            return true;
    return false;
}

static bool is_email(const char *name)
{
    return strcmp(name, "email") == 0 || strcmp(name, "email_address") == 0;
}

/* Is the column unique by itself: its own flag, a one-column unique
 * constraint or unique index, or a one-column primary key? */
static bool unique_alone(const bb_table *t, const bb_column *c)
{
    if (c->unique || (c->primary_key && bb_table_pk_index(t) >= 0 &&
                      t->columns[bb_table_pk_index(t)].name == c->name))
        return true;
    for (size_t i = 0; i < t->n_uniques; i++)
        if (t->uniques[i].n_columns == 1 && strcmp(t->uniques[i].columns[0], c->name) == 0)
            return true;
    for (size_t i = 0; i < t->n_indexes; i++)
        if (t->indexes[i].unique && t->indexes[i].n_columns == 1 &&
            strcmp(t->indexes[i].columns[0], c->name) == 0)
            return true;
    return false;
}

/* Does an index (of any kind) start with the column, so lookups by it are fast? */
static bool leads_an_index(const bb_table *t, const bb_column *c)
{
    if (c->index || c->unique ||
        (c->primary_key && bb_table_pk_index(t) >= 0 &&
         t->columns[bb_table_pk_index(t)].name == c->name))
        return true;
    for (size_t i = 0; i < t->n_uniques; i++)
        if (t->uniques[i].n_columns && strcmp(t->uniques[i].columns[0], c->name) == 0)
            return true;
    for (size_t i = 0; i < t->n_indexes; i++)
        if (t->indexes[i].n_columns && strcmp(t->indexes[i].columns[0], c->name) == 0)
            return true;
    return false;
}

static bool has_created_at(const bb_table *t)
{
    for (size_t i = 0; i < t->n_columns; i++) {
        const bb_column *c = &t->columns[i];
        if ((c->type == BB_TYPE_DATETIME || c->type == BB_TYPE_DATE) &&
            (strcmp(c->name, "created_at") == 0 || strcmp(c->name, "created") == 0 ||
             strcmp(c->name, "created_on") == 0 || strcmp(c->name, "inserted_at") == 0))
            return true;
    }
    return false;
}

static void lint_column(linter *L, const bb_table *t, const bb_column *c)
{
    if (c->from_mixin)
        return;
    if (c->type == BB_TYPE_FLOAT && any_part(c->name, money_words))
        warn(L, t, c, BB_LINT_MONEY_AS_FLOAT,
             "use \"type\": \"Numeric\" with a precision and scale, e.g. 12 and 2",
             "column '%s.%s' holds money as Float: binary floating point cannot store 0.10 "
             "exactly, so sums drift",
             t->table_name, c->name);
    if (is_email(c->name) && !unique_alone(t, c))
        warn(L, t, c, BB_LINT_EMAIL_NOT_UNIQUE, "add \"unique\": true",
             "column '%s.%s' is an email address that is not unique: two rows can claim the "
             "same address",
             t->table_name, c->name);
    if (c->declared_type == BB_TYPE_FOREIGNKEY && !leads_an_index(t, c))
        warn(L, t, c, BB_LINT_FK_WITHOUT_INDEX, "add \"index\": true",
             "foreign key '%s.%s' has no index: joins and deletes in '%s' scan '%s'", t->table_name,
             c->name, c->fk_table ? c->fk_table : "?", t->table_name);
    if (!c->primary_key && c->nullable && !c->nullable_given &&
        (identity_name(c->name) || (c->unique && c->declared_type != BB_TYPE_FOREIGNKEY)))
        warn(L, t, c, BB_LINT_NULLABLE_REQUIRED,
             "add \"nullable\": false, or \"nullable\": true if a row may lack it",
             "column '%s.%s' is nullable only because \"nullable\" is not given: a row without "
             "its %s can be stored",
             t->table_name, c->name, c->name);
}

int bb_lint_schema(const bb_schema *s, bb_diags *d)
{
    linter L = {s, d, BB_OK};
    for (size_t ti = 0; ti < s->n_tables && !L.rc; ti++) {
        const bb_table *t = &s->tables[ti];
        for (size_t ci = 0; ci < t->n_columns; ci++)
            lint_column(&L, t, &t->columns[ci]);
        if (!t->use_timestamps && !t->is_association && !has_created_at(t))
            warn(&L, t, NULL, BB_LINT_MISSING_TIMESTAMPS,
                 "add \"options\": {\"use_timestamps\": true}",
                 "table '%s' records no time: without created_at and updated_at, when a row "
                 "was made or changed is lost",
                 t->table_name);
    }
    return L.rc;
}
