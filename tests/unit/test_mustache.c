/*
 * test_mustache.c - the template engine beyond the spec: errors with their
 * codes and positions, limits, escaping off, multi-frame contexts, template
 * sets, and allocation failure.
 */
#include "testutil.h"

#include "render/mustache.h"
#include "render/mustache_json.h"

#include <cJSON.h>
#include <string.h>

/* Compiles and renders tpl over the JSON data with opts; returns the rc. */
static int render_with(const char *tpl, const char *json, const bb_mustache_opts *o, bb_buf *out,
                       bb_mustache_error *err)
{
    bb_mustache_template *t = NULL;
    int rc = bb_mustache_compile("t.mustache", tpl, strlen(tpl), &t, err);
    if (rc)
        return rc;
    cJSON *data = cJSON_Parse(json);
    assert_non_null(data);
    const cJSON *frames[] = {data};
    rc = bb_mustache_render(t, frames, 1, o, out, err);
    cJSON_Delete(data);
    bb_mustache_free(t);
    return rc;
}

/* Renders with default options into a 1 MiB buffer; the caller frees the text. */
static char *render_str(const char *tpl, const char *json)
{
    bb_buf out;
    bb_buf_init(&out, 1 << 20);
    bb_mustache_error err;
    int rc = render_with(tpl, json, NULL, &out, &err);
    if (rc)
        print_error("%s %s:%d:%d: %s\n", err.code, err.template_name, err.line, err.column,
                    err.message);
    assert_int_equal(rc, BB_OK);
    return bb_buf_take(&out, NULL);
}

static void expect_render(const char *tpl, const char *json, const char *expected)
{
    char *s = render_str(tpl, json);
    assert_string_equal(s, expected);
    bb_free(s);
}

static void expect_compile_error(const char *tpl, const char *code, int line, int col)
{
    bb_mustache_template *t = NULL;
    bb_mustache_error err;
    int rc = bb_mustache_compile("bad.mustache", tpl, strlen(tpl), &t, &err);
    assert_int_not_equal(rc, BB_OK);
    assert_null(t);
    assert_int_equal(err.rc, rc);
    assert_string_equal(err.code, code);
    assert_string_equal(err.template_name, "bad.mustache");
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, col);
    assert_true(strlen(err.message) > 0);
}

static void unclosed_tag_is_reported_at_its_line_and_column(void **state)
{
    (void)state;
    expect_compile_error("line one\n  x {{name", "BB0701", 2, 5);
    expect_compile_error("{{{triple}}", "BB0701", 1, 1);
}

static void unclosed_section_is_reported_at_its_opening_tag(void **state)
{
    (void)state;
    expect_compile_error("a\n{{#items}}\n{{#inner}}x{{/inner}}\n", "BB0702", 2, 1);
    expect_compile_error("{{<parent}}{{$b}}", "BB0702", 1, 12);
}

static void mismatched_closing_tag_is_reported_where_it_stands(void **state)
{
    (void)state;
    expect_compile_error("{{#a}}\n  {{/b}}", "BB0703", 2, 3);
    expect_compile_error("x {{/a}}", "BB0703", 1, 3);
}

static void bad_delimiter_change_is_an_error(void **state)
{
    (void)state;
    expect_compile_error("ok\n{{=<%=}}", "BB0704", 2, 1);
    expect_compile_error("{{=<% %> x=}}", "BB0704", 1, 1);
    expect_compile_error("{{=a= b=}}", "BB0704", 1, 1);
}

static void bad_tag_names_are_errors(void **state)
{
    (void)state;
    expect_compile_error("{{}}", "BB0705", 1, 1);
    expect_compile_error("é {{a b}}", "BB0705", 1, 3);
    expect_compile_error("{{a..b}}", "BB0705", 1, 1);
    expect_compile_error("{{#.a}}{{/.a}}", "BB0705", 1, 1);
}

static void sections_nested_too_deeply_are_refused(void **state)
{
    (void)state;
    bb_buf b;
    bb_buf_init(&b, 1 << 20);
    for (int i = 0; i <= BB_MUSTACHE_MAX_NESTING; i++)
        assert_int_equal(bb_buf_puts(&b, "{{#a}}"), BB_OK);
    expect_compile_error(bb_buf_str(&b), "BB0706", 1, 6 * BB_MUSTACHE_MAX_NESTING + 1);
    bb_buf_free(&b);
}

