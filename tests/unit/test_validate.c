/*
 * test_validate.c - semantic validation: foreign keys and their storage
 * types, defaults, lengths, precisions, enums, autoincrement, mixins,
 * constraints, the build order and its cycles, and allocation failures.
 * Every BB04xx code not about relationships (test_relations.c) is
 * triggered here at its JSON Pointer and line:column.
 */
#include "validate_testutil.h"

#include <stdio.h>

#define ONE_TABLE(cols)                                                                            \
    VT_HEAD "{'table_name': 'items', 'class_name': 'Item', 'columns': [\n"                         \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true}" cols "]}" VT_TAIL

#define WITH_USERS(user_cols, table)                                                               \
    VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"                         \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true}" user_cols                   \
            "]},\n" table VT_TAIL

static const bb_column *column(const bb_schema *s, const char *table, const char *name)
{
    int t = bb_schema_table_index(s, table);
    assert_true(t >= 0);
    int c = bb_table_column_index(&s->tables[t], name);
    assert_true(c >= 0);
    return &s->tables[t].columns[c];
}

/* ---- foreign keys -------------------------------------------------------- */

static void fk_to_unknown_table_is_reported_with_a_suggestion(void **state)
{
    (void)state;
    const char *json = WITH_USERS("", "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"
                                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                                      "  {'name': 'author_id', 'type': 'ForeignKey', "
                                      "'target': 'user.id'}]}");
    vt_expect(json, "BB0401", BB_ERROR, "/schema/1/columns/1/target", "^'user.id'");
    vt t;
    vt_run(&t, json);
    assert_non_null(strstr(vt_find(&t, "BB0401")->hint, "\"users\""));
    vt_free(&t);
}

static void fk_to_unknown_column_is_reported(void **state)
{
    (void)state;
    vt_expect(WITH_USERS("", "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"
                             "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                             "  {'name': 'author_id', 'type': 'ForeignKey', "
                             "'target': 'users.uid'}]}"),
              "BB0402", BB_ERROR, "/schema/1/columns/1/target", "^'users.uid'");
}

static void fk_target_must_be_unique(void **state)
{
    (void)state;
    vt_expect(WITH_USERS(",\n  {'name': 'email', 'type': 'String', 'length': 100}",
                         "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"
                         "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                         "  {'name': 'author_email', 'type': 'ForeignKey', "
                         "'target': 'users.email'}]}"),
              "BB0403", BB_ERROR, "/schema/1/columns/1/target", "^'users.email'");
}

static void fk_takes_the_storage_type_of_its_target(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, VT_HEAD
           "{'table_name': 'accounts', 'class_name': 'Account', 'columns': [\n"
           "  {'name': 'code', 'type': 'String', 'length': 12, 'primary_key': true},\n"
           "  {'name': 'uuid', 'type': 'UUID', 'unique': true},\n"
           "  {'name': 'big', 'type': 'BigInteger', 'unique': true}]},\n"
           "{'table_name': 'entries', 'class_name': 'Entry', 'columns': [\n"
           "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
           "  {'name': 'account_code', 'type': 'ForeignKey', 'target': 'accounts.code'},\n"
           "  {'name': 'account_uuid', 'type': 'ForeignKey', 'target': 'accounts.uuid'},\n"
           "  {'name': 'account_big', 'type': 'ForeignKey', 'target': 'accounts.big'}]},\n"
           "{'table_name': 'notes', 'class_name': 'Note', 'columns': [\n"
           "  {'name': 'entry_id', 'type': 'ForeignKey', 'target': 'entries.id', "
           "'primary_key': true}]},\n"
           "{'table_name': 'marks', 'class_name': 'Mark', 'columns': [\n"
           "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
           "  {'name': 'note_id', 'type': 'ForeignKey', 'target': 'notes.entry_id'}]}" VT_TAIL);
    if (t.rc != BB_OK)
        vt_dump(&t);
    assert_int_equal(t.rc, BB_OK);
    const bb_column *code = column(t.s, "entries", "account_code");
    assert_int_equal(code->declared_type, BB_TYPE_FOREIGNKEY);
    assert_int_equal(code->type, BB_TYPE_STRING);
    assert_int_equal(code->length, 12);
    assert_int_equal(column(t.s, "entries", "account_uuid")->type, BB_TYPE_UUID);
    assert_int_equal(column(t.s, "entries", "account_big")->type, BB_TYPE_BIGINTEGER);
    /* Through a chain: marks.note_id -> notes.entry_id -> entries.id. */
    assert_int_equal(column(t.s, "marks", "note_id")->type, BB_TYPE_INTEGER);
    assert_int_equal(column(t.s, "marks", "note_id")->fk_table_index,
                     bb_schema_table_index(t.s, "notes"));
    /* An FK primary key does not autoincrement. */
    assert_false(column(t.s, "notes", "entry_id")->autoincrement);
    vt_free(&t);
}

static void set_null_on_a_not_null_fk_is_reported(void **state)
{
    (void)state;
    vt_expect(WITH_USERS("", "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"
                             "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                             "  {'name': 'author_id', 'type': 'ForeignKey', 'target': "
                             "'users.id', 'nullable': false, 'on_delete': 'SET NULL'}]}"),
              "BB0431", BB_ERROR, "/schema/1/columns/1/on_delete", "^'SET NULL'");
}

/* ---- tables and columns -------------------------------------------------- */

static void table_without_primary_key_is_reported(void **state)
{
    (void)state;
    vt_expect(VT_HEAD "{'table_name': 'items', 'class_name': 'Item', 'columns': [\n"
                      "  {'name': 'name', 'type': 'Text'}]}" VT_TAIL,
              "BB0404", BB_ERROR, "/schema/0/columns", "'columns': ^[");
}

static void boolean_default_must_be_a_boolean(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'active', 'type': 'Boolean', 'default': 'yes'}"), "BB0405",
              BB_ERROR, "/schema/0/columns/1/default", "^'yes'");
}

