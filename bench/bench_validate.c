/*
 * bench_validate.c - in-process cost of the front end: reads schemas, runs
 * bb_frontend() (load + validate) N times each and prints the CPU time per
 * run. Linked with libbackbone.a by bench_validate.sh.
 *
 *   bench_validate FILE [N]
 *       the front end alone, on one (large) schema;
 *   bench_validate --request N FILE...
 *       what POST /api/v1/validate costs the service per request, beside
 *       HTTP: the front end, then the answer built as the server builds it
 *       (bb_diags_to_json + the build order, printed with
 *       cJSON_PrintUnformatted). One line per file, in microseconds.
 */
#include "diag/diag.h"
#include "front/schema.h"
#include "front/validate.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) {
        p[n] = '\0';
        *len = (size_t)n;
    }
    return p;
}

/* One front-end run; returns its result code. */
static int run_once(const char *text, size_t len)
{
    bb_diags d;
    bb_schema *s = NULL;
    bb_diags_init(&d, "bench.json", text, len);
    int rc = bb_frontend("bench.json", text, len, NULL, &d, &s);
    bb_schema_free(s);
    bb_diags_free(&d);
    return rc;
}

/* One request's worth of work, as route_validate() does it; returns the
 * front end's result code. */
static int request_once(const char *text, size_t len, size_t *answer_len)
{
    bb_limits limits = bb_limits_default();
    bb_diags d;
    bb_schema *s = NULL;
    bb_diags_init(&d, "<request>", text, len);
    int rc = bb_frontend("<request>", text, len, &limits, &d, &s);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "valid", rc == BB_OK && !bb_diags_has_errors(&d));
    cJSON_AddItemToObject(o, "diagnostics", bb_diags_to_json(&d));
    if (rc == BB_OK && s) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < s->n_build_order; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(s->tables[s->build_order[i]].table_name));
        cJSON_AddItemToObject(o, "build_order", a);
    }
    char *body = cJSON_PrintUnformatted(o);
    *answer_len = body ? strlen(body) : 0;
    cJSON_free(body);
    cJSON_Delete(o);
    bb_schema_free(s);
    bb_diags_free(&d);
    return rc;
}

static int bench_requests(long n, int argc, char **argv)
{
    int status = 0;
    for (int f = 0; f < argc; f++) {
        size_t len = 0, answer = 0;
        char *text = slurp(argv[f], &len);
        if (!text) {
            fprintf(stderr, "bench_validate: cannot read %s\n", argv[f]);
            status = 2;
            continue;
        }
        int rc = request_once(text, len, &answer);
        for (int i = 0; i < 50; i++)
            (void)request_once(text, len, &answer);
        double t0 = cpu_seconds();
        for (long i = 0; i < n; i++)
            (void)request_once(text, len, &answer);
        double per_run = (cpu_seconds() - t0) / (double)n;
        const char *name = strrchr(argv[f], '/');
        printf("validate request in-process: %-24s %6zu bytes, %s, %ld runs, %7.1f us CPU per "
               "request (answer %zu bytes)\n",
               name ? name + 1 : argv[f], len, rc == BB_OK ? "valid" : "invalid", n, per_run * 1e6,
               answer);
        free(text);
    }
    return status;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--request") == 0) {
        long n = strtol(argv[2], NULL, 10);
        if (n < 1 || argc < 4) {
            fprintf(stderr, "usage: bench_validate --request N FILE...\n");
            return 2;
        }
        return bench_requests(n, argc - 3, argv + 3);
    }
    if (argc < 2) {
        fprintf(stderr, "usage: bench_validate FILE [N] | --request N FILE...\n");
        return 2;
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000;
    size_t len = 0;
    char *text = slurp(argv[1], &len);
    if (!text || n < 1) {
        fprintf(stderr, "bench_validate: cannot read %s\n", argv[1]);
        return 2;
    }
    if (run_once(text, len) != BB_OK) {
        fprintf(stderr, "bench_validate: %s is not valid\n", argv[1]);
        return 1;
    }
    /* Warm up caches and the pattern matcher's one-time compilation. */
    for (int i = 0; i < 10; i++)
        (void)run_once(text, len);
    double t0 = cpu_seconds();
    for (long i = 0; i < n; i++)
        (void)run_once(text, len);
    double per_run = (cpu_seconds() - t0) / (double)n;
    printf("validate in-process: %zu bytes, %ld runs, %.3f ms CPU per run (%.1f MB/s)\n", len, n,
           per_run * 1e3, (double)len / per_run / 1e6);
    free(text);
    return 0;
}
