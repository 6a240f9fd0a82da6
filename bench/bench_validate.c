/*
 * bench_validate.c - in-process cost of the front end: reads one schema,
 * runs bb_frontend() (load + validate) N times and prints the CPU time per
 * run. Linked with libbackbone.a by bench_validate.sh.
 *
 *   bench_validate FILE [N]
 */
#include "diag.h"
#include "schema.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_validate FILE [N]\n");
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