static void integer_default_must_be_integral(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'stock', 'type': 'Integer', 'default': 1.5}"), "BB0405",
              BB_ERROR, "/schema/0/columns/1/default", "^1.5");
}

static void small_integer_default_must_fit(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'rank', 'type': 'SmallInteger', 'default': 40000}"),
              "BB0405", BB_ERROR, "/schema/0/columns/1/default", "^40000");
}

static void numeric_default_must_fit_precision(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'price', 'type': 'Numeric', 'precision': 5, 'scale': 2, "
                        "'default': 12345.5}"),
              "BB0405", BB_ERROR, "/schema/0/columns/1/default", "^12345.5");
}

static void null_default_on_not_null_column_is_reported(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'name', 'type': 'Text', 'nullable': false, 'default': "
                        "null}"),
              "BB0405", BB_ERROR, "/schema/0/columns/1/default", "'default': ^null");
}

static void datetime_defaults_are_now_or_iso(void **state)
{
    (void)state;
    vt_expect_valid(ONE_TABLE(",\n  {'name': 'a', 'type': 'DateTime', 'default': 'now'},\n"
                              "  {'name': 'b', 'type': 'DateTime', 'default': "
                              "'2024-01-31T12:00:00Z'},\n"
                              "  {'name': 'c', 'type': 'DateTime', 'default': "
                              "'2024-01-31 12:00:00.123+02:00'},\n"
                              "  {'name': 'd', 'type': 'Date', 'default': '2024-01-31'},\n"
                              "  {'name': 'e', 'type': 'Time', 'default': '08:30'},\n"
                              "  {'name': 'f', 'type': 'UUID', 'default': 'uuid4'},\n"
                              "  {'name': 'g', 'type': 'UUID', 'default': "
                              "'123e4567-e89b-12d3-a456-426614174000'},\n"
                              "  {'name': 'h', 'type': 'JSON', 'default': 3},\n"
                              "  {'name': 'i', 'type': 'Numeric', 'precision': 6, 'scale': 2, "
                              "'default': '9.99'},\n"
                              "  {'name': 'j', 'type': 'Float', 'default': 0}"));
    vt_expect(ONE_TABLE(",\n  {'name': 'at', 'type': 'DateTime', 'default': 'tomorrow'}"), "BB0405",
              BB_ERROR, "/schema/0/columns/1/default", "^'tomorrow'");
}

static void string_default_must_fit_the_length(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'code', 'type': 'String', 'length': 3, 'default': "
                        "'ABCD'}"),
              "BB0406", BB_ERROR, "/schema/0/columns/1/default", "^'ABCD'");
    /* Length counts characters, not bytes. */
    vt_expect_valid(ONE_TABLE(",\n  {'name': 'code', 'type': 'String', 'length': 3, 'default': "
                              "'\xc3\xa9\xc3\xa9\xc3\xa9'}"));
}

static void string_length_has_a_maximum(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'body', 'type': 'String', 'length': 100000}"), "BB0407",
              BB_ERROR, "/schema/0/columns/1/length", "^100000");
}

