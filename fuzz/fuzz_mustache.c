/*
 * fuzz_mustache.c - libFuzzer target over the template engine: compile, then
 * render with partials. Input layout:
 *   byte 0     option bits: escaping, strict partials, strict names, depth
 *   then       the template, up to the first NUL byte
 *   then       JSON data; its "partials" object maps names to partial texts,
 *              and the name "self" is the template itself.
 * Checks the engine's promises: no crash, output within the cap, on failure
 * an error code (or out of memory) and the output rolled back.
 */
#include "render/mustache_json.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct fuzz_partials {
    const char *self;
    size_t self_len;
    const cJSON *partials;
} fuzz_partials;

static int load(void *ud, const char *name, size_t len, const char **text, size_t *n)
{
    const fuzz_partials *fp = ud;
    if (len == 4 && memcmp(name, "self", 4) == 0) {
        *text = fp->self;
        *n = fp->self_len;
        return BB_OK;
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, fp->partials)
    {
        if (cJSON_IsString(p) && strlen(p->string) == len && memcmp(p->string, name, len) == 0) {
            *text = p->valuestring;
            *n = strlen(p->valuestring);
            return BB_OK;
        }
    }
    return BB_ENOTFOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    const char *tpl = (const char *)data + 1;
    size_t rest = size - 1;
    const char *sep = memchr(tpl, '\0', rest);
    size_t tlen = sep ? (size_t)(sep - tpl) : rest;
    cJSON *json = sep ? cJSON_ParseWithLength(sep + 1, rest - tlen - 1) : NULL;

    bb_mustache_template *t = NULL;
    bb_mustache_error err;
    int rc = bb_mustache_compile("fuzz", tpl, tlen, &t, &err);
    if (rc) {
        if (!err.code[0] && rc != BB_ENOMEM)
            abort();
        cJSON_Delete(json);
        return 0;
    }
    fuzz_partials fp = {tpl, tlen, cJSON_GetObjectItemCaseSensitive(json, "partials")};
    bb_mustache_set *set = NULL;
    if (bb_mustache_set_new(load, &fp, &set))
        abort();
    bb_mustache_opts o;
    bb_mustache_opts_default(&o);
    if (flags & 1)
        o.escape = NULL;
    o.strict_partials = flags & 2;
    o.strict_names = flags & 4;
    o.max_depth = 1 + ((flags >> 3) & 15);
    o.max_steps = 200000;
    o.partials = set;

    const cJSON *frames[2] = {json, json && json->child ? json->child : json};
    size_t n_frames = json ? 2 : 0;
    bb_buf out;
    bb_buf_init(&out, 1 << 18);
    rc = bb_buf_puts(&out, "x");
    if (!rc)
        rc = bb_mustache_render(t, frames, n_frames, &o, &out, &err);
    if (out.len > out.max)
        abort();
    if (rc && rc != BB_ENOMEM && !err.code[0])
        abort();
    if (rc && out.len != 1)
        abort();
    /* A second render of the same compiled template gives the same bytes. */
    if (!rc) {
        size_t first = out.len;
        bb_buf again;
        bb_buf_init(&again, 1 << 18);
        if (bb_buf_puts(&again, "x") ||
            bb_mustache_render(t, frames, n_frames, &o, &again, &err) != BB_OK ||
            again.len != first || memcmp(again.data, out.data, first) != 0)
            abort();
        bb_buf_free(&again);
    }
    bb_buf_free(&out);
    bb_mustache_set_free(set);
    bb_mustache_free(t);
    cJSON_Delete(json);
    return 0;
}
