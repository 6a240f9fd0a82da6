/* test_architect.c - the plan the architect makes of validated schemas. */
#include "testutil.h"

#include "front/validate.h"
#include "pipeline/advisor.h"
#include "pipeline/pipeline.h"
#include "plan/architect.h"
#include "render/generator.h"

#include <cJSON.h>
#include <string.h>

/* p as JSON: the printer's text, parsed; p is freed. */
static cJSON *printed(bb_plan *p)
{
    bb_buf b;
    bb_buf_init(&b, (size_t)1 << 30);
    assert_int_equal(bb_plan_print_json(p, &b), BB_OK);
    cJSON *j = cJSON_Parse(bb_buf_str(&b));
    assert_non_null(j);
    bb_buf_free(&b);
    bb_plan_free(p);
    return j;
}

/* The plan of s as JSON. */
static cJSON *plan_json(const bb_schema *s, const bb_plan_advice *advice, bb_diags *d)
{
    bb_plan *p = NULL;
    assert_int_equal(bb_architect_plan(s, advice, d, &p), BB_OK);
    assert_non_null(p);
    return printed(p);
}

/* Loads and validates path, then plans it; fails the test on any error. */
static cJSON *plan_file(const char *path)
{
    size_t len;
    char *src = tu_read_file(path, &len);
    bb_diags d;
    bb_schema *s = NULL;
    bb_pipeline_opts o;
    cJSON *plan = NULL;
    bb_pipeline_opts_default(&o);
    bb_diags_init(&d, path, src, len);
    assert_int_equal(bb_frontend(path, src, len, &o.limits, &d, &s), BB_OK);
    plan = plan_json(s, NULL, &d);
    assert_non_null(plan);
    bb_schema_free(s);
    bb_diags_free(&d);
    free(src);
    return plan;
}

/* Plans a schema given as text. */
static cJSON *plan_text(const char *src)
{
    bb_diags d;
    bb_schema *s = NULL;
    bb_pipeline_opts o;
    cJSON *plan = NULL;
    bb_pipeline_opts_default(&o);
    bb_diags_init(&d, "inline.json", src, strlen(src));
    assert_int_equal(bb_frontend("inline.json", src, strlen(src), &o.limits, &d, &s), BB_OK);
    plan = plan_json(s, NULL, &d);
    bb_schema_free(s);
    bb_diags_free(&d);
    return plan;
}

/* A generated project: the plan as JSON and the rendered files. */
typedef struct project {
    cJSON *plan;
    bb_file *files;
    size_t n_files;
} project;

/* Validates src, plans it with the decisions (JSON text, NULL: none) and
 * renders it with the built-in templates; fails the test on any error. */
static project make(const char *name, const char *src, size_t len, const char *decisions)
{
    bb_diags d;
    bb_schema *s = NULL;
    bb_pipeline_opts o;
    bb_plan *plan = NULL;
    bb_plan_advice advice = {0};
    cJSON *dec = decisions ? cJSON_Parse(decisions) : NULL;
    project p = {0};
    bb_pipeline_opts_default(&o);
    bb_diags_init(&d, name, src, len);
    assert_int_equal(bb_frontend(name, src, len, &o.limits, &d, &s), BB_OK);
    if (dec)
        assert_int_equal(bb_advisor_decisions(dec, &advice), BB_OK);
    assert_int_equal(bb_architect_plan(s, dec ? &advice : NULL, &d, &plan), BB_OK);
    assert_int_equal(bb_generator_render(plan, NULL, (size_t)64 << 20, 1, &d, &p.files, &p.n_files),
                     BB_OK);
    bb_buf b;
    bb_buf_init(&b, (size_t)1 << 30);
    assert_int_equal(bb_plan_print_json(plan, &b), BB_OK);
    p.plan = cJSON_Parse(bb_buf_str(&b));
    assert_non_null(p.plan);
    bb_buf_free(&b);
    bb_plan_free(plan);
    bb_advisor_decisions_free(&advice);
    cJSON_Delete(dec);
    bb_schema_free(s);
    bb_diags_free(&d);
    return p;
}

static project make_file(const char *path, const char *decisions)
{
    size_t len;
    char *src = tu_read_file(path, &len);
    project p = make(path, src, len, decisions);
    free(src);
    return p;
}

static project make_text(const char *src)
{
    return make("inline.json", src, strlen(src), NULL);
}

static void project_free(project *p)
{
    cJSON_Delete(p->plan);
    bb_generator_free(p->files, p->n_files);
}

/* The text of a generated file (NUL-terminated). */
static const char *text_of(const project *p, const char *path)
{
    for (size_t i = 0; i < p->n_files; i++)
        if (!strcmp(p->files[i].path, path))
            return p->files[i].data;
    print_error("no file %s\n", path);
    fail();
    return NULL;
}

/* The statement of text that starts with head (its first line at the head's
 * indentation), up to the parenthesis that closes it; kept in a static
 * buffer. */
static const char *statement(const char *text, const char *head)
{
    static char buf[4096];
    const char *p = strstr(text, head);
    if (!p)
        print_error("no statement %s\n", head);
    assert_non_null(p);
    size_t n = 0;
    int depth = 0;
    do {
        depth += (p[n] == '(') - (p[n] == ')');
        n++;
    } while (p[n] && n + 1 < sizeof(buf) && (depth > 0 || p[n - 1] != ')'));
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

static cJSON *get(const cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v)
        print_error("no key %s\n", k);
    assert_non_null(v);
    return v;
}

