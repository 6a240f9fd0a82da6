/* test_auth.c - API keys by digest, strict base64url, HS256 JWT checks. */
#include "testutil.h"

#include "base/crypto.h"
#include "server/auth.h"

#include <string.h>
#include <unistd.h>

#define SECRET "0123456789abcdef0123456789abcdef-secret"
#define NOW 1800000000L

/* header.payload.signature, signed with secret by HMAC-SHA256. */
static char *make_jwt(const char *header, const char *payload, const char *secret)
{
    static char out[4096];
    char h[1024], p[2048], sig[128];
    bb_base64url_encode((const unsigned char *)header, strlen(header), h);
    bb_base64url_encode((const unsigned char *)payload, strlen(payload), p);
    snprintf(out, sizeof(out), "%s.%s", h, p);
    unsigned char mac[32];
    assert_int_equal(bb_crypto_hmac_sha256(secret, strlen(secret), out, strlen(out), mac), BB_OK);
    bb_base64url_encode(mac, sizeof(mac), sig);
    size_t n = strlen(out);
    snprintf(out + n, sizeof(out) - n, ".%s", sig);
    return out;
}

static const char *hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static bb_auth *auth_with_secret(void)
{
    bb_auth *a = bb_auth_new();
    assert_non_null(a);
    assert_int_equal(bb_auth_set_jwt_secret(a, SECRET, strlen(SECRET)), BB_OK);
    return a;
}

static bb_auth_result check(bb_auth *a, const char *token)
{
    char sub[64];
    return bb_auth_check_jwt(a, token, NOW, sub, sizeof(sub));
}

static void key_is_accepted_by_its_digest_only(void **state)
{
    (void)state;
    bb_auth *a = bb_auth_new();
    char hex[65];
    bb_auth_sha256_hex("bb_secret-key", 13, hex);
    assert_int_equal(bb_auth_add_key_digest(a, "ci", hex), BB_OK);
    char name[64];
    assert_int_equal(bb_auth_check_key(a, "bb_secret-key", name, sizeof(name)), BB_AUTH_OK);
    assert_string_equal(name, "ci");
    assert_int_equal(bb_auth_check_key(a, "bb_secret-kez", name, sizeof(name)), BB_AUTH_BAD_KEY);
    assert_int_equal(bb_auth_check_key(a, hex, name, sizeof(name)), BB_AUTH_BAD_KEY);
    bb_auth_free(a);
}

static void key_check_without_keys_says_unconfigured(void **state)
{
    (void)state;
    bb_auth *a = bb_auth_new();
    char name[64];
    assert_int_equal(bb_auth_check_key(a, "anything", name, sizeof(name)), BB_AUTH_UNCONFIGURED);
    bb_auth_free(a);
}

static void keys_file_lines_are_read_and_bad_lines_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/bb-test-keys-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char hex[65];
    bb_auth_sha256_hex("k1", 2, hex);
    dprintf(fd, "# comment\n\nalpha %s\n  beta   %s  \n", hex, hex);
    close(fd);
    bb_auth *a = bb_auth_new();
    bb_buf err;
    bb_buf_init(&err, 512);
    assert_int_equal(bb_auth_load_keys_file(a, path, &err), BB_OK);
    assert_int_equal(bb_auth_key_count(a), 2);
    assert_string_equal(bb_auth_key_name(a, 1), "beta");
    bb_auth_free(a);

    FILE *f = fopen(path, "a");
    fputs("gamma not-a-digest\n", f);
    fclose(f);
    a = bb_auth_new();
    assert_int_equal(bb_auth_load_keys_file(a, path, &err), BB_EINVAL);
    assert_non_null(strstr(bb_buf_str(&err), ":5:"));
    bb_auth_free(a);
    bb_buf_free(&err);
    unlink(path);
}

