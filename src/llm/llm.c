/* llm.c - the provider-neutral LLM client (see llm.h). */
#include "llm/llm.h"

#include "base/clock.h"
#include "base/trace.h"

#include "llm/llm_cache.h"
#include "llm/llm_schema.h"
#include "llm/llm_url.h"
#include "json/jsoncheck.h"

#include <cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The time allowed for the model calls of one run unless configured. */
#define BB_LLM_DEFAULT_DEADLINE_MS 300000L

/* The most bytes of request body we build: prompts carry a whole schema. */
#define LLM_MAX_REQUEST_BYTES (8u << 20)

const char *bb_llm_error_name(bb_llm_error_kind k)
{
    static const char *const names[] = {
        "none",    "config",    "network", "timeout",      "overloaded",
        "auth",    "quota",     "request", "too-large",    "truncated",
        "refusal", "malformed", "schema",  "breaker-open", "budget",
    };
    return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

bool bb_llm_error_is_bad_answer(bb_llm_error_kind k)
{
    return k == BB_LLM_ERR_MALFORMED || k == BB_LLM_ERR_SCHEMA || k == BB_LLM_ERR_TRUNCATED ||
           k == BB_LLM_ERR_REFUSAL || k == BB_LLM_ERR_TOO_LARGE;
}

void bb_llm_reply_free(bb_llm_reply *r)
{
    cJSON_Delete(r->value);
    bb_free(r->text);
    memset(r, 0, sizeof(*r));
}

const bb_llm_provider *bb_llm_provider_find(const char *name)
{
    if (strcmp(name, "openai") == 0)
        return &bb_llm_openai;
    if (strcmp(name, "anthropic") == 0)
        return &bb_llm_anthropic;
    return NULL;
}

void bb_llm_redact(char *dst, size_t cap, const char *src, const char *secret)
{
    size_t o = 0, slen = secret ? strlen(secret) : 0;
    if (cap == 0)
        return;
    while (*src && o + 1 < cap) {
        if (slen >= 4 && strncmp(src, secret, slen) == 0) {
            o += (size_t)snprintf(dst + o, cap - o, "[redacted]");
            if (o >= cap)
                o = cap - 1;
            src += slen;
            continue;
        }
        dst[o++] = *src++;
    }
    dst[o] = '\0';
}

void bb_llm_shown(char *dst, size_t cap, const char *said, const char *secret, size_t max_chars)
{
    char redacted[1024];
    bb_llm_redact(redacted, sizeof(redacted), said ? said : "", secret);
    bb_buf b;
    bb_buf_init(&b, cap ? cap : 1);
    /* fewer characters until the quoted form fits in dst */
    size_t n = max_chars ? max_chars : sizeof(redacted);
    while (bb_jsoncheck_quote(&b, redacted, n, true) != BB_OK && n > 1) {
        bb_buf_reset(&b);
        n /= 2;
    }
    snprintf(dst, cap, "%s", bb_buf_str(&b));
    bb_buf_free(&b);
}

void bb_llm_request_id(char *dst, size_t cap, const char *echoed, const char *secret)
{
    char redacted[256];
    bb_llm_redact(redacted, sizeof(redacted), echoed ? echoed : "", secret);
    size_t o = 0;
    for (const char *p = redacted; *p && o + 1 < cap && o < 64; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == ':' ||
                  ch == '[' || ch == ']';
        dst[o++] = ok ? ch : '?';
    }
    if (cap)
        dst[o] = '\0';
}

static void set_error(bb_llm_error *err, bb_llm_error_kind kind, const char *fmt, const char *arg)
{
    err->kind = kind;
    snprintf(err->message, sizeof(err->message), fmt, arg ? arg : "");
}

/* ---- options and configuration ---------------------------------------- */

const char bb_llm_options_help[] =
    "  --llm off|advise         let a language model advise the stages (default off)\n"
    "  --llm-provider NAME      openai or anthropic ($BACKBONE_LLM_PROVIDER)\n"
    "  --llm-model NAME         model name ($BACKBONE_LLM_MODEL)\n"
    "  --llm-base-url URL       API base URL ($BACKBONE_LLM_BASE_URL)\n"
    "  --llm-cache DIR|off      answer cache (default off; on in CI: .backbone/llm-cache)\n"
    "  --llm-max-tokens N       token budget for the run (prompt + completion)\n"
    "  --llm-deadline SECONDS   time allowed for the run's model calls (default 300)\n";

/* The value of --name VALUE or --name=VALUE at argv[*i]; NULL when it is not --name. */
static const char *option_value(const char *name, int argc, char **argv, int *i, bool *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static bool parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return false;
    *out = v;
    return true;
}

/* Seconds, decimals allowed, as milliseconds; false unless positive. */
static bool parse_seconds(const char *s, long *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0) || v > 1e6)
        return false;
    *ms = (long)(v * 1000 + 0.5);
    return *ms > 0;
}

