/*
 * test_malformed.c - hostile and broken input through the whole front end
 * (bb_frontend: load + validate). Every case must end in a clean diagnostic,
 * never a crash, a leak or a hang; `make VARIANT=asan unit` runs these under
 * ASan and UBSan.
 */
#include "testutil.h"

#include "diag/diag.h"
#include "front/schema.h"
#include "front/validate.h"

#include <cJSON.h>
#include <string.h>

/* The outcome of one run, checked by the callers. */
typedef struct outcome {
    int rc;
    size_t n_errors;
    bool has_code; /* the code asked for was among the diagnostics */
} outcome;

/* Runs the front end over len bytes of text and checks the contract:
 * BB_OK means no error was reported; any failure comes with an error. */
static outcome run(const char *text, size_t len, const bb_limits *lim, const char *code)
{
    bb_diags d;
    bb_schema *s = NULL;
    bb_diags_init(&d, "m.json", text, len);
    outcome o = {0};
    o.rc = bb_frontend("m.json", text, len, lim, &d, &s);
    assert_true(o.rc == BB_OK || o.rc == BB_EINVAL || o.rc == BB_ELIMIT);
    o.n_errors = d.n_errors;
    if (o.rc == BB_OK)
        assert_int_equal(d.n_errors, 0);
    else
        assert_true(d.n_errors > 0);
    for (size_t i = 0; code && i < d.n; i++) {
        o.has_code |= strcmp(d.items[i].code, code) == 0;
        /* Every stored diagnostic is complete. */
        assert_non_null(d.items[i].message);
        assert_non_null(d.items[i].pointer);
    }
    /* Printing must cope with every position, including the end. */
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    assert_int_equal(bb_diags_print(&d, null, false), BB_OK);
    fclose(null);
    cJSON *j = bb_diags_to_json(&d);
    assert_non_null(j);
    cJSON_Delete(j);
    bb_schema_free(s);
    bb_diags_free(&d);
    return o;
}

static char *read_example(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/%s", tu_shared_dir(), name);
    return tu_read_file(path, len);
}

static void every_truncation_of_an_example_is_a_clean_syntax_error(void **state)
{
    (void)state;
    size_t len;
    char *text = read_example("blog_schema.json", &len);
    size_t last_brace = len;
    while (last_brace > 0 && text[last_brace - 1] != '}')
        last_brace--;
    for (size_t n = 0; n < last_brace; n++) {
        char *cut = malloc(n + 1);
        assert_non_null(cut);
        memcpy(cut, text, n);
        cut[n] = '\0';
        outcome o = run(cut, n, NULL, n == 0 ? "BB0104" : "BB0101");
        assert_int_equal(o.rc, BB_EINVAL);
        assert_true(o.has_code);
        free(cut);
    }
    free(text);
}

/* The values put in place of every node of an example. */
static const char *const replacements[] = {
    "\"x\"",
    "\"\"",
    "0",
    "-1",
    "1.5",
    "1e999",
    "-1e999",
    "1180591620717411303424",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "[[]]",
    "[{}]",
    "{\"a\": {}}",
    "[1, \"a\", null]",
    "\"Strin\"",
    "\"users.id\"",
};

static size_t count_nodes(const cJSON *v)
{
    size_t n = 0;
    for (; v; v = v->next)
        n += 1 + count_nodes(v->child);
    return n;
}

/* The node at pre-order position *k under v (v itself is position 0). */
static cJSON *nth_node(cJSON *v, size_t *k)
{
    if ((*k)-- == 0)
        return v;
    for (cJSON *c = v->child; c; c = c->next) {
        cJSON *hit = nth_node(c, k);
        if (hit)
            return hit;
    }
    return NULL;
}

static void wrong_types_in_every_position_are_reported_not_crashed_on(void **state)
{
    (void)state;
    size_t len;
    char *text = read_example("ecommerce_schema.json", &len);
    cJSON *orig = cJSON_Parse(text);
    assert_non_null(orig);
    size_t n = count_nodes(orig);
    size_t reported = 0, runs = 0;
    for (size_t i = 1; i < n; i++) {
        for (size_t r = 0; r < sizeof(replacements) / sizeof(replacements[0]); r++) {
            cJSON *doc = cJSON_Duplicate(orig, 1);
            size_t k = i;
            cJSON *node = nth_node(doc, &k);
            assert_non_null(node);
            cJSON *repl = cJSON_Parse(replacements[r]);
            assert_non_null(repl);
            /* Swap the contents, keeping the node's place and key. */
            cJSON tmp = *node;
            node->type = repl->type;
            node->child = repl->child;
            node->valuestring = repl->valuestring;
            node->valueint = repl->valueint;
            node->valuedouble = repl->valuedouble;
            repl->type = tmp.type;
            repl->child = tmp.child;
            repl->valuestring = tmp.valuestring;
            cJSON_Delete(repl);
            char *out = cJSON_PrintUnformatted(doc);
            assert_non_null(out);
            outcome o = run(out, strlen(out), NULL, NULL);
            reported += o.rc != BB_OK;
            runs++;
            cJSON_free(out);
            cJSON_Delete(doc);
        }
    }
    /* Most replacements break the schema; a few (a description) do not. */
    assert_true(reported > runs / 2);
    cJSON_Delete(orig);
    free(text);
}

