/*
 * test_mysql.c - what MySQL refuses is reported by validate for
 * "db_type": "mysql" (front/mysql.c): long types in keys, keys over 3072
 * bytes, rows over 65535 bytes, defaults on long types; the same schemas
 * pass for PostgreSQL, and the largest keys MySQL takes pass.
 */
#include "validate_testutil.h"

#define MYSQL_TABLE(cols, extra)                                                                   \
    "{'project_name': 'p', 'db_type': 'mysql', 'schema': [\n"                                      \
    "{'table_name': 'items', 'class_name': 'Item', 'columns': [\n"                                 \
    "  {'name': 'id', 'type': 'Integer', 'primary_key': true}" cols "]" extra "}\n]}"

#define PG_TABLE(cols)                                                                             \
    VT_HEAD "{'table_name': 'items', 'class_name': 'Item', 'columns': [\n"                         \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true}" cols "]}" VT_TAIL

static void text_in_an_index_is_refused(void **state)
{
    (void)state;
    vt_expect(MYSQL_TABLE(",\n  {'name': 'body', 'type': 'Text', 'index': true}", ""), "BB0455",
              BB_ERROR, "/schema/0/columns/1/index", "'index': ^true");
    vt_expect_valid(PG_TABLE(",\n  {'name': 'body', 'type': 'Text', 'index': true}"));
}

static void json_as_a_unique_key_is_refused(void **state)
{
    (void)state;
    vt_expect(MYSQL_TABLE(",\n  {'name': 'data', 'type': 'JSON', 'unique': true}", ""), "BB0455",
              BB_ERROR, "/schema/0/columns/1/unique", "'unique': ^true");
}

static void text_as_a_primary_key_is_refused(void **state)
{
    (void)state;
    vt_expect("{'project_name': 'p', 'db_type': 'mysql', 'schema': [\n"
              "{'table_name': 'items', 'class_name': 'Item', 'columns': [\n"
              "  {'name': 'code', 'type': 'Text', 'primary_key': true}]}\n]}",
              "BB0455", BB_ERROR, "/schema/0/columns/0/primary_key", "'primary_key': ^true");
}

static void text_in_a_table_constraint_is_refused(void **state)
{
    (void)state;
    vt_expect(MYSQL_TABLE(",\n  {'name': 'a', 'type': 'String', 'length': 20},\n"
                          "  {'name': 'b', 'type': 'Text'}",
                          ", 'unique': [{'columns': ['a', 'b']}]"),
              "BB0455", BB_ERROR, "/schema/0/unique/0/columns/1", "'a', ^'b'");
}

static void a_key_over_3072_bytes_is_refused(void **state)
{
    (void)state;
    vt_expect(MYSQL_TABLE(",\n  {'name': 'title', 'type': 'String', 'length': 769, 'unique': "
                          "true}",
                          ""),
              "BB0456", BB_ERROR, "/schema/0/columns/1/length", "^769");
    vt_expect_valid(MYSQL_TABLE(",\n  {'name': 'title', 'type': 'String', 'length': 768, "
                                "'unique': true}",
                                ""));
}

static void a_composite_key_adds_its_columns(void **state)
{
    (void)state;
    vt_expect(MYSQL_TABLE(",\n  {'name': 'a', 'type': 'String', 'length': 400},\n"
                          "  {'name': 'b', 'type': 'String', 'length': 400}",
                          ", 'indexes': [{'columns': ['a', 'b']}]"),
              "BB0456", BB_ERROR, "/schema/0/indexes/0/columns", "'indexes': [{'columns': ^[");
    vt_expect_valid(MYSQL_TABLE(",\n  {'name': 'a', 'type': 'String', 'length': 384},\n"
                                "  {'name': 'b', 'type': 'String', 'length': 384}",
                                ", 'indexes': [{'columns': ['a', 'b']}]"));
}

static void a_composite_primary_key_adds_its_columns(void **state)
{
    (void)state;
    vt_expect("{'project_name': 'p', 'db_type': 'mysql', 'schema': [\n"
              "{'table_name': 'items', 'class_name': 'Item', 'columns': [\n"
              "  {'name': 'a', 'type': 'String', 'length': 500, 'primary_key': true},\n"
              "  {'name': 'b', 'type': 'String', 'length': 500, 'primary_key': true}]}\n]}",
              "BB0456", BB_ERROR, "/schema/0/columns/1/primary_key",
              "'b', 'type': 'String', 'length': 500, 'primary_key': ^true");
}

static void a_row_over_65535_bytes_is_refused(void **state)
{
    (void)state;
    vt_expect(MYSQL_TABLE(",\n  {'name': 'a', 'type': 'String', 'length': 9000},\n"
                          "  {'name': 'b', 'type': 'String', 'length': 8000}",
                          ""),
              "BB0457", BB_ERROR, "/schema/0/columns/1/length", "^9000");
    vt_expect_valid(MYSQL_TABLE(",\n  {'name': 'a', 'type': 'String', 'length': 9000},\n"
                                "  {'name': 'b', 'type': 'Text'}",
                                ""));
    vt_expect_valid(PG_TABLE(",\n  {'name': 'a', 'type': 'String', 'length': 9000},\n"
                             "  {'name': 'b', 'type': 'String', 'length': 8000}"));
}

static void a_default_on_text_is_refused(void **state)
{
    (void)state;
    vt_expect(MYSQL_TABLE(",\n  {'name': 'body', 'type': 'Text', 'default': 'hello'}", ""),
              "BB0458", BB_ERROR, "/schema/0/columns/1/default", "^'hello'");
    vt_expect_valid(MYSQL_TABLE(",\n  {'name': 'body', 'type': 'Text', 'nullable': true}", ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_in_an_index_is_refused),
        cmocka_unit_test(json_as_a_unique_key_is_refused),
        cmocka_unit_test(text_as_a_primary_key_is_refused),
        cmocka_unit_test(text_in_a_table_constraint_is_refused),
        cmocka_unit_test(a_key_over_3072_bytes_is_refused),
        cmocka_unit_test(a_composite_key_adds_its_columns),
        cmocka_unit_test(a_composite_primary_key_adds_its_columns),
        cmocka_unit_test(a_row_over_65535_bytes_is_refused),
        cmocka_unit_test(a_default_on_text_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
