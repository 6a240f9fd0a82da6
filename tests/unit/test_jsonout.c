/* test_jsonout.c - JSON text as cJSON prints it: trees of every kind
 * (formatted or not, numbers at the edges, project documents); string
 * literals for every byte value, at every position around the 16-byte steps, for random
 * strings; the end at a NUL; the buffer's cap leaves it as it was. */
#include "testutil.h"

#include "json/jsonout.h"

#include <cJSON.h>
#include <math.h>
#include <string.h>

/* s (n bytes, no NUL inside) as cJSON prints it, compared with ours. */
static void check_like_cjson(const char *s, size_t n)
{
    char *copy = malloc(n + 1);
    assert_non_null(copy);
    memcpy(copy, s, n);
    copy[n] = '\0';
    cJSON *v = cJSON_CreateString(copy);
    assert_non_null(v);
    char *want = cJSON_PrintUnformatted(v);
    assert_non_null(want);
    bb_buf b;
    bb_buf_init(&b, 1 << 24);
    assert_int_equal(bb_json_put_string(&b, s, n), BB_OK);
    assert_string_equal(bb_buf_str(&b), want);
    bb_buf_free(&b);
    cJSON_free(want);
    cJSON_Delete(v);
    free(copy);
}

static void every_byte_value_is_written_as_cjson_writes_it(void **state)
{
    (void)state;
    for (int c = 1; c < 256; c++) {
        char s[40];
        memset(s, 'x', sizeof(s));
        for (size_t at = 0; at < sizeof(s); at++) {
            s[at] = (char)c;
            check_like_cjson(s, sizeof(s));
            check_like_cjson(s, at + 1); /* the byte last */
            s[at] = 'x';
        }
    }
}

static void random_strings_match_cjson(void **state)
{
    (void)state;
    unsigned seed = 12345;
    static const char pool[] = "ab \"\\\n\r\t\b\f\x01\x1f\x7f\xc3\xa9{}";
    for (int round = 0; round < 2000; round++) {
        char s[300];
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % sizeof(s);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* mostly plain runs of assorted length, now and then an escape */
            s[i] = (seed >> 16) % 5 ? 'p' : pool[(seed >> 20) % (sizeof(pool) - 1)];
        }
        check_like_cjson(s, n);
    }
}

/* Long enough that the per-lane counters are summed many times over. */
static void long_strings_full_of_escapes_match_cjson(void **state)
{
    (void)state;
    size_t n = 70000;
    char *s = malloc(n);
    assert_non_null(s);
    memset(s, '"', n);
    check_like_cjson(s, n);
    for (size_t i = 0; i < n; i++)
        s[i] = "\"\n\001ab\\"[i % 6];
    check_like_cjson(s, n);
    check_like_cjson(s + 3, n - 5);
    free(s);
}

/* v printed by bb_json_print and by cJSON, both ways, must be the same. */
static void check_print(const cJSON *v)
{
    for (int formatted = 0; formatted < 2; formatted++) {
        char *want = formatted ? cJSON_Print(v) : cJSON_PrintUnformatted(v);
        assert_non_null(want);
        bb_buf b;
        bb_buf_init(&b, 1 << 26);
        assert_int_equal(bb_json_print(&b, v, formatted), BB_OK);
        assert_string_equal(bb_buf_str(&b), want);
        bb_buf_free(&b);
        cJSON_free(want);
    }
}

static void check_print_text(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    assert_non_null(v);
    check_print(v);
    cJSON_Delete(v);
}

static void trees_print_as_cjson_prints_them(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{}",
        "[]",
        "{\"a\":{}}",
        "{\"a\":[]}",
        "[{}, [], [[]], {\"b\":{\"c\":{}}}]",
        "{\"a\":1,\"b\":[1,2,{\"c\":null,\"d\":true,\"e\":false}],\"f\":\"x\\\"y\\n\"}",
        "[0, -0, 1, -1, 0.1, 0.5, 1.5, -2.25, 3.141592653589793, 1e300, -1e-300, 1e-7, "
        "123456789012,"
        " 2147483647, 2147483648, -2147483648, -2147483649, 9007199254740993, 0.30000000000000004,"
        " 1.7976931348623157e308, 5e-324, 100, 1e2, 12.0]",
        "{\"\":\"\",\"\\u0001\\t\":\"\\u001f\"}",
        "\"top\"",
        "42",
        "null",
        "[null]",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
        check_print_text(docs[i]);
    cJSON *odd = cJSON_CreateArray();
    cJSON_AddItemToArray(odd, cJSON_CreateNumber(NAN));
    cJSON_AddItemToArray(odd, cJSON_CreateNumber(INFINITY));
    cJSON_AddItemToArray(odd, cJSON_CreateNumber(-INFINITY));
    cJSON_AddItemToArray(odd, cJSON_CreateRaw("{\"raw\": 1}"));
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddItemToObject(obj, "deep", cJSON_Parse("{\"a\":{\"b\":[{\"c\":{}}]}}"));
    cJSON_AddItemToArray(odd, obj);
    check_print(odd);
    cJSON_Delete(odd);
}