static void numeric_precision_is_bounded(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'price', 'type': 'Numeric', 'precision': 1001}"), "BB0408",
              BB_ERROR, "/schema/0/columns/1/precision", "^1001");
}

static void numeric_scale_is_at_most_precision(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'price', 'type': 'Numeric', 'precision': 4, 'scale': 6}"),
              "BB0408", BB_ERROR, "/schema/0/columns/1/scale", "^6}");
}

static void numeric_scale_zero_is_kept(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, ONE_TABLE(",\n  {'name': 'qty', 'type': 'Numeric', 'precision': 8, 'scale': 0}"));
    assert_int_equal(t.rc, BB_OK);
    assert_int_equal(column(t.s, "items", "qty")->scale, 0);
    vt_free(&t);
}

static void values_on_a_non_enum_column_are_a_warning(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'kind', 'type': 'Text', 'values': ['a', 'b']}"), "BB0409",
              BB_WARNING, "/schema/0/columns/1/values", "^['a', 'b']");
}

static void enum_values_must_be_distinct(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'status', 'type': 'Enum', 'values': ['open', 'closed', "
                        "'open']}"),
              "BB0410", BB_ERROR, "/schema/0/columns/1/values/2", "'closed', ^'open'");
}

static void enum_values_differing_in_case_collide_on_mysql(void **state)
{
    (void)state;
    vt_expect("{'project_name': 'p', 'db_type': 'mysql', 'schema': [{'table_name': 't', "
              "'class_name': 'T', 'columns': [{'name': 'id', 'type': 'Integer', 'primary_key': "
              "true},\n  {'name': 'tier', 'type': 'Enum', 'values': ['Active', 'active']}]}]}",
              "BB0410", BB_ERROR, "/schema/0/columns/1/values/1", "^'active'");
}

static void enum_values_that_share_a_python_name_are_accepted(void **state)
{
    (void)state;
    /* The architect names their members apart (IN_PROGRESS, IN_PROGRESS_2). */
    vt_expect_valid(ONE_TABLE(",\n  {'name': 'status', 'type': 'Enum', 'values': ['in progress', "
                              "'in-progress', 'Active', 'active', '--', '++']}"));
}

static void enum_values_must_be_usable_text(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'status', 'type': 'Enum', 'values': ['ok', ' padded']}"),
              "BB0411", BB_ERROR, "/schema/0/columns/1/values/1", "^' padded'");
}

/* PostgreSQL, MySQL and SQLite take quotes in labels; the output escapes them. */
static void enum_values_with_quotes_and_backslashes_are_accepted(void **state)
{
    (void)state;
    const char *json =
        "{\"project_name\": \"p\", \"db_type\": \"postgresql\", \"schema\": [{\"table_name\": "
        "\"t\", \"class_name\": \"T\", \"columns\": [{\"name\": \"id\", \"type\": \"Integer\", "
        "\"primary_key\": true}, {\"name\": \"mood\", \"type\": \"Enum\", \"values\": [\"it's "
        "fine\", \"say \\\"hi\\\"\", \"a\\\\b\"], \"default\": \"it's fine\"}]}]}";
    vt t;
    vt_run_bytes(&t, json, strlen(json));
    assert_int_equal(t.rc, BB_OK);
    assert_int_equal(t.d.n_errors, 0);
    assert_string_equal(t.s->tables[0].columns[1].enum_values[1], "say \"hi\"");
    assert_string_equal(t.s->tables[0].columns[1].enum_values[2], "a\\b");
    vt_free(&t);
}

/* SQLAlchemy writes MySQL's ENUM('...') without doubling a backslash. */
static void enum_values_with_a_backslash_are_refused_on_mysql(void **state)
{
    (void)state;
    vt_expect("{'project_name': 'p', 'db_type': 'mysql', 'schema': [{'table_name': 't', "
              "'class_name': 'T', 'columns': [{'name': 'id', 'type': 'Integer', 'primary_key': "
              "true},\n  {'name': 'tier', 'type': 'Enum', 'values': ['ok', 'a\\\\b']}]}]}",
              "BB0411", BB_ERROR, "/schema/0/columns/1/values/1", "^'a\\\\b'");
}

/* The limit is PostgreSQL's 63 bytes, and the hint says so. */
static void enum_value_length_is_counted_in_bytes(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, ONE_TABLE(",\n  {'name': 'status', 'type': 'Enum', 'values': ['ok', "
                         "'\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9']}"));
    const bb_diag *g = vt_find(&t, "BB0411");
    assert_non_null(g); /* 32 characters, 64 bytes */
    assert_non_null(strstr(g->hint, "63 bytes"));
    vt_free(&t);
}