static void huge_numbers_in_integer_fields_are_errors(void **state)
{
    (void)state;
    const char *nums[] = {"1e999", "-1e999", "1180591620717411303424", "2147483648", "1e308",
                          "0.5",   "-0"};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        char doc[512];
        snprintf(doc, sizeof(doc),
                 "{\"project_name\": \"p\", \"db_type\": \"sqlite\", \"schema\": [{"
                 "\"table_name\": \"t\", \"class_name\": \"T\", \"columns\": [{\"name\": "
                 "\"id\", \"type\": \"Integer\", \"primary_key\": true}, {\"name\": \"s\", "
                 "\"type\": \"String\", \"length\": %s}]}]}",
                 nums[i]);
        outcome o = run(doc, strlen(doc), NULL, NULL);
        assert_int_equal(o.rc, BB_EINVAL);
    }
}

/* "[[[...]]]" n deep inside the description of a valid document. */
static char *nested_description(size_t n, char open, char close)
{
    const char *head = "{\"project_name\": \"p\", \"db_type\": \"sqlite\", \"description\": ";
    const char *tail = ", \"schema\": []}";
    size_t hl = strlen(head), tl = strlen(tail);
    char *t = malloc(hl + 8 * n + tl + 1);
    assert_non_null(t);
    size_t k = 0;
    memcpy(t, head, hl);
    k = hl;
    for (size_t i = 0; i < n; i++) {
        if (open == '{') {
            memcpy(t + k, "{\"a\":", 5);
            k += 5;
        } else {
            t[k++] = open;
        }
    }
    t[k++] = '1';
    for (size_t i = 0; i < n; i++)
        t[k++] = close;
    memcpy(t + k, tail, tl + 1);
    return t;
}

static void deep_nesting_is_refused_before_the_parser(void **state)
{
    (void)state;
    const char pairs[][2] = {{'[', ']'}, {'{', '}'}};
    for (size_t p = 0; p < 2; p++) {
        /* 63 levels inside the document's own object: 64 in all, accepted. */
        char *ok = nested_description(63, pairs[p][0], pairs[p][1]);
        outcome o = run(ok, strlen(ok), NULL, "BB0602");
        assert_false(o.has_code);
        free(ok);
        char *deep = nested_description(64, pairs[p][0], pairs[p][1]);
        o = run(deep, strlen(deep), NULL, "BB0602");
        assert_true(o.has_code);
        free(deep);
        char *very = nested_description(1000000, pairs[p][0], pairs[p][1]);
        o = run(very, strlen(very), NULL, "BB0602");
        assert_true(o.has_code);
        free(very);
    }
}

static void nul_bytes_anywhere_are_reported(void **state)
{
    (void)state;
    size_t len;
    char *text = read_example("simple_schema.json", &len);
    for (size_t at = 0; at < len; at += 97) {
        char saved = text[at];
        text[at] = '\0';
        outcome o = run(text, len, NULL, "BB0102");
        assert_int_equal(o.rc, BB_EINVAL);
        assert_true(o.has_code);
        text[at] = saved;
    }
    free(text);
}

static void invalid_utf8_anywhere_is_reported(void **state)
{
    (void)state;
    const char *bad[] = {"\xFF", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF5\x80\x80\x80",
                         "\x80", "\xC3",     "\xE2\x82",     "\xF0\x9F\x98"};
    size_t len;
    char *text = read_example("simple_schema.json", &len);
    for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
        for (size_t at = 0; at < len; at += 131) {
            size_t bl = strlen(bad[b]);
            char *t = malloc(len + bl + 1);
            assert_non_null(t);
            memcpy(t, text, at);
            memcpy(t + at, bad[b], bl);
            memcpy(t + at + bl, text + at, len - at + 1);
            outcome o = run(t, len + bl, NULL, "BB0103");
            assert_int_equal(o.rc, BB_EINVAL);
            assert_true(o.has_code);
            free(t);
        }
    }
    free(text);
}

