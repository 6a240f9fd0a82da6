/* service.c - the service's settings and shared state (see service.h). */
#include "server/service.h"

#include "base/clock.h"
#include "base/crypto.h"
#include "base/parallel.h"
#include "server/log.h"
#include "server/redis_rate.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What the trace exporter is given to send the last spans on stop. */
#define OTLP_FLUSH_SECONDS 5

void bb_service_config_default(bb_service_config *c)
{
    memset(c, 0, sizeof(*c));
    c->host = "127.0.0.1";
    c->port = 8000;
    c->max_body = 10 * 1024 * 1024;
    c->schema_limits = bb_limits_default();
    c->max_output = 64 * 1024 * 1024;
    c->max_connections = 1024;
    c->max_per_ip = 256;
    c->timeout = 30;
    c->header_timeout = 10;
    c->body_timeout = 60;
    c->connection_memory = 32 * 1024;
    c->queue = 64;
    c->shutdown_grace = 30;
    c->rate_public = 20;
    c->rate_authenticated = 100;
    c->rate_generate = 10;
    c->rate_generate_hour = 50;
    c->rate_validate = 50;
    c->rate_window = 60;
    c->rate_slots = 16384;
    c->max_jobs = 16;
    c->max_jobs_per_key = 2;
    c->job_timeout = 600;
    c->job_results = 256;
    c->job_ttl = 3600;
    c->redis_timeout_ms = 250;
    c->job_visibility = 30;
    c->llm_cache_ttl = 604800;
    c->llm_cache_max = 10000;
    c->log = stderr;
}

static unsigned cpu_count(void)
{
    unsigned n = bb_parallel_cpus();
    return n > 64 ? 64 : n;
}

static void set_rule(bb_rate_rule *r, const char *name, unsigned limit, unsigned window)
{
    r->name = name;
    r->limit = limit;
    r->window = window;
}