/* A loader over a JSON object of name -> text, counting its calls. */
typedef struct loader_state {
    cJSON *partials;
    int calls;
    int fail_with; /* non-zero: every call fails with this code */
} loader_state;

static int load_from_json(void *ud, const char *name, size_t len, const char **text, size_t *n)
{
    loader_state *ls = ud;
    ls->calls++;
    if (ls->fail_with)
        return ls->fail_with;
    const cJSON *p;
    cJSON_ArrayForEach(p, ls->partials)
    {
        if (strlen(p->string) == len && memcmp(p->string, name, len) == 0) {
            *text = p->valuestring;
            *n = strlen(p->valuestring);
            return BB_OK;
        }
    }
    return BB_ENOTFOUND;
}

/* Renders tpl with partials (a JSON object) and the given strictness. */
static int render_partials(const char *tpl, const char *partials, const char *json,
                           bb_mustache_opts *o, loader_state *ls, bb_buf *out,
                           bb_mustache_error *err)
{
    ls->partials = cJSON_Parse(partials);
    assert_non_null(ls->partials);
    bb_mustache_set *set;
    assert_int_equal(bb_mustache_set_new(load_from_json, ls, &set), BB_OK);
    o->partials = set;
    int rc = render_with(tpl, json, o, out, err);
    bb_mustache_set_free(set);
    cJSON_Delete(ls->partials);
    return rc;
}

static void unknown_partial_is_an_error_only_in_strict_mode(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    loader_state ls = {0};
    bb_buf out;
    bb_buf_init(&out, 1024);
    bb_mustache_error err;
    assert_int_equal(render_partials("a{{>nope}}b", "{}", "{}", &o, &ls, &out, &err), BB_OK);
    assert_string_equal(bb_buf_str(&out), "ab");
    bb_buf_reset(&out);
    o.strict_partials = true;
    assert_int_equal(render_partials("a\n {{>nope}}b", "{}", "{}", &o, &ls, &out, &err),
                     BB_ENOTFOUND);
    assert_string_equal(err.code, "BB0707");
    assert_string_equal(err.template_name, "t.mustache");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 2);
    assert_non_null(strstr(err.message, "nope"));
    assert_string_equal(bb_buf_str(&out), "");
    bb_buf_free(&out);
}

static void recursive_partials_stop_at_the_depth_cap(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    o.max_depth = 5;
    loader_state ls = {0};
    bb_buf out;
    bb_buf_init(&out, 1 << 16);
    bb_mustache_error err;
    int rc =
        render_partials("{{>self}}", "{\"self\": \"x\\n{{>self}}\"}", "{}", &o, &ls, &out, &err);
    assert_int_equal(rc, BB_ELIMIT);
    assert_string_equal(err.code, "BB0708");
    assert_string_equal(err.template_name, "self");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 1);
    /* Within the cap the same recursion renders. */
    bb_buf_reset(&out);
    rc = render_partials("{{>node}}", "{\"node\": \"<{{#kids}}{{>node}}{{/kids}}>\"}",
                         "{\"kids\": [{\"kids\": [{\"kids\": []}]}]}", &o, &ls, &out, &err);
    assert_int_equal(rc, BB_OK);
    assert_string_equal(bb_buf_str(&out), "<<<>>>");
    bb_buf_free(&out);
}

static void output_past_the_cap_fails_and_is_rolled_back(void **state)
{
    (void)state;
    bb_buf out;
    bb_buf_init(&out, 16);
    assert_int_equal(bb_buf_puts(&out, "kept:"), BB_OK);
    bb_mustache_error err;
    int rc = render_with("{{#items}}{{.}}{{/items}}", "{\"items\": [\"abcd\", \"efgh\", \"ijkl\"]}",
                         NULL, &out, &err);
    assert_int_equal(rc, BB_ELIMIT);
    assert_string_equal(err.code, "BB0709");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 11);
    assert_string_equal(bb_buf_str(&out), "kept:");
    /* Exactly at the cap is fine. */
    rc = render_with("{{#items}}{{.}}{{/items}}", "{\"items\": [\"abcd\", \"efgh\", \"ij\"]}", NULL,
                     &out, &err);
    assert_int_equal(rc, BB_OK);
    assert_string_equal(bb_buf_str(&out), "kept:abcdefghij");
    bb_buf_free(&out);
}

