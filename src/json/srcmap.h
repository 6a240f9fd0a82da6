/*
 * srcmap.h - the JSON reader of the front end: cJSON trees that know where
 * each node came from in the source text.
 *
 * bb_srcmap_parse() reads text by cJSON's own rules (what cJSON 1.7 accepts
 * with require_null_terminated, it accepts, and it builds the same tree
 * node for node) in one pass that records, for every node, the byte offset
 * of its value, of the end of its value and (for object members) of its
 * key. Duplicate keys (BB0207), which cJSON keeps silently, are reported.
 * tests/unit/test_srcmap.c and fuzz/fuzz_srcmap.c hold it equal to cJSON.
 *
 * Ownership: a map owns its tree and the tree's strings (one block); they
 * live until bb_srcmap_free(), and the tree is never given to cJSON_Delete().
 * The block is sized for the most values the text could hold, so it is
 * taken from the heap: pages the parse never touches cost nothing.
 */
#ifndef BB_SRCMAP_H
#define BB_SRCMAP_H

#include "base/bb.h"
#include "diag/diag.h"

#include <stddef.h>

typedef struct cJSON cJSON;
typedef struct bb_srcmap bb_srcmap;

/*
 * Parses src[0..len); src[len] must be a NUL and the text must hold no
 * other (the loader refuses such input before parsing). Duplicate keys go
 * into d (when not NULL) as errors. Returns BB_OK (*root and *out set; *root belongs to
 * *out), BB_ENOMEM, or BB_EINVAL when cJSON would reject the text: *err_at
 * (when not NULL) is then the offset where reading stopped, and d is
 * untouched.
 */
int bb_srcmap_parse(const char *src, size_t len, bb_diags *d, cJSON **root, bb_srcmap **out,
                    size_t *err_at) BB_WUR;

/* Byte offset of the node's value, or BB_NO_OFFSET (also for a NULL map). */
size_t bb_srcmap_value(const bb_srcmap *m, const cJSON *node);

/* Byte offset just past the node's value, or BB_NO_OFFSET. */
size_t bb_srcmap_end(const bb_srcmap *m, const cJSON *node);

/* Byte offset of the opening quote of the member's key, or BB_NO_OFFSET. */
size_t bb_srcmap_key(const bb_srcmap *m, const cJSON *node);

/* The node whose value starts at byte offset off, or NULL. With cJSON's
 * getters this finds any member or item of a node known by its offset. */
const cJSON *bb_srcmap_node_at(const bb_srcmap *m, size_t off);

void bb_srcmap_free(bb_srcmap *m);

#endif
