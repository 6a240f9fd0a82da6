/* test_reviewer.c - the reviewer: generated Python must parse, and the
 * security patterns catch what they are for (and only that). */
#include "testutil.h"

#include "review/reviewer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool has_code(const bb_diags *d, const char *code)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].code, code) == 0)
            return true;
    return false;
}

static int tokens(const char *src, bb_diags *d)
{
    return bb_reviewer_check_tokens("app/x.py", src, strlen(src), "blog.json", d);
}

static int scan(const char *path, const char *src, bb_diags *d)
{
    return bb_reviewer_scan(path, src, strlen(src), "blog.json", d);
}

static const char GOOD_PY[] =
    "\"\"\"A module.\n\nWith a docstring.\"\"\"\n"
    "from typing import List\n\n\n"
    "class User(Base):\n"
    "    __tablename__ = \"users\"\n"
    "    name = Column(String(50), nullable=False)  # a comment with ( and '\n"
    "    tags = {\"a\": [1, 2, (3, 4)],\n"
    "            \"b\": r'\\d+'}\n\n"
    "    def f(self, x: int) -> List[int]:\n"
    "        if x > 1 and \\\n"
    "                x < 3:\n"
    "            return [x]\n"
    "        return f'{x}' and []\n";

static void builtin_check_accepts_valid_python(void **state)
{
    (void)state;
    bb_diags d;
    bb_diags_init(&d, "blog.json", NULL, 0);
    assert_int_equal(tokens(GOOD_PY, &d), BB_OK);
    assert_int_equal(d.n, 0);
    bb_diags_free(&d);
}

static void builtin_check_finds_each_kind_of_breakage(void **state)
{
    (void)state;
    static const char *bad[] = {
        "x = (1, 2\n",                 /* bracket never closed */
        "x = [1, 2)\n",                /* mismatched */
        "x = 1)\n",                    /* closing without opening */
        "x = 'abc\n",                  /* string not closed on its line */
        "x = \"\"\"abc\n",             /* triple string never closed */
        "def f():\nreturn 1\n",        /* expected an indented block */
        "x = 1\n    y = 2\n",          /* unexpected indent */
        "if x:\n    y = 1\n  z = 2\n", /* unindent mismatch */
        "if x:\n\ty = 1\n    z = 2\n", /* tabs and spaces */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bb_diags d;
        bb_diags_init(&d, "blog.json", NULL, 0);
        assert_int_equal(tokens(bad[i], &d), BB_EINVAL);
        assert_true(has_code(&d, "BB0741"));
        assert_non_null(strstr(d.items[0].message, "blog.json"));
        bb_diags_free(&d);
    }
}

static void security_scan_finds_dangerous_calls_and_secrets(void **state)
{
    (void)state;
    static const struct {
        const char *src, *code;
    } cases[] = {
        {"x = eval(data)\n", "BB0742"},
        {"exec (code)\n", "BB0742"},
        {"import pickle\n", "BB0743"},
        {"obj = pickle.loads(b)\n", "BB0743"},
        {"subprocess.run(cmd, shell=True)\n", "BB0744"},
        {"os.system('ls')\n", "BB0744"},
        {"password = \"hunter22\"\n", "BB0745"},
        {"    SECRET_KEY: str = 'abcdefgh'\n", "BB0745"},
        {"key = 'AKIAABCDEFGHIJKLMNOP'\n", "BB0745"},
        {"x = \"#\"; eval(y)\n", "BB0742"}, /* a '#' in a string is no comment */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bb_diags d;
        bb_diags_init(&d, "blog.json", NULL, 0);
        assert_int_equal(scan("app/x.py", cases[i].src, &d), BB_EINVAL);
        assert_true(has_code(&d, cases[i].code));
        bb_diags_free(&d);
    }
}

