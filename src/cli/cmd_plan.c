/*
 * cmd_plan.c - `backbone plan FILE`: runs the validator and the architect
 * and prints the plan: with --format json the plan document exactly as the
 * generator receives it; otherwise a readable outline (build order, models
 * with their columns and relationships, routes, files).
 *
 * Exit codes: 0 printed, 1 the schema is invalid, 2 usage or I/O error,
 * 3 internal error.
 */
#include "base/file.h"
#include "cli/cli.h"

#include "base/bb.h"
#include "diag/diag.h"
#include "front/schema.h"
#include "llm/llm.h"
#include "migrate/migrate.h"
#include "pipeline/advisor.h"
#include "pipeline/pipeline.h"
#include "json/jsoncheck.h"

#include <errno.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: backbone plan FILE [options]\n"
                 "\n"
                 "Prints the plan backbone makes of a schema: the build order, the models\n"
                 "with their columns and relationships, the routes and the files that\n"
                 "`backbone generate` would write. FILE '-' reads standard input.\n"
                 "\n"
                 "options:\n"
                 "  --format human|json   output format (default human); json prints the\n"
                 "                        plan document the templates are rendered from\n"
                 "  --strict              treat warnings as errors\n"
                 "  --llm off|advise      let a language model advise (docs/llm.md)\n"
                 "  --max-tables N        more tables than the default 50 (and --max-columns,\n"
                 "                        --max-relationships, --max-string-length,\n"
                 "                        --max-depth, --max-input-bytes: docs/cli.md)\n"
                 "  -h, --help            this help\n"
                 "\n"
                 "exit codes: 0 printed, 1 invalid schema, 2 usage or I/O error,\n"
                 "            3 internal error\n");
}

static void print_column(const bb_column *c)
{
    printf("      %-22s %s", c->name, bb_col_type_name(c->type) ? bb_col_type_name(c->type) : "?");
    if (c->length)
        printf("(%d)", c->length);
    /* Enum values are free text: shown as data, bidi controls escaped. */
    bb_buf v;
    bb_buf_init(&v, 8192);
    for (size_t i = 0; i < c->n_enum_values; i++) {
        bb_buf_reset(&v);
        if (bb_jsoncheck_quote(&v, c->enum_values[i], 100, false) == BB_OK)
            printf("%s%s%s", i ? ", " : "(", bb_buf_str(&v), i + 1 == c->n_enum_values ? ")" : "");
    }
    bb_buf_free(&v);
    if (c->primary_key)
        printf(" primary key");
    if (c->fk_target)
        printf(" -> %s", c->fk_target);
    if (c->unique)
        printf(" unique");
    if (!c->nullable && !c->primary_key)
        printf(" not null");
    if (c->from_mixin)
        printf(" (mixin)");
    putchar('\n');
}

static void print_models(const bb_schema *s)
{
    printf("build order:");
    for (size_t i = 0; i < s->n_build_order; i++)
        printf("%s %s", i ? " ->" : "", s->tables[s->build_order[i]].table_name);
    printf("\n\nmodels:\n");
    for (size_t k = 0; k < s->n_build_order; k++) {
        const bb_table *t = &s->tables[s->build_order[k]];
        printf("  %s (table %s)%s\n", t->class_name, t->table_name,
               t->is_association ? ", association table" : "");
        printf("    columns:\n");
        for (size_t i = 0; i < t->n_columns; i++)
            print_column(&t->columns[i]);
        if (t->n_rels)
            printf("    relationships:\n");
        for (size_t i = 0; i < t->n_rels; i++) {
            const bb_relationship *r = &t->rels[i];
            printf("      %-22s %s %s%s\n", r->attr_name ? r->attr_name : "?",
                   bb_rel_kind_name(r->kind), r->target_class ? r->target_class : r->target_table,
                   r->implicit ? " (implied by the other side)" : "");
        }
    }
}

/* The models that get a CRUD router, with where it lives. */
static void print_routes(const bb_plan *plan)
{
    printf("\nroutes:\n");
    for (size_t i = 0; i < plan->models.n; i++) {
        const bb_plan_model *m = &plan->models.v[i];
        if (m->routes)
            printf("  %-28s CRUD for %s (app/api/routes/%s.py)\n", m->api_path, m->class, m->table);
    }
}

