/* auth.c - API keys by digest and HS256 JWT verification (see auth.h). */
#include "server/auth.h"
#include "base/hex.h"

#include "base/crypto.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JWT_MAX_LEN 8192 /* longer bearer tokens are refused unread */

typedef struct auth_key {
    char name[BB_AUTH_NAME_MAX + 1];
    unsigned char digest[BB_SHA256_LEN];
} auth_key;

struct bb_auth {
    auth_key *keys;
    size_t n_keys, cap_keys;
    unsigned char *secret;
    size_t secret_len;
    unsigned char secret_digest[BB_SHA256_LEN];
    char *issuer;
    char *audience;
    int leeway;
    double max_lifetime; /* seconds; 0: any */
};

const char *bb_auth_result_name(bb_auth_result r)
{
    switch (r) {
    case BB_AUTH_OK:
        return "ok";
    case BB_AUTH_MISSING:
        return "missing";
    case BB_AUTH_UNCONFIGURED:
        return "unconfigured";
    case BB_AUTH_BAD_KEY:
        return "bad_key";
    case BB_AUTH_MALFORMED:
        return "malformed_token";
    case BB_AUTH_BAD_ALG:
        return "bad_alg";
    case BB_AUTH_BAD_SIGNATURE:
        return "bad_signature";
    case BB_AUTH_EXPIRED:
        return "expired";
    case BB_AUTH_NOT_YET_VALID:
        return "not_yet_valid";
    case BB_AUTH_MISSING_EXP:
        return "missing_exp";
    case BB_AUTH_BAD_ISSUER:
        return "bad_issuer";
    case BB_AUTH_BAD_AUDIENCE:
        return "bad_audience";
    case BB_AUTH_NO_JWT_SECRET:
        return "no_jwt_secret";
    case BB_AUTH_TOO_LONG_LIVED:
        return "too_long_lived";
    }
    return "unknown";
}

bb_auth *bb_auth_new(void)
{
    bb_auth *a = bb_calloc(1, sizeof(*a));
    if (a)
        a->leeway = BB_AUTH_DEFAULT_LEEWAY;
    return a;
}

void bb_auth_free(bb_auth *a)
{
    if (!a)
        return;
    if (a->secret)
        bb_crypto_wipe(a->secret, a->secret_len);
    bb_free(a->secret);
    bb_free(a->keys);
    bb_free(a->issuer);
    bb_free(a->audience);
    bb_free(a);
}

bool bb_auth_valid_name(const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p; p++, n++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
    return n >= 1 && n <= BB_AUTH_NAME_MAX;
}

static int parse_digest(const char *hex, size_t len, unsigned char out[BB_SHA256_LEN])
{
    if (len != 2 * BB_SHA256_LEN)
        return BB_EINVAL;
    for (size_t i = 0; i < BB_SHA256_LEN; i++) {
        int hi = bb_hex_value(hex[2 * i]), lo = bb_hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return BB_EINVAL;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return BB_OK;
}

static int add_key(bb_auth *a, const char *name, size_t name_len, const char *hex, size_t hex_len)
{
    if (name_len == 0 || name_len > BB_AUTH_NAME_MAX)
        return BB_EINVAL;
    auth_key k;
    memcpy(k.name, name, name_len);
    k.name[name_len] = '\0';
    if (!bb_auth_valid_name(k.name) || parse_digest(hex, hex_len, k.digest))
        return BB_EINVAL;
    if (bb_grow((void **)&a->keys, &a->cap_keys, a->n_keys + 1, sizeof(*a->keys)))
        return BB_ENOMEM;
    a->keys[a->n_keys++] = k;
    return BB_OK;
}

int bb_auth_add_key_digest(bb_auth *a, const char *name, const char *hex)
{
    return add_key(a, name, strlen(name), hex, strlen(hex));
}

/* Best effort: an error message that cannot be stored is dropped, the
 * return code still says what happened. */
BB_PRINTF(2, 3) static void explain(bb_buf *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (bb_buf_vprintf(err, fmt, ap) != BB_OK)
        bb_buf_reset(err);
    va_end(ap);
}

static bool is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses one keys-file line (without its newline). Blank and '#' lines are
 * skipped; anything after the digest must be blank. */
static int load_key_line(bb_auth *a, const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && is_blank(line[i]))
        i++;
    if (i == len || line[i] == '#')
        return BB_OK;
    size_t name_at = i;
    while (i < len && !is_blank(line[i]))
        i++;
    size_t name_len = i - name_at;
    while (i < len && is_blank(line[i]))
        i++;
    size_t hex_at = i;
    while (i < len && !is_blank(line[i]))
        i++;
    size_t hex_len = i - hex_at;
    while (i < len && is_blank(line[i]))
        i++;
    if (i != len)
        return BB_EINVAL;
    return add_key(a, line + name_at, name_len, line + hex_at, hex_len);
}

