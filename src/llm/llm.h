/*
 * llm.h - the LLM client behind every model-assisted stage: one provider
 * interface (OpenAI-compatible Chat Completions, Anthropic Messages), its
 * configuration from flags and the environment, a disk cache, a token budget
 * and the process-wide figures the HTTP service exposes.
 *
 * A model is an advisor, never an authority: bb_llm_complete() only returns
 * a JSON value that parsed and passed the JSON Schema sent with the request
 * (jsoncheck.h); the stages still validate every proposal against the schema
 * being compiled. Any failure comes back as a bb_llm_error that the stage
 * turns into a warning before it falls back to its deterministic result.
 *
 * Secrets: the API key lives only in bb_llm_config.api_key and in the one
 * request header that carries it. It is never printed, logged, put in an
 * error message (provider messages are scrubbed of it) or hashed into a
 * cache key.
 *
 * Ownership: a bb_llm_config owns its strings (bb_llm_config_free); a client
 * owns a copy of its config; a bb_llm_reply's value is the caller's
 * (bb_llm_reply_free).
 */
#ifndef BB_LLM_H
#define BB_LLM_H

#include "base/bb.h"
#include "base/buf.h"
#include "llm/llm_http.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

typedef enum {
    BB_LLM_ERR_NONE = 0,
    BB_LLM_ERR_CONFIG,    /* no key, unknown provider, bad URL */
    BB_LLM_ERR_NETWORK,   /* connection failed (after retries) */
    BB_LLM_ERR_TIMEOUT,   /* no complete answer in time (after retries) */
    BB_LLM_ERR_OVERLOAD,  /* 408/409/429/5xx/529 until the retries ran out */
    BB_LLM_ERR_AUTH,      /* 401/403: never retried */
    BB_LLM_ERR_QUOTA,     /* quota or spend limit exhausted: never retried */
    BB_LLM_ERR_REQUEST,   /* 400/404/413 and other refusals of the request */
    BB_LLM_ERR_TOO_LARGE, /* the response went over its cap */
    BB_LLM_ERR_TRUNCATED, /* finish_reason length / stop_reason max_tokens */
    BB_LLM_ERR_REFUSAL,   /* refusal, content_filter, stop_reason refusal */
    BB_LLM_ERR_MALFORMED, /* the envelope or its content is not the JSON expected */
    BB_LLM_ERR_SCHEMA,    /* the content parsed but breaks the JSON Schema */
    BB_LLM_ERR_BREAKER,   /* the provider's circuit breaker is open */
    BB_LLM_ERR_BUDGET,    /* --llm-max-tokens is spent */
} bb_llm_error_kind;

/* A short stable name: "timeout", "quota", ... */
const char *bb_llm_error_name(bb_llm_error_kind k);

/* True when the model answered but the answer is unusable (malformed, off
 * schema, truncated, refused, too large): BB0902 rather than BB0901. */
bool bb_llm_error_is_bad_answer(bb_llm_error_kind k);

typedef struct bb_llm_error {
    bb_llm_error_kind kind;
    long status;         /* last HTTP status, 0 when none */
    int attempts;        /* HTTP attempts made */
    char request_id[96]; /* the provider's request id, for support */
    char message[320];   /* what went wrong; never holds the key */
} bb_llm_error;

/* One turn of a conversation. role: "user" or "assistant". */
typedef struct bb_llm_msg {
    const char *role;
    const char *content;
} bb_llm_msg;

typedef struct bb_llm_request {
    const char *system;
    const bb_llm_msg *messages;
    size_t n_messages;
    const char *schema_name; /* ^[a-zA-Z0-9_-]{1,64}$ */
    /* JSON Schema of the answer, as plain JSON Schema: "required" lists what
     * an answer must have, other properties are optional; each provider gets
     * its own form of it (llm_schema.h) and the answer is checked against
     * this one. */
    const cJSON *schema;
} bb_llm_request;

/* How one request departs from the defaults (bb_llm_complete_with). */
typedef struct bb_llm_ask {
    /* Optional properties may be left out rather than answered as null:
     * OpenAI gets the schema as guidance (strict: false) instead of strict
     * mode, which would make the model write every optional key. For long
     * answers such as a whole database schema. */
    bool sparse;
    /* This request's output cap in tokens; 0: the configuration's. */
    long max_output_tokens;
    /* When the answer is not JSON or breaks the schema, keep it for a
     * repair: reply->text holds the text (and reply->value the JSON when it
     * parsed) even though the call fails; free the reply in any case. */
    bool keep_bad_answer;
} bb_llm_ask;

typedef struct bb_llm_reply {
    cJSON *value;       /* the checked answer; the caller's */
    char *text;         /* the answer as the model wrote it; the caller's */
    long prompt_tokens; /* 0 for a cache hit */
    long completion_tokens;
    bool from_cache;
} bb_llm_reply;