int bb_llm_parse_option(bb_llm_options *o, int argc, char **argv, int *i)
{
    static const char *const names[] = {"--llm",          "--llm-provider", "--llm-model",
                                        "--llm-base-url", "--llm-cache",    "--llm-max-tokens",
                                        "--llm-deadline"};
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        bool missing = false;
        const char *v = option_value(names[k], argc, argv, i, &missing);
        if (missing) {
            fprintf(stderr, "backbone: %s needs a value\n", names[k]);
            return -1;
        }
        if (!v)
            continue;
        switch (k) {
        case 0:
            if (strcmp(v, "off") != 0 && strcmp(v, "advise") != 0) {
                fprintf(stderr, "backbone: --llm takes off or advise, not '%s'\n", v);
                return -1;
            }
            o->mode = strcmp(v, "advise") == 0;
            return 1;
        case 1:
            if (!bb_llm_provider_find(v)) {
                fprintf(stderr, "backbone: unknown LLM provider '%s' (openai, anthropic)\n", v);
                return -1;
            }
            o->provider = v;
            return 1;
        case 2:
            o->model = v;
            return 1;
        case 3:
            o->base_url = v;
            return 1;
        case 4:
            o->cache_dir = v;
            return 1;
        case 6:
            if (!parse_seconds(v, &o->deadline_ms)) {
                fprintf(stderr, "backbone: --llm-deadline takes a positive number of seconds\n");
                return -1;
            }
            return 1;
        default:
            if (!parse_long(v, &o->max_tokens) || o->max_tokens == 0) {
                fprintf(stderr, "backbone: --llm-max-tokens takes a positive number\n");
                return -1;
            }
            return 1;
        }
    }
    return 0;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void env_long(const char *name, long *dst)
{
    const char *v = env(name);
    long x;
    if (v && parse_long(v, &x))
        *dst = x;
}

/* Transport tuning from the environment (tests shorten waits this way). */
static void http_from_env(bb_llm_http_opts *h)
{
    long v;
    env_long("BACKBONE_LLM_TIMEOUT_MS", &h->timeout_ms);
    env_long("BACKBONE_LLM_CONNECT_TIMEOUT_MS", &h->connect_timeout_ms);
    env_long("BACKBONE_LLM_RETRY_BASE_MS", &h->base_delay_ms);
    env_long("BACKBONE_LLM_RETRY_MAX_MS", &h->max_delay_ms);
    env_long("BACKBONE_LLM_BREAKER_COOLDOWN_MS", &h->breaker_cooldown_ms);
    v = -1;
    env_long("BACKBONE_LLM_MAX_ATTEMPTS", &v);
    if (v > 0 && v <= 20)
        h->max_attempts = (int)v;
    v = -1;
    env_long("BACKBONE_LLM_BREAKER_THRESHOLD", &v);
    if (v >= 0 && v <= 1000)
        h->breaker_threshold = (int)v;
    v = -1;
    env_long("BACKBONE_LLM_MAX_RESPONSE_BYTES", &v);
    if (v > 0)
        h->max_response_bytes = (size_t)v;
}

bool bb_llm_model_is_reasoning(const char *model)
{
    const char *slash = strrchr(model, '/');
    const char *m = slash ? slash + 1 : model;
    return (m[0] == 'o' && m[1] >= '0' && m[1] <= '9') || strncmp(m, "gpt-5", 5) == 0;
}

/* Where the OpenAI-compatible output cap goes by default: max_completion_tokens
 * for OpenAI itself (and Azure OpenAI) and reasoning models, which refuse
 * max_tokens; max_tokens for every other server, which may ignore the newer
 * name (Ollama, llama.cpp). */
static bool guess_max_tokens_field(const bb_llm_config *cfg)
{
    char host[256];
    if (bb_llm_model_is_reasoning(cfg->model) ||
        !bb_llm_url_host(cfg->base_url, host, sizeof(host)))
        return false;
    size_t n = strlen(host), azure = strlen(".openai.azure.com");
    return strcmp(host, "api.openai.com") != 0 &&
           !(n > azure && strcmp(host + n - azure, ".openai.azure.com") == 0);
}

/* Temperature and the output cap's field name, from the environment or by
 * what the provider and model accept. */