static void exponential_loops_stop_at_the_step_cap(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    o.max_depth = 64;
    o.max_steps = 100000;
    loader_state ls = {0};
    bb_buf out;
    bb_buf_init(&out, 1 << 20);
    bb_mustache_error err;
    /* Each level loops ten times over the next: 10^6 steps without output. */
    int rc = render_partials("{{>p1}}",
                             "{\"p1\": \"{{#a}}{{>p2}}{{/a}}\", \"p2\": \"{{#a}}{{>p3}}{{/a}}\","
                             " \"p3\": \"{{#a}}{{>p4}}{{/a}}\", \"p4\": \"{{#a}}{{>p5}}{{/a}}\","
                             " \"p5\": \"{{#a}}{{>p6}}{{/a}}\", \"p6\": \"{{#a}}{{/a}}\"}",
                             "{\"a\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}", &o, &ls, &out, &err);
    assert_int_equal(rc, BB_ELIMIT);
    assert_string_equal(err.code, "BB0713");
    assert_int_equal(strncmp(err.template_name, "p", 1), 0);
    bb_buf_free(&out);
}

static void too_many_base_frames_are_refused(void **state)
{
    (void)state;
    bb_mustache_template *t;
    assert_int_equal(bb_mustache_compile("t", "x", 1, &t, NULL), BB_OK);
    static const cJSON *frames[BB_MUSTACHE_MAX_STACK + 1];
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i <= BB_MUSTACHE_MAX_STACK; i++)
        frames[i] = o;
    bb_buf out;
    bb_buf_init(&out, 64);
    bb_mustache_error err;
    assert_int_equal(bb_mustache_render(t, frames, BB_MUSTACHE_MAX_STACK + 1, NULL, &out, &err),
                     BB_ELIMIT);
    assert_string_equal(err.code, "BB0710");
    assert_int_equal(bb_mustache_render(t, frames, BB_MUSTACHE_MAX_STACK, NULL, &out, &err), BB_OK);
    assert_string_equal(bb_buf_str(&out), "x");
    bb_buf_free(&out);
    cJSON_Delete(o);
    bb_mustache_free(t);
}

static void deep_data_nesting_stops_at_the_context_cap(void **state)
{
    (void)state;
    /* A recursive partial over data nested deeper than the context stack. */
    cJSON *root = cJSON_CreateObject(), *cur = root;
    for (int i = 0; i < BB_MUSTACHE_MAX_STACK + 10; i++)
        cur = cJSON_AddObjectToObject(cur, "a");
    assert_non_null(cur);
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    o.max_depth = BB_MUSTACHE_MAX_DEPTH;
    loader_state ls = {0};
    bb_buf out;
    bb_buf_init(&out, 1 << 16);
    bb_mustache_error err;
    int rc = render_partials("{{>p}}", "{\"p\": \"{{#a}}{{#a}}{{>p}}{{/a}}{{/a}}\"}", json, &o, &ls,
                             &out, &err);
    assert_int_equal(rc, BB_ELIMIT);
    assert_true(strcmp(err.code, "BB0710") == 0 || strcmp(err.code, "BB0708") == 0);
    free(json);
    bb_buf_free(&out);
}

static void strict_names_report_missing_values(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    o.strict_names = true;
    bb_buf out;
    bb_buf_init(&out, 1024);
    bb_mustache_error err;
    assert_int_equal(
        render_with("{{a}}\n{{#s}}{{/s}} {{b.c}}", "{\"a\": 1, \"b\": {}}", &o, &out, &err),
        BB_EINVAL);
    assert_string_equal(err.code, "BB0711");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 14);
    bb_buf_free(&out);
}

