/*
 * test_srcmap.c - the JSON reader reads as cJSON reads.
 *
 * cJSON is the reference; bb_srcmap_parse() is the front end's reader,
 * which also records offsets. These tests run both over every schema we
 * ship or read and over systematic mutations of them, and require the same
 * verdict, and identical trees with offsets that point at their nodes
 * whenever they accept.
 */
#include "testutil.h"

#include "srcmap_diff.h"

#include <dirent.h>
#include <string.h>

static const char *corpus_dirs[] = {"schemas", "schemas/evolution", "tests/e2e", NULL};

static void check_text(const char *src, size_t len, int *accepted, int *declined)
{
    int v = srcmap_diff_check(src, len);
    if (v < 0) {
        print_error("the reader and cJSON disagree on: %.*s\n", (int)(len > 200 ? 200 : len), src);
        fail();
    }
    *accepted += v == 1;
    *declined += v == 0;
}

/* Each file as is, truncated at many points, and with single bytes changed
 * to characters that matter to a JSON parser. */
static void check_file_and_mutations(const char *path, int *accepted, int *declined)
{
    size_t len;
    char *text = tu_read_file(path, &len);
    check_text(text, len, accepted, declined);
    static const char swaps[] = "\"\\{}[],:0-.eE+ \tu\x01\x7f";
    char *m = malloc(len + 1);
    assert_non_null(m);
    size_t step = len / 97 + 1;
    for (size_t at = 0; at < len; at += step) {
        memcpy(m, text, len + 1);
        m[at] = '\0';
        check_text(m, at, accepted, declined);
        for (const char *c = swaps; *c; c++) {
            memcpy(m, text, len + 1);
            m[at] = *c;
            check_text(m, len, accepted, declined);
        }
    }
    free(m);
    free(text);
}

static void scan_dir(const char *dir, int *accepted, int *declined, int *files)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        check_file_and_mutations(path, accepted, declined);
        (*files)++;
    }
    closedir(d);
}

static void reader_equals_cjson_on_shipped_and_mutated_schemas(void **state)
{
    (void)state;
    int accepted = 0, declined = 0, files = 0;
    for (int i = 0; corpus_dirs[i]; i++)
        scan_dir(corpus_dirs[i], &accepted, &declined, &files);
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/compat/backbone-ai/examples", tu_shared_dir());
    scan_dir(dir, &accepted, &declined, &files);
    snprintf(dir, sizeof(dir), "%s/compat/backbone-ai/fixtures", tu_shared_dir());
    scan_dir(dir, &accepted, &declined, &files);
    print_message("%d files: %d texts parsed identically, %d refused by both\n", files, accepted,
                  declined);
    assert_true(files >= 10);
    /* Both outcomes must occur, or the comparison proves nothing. */
    assert_true(accepted > 100);
    assert_true(declined > 100);
}

/* Where cJSON is looser than JSON, or stricter than one might think. */
static void reader_follows_cjson_where_it_differs_from_json(void **state)
{
    (void)state;
    static const char *texts[] = {
        "{\"a\": \"\\u00e9\\ud83d\\ude00\"}", /* escapes, a surrogate pair */
        "{\"a\": \"\\ud83d\"}",               /* a lone high surrogate: refused */
        "{\"a\": \"\\udc00\"}",               /* a lone low surrogate: refused */
        "{\"a\": \"\\uZZZZ!\"}",              /* a bad hex digit reads as U+0000 */
        "{\"a\": \"\\u12\"}",                 /* cut short by the closing quote */
        "{\"a\": \"\\x\"}",                   /* an unknown escape */
        "{\"a\": \"tab\there\"}",             /* a raw control byte in a string */
        "{\"a\": 01}",                        /* a leading zero */
        "{\"a\": 1.}",                        /* no digit after the point */
        "{\"a\": 1.5.3}",                     /* strtod() stops early */
        "{\"a\": -}",                         /* a sign alone */
        "{\"a\": +1}",                        /* no value starts with '+' */
        "[1e400, -0, 123456789012345678901234567890]",
        "[1111111111111111111111111111111111111111111111111111111111111111111]",
        "[1, 2,]",   /* a trailing comma */
        "{\"a\" 1}", /* a missing colon */
        "\x01[\x1f]\x02",
        "\xEF\xBB\xBF[1]", /* a byte order mark */
        "\xEF\xBB\xBF",
        "[true, false, null, nul]",
        "",
        "  ",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (srcmap_diff_check(texts[i], strlen(texts[i])) < 0) {
            print_error("the reader and cJSON disagree on: %s\n", texts[i]);
            fail();
        }
    const char *plain = "{\"a\": [1, -2.5e3, true, null, \"x\"], \"b\": {}}";
    assert_int_equal(srcmap_diff_check(plain, strlen(plain)), 1);
}

/* cJSON's nesting limit, one level either side. */
static void reader_nests_as_deep_as_cjson(void **state)
{
    (void)state;
    for (size_t depth = CJSON_NESTING_LIMIT; depth <= CJSON_NESTING_LIMIT + 1; depth++) {
        char *t = malloc(2 * depth + 1);
        assert_non_null(t);
        memset(t, '[', depth);
        memset(t + depth, ']', depth);
        t[2 * depth] = '\0';
        assert_int_equal(srcmap_diff_check(t, 2 * depth), depth <= CJSON_NESTING_LIMIT ? 1 : 0);
        free(t);
    }
}

/* Members and items are found again by their container's offset. */
static void nodes_are_found_by_offset(void **state)
{
    (void)state;
    const char *src = "{\"t\": [{\"name\": \"x\", \"n\": 2}, [true]]}";
    bb_srcmap *m = NULL;
    cJSON *root = NULL;
    assert_int_equal(bb_srcmap_parse(src, strlen(src), NULL, &root, &m, NULL), BB_OK);
    const cJSON *obj = bb_srcmap_node_at(m, 7);
    assert_true(cJSON_IsObject(obj));
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, "n");
    assert_int_equal(bb_srcmap_value(m, n), (size_t)(strstr(src, "2}") - src));
    assert_int_equal(bb_srcmap_key(m, n), (size_t)(strstr(src, "\"n\"") - src));
    assert_int_equal(bb_srcmap_end(m, root), strlen(src));
    assert_null(bb_srcmap_node_at(m, 8));
    assert_null(bb_srcmap_node_at(NULL, 0));
    bb_srcmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reader_equals_cjson_on_shipped_and_mutated_schemas),
        cmocka_unit_test(reader_follows_cjson_where_it_differs_from_json),
        cmocka_unit_test(reader_nests_as_deep_as_cjson),
        cmocka_unit_test(nodes_are_found_by_offset),
    };
    return cmocka_run_group_tests_name("srcmap", tests, NULL, NULL);
}
