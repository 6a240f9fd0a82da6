/*
 * arena.h - a bump allocator for data that lives and dies together (a parsed
 * schema, a plan). Everything allocated from an arena is freed at once by
 * bb_arena_free(); single pieces are never freed. Each allocation is aligned
 * for any type. An arena has a cap on its total size.
 */
#ifndef BB_ARENA_H
#define BB_ARENA_H

#include "base/bb.h"

#include <stddef.h>

typedef struct bb_arena_block bb_arena_block;

typedef struct bb_arena {
    bb_arena_block *head;
    size_t used_total; /* bytes handed out, for the cap and for statistics */
    size_t max;        /* the most bytes this arena may hand out */
} bb_arena;

void bb_arena_init(bb_arena *a, size_t max);
/* Zeroed memory owned by the arena; NULL when out of memory or over the cap. */
void *bb_arena_alloc(bb_arena *a, size_t n) BB_WUR;
/* The same, not zeroed: for text that is written over at once. */
void *bb_arena_alloc_bytes(bb_arena *a, size_t n) BB_WUR;
char *bb_arena_strdup(bb_arena *a, const char *s) BB_WUR;
char *bb_arena_strndup(bb_arena *a, const char *s, size_t n) BB_WUR;
char *bb_arena_printf(bb_arena *a, const char *fmt, ...) BB_PRINTF(2, 3) BB_WUR;
void bb_arena_free(bb_arena *a);

#endif