static void loader_failure_is_reported_with_the_partial_name(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    loader_state ls = {.fail_with = BB_EIO};
    bb_buf out;
    bb_buf_init(&out, 1024);
    bb_mustache_error err;
    assert_int_equal(render_partials("{{>header}}", "{}", "{}", &o, &ls, &out, &err), BB_EIO);
    assert_string_equal(err.code, "BB0712");
    assert_string_equal(err.template_name, "header");
    bb_buf_free(&out);
}

static void syntax_error_in_a_partial_names_the_partial(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    loader_state ls = {0};
    bb_buf out;
    bb_buf_init(&out, 1024);
    bb_mustache_error err;
    int rc = render_partials("ok {{>p}}", "{\"p\": \"one\\n{{#x}}\"}", "{}", &o, &ls, &out, &err);
    assert_int_equal(rc, BB_EINVAL);
    assert_string_equal(err.code, "BB0702");
    assert_string_equal(err.template_name, "p");
    assert_int_equal(err.line, 2);
    bb_buf_free(&out);
}

static void a_set_compiles_each_partial_once(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    loader_state ls = {0};
    bb_buf out;
    bb_buf_init(&out, 1024);
    bb_mustache_error err;
    int rc = render_partials("{{#n}}{{>item}}{{>missing}}{{/n}}", "{\"item\": \"[{{.}}]\"}",
                             "{\"n\": [1, 2, 3, 4]}", &o, &ls, &out, &err);
    assert_int_equal(rc, BB_OK);
    assert_string_equal(bb_buf_str(&out), "[1][2][3][4]");
    assert_int_equal(ls.calls, 2); /* "item" once, "missing" once */
    bb_buf_free(&out);
}

static void set_templates_can_be_added_up_front(void **state)
{
    (void)state;
    bb_mustache_set *set;
    assert_int_equal(bb_mustache_set_new(NULL, NULL, &set), BB_OK);
    bb_mustache_error err;
    assert_int_equal(bb_mustache_set_add(set, "row", "<{{name}}>", 10, &err), BB_OK);
    assert_int_equal(bb_mustache_set_add(set, "row", "x", 1, &err), BB_ESTATE);
    assert_int_equal(bb_mustache_set_add(set, "bad", "{{#a}}", 6, &err), BB_EINVAL);
    assert_string_equal(err.code, "BB0702");
    const bb_mustache_template *t;
    assert_int_equal(bb_mustache_set_get(set, "row", 3, &t, &err), BB_OK);
    assert_string_equal(bb_mustache_name(t), "row");
    assert_int_equal(bb_mustache_set_get(set, "nope", 4, &t, &err), BB_ENOTFOUND);
    assert_null(t);
    assert_int_equal(bb_mustache_set_get(set, "row", 3, &t, &err), BB_OK);
    cJSON *data = cJSON_Parse("{\"name\": \"a&b\"}");
    const cJSON *frames[] = {data};
    bb_buf out;
    bb_buf_init(&out, 64);
    assert_int_equal(bb_mustache_render(t, frames, 1, NULL, &out, &err), BB_OK);
    assert_string_equal(bb_buf_str(&out), "<a&amp;b>");
    bb_buf_free(&out);
    cJSON_Delete(data);
    bb_mustache_set_free(set);
}

static void escaping_off_writes_values_as_they_are(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    o.escape = NULL;
    bb_buf out;
    bb_buf_init(&out, 1024);
    bb_mustache_error err;
    assert_int_equal(
        render_with("x = {{lit}} # {{{lit}}}", "{\"lit\": \"'a<b' & \\\"c\\\"\"}", &o, &out, &err),
        BB_OK);
    assert_string_equal(bb_buf_str(&out), "x = 'a<b' & \"c\" # 'a<b' & \"c\"");
    bb_buf_free(&out);
    expect_render("{{v}}", "{\"v\": \"<'&\\\">\"}", "&lt;&#39;&amp;&quot;&gt;");
}

