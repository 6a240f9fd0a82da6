/* crypto.c - HMAC-SHA256, random bytes and constant-time helpers (see
 * crypto.h). */
#include "base/crypto.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define BLOCK 64 /* SHA-256's block: the HMAC key's size */

int bb_crypto_sha256_parts(const bb_crypto_part *parts, size_t n,
                           unsigned char digest[BB_SHA256_LEN])
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += parts[i].len;
    unsigned char *all = bb_malloc(total ? total : 1);
    if (!all)
        return BB_ENOMEM;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].len)
            memcpy(all + at, parts[i].data, parts[i].len);
        at += parts[i].len;
    }
    bb_sha256(all, total, digest);
    /* The parts may be secret (an HMAC key block). */
    bb_crypto_wipe(all, total);
    bb_free(all);
    return BB_OK;
}

int bb_crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                          unsigned char mac[BB_SHA256_LEN])
{
    unsigned char k[BLOCK] = {0}, ipad[BLOCK], opad[BLOCK], inner[BB_SHA256_LEN];
    if (key_len > BLOCK)
        bb_sha256(key, key_len, k);
    else if (key_len)
        memcpy(k, key, key_len);
    for (int i = 0; i < BLOCK; i++) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }
    bb_crypto_part in[2] = {{ipad, BLOCK}, {data, len}};
    int rc = bb_crypto_sha256_parts(in, 2, inner);
    bb_crypto_part out[2] = {{opad, BLOCK}, {inner, sizeof(inner)}};
    if (!rc)
        rc = bb_crypto_sha256_parts(out, 2, mac);
    bb_crypto_wipe(k, sizeof(k));
    bb_crypto_wipe(ipad, sizeof(ipad));
    bb_crypto_wipe(opad, sizeof(opad));
    bb_crypto_wipe(inner, sizeof(inner));
    return rc;
}

int bb_crypto_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return BB_EIO;
        p += got;
        n -= (size_t)got;
    }
    return BB_OK;
}

bool bb_crypto_equal(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(x[i] ^ y[i]);
    return diff == 0;
}

void bb_crypto_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}
