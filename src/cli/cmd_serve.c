/* cmd_serve.c - `backbone serve`: options, credentials, signals. */
#include "base/crypto.h"
#include "base/dynlib.h"
#include "base/file.h"
#include "cli/cli.h"
#include "server/auth.h"
#include "server/httpd.h"
#include "server/redis.h"
#include "server/server.h"
#include "server/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CORS_ORIGINS 16
#define MAX_TRUSTED_PROXIES 16

static void serve_usage(FILE *out)
{
    fputs("usage: backbone serve [options]\n\n"
          "Runs the HTTP service (docs/server.md).\n\n"
          "  --host ADDR               address to bind (default 127.0.0.1)\n"
          "  --port N                  port (default 8000; 0 picks a free one)\n"
          "  --api-keys-file PATH      keys file (default $XDG_CONFIG_HOME/backbone/api-keys\n"
          "                            or ~/.config/backbone/api-keys)\n"
          "  --jwt-secret-file PATH    file holding the JWT HS256 secret (or\n"
          "                            BACKBONE_JWT_SECRET); at least 32 bytes\n"
          "  --jwt-issuer ISS          require this \"iss\" claim\n"
          "  --jwt-audience AUD        require this \"aud\" claim\n"
          "  --jwt-leeway S            clock leeway for exp/nbf/iat (default 30)\n"
          "  --jwt-max-lifetime S      refuse tokens that live longer (exp - iat, or\n"
          "                            exp - now without iat); default 0: any\n"
          "  --no-auth                 serve protected routes without credentials (unsafe)\n"
          "  --cors-origin ORIGIN      allow this browser origin (repeatable)\n"
          "  --trusted-proxy ADDR      believe X-Forwarded-For from this address\n"
          "                            (repeatable): rate limits and logs then count\n"
          "                            the client it forwarded for\n"
          "  --threads N               polling threads (default: one per CPU)\n"
          "  --workers N               generation workers (default: one per CPU)\n"
          "  --queue N                 generations waiting at most (default 64)\n"
          "  --max-body BYTES          request body limit (default 10485760)\n"
          "  --max-tables N            tables in a request's schema (default 50; and\n"
          "                            --max-columns, --max-relationships,\n"
          "                            --max-string-length, --max-depth: docs/cli.md)\n"
          "  --max-connections N       connections at once (default 1024)\n"
          "  --max-per-ip N            connections per client address (default 256)\n"
          "  --timeout S               idle connection timeout (default 30)\n"
          "  --header-timeout S        a request's whole header block, however busy\n"
          "                            the client keeps it; also keep-alive idle (default 10)\n"
          "  --body-timeout S          a request's whole body, from its headers (default 60)\n"
          "  --shutdown-grace S        time given to requests in flight on stop (default 30)\n"
          "  --rate-public N           per window, unauthenticated (default 20)\n"
          "  --rate-authenticated N    per window, any authenticated route (default 100)\n"
          "  --rate-generate N         per window (default 10)\n"
          "  --rate-generate-hour N    per 60 windows (default 50)\n"
          "  --rate-validate N         per window (default 50)\n"
          "  --rate-window-seconds S   the window (default 60); 0 in a limit disables it\n"
          "  --max-jobs N              generations with a model running at once (default 16)\n"
          "  --max-jobs-per-key N      of those, per key or token subject (default 2)\n"
          "  --job-timeout S           a job is cancelled after S seconds (default 600)\n"
          "  --job-results N           finished jobs kept, oldest dropped first (default 256)\n"
          "  --job-ttl S               seconds a finished job is kept (default 3600)\n"
          "  --instance NAME           this replica's name: the instance label of every\n"
          "                            metric and of its traces (default: the host name)\n"
          "  --otlp-endpoint URL       send traces of requests, pipeline stages and model\n"
          "                            calls to this OpenTelemetry collector (OTLP over\n"
          "                            HTTP, JSON; /v1/traces is added; default: none)\n"
          "  --redis URL               keep rate limits and jobs in Redis, shared by\n"
          "                            replicas: redis://[user[:password]@]host[:port][/db]\n"
          "                            (or BACKBONE_REDIS_URL)\n"
          "  --redis-timeout-ms N      the longest wait for one Redis command (default 250)\n"
          "  --redis-fail open|closed  rate limits while Redis is down: this replica's own\n"
          "                            counters (open, default) or 503 (closed)\n"
          "  --job-visibility S        a job whose replica went silent is taken by another\n"
          "                            after S seconds (default 30; with --redis)\n"
          "  --llm-cache-ttl S         model answers shared in Redis are kept S seconds\n"
          "                            (default 604800; 0: not shared)\n"
          "  --llm-cache-max N         at most N shared answers, oldest dropped (default 10000)\n"
          "  --templates DIR           read templates from DIR instead of the embedded ones\n"
          "  --review-python PATH      let the reviewer compile each generation with this\n"
          "                            Python (a process per request; default: built-in check)\n\n"
          "Environment: BACKBONE_API_KEYS (SHA-256 digests, [NAME:]hex, comma separated),\n"
          "BACKBONE_JWT_SECRET, BACKBONE_INSTANCE, BACKBONE_OTLP_ENDPOINT,\n"
          "BACKBONE_REDIS_URL (the options win). SIGTERM or SIGINT stops gracefully.\n",
          out);
}

