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

#include "mustache.h"

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

/* The member found last, so the next lookup in the same object can go on from it. */
typedef struct bb_mustache_json_cursor {
    const cJSON *obj, *node;
    unsigned pos;
} bb_mustache_json_cursor;

/*
 * The member called name of the object o at position hint (where the same
 * name was found in the previous object), or NULL when the member there has
 * another name: the items of a list usually share one layout, and skipping
 * members without reading their keys halves the cost of a lookup. The walk
 * to that position starts at the cursor when the cursor is in o before it
 * (templates mostly ask for members in order). o must be an object; *cur is
 * updated on success.
 */
static inline const cJSON *bb_mustache_json_get_at(const cJSON *o, const char *name, size_t len,
                                                   unsigned hint, bb_mustache_json_cursor *cur)
{
    const cJSON *c = o->child;
    unsigned k = 0;
    if (cur->obj == o && cur->pos <= hint) {
        c = cur->node;
        k = cur->pos;
    }
    for (; c && k < hint; k++)
        c = c->next;
    if (!c || !bb_mustache_json_key_is(c->string, name, len))
        return NULL;
    cur->obj = o;
    cur->node = c;
    cur->pos = k;
    return c;
}

/*
 * The member called name of the object o, read from the start; *hint is set
 * to its position (BB_MUSTACHE_JSON_NO_HINT when there is none) and *cur to
 * it when found.
 */
static inline const cJSON *bb_mustache_json_scan(const cJSON *o, const char *name, size_t len,
                                                 unsigned *hint, bb_mustache_json_cursor *cur)
{
    unsigned k = 0;
    for (const cJSON *c = o->child; c; c = c->next, k++)
        if (bb_mustache_json_key_is(c->string, name, len)) {
            *hint = k;
            cur->obj = o;
            cur->node = c;
            cur->pos = k;
            return c;
        }
    *hint = BB_MUSTACHE_JSON_NO_HINT;
    return NULL;
}

/*
 * bb_mustache_json_get, trying first the member at position *hint (see
 * bb_mustache_json_get_at). *hint and *cur are updated.
 */
static inline const cJSON *bb_mustache_json_get_hinted(const cJSON *o, const char *name, size_t len,
                                                       unsigned *hint, bb_mustache_json_cursor *cur)
{
    if (!o || (o->type & 0xFF) != cJSON_Object)
        return NULL;
    if (*hint != BB_MUSTACHE_JSON_NO_HINT) {
        const cJSON *c = bb_mustache_json_get_at(o, name, len, *hint, cur);
        if (c)
            return c;
    }
    return bb_mustache_json_scan(o, name, len, hint, cur);
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
