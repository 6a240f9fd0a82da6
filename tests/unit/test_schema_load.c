/*
 * test_schema_load.c - the schema loader: what it reads from a document, and
 * every BB01xx/BB02xx/BB06xx diagnostic with its code, JSON Pointer and
 * line:column.
 *
 * Documents are written with single quotes for readability; q() turns them
 * into double quotes before loading.
 */
#include "testutil.h"

#include "diag/diag.h"
#include "front/schema.h"

#include <cJSON.h>
#include <string.h>

typedef struct fixture {
    char *text;
    bb_diags d;
    bb_schema *s;
    int rc;
} fixture;

static fixture F;

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof(F));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bb_schema_free(F.s);
    bb_diags_free(&F.d);
    free(F.text);
    memset(&F, 0, sizeof(F));
    return 0;
}

/* Loads text (single quotes become double quotes) with the given limits. */
static int load_raw_limits(const char *text, size_t len, const bb_limits *lim)
{
    F.text = malloc(len + 1);
    assert_non_null(F.text);
    memcpy(F.text, text, len);
    F.text[len] = '\0';
    bb_diags_init(&F.d, "t.json", F.text, len);
    F.rc = bb_schema_load("t.json", F.text, len, lim, &F.d, &F.s);
    return F.rc;
}

static int load_limits(const char *text, const bb_limits *lim)
{
    size_t len = strlen(text);
    char *t = malloc(len + 1);
    assert_non_null(t);
    for (size_t i = 0; i <= len; i++)
        t[i] = text[i] == '\'' ? '"' : text[i];
    int rc = load_raw_limits(t, len, lim);
    free(t);
    return rc;
}

static int load(const char *text)
{
    return load_limits(text, NULL);
}

/* A document with one table "t" whose columns are cols (from line 3 on). */
#define DOC(cols)                                                                                  \
    "{'project_name': 'p', 'db_type': 'sqlite',\n"                                                 \
    " 'schema': [{'table_name': 't', 'class_name': 'T', 'columns': [\n" cols "\n]}]}"

/* Asserts a diagnostic with this code exists, at pointer and line:col. */
static void expect_diag(const char *code, const char *pointer, int line, int col)
{
    for (size_t i = 0; i < F.d.n; i++) {
        bb_diag *g = &F.d.items[i];
        int l, c;
        bb_diags_position(&F.d, g->offset, &l, &c);
        if (strcmp(g->code, code) == 0 && strcmp(g->pointer, pointer) == 0 && l == line && c == col)
            return;
    }
    for (size_t i = 0; i < F.d.n; i++) {
        bb_diag *g = &F.d.items[i];
        int l, c;
        bb_diags_position(&F.d, g->offset, &l, &c);
        print_error("  have %s %s %d:%d: %s\n", g->code, g->pointer, l, c, g->message);
    }
    fail_msg("no %s at %s %d:%d", code, pointer, line, col);
}

static const bb_diag *find_diag(const char *code)
{
    for (size_t i = 0; i < F.d.n; i++)
        if (strcmp(F.d.items[i].code, code) == 0)
            return &F.d.items[i];
    return NULL;
}

/* ---- what the loader reads ----------------------------------------------- */

static void loads_every_shipped_example_without_a_diagnostic(void **state)
{
    (void)state;
    const char *names[] = {
        "examples/blog_schema.json",         "examples/complex_schema.json",
        "examples/ecommerce_schema.json",    "examples/simple_schema.json",
        "fixtures/valid_simple_schema.json", "fixtures/valid_schema_with_relationships.json"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/compat/backbone-ai/%s", tu_shared_dir(), names[i]);
        size_t len;
        char *text = tu_read_file(path, &len);
        assert_int_equal(load_raw_limits(text, len, NULL), BB_OK);
        free(text);
        if (F.d.n)
            print_error("%s: %s %s\n", names[i], F.d.items[0].code, F.d.items[0].message);
        assert_int_equal(F.d.n, 0);
        assert_true(F.s->n_tables > 0);
        teardown(NULL);
    }
}

static void reads_the_document_and_table_keys(void **state)
{
    (void)state;
    assert_int_equal(load("{'$schema': 'x', 'project_name': 'Shop', 'db_type': 'mysql',\n"
                          " 'description': 'a shop', 'schema': [{'table_name': 'users',\n"
                          " 'class_name': 'User', 'description': 'people', 'comment': 'c',\n"
                          " 'renamed_from': 'members', 'columns': [{'name': 'id', 'type': "
                          "'Integer', 'primary_key': true}]}]}"),
                     BB_OK);
    assert_int_equal(F.d.n, 0);
    assert_string_equal(F.s->project_name, "Shop");
    assert_int_equal(F.s->db_type, BB_DB_MYSQL);
    assert_string_equal(F.s->description, "a shop");
    bb_table *t = &F.s->tables[0];
    assert_string_equal(t->table_name, "users");
    assert_string_equal(t->class_name, "User");
    assert_string_equal(t->comment, "c");
    assert_string_equal(t->renamed_from, "members");
    assert_string_equal(t->pointer, "/schema/0");
    int line, col;
    bb_diags_position(&F.d, t->offset, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 38);
}

