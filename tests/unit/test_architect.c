/* test_architect.c - the plan the architect makes of validated schemas. */
#include "testutil.h"

#include "front/validate.h"
#include "pipeline/advisor.h"
#include "pipeline/pipeline.h"
#include "plan/architect.h"

#include <cJSON.h>
#include <string.h>

/* The plan of s as JSON: the printer's text, parsed (the plan is freed). */
static cJSON *plan_json(const bb_schema *s, const bb_plan_advice *advice, bb_diags *d)
{
    bb_plan *p = NULL;
    bb_buf b;
    assert_int_equal(bb_architect_plan(s, advice, d, &p), BB_OK);
    assert_non_null(p);
    bb_buf_init(&b, (size_t)1 << 30);
    assert_int_equal(bb_plan_print_json(p, &b), BB_OK);
    cJSON *j = cJSON_Parse(bb_buf_str(&b));
    assert_non_null(j);
    bb_buf_free(&b);
    bb_plan_free(p);
    return j;
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

/* The "code" of the item of list k of o whose "name" is name. */
static const char *code_of(const cJSON *o, const char *k, const char *name)
{
    cJSON *it;
    cJSON_ArrayForEach(it, get(o, k))
    {
        if (!strcmp(str(it, "name"), name))
            return str(it, "code");
    }
    print_error("no %s named %s\n", k, name);
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

/* Every line of every string in the plan named like code fits Black's 88
 * columns, unless it is one token that cannot be split (a long string). */
static void assert_lines_fit(const cJSON *node)
{
    const cJSON *c;
    if (cJSON_IsString(node) && node->string &&
        (strstr(node->string, "code") || strstr(node->string, "line") ||
         strstr(node->string, "sig") || strstr(node->string, "imports"))) {
        const char *p = node->valuestring;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            if (n > 88 && memchr(p, '"', n) == NULL) {
                print_error("line over 88 columns in %s: %.*s\n", node->string, (int)n, p);
                fail();
            }
            p += n + (e != NULL);
        }
    }
    cJSON_ArrayForEach(c, node) assert_lines_fit(c);
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
            assert_true(!strncmp(str(f, "path"), "app/api/routes/custom/", 22));
        }
    }
    assert_int_equal(n_user, 4);
    assert_non_null(file_entry(plan, "app/models/posts.py"));
    assert_non_null(file_entry(plan, "app/models/mixins.py"));
    assert_non_null(file_entry(plan, "app/models/associations.py"));
    assert_null(file_entry(plan, "app/core/types.py")); /* no UUID column */
    cJSON_Delete(plan);
}

static void test_columns_are_precomputed_with_named_enum_types(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/blog.json");
    cJSON *post = model(plan, "posts");
    assert_string_equal(code_of(post, "columns", "title"),
                        "    title = Column(String(200), nullable=False)");
    assert_contains(code_of(post, "columns", "status"),
                    "Enum(PostStatus, name=\"posts_status\", values_callable=enum_values)");
    assert_contains(code_of(post, "columns", "status"), "default=PostStatus.DRAFT");
    assert_contains(code_of(post, "columns", "author_id"),
                    "ForeignKey(\"users.id\", ondelete=\"CASCADE\")");
    /* Mixin columns come from the mixin classes, not the model body. */
    cJSON *c;
    cJSON_ArrayForEach(c, get(post, "columns"))
        assert_string_not_equal(str(c, "name"), "created_at");
    cJSON_Delete(plan);
}

static void test_imports_are_sorted_deduplicated_and_only_what_is_used(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/blog.json");
    const char *imports = str(model(plan, "posts"), "model_imports");
    assert_string_equal(imports, "from typing import List\n"
                                 "\n"
                                 "from sqlalchemy import Column, Date, Enum, ForeignKey, "
                                 "Integer, String, Text\n"
                                 "from sqlalchemy.orm import relationship\n"
                                 "\n"
                                 "from app.core.database import Base\n"
                                 "from app.enums import PostStatus, enum_values\n"
                                 "from app.models.mixins import SoftDeleteMixin, TimestampMixin");
    imports = str(model(plan, "tags"), "model_imports");
    assert_null(strstr(imports, "mixins"));
    assert_null(strstr(imports, "ForeignKey"));
    cJSON_Delete(plan);
}

