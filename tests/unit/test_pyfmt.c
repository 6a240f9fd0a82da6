/*
 * test_pyfmt.c - the Python formatting pass: Black's line splits and blank
 * lines, isort's import block, strings and comments untouched, errors.
 */
#include "testutil.h"

#include "render/pyfmt.h"

#include <string.h>

/* Formats src with the defaults; returns the output (free()). */
static char *fmt_opts(const char *src, const bb_pyfmt_opts *o)
{
    bb_buf out;
    bb_diags d;
    size_t n;
    char *s;
    bb_buf_init(&out, 1 << 22);
    bb_diags_init(&d, "t.py", NULL, 0);
    int rc = bb_pyfmt_format("t.py", src, strlen(src), o, &out, &d);
    if (rc != BB_OK && d.n)
        print_error("%s\n", d.items[0].message);
    assert_int_equal(rc, BB_OK);
    bb_diags_free(&d);
    s = bb_buf_take(&out, &n);
    if (!s)
        s = bb_strdup("");
    return s;
}

static void check(const char *src, const char *want)
{
    char *got = fmt_opts(src, NULL);
    if (strcmp(got, want))
        print_error("input:\n%s\nwant:\n%s\ngot:\n%s\n", src, want, got);
    assert_string_equal(got, want);
    /* the output is a fixed point */
    char *again = fmt_opts(got, NULL);
    assert_string_equal(again, got);
    bb_free(again);
    bb_free(got);
}

static void test_short_lines_are_kept(void **state)
{
    (void)state;
    check("x = 1\ny = f(a, b)  # note\n", "x = 1\ny = f(a, b)  # note\n");
    check("", "");
}

static void test_call_right_hand_split(void **state)
{
    (void)state;
    check("class A:\n    author_id = Column(Integer, ForeignKey(\"users.id\", "
          "ondelete=\"CASCADE\"), nullable=False)\n",
          "class A:\n    author_id = Column(\n        Integer, ForeignKey(\"users.id\", "
          "ondelete=\"CASCADE\"), nullable=False\n    )\n");
}

static void test_unterminated_string_is_reported_with_position(void **state)
{
    (void)state;
    bb_buf out;
    bb_diags d;
    const char *src = "x = 1\ny = 'abc\n";
    bb_buf_init(&out, 1 << 16);
    bb_diags_init(&d, "t.py", NULL, 0);
    assert_int_equal(bb_pyfmt_format("app/x.py", src, strlen(src), NULL, &out, &d), BB_EINVAL);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.items[0].code, "BB0747");
    assert_non_null(strstr(d.items[0].message, "app/x.py:2:5:"));
    bb_diags_free(&d);
    bb_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_lines_are_kept),
        cmocka_unit_test(test_call_right_hand_split),
        cmocka_unit_test(test_unterminated_string_is_reported_with_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
