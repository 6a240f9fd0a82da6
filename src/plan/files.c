/* files.c - the project's facts and the list of files (see files.h). */
#include "plan/files.h"

#include <stdlib.h>
#include <string.h>

/* ---- project ---------------------------------------------------------------- */

static const char *default_url(bb_arch *a, const char *db)
{
    switch (a->s->db_type) {
    case BB_DB_SQLITE:
        return bb_arch_fmt(a, "sqlite:///./%s.db", db);
    case BB_DB_MYSQL:
        return bb_arch_fmt(a, "mysql+pymysql://localhost/%s", db);
    case BB_DB_MSSQL:
        return bb_arch_fmt(a, "mssql+pyodbc://localhost/%s?driver=ODBC+Driver+18+for+SQL+Server",
                           db);
    default:
        return bb_arch_fmt(a, "postgresql://localhost/%s", db);
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

/* ---- files ----------------------------------------------------------------------- */

static void file_entry(bb_arch *a, const char *path, const char *tpl, const char *scope,
                       const bb_plan_model *model, bool user)
{
    bb_plan_file *f = BB_ARCH_PUSH(a, a->plan->files);
    f->model = model;
    f->path = path;
    f->template = tpl;
    f->scope = scope;
    f->user = user;
}

/* The files sorted by path, so that the files a path clashes with are
 * found by binary search: a quadratic check cost a third of `validate` at
 * 50 tables. */
typedef struct by_path {
    const char *path;
    size_t k; /* its place in the plan */
} by_path;

static int by_path_cmp(const void *x, const void *y)
{
    return strcmp(((const by_path *)x)->path, ((const by_path *)y)->path);
}

/*
 * The first file (in the plan's order) of another table or of the project
 * whose path is f's first n bytes followed by `end`: '\0' for f's path
 * itself, '/' for the package beside module f. n_v when there is none.
 */
static size_t first_clash(const bb_plan *plan, const by_path *v, size_t n_v, const bb_plan_file *f,
                          size_t n, char end)
{
    size_t lo = 0, hi = n_v, best = n_v;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strncmp(v[mid].path, f->path, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t j = lo; j < n_v && !strncmp(v[j].path, f->path, n); j++)
        if (v[j].path[n] == end && plan->files.v[v[j].k].model != f->model && v[j].k < best)
            best = v[j].k;
    return best;
}

/*
 * A table's file at the path of a file the project has anyway (tables
 * "compat", "health", "mixins"), or a module path/x.py beside a package
 * path/x/ (table "custom": Python imports one of the two, never both):
 * reported at the table, before anything is rendered, so that validate
 * reports it too.
 */
static void check_table_paths(bb_arch *a, bb_plan *plan)
{
    size_t n = plan->files.n;
    if (!a->diags || a->rc || !n)
        return;
    by_path *v = bb_malloc(n * sizeof(*v));
    if (!v) {
        bb_arch_fail(a, BB_ENOMEM);
        return;
    }
    for (size_t k = 0; k < n; k++)
        v[k] = (by_path){plan->files.v[k].path, k};
    qsort(v, n, sizeof(*v), by_path_cmp);
    for (size_t i = 0; i < n; i++) {
        const bb_plan_file *f = &plan->files.v[i];
        if (!f->model)
            continue;
        size_t len = strlen(f->path), k = first_clash(plan, v, n, f, len, '\0');
        if (len > 3 && !strcmp(f->path + len - 3, ".py")) {
            size_t pkg = first_clash(plan, v, n, f, len - 3, '/');
            k = pkg < k ? pkg : k;
        }
        if (k == n)
            continue;
        const bb_table *t = &a->s->tables[f->model - plan->models.v];
        (void)bb_diag_add(a->diags, BB_ERROR, "BB0760", t->pointer, t->offset,
                          "choose another table_name",
                          "table_name '%s' would be generated as '%s', which the project "
                          "has as '%s'%s",
                          t->table_name, f->path, plan->files.v[k].path,
                          plan->files.v[k].model ? "" : " for itself");
    }
    bb_free(v);
}

void bb_files_plan(bb_arch *a, bb_plan *plan)
{
    static const char *const fixed[] = {
        ".dockerignore",
        ".env.example",
        ".flake8",
        ".github/workflows/ci.yml",
        ".gitignore",
        "Dockerfile",
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
        "app/models/custom/__init__.py",
        "app/schemas/__init__.py",
        "app/schemas/compat.py",
        "app/schemas/custom/__init__.py",
        "app/schemas/errors.py",
        "compose.yaml",
        "scripts/check_migrations.py",
        "scripts/ci.sh",
        "scripts/start.sh",
        "tests/__init__.py",
        "tests/conftest.py",
        "tests/factories.py",
        "tests/test_health.py",
        "tests/test_migrations.py",
        "tests/test_settings.py",
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        file_entry(a, fixed[i], fixed[i], "", NULL, false);
    /* Yours once generated: who may call the API. */
    file_entry(a, "app/core/auth.py", "app/core/auth.py", "", NULL, true);
    if (a->uses_timestamps || a->uses_soft_delete)
        file_entry(a, "app/models/mixins.py", "app/models/mixins.py", "", NULL, false);
    if (a->has_assoc)
        file_entry(a, "app/models/associations.py", "app/models/associations.py", "", NULL, false);
    if (a->uses_uuid)
        file_entry(a, "app/core/types.py", "app/core/types.py", "", NULL, false);
    bool any_routes = false;
    for (size_t i = 0; i < a->s->n_tables; i++) {
        const bb_table *t = &a->s->tables[i];
        const char *scope = bb_arch_fmt(a, "/models/%d", (int)i);
        const bb_plan_model *m = &plan->models.v[(int)i];
        file_entry(a, bb_arch_fmt(a, "app/models/%s.py", t->table_name), "app/models/model.py",
                   scope, m, false);
        file_entry(a, bb_arch_fmt(a, "app/schemas/%s.py", t->table_name), "app/schemas/schema.py",
                   scope, m, false);
        file_entry(a, bb_arch_fmt(a, "app/models/custom/%s.py", t->table_name),
                   "app/models/custom/custom.py", scope, m, true);
        file_entry(a, bb_arch_fmt(a, "app/schemas/custom/%s.py", t->table_name),
                   "app/schemas/custom/custom.py", scope, m, true);
        if (!a->t[i].routes)
            continue;
        any_routes = true;
        file_entry(a, bb_arch_fmt(a, "app/api/routes/%s.py", t->table_name),
                   "app/api/routes/route.py", scope, m, false);
        file_entry(a, bb_arch_fmt(a, "app/api/routes/custom/%s.py", t->table_name),
                   "app/api/routes/custom/custom.py", scope, m, true);
        file_entry(a, bb_arch_fmt(a, "tests/test_%s.py", t->table_name), "tests/test_resource.py",
                   scope, m, false);
    }
    if (any_routes)
        file_entry(a, "tests/test_auth.py", "tests/test_auth.py", "", NULL, false);
    check_table_paths(a, plan);
}

void bb_files_plan_project(bb_arch *a, bb_plan *plan)
{
    const bb_schema *s = a->s;
    bb_plan_project *p = plan->project = BB_ARCH_NEW(a, bb_plan_project);
    const char *pkg = bb_arch_snake(a, s->project_name);
    const char *desc = s->description ? s->description : "";
    char *dist = (char *)bb_arch_fmt(a, "%s", pkg);
    for (char *q = dist; *q; q++)
        if (*q == '_')
            *q = '-';
    p->name = s->project_name;
    p->package = pkg;
    p->distribution = dist;
    p->db_type = s->db_type_name;
    p->description = desc;
    p->description_text = bb_arch_comment(a, desc);
    p->name_literal = bb_arch_lit(a, s->project_name);
    p->description_literal = bb_arch_lit(a, desc);
    p->toml_description = bb_arch_toml(a, p->description_text);
    p->default_database_url = default_url(a, pkg);
    p->default_database_url_literal = bb_arch_lit(a, p->default_database_url);
    p->driver = db_driver(s);
    p->postgresql = s->db_type == BB_DB_POSTGRESQL;
    p->style = "classic";
    p->api_prefix = BB_ARCH_API_PREFIX;
    p->version = "0.1.0";
}