static bool parse_unsigned(const char *opt, const char *arg, unsigned long long max,
                           unsigned long long *out)
{
    if (!arg) {
        bb_cli_error("serve: %s needs a value", opt);
        return false;
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || v > max) {
        bb_cli_error("serve: %s: '%s' is not a number from 0 to %llu", opt, arg, max);
        return false;
    }
    *out = v;
    return true;
}

typedef struct serve_args {
    bb_service_config cfg;
    const char *keys_file;
    const char *jwt_secret_file;
    const char *jwt_issuer, *jwt_audience;
    unsigned jwt_leeway;
    unsigned jwt_max_lifetime;
    const char *origins[MAX_CORS_ORIGINS];
    size_t n_origins;
    /* As inet_ntop writes them, the form the server compares. */
    char proxies[MAX_TRUSTED_PROXIES][INET6_ADDRSTRLEN];
    const char *proxy_list[MAX_TRUSTED_PROXIES];
    size_t n_proxies;
    char host_name[256];
    const char *redis_fail; /* "open" or "closed" */
} serve_args;

/* Options that take a number, and where it goes. */
typedef struct num_opt {
    const char *name;
    unsigned long long max;
    size_t offset; /* into serve_args */
    int size;      /* sizeof the field */
} num_opt;

#define NUM(n, m, field)                                                                           \
    {                                                                                              \
        n, m, offsetof(serve_args, field), (int)sizeof(((serve_args *)0)->field)                   \
    }

