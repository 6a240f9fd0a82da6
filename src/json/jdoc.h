/*
 * jdoc.h - cJSON documents whose nodes and strings live in one arena.
 *
 * The plan is a tree of tens of thousands of nodes made at once and freed
 * at once; with cJSON's own allocator that is a malloc per node and per
 * string and as many frees, a large part of a small generation. A jdoc
 * makes them from an arena and frees them in one go.
 *
 * The tree is an ordinary cJSON tree: read it, print it, and link nodes
 * into it with cJSON's functions (cJSON_AddItemToObjectCS,
 * cJSON_AddItemToArray...), including nodes made by cJSON_Create*. What is
 * different: never cJSON_Delete a document node, nor delete, replace or
 * detach one with cJSON's functions; free the document with
 * bb_jdoc_free(), which frees the nodes the arena holds and any node of
 * cJSON's added to the tree (as cJSON_Delete would). cJSON_Duplicate of a
 * document node is an ordinary cJSON tree (free it with cJSON_Delete).
 *
 * Document nodes carry BB_JDOC_NODE in their type, beside cJSON's flags:
 * cJSON and our code test types with `type & 0xFF`, so it is invisible to
 * them.
 */
#ifndef BB_JDOC_H
#define BB_JDOC_H

#include "base/bb.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

#define BB_JDOC_NODE (1 << 12)

/* A new document; returns its root (an empty object), or NULL when out of
 * memory. max caps the bytes of the whole document. */
cJSON *bb_jdoc_new(size_t max) BB_WUR;

/* New nodes of root's document (root as bb_jdoc_new returned it), unlinked;
 * NULL when out of memory or over the cap. s is copied. */
cJSON *bb_jdoc_object(cJSON *root) BB_WUR;
cJSON *bb_jdoc_array(cJSON *root) BB_WUR;
cJSON *bb_jdoc_string(cJSON *root, const char *s) BB_WUR;
cJSON *bb_jdoc_number(cJSON *root, double v) BB_WUR;
cJSON *bb_jdoc_bool(cJSON *root, bool v) BB_WUR;

/* Frees the document of root (NULL: nothing) and every cJSON node linked
 * into it. */
void bb_jdoc_free(cJSON *root);

#endif