static void a_primary_key_is_not_null_and_integer_keys_autoincrement(void **state)
{
    (void)state;
    assert_int_equal(load(DOC("{'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                              "{'name': 'code', 'type': 'String', 'length': 8}")),
                     BB_OK);
    bb_column *id = &F.s->tables[0].columns[0];
    assert_false(id->nullable);
    assert_true(id->autoincrement);
    assert_false(id->autoincrement_given);
    bb_column *code = &F.s->tables[0].columns[1];
    assert_true(code->nullable);
    assert_false(code->autoincrement);
    assert_int_equal(code->length, 8);
    assert_int_equal(code->type, BB_TYPE_STRING);
}

static void scale_zero_is_kept_and_absent_is_minus_one(void **state)
{
    (void)state;
    assert_int_equal(load(DOC("{'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                              "{'name': 'a', 'type': 'Numeric', 'precision': 10, 'scale': 0},\n"
                              "{'name': 'b', 'type': 'Numeric'}")),
                     BB_OK);
    assert_int_equal(F.s->tables[0].columns[1].precision, 10);
    assert_int_equal(F.s->tables[0].columns[1].scale, 0);
    assert_int_equal(F.s->tables[0].columns[2].precision, -1);
    assert_int_equal(F.s->tables[0].columns[2].scale, -1);
}

static void reads_extension_column_keys_and_types(void **state)
{
    (void)state;
    assert_int_equal(
        load(DOC("{'name': 'id', 'type': 'UUID', 'primary_key': true},\n"
                 "{'name': 'n', 'type': 'BigInteger', 'server_default': 0, 'comment': 'c',"
                 " 'renamed_from': 'm'},\n"
                 "{'name': 'at', 'type': 'DateTime', 'server_default': 'CURRENT_TIMESTAMP'},\n"
                 "{'name': 'j', 'type': 'JSON'}, {'name': 'b', 'type': 'LargeBinary'},\n"
                 "{'name': 'i', 'type': 'Interval'}, {'name': 's', 'type': 'SmallInteger'}")),
        BB_OK);
    assert_int_equal(F.d.n, 0);
    bb_column *c = F.s->tables[0].columns;
    assert_int_equal(c[0].type, BB_TYPE_UUID);
    assert_false(c[0].autoincrement);
    assert_int_equal(c[1].type, BB_TYPE_BIGINTEGER);
    assert_string_equal(c[1].server_default, "0");
    assert_true(c[1].server_default_literal);
    assert_string_equal(c[1].comment, "c");
    assert_string_equal(c[1].renamed_from, "m");
    assert_string_equal(c[2].server_default, "CURRENT_TIMESTAMP");
    assert_false(c[2].server_default_literal);
    assert_int_equal(c[3].type, BB_TYPE_JSON);
    assert_int_equal(c[4].type, BB_TYPE_LARGEBINARY);
    assert_int_equal(c[5].type, BB_TYPE_INTERVAL);
    assert_int_equal(c[6].type, BB_TYPE_SMALLINTEGER);
}

static void splits_a_foreign_key_target_and_leaves_its_type_to_the_validator(void **state)
{
    (void)state;
    assert_int_equal(load(DOC("{'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                              "{'name': 'parent_id', 'type': 'ForeignKey', 'target': 't.id',"
                              " 'on_delete': 'SET NULL'}")),
                     BB_OK);
    bb_column *fk = &F.s->tables[0].columns[1];
    assert_int_equal(fk->declared_type, BB_TYPE_FOREIGNKEY);
    assert_int_equal(fk->type, BB_TYPE_UNKNOWN);
    assert_string_equal(fk->fk_table, "t");
    assert_string_equal(fk->fk_column, "id");
    assert_int_equal(fk->on_delete, BB_ON_DELETE_SET_NULL);
    assert_int_equal(fk->fk_table_index, -1);
}

static void reads_defaults_with_their_kind_and_text(void **state)
{
    (void)state;
    assert_int_equal(load(DOC("{'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                              "{'name': 'a', 'type': 'Integer', 'default': -7},\n"
                              "{'name': 'b', 'type': 'Float', 'default': 1.50},\n"
                              "{'name': 'c', 'type': 'String', 'default': 'hi there'},\n"
                              "{'name': 'd', 'type': 'Boolean', 'default': false},\n"
                              "{'name': 'e', 'type': 'Text', 'default': null}")),
                     BB_OK);
    bb_column *c = F.s->tables[0].columns;
    assert_int_equal(c[0].default_value.kind, BB_VALUE_ABSENT);
    assert_int_equal(c[1].default_value.kind, BB_VALUE_INT);
    assert_int_equal(c[1].default_value.i, -7);
    assert_int_equal(c[2].default_value.kind, BB_VALUE_NUMBER);
    assert_string_equal(c[2].default_value.text, "1.50");
    assert_int_equal(c[3].default_value.kind, BB_VALUE_STRING);
    assert_string_equal(c[3].default_value.s, "hi there");
    assert_int_equal(c[4].default_value.kind, BB_VALUE_BOOL);
    assert_false(c[4].default_value.b);
    assert_int_equal(c[5].default_value.kind, BB_VALUE_NULL);
}

static void mixins_append_their_columns_after_the_users(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p', 'db_type': 'sqlite', 'schema': [{\n"
                          "'table_name': 't', 'class_name': 'T',\n"
                          "'options': {'use_timestamps': true, 'use_soft_delete': true},\n"
                          "'columns': [{'name': 'id', 'type': 'Integer', 'primary_key': true}]"
                          "}]}"),
                     BB_OK);
    bb_table *t = &F.s->tables[0];
    assert_int_equal(t->n_user_columns, 1);
    assert_int_equal(t->n_columns, 5);
    const char *names[] = {"created_at", "updated_at", "is_deleted", "deleted_at"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(t->columns[1 + i].name, names[i]);
        assert_true(t->columns[1 + i].from_mixin);
    }
    assert_int_equal(t->columns[1].type, BB_TYPE_DATETIME);
    assert_true(t->columns[1].timezone);
    assert_non_null(t->columns[1].server_default);
    assert_true(t->columns[2].on_update_now);
    assert_int_equal(t->columns[3].type, BB_TYPE_BOOLEAN);
    assert_false(t->columns[3].nullable);
    assert_true(t->columns[3].index);
    assert_int_equal(t->columns[3].default_value.kind, BB_VALUE_BOOL);
    assert_true(t->columns[4].nullable);
    assert_string_equal(t->columns[3].pointer, "/schema/0/options/use_soft_delete");
}

static void a_user_column_named_like_a_mixin_column_is_kept(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p', 'db_type': 'sqlite', 'schema': [{\n"
                          "'table_name': 't', 'class_name': 'T', 'options': {'use_timestamps':"
                          " true}, 'columns': [{'name': 'id', 'type': 'Integer', 'primary_key':"
                          " true}, {'name': 'created_at', 'type': 'Date'}]}]}"),
                     BB_OK);
    bb_table *t = &F.s->tables[0];
    assert_int_equal(t->n_user_columns, 2);
    assert_string_equal(t->columns[1].name, "created_at");
    assert_false(t->columns[1].from_mixin);
    assert_string_equal(t->columns[2].name, "created_at");
    assert_true(t->columns[2].from_mixin);
}