int bb_auth_load_keys_file(bb_auth *a, const char *path, bb_buf *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return BB_OK;
        explain(err, "%s: %s", path, strerror(errno));
        return BB_EIO;
    }
    char line[1024];
    int lineno = 0, rc = BB_OK;
    while (rc == BB_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            rc = BB_EINVAL;
        } else {
            rc = load_key_line(a, line, len);
        }
        if (rc == BB_EINVAL)
            explain(err, "%s:%d: expected \"NAME sha256hex\" (64 hex digits)", path, lineno);
    }
    if (rc == BB_OK && ferror(f)) {
        explain(err, "%s: read error", path);
        rc = BB_EIO;
    }
    fclose(f);
    return rc;
}

int bb_auth_load_keys_env(bb_auth *a, const char *value, bb_buf *err)
{
    const char *p = value;
    unsigned n = 0;
    while (*p) {
        while (*p == ',' || is_blank(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ',' && !is_blank(*p))
            p++;
        size_t len = (size_t)(p - start);
        const char *colon = memchr(start, ':', len);
        char name[BB_AUTH_NAME_MAX + 1];
        size_t name_len;
        const char *hex = start;
        size_t hex_len = len;
        n++;
        if (colon) {
            name_len = (size_t)(colon - start);
            if (name_len > BB_AUTH_NAME_MAX)
                name_len = BB_AUTH_NAME_MAX + 1; /* refused by add_key */
            else
                memcpy(name, start, name_len);
            hex = colon + 1;
            hex_len = len - name_len - 1;
        } else {
            name_len = (size_t)snprintf(name, sizeof(name), "env%u", n);
        }
        int rc = name_len > BB_AUTH_NAME_MAX ? BB_EINVAL : add_key(a, name, name_len, hex, hex_len);
        if (rc) {
            explain(err,
                    "BACKBONE_API_KEYS: entry %u is not [NAME:]sha256hex "
                    "(64 hex digits)",
                    n);
            return rc;
        }
    }
    return BB_OK;
}

static bool digest_is_key(const bb_auth *a, const unsigned char *digest, size_t *which)
{
    /* Every key is compared, whatever matched, so timing says nothing. */
    unsigned found = 0;
    size_t at = 0;
    for (size_t i = 0; i < a->n_keys; i++) {
        unsigned eq = bb_crypto_equal(a->keys[i].digest, digest, BB_SHA256_LEN);
        at = eq && !found ? i : at;
        found |= eq;
    }
    if (which)
        *which = at;
    return found != 0;
}

int bb_auth_set_jwt_secret(bb_auth *a, const void *secret, size_t len)
{
    if (len < BB_AUTH_MIN_SECRET)
        return BB_EINVAL;
    unsigned char digest[BB_SHA256_LEN];
    bb_sha256(secret, len, digest);
    if (digest_is_key(a, digest, NULL))
        return BB_EINVAL;
    unsigned char *copy = bb_malloc(len);
    if (!copy)
        return BB_ENOMEM;
    memcpy(copy, secret, len);
    if (a->secret)
        bb_crypto_wipe(a->secret, a->secret_len);
    bb_free(a->secret);
    a->secret = copy;
    a->secret_len = len;
    memcpy(a->secret_digest, digest, sizeof(digest));
    return BB_OK;
}

int bb_auth_set_jwt_claims(bb_auth *a, const char *issuer, const char *audience, int leeway_seconds)
{
    char *iss = issuer ? bb_strdup(issuer) : NULL;
    char *aud = audience ? bb_strdup(audience) : NULL;
    if ((issuer && !iss) || (audience && !aud)) {
        bb_free(iss);
        bb_free(aud);
        return BB_ENOMEM;
    }
    bb_free(a->issuer);
    bb_free(a->audience);
    a->issuer = iss;
    a->audience = aud;
    a->leeway = leeway_seconds < 0 ? 0 : leeway_seconds;
    return BB_OK;
}

void bb_auth_set_jwt_max_lifetime(bb_auth *a, unsigned seconds)
{
    a->max_lifetime = seconds;
}

size_t bb_auth_key_count(const bb_auth *a)
{
    return a->n_keys;
}

const char *bb_auth_key_name(const bb_auth *a, size_t i)
{
    return i < a->n_keys ? a->keys[i].name : NULL;
}

void bb_auth_key_hex(const bb_auth *a, size_t i, char hex[65])
{
    hex[0] = '\0';
    if (i < a->n_keys)
        bb_hex_encode(a->keys[i].digest, BB_SHA256_LEN, hex);
}

int bb_auth_default_keys_file(bb_buf *out)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg == '/')
        return bb_buf_printf(out, "%s/backbone/api-keys", xdg);
    const char *home = getenv("HOME");
    if (home && *home)
        return bb_buf_printf(out, "%s/.config/backbone/api-keys", home);
    return BB_ENOTFOUND;
}

