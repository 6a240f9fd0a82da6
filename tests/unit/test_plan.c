/* test_plan.c - the typed plan: its JSON printer, its lists, and the
 * template data model over it (render/mustache_plan.h). */
#include "testutil.h"

#include "plan/plan.h"
#include "render/mustache.h"
#include "render/mustache_plan.h"

#include <string.h>

/* A plan of project "blog" with the models User and Post. */
static bb_plan *small_plan(void)
{
    bb_plan *p = bb_plan_new(1 << 20);
    assert_non_null(p);
    p->backbone_version = "9.9";
    p->project = bb_plan_alloc(p, sizeof(*p->project));
    assert_non_null(p->project);
    p->project->name = "blog";
    p->project->description = "";
    bb_plan_model *m = bb_plan_list_push(p, &p->models, sizeof(*m));
    assert_non_null(m);
    m->class = "User";
    m->routes = true;
    const char **mixin = bb_plan_list_push(p, &m->mixins, sizeof(*mixin));
    assert_non_null(mixin);
    *mixin = "TimestampMixin";
    m = bb_plan_list_push(p, &p->models, sizeof(*m));
    assert_non_null(m);
    m->class = "Post";
    return p;
}

/* Renders text over p with the frames [plan] (model < 0) or [plan, model]. */
static char *render(const bb_plan *p, int model, const char *text)
{
    bb_mustache_template *t = NULL;
    bb_mustache_error err;
    assert_int_equal(bb_mustache_compile("t", text, strlen(text), &t, &err), BB_OK);
    bb_mustache_plan data;
    bb_mustache_plan_init(&data);
    const void *frames[2] = {bb_mustache_plan_object(&data, &bb_plan_root_type, p), NULL};
    if (model >= 0)
        frames[1] = bb_mustache_plan_object(&data, &bb_plan_model_type, &p->models.v[model]);
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    o.escape = NULL;
    bb_buf out;
    bb_buf_init(&out, 1 << 20);
    assert_int_equal(bb_mustache_render_model(t, &bb_mustache_plan_model, &data, frames,
                                              model >= 0 ? 2 : 1, &o, &out, &err),
                     BB_OK);
    assert_int_equal(data.rc, BB_OK);
    bb_mustache_plan_free(&data);
    bb_mustache_free(t);
    size_t len;
    return bb_buf_take(&out, &len);
}

static void assert_renders(const bb_plan *p, int model, const char *text, const char *want)
{
    char *got = render(p, model, text);
    assert_string_equal(got, want);
    bb_free(got);
}

static void lists_iterate_with_first_and_last(void **state)
{
    (void)state;
    bb_plan *p = small_plan();
    assert_renders(p, -1, "{{#models}}{{class}}{{^@last}}, {{/@last}}{{/models}}", "User, Post");
    assert_renders(p, -1, "({{#models}}{{#@first}}{{#@last}},{{/@last}}{{/@first}}{{/models}})",
                   "()");
    /* A one-element list: first and last at once; strings iterate too. */
    assert_renders(p, 0, "({{#mixins}}{{.}}{{#@first}}{{#@last}},{{/@last}}{{/@first}}{{/mixins}})",
                   "(TimestampMixin,)");
    /* Outside a list the names are missing. */
    assert_renders(p, 0, "[{{@first}}{{@last}}]", "[]");
    bb_plan_free(p);
}

static void bools_are_python_and_missing_values_fall_through(void **state)
{
    (void)state;
    bb_plan *p = small_plan();
    assert_renders(p, 0, "{{routes}} {{soft_delete}}", "True False");
    assert_renders(p, 0, "{{#routes}}yes{{/routes}}{{^soft_delete}}, no{{/soft_delete}}",
                   "yes, no");
    /* The model has no project: the plan's is found behind it. */
    assert_renders(p, 0, "{{class}} of {{project.name}}", "User of blog");
    /* A missing string is missing; "" is present and false; an empty list is false. */
    assert_renders(p, 1,
                   "[{{table}}]{{^project.description}}empty{{/project.description}}"
                   "{{^columns}} none{{/columns}}",
                   "[]empty none");
    assert_renders(p, -1, "{{plan_version}}", "2");
    bb_plan_free(p);
}

static void json_leaves_missing_values_out_and_keeps_field_order(void **state)
{
    (void)state;
    bb_plan *p = small_plan();
    bb_buf b;
    bb_buf_init(&b, 1 << 20);
    assert_int_equal(bb_plan_print_json(p, &b), BB_OK);
    const char *j = bb_buf_str(&b);
    assert_non_null(strstr(j, "{\n  \"plan_version\": 2,\n  \"backbone_version\": \"9.9\",\n"));
    assert_non_null(strstr(j, "\"mixins\": [\n        \"TimestampMixin\"\n      ],"));
    assert_non_null(strstr(j, "\"routes\": true"));
    assert_non_null(strstr(j, "\"columns\": [],"));
    assert_null(strstr(j, "\"table\""));  /* missing: left out */
    assert_null(strstr(j, "\"llm\""));    /* no advice */
    assert_int_equal(j[b.len - 1], '\n'); /* one line end */
    bb_buf c;
    bb_buf_init(&c, 1 << 20);
    assert_int_equal(bb_plan_print_json(p, &c), BB_OK);
    assert_string_equal(j, bb_buf_str(&c));
    bb_buf_free(&b);
    bb_buf_free(&c);
    bb_plan_free(p);
}

static void lists_grow_and_keep_their_elements(void **state)
{
    (void)state;
    bb_plan *p = bb_plan_new(1 << 20);
    bb_plan_strs l = {0};
    for (int i = 0; i < 100; i++) {
        const char **s = bb_plan_list_push(p, &l, sizeof(*s));
        assert_non_null(s);
        *s = i % 2 ? "odd" : "even";
    }
    assert_int_equal(l.n, 100);
    assert_string_equal(l.v[98], "even");
    assert_string_equal(l.v[99], "odd");
    /* Every descriptor field is found by its name. */
    assert_non_null(bb_plan_field_find(&bb_plan_model_type, "read_fields", 11));
    assert_null(bb_plan_field_find(&bb_plan_model_type, "read", 4));
    bb_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_iterate_with_first_and_last),
        cmocka_unit_test(bools_are_python_and_missing_values_fall_through),
        cmocka_unit_test(json_leaves_missing_values_out_and_keeps_field_order),
        cmocka_unit_test(lists_grow_and_keep_their_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
