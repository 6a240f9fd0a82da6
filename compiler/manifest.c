/* manifest.c - the record of a generated tree (see manifest.h). */
#include "manifest.h"

#include "cli.h"

#include <cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int manifest_wrap(cJSON *root, bb_manifest **out)
{
    bb_manifest *m = bb_calloc(1, sizeof(*m));
    if (!m) {
        cJSON_Delete(root);
        return BB_ENOMEM;
    }
    m->root = root;
    *out = m;
    return BB_OK;
}

/* Sets key to a fresh string, replacing any earlier value. */
static int set_string(cJSON *obj, const char *key, const char *value)
{
    cJSON *v = cJSON_CreateString(value);
    if (!v)
        return BB_ENOMEM;
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v)) {
            cJSON_Delete(v);
            return BB_ENOMEM;
        }
        return BB_OK;
    }
    if (!cJSON_AddItemToObject(obj, key, v)) {
        cJSON_Delete(v);
        return BB_ENOMEM;
    }
    return BB_OK;
}

int bb_manifest_new(bb_manifest **out)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root || set_string(root, "backbone_version", BB_VERSION) ||
        !cJSON_AddObjectToObject(root, "files")) {
        cJSON_Delete(root);
        return BB_ENOMEM;
    }
    return manifest_wrap(root, out);
}