static void security_scan_leaves_ordinary_code_alone(void **state)
{
    (void)state;
    static const char *fine[] = {
        "result = session.execute(stmt)\n",
        "x = model.evaluate(y)\n",
        "# eval(x) is never called here\n",
        "password = Column(String(128), nullable=False)\n",
        "user = User(password=payload.password)\n",
        "secret_key = os.environ[\"SECRET_KEY\"]\n",
        "subprocess.run([\"ls\"], shell=False)\n",
        GOOD_PY,
        /* shorter than any trigger */
        "",
        "e",
        "eva",
        "AKI",
        "os.",
    };
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
        bb_diags d;
        bb_diags_init(&d, "blog.json", NULL, 0);
        assert_int_equal(scan("app/x.py", fine[i], &d), BB_OK);
        assert_int_equal(d.n, 0);
        bb_diags_free(&d);
    }
}

static void python_only_patterns_skip_other_files(void **state)
{
    (void)state;
    bb_diags d;
    bb_diags_init(&d, "blog.json", NULL, 0);
    assert_int_equal(scan("README.md", "Never call eval(x).\n", &d), BB_OK);
    assert_int_equal(scan(".env.example", "password = 'hunter22'\n", &d), BB_EINVAL);
    bb_diags_free(&d);
}

static void review_with_python_reports_a_file_that_does_not_parse(void **state)
{
    (void)state;
    if (!bb_reviewer_python(NULL)) {
        print_message("no Python here: this test needs /usr/bin/python3\n");
        fail();
    }
    bb_file files[] = {
        {.path = "app/__init__.py", .data = "", .len = 0},
        {.path = "app/bad.py", .data = "def f(:\n    pass\n", .len = 17},
        {.path = "app/good.py", .data = (char *)GOOD_PY, .len = sizeof(GOOD_PY) - 1},
    };
    bb_diags d;
    bb_diags_init(&d, "blog.json", NULL, 0);
    assert_int_equal(bb_reviewer_check(files, 3, NULL, NULL, NULL, "blog.json", 1, &d), BB_EINVAL);
    assert_int_equal(d.n_errors, 1);
    assert_string_equal(d.items[0].code, "BB0740");
    assert_non_null(strstr(d.items[0].message, "app/bad.py"));
    assert_non_null(strstr(d.items[0].message, "blog.json"));
    bb_diags_free(&d);
}

static void review_without_python_falls_back_to_the_builtin_check(void **state)
{
    (void)state;
    bb_file files[] = {
        {.path = "app/bad.py", .data = "x = (1,\n", .len = 8},
        {.path = "app/good.py", .data = (char *)GOOD_PY, .len = sizeof(GOOD_PY) - 1},
    };
    bb_diags d;
    bb_diags_init(&d, "blog.json", NULL, 0);
    assert_int_equal(bb_reviewer_check(files, 2, "", NULL, NULL, "blog.json", 1, &d), BB_EINVAL);
    assert_int_equal(d.n_errors, 1);
    assert_string_equal(d.items[0].code, "BB0741");
    bb_diags_free(&d);
}

static void a_python_that_cannot_compile_falls_back_with_a_note(void **state)
{
    (void)state;
    bb_file files[] = {{.path = "app/bad.py", .data = "x = [1,\n", .len = 8}};
    bb_diags d;
    bb_diags_init(&d, "blog.json", NULL, 0);
    assert_int_equal(bb_reviewer_check(files, 1, "/bin/false", NULL, NULL, "blog.json", 1, &d),
                     BB_EINVAL);
    assert_true(has_code(&d, "BB0746"));
    assert_true(has_code(&d, "BB0741"));
    bb_diags_free(&d);
}

