/* test_pipeline.c - the orchestrator and the generator: stage reports,
 * rendering a plan's files with [root, model] frames, template overrides,
 * caps and refusals. The plans here are small hand-made ones. */
#include "testutil.h"

#include "output/emit.h"
#include "pipeline/pipeline.h"
#include "render/embedded.h"
#include "render/generator.h"
#include "json/jsonpointer.h"

#include <cJSON.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    char tpl_dir[64]; /* a private --templates folder */
    bb_pipeline_opts opts;
    bb_diags diags;
    bb_file *files;
    size_t n_files;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->tpl_dir, sizeof(f->tpl_dir), "/tmp/bb-test-tpl-XXXXXX");
    if (!f || !mkdtemp(f->tpl_dir))
        return -1;
    bb_pipeline_opts_default(&f->opts);
    f->opts.templates_dir = f->tpl_dir;
    bb_diags_init(&f->diags, "schema.json", NULL, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    bb_emit_remove_tree(f->tpl_dir);
    bb_generator_free(f->files, f->n_files);
    bb_diags_free(&f->diags);
    free(f);
    return 0;
}

static void put_template(fixture *f, const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", f->tpl_dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
    *slash = '/';
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* A plan of project "blog" with the models User and Post, and no files. */
static bb_plan *small_plan(void)
{
    bb_plan *p = bb_plan_new(1 << 20);
    assert_non_null(p);
    p->project = bb_plan_alloc(p, sizeof(*p->project));
    assert_non_null(p->project);
    p->project->name = "blog";
    bb_plan_model *user = bb_plan_list_push(p, &p->models, sizeof(*user));
    assert_non_null(user);
    user->class = "User";
    user->description = "shadowed";
    bb_plan_model *post = bb_plan_list_push(p, &p->models, sizeof(*post));
    assert_non_null(post);
    post->class = "Post";
    return p;
}

/* Adds a file: model -1 renders it at the root. */
static void add_file(bb_plan *p, const char *path, const char *tpl, int model, bool user)
{
    bb_plan_file *file = bb_plan_list_push(p, &p->files, sizeof(*file));
    assert_non_null(file);
    file->path = path;
    file->template = tpl;
    file->model = model >= 0 ? &p->models.v[model] : NULL;
    file->user = user;
}

/* Renders plan's files (the plan is freed). */
static int render_plan(fixture *f, bb_plan *plan)
{
    int rc = bb_generator_render(plan, f->opts.templates_dir, f->opts.max_output_bytes,
                                 f->opts.jobs, &f->diags, &f->files, &f->n_files);
    bb_plan_free(plan);
    return rc;
}

/* Renders one file of template tpl at path. */
static int render_one(fixture *f, const char *path, const char *tpl)
{
    bb_plan *p = small_plan();
    add_file(p, path, tpl, -1, false);
    return render_plan(f, p);
}

/* The files of PLAN: two models, the readme at the root, one user file. */
static int render(fixture *f)
{
    bb_plan *p = small_plan();
    add_file(p, "app/models/user.py", "model.py", 0, false);
    add_file(p, "README.md", "readme.md", -1, false);
    add_file(p, "app/models/post.py", "model.py", 1, false);
    add_file(p, "app/custom.py", "readme.md", -1, true);
    return render_plan(f, p);
}

static bool has_code(const bb_diags *d, const char *code)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].code, code) == 0)
            return true;
    return false;
}

static void renders_each_file_with_the_root_and_its_scope(void **state)
{
    fixture *f = *state;
    put_template(f, "model.py.mustache",
                 "class {{class}}:  # {{project.name}} {{description}} <&>\n");
    put_template(f, "readme.md.mustache", "# {{project.name}}{{class}}\n");
    assert_int_equal(render(f), BB_OK);
    assert_int_equal(f->n_files, 4);
    /* Sorted by path. */
    assert_string_equal(f->files[0].path, "README.md");
    assert_string_equal(f->files[1].path, "app/custom.py");
    assert_string_equal(f->files[2].path, "app/models/post.py");
    assert_string_equal(f->files[3].path, "app/models/user.py");
    /* The model is searched first, then the root; nothing is HTML-escaped. */
    assert_string_equal(f->files[3].data, "class User:  # blog shadowed <&>\n");
    assert_string_equal(f->files[2].data, "class Post:  # blog  <&>\n");
    assert_string_equal(f->files[0].data, "# blog\n");
    assert_true(f->files[1].user);
    assert_false(f->files[0].user);
}