void bb_llm_reply_free(bb_llm_reply *r);

typedef struct bb_llm_config bb_llm_config;

/* What differs between providers; everything else is shared. */
typedef struct bb_llm_provider {
    const char *name; /* "openai", "anthropic" */
    const char *path; /* appended to the base URL */
    const char *default_base_url;
    const char *default_model;
    const char *key_env; /* the environment variable holding the key */
    /* The request body for req, asking for at most max_tokens of output. */
    int (*build_body)(const bb_llm_config *cfg, const bb_llm_request *req, const bb_llm_ask *ask,
                      long max_tokens, cJSON **out);
    /* Headers: content type, version, the key. The caller frees the list. */
    int (*build_headers)(const bb_llm_config *cfg, bb_http_headers **out);
    /* A 200 body to the content text (caller's) and usage, or an error. */
    int (*parse_reply)(const bb_llm_config *cfg, const char *body, size_t len, char **text,
                       long *prompt_tokens, long *completion_tokens, bb_llm_error *err);
    /* Whether an error body's {"error": {"type", "code", "message"}} (both
     * APIs share that shape; absent fields are "") says a quota is spent:
     * unlike a rate limit, that does not pass by waiting. The rest of an
     * error's kind comes from its HTTP status, the same for both. */
    bool (*is_quota)(const char *type, const char *code, const char *msg);
} bb_llm_provider;

extern const bb_llm_provider bb_llm_openai;
extern const bb_llm_provider bb_llm_anthropic;

/* The provider named name ("openai", "anthropic"); NULL when unknown. */
const bb_llm_provider *bb_llm_provider_find(const char *name);

struct bb_llm_config {
    const bb_llm_provider *provider;
    char *base_url;
    char *model;
    char *api_key;          /* secret: see the header comment */
    char *cache_dir;        /* NULL: no cache */
    long max_tokens;        /* budget for the run (prompt + completion), 0 = none */
    long deadline_ms;       /* the whole run's time, default 300 s, 0 = none */
    long max_output_tokens; /* per request, default 4096 */
    bool anthropic_tools;   /* force a tool instead of output_config.format */
    /* Sampling temperature, sent only when send_temperature: not when
     * BACKBONE_LLM_TEMPERATURE is "omit", nor by default to model families
     * that refuse it (OpenAI's o-series and gpt-5). */
    double temperature;
    bool send_temperature;
    /* OpenAI-compatible servers: the output cap as max_tokens, the field
     * Ollama, llama.cpp and most compatible servers read, rather than
     * max_completion_tokens (api.openai.com, reasoning models);
     * BACKBONE_LLM_MAX_TOKENS_FIELD overrides the guess. */
    bool use_max_tokens;
    bb_llm_http_opts http;
};

/* Whether a run consults a model: never by default. */
typedef enum { BB_LLM_OFF = 0, BB_LLM_ADVISE } bb_llm_mode;

/* Command-line and per-request choices, before the environment is merged. */
typedef struct bb_llm_options {
    int mode;              /* bb_llm_mode: 0 off, 1 advise */
    const char *provider;  /* NULL: BACKBONE_LLM_PROVIDER, else openai */
    const char *model;     /* NULL: BACKBONE_LLM_MODEL, else the provider's default */
    const char *base_url;  /* NULL: BACKBONE_LLM_BASE_URL, else the provider's */
    const char *cache_dir; /* NULL: BACKBONE_LLM_CACHE, else the CI default; "off": none */
    long max_tokens;       /* 0: BACKBONE_LLM_MAX_TOKENS, else no budget */
    long deadline_ms;      /* 0: BACKBONE_LLM_DEADLINE, else 300 s */
} bb_llm_options;

/*
 * Parses the LLM option at argv[*i], if it is one: --llm off|advise,
 * --llm-provider, --llm-model, --llm-base-url, --llm-cache DIR|off,
 * --llm-max-tokens N, --llm-deadline SECONDS (also as --opt=value). Returns
 * 1 when it consumed the
 * option (*i then points at its last word), 0 when argv[*i] is not an LLM
 * option, -1 on a bad value (message printed on stderr).
 */
int bb_llm_parse_option(bb_llm_options *o, int argc, char **argv, int *i);

/* The help lines of those options, for the commands' --help. */
extern const char bb_llm_options_help[];

/*
 * Builds a config from o (may be NULL) and the environment. Fails with
 * BB_EUSAGE and a message (no secrets) in err when the provider is unknown,
 * the URL is not allowed or the key is missing (a loopback server needs none).
 */
int bb_llm_config_load(bb_llm_config *cfg, const bb_llm_options *o, char *err, size_t cap) BB_WUR;
void bb_llm_config_free(bb_llm_config *cfg);

