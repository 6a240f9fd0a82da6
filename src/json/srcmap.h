/*
 * srcmap.h - where each cJSON node came from in the source text.
 *
 * cJSON keeps no positions. Plain JSON (what people and tools write) is
 * parsed here instead, in one pass that records, for every node, the byte
 * offset of its value and (for object members) of its key; other text goes
 * to cJSON, and one pass over it then walks in step with cJSON's tree to
 * record the same. Either way duplicate keys (BB0207), which cJSON keeps
 * silently, are reported.
 *
 * Ownership: a map from bb_srcmap_build() borrows nothing after it returns
 * except the node addresses it uses as keys; free it with bb_srcmap_free()
 * before or after the tree (it never dereferences a node after building). A
 * map from bb_srcmap_parse() owns its tree: the tree lives until the map is
 * freed, and is never given to cJSON_Delete().
 */
#ifndef BB_SRCMAP_H
#define BB_SRCMAP_H

#include "base/arena.h"
#include "base/bb.h"
#include "diag/diag.h"

#include <stddef.h>

typedef struct cJSON cJSON;
typedef struct bb_srcmap bb_srcmap;

/*
 * Maps every node of root, parsed from src[0..len). Duplicate keys go into
 * d as errors. Returns BB_OK (*out set), BB_ENOMEM, or BB_ESTATE when the
 * text does not match the tree (the caller then lives without offsets).
 */
int bb_srcmap_build(const char *src, size_t len, const cJSON *root, bb_diags *d,
                    bb_srcmap **out) BB_WUR;

/*
 * Parses src[0..len) when it is plain, strict JSON, building a tree equal to
 * what cJSON would build and its map. src[len] must be a NUL (the text is
 * read up to it). The decoded strings (keys and values) are allocated from
 * strings when it is not NULL, and then outlive the map with that arena;
 * else they are the map's. Duplicate keys go into d as errors.
 * Returns BB_OK (*root and *out set; *root belongs to *out), BB_ENOMEM, or
 * BB_ESTATE when the text is anything else (invalid, or valid only by
 * cJSON's looser rules): d is then untouched and the caller parses with
 * cJSON and bb_srcmap_build().
 */
int bb_srcmap_parse(const char *src, size_t len, bb_arena *strings, bb_diags *d, cJSON **root,
                    bb_srcmap **out) BB_WUR;

/* Byte offset of the node's value, or BB_NO_OFFSET (also for a NULL map). */
size_t bb_srcmap_value(const bb_srcmap *m, const cJSON *node);

/* Byte offset of the opening quote of the member's key, or BB_NO_OFFSET. */
size_t bb_srcmap_key(const bb_srcmap *m, const cJSON *node);

void bb_srcmap_free(bb_srcmap *m);

#endif