static void a_large_project_is_split_between_pythons_and_findings_are_kept(void **state)
{
    (void)state;
    enum { N = 60 };
    bb_file files[N];
    char paths[N][32];
    /* About 4 KB of valid Python per file: 240 KB in all, over the split. */
    size_t one = sizeof(GOOD_PY) - 1, reps = 4096 / one + 1;
    char *body = malloc(one * reps + 1);
    for (size_t r = 0; r < reps; r++)
        memcpy(body + r * one, GOOD_PY, one);
    body[one * reps] = '\0';
    for (int i = 0; i < N; i++) {
        snprintf(paths[i], sizeof(paths[i]), "app/m%02d.py", i);
        files[i] = (bb_file){.path = paths[i], .data = body, .len = one * reps};
    }
    files[N - 7] = (bb_file){.path = paths[N - 7], .data = "def broken(:\n", .len = 13};
    files[3] = (bb_file){.path = paths[3], .data = "x = [\n", .len = 6};
    bb_diags d;
    bb_diags_init(&d, "big.json", NULL, 0);
    assert_int_equal(bb_reviewer_check(files, N, NULL, NULL, NULL, "big.json", 1, &d), BB_EINVAL);
    assert_int_equal(d.n_errors, 2);
    assert_true(has_code(&d, "BB0740"));
    bool saw3 = false, saw53 = false;
    for (size_t i = 0; i < d.n; i++) {
        saw3 |= strstr(d.items[i].message, "app/m03.py") != NULL;
        saw53 |= strstr(d.items[i].message, "app/m53.py") != NULL;
    }
    assert_true(saw3 && saw53);
    bb_diags_free(&d);
    free(body);
}

static void secrets_are_found_in_any_case_and_at_the_very_end(void **state)
{
    (void)state;
    static const char *secrets[] = {
        "PASSWORD = \"hunter22\"\n", "Api_Key = 'abcdefgh'", /* no final newline */
        "x = 1\nAUTH_TOKEN: str = 'abcdefgh'",               /* a secret in the last bytes */
    };
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        bb_diags d;
        bb_diags_init(&d, "blog.json", NULL, 0);
        assert_int_equal(scan("app/config.py", secrets[i], &d), BB_EINVAL);
        assert_true(has_code(&d, "BB0745"));
        bb_diags_free(&d);
    }
}

/* Near misses of the triggers and of the words a line's rules look for,
 * three times over: a finding after any number of them is still found, on
 * its own line. */
#define NEAR_MISS                                                                                  \
    "eva exe pickl dil shel os.syste os.pope getoutpu pass secre "                                 \
    "api_ke apike toke private_ke AKI ASI PRIVATE KE ss al ll to "
static const char NEAR_MISSES[] = NEAR_MISS NEAR_MISS NEAR_MISS "x";

static void every_pattern_is_found_after_any_number_of_near_misses(void **state)
{
    (void)state;
    static const struct {
        const char *src, *code;
    } cases[] = {
        {"eval(x)", "BB0742"},
        {"import dill", "BB0743"},
        {"os.popen(c)", "BB0744"},
        {"subprocess.getoutput(c)", "BB0744"},
        {"Secret = 'abcdefgh'", "BB0745"},
        {"k = 'ASIA0123456789ABCDEF'", "BB0745"},
        {"-----BEGIN EC PRIVATE KEY-----", "BB0745"},
    };
    char text[sizeof(NEAR_MISSES) + 64];
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (size_t skip = 0; skip + 1 < sizeof(NEAR_MISSES); skip++) {
            /* The finding on line 2 (line 1 never empty), at the very end of
             * the file. */
            int n = snprintf(text, sizeof(text), "%s\n%s", NEAR_MISSES + skip, cases[c].src);
            assert_true(n > 0 && (size_t)n < sizeof(text));
            bb_diags d;
            bb_diags_init(&d, "blog.json", NULL, 0);
            assert_int_equal(scan("app/x.py", text, &d), BB_EINVAL);
            assert_int_equal(d.n, 1);
            assert_string_equal(d.items[0].code, cases[c].code);
            if (!strstr(d.items[0].message, "line 2:")) {
                print_error("%s\n", d.items[0].message);
                fail();
            }
            bb_diags_free(&d);
        }
    }
}

