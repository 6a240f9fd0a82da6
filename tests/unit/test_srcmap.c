/*
 * test_srcmap.c - the fast JSON path builds cJSON's tree or declines.
 *
 * cJSON is the reference parser of the front end; bb_srcmap_parse() is a
 * one-pass path for plain JSON that also records offsets. These tests run
 * both over every schema we ship or read and over systematic mutations of
 * them, and require identical trees whenever the fast path accepts.
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
        print_error("fast path and cJSON disagree on: %.*s\n", (int)(len > 200 ? 200 : len), src);
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

static void fast_path_equals_cjson_on_shipped_and_mutated_schemas(void **state)
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
    print_message("%d files: %d texts parsed identically, %d left to cJSON\n", files, accepted,
                  declined);
    assert_true(files >= 10);
    /* Both outcomes must occur, or the comparison proves nothing. */
    assert_true(accepted > 100);
    assert_true(declined > 100);
}

static void fast_path_declines_what_only_cjson_reads(void **state)
{
    (void)state;
    static const char *texts[] = {
        "{\"a\": \"\\u00e9\"}", /* escapes go to cJSON */
        "{\"a\": 01}",          /* a leading zero */
        "{\"a\": 1.}",          /* no digit after the point */
        "[1, 2,]",              /* a trailing comma */
        "{\"a\" 1}",            /* a missing colon */
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        assert_int_not_equal(srcmap_diff_check(texts[i], strlen(texts[i])), -1);
    const char *plain = "{\"a\": [1, -2.5e3, true, null, \"x\"], \"b\": {}}";
    assert_int_equal(srcmap_diff_check(plain, strlen(plain)), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_path_equals_cjson_on_shipped_and_mutated_schemas),
        cmocka_unit_test(fast_path_declines_what_only_cjson_reads),
    };
    return cmocka_run_group_tests_name("srcmap", tests, NULL, NULL);
}
