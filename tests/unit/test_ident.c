/*
 * test_ident.c - identifier rules (BB03xx): every code triggered from JSON
 * text at its JSON Pointer and line:column, and the word lists themselves.
 */
#include "validate_testutil.h"

#include "front/ident.h"

/* ident.c's lists, for the sortedness check (not part of the API). */
const char *const *bb_ident__list(int which, size_t *n);

#define ONE_TABLE(cols)                                                                            \
    VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"                         \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true}" cols "]}" VT_TAIL

#define USERS_AND_POSTS(user_rels)                                                                 \
    VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"                         \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true}],\n"                         \
            " 'relationships': [" user_rels "]},\n"                                                \
            "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"                         \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"                          \
            "  {'name': 'author_id', 'type': 'ForeignKey', 'target': 'users.id'}]}" VT_TAIL

static void word_lists_are_sorted_for_bsearch(void **state)
{
    (void)state;
    size_t n;
    const char *const *list;
    int which = 0;
    for (; (list = bb_ident__list(which, &n)) != NULL; which++)
        for (size_t i = 1; i < n; i++) {
            if (strcmp(list[i - 1], list[i]) >= 0)
                print_error("list %d: \"%s\" before \"%s\"\n", which, list[i - 1], list[i]);
            assert_true(strcmp(list[i - 1], list[i]) < 0);
        }
    assert_int_equal(which, 9);
}

static void reserved_words_depend_on_the_database(void **state)
{
    (void)state;
    assert_true(bb_ident_is_sql_reserved(BB_DB_POSTGRESQL, "user"));
    assert_true(bb_ident_is_sql_reserved(BB_DB_POSTGRESQL, "ORDER"));
    assert_false(bb_ident_is_sql_reserved(BB_DB_MYSQL, "user"));
    assert_true(bb_ident_is_sql_reserved(BB_DB_MYSQL, "key"));
    assert_true(bb_ident_is_sql_reserved(BB_DB_MSSQL, "user"));
    assert_false(bb_ident_is_sql_reserved(BB_DB_SQLITE, "user"));
    assert_true(bb_ident_is_sql_reserved(BB_DB_SQLITE, "group"));
    assert_false(bb_ident_is_sql_reserved(BB_DB_POSTGRESQL, "username"));
}

static void keywords_and_soft_keywords_are_told_apart(void **state)
{
    (void)state;
    assert_true(bb_ident_is_python_keyword("class"));
    assert_true(bb_ident_is_python_keyword("None"));
    assert_false(bb_ident_is_python_keyword("none"));
    assert_false(bb_ident_is_python_keyword("match"));
    assert_true(bb_ident_is_soft_keyword("match"));
    assert_true(bb_ident_is_soft_keyword("type"));
    assert_true(bb_ident_is_orm_reserved("metadata"));
    assert_true(bb_ident_is_orm_reserved("model_dump"));
    assert_false(bb_ident_is_orm_reserved("meta"));
}

static void suggestions_offer_usable_names(void **state)
{
    (void)state;
    char hint[256];
    bb_ident_suggest(BB_IDENT_COLUMN, "class", hint, sizeof(hint));
    assert_non_null(strstr(hint, "\"class_name\""));
    assert_non_null(strstr(hint, "\"klass\""));
    bb_ident_suggest(BB_IDENT_COLUMN, "metadata", hint, sizeof(hint));
    assert_non_null(strstr(hint, "\"meta\""));
    assert_non_null(strstr(hint, "\"metadata_\""));
    bb_ident_suggest(BB_IDENT_COLUMN, "lambda", hint, sizeof(hint));
    assert_non_null(strstr(hint, "\"lambda_\""));
}

static void table_name_must_be_lower_snake_case(void **state)
{
    (void)state;
    vt_expect(VT_HEAD "{'table_name': 'Users', 'class_name': 'User', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}" VT_TAIL,
              "BB0301", BB_ERROR, "/schema/0/table_name", "'table_name': ^'Users'");
}

static void class_name_must_be_cap_words(void **state)
{
    (void)state;
    vt_expect(VT_HEAD "{'table_name': 'users', 'class_name': 'user_model', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}" VT_TAIL,
              "BB0302", BB_ERROR, "/schema/0/class_name", "'class_name': ^'user_model'");
}

