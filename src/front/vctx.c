/*
 * vctx.c - what the validator's passes share (vctx.h): the name index,
 * diagnostics with locations found through the loader's source map, and
 * small helpers.
 */
#include "front/vctx.h"

#include "base/suggest.h"
#include "json/srcmap.h"

#include <cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- the name index ------------------------------------------------------ */

static uint32_t hash_name(int scope, const char *s)
{
    uint32_t h = 2166136261u ^ (uint32_t)scope;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int bb__nx_init(bb__name_index *x, size_t n_items)
{
    size_t cap = 64;
    while (cap < n_items + n_items / 3) /* load factor at most 3/4 */
        cap <<= 1;
    x->slots = bb_calloc(cap, sizeof(*x->slots));
    x->mask = cap - 1;
    return x->slots ? BB_OK : BB_ENOMEM;
}

static bb__name_slot *nx_slot(const bb__name_index *x, int scope, const char *name)
{
    size_t i = hash_name(scope, name) & x->mask;
    while (x->slots[i].name && (x->slots[i].scope != scope || strcmp(x->slots[i].name, name) != 0))
        i = (i + 1) & x->mask;
    return &x->slots[i];
}

int bb__nx_get(const bb__name_index *x, int scope, const char *name)
{
    bb__name_slot *sl = nx_slot(x, scope, name);
    return sl->name ? sl->value : BB__NX_NONE;
}

int bb__nx_put(bb__name_index *x, int scope, const char *name, int value)
{
    bb__name_slot *sl = nx_slot(x, scope, name);
    if (sl->name)
        return sl->value;
    sl->name = name;
    sl->scope = scope;
    sl->value = value;
    return BB__NX_NONE;
}

/* ---- the validation context and reporting -------------------------------- */

void bb__report(bb__vctx *v, bb_severity sev, const char *code, const bb__loc *at, const char *hint,
                const char *fmt, ...)
{
    bb__resolved_loc r;
    bb__resolve_loc(v, at, &r);
    va_list ap;
    va_start(ap, fmt);
    if (bb_diag_addv(v->d, sev, code, r.ptr, r.off, hint, fmt, ap) == BB_ENOMEM)
        v->rc = BB_ENOMEM;
    va_end(ap);
}

/* Offset of the value of key in the object at obj, or BB_NO_OFFSET: the
 * loader's source map knows every node (the first member of a name, as
 * the loader reads it). */
static size_t member_offset(const bb_schema *s, size_t obj, const char *key)
{
    const cJSON *o = bb_srcmap_node_at(s->map, obj);
    if (!cJSON_IsObject(o))
        return BB_NO_OFFSET;
    return bb_srcmap_value(s->map, cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Offset of item idx of the array at arr, or BB_NO_OFFSET. */
static size_t item_offset(const bb_schema *s, size_t arr, size_t idx)
{
    const cJSON *a = bb_srcmap_node_at(s->map, arr);
    if (!cJSON_IsArray(a) || idx > INT_MAX)
        return BB_NO_OFFSET;
    return bb_srcmap_value(s->map, cJSON_GetArrayItem(a, (int)idx));
}

bool bb__is_array_at(const bb__vctx *v, size_t off)
{
    return cJSON_IsArray(bb_srcmap_node_at(v->s->map, off));
}

/* out = base + "/" + tail, cut to fit (pointers are far shorter). */
static void ptr_join(char *out, size_t size, const char *base, const char *tail)
{
    size_t nb = strlen(base), nt = strlen(tail);
    if (nb > size - 2)
        nb = size - 2;
    memcpy(out, base, nb);
    out[nb] = '/';
    if (nt > size - nb - 2)
        nt = size - nb - 2;
    memcpy(out + nb + 1, tail, nt);
    out[nb + 1 + nt] = '\0';
}

bb__loc bb__loc_node(const char *ptr, size_t off)
{
    bb__loc l = {.ptr = ptr ? ptr : "", .off = off};
    return l;
}

/* The member key of the node at ptr/off (the node itself when absent). */
bb__loc bb__loc_key(const char *ptr, size_t off, const char *key)
{
    bb__loc l = {.ptr = ptr ? ptr : "", .off = off, .key = key};
    return l;
}

/* Item idx of the array member key (key NULL: the node is the array). */
bb__loc bb__loc_item(const char *ptr, size_t off, const char *key, size_t idx)
{
    bb__loc l = {.ptr = ptr ? ptr : "", .off = off, .key = key, .has_item = true, .item = idx};
    return l;
}

void bb__resolve_loc(const bb__vctx *v, const bb__loc *at, bb__resolved_loc *out)
{
    char base[384];
    size_t off = at->off;
    snprintf(base, sizeof(base), "%s", at->ptr);
    if (at->key) {
        size_t m = member_offset(v->s, at->off, at->key);
        if (m != BB_NO_OFFSET || !v->s->map) {
            char joined[384];
            ptr_join(joined, sizeof(joined), at->ptr, at->key);
            memcpy(base, joined, sizeof(base));
            off = m;
        }
    }
    if (at->has_item) {
        size_t it = item_offset(v->s, off, at->item);
        char num[24];
        snprintf(num, sizeof(num), "%zu", at->item);
        ptr_join(out->ptr, sizeof(out->ptr), base, num);
        out->off = it == BB_NO_OFFSET ? off : it;
        return;
    }
    memcpy(out->ptr, base, sizeof(out->ptr));
    out->off = off;
}

/* "did you mean" hint for name among candidates, or NULL. */
const char *bb__did_you_mean(const char *name, const char *const *cands, size_t n, char *buf,
                             size_t size)
{
    const char *near = bb_suggest(name, cands, n);
    if (!near)
        return NULL;
    snprintf(buf, size, "did you mean \"%s\"?", near);
    return buf;
}

/* ---- small helpers ------------------------------------------------------- */

/* "OrderItem" -> "order_item" (ASCII; the input was checked to be a class
 * name already). */
void bb__class_snake(const char *name, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; name[i] && o + 2 < size; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isupper(c) && i > 0 && name[i - 1] != '_')
            out[o++] = '_';
        out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
}

char *bb__arena_str(bb__vctx *v, const char *s)
{
    char *p = bb_arena_strdup(&v->s->arena, s);
    if (!p)
        v->rc = BB_ENOMEM;
    return p;
}