static const num_opt num_opts[] = {
    NUM("--port", 65535, cfg.port),
    NUM("--threads", 256, cfg.threads),
    NUM("--workers", 256, cfg.workers),
    NUM("--queue", 100000, cfg.queue),
    NUM("--max-body", (unsigned long long)1 << 34, cfg.max_body),
    NUM("--max-connections", 1000000, cfg.max_connections),
    NUM("--max-per-ip", 1000000, cfg.max_per_ip),
    NUM("--timeout", 86400, cfg.timeout),
    NUM("--header-timeout", 86400, cfg.header_timeout),
    NUM("--body-timeout", 86400, cfg.body_timeout),
    NUM("--shutdown-grace", 86400, cfg.shutdown_grace),
    NUM("--rate-public", UINT_MAX, cfg.rate_public),
    NUM("--rate-authenticated", UINT_MAX, cfg.rate_authenticated),
    NUM("--rate-generate", UINT_MAX, cfg.rate_generate),
    NUM("--rate-generate-hour", UINT_MAX, cfg.rate_generate_hour),
    NUM("--rate-validate", UINT_MAX, cfg.rate_validate),
    NUM("--rate-window-seconds", 86400, cfg.rate_window),
    NUM("--jwt-leeway", 3600, jwt_leeway),
    NUM("--jwt-max-lifetime", 31536000, jwt_max_lifetime),
    NUM("--max-jobs", 100000, cfg.max_jobs),
    NUM("--max-jobs-per-key", 100000, cfg.max_jobs_per_key),
    NUM("--job-timeout", 86400, cfg.job_timeout),
    NUM("--job-results", 1000000, cfg.job_results),
    NUM("--job-ttl", 604800, cfg.job_ttl),
    NUM("--redis-timeout-ms", 60000, cfg.redis_timeout_ms),
    NUM("--job-visibility", 86400, cfg.job_visibility),
    NUM("--llm-cache-ttl", 31536000, cfg.llm_cache_ttl),
    NUM("--llm-cache-max", 100000000, cfg.llm_cache_max),
};

static void store_number(serve_args *a, const num_opt *o, unsigned long long v)
{
    char *field = (char *)a + o->offset;
    if (o->size == sizeof(size_t) && o->size != sizeof(unsigned)) {
        size_t x = (size_t)v;
        memcpy(field, &x, sizeof(x));
    } else {
        unsigned x = (unsigned)v;
        memcpy(field, &x, sizeof(x));
    }
}

static bool add_proxy(serve_args *a, const char *addr)
{
    unsigned char bin[16];
    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(family, addr, bin) != 1) {
        bb_cli_error("serve: --trusted-proxy: '%s' is not an IP address", addr);
        return false;
    }
    if (a->n_proxies == MAX_TRUSTED_PROXIES) {
        bb_cli_error("serve: at most %d --trusted-proxy", MAX_TRUSTED_PROXIES);
        return false;
    }
    char *slot = a->proxies[a->n_proxies];
    inet_ntop(family, bin, slot, INET6_ADDRSTRLEN);
    a->proxy_list[a->n_proxies++] = slot;
    return true;
}

/* An option that may come more than once: --cors-origin, --trusted-proxy. */
static bool add_repeated(serve_args *a, const char *opt, const char *val)
{
    if (strcmp(opt, "--trusted-proxy") == 0)
        return add_proxy(a, val);
    if (a->n_origins == MAX_CORS_ORIGINS) {
        bb_cli_error("serve: at most %d --cors-origin", MAX_CORS_ORIGINS);
        return false;
    }
    a->origins[a->n_origins++] = val;
    return true;
}

/* The value of an option, else of its variable when set and not empty. */
static const char *option_or_env(const char *option, const char *variable)
{
    const char *env = getenv(variable);
    return option ? option : env && *env ? env : NULL;
}