static void base_frames_are_searched_from_the_top(void **state)
{
    (void)state;
    bb_mustache_template *t;
    const char *tpl = "{{name}} of {{project_name}} ({{db}}): "
                      "{{#fields}}{{name}}:{{type}}{{^last}}, {{/last}}{{/fields}}";
    assert_int_equal(bb_mustache_compile("model", tpl, strlen(tpl), &t, NULL), BB_OK);
    cJSON *root = cJSON_Parse("{\"project_name\": \"blog\", \"name\": \"root\", \"db\": \"pg\"}");
    cJSON *model = cJSON_Parse("{\"name\": \"User\", \"fields\": [{\"name\": \"id\", \"type\": "
                               "\"int\"}, {\"name\": \"email\", \"type\": \"str\", \"last\": "
                               "true}]}");
    const cJSON *frames[] = {root, model};
    bb_buf out;
    bb_buf_init(&out, 1024);
    assert_int_equal(bb_mustache_render(t, frames, 2, NULL, &out, NULL), BB_OK);
    assert_string_equal(bb_buf_str(&out), "User of blog (pg): id:int, email:str");
    bb_buf_free(&out);
    cJSON_Delete(root);
    cJSON_Delete(model);
    bb_mustache_free(t);
}

static void one_template_renders_many_times(void **state)
{
    (void)state;
    bb_mustache_template *t;
    assert_int_equal(bb_mustache_compile("t", "[{{n}}]", 7, &t, NULL), BB_OK);
    bb_buf out;
    bb_buf_init(&out, 1 << 16);
    for (int i = 0; i < 100; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "n", i);
        const cJSON *frames[] = {d};
        assert_int_equal(bb_mustache_render(t, frames, 1, NULL, &out, NULL), BB_OK);
        cJSON_Delete(d);
    }
    assert_int_equal(strncmp(bb_buf_str(&out), "[0][1][2]", 9), 0);
    assert_non_null(strstr(bb_buf_str(&out), "[98][99]"));
    bb_buf_free(&out);
    bb_mustache_free(t);
}

static void truthiness_follows_mustache_js(void **state)
{
    (void)state;
    expect_render("{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}{{#d}}D{{/d}}{{#e}}E{{/e}}{{#f}}F{{/f}}",
                  "{\"a\": \"\", \"b\": 0, \"c\": [], \"d\": null, \"e\": \"x\", \"f\": {}}", "EF");
    expect_render("{{^a}}A{{/a}}{{^b}}B{{/b}}{{^c}}C{{/c}}{{^e}}E{{/e}}",
                  "{\"a\": \"\", \"b\": 0, \"c\": [], \"e\": 1}", "ABC");
}

static void loop_items_may_lack_members_the_previous_items_had(void **state)
{
    (void)state;
    /* Items of one list with different members and layouts, looped twice: a
     * member missing from an item falls back to the frames below it. */
    expect_render("{{#items}}{{#f}}[{{n}}:{{f}}]{{/f}}{{^f}}({{n}}){{/f}}{{/items}}|"
                  "{{#items}}{{f}}{{g}},{{/items}}",
                  "{\"g\": \"G\", \"items\": [{\"n\": 1, \"f\": \"x\"}, {\"n\": 2}, "
                  "{\"f\": \"y\", \"n\": 3}, {\"n\": 4, \"g\": \"h\"}, {\"n\": 5}]}",
                  "[1:x](2)[3:y](4)(5)|xG,G,yG,h,G,");
    expect_render("{{#a}}{{#b}}{{x}}{{/b}}{{/a}}",
                  "{\"x\": 0, \"a\": [{\"b\": [{}, {\"x\": 2}]}, {\"x\": 1, \"b\": [{}, {}]}]}",
                  "0211");
}

static void loop_items_with_many_members_in_different_orders(void **state)
{
    (void)state;
    /* Members near the end of large items, where the items' layouts differ:
     * more members after it, none, or the member moved to the front. */
    const char *pad = "\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6, \"g\": 7, "
                      "\"h\": 8, \"i\": 9, \"j\": 10, \"k\": 11, \"l\": 12";
    char json[2048];
    int n = snprintf(json, sizeof(json),
                     "{\"z\": \"root\", \"items\": [{%s, \"y\": \"Y1\", \"z\": \"Z1\"}, "
                     "{%s, \"y\": \"Y2\", \"z\": \"Z2\", \"m\": 0, \"n\": 0}, "
                     "{%s, \"y\": \"Y3\"}, {\"z\": \"Z4\", %s, \"y\": \"Y4\"}, "
                     "{%s, \"y\": \"Y5\", \"z\": \"Z5\"}, {\"y\": \"Y6\"}]}",
                     pad, pad, pad, pad, pad);
    assert_true(n > 0 && (size_t)n < sizeof(json));
    expect_render("{{#items}}{{z}}{{y}}{{a}}{{z}},{{/items}}", json,
                  "Z1Y11Z1,Z2Y21Z2,rootY31root,Z4Y41Z4,Z5Y51Z5,rootY6root,");
}