static int request_style(bb_llm_config *cfg, char *err, size_t cap)
{
    bool openai = cfg->provider == &bb_llm_openai;
    cfg->temperature = 0;
    cfg->send_temperature = !(openai && bb_llm_model_is_reasoning(cfg->model));
    const char *t = env("BACKBONE_LLM_TEMPERATURE");
    if (t && strcmp(t, "omit") == 0) {
        cfg->send_temperature = false;
    } else if (t) {
        char *end;
        errno = 0;
        double v = strtod(t, &end);
        if (errno || end == t || *end || !(v >= 0 && v <= 2)) {
            snprintf(err, cap, "BACKBONE_LLM_TEMPERATURE takes a number from 0 to 2, or omit");
            return BB_EUSAGE;
        }
        cfg->temperature = v;
        cfg->send_temperature = true;
    }
    const char *f = env("BACKBONE_LLM_MAX_TOKENS_FIELD");
    if (f && strcmp(f, "max_tokens") != 0 && strcmp(f, "max_completion_tokens") != 0) {
        snprintf(err, cap,
                 "BACKBONE_LLM_MAX_TOKENS_FIELD takes max_tokens or max_completion_tokens");
        return BB_EUSAGE;
    }
    cfg->use_max_tokens = f ? strcmp(f, "max_tokens") == 0 : openai && guess_max_tokens_field(cfg);
    return BB_OK;
}

static bool is_ci(void)
{
    const char *ci = env("CI");
    return ci && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0);
}

static int resolve_cache_dir(bb_llm_config *cfg, const char *opt)
{
    const char *dir = opt ? opt : env("BACKBONE_LLM_CACHE");
    if (dir && strcmp(dir, "off") == 0)
        return BB_OK;
    if (dir) {
        cfg->cache_dir = bb_strdup(dir);
        return cfg->cache_dir ? BB_OK : BB_ENOMEM;
    }
    if (!is_ci())
        return BB_OK;
    cfg->cache_dir = bb_llm_cache_default_dir();
    return cfg->cache_dir ? BB_OK : BB_ENOMEM;
}

int bb_llm_config_load(bb_llm_config *cfg, const bb_llm_options *o, char *err, size_t cap)
{
    static const bb_llm_options none;
    if (!o)
        o = &none;
    memset(cfg, 0, sizeof(*cfg));
    bb_llm_http_opts_default(&cfg->http);
    http_from_env(&cfg->http);
    cfg->max_output_tokens = 4096;
    env_long("BACKBONE_LLM_MAX_OUTPUT_TOKENS", &cfg->max_output_tokens);
    cfg->max_tokens = o->max_tokens;
    if (!cfg->max_tokens)
        env_long("BACKBONE_LLM_MAX_TOKENS", &cfg->max_tokens);
    cfg->deadline_ms = o->deadline_ms ? o->deadline_ms : BB_LLM_DEFAULT_DEADLINE_MS;
    const char *deadline = env("BACKBONE_LLM_DEADLINE");
    if (!o->deadline_ms && deadline && !parse_seconds(deadline, &cfg->deadline_ms)) {
        snprintf(err, cap, "BACKBONE_LLM_DEADLINE takes a positive number of seconds");
        return BB_EUSAGE;
    }
    cfg->anthropic_tools = env("BACKBONE_LLM_ANTHROPIC_TOOLS") != NULL;

    const char *pname = o->provider ? o->provider : env("BACKBONE_LLM_PROVIDER");
    cfg->provider = bb_llm_provider_find(pname ? pname : "openai");
    if (!cfg->provider) {
        snprintf(err, cap, "unknown LLM provider '%s' (openai, anthropic)", pname);
        return BB_EUSAGE;
    }
    const char *url = o->base_url ? o->base_url : env("BACKBONE_LLM_BASE_URL");
    const char *model = o->model ? o->model : env("BACKBONE_LLM_MODEL");
    const char *key = env(cfg->provider->key_env);
    cfg->base_url = bb_strdup(url ? url : cfg->provider->default_base_url);
    cfg->model = bb_strdup(model ? model : cfg->provider->default_model);
    cfg->api_key = key ? bb_strdup(key) : NULL;
    if (!cfg->base_url || !cfg->model || (key && !cfg->api_key) ||
        resolve_cache_dir(cfg, o->cache_dir) != BB_OK) {
        bb_llm_config_free(cfg);
        snprintf(err, cap, "out of memory");
        return BB_ENOMEM;
    }
    size_t n = strlen(cfg->base_url);
    while (n > 0 && cfg->base_url[n - 1] == '/')
        cfg->base_url[--n] = '\0';
    if (!bb_llm_url_allowed(cfg->base_url)) {
        snprintf(err, cap, "LLM base URL must be https:// (or http:// to a loopback host)");
        bb_llm_config_free(cfg);
        return BB_EUSAGE;
    }
    /* Local servers (Ollama, llama.cpp, vLLM on loopback) need no key. */
    if (!cfg->api_key && strncmp(cfg->base_url, "https://", 8) == 0) {
        snprintf(err, cap, "no API key: set %s", cfg->provider->key_env);
        bb_llm_config_free(cfg);
        return BB_EUSAGE;
    }
    int rc = request_style(cfg, err, cap);
    if (rc)
        bb_llm_config_free(cfg);
    return rc;
}

