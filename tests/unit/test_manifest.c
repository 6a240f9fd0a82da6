/* test_manifest.c - the record of a generated tree: parsing, deterministic
 * text, and keys kept for migrations (the hash itself: test_sha256.c). */
#include "testutil.h"

#include "output/manifest.h"

#include <cJSON.h>
#include <string.h>

static void serializes_files_sorted_whatever_the_insertion_order(void **state)
{
    (void)state;
    char h[65];
    assert_int_equal(bb_sha256_hex("x", 1, h), BB_OK);
    bb_manifest *a, *b;
    assert_int_equal(bb_manifest_new(&a), BB_OK);
    assert_int_equal(bb_manifest_new(&b), BB_OK);
    const char *paths[] = {"b.py", "a/z.py", "a.py", "c/d.py"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(bb_manifest_set(a, paths[i], h), BB_OK);
        assert_int_equal(bb_manifest_set(b, paths[3 - i], h), BB_OK);
    }
    char *ta, *tb;
    size_t la, lb;
    assert_int_equal(bb_manifest_serialize(a, &ta, &la), BB_OK);
    assert_int_equal(bb_manifest_serialize(b, &tb, &lb), BB_OK);
    assert_string_equal(ta, tb);
    assert_true(strstr(ta, "\"a.py\"") < strstr(ta, "\"a/z.py\""));
    assert_true(strstr(ta, "\"a/z.py\"") < strstr(ta, "\"b.py\""));
    assert_int_equal(ta[la - 1], '\n');
    assert_non_null(strstr(ta, "\"backbone_version\":\t\"" BB_VERSION "\""));
    bb_free(ta);
    bb_free(tb);
    bb_manifest_free(a);
    bb_manifest_free(b);
}

static void round_trips_through_its_text(void **state)
{
    (void)state;
    char h[65];
    assert_int_equal(bb_sha256_hex("data", 4, h), BB_OK);
    bb_manifest *m, *back;
    assert_int_equal(bb_manifest_new(&m), BB_OK);
    assert_int_equal(bb_manifest_set(m, "app/main.py", h), BB_OK);
    char *text;
    size_t len;
    assert_int_equal(bb_manifest_serialize(m, &text, &len), BB_OK);
    bb_diags d;
    bb_diags_init(&d, "t", NULL, 0);
    assert_int_equal(bb_manifest_parse(text, len, &d, &back), BB_OK);
    assert_string_equal(bb_manifest_hash(back, "app/main.py"), h);
    assert_null(bb_manifest_hash(back, "app/other.py"));
    bb_free(text);
    bb_manifest_free(m);
    bb_manifest_free(back);
    bb_diags_free(&d);
}

static void rejects_a_manifest_that_is_not_one(void **state)
{
    (void)state;
    static const char *bad[] = {
        "not json",
        "[1, 2]",
        "{\"backbone_version\": \"0.1.0\"}",
        "{\"files\": {\"a.py\": \"short\"}}",
        "{\"files\": {\"a.py\": 5}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bb_diags d;
        bb_diags_init(&d, "t", NULL, 0);
        bb_manifest *m = (bb_manifest *)&d; /* must be reset to NULL */
        assert_int_equal(bb_manifest_parse(bad[i], strlen(bad[i]), &d, &m), BB_EINVAL);
        assert_null(m);
        assert_int_equal(d.n_errors, 1);
        assert_string_equal(d.items[0].code, "BB0733");
        bb_diags_free(&d);
    }
}

static void successor_keeps_migration_keys_and_drops_the_files(void **state)
{
    (void)state;
    const char *text = "{\"backbone_version\": \"0.0.9\", \"files\": {\"a.py\": "
                       "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}, "
                       "\"schema\": {\"tables\": []}, \"revisions\": [{\"id\": \"abc\"}]}";
    bb_diags d;
    bb_diags_init(&d, "t", NULL, 0);
    bb_manifest *old, *next;
    assert_int_equal(bb_manifest_parse(text, strlen(text), &d, &old), BB_OK);
    assert_int_equal(bb_manifest_successor(old, &next), BB_OK);
    assert_null(bb_manifest_hash(next, "a.py"));
    assert_non_null(bb_manifest_hash(old, "a.py"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(next->root, "schema"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(next->root, "revisions"));
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(next->root, "backbone_version");
    assert_string_equal(v->valuestring, BB_VERSION);
    bb_manifest_free(old);
    bb_manifest_free(next);
    bb_diags_free(&d);
}

static void load_reports_a_missing_manifest_as_not_found(void **state)
{
    (void)state;
    bb_diags d;
    bb_diags_init(&d, "t", NULL, 0);
    bb_manifest *m;
    assert_int_equal(bb_manifest_load("/nonexistent-backbone-dir", &d, &m), BB_ENOTFOUND);
    assert_null(m);
    assert_int_equal(d.n, 0);
    bb_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serializes_files_sorted_whatever_the_insertion_order),
        cmocka_unit_test(round_trips_through_its_text),
        cmocka_unit_test(rejects_a_manifest_that_is_not_one),
        cmocka_unit_test(successor_keeps_migration_keys_and_drops_the_files),
        cmocka_unit_test(load_reports_a_missing_manifest_as_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
