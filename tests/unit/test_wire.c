/* test_wire.c - the strict readers of header values, ids and tokens. */
#include "testutil.h"

#include "server/wire.h"

#include <string.h>

static void field_names_are_tokens(void **state)
{
    (void)state;
    assert_true(bb_wire_field_name_valid("Content-Length"));
    assert_true(bb_wire_field_name_valid("X-Api-Key_2!"));
    assert_false(bb_wire_field_name_valid("Transfer-Encoding "));
    assert_false(bb_wire_field_name_valid(" Host"));
    assert_false(bb_wire_field_name_valid("A\tB"));
    assert_false(bb_wire_field_name_valid("Na\xc3\xafve"));
    assert_false(bb_wire_field_name_valid(""));
    assert_false(bb_wire_field_name_valid(NULL));
}

static void only_plain_chunked_is_chunked(void **state)
{
    (void)state;
    assert_true(bb_wire_is_chunked("chunked"));
    assert_true(bb_wire_is_chunked(" Chunked\t"));
    assert_false(bb_wire_is_chunked("gzip, chunked"));
    assert_false(bb_wire_is_chunked("chunked, gzip"));
    assert_false(bb_wire_is_chunked("chunkedx"));
    assert_false(bb_wire_is_chunked(""));
    assert_false(bb_wire_is_chunked(NULL));
}

static void sizes_are_plain_digits(void **state)
{
    (void)state;
    size_t n = 7;
    assert_true(bb_wire_parse_size("0", &n));
    assert_int_equal(n, 0);
    assert_true(bb_wire_parse_size("10485760", &n));
    assert_int_equal(n, 10485760);
    assert_false(bb_wire_parse_size("-1", &n));
    assert_false(bb_wire_parse_size(" 5", &n));
    assert_false(bb_wire_parse_size("5 ", &n));
    assert_false(bb_wire_parse_size("5,5", &n));
    assert_false(bb_wire_parse_size("99999999999999999999999", &n));
    assert_false(bb_wire_parse_size("", &n));
    assert_false(bb_wire_parse_size(NULL, &n));
}

static void tokens_ids_media_types_and_bearer(void **state)
{
    (void)state;
    assert_true(bb_wire_token_valid("abc-1.2_3", 128));
    assert_false(bb_wire_token_valid("abc/def", 128));
    assert_false(bb_wire_token_valid("", 128));
    assert_false(bb_wire_token_valid("abcd", 3));
    assert_true(bb_wire_media_type_is("application/json; charset=utf-8", "application/json"));
    assert_true(bb_wire_media_type_is(" Application/JSON", "application/json"));
    assert_false(bb_wire_media_type_is("application/jsonx", "application/json"));
    assert_false(bb_wire_media_type_is(NULL, "application/json"));
    assert_true(bb_wire_accepts("text/html, application/gzip;q=0.5", "application/gzip"));
    assert_false(bb_wire_accepts("application/gzip;q=0", "application/gzip"));
    assert_false(bb_wire_accepts(NULL, "application/gzip"));
    assert_string_equal(bb_wire_bearer_token("Bearer  abc"), "abc");
    assert_string_equal(bb_wire_bearer_token("bearer x.y.z"), "x.y.z");
    assert_null(bb_wire_bearer_token("Basic abc"));
    assert_null(bb_wire_bearer_token(NULL));
}

static bool trusts_loopback_and_ten(void *ctx, const char *addr)
{
    (void)ctx;
    return strcmp(addr, "127.0.0.1") == 0 || strncmp(addr, "10.", 3) == 0;
}

static void the_forwarded_client_is_the_rightmost_untrusted_hop(void **state)
{
    (void)state;
    char out[64];
    assert_true(
        bb_wire_forwarded_client("203.0.113.7", trusts_loopback_and_ten, NULL, out, sizeof(out)));
    assert_string_equal(out, "203.0.113.7");
    assert_true(bb_wire_forwarded_client("1.2.3.4, 203.0.113.7 ,10.0.0.2", trusts_loopback_and_ten,
                                         NULL, out, sizeof(out)));
    assert_string_equal(out, "203.0.113.7");
    assert_true(bb_wire_forwarded_client("2001:DB8::0001", trusts_loopback_and_ten, NULL, out,
                                         sizeof(out)));
    assert_string_equal(out, "2001:db8::1");
    assert_true(bb_wire_forwarded_client("10.0.0.9, 10.0.0.2", trusts_loopback_and_ten, NULL, out,
                                         sizeof(out)));
    assert_string_equal(out, "10.0.0.9"); /* every hop trusted: the first */
    strcpy(out, "kept");
    assert_false(bb_wire_forwarded_client("evil, 10.0.0.2", trusts_loopback_and_ten, NULL, out,
                                          sizeof(out)));
    assert_false(bb_wire_forwarded_client("", trusts_loopback_and_ten, NULL, out, sizeof(out)));
    assert_false(
        bb_wire_forwarded_client("1.2.3.4,", trusts_loopback_and_ten, NULL, out, sizeof(out)));
    assert_false(bb_wire_forwarded_client(NULL, trusts_loopback_and_ten, NULL, out, sizeof(out)));
    assert_string_equal(out, "kept");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(field_names_are_tokens),
        cmocka_unit_test(only_plain_chunked_is_chunked),
        cmocka_unit_test(sizes_are_plain_digits),
        cmocka_unit_test(tokens_ids_media_types_and_bearer),
        cmocka_unit_test(the_forwarded_client_is_the_rightmost_untrusted_hop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
