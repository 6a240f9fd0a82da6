/* test_normalize.c - the canonical JSON of a validated schema (normalize.h). */
#include "validate_testutil.h"

#include "front/normalize.h"
#include "front/validate.h"

#include <cJSON.h>
#include <string.h>

static cJSON *normalize_text(const char *text)
{
    bb_schema *s = vt_schema_of(text);
    cJSON *n = NULL;
    assert_int_equal(bb_normalize(s, &n), BB_OK);
    bb_schema_free(s);
    return n;
}

static const cJSON *table(const cJSON *n, const char *name)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(n, "tables"))
    {
        if (strcmp(cJSON_GetObjectItem(t, "name")->valuestring, name) == 0)
            return t;
    }
    fail_msg("no table %s", name);
    return NULL;
}

static const cJSON *column(const cJSON *t, const char *name)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(t, "columns"))
    {
        if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring, name) == 0)
            return c;
    }
    fail_msg("no column %s", name);
    return NULL;
}

static const char *BLOG =
    "{\"project_name\": \"b\", \"db_type\": \"postgresql\", \"schema\": ["
    "{\"table_name\": \"posts\", \"class_name\": \"Post\", \"options\": {\"use_timestamps\": "
    "true, \"use_soft_delete\": true}, \"columns\": ["
    "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true, \"nullable\": true},"
    "{\"name\": \"author_id\", \"type\": \"ForeignKey\", \"target\": \"users.code\", "
    "\"on_delete\": \"CASCADE\"},"
    "{\"name\": \"title\", \"type\": \"String\", \"length\": 80, \"unique\": true}],"
    "\"checks\": [\"length(title) > 0\"],"
    "\"relationships\": [{\"target_table\": \"tags\", \"target_class\": \"Tag\", \"type\": "
    "\"many_to_many\", \"back_populates\": \"posts\"}]},"
    "{\"table_name\": \"users\", \"class_name\": \"User\", \"columns\": ["
    "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
    "{\"name\": \"code\", \"type\": \"String\", \"length\": 12, \"unique\": true, "
    "\"nullable\": false}]},"
    "{\"table_name\": \"tags\", \"class_name\": \"Tag\", \"columns\": ["
    "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}]}";

static void defaults_are_explicit(void **state)
{
    (void)state;
    cJSON *n = normalize_text(BLOG);
    const cJSON *title = column(table(n, "posts"), "title");
    static const char *const keys[] = {
        "name",   "type",      "length",         "precision",     "scale",    "timezone",
        "values", "enum_name", "primary_key",    "autoincrement", "nullable", "unique",
        "index",  "default",   "server_default", "foreign_key",   "comment",  "renamed_from"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_non_null(cJSON_GetObjectItemCaseSensitive(title, keys[i]));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(title, "nullable")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(title, "index")));
    assert_int_equal(cJSON_GetObjectItem(title, "length")->valueint, 80);
    cJSON_Delete(n);
}

static void primary_keys_are_not_null_and_integer_ones_autoincrement(void **state)
{
    (void)state;
    cJSON *n = normalize_text(BLOG);
    const cJSON *id = column(table(n, "posts"), "id");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(id, "nullable")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(id, "autoincrement")));
    const cJSON *pk = cJSON_GetObjectItem(table(n, "posts"), "primary_key");
    assert_string_equal(cJSON_GetObjectItem(pk, "name")->valuestring, "pk_posts");
    cJSON_Delete(n);
}

/* SQLite refuses AUTOINCREMENT in a composite key; no key column of one
 * autoincrements, integer or not. */
static void composite_keys_never_autoincrement(void **state)
{
    (void)state;
    cJSON *n = normalize_text(
        "{\"project_name\": \"Shelves\", \"db_type\": \"sqlite\", \"schema\": [{"
        "\"table_name\": \"slots\", \"class_name\": \"Slot\", \"columns\": ["
        "{\"name\": \"shelf\", \"type\": \"Integer\", \"primary_key\": true},"
        "{\"name\": \"position\", \"type\": \"Integer\", \"primary_key\": true}]}]}");
    const cJSON *t = table(n, "slots");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(column(t, "shelf"), "autoincrement")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(column(t, "position"), "autoincrement")));
    cJSON_Delete(n);
}

static void tables_come_in_build_order_then_association_tables(void **state)
{
    (void)state;
    cJSON *n = normalize_text(BLOG);
    const cJSON *tables = cJSON_GetObjectItem(n, "tables");
    assert_int_equal(cJSON_GetArraySize(tables), 4);
    const char *order[4];
    for (int i = 0; i < 4; i++)
        order[i] = cJSON_GetObjectItem(cJSON_GetArrayItem(tables, i), "name")->valuestring;
    /* users before posts (posts refers to it); posts_tags after both sides */
    int users = -1, posts = -1;
    for (int i = 0; i < 4; i++) {
        if (strcmp(order[i], "users") == 0)
            users = i;
        if (strcmp(order[i], "posts") == 0)
            posts = i;
    }
    assert_true(users >= 0 && users < posts);
    assert_string_equal(order[3], "posts_tags");
    cJSON_Delete(n);
}