void bb_llm_config_free(bb_llm_config *cfg)
{
    if (cfg->api_key) /* do not leave the secret in freed memory */
        memset(cfg->api_key, 0, strlen(cfg->api_key));
    bb_free(cfg->api_key);
    bb_free(cfg->base_url);
    bb_free(cfg->model);
    bb_free(cfg->cache_dir);
    memset(cfg, 0, sizeof(*cfg));
}

/* ---- process-wide metrics ------------------------------------------------ */

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static bb_llm_metrics metrics;

void bb_llm_metrics_get(bb_llm_metrics *out)
{
    pthread_mutex_lock(&metrics_lock);
    *out = metrics;
    pthread_mutex_unlock(&metrics_lock);
}

int bb_llm_metrics_render(bb_buf *out, const char *labels)
{
    static const struct {
        const char *name, *help;
    } rows[] = {
        {"backbone_llm_requests_total", "LLM calls that went to the network"},
        {"backbone_llm_http_attempts_total", "LLM HTTP attempts, retries included"},
        {"backbone_llm_cache_hits_total", "LLM answers served from the cache"},
        {"backbone_llm_failures_total", "LLM calls that gave no usable answer"},
        {"backbone_llm_prompt_tokens_total", "prompt tokens spent"},
        {"backbone_llm_completion_tokens_total", "completion tokens spent"},
        {"backbone_llm_seconds_total", "seconds spent waiting for models"},
    };
    bb_llm_metrics m;
    bb_llm_metrics_get(&m);
    double v[] = {(double)m.requests, (double)m.http_attempts, (double)m.cache_hits,
                  (double)m.failures, (double)m.prompt_tokens, (double)m.completion_tokens,
                  m.seconds};
    int rc = BB_OK;
    for (size_t i = 0; !rc && i < sizeof(rows) / sizeof(rows[0]); i++)
        rc = bb_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s%s %.17g\n", rows[i].name,
                           rows[i].help, rows[i].name, rows[i].name, labels ? labels : "", v[i]);
    return rc;
}

static void metrics_add(const bb_llm_stats *d)
{
    pthread_mutex_lock(&metrics_lock);
    metrics.requests += d->requests;
    metrics.http_attempts += d->http_attempts;
    metrics.cache_hits += d->cache_hits;
    metrics.failures += d->failures;
    metrics.prompt_tokens += d->prompt_tokens;
    metrics.completion_tokens += d->completion_tokens;
    metrics.seconds += d->seconds;
    pthread_mutex_unlock(&metrics_lock);
}

static void stats_add(bb_llm_client *c, const bb_llm_stats *d)
{
    c->stats.requests += d->requests;
    c->stats.http_attempts += d->http_attempts;
    c->stats.cache_hits += d->cache_hits;
    c->stats.failures += d->failures;
    c->stats.prompt_tokens += d->prompt_tokens;
    c->stats.completion_tokens += d->completion_tokens;
    c->stats.seconds += d->seconds;
    metrics_add(d);
}

/* ---- the client ----------------------------------------------------------- */

void bb_llm_client_init(bb_llm_client *c, bb_llm_config *cfg)
{
    memset(c, 0, sizeof(*c));
    c->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    if (c->cfg.deadline_ms > 0)
        c->cfg.http.deadline_at_ms = (long)bb_clock_ms() + c->cfg.deadline_ms;
}

void bb_llm_client_free(bb_llm_client *c)
{
    bb_llm_config_free(&c->cfg);
}

int bb_llm__add_header(bb_http_headers **list, const char *name, const char *value)
{
    bb_buf h;
    bb_buf_init(&h, 16384);
    int rc = bb_buf_printf(&h, "%s: %s", name, value);
    if (!rc)
        rc = bb_http_headers_add(list, bb_buf_str(&h));
    /* wipe: this line may hold the key */
    if (h.data)
        memset(h.data, 0, h.len);
    bb_buf_free(&h);
    return rc;
}

static void error_fields(const char *body, size_t len, char type[64], char code[64], char *msg,
                         size_t cap)
{
    type[0] = code[0] = '\0';
    if (cap)
        msg[0] = '\0';
    cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (cJSON_IsString(t))
        snprintf(type, 64, "%s", t->valuestring);
    if (cJSON_IsString(c))
        snprintf(code, 64, "%s", c->valuestring);
    if (cJSON_IsString(m) && cap)
        snprintf(msg, cap, "%s", m->valuestring);
    cJSON_Delete(j);
}

