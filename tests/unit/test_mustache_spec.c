/*
 * test_mustache_spec.c - runs the official Mustache specification's tests
 * (../shared/mustache-spec/specs/ (every .json file), or $BACKBONE_MUSTACHE_SPEC) through
 * the engine with HTML escaping, one cmocka test per file, and prints how
 * many of each file's tests passed. Every test of the required files must
 * pass; ~lambdas.json needs code in the data and is reported as not
 * applicable (never counted as passing).
 */
#include "testutil.h"

#include "render/mustache_json.h"

#include <cJSON.h>
#include <dirent.h>
#include <string.h>

static const char *const required[] = {
    "comments.json", "delimiters.json", "interpolation.json", "inverted.json",
    "partials.json", "sections.json",   "~inheritance.json",  "~dynamic-names.json",
};

static const char *spec_dir(void)
{
    const char *d = getenv("BACKBONE_MUSTACHE_SPEC");
    return d && *d ? d : "../shared/mustache-spec/specs";
}

/* Partials of one spec test: the "partials" object, name -> text. */
static int load_partial(void *ud, const char *name, size_t len, const char **text, size_t *n)
{
    const cJSON *partials = ud;
    const cJSON *p;
    cJSON_ArrayForEach(p, partials)
    {
        if (strlen(p->string) == len && memcmp(p->string, name, len) == 0 && cJSON_IsString(p)) {
            *text = p->valuestring;
            *n = strlen(p->valuestring);
            return BB_OK;
        }
    }
    return BB_ENOTFOUND;
}

/* Runs one spec test; prints why it failed. Returns true when it passed. */
static bool run_spec_test(const char *file, const cJSON *test)
{
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(test, "name"));
    const char *tpl = cJSON_GetStringValue(cJSON_GetObjectItem(test, "template"));
    const char *expected = cJSON_GetStringValue(cJSON_GetObjectItem(test, "expected"));
    const cJSON *data = cJSON_GetObjectItem(test, "data");
    assert_non_null(name);
    assert_non_null(tpl);
    assert_non_null(expected);
    bb_mustache_set *set;
    assert_int_equal(bb_mustache_set_new(load_partial, cJSON_GetObjectItem(test, "partials"), &set),
                     BB_OK);
    bb_mustache_template *t = NULL;
    bb_mustache_error err;
    bb_buf out;
    bb_buf_init(&out, 1 << 20);
    int rc = bb_mustache_compile(name, tpl, strlen(tpl), &t, &err);
    if (!rc) {
        bb_mustache_opts o;
        bb_mustache_opts_default(&o);
        o.partials = set;
        const cJSON *frames[] = {data};
        rc = bb_mustache_render(t, frames, 1, &o, &out, &err);
    }
    bool ok = !rc && strcmp(bb_buf_str(&out), expected) == 0;
    if (!ok) {
        printf("  FAIL %s: %s\n", file, name);
        if (rc)
            printf("    error %s %s:%d:%d: %s\n", err.code, err.template_name, err.line, err.column,
                   err.message);
        cJSON *got = cJSON_CreateString(bb_buf_str(&out));
        cJSON *exp = cJSON_CreateString(expected);
        char *g = cJSON_PrintUnformatted(got), *x = cJSON_PrintUnformatted(exp);
        printf("    expected %s\n    got      %s\n", x ? x : "?", g ? g : "?");
        free(g);
        free(x);
        cJSON_Delete(got);
        cJSON_Delete(exp);
    }
    bb_buf_free(&out);
    bb_mustache_free(t);
    bb_mustache_set_free(set);
    return ok;
}

static void run_spec_file(void **state)
{
    const char *file = *state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", spec_dir(), file);
    char *text = tu_read_file(path, NULL);
    cJSON *doc = cJSON_Parse(text);
    free(text);
    assert_non_null(doc);
    const cJSON *tests = cJSON_GetObjectItem(doc, "tests");
    int n = cJSON_GetArraySize(tests);
    if (strcmp(file, "~lambdas.json") == 0) {
        printf("%s: not applicable (%d tests need code in the data)\n", file, n);
        cJSON_Delete(doc);
        skip();
    }
    int passed = 0;
    const cJSON *test;
    cJSON_ArrayForEach(test, tests)
    {
        passed += run_spec_test(file, test);
    }
    printf("%s: %d/%d passed\n", file, passed, n);
    cJSON_Delete(doc);
    assert_true(n > 0);
    assert_int_equal(passed, n);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void every_required_spec_file_is_present(void **state)
{
    char **names = *state;
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        bool found = false;
        for (size_t k = 0; names[k]; k++)
            found |= strcmp(names[k], required[i]) == 0;
        if (!found)
            print_error("missing spec file %s/%s\n", spec_dir(), required[i]);
        assert_true(found);
    }
}

int main(void)
{
    DIR *dir = opendir(spec_dir());
    if (!dir) {
        fprintf(stderr, "cannot open %s (set BACKBONE_MUSTACHE_SPEC)\n", spec_dir());
        return 1;
    }
    size_t n = 0;
    char *names[64];
    struct dirent *de;
    while ((de = readdir(dir)) && n < 63) {
        size_t len = strlen(de->d_name);
        if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0)
            names[n++] = strdup(de->d_name);
    }
    closedir(dir);
    names[n] = NULL;
    qsort(names, n, sizeof(names[0]), by_name);
    struct CMUnitTest *tests = calloc(n + 1, sizeof(*tests));
    if (!tests)
        return 1;
    tests[0] =
        (struct CMUnitTest)cmocka_unit_test_prestate(every_required_spec_file_is_present, names);
    for (size_t i = 0; i < n; i++) {
        tests[i + 1] = (struct CMUnitTest)cmocka_unit_test_prestate(run_spec_file, names[i]);
        tests[i + 1].name = names[i];
    }
    int failed = _cmocka_run_group_tests("mustache_spec", tests, n + 1, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(tests);
    return failed;
}
