/*
 * test_codes.c - the table of diagnostic codes against the documentation
 * and the tests: every code in src/diag/codes.h must have its own section in
 * docs/diagnostics.md ("### BB0203 ...") and be mentioned by at least one
 * file under tests/ other than this one (a test that triggers it). The files
 * are read when the test runs, so a new code without docs or test fails here.
 */
#include "testutil.h"

#include "diag/codes.h"

#include <ftw.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

typedef struct code_info {
    const char *code;
    const char *severity;
    const char *name;
    bool tested;
} code_info;

static code_info codes[] = {
#define X(code, sev, name) {#code, #sev, name, false},
    BB_CODE_LIST(X)
#undef X
};

#define N_CODES (sizeof(codes) / sizeof(codes[0]))

static void codes_are_unique_and_well_formed(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CODES; i++) {
        const char *c = codes[i].code;
        assert_int_equal(strlen(c), 6);
        assert_memory_equal(c, "BB", 2);
        for (size_t k = 2; k < 6; k++)
            assert_true(c[k] >= '0' && c[k] <= '9');
        assert_true(strcmp(codes[i].severity, "ERROR") == 0 ||
                    strcmp(codes[i].severity, "WARNING") == 0 ||
                    strcmp(codes[i].severity, "NOTE") == 0);
        assert_true(strlen(codes[i].name) > 0);
        for (size_t j = i + 1; j < N_CODES; j++)
            if (strcmp(c, codes[j].code) == 0)
                fail_msg("%s is listed twice", c);
    }
}

static void every_code_has_a_section_in_diagnostics_md(void **state)
{
    (void)state;
    char *doc = tu_read_file("docs/diagnostics.md", NULL);
    size_t missing = 0;
    for (size_t i = 0; i < N_CODES; i++) {
        char heading[32];
        snprintf(heading, sizeof(heading), "\n### %s ", codes[i].code);
        if (!strstr(doc, heading)) {
            print_error("%s (%s) has no \"### %s\" section in docs/diagnostics.md\n", codes[i].code,
                        codes[i].name, codes[i].code);
            missing++;
        }
    }
    free(doc);
    assert_int_equal(missing, 0);
}

/* nftw() takes no context pointer: the walk marks codes[] directly. */
static int scan_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F || strstr(path, "test_codes.c"))
        return 0;
    if (strstr(path, "/__pycache__/") || strstr(path, "/.pytest_cache/"))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n <= 0 || n > 16 * 1024 * 1024) {
        fclose(f);
        return 0;
    }
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    size_t got = fread(text, 1, (size_t)n, f);
    text[got] = '\0';
    fclose(f);
    for (size_t i = 0; i < N_CODES; i++)
        if (!codes[i].tested && memmem(text, got, codes[i].code, 6))
            codes[i].tested = true;
    free(text);
    return 0;
}

static void every_code_is_mentioned_by_a_test(void **state)
{
    (void)state;
    assert_int_equal(nftw("tests", scan_file, 16, FTW_PHYS), 0);
    size_t missing = 0;
    for (size_t i = 0; i < N_CODES; i++) {
        if (!codes[i].tested) {
            print_error("%s (%s) is not mentioned by any file under tests/\n", codes[i].code,
                        codes[i].name);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codes_are_unique_and_well_formed),
        cmocka_unit_test(every_code_has_a_section_in_diagnostics_md),
        cmocka_unit_test(every_code_is_mentioned_by_a_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