static bb_llm_error_kind status_kind(long status)
{
    switch (status) {
    case 0:
        return BB_LLM_ERR_NETWORK;
    case 401:
    case 403:
        return BB_LLM_ERR_AUTH;
    case 408:
    case 409:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
    case 529:
        return BB_LLM_ERR_OVERLOAD;
    default:
        return BB_LLM_ERR_REQUEST;
    }
}

bool bb_llm__add_turns(cJSON *arr, const bb_llm_request *req)
{
    for (size_t i = 0; arr && i < req->n_messages; i++) {
        cJSON *m = cJSON_CreateObject();
        if (!m || !cJSON_AddStringToObject(m, "role", req->messages[i].role) ||
            !cJSON_AddStringToObject(m, "content", req->messages[i].content) ||
            !cJSON_AddItemToArray(arr, m)) {
            cJSON_Delete(m);
            return false;
        }
    }
    return arr != NULL;
}

int bb_llm__body_done(cJSON *root, bool ok, cJSON **out)
{
    if (!root || !ok) {
        cJSON_Delete(root);
        return BB_ENOMEM;
    }
    *out = root;
    return BB_OK;
}

long bb_llm__usage(const cJSON *usage, const char *name)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(usage, name);
    if (!cJSON_IsNumber(n) || !(n->valuedouble >= 0)) /* also NaN */
        return 0;
    /* A server may say anything: clamp before converting. */
    return n->valuedouble > 1e12 ? 1000000000000L : (long)n->valuedouble;
}

bool bb_llm__contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

void bb_llm__json_span(const char *text, const char **start, size_t *len)
{
    const char *s = text, *e = text + strlen(text);
    while (s < e && is_space(*s))
        s++;
    while (e > s && is_space(e[-1]))
        e--;
    /* ```json (or ``` and any tag) on its own line, the JSON, then ``` */
    const char *nl = memchr(s, '\n', (size_t)(e - s));
    if (e - s >= 6 && strncmp(s, "```", 3) == 0 && strncmp(e - 3, "```", 3) == 0 && nl &&
        nl < e - 3) {
        s = nl + 1;
        e -= 3;
        while (s < e && is_space(*s))
            s++;
        while (e > s && is_space(e[-1]))
            e--;
    }
    *start = s;
    *len = (size_t)(e - s);
}

static const bb_llm_ask no_departures;

/* Tokens of n bytes of text, when a server does not say: 4 bytes a token. */
static long estimate_tokens(size_t n)
{
    return (long)(n / 4) + 1;
}

/* The output cap of one request: the ask's, else the configuration's, and
 * no more than what the budget leaves after prompt_tokens (0: spent). */
static long output_allowance(const bb_llm_client *c, const bb_llm_ask *ask, long prompt_tokens)
{
    long n = ask->max_output_tokens > 0     ? ask->max_output_tokens
             : c->cfg.max_output_tokens > 0 ? c->cfg.max_output_tokens
                                            : 4096;
    if (c->cfg.max_tokens <= 0)
        return n;
    long left = c->cfg.max_tokens - c->budget_used - prompt_tokens;
    if (left <= 0)
        return 0;
    return left < n ? left : n;
}

static int build_body_with(const bb_llm_client *c, const bb_llm_request *req, const bb_llm_ask *ask,
                           long max_tokens, char **body, size_t *len)
{
    cJSON *j = NULL;
    int rc = c->cfg.provider->build_body(&c->cfg, req, ask, max_tokens, &j);
    if (rc)
        return rc;
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s)
        return BB_ENOMEM;
    size_t n = strlen(s);
    if (n > LLM_MAX_REQUEST_BYTES) {
        free(s);
        return BB_ELIMIT;
    }
    *body = bb_strndup(s, n);
    free(s);
    if (!*body)
        return BB_ENOMEM;
    *len = n;
    return BB_OK;
}

int bb_llm_build_body(const bb_llm_client *c, const bb_llm_request *req, char **body, size_t *len)
{
    return build_body_with(c, req, &no_departures, output_allowance(c, &no_departures, 0), body,
                           len);
}

bb_llm_error_kind bb_llm__error_kind(const bb_llm_provider *p, long status, const char *body,
                                     size_t len, char *msg, size_t cap)
{
    char type[64], code[64];
    error_fields(body, len, type, code, msg, cap);
    bb_llm_error_kind k = status_kind(status);
    if (k == BB_LLM_ERR_NETWORK || k == BB_LLM_ERR_AUTH)
        return k;
    return p->is_quota(type, code, cap ? msg : "") ? BB_LLM_ERR_QUOTA : k;
}