static const char *str(const cJSON *o, const char *k)
{
    cJSON *v = get(o, k);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

/* The model whose table is table. */
static cJSON *model(const cJSON *plan, const char *table)
{
    cJSON *m;
    cJSON_ArrayForEach(m, get(plan, "models"))
    {
        if (!strcmp(str(m, "table"), table))
            return m;
    }
    print_error("no model %s\n", table);
    fail();
    return NULL;
}

static cJSON *file_entry(const cJSON *plan, const char *path)
{
    cJSON *f;
    cJSON_ArrayForEach(f, get(plan, "files"))
    {
        if (!strcmp(str(f, "path"), path))
            return f;
    }
    return NULL;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        print_error("expected to find\n  %s\nin\n  %s\n", needle, hay);
        fail();
    }
}

static void test_plan_is_deterministic(void **state)
{
    (void)state;
    cJSON *a = plan_file("schemas/blog.json");
    cJSON *b = plan_file("schemas/blog.json");
    char *x = cJSON_PrintUnformatted(a), *y = cJSON_PrintUnformatted(b);
    assert_string_equal(x, y);
    cJSON_free(x);
    cJSON_free(y);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* The JSON of a plan states its version, and leaves missing values out. */
static void test_plan_json_has_version_2_and_no_nulls(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/shop.json");
    assert_int_equal(cJSON_GetObjectItem(plan, "plan_version")->valueint, 2);
    char *text = cJSON_PrintUnformatted(plan);
    assert_null(strstr(text, ":null"));
    assert_non_null(strstr(text, "\"route_imports\":"));
    cJSON_free(text);
    cJSON_Delete(plan);
}

static void test_project_and_build_order(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/blog.json");
    cJSON *p = get(plan, "project");
    assert_string_equal(str(p, "name"), "Blog");
    assert_string_equal(str(p, "package"), "blog");
    assert_string_equal(str(p, "db_type"), "postgresql");
    assert_string_equal(str(p, "default_database_url"), "postgresql://localhost/blog");
    cJSON *order = get(plan, "build_order");
    assert_int_equal(cJSON_GetArraySize(order), 4);
    assert_string_equal(cJSON_GetArrayItem(order, 0)->valuestring, "users");
    cJSON_Delete(plan);
}

static void test_every_file_scope_resolves_and_custom_routes_are_user_files(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/blog.json");
    cJSON *f;
    size_t n_user = 0;
    cJSON_ArrayForEach(f, get(plan, "files"))
    {
        const char *scope = str(f, "scope");
        assert_non_null(str(f, "template"));
        if (*scope) {
            int i = (int)strtol(scope + strlen("/models/"), NULL, 10);
            assert_true(!strncmp(scope, "/models/", 8));
            assert_non_null(cJSON_GetArrayItem(get(plan, "models"), i));
        }
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "user"))) {
            n_user++;
            assert_true(!strncmp(str(f, "path"), "app/api/routes/custom/", 22) ||
                        !strncmp(str(f, "path"), "app/models/custom/", 18) ||
                        !strncmp(str(f, "path"), "app/schemas/custom/", 19) ||
                        !strcmp(str(f, "path"), "app/core/auth.py"));
        }
    }
    assert_int_equal(n_user, 13); /* routes, model and schemas of each of 4 tables, auth */
    assert_non_null(file_entry(plan, "app/models/posts.py"));
    assert_non_null(file_entry(plan, "app/models/mixins.py"));
    assert_non_null(file_entry(plan, "app/models/associations.py"));
    assert_null(file_entry(plan, "app/core/types.py")); /* no UUID column */
    cJSON_Delete(plan);
}

/* The element of m's list whose "name" is name. */
static cJSON *named(const cJSON *m, const char *list, const char *name)
{
    cJSON *e;
    cJSON_ArrayForEach(e, get(m, list))
    {
        if (!strcmp(str(e, "name"), name))
            return e;
    }
    print_error("no %s %s\n", list, name);
    fail();
    return NULL;
}

/* The plan of schemas/blog.json in the sa2 style, as JSON. */
static cJSON *sa2_plan(void)
{
    const char *path = "schemas/blog.json";
    size_t len;
    char *src = tu_read_file(path, &len);
    bb_diags d;
    bb_schema *s = NULL;
    bb_plan *p = NULL;
    bb_pipeline_opts o;
    bb_pipeline_opts_default(&o);
    bb_diags_init(&d, path, src, len);
    assert_int_equal(bb_frontend(path, src, len, &o.limits, &d, &s), BB_OK);
    assert_int_equal(bb_architect_plan(s, NULL, &d, &p), BB_OK);
    assert_int_equal(bb_architect_use_style(p, "sqlalchemy3"), BB_EUSAGE);
    assert_int_equal(bb_architect_use_style(p, "sa2"), BB_OK);
    cJSON *j = printed(p);
    bb_schema_free(s);
    bb_diags_free(&d);
    free(src);
    return j;
}