/* Running totals of a client (one run). */
typedef struct bb_llm_stats {
    long requests;      /* calls that went to the network */
    long http_attempts; /* HTTP attempts, retries included */
    long cache_hits;
    long failures;
    long prompt_tokens;
    long completion_tokens;
    double seconds; /* wall time spent waiting for the model */
} bb_llm_stats;

typedef struct bb_llm_client {
    bb_llm_config cfg;
    bb_llm_stats stats;
    /* Tokens charged to the budget: what was spent, and what answers taken
     * from the cache cost when they were asked, so a rerun from the cache
     * makes the same requests as the run that filled it. */
    long budget_used;
} bb_llm_client;

/* Takes over cfg (its strings now belong to the client; cfg is zeroed) and
 * starts the clock of the deadline. */
void bb_llm_client_init(bb_llm_client *c, bb_llm_config *cfg);
void bb_llm_client_free(bb_llm_client *c);

/*
 * Asks the model and returns its checked answer: cache lookup, budget check,
 * HTTP with retries, envelope parsing, truncation and refusal checks, JSON
 * parsing and the schema check; a good answer is stored in the cache.
 * BB_OK with *out filled, or a negative code with *err saying why.
 */
int bb_llm_complete(bb_llm_client *c, const bb_llm_request *req, bb_llm_reply *out,
                    bb_llm_error *err) BB_WUR;

/* bb_llm_complete() with the departures in ask (NULL: none). */
int bb_llm_complete_with(bb_llm_client *c, const bb_llm_request *req, const bb_llm_ask *ask,
                         bb_llm_reply *out, bb_llm_error *err) BB_WUR;

/* The request body bb_llm_complete() would send, for tests and the cache. */
int bb_llm_build_body(const bb_llm_client *c, const bb_llm_request *req, char **body,
                      size_t *len) BB_WUR;

/* Process-wide figures for metrics (all clients together since start). */
typedef struct bb_llm_metrics {
    long requests, http_attempts, cache_hits, failures;
    long prompt_tokens, completion_tokens;
    double seconds;
} bb_llm_metrics;

void bb_llm_metrics_get(bb_llm_metrics *out);

/* Appends those figures in the Prometheus text format (backbone_llm_*),
 * each series with labels (NULL, or a label set such as {instance="a"}). */
int bb_llm_metrics_render(bb_buf *out, const char *labels) BB_WUR;

/* Copies src into dst (cap bytes) with every occurrence of secret replaced by
 * "[redacted]"; used on anything a provider says before it is shown. */
void bb_llm_redact(char *dst, size_t cap, const char *src, const char *secret);

/* What a provider says, as dst (cap bytes) may show it: redacted of secret,
 * then quoted as data (jsoncheck.h), at most max_chars code points. */
void bb_llm_shown(char *dst, size_t cap, const char *said, const char *secret, size_t max_chars);

/* A request id as a server echoed it, fit to print: letters, digits and
 * "-_.:" kept, anything else as '?', at most 64 characters, and the key
 * redacted. */
void bb_llm_request_id(char *dst, size_t cap, const char *echoed, const char *secret);

/* Provider helpers shared by llm_openai.c and llm_anthropic.c. */
int bb_llm__add_header(bb_http_headers **list, const char *name, const char *value) BB_WUR;
/* An error response (status >= 400, or 0 for no response) to its kind:
 * transient (408, 409, 429, 5xx, 529: retried), auth (401, 403) or a
 * refused request by its status, but a spent quota by the provider's
 * is_quota. msg (cap bytes) receives the provider's message. */
bb_llm_error_kind bb_llm__error_kind(const bb_llm_provider *p, long status, const char *body,
                                     size_t len, char *msg, size_t cap);
/* A non-negative token count from a usage object, 0 when absent. */
long bb_llm__usage(const cJSON *usage, const char *name);
/* Appends {"role", "content"} for each turn of req to arr; false when out of memory. */
bool bb_llm__add_turns(cJSON *arr, const bb_llm_request *req);
/* Hands a built body over: *out = root when ok, else frees it (BB_ENOMEM). */
int bb_llm__body_done(cJSON *root, bool ok, cJSON **out);
/* Lower-case substring test, for provider messages. */
bool bb_llm__contains_ci(const char *hay, const char *needle);
/* The JSON of an answer: text without surrounding white space and without
 * a ``` or ```json fence around it. */
void bb_llm__json_span(const char *text, const char **start, size_t *len);
/* OpenAI's reasoning model families (o1, o3, o4-mini, gpt-5, ...), which
 * take only the default temperature and max_completion_tokens; a
 * "vendor/" prefix is ignored. */
bool bb_llm_model_is_reasoning(const char *model);

#endif
