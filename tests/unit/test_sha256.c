/* test_sha256.c - SHA-256: the FIPS 180 vectors and agreement with a plain
 * reference at every length, through every compression function this CPU
 * runs (the portable one always). */
#include "testutil.h"

#include "base/sha256.h"

#include <string.h>

static const bb_sha256_impl all_impls[] = {BB_SHA256_PORTABLE, BB_SHA256_BMI2, BB_SHA256_SHA_NI};
#define N_IMPLS (sizeof(all_impls) / sizeof(all_impls[0]))

/* Goes back to the fastest implementation, as a process starts with. */
static int use_best(void **state)
{
    (void)state;
    for (size_t i = N_IMPLS; i-- > 0;)
        if (bb_sha256_test_use(all_impls[i]))
            break;
    return 0;
}

/* ---- a reference: FIPS 180-4 section 6.2 as written, one block at a time */

static uint32_t ref_rotr(uint32_t x, unsigned n)
{
    return x >> n | x << (32 - n);
}

static void ref_block(uint32_t h[8], const unsigned char *p)
{
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    };
    uint32_t w[64], v[8];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
    for (int t = 16; t < 64; t++)
        w[t] = (ref_rotr(w[t - 2], 17) ^ ref_rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)) + w[t - 7] +
               (ref_rotr(w[t - 15], 7) ^ ref_rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)) + w[t - 16];
    memcpy(v, h, sizeof(v));
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = v[7] + (ref_rotr(v[4], 6) ^ ref_rotr(v[4], 11) ^ ref_rotr(v[4], 25)) +
                      ((v[4] & v[5]) ^ (~v[4] & v[6])) + k[t] + w[t];
        uint32_t t2 = (ref_rotr(v[0], 2) ^ ref_rotr(v[0], 13) ^ ref_rotr(v[0], 22)) +
                      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof(v[0]));
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        h[i] += v[i];
}

static void ref_sha256(const unsigned char *data, size_t len, unsigned char out[32])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    size_t i = 0;
    for (; len - i >= 64; i += 64)
        ref_block(h, data + i);
    unsigned char tail[128] = {0};
    size_t rest = len - i, n = rest < 56 ? 64 : 128;
    memcpy(tail, data + i, rest);
    tail[rest] = 0x80;
    for (int b = 0; b < 8; b++)
        tail[n - 1 - b] = (unsigned char)((uint64_t)len * 8 >> (8 * b));
    for (size_t b = 0; b < n; b += 64)
        ref_block(h, tail + b);
    for (int j = 0; j < 32; j++)
        out[j] = (unsigned char)(h[j / 4] >> (24 - 8 * (j % 4)));
}

/* ---- the tests ----------------------------------------------------------- */

static void portable_code_runs_everywhere_and_is_never_chosen_over_a_faster_one(void **state)
{
    (void)state;
    bb_sha256_impl best = bb_sha256_current();
    for (size_t i = 0; i < N_IMPLS; i++)
        if (all_impls[i] > best)
            assert_false(bb_sha256_test_use(all_impls[i]));
    assert_true(bb_sha256_test_use(BB_SHA256_PORTABLE));
    assert_int_equal(bb_sha256_current(), BB_SHA256_PORTABLE);
    assert_false(bb_sha256_test_use((bb_sha256_impl)99));
    assert_int_equal(bb_sha256_current(), BB_SHA256_PORTABLE);
}

static void fips_180_vectors_match_in_every_implementation(void **state)
{
    (void)state;
    static const struct {
        const char *msg;
        const char *hex;
    } vectors[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
         "lmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    size_t n_million = 1000000;
    char *million = malloc(n_million);
    assert_non_null(million);
    memset(million, 'a', n_million);
    int ran = 0;
    for (size_t i = 0; i < N_IMPLS; i++) {
        if (!bb_sha256_test_use(all_impls[i]))
            continue;
        ran++;
        char hex[BB_SHA256_HEX_LEN + 1];
        for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
            assert_int_equal(bb_sha256_hex(vectors[v].msg, strlen(vectors[v].msg), hex), BB_OK);
            assert_string_equal(hex, vectors[v].hex);
        }
        assert_int_equal(bb_sha256_hex(million, n_million, hex), BB_OK);
        assert_string_equal(hex,
                            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
    assert_true(ran >= 1);
    free(million);
}

/* Bytes of every value, from a fixed linear congruential sequence. */
static unsigned char *noise(size_t n)
{
    unsigned char *p = malloc(n);
    assert_non_null(p);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(x >> 23);
    }
    return p;
}

/* Every implementation agrees with the reference on data at p. */
static void check_all_agree(const unsigned char *p, size_t len)
{
    unsigned char want[32], got[32];
    ref_sha256(p, len, want);
    for (size_t i = 0; i < N_IMPLS; i++) {
        if (!bb_sha256_test_use(all_impls[i]))
            continue;
        bb_sha256(p, len, got);
        if (memcmp(got, want, sizeof(want)) != 0) {
            print_error("implementation %d differs at length %zu\n", (int)all_impls[i], len);
            fail();
        }
    }
}

static void every_length_to_200_agrees_with_the_reference_at_any_alignment(void **state)
{
    (void)state;
    unsigned char *data = noise(200 + 3);
    for (size_t align = 0; align < 4; align++)
        for (size_t len = 0; len + align <= 200 + 3 && len <= 200; len++)
            check_all_agree(data + align, len);
    free(data);
}

static void large_lengths_agree_with_the_reference(void **state)
{
    (void)state;
    static const size_t lengths[] = {1000, 4095, 4096, 4097, 65536 + 55, 65536 + 56, 1000003};
    unsigned char *data = noise(1000003 + 1);
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        check_all_agree(data, lengths[i]);
        check_all_agree(data + 1, lengths[i]);
    }
    free(data);
}

static void hex_spells_the_digest_in_lower_case(void **state)
{
    (void)state;
    unsigned char *data = noise(333);
    unsigned char raw[BB_SHA256_LEN];
    char hex[BB_SHA256_HEX_LEN + 1], want[BB_SHA256_HEX_LEN + 1];
    bb_sha256(data, 333, raw);
    assert_int_equal(bb_sha256_hex(data, 333, hex), BB_OK);
    for (int i = 0; i < BB_SHA256_LEN; i++)
        snprintf(want + 2 * i, 3, "%02x", raw[i]);
    assert_string_equal(hex, want);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(
            portable_code_runs_everywhere_and_is_never_chosen_over_a_faster_one, use_best),
        cmocka_unit_test_teardown(fips_180_vectors_match_in_every_implementation, use_best),
        cmocka_unit_test_teardown(every_length_to_200_agrees_with_the_reference_at_any_alignment,
                                  use_best),
        cmocka_unit_test_teardown(large_lengths_agree_with_the_reference, use_best),
        cmocka_unit_test(hex_spells_the_digest_in_lower_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