static void mixin_columns_are_included(void **state)
{
    (void)state;
    cJSON *n = normalize_text(BLOG);
    const cJSON *t = table(n, "posts");
    const cJSON *created = column(t, "created_at");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(created, "timezone")));
    assert_string_equal(cJSON_GetObjectItem(created, "server_default")->valuestring,
                        "CURRENT_TIMESTAMP");
    column(t, "updated_at");
    const cJSON *del = column(t, "is_deleted");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(del, "nullable")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(del, "index")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(del, "default")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(column(t, "deleted_at"), "nullable")));
    cJSON_Delete(n);
}

static void a_foreign_key_takes_the_type_of_its_target(void **state)
{
    (void)state;
    cJSON *n = normalize_text(BLOG);
    const cJSON *fkcol = column(table(n, "posts"), "author_id");
    assert_string_equal(cJSON_GetObjectItem(fkcol, "type")->valuestring, "String");
    assert_int_equal(cJSON_GetObjectItem(fkcol, "length")->valueint, 12);
    const cJSON *fk = cJSON_GetObjectItem(fkcol, "foreign_key");
    assert_string_equal(cJSON_GetObjectItem(fk, "name")->valuestring, "fk_posts_author_id_users");
    assert_string_equal(cJSON_GetObjectItem(fk, "table")->valuestring, "users");
    assert_string_equal(cJSON_GetObjectItem(fk, "column")->valuestring, "code");
    assert_string_equal(cJSON_GetObjectItem(fk, "on_delete")->valuestring, "CASCADE");
    cJSON_Delete(n);
}

static void the_automatic_association_table_is_spelled_out(void **state)
{
    (void)state;
    cJSON *n = normalize_text(BLOG);
    const cJSON *t = table(n, "posts_tags");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(t, "association")));
    const cJSON *post_id = column(t, "post_id");
    const cJSON *tag_id = column(t, "tag_id");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(post_id, "primary_key")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(tag_id, "primary_key")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(post_id, "autoincrement")));
    const cJSON *fk = cJSON_GetObjectItem(tag_id, "foreign_key");
    assert_string_equal(cJSON_GetObjectItem(fk, "table")->valuestring, "tags");
    assert_string_equal(cJSON_GetObjectItem(fk, "on_delete")->valuestring, "CASCADE");
    cJSON_Delete(n);
}

static void table_constraints_get_convention_names(void **state)
{
    (void)state;
    cJSON *n = normalize_text(BLOG);
    const cJSON *checks = cJSON_GetObjectItem(table(n, "posts"), "checks");
    assert_int_equal(cJSON_GetArraySize(checks), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(checks, 0), "name")->valuestring,
                        "ck_posts_1");
    cJSON_Delete(n);
}

static void a_string_without_length_is_255_on_mysql_only(void **state)
{
    (void)state;
    const char *mysql = "{\"project_name\":\"p\",\"db_type\":\"mysql\",\"schema\":[{"
                        "\"table_name\":\"t\",\"class_name\":\"T\",\"columns\":[{\"name\":"
                        "\"id\",\"type\":\"Integer\",\"primary_key\":true},{\"name\":\"s\","
                        "\"type\":\"String\"}]}]}";
    cJSON *n = normalize_text(mysql);
    assert_int_equal(cJSON_GetObjectItem(column(table(n, "t"), "s"), "length")->valueint, 255);
    cJSON_Delete(n);
    const char *pg = "{\"project_name\":\"p\",\"db_type\":\"postgresql\",\"schema\":[{"
                     "\"table_name\":\"t\",\"class_name\":\"T\",\"columns\":[{\"name\":"
                     "\"id\",\"type\":\"Integer\",\"primary_key\":true},{\"name\":\"s\","
                     "\"type\":\"String\"}]}]}";
    n = normalize_text(pg);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(column(table(n, "t"), "s"), "length")));
    cJSON_Delete(n);
}

