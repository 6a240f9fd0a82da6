/* status.c - health, status, metrics and the API description (see status.h). */
#include "server/status.h"

#include "base/clock.h"
#include "llm/llm.h"
#include "render/embedded.h"
#include "server/openapi.h"
#include "server/service.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double uptime(const bb_service *s)
{
    return bb_clock_seconds() - s->started;
}

static cJSON *component(cJSON *components, const char *name, const char *status,
                        const char *message)
{
    cJSON *c = cJSON_AddObjectToObject(components, name);
    if (c) {
        cJSON_AddStringToObject(c, "name", name);
        cJSON_AddStringToObject(c, "status", status);
        cJSON_AddStringToObject(c, "message", message);
    }
    return c;
}

static int status_rank(const char *st)
{
    return strcmp(st, "healthy") == 0 ? 0 : strcmp(st, "degraded") == 0 ? 1 : 2;
}

/* Keeps in *worst the worse of it and st. */
static void worsen(const char **worst, const char *st)
{
    if (status_rank(st) > status_rank(*worst))
        *worst = st;
}

/* The components are public: they say how each part is, never where it
 * lives or how many of anything it holds (those are the operator's, in
 * the log and /metrics). */
static void templates_component(bb_service *s, cJSON *comps, const char **worst)
{
    bool have = bb_embedded_template_count > 0 || s->cfg.templates_dir;
    const char *st = have ? "healthy" : "unhealthy";
    component(comps, "templates", st,
              !have                  ? "no templates"
              : s->cfg.templates_dir ? "templates read from a folder"
                                     : "embedded templates loaded");
    worsen(worst, st);
}

static void pool_component(bb_service *s, cJSON *comps, const char **worst)
{
    unsigned alive = bb_pool_alive(s->pool), depth = bb_pool_depth(s->pool);
    unsigned workers = bb_pool_workers(s->pool), max = bb_pool_capacity(s->pool);
    const char *st = alive == 0 || alive < workers ? (alive ? "degraded" : "unhealthy")
                     : depth * 4 >= max * 3        ? "degraded"
                                                   : "healthy";
    component(comps, "worker_pool", st,
              alive == 0             ? "no worker is running"
              : alive < workers      ? "some workers have stopped"
              : depth * 4 >= max * 3 ? "the queue is nearly full"
                                     : "workers running, the queue has room");
    worsen(worst, st);
}

static void auth_component(bb_service *s, cJSON *comps, const char **worst)
{
    bool configured =
        s->cfg.auth && (bb_auth_key_count(s->cfg.auth) || bb_auth_has_jwt(s->cfg.auth));
    const char *st = s->cfg.no_auth || !configured ? "degraded" : "healthy";
    const char *msg = s->cfg.no_auth ? "authentication disabled (--no-auth)"
                      : !configured  ? "no credentials configured: protected routes answer 401"
                                     : "credentials configured";
    component(comps, "auth", st, msg);
    worsen(worst, st);
}

/* With --redis: whether Redis answers, and what the service does while
 * it does not. */
static void redis_component(bb_service *s, cJSON *comps, const char **worst)
{
    if (!s->redis)
        return;
    char why[200], msg[400];
    if (bb_redis_healthy(s->redis, why, sizeof(why))) {
        snprintf(msg, sizeof(msg), "%s answers", s->redis_name);
        component(comps, "redis", "healthy", msg);
        return;
    }
    snprintf(msg, sizeof(msg), "%s: rate limits %s, job submission answers 503 until Redis is back",
             why,
             s->cfg.redis_fail_closed ? "refuse requests (fail closed)"
                                      : "use this replica's own counters (fail open)");
    component(comps, "redis", "degraded", msg);
    worsen(worst, "degraded");
}

/* The components of /health/detailed and /health/readiness; *worst gets
 * the worst status among them. */
static cJSON *check_components(bb_service *s, const char **worst)
{
    cJSON *comps = cJSON_CreateObject();
    *worst = "healthy";
    templates_component(s, comps, worst);
    pool_component(s, comps, worst);
    auth_component(s, comps, worst);

    component(comps, "rate_limiter", "healthy", "counting requests");
    redis_component(s, comps, worst);

    bool draining = atomic_load(&s->draining);
    const char *st = draining ? "unhealthy" : "healthy";
    component(comps, "server", st, draining ? "shutting down" : "accepting");
    worsen(worst, st);
    return comps;
}

void bb_status_health(bb_req *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "healthy");
    cJSON_AddStringToObject(o, "app_name", "backbone");
    cJSON_AddStringToObject(o, "version", BB_VERSION);
    bb_req_reply_json(r, 200, o);
}

void bb_status_liveness(bb_req *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "alive");
    cJSON_AddNumberToObject(o, "timestamp", (double)r->svc->started_wall);
    bb_req_reply_json(r, 200, o);
}

