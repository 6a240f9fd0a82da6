/* test_diff.c - unified diffs of two texts (output/diff.h). */
#include "testutil.h"

#include "output/diff.h"

#include <string.h>

static void diff_shows_hunks_with_context(void **state)
{
    (void)state;
    const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
    const char *b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n";
    bb_buf out;
    bb_buf_init(&out, 1 << 16);
    assert_int_equal(bb_diff_unified("n.txt", a, strlen(a), b, strlen(b), &out), BB_OK);
    assert_string_equal(bb_buf_str(&out), "--- a/n.txt\n+++ b/n.txt\n"
                                          "@@ -2,9 +2,10 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n"
                                          " 8\n 9\n 10\n+11\n");
    bb_buf_free(&out);
}

static void diff_of_identical_texts_has_no_hunk(void **state)
{
    (void)state;
    bb_buf out;
    bb_buf_init(&out, 1 << 16);
    assert_int_equal(bb_diff_unified("x", "a\nb\n", 4, "a\nb\n", 4, &out), BB_OK);
    assert_null(strstr(bb_buf_str(&out), "@@"));
    bb_buf_free(&out);
}

static void diff_marks_a_missing_final_newline(void **state)
{
    (void)state;
    bb_buf out;
    bb_buf_init(&out, 1 << 16);
    assert_int_equal(bb_diff_unified("x", "a\n", 2, "a", 1, &out), BB_OK);
    assert_non_null(strstr(bb_buf_str(&out), "+a\n\\ No newline at end of file\n"));
    bb_buf_free(&out);
}

static void diff_of_too_many_changes_is_a_note(void **state)
{
    (void)state;
    bb_buf a, b, out;
    bb_buf_init(&a, 1 << 20);
    bb_buf_init(&b, 1 << 20);
    bb_buf_init(&out, 1 << 20);
    for (int i = 0; i < BB_DIFF_MAX_EDITS; i++) {
        assert_int_equal(bb_buf_printf(&a, "old %d\n", i), BB_OK);
        assert_int_equal(bb_buf_printf(&b, "new %d\n", i), BB_OK);
    }
    assert_int_equal(bb_diff_unified("big", a.data, a.len, b.data, b.len, &out), BB_OK);
    assert_null(strstr(bb_buf_str(&out), "@@"));
    assert_non_null(strstr(bb_buf_str(&out), "too many changes"));
    bb_buf_free(&a);
    bb_buf_free(&b);
    bb_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diff_shows_hunks_with_context),
        cmocka_unit_test(diff_of_identical_texts_has_no_hunk),
        cmocka_unit_test(diff_marks_a_missing_final_newline),
        cmocka_unit_test(diff_of_too_many_changes_is_a_note),
    };
    return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
