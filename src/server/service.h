/*
 * service.h - the service's configuration, and the state its modules
 * share while it runs: the route table, rate limiter, metrics, job store,
 * worker pool, and the counters of requests in flight.
 *
 * server.c makes one with bb_service_init() and frees it with
 * bb_service_fini(); requests reach it through their bb_req.
 *
 * Ownership: the config's strings and the bb_auth are borrowed: they must
 * outlive the service. The rest is the service's own.
 */
#ifndef BB_SERVICE_H
#define BB_SERVICE_H

#include "base/bb.h"
#include "front/schema.h"
#include "server/auth.h"
#include "server/jobs.h"
#include "server/metrics.h"
#include "server/otlp.h"
#include "server/pool.h"
#include "server/ratelimit.h"
#include "server/redis.h"
#include "server/redis_cache.h"
#include "server/redis_jobs.h"
#include "server/redis_rate.h"
#include "server/router.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

typedef struct bb_service_config {
    const char *host; /* address to bind; "127.0.0.1" by default */
    unsigned port;    /* 0: any free port (see bb_server_port) */
    bool no_auth;     /* serve protected routes without credentials */
    const bb_auth *auth;
    const char *const *cors_origins;
    size_t n_cors_origins;
    /* Proxies whose X-Forwarded-For is believed (addresses as inet_ntop
     * writes them); the client is the address they forwarded for. */
    const char *const *trusted_proxies;
    size_t n_trusted_proxies;

    size_t max_body;          /* bytes; 10 MiB */
    bb_limits schema_limits;  /* of a request's schema (bb_limits_default); its
                                 max_input_bytes is max_body's */
    size_t max_output;        /* bytes of generated files together; 64 MiB */
    unsigned max_connections; /* 1024 */
    unsigned max_per_ip;      /* 256 */
    unsigned timeout;         /* idle seconds before a connection is closed; 30 */
    unsigned header_timeout;  /* seconds for a request's header block, however busy; 10 */
    unsigned body_timeout;    /* seconds for a request's body after its headers; 60 */
    size_t connection_memory; /* bytes per connection for headers and reads */
    unsigned threads;         /* polling threads; 0: one per CPU */
    unsigned workers;         /* generation workers; 0: one per CPU */
    unsigned queue;           /* generations waiting at most; 64 */
    unsigned shutdown_grace;  /* seconds to let requests finish on stop; 30 */

    /* Rate limits: requests per window (0: unlimited). The "hour" limit
     * uses a window 60 times longer. */
    unsigned rate_public, rate_authenticated, rate_generate, rate_generate_hour, rate_validate;
    unsigned rate_window; /* seconds; 60 */
    size_t rate_slots;    /* counters kept; 16384 */

    /* Generations with a model run as jobs (jobs.h): at most max_jobs
     * unfinished at once, max_jobs_per_key of them per identity, each
     * cancelled after job_timeout seconds; finished ones are kept apart,
     * job_results of them at most, each job_ttl seconds after it ends. */
    unsigned max_jobs;         /* 16 */
    unsigned max_jobs_per_key; /* 2; 0: only max_jobs */
    unsigned job_timeout;      /* seconds; 600; 0: none */
    unsigned job_results;      /* 256 */
    unsigned job_ttl;          /* seconds; 3600 */

    /* This replica's name: the instance label of every metric, and a
     * resource attribute of its traces; NULL or "": none. */
    const char *instance;
    /* OTLP/HTTP collector that receives traces (server/otlp.h); NULL: none. */
    const char *otlp_endpoint;
    /* Shared state (docs/server.md "Redis"): with a URL, rate limits and
     * jobs live in Redis, shared by every replica that names it. Each
     * command waits at most redis_timeout_ms. When Redis cannot be
     * reached, rate limits fall back to this replica's own counters
     * (fail open, the default) or refuse with 503 (redis_fail_closed).
     * A job whose replica stops answering is taken by another after
     * job_visibility seconds. */
    const char *redis_url;     /* redis://[user[:password]@]host[:port][/db]; NULL: none */
    unsigned redis_timeout_ms; /* 250 */
    bool redis_fail_closed;
    unsigned job_visibility; /* seconds; 30 */
    /* Model answers shared in Redis (redis_cache.h): kept llm_cache_ttl
     * seconds (0: not shared), llm_cache_max of them at most. */
    unsigned llm_cache_ttl; /* 604800 */
    unsigned llm_cache_max; /* 10000 */

    const char *templates_dir; /* NULL: embedded templates */
    const char *review_python; /* Python the reviewer compiles output with; NULL: built-in check */
    FILE *log;                 /* access and event log (JSON lines); stderr */

    const bb_route *routes; /* extra routes, after the built-in ones */
    size_t n_routes;
} bb_service_config;

/* The defaults of every setting (docs/cli.md lists them). */
void bb_service_config_default(bb_service_config *c);

typedef struct bb_service {
    bb_service_config cfg; /* with the defaults filled in */
    bb_router router;
    bb_ratelimit *rl;
    bb_metrics *metrics;
    bb_jobs *jobs;                 /* generations with a model, without Redis */
    bb_redis *redis;               /* NULL without --redis */
    bb_redis_rate *redis_rate;     /* the limits counted there; NULL without */
    bb_redis_jobs *rjobs;          /* the jobs, with Redis */
    bb_llm_cache_store *llm_cache; /* model answers shared in Redis, or NULL */
    char redis_name[384];          /* its URL without the password */
    bb_pool *pool;
    bb_otlp *otlp; /* NULL: traces are not sent */
    atomic_long in_flight;
    atomic_bool draining;
    time_t started_wall;
    double started; /* bb_clock_seconds() */
    char id_prefix[17];
    atomic_uint_fast64_t id_counter;
    bb_rate_rule rule_public, rule_authenticated, rule_generate, rule_generate_hour, rule_validate;
} bb_service;

/* Fills *s from c and the built-in routes, and starts the worker pool;
 * with a Redis URL, the jobs kept there, each run by run_job (its ctx is
 * s). On failure *s must still be given to bb_service_fini(). */
int bb_service_init(bb_service *s, const bb_service_config *c, const bb_route *routes,
                    size_t n_routes, bb_redis_job_fn run_job) BB_WUR;

/*
 * Checks and counts a request against rules, in Redis when there is one:
 * BB_OK with *out, or BB_ENET when Redis cannot be reached and the service
 * fails closed (the request is then refused with 503).
 */
int bb_service_rate(bb_service *s, const char *identity, const bb_rate_rule *rules, size_t n,
                    bb_rate_result *out) BB_WUR;

/* Lets the workers finish what is queued and stops them. */
void bb_service_stop_workers(bb_service *s);

/* Frees what bb_service_init() made (the workers stopped first). */
void bb_service_fini(bb_service *s);

/* One JSON event line {"time","level","msg",...extra} on the service's
 * log; extra is NULL or further members (",\"k\":1"). */
void bb_service_log(bb_service *s, const char *level, const char *msg, const char *extra);

#endif