typedef struct classify_ctx {
    const bb_llm_provider *p;
    bb_llm_error_kind kind;
    char message[256];
} classify_ctx;

static bb_llm_http_verdict classify(long status, const char *body, size_t len, void *vctx)
{
    classify_ctx *x = vctx;
    if (status >= 200 && status < 300) {
        x->kind = BB_LLM_ERR_NONE;
        return BB_LLM_HTTP_DONE;
    }
    x->message[0] = '\0';
    x->kind = bb_llm__error_kind(x->p, status, body, len, x->message, sizeof(x->message));
    switch (x->kind) {
    case BB_LLM_ERR_NETWORK:
    case BB_LLM_ERR_TIMEOUT:
    case BB_LLM_ERR_OVERLOAD:
        return BB_LLM_HTTP_RETRY;
    default:
        return BB_LLM_HTTP_FATAL;
    }
}

/* Parses the content text and checks it against the request's schema; *out
 * holds the value whenever it parsed (the caller drops it on failure). */
static int parse_content(const bb_llm_request *req, const char *text, cJSON **out,
                         bb_llm_error *err)
{
    const char *s;
    size_t n;
    bb_llm__json_span(text, &s, &n);
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(s, n, &end, false);
    if (!v || (size_t)(end - s) != n) {
        cJSON_Delete(v);
        set_error(err, BB_LLM_ERR_MALFORMED, "the model's answer is not valid JSON%s", NULL);
        return BB_EINVAL;
    }
    if (req->schema) {
        bb_llm_schema_drop_nulls(req->schema, v);
        bb_buf where, why;
        bb_buf_init(&where, 1024);
        bb_buf_init(&why, 1024);
        int rc = bb_jsoncheck(req->schema, v, &where, &why);
        if (rc) {
            err->kind = BB_LLM_ERR_SCHEMA;
            snprintf(err->message, sizeof(err->message),
                     "the model's answer does not match the schema at '%s': %s", bb_buf_str(&where),
                     bb_buf_str(&why));
        }
        bb_buf_free(&where);
        bb_buf_free(&why);
        if (rc) {
            *out = v;
            return BB_EINVAL;
        }
    }
    *out = v;
    return BB_OK;
}

/* Turns a transport failure into an error the user can act on. */
static void transport_error(int rc, const bb_llm_http_result *res, const classify_ctx *cx,
                            const bb_llm_config *cfg, bb_llm_error *err)
{
    char said[256] = "";
    if (cx->message[0]) /* the provider's words: data, never printed raw */
        bb_llm_shown(said, sizeof(said), cx->message, cfg->api_key, 200);
    if (res->breaker_open)
        err->kind = BB_LLM_ERR_BREAKER;
    else if (rc == BB_ELIMIT)
        err->kind = BB_LLM_ERR_TOO_LARGE;
    else if (rc == BB_ETIMEOUT)
        err->kind = BB_LLM_ERR_TIMEOUT;
    else if (rc == BB_ENET || rc == BB_EUSAGE)
        err->kind = rc == BB_EUSAGE ? BB_LLM_ERR_CONFIG : BB_LLM_ERR_NETWORK;
    else
        err->kind = cx->kind ? cx->kind : BB_LLM_ERR_REQUEST;
    if (err->kind == BB_LLM_ERR_OVERLOAD || err->kind == BB_LLM_ERR_AUTH ||
        err->kind == BB_LLM_ERR_QUOTA || err->kind == BB_LLM_ERR_REQUEST)
        snprintf(err->message, sizeof(err->message), "%s answered HTTP %ld%s%s",
                 cfg->provider->name, res->status, said[0] ? ": " : "", said);
    else
        snprintf(err->message, sizeof(err->message), "%s", res->error);
}

/*
 * The model call's span, a child of the thread's trace (a new trace
 * without one), and the headers that pass the trace on: the provider's
 * side of the call, and its logs, name the same trace and request.
 */
static int begin_call_span(const bb_llm_config *cfg, bb_span *span, bb_http_headers **headers)
{
    bb_span_start(span, "chat", BB_SPAN_CLIENT, bb_trace_current());
    snprintf(span->name, sizeof(span->name), "chat %s", cfg->model ? cfg->model : "");
    char traceparent[BB_TRACEPARENT_LEN + 1];
    bb_trace_format(&span->ctx, traceparent);
    int rc = bb_llm__add_header(headers, "traceparent", traceparent);
    const char *request_id = bb_trace_request_id();
    if (!rc && request_id)
        rc = bb_llm__add_header(headers, "X-Request-Id", request_id);
    return rc;
}

