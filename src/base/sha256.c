/* sha256.c - SHA-256 of FIPS 180-4 section 6.2, in portable C, and with
 * the x86 SHA extensions where the CPU has them (see sha256.h). */
#include "base/sha256.h"
#include "base/hex.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHA_NI 1
#endif

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

static inline uint32_t rotr(uint32_t x, unsigned n)
{
    return x >> n | x << (32 - n);
}

static inline uint32_t load_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Compresses one 64-byte block into state. The rounds are unrolled eight
 * at a time with the working variables renamed instead of shifted, and the
 * message schedule kept in a rolling window of 16 words: about half the
 * instructions of the loop as the standard writes it. */
#define BSIG0(x) (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22))
#define BSIG1(x) (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25))
#define SSIG0(x) (rotr(x, 7) ^ rotr(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (rotr(x, 17) ^ rotr(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define SCHEDULE(i)                                                                                \
    (w[(i)&15] += SSIG1(w[((i) + 14) & 15]) + w[((i) + 9) & 15] + SSIG0(w[((i) + 1) & 15]))
#define ROUND(a, b, c, d, e, f, g, h, i, wi)                                                       \
    do {                                                                                           \
        uint32_t t1 = (h) + BSIG1(e) + CH(e, f, g) + K256[i] + (wi);                               \
        (d) += t1;                                                                                 \
        (h) = t1 + BSIG0(a) + MAJ(a, b, c);                                                        \
    } while (0)
#define EIGHT(i, W)                                                                                \
    do {                                                                                           \
        ROUND(a, b, c, d, e, f, g, h, (i) + 0, W((i) + 0));                                        \
        ROUND(h, a, b, c, d, e, f, g, (i) + 1, W((i) + 1));                                        \
        ROUND(g, h, a, b, c, d, e, f, (i) + 2, W((i) + 2));                                        \
        ROUND(f, g, h, a, b, c, d, e, (i) + 3, W((i) + 3));                                        \
        ROUND(e, f, g, h, a, b, c, d, (i) + 4, W((i) + 4));                                        \
        ROUND(d, e, f, g, h, a, b, c, (i) + 5, W((i) + 5));                                        \
        ROUND(c, d, e, f, g, h, a, b, (i) + 6, W((i) + 6));                                        \
        ROUND(b, c, d, e, f, g, h, a, (i) + 7, W((i) + 7));                                        \
    } while (0)
#define LOADED(i) w[i]

static void compress(uint32_t state[8], const unsigned char *p)
{
    uint32_t w[16];
    for (int t = 0; t < 16; t++)
        w[t] = load_be32(p + 4 * t);
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    EIGHT(0, LOADED);
    EIGHT(8, LOADED);
    for (int t = 16; t < 64; t += 16) {
        EIGHT(t, SCHEDULE);
        EIGHT(t + 8, SCHEDULE);
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

static void compress_blocks(uint32_t state[8], const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        compress(state, p + 64 * i);
}

#ifdef HAVE_SHA_NI
/* The same, four rounds per step with the SHA extensions. The state is
 * kept as the instructions want it, ABEF and CDGH, and the schedule in
 * four-word groups: W[i] = msg2(msg1(W[i-4], W[i-3]) + W[i-1..i-2] mixed,
 * W[i-1]). */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_blocks_ni(uint32_t state[8], const unsigned char *p, size_t n)
{
    const __m128i be = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);
    __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
    __m128i abef = _mm_alignr_epi8(dcba, hgfe, 8);
    __m128i cdgh = _mm_blend_epi16(hgfe, dcba, 0xF0);
    for (; n; n--, p += 64) {
        __m128i abef_in = abef, cdgh_in = cdgh, w[16];
        for (int i = 0; i < 16; i++) {
            if (i < 4)
                w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), be);
            else
                w[i] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w[i - 4], w[i - 3]),
                                                          _mm_alignr_epi8(w[i - 1], w[i - 2], 4)),
                                            w[i - 1]);
            __m128i m = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *)&K256[4 * i]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, m);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(m, 0x0E));
        }
        abef = _mm_add_epi32(abef, abef_in);
        cdgh = _mm_add_epi32(cdgh, cdgh_in);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

static bool cpu_has_sha_ni(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
        return false;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}
#endif

/* 0: not decided yet; 1: portable; 2: SHA extensions. */
static atomic_int path;

static int chosen_path(void)
{
    int p = atomic_load_explicit(&path, memory_order_relaxed);
    if (p)
        return p;
#ifdef HAVE_SHA_NI
    p = cpu_has_sha_ni() ? 2 : 1;
#else
    p = 1;
#endif
    atomic_store_explicit(&path, p, memory_order_relaxed);
    return p;
}

bool bb_sha256_accelerated(void)
{
    return chosen_path() == 2;
}

void bb_sha256_force_portable(bool on)
{
    atomic_store(&path, on ? 1 : 0);
}

void bb_sha256(const void *data, size_t len, unsigned char digest[BB_SHA256_LEN])
{
    void (*blocks)(uint32_t *, const unsigned char *, size_t) = compress_blocks;
#ifdef HAVE_SHA_NI
    if (chosen_path() == 2)
        blocks = compress_blocks_ni;
#endif
    uint32_t state[8];
    memcpy(state, H0, sizeof(H0));
    const unsigned char *p = data;
    size_t full = len / 64;
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
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (unsigned char)(state[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(state[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(state[i] >> 8);
        digest[4 * i + 3] = (unsigned char)state[i];
    }
}

int bb_sha256_hex(const void *data, size_t len, char hex[BB_SHA256_HEX_LEN + 1])
{
    unsigned char digest[BB_SHA256_LEN];
    bb_sha256(data, len, digest);
    bb_hex_encode(digest, sizeof(digest), hex);
    return BB_OK;
}
