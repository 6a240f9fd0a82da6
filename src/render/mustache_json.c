/*
 * mustache_json.c - cJSON values behind the template data model (see
 * mustache_json.h).
 *
 * Lookups in list items use the hint the engine keeps per name: where the
 * name was found in the previous item, as its position from the first
 * member, or (when it was far from the first member and near the last) the
 * number of members after it. The items of a list usually share one layout,
 * so the member is checked there first, without reading the keys before it.
 */
#include "render/mustache_json.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The hint's fields: a = 1 + the position (0: not found last time), b = 1
 * when the position counts back from the last member. */
#define FAR 8 /* how far from the first member one is found from the last */

/* k (NUL-terminated) equals name (len bytes, no NUL). */
static inline bool key_is(const char *k, const char *name, size_t len)
{
    if (!k || k[0] != name[0])
        return false;
    size_t i = 1;
    while (i < len && k[i] == name[i]) /* stops at k's NUL: name has none */
        i++;
    return i == len && k[i] == '\0';
}

static bool is_object(const cJSON *o)
{
    return o && (o->type & 0xFF) == cJSON_Object;
}

static const void *json_get(void *ud, const void *v, const char *name, size_t len)
{
    (void)ud;
    const cJSON *o = v;
    if (!is_object(o))
        return NULL;
    for (const cJSON *c = o->child; c; c = c->next)
        if (key_is(c->string, name, len))
            return c;
    return NULL;
}

/* The member called name where the hint says, or NULL when the member there
 * has another name. Forwards, the walk starts at the state's member when it
 * is in o before the position, else at the first member. */
static const cJSON *get_at(const cJSON *o, const char *name, size_t len, bb_mustache_hint h,
                           bb_mustache_json_state *st)
{
    unsigned pos = h.a - 1;
    const cJSON *c = o->child;
    if (h.b) {
        c = c ? c->prev : NULL; /* cJSON links the first member to the last */
        for (; c && pos; pos--)
            c = c == o->child ? NULL : c->prev;
        return c && key_is(c->string, name, len) ? c : NULL;
    }
    unsigned k = 0;
    if (st && st->obj == o && st->pos <= pos) {
        c = st->node;
        k = st->pos;
    }
    for (; c && k < pos; k++)
        c = c->next;
    if (!c || !key_is(c->string, name, len))
        return NULL;
    if (st)
        *st = (bb_mustache_json_state){o, c, k};
    return c;
}

/* The member called name, read from the start; the hint is set to where it
 * is (or to none). */
static const cJSON *scan(const cJSON *o, const char *name, size_t len, bb_mustache_hint *h,
                         bb_mustache_json_state *st)
{
    unsigned k = 0;
    for (const cJSON *c = o->child; c; c = c->next, k++) {
        if (!key_is(c->string, name, len))
            continue;
        *h = (bb_mustache_hint){k + 1, 0};
        if (k >= FAR) {
            unsigned after = 0;
            for (const cJSON *d = c->next; d && after < k; d = d->next)
                after++;
            if (after + FAR <= k)
                *h = (bb_mustache_hint){after + 1, 1};
        }
        if (st)
            *st = (bb_mustache_json_state){o, c, k};
        return c;
    }
    *h = (bb_mustache_hint){0, 0};
    return NULL;
}

static const void *json_get_hinted(void *ud, const void *v, const char *name, size_t len,
                                   bb_mustache_hint *h)
{
    const cJSON *o = v;
    if (!is_object(o))
        return NULL;
    if (h->a) {
        const cJSON *c = get_at(o, name, len, *h, ud);
        if (c)
            return c;
    }
    return scan(o, name, len, h, ud);
}

static bool json_truthy(void *ud, const void *v)
{
    (void)ud;
    const cJSON *j = v;
    switch (j->type & 0xFF) {
    case cJSON_False:
    case cJSON_NULL:
    case cJSON_Invalid:
        return false;
    case cJSON_Number:
        return j->valuedouble != 0 && j->valuedouble == j->valuedouble; /* not 0, not NaN */
    case cJSON_String:
        return j->valuestring && j->valuestring[0];
    case cJSON_Array:
        return j->child != NULL;
    }
    return true;
}

static const void *json_first(void *ud, const void *v)
{
    (void)ud;
    const cJSON *j = v;
    return (j->type & 0xFF) == cJSON_Array ? (const void *)j->child : BB_MUSTACHE_NOT_LIST;
}

static const void *json_next(void *ud, const void *item)
{
    (void)ud;
    return ((const cJSON *)item)->next;
}

size_t bb_mustache_json_number(double d, char *buf, size_t n)
{
    int k;
    if (isnan(d) || isinf(d))
        k = snprintf(buf, n, "%s", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    else if (d == floor(d) && fabs(d) < 1e15)
        k = snprintf(buf, n, "%.0f", d);
    else {
        /* The shortest precision that reads back exactly, as JavaScript prints. */
        for (int prec = 1; prec <= 17; prec++) {
            k = snprintf(buf, n, "%.*g", prec, d);
            if (k > 0 && (size_t)k < n && strtod(buf, NULL) == d)
                break;
        }
    }
    return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
}

static int json_text(void *ud, const void *v, char scratch[BB_MUSTACHE_SCRATCH], const char **s,
                     size_t *n)
{
    (void)ud;
    const cJSON *j = v;
    *s = "";
    *n = 0;
    if (cJSON_IsString(j) && j->valuestring) {
        *s = j->valuestring;
        *n = strlen(j->valuestring);
    } else if (cJSON_IsNumber(j)) {
        *n = bb_mustache_json_number(j->valuedouble, scratch, BB_MUSTACHE_SCRATCH);
        *s = scratch;
    } else if (cJSON_IsBool(j)) {
        *s = cJSON_IsTrue(j) ? "true" : "false";
        *n = strlen(*s);
    }
    return BB_OK;
}

const bb_mustache_model bb_mustache_json_model = {
    .get = json_get,
    .get_hinted = json_get_hinted,
    .truthy = json_truthy,
    .first = json_first,
    .next = json_next,
    .text = json_text,
};

int bb_mustache_render(const bb_mustache_template *t, const cJSON *const *frames, size_t n_frames,
                       const bb_mustache_opts *o, bb_buf *out, bb_mustache_error *err)
{
    bb_mustache_json_state st = {0};
    const void *base[BB_MUSTACHE_MAX_STACK];
    for (size_t i = 0; i < n_frames && i < BB_MUSTACHE_MAX_STACK; i++)
        base[i] = frames[i];
    return bb_mustache_render_model(t, &bb_mustache_json_model, &st, base, n_frames, o, out, err);
}