static void env_keys_take_optional_names(void **state)
{
    (void)state;
    char h1[65], h2[65];
    bb_auth_sha256_hex("one", 3, h1);
    bb_auth_sha256_hex("two", 3, h2);
    char env[200];
    snprintf(env, sizeof(env), "deploy:%s, %s", h1, h2);
    bb_auth *a = bb_auth_new();
    bb_buf err;
    bb_buf_init(&err, 512);
    assert_int_equal(bb_auth_load_keys_env(a, env, &err), BB_OK);
    char name[64];
    assert_int_equal(bb_auth_check_key(a, "one", name, sizeof(name)), BB_AUTH_OK);
    assert_string_equal(name, "deploy");
    assert_int_equal(bb_auth_check_key(a, "two", name, sizeof(name)), BB_AUTH_OK);
    assert_string_equal(name, "env2");
    assert_int_equal(bb_auth_load_keys_env(a, "deploy:abc", &err), BB_EINVAL);
    bb_auth_free(a);
    bb_buf_free(&err);
}

static void new_key_has_prefix_length_and_matching_digest(void **state)
{
    (void)state;
    char key[BB_AUTH_KEY_BUF], hex[65], again[65];
    assert_int_equal(bb_auth_new_key(key, sizeof(key), hex), BB_OK);
    assert_int_equal(strlen(key), 3 + BB_AUTH_KEY_CHARS);
    assert_memory_equal(key, "bb_", 3);
    bb_auth_sha256_hex(key, strlen(key), again);
    assert_string_equal(hex, again);
    char key2[BB_AUTH_KEY_BUF];
    assert_int_equal(bb_auth_new_key(key2, sizeof(key2), hex), BB_OK);
    assert_string_not_equal(key, key2);
}

static void base64url_decoding_is_strict(void **state)
{
    (void)state;
    unsigned char out[16];
    assert_int_equal(bb_base64url_decode("aGk", 3, out, sizeof(out)), 2);
    assert_memory_equal(out, "hi", 2);
    assert_int_equal(bb_base64url_decode("aGk=", 4, out, sizeof(out)), -1); /* padding */
    assert_int_equal(bb_base64url_decode("aG+k", 4, out, sizeof(out)), -1); /* '+' */
    assert_int_equal(bb_base64url_decode("aGl", 3, out, sizeof(out)), -1);  /* stray bits */
    assert_int_equal(bb_base64url_decode("a", 1, out, sizeof(out)), -1);    /* length 1 mod 4 */
    assert_int_equal(bb_base64url_decode("aG k", 4, out, sizeof(out)), -1); /* blank */
}

static void jwt_with_valid_signature_and_claims_is_accepted(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    char payload[200], sub[64];
    snprintf(payload, sizeof(payload), "{\"sub\":\"alice\",\"exp\":%ld,\"iat\":%ld}", NOW + 60,
             NOW - 5);
    assert_int_equal(bb_auth_check_jwt(a, make_jwt(hs256, payload, SECRET), NOW, sub, sizeof(sub)),
                     BB_AUTH_OK);
    assert_string_equal(sub, "alice");
    bb_auth_free(a);
}

static void jwt_expired_beyond_leeway_is_refused(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    char payload[200];
    snprintf(payload, sizeof(payload), "{\"exp\":%ld}", NOW - 31);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_EXPIRED);
    snprintf(payload, sizeof(payload), "{\"exp\":%ld}", NOW - 29);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_OK);
    bb_auth_free(a);
}

static void jwt_without_exp_is_refused(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    assert_int_equal(check(a, make_jwt(hs256, "{\"sub\":\"x\"}", SECRET)), BB_AUTH_MISSING_EXP);
    assert_int_equal(check(a, make_jwt(hs256, "{\"exp\":\"soon\"}", SECRET)), BB_AUTH_MALFORMED);
    bb_auth_free(a);
}

static void jwt_not_yet_valid_is_refused(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    char payload[200];
    snprintf(payload, sizeof(payload), "{\"exp\":%ld,\"nbf\":%ld}", NOW + 600, NOW + 120);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_NOT_YET_VALID);
    snprintf(payload, sizeof(payload), "{\"exp\":%ld,\"iat\":%ld}", NOW + 600, NOW + 120);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_NOT_YET_VALID);
    bb_auth_free(a);
}