static bool is_hex_digest(const char *s)
{
    if (strlen(s) != BB_SHA256_HEX_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* Checks the parts of the manifest this module relies on. */
static const char *manifest_problem(const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return "the manifest is not a JSON object";
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
    if (!cJSON_IsObject(files))
        return "\"files\" is missing or not an object";
    const cJSON *f;
    cJSON_ArrayForEach(f, files)
    {
        if (!cJSON_IsString(f) || !is_hex_digest(f->valuestring))
            return "a \"files\" entry is not a SHA-256 hex digest";
    }
    return NULL;
}

int bb_manifest_parse(const char *text, size_t len, bb_diags *diags, bb_manifest **out)
{
    *out = NULL;
    cJSON *root = cJSON_ParseWithLength(text, len);
    const char *problem = root ? manifest_problem(root) : "the manifest is not valid JSON";
    if (problem) {
        cJSON_Delete(root);
        bb_diag_add(diags, BB_ERROR, "BB0733", NULL, BB_NO_OFFSET,
                    "restore " BB_MANIFEST_PATH " from version control, or regenerate into "
                    "an empty directory",
                    "%s: %s", BB_MANIFEST_PATH, problem);
        return BB_EINVAL;
    }
    return manifest_wrap(root, out);
}

int bb_manifest_load(const char *dir, bb_diags *diags, bb_manifest **out)
{
    *out = NULL;
    bb_buf path;
    bb_buf_init(&path, 8192);
    int rc = bb_buf_printf(&path, "%s/%s", dir, BB_MANIFEST_PATH);
    if (rc)
        return rc;
    char *text = NULL;
    size_t len = 0;
    rc = bb_read_file(bb_buf_str(&path), BB_MANIFEST_MAX_BYTES, &text, &len);
    if (rc == BB_EIO && (errno == ENOENT || errno == ENOTDIR))
        rc = BB_ENOTFOUND;
    else if (rc == BB_EIO)
        bb_diag_add(diags, BB_ERROR, "BB0733", NULL, BB_NO_OFFSET, NULL, "cannot read %s: %s",
                    bb_buf_str(&path), strerror(errno));
    else if (rc == BB_ELIMIT) {
        bb_diag_add(diags, BB_ERROR, "BB0733", NULL, BB_NO_OFFSET, NULL,
                    "%s is larger than %u bytes", bb_buf_str(&path), BB_MANIFEST_MAX_BYTES);
        rc = BB_EINVAL;
    } else if (rc == BB_OK) {
        rc = bb_manifest_parse(text, len, diags, out);
    }
    bb_free(text);
    bb_buf_free(&path);
    return rc;
}

int bb_manifest_successor(const bb_manifest *old, bb_manifest **out)
{
    *out = NULL;
    if (!old)
        return bb_manifest_new(out);
    cJSON *root = cJSON_Duplicate(old->root, 1);
    if (!root)
        return BB_ENOMEM;
    cJSON *files = cJSON_CreateObject();
    if (!files || !cJSON_ReplaceItemInObjectCaseSensitive(root, "files", files) ||
        set_string(root, "backbone_version", BB_VERSION)) {
        if (files && cJSON_GetObjectItemCaseSensitive(root, "files") != files)
            cJSON_Delete(files);
        cJSON_Delete(root);
        return BB_ENOMEM;
    }
    return manifest_wrap(root, out);
}

const cJSON *bb_manifest_files(const bb_manifest *m)
{
    return cJSON_GetObjectItemCaseSensitive(m->root, "files");
}

const char *bb_manifest_hash(const bb_manifest *m, const char *path)
{
    if (!m)
        return NULL;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(bb_manifest_files(m), path);
    return cJSON_IsString(h) ? h->valuestring : NULL;
}

int bb_manifest_set(bb_manifest *m, const char *path, const char *hex)
{
    return set_string(cJSON_GetObjectItemCaseSensitive(m->root, "files"), path, hex);
}

void bb_manifest_adopt(bb_manifest *m, const char *key, cJSON **value)
{
    if (!*value)
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(m->root, key);
    cJSON_AddItemToObject(m->root, key, *value);
    *value = NULL;
}

static int compare_keys(const void *a, const void *b)
{
    const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* Relinks the children of obj in key order (cJSON keeps insertion order). */
static int sort_object(cJSON *obj)
{
    size_t n = (size_t)cJSON_GetArraySize(obj);
    if (n < 2)
        return BB_OK;
    cJSON **items = bb_malloc(n * sizeof(*items));
    if (!items)
        return BB_ENOMEM;
    size_t i = 0;
    for (cJSON *c = obj->child; c; c = c->next)
        items[i++] = c;
    qsort(items, n, sizeof(*items), compare_keys);
    for (i = 0; i < n; i++) {
        items[i]->prev = i ? items[i - 1] : items[n - 1]; /* cJSON: head->prev is the tail */
        items[i]->next = i + 1 < n ? items[i + 1] : NULL;
    }
    obj->child = items[0];
    bb_free(items);
    return BB_OK;
}

int bb_manifest_serialize(bb_manifest *m, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int rc = sort_object(cJSON_GetObjectItemCaseSensitive(m->root, "files"));
    if (rc)
        return rc;
    char *text = cJSON_Print(m->root);
    if (!text)
        return BB_ENOMEM;
    size_t n = strlen(text);
    char *copy = bb_malloc(n + 2);
    if (copy) {
        memcpy(copy, text, n);
        copy[n] = '\n';
        copy[n + 1] = '\0';
    }
    cJSON_free(text);
    if (!copy)
        return BB_ENOMEM;
    *out = copy;
    *len = n + 1;
    return BB_OK;
}

void bb_manifest_free(bb_manifest *m)
{
    if (!m)
        return;
    cJSON_Delete(m->root);
    bb_free(m);
}

/* ---- SHA-256 (FIPS 180-4) -------------------------------------------------
 *
 * Built in rather than taken from libcrypto: loading libcrypto and its
 * default provider costs `generate` about 1.5 ms and 3.7 MiB of resident
 * memory, more than hashing a 50-table project takes. x86-64 processors with
 * the SHA extensions get them (about 1.7 GB/s); others the portable code.
 */

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

static uint32_t ror(uint32_t x, unsigned n)
{
    return x >> n | x << (32 - n);
}

static uint32_t load_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Compresses n 64-byte blocks into state, in portable C. */
static void sha256_blocks_c(uint32_t state[8], const unsigned char *p, size_t n)
{
    for (; n; n--, p += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; i++)
            w[i] = load_be32(p + 4 * i);
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 =
                h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
            uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
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
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/*
 * The same with the SHA extensions. The state lives in two registers as
 * (A,B,E,F) and (C,D,G,H); each step of the loop does four rounds, and from
 * the fifth on first extends the message schedule by four words from the
 * four groups before (kept in m[], group g in m[g % 4]).
 */
SHA_TARGET static void sha256_blocks_ni(uint32_t state[8], const unsigned char *p, size_t n)
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

static bool cpu_has_sha(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
        return false;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
}

static void sha256_blocks(uint32_t state[8], const unsigned char *p, size_t n)
{
    static int has_sha = -1; /* a benign race: every thread computes the same */
    if (has_sha < 0)
        has_sha = cpu_has_sha();
    if (has_sha)
        sha256_blocks_ni(state, p, n);
    else
        sha256_blocks_c(state, p, n);
}
#else
static void sha256_blocks(uint32_t state[8], const unsigned char *p, size_t n)
{
    sha256_blocks_c(state, p, n);
}
#endif

int bb_sha256_hex(const void *data, size_t len, char hex[BB_SHA256_HEX_LEN + 1])
{
    uint32_t state[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const unsigned char *p = data;
    size_t full = len / 64;
    if (full)
        sha256_blocks(state, p, full);
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
    sha256_blocks(state, last, n_last);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        unsigned byte = state[i / 4] >> (24 - 8 * (i % 4)) & 0xff;
        hex[2 * i] = digits[byte >> 4];
        hex[2 * i + 1] = digits[byte & 15];
    }
    hex[BB_SHA256_HEX_LEN] = '\0';
    return BB_OK;
}
