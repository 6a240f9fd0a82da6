/* sha256.c - SHA-256 with the fastest compression function this CPU runs
 * (see sha256.h). */
#include "base/sha256.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

typedef void (*blocks_fn)(uint32_t state[8], const unsigned char *p, size_t n);

/* ---- portable C ------------------------------------------------------------
 *
 * Every round unrolled, so the eight working variables stay in registers
 * and rename instead of moving, and the message schedule is a ring of
 * sixteen words extended as the rounds need them. The macros take plain
 * variables only (they repeat their arguments).
 */

#define ROTR(x, n) ((x) >> (n) | (x) << (32 - (n)))
/* The rotations nested: the same values, one copy of the input instead of
 * three on processors whose rotate overwrites its operand. */
#define BSIG0(a) ROTR((a) ^ ROTR((a) ^ ROTR((a), 9), 11), 2)
#define BSIG1(e) ROTR((e) ^ ROTR((e) ^ ROTR((e), 14), 5), 6)
#define SSIG0(x) (ROTR((x) ^ ROTR((x), 11), 7) ^ ((x) >> 3))
#define SSIG1(x) (ROTR((x) ^ ROTR((x), 2), 17) ^ ((x) >> 10))
#define CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))

/* Word i of the schedule (i a constant): the first sixteen are the block's,
 * each later one replaces the word sixteen before it in the ring. */
#define W(i)                                                                                       \
    ((i) < 16 ? w[(i)&15]                                                                          \
              : (w[(i)&15] += SSIG1(w[((i)-2) & 15]) + w[((i)-7) & 15] + SSIG0(w[((i)-15) & 15])))

/* One round. Maj(a,b,c) is b ^ ((a ^ b) & (b ^ c)), and this round's
 * b ^ c is the a ^ b of the round before: ab and bc hand it on. */
#define ROUND(a, b, c, d, e, f, g, h, i, ab, bc)                                                   \
    do {                                                                                           \
        uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K256[i] + W(i);                                 \
        d += t1;                                                                                   \
        ab = a ^ b;                                                                                \
        h = t1 + BSIG0(a) + (b ^ (ab & bc));                                                       \
    } while (0)

/* Eight rounds: each names the working variables one place further on. */
#define ROUNDS8(i)                                                                                 \
    do {                                                                                           \
        ROUND(a, b, c, d, e, f, g, h, (i), x, y);                                                  \
        ROUND(h, a, b, c, d, e, f, g, (i) + 1, y, x);                                              \
        ROUND(g, h, a, b, c, d, e, f, (i) + 2, x, y);                                              \
        ROUND(f, g, h, a, b, c, d, e, (i) + 3, y, x);                                              \
        ROUND(e, f, g, h, a, b, c, d, (i) + 4, x, y);                                              \
        ROUND(d, e, f, g, h, a, b, c, (i) + 5, y, x);                                              \
        ROUND(c, d, e, f, g, h, a, b, (i) + 6, x, y);                                              \
        ROUND(b, c, d, e, f, g, h, a, (i) + 7, y, x);                                              \
    } while (0)

static inline uint32_t load_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Compresses n 64-byte blocks into state. Inlined into each caller so that
 * every instruction set gets its own copy. */