static void loops_over_many_names_render_each_one(void **state)
{
    (void)state;
    /* More distinct names than the renderer keeps per-name hints for. */
    enum { N = 150 };
    bb_buf tpl, json, want;
    bb_buf_init(&tpl, 1 << 16);
    bb_buf_init(&json, 1 << 16);
    bb_buf_init(&want, 1 << 16);
    assert_int_equal(bb_buf_puts(&tpl, "{{#items}}"), BB_OK);
    for (int i = 0; i < N; i++)
        assert_int_equal(bb_buf_printf(&tpl, "{{#m%d}}{{m%d}}{{/m%d}},", i, i, i), BB_OK);
    assert_int_equal(bb_buf_puts(&tpl, "{{/items}}"), BB_OK);
    assert_int_equal(bb_buf_puts(&json, "{\"items\": ["), BB_OK);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(bb_buf_puts(&json, k ? ", {" : "{"), BB_OK);
        for (int i = k; i < N; i += 1 + k)
            assert_int_equal(bb_buf_printf(&json, "%s\"m%d\": %d", i == k ? "" : ", ", i, i + k),
                             BB_OK);
        assert_int_equal(bb_buf_puts(&json, "}"), BB_OK);
        for (int i = 0; i < N; i++)
            assert_int_equal(i >= k && (i - k) % (1 + k) == 0 && i + k
                                 ? bb_buf_printf(&want, "%d,", i + k)
                                 : bb_buf_puts(&want, ","),
                             BB_OK);
    }
    assert_int_equal(bb_buf_puts(&json, "]}"), BB_OK);
    expect_render(bb_buf_str(&tpl), bb_buf_str(&json), bb_buf_str(&want));
    bb_buf_free(&tpl);
    bb_buf_free(&json);
    bb_buf_free(&want);
}

static void numbers_print_in_their_shortest_exact_form(void **state)
{
    (void)state;
    expect_render("{{a}} {{b}} {{c}} {{d}} {{e}}",
                  "{\"a\": 85, \"b\": 1.21, \"c\": -0.1, \"d\": 1e21, \"e\": 123456789012}",
                  "85 1.21 -0.1 1e+21 123456789012");
    char buf[BB_MUSTACHE_SCRATCH];
    assert_int_equal(bb_mustache_json_number(0.30000000000000004, buf, sizeof(buf)), 19);
}

static void standalone_partial_indents_every_line_of_nested_partials(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    o.escape = NULL;
    loader_state ls = {0};
    bb_buf out;
    bb_buf_init(&out, 4096);
    bb_mustache_error err;
    const char *partials = "{\"method\": \"def {{name}}(self):\\n    {{>body}}\\n\","
                           " \"body\": \"x = 1\\n\\n{{#ret}}\\nreturn x\\n{{/ret}}\\n\"}";
    int rc = render_partials("class A:\n    {{>method}}\n", partials,
                             "{\"name\": \"f\", \"ret\": true}", &o, &ls, &out, &err);
    assert_int_equal(rc, BB_OK);
    /* The blank line stays empty: no trailing whitespace. */
    assert_string_equal(bb_buf_str(&out), "class A:\n    def f(self):\n        x = 1\n\n"
                                          "        return x\n");
    bb_buf_free(&out);
}

