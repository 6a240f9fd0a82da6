/*
 * test_relations.c - relationship resolution: the naming and pairing rules
 * of docs/schema.md, foreign keys inferred or named, implicit counterparts,
 * one_to_one, many_to_many with automatic or named association tables, and
 * the BB04xx codes about relationships at their place in the text.
 */
#include "validate_testutil.h"

/* users and posts; posts gets extra columns and each side its relationships. */
#define UP(user_rels, post_cols, post_rels)                                                        \
    VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"                         \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true}],\n"                         \
            " 'relationships': [" user_rels "]},\n"                                                \
            "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"                         \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true}" post_cols "],\n"            \
            " 'relationships': [" post_rels "]}" VT_TAIL

#define VT_USERS_WITH_PROFILE                                                                      \
    "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"                                 \
    "  {'name': 'id', 'type': 'Integer', 'primary_key': true}],\n"                                 \
    " 'relationships': [{'target_table': 'profiles', 'type': 'one_to_one', "                       \
    "'back_populates': 'user'}]},\n"                                                               \
    "{'table_name': 'profiles', 'class_name': 'Profile', 'columns': [\n"                           \
    "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"                                  \
    "  {'name': 'user_id', 'type': 'ForeignKey', 'target': 'users.id'}],\n"                        \
    " 'relationships': [{'target_table': 'users', 'type': 'one_to_one', "                          \
    "'back_populates': 'profile'}]}"

#define AUTHOR_FK ",\n  {'name': 'author_id', 'type': 'ForeignKey', 'target': 'users.id'}"
#define EDITOR_FK ",\n  {'name': 'editor_id', 'type': 'ForeignKey', 'target': 'users.id'}"

static const char *fk_name(const bb_schema *s, const bb_relationship *r)
{
    assert_true(r->fk_table_index >= 0);
    return s->tables[r->fk_table_index].columns[r->fk_column_index].name;
}

static const bb_relationship *counterpart(const bb_schema *s, const bb_relationship *r)
{
    assert_true(r->counterpart >= 0);
    return &s->tables[r->target_index].rels[r->counterpart];
}

static void run_valid(vt *t, const char *json)
{
    vt_run(t, json);
    if (t->rc != BB_OK)
        vt_dump(t);
    assert_int_equal(t->rc, BB_OK);
}

static void one_sided_one_to_many_gets_its_many_to_one(void **state)
{
    (void)state;
    vt t;
    run_valid(&t, UP("{'target_table': 'posts', 'target_class': 'Post', 'type': 'one_to_many', "
                     "'back_populates': 'author'}",
                     AUTHOR_FK, ""));
    const bb_relationship *posts = vt_rel(t.s, "users", "posts");
    const bb_relationship *author = vt_rel(t.s, "posts", "author");
    assert_true(author->implicit);
    assert_false(posts->implicit);
    assert_int_equal(author->kind, BB_REL_MANY_TO_ONE);
    assert_false(author->uselist);
    assert_true(posts->uselist);
    assert_ptr_equal(counterpart(t.s, posts), author);
    assert_ptr_equal(counterpart(t.s, author), posts);
    assert_string_equal(fk_name(t.s, posts), "author_id");
    assert_string_equal(fk_name(t.s, author), "author_id");
    assert_string_equal(author->back_populates, "posts");
    assert_int_equal(vt_table(t.s, "posts")->n_declared_rels, 0);
    assert_int_equal(vt_table(t.s, "posts")->n_rels, 1);
    vt_free(&t);
}

static void many_to_one_infers_its_only_foreign_key(void **state)
{
    (void)state;
    vt t;
    run_valid(&t, UP("", AUTHOR_FK,
                     "{'target_table': 'users', 'type': 'many_to_one', 'back_populates': "
                     "'posts'}"));
    const bb_relationship *author = vt_rel(t.s, "posts", "author"); /* author_id without _id */
    assert_string_equal(fk_name(t.s, author), "author_id");
    assert_true(vt_rel(t.s, "users", "posts")->implicit);
    vt_free(&t);
}

