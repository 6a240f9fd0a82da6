/* testplan.c - the generated tests and their factories (see testplan.h). */
#include "plan/testplan.h"

#include "plan/routes.h"

#include <string.h>

/* The Python expression of a test value for column ci ("n" is unique). */
static const char *test_value(bb_arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    const bb_column *st = bb_arch_storage(a, c);
    if (bb_arch_example_for_tests(a, ti, ci))
        return bb_arch_example_literal(a, ti, ci);
    switch (bb_arch_type_of(a, c)) {
    case BB_TYPE_STRING:
        if (st->length > 0)
            return bb_arch_fmt(a, "text_value(%s, n, %d)", bb_arch_lit(a, c->name), st->length);
        return bb_arch_fmt(a, "text_value(%s, n)", bb_arch_lit(a, c->name));
    case BB_TYPE_TEXT:
        return bb_arch_fmt(a, "text_value(%s, n)", bb_arch_lit(a, c->name));
    case BB_TYPE_BOOLEAN:
        return "True";
    case BB_TYPE_DATETIME:
        return "datetime_value(n)";
    case BB_TYPE_DATE:
        return "date_value(n)";
    case BB_TYPE_TIME:
        return "time_value(n)";
    case BB_TYPE_INTERVAL:
        return "n * 60";
    case BB_TYPE_NUMERIC:
        return bb_arch_fmt(a, "decimal_value(n, %d, %d)", st->precision > 0 ? st->precision : 10,
                           st->scale >= 0 ? st->scale : 2);
    case BB_TYPE_FLOAT:
        return "n + 0.5";
    case BB_TYPE_ENUM: {
        const bb_column *src = bb_arch_enum_source(a, ti, ci);
        return bb_arch_lit(a, src->n_enum_values ? src->enum_values[0] : "");
    }
    case BB_TYPE_JSON:
        return "{\"n\": n}";
    case BB_TYPE_UUID:
        return "uuid_value()";
    case BB_TYPE_LARGEBINARY:
        return bb_arch_fmt(a, "text_value(%s, n)", bb_arch_lit(a, c->name));
    case BB_TYPE_SMALLINTEGER:
        return "n % 30000";
    default:
        return "n";
    }
}