static void reads_relationships_as_declared(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p', 'db_type': 'sqlite', 'schema': [{\n"
                          "'table_name': 'posts', 'class_name': 'Post', 'columns': [{'name': "
                          "'id', 'type': 'Integer', 'primary_key': true}], 'relationships': [\n"
                          "{'target_table': 'tags', 'target_class': 'Tag', 'type': "
                          "'many_to_many', 'back_populates': 'posts', 'through': 'post_tags',"
                          " 'name': 'labels', 'cascade': 'all', 'description': 'd'},\n"
                          "{'target_table': 'users', 'type': 'one_to_one', 'foreign_key': "
                          "'owner_id'}]}]}"),
                     BB_OK);
    assert_int_equal(F.d.n, 0);
    bb_table *t = &F.s->tables[0];
    assert_int_equal(t->n_rels, 2);
    assert_int_equal(t->n_declared_rels, 2);
    bb_relationship *r = &t->rels[0];
    assert_int_equal(r->kind, BB_REL_MANY_TO_MANY);
    assert_true(r->kind_known);
    assert_string_equal(r->target_table, "tags");
    assert_string_equal(r->target_class, "Tag");
    assert_string_equal(r->back_populates, "posts");
    assert_string_equal(r->through, "post_tags");
    assert_string_equal(r->name, "labels");
    assert_string_equal(r->cascade, "all");
    assert_int_equal(r->target_index, -1);
    assert_int_equal(r->counterpart, -1);
    assert_string_equal(r->pointer, "/schema/0/relationships/0");
    assert_int_equal(t->rels[1].kind, BB_REL_ONE_TO_ONE);
    assert_string_equal(t->rels[1].foreign_key, "owner_id");
    assert_null(t->rels[1].target_class);
}

static void reads_unique_index_and_check_constraints(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p', 'db_type': 'sqlite', 'schema': [{\n"
                          "'table_name': 't', 'class_name': 'T', 'columns': [{'name': 'id', "
                          "'type': 'Integer', 'primary_key': true}],\n"
                          "'unique': [['a', 'b'], {'name': 'uq_x', 'columns': ['c']}],\n"
                          "'indexes': [['a'], {'columns': ['b', 'c'], 'unique': true}],\n"
                          "'checks': ['a > 0', {'name': 'ck', 'expression': 'b < c'}]}]}"),
                     BB_OK);
    assert_int_equal(F.d.n, 0);
    bb_table *t = &F.s->tables[0];
    assert_int_equal(t->n_uniques, 2);
    assert_int_equal(t->uniques[0].n_columns, 2);
    assert_string_equal(t->uniques[0].columns[1], "b");
    assert_null(t->uniques[0].name);
    assert_string_equal(t->uniques[1].name, "uq_x");
    assert_int_equal(t->n_indexes, 2);
    assert_false(t->indexes[0].unique);
    assert_true(t->indexes[1].unique);
    assert_int_equal(t->indexes[1].n_columns, 2);
    assert_int_equal(t->n_checks, 2);
    assert_string_equal(t->checks[0].expression, "a > 0");
    assert_string_equal(t->checks[1].name, "ck");
    assert_string_equal(t->checks[1].expression, "b < c");
}