/* The hint of a misshapen name offers it reshaped, never the name itself. */
static void a_misshapen_name_gets_a_valid_one_in_its_hint(void **state)
{
    (void)state;
    static const struct {
        const char *table, *cls, *code, *fix;
    } cases[] = {
        {"my users", "User", "BB0301", "\"my_users\""},
        {"OrderItems", "OrderItem", "BB0301", "\"order_items\""},
        {"users", "user", "BB0302", "\"User\""},
        {"users", "user_model", "BB0302", "\"UserModel\""},
        {"users", "order item", "BB0302", "\"OrderItem\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[512];
        snprintf(json, sizeof(json),
                 VT_HEAD "{'table_name': '%s', 'class_name': '%s', 'columns': [\n"
                         "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}" VT_TAIL,
                 cases[i].table, cases[i].cls);
        vt t;
        vt_run(&t, json);
        const bb_diag *g = vt_find(&t, cases[i].code);
        assert_non_null(g);
        if (!strstr(g->hint, cases[i].fix))
            fail_msg("hint of %s: %s", cases[i].code, g->hint);
        vt_free(&t);
    }
}

static void column_name_must_be_an_identifier(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'first name', 'type': 'Text'}"), "BB0303", BB_ERROR,
              "/schema/0/columns/1/name", "^'first name'");
}

static void relationship_name_must_be_an_identifier(void **state)
{
    (void)state;
    vt_expect(USERS_AND_POSTS("{'name': 'my-posts', 'target_table': 'posts', 'type': "
                              "'one_to_many'}"),
              "BB0304", BB_ERROR, "/schema/0/relationships/0/name", "^'my-posts'");
}

static void python_keyword_is_rejected_with_an_alternative(void **state)
{
    (void)state;
    const char *json = ONE_TABLE(",\n  {'name': 'class', 'type': 'Text'}");
    vt_expect(json, "BB0305", BB_ERROR, "/schema/0/columns/1/name", "'name': ^'class'");
    vt t;
    vt_run(&t, json);
    assert_non_null(strstr(vt_find(&t, "BB0305")->hint, "klass"));
    vt_free(&t);
}

static void python_keyword_as_table_name_is_rejected(void **state)
{
    (void)state;
    vt_expect(VT_HEAD "{'table_name': 'import', 'class_name': 'Import', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}" VT_TAIL,
              "BB0305", BB_ERROR, "/schema/0/table_name", "^'import'");
}

static void soft_keyword_is_a_warning(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'match', 'type': 'Text'}"), "BB0306", BB_WARNING,
              "/schema/0/columns/1/name", "^'match'");
}

static void column_named_like_a_type_is_a_warning(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'date', 'type': 'Date'}"), "BB0307", BB_WARNING,
              "/schema/0/columns/1/name", "'name': ^'date'");
}

static void class_named_like_a_generated_import_is_rejected(void **state)
{
    (void)state;
    vt_expect(VT_HEAD "{'table_name': 'sessions', 'class_name': 'Session', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}" VT_TAIL,
              "BB0308", BB_ERROR, "/schema/0/class_name", "^'Session'");
}

static void sql_reserved_word_is_a_warning(void **state)
{
    (void)state;
    const char *json = VT_HEAD "{'table_name': 'user', 'class_name': 'User', 'columns': [\n"
                               "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}" VT_TAIL;
    vt_expect(json, "BB0309", BB_WARNING, "/schema/0/table_name", "^'user'");
    vt t;
    vt_run(&t, json);
    assert_int_equal(t.rc, BB_OK); /* SQLAlchemy quotes it: still valid */
    vt_free(&t);
}

static void sql_reserved_word_of_another_database_is_fine(void **state)
{
    (void)state;
    vt_expect_valid("{'project_name': 'p', 'db_type': 'mysql', 'schema': [\n"
                    "{'table_name': 'user', 'class_name': 'User', 'columns': [\n"
                    "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}]}");
    vt t;
    vt_run(&t, "{'project_name': 'p', 'db_type': 'mysql', 'schema': [\n"
               "{'table_name': 'user', 'class_name': 'User', 'columns': [\n"
               "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}]}");
    assert_null(vt_find(&t, "BB0309"));
    vt_free(&t);
}

static void orm_attribute_name_is_rejected(void **state)
{
    (void)state;
    const char *json = ONE_TABLE(",\n  {'name': 'metadata', 'type': 'JSON'}");
    vt_expect(json, "BB0310", BB_ERROR, "/schema/0/columns/1/name", "^'metadata'");
    vt t;
    vt_run(&t, json);
    assert_non_null(strstr(vt_find(&t, "BB0310")->hint, "\"meta\""));
    vt_free(&t);
}

static void pydantic_method_name_is_rejected(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'model_config', 'type': 'Text'}"), "BB0310", BB_ERROR,
              "/schema/0/columns/1/name", "^'model_config'");
}

/* Post(self=...) fails in SQLAlchemy's constructor: every POST would be a 500. */
static void self_as_a_column_is_rejected(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'self', 'type': 'Text'}"), "BB0310", BB_ERROR,
              "/schema/0/columns/1/name", "^'self'");
}