static void test_the_sa2_style_types_columns_and_relationships(void **state)
{
    (void)state;
    cJSON *plan = sa2_plan();
    cJSON *proj = get(plan, "project");
    assert_string_equal(str(proj, "style"), "sa2");
    assert_true(cJSON_IsTrue(get(proj, "sa2")));
    assert_string_equal(str(file_entry(plan, "app/models/posts.py"), "template"),
                        "styles/sa2/app/models/model.py");
    assert_string_equal(str(file_entry(plan, "app/models/mixins.py"), "template"),
                        "styles/sa2/app/models/mixins.py");
    assert_string_equal(str(file_entry(plan, "app/schemas/posts.py"), "template"),
                        "app/schemas/schema.py");
    cJSON *posts = model(plan, "posts");
    assert_string_equal(str(named(posts, "columns", "title"), "mapped_type"), "str");
    assert_string_equal(str(named(posts, "columns", "published_on"), "mapped_type"),
                        "Optional[date]");
    assert_string_equal(str(named(posts, "relationships", "author"), "mapped_type"),
                        "Optional[\"User\"]");
    assert_string_equal(str(named(posts, "relationships", "tags"), "mapped_type"), "List[\"Tag\"]");
    /* The targets under TYPE_CHECKING in isort's order; no Column import. */
    cJSON *targets = get(posts, "mapped_targets"), *im;
    assert_int_equal(cJSON_GetArraySize(targets), 3);
    assert_string_equal(str(cJSON_GetArrayItem(targets, 0), "module"), "app.models.comments");
    assert_string_equal(str(cJSON_GetArrayItem(targets, 2), "module"), "app.models.users");
    cJSON_ArrayForEach(im, get(posts, "mapped_imports"))
    {
        const char *name = str(im, "name");
        assert_false(name && !strcmp(name, "Column"));
    }
    cJSON_Delete(plan);
}

static void test_columns_name_their_enum_types_and_foreign_keys(void **state)
{
    (void)state;
    project p = make_file("schemas/blog.json", NULL);
    const char *post = text_of(&p, "app/models/posts.py");
    assert_contains(post, "\n    title = Column(String(200), nullable=False)\n");
    assert_contains(statement(post, "    status = "),
                    "Enum(PostStatus, name=\"posts_status\", values_callable=enum_values)");
    assert_contains(statement(post, "    status = "), "default=PostStatus.DRAFT");
    assert_contains(statement(post, "    author_id = "),
                    "ForeignKey(\"users.id\", ondelete=\"CASCADE\")");
    /* Mixin columns come from the mixin classes, not the model body. */
    assert_null(strstr(post, "created_at"));
    cJSON *c;
    cJSON_ArrayForEach(c, get(model(p.plan, "posts"), "columns"))
        assert_string_not_equal(str(c, "name"), "created_at");
    project_free(&p);
}

static void test_imports_are_only_what_is_used(void **state)
{
    (void)state;
    project p = make_file("schemas/blog.json", NULL);
    assert_contains(text_of(&p, "app/models/posts.py"),
                    "\n\nfrom typing import List\n"
                    "\n"
                    "from sqlalchemy import (\n"
                    "    Column,\n"
                    "    Date,\n"
                    "    Enum,\n"
                    "    ForeignKey,\n"
                    "    Index,\n"
                    "    Integer,\n"
                    "    String,\n"
                    "    Text,\n"
                    "    text,\n"
                    ")\n"
                    "from sqlalchemy.orm import relationship\n"
                    "\n"
                    "from app.core.database import Base\n"
                    "from app.enums import PostStatus, enum_values\n"
                    "from app.models.custom.posts import PostExtras\n"
                    "from app.models.mixins import SoftDeleteMixin, TimestampMixin\n\n\n");
    const char *tags = text_of(&p, "app/models/tags.py");
    assert_null(strstr(tags, "mixins"));
    assert_null(strstr(tags, "ForeignKey"));
    project_free(&p);
}

/* The model and its schemas inherit from classes in files of the user's,
 * written once: the user's code for them survives regeneration. */
static void test_models_and_schemas_have_bases_of_the_users(void **state)
{
    (void)state;
    project p = make_file("schemas/blog.json", NULL);
    assert_contains(text_of(&p, "app/models/posts.py"),
                    "class Post(PostExtras, TimestampMixin, SoftDeleteMixin, Base):");
    assert_contains(text_of(&p, "app/models/custom/posts.py"), "\n\nclass PostExtras:\n");
    const char *schemas = text_of(&p, "app/schemas/posts.py");
    assert_contains(schemas, "from app.schemas.custom.posts import PostCreateExtras, "
                             "PostReadExtras, PostUpdateExtras\n");
    assert_contains(schemas, "class PostCreate(PostCreateExtras, Body):");
    assert_contains(schemas, "class PostUpdate(PostUpdateExtras, Body):");
    assert_contains(schemas, "class PostRead(PostReadExtras, ORMModel):");
    assert_contains(text_of(&p, "app/schemas/custom/posts.py"), "class PostReadExtras(ORMModel):");
    cJSON *f = file_entry(p.plan, "app/models/custom/posts.py");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "user")));
    f = file_entry(p.plan, "app/schemas/custom/posts.py");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "user")));
    project_free(&p);
}

static void test_imports_sort_numbers_naturally(void **state)
{
    (void)state;
    project p = make_text("{\"project_name\": \"n\", \"db_type\": \"sqlite\", \"schema\": ["
                          "{\"table_name\": \"t10\", \"class_name\": \"T10\", \"columns\": "
                          "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]},"
                          "{\"table_name\": \"t9\", \"class_name\": \"T9\", \"columns\": "
                          "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}]}");
    assert_contains(text_of(&p, "app/models/__init__.py"),
                    "from app.models.t9 import T9\nfrom app.models.t10 import T10\n\n"
                    "__all__ = [\"T9\", \"T10\"]\n");
    assert_contains(
        text_of(&p, "app/api/router.py"),
        "from fastapi import APIRouter\n\nfrom app.api.routes import custom, t9, t10\n");
    project_free(&p);
}

