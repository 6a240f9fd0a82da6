/* bench_sha256.c - SHA-256 throughput of base/sha256, with the SHA
 * extensions (when the CPU has them) and portable, over the files named
 * on the command line taken as one run's output: each file hashed once,
 * as generate does. Prints MB/s and ms per run, best of RUNS. */
#include "base/clock.h"
#include "base/file.h"
#include "base/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The best time of runs over every file, in seconds. */
static double best_of(int runs, char **bufs, const size_t *lens, int n)
{
    double best = 1e9;
    unsigned char digest[BB_SHA256_LEN];
    unsigned sink = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = bb_clock_seconds();
        for (int i = 0; i < n; i++) {
            bb_sha256(bufs[i], lens[i], digest);
            sink += digest[0];
        }
        double t = bb_clock_seconds() - t0;
        best = t < best ? t : best;
    }
    if (sink == 0xffffffffu)
        puts("");
    return best;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_sha256 RUNS FILE...\n");
        return 2;
    }
    int runs = atoi(argv[1]), n = argc - 2;
    char **bufs = calloc((size_t)n, sizeof(*bufs));
    size_t *lens = calloc((size_t)n, sizeof(*lens)), total = 0;
    for (int i = 0; i < n; i++) {
        if (bb_file_read(argv[i + 2], (size_t)1 << 30, &bufs[i], &lens[i]) != BB_OK) {
            fprintf(stderr, "bench_sha256: cannot read %s\n", argv[i + 2]);
            return 2;
        }
        total += lens[i];
    }
    printf("%d files, %zu bytes\n", n, total);
    if (bb_sha256_accelerated()) {
        double t = best_of(runs, bufs, lens, n);
        printf("  SHA extensions   %7.0f MB/s   %6.2f ms per run\n", total / t / 1e6, t * 1e3);
    } else {
        printf("  SHA extensions   (this CPU has none)\n");
    }
    bb_sha256_force_portable(true);
    double t = best_of(runs, bufs, lens, n);
    printf("  portable         %7.0f MB/s   %6.2f ms per run\n", total / t / 1e6, t * 1e3);
    return 0;
}