static void missing_required_strings_are_empty_not_null(void **state)
{
    (void)state;
    assert_int_equal(load("{'schema': [{'columns': [{}], 'relationships': [{}]}]}"), BB_OK);
    assert_string_equal(F.s->project_name, "");
    assert_string_equal(F.s->db_type_name, "");
    bb_table *t = &F.s->tables[0];
    assert_string_equal(t->table_name, "");
    assert_string_equal(t->class_name, "");
    assert_string_equal(t->columns[0].name, "");
    assert_string_equal(t->columns[0].type_name, "");
    assert_string_equal(t->rels[0].target_table, "");
    assert_false(t->rels[0].kind_known);
}

static void a_byte_order_mark_is_accepted(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBF{\"project_name\": \"p\", \"db_type\": \"sqlite\", "
                       "\"schema\": [{\"table_name\": \"t\", \"class_name\": \"T\", \"columns\":"
                       " [{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}]}]}";
    assert_int_equal(load_raw_limits(text, strlen(text), NULL), BB_OK);
    assert_int_equal(F.d.n, 0);
    int line, col;
    bb_diags_position(&F.d, F.s->tables[0].offset, &line, &col);
    assert_int_equal(line, 1);
}

static void from_json_loads_a_parsed_tree_without_offsets(void **state)
{
    (void)state;
    cJSON *root = cJSON_Parse("{\"project_name\": \"p\", \"db_type\": \"sqlite\", \"schema\": "
                              "[{\"table_name\": \"t\", \"class_name\": \"T\", \"columns\": "
                              "[{\"name\": \"id\", \"type\": \"Strin\"}]}]}");
    assert_non_null(root);
    bb_diags_init(&F.d, "<input>", NULL, 0);
    assert_int_equal(bb_schema_from_json(root, NULL, &F.d, &F.s), BB_OK);
    cJSON_Delete(root);
    assert_string_equal(F.s->tables[0].table_name, "t");
    const bb_diag *g = find_diag("BB0203");
    assert_non_null(g);
    assert_string_equal(g->pointer, "/schema/0/columns/0/type");
    assert_int_equal(g->offset, BB_NO_OFFSET);
}

static void survives_every_allocation_failure(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/compat/backbone-ai/examples/complex_schema.json",
             tu_shared_dir());
    size_t len;
    char *text = tu_read_file(path, &len);
    for (long n = 0;; n++) {
        bb_diags d;
        bb_schema *s = NULL;
        bb_diags_init(&d, "c.json", text, len);
        bb_alloc_fail_after(n);
        int rc = bb_schema_load("c.json", text, len, NULL, &d, &s);
        bb_alloc_fail_after(-1);
        assert_true(rc == BB_OK || rc == BB_ENOMEM);
        assert_true((rc == BB_OK) == (s != NULL));
        bb_schema_free(s);
        bb_diags_free(&d);
        if (rc == BB_OK)
            break;
        assert_true(n < 100000);
    }
    free(text);
}

static void every_shape_and_limit_diagnostic_has_a_hint(void **state)
{
    (void)state;
    bb_limits lim = bb_limits_default();
    lim.max_string_chars = 3;
    assert_int_equal(
        load_limits("{'project_name': 5, 'db_type': 'postgres', 'x': 1, 'schema': [{\n"
                    "'table_name': 'tbl', 'options': [], 'checks': [5, {}],\n"
                    "'unique': [3, {'columns': []}], 'indexes': [{'columns': 'a'}],\n"
                    "'columns': [{'name': 'id', 'type': 'Strin', 'length': -1, 'nullable': 'no',\n"
                    "  'primary_key': true, 'scale': 0.5, 'server_default': [], 'default': {}},\n"
                    "  {'type': 'Enum', 'values': []}, {'name': 'f', 'type': 'ForeignKey',\n"
                    "  'target': 'nodot'}, {'name': 'g', 'type': 'ForeignKey'}, 7],\n"
                    "'relationships': [{'type': 'one_to_mny'}, 'x']}, []]}",
                    &lim),
        BB_OK);
    assert_true(F.d.n >= 20);
    for (size_t i = 0; i < F.d.n; i++) {
        if (!F.d.items[i].hint)
            fail_msg("%s at %s has no hint: %s", F.d.items[i].code, F.d.items[i].pointer,
                     F.d.items[i].message);
    }
}

/* ---- BB01xx: bytes and syntax -------------------------------------------- */

static void bb0101_trailing_comma_is_a_syntax_error_with_a_hint(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p',\n  'db_type': 'sqlite',\n}"), BB_EINVAL);
    assert_null(F.s);
    expect_diag("BB0101", "", 3, 1);
    assert_non_null(strstr(find_diag("BB0101")->hint, "trailing comma"));
}

static void bb0101_missing_comma_points_at_the_next_key(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p'\n  'db_type': 'sqlite'}"), BB_EINVAL);
    expect_diag("BB0101", "", 2, 3);
    assert_non_null(strstr(find_diag("BB0101")->hint, "comma is missing"));
}