static void test_relationships_pair_with_back_populates(void **state)
{
    (void)state;
    project p = make_file("schemas/blog.json", NULL);
    const char *post = text_of(&p, "app/models/posts.py");
    assert_contains(post, "\n    author = relationship(\"User\", back_populates=\"posts\")\n");
    assert_contains(statement(post, "    tags = "), "secondary=\"posts_tags\"");
    assert_contains(statement(text_of(&p, "app/models/tags.py"), "    posts = "),
                    "back_populates=\"tags\"");
    cJSON *r = cJSON_GetArrayItem(get(model(p.plan, "posts"), "relationships"), 0);
    assert_string_equal(str(r, "back_populates_literal"), "\"posts\"");
    project_free(&p);
}

static void test_automatic_association_table(void **state)
{
    (void)state;
    project p = make_file("schemas/blog.json", NULL);
    cJSON *t = cJSON_GetArrayItem(get(p.plan, "association_tables"), 0);
    assert_non_null(t);
    assert_string_equal(str(t, "name"), "posts_tags");
    const char *code = statement(text_of(&p, "app/models/associations.py"), "posts_tags = ");
    assert_contains(code, "\"post_id\"");
    assert_contains(code, "ForeignKey(\"tags.id\", ondelete=\"CASCADE\")");
    assert_contains(code, "primary_key=True");
    project_free(&p);
}

static void test_many_to_many_id_lists_in_schemas_and_routes(void **state)
{
    (void)state;
    project p = make_file("schemas/blog.json", NULL);
    assert_contains(text_of(&p, "app/schemas/posts.py"),
                    "\n    tag_ids: Optional[List[Int32]] = None\n");
    assert_contains(text_of(&p, "app/api/routes/posts.py"),
                    "\nEAGER = (selectinload(Post.tags),)\n");
    assert_contains(text_of(&p, "app/api/routes/posts.py"),
                    "item.tags = fetch_related(db, \"tag_ids\", data[\"tag_ids\"], Tag, Tag.id)");
    project_free(&p);
}

static void test_routes_filter_sort_and_soft_delete(void **state)
{
    (void)state;
    project p = make_file("schemas/blog.json", NULL);
    cJSON *post = model(p.plan, "posts");
    cJSON *f;
    int n_filters = 0;
    assert_string_equal(str(post, "api_path"), "/api/v1/posts");
    assert_true(cJSON_IsTrue(get(post, "soft_delete")));
    cJSON_ArrayForEach(f, get(post, "filters"))
    {
        n_filters++;
        assert_string_not_equal(str(f, "name"), "title"); /* not indexed */
    }
    assert_int_equal(n_filters, 3); /* slug (unique), status (enum), author_id (FK) */
    const char *route = text_of(&p, "app/api/routes/posts.py");
    assert_contains(statement(route, "def list_posts("), "include_deleted: bool = False");
    assert_contains(route, "\"created_at\": Post.created_at");
    project_free(&p);
}

static void test_self_reference_and_cycle(void **state)
{
    (void)state;
    project p = make_file("schemas/org_chart.json", NULL);
    const char *emp = text_of(&p, "app/models/employees.py");
    const char *dep = text_of(&p, "app/models/departments.py");
    assert_contains(statement(emp, "    manager = "), "remote_side=\"Employee.id\"");
    assert_contains(statement(dep, "    manager_id = "), "use_alter=True");
    assert_contains(statement(dep, "    manager = "), "post_update=True");
    assert_contains(statement(dep, "    manager = "), "foreign_keys=\"[Department.manager_id]\"");
    /* Self-referential many-to-many: foreign_key names this side's key. */
    assert_contains(statement(emp, "    mentors = "),
                    "primaryjoin=\"Employee.id == Mentorship.mentee_id\"");
    assert_contains(statement(emp, "    mentees = "),
                    "secondaryjoin=\"Employee.id == Mentorship.mentee_id\"");
    project_free(&p);
}

static void test_nasty_strings_become_python_literals(void **state)
{
    (void)state;
    project p = make_file("schemas/kitchen_sink.json", NULL);
    const char *acc = text_of(&p, "app/models/accounts.py");
    assert_contains(statement(acc, "    motto = "),
                    "default='It\\'s \"fine\" \\\\ really\\nisn\\'t it? \"\"\"'");
    assert_contains(statement(acc, "    handle = "), "comment=\"Shown in URLs\\nnever changes\"");
    assert_string_equal(str(model(p.plan, "accounts"), "docstring"),
                        "    \"\"\"An account keyed by UUID.\n"
                        "    Its docstring says \\\"\\\"\" and ends with "
                        "a backslash \\\\\n"
                        "    \"\"\"");
    assert_non_null(file_entry(p.plan, "app/core/types.py"));
    project_free(&p);
}

/* Whether Black could split line l (n bytes) further: an opening bracket,
 * outside strings and comments, that is not the line's last character. */
static bool splittable(const char *l, size_t n)
{
    char quote = 0;
    for (size_t k = 0; k < n; k++) {
        char c = l[k];
        if (quote) {
            if (c == '\\')
                k++;
            else if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#') {
            return false;
        } else if ((c == '(' || c == '[' || c == '{') && k + 1 < n) {
            return true;
        }
    }
    return false;
}

