/* test_sha256.c - SHA-256: the FIPS 180 vectors, and the lengths around
 * the padding's block boundaries (digests from an independent
 * implementation). */
#include "testutil.h"

#include "base/sha256.h"

#include <string.h>

static void expect_hex(const void *data, size_t len, const char *want)
{
    char hex[BB_SHA256_HEX_LEN + 1];
    assert_int_equal(bb_sha256_hex(data, len, hex), BB_OK);
    assert_string_equal(hex, want);
}

static void fips_180_vectors_match(void **state)
{
    (void)state;
    expect_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    expect_hex(two_blocks, strlen(two_blocks),
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *long_msg =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
        "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    expect_hex(long_msg, strlen(long_msg),
               "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    size_t n_million = 1000000;
    char *million = malloc(n_million);
    assert_non_null(million);
    memset(million, 'a', n_million);
    expect_hex(million, n_million,
               "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

/* A tail of 55 bytes leaves room for the marker and the length in its
 * block, 56 to 63 do not; 119/120 are the same boundary one block on. */
static void lengths_around_block_boundaries_pad_right(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        const char *hex;
    } cases[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a"},
        {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
        {1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"},
    };
    char a[1000];
    memset(a, 'a', sizeof(a));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_hex(a, cases[i].len, cases[i].hex);
}

static void hex_spells_the_digest_in_lower_case(void **state)
{
    (void)state;
    unsigned char raw[BB_SHA256_LEN];
    char hex[BB_SHA256_HEX_LEN + 1], want[BB_SHA256_HEX_LEN + 1];
    bb_sha256("backbone", 8, raw);
    assert_int_equal(bb_sha256_hex("backbone", 8, hex), BB_OK);
    for (int i = 0; i < BB_SHA256_LEN; i++)
        snprintf(want + 2 * i, 3, "%02x", raw[i]);
    assert_string_equal(hex, want);
}

/* The SHA extensions and the portable code agree on every length up to
 * a few blocks, and on unaligned starts. */
static void both_implementations_agree(void **state)
{
    (void)state;
    if (!bb_sha256_accelerated())
        skip(); /* this CPU has no SHA extensions: the vectors ran portable */
    unsigned char buf[700];
    uint32_t x = 2463534242u; /* xorshift32: the same bytes every run */
    for (size_t i = 0; i < sizeof(buf); i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        buf[i] = (unsigned char)x;
    }
    for (size_t len = 0; len + 3 <= sizeof(buf); len += len < 200 ? 1 : 37) {
        for (size_t at = 0; at < 3; at++) {
            unsigned char fast[BB_SHA256_LEN], plain[BB_SHA256_LEN];
            bb_sha256(buf + at, len, fast);
            bb_sha256_force_portable(true);
            bb_sha256(buf + at, len, plain);
            bb_sha256_force_portable(false);
            assert_memory_equal(fast, plain, sizeof(fast));
        }
    }
}

static int portable(void **state)
{
    (void)state;
    bb_sha256_force_portable(true);
    return 0;
}

static int cpu_choice(void **state)
{
    (void)state;
    bb_sha256_force_portable(false);
    return 0;
}

int main(void)
{
    /* The vectors, with the implementation the CPU gets, then portable. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fips_180_vectors_match),
        cmocka_unit_test(lengths_around_block_boundaries_pad_right),
        cmocka_unit_test(hex_spells_the_digest_in_lower_case),
        cmocka_unit_test(both_implementations_agree),
    };
    const struct CMUnitTest portable_tests[] = {
        cmocka_unit_test(fips_180_vectors_match),
        cmocka_unit_test(lengths_around_block_boundaries_pad_right),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("portable", portable_tests, portable, cpu_choice);
}