static void test_imports_sort_numbers_naturally(void **state)
{
    (void)state;
    cJSON *plan =
        plan_text("{\"project_name\": \"n\", \"db_type\": \"sqlite\", \"schema\": ["
                  "{\"table_name\": \"t10\", \"class_name\": \"T10\", \"columns\": "
                  "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]},"
                  "{\"table_name\": \"t9\", \"class_name\": \"T9\", \"columns\": "
                  "[{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}]}");
    const char *imports = str(plan, "models_imports");
    assert_string_equal(imports, "from app.models.t9 import T9\nfrom app.models.t10 import T10");
    assert_string_equal(
        str(plan, "router_imports"),
        "from fastapi import APIRouter\n\nfrom app.api.routes import custom, t9, t10");
    cJSON_Delete(plan);
}

static void test_relationships_pair_with_back_populates(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/blog.json");
    assert_string_equal(code_of(model(plan, "posts"), "relationships", "author"),
                        "    author = relationship(\"User\", back_populates=\"posts\")");
    assert_contains(code_of(model(plan, "posts"), "relationships", "tags"),
                    "secondary=\"posts_tags\"");
    assert_contains(code_of(model(plan, "tags"), "relationships", "posts"),
                    "back_populates=\"tags\"");
    cJSON_Delete(plan);
}

static void test_automatic_association_table(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/blog.json");
    cJSON *t = cJSON_GetArrayItem(get(plan, "association_tables"), 0);
    assert_non_null(t);
    assert_string_equal(str(t, "name"), "posts_tags");
    assert_contains(str(t, "code"), "\"post_id\"");
    assert_contains(str(t, "code"), "ForeignKey(\"tags.id\", ondelete=\"CASCADE\")");
    assert_contains(str(t, "code"), "primary_key=True");
    cJSON_Delete(plan);
}

static void test_many_to_many_id_lists_in_schemas_and_routes(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/blog.json");
    cJSON *post = model(plan, "posts");
    cJSON *f = cJSON_GetArrayItem(get(post, "create_fields"), 6);
    assert_non_null(f);
    assert_string_equal(str(f, "code"), "    tag_ids: Optional[List[int]] = None");
    assert_true(cJSON_IsTrue(get(post, "has_links")));
    assert_contains(str(cJSON_GetArrayItem(get(post, "links"), 0), "code"),
                    "item.tags = fetch_related(db, \"tag_ids\", data[\"tag_ids\"], Tag, Tag.id)");
    cJSON_Delete(plan);
}

static void test_routes_filter_sort_and_soft_delete(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/blog.json");
    cJSON *post = model(plan, "posts");
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
    assert_contains(str(post, "sig_list"), "include_deleted: bool = False");
    assert_contains(str(post, "sort_fields_line"), "\"created_at\": Post.created_at");
    cJSON_Delete(plan);
}

static void test_self_reference_and_cycle(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/org_chart.json");
    cJSON *emp = model(plan, "employees"), *dep = model(plan, "departments");
    assert_contains(code_of(emp, "relationships", "manager"), "remote_side=\"Employee.id\"");
    assert_contains(code_of(dep, "columns", "manager_id"), "use_alter=True");
    assert_contains(code_of(dep, "relationships", "manager"), "post_update=True");
    assert_contains(code_of(dep, "relationships", "manager"),
                    "foreign_keys=\"[Department.manager_id]\"");
    /* Self-referential many-to-many: foreign_key names this side's key. */
    assert_contains(code_of(emp, "relationships", "mentors"),
                    "primaryjoin=\"Employee.id == Mentorship.mentee_id\"");
    assert_contains(code_of(emp, "relationships", "mentees"),
                    "secondaryjoin=\"Employee.id == Mentorship.mentee_id\"");
    cJSON_Delete(plan);
}

