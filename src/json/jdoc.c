/* jdoc.c - arena-backed cJSON documents (see jdoc.h). */
#include "json/jdoc.h"

#include "base/arena.h"

#include <cJSON.h>
#include <string.h>

/* The root comes first, so a document is found from its root. */
typedef struct jdoc {
    cJSON root;
    bb_arena arena;
} jdoc;

cJSON *bb_jdoc_new(size_t max)
{
    jdoc *d = bb_calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->root.type = cJSON_Object | BB_JDOC_NODE;
    bb_arena_init(&d->arena, max);
    return &d->root;
}

static cJSON *node(cJSON *root, int type)
{
    cJSON *n = bb_arena_alloc(&((jdoc *)(void *)root)->arena, sizeof(*n));
    if (n)
        n->type = type | BB_JDOC_NODE;
    return n;
}

cJSON *bb_jdoc_object(cJSON *root)
{
    return node(root, cJSON_Object);
}

cJSON *bb_jdoc_array(cJSON *root)
{
    return node(root, cJSON_Array);
}

cJSON *bb_jdoc_string(cJSON *root, const char *s)
{
    cJSON *n = node(root, cJSON_String);
    if (n && !(n->valuestring = bb_arena_strdup(&((jdoc *)(void *)root)->arena, s ? s : "")))
        return NULL;
    return n;
}

cJSON *bb_jdoc_number(cJSON *root, double v)
{
    cJSON *n = node(root, cJSON_Number);
    if (n) {
        /* as cJSON_CreateNumber sets valueint: saturated */
        n->valuedouble = v;
        n->valueint = v >= 2147483647.0    ? 2147483647
                      : v <= -2147483648.0 ? -2147483647 - 1
                                           : (int)v;
    }
    return n;
}

cJSON *bb_jdoc_bool(cJSON *root, bool v)
{
    return node(root, v ? cJSON_True : cJSON_False);
}

/* Frees what cJSON allocated in the list that starts at n, as cJSON_Delete
 * would, and walks the document's own nodes for any below them. */
static void free_foreign(cJSON *n)
{
    while (n) {
        cJSON *next = n->next;
        bool ours = n->type & BB_JDOC_NODE;
        if (!(n->type & cJSON_IsReference))
            free_foreign(n->child);
        /* a key cJSON_AddItemToObject gave one of our nodes is cJSON's */
        if (!(n->type & cJSON_StringIsConst))
            cJSON_free(n->string);
        if (!ours) {
            if (!(n->type & cJSON_IsReference))
                cJSON_free(n->valuestring);
            cJSON_free(n);
        }
        n = next;
    }
}

void bb_jdoc_free(cJSON *root)
{
    if (!root)
        return;
    free_foreign(root->child);
    jdoc *d = (jdoc *)(void *)root;
    bb_arena_free(&d->arena);
    bb_free(d);
}
