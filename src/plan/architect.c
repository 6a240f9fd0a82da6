/*
 * architect.c - the architect stage: a validated schema in, the plan out
 * (architect.h). The parts fill their own fields: prepass (per-table facts,
 * the names checked), files (the project, the file list), models, schemas,
 * routes and testplan.
 */
#include "plan/architect.h"

#include "plan/arch.h"
#include "plan/files.h"
#include "plan/models.h"
#include "plan/prepass.h"
#include "plan/routes.h"
#include "plan/schemas.h"
#include "plan/testplan.h"

#include <string.h>

#define ARENA_MAX ((size_t)256 << 20)
#define SCRATCH_MAX ((size_t)1 << 20)

/* The fields every template of a table sees. */
static void plan_identity(bb_arch *a, int ti, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    m->class = t->class_name;
    m->table = t->table_name;
    m->module = t->table_name;
    m->description = t->description ? t->description : "";
    m->snake = a->t[ti].snake;
    m->timestamps = t->use_timestamps;
    m->soft_delete = t->use_soft_delete;
    m->routes = a->t[ti].routes;
    m->route = a->t[ti].route;
    m->api_path = a->t[ti].api_path;
}

static void plan_all(bb_arch *a, bb_plan *plan)
{
    const bb_schema *s = a->s;
    plan->backbone_version = BB_VERSION;
    bb_prepass_run(a);
    if (a->rc)
        return; /* the per-table facts are incomplete */
    bb_prepass_check_names(a);
    bb_files_plan_project(a, plan);
    for (size_t i = 0; i < s->n_build_order; i++)
        bb_arch_push_str(a, &plan->build_order, s->tables[s->build_order[i]].table_name);
    if (!s->n_build_order)
        for (size_t i = 0; i < s->n_tables; i++)
            bb_arch_push_str(a, &plan->build_order, s->tables[i].table_name);
    bb_models_plan(a, plan);
    for (size_t i = 0; i < s->n_tables; i++) {
        bb_plan_model *m = BB_ARCH_PUSH(a, plan->models);
        plan_identity(a, (int)i, m);
        bb_models_plan_model(a, (int)i, m);
        bb_schemas_plan(a, (int)i, m);
        if (!a->t[i].routes)
            continue;
        bb_routes_plan(a, (int)i, m);
        bb_testplan_plan(a, (int)i, m);
        bb_testplan_factory(a, (int)i, BB_ARCH_PUSH(a, plan->factories));
    }
    plan->uses_timestamps = a->uses_timestamps;
    plan->uses_soft_delete = a->uses_soft_delete;
    plan->uses_uuid = a->uses_uuid;
    plan->uses_search = a->uses_search;
    bb_routes_plan_router(a, plan);
    bb_files_plan(a, plan);
}

int bb_architect_plan(const bb_schema *s, const bb_plan_advice *advice, bb_diags *diags,
                      bb_plan **plan)
{
    *plan = NULL;
    if (!s)
        return BB_EUSAGE;
    bb_arch *a = bb_calloc(1, sizeof(*a));
    bb_plan *p = bb_plan_new(ARENA_MAX);
    if (!a || !p) {
        bb_free(a);
        bb_plan_free(p);
        return BB_ENOMEM;
    }
    a->s = s;
    a->diags = diags;
    a->advice = advice;
    a->plan = p;
    bb_buf_init(&a->scratch, SCRATCH_MAX);
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

/* The templates the sa2 style replaces, each by styles/sa2/<name>. */
static const char *const sa2_templates[][2] = {
    {"app/models/model.py", "styles/sa2/app/models/model.py"},
    {"app/models/mixins.py", "styles/sa2/app/models/mixins.py"},
};

const char *bb_architect_style(const char *name, size_t n)
{
    static const char *const styles[] = {"classic", "sa2"};
    for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++)
        if (strlen(styles[i]) == n && memcmp(name, styles[i], n) == 0)
            return styles[i];
    return NULL;
}

int bb_architect_use_style(bb_plan *plan, const char *style)
{
    const char *name = style ? style : "classic";
    style = bb_architect_style(name, strlen(name));
    if (!style)
        return BB_EUSAGE;
    plan->project->style = style;
    plan->project->sa2 = !strcmp(style, "sa2");
    for (size_t i = 0; plan->project->sa2 && i < plan->files.n; i++)
        for (size_t k = 0; k < sizeof(sa2_templates) / sizeof(sa2_templates[0]); k++)
            if (!strcmp(plan->files.v[i].template, sa2_templates[k][0]))
                plan->files.v[i].template = sa2_templates[k][1];
    return BB_OK;
}