static void bb0101_hints_at_unquoted_keys_single_quotes_and_comments(void **state)
{
    (void)state;
    const char *raw[] = {"{project_name: 1}", "{'a': 1}", "{\"a\": 1 // note\n}",
                         "{\"a\": 1 /* note */}"};
    const char *hint[] = {"double quotes", "double quotes", "comments", "comments"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(load_raw_limits(raw[i], strlen(raw[i]), NULL), BB_EINVAL);
        const bb_diag *g = find_diag("BB0101");
        assert_non_null(g);
        assert_non_null(g->hint);
        assert_non_null(strstr(g->hint, hint[i]));
        teardown(NULL);
    }
}

static void bb0101_truncated_input_names_the_unclosed_bracket(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p',\n 'schema': [\n  {'a': 1}"), BB_EINVAL);
    expect_diag("BB0101", "", 3, 10);
    assert_non_null(strstr(find_diag("BB0101")->hint, "line 2, column 12"));
}

static void bb0102_nul_byte_is_reported_at_its_position(void **state)
{
    (void)state;
    const char text[] = "{\"a\":\n  \"x\0y\"}";
    assert_int_equal(load_raw_limits(text, sizeof(text) - 1, NULL), BB_EINVAL);
    expect_diag("BB0102", "", 2, 5);
}

static void bb0103_invalid_utf8_is_reported_at_the_bad_byte(void **state)
{
    (void)state;
    const char *text = "{\"project_name\": \"caf\xC3\xA9\",\n \"db_type\": \"x\xC3\x28\"}";
    assert_int_equal(load_raw_limits(text, strlen(text), NULL), BB_EINVAL);
    expect_diag("BB0103", "", 2, 15);
}

static void bb0103_overlong_and_surrogate_encodings_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {"[\"\xC0\xAF\"]", "[\"\xED\xA0\x80\"]", "[\"\xF4\x90\x80\x80\"]",
                         "[\"\xE2\x82\"]"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(load_raw_limits(bad[i], strlen(bad[i]), NULL), BB_EINVAL);
        expect_diag("BB0103", "", 1, 3);
        teardown(NULL);
    }
}

static void bb0104_empty_input_is_reported(void **state)
{
    (void)state;
    assert_int_equal(load_raw_limits(" \n\t", 3, NULL), BB_EINVAL);
    assert_non_null(find_diag("BB0104"));
}

static void bb0105_escaped_nul_in_a_string_is_reported(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name':\n 'a\\u0000b'}"), BB_EINVAL);
    expect_diag("BB0105", "", 2, 4);
}

/* ---- BB02xx: shape ---------------------------------------------------------- */

static void bb0201_a_document_that_is_not_an_object(void **state)
{
    (void)state;
    assert_int_equal(load("\n  [1, 2]"), BB_OK);
    expect_diag("BB0201", "", 2, 3);
}

static void bb0202_wrong_types_in_every_position(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 5, 'db_type': 'sqlite', 'schema': [{\n"
                          "'table_name': 't', 'class_name': 'T', 'options': [],\n"
                          "'columns': [{'name': 'id', 'type': 'String', 'length': '50',\n"
                          "  'nullable': 'yes', 'values': {}, 'default': {}}, 7],\n"
                          "'relationships': {}}]}"),
                     BB_OK);
    expect_diag("BB0202", "/project_name", 1, 18);
    expect_diag("BB0202", "/schema/0/options", 2, 50);
    expect_diag("BB0202", "/schema/0/columns/0/length", 3, 56);
    expect_diag("BB0202", "/schema/0/columns/0/nullable", 4, 15);
    expect_diag("BB0202", "/schema/0/columns/0/values", 4, 32);
    expect_diag("BB0202", "/schema/0/columns/0/default", 4, 47);
    expect_diag("BB0202", "/schema/0/columns/1", 4, 52);
    expect_diag("BB0202", "/schema/0/relationships", 5, 18);
    assert_non_null(strstr(find_diag("BB0202")->message, "expected a string"));
}

static void bb0202_columns_given_as_an_object(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p', 'db_type': 'sqlite', 'schema': [\n"
                          "{'table_name': 't', 'class_name': 'T', 'columns': {}}]}"),
                     BB_OK);
    expect_diag("BB0202", "/schema/0/columns", 2, 51);
}

static void bb0203_unknown_type_suggests_the_nearest(void **state)
{
    (void)state;
    assert_int_equal(load(DOC("{'name': 'title', 'type': 'Strin'}")), BB_OK);
    expect_diag("BB0203", "/schema/0/columns/0/type", 3, 27);
    assert_string_equal(find_diag("BB0203")->hint, "did you mean \"String\"?");
}

static void bb0203_unknown_db_type_on_delete_and_relationship_type(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p', 'db_type': 'postgres', 'schema': [{\n"
                          "'table_name': 't', 'class_name': 'T', 'columns': [{'name': 'id',\n"
                          "'type': 'ForeignKey', 'target': 'u.id', 'on_delete': 'cascade'}],\n"
                          "'relationships': [{'target_table': 'u', 'type': 'one_to_mny'}]}]}"),
                     BB_OK);
    expect_diag("BB0203", "/db_type", 1, 34);
    expect_diag("BB0203", "/schema/0/columns/0/on_delete", 3, 54);
    expect_diag("BB0203", "/schema/0/relationships/0/type", 4, 49);
    int hints = 0;
    for (size_t i = 0; i < F.d.n; i++)
        hints += F.d.items[i].hint && (strstr(F.d.items[i].hint, "\"postgresql\"") ||
                                       strstr(F.d.items[i].hint, "\"CASCADE\"") ||
                                       strstr(F.d.items[i].hint, "\"one_to_many\""));
    assert_int_equal(hints, 3);
}