bool bb_auth_has_jwt(const bb_auth *a)
{
    return a->secret != NULL;
}

void bb_auth_sha256_hex(const void *data, size_t len, char hex[65])
{
    if (bb_sha256_hex(data, len, hex) != BB_OK)
        hex[0] = '\0';
}

bb_auth_result bb_auth_check_key(const bb_auth *a, const char *key, char *name, size_t name_size)
{
    if (!key || !*key)
        return BB_AUTH_MISSING;
    if (a->n_keys == 0)
        return a->secret ? BB_AUTH_BAD_KEY : BB_AUTH_UNCONFIGURED;
    unsigned char digest[BB_SHA256_LEN];
    bb_sha256(key, strlen(key), digest);
    size_t which;
    if (!digest_is_key(a, digest, &which))
        return BB_AUTH_BAD_KEY;
    snprintf(name, name_size, "%s", a->keys[which].name);
    return BB_AUTH_OK;
}

/* ---- base64url ---------------------------------------------------------- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long bb_base64url_decode(const char *in, size_t len, unsigned char *out, size_t out_size)
{
    if (len % 4 == 1)
        return -1;
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (need > out_size)
        return -1;
    unsigned long acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1UL << bits) - 1;
        }
    }
    /* Canonical encodings leave the unused low bits zero. */
    if (acc != 0)
        return -1;
    return (long)n;
}

size_t bb_base64url_encode(const unsigned char *in, size_t len, char *out)
{
    size_t n = 0;
    unsigned long acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[n++] = b64url[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[n++] = b64url[(acc << (6 - bits)) & 63];
    out[n] = '\0';
    return n;
}

int bb_auth_new_key(char *key, size_t key_size, char hex[65])
{
    unsigned char raw[32];
    if (key_size < sizeof(BB_AUTH_KEY_PREFIX) + BB_AUTH_KEY_CHARS)
        return BB_EUSAGE;
    if (bb_crypto_random(raw, sizeof(raw)) != BB_OK)
        return BB_EIO;
    memcpy(key, BB_AUTH_KEY_PREFIX, sizeof(BB_AUTH_KEY_PREFIX) - 1);
    bb_base64url_encode(raw, sizeof(raw), key + sizeof(BB_AUTH_KEY_PREFIX) - 1);
    bb_crypto_wipe(raw, sizeof(raw));
    bb_auth_sha256_hex(key, strlen(key), hex);
    return BB_OK;
}

/* ---- JWT ---------------------------------------------------------------- */

/* True when a JSON string in text (n bytes) escapes a NUL ("\u0000"):
 * the parsed string would end there, so "alice\u0000admin" would be
 * compared as "alice". */
static bool escapes_nul(const unsigned char *text, size_t n)
{
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '"') {
            in_string = !in_string;
        } else if (in_string && text[i] == '\\' && i + 1 < n) {
            if (text[i + 1] == 'u' && i + 5 < n && memcmp(text + i + 2, "0000", 4) == 0)
                return true;
            i++; /* the escaped character, a quote or a backslash included */
        }
    }
    return false;
}

/* Decodes one base64url part of a token into a parsed JSON object. */
static cJSON *decode_json_part(const char *p, size_t len)
{
    unsigned char buf[JWT_MAX_LEN + 1];
    long n = bb_base64url_decode(p, len, buf, JWT_MAX_LEN);
    /* A NUL, raw or escaped, would let a claim end early and match a prefix. */
    if (n <= 0 || memchr(buf, '\0', (size_t)n) || escapes_nul(buf, (size_t)n))
        return NULL;
    buf[n] = '\0';
    cJSON *j = cJSON_ParseWithLengthOpts((const char *)buf, (size_t)n + 1, NULL, 1);
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* A NumericDate claim: absent (0), valid (1, *out set), or malformed (-1). */
static int numeric_claim(const cJSON *payload, const char *name, double *out)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(payload, name);
    if (!c)
        return 0;
    if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble))
        return -1;
    *out = c->valuedouble;
    return 1;
}

