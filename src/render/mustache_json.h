/*
 * mustache_json.h - the cJSON adapter of the template engine's data model
 * (mustache.h), so a JSON plan renders directly.
 *
 * Truthiness follows mustache.js: false, null, 0, "" and [] are false; other
 * values (objects included) are true. Text: strings as they are, numbers in
 * their shortest exact form (85, 1.21), true/false, null as "". Objects and
 * arrays have no text: they interpolate as "".
 *
 * Values are borrowed cJSON nodes; the adapter keeps nothing (ud unused).
 */
#ifndef BB_MUSTACHE_JSON_H
#define BB_MUSTACHE_JSON_H

#include "render/mustache.h"

#include <cJSON.h>
#include <stdbool.h>
#include <string.h>

extern const bb_mustache_model bb_mustache_json_model;

/*
 * The member called name (len bytes, no NUL) of o, or NULL. Inline because
 * the renderer calls it for nearly every tag: it uses it directly when the
 * model is this one.
 */
static inline bool bb_mustache_json_key_is(const char *k, const char *name, size_t len)
{
    if (!k || k[0] != name[0])
        return false;
    size_t i = 1;
    while (i < len && k[i] == name[i]) /* stops at k's NUL: name has none */
        i++;
    return i == len && k[i] == '\0';
}

static inline const cJSON *bb_mustache_json_get(const cJSON *o, const char *name, size_t len)
{
    if (!o || (o->type & 0xFF) != cJSON_Object)
        return NULL;
    for (const cJSON *c = o->child; c; c = c->next)
        if (bb_mustache_json_key_is(c->string, name, len))
            return c;
    return NULL;
}

#define BB_MUSTACHE_JSON_NO_HINT 0xFFFFFFFFu

/*
 * Where a name was found in the previous object: its position from the
 * first member (BB_MUSTACHE_JSON_NO_HINT when it was not found), or when it
 * was far from the first member and near the last one, the number of
 * members after it (back is then true).
 */
typedef struct bb_mustache_json_hint {
    unsigned pos;
    bool back;
} bb_mustache_json_hint;

/* The member found last, so the next lookup in the same object can go on from it. */
typedef struct bb_mustache_json_cursor {
    const cJSON *obj, *node;
    unsigned pos;
} bb_mustache_json_cursor;

/*
 * The member called name of the object o where the hint (pos, back) says
 * (pos must not be BB_MUSTACHE_JSON_NO_HINT), or NULL when the member there
 * has another name: the items of a list usually share one layout, and
 * skipping members without reading their keys halves the cost of a lookup.
 * Forwards, the walk starts at the cursor when the cursor is in o before the
 * position (templates mostly ask for members in order), else at the first
 * member, and *cur is updated; backwards, at the last member (cJSON links
 * the first member to the last). o must be an object.
 */
__attribute__((always_inline)) static inline const cJSON *
bb_mustache_json_get_at(const cJSON *o, const char *name, size_t len, unsigned pos, bool back,
                        bb_mustache_json_cursor *cur)
{
    const cJSON *c = o->child;
    if (back) {
        c = c ? c->prev : NULL;
        for (; c && pos; pos--)
            c = c == o->child ? NULL : c->prev;
        return c && bb_mustache_json_key_is(c->string, name, len) ? c : NULL;
    }
    unsigned k = 0;
    if (cur->obj == o && cur->pos <= pos) {
        c = cur->node;
        k = cur->pos;
    }
    for (; c && k < pos; k++)
        c = c->next;
    if (!c || !bb_mustache_json_key_is(c->string, name, len))
        return NULL;
    cur->obj = o;
    cur->node = c;
    cur->pos = k;
    return c;
}

/* How far from the first member a member must be to be found from the last. */
#define BB_MUSTACHE_JSON_FAR 8

/*
 * The member called name of the object o, read from the start; *h is set
 * to where it is and *cur to it when found.
 */
static inline const cJSON *bb_mustache_json_scan(const cJSON *o, const char *name, size_t len,
                                                 bb_mustache_json_hint *h,
                                                 bb_mustache_json_cursor *cur)
{
    unsigned k = 0;
    for (const cJSON *c = o->child; c; c = c->next, k++)
        if (bb_mustache_json_key_is(c->string, name, len)) {
            h->pos = k;
            h->back = false;
            if (k >= BB_MUSTACHE_JSON_FAR) {
                unsigned after = 0;
                for (const cJSON *d = c->next; d && after < k; d = d->next)
                    after++;
                if (after + BB_MUSTACHE_JSON_FAR <= k) {
                    h->pos = after;
                    h->back = true;
                }
            }
            cur->obj = o;
            cur->node = c;
            cur->pos = k;
            return c;
        }
    h->pos = BB_MUSTACHE_JSON_NO_HINT;
    return NULL;
}

/* mustache.js truthiness (see above). */
static inline bool bb_mustache_json_truthy(const cJSON *j)
{
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

/* The first item of an array (NULL when empty), or BB_MUSTACHE_NOT_LIST. */
static inline const void *bb_mustache_json_first(const cJSON *j)
{
    return (j->type & 0xFF) == cJSON_Array ? (const void *)j->child : BB_MUSTACHE_NOT_LIST;
}

/* The text of a string value without a call; other values go through the model. */
static inline bool bb_mustache_json_string(const cJSON *v, const char **s, size_t *n)
{
    if ((v->type & 0xFF) != cJSON_String || !v->valuestring)
        return false;
    *s = v->valuestring;
    *n = strlen(v->valuestring);
    return true;
}

/*
 * Writes the number d into buf (size n) as the shortest decimal text that
 * reads back as d; integers without a fraction. Returns the length.
 */
size_t bb_mustache_json_number(double d, char *buf, size_t n);

#endif