static void explicit_names_win(void **state)
{
    (void)state;
    vt t;
    run_valid(&t, UP("{'name': 'articles', 'target_table': 'posts', 'type': 'one_to_many', "
                     "'back_populates': 'writer'}",
                     AUTHOR_FK,
                     "{'name': 'writer', 'target_table': 'users', 'type': 'many_to_one', "
                     "'back_populates': 'articles'}"));
    assert_ptr_equal(counterpart(t.s, vt_rel(t.s, "users", "articles")),
                     vt_rel(t.s, "posts", "writer"));
    vt_free(&t);
}

static void self_reference_pairs_by_back_populates(void **state)
{
    (void)state;
    vt t;
    run_valid(&t,
              VT_HEAD "{'table_name': 'employees', 'class_name': 'Employee', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                      "  {'name': 'manager_id', 'type': 'ForeignKey', 'target': 'employees.id'}],\n"
                      " 'relationships': [\n"
                      "  {'target_table': 'employees', 'type': 'many_to_one', 'back_populates': "
                      "'reports'},\n"
                      "  {'name': 'reports', 'target_table': 'employees', 'type': 'one_to_many', "
                      "'back_populates': 'manager', 'foreign_key': 'manager_id'}]}" VT_TAIL);
    const bb_relationship *manager = vt_rel(t.s, "employees", "manager");
    const bb_relationship *reports = vt_rel(t.s, "employees", "reports");
    assert_ptr_equal(counterpart(t.s, manager), reports);
    assert_ptr_equal(counterpart(t.s, reports), manager);
    assert_string_equal(fk_name(t.s, reports), "manager_id");
    assert_int_equal(vt_table(t.s, "employees")->n_rels, 2);
    /* A self-reference is no cycle: no use_alter. */
    assert_false(vt_table(t.s, "employees")->columns[1].use_alter);
    assert_null(vt_find(&t, "BB0428"));
    vt_free(&t);
}

static void several_foreign_keys_are_told_apart_by_foreign_key(void **state)
{
    (void)state;
    vt t;
    run_valid(&t, UP("", AUTHOR_FK EDITOR_FK,
                     "{'target_table': 'users', 'type': 'many_to_one', 'foreign_key': "
                     "'author_id', 'back_populates': 'written'},\n"
                     " {'target_table': 'users', 'type': 'many_to_one', 'foreign_key': "
                     "'editor_id', 'back_populates': 'edited'}"));
    assert_string_equal(fk_name(t.s, vt_rel(t.s, "posts", "author")), "author_id");
    assert_string_equal(fk_name(t.s, vt_rel(t.s, "posts", "editor")), "editor_id");
    assert_string_equal(fk_name(t.s, vt_rel(t.s, "users", "written")), "author_id");
    assert_string_equal(fk_name(t.s, vt_rel(t.s, "users", "edited")), "editor_id");
    vt_free(&t);
}

static void one_to_many_foreign_key_names_its_many_to_one(void **state)
{
    (void)state;
    vt t;
    run_valid(&t, UP("{'name': 'written', 'target_table': 'posts', 'type': 'one_to_many', "
                     "'foreign_key': 'author_id', 'back_populates': 'author'},\n"
                     " {'name': 'edited', 'target_table': 'posts', 'type': 'one_to_many', "
                     "'foreign_key': 'editor_id', 'back_populates': 'editor'}",
                     AUTHOR_FK EDITOR_FK,
                     "{'target_table': 'users', 'type': 'many_to_one', 'back_populates': "
                     "'written'},\n"
                     " {'target_table': 'users', 'type': 'many_to_one', 'back_populates': "
                     "'edited'}"));
    assert_string_equal(fk_name(t.s, vt_rel(t.s, "posts", "author")), "author_id");
    assert_string_equal(fk_name(t.s, vt_rel(t.s, "posts", "editor")), "editor_id");
    vt_free(&t);
}

static void one_to_one_has_no_list_on_either_side(void **state)
{
    (void)state;
    vt t;
    run_valid(&t, VT_HEAD VT_USERS_WITH_PROFILE VT_TAIL);
    const bb_relationship *profile = vt_rel(t.s, "users", "profile");
    const bb_relationship *user = vt_rel(t.s, "profiles", "user");
    assert_false(profile->uselist);
    assert_false(user->uselist);
    assert_ptr_equal(counterpart(t.s, profile), user);
    assert_string_equal(fk_name(t.s, profile), "user_id");
    assert_int_equal(profile->fk_table_index, bb_schema_table_index(t.s, "profiles"));
    /* The foreign key of a one_to_one is made unique. */
    assert_true(vt_table(t.s, "profiles")->columns[profile->fk_column_index].unique);
    vt_free(&t);
}