static void partials_come_from_the_same_template_set(void **state)
{
    fixture *f = *state;
    put_template(f, "model.py.mustache", "{{> partials/header}}class {{class}}: pass\n");
    put_template(f, "partials/header.mustache", "# generated for {{project.name}}\n");
    put_template(f, "readme.md.mustache", "x\n");
    assert_int_equal(render(f), BB_OK);
    /* the formatting pass puts the class's body on its own line */
    assert_string_equal(f->files[3].data, "# generated for blog\nclass User:\n    pass\n");
}

static void an_override_replaces_only_its_own_template(void **state)
{
    fixture *f = *state;
    if (bb_embedded_template_count == 0) {
        print_message("no embedded template to override: templates/ is empty\n");
        fail();
    }
    const char *name = bb_embedded_templates[0].path; /* "x/y.py.mustache" */
    char tpl[256];
    snprintf(tpl, sizeof(tpl), "%.*s", (int)(strlen(name) - strlen(".mustache")), name);
    bb_plan *plan = small_plan();
    add_file(plan, "a.txt", tpl, -1, false);
    add_file(plan, "b.txt", "mine", -1, false);
    put_template(f, name, "overridden\n");
    put_template(f, "mine.mustache", "also mine\n");
    assert_int_equal(render_plan(f, plan), BB_OK);
    assert_string_equal(f->files[0].data, "overridden\n");
    assert_string_equal(f->files[1].data, "also mine\n");
}