/* A key no row has, of the pk column's type (a Python literal). */
static const char *missing_key(bb_arch *a, int ti, int ci)
{
    switch (bb_arch_type_of(a, &a->s->tables[ti].columns[ci])) {
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
static bool factory_fills(bb_arch *a, int ti, int ci)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    int tci, tti = bb_arch_fk_target(a, c, &tci);
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

/* Picks the test columns: the first of each kind, except that a unique
 * filter (which finds exactly one row) wins over any other filter. */
/* The columns one table's generated tests use: -1 where there is none. */
typedef struct test_columns {
    int unique_col, fk_col, filter_col, update_col, required_col;
    bb_plan_strs exact, decimal; /* the fields compared as sent, and as decimals */
} test_columns;

static test_columns pick_test_columns(bb_arch *a, int ti)
{
    const bb_table *t = &a->s->tables[ti];
    test_columns tc = {-1, -1, -1, -1, -1, {0}, {0}};
    for (size_t k = 0; k < t->n_columns; k++) {
        const bb_column *c = &t->columns[k];
        bb_col_type bt = bb_arch_type_of(a, c);
        if (c->from_mixin || bb_arch_generated_pk(a, ti, (int)k))
            continue;
        if (!c->fk_target || factory_fills(a, ti, (int)k)) {
            /* What round-trips exactly is compared as sent. */
            if (bt == BB_TYPE_NUMERIC)
                bb_arch_push_str(a, &tc.decimal, c->name);
            else if (bt != BB_TYPE_DATETIME && bt != BB_TYPE_INTERVAL &&
                     bt != BB_TYPE_LARGEBINARY && bt != BB_TYPE_FLOAT)
                bb_arch_push_str(a, &tc.exact, c->name);
        }
        if (c->unique && !c->primary_key && tc.unique_col < 0 &&
            (!c->fk_target || factory_fills(a, ti, (int)k)))
            tc.unique_col = (int)k;
        if (c->fk_target && tc.fk_col < 0) {
            int tci, tti = bb_arch_fk_target(a, c, &tci);
            if (tti >= 0 && a->t[tti].routes)
                tc.fk_col = (int)k;
        }
        if (!c->primary_key && !c->fk_target && bb_arch_filterable(bt) && tc.filter_col < 0 &&
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
            bb_arch_filterable(bb_arch_type_of(a, c))) {
            tc.filter_col = (int)k;
            break;
        }
    }
    return tc;
}

/* A key no row has, as it appears in a URL (a string without its quotes). */
static const char *missing_in_url(bb_arch *a, int ti, int ci)
{
    const char *k = missing_key(a, ti, ci);
    size_t n = strlen(k);
    return *k == '"' ? bb_arch_fmt(a, "%.*s", (int)(n - 2), k + 1) : k;
}

void bb_testplan_factory(bb_arch *a, int ti, bb_plan_factory *f)
{
    const bb_table *t = &a->s->tables[ti];
    f->class = t->class_name;
    f->snake = a->t[ti].snake;
    f->api_path = a->t[ti].api_path;
    for (size_t k = 0; k < t->n_columns; k++) {
        const bb_column *c = &t->columns[k];
        if (c->from_mixin || bb_arch_generated_pk(a, ti, (int)k))
            continue;
        if (c->fk_target) {
            int tci, tti = bb_arch_fk_target(a, c, &tci);
            if (factory_fills(a, ti, (int)k)) {
                bb_plan_parent *p = BB_ARCH_PUSH(a, f->parents);
                p->column = c->name;
                p->snake = a->t[tti].snake;
                p->target_column = a->s->tables[tti].columns[tci].name;
            }
            continue;
        }
        bb_plan_body_value *v = BB_ARCH_PUSH(a, f->body);
        v->name = c->name;
        v->value = test_value(a, ti, (int)k);
        bb_col_type bt = bb_arch_type_of(a, c);
        f->uses_n |= bt != BB_TYPE_BOOLEAN && bt != BB_TYPE_ENUM && bt != BB_TYPE_UUID &&
                     !bb_arch_example_for_tests(a, ti, (int)k);
    }
}

static bb_plan_test_column *test_column(bb_arch *a, const bb_column *c)
{
    bb_plan_test_column *o = BB_ARCH_NEW(a, bb_plan_test_column);
    o->name = c->name;
    return o;
}

/* Link and unlink tests of the many-to-many relationships whose target has
 * routes. */
static void test_links(bb_arch *a, bb_plan_model *m)
{
    for (size_t i = 0; i < m->links.n; i++) {
        bb_plan_link *l = &m->links.v[i];
        int target = -1;
        for (size_t k = 0; k < a->s->n_tables && target < 0; k++)
            if (!strcmp(a->s->tables[k].class_name, l->target_class))
                target = (int)k;
        if (target < 0 || !a->t[target].routes)
            continue;
        l->tested = true;
        l->target_snake = a->t[target].snake;
        l->missing = missing_key(a, target, a->t[target].pk);
        if (a->s->tables[target].use_soft_delete)
            l->target_path = a->t[target].api_path;
        bb_arch_import(a, &m->test_imports, "tests.factories", "created");
        bb_arch_import(a, &m->test_imports, "tests.factories",
                       bb_arch_fmt(a, "create_%s", l->target_snake));
    }
}

void bb_testplan_plan(bb_arch *a, int ti, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    const bb_arch_table *inf = &a->t[ti];
    test_columns tc = pick_test_columns(a, ti);
    if (tc.decimal.n)
        bb_arch_import(a, &m->test_imports, "tests.factories", "same_decimal");
    m->exact_fields = tc.exact;
    m->decimal_fields = tc.decimal;
    for (size_t i = 0; i < m->key.n; i++)
        m->key.v[i].missing = missing_in_url(a, ti, inf->keys[i]);
    m->integer_pk =
        inf->n_keys == 1 && bb_arch_is_integer(bb_arch_type_of(a, &t->columns[inf->keys[0]]));
    if (tc.filter_col >= 0) {
        const bb_column *c = &t->columns[tc.filter_col];
        m->test_filter = test_column(a, c);
        m->test_filter->exact = c->unique;
        m->test_filter->query = bb_routes_filter_query(a, c->name);
    }
    if (m->search_fields.n)
        m->test_search =
            test_column(a, &t->columns[bb_table_column_index(t, m->search_fields.v[0])]);
    if (tc.update_col >= 0) {
        const bb_column *c = &t->columns[tc.update_col];
        const bb_column *st = bb_arch_storage(a, c);
        m->test_update = test_column(a, c);
        if (st->length > 0 && bb_arch_type_of(a, c) == BB_TYPE_STRING)
            m->test_update->length = bb_arch_fmt(a, "%d", st->length);
        bb_arch_import(a, &m->test_imports, "tests.factories", "text_value");
        bb_arch_import(a, &m->test_imports, "tests.factories", "next_number");
    }
    if (tc.unique_col >= 0) {
        m->test_unique = test_column(a, &t->columns[tc.unique_col]);
        /* Partial indexes: PostgreSQL and SQLite have them, MySQL not. */
        m->test_unique->frees = t->use_soft_delete && (a->s->db_type == BB_DB_POSTGRESQL ||
                                                       a->s->db_type == BB_DB_SQLITE);
    }
    if (tc.required_col >= 0)
        m->test_not_null = test_column(a, &t->columns[tc.required_col]);
    if (tc.fk_col >= 0) {
        const bb_column *c = &t->columns[tc.fk_col];
        int tci, tti = bb_arch_fk_target(a, c, &tci);
        m->test_fk = test_column(a, c);
        m->test_fk->missing = missing_key(a, tti, tci);
        if (a->s->tables[tti].use_soft_delete && a->t[tti].pk == tci &&
            factory_fills(a, ti, tc.fk_col))
            m->test_fk->parent_path = a->t[tti].api_path;
    }
    test_links(a, m);
}
