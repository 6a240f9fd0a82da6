/*
 * auth.h - credentials of the HTTP service: API keys and JWTs (HS256).
 *
 * API keys are never stored: the service holds only their SHA-256 digests
 * (from a keys file of "NAME sha256hex" lines and/or BACKBONE_API_KEYS) and
 * compares a presented key's digest against every stored digest in constant
 * time (bb_crypto_equal), so neither the key nor its position leaks by timing.
 *
 * JWTs are verified with HMAC-SHA256 (base/crypto.h; no JWT library):
 * the algorithm is pinned to HS256 ("none", HS512, RS256... are refused),
 * base64url is decoded strictly (no padding, no stray characters, no
 * non-zero trailing bits), no part may hold a NUL, raw or escaped
 * ("\u0000" would end a claim early), "exp" is required, "nbf" and "iat" are checked
 * with a small leeway, and "iss"/"aud" are required when configured. The
 * secret must be at least 32 bytes and differ from every API key.
 *
 * Ownership: a bb_auth owns copies of everything given to it; free it with
 * bb_auth_free(). After setup it is only read, so threads may share it.
 */
#ifndef BB_AUTH_H
#define BB_AUTH_H

#include "base/bb.h"
#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define BB_AUTH_MIN_SECRET 32
#define BB_AUTH_DEFAULT_LEEWAY 30
#define BB_AUTH_NAME_MAX 64 /* key names: [A-Za-z0-9._-]{1,64} */
#define BB_AUTH_KEY_PREFIX "bb_"
#define BB_AUTH_KEY_CHARS 43 /* base64url of 32 random bytes */
#define BB_AUTH_IDENTITY_MAX 256

typedef struct bb_auth bb_auth;

/* Why a credential was refused; also the label of the auth-failure metric. */
typedef enum {
    BB_AUTH_OK = 0,
    BB_AUTH_MISSING,       /* no credential presented */
    BB_AUTH_UNCONFIGURED,  /* the service has no credential configured */
    BB_AUTH_BAD_KEY,       /* unknown API key */
    BB_AUTH_MALFORMED,     /* not three base64url parts of JSON */
    BB_AUTH_BAD_ALG,       /* alg other than HS256 */
    BB_AUTH_BAD_SIGNATURE, /* signature does not match */
    BB_AUTH_EXPIRED,
    BB_AUTH_NOT_YET_VALID, /* nbf or iat in the future */
    BB_AUTH_MISSING_EXP,
    BB_AUTH_BAD_ISSUER,
    BB_AUTH_BAD_AUDIENCE,
    BB_AUTH_NO_JWT_SECRET,  /* a bearer token came but no secret is set */
    BB_AUTH_TOO_LONG_LIVED, /* exp further from iat (or now) than allowed */
} bb_auth_result;

/* A short label for metrics and logs ("expired", "bad_signature"...). */
const char *bb_auth_result_name(bb_auth_result r);

bb_auth *bb_auth_new(void) BB_WUR;
void bb_auth_free(bb_auth *a);

/* Adds a key by its digest (64 hex characters). BB_EINVAL for a bad name
 * or digest, BB_ENOMEM. */
int bb_auth_add_key_digest(bb_auth *a, const char *name, const char *hex) BB_WUR;

/*
 * Reads a keys file: "NAME sha256hex" per line, '#' comments and blank lines
 * ignored. A missing file is not an error (no keys). On a bad line returns
 * BB_EINVAL and writes "path:line: why" into err.
 */
int bb_auth_load_keys_file(bb_auth *a, const char *path, bb_buf *err) BB_WUR;

/* BACKBONE_API_KEYS: digests separated by commas or blanks, each optionally
 * "NAME:hex" (unnamed ones are called env1, env2...). */
int bb_auth_load_keys_env(bb_auth *a, const char *value, bb_buf *err) BB_WUR;

/* Sets the JWT secret. BB_EINVAL when shorter than BB_AUTH_MIN_SECRET or
 * equal to a configured API key (its digest matches one). */
int bb_auth_set_jwt_secret(bb_auth *a, const void *secret, size_t len) BB_WUR;

/* Optional required claims (NULL: not checked) and the clock leeway. */
int bb_auth_set_jwt_claims(bb_auth *a, const char *issuer, const char *audience,
                           int leeway_seconds) BB_WUR;

/* The longest a token may live: exp - iat (exp - now without iat) at
 * most seconds, leeway aside; 0 allows any. */
void bb_auth_set_jwt_max_lifetime(bb_auth *a, unsigned seconds);

size_t bb_auth_key_count(const bb_auth *a);
/* The i-th key's name and digest (hex, 65 bytes with the NUL). */
const char *bb_auth_key_name(const bb_auth *a, size_t i);
void bb_auth_key_hex(const bb_auth *a, size_t i, char hex[65]);

/* The default keys file: $XDG_CONFIG_HOME/backbone/api-keys, else
 * $HOME/.config/backbone/api-keys. BB_ENOTFOUND when neither is set. */
int bb_auth_default_keys_file(bb_buf *out) BB_WUR;
bool bb_auth_has_jwt(const bb_auth *a);

/* Checks an API key; on success writes the key's name into name. */
bb_auth_result bb_auth_check_key(const bb_auth *a, const char *key, char *name, size_t name_size);

/* Checks a JWT at time now; on success writes its "sub" (or "" when absent)
 * into sub. */
bb_auth_result bb_auth_check_jwt(const bb_auth *a, const char *token, time_t now, char *sub,
                                 size_t sub_size);

/* A fresh random API key ("bb_" + 43 base64url characters) into key
 * (at least BB_AUTH_KEY_BUF bytes) and its digest in hex into hex (65). */
#define BB_AUTH_KEY_BUF 64
int bb_auth_new_key(char *key, size_t key_size, char hex[65]) BB_WUR;

/* The SHA-256 of data, in lower-case hex (65 bytes with the NUL). */
void bb_auth_sha256_hex(const void *data, size_t len, char hex[65]);

/* True when name is a valid key name. */
bool bb_auth_valid_name(const char *name);

/*
 * Strict base64url (RFC 4648 section 5, no padding): decodes in into out
 * (at most out_size bytes). Returns the decoded length, or -1 when the text
 * is not canonical base64url or does not fit.
 */
long bb_base64url_decode(const char *in, size_t len, unsigned char *out, size_t out_size);
/* Encodes without padding; out needs 4 * ceil(len / 3) + 1 bytes. */
size_t bb_base64url_encode(const unsigned char *in, size_t len, char *out);

#endif
