/* test_jsonstr.c - JSON string literals: the same text cJSON prints for
 * every byte value, at every position around the 16-byte steps, for random
 * strings; the end at a NUL; the buffer's cap leaves it as it was. */
#include "testutil.h"

#include "jsonstr.h"

#include <cJSON.h>
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

static void the_string_ends_at_a_nul(void **state)
{
    (void)state;
    bb_buf b;
    bb_buf_init(&b, 1024);
    const char s[] = "0123456789abcdefghij\0after";
    assert_int_equal(bb_json_put_string(&b, s, sizeof(s) - 1), BB_OK);
    assert_string_equal(bb_buf_str(&b), "\"0123456789abcdefghij\"");
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
        cmocka_unit_test(a_string_past_the_cap_leaves_the_buffer_as_it_was),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