static void many_to_many_gets_an_automatic_association_table(void **state)
{
    (void)state;
    vt t;
    run_valid(&t, VT_HEAD "{'table_name': 'tags', 'class_name': 'Tag', 'columns': [\n"
                          "  {'name': 'id', 'type': 'Integer', 'primary_key': true}],\n"
                          " 'relationships': [{'target_table': 'posts', 'type': 'many_to_many', "
                          "'back_populates': 'tags'}]},\n"
                          "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"
                          "  {'name': 'id', 'type': 'Integer', 'primary_key': true}],\n"
                          " 'relationships': [{'target_table': 'tags', 'type': 'many_to_many', "
                          "'back_populates': 'posts'}]}" VT_TAIL);
    const bb_relationship *tags = vt_rel(t.s, "posts", "tags");
    assert_string_equal(tags->assoc_table, "posts_tags");
    assert_int_equal(tags->through_index, -1);
    assert_true(tags->uselist);
    assert_string_equal(counterpart(t.s, tags)->assoc_table, "posts_tags");
    vt_free(&t);
}

static void many_to_many_through_a_named_table(void **state)
{
    (void)state;
    vt t;
    run_valid(&t, VT_HEAD "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"
                          "  {'name': 'id', 'type': 'Integer', 'primary_key': true}],\n"
                          " 'relationships': [{'target_table': 'tags', 'type': 'many_to_many', "
                          "'through': 'taggings', 'back_populates': 'posts'}]},\n"
                          "{'table_name': 'tags', 'class_name': 'Tag', 'columns': [\n"
                          "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]},\n"
                          "{'table_name': 'taggings', 'class_name': 'Tagging', 'columns': [\n"
                          "  {'name': 'post_id', 'type': 'ForeignKey', 'target': 'posts.id', "
                          "'primary_key': true},\n"
                          "  {'name': 'tag_id', 'type': 'ForeignKey', 'target': 'tags.id', "
                          "'primary_key': true},\n"
                          "  {'name': 'weight', 'type': 'Integer'}]}" VT_TAIL);
    const bb_relationship *tags = vt_rel(t.s, "posts", "tags");
    assert_int_equal(tags->through_index, bb_schema_table_index(t.s, "taggings"));
    assert_string_equal(tags->assoc_table, "taggings");
    assert_true(vt_table(t.s, "taggings")->is_association);
    const bb_relationship *posts = vt_rel(t.s, "tags", "posts");
    assert_true(posts->implicit);
    assert_string_equal(posts->assoc_table, "taggings");
    /* Composite primary keys of FKs do not autoincrement. */
    assert_false(vt_table(t.s, "taggings")->columns[0].autoincrement);
    vt_free(&t);
}

static void unknown_target_table_is_reported(void **state)
{
    (void)state;
    vt_expect(UP("{'target_table': 'post', 'type': 'one_to_many'}", AUTHOR_FK, ""), "BB0414",
              BB_ERROR, "/schema/0/relationships/0/target_table", "^'post',");
}

static void target_class_must_match_the_table(void **state)
{
    (void)state;
    vt_expect(UP("{'target_table': 'posts', 'target_class': 'Article', 'type': 'one_to_many'}",
                 AUTHOR_FK, ""),
              "BB0415", BB_ERROR, "/schema/0/relationships/0/target_class", "^'Article'");
}

static void back_populates_must_match_the_other_side(void **state)
{
    (void)state;
    vt_expect(UP("{'name': 'articles', 'target_table': 'posts', 'type': 'one_to_many', "
                 "'back_populates': 'author'}",
                 AUTHOR_FK,
                 "{'target_table': 'users', 'type': 'many_to_one', 'back_populates': 'posts'}"),
              "BB0416", BB_ERROR, "/schema/1/relationships/0/back_populates",
              "'many_to_one', 'back_populates': ^'posts'");
}

