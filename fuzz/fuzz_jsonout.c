/*
 * fuzz_jsonout.c - differential fuzzing of src/json/jsonout.c against
 * cJSON: the input as a string must be escaped as cJSON escapes it, and
 * whenever cJSON parses the input, bb_json_print must print the tree,
 * formatted and compact, byte for byte as cJSON_Print and
 * cJSON_PrintUnformatted do. Any difference aborts.
 */
#include "json/jsonout.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void same_or_abort(char *want, const bb_buf *got)
{
    if (!want)
        return; /* cJSON ran out of memory: nothing to compare */
    if (strcmp(want, bb_buf_str(got)) != 0)
        abort();
    cJSON_free(want);
}

static void check_string(const char *src)
{
    cJSON *v = cJSON_CreateString(src);
    if (!v)
        return;
    bb_buf b;
    bb_buf_init(&b, 1 << 24);
    if (bb_json_put_string(&b, src, strlen(src)) != BB_OK)
        abort();
    same_or_abort(cJSON_PrintUnformatted(v), &b);
    bb_buf_free(&b);
    cJSON_Delete(v);
}

static void check_tree(const char *src)
{
    cJSON *v = cJSON_Parse(src);
    if (!v)
        return;
    for (int formatted = 0; formatted < 2; formatted++) {
        bb_buf b;
        bb_buf_init(&b, 1 << 26);
        if (bb_json_print(&b, v, formatted) != BB_OK)
            abort();
        same_or_abort(formatted ? cJSON_Print(v) : cJSON_PrintUnformatted(v), &b);
        bb_buf_free(&b);
    }
    cJSON_Delete(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    if (!src)
        return 0;
    memcpy(src, data, size);
    src[size] = '\0';
    check_string(src);
    check_tree(src);
    free(src);
    return 0;
}
