/*
 * test_compat.c - the BackBone-AI examples and fixtures (../shared/compat):
 * what its users bring must load, validate and resolve as its authors meant.
 */
#include "validate_testutil.h"

#include <stdio.h>

static void run_file(vt *t, const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/compat/backbone-ai/%s", tu_shared_dir(), rel);
    size_t len;
    char *bytes = tu_read_file(path, &len);
    vt_run_bytes(t, bytes, len);
    free(bytes);
}

static void expect_valid_file(const char *rel)
{
    vt t;
    run_file(&t, rel);
    if (t.rc != BB_OK)
        vt_dump(&t);
    assert_int_equal(t.rc, BB_OK);
    assert_int_equal(t.d.n_errors, 0);
    assert_true(t.s->validated);
    assert_int_equal(t.s->n_build_order, t.s->n_tables);
    vt_free(&t);
}

/* Position of table name in the build order. */
static size_t order_of(const bb_schema *s, const char *name)
{
    int i = bb_schema_table_index(s, name);
    for (size_t k = 0; k < s->n_build_order; k++)
        if (s->build_order[k] == i)
            return k;
    fail();
    return 0;
}

static void example_simple_schema_is_valid(void **state)
{
    (void)state;
    expect_valid_file("examples/simple_schema.json");
}

static void example_blog_schema_is_valid(void **state)
{
    (void)state;
    expect_valid_file("examples/blog_schema.json");
}

static void example_ecommerce_schema_is_valid(void **state)
{
    (void)state;
    expect_valid_file("examples/ecommerce_schema.json");
}

static void example_complex_schema_is_valid(void **state)
{
    (void)state;
    expect_valid_file("examples/complex_schema.json");
}

static void fixture_valid_schema_with_relationships_is_valid(void **state)
{
    (void)state;
    expect_valid_file("fixtures/valid_schema_with_relationships.json");
}

static void fixture_valid_simple_schema_builds_users(void **state)
{
    (void)state;
    vt t;
    run_file(&t, "fixtures/valid_simple_schema.json");
    assert_int_equal(t.rc, BB_OK);
    assert_int_equal(t.s->n_build_order, 1);
    assert_string_equal(t.s->tables[t.s->build_order[0]].table_name, "users");
    vt_free(&t);
}

static void complex_schema_relationships_are_named_as_meant(void **state)
{
    (void)state;
    vt t;
    run_file(&t, "examples/complex_schema.json");
    assert_int_equal(t.rc, BB_OK);
    const bb_schema *s = t.s;
    /* back_populates "items" names Order's side, not the rule's "order_items". */
    const bb_relationship *items = vt_rel(s, "orders", "items");
    assert_int_equal(items->kind, BB_REL_ONE_TO_MANY);
    assert_true(items->uselist);
    const bb_relationship *order = vt_rel(s, "order_items", "order");
    assert_int_equal(order->kind, BB_REL_MANY_TO_ONE);
    assert_false(order->uselist);
    assert_string_equal(vt_table(s, "orders")->rels[order->counterpart].attr_name, "items");
    assert_string_equal(vt_table(s, "order_items")->rels[items->counterpart].attr_name, "order");
    /* Both sides carry the same FK: order_items.order_id. */
    assert_int_equal(items->fk_table_index, bb_schema_table_index(s, "order_items"));
    assert_string_equal(vt_table(s, "order_items")->columns[items->fk_column_index].name,
                        "order_id");
    assert_int_equal(order->fk_column_index, items->fk_column_index);
    /* The rest, pair by pair. */
    assert_string_equal(vt_rel(s, "users", "products")->target_table, "products");
    assert_string_equal(vt_rel(s, "products", "seller")->target_table, "users");
    assert_string_equal(vt_rel(s, "users", "orders")->target_table, "orders");
    assert_string_equal(vt_rel(s, "orders", "customer")->target_table, "users");
    assert_string_equal(vt_rel(s, "users", "reviews")->target_table, "reviews");
    assert_string_equal(vt_rel(s, "reviews", "user")->target_table, "users");
    assert_string_equal(vt_rel(s, "products", "order_items")->target_table, "order_items");
    assert_string_equal(vt_rel(s, "order_items", "product")->target_table, "products");
    assert_string_equal(vt_rel(s, "products", "reviews")->target_table, "reviews");
    assert_string_equal(vt_rel(s, "reviews", "product")->target_table, "products");
    /* Every relationship is declared on both sides: nothing implicit. */
    for (size_t i = 0; i < s->n_tables; i++)
        assert_int_equal(s->tables[i].n_rels, s->tables[i].n_declared_rels);
    vt_free(&t);
}