static void random_prefix(char out[17])
{
    unsigned char raw[8];
    if (bb_crypto_random(raw, sizeof(raw)) != BB_OK) {
        uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        memcpy(raw, &t, sizeof(raw));
    }
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* The configuration with its zeros filled in, the rules, the router. */
static void fill(bb_service *s, const bb_service_config *c, const bb_route *routes, size_t n_routes)
{
    s->cfg = *c;
    if (!s->cfg.log)
        s->cfg.log = stderr;
    if (!s->cfg.host)
        s->cfg.host = "127.0.0.1";
    if (!s->cfg.threads)
        s->cfg.threads = cpu_count();
    if (!s->cfg.workers)
        s->cfg.workers = cpu_count();
    if (!s->cfg.schema_limits.max_tables)
        s->cfg.schema_limits = bb_limits_default();
    s->cfg.schema_limits.max_input_bytes = s->cfg.max_body; /* the schema is the body */
    unsigned w = s->cfg.rate_window ? s->cfg.rate_window : 60;
    set_rule(&s->rule_public, "public", c->rate_public, w);
    set_rule(&s->rule_authenticated, "authenticated", c->rate_authenticated, w);
    set_rule(&s->rule_generate, "generate", c->rate_generate, w);
    set_rule(&s->rule_generate_hour, "generate_hour", c->rate_generate_hour, 60 * w);
    set_rule(&s->rule_validate, "validate", c->rate_validate, w);
    s->router.builtin = routes;
    s->router.n_builtin = n_routes;
    s->router.extra = c->routes;
    s->router.n_extra = c->n_routes;
    s->started_wall = time(NULL);
    s->started = bb_clock_seconds();
    random_prefix(s->id_prefix);
}

static void log_jobs_event(void *ctx, const char *level, const char *msg, const char *extra)
{
    bb_service_log(ctx, level, msg, extra);
}

/* A model answer larger than this is not shared. */
#define LLM_CACHE_ENTRY_MAX (4 * 1024 * 1024)

/* An outage of Redis begins or ends: one log line each, so an operator
 * sees when and why, and what the limits do meanwhile. */
static void redis_changed(void *ctx, bool up, const char *why)
{
    bb_service *s = ctx;
    bb_log_line l;
    bb_log_start(&l, up ? "info" : "warn");
    bb_log_str(&l, up ? "Redis answers again" : "Redis stopped answering");
    bb_log_str(&l, "\",\"redis\":\"");
    bb_log_escaped(&l, s->redis_name, 200);
    if (!up) {
        bb_log_str(&l, "\",\"error\":\"");
        bb_log_escaped(&l, why, 200);
        bb_log_str(&l, "\",\"rate_limits\":\"");
        bb_log_str(&l, s->cfg.redis_fail_closed ? "refused until it is back (fail closed)"
                                                : "counted by each replica (fail open)");
        bb_log_str(&l, "\",\"job_submission\":\"503 until it is back");
    }
    bb_log_str(&l, "\"");
    bb_log_end(&l, s->cfg.log);
}

/* The Redis client, the jobs and model answers kept there (with --redis). */
static int start_shared(bb_service *s, bb_redis_job_fn run_job)
{
    const bb_service_config *c = &s->cfg;
    bb_redis_url url;
    int rc = bb_redis_url_parse(c->redis_url, &url, NULL);
    if (rc)
        return rc;
    bb_redis_url_redacted(&url, s->redis_name, sizeof(s->redis_name));
    bb_redis_opts ro = {c->redis_timeout_ms, 0, redis_changed, s};
    s->redis = bb_redis_new(&url, &ro, NULL);
    memset(&url, 0, sizeof(url));
    if (!s->redis)
        return BB_ENOMEM;
    s->redis_rate = bb_redis_rate_new(s->redis, c->rate_slots ? c->rate_slots : 16384);
    if (!s->redis_rate)
        return BB_ENOMEM;
    char consumer[128], host[64] = "host";
    gethostname(host, sizeof(host) - 1);
    snprintf(consumer, sizeof(consumer), "%.60s-%ld-%.8s", host, (long)getpid(), s->id_prefix);
    if (c->llm_cache_ttl) {
        bb_redis_cache_limits cl = {c->llm_cache_ttl, c->llm_cache_max, LLM_CACHE_ENTRY_MAX};
        s->llm_cache = bb_redis_cache_new(s->redis, &cl);
        if (!s->llm_cache)
            return BB_ENOMEM;
        bb_llm_cache_set_shared(s->llm_cache);
    }
    bb_redis_jobs_config jc = {
        .limits = {c->max_jobs, c->max_jobs_per_key, c->job_results, c->job_ttl, c->job_timeout},
        .slots = c->max_jobs,
        .visibility = c->job_visibility,
        .consumer = consumer,
        .run = run_job,
        .run_ctx = s,
        .log = log_jobs_event,
        .log_ctx = s,
    };
    return bb_redis_jobs_start(s->redis, &jc, &s->rjobs);
}

int bb_service_rate(bb_service *s, const char *identity, const bb_rate_rule *rules, size_t n,
                    bb_rate_result *out)
{
    if (s->redis) {
        int rc = bb_redis_rate_hit(s->redis_rate, identity, rules, n, 0, out);
        if (rc == BB_OK)
            return BB_OK;
        if (s->cfg.redis_fail_closed)
            return BB_ENET;
    }
    bb_ratelimit_hit(s->rl, identity, rules, n, (uint64_t)bb_clock_seconds(), out);
    return BB_OK;
}

int bb_service_init(bb_service *s, const bb_service_config *c, const bb_route *routes,
                    size_t n_routes, bb_redis_job_fn run_job)
{
    memset(s, 0, sizeof(*s));
    fill(s, c, routes, n_routes);
    s->rl = bb_ratelimit_new(c->rate_slots ? c->rate_slots : 16384);
    s->metrics = bb_metrics_new();
    bb_jobs_limits jl = {c->max_jobs, c->max_jobs_per_key, c->job_results, c->job_ttl,
                         c->job_timeout};
    s->jobs = bb_jobs_new(&jl);
    if (!s->rl || !s->metrics || !s->jobs)
        return BB_ENOMEM;
    bb_metrics_set_instance(s->metrics, c->instance);
    if (c->otlp_endpoint) {
        bb_otlp_config oc = {.endpoint = c->otlp_endpoint, .instance = c->instance};
        int rc = bb_otlp_start(&oc, &s->otlp);
        if (rc)
            return rc;
    }
    if (c->redis_url) {
        int rc = start_shared(s, run_job);
        if (rc)
            return rc;
    }
    return bb_pool_start(s->cfg.workers, s->cfg.queue, &s->pool);
}

void bb_service_stop_workers(bb_service *s)
{
    bb_pool_stop(s->pool);
    s->pool = NULL;
}

void bb_service_fini(bb_service *s)
{
    bb_service_stop_workers(s);
    bb_redis_jobs_free(s->rjobs);
    if (s->llm_cache) {
        bb_llm_cache_set_shared(NULL);
        bb_redis_cache_free(s->llm_cache);
    }
    bb_redis_rate_free(s->redis_rate);
    bb_redis_free(s->redis);
    bb_jobs_free(s->jobs);
    /* Last: every thread that makes spans has stopped. */
    bb_otlp_stop(s->otlp, bb_clock_seconds() + OTLP_FLUSH_SECONDS);
    bb_ratelimit_free(s->rl);
    bb_metrics_free(s->metrics);
}

void bb_service_log(bb_service *s, const char *level, const char *msg, const char *extra)
{
    bb_log_event(s->cfg.log, level, msg, extra);
}