void bb_status_readiness(bb_req *r)
{
    const char *worst;
    cJSON *comps = check_components(r->svc, &worst);
    cJSON *o = cJSON_CreateObject();
    bool ready = strcmp(worst, "unhealthy") != 0;
    cJSON_AddStringToObject(o, "status", ready ? "ready" : "not_ready");
    cJSON_AddItemToObject(o, "components", comps);
    bb_req_reply_json(r, ready ? 200 : 503, o);
}

void bb_status_detailed(bb_req *r)
{
    const char *worst;
    cJSON *comps = check_components(r->svc, &worst);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", worst);
    cJSON_AddNumberToObject(o, "timestamp", (double)time(NULL));
    cJSON_AddNumberToObject(o, "uptime_seconds", uptime(r->svc));
    cJSON_AddStringToObject(o, "version", BB_VERSION);
    cJSON_AddItemToObject(o, "components", comps);
    bb_req_reply_json(r, 200, o);
}

void bb_status_metrics(bb_req *r)
{
    bb_service *s = r->svc;
    bb_metrics_set(s->metrics, BB_M_UPTIME, NULL, uptime(s));
    bb_metrics_set(s->metrics, BB_M_IN_FLIGHT, NULL, (double)atomic_load(&s->in_flight));
    bb_metrics_set(s->metrics, BB_M_QUEUE_DEPTH, NULL, bb_pool_depth(s->pool));
    bb_metrics_set(s->metrics, BB_M_WORKERS, NULL, bb_pool_alive(s->pool));
    bb_metrics_set(s->metrics, BB_M_RATE_EVICTIONS, NULL, (double)bb_ratelimit_evictions(s->rl));
    bb_otlp_stats spans;
    bb_otlp_stats_get(s->otlp, &spans);
    bb_metrics_set(s->metrics, BB_M_SPANS_EXPORTED, NULL, (double)spans.exported);
    bb_metrics_set(s->metrics, BB_M_SPANS_DROPPED, NULL, (double)spans.dropped);
    if (s->redis) {
        bb_metrics_set(s->metrics, BB_M_REDIS_UP, NULL, bb_redis_healthy(s->redis, NULL, 0));
        bb_metrics_set(s->metrics, BB_M_REDIS_FAILURES, NULL, (double)bb_redis_failures(s->redis));
        bb_metrics_set(s->metrics, BB_M_REDIS_RATE_CALLS, NULL,
                       (double)bb_redis_rate_calls(s->redis_rate));
    }
    bb_buf out, labels;
    bb_buf_init(&out, 16 * 1024 * 1024);
    bb_buf_init(&labels, 256);
    int rc = bb_metrics_render(s->metrics, &out);
    if (!rc)
        rc = bb_metrics_labels(s->metrics, &labels);
    if (!rc)
        rc = bb_llm_metrics_render(&out, bb_buf_str(&labels));
    bb_buf_free(&labels);
    if (rc) {
        bb_buf_free(&out);
        bb_req_reply_error(r, 500, "internal", "cannot render metrics");
        return;
    }
    size_t len;
    char *text = bb_buf_take(&out, &len);
    bb_req_reply(r, 200, BB_METRICS_CONTENT_TYPE, text, len);
}

void bb_status_service(bb_req *r)
{
    const bb_service_config *c = &r->svc->cfg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status",
                            atomic_load(&r->svc->draining) ? "stopping" : "operational");
    cJSON_AddStringToObject(o, "version", BB_VERSION);
    cJSON_AddBoolToObject(o, "authentication_enabled", !c->no_auth);
    cJSON_AddBoolToObject(o, "metrics_enabled", true);
    cJSON *rl = cJSON_AddObjectToObject(o, "rate_limits");
    char v[64];
    unsigned w = c->rate_window ? c->rate_window : 60;
    snprintf(v, sizeof(v), "%u/%us", c->rate_public, w);
    cJSON_AddStringToObject(rl, "public", v);
    snprintf(v, sizeof(v), "%u/%us", c->rate_authenticated, w);
    cJSON_AddStringToObject(rl, "authenticated", v);
    snprintf(v, sizeof(v), "%u/%us, %u/%us", c->rate_generate, w, c->rate_generate_hour, 60 * w);
    cJSON_AddStringToObject(rl, "generation", v);
    snprintf(v, sizeof(v), "%u/%us", c->rate_validate, w);
    cJSON_AddStringToObject(rl, "validation", v);
    cJSON_AddNumberToObject(o, "workers", bb_pool_workers(r->svc->pool));
    cJSON_AddNumberToObject(o, "queue_max", bb_pool_capacity(r->svc->pool));
    cJSON_AddNumberToObject(o, "max_body_bytes", (double)c->max_body);
    cJSON_AddStringToObject(o, "shared_state", r->svc->redis ? "redis" : "memory");
    bb_req_reply_json(r, 200, o);
}

void bb_status_openapi(bb_req *r)
{
    size_t len = strlen(bb_openapi_json);
    char *copy = bb_strndup(bb_openapi_json, len);
    if (!copy) {
        bb_req_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    bb_req_reply(r, 200, "application/json", copy, len);
}
