/* routes.c - the CRUD route modules and the API router (see routes.h). */
#include "plan/routes.h"

#include <string.h>

/* Names the list function uses: a filter parameter must not shadow them. */
static bool reserved_param(const char *n)
{
    static const char *const words[] = {
        "limit",       "offset",      "sort",       "include_deleted",
        "db",          "order",       "conditions", "page",
        "sort_clause", "Query",       "Depends",    "Session",
        "get_db",      "List",        "Any",        "Optional",
        "MAX_LIMIT",   "SORT_FIELDS", "COLUMNS",    "TABLE",
        "router",      "Literal",     "MAX_OFFSET", "refuse_unknown_query",
        "EAGER",       "selectinload"};
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
const char *bb_routes_filter_query(bb_arch *a, const char *name)
{
    return control_param(name) ? bb_arch_fmt(a, "%s_filter", name) : name;
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
static const char *key_param(bb_arch *a, int ti, size_t i)
{
    const char *n = a->s->tables[ti].columns[a->t[ti].keys[i]].name;
    if (a->t[ti].n_keys == 1)
        return "item_id";
    return key_reserved(n) ? bb_arch_fmt(a, "%s_key", n) : n;
}

/* The bb_plan_strs's default sort: the first key column, or the column a model
 * advised (not JSON nor binary), "-" first when descending. */
static const char *route_sort_default(bb_arch *a, const bb_table *t, const bb_arch_table *inf)
{
    const bb_plan_decision *ds = bb_arch_advice(a, "default_sort", t->table_name, NULL);
    const char *col = ds ? ds->column : NULL;
    int ci = col ? bb_table_column_index(t, col) : -1;
    if (ci < 0 || bb_arch_type_of(a, &t->columns[ci]) == BB_TYPE_JSON ||
        bb_arch_type_of(a, &t->columns[ci]) == BB_TYPE_LARGEBINARY)
        return t->columns[inf->keys[0]].name;
    return ds->descending ? bb_arch_fmt(a, "-%s", t->columns[ci].name) : t->columns[ci].name;
}

/* The number of segments of a route path ("/a/b": 2). */
static size_t path_depth(const char *route)
{
    size_t n = 0;
    for (; *route; route++)
        n += *route == '/';
    return n ? n : 1;
}

/* The key parameters of the route functions with the key in their path,
 * and the path itself. */
static void plan_key(bb_arch *a, int ti, bb_plan_model *m)
{
    const bb_arch_table *inf = &a->t[ti];
    bb_plan_strs segs = {0};
    for (size_t i = 0; i < inf->n_keys; i++) {
        bb_plan_key *k = BB_ARCH_PUSH(a, m->key);
        k->name = a->s->tables[ti].columns[inf->keys[i]].name;
        k->param = key_param(a, ti, i);
        k->type = bb_arch_request_type(a, ti, inf->keys[i], &m->route_imports);
        bb_arch_push_str(a, &segs, bb_arch_fmt(a, "{%s}", k->param));
    }
    m->composite_key = inf->n_keys > 1;
    m->key_path = bb_arch_fmt(a, "/%s", bb_arch_join(a, &segs, "/"));
}

/* Whether the list searches column c with `q` (a model advised it). */
static bool searched(bb_arch *a, const bb_table *t, const bb_column *c)
{
    bb_col_type bt = bb_arch_type_of(a, c);
    return (bt == BB_TYPE_STRING || bt == BB_TYPE_TEXT || bt == BB_TYPE_ENUM) &&
           bb_arch_advice(a, "searchable", t->table_name, c->name);
}

/* Column c in the sort whitelist: sortable types, the key, and what a
 * model advised; of the mixins' columns only the timestamps. */
static void sort_field(bb_arch *a, const bb_table *t, const bb_column *c, const char *dflt,
                       bb_plan_model *m)
{
    bb_col_type bt = bb_arch_type_of(a, c);
    bool advised = bb_arch_advice(a, "sortable", t->table_name, c->name) ||
                   !strcmp(dflt + (*dflt == '-'), c->name);
    if ((bb_arch_sortable(bt) || c->primary_key ||
         (advised && bt != BB_TYPE_JSON && bt != BB_TYPE_LARGEBINARY)) &&
        (!c->from_mixin || !strcmp(c->name, "created_at") || !strcmp(c->name, "updated_at")))
        bb_arch_push_str(a, &m->sort_fields, c->name);
}

/* Column k as a list filter when it is indexed, unique, an enum, a boolean
 * or a reference. The columns of a composite key filter too (rows of one
 * parent). */
static void filter(bb_arch *a, int ti, size_t k, bb_plan_model *m)
{
    const bb_column *c = &a->s->tables[ti].columns[k];
    bb_col_type bt = bb_arch_type_of(a, c);
    if (c->from_mixin || (c->primary_key && a->t[ti].n_keys <= 1) || !bb_arch_filterable(bt) ||
        !(c->index || c->unique || bt == BB_TYPE_ENUM || bt == BB_TYPE_BOOLEAN || c->fk_target ||
          c->primary_key))
        return;
    bool is_q = m->search_fields.n && !strcmp(c->name, "q");
    bb_plan_filter *f = BB_ARCH_PUSH(a, m->filters);
    f->name = c->name;
    f->param = reserved_param(c->name) || is_q ? bb_arch_fmt(a, "%s_filter", c->name) : c->name;
    f->query = control_param(c->name) || is_q ? f->param : c->name;
    f->type = bb_arch_request_type(a, ti, (int)k, &m->route_imports);
    f->alias = f->param != f->query;
    bb_arch_import(a, &m->route_imports, "typing", "Optional");
}

/* A foreign key's check before a write: a missing parent is a 422 that
 * names the field, not a database error. */
static void reference(bb_arch *a, int ti, const bb_column *c, bb_plan_model *m)
{
    int tci, tti = bb_arch_fk_target(a, c, &tci);
    if (tti < 0)
        return;
    const bb_table *tt = &a->s->tables[tti];
    if (tti != ti)
        bb_arch_import(a, &m->route_imports, bb_arch_fmt(a, "app.models.%s", tt->table_name),
                       tt->class_name);
    bb_arch_import(a, &m->route_imports, "app.api.crud", "check_reference");
    bb_plan_reference *r = BB_ARCH_PUSH(a, m->references);
    r->name = c->name;
    r->target_class = tt->class_name;
    r->target_column = tt->columns[tci].name;
}

/* The many-to-many links a create or an update sets from `<rel>_ids`. */
static void links(bb_arch *a, int ti, bb_plan_model *m)
{
    bb_arch_m2m mm[BB_ARCH_MAX_M2M];
    /* The route names no id type: importing it would leave it unused. */
    size_t n_mm = bb_arch_m2m_of(a, ti, mm, BB_ARCH_MAX_M2M, NULL);
    for (size_t i = 0; i < n_mm; i++) {
        if (mm[i].target != ti)
            bb_arch_import(a, &m->route_imports,
                           bb_arch_fmt(a, "app.models.%s", mm[i].target_module),
                           mm[i].target_class);
        bb_arch_import(a, &m->route_imports, "app.api.crud", "fetch_related");
        bb_arch_import(a, &m->route_imports, "sqlalchemy.orm", "selectinload");
        bb_plan_link *l = BB_ARCH_PUSH(a, m->links);
        l->ids = mm[i].ids;
        l->attr = mm[i].attr;
        l->target_class = mm[i].target_class;
        l->target_pk = mm[i].target_pk;
        l->id_type = mm[i].id_type;
    }
}

void bb_routes_plan(bb_arch *a, int ti, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    const bb_arch_table *inf = &a->t[ti];
    plan_key(a, ti, m);
    m->pk = t->columns[inf->keys[0]].name;
    m->pk_type = bb_arch_py_type(a, ti, inf->keys[0], &m->route_imports);
    const char *dflt = route_sort_default(a, t, inf);
    m->sort_default_literal = bb_arch_lit(a, dflt);
    bb_arch_import(a, &m->route_imports, "typing", "Literal");
    for (size_t k = 0; k < t->n_columns; k++)
        if (searched(a, t, &t->columns[k]))
            bb_arch_push_str(a, &m->search_fields, t->columns[k].name);
    if (m->search_fields.n) {
        bb_arch_import(a, &m->route_imports, "typing", "Optional");
        bb_arch_import(a, &m->route_imports, "app.api.crud", "search_condition");
        a->uses_search = true;
    }
    for (size_t k = 0; k < t->n_columns; k++) {
        const bb_column *c = &t->columns[k];
        bb_arch_push_str(a, &m->column_names, c->name);
        sort_field(a, t, c, dflt, m);
        filter(a, ti, k, m);
        if (c->fk_target)
            reference(a, ti, c, m);
    }
    links(a, ti, m);
    if (m->links.n || m->references.n)
        bb_arch_import(a, &m->route_imports, "typing", "Dict");
}

/* The routers in the order they are included: deeper paths first (an
 * advised /doctors/visits before /doctors, whose /{item_id} would take it),
 * else schema order; and the tables with routes in the order of __all__. */
void bb_routes_plan_router(bb_arch *a, bb_plan *plan)
{
    size_t depth_max = 1;
    for (size_t i = 0; i < a->s->n_tables; i++)
        if (path_depth(a->t[i].route) > depth_max)
            depth_max = path_depth(a->t[i].route);
    for (size_t depth = depth_max; depth >= 1; depth--)
        for (size_t i = 0; i < a->s->n_tables; i++) {
            if (!a->t[i].routes || path_depth(a->t[i].route) != depth)
                continue;
            bb_plan_route *r = BB_ARCH_PUSH(a, plan->route_order);
            r->table = a->s->tables[i].table_name;
            r->route = a->t[i].route;
        }
    for (size_t i = 0; i < a->s->n_tables; i++)
        if (a->t[i].routes)
            bb_arch_push_str(a, &plan->route_tables, a->s->tables[i].table_name);
    bb_arch_sort_names(&plan->route_tables);
}