static void complex_schema_builds_dependencies_first(void **state)
{
    (void)state;
    vt t;
    run_file(&t, "examples/complex_schema.json");
    assert_int_equal(t.rc, BB_OK);
    const bb_schema *s = t.s;
    assert_true(order_of(s, "users") < order_of(s, "products"));
    assert_true(order_of(s, "users") < order_of(s, "orders"));
    assert_true(order_of(s, "orders") < order_of(s, "order_items"));
    assert_true(order_of(s, "products") < order_of(s, "order_items"));
    assert_true(order_of(s, "products") < order_of(s, "reviews"));
    vt_free(&t);
}

static void fixture_circular_dependency_is_accepted_with_a_warning(void **state)
{
    (void)state;
    vt t;
    run_file(&t, "fixtures/circular_dependency_schema.json");
    if (t.rc != BB_OK)
        vt_dump(&t);
    assert_int_equal(t.rc, BB_OK);
    const bb_diag *g = vt_find(&t, "BB0428");
    assert_non_null(g);
    assert_int_equal(g->severity, BB_NOTE);
    /* Broken at the first table: table_a.b_id is created by ALTER TABLE. */
    const bb_table *a = vt_table(t.s, "table_a");
    assert_true(a->columns[bb_table_column_index(a, "b_id")].use_alter);
    const bb_table *b = vt_table(t.s, "table_b");
    assert_false(b->columns[bb_table_column_index(b, "a_id")].use_alter);
    assert_int_equal(t.s->n_build_order, 2);
    assert_true(order_of(t.s, "table_a") < order_of(t.s, "table_b"));
    vt_free(&t);
}

static void fixture_no_primary_key_is_rejected(void **state)
{
    (void)state;
    vt t;
    run_file(&t, "fixtures/invalid_no_primary_key.json");
    assert_int_equal(t.rc, BB_EINVAL);
    assert_non_null(vt_find(&t, "BB0404"));
    vt_free(&t);
}

static void fixture_fk_reference_is_rejected(void **state)
{
    (void)state;
    vt t;
    run_file(&t, "fixtures/invalid_fk_reference.json");
    assert_int_equal(t.rc, BB_EINVAL);
    const bb_diag *g = vt_find(&t, "BB0401");
    assert_non_null(g);
    assert_string_equal(g->pointer, "/schema/0/columns/1/target");
    vt_free(&t);
}

static void fixture_json_syntax_is_rejected(void **state)
{
    (void)state;
    vt t;
    run_file(&t, "fixtures/invalid_json_syntax.json");
    assert_int_not_equal(t.rc, BB_OK);
    assert_null(t.s);
    assert_non_null(vt_find(&t, "BB0101"));
    vt_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_simple_schema_is_valid),
        cmocka_unit_test(example_blog_schema_is_valid),
        cmocka_unit_test(example_ecommerce_schema_is_valid),
        cmocka_unit_test(example_complex_schema_is_valid),
        cmocka_unit_test(fixture_valid_schema_with_relationships_is_valid),
        cmocka_unit_test(fixture_valid_simple_schema_builds_users),
        cmocka_unit_test(complex_schema_relationships_are_named_as_meant),
        cmocka_unit_test(complex_schema_builds_dependencies_first),
        cmocka_unit_test(fixture_circular_dependency_is_accepted_with_a_warning),
        cmocka_unit_test(fixture_no_primary_key_is_rejected),
        cmocka_unit_test(fixture_fk_reference_is_rejected),
        cmocka_unit_test(fixture_json_syntax_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
