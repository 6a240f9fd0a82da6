/*
 * fuzz_auth.c - the credential checks of server/auth.c on arbitrary
 * input. The first byte picks what the rest is:
 *
 *   0: a bearer token, checked as it comes (almost always refused early);
 *   1: a JWT payload, signed with the server's secret so the claims checks
 *      run (iss, aud, sub, exp, nbf, iat, the lifetime cap, NULs);
 *   2: a JWT header, signed, with a fixed valid payload;
 *   3: an API key and a BACKBONE_API_KEYS value;
 *   4: base64url text, decoded, re-encoded and compared.
 *
 * Properties: nothing crashes or leaks (ASan), an accepted token's
 * subject is a NUL-terminated string that fits, and whatever decodes
 * re-encodes to the same text.
 */
#include "base/crypto.h"
#include "server/auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "fuzzing-secret-0123456789-abcdefghijklmnop"
#define NOW 1800000000L

static bb_auth *auth;

static bb_auth *setup(void)
{
    bb_auth *a = bb_auth_new();
    char hex[65];
    bb_auth_sha256_hex("bb_fuzz-key", 11, hex);
    if (!a || bb_auth_add_key_digest(a, "fuzz", hex) != BB_OK ||
        bb_auth_set_jwt_secret(a, SECRET, strlen(SECRET)) != BB_OK ||
        bb_auth_set_jwt_claims(a, "issuer", "backbone", 30) != BB_OK)
        abort();
    bb_auth_set_jwt_max_lifetime(a, 86400);
    return a;
}

static void check_token(const char *token)
{
    char sub[BB_AUTH_IDENTITY_MAX];
    memset(sub, 'x', sizeof(sub));
    if (bb_auth_check_jwt(auth, token, NOW, sub, sizeof(sub)) == BB_AUTH_OK &&
        !memchr(sub, '\0', sizeof(sub)))
        abort();
}

/* header.payload.signature with a valid HMAC over the first two. */
static void check_signed(const char *header, size_t hlen, const char *payload, size_t plen)
{
    size_t cap = 4 * (hlen + plen) / 3 + 128;
    char *token = malloc(cap);
    if (!token)
        return;
    size_t n = bb_base64url_encode((const unsigned char *)header, hlen, token);
    token[n++] = '.';
    n += bb_base64url_encode((const unsigned char *)payload, plen, token + n);
    unsigned char mac[32];
    if (bb_crypto_hmac_sha256(SECRET, strlen(SECRET), token, n, mac) == BB_OK) {
        token[n++] = '.';
        bb_base64url_encode(mac, sizeof(mac), token + n);
        check_token(token);
    }
    free(token);
}

static void check_base64(const char *text, size_t len)
{
    unsigned char *raw = malloc(len + 1);
    char *again = malloc(len + 8);
    long n = raw && again ? bb_base64url_decode(text, len, raw, len + 1) : -1;
    if (n >= 0) {
        size_t m = bb_base64url_encode(raw, (size_t)n, again);
        if (m != len || memcmp(again, text, len) != 0)
            abort();
    }
    free(raw);
    free(again);
}

static void check_keys(const char *text)
{
    char name[BB_AUTH_NAME_MAX + 1];
    bb_auth_check_key(auth, text, name, sizeof(name));
    bb_auth *a = bb_auth_new();
    bb_buf err;
    bb_buf_init(&err, 1024);
    if (a && bb_auth_load_keys_env(a, text, &err) == BB_OK)
        for (size_t i = 0; i < bb_auth_key_count(a); i++)
            if (!bb_auth_valid_name(bb_auth_key_name(a, i)))
                abort();
    bb_buf_free(&err);
    bb_auth_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!auth)
        auth = setup();
    if (size < 1)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    size_t len = size - 1;
    static const char hs256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char payload[128];
    int plen =
        snprintf(payload, sizeof(payload),
                 "{\"exp\":%ld,\"iss\":\"issuer\",\"aud\":\"backbone\",\"sub\":\"s\"}", NOW + 60);
    switch (data[0] % 5) {
    case 0:
        check_token(text);
        break;
    case 1:
        check_signed(hs256, strlen(hs256), (const char *)data + 1, len);
        break;
    case 2:
        check_signed((const char *)data + 1, len, payload, (size_t)plen);
        break;
    case 3:
        check_keys(text);
        break;
    default:
        check_base64(text, strlen(text));
        break;
    }
    free(text);
    return 0;
}