/* An Enum without values says so once: its default is not also "not a value". */
static void enum_without_values_is_one_error(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, ONE_TABLE(",\n  {'name': 'status', 'type': 'Enum', 'default': 'draft'}"));
    assert_int_equal(vt_count(&t, "BB0204"), 1);
    assert_int_equal(vt_count(&t, "BB0412"), 0);
    vt_free(&t);
}

/* A String without a length has none, except on MySQL, which needs one:
 * 255 there, everywhere the length is used (models, API, migrations). */
static void a_string_without_length_is_255_long_only_on_mysql(void **state)
{
    (void)state;
    static const char *const dbs[] = {"postgresql", "sqlite", "mssql", "mysql"};
    for (size_t i = 0; i < 4; i++) {
        char json[512];
        snprintf(json, sizeof(json),
                 "{'project_name': 'p', 'db_type': '%s', 'schema': [{'table_name': 't', "
                 "'class_name': 'T', 'columns': [{'name': 'id', 'type': 'Integer', "
                 "'primary_key': true}, {'name': 'label', 'type': 'String'}, {'name': 'code', "
                 "'type': 'String', 'length': 8}]}]}",
                 dbs[i]);
        vt t;
        vt_run(&t, json);
        assert_int_equal(t.rc, BB_OK);
        assert_int_equal(t.s->tables[0].columns[1].length, i == 3 ? 255 : 0);
        assert_int_equal(t.s->tables[0].columns[2].length, 8);
        vt_free(&t);
    }
}

static void enum_default_must_be_a_value(void **state)
{
    (void)state;
    const char *json = ONE_TABLE(",\n  {'name': 'status', 'type': 'Enum', 'values': ['draft', "
                                 "'published'], 'default': 'drafted'}");
    vt_expect(json, "BB0412", BB_ERROR, "/schema/0/columns/1/default", "^'drafted'");
    vt t;
    vt_run(&t, json);
    assert_non_null(strstr(vt_find(&t, "BB0412")->hint, "\"draft\""));
    vt_free(&t);
}

static void autoincrement_only_on_an_integer_primary_key(void **state)
{
    (void)state;
    vt_expect(ONE_TABLE(",\n  {'name': 'code', 'type': 'String', 'autoincrement': true}"), "BB0413",
              BB_ERROR, "/schema/0/columns/1/autoincrement", "'autoincrement': ^true");
}

static void integer_primary_key_autoincrements_by_default(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, ONE_TABLE(""));
    assert_int_equal(t.rc, BB_OK);
    assert_true(column(t.s, "items", "id")->autoincrement);
    vt_free(&t);
}

static void mixin_column_clash_is_reported_not_dropped(void **state)
{
    (void)state;
    const char *json = VT_HEAD "{'table_name': 'items', 'class_name': 'Item',\n"
                               " 'options': {'use_timestamps': true},\n"
                               " 'columns': [\n"
                               "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                               "  {'name': 'created_at', 'type': 'Date'}]}" VT_TAIL;
    vt_expect(json, "BB0427", BB_ERROR, "/schema/0/columns/1/name", "^'created_at'");
    vt t;
    vt_run(&t, json);
    assert_null(vt_find(&t, "BB0313")); /* one report, not two */
    assert_int_equal(column(t.s, "items", "created_at")->type, BB_TYPE_DATE); /* kept */
    vt_free(&t);
}

static void constraint_columns_must_exist(void **state)
{
    (void)state;
    vt_expect(VT_HEAD "{'table_name': 'items', 'class_name': 'Item', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                      "  {'name': 'sku', 'type': 'Text'}],\n"
                      " 'unique': [['sku', 'skew']]}" VT_TAIL,
              "BB0430", BB_ERROR, "/schema/0/unique/0/1", "'sku', ^'skew'");
    vt_expect(VT_HEAD "{'table_name': 'items', 'class_name': 'Item', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true}],\n"
                      " 'indexes': [{'name': 'ix_x', 'columns': ['nope']}]}" VT_TAIL,
              "BB0430", BB_ERROR, "/schema/0/indexes/0/columns/0", "^'nope'");
}

/* ---- build order --------------------------------------------------------- */