/* Every line of every generated Python file of p fits in 88 columns, or is
 * one Black cannot split (one long name, string or comment). */
static void assert_lines_fit(const project *p)
{
    for (size_t i = 0; i < p->n_files; i++) {
        size_t n = strlen(p->files[i].path);
        if (n < 3 || strcmp(p->files[i].path + n - 3, ".py"))
            continue;
        for (const char *l = p->files[i].data; *l;) {
            const char *e = strchr(l, '\n');
            size_t len = e ? (size_t)(e - l) : strlen(l);
            size_t cols = 0;
            for (size_t k = 0; k < len; k++)
                cols += ((unsigned char)l[k] & 0xC0) != 0x80;
            if (cols > 88 && splittable(l, len)) {
                print_error("line over 88 columns in %s: %.*s\n", p->files[i].path, (int)len, l);
                fail();
            }
            l += len + (e != NULL);
        }
    }
}

static void test_generated_lines_fit_88_columns(void **state)
{
    (void)state;
    static const char *const files[] = {
        "schemas/blog.json",         "schemas/shop.json",         "schemas/org_chart.json",
        "schemas/kitchen_sink.json", "tests/e2e/long_names.json", "tests/e2e/composite_keys.json",
        "tests/e2e/edge_cases.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        project p = make_file(files[i], NULL);
        assert_lines_fit(&p);
        project_free(&p);
    }
    static const char *const names[] = {"blog_schema", "complex_schema", "ecommerce_schema",
                                        "simple_schema"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/%s.json", tu_shared_dir(),
                 names[i]);
        project p = make_file(path, NULL);
        assert_lines_fit(&p);
        project_free(&p);
    }
}

static void test_backbone_ai_examples_plan(void **state)
{
    (void)state;
    static const char *const names[] = {"blog_schema", "complex_schema", "ecommerce_schema",
                                        "simple_schema"};
    char path[512];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/%s.json", tu_shared_dir(),
                 names[i]);
        cJSON *plan = plan_file(path);
        assert_true(cJSON_GetArraySize(get(plan, "models")) > 0);
        cJSON_Delete(plan);
    }
    /* complex_schema names Order.items by back_populates. */
    snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/complex_schema.json",
             tu_shared_dir());
    project p = make_file(path, NULL);
    assert_contains(statement(text_of(&p, "app/models/orders.py"), "    items = "),
                    "\"OrderItem\"");
    project_free(&p);
}

static void test_enum_members_are_valid_unique_and_transliterated(void **state)
{
    (void)state;
    project p = make_text(
        "{\"project_name\": \"p\", \"db_type\": \"sqlite\", \"schema\": [{\"table_name\": \"t\", "
        "\"class_name\": \"T\", \"columns\": [{\"name\": \"id\", \"type\": \"Integer\", "
        "\"primary_key\": true}, {\"name\": \"tier\", \"type\": \"Enum\", \"default\": \"ELITE!\", "
        "\"values\": [\"ÉLITE\", \"ELITE!\", \"日本\", \"中国語\", \"Straße\", \"--\"]}]}]}");
    assert_contains(text_of(&p, "app/enums.py"), "\n    ELITE = \"ÉLITE\"\n"
                                                 "    ELITE_2 = \"ELITE!\"\n"
                                                 "    VALUE_3 = \"日本\"\n"
                                                 "    VALUE_4 = \"中国語\"\n"
                                                 "    STRASSE = \"Straße\"\n"
                                                 "    VALUE_6 = \"--\"\n");
    cJSON *m = cJSON_GetArrayItem(get(cJSON_GetArrayItem(get(p.plan, "enums"), 0), "members"), 1);
    assert_string_equal(str(m, "name"), "ELITE_2");
    assert_string_equal(str(m, "value_literal"), "\"ELITE!\"");
    /* The default names the member its value got. */
    assert_contains(statement(text_of(&p, "app/models/t.py"), "    tier = "),
                    "default=TTier.ELITE_2");
    project_free(&p);
}

static void test_composite_keys_get_routes_by_the_whole_key(void **state)
{
    (void)state;
    project p = make_file("tests/e2e/composite_keys.json", NULL);
    cJSON *m = model(p.plan, "enrollments");
    assert_true(cJSON_IsTrue(get(m, "routes")));
    assert_true(cJSON_IsTrue(get(m, "composite_key")));
    assert_string_equal(str(m, "key_path"), "/{student_id}/{course_id}");
    const char *route = text_of(&p, "app/api/routes/enrollments.py");
    assert_contains(route,
                    "\"/{student_id}/{course_id}\", status_code=204, responses=errors(404, 409");
    assert_contains(route, "get_or_404(db, Enrollment, (student_id, course_id))");
    assert_contains(statement(route, "def read_enrollment("),
                    "student_id: Int32, course_id: Int32");
    const char *test = text_of(&p, "tests/test_enrollments.py");
    assert_contains(test, "\nKEY = (\"student_id\", \"course_id\")\n");
    assert_contains(test, "f\"{PATH}/999999/999999\"");
    /* The key columns filter the list (rows of one student). */
    assert_contains(route, "conditions.append(Enrollment.student_id == student_id)");
    assert_non_null(file_entry(p.plan, "tests/test_enrollments.py"));
    assert_non_null(file_entry(p.plan, "app/api/routes/enrollments.py"));
    assert_string_equal(str(model(p.plan, "shelf_slots"), "key_path"), "/{shelf}/{position}");
    assert_contains(text_of(&p, "app/api/routes/shelf_slots.py"),
                    "\"/{shelf}/{position}/restore\"");
    assert_contains(text_of(&p, "tests/test_shelf_slots.py"), "f\"{PATH}/no-such-key/999999\"");
    /* One key column keeps item_id. */
    assert_string_equal(str(model(p.plan, "students"), "key_path"), "/{item_id}");
    project_free(&p);
}