static bool audience_matches(const cJSON *aud, const char *want)
{
    if (cJSON_IsString(aud))
        return strcmp(aud->valuestring, want) == 0;
    if (!cJSON_IsArray(aud))
        return false;
    const cJSON *it;
    cJSON_ArrayForEach(it, aud)
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, want) == 0)
            return true;
    }
    return false;
}

static bb_auth_result check_header(const char *p, size_t len)
{
    cJSON *h = decode_json_part(p, len);
    if (!h)
        return BB_AUTH_MALFORMED;
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
    const cJSON *typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
    const cJSON *crit = cJSON_GetObjectItemCaseSensitive(h, "crit");
    bb_auth_result r = BB_AUTH_OK;
    if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0)
        r = BB_AUTH_BAD_ALG;
    else if (typ && (!cJSON_IsString(typ) || strcasecmp(typ->valuestring, "JWT") != 0))
        r = BB_AUTH_MALFORMED;
    else if (crit) /* no extension is understood, so none may be critical */
        r = BB_AUTH_MALFORMED;
    cJSON_Delete(h);
    return r;
}

static bb_auth_result check_signature(const bb_auth *a, const char *token, size_t signed_len,
                                      const char *sig, size_t sig_len)
{
    unsigned char given[64];
    long n = bb_base64url_decode(sig, sig_len, given, sizeof(given));
    if (n != 32)
        return BB_AUTH_BAD_SIGNATURE;
    unsigned char mac[BB_SHA256_LEN];
    if (bb_crypto_hmac_sha256(a->secret, a->secret_len, token, signed_len, mac) != BB_OK)
        return BB_AUTH_BAD_SIGNATURE;
    return bb_crypto_equal(mac, given, sizeof(mac)) ? BB_AUTH_OK : BB_AUTH_BAD_SIGNATURE;
}

static bb_auth_result check_claims(const bb_auth *a, const cJSON *payload, time_t now, char *sub,
                                   size_t sub_size)
{
    double exp, nbf, iat, t = (double)now, leeway = a->leeway;
    int has = numeric_claim(payload, "exp", &exp);
    if (has < 0)
        return BB_AUTH_MALFORMED;
    if (has == 0)
        return BB_AUTH_MISSING_EXP;
    if (t >= exp + leeway)
        return BB_AUTH_EXPIRED;
    has = numeric_claim(payload, "nbf", &nbf);
    if (has < 0)
        return BB_AUTH_MALFORMED;
    if (has && t + leeway < nbf)
        return BB_AUTH_NOT_YET_VALID;
    has = numeric_claim(payload, "iat", &iat);
    if (has < 0)
        return BB_AUTH_MALFORMED;
    if (has && t + leeway < iat)
        return BB_AUTH_NOT_YET_VALID;
    /* A token may not outlive the lifetime allowed, counted from its
     * issue (or from now, for a token that does not say). */
    if (a->max_lifetime > 0 && exp - (has ? iat : t) > a->max_lifetime + leeway)
        return BB_AUTH_TOO_LONG_LIVED;
    if (a->issuer) {
        const cJSON *iss = cJSON_GetObjectItemCaseSensitive(payload, "iss");
        if (!cJSON_IsString(iss) || strcmp(iss->valuestring, a->issuer) != 0)
            return BB_AUTH_BAD_ISSUER;
    }
    if (a->audience &&
        !audience_matches(cJSON_GetObjectItemCaseSensitive(payload, "aud"), a->audience))
        return BB_AUTH_BAD_AUDIENCE;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(payload, "sub");
    if (s && !cJSON_IsString(s))
        return BB_AUTH_MALFORMED;
    snprintf(sub, sub_size, "%s", s ? s->valuestring : "");
    return BB_AUTH_OK;
}

bb_auth_result bb_auth_check_jwt(const bb_auth *a, const char *token, time_t now, char *sub,
                                 size_t sub_size)
{
    if (!token || !*token)
        return BB_AUTH_MISSING;
    if (!a->secret)
        return a->n_keys ? BB_AUTH_NO_JWT_SECRET : BB_AUTH_UNCONFIGURED;
    size_t len = strlen(token);
    if (len > JWT_MAX_LEN)
        return BB_AUTH_MALFORMED;
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return BB_AUTH_MALFORMED;
    /* The header first: a token for another algorithm is refused before
     * its signature is even looked at. */
    bb_auth_result r = check_header(token, (size_t)(dot1 - token));
    if (r)
        return r;
    r = check_signature(a, token, (size_t)(dot2 - token), dot2 + 1,
                        len - (size_t)(dot2 + 1 - token));
    if (r)
        return r;
    cJSON *payload = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!payload)
        return BB_AUTH_MALFORMED;
    r = check_claims(a, payload, now, sub, sub_size);
    cJSON_Delete(payload);
    return r;
}
