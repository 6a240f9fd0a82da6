/*
 * srcmap.h - where each cJSON node came from in the source text.
 *
 * cJSON keeps no positions, so after a successful parse one pass over the
 * text walks it in step with the tree and records, for every node, the byte
 * offset of its value and (for object members) of its key. The same pass
 * reports duplicate keys (BB0207), which cJSON keeps silently.
 *
 * Ownership: a map borrows nothing after bb_srcmap_build() returns except the
 * node addresses it uses as keys; free it with bb_srcmap_free() before or
 * after the tree (it never dereferences a node after building).
 */
#ifndef BB_SRCMAP_H
#define BB_SRCMAP_H

#include "bb.h"
#include "diag.h"

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

/* Byte offset of the node's value, or BB_NO_OFFSET (also for a NULL map). */
size_t bb_srcmap_value(const bb_srcmap *m, const cJSON *node);

/* Byte offset of the opening quote of the member's key, or BB_NO_OFFSET. */
size_t bb_srcmap_key(const bb_srcmap *m, const cJSON *node);

void bb_srcmap_free(bb_srcmap *m);

#endif