/* The files of the plan, then the initial migration that generate writes
 * beside them on a first run (later runs add one revision per change). */
static int print_files(const bb_output *o, bb_diags *diags)
{
    const bb_plan *plan = o->plan;
    bb_migrate_result mig;
    int rc = bb_migrate_generate(o->schema, NULL, NULL, NULL, diags, &mig);
    if (rc)
        return rc;
    printf("\nfiles:\n");
    for (size_t i = 0; i < plan->files.n; i++) {
        const bb_plan_file *f = &plan->files.v[i];
        printf("  %-44s %s%s\n", f->path, f->template, f->user ? " (yours once written)" : "");
    }
    for (size_t i = 0; i < mig.n_files; i++)
        printf("  %-44s %s\n", mig.files[i].path, "the initial migration (on a first run)");
    bb_migrate_result_free(&mig);
    return BB_OK;
}

static int print_outline(const bb_output *o, bb_diags *diags)
{
    const bb_schema *s = o->schema;
    printf("project %s (%s)\n\n", s->project_name ? s->project_name : "?",
           s->db_type_name ? s->db_type_name : "?");
    print_models(s);
    print_routes(o->plan);
    int rc = print_files(o, diags);
    if (!rc)
        bb_advisor_print_decisions(stdout, o->plan);
    return rc;
}

int bb_cmd_plan(int argc, char **argv)
{
    const char *file = NULL;
    bool json = false;
    bb_pipeline_opts opts;
    bb_llm_options llm_options = {0};
    bb_pipeline_opts_default(&opts);
    opts.stop_after_plan = true;
    for (int i = 1; i < argc; i++) {
        int shared = bb_cli_pipeline_option(&opts, &llm_options, argc, argv, &i);
        if (shared < 0)
            return BB_EXIT_USAGE;
        if (shared > 0)
            continue;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return BB_EXIT_OK;
        } else if (strcmp(argv[i], "--strict") == 0) {
            opts.strict = true;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
                   (strcmp(argv[i + 1], "json") == 0 || strcmp(argv[i + 1], "human") == 0)) {
            json = strcmp(argv[++i], "json") == 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            bb_cli_error("plan: unknown option or bad value '%s' (see 'backbone plan --help')",
                         argv[i]);
            return BB_EXIT_USAGE;
        } else if (!file) {
            file = argv[i];
        } else {
            bb_cli_error("plan: one schema at a time");
            return BB_EXIT_USAGE;
        }
    }
    if (!file) {
        usage(stderr);
        return BB_EXIT_USAGE;
    }
    char *bytes;
    size_t len;
    int rc = bb_file_read(file, opts.limits.max_input_bytes, &bytes, &len);
    if (rc) {
        bb_cli_error("plan: cannot read %s: %s", file,
                     rc == BB_ELIMIT ? "too large" : strerror(errno));
        return BB_EXIT_USAGE;
    }
    bb_diags diags;
    bb_diags_init(&diags, file, bytes, len);
    bb_output *o = NULL;
    rc = bb_pipeline_run(file, bytes, len, &opts, &diags, &o);
    if (diags.n)
        bb_diags_print(&diags, stderr, bb_use_color(stderr));
    if (!rc && json) {
        bb_buf text;
        bb_buf_init(&text, (size_t)1 << 30);
        rc = bb_plan_print_json(o->plan, &text);
        if (!rc)
            fwrite(bb_buf_str(&text), 1, text.len, stdout);
        bb_buf_free(&text);
    } else if (!rc) {
        rc = print_outline(o, &diags);
        if (rc && diags.n)
            bb_diags_print(&diags, stderr, bb_use_color(stderr));
    }
    bb_output_free(o);
    bb_diags_free(&diags);
    bb_free(bytes);
    return rc == BB_OK ? BB_EXIT_OK : rc == BB_EINVAL ? BB_EXIT_INVALID : BB_EXIT_INTERNAL;
}
