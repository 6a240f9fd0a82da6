/* arena.c - bump allocator (see arena.h). */
#include "base/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ARENA_BLOCK_MIN (16 * 1024)
#define ARENA_ALIGN 16

struct bb_arena_block {
    bb_arena_block *next;
    size_t size;
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void bb_arena_init(bb_arena *a, size_t max)
{
    a->head = NULL;
    a->used_total = 0;
    a->max = max;
}

void *bb_arena_alloc_bytes(bb_arena *a, size_t n)
{
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n || need > a->max - a->used_total || a->used_total > a->max)
        return NULL;
    bb_arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t size = need > ARENA_BLOCK_MIN ? need : ARENA_BLOCK_MIN;
        b = bb_malloc(sizeof(*b) + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->used_total += need;
    return p;
}

void *bb_arena_alloc(bb_arena *a, size_t n)
{
    void *p = bb_arena_alloc_bytes(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *bb_arena_strndup(bb_arena *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = bb_arena_alloc_bytes(a, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *bb_arena_strdup(bb_arena *a, const char *s)
{
    return s ? bb_arena_strndup(a, s, strlen(s)) : NULL;
}

char *bb_arena_printf(bb_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *d = bb_arena_alloc(a, (size_t)n + 1);
    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void bb_arena_free(bb_arena *a)
{
    bb_arena_block *b = a->head;
    while (b) {
        bb_arena_block *next = b->next;
        bb_free(b);
        b = next;
    }
    a->head = NULL;
    a->used_total = 0;
}
