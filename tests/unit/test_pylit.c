/* test_pylit.c - Python literals, docstrings, comments, and names. */
#include "testutil.h"

#include "base/pylit.h"

#include <string.h>

typedef int (*conv_fn)(bb_buf *, const char *);

/* Runs f over s and compares the result with want. */
static void check(conv_fn f, const char *s, const char *want)
{
    bb_buf b;
    bb_buf_init(&b, 1 << 16);
    assert_int_equal(f(&b, s), BB_OK);
    assert_string_equal(bb_buf_str(&b), want);
    bb_buf_free(&b);
}

static void check_doc(const char *s, int indent, const char *want)
{
    bb_buf b;
    bb_buf_init(&b, 1 << 16);
    assert_int_equal(bb_pylit_docstring(&b, s, indent), BB_OK);
    assert_string_equal(bb_buf_str(&b), want);
    bb_buf_free(&b);
}

static void test_str_prefers_double_quotes(void **state)
{
    (void)state;
    check(bb_pylit_str, "plain", "\"plain\"");
    check(bb_pylit_str, "it's", "\"it's\"");
    check(bb_pylit_str, "", "\"\"");
}

static void test_str_switches_quotes_when_fewer_escapes(void **state)
{
    (void)state;
    check(bb_pylit_str, "say \"hi\"", "'say \"hi\"'");
    check(bb_pylit_str, "both ' and \"\"", "'both \\' and \"\"'");
    check(bb_pylit_str, "a \" ' b", "\"a \\\" ' b\"");
}

static void test_str_escapes_backslashes_and_triple_quotes(void **state)
{
    (void)state;
    check(bb_pylit_str, "C:\\dir\\", "\"C:\\\\dir\\\\\"");
    check(bb_pylit_str, "\"\"\"", "'\"\"\"'");
    check(bb_pylit_str, "'''", "\"'''\"");
}

static void test_str_escapes_line_breaks_and_control_characters(void **state)
{
    (void)state;
    check(bb_pylit_str, "a\nb\r\tc", "\"a\\nb\\r\\tc\"");
    check(bb_pylit_str, "\x01\x1f\x7f", "\"\\x01\\x1f\\x7f\"");
}

static void test_str_keeps_utf8_and_replaces_invalid_bytes(void **state)
{
    (void)state;
    check(bb_pylit_str, "caf\xC3\xA9 \xE4\xB8\xAD", "\"caf\xC3\xA9 \xE4\xB8\xAD\"");
    check(bb_pylit_str,
          "a\xFF"
          "b",
          "\"a\xEF\xBF\xBD"
          "b\"");
    check(bb_pylit_str, "\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

static void test_docstring_one_line(void **state)
{
    (void)state;
    check_doc("  Blog posts.  ", 4, "    \"\"\"Blog posts.\"\"\"\n");
}

static void test_docstring_blank_gives_nothing(void **state)
{
    (void)state;
    check_doc(" \n\t\n", 4, "");
    check_doc(NULL, 4, "");
}

static void test_docstring_many_lines_close_on_their_own_line(void **state)
{
    (void)state;
    check_doc("\nFirst.\n\n   Second\n     indented \n\n", 4,
              "    \"\"\"First.\n\n    Second\n      indented\n    \"\"\"\n");
}

static void test_docstring_escapes_quotes_that_could_close_it(void **state)
{
    (void)state;
    check_doc("a \"\"\" b", 0, "\"\"\"a \\\"\\\"\" b\"\"\"\n");
    check_doc("ends with \"", 0, "\"\"\"ends with \\\" \"\"\"\n");
    check_doc("\"starts", 0, "\"\"\"\\\"starts\"\"\"\n");
}

static void test_docstring_escapes_backslashes_and_control_characters(void **state)
{
    (void)state;
    check_doc("a\\ b\\", 0, "\"\"\"a\\\\ b\\\\\"\"\"\n");
    check_doc("tab\there\x01", 0, "\"\"\"tab\\there\\x01\"\"\"\n");
}

static void test_comment_is_one_line(void **state)
{
    (void)state;
    check(bb_pylit_comment, "  two\nlines\r\n\tand  tabs ", "two lines and tabs");
    check(bb_pylit_comment, "", "");
}

static void test_snake_case(void **state)
{
    (void)state;
    check(bb_pylit_snake, "BlogBackend", "blog_backend");
    check(bb_pylit_snake, "HTTPServer", "http_server");
    check(bb_pylit_snake, "my-project 2", "my_project_2");
    check(bb_pylit_snake, "OrderItem", "order_item");
    check(bb_pylit_snake, "users", "users");
}

static void test_capwords(void **state)
{
    (void)state;
    check(bb_pylit_capwords, "posts_status", "PostsStatus");
    check(bb_pylit_capwords, "order-item", "OrderItem");
}

static void test_constant_names_for_enum_values(void **state)
{
    (void)state;
    check(bb_pylit_constant, "in progress", "IN_PROGRESS");
    check(bb_pylit_constant, "1st", "V_1ST");
    check(bb_pylit_constant, "--", "");
    check(bb_pylit_constant, "ÉLITE", "ELITE");
    check(bb_pylit_constant, "Ærø Straße", "AERO_STRASSE");
    check(bb_pylit_constant, "Łódź", "LODZ");
    check(bb_pylit_constant, "日本", "");
    check(bb_pylit_constant, "a×b", "A_B");
    check(bb_pylit_constant, "a\"b'c", "A_B_C");
}

static void test_str_copies_plain_runs_between_escapes(void **state)
{
    (void)state;
    check(bb_pylit_str, "run \\ more\tend 'q' \"dq\" caf\xC3\xA9!",
          "\"run \\\\ more\\tend 'q' \\\"dq\\\" caf\xC3\xA9!\"");
    check(bb_pylit_str, "\\\\", "\"\\\\\\\\\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_prefers_double_quotes),
        cmocka_unit_test(test_str_switches_quotes_when_fewer_escapes),
        cmocka_unit_test(test_str_escapes_backslashes_and_triple_quotes),
        cmocka_unit_test(test_str_escapes_line_breaks_and_control_characters),
        cmocka_unit_test(test_str_keeps_utf8_and_replaces_invalid_bytes),
        cmocka_unit_test(test_str_copies_plain_runs_between_escapes),
        cmocka_unit_test(test_docstring_one_line),
        cmocka_unit_test(test_docstring_blank_gives_nothing),
        cmocka_unit_test(test_docstring_many_lines_close_on_their_own_line),
        cmocka_unit_test(test_docstring_escapes_quotes_that_could_close_it),
        cmocka_unit_test(test_docstring_escapes_backslashes_and_control_characters),
        cmocka_unit_test(test_comment_is_one_line),
        cmocka_unit_test(test_snake_case),
        cmocka_unit_test(test_capwords),
        cmocka_unit_test(test_constant_names_for_enum_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