static void builtin_check_follows_the_last_character_across_blanks_and_strings(void **state)
{
    (void)state;
    static const struct {
        const char *src;
        int rc;
    } cases[] = {
        {"if x:   \n    y = 1\n", BB_OK},             /* blanks after the colon */
        {"if x:  # a comment (\n    y = 1\n", BB_OK}, /* a comment after it */
        {"x = {'a': 1}\ny = 2\n", BB_OK},             /* a colon inside brackets */
        {"x = 'if:'\ny = 2\n", BB_OK},                /* a colon inside a string */
        {"s = '(#[\\\\'\nt = \"]})\"\n", BB_OK},      /* specials inside strings */
        {"def f():", BB_EINVAL},                      /* a colon at the very end */
        {"def f():  \t", BB_EINVAL},                  /* then only blanks */
        {"x = 12345678", BB_OK},                      /* a run up to the end */
        {"x = 'abc\\", BB_EINVAL},                    /* a backslash as the last byte */
        {"x = \"\"\"a \\\" b\"\"\"\n", BB_OK},        /* an escaped quote in a docstring */
        {"x = (1,\n     2)\nif x:\n    pass\n", BB_OK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bb_diags d;
        bb_diags_init(&d, "blog.json", NULL, 0);
        if (tokens(cases[i].src, &d) != cases[i].rc) {
            print_error("case %zu: %s\n", i, d.n ? d.items[0].message : "no finding");
            fail();
        }
        bb_diags_free(&d);
    }
}

static void a_pattern_run_many_times_finds_the_same(void **state)
{
    (void)state;
    /* Past the point where a pattern gets its JIT-compiled copy. */
    for (int i = 0; i < 200; i++) {
        bb_diags d;
        bb_diags_init(&d, "blog.json", NULL, 0);
        assert_int_equal(scan("app/x.py", "y = 1\nz = eval(x)\n", &d), BB_EINVAL);
        assert_true(has_code(&d, "BB0742"));
        assert_int_equal(scan("app/x.py", "r = session.execute(q)\n", &d), BB_OK);
        assert_int_equal(d.n, 1);
        bb_diags_free(&d);
    }
}

/* A Python that notes each start in a file beside it, then runs the real one. */
static void make_counting_python(const char *dir, char *python, size_t size)
{
    snprintf(python, size, "%s/python3", dir);
    FILE *f = fopen(python, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\necho started >> '%s/starts'\nexec '%s' \"$@\"\n", dir,
            bb_reviewer_python(NULL));
    fclose(f);
    assert_int_equal(chmod(python, 0755), 0);
}

static int count_starts(const char *dir)
{
    char path[256], line[64];
    snprintf(path, sizeof(path), "%s/starts", dir);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && fgets(line, sizeof(line), f))
        n++;
    if (f)
        fclose(f);
    return n;
}