/* Keys shared by address, as the plan's and the normalized schema's are:
 * past the first few dozen keys they come from a cache, long or escaped
 * ones included. */
static void shared_keys_print_as_cjson_prints_them(void **state)
{
    (void)state;
    static const char *const keys[] = {"name",
                                       "type",
                                       "a \"quoted\"\tkey",
                                       "",
                                       "a key longer than the forty bytes a slot holds",
                                       "n",
                                       "nullable",
                                       "x\\y",
                                       "\xc3\xa9t\xc3\xa9"};
    size_t n_keys = sizeof(keys) / sizeof(keys[0]);
    cJSON *root = cJSON_CreateArray();
    for (int i = 0; i < 300; i++) {
        cJSON *o = cJSON_CreateObject();
        for (size_t k = 0; k < n_keys; k++)
            cJSON_AddItemToObjectCS(o, keys[(k + (size_t)i) % n_keys], cJSON_CreateNumber(i));
        cJSON_AddItemToObject(o, "copied", cJSON_CreateString("each its own key"));
        cJSON_AddItemToArray(root, o);
    }
    check_print(root);
    cJSON_Delete(root);
}

static void project_documents_print_as_cjson_prints_them(void **state)
{
    (void)state;
    static const char *const files[] = {"schemas/kitchen_sink.json", "schemas/shop.json",
                                        "schemas/backbone.schema.json",
                                        "tests/e2e/edge_cases.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t len;
        char *text = tu_read_file(files[i], &len);
        check_print_text(text);
        free(text);
    }
}

static void the_string_ends_at_a_nul(void **state)
{
    (void)state;
    bb_buf b;
    bb_buf_init(&b, 1024);
    const char s[] = "0123456789abcdefghij\0after";
    assert_int_equal(bb_json_put_string(&b, s, sizeof(s) - 1), BB_OK);
    assert_string_equal(bb_buf_str(&b), "\"0123456789abcdefghij\"");
    /* long enough for the in-block path, the NUL at every place of a block */
    char longer[64];
    for (size_t at = 0; at < 40; at++) {
        memset(longer, 'a', sizeof(longer));
        longer[at / 2] = '"'; /* an escape before it, now and then in the same block */
        longer[at] = '\0';
        bb_buf_reset(&b);
        assert_int_equal(bb_json_put_string(&b, longer, sizeof(longer)), BB_OK);
        cJSON *v = cJSON_CreateString(longer);
        char *want = cJSON_PrintUnformatted(v);
        assert_string_equal(bb_buf_str(&b), want);
        cJSON_free(want);
        cJSON_Delete(v);
    }
    bb_buf_reset(&b);
    assert_int_equal(bb_json_put_string(&b, "", 0), BB_OK);
    assert_string_equal(bb_buf_str(&b), "\"\"");
    bb_buf_free(&b);
}

static void a_string_past_the_cap_leaves_the_buffer_as_it_was(void **state)
{
    (void)state;
    const char *s = "line one\nline \"two\"\n";
    size_t want = strlen("\"line one\\nline \\\"two\\\"\\n\"");
    for (size_t cap = 0; cap <= want + 4; cap++) {
        bb_buf b;
        bb_buf_init(&b, 4 + cap);
        assert_int_equal(bb_buf_puts(&b, "pre:"), BB_OK);
        int rc = bb_json_put_string(&b, s, strlen(s));
        if (cap < want) {
            assert_int_equal(rc, BB_ELIMIT);
            assert_string_equal(bb_buf_str(&b), "pre:");
        } else {
            assert_int_equal(rc, BB_OK);
            assert_string_equal(bb_buf_str(&b), "pre:\"line one\\nline \\\"two\\\"\\n\"");
        }
        bb_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_byte_value_is_written_as_cjson_writes_it),
        cmocka_unit_test(random_strings_match_cjson),
        cmocka_unit_test(long_strings_full_of_escapes_match_cjson),
        cmocka_unit_test(the_string_ends_at_a_nul),
        cmocka_unit_test(trees_print_as_cjson_prints_them),
        cmocka_unit_test(shared_keys_print_as_cjson_prints_them),
        cmocka_unit_test(project_documents_print_as_cjson_prints_them),
        cmocka_unit_test(a_string_past_the_cap_leaves_the_buffer_as_it_was),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