static void build_order_puts_dependencies_first_and_keeps_input_order(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, VT_HEAD "{'table_name': 'comments', 'class_name': 'Comment', 'columns': [\n"
                       "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                       "  {'name': 'post_id', 'type': 'ForeignKey', 'target': 'posts.id'}]},\n"
                       "{'table_name': 'tags', 'class_name': 'Tag', 'columns': [\n"
                       "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]},\n"
                       "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"
                       "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                       "  {'name': 'author_id', 'type': 'ForeignKey', 'target': 'users.id'}]},\n"
                       "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"
                       "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}" VT_TAIL);
    assert_int_equal(t.rc, BB_OK);
    const char *expect[] = {"tags", "users", "posts", "comments"};
    assert_int_equal(t.s->n_build_order, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(t.s->tables[t.s->build_order[i]].table_name, expect[i]);
    vt_free(&t);
}

#define ORGS_CYCLE(org_nullable)                                                                   \
    VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"                         \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"                          \
            "  {'name': 'org_id', 'type': 'ForeignKey', 'target': 'orgs.id', 'nullable': "         \
            "false}]},\n"                                                                          \
            "{'table_name': 'orgs', 'class_name': 'Org', 'columns': [\n"                           \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"                          \
            "  {'name': 'owner_id', 'type': 'ForeignKey', 'target': 'users.id', "                  \
            "'nullable': " org_nullable "}]}" VT_TAIL

static void cycle_through_a_nullable_fk_uses_alter(void **state)
{
    (void)state;
    const char *json = ORGS_CYCLE("true");
    vt_expect(json, "BB0428", BB_NOTE, "/schema/1/columns/1/target", "'target': ^'users.id'");
    vt t;
    vt_run(&t, json);
    assert_int_equal(t.rc, BB_OK);
    /* Nothing to do about it: a note, which --strict does not count. */
    assert_int_equal(t.d.n_warnings, 0);
    assert_true(column(t.s, "orgs", "owner_id")->use_alter);
    assert_false(column(t.s, "users", "org_id")->use_alter);
    assert_non_null(
        strstr(vt_find(&t, "BB0428")->message, "orgs.owner_id -> users.org_id -> orgs"));
    assert_string_equal(t.s->tables[t.s->build_order[0]].table_name, "orgs");
    vt_free(&t);
}

static void cycle_of_not_null_fks_reports_its_path(void **state)
{
    (void)state;
    const char *json = ORGS_CYCLE("false");
    vt_expect(json, "BB0429", BB_ERROR, "/schema/0/columns/1/target", "'target': ^'orgs.id'");
    vt t;
    vt_run(&t, json);
    assert_non_null(
        strstr(vt_find(&t, "BB0429")->message, "users.org_id -> orgs.owner_id -> users"));
    assert_int_equal(t.s->n_build_order, 2); /* still complete */
    vt_free(&t);
}

static void longer_cycle_is_broken_once(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, VT_HEAD
           "{'table_name': 'a', 'class_name': 'A', 'columns': [{'name': 'id', 'type': "
           "'Integer', 'primary_key': true}, {'name': 'b_id', 'type': 'ForeignKey', 'target': "
           "'b.id', 'nullable': false}]},\n"
           "{'table_name': 'b', 'class_name': 'B', 'columns': [{'name': 'id', 'type': "
           "'Integer', 'primary_key': true}, {'name': 'c_id', 'type': 'ForeignKey', 'target': "
           "'c.id'}]},\n"
           "{'table_name': 'c', 'class_name': 'C', 'columns': [{'name': 'id', 'type': "
           "'Integer', 'primary_key': true}, {'name': 'a_id', 'type': 'ForeignKey', 'target': "
           "'a.id', 'nullable': false}]}" VT_TAIL);
    assert_int_equal(t.rc, BB_OK);
    assert_int_equal(vt_count(&t, "BB0428"), 1);
    assert_true(column(t.s, "b", "c_id")->use_alter);
    assert_false(column(t.s, "a", "b_id")->use_alter);
    assert_false(column(t.s, "c", "a_id")->use_alter);
    const char *expect[] = {"b", "a", "c"};
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(t.s->tables[t.s->build_order[i]].table_name, expect[i]);
    vt_free(&t);
}

/* ---- robustness ---------------------------------------------------------- */

static char *read_complex(size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/complex_schema.json",
             tu_shared_dir());
    return tu_read_file(path, len);
}