static void jwt_with_tampered_payload_is_refused(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    char payload[200], forged[200];
    snprintf(payload, sizeof(payload), "{\"sub\":\"bob\",\"exp\":%ld}", NOW + 60);
    char token[4096];
    snprintf(token, sizeof(token), "%s", make_jwt(hs256, payload, SECRET));
    snprintf(forged, sizeof(forged), "{\"sub\":\"root\",\"exp\":%ld}", NOW + 60);
    char p[400];
    bb_base64url_encode((const unsigned char *)forged, strlen(forged), p);
    char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    char tampered[4096];
    snprintf(tampered, sizeof(tampered), "%.*s.%s%s", (int)(dot1 - token), token, p, dot2);
    assert_int_equal(check(a, tampered), BB_AUTH_BAD_SIGNATURE);
    /* One flipped character in the signature. */
    size_t n = strlen(token);
    token[n - 2] = token[n - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(check(a, token), BB_AUTH_BAD_SIGNATURE);
    bb_auth_free(a);
}

static void jwt_signed_with_another_secret_is_refused(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    char payload[200];
    snprintf(payload, sizeof(payload), "{\"exp\":%ld}", NOW + 60);
    assert_int_equal(check(a, make_jwt(hs256, payload, "another-secret-of-at-least-32-bytes!!")),
                     BB_AUTH_BAD_SIGNATURE);
    bb_auth_free(a);
}

static void jwt_alg_none_and_others_are_refused(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    char payload[200], p[400], h[200], token[1024];
    snprintf(payload, sizeof(payload), "{\"exp\":%ld}", NOW + 60);
    bb_base64url_encode((const unsigned char *)payload, strlen(payload), p);
    const char *none = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    bb_base64url_encode((const unsigned char *)none, strlen(none), h);
    snprintf(token, sizeof(token), "%s.%s.", h, p);
    assert_int_equal(check(a, token), BB_AUTH_BAD_ALG);
    assert_int_equal(check(a, make_jwt("{\"alg\":\"HS512\"}", payload, SECRET)), BB_AUTH_BAD_ALG);
    assert_int_equal(check(a, make_jwt("{\"alg\":\"hs256\"}", payload, SECRET)), BB_AUTH_BAD_ALG);
    assert_int_equal(check(a, make_jwt("{\"typ\":\"JWT\"}", payload, SECRET)), BB_AUTH_BAD_ALG);
    bb_auth_free(a);
}

static void jwt_malformed_shapes_are_refused(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    assert_int_equal(check(a, "abc"), BB_AUTH_MALFORMED);
    assert_int_equal(check(a, "a.b"), BB_AUTH_MALFORMED);
    assert_int_equal(check(a, "a.b.c.d"), BB_AUTH_MALFORMED);
    assert_int_equal(check(a, "!!.!!.!!"), BB_AUTH_MALFORMED);
    char payload[200], token[4096];
    snprintf(payload, sizeof(payload), "{\"exp\":%ld}", NOW + 60);
    snprintf(token, sizeof(token), "%s", make_jwt(hs256, payload, SECRET));
    /* Padding appended to the signature is not canonical base64url. */
    size_t n = strlen(token);
    snprintf(token + n, sizeof(token) - n, "=");
    assert_int_equal(check(a, token), BB_AUTH_BAD_SIGNATURE);
    bb_auth_free(a);
}

static void jwt_issuer_and_audience_are_required_when_configured(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    assert_int_equal(bb_auth_set_jwt_claims(a, "https://issuer", "backbone", 30), BB_OK);
    char payload[300];
    snprintf(payload, sizeof(payload), "{\"exp\":%ld}", NOW + 60);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_BAD_ISSUER);
    snprintf(payload, sizeof(payload), "{\"exp\":%ld,\"iss\":\"https://issuer\",\"aud\":\"x\"}",
             NOW + 60);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_BAD_AUDIENCE);
    snprintf(payload, sizeof(payload),
             "{\"exp\":%ld,\"iss\":\"https://issuer\",\"aud\":[\"x\",\"backbone\"]}", NOW + 60);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_OK);
    bb_auth_free(a);
}