static void end_call_span(const bb_llm_config *cfg, bb_span *span, const bb_llm_http_result *res,
                          int rc)
{
    bb_span_str(span, "gen_ai.operation.name", "chat");
    bb_span_str(span, "gen_ai.system", cfg->provider->name);
    bb_span_str(span, "gen_ai.request.model", cfg->model ? cfg->model : "");
    bb_span_int(span, "http.response.status_code", res->status);
    bb_span_int(span, "backbone.attempts", res->attempts);
    span->error = rc != BB_OK;
    bb_span_end(span);
}

/* Sends body to the provider; on success *resp_body holds its 200 answer. */
static int send_request(bb_llm_client *c, const char *body, size_t len, bb_buf *resp_body,
                        bb_llm_stats *d, bb_llm_error *err)
{
    const bb_llm_config *cfg = &c->cfg;
    bb_http_headers *headers = NULL;
    bb_buf url, breaker_key;
    bb_buf_init(&url, 4096);
    bb_buf_init(&breaker_key, 4096);
    bb_span span;
    int rc = cfg->provider->build_headers(cfg, &headers);
    if (!rc)
        rc = begin_call_span(cfg, &span, &headers);
    if (!rc)
        rc = bb_buf_printf(&url, "%s%s", cfg->base_url, cfg->provider->path);
    if (!rc)
        rc = bb_buf_printf(&breaker_key, "%s %s", cfg->provider->name, cfg->base_url);
    if (rc) {
        bb_http_headers_free(headers);
        bb_buf_free(&url);
        bb_buf_free(&breaker_key);
        set_error(err, BB_LLM_ERR_CONFIG, "cannot build the request%s", NULL);
        return rc;
    }
    classify_ctx cx = {cfg->provider, BB_LLM_ERR_NONE, ""};
    bb_llm_http_result res;
    double t0 = bb_clock_seconds();
    rc = bb_llm_http_post(&cfg->http, bb_buf_str(&breaker_key), bb_buf_str(&url), headers, body,
                          len, classify, &cx, &res);
    end_call_span(cfg, &span, &res, rc);
    d->seconds += bb_clock_seconds() - t0;
    d->requests += res.attempts > 0; /* nothing went out past a deadline or an open breaker */
    d->http_attempts += res.attempts;
    err->attempts = res.attempts;
    err->status = res.status;
    bb_llm_request_id(err->request_id, sizeof(err->request_id), res.request_id, cfg->api_key);
    if (rc)
        transport_error(rc, &res, &cx, cfg, err);
    else
        rc = bb_buf_append(resp_body, res.body.data ? res.body.data : "", res.body.len);
    bb_http_headers_free(headers);
    bb_llm_http_result_free(&res);
    bb_buf_free(&url);
    bb_buf_free(&breaker_key);
    return rc;
}

/* Envelope -> text -> checked JSON, counting tokens into d. A bad answer
 * is kept in out when keep says so. */
static int interpret(bb_llm_client *c, const bb_llm_request *req, bool keep, size_t request_len,
                     const char *body, size_t len, bb_llm_reply *out, bb_llm_stats *d,
                     bb_llm_error *err)
{
    char *text = NULL;
    long in = 0, outn = 0;
    int rc = c->cfg.provider->parse_reply(&c->cfg, body, len, &text, &in, &outn, err);
    if (in == 0 && outn == 0) { /* no usage in the answer: estimate it */
        in = estimate_tokens(request_len);
        outn = estimate_tokens(text ? strlen(text) : len);
    }
    d->prompt_tokens += in;
    d->completion_tokens += outn;
    out->prompt_tokens = in;
    out->completion_tokens = outn;
    if (rc)
        return rc;
    if (!bb_jsoncheck_utf8_valid(text, strlen(text))) {
        /* never let malformed text reach a terminal, a file or a prompt */
        bb_free(text);
        set_error(err, BB_LLM_ERR_MALFORMED, "the model's answer is not valid UTF-8%s", NULL);
        return BB_EINVAL;
    }
    rc = parse_content(req, text, &out->value, err);
    out->text = text;
    if (rc && !keep) {
        cJSON_Delete(out->value);
        bb_free(out->text);
        out->value = NULL;
        out->text = NULL;
    }
    return rc;
}

int bb_llm_complete(bb_llm_client *c, const bb_llm_request *req, bb_llm_reply *out,
                    bb_llm_error *err)
{
    return bb_llm_complete_with(c, req, NULL, out, err);
}

/* Whether a failed call's answer is the caller's to keep (and, once the
 * model gave it, to cache like any answer: a rerun then goes the same way). */