/* The replica's name (default: the host name) and the trace collector. */
static bool observability_settings(serve_args *a)
{
    a->cfg.instance = option_or_env(a->cfg.instance, "BACKBONE_INSTANCE");
    if (!a->cfg.instance && gethostname(a->host_name, sizeof(a->host_name) - 1) == 0)
        a->cfg.instance = a->host_name;
    if (a->cfg.instance && !bb_wire_token_valid(a->cfg.instance, 63)) {
        bb_cli_error("serve: --instance: '%.80s' is not 1 to 63 of A-Z, a-z, 0-9, '.', '_', '-'",
                     a->cfg.instance);
        return false;
    }
    const char *url = a->cfg.otlp_endpoint =
        option_or_env(a->cfg.otlp_endpoint, "BACKBONE_OTLP_ENDPOINT");
    if (url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        bb_cli_error("serve: --otlp-endpoint: '%.200s' is not an http:// or https:// URL", url);
        return false;
    }
    return true;
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, serve_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool handled = false;
        for (size_t k = 0; k < sizeof(num_opts) / sizeof(num_opts[0]); k++) {
            if (strcmp(opt, num_opts[k].name) != 0)
                continue;
            unsigned long long v;
            if (!parse_unsigned(opt, val, num_opts[k].max, &v))
                return BB_EXIT_USAGE;
            store_number(a, &num_opts[k], v);
            handled = true;
            i++;
        }
        if (handled)
            continue;
        if (strncmp(opt, "--max-input-bytes", 17) == 0) {
            bb_cli_error("serve: a request's schema is capped by --max-body");
            return BB_EXIT_USAGE;
        }
        int limit = bb_cli_limit_arg(&a->cfg.schema_limits, argc, argv, &i);
        if (limit < 0)
            return BB_EXIT_USAGE;
        if (limit > 0)
            continue;
        const char **str = strcmp(opt, "--host") == 0              ? &a->cfg.host
                           : strcmp(opt, "--api-keys-file") == 0   ? &a->keys_file
                           : strcmp(opt, "--jwt-secret-file") == 0 ? &a->jwt_secret_file
                           : strcmp(opt, "--jwt-issuer") == 0      ? &a->jwt_issuer
                           : strcmp(opt, "--jwt-audience") == 0    ? &a->jwt_audience
                           : strcmp(opt, "--templates") == 0       ? &a->cfg.templates_dir
                           : strcmp(opt, "--review-python") == 0   ? &a->cfg.review_python
                           : strcmp(opt, "--instance") == 0        ? &a->cfg.instance
                           : strcmp(opt, "--otlp-endpoint") == 0   ? &a->cfg.otlp_endpoint
                           : strcmp(opt, "--redis") == 0           ? &a->cfg.redis_url
                           : strcmp(opt, "--redis-fail") == 0      ? &a->redis_fail
                                                                   : NULL;
        bool repeated = strcmp(opt, "--cors-origin") == 0 || strcmp(opt, "--trusted-proxy") == 0;
        if (str || repeated) {
            if (!val || !*val) {
                bb_cli_error("serve: %s needs a value", opt);
                return BB_EXIT_USAGE;
            }
            if (str)
                *str = val;
            else if (!add_repeated(a, opt, val))
                return BB_EXIT_USAGE;
            i++;
        } else if (strcmp(opt, "--no-auth") == 0) {
            a->cfg.no_auth = true;
        } else if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            serve_usage(stdout);
            return BB_EXIT_OK;
        } else {
            bb_cli_error("serve: unknown option '%s' (see 'backbone serve --help')", opt);
            return BB_EXIT_USAGE;
        }
    }
    a->cfg.cors_origins = a->origins;
    a->cfg.n_cors_origins = a->n_origins;
    a->cfg.trusted_proxies = a->proxy_list;
    a->cfg.n_trusted_proxies = a->n_proxies;
    return observability_settings(a) ? -1 : BB_EXIT_USAGE;
}

/* --redis (or BACKBONE_REDIS_URL) and --redis-fail, checked before the
 * service starts; the library is loaded now so that a missing one is said
 * at once. */
static int check_redis(serve_args *a)
{
    if (!a->cfg.redis_url) {
        const char *env = getenv("BACKBONE_REDIS_URL");
        a->cfg.redis_url = env && *env ? env : NULL;
    }
    if (a->redis_fail && strcmp(a->redis_fail, "open") != 0 &&
        strcmp(a->redis_fail, "closed") != 0) {
        bb_cli_error("serve: --redis-fail: '%s' is neither open nor closed", a->redis_fail);
        return BB_EXIT_USAGE;
    }
    a->cfg.redis_fail_closed = a->redis_fail && strcmp(a->redis_fail, "closed") == 0;
    if (!a->cfg.redis_url)
        return BB_EXIT_OK;
    bb_redis_url url;
    bb_buf err;
    bb_buf_init(&err, 1024);
    int rc = bb_redis_url_parse(a->cfg.redis_url, &url, &err);
    memset(&url, 0, sizeof(url));
    if (rc)
        bb_cli_error("serve: %s", bb_buf_str(&err));
    bb_buf_free(&err);
    if (rc)
        return BB_EXIT_USAGE;
    return bb_dynlib_ready(bb_redis_library()) ? BB_EXIT_OK : BB_EXIT_USAGE;
}