static void jwt_claims_holding_a_nul_are_refused(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    assert_int_equal(bb_auth_set_jwt_claims(a, "good", NULL, 30), BB_OK);
    char payload[300];
    snprintf(payload, sizeof(payload), "{\"exp\":%ld,\"iss\":\"good\\u0000evil\"}", NOW + 60);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_MALFORMED);
    snprintf(payload, sizeof(payload),
             "{\"exp\":%ld,\"iss\":\"good\",\"sub\":\"alice\\u0000admin\"}", NOW + 60);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_MALFORMED);
    /* An escaped backslash before "u0000" is text, not a NUL. */
    snprintf(payload, sizeof(payload), "{\"exp\":%ld,\"iss\":\"good\",\"sub\":\"a\\\\u0000\"}",
             NOW + 60);
    char sub[64];
    assert_int_equal(bb_auth_check_jwt(a, make_jwt(hs256, payload, SECRET), NOW, sub, sizeof(sub)),
                     BB_AUTH_OK);
    assert_string_equal(sub, "a\\u0000");
    bb_auth_free(a);
}

static void jwt_lifetime_is_capped_when_configured(void **state)
{
    (void)state;
    bb_auth *a = auth_with_secret();
    char payload[300];
    snprintf(payload, sizeof(payload), "{\"exp\":%ld,\"iat\":%ld}", NOW + 30 * 86400, NOW);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_OK);
    bb_auth_set_jwt_max_lifetime(a, 3600);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_TOO_LONG_LIVED);
    snprintf(payload, sizeof(payload), "{\"exp\":%ld,\"iat\":%ld}", NOW + 600, NOW - 1200);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_OK);
    snprintf(payload, sizeof(payload), "{\"exp\":%ld}", NOW + 7200); /* no iat: from now */
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_TOO_LONG_LIVED);
    snprintf(payload, sizeof(payload), "{\"exp\":%ld}", NOW + 3000);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_OK);
    bb_auth_free(a);
}

static void jwt_secret_must_be_long_and_not_an_api_key(void **state)
{
    (void)state;
    bb_auth *a = bb_auth_new();
    assert_int_equal(bb_auth_set_jwt_secret(a, "short", 5), BB_EINVAL);
    char hex[65];
    bb_auth_sha256_hex(SECRET, strlen(SECRET), hex);
    assert_int_equal(bb_auth_add_key_digest(a, "same", hex), BB_OK);
    assert_int_equal(bb_auth_set_jwt_secret(a, SECRET, strlen(SECRET)), BB_EINVAL);
    assert_false(bb_auth_has_jwt(a));
    bb_auth_free(a);
}

static void jwt_without_configured_secret_is_refused(void **state)
{
    (void)state;
    bb_auth *a = bb_auth_new();
    char payload[200];
    snprintf(payload, sizeof(payload), "{\"exp\":%ld}", NOW + 60);
    assert_int_equal(check(a, make_jwt(hs256, payload, SECRET)), BB_AUTH_UNCONFIGURED);
    bb_auth_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_is_accepted_by_its_digest_only),
        cmocka_unit_test(key_check_without_keys_says_unconfigured),
        cmocka_unit_test(keys_file_lines_are_read_and_bad_lines_refused),
        cmocka_unit_test(env_keys_take_optional_names),
        cmocka_unit_test(new_key_has_prefix_length_and_matching_digest),
        cmocka_unit_test(base64url_decoding_is_strict),
        cmocka_unit_test(jwt_with_valid_signature_and_claims_is_accepted),
        cmocka_unit_test(jwt_expired_beyond_leeway_is_refused),
        cmocka_unit_test(jwt_without_exp_is_refused),
        cmocka_unit_test(jwt_not_yet_valid_is_refused),
        cmocka_unit_test(jwt_with_tampered_payload_is_refused),
        cmocka_unit_test(jwt_signed_with_another_secret_is_refused),
        cmocka_unit_test(jwt_alg_none_and_others_are_refused),
        cmocka_unit_test(jwt_malformed_shapes_are_refused),
        cmocka_unit_test(jwt_issuer_and_audience_are_required_when_configured),
        cmocka_unit_test(jwt_claims_holding_a_nul_are_refused),
        cmocka_unit_test(jwt_lifetime_is_capped_when_configured),
        cmocka_unit_test(jwt_secret_must_be_long_and_not_an_api_key),
        cmocka_unit_test(jwt_without_configured_secret_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
