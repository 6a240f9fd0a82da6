/*
 * bench_pyfmt.c - what the Python formatting pass costs: formats every
 * file given N times, in process, and prints the CPU time per pass over
 * all of them and the throughput. Linked with libbackbone.a by
 * bench_pyfmt.sh.
 *
 *   bench_pyfmt N FILE...
 */
#include "render/pyfmt.h"

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
    char *p = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (p = malloc((size_t)n + 1)) && fread(p, 1, (size_t)n, f) == (size_t)n) {
        p[n] = '\0';
        *len = (size_t)n;
    } else {
        free(p);
        p = NULL;
    }
    fclose(f);
    return p;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 0, n = argc - 2;
    char **text = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    size_t *len = calloc((size_t)(n > 0 ? n : 1), sizeof(size_t)), total = 0;
    double best = 1e9;
    bb_buf out;
    if (runs <= 0 || n <= 0 || !text || !len) {
        fprintf(stderr, "usage: bench_pyfmt N FILE...\n");
        return 2;
    }
    for (int i = 0; i < n; i++) {
        if (!(text[i] = slurp(argv[i + 2], &len[i]))) {
            fprintf(stderr, "bench_pyfmt: cannot read %s\n", argv[i + 2]);
            return 2;
        }
        total += len[i];
    }
    bb_buf_init(&out, (size_t)1 << 28);
    /* the best pass of `runs`: the machine is shared, the minimum is the cost */
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_seconds();
        for (int i = 0; i < n; i++) {
            bb_buf_reset(&out);
            if (bb_pyfmt_format(argv[i + 2], text[i], len[i], NULL, &out, NULL) != BB_OK) {
                fprintf(stderr, "bench_pyfmt: %s does not format\n", argv[i + 2]);
                return 1;
            }
        }
        double dt = cpu_seconds() - t0;
        if (dt < best)
            best = dt;
    }
    printf("%d files, %zu bytes: %.2f ms CPU per pass (best of %d), %.1f MB/s\n", n, total,
           best * 1e3, runs, (double)total / best / 1e6);
    bb_buf_free(&out);
    for (int i = 0; i < n; i++)
        free(text[i]);
    free(text);
    free(len);
    return 0;
}