static void bb0204_required_keys_are_reported_missing(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p', 'db_type': 'sqlite', 'schema': [\n"
                          "  {'class_name': 'T', 'columns': [\n"
                          "    {'name': 'id'}, {'name': 's', 'type': 'Enum'},\n"
                          "    {'name': 'f', 'type': 'ForeignKey'}]}]}"),
                     BB_OK);
    expect_diag("BB0204", "/schema/0", 2, 3);
    expect_diag("BB0204", "/schema/0/columns/0", 3, 5);
    expect_diag("BB0204", "/schema/0/columns/1", 3, 21);
    expect_diag("BB0204", "/schema/0/columns/2", 4, 5);
    int enum_values = 0, fk_target = 0;
    for (size_t i = 0; i < F.d.n; i++) {
        enum_values += strstr(F.d.items[i].message, "\"values\"") != NULL;
        fk_target += strstr(F.d.items[i].message, "\"target\"") != NULL;
    }
    assert_int_equal(enum_values, 1);
    assert_int_equal(fk_target, 1);
}

static void bb0205_unknown_key_warns_with_a_suggestion(void **state)
{
    (void)state;
    assert_int_equal(load(DOC("{'name': 'id', 'type': 'Integer', 'primary_key': true,"
                              " 'nulable': false}")),
                     BB_OK);
    expect_diag("BB0205", "/schema/0/columns/0/nulable", 3, 56);
    const bb_diag *g = find_diag("BB0205");
    assert_int_equal(g->severity, BB_WARNING);
    assert_string_equal(g->hint, "did you mean \"nullable\"?");
    assert_false(bb_diags_has_errors(&F.d));
}

static void bb0206_empty_schema_columns_and_values(void **state)
{
    (void)state;
    assert_int_equal(load("{'project_name': 'p', 'db_type': 'sqlite', 'schema': []}"), BB_OK);
    expect_diag("BB0206", "/schema", 1, 54);
    teardown(NULL);
    assert_int_equal(load("{'project_name': 'p', 'db_type': 'sqlite', 'schema': [\n"
                          "{'table_name': 't', 'class_name': 'T', 'columns': []}]}"),
                     BB_OK);
    expect_diag("BB0206", "/schema/0/columns", 2, 51);
    teardown(NULL);
    assert_int_equal(load(DOC("{'name': 's', 'type': 'Enum', 'values': []}")), BB_OK);
    expect_diag("BB0206", "/schema/0/columns/0/values", 3, 41);
}

static void bb0207_duplicate_key_is_an_error(void **state)
{
    (void)state;
    assert_int_equal(load(DOC("{'name': 'id', 'type': 'Integer',\n 'name': 'key'}")), BB_OK);
    expect_diag("BB0207", "/schema/0/columns/0/name", 4, 2);
    assert_non_null(strstr(find_diag("BB0207")->hint, "line 3, column 2"));
}

static void bb0207_duplicates_in_a_large_object_are_found(void **state)
{
    (void)state;
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof(text), "{");
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "\"k%d\": 1, ", i % 50);
    snprintf(text + n, sizeof(text) - n, "\"end\": 1}");
    assert_int_equal(load_raw_limits(text, strlen(text), NULL), BB_OK);
    size_t dups = 0;
    for (size_t i = 0; i < F.d.n; i++)
        dups += strcmp(F.d.items[i].code, "BB0207") == 0;
    assert_int_equal(dups, 10);
}

static void bb0208_huge_and_fractional_integers(void **state)
{
    (void)state;
    assert_int_equal(
        load(DOC("{'name': 'a', 'type': 'String', 'length': 1180591620717411303424},\n"
                 "{'name': 'b', 'type': 'Numeric', 'precision': 1e999, 'scale': 2.5},\n"
                 "{'name': 'c', 'type': 'Float', 'default': 1e999}")),
        BB_OK);
    expect_diag("BB0208", "/schema/0/columns/0/length", 3, 43);
    expect_diag("BB0208", "/schema/0/columns/1/precision", 4, 47);
    expect_diag("BB0208", "/schema/0/columns/1/scale", 4, 63);
    expect_diag("BB0208", "/schema/0/columns/2/default", 5, 43);
}

static void bb0209_negative_length_and_scale(void **state)
{
    (void)state;
    assert_int_equal(load(DOC("{'name': 'a', 'type': 'String', 'length': -3},\n"
                              "{'name': 'b', 'type': 'Numeric', 'precision': 0, 'scale': -1}")),
                     BB_OK);
    expect_diag("BB0209", "/schema/0/columns/0/length", 3, 43);
    expect_diag("BB0209", "/schema/0/columns/1/precision", 4, 47);
    expect_diag("BB0209", "/schema/0/columns/1/scale", 4, 59);
}