/* Reads the JWT secret from --jwt-secret-file or BACKBONE_JWT_SECRET; a
 * trailing newline in the file is not part of it. */
static int load_jwt_secret(bb_auth *auth, const serve_args *a)
{
    char *data = NULL;
    size_t len = 0;
    if (a->jwt_secret_file) {
        int rc = bb_file_read(a->jwt_secret_file, 4096, &data, &len);
        if (rc) {
            bb_cli_error("serve: cannot read %s: %s", a->jwt_secret_file,
                         rc == BB_EIO ? strerror(errno) : bb_strerror(rc));
            return BB_EXIT_USAGE;
        }
        while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
            len--;
    } else {
        const char *env = getenv("BACKBONE_JWT_SECRET");
        if (!env || !*env)
            return BB_EXIT_OK;
        len = strlen(env);
        data = bb_strndup(env, len);
        if (!data)
            return BB_EXIT_INTERNAL;
    }
    int rc = bb_auth_set_jwt_secret(auth, data, len);
    bb_crypto_wipe(data, len);
    bb_free(data);
    if (rc) {
        bb_cli_error("serve: the JWT secret must be at least %d bytes and differ from every "
                     "API key",
                     BB_AUTH_MIN_SECRET);
        return BB_EXIT_USAGE;
    }
    return BB_EXIT_OK;
}

static int load_credentials(bb_auth *auth, const serve_args *a, const char *keys_file)
{
    bb_buf err;
    bb_buf_init(&err, 1024);
    int rc = keys_file ? bb_auth_load_keys_file(auth, keys_file, &err) : BB_OK;
    const char *env = getenv("BACKBONE_API_KEYS");
    if (!rc && env)
        rc = bb_auth_load_keys_env(auth, env, &err);
    if (rc) {
        bb_cli_error("serve: %s", bb_buf_str(&err));
        bb_buf_free(&err);
        return BB_EXIT_USAGE;
    }
    bb_buf_free(&err);
    int exit_code = load_jwt_secret(auth, a);
    if (exit_code)
        return exit_code;
    if (bb_auth_set_jwt_claims(auth, a->jwt_issuer, a->jwt_audience, (int)a->jwt_leeway))
        return BB_EXIT_INTERNAL;
    bb_auth_set_jwt_max_lifetime(auth, a->jwt_max_lifetime);
    return BB_EXIT_OK;
}

/* Anyone who may write the keys file may add a key: say so loudly. */
static void check_keys_file_mode(bb_server *srv, const char *keys_file)
{
    struct stat st;
    if (!keys_file || stat(keys_file, &st) != 0 || !(st.st_mode & (S_IWGRP | S_IWOTH)))
        return;
    char msg[600];
    snprintf(msg, sizeof(msg),
             "WARNING: the keys file %s is writable by other users, who could add keys; "
             "chmod 600 it",
             keys_file);
    bb_server_log(srv, "warn", msg, NULL);
}

/* The start-up warnings, then "listening" last: whoever waits for that line
 * (a supervisor, the tests) finds every warning already written. */