static void inline_partial_lines_are_not_indented(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    loader_state ls = {0};
    bb_buf out;
    bb_buf_init(&out, 4096);
    bb_mustache_error err;
    /* As if the partial's text were pasted in place of the tag. */
    const char *partials = "{\"outer\": \"x = {{>inner}}\\ny\\n\", \"inner\": \"[\\n]\"}";
    int rc = render_partials("  {{>outer}}\n", partials, "{}", &o, &ls, &out, &err);
    assert_int_equal(rc, BB_OK);
    assert_string_equal(bb_buf_str(&out), "  x = [\n]\n  y\n");
    bb_buf_free(&out);
}

static void inherited_blocks_override_the_parent(void **state)
{
    (void)state;
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    loader_state ls = {0};
    bb_buf out;
    bb_buf_init(&out, 4096);
    bb_mustache_error err;
    const char *partials = "{\"base\": \"<h>{{$title}}Default{{/title}}</h>\\n"
                           "{{$body}}\\n  none\\n{{/body}}\\n\"}";
    int rc = render_partials("{{<base}}\n{{$title}}{{t}}{{/title}}\n{{/base}}\n", partials,
                             "{\"t\": \"Hi\"}", &o, &ls, &out, &err);
    assert_int_equal(rc, BB_OK);
    assert_string_equal(bb_buf_str(&out), "<h>Hi</h>\n  none\n");
    bb_buf_free(&out);
}

static void overrides_are_found_among_many_blocks(void **state)
{
    (void)state;
    /* 2000 blocks in the parent, every third overridden: each block finds
     * its override by name, not by scanning the others. */
    bb_buf parent, child, expected;
    bb_buf_init(&parent, 1 << 20);
    bb_buf_init(&child, 1 << 20);
    bb_buf_init(&expected, 1 << 20);
    assert_int_equal(bb_buf_puts(&child, "{{<p}}"), BB_OK);
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(bb_buf_printf(&parent, "{{$b%d}}d{{/b%d}}", i, i), BB_OK);
        if (i % 3 == 0)
            assert_int_equal(bb_buf_printf(&child, "{{$b%d}}%d{{/b%d}}", i, i, i), BB_OK);
        assert_int_equal(i % 3 ? bb_buf_puts(&expected, "d") : bb_buf_printf(&expected, "%d", i),
                         BB_OK);
    }
    /* A block given twice: the first one counts. */
    assert_int_equal(bb_buf_puts(&child, "{{$b0}}again{{/b0}}{{/p}}"), BB_OK);
    cJSON *partials = cJSON_CreateObject();
    cJSON_AddStringToObject(partials, "p", bb_buf_str(&parent));
    char *pj = cJSON_PrintUnformatted(partials);
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    loader_state ls = {0};
    bb_buf out;
    bb_buf_init(&out, 1 << 20);
    bb_mustache_error err;
    assert_int_equal(render_partials(bb_buf_str(&child), pj, "{}", &o, &ls, &out, &err), BB_OK);
    assert_string_equal(bb_buf_str(&out), bb_buf_str(&expected));
    free(pj);
    cJSON_Delete(partials);
    bb_buf_free(&out);
    bb_buf_free(&parent);
    bb_buf_free(&child);
    bb_buf_free(&expected);
}

static void errors_go_into_a_diagnostics_context(void **state)
{
    (void)state;
    bb_mustache_template *t;
    bb_mustache_error err;
    assert_int_equal(bb_mustache_compile("m.mustache", "\n {{#a}}", 8, &t, &err), BB_EINVAL);
    bb_diags d;
    bb_diags_init(&d, "plan.json", NULL, 0);
    assert_int_equal(bb_mustache_error_report(&err, &d), BB_OK);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.items[0].code, "BB0702");
    assert_non_null(strstr(d.items[0].message, "m.mustache:2:2: "));
    bb_diags_free(&d);
}