/* The first diagnostic with code planning src adds, or NULL. The plan must
 * still be made (the pipeline stops on the errors). */
static bb_diag found;
static char found_pointer[128], found_message[512], found_hint[512];

static const bb_diag *plan_diag(const char *src, const char *code)
{
    bb_diags d;
    bb_schema *s = NULL;
    bb_pipeline_opts o;
    cJSON *plan = NULL;
    const bb_diag *hit = NULL;
    bb_pipeline_opts_default(&o);
    bb_diags_init(&d, "inline.json", src, strlen(src));
    assert_int_equal(bb_frontend("inline.json", src, strlen(src), &o.limits, &d, &s), BB_OK);
    plan = plan_json(s, NULL, &d);
    for (size_t i = 0; i < d.n && !hit; i++)
        if (!strcmp(d.items[i].code, code)) {
            found = d.items[i];
            snprintf(found_pointer, sizeof(found_pointer), "%s", found.pointer);
            snprintf(found_message, sizeof(found_message), "%s", found.message);
            snprintf(found_hint, sizeof(found_hint), "%s", found.hint ? found.hint : "");
            found.pointer = found_pointer;
            found.message = found_message;
            found.hint = found_hint;
            hit = &found;
        }
    cJSON_Delete(plan);
    bb_schema_free(s);
    bb_diags_free(&d);
    return hit;
}

#define TABLE(name, cls, cols)                                                                     \
    "{\"table_name\": \"" name "\", \"class_name\": \"" cls "\", \"columns\": [{\"name\": "        \
    "\"id\", \"type\": \"Integer\", \"primary_key\": true}" cols "]}"
#define SCHEMA(db, tables)                                                                         \
    "{\"project_name\": \"p\", \"db_type\": \"" db "\", \"schema\": [" tables "]}"

static void test_class_names_of_the_project_are_refused(void **state)
{
    (void)state;
    const bb_diag *g = plan_diag(SCHEMA("sqlite", TABLE("stamps", "TimestampMixin", "")), "BB0750");
    assert_non_null(g);
    assert_int_equal(g->severity, BB_ERROR);
    assert_string_equal(g->pointer, "/schema/0");
    assert_contains(g->message, "TimestampMixin");
    assert_null(plan_diag(SCHEMA("sqlite", TABLE("stamps", "Stamp", "")), "BB0750"));
}

static void test_class_names_that_are_schema_classes_of_another_table_are_refused(void **state)
{
    (void)state;
    const bb_diag *g = plan_diag(
        SCHEMA("sqlite", TABLE("posts", "Post", "") "," TABLE("post_reads", "PostRead", "")),
        "BB0751");
    assert_non_null(g);
    assert_string_equal(g->pointer, "/schema/1");
    assert_contains(g->message, "'posts'");
}

/* A table whose files the project has anyway (or a module beside a package
 * of the same name) is refused at the table, before anything is rendered. */
static void test_table_names_whose_files_the_project_has_are_refused(void **state)
{
    (void)state;
    static const char *const taken[] = {
        SCHEMA("sqlite", TABLE("custom", "Custom", "")),
        SCHEMA("sqlite", TABLE("compat", "Compat", "")),
        SCHEMA("sqlite", TABLE("health", "Health", "")),
        "{\"project_name\": \"p\", \"db_type\": \"sqlite\", \"schema\": [{\"table_name\": "
        "\"mixins\", \"class_name\": \"Mixin\", \"options\": {\"use_timestamps\": true}, "
        "\"columns\": [{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}]}",
    };
    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
        const bb_diag *g = plan_diag(taken[i], "BB0760");
        assert_non_null(g);
        assert_int_equal(g->severity, BB_ERROR);
        assert_string_equal(g->pointer, "/schema/0");
    }
    assert_contains(plan_diag(taken[0], "BB0760")->message, "/custom/__init__.py'");
    /* Without timestamps or soft delete there is no mixins module. */
    assert_null(plan_diag(SCHEMA("sqlite", TABLE("mixins", "Mixin", "")), "BB0760"));
    assert_null(plan_diag(SCHEMA("sqlite", TABLE("customs", "Custom", "")), "BB0760"));
}

/* The route sets links from ids without naming their type: a UUID key of
 * the other side is no import of the route (flake8 F401). */
static void test_links_to_uuid_keys_import_no_uuid_into_the_route(void **state)
{
    (void)state;
    project p = make_text(
        SCHEMA("postgresql",
               "{\"table_name\": \"posts\", \"class_name\": \"Post\", \"columns\": [{\"name\": "
               "\"id\", \"type\": \"Integer\", \"primary_key\": true}], \"relationships\": "
               "[{\"target_table\": \"tags\", \"target_class\": \"Tag\", \"type\": "
               "\"many_to_many\", \"back_populates\": \"posts\"}]},"
               "{\"table_name\": \"tags\", \"class_name\": \"Tag\", \"columns\": [{\"name\": "
               "\"id\", \"type\": \"UUID\", \"primary_key\": true}]}"));
    assert_null(strstr(text_of(&p, "app/api/routes/posts.py"), "uuid"));
    assert_contains(text_of(&p, "app/schemas/posts.py"), "from uuid import UUID");
    assert_contains(text_of(&p, "app/api/routes/tags.py"), "from uuid import UUID");
    project_free(&p);
}