static void test_nasty_strings_become_python_literals(void **state)
{
    (void)state;
    cJSON *plan = plan_file("schemas/kitchen_sink.json");
    cJSON *acc = model(plan, "accounts");
    assert_contains(code_of(acc, "columns", "motto"),
                    "default='It\\'s \"fine\" \\\\ really\\nisn\\'t it? \"\"\"'");
    assert_contains(code_of(acc, "columns", "handle"), "comment=\"Shown in URLs\\nnever changes\"");
    assert_string_equal(str(acc, "docstring"), "    \"\"\"An account keyed by UUID.\n"
                                               "    Its docstring says \\\"\\\"\" and ends with "
                                               "a backslash \\\\\n"
                                               "    \"\"\"");
    assert_non_null(file_entry(plan, "app/core/types.py"));
    cJSON_Delete(plan);
}

static void test_generated_lines_fit_88_columns(void **state)
{
    (void)state;
    static const char *const files[] = {"schemas/blog.json", "schemas/shop.json",
                                        "schemas/org_chart.json", "schemas/kitchen_sink.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        cJSON *plan = plan_file(files[i]);
        assert_lines_fit(plan);
        cJSON_Delete(plan);
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
    cJSON *plan = plan_file(path);
    assert_contains(code_of(model(plan, "orders"), "relationships", "items"), "\"OrderItem\"");
    cJSON_Delete(plan);
}

/* The members of the first enum of a plan, as "NAME = value" code lines. */
static const char *member(const cJSON *plan, int i)
{
    cJSON *e = cJSON_GetArrayItem(get(plan, "enums"), 0);
    return str(cJSON_GetArrayItem(get(e, "members"), i), "code");
}

static void test_enum_members_are_valid_unique_and_transliterated(void **state)
{
    (void)state;
    cJSON *plan = plan_text(
        "{\"project_name\": \"p\", \"db_type\": \"sqlite\", \"schema\": [{\"table_name\": \"t\", "
        "\"class_name\": \"T\", \"columns\": [{\"name\": \"id\", \"type\": \"Integer\", "
        "\"primary_key\": true}, {\"name\": \"tier\", \"type\": \"Enum\", \"default\": \"ELITE!\", "
        "\"values\": [\"ÉLITE\", \"ELITE!\", \"日本\", \"中国語\", \"Straße\", \"--\"]}]}]}");
    assert_string_equal(member(plan, 0), "    ELITE = \"ÉLITE\"");
    assert_string_equal(member(plan, 1), "    ELITE_2 = \"ELITE!\"");
    assert_string_equal(member(plan, 2), "    VALUE_3 = \"日本\"");
    assert_string_equal(member(plan, 3), "    VALUE_4 = \"中国語\"");
    assert_string_equal(member(plan, 4), "    STRASSE = \"Straße\"");
    assert_string_equal(member(plan, 5), "    VALUE_6 = \"--\"");
    /* The default names the member its value got. */
    assert_contains(code_of(cJSON_GetArrayItem(get(plan, "models"), 0), "columns", "tier"),
                    "default=TTier.ELITE_2");
    cJSON_Delete(plan);
}

static void test_composite_keys_get_routes_by_the_whole_key(void **state)
{
    (void)state;
    cJSON *plan = plan_file("tests/e2e/composite_keys.json");
    cJSON *m = model(plan, "enrollments");
    assert_true(cJSON_IsTrue(get(m, "routes")));
    assert_true(cJSON_IsTrue(get(m, "composite_key")));
    assert_string_equal(str(m, "key_path"), "/{student_id}/{course_id}");
    assert_string_equal(str(m, "dec_delete"),
                        "@router.delete(\"/{student_id}/{course_id}\", status_code=204)");
    assert_contains(str(m, "get_any"), "get_or_404(db, Enrollment, (student_id, course_id))");
    assert_contains(str(m, "sig_read"), "student_id: int, course_id: int");
    assert_string_equal(str(m, "key_line"), "KEY = (\"student_id\", \"course_id\")");
    assert_string_equal(str(m, "missing_path"), "999999/999999");
    /* The key columns filter the list (rows of one student). */
    assert_non_null(strstr(code_of(m, "filters", "student_id"), "Enrollment.student_id =="));
    assert_non_null(file_entry(plan, "tests/test_enrollments.py"));
    assert_non_null(file_entry(plan, "app/api/routes/enrollments.py"));
    cJSON *slots = model(plan, "shelf_slots");
    assert_string_equal(str(slots, "key_path"), "/{shelf}/{position}");
    assert_contains(str(slots, "dec_restore"), "\"/{shelf}/{position}/restore\"");
    assert_string_equal(str(slots, "missing_path"), "no-such-key/999999");
    /* One key column keeps item_id. */
    assert_string_equal(str(model(plan, "students"), "key_path"), "/{item_id}");
    cJSON_Delete(plan);
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

/* Plans path with the model decisions given as JSON text. */
static cJSON *plan_advised(const char *path, const char *decisions)
{
    size_t len;
    char *src = tu_read_file(path, &len);
    bb_diags d;
    bb_schema *s = NULL;
    bb_pipeline_opts o;
    cJSON *plan = NULL, *dec = decisions ? cJSON_Parse(decisions) : NULL;
    bb_plan_advice advice = {0};
    bb_pipeline_opts_default(&o);
    bb_diags_init(&d, path, src, len);
    assert_int_equal(bb_frontend(path, src, len, &o.limits, &d, &s), BB_OK);
    if (dec)
        assert_int_equal(bb_advisor_decisions(dec, &advice), BB_OK);
    plan = plan_json(s, dec ? &advice : NULL, &d);
    bb_advisor_decisions_free(&advice);
    cJSON_Delete(dec);
    bb_schema_free(s);
    bb_diags_free(&d);
    free(src);
    return plan;
}

static void test_model_advice_changes_paths_sort_search_and_examples(void **state)
{
    (void)state;
    cJSON *plan = plan_advised(
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
    cJSON *m = model(plan, "products");
    assert_string_equal(str(m, "api_path"), "/api/v1/catalog/products");
    assert_contains(str(m, "router_line"), "prefix=\"/catalog/products\"");
    assert_contains(str(m, "sig_list"), "sort: str = \"-price\"");
    assert_contains(str(m, "sig_list"), "q: Optional[str] = None");
    assert_string_equal(str(m, "search_line"), "SEARCH_FIELDS = (Product.name,)");
    assert_true(cJSON_IsTrue(get(plan, "uses_search")));
    assert_non_null(get(m, "test_search"));
    /* Examples: in the Create schema, and in the tests where that is safe
     * (not for the unique sku); one that is not a number is dropped. */
    char *text = cJSON_PrintUnformatted(m);
    assert_contains(text, "examples=[\\\"Mug\\\"]");
    assert_contains(text, "examples=[\\\"S-1\\\"]");
    assert_null(strstr(text, "examples=[x]"));
    cJSON_free(text);
    cJSON *f = cJSON_GetArrayItem(get(plan, "factories"), 1);
    assert_string_equal(str(f, "class"), "Product");
    assert_contains(str(f, "body_line"), "\"name\": \"Mug\"");
    assert_contains(str(f, "body_line"), "\"sku\": text_value(");
    assert_contains(str(model(plan, "customer_profiles"), "sort_fields_line"), "\"display_name\"");
    /* The deeper path is included first. */
    assert_contains(str(cJSON_GetArrayItem(get(plan, "router_includes"), 0), "code"),
                    "custom.products.router");
    cJSON_Delete(plan);

    /* No decisions: exactly the plan without a model. */
    cJSON *x = plan_advised("schemas/shop.json", NULL), *y = plan_file("schemas/shop.json");
    char *px = cJSON_PrintUnformatted(x), *py = cJSON_PrintUnformatted(y);
    assert_string_equal(px, py);
    assert_false(cJSON_IsTrue(get(y, "uses_search")));
    cJSON_free(px);
    cJSON_free(py);
    cJSON_Delete(x);
    cJSON_Delete(y);
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
        cmocka_unit_test(test_columns_are_precomputed_with_named_enum_types),
        cmocka_unit_test(test_imports_are_sorted_deduplicated_and_only_what_is_used),
        cmocka_unit_test(test_imports_sort_numbers_naturally),
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
        cmocka_unit_test(test_generated_names_over_63_bytes_are_errors_on_postgresql),
        cmocka_unit_test(test_long_automatic_association_tables_point_at_through),
        cmocka_unit_test(test_model_advice_changes_paths_sort_search_and_examples),
        cmocka_unit_test(test_allocation_failures_are_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
