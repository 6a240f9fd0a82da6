/* test_jdoc.c - arena-backed cJSON documents: they print as the same tree
 * made by cJSON would; cJSON's own nodes linked into them (with copied or
 * constant keys, at any depth) are freed with the document (the ASan run
 * finds any leak or bad free); a capped document fails cleanly. */
#include "testutil.h"

#include "json/jdoc.h"

#include <cJSON.h>
#include <string.h>

static void a_document_prints_as_cjson_prints_the_same_tree(void **state)
{
    (void)state;
    cJSON *doc = bb_jdoc_new(1 << 20);
    assert_non_null(doc);
    cJSON *models = bb_jdoc_array(doc);
    assert_true(cJSON_AddItemToObjectCS(doc, "models", models));
    cJSON *m = bb_jdoc_object(doc);
    assert_true(cJSON_AddItemToArray(models, m));
    assert_true(cJSON_AddItemToObjectCS(m, "name", bb_jdoc_string(doc, "say \"hi\"\n")));
    assert_true(cJSON_AddItemToObjectCS(m, "none", bb_jdoc_string(doc, NULL)));
    assert_true(cJSON_AddItemToObjectCS(m, "n", bb_jdoc_number(doc, 42)));
    assert_true(cJSON_AddItemToObjectCS(m, "big", bb_jdoc_number(doc, 1e12)));
    assert_true(cJSON_AddItemToObjectCS(m, "yes", bb_jdoc_bool(doc, true)));
    assert_true(cJSON_AddItemToObjectCS(m, "no", bb_jdoc_bool(doc, false)));

    cJSON *want = cJSON_Parse("{\"models\":[{\"name\":\"say \\\"hi\\\"\\n\",\"none\":\"\","
                              "\"n\":42,\"big\":1e12,\"yes\":true,\"no\":false}]}");
    assert_non_null(want);
    assert_true(cJSON_Compare(doc, want, true));
    char *a = cJSON_PrintUnformatted(doc), *b = cJSON_PrintUnformatted(want);
    assert_string_equal(a, b);
    cJSON *n = cJSON_GetObjectItemCaseSensitive(m, "big");
    assert_true(cJSON_IsNumber(n));
    assert_int_equal(n->valueint, 2147483647); /* saturated, as cJSON does */
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "name")));
    cJSON_free(a);
    cJSON_free(b);
    cJSON_Delete(want);
    bb_jdoc_free(doc);
}

static void cjson_nodes_linked_in_are_freed_with_the_document(void **state)
{
    (void)state;
    cJSON *doc = bb_jdoc_new(1 << 20);
    cJSON *m = bb_jdoc_object(doc);
    /* a copied key on a document node: cJSON's allocation */
    assert_true(cJSON_AddItemToObject(doc, "model", m));
    /* cJSON subtrees below document nodes, and document nodes below them */
    cJSON *marks = cJSON_AddArrayToObject(m, "llm_decided");
    assert_non_null(marks);
    assert_true(cJSON_AddItemToArray(marks, cJSON_CreateString("searchable")));
    cJSON *prov = cJSON_CreateObject();
    assert_true(cJSON_AddItemToObjectCS(prov, "decisions", cJSON_Parse("[{\"kind\":\"x\"}]")));
    assert_true(cJSON_AddItemToObject(doc, "llm", prov));
    assert_true(cJSON_AddItemToObjectCS(prov, "ours", bb_jdoc_string(doc, "kept")));
    assert_true(cJSON_AddItemToArray(marks, cJSON_CreateStringReference("static")));
    /* deleting a cJSON node from a document works as in any tree */
    cJSON_DeleteItemFromObjectCaseSensitive(m, "llm_decided");
    marks = cJSON_AddArrayToObject(m, "llm_decided");
    assert_true(cJSON_AddItemToArray(marks, cJSON_CreateString("example")));
    char *text = cJSON_PrintUnformatted(doc);
    assert_string_equal(text, "{\"model\":{\"llm_decided\":[\"example\"]},"
                              "\"llm\":{\"decisions\":[{\"kind\":\"x\"}],\"ours\":\"kept\"}}");
    cJSON_free(text);
    /* a copy is an ordinary tree */
    cJSON *copy = cJSON_Duplicate(doc, true);
    assert_true(cJSON_Compare(doc, copy, true));
    bb_jdoc_free(doc);
    cJSON_Delete(copy);
    bb_jdoc_free(NULL);
}

static void a_document_over_its_cap_makes_no_more_nodes(void **state)
{
    (void)state;
    cJSON *doc = bb_jdoc_new(4096);
    assert_non_null(doc);
    size_t made = 0;
    for (;;) {
        cJSON *s = bb_jdoc_string(doc, "0123456789012345678901234567890123456789");
        if (!s)
            break;
        assert_true(cJSON_AddItemToObjectCS(doc, "k", s));
        made++;
    }
    assert_true(made > 10 && made < 4096 / 64);
    assert_null(bb_jdoc_object(doc));
    bb_jdoc_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_document_prints_as_cjson_prints_the_same_tree),
        cmocka_unit_test(cjson_nodes_linked_in_are_freed_with_the_document),
        cmocka_unit_test(a_document_over_its_cap_makes_no_more_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