static void test_enum_classes_avoid_schema_classes(void **state)
{
    (void)state;
    cJSON *plan = plan_text(
        SCHEMA("sqlite",
               TABLE("posts", "Post",
                     ", {\"name\": \"read\", \"type\": \"Enum\", \"values\": [\"yes\", \"no\"]}")));
    cJSON *e = cJSON_GetArrayItem(get(plan, "enums"), 0);
    assert_string_equal(str(e, "class"), "PostRead2");
    cJSON_Delete(plan);
}

#define LONG_TABLE "customer_loyalty_program_memberships"
#define LONG_COLUMN "preferred_contact_channel"
#define LONG_INDEX ", {\"name\": \"" LONG_COLUMN "\", \"type\": \"String\", \"index\": true}"

static void test_generated_names_over_63_bytes_are_errors_on_postgresql(void **state)
{
    (void)state;
    const bb_diag *g =
        plan_diag(SCHEMA("postgresql", TABLE(LONG_TABLE, "Membership", LONG_INDEX)), "BB0752");
    assert_non_null(g);
    assert_int_equal(g->severity, BB_ERROR);
    assert_string_equal(g->pointer, "/schema/0/columns/1");
    assert_contains(g->message, "'ix_" LONG_TABLE "_" LONG_COLUMN "' is 65 bytes");
    assert_contains(g->hint, "\"name\"");
    /* Elsewhere a warning: the schema would not move to PostgreSQL as is. */
    g = plan_diag(SCHEMA("sqlite", TABLE(LONG_TABLE, "Membership", LONG_INDEX)), "BB0752");
    assert_non_null(g);
    assert_int_equal(g->severity, BB_WARNING);
    /* An explicit name is the fix. */
    assert_null(plan_diag(SCHEMA("postgresql",
                                 "{\"table_name\": \"" LONG_TABLE "\", \"class_name\": \"M\", "
                                 "\"columns\": [{\"name\": \"id\", \"type\": \"Integer\", "
                                 "\"primary_key\": true}, {\"name\": \"" LONG_COLUMN
                                 "\", \"type\": \"String\"}], \"indexes\": [{\"name\": "
                                 "\"ix_contact\", \"columns\": [\"" LONG_COLUMN "\"]}]}"),
                          "BB0752"));
}

static void test_generated_names_over_64_are_errors_on_mysql(void **state)
{
    (void)state;
#define LONGER_INDEX                                                                               \
    ", {\"name\": \"" LONG_COLUMN "_for_marketing\", \"type\": \"String\", \"length\": 20, "       \
    "\"index\": true}"
    const bb_diag *g =
        plan_diag(SCHEMA("mysql", TABLE(LONG_TABLE, "Membership", LONGER_INDEX)), "BB0770");
    assert_non_null(g);
    assert_int_equal(g->severity, BB_ERROR);
    assert_contains(g->message, "is 79 characters, over MySQL's 64-character limit");
    /* Not also a BB0752 warning: one message for one name. */
    assert_null(
        plan_diag(SCHEMA("mysql", TABLE(LONG_TABLE, "Membership", LONGER_INDEX)), "BB0752"));
}

static void test_long_automatic_association_tables_point_at_through(void **state)
{
    (void)state;
    const bb_diag *g = plan_diag(
        SCHEMA("postgresql",
               "{\"table_name\": \"" LONG_TABLE "\", \"class_name\": \"Membership\", "
               "\"columns\": [{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}], "
               "\"relationships\": [{\"target_table\": \"benefit_catalogue_entries\", "
               "\"target_class\": \"Benefit\", \"type\": \"many_to_many\"}]},"
               "{\"table_name\": \"benefit_catalogue_entries\", \"class_name\": \"Benefit\", "
               "\"columns\": [{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}"),
        "BB0752");
    assert_non_null(g);
    assert_string_equal(g->pointer, "/schema/0/relationships/0");
    assert_contains(g->hint, "\"through\"");
}