static void many_to_one_without_a_foreign_key_is_reported(void **state)
{
    (void)state;
    vt_expect(UP("", "", "{'target_table': 'users', 'type': 'many_to_one'}"), "BB0417", BB_ERROR,
              "/schema/1/relationships/0", "^{'target_table': 'users'");
}

static void ambiguous_foreign_key_names_the_candidates(void **state)
{
    (void)state;
    const char *json = UP("", AUTHOR_FK EDITOR_FK,
                          "{'target_table': 'users', 'type': 'many_to_one', 'back_populates': "
                          "'posts'}");
    vt_expect(json, "BB0418", BB_ERROR, "/schema/1/relationships/0", "^{'target_table': 'users'");
    vt t;
    vt_run(&t, json);
    const bb_diag *g = vt_find(&t, "BB0418");
    assert_non_null(strstr(g->message, "author_id"));
    assert_non_null(strstr(g->message, "editor_id"));
    assert_non_null(strstr(g->hint, "foreign_key"));
    vt_free(&t);
}

static void foreign_key_must_be_a_foreign_key_to_the_target(void **state)
{
    (void)state;
    vt_expect(UP("", ",\n  {'name': 'title', 'type': 'Text'}" AUTHOR_FK,
                 "{'target_table': 'users', 'type': 'many_to_one', 'foreign_key': 'title'}"),
              "BB0419", BB_ERROR, "/schema/1/relationships/0/foreign_key",
              "'foreign_key': ^'title'");
}

static void sides_naming_different_foreign_keys_are_reported_once(void **state)
{
    (void)state;
    const char *json = UP("{'name': 'written', 'target_table': 'posts', 'type': 'one_to_many', "
                          "'foreign_key': 'author_id', 'back_populates': 'editor'}",
                          AUTHOR_FK EDITOR_FK,
                          "{'name': 'editor', 'target_table': 'users', 'type': 'many_to_one', "
                          "'foreign_key': 'editor_id', 'back_populates': 'written'}");
    vt_expect(json, "BB0419", BB_ERROR, "/schema/0/relationships/0/foreign_key",
              "'foreign_key': ^'author_id'");
    vt t;
    vt_run(&t, json);
    assert_int_equal(vt_count(&t, "BB0419"), 1);
    vt_free(&t);
}

static void counterpart_kinds_must_agree(void **state)
{
    (void)state;
    vt_expect(UP("{'target_table': 'posts', 'type': 'one_to_many', 'back_populates': 'author'}",
                 AUTHOR_FK,
                 "{'name': 'author', 'target_table': 'users', 'type': 'one_to_one', "
                 "'back_populates': 'posts'}"),
              "BB0420", BB_ERROR, "/schema/0/relationships/0/type", "^'one_to_many', 'back");
}

static void two_relationships_with_the_same_derived_name_are_ambiguous(void **state)
{
    (void)state;
    vt_expect(UP("{'target_table': 'posts', 'type': 'one_to_many', 'foreign_key': 'author_id'},\n"
                 " {'target_table': 'posts', 'type': 'one_to_many', 'foreign_key': 'editor_id'}",
                 AUTHOR_FK EDITOR_FK, ""),
              "BB0421", BB_ERROR, "/schema/0/relationships/1",
              "^{'target_table': 'posts', 'type': 'one_to_many', 'foreign_key': 'editor_id'}");
}