static inline __attribute__((always_inline)) void compress(uint32_t state[8],
                                                           const unsigned char *p, size_t n)
{
    for (; n; n--, p += 64) {
        uint32_t w[16];
        for (int i = 0; i < 16; i++)
            w[i] = load_be32(p + 4 * i);
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        uint32_t x, y = b ^ c;
        ROUNDS8(0);
        ROUNDS8(8);
        ROUNDS8(16);
        ROUNDS8(24);
        ROUNDS8(32);
        ROUNDS8(40);
        ROUNDS8(48);
        ROUNDS8(56);
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}

static void blocks_portable(uint32_t state[8], const unsigned char *p, size_t n)
{
    compress(state, p, n);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

/* The portable code compiled for BMI2: rorx rotates into another register,
 * which spares most of the copies (processors from 2013 on, before the SHA
 * extensions reached them). */
__attribute__((target("bmi2"))) static void blocks_bmi2(uint32_t state[8], const unsigned char *p,
                                                        size_t n)
{
    compress(state, p, n);
}

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/*
 * With the SHA extensions. The state lives in two registers as (A,B,E,F)
 * and (C,D,G,H); each step of the loop does four rounds, and from the fifth
 * on first extends the message schedule by four words from the four groups
 * before (kept in m[], group g in m[g % 4]).
 */
SHA_TARGET static void blocks_sha_ni(uint32_t state[8], const unsigned char *p, size_t n)
{
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
    for (; n; n--, p += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh, m[4];
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), swap);
#pragma GCC unroll 16
        for (int g = 0; g < 16; g++) {
            if (g >= 4) {
                __m128i t = _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]);
                t = _mm_add_epi32(t, _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4));
                m[g & 3] = _mm_sha256msg2_epu32(t, m[(g + 3) & 3]);
            }
            __m128i wk = _mm_add_epi32(m[g & 3], _mm_loadu_si128((const __m128i *)&K256[4 * g]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

static const blocks_fn impls[] = {
    [BB_SHA256_PORTABLE] = blocks_portable,
    [BB_SHA256_BMI2] = blocks_bmi2,
    [BB_SHA256_SHA_NI] = blocks_sha_ni,
};

/* The SHA extensions: CPUID leaf 7, EBX bit 29, asked directly because
 * clang before 16 does not know "sha" in __builtin_cpu_supports. */
static bool cpu_has_sha(void)
{
    unsigned a, b, c, d;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
}

static bool cpu_runs(bb_sha256_impl impl)
{
    __builtin_cpu_init();
    switch (impl) {
    case BB_SHA256_SHA_NI:
        return cpu_has_sha() && __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
    case BB_SHA256_BMI2:
        return __builtin_cpu_supports("bmi2");
    default:
        return impl == BB_SHA256_PORTABLE;
    }
}
#else
static const blocks_fn impls[] = {[BB_SHA256_PORTABLE] = blocks_portable};

static bool cpu_runs(bb_sha256_impl impl)
{
    return impl == BB_SHA256_PORTABLE;
}
#endif

/* The chosen implementation, -1 until the first hash looks at the CPU.
 * Threads that race there all store the same value. */
static _Atomic int chosen = -1;

bb_sha256_impl bb_sha256_current(void)
{
    int impl = atomic_load_explicit(&chosen, memory_order_relaxed);
    if (impl < 0) {
        impl = BB_SHA256_SHA_NI;
        while (impl > BB_SHA256_PORTABLE && !cpu_runs((bb_sha256_impl)impl))
            impl--;
        atomic_store_explicit(&chosen, impl, memory_order_relaxed);
    }
    return (bb_sha256_impl)impl;
}

bool bb_sha256_test_use(bb_sha256_impl impl)
{
    if ((unsigned)impl >= sizeof(impls) / sizeof(impls[0]) || !cpu_runs(impl))
        return false;
    atomic_store_explicit(&chosen, (int)impl, memory_order_relaxed);
    return true;
}

/* The state after data, padded as FIPS 180-4 says. */
static void sha256_state(const void *data, size_t len, uint32_t state[8])
{
    blocks_fn blocks = impls[bb_sha256_current()];
    memcpy(state, H0, sizeof(H0));
    const unsigned char *p = data;
    size_t full = len / 64;
    if (full)
        blocks(state, p, full);
    /* The tail, the 0x80 marker and the length in bits fill one or two
     * final blocks. */
    unsigned char last[128] = {0};
    size_t rest = len % 64, n_last = rest + 9 > 64 ? 2 : 1;
    if (rest)
        memcpy(last, p + 64 * full, rest);
    last[rest] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        last[64 * n_last - 1 - i] = (unsigned char)(bits >> (8 * i));
    blocks(state, last, n_last);
}

void bb_sha256(const void *data, size_t len, unsigned char digest[BB_SHA256_LEN])
{
    uint32_t state[8];
    sha256_state(data, len, state);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (unsigned char)(state[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(state[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(state[i] >> 8);
        digest[4 * i + 3] = (unsigned char)state[i];
    }
}

int bb_sha256_hex(const void *data, size_t len, char hex[BB_SHA256_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[BB_SHA256_LEN];
    bb_sha256(data, len, digest);
    for (int i = 0; i < BB_SHA256_LEN; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[BB_SHA256_HEX_LEN] = '\0';
    return BB_OK;
}