static void equal_schemas_give_equal_text(void **state)
{
    (void)state;
    /* Same schema, different spacing and key order. */
    const char *a = "{\"project_name\":\"p\",\"db_type\":\"sqlite\",\"schema\":[{\"table_name\":"
                    "\"t\",\"class_name\":\"T\",\"columns\":[{\"name\":\"id\",\"type\":"
                    "\"Integer\",\"primary_key\":true}]}]}";
    const char *b = "{ \"schema\": [ { \"columns\": [ { \"primary_key\": true, \"type\": "
                    "\"Integer\", \"name\": \"id\" } ], \"class_name\": \"T\", \"table_name\": "
                    "\"t\" } ], \"db_type\": \"sqlite\", \"project_name\": \"p\" }";
    cJSON *na = normalize_text(a), *nb = normalize_text(b);
    char *ta, *tb;
    assert_int_equal(bb_normalize_text(na, &ta), BB_OK);
    assert_int_equal(bb_normalize_text(nb, &tb), BB_OK);
    assert_string_equal(ta, tb);
    assert_true(bb_normalize_is_normalized(na));
    bb_free(ta);
    bb_free(tb);
    cJSON_Delete(na);
    cJSON_Delete(nb);
}

static void a_change_that_shapes_the_database_changes_the_text(void **state)
{
    (void)state;
    const char *a = "{\"project_name\":\"p\",\"db_type\":\"sqlite\",\"schema\":[{\"table_name\":"
                    "\"t\",\"class_name\":\"T\",\"columns\":[{\"name\":\"id\",\"type\":"
                    "\"Integer\",\"primary_key\":true},{\"name\":\"x\",\"type\":\"Text\"}]}]}";
    const char *b = "{\"project_name\":\"p\",\"db_type\":\"sqlite\",\"schema\":[{\"table_name\":"
                    "\"t\",\"class_name\":\"T\",\"columns\":[{\"name\":\"id\",\"type\":"
                    "\"Integer\",\"primary_key\":true},{\"name\":\"x\",\"type\":\"Text\","
                    "\"nullable\":false}]}]}";
    cJSON *na = normalize_text(a), *nb = normalize_text(b);
    char *ta, *tb;
    assert_int_equal(bb_normalize_text(na, &ta), BB_OK);
    assert_int_equal(bb_normalize_text(nb, &tb), BB_OK);
    assert_string_not_equal(ta, tb);
    bb_free(ta);
    bb_free(tb);
    cJSON_Delete(na);
    cJSON_Delete(nb);
}

static void every_shared_example_normalizes(void **state)
{
    (void)state;
    static const char *const files[] = {"blog_schema.json", "complex_schema.json",
                                        "ecommerce_schema.json", "simple_schema.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/%s", tu_shared_dir(),
                 files[i]);
        char *text = tu_read_file(path, NULL);
        cJSON *n = normalize_text(text);
        assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(n, "tables")) > 0);
        cJSON_Delete(n);
        free(text);
    }
}

/* The text is hashed into revision ids: it must stay cJSON's bytes. */
static void assert_prints_as_cjson(const cJSON *doc)
{
    char *want = cJSON_PrintUnformatted(doc), *got = NULL;
    assert_int_equal(bb_normalize_text(doc, &got), BB_OK);
    assert_string_equal(got, want);
    bb_free(got);
    cJSON_free(want);
}

static void the_text_is_what_cjson_prints(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"normalized\":1,\"tables\":[],\"s\":\"q\\\"b\\\\c\\/"
        "\\b\\f\\n\\r\\t\\u000b\\u001f\\u007f\"}",
        "{\"n\":[0,-0,1.5,-7,2147483647,-2147483648,4294967296,1e300,0.1,-1e-7,123456789012]}",
        "{\"u\":\"\xff\x80 caf\u00e9 \\u00e9 "
        "\\ud83d\\ude00\",\"e\":{},\"a\":[],\"k\\n\":[null,true,false]}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        cJSON *doc = cJSON_Parse(docs[i]);
        assert_non_null(doc);
        assert_prints_as_cjson(doc);
        cJSON_Delete(doc);
    }
}

static void a_normalized_schema_prints_as_cjson_prints_it(void **state)
{
    (void)state;
    cJSON *n = normalize_text(BLOG);
    assert_prints_as_cjson(n);
    cJSON_Delete(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_explicit),
        cmocka_unit_test(primary_keys_are_not_null_and_integer_ones_autoincrement),
        cmocka_unit_test(composite_keys_never_autoincrement),
        cmocka_unit_test(tables_come_in_build_order_then_association_tables),
        cmocka_unit_test(mixin_columns_are_included),
        cmocka_unit_test(a_foreign_key_takes_the_type_of_its_target),
        cmocka_unit_test(the_automatic_association_table_is_spelled_out),
        cmocka_unit_test(table_constraints_get_convention_names),
        cmocka_unit_test(a_string_without_length_is_255_on_mysql_only),
        cmocka_unit_test(equal_schemas_give_equal_text),
        cmocka_unit_test(a_change_that_shapes_the_database_changes_the_text),
        cmocka_unit_test(every_shared_example_normalizes),
        cmocka_unit_test(the_text_is_what_cjson_prints),
        cmocka_unit_test(a_normalized_schema_prints_as_cjson_prints_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
