/*
 * srcmap_diff.h - the check that keeps backbone's JSON reader honest: for
 * any text, bb_srcmap_parse() accepts it exactly when cJSON does, builds
 * exactly the tree cJSON builds (node for node, in the same order), and
 * every offset it records points at what the node starts with. Shared by
 * the unit test and the differential fuzz target.
 */
#ifndef BB_SRCMAP_DIFF_H
#define BB_SRCMAP_DIFF_H

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
    if ((cJSON_IsNumber(a) || cJSON_IsBool(a)) &&
        (a->valueint != b->valueint ||
         memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) != 0))
        return false;
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
        if (!srcmap_diff_same_tree(x, y))
            return false;
    if (x || y)
        return false;
    /* cJSON links the head to the tail: a->child->prev is the last child. */
    const cJSON *last = a->child;
    while (last && last->next)
        last = last->next;
    return !a->child || a->child->prev == last;
}

/* The byte a value of v's type starts with (numbers: a digit or '-'). */
static bool srcmap_diff_starts_right(const cJSON *v, char c)
{
    if (cJSON_IsObject(v))
        return c == '{';
    if (cJSON_IsArray(v))
        return c == '[';
    if (cJSON_IsString(v))
        return c == '"';
    if (cJSON_IsTrue(v))
        return c == 't';
    if (cJSON_IsFalse(v))
        return c == 'f';
    if (cJSON_IsNull(v))
        return c == 'n';
    return c == '-' || (c >= '0' && c <= '9');
}

/* Every node's offsets: its value, its end and its key, and the node found
 * again by its offset. */
static bool srcmap_diff_offsets_right(const bb_srcmap *m, const cJSON *v, const char *src,
                                      size_t len)
{
    for (; v; v = v->next) {
        size_t at = bb_srcmap_value(m, v), end = bb_srcmap_end(m, v), key = bb_srcmap_key(m, v);
        if (at >= len || end > len || end <= at || !srcmap_diff_starts_right(v, src[at]) ||
            bb_srcmap_node_at(m, at) != v)
            return false;
        if ((cJSON_IsObject(v) && src[end - 1] != '}') || (cJSON_IsArray(v) && src[end - 1] != ']'))
            return false;
        if (v->string ? key >= at || src[key] != '"' : key != BB_NO_OFFSET)
            return false;
        if (!srcmap_diff_offsets_right(m, v->child, src, len))
            return false;
    }
    return true;
}

/*
 * Runs both parsers over src[0..len) (src[len] must be NUL, and no other
 * byte). Returns 1 when both built the same tree (offsets right), 0 when
 * both refused the text, -1 when they disagree (a bug).
 */
static int srcmap_diff_check(const char *src, size_t len)
{
    bb_diags d;
    bb_diags_init(&d, "diff.json", src, len);
    cJSON *mine = NULL;
    bb_srcmap *map = NULL;
    size_t err_at = 0;
    int rc = bb_srcmap_parse(src, len, &d, &mine, &map, &err_at);
    const char *end = NULL;
    cJSON *ref = cJSON_ParseWithLengthOpts(src, len + 1, &end, 1);
    int verdict = -1;
    if (rc == BB_OK && ref)
        verdict = srcmap_diff_same_tree(mine, ref) && srcmap_diff_offsets_right(map, mine, src, len)
                      ? 1
                      : -1;
    else if (rc == BB_EINVAL && !ref)
        verdict = err_at <= len ? 0 : -1;
    cJSON_Delete(ref);
    bb_srcmap_free(map);
    bb_diags_free(&d);
    return verdict;
}

#endif