static void bb0210_nullable_primary_key_warns_and_is_not_null(void **state)
{
    (void)state;
    assert_int_equal(load(DOC("{'name': 'id', 'type': 'Integer', 'primary_key': true,\n"
                              "  'nullable': true}")),
                     BB_OK);
    expect_diag("BB0210", "/schema/0/columns/0/nullable", 4, 15);
    assert_int_equal(find_diag("BB0210")->severity, BB_WARNING);
    assert_false(F.s->tables[0].columns[0].nullable);
    assert_true(F.s->tables[0].columns[0].nullable_given);
}

static void bb0211_foreign_key_target_needs_table_dot_column(void **state)
{
    (void)state;
    assert_int_equal(load(DOC("{'name': 'u', 'type': 'ForeignKey', 'target': 'users'},\n"
                              "{'name': 'v', 'type': 'ForeignKey', 'target': '.id'}")),
                     BB_OK);
    expect_diag("BB0211", "/schema/0/columns/0/target", 3, 47);
    expect_diag("BB0211", "/schema/0/columns/1/target", 4, 47);
    assert_null(F.s->tables[0].columns[0].fk_target);
    assert_null(F.s->tables[0].columns[0].fk_table);
}

/* ---- BB06xx: limits --------------------------------------------------------- */

static void bb0601_one_byte_over_the_size_limit(void **state)
{
    (void)state;
    bb_limits lim = bb_limits_default();
    lim.max_input_bytes = 23;
    assert_int_equal(load_limits("{'project_name':\n 'abc'}", &lim), BB_ELIMIT);
    assert_int_equal(strlen(F.text), 24);
    assert_null(F.s);
    /* The first byte over the limit is the closing brace. */
    expect_diag("BB0601", "", 2, 7);
    const bb_diag *g = find_diag("BB0601");
    assert_non_null(strstr(g->message, "limit of 23 bytes"));
    assert_non_null(strstr(g->hint, "--max-input-bytes"));
}

static void bb0601_exactly_at_the_limit_is_accepted(void **state)
{
    (void)state;
    bb_limits lim = bb_limits_default();
    lim.max_input_bytes = 24;
    assert_int_equal(load_limits("{'project_name':\n 'abc'}", &lim), BB_OK);
    assert_null(find_diag("BB0601"));
}

static void bb0602_deep_nesting_stops_before_parsing(void **state)
{
    (void)state;
    size_t n = 100000;
    char *text = malloc(2 * n + 1);
    assert_non_null(text);
    memset(text, '[', n);
    memset(text + n, ']', n);
    text[2 * n] = '\0';
    assert_int_equal(load_raw_limits(text, 2 * n, NULL), BB_EINVAL);
    free(text);
    expect_diag("BB0602", "", 1, 65);
}

static void bb0602_brackets_inside_strings_do_not_count(void **state)
{
    (void)state;
    bb_limits lim = bb_limits_default();
    lim.max_depth = 2;
    assert_int_equal(load_limits("{'a': '[[[[{{{{', 'b': [1]}", &lim), BB_OK);
    assert_null(find_diag("BB0602"));
    teardown(NULL);
    assert_int_equal(load_limits("{'a': [[1]]}", &lim), BB_EINVAL);
    expect_diag("BB0602", "", 1, 8);
}

/* A document with n tables, or one table with n columns / relationships. */
static char *many(const char *what, size_t n)
{
    size_t cap = 200 + n * 200;
    char *t = malloc(cap);
    assert_non_null(t);
    size_t k = (size_t)snprintf(t, cap, "{'project_name': 'p', 'db_type': 'sqlite', 'schema': [\n");
    size_t tables = strcmp(what, "tables") == 0 ? n : 1;
    for (size_t i = 0; i < tables; i++) {
        k += (size_t)snprintf(t + k, cap - k,
                              "%s{'table_name': 't%zu', 'class_name': 'T%zu', 'columns': [",
                              i ? "," : "", i, i);
        size_t cols = strcmp(what, "columns") == 0 ? n : 1;
        for (size_t j = 0; j < cols; j++)
            k += (size_t)snprintf(t + k, cap - k, "%s{'name': 'c%zu', 'type': 'Integer'}",
                                  j ? "," : "", j);
        k += (size_t)snprintf(t + k, cap - k, "], 'relationships': [");
        size_t rels = strcmp(what, "relationships") == 0 ? n : 0;
        for (size_t j = 0; j < rels; j++)
            k += (size_t)snprintf(t + k, cap - k, "%s{'target_table': 't0', 'type': 'one_to_many'}",
                                  j ? "," : "");
        k += (size_t)snprintf(t + k, cap - k, "]}\n");
    }
    snprintf(t + k, cap - k, "]}");
    return t;
}

static void bb0603_too_many_tables(void **state)
{
    (void)state;
    char *t = many("tables", 51);
    assert_int_equal(load(t), BB_OK);
    free(t);
    expect_diag("BB0603", "/schema/50", 52, 2);
    assert_int_equal(F.s->n_tables, 50);
    assert_non_null(strstr(find_diag("BB0603")->hint, "--max-tables"));
}