static bool keeps(const bb_llm_ask *ask, const bb_llm_error *err)
{
    return ask->keep_bad_answer && bb_llm_error_is_bad_answer(err->kind) &&
           err->kind != BB_LLM_ERR_TOO_LARGE;
}

/* Refuses a request the budget cannot pay for: BB_ELIMIT, nothing sent. */
static int over_budget(bb_llm_client *c, bb_llm_stats *d, bb_llm_error *err, long prompt_tokens)
{
    err->kind = BB_LLM_ERR_BUDGET;
    snprintf(err->message, sizeof(err->message),
             "the token budget (--llm-max-tokens %ld) is spent: %ld used, ~%ld for this prompt",
             c->cfg.max_tokens, c->budget_used, prompt_tokens);
    d->failures++;
    stats_add(c, d);
    return BB_ELIMIT;
}

/* The body to send, sized to the budget: the prompt's estimated tokens
 * and the output cap together fit in what is left. */
static int budgeted_body(bb_llm_client *c, const bb_llm_request *req, const bb_llm_ask *ask,
                         char **body, size_t *len, long *prompt_estimate)
{
    long first = output_allowance(c, ask, 0);
    int rc = build_body_with(c, req, ask, first > 0 ? first : 1, body, len);
    if (rc)
        return rc;
    *prompt_estimate = estimate_tokens(*len);
    long allowance = output_allowance(c, ask, *prompt_estimate);
    if (allowance <= 0)
        return BB_ELIMIT;
    if (allowance == first)
        return BB_OK;
    bb_free(*body);
    *body = NULL;
    return build_body_with(c, req, ask, allowance, body, len);
}

int bb_llm_complete_with(bb_llm_client *c, const bb_llm_request *req, const bb_llm_ask *ask,
                         bb_llm_reply *out, bb_llm_error *err)
{
    memset(out, 0, sizeof(*out));
    memset(err, 0, sizeof(*err));
    if (!ask)
        ask = &no_departures;
    bb_llm_stats d = {0};
    char *body = NULL;
    size_t len = 0;
    long prompt_estimate = 0;
    int rc = budgeted_body(c, req, ask, &body, &len, &prompt_estimate);
    if (rc == BB_ELIMIT && body) {
        bb_free(body);
        return over_budget(c, &d, err, prompt_estimate);
    }
    if (rc) {
        bb_free(body);
        set_error(err, BB_LLM_ERR_CONFIG, "cannot build the request body%s", NULL);
        d.failures++;
        stats_add(c, &d);
        return rc;
    }
    char key[65] = "";
    bb_buf resp;
    bb_buf_init(&resp, c->cfg.http.max_response_bytes);
    bool cached = false;
    if (bb_llm_cache_enabled(c->cfg.cache_dir) &&
        bb_llm_cache_key(c->cfg.provider->name, c->cfg.base_url, c->cfg.model, body, len, key) ==
            BB_OK)
        cached = bb_llm_cache_lookup(c->cfg.cache_dir, key, &resp) == BB_OK;
    if (cached) {
        d.cache_hits++;
        rc = interpret(c, req, ask->keep_bad_answer, len, resp.data, resp.len, out, &d, err);
        bool kept = rc == BB_OK || keeps(ask, err);
        /* nothing was spent now, but the budget is charged what the answer
         * cost when it was asked, as in the run that stored it */
        if (kept)
            c->budget_used += d.prompt_tokens + d.completion_tokens;
        d.prompt_tokens = d.completion_tokens = 0;
        out->prompt_tokens = out->completion_tokens = 0;
        out->from_cache = true;
        if (!kept) /* a bad entry: ask again */
            bb_llm_reply_free(out), bb_buf_reset(&resp), cached = false, d.cache_hits--;
    }
    if (!cached) {
        memset(err, 0, sizeof(*err));
        rc = send_request(c, body, len, &resp, &d, err);
        if (!rc)
            rc = interpret(c, req, ask->keep_bad_answer, len, resp.data, resp.len, out, &d, err);
        c->budget_used += d.prompt_tokens + d.completion_tokens;
        /* A cache that cannot be written only costs the next run a request. */
        bool answered = rc == BB_OK || (keeps(ask, err) && err->status == 200);
        if (answered && key[0] &&
            bb_llm_cache_store_entry(c->cfg.cache_dir, key, resp.data, resp.len))
            fprintf(stderr, "backbone: warning: cannot write the LLM cache in %s\n",
                    c->cfg.cache_dir);
    }
    d.failures += rc != BB_OK;
    stats_add(c, &d);
    bb_buf_free(&resp);
    bb_free(body);
    return rc;
}