#define POSTS_TAGS(post_rel, extra_tables)                                                         \
    VT_HEAD "{'table_name': 'posts', 'class_name': 'Post', 'columns': [\n"                         \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true}],\n"                         \
            " 'relationships': [" post_rel "]},\n"                                                 \
            "{'table_name': 'tags', 'class_name': 'Tag', 'columns': [\n"                           \
            "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}" extra_tables VT_TAIL

static void unknown_association_table_is_reported(void **state)
{
    (void)state;
    vt_expect(POSTS_TAGS("{'target_table': 'tags', 'type': 'many_to_many', 'through': "
                         "'post_tag'}",
                         ""),
              "BB0422", BB_ERROR, "/schema/0/relationships/0/through", "^'post_tag'");
}

static void association_table_needs_a_foreign_key_to_each_side(void **state)
{
    (void)state;
    vt_expect(POSTS_TAGS("{'target_table': 'tags', 'type': 'many_to_many', 'through': "
                         "'taggings'}",
                         ",\n{'table_name': 'taggings', 'class_name': 'Tagging', 'columns': [\n"
                         "  {'name': 'id', 'type': 'Integer', 'primary_key': true},\n"
                         "  {'name': 'post_id', 'type': 'ForeignKey', 'target': 'posts.id'}]}"),
              "BB0423", BB_ERROR, "/schema/0/relationships/0/through", "^'taggings'");
}

static void automatic_association_table_must_not_take_a_table_name(void **state)
{
    (void)state;
    vt_expect(POSTS_TAGS("{'target_table': 'tags', 'type': 'many_to_many'}",
                         ",\n{'table_name': 'posts_tags', 'class_name': 'PostTag', 'columns': [\n"
                         "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}"),
              "BB0424", BB_ERROR, "/schema/0/relationships/0",
              "^{'target_table': 'tags', 'type': 'many_to_many'}");
}

static void two_automatic_association_tables_must_not_share_a_name(void **state)
{
    (void)state;
    vt_expect(POSTS_TAGS("{'name': 'tags', 'target_table': 'tags', 'type': 'many_to_many'},\n"
                         " {'name': 'featured_tags', 'target_table': 'tags', 'type': "
                         "'many_to_many'}",
                         ""),
              "BB0424", BB_ERROR, "/schema/0/relationships/1", "^{'name': 'featured_tags'");
}

static void self_referential_many_to_many_needs_through(void **state)
{
    (void)state;
    vt_expect(VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true}],\n"
                      " 'relationships': [{'name': 'friends', 'target_table': 'users', "
                      "'type': 'many_to_many'}]}" VT_TAIL,
              "BB0425", BB_ERROR, "/schema/0/relationships/0", "^{'name': 'friends'");
}

static void through_on_one_to_many_is_ignored_with_a_warning(void **state)
{
    (void)state;
    vt_expect(
        UP("{'target_table': 'posts', 'type': 'one_to_many', 'through': 'posts'}", AUTHOR_FK, ""),
        "BB0426", BB_WARNING, "/schema/0/relationships/0/through", "'through': ^'posts'");
}

static void unknown_cascade_is_reported_with_a_suggestion(void **state)
{
    (void)state;
    const char *json = UP("{'target_table': 'posts', 'type': 'one_to_many', "
                          "'cascade': 'all, delete-orphen'}",
                          AUTHOR_FK, "");
    vt_expect(json, "BB0432", BB_ERROR, "/schema/0/relationships/0/cascade", "^'all, delete-");
    vt t;
    vt_run(&t, json);
    assert_non_null(strstr(vt_find(&t, "BB0432")->hint, "delete-orphan"));
    vt_free(&t);
}

static void implicit_counterpart_clashing_with_a_column_is_reported(void **state)
{
    (void)state;
    vt_expect(UP("{'target_table': 'posts', 'type': 'one_to_many', 'back_populates': 'title'}",
                 ",\n  {'name': 'title', 'type': 'Text'}" AUTHOR_FK, ""),
              "BB0314", BB_ERROR, "/schema/0/relationships/0/back_populates", "^'title'}");
}

/* Only the first error is reported: a relationship whose key column is
 * broken (or past a limit) does not add "needs a foreign key". */
static size_t count_with_limits(const char *json, const bb_limits *lim, const char *code)
{
    char *text = strdup(json);
    assert_non_null(text);
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    bb_diags d;
    bb_schema *s = NULL;
    bb_diags_init(&d, "test.json", text, strlen(text));
    int rc = bb_frontend("test.json", text, strlen(text), lim, &d, &s);
    assert_true(rc == BB_OK || rc == BB_EINVAL);
    size_t n = 0;
    for (size_t i = 0; i < d.n; i++)
        n += strcmp(d.items[i].code, code) == 0;
    bb_schema_free(s);
    bb_diags_free(&d);
    free(text);
    return n;
}