static void log_startup(bb_server *srv, const serve_args *a, const bb_auth *auth,
                        const char *keys_file)
{
    check_keys_file_mode(srv, a->keys_file);
    if (a->cfg.no_auth)
        bb_server_log(srv, "warn",
                      "WARNING: --no-auth: anyone who can reach this port may generate and "
                      "validate without credentials; never expose it",
                      NULL);
    else if (!bb_auth_key_count(auth) && !bb_auth_has_jwt(auth)) {
        char msg[600];
        snprintf(msg, sizeof(msg),
                 "no credentials configured: protected routes answer 401; run "
                 "'backbone keys new NAME' (keys file %s), or set BACKBONE_API_KEYS or "
                 "BACKBONE_JWT_SECRET, then restart",
                 keys_file);
        bb_server_log(srv, "warn", msg, NULL);
    }
    char extra[1024], redis[400] = "null";
    if (a->cfg.redis_url) {
        bb_redis_url url;
        if (bb_redis_url_parse(a->cfg.redis_url, &url, NULL) == BB_OK) {
            redis[0] = '"';
            bb_redis_url_redacted(&url, redis + 1, sizeof(redis) - 2);
            size_t n = strlen(redis);
            redis[n] = '"';
            redis[n + 1] = '\0';
        }
        memset(&url, 0, sizeof(url));
    }
    snprintf(extra, sizeof(extra),
             ",\"host\":\"%s\",\"port\":%u,\"api_keys\":%zu,\"jwt\":%s,\"auth\":%s,\"redis\":%s,"
             "\"instance\":\"%s\"",
             a->cfg.host, bb_server_port(srv), bb_auth_key_count(auth),
             bb_auth_has_jwt(auth) ? "true" : "false", a->cfg.no_auth ? "false" : "true", redis,
             a->cfg.instance ? a->cfg.instance : "");
    bb_server_log(srv, "info", "listening", extra);
}

int bb_cmd_serve(int argc, char **argv)
{
    serve_args a;
    memset(&a, 0, sizeof(a));
    bb_service_config_default(&a.cfg);
    a.jwt_leeway = BB_AUTH_DEFAULT_LEEWAY;
    int exit_code = parse_args(argc, argv, &a);
    if (exit_code >= 0)
        return exit_code;
    /* Refuse to start without the library it serves with (the loader has
     * already said which package to install). */
    if (!bb_dynlib_ready(bb_httpd_library()))
        return BB_EXIT_USAGE;
    exit_code = check_redis(&a);
    if (exit_code)
        return exit_code;

    bb_buf keys_path;
    bb_buf_init(&keys_path, 4096);
    if (!a.keys_file && bb_auth_default_keys_file(&keys_path) == BB_OK)
        a.keys_file = bb_buf_str(&keys_path);
    bb_auth *auth = bb_auth_new();
    if (!auth) {
        bb_buf_free(&keys_path);
        return BB_EXIT_INTERNAL;
    }
    exit_code = load_credentials(auth, &a, a.keys_file);
    a.cfg.auth = auth;

    /* Signals are taken by this thread alone (sigwait): every thread the
     * server starts inherits the mask. SIGPIPE is never wanted. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    bb_server *srv = NULL;
    if (!exit_code) {
        bb_buf err;
        bb_buf_init(&err, 1024);
        int rc = bb_server_start(&a.cfg, &srv, &err);
        if (rc) {
            bb_cli_error("serve: %s", err.len ? bb_buf_str(&err) : bb_strerror(rc));
            exit_code = rc == BB_ENOMEM ? BB_EXIT_INTERNAL : BB_EXIT_USAGE;
        }
        bb_buf_free(&err);
    }
    if (srv) {
        log_startup(srv, &a, auth, a.keys_file ? a.keys_file : "(none)");
        int sig = 0;
        do {
            if (sigwait(&set, &sig) != 0)
                sig = SIGTERM;
        } while (sig == SIGPIPE);
        char extra[64];
        snprintf(extra, sizeof(extra), ",\"signal\":\"%s\"", sig == SIGINT ? "SIGINT" : "SIGTERM");
        bb_server_log(srv, "info", "shutting down", extra);
        bb_server_stop(srv);
    }
    bb_auth_free(auth);
    bb_buf_free(&keys_path);
    return exit_code;
}
