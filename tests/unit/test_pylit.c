/* test_pylit.c - Python literals, docstrings, comments, names and wrapping. */
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

static void check_wrap(int indent, const char *line, bool import, const char *want)
{
    bb_buf b;
    bb_buf_init(&b, 1 << 16);
    assert_int_equal(bb_pylit_wrap(&b, indent, line, import), BB_OK);
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

static void test_wrap_keeps_short_lines(void **state)
{
    (void)state;
    check_wrap(4, "x = Column(Integer, primary_key=True)", false,
               "    x = Column(Integer, primary_key=True)\n");
}

static void test_wrap_puts_arguments_on_one_indented_line_when_they_fit(void **state)
{
    (void)state;
    check_wrap(4,
               "created_at = Column(DateTime(timezone=True), nullable=False, "
               "server_default=func.now())",
               false,
               "    created_at = Column(\n"
               "        DateTime(timezone=True), nullable=False, server_default=func.now()\n"
               "    )\n");
}

static void test_wrap_explodes_with_trailing_commas(void **state)
{
    (void)state;
    check_wrap(4,
               "updated_at = Column(DateTime(timezone=True), nullable=False, "
               "server_default=func.now(), onupdate=func.now())",
               false,
               "    updated_at = Column(\n"
               "        DateTime(timezone=True),\n"
               "        nullable=False,\n"
               "        server_default=func.now(),\n"
               "        onupdate=func.now(),\n"
               "    )\n");
}

static void test_wrap_ignores_brackets_and_commas_in_strings(void **state)
{
    (void)state;
    check_wrap(0,
               "note = Column(Text, comment=\"a, b) c\", info={\"k\": \"(\"}, "
               "doc=\"padding padding padding padding padding\")",
               false,
               "note = Column(\n"
               "    Text,\n"
               "    comment=\"a, b) c\",\n"
               "    info={\"k\": \"(\"},\n"
               "    doc=\"padding padding padding padding padding\",\n"
               ")\n");
}

static void test_wrap_single_argument_splits_inside(void **state)
{
    (void)state;
    check_wrap(4,
               "status = Column(Enum(OrderStatusWithAVeryLongName, "
               "name=\"orders_status_long\", values_callable=enum_values))",
               false,
               "    status = Column(\n"
               "        Enum(\n"
               "            OrderStatusWithAVeryLongName,\n"
               "            name=\"orders_status_long\",\n"
               "            values_callable=enum_values,\n"
               "        )\n"
               "    )\n");
}

static void test_wrap_explodes_displays_that_must_split(void **state)
{
    (void)state;
    check_wrap(4,
               "body = {\"status\": \"pending\", \"total_amount\": decimal_value(n, 10, 2), "
               "\"extra_field\": 1}",
               false,
               "    body = {\n"
               "        \"status\": \"pending\",\n"
               "        \"total_amount\": decimal_value(n, 10, 2),\n"
               "        \"extra_field\": 1,\n"
               "    }\n");
    check_wrap(0,
               "COLUMNS = (\"a_very_long_column_name_number_one\", "
               "\"a_very_long_column_name_number_two_and_more\")",
               false,
               "COLUMNS = (\n"
               "    \"a_very_long_column_name_number_one\",\n"
               "    \"a_very_long_column_name_number_two_and_more\",\n"
               ")\n");
}

static void test_wrap_keeps_a_one_item_tuple_together(void **state)
{
    (void)state;
    check_wrap(
        4,
        "__table_args__ = (UniqueConstraint(\"first_name\", \"last_name\", "
        "name=\"uq_people_names\"),)",
        false,
        "    __table_args__ = (\n"
        "        UniqueConstraint(\"first_name\", \"last_name\", name=\"uq_people_names\"),\n"
        "    )\n");
}

static void test_wrap_counts_the_comma_of_an_item(void **state)
{
    (void)state;
    check_wrap(
        8,
        "sa.Column(\"is_deleted\", sa.Boolean(), nullable=False, "
        "server_default=sa.false()),",
        false,
        "        sa.Column(\n"
        "            \"is_deleted\", sa.Boolean(), nullable=False, server_default=sa.false()\n"
        "        ),\n");
}

static void test_wrap_parenthesizes_a_long_right_hand_side(void **state)
{
    (void)state;
    check_wrap(0,
               "DEFAULT_DATABASE_URL = "
               "\"postgresql://localhost/a_project_name_long_enough_to_overflow_the_line\"",
               false,
               "DEFAULT_DATABASE_URL = (\n"
               "    \"postgresql://localhost/a_project_name_long_enough_to_overflow_the_line\"\n"
               ")\n");
}

static void test_wrap_explodes_a_long_tuple_right_hand_side(void **state)
{
    (void)state;
    check_wrap(4,
               "field, query = \"an_extremely_long_column_name_that_goes_on\", "
               "\"an_extremely_long_column_name_that_goes_on\"",
               false,
               "    field, query = (\n"
               "        \"an_extremely_long_column_name_that_goes_on\",\n"
               "        \"an_extremely_long_column_name_that_goes_on\",\n"
               "    )\n");
}

static void test_wrap_splits_a_def_at_its_parameters(void **state)
{
    (void)state;
    check_wrap(0,
               "def a_really_quite_long_class_name_for_testing_limits_body(client: TestClient) -> "
               "Dict[str, Any]:",
               false,
               "def a_really_quite_long_class_name_for_testing_limits_body(\n"
               "    client: TestClient,\n"
               ") -> Dict[str, Any]:\n");
}

static void test_wrap_splits_a_lone_comparison_before_the_operator(void **state)
{
    (void)state;
    check_wrap(8,
               "conditions.append(AQuiteLongClassNameForTesting.a_long_column_name_here_too == "
               "a_long_column_name_here_too)",
               false,
               "        conditions.append(\n"
               "            AQuiteLongClassNameForTesting.a_long_column_name_here_too\n"
               "            == a_long_column_name_here_too\n"
               "        )\n");
}

static void test_wrap_import_one_name_per_line(void **state)
{
    (void)state;
    check_wrap(0, "from a import b, c", true, "from a import b, c\n");
    check_wrap(0,
               "from app.api.crud import MAX_LIMIT, check_reference, commit_or_raise, "
               "fetch_related, get_or_404",
               true,
               "from app.api.crud import (\n"
               "    MAX_LIMIT,\n"
               "    check_reference,\n"
               "    commit_or_raise,\n"
               "    fetch_related,\n"
               "    get_or_404,\n"
               ")\n");
}

static void test_str_copies_plain_runs_between_escapes(void **state)
{
    (void)state;
    check(bb_pylit_str, "run \\ more\tend 'q' \"dq\" caf\xC3\xA9!",
          "\"run \\\\ more\\tend 'q' \\\"dq\\\" caf\xC3\xA9!\"");
    check(bb_pylit_str, "\\\\", "\"\\\\\\\\\"");
}

static void test_wrap_item_that_fits_with_its_comma_stays_whole(void **state)
{
    (void)state;
    /* 4 + 83 + the comma: exactly 88 columns. */
    check_wrap(
        0,
        "f(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, "
        "b)",
        false,
        "f(\n"
        "    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,\n"
        "    b,\n"
        ")\n");
    check_wrap(0,
               "f(g(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, "
               "bbbbbbbbbbbbbbbb), c)",
               false,
               "f(\n"
               "    g(\n"
               "        aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,\n"
               "        bbbbbbbbbbbbbbbb,\n"
               "    ),\n"
               "    c,\n"
               ")\n");
}

static void test_wrap_sees_an_assignment_only_at_the_top_level(void **state)
{
    (void)state;
    /* `=` in strings, in keyword arguments and in `==` is no assignment. */
    check_wrap(0,
               "x = check(\"a = b\", y == z, key=\"value with = sign\", other=\"and more text to "
               "pass the limit\")",
               false,
               "x = check(\n"
               "    \"a = b\", y == z, key=\"value with = sign\", other=\"and more text to pass "
               "the limit\"\n"
               ")\n");
    check_wrap(0,
               "label = \"a string = long enough to need the parentheses around it ==\" + "
               "a_suffix_name_here",
               false,
               "label = (\n"
               "    \"a string = long enough to need the parentheses around it ==\" + "
               "a_suffix_name_here\n"
               ")\n");
    check_wrap(0,
               "a_result_value_with_a_rather_long_name.method(key=\"a = b\", flag=True) + "
               "other_name_here_more",
               false,
               "a_result_value_with_a_rather_long_name.method(\n"
               "    key=\"a = b\", flag=True\n"
               ") + other_name_here_more\n");
}

static void test_wrap_fails_cleanly_over_the_cap(void **state)
{
    (void)state;
    bb_buf b;
    bb_buf_init(&b, 8);
    assert_int_equal(bb_pylit_wrap(&b, 0, "x = f(aaaaaaaa, bbbbbbbbb)", false), BB_ELIMIT);
    bb_buf_free(&b);
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
        cmocka_unit_test(test_wrap_keeps_short_lines),
        cmocka_unit_test(test_wrap_puts_arguments_on_one_indented_line_when_they_fit),
        cmocka_unit_test(test_wrap_explodes_with_trailing_commas),
        cmocka_unit_test(test_wrap_ignores_brackets_and_commas_in_strings),
        cmocka_unit_test(test_wrap_single_argument_splits_inside),
        cmocka_unit_test(test_wrap_explodes_displays_that_must_split),
        cmocka_unit_test(test_wrap_keeps_a_one_item_tuple_together),
        cmocka_unit_test(test_wrap_counts_the_comma_of_an_item),
        cmocka_unit_test(test_wrap_parenthesizes_a_long_right_hand_side),
        cmocka_unit_test(test_wrap_explodes_a_long_tuple_right_hand_side),
        cmocka_unit_test(test_wrap_splits_a_def_at_its_parameters),
        cmocka_unit_test(test_wrap_splits_a_lone_comparison_before_the_operator),
        cmocka_unit_test(test_wrap_import_one_name_per_line),
        cmocka_unit_test(test_wrap_item_that_fits_with_its_comma_stays_whole),
        cmocka_unit_test(test_wrap_sees_an_assignment_only_at_the_top_level),
        cmocka_unit_test(test_wrap_fails_cleanly_over_the_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