static void a_missing_template_is_reported(void **state)
{
    fixture *f = *state;
    assert_int_equal(render_one(f, "a.py", "no/such/template"), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0720"));
    assert_null(f->files);
}

static void an_unreadable_override_is_reported(void **state)
{
    fixture *f = *state;
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/t.mustache", f->tpl_dir);
    assert_int_equal(mkdir(dir, 0755), 0); /* a folder where the file should be */
    assert_int_equal(render_one(f, "a.py", "t"), BB_EIO);
    assert_true(has_code(&f->diags, "BB0726"));
}

static void a_plan_path_outside_the_output_is_refused(void **state)
{
    fixture *f = *state;
    put_template(f, "t.mustache", "x");
    assert_int_equal(render_one(f, "../evil.py", "t"), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0724"));
}

static void a_template_name_outside_the_template_folder_is_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(render_one(f, "a.py", "../../etc/x"), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0720"));
}

static void a_file_without_a_template_is_reported(void **state)
{
    fixture *f = *state;
    assert_int_equal(render_one(f, "a.py", NULL), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0723"));
}

/* Renders a, b, c and d (with suffix ext) of template text under a cap of
 * 15 bytes on `jobs` threads: refused, with BB0722 as the only message. */
static void render_four_capped(fixture *f, const char *text, const char *ext, unsigned jobs)
{
    put_template(f, "t.mustache", text);
    f->opts.max_output_bytes = 15;
    f->opts.jobs = jobs;
    static const char *names[] = {"a", "b", "c", "d"};
    static char paths[4][8];
    bb_plan *plan = small_plan();
    for (size_t i = 0; i < 4; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s%s", names[i], ext);
        add_file(plan, paths[i], "t", -1, false);
    }
    assert_int_equal(render_plan(f, plan), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0722"));
    /* Once, naming the first file past the cap; the files after it are
     * over it as well and say nothing new. */
    assert_int_equal(f->diags.n, 1);
    assert_string_equal(f->diags.items[0].pointer, "");
}

static void output_is_capped(void **state)
{
    fixture *f = *state;
    render_four_capped(f, "0123456789", "", 1);
    assert_non_null(strstr(f->diags.items[0].message, "'b' is the first file past it"));
}

/* The cap is on the formatted files: checked in plan order after the
 * threads, it names the same file whatever their number. */
static void output_is_capped_on_any_number_of_threads(void **state)
{
    fixture *f = *state;
    render_four_capped(f, "x = 1\n", ".py", 3);
    assert_string_equal(f->diags.items[0].code, "BB0722");
    assert_non_null(strstr(f->diags.items[0].message, "'c.py' is the first file past it"));
}

/* Python a template breaks is reported file by file in plan order, with
 * the same messages, whether one thread formats the files or four do. */
static void format_errors_come_in_plan_order_on_any_number_of_threads(void **state)
{
    fixture *f = *state;
    put_template(f, "ok.mustache", "x = 1\n");
    put_template(f, "bad.mustache", "x = (1\n");
    static const char *paths[] = {"a.py", "b.py", "c.py", "d.py", "e.py", "f.py", "g.py"};
    bb_diags one;
    bb_diags_init(&one, "schema.json", NULL, 0);
    for (unsigned jobs = 1; jobs <= 4; jobs += 3) {
        bb_plan *plan = small_plan();
        for (size_t i = 0; i < 7; i++)
            add_file(plan, paths[i], i % 3 ? "bad" : "ok", -1, false);
        f->opts.jobs = jobs;
        assert_int_equal(render_plan(f, plan), BB_EINVAL);
        if (jobs == 1) {
            assert_int_equal(bb_diags_append(&one, &f->diags), BB_OK);
            bb_diags_free(&f->diags);
            bb_diags_init(&f->diags, "schema.json", NULL, 0);
        }
    }
    assert_true(one.n_errors >= 4);
    assert_int_equal(f->diags.n, one.n);
    for (size_t i = 0; i < one.n; i++) {
        assert_string_equal(f->diags.items[i].code, one.items[i].code);
        assert_string_equal(f->diags.items[i].message, one.items[i].message);
    }
    /* b.py comes before c.py, e.py and f.py */
    assert_non_null(strstr(one.items[0].message, "b.py"));
    bb_diags_free(&one);
}

static void json_pointers_resolve_with_escapes(void **state)
{
    (void)state;
    cJSON *doc = cJSON_Parse("{\"a/b\": {\"m~n\": [10, 20]}, \"\": 1}");
    const cJSON *v = bb_json_pointer_get(doc, "/a~1b/m~0n/1");
    assert_non_null(v);
    assert_int_equal(v->valueint, 20);
    assert_ptr_equal(bb_json_pointer_get(doc, ""), doc);
    assert_non_null(bb_json_pointer_get(doc, "/"));
    assert_null(bb_json_pointer_get(doc, "/a~1b/m~0n/01"));
    assert_null(bb_json_pointer_get(doc, "/a~1b/m~0n/2"));
    assert_null(bb_json_pointer_get(doc, "a"));
    assert_null(bb_json_pointer_get(doc, "/x~2"));
    cJSON_Delete(doc);
}

static void an_invalid_schema_stops_after_the_validator(void **state)
{
    fixture *f = *state;
    const char *bad = "{\"project_name\": \"x\"";
    bb_output *o = NULL;
    assert_int_equal(bb_pipeline_run("bad.json", bad, strlen(bad), &f->opts, &f->diags, &o),
                     BB_EINVAL);
    assert_non_null(o);
    assert_int_equal(o->n_stages, 1);
    assert_string_equal(o->stages[0].name, "validator");
    assert_true(o->stages[0].ran);
    assert_true(o->stages[0].n_errors > 0);
    assert_null(o->files);
    bb_output_free(o);
}

/* validate refuses what the architect would refuse (a class of the
 * project, a table at a path the project has), at the table's pointer. */
static void validate_runs_the_architects_checks(void **state)
{
    fixture *f = *state;
    const char *src = "{\"project_name\": \"p\", \"db_type\": \"sqlite\", \"schema\": ["
                      "{\"table_name\": \"items\", \"class_name\": \"Settings\", \"columns\": "
                      "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]},"
                      "{\"table_name\": \"custom\", \"class_name\": \"Custom\", \"columns\": "
                      "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}]}";
    const char *ok = "{\"project_name\": \"p\", \"db_type\": \"sqlite\", \"schema\": ["
                     "{\"table_name\": \"items\", \"class_name\": \"Item\", \"columns\": "
                     "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}]}";
    bb_schema *s = NULL;
    bool clash = false, path = false;
    assert_int_equal(
        bb_pipeline_validate("p.json", src, strlen(src), &f->opts.limits, &f->diags, &s),
        BB_EINVAL);
    for (size_t i = 0; i < f->diags.n; i++) {
        clash |= !strcmp(f->diags.items[i].code, "BB0750") &&
                 !strcmp(f->diags.items[i].pointer, "/schema/0");
        path |= !strcmp(f->diags.items[i].code, "BB0760") &&
                !strcmp(f->diags.items[i].pointer, "/schema/1");
    }
    assert_true(clash && path);
    bb_schema_free(s);
    s = NULL;
    bb_diags_free(&f->diags);
    bb_diags_init(&f->diags, "ok.json", ok, strlen(ok));
    assert_int_equal(
        bb_pipeline_validate("ok.json", ok, strlen(ok), &f->opts.limits, &f->diags, &s), BB_OK);
    assert_non_null(s);
    bb_schema_free(s);
}

static void run_output(const char *bytes, size_t len, bb_pipeline_opts *opts, bb_diags *d,
                       bb_output **o)
{
    assert_int_equal(bb_pipeline_run("blog.json", bytes, len, opts, d, o), BB_OK);
}

static void a_valid_schema_runs_every_stage_deterministically(void **state)
{
    fixture *f = *state;
    f->opts.templates_dir = NULL;
    char path[256];
    snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/blog_schema.json",
             tu_shared_dir());
    size_t len;
    char *bytes = tu_read_file(path, &len);
    bb_output *a = NULL, *b = NULL;
    bb_diags d2;
    bb_diags_init(&d2, "blog.json", bytes, len);
    run_output(bytes, len, &f->opts, &f->diags, &a);
    f->opts.jobs = 4; /* the same files on four threads */
    run_output(bytes, len, &f->opts, &d2, &b);
    assert_int_equal(a->n_stages, 5);
    static const char *names[] = {"validator", "architect", "advisor", "generator", "reviewer"};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(a->stages[i].name, names[i]);
        assert_true(a->stages[i].ran);
        assert_true(a->stages[i].seconds >= 0);
    }
    assert_true(a->n_files > 0);
    assert_int_equal(a->n_models, 3);
    /* the summary's counts, recounted here the plain way: every line, and
     * the lines of app/ whose first non-blank text is "@x.get(" etc. */
    size_t lines = 0, routes = 0;
    for (size_t i = 0; i < a->n_files; i++) {
        const char *p = a->files[i].data, *end = p + a->files[i].len;
        while (p < end) {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            eol = eol ? eol : end;
            lines++;
            p += strspn(p, " \t");
            const char *dot = p < eol && *p == '@' ? memchr(p, '.', (size_t)(eol - p)) : NULL;
            if (dot && strncmp(a->files[i].path, "app/", 4) == 0 &&
                (strncmp(dot, ".get(", 5) == 0 || strncmp(dot, ".post(", 6) == 0 ||
                 strncmp(dot, ".put(", 5) == 0 || strncmp(dot, ".patch(", 7) == 0 ||
                 strncmp(dot, ".delete(", 8) == 0))
                routes++;
            p = eol + 1;
        }
    }
    assert_int_equal(a->n_lines, lines);
    assert_int_equal(a->n_routes, routes);
    assert_true(routes >= 15); /* list, get, create, update, delete of 3 tables */
    assert_int_equal(a->n_files, b->n_files);
    for (size_t i = 0; i < a->n_files; i++) {
        assert_string_equal(a->files[i].path, b->files[i].path);
        assert_int_equal(a->files[i].len, b->files[i].len);
        assert_memory_equal(a->files[i].data, b->files[i].data, a->files[i].len);
    }
    bb_output_free(a);
    bb_output_free(b);
    bb_diags_free(&d2);
    free(bytes);
}

static char *read_blog(size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/blog_schema.json",
             tu_shared_dir());
    return tu_read_file(path, len);
}

static void count_stage(void *ctx, const bb_stage_report *r)
{
    int *n = ctx;
    assert_true(r->ran);
    (*n)++;
}

static void plan_mode_stops_after_the_advisor_and_reports_each_stage(void **state)
{
    fixture *f = *state;
    size_t len;
    char *bytes = read_blog(&len);
    int calls = 0;
    f->opts.stop_after_plan = true;
    f->opts.on_stage = count_stage;
    f->opts.on_stage_ctx = &calls;
    bb_output *o = NULL;
    assert_int_equal(bb_pipeline_run("blog.json", bytes, len, &f->opts, &f->diags, &o), BB_OK);
    assert_int_equal(o->n_stages, 3);
    assert_int_equal(calls, 3);
    assert_string_equal(o->stages[1].name, "architect");
    assert_string_equal(o->stages[2].name, "advisor");
    assert_non_null(o->plan);
    assert_null(o->files);
    bb_output_free(o);
    free(bytes);
}

static void strict_mode_stops_on_a_warning(void **state)
{
    fixture *f = *state;
    /* An unknown key is a warning (BB0205); --strict makes it an error. */
    const char *schema = "{\"project_name\": \"x\", \"db_type\": \"sqlite\", \"colour\": 1,"
                         " \"schema\": [{\"table_name\": \"items\", \"class_name\": \"Item\","
                         " \"columns\": [{\"name\": \"id\", \"type\": \"Integer\","
                         " \"primary_key\": true}]}]}";
    bb_output *o = NULL;
    f->opts.stop_after_plan = true;
    assert_int_equal(bb_pipeline_run("s.json", schema, strlen(schema), &f->opts, &f->diags, &o),
                     BB_OK);
    assert_true(f->diags.n_warnings > 0);
    bb_output_free(o);
    bb_diags d;
    bb_diags_init(&d, "s.json", schema, strlen(schema));
    f->opts.strict = true;
    assert_int_equal(bb_pipeline_run("s.json", schema, strlen(schema), &f->opts, &d, &o),
                     BB_EINVAL);
    assert_int_equal(o->n_stages, 1);
    assert_false(d.warnings_as_errors); /* the caller's setting is given back */
    bb_output_free(o);
    bb_diags_free(&d);
}

static void every_allocation_failure_is_survived(void **state)
{
    fixture *f = *state;
    char path[256];
    snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/simple_schema.json",
             tu_shared_dir());
    size_t len;
    char *bytes = tu_read_file(path, &len);
    f->opts.templates_dir = NULL;
    f->opts.python = ""; /* the built-in check: no process per attempt */
    int rc = BB_ENOMEM;
    long n;
    for (n = 0; n < 100000 && rc != BB_OK; n++) {
        bb_diags d;
        bb_diags_init(&d, "simple.json", bytes, len);
        bb_output *o = NULL;
        bb_alloc_fail_after(n);
        rc = bb_pipeline_run("simple.json", bytes, len, &f->opts, &d, &o);
        bb_alloc_fail_after(-1);
        if (rc == BB_OK)
            assert_true(o->n_files > 0);
        bb_output_free(o);
        bb_diags_free(&d);
    }
    assert_int_equal(rc, BB_OK);
    assert_true(n > 10); /* the run does allocate, so failures were injected */
    free(bytes);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(renders_each_file_with_the_root_and_its_scope),
        T(partials_come_from_the_same_template_set),
        T(an_override_replaces_only_its_own_template),
        T(a_missing_template_is_reported),
        T(an_unreadable_override_is_reported),
        T(a_plan_path_outside_the_output_is_refused),
        T(a_template_name_outside_the_template_folder_is_refused),
        T(a_file_without_a_template_is_reported),
        T(output_is_capped),
        cmocka_unit_test_setup_teardown(output_is_capped_on_any_number_of_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(format_errors_come_in_plan_order_on_any_number_of_threads,
                                        setup, teardown),
        cmocka_unit_test(json_pointers_resolve_with_escapes),
        T(an_invalid_schema_stops_after_the_validator),
        T(validate_runs_the_architects_checks),
        T(a_valid_schema_runs_every_stage_deterministically),
        T(plan_mode_stops_after_the_advisor_and_reports_each_stage),
        T(strict_mode_stops_on_a_warning),
        T(every_allocation_failure_is_survived),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
