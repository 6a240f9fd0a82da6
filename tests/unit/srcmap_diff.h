/*
 * srcmap_diff.h - the check that keeps backbone's fast JSON path honest: for
 * any text, bb_srcmap_parse() either declines (BB_ESTATE) or builds exactly
 * the tree cJSON builds, node for node, in the same order. Shared by the
 * unit test and the differential fuzz target.
 */
#ifndef BB_SRCMAP_DIFF_H
#define BB_SRCMAP_DIFF_H

#include "base/arena.h"
#include "diag/diag.h"
#include "json/srcmap.h"

#include <cJSON.h>
#include <stdbool.h>
#include <string.h>

static bool srcmap_diff_same_string(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Strict equality: types, key spellings, strings, numbers, child order. */
static bool srcmap_diff_same_tree(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xFF) != (b->type & 0xFF) || !srcmap_diff_same_string(a->string, b->string))
        return false;
    if (cJSON_IsString(a) && !srcmap_diff_same_string(a->valuestring, b->valuestring))
        return false;
    if (cJSON_IsNumber(a) && (a->valueint != b->valueint ||
                              memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) != 0))
        return false;
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
        if (!srcmap_diff_same_tree(x, y))
            return false;
    return !x && !y;
}

/*
 * Runs both parsers over src[0..len) (src[len] must be NUL). Returns 1 when
 * the fast path built a tree equal to cJSON's, 0 when it declined, -1 when
 * it built a tree cJSON rejects or a different tree (a bug).
 */
static int srcmap_diff_check(const char *src, size_t len)
{
    bb_arena arena;
    bb_arena_init(&arena, 64u << 20);
    bb_diags d;
    bb_diags_init(&d, "diff.json", src, len);
    cJSON *fast = NULL;
    bb_srcmap *map = NULL;
    int rc = bb_srcmap_parse(src, len, &arena, &d, &fast, &map);
    int verdict = 0;
    if (rc == BB_OK) {
        const char *end = NULL;
        cJSON *ref = cJSON_ParseWithLengthOpts(src, len + 1, &end, 1);
        verdict = ref && srcmap_diff_same_tree(fast, ref) ? 1 : -1;
        cJSON_Delete(ref);
    }
    bb_srcmap_free(map);
    bb_diags_free(&d);
    bb_arena_free(&arena);
    return verdict;
}

#endif
