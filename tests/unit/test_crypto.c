/* test_crypto.c - HMAC-SHA256 against RFC 4231, SHA-256 of parts, random
 * bytes, constant-time comparison and wiping. */
#include "testutil.h"

#include "base/crypto.h"

#include <string.h>

static void hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void assert_hmac(const void *key, size_t key_len, const char *data, const char *want)
{
    unsigned char mac[BB_SHA256_LEN];
    char text[2 * BB_SHA256_LEN + 1];
    assert_int_equal(bb_crypto_hmac_sha256(key, key_len, data, strlen(data), mac), BB_OK);
    hex(mac, sizeof(mac), text);
    assert_string_equal(text, want);
}

static void hmac_matches_rfc_4231(void **state)
{
    (void)state;
    unsigned char k1[20], k6[131];
    memset(k1, 0x0b, sizeof(k1));
    memset(k6, 0xaa, sizeof(k6));
    assert_hmac(k1, sizeof(k1), "Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    assert_hmac("Jefe", 4, "what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* A key longer than a block is hashed first. */
    assert_hmac(k6, sizeof(k6), "Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    assert_hmac("key", 3, "The quick brown fox jumps over the lazy dog",
                "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

static void sha256_of_parts_is_that_of_their_concatenation(void **state)
{
    (void)state;
    unsigned char a[BB_SHA256_LEN], b[BB_SHA256_LEN];
    const bb_crypto_part parts[] = {{"openai", 7}, {"", 0}, {"gpt\0", 4}, {"body", 4}};
    assert_int_equal(bb_crypto_sha256_parts(parts, 4, a), BB_OK);
    bb_sha256("openai\0gpt\0body", 15, b);
    assert_memory_equal(a, b, sizeof(a));
    assert_int_equal(bb_crypto_sha256_parts(NULL, 0, a), BB_OK);
    bb_sha256("", 0, b);
    assert_memory_equal(a, b, sizeof(a));
}

static void random_bytes_differ_between_calls(void **state)
{
    (void)state;
    unsigned char x[32] = {0}, y[32] = {0};
    assert_int_equal(bb_crypto_random(x, sizeof(x)), BB_OK);
    assert_int_equal(bb_crypto_random(y, sizeof(y)), BB_OK);
    assert_memory_not_equal(x, y, sizeof(x));
    assert_int_equal(bb_crypto_random(x, 0), BB_OK);
}

static void equal_compares_every_byte_and_wipe_zeroes(void **state)
{
    (void)state;
    assert_true(bb_crypto_equal("same", "same", 4));
    assert_false(bb_crypto_equal("same", "sane", 4));
    assert_false(bb_crypto_equal("samE", "same", 4));
    assert_true(bb_crypto_equal("a", "b", 0));
    char secret[8] = "hunter2";
    bb_crypto_wipe(secret, sizeof(secret));
    static const char zeros[8];
    assert_memory_equal(secret, zeros, sizeof(secret));
    bb_crypto_wipe(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hmac_matches_rfc_4231),
        cmocka_unit_test(sha256_of_parts_is_that_of_their_concatenation),
        cmocka_unit_test(random_bytes_differ_between_calls),
        cmocka_unit_test(equal_compares_every_byte_and_wipe_zeroes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