static void test_model_advice_changes_paths_sort_search_and_examples(void **state)
{
    (void)state;
    project p = make_file(
        "schemas/shop.json",
        "[{\"kind\": \"route_path\", \"table\": \"products\", \"value\": \"/catalog/products\"},"
        " {\"kind\": \"searchable\", \"table\": \"products\", \"column\": \"name\"},"
        " {\"kind\": \"default_sort\", \"table\": \"products\", \"column\": \"price\","
        "  \"descending\": true},"
        " {\"kind\": \"sortable\", \"table\": \"customer_profiles\", \"column\": \"display_name\"},"
        " {\"kind\": \"example\", \"table\": \"products\", \"column\": \"name\", \"value\": "
        "\"Mug\"},"
        " {\"kind\": \"example\", \"table\": \"products\", \"column\": \"sku\", \"value\": "
        "\"S-1\"},"
        " {\"kind\": \"example\", \"table\": \"products\", \"column\": \"stock\", \"value\": "
        "\"x\"}]");
    cJSON *m = model(p.plan, "products");
    assert_string_equal(str(m, "api_path"), "/api/v1/catalog/products");
    const char *route = text_of(&p, "app/api/routes/products.py");
    assert_contains(route, "prefix=\"/catalog/products\"");
    assert_contains(statement(route, "def list_products("), "sort: ProductSort = \"-price\"");
    assert_contains(statement(route, "def list_products("), "q: Optional[str] = None");
    assert_contains(route, "\nSEARCH_FIELDS = (Product.name,)\n");
    assert_true(cJSON_IsTrue(get(p.plan, "uses_search")));
    assert_non_null(get(m, "test_search"));
    /* Examples: in the Create schema, and in the tests where that is safe
     * (not for the unique sku); one that is not a number is dropped. */
    const char *schema = text_of(&p, "app/schemas/products.py");
    assert_contains(schema, "examples=[\"Mug\"]");
    assert_contains(schema, "examples=[\"S-1\"]");
    assert_null(strstr(schema, "examples=[x]"));
    const char *factories = text_of(&p, "tests/factories.py");
    const char *pb = strstr(factories, "def product_body(");
    assert_non_null(pb);
    assert_contains(pb, "\"name\": \"Mug\"");
    assert_contains(pb, "\"sku\": text_value(");
    assert_contains(text_of(&p, "app/api/routes/customer_profiles.py"), "\"display_name\"");
    /* The deeper path is included first. */
    assert_contains(text_of(&p, "app/api/router.py"),
                    "api_router = APIRouter()\napi_router.include_router(\n"
                    "    custom.products.router");
    project_free(&p);

    /* No decisions: exactly the plan without a model. */
    project x = make_file("schemas/shop.json", "[]"), y = make_file("schemas/shop.json", NULL);
    char *px = cJSON_PrintUnformatted(x.plan), *py = cJSON_PrintUnformatted(y.plan);
    assert_string_equal(px, py);
    assert_false(cJSON_IsTrue(get(y.plan, "uses_search")));
    cJSON_free(px);
    cJSON_free(py);
    project_free(&x);
    project_free(&y);
}

static void test_allocation_failures_are_clean(void **state)
{
    (void)state;
    size_t len;
    char *src = tu_read_file("schemas/shop.json", &len);
    bb_diags d;
    bb_schema *s = NULL;
    bb_pipeline_opts o;
    bb_pipeline_opts_default(&o);
    bb_diags_init(&d, "shop.json", src, len);
    assert_int_equal(bb_frontend("shop.json", src, len, &o.limits, &d, &s), BB_OK);
    /* Each allocation fails in turn, until the plan needs no more. */
    int rc = BB_ENOMEM;
    for (long n = 0; rc != BB_OK; n++) {
        bb_plan *plan = NULL;
        assert_true(n < 100000);
        bb_alloc_fail_after(n);
        rc = bb_architect_plan(s, NULL, &d, &plan);
        bb_alloc_fail_after(-1);
        if (rc == BB_OK) {
            assert_non_null(plan);
            bb_plan_free(plan);
        } else {
            assert_int_equal(rc, BB_ENOMEM);
            assert_null(plan);
        }
    }
    bb_schema_free(s);
    bb_diags_free(&d);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_is_deterministic),
        cmocka_unit_test(test_plan_json_has_version_2_and_no_nulls),
        cmocka_unit_test(test_project_and_build_order),
        cmocka_unit_test(test_every_file_scope_resolves_and_custom_routes_are_user_files),
        cmocka_unit_test(test_columns_name_their_enum_types_and_foreign_keys),
        cmocka_unit_test(test_imports_are_only_what_is_used),
        cmocka_unit_test(test_imports_sort_numbers_naturally),
        cmocka_unit_test(test_models_and_schemas_have_bases_of_the_users),
        cmocka_unit_test(test_relationships_pair_with_back_populates),
        cmocka_unit_test(test_automatic_association_table),
        cmocka_unit_test(test_many_to_many_id_lists_in_schemas_and_routes),
        cmocka_unit_test(test_routes_filter_sort_and_soft_delete),
        cmocka_unit_test(test_self_reference_and_cycle),
        cmocka_unit_test(test_nasty_strings_become_python_literals),
        cmocka_unit_test(test_generated_lines_fit_88_columns),
        cmocka_unit_test(test_backbone_ai_examples_plan),
        cmocka_unit_test(test_enum_members_are_valid_unique_and_transliterated),
        cmocka_unit_test(test_composite_keys_get_routes_by_the_whole_key),
        cmocka_unit_test(test_class_names_of_the_project_are_refused),
        cmocka_unit_test(test_class_names_that_are_schema_classes_of_another_table_are_refused),
        cmocka_unit_test(test_enum_classes_avoid_schema_classes),
        cmocka_unit_test(test_table_names_whose_files_the_project_has_are_refused),
        cmocka_unit_test(test_links_to_uuid_keys_import_no_uuid_into_the_route),
        cmocka_unit_test(test_generated_names_over_63_bytes_are_errors_on_postgresql),
        cmocka_unit_test(test_long_automatic_association_tables_point_at_through),
        cmocka_unit_test(test_generated_names_over_64_are_errors_on_mysql),
        cmocka_unit_test(test_model_advice_changes_paths_sort_search_and_examples),
        cmocka_unit_test(test_allocation_failures_are_clean),
        cmocka_unit_test(test_the_sa2_style_types_columns_and_relationships),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