static void validation_survives_every_allocation_failure(void **state)
{
    (void)state;
    size_t len;
    char *bytes = read_complex(&len);
    int ok_at = -1;
    for (long n = 0; n < 5000 && ok_at < 0; n++) {
        bb_diags d;
        bb_diags_init(&d, "x.json", bytes, len);
        bb_schema *s = NULL;
        int rc = bb_schema_load("x.json", bytes, len, NULL, &d, &s);
        if (rc == BB_OK) {
            bb_alloc_fail_after(n);
            rc = bb_validate(s, &d);
            bb_alloc_fail_after(-1);
            assert_true(rc == BB_OK || rc == BB_ENOMEM);
            if (rc == BB_OK)
                ok_at = (int)n;
        }
        bb_schema_free(s);
        bb_diags_free(&d);
    }
    assert_true(ok_at >= 0);
    free(bytes);
}

static void validating_twice_gives_the_same_schema(void **state)
{
    (void)state;
    vt t;
    /* One side only: validation adds Post.author; a second run must not add
     * it again. */
    vt_run(&t, WITH_USERS("", "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"
                              "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                              "  {'name': 'author_id', 'type': 'ForeignKey', "
                              "'target': 'users.id'}],\n"
                              " 'relationships': [{'target_table': 'users', 'type': "
                              "'many_to_one', 'back_populates': 'posts'}]}"));
    assert_int_equal(t.rc, BB_OK);
    assert_int_equal(t.s->tables[0].n_rels, 1);
    assert_int_equal(bb_validate(t.s, &t.d), BB_OK);
    assert_int_equal(t.s->tables[0].n_rels, 1);
    assert_string_equal(t.s->tables[0].rels[0].attr_name, "posts");
    assert_int_equal(t.s->n_build_order, 2);
    vt_free(&t);
}

static void validate_refuses_null_arguments(void **state)
{
    (void)state;
    assert_int_equal(bb_validate(NULL, NULL), BB_EUSAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fk_to_unknown_table_is_reported_with_a_suggestion),
        cmocka_unit_test(fk_to_unknown_column_is_reported),
        cmocka_unit_test(fk_target_must_be_unique),
        cmocka_unit_test(fk_takes_the_storage_type_of_its_target),
        cmocka_unit_test(set_null_on_a_not_null_fk_is_reported),
        cmocka_unit_test(table_without_primary_key_is_reported),
        cmocka_unit_test(boolean_default_must_be_a_boolean),
        cmocka_unit_test(integer_default_must_be_integral),
        cmocka_unit_test(small_integer_default_must_fit),
        cmocka_unit_test(numeric_default_must_fit_precision),
        cmocka_unit_test(null_default_on_not_null_column_is_reported),
        cmocka_unit_test(datetime_defaults_are_now_or_iso),
        cmocka_unit_test(string_default_must_fit_the_length),
        cmocka_unit_test(string_length_has_a_maximum),
        cmocka_unit_test(numeric_precision_is_bounded),
        cmocka_unit_test(numeric_scale_is_at_most_precision),
        cmocka_unit_test(numeric_scale_zero_is_kept),
        cmocka_unit_test(values_on_a_non_enum_column_are_a_warning),
        cmocka_unit_test(enum_values_must_be_distinct),
        cmocka_unit_test(enum_values_differing_in_case_collide_on_mysql),
        cmocka_unit_test(enum_values_that_share_a_python_name_are_accepted),
        cmocka_unit_test(enum_values_must_be_usable_text),
        cmocka_unit_test(enum_values_with_quotes_and_backslashes_are_accepted),
        cmocka_unit_test(enum_values_with_a_backslash_are_refused_on_mysql),
        cmocka_unit_test(enum_value_length_is_counted_in_bytes),
        cmocka_unit_test(enum_without_values_is_one_error),
        cmocka_unit_test(a_string_without_length_is_255_long_only_on_mysql),
        cmocka_unit_test(enum_default_must_be_a_value),
        cmocka_unit_test(autoincrement_only_on_an_integer_primary_key),
        cmocka_unit_test(integer_primary_key_autoincrements_by_default),
        cmocka_unit_test(mixin_column_clash_is_reported_not_dropped),
        cmocka_unit_test(constraint_columns_must_exist),
        cmocka_unit_test(build_order_puts_dependencies_first_and_keeps_input_order),
        cmocka_unit_test(cycle_through_a_nullable_fk_uses_alter),
        cmocka_unit_test(cycle_of_not_null_fks_reports_its_path),
        cmocka_unit_test(longer_cycle_is_broken_once),
        cmocka_unit_test(validation_survives_every_allocation_failure),
        cmocka_unit_test(validating_twice_gives_the_same_schema),
        cmocka_unit_test(validate_refuses_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