/* One compile + set + render run; returns its rc. */
static int full_run(void)
{
    static const char partials[] = "{\"p\": \"  {{#xs}}\\n  - {{.}}\\n  {{/xs}}\\n\","
                                   " \"base\": \"{{$b}}d{{/b}}|{{>p}}\"}";
    static const char tpl[] = "{{=<% %>=}}<%#m%><%name%>\n  <%>p%>\n<%/m%><%<base%><%$b%>o"
                              "<%/b%><%/base%><%>*dyn%>";
    loader_state ls = {0};
    ls.partials = cJSON_Parse(partials);
    cJSON *data = cJSON_Parse("{\"m\": {\"name\": \"a\", \"xs\": [1, 2]}, \"dyn\": \"p\"}");
    if (!ls.partials || !data) {
        cJSON_Delete(ls.partials);
        cJSON_Delete(data);
        return BB_ENOMEM;
    }
    bb_mustache_set *set = NULL;
    bb_mustache_template *t = NULL;
    bb_buf out;
    bb_buf_init(&out, 1 << 16);
    int rc = bb_mustache_set_new(load_from_json, &ls, &set);
    if (!rc)
        rc = bb_mustache_compile("t", tpl, sizeof(tpl) - 1, &t, NULL);
    if (!rc) {
        bb_mustache_opts o;
        bb_mustache_opts_default(&o);
        o.partials = set;
        const cJSON *frames[] = {data};
        rc = bb_mustache_render(t, frames, 1, &o, &out, NULL);
    }
    if (!rc)
        assert_string_equal(bb_buf_str(&out), "a\n    - 1\n    - 2\no|");
    bb_buf_free(&out);
    bb_mustache_free(t);
    bb_mustache_set_free(set);
    cJSON_Delete(ls.partials);
    cJSON_Delete(data);
    return rc;
}

static void allocation_failure_never_crashes_or_leaks(void **state)
{
    (void)state;
    int rc = BB_ENOMEM;
    long n;
    for (n = 0; n < 1000 && rc == BB_ENOMEM; n++) {
        bb_alloc_fail_after(n);
        rc = full_run();
        bb_alloc_fail_after(-1);
        assert_true(rc == BB_OK || rc == BB_ENOMEM);
    }
    assert_int_equal(rc, BB_OK);
    assert_true(n > 3); /* the run allocates: the failures were really injected */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unclosed_tag_is_reported_at_its_line_and_column),
        cmocka_unit_test(unclosed_section_is_reported_at_its_opening_tag),
        cmocka_unit_test(mismatched_closing_tag_is_reported_where_it_stands),
        cmocka_unit_test(bad_delimiter_change_is_an_error),
        cmocka_unit_test(bad_tag_names_are_errors),
        cmocka_unit_test(sections_nested_too_deeply_are_refused),
        cmocka_unit_test(unknown_partial_is_an_error_only_in_strict_mode),
        cmocka_unit_test(recursive_partials_stop_at_the_depth_cap),
        cmocka_unit_test(output_past_the_cap_fails_and_is_rolled_back),
        cmocka_unit_test(exponential_loops_stop_at_the_step_cap),
        cmocka_unit_test(too_many_base_frames_are_refused),
        cmocka_unit_test(deep_data_nesting_stops_at_the_context_cap),
        cmocka_unit_test(strict_names_report_missing_values),
        cmocka_unit_test(loader_failure_is_reported_with_the_partial_name),
        cmocka_unit_test(syntax_error_in_a_partial_names_the_partial),
        cmocka_unit_test(a_set_compiles_each_partial_once),
        cmocka_unit_test(set_templates_can_be_added_up_front),
        cmocka_unit_test(escaping_off_writes_values_as_they_are),
        cmocka_unit_test(base_frames_are_searched_from_the_top),
        cmocka_unit_test(one_template_renders_many_times),
        cmocka_unit_test(truthiness_follows_mustache_js),
        cmocka_unit_test(numbers_print_in_their_shortest_exact_form),
        cmocka_unit_test(loop_items_may_lack_members_the_previous_items_had),
        cmocka_unit_test(loops_over_many_names_render_each_one),
        cmocka_unit_test(loop_items_with_many_members_in_different_orders),
        cmocka_unit_test(standalone_partial_indents_every_line_of_nested_partials),
        cmocka_unit_test(inline_partial_lines_are_not_indented),
        cmocka_unit_test(inherited_blocks_override_the_parent),
        cmocka_unit_test(overrides_are_found_among_many_blocks),
        cmocka_unit_test(errors_go_into_a_diagnostics_context),
        cmocka_unit_test(allocation_failure_never_crashes_or_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
