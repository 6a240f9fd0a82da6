/*
 * mustache_ops.h - the compiled form of a template, shared by the two
 * halves of the template engine: the compiler and template sets
 * (mustache.c) and the renderer (mustache_render.c). Internal to the
 * engine; names with "bb__" are not API.
 */
#ifndef BB_MUSTACHE_OPS_H
#define BB_MUSTACHE_OPS_H

#include "base/bb.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* As mustache.h declares them; not included, so the engine's public
 * header and this one do not include each other's module. */
typedef struct bb_mustache_template bb_mustache_template;
typedef struct bb_mustache_error bb_mustache_error;

enum { OP_TEXT, OP_VAR, OP_RAW, OP_SECTION, OP_INVERTED, OP_PARTIAL, OP_PARENT, OP_BLOCK };

enum {
    F_BOL = 1,        /* first op of an output line: write the indentation first */
    F_STANDALONE = 2, /* partial/parent/block alone on its line: ind is its indent */
    F_DYNAMIC = 4,    /* {{>*name}}: the name is looked up in the data */
    F_DOTTED = 8,     /* the name has several parts (a.b) */
};

typedef struct mop {
    uint8_t kind, flags;
    uint16_t nid;              /* tags: the name's number in the template (see intern_names) */
    uint32_t off, len;         /* OP_TEXT: the text; tags: the name */
    uint32_t end;              /* sections, parents, blocks: the op after the closing tag */
    uint32_t pos;              /* byte offset of the tag, for errors */
    uint32_t ind_off, ind_len; /* F_STANDALONE: the indentation; OP_VAR, OP_RAW,
                                * OP_SECTION, OP_INVERTED: text written first */
    uint32_t blocks;           /* OP_PARENT: its overrides in the template's blocks */
} mop;

struct bb_mustache_template {
    char *name;
    char *src;
    size_t len;
    mop *ops;
    uint32_t n_ops;
    /* For each parent tag: the number of blocks directly inside it, then
     * their op indices sorted by name, so a block finds its override by
     * binary search. */
    uint32_t *blocks;
};

/*
 * Fills e, when it is not NULL and holds no error yet (the first error is the
 * one reported), and returns rc. src (len bytes) locates offset off; src NULL
 * means the error has no position.
 */
int bb__mustache_verror(bb_mustache_error *e, int rc, const char *code, const char *tname,
                        size_t tname_len, const char *src, size_t len, size_t off, const char *fmt,
                        va_list ap);

/* An error without a position, about template tname. */
int bb__mustache_set_error(bb_mustache_error *e, int rc, const char *code, const char *tname,
                           size_t tname_len, const char *fmt, ...) BB_PRINTF(6, 7);

/* Marks e as "no error" (cheaply: renders call this every time). */
void bb__mustache_clear_error(bb_mustache_error *e);

/* The block called like op that parent op pi of pt overrides, or 0 when none. */
uint32_t bb__mustache_find_override(const bb_mustache_template *t, const mop *op,
                                    const bb_mustache_template *pt, uint32_t pi);

#endif