static void one_byte_over_the_default_size_limit_is_refused(void **state)
{
    (void)state;
    bb_limits lim = bb_limits_default();
    size_t max = lim.max_input_bytes;
    const char *doc = "{\"project_name\": \"p\", \"db_type\": \"sqlite\", \"schema\": [{"
                      "\"table_name\": \"t\", \"class_name\": \"T\", \"columns\": [{\"name\": "
                      "\"id\", \"type\": \"Integer\", \"primary_key\": true}]}]}";
    char *t = malloc(max + 2);
    assert_non_null(t);
    memset(t, ' ', max + 1);
    memcpy(t, doc, strlen(doc));
    t[max + 1] = '\0';
    outcome o = run(t, max, NULL, "BB0601");
    assert_false(o.has_code);
    o = run(t, max + 1, NULL, "BB0601");
    assert_int_equal(o.rc, BB_ELIMIT);
    assert_true(o.has_code);
    free(t);
}

static void random_byte_mutations_never_crash(void **state)
{
    (void)state;
    size_t len;
    char *text = read_example("complex_schema.json", &len);
    unsigned long long x = 0x9E3779B97F4A7C15ULL;
    const char alphabet[] = "{}[]\",:\\ 0123456789eE.-tfnu\x00\xC3\xFF";
    for (int round = 0; round < 1500; round++) {
        char *t = malloc(len + 1);
        assert_non_null(t);
        memcpy(t, text, len + 1);
        for (int m = 0; m < 1 + round % 4; m++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            t[x % len] = alphabet[(x >> 32) % (sizeof(alphabet) - 1)];
        }
        (void)run(t, len, NULL, NULL);
        free(t);
    }
    free(text);
}

static void every_fixture_ends_in_a_verdict(void **state)
{
    (void)state;
    const char *names[] = {"circular_dependency_schema.json",
                           "invalid_fk_reference.json",
                           "invalid_json_syntax.json",
                           "invalid_no_primary_key.json",
                           "valid_schema_with_relationships.json",
                           "valid_simple_schema.json"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/compat/backbone-ai/fixtures/%s", tu_shared_dir(),
                 names[i]);
        size_t len;
        char *text = tu_read_file(path, &len);
        outcome o = run(text, len, NULL, "BB0101");
        assert_int_equal(o.has_code, strcmp(names[i], "invalid_json_syntax.json") == 0);
        free(text);
    }
}

/* A syntax error deep in a long line (a minified file) is still shown in
 * its excerpt: a window around it, the caret under the offending byte. */
static void an_error_deep_in_a_long_line_has_an_excerpt(void **state)
{
    (void)state;
    char text[1200];
    int n = snprintf(text, sizeof(text), "{\"project_name\": \"%0900d\", \"db_type\": 7, x}", 0);
    bb_diags d;
    bb_schema *s = NULL;
    bb_diags_init(&d, "m.json", text, (size_t)n);
    assert_int_equal(bb_frontend("m.json", text, (size_t)n, NULL, &d, &s), BB_EINVAL);
    char *printed = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&printed, &size);
    assert_non_null(out);
    assert_int_equal(bb_diags_print(&d, out, false), BB_OK);
    fclose(out);
    const char *excerpt = strstr(printed, "\n     1 | ...");
    assert_non_null(excerpt);
    excerpt++;
    const char *caret_line = strchr(excerpt, '\n') + 1;
    const char *caret = strchr(caret_line, '^');
    assert_non_null(caret);
    size_t column = (size_t)(caret - caret_line);
    assert_true(column < (size_t)(strchr(excerpt, '\n') - excerpt));
    assert_int_equal(excerpt[column], 'x');
    free(printed);
    bb_schema_free(s);
    bb_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_truncation_of_an_example_is_a_clean_syntax_error),
        cmocka_unit_test(wrong_types_in_every_position_are_reported_not_crashed_on),
        cmocka_unit_test(huge_numbers_in_integer_fields_are_errors),
        cmocka_unit_test(deep_nesting_is_refused_before_the_parser),
        cmocka_unit_test(nul_bytes_anywhere_are_reported),
        cmocka_unit_test(invalid_utf8_anywhere_is_reported),
        cmocka_unit_test(one_byte_over_the_default_size_limit_is_refused),
        cmocka_unit_test(random_byte_mutations_never_crash),
        cmocka_unit_test(every_fixture_ends_in_a_verdict),
        cmocka_unit_test(an_error_deep_in_a_long_line_has_an_excerpt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
