/*
 * mustache_bench.c - times the template engine for bench/bench_mustache.sh.
 *
 *   mustache_bench TEMPLATE DATA.json MODE SECONDS OUT
 *
 * Compiles TEMPLATE once, parses DATA once, then renders repeatedly for at
 * least SECONDS of CPU time (whole rounds). MODE "file": each render is the template over
 * the whole data. MODE "small": a round is 100000 renders, each over the next
 * item of the data's "items" list (a one-line template). MODE "model": a
 * round renders the template once per item of the data's "models" list, with
 * the context stack [data, item] (as the generator renders a file scoped to
 * one model). The output of the first round is written to OUT, so it can be
 * compared with mustache.js.
 * Prints "bytes seconds renders".
 */
#include "render/mustache_json.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    bb_buf b;
    bb_buf_init(&b, 1u << 30);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (bb_buf_append(&b, chunk, n)) {
            fclose(f);
            bb_buf_free(&b);
            return NULL;
        }
    fclose(f);
    return bb_buf_take(&b, len);
}

/* Process CPU time: a busy machine slows the wall clock, not this. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, const bb_mustache_error *e)
{
    fprintf(stderr, "mustache_bench: %s: %s %s:%d:%d: %s\n", what, e->code, e->template_name,
            e->line, e->column, e->message);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: mustache_bench TEMPLATE DATA MODE SECONDS OUT\n");
        return 2;
    }
    size_t tlen, dlen;
    char *text = slurp(argv[1], &tlen), *json = slurp(argv[2], &dlen);
    cJSON *data = json ? cJSON_ParseWithLength(json, dlen) : NULL;
    if (!text || !data) {
        fprintf(stderr, "mustache_bench: cannot read %s or %s\n", argv[1], argv[2]);
        return 1;
    }
    bool small = strcmp(argv[3], "small") == 0, model = strcmp(argv[3], "model") == 0;
    double min_seconds = strtod(argv[4], NULL);
    bb_mustache_template *t;
    bb_mustache_error err;
    if (bb_mustache_compile(argv[1], text, tlen, &t, &err))
        return fail("compile", &err);
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    o.escape = NULL; /* generated code is never HTML-escaped */
    const cJSON *items = cJSON_GetObjectItem(data, "items");
    const cJSON *models = cJSON_GetObjectItem(data, "models");
    if ((small && !cJSON_IsArray(items)) || (model && !cJSON_IsArray(models))) {
        fprintf(stderr, "mustache_bench: %s has no list for mode %s\n", argv[2], argv[3]);
        return 1;
    }
    bb_buf out, first;
    bb_buf_init(&out, 1u << 30);
    bb_buf_init(&first, 1u << 30);
    size_t bytes = 0, renders = 0;
    double start = now(), elapsed = 0;
    for (int round = 0; elapsed < min_seconds || round == 0; round++) {
        if (small) {
            const cJSON *it = items ? items->child : NULL;
            for (int i = 0; i < 100000; i++) {
                if (!it)
                    it = items->child;
                const cJSON *frames[] = {it};
                bb_buf_reset(&out);
                if (bb_mustache_render(t, frames, 1, &o, &out, &err))
                    return fail("render", &err);
                bytes += out.len;
                if (round == 0 && bb_buf_append(&first, out.data, out.len))
                    return 1;
                it = it->next;
            }
            renders += 100000;
        } else if (model) {
            for (const cJSON *m = models->child; m; m = m->next) {
                const cJSON *frames[] = {data, m};
                bb_buf_reset(&out);
                if (bb_mustache_render(t, frames, 2, &o, &out, &err))
                    return fail("render", &err);
                bytes += out.len;
                renders++;
                if (round == 0 && bb_buf_append(&first, out.data, out.len))
                    return 1;
            }
        } else {
            const cJSON *frames[] = {data};
            bb_buf_reset(&out);
            if (bb_mustache_render(t, frames, 1, &o, &out, &err))
                return fail("render", &err);
            bytes += out.len;
            renders++;
            if (round == 0 && bb_buf_append(&first, out.data, out.len))
                return 1;
        }
        elapsed = now() - start;
    }
    FILE *f = fopen(argv[5], "wb");
    if (!f || fwrite(bb_buf_str(&first), 1, first.len, f) != first.len || fclose(f)) {
        fprintf(stderr, "mustache_bench: cannot write %s\n", argv[5]);
        return 1;
    }
    printf("%zu %.6f %zu\n", bytes, elapsed, renders);
    bb_buf_free(&out);
    bb_buf_free(&first);
    bb_mustache_free(t);
    cJSON_Delete(data);
    free(json);
    free(text);
    return 0;
}