static void duplicate_table_is_rejected(void **state)
{
    (void)state;
    vt_expect(VT_HEAD VT_USERS ",\n"
                               "{'table_name': 'users', 'class_name': 'Member', 'columns': [\n"
                               "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}" VT_TAIL,
              "BB0311", BB_ERROR, "/schema/1/table_name", "^'users', 'class_name': 'Member'");
}

static void duplicate_class_is_rejected(void **state)
{
    (void)state;
    vt_expect(VT_HEAD VT_USERS ",\n"
                               "{'table_name': 'members', 'class_name': 'User', 'columns': [\n"
                               "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}" VT_TAIL,
              "BB0312", BB_ERROR, "/schema/1/class_name", "'members', 'class_name': ^'User'");
}

static void duplicate_column_is_rejected(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'email', 'type': 'Text'},\n"
                        "  {'name': 'email', 'type': 'Text', 'unique': true}"),
              "BB0313", BB_ERROR, "/schema/0/columns/2/name", "^'email', 'type': 'Text', 'unique'");
}

static void relationship_clashing_with_a_column_is_rejected(void **state)
{
    (void)state;
    vt_expect(
        VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"
                "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                "  {'name': 'posts', 'type': 'Integer'}],\n"
                " 'relationships': [{'target_table': 'posts', 'type': 'one_to_many'}]},\n"
                "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"
                "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                "  {'name': 'author_id', 'type': 'ForeignKey', 'target': 'users.id'}]}" VT_TAIL,
        "BB0314", BB_ERROR, "/schema/0/relationships/0", "'relationships': [^{'target_table'");
}

static void name_longer_than_the_database_allows_is_rejected(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': "
                        "'a_very_long_column_name_that_goes_on_and_on_past_sixty_three_chars_x', "
                        "'type': 'Text'}"),
              "BB0315", BB_ERROR, "/schema/0/columns/1/name", "^'a_very_long");
}

static void constraint_name_must_be_lower_snake_case(void **state)
{
    (void)state;
    vt_expect(VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                      "  {'name': 'email', 'type': 'Text'}],\n"
                      " 'indexes': [{'name': 'Email Index', 'columns': ['email']}]}" VT_TAIL,
              "BB0316", BB_ERROR, "/schema/0/indexes/0/name", "^'Email Index'");
}

static void constraint_name_must_be_unique_in_the_schema(void **state)
{
    (void)state;
    vt_expect(VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                      "  {'name': 'email', 'type': 'Text'}],\n"
                      " 'unique': [{'name': 'uq_email', 'columns': ['email']}],\n"
                      " 'checks': [{'name': 'uq_email', 'expression': 'id > 0'}]}" VT_TAIL,
              "BB0317", BB_ERROR, "/schema/0/checks/0/name", "'checks': [{'name': ^'uq_email'");
    /* An index may not take a table's name either. */
    vt_expect(VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true}],\n"
                      " 'indexes': [{'name': 'users', 'columns': ['id']}]}" VT_TAIL,
              "BB0317", BB_ERROR, "/schema/0/indexes/0/name", "[{'name': ^'users'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(word_lists_are_sorted_for_bsearch),
        cmocka_unit_test(reserved_words_depend_on_the_database),
        cmocka_unit_test(keywords_and_soft_keywords_are_told_apart),
        cmocka_unit_test(suggestions_offer_usable_names),
        cmocka_unit_test(table_name_must_be_lower_snake_case),
        cmocka_unit_test(class_name_must_be_cap_words),
        cmocka_unit_test(a_misshapen_name_gets_a_valid_one_in_its_hint),
        cmocka_unit_test(column_name_must_be_an_identifier),
        cmocka_unit_test(relationship_name_must_be_an_identifier),
        cmocka_unit_test(python_keyword_is_rejected_with_an_alternative),
        cmocka_unit_test(python_keyword_as_table_name_is_rejected),
        cmocka_unit_test(soft_keyword_is_a_warning),
        cmocka_unit_test(column_named_like_a_type_is_a_warning),
        cmocka_unit_test(class_named_like_a_generated_import_is_rejected),
        cmocka_unit_test(sql_reserved_word_is_a_warning),
        cmocka_unit_test(sql_reserved_word_of_another_database_is_fine),
        cmocka_unit_test(orm_attribute_name_is_rejected),
        cmocka_unit_test(pydantic_method_name_is_rejected),
        cmocka_unit_test(self_as_a_column_is_rejected),
        cmocka_unit_test(duplicate_table_is_rejected),
        cmocka_unit_test(duplicate_class_is_rejected),
        cmocka_unit_test(duplicate_column_is_rejected),
        cmocka_unit_test(relationship_clashing_with_a_column_is_rejected),
        cmocka_unit_test(name_longer_than_the_database_allows_is_rejected),
        cmocka_unit_test(constraint_name_must_be_lower_snake_case),
        cmocka_unit_test(constraint_name_must_be_unique_in_the_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