static void bb0604_too_many_columns(void **state)
{
    (void)state;
    bb_limits lim = bb_limits_default();
    lim.max_columns = 3;
    char *t = many("columns", 4);
    assert_int_equal(load_limits(t, &lim), BB_OK);
    free(t);
    expect_diag("BB0604", "/schema/0/columns/3", 2, 156);
    assert_int_equal(F.s->tables[0].n_columns, 3);
}

static void bb0605_too_many_relationships(void **state)
{
    (void)state;
    char *t = many("relationships", 51);
    assert_int_equal(load(t), BB_OK);
    free(t);
    const bb_diag *g = find_diag("BB0605");
    assert_non_null(g);
    assert_string_equal(g->pointer, "/schema/0/relationships/50");
    int line, col;
    bb_diags_position(&F.d, g->offset, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 108 + 50 * 46);
    assert_int_equal(F.s->tables[0].n_rels, 50);
}

static void bb0606_string_over_the_limit_counts_code_points(void **state)
{
    (void)state;
    bb_limits lim = bb_limits_default();
    lim.max_string_chars = 4;
    /* Four code points in eight bytes are within the limit; five are not. */
    assert_int_equal(load_limits("{'project_name': '\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9',\n"
                                 " 'description': 'abcde'}",
                                 &lim),
                     BB_OK);
    expect_diag("BB0606", "/description", 2, 17);
    size_t n = 0;
    for (size_t i = 0; i < F.d.n; i++)
        n += strcmp(F.d.items[i].code, "BB0606") == 0;
    assert_int_equal(n, 1);
}

static void on_delete_actions_have_one_spelling_in_and_out(void **state)
{
    (void)state;
    for (int d = BB_ON_DELETE_CASCADE; d <= BB_ON_DELETE_NO_ACTION; d++)
        assert_int_equal(bb_on_delete_from_sql(bb_on_delete_sql((bb_on_delete)d)), d);
    assert_string_equal(bb_on_delete_sql(BB_ON_DELETE_SET_NULL), "SET NULL");
    assert_null(bb_on_delete_sql(BB_ON_DELETE_NONE));
    assert_null(bb_on_delete_sql((bb_on_delete)99));
    assert_int_equal(bb_on_delete_from_sql("set null"), BB_ON_DELETE_NONE);
    assert_int_equal(bb_on_delete_from_sql(NULL), BB_ON_DELETE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(loads_every_shipped_example_without_a_diagnostic),
        T(on_delete_actions_have_one_spelling_in_and_out),
        T(reads_the_document_and_table_keys),
        T(a_primary_key_is_not_null_and_integer_keys_autoincrement),
        T(scale_zero_is_kept_and_absent_is_minus_one),
        T(reads_extension_column_keys_and_types),
        T(splits_a_foreign_key_target_and_leaves_its_type_to_the_validator),
        T(reads_defaults_with_their_kind_and_text),
        T(mixins_append_their_columns_after_the_users),
        T(a_user_column_named_like_a_mixin_column_is_kept),
        T(reads_relationships_as_declared),
        T(reads_unique_index_and_check_constraints),
        T(missing_required_strings_are_empty_not_null),
        T(a_byte_order_mark_is_accepted),
        T(from_json_loads_a_parsed_tree_without_offsets),
        T(survives_every_allocation_failure),
        T(every_shape_and_limit_diagnostic_has_a_hint),
        T(bb0101_trailing_comma_is_a_syntax_error_with_a_hint),
        T(bb0101_missing_comma_points_at_the_next_key),
        T(bb0101_hints_at_unquoted_keys_single_quotes_and_comments),
        T(bb0101_truncated_input_names_the_unclosed_bracket),
        T(bb0102_nul_byte_is_reported_at_its_position),
        T(bb0103_invalid_utf8_is_reported_at_the_bad_byte),
        T(bb0103_overlong_and_surrogate_encodings_are_refused),
        T(bb0104_empty_input_is_reported),
        T(bb0105_escaped_nul_in_a_string_is_reported),
        T(bb0201_a_document_that_is_not_an_object),
        T(bb0202_wrong_types_in_every_position),
        T(bb0202_columns_given_as_an_object),
        T(bb0203_unknown_type_suggests_the_nearest),
        T(bb0203_unknown_db_type_on_delete_and_relationship_type),
        T(bb0204_required_keys_are_reported_missing),
        T(bb0205_unknown_key_warns_with_a_suggestion),
        T(bb0206_empty_schema_columns_and_values),
        T(bb0207_duplicate_key_is_an_error),
        T(bb0207_duplicates_in_a_large_object_are_found),
        T(bb0208_huge_and_fractional_integers),
        T(bb0209_negative_length_and_scale),
        T(bb0210_nullable_primary_key_warns_and_is_not_null),
        T(bb0211_foreign_key_target_needs_table_dot_column),
        T(bb0601_one_byte_over_the_size_limit),
        T(bb0601_exactly_at_the_limit_is_accepted),
        T(bb0602_deep_nesting_stops_before_parsing),
        T(bb0602_brackets_inside_strings_do_not_count),
        T(bb0603_too_many_tables),
        T(bb0604_too_many_columns),
        T(bb0605_too_many_relationships),
        T(bb0606_string_over_the_limit_counts_code_points),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