static void a_broken_key_column_is_its_only_error(void **state)
{
    (void)state;
    bb_limits lim = bb_limits_default();
    const char *missing_column = UP("",
                                    ",\n  {'name': 'user_id', 'type': 'ForeignKey', 'target': "
                                    "'users.uid'}",
                                    "{'target_table': 'users', 'type': 'many_to_one', "
                                    "'back_populates': 'posts'}");
    const char *without_target = UP("", ",\n  {'name': 'user_id', 'type': 'ForeignKey'}",
                                    "{'target_table': 'users', 'type': 'many_to_one', "
                                    "'back_populates': 'posts'}");
    assert_int_equal(count_with_limits(missing_column, &lim, "BB0402"), 1);
    assert_int_equal(count_with_limits(missing_column, &lim, "BB0417"), 0);
    assert_int_equal(count_with_limits(without_target, &lim, "BB0204"), 1);
    assert_int_equal(count_with_limits(without_target, &lim, "BB0417"), 0);
}

static void references_past_a_limit_are_not_reported_as_unknown(void **state)
{
    (void)state;
    bb_limits lim = bb_limits_default();
    const char *json = UP("{'target_table': 'posts', 'type': 'one_to_many', 'back_populates': "
                          "'user'}",
                          ",\n  {'name': 'title', 'type': 'Text'}" AUTHOR_FK,
                          "{'name': 'user', 'target_table': 'users', 'type': 'many_to_one', "
                          "'foreign_key': 'author_id', 'back_populates': 'posts'}");
    lim.max_tables = 1;
    assert_int_equal(count_with_limits(json, &lim, "BB0603"), 1);
    assert_int_equal(count_with_limits(json, &lim, "BB0414"), 0);
    lim = bb_limits_default();
    lim.max_columns = 2; /* author_id is past it */
    assert_int_equal(count_with_limits(json, &lim, "BB0604"), 1);
    assert_int_equal(count_with_limits(json, &lim, "BB0417"), 0);
    assert_int_equal(count_with_limits(json, &lim, "BB0419"), 0);
    assert_int_equal(count_with_limits(json, NULL, "BB0419"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_sided_one_to_many_gets_its_many_to_one),
        cmocka_unit_test(many_to_one_infers_its_only_foreign_key),
        cmocka_unit_test(explicit_names_win),
        cmocka_unit_test(self_reference_pairs_by_back_populates),
        cmocka_unit_test(several_foreign_keys_are_told_apart_by_foreign_key),
        cmocka_unit_test(one_to_many_foreign_key_names_its_many_to_one),
        cmocka_unit_test(one_to_one_has_no_list_on_either_side),
        cmocka_unit_test(many_to_many_gets_an_automatic_association_table),
        cmocka_unit_test(many_to_many_through_a_named_table),
        cmocka_unit_test(unknown_target_table_is_reported),
        cmocka_unit_test(target_class_must_match_the_table),
        cmocka_unit_test(back_populates_must_match_the_other_side),
        cmocka_unit_test(many_to_one_without_a_foreign_key_is_reported),
        cmocka_unit_test(ambiguous_foreign_key_names_the_candidates),
        cmocka_unit_test(foreign_key_must_be_a_foreign_key_to_the_target),
        cmocka_unit_test(sides_naming_different_foreign_keys_are_reported_once),
        cmocka_unit_test(counterpart_kinds_must_agree),
        cmocka_unit_test(two_relationships_with_the_same_derived_name_are_ambiguous),
        cmocka_unit_test(unknown_association_table_is_reported),
        cmocka_unit_test(association_table_needs_a_foreign_key_to_each_side),
        cmocka_unit_test(automatic_association_table_must_not_take_a_table_name),
        cmocka_unit_test(two_automatic_association_tables_must_not_share_a_name),
        cmocka_unit_test(self_referential_many_to_many_needs_through),
        cmocka_unit_test(through_on_one_to_many_is_ignored_with_a_warning),
        cmocka_unit_test(unknown_cascade_is_reported_with_a_suggestion),
        cmocka_unit_test(implicit_counterpart_clashing_with_a_column_is_reported),
        cmocka_unit_test(a_broken_key_column_is_its_only_error),
        cmocka_unit_test(references_past_a_limit_are_not_reported_as_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