static void the_record_spares_python_the_files_it_compiled_before(void **state)
{
    (void)state;
    if (!bb_reviewer_python(NULL)) {
        print_message("no Python here: this test needs /usr/bin/python3\n");
        fail();
    }
    char dir[] = "/tmp/bb-test-reviewer-XXXXXX", cache[128], python[160];
    assert_non_null(mkdtemp(dir));
    snprintf(cache, sizeof(cache), "%s/cache", dir);
    make_counting_python(dir, python, sizeof(python));
    bb_reviewer_use_cache(cache);
    bb_file good[] = {
        {.path = "app/__init__.py", .data = "", .len = 0},
        {.path = "app/models/__init__.py", .data = "", .len = 0}, /* the same bytes twice */
        {.path = "app/good.py", .data = (char *)GOOD_PY, .len = sizeof(GOOD_PY) - 1},
    };
    bb_file bad[] = {{.path = "app/bad.py", .data = "def f(:\n", .len = 8}};
    bb_diags d;
    bb_diags_init(&d, "blog.json", NULL, 0);
    assert_int_equal(bb_reviewer_check(good, 3, python, NULL, NULL, "blog.json", 1, &d), BB_OK);
    assert_int_equal(count_starts(dir), 1);
    /* The same bytes again: nothing for Python to do. */
    assert_int_equal(bb_reviewer_check(good, 3, python, NULL, NULL, "blog.json", 1, &d), BB_OK);
    assert_int_equal(count_starts(dir), 1);
    /* A file that does not parse is never recorded: it fails every time. */
    for (int i = 0; i < 2; i++)
        assert_int_equal(bb_reviewer_check(bad, 1, python, NULL, NULL, "blog.json", 1, &d),
                         BB_EINVAL);
    assert_int_equal(count_starts(dir), 3);
    assert_int_equal(d.n_errors, 2);
    assert_false(has_code(&d, "BB0746"));
    /* Another Python compiles everything again. */
    bb_diags_free(&d);
    bb_diags_init(&d, "blog.json", NULL, 0);
    assert_int_equal(bb_reviewer_check(good, 3, NULL, NULL, NULL, "blog.json", 1, &d), BB_OK);
    assert_int_equal(d.n, 0);
    bb_reviewer_use_cache(NULL);
    bb_diags_free(&d);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void an_unreadable_record_only_costs_compiles(void **state)
{
    (void)state;
    if (!bb_reviewer_python(NULL)) {
        print_message("no Python here: this test needs /usr/bin/python3\n");
        fail();
    }
    char dir[] = "/tmp/bb-test-reviewer-XXXXXX", cache[128], python[160], record[160];
    assert_non_null(mkdtemp(dir));
    snprintf(cache, sizeof(cache), "%s/cache", dir);
    assert_int_equal(mkdir(cache, 0700), 0);
    /* A folder where the record would be: it can be neither read nor written. */
    snprintf(record, sizeof(record), "%s/reviewed", cache);
    assert_int_equal(mkdir(record, 0700), 0);
    make_counting_python(dir, python, sizeof(python));
    bb_reviewer_use_cache(cache);
    bb_file good[] = {{.path = "app/good.py", .data = (char *)GOOD_PY, .len = sizeof(GOOD_PY) - 1}};
    bb_diags d;
    bb_diags_init(&d, "blog.json", NULL, 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(bb_reviewer_check(good, 1, python, NULL, NULL, "blog.json", 1, &d), BB_OK);
    assert_int_equal(count_starts(dir), 2);
    assert_int_equal(d.n, 0);
    bb_reviewer_use_cache(NULL);
    bb_diags_free(&d);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void review_passes_clean_files(void **state)
{
    (void)state;
    bb_file files[] = {
        {.path = "app/good.py", .data = (char *)GOOD_PY, .len = sizeof(GOOD_PY) - 1},
        {.path = "README.md", .data = "# Blog\n", .len = 7},
    };
    bb_diags d;
    bb_diags_init(&d, "blog.json", NULL, 0);
    assert_int_equal(bb_reviewer_check(files, 2, NULL, NULL, NULL, "blog.json", 1, &d), BB_OK);
    assert_int_equal(d.n_errors, 0);
    bb_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_check_accepts_valid_python),
        cmocka_unit_test(builtin_check_finds_each_kind_of_breakage),
        cmocka_unit_test(security_scan_finds_dangerous_calls_and_secrets),
        cmocka_unit_test(security_scan_leaves_ordinary_code_alone),
        cmocka_unit_test(python_only_patterns_skip_other_files),
        cmocka_unit_test(review_with_python_reports_a_file_that_does_not_parse),
        cmocka_unit_test(review_without_python_falls_back_to_the_builtin_check),
        cmocka_unit_test(a_python_that_cannot_compile_falls_back_with_a_note),
        cmocka_unit_test(a_large_project_is_split_between_pythons_and_findings_are_kept),
        cmocka_unit_test(secrets_are_found_in_any_case_and_at_the_very_end),
        cmocka_unit_test(every_pattern_is_found_after_any_number_of_near_misses),
        cmocka_unit_test(builtin_check_follows_the_last_character_across_blanks_and_strings),
        cmocka_unit_test(a_pattern_run_many_times_finds_the_same),
        cmocka_unit_test(the_record_spares_python_the_files_it_compiled_before),
        cmocka_unit_test(an_unreadable_record_only_costs_compiles),
        cmocka_unit_test(review_passes_clean_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
