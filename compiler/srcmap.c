/*
 * srcmap.c - byte offsets of cJSON nodes (see srcmap.h).
 *
 * The walk reads the text with a tiny tokenizer that trusts cJSON's verdict
 * (the text already parsed), visiting values in the order cJSON linked them.
 * Offsets go into an open-addressing hash table keyed by node address.
 */
#include "srcmap.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Offsets are kept in 32 bits so an entry fits in 16 bytes: the table is
 * walked once per node, and its size decides the cache misses. */
#define NO_OFF32 UINT32_MAX

typedef struct entry {
    const cJSON *node; /* NULL: empty slot */
    uint32_t value_off;
    uint32_t key_off; /* NO_OFF32 for array items and the root */
} entry;

struct bb_srcmap {
    entry *slots;
    size_t mask; /* capacity - 1; capacity is a power of two */
};

/* Objects with more members than this are checked for duplicate keys by
 * sorting instead of comparing every pair. */
#define DUP_LINEAR_MAX 24

typedef struct walker {
    const char *src;
    size_t len;
    size_t pos;
    bb_srcmap *map;
    bb_diags *d;
    bb_buf ptr; /* JSON Pointer of the current node, for duplicate keys */
    int rc;
} walker;

static size_t hash_ptr(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static const entry *find(const bb_srcmap *m, const cJSON *node)
{
    if (!m || !node)
        return NULL;
    for (size_t i = hash_ptr(node) & m->mask;; i = (i + 1) & m->mask) {
        if (m->slots[i].node == node)
            return &m->slots[i];
        if (!m->slots[i].node)
            return NULL;
    }
}

static void insert(bb_srcmap *m, const cJSON *node, size_t value_off, size_t key_off)
{
    size_t i = hash_ptr(node) & m->mask;
    while (m->slots[i].node && m->slots[i].node != node)
        i = (i + 1) & m->mask;
    m->slots[i].node = node;
    m->slots[i].value_off = (uint32_t)value_off;
    m->slots[i].key_off = key_off == BB_NO_OFFSET ? NO_OFF32 : (uint32_t)key_off;
}

size_t bb_srcmap_value(const bb_srcmap *m, const cJSON *node)
{
    const entry *e = find(m, node);
    return e ? (size_t)e->value_off : BB_NO_OFFSET;
}

size_t bb_srcmap_key(const bb_srcmap *m, const cJSON *node)
{
    const entry *e = find(m, node);
    return e && e->key_off != NO_OFF32 ? (size_t)e->key_off : BB_NO_OFFSET;
}

void bb_srcmap_free(bb_srcmap *m)
{
    if (!m)
        return;
    bb_free(m->slots);
    bb_free(m);
}

/* Nodes in the tree, counted without recursion through the sibling links. */
static size_t count_nodes(const cJSON *v)
{
    size_t n = 0;
    for (; v; v = v->next)
        n += 1 + count_nodes(v->child);
    return n;
}

/* ---- the tokenizer -------------------------------------------------------- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

static void skip_ws(walker *w)
{
    while (w->pos < w->len && is_ws(w->src[w->pos]))
        w->pos++;
}

static bool expect(walker *w, char c)
{
    skip_ws(w);
    if (w->pos < w->len && w->src[w->pos] == c) {
        w->pos++;
        return true;
    }
    return false;
}

static bool skip_string(walker *w)
{
    if (w->pos >= w->len || w->src[w->pos] != '"')
        return false;
    const char *p = w->src + w->pos + 1, *end = w->src + w->len;
    while (p < end) {
        /* Jump to the next quote; a backslash before it means escaped. */
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            break;
        size_t backslashes = 0;
        while (q - backslashes > p && q[-1 - (ptrdiff_t)backslashes] == '\\')
            backslashes++;
        if (backslashes % 2 == 0) {
            w->pos = (size_t)(q + 1 - w->src);
            return true;
        }
        p = q + 1;
    }
    w->pos = w->len;
    return false;
}

static void skip_scalar(walker *w)
{
    while (w->pos < w->len) {
        char c = w->src[w->pos];
        if (c == ',' || c == ']' || c == '}' || is_ws(c) || c == '\0')
            break;
        w->pos++;
    }
}

/* ---- duplicate keys ------------------------------------------------------- */

typedef struct member_ref {
    const cJSON *node;
    size_t index;
} member_ref;

static int cmp_member(const void *a, const void *b)
{
    const member_ref *x = a, *y = b;
    int c = strcmp(x->node->string, y->node->string);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void report_duplicate(walker *w, const cJSON *first, const cJSON *dup)
{
    size_t saved = w->ptr.len;
    int rc = bb_pointer_append(&w->ptr, dup->string);
    int line = 0, col = 0;
    bb_diags_position(w->d, bb_srcmap_key(w->map, first), &line, &col);
    char hint[128];
    snprintf(hint, sizeof(hint), "the first \"%.60s\" is at line %d, column %d; keep only one",
             dup->string, line, col);
    if (bb_diag_add(w->d, BB_ERROR, "BB0207", rc ? NULL : bb_buf_str(&w->ptr),
                    bb_srcmap_key(w->map, dup), hint,
                    "duplicate key \"%.200s\": only the first one would be read",
                    dup->string) == BB_ENOMEM)
        w->rc = BB_ENOMEM;
    w->ptr.len = saved;
    if (w->ptr.data)
        w->ptr.data[saved] = '\0';
}

static void check_duplicates(walker *w, const cJSON *obj)
{
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (n <= DUP_LINEAR_MAX) {
        for (const cJSON *c = obj->child; c; c = c->next)
            for (const cJSON *e = obj->child; e != c; e = e->next)
                if (e->string[0] == c->string[0] && strcmp(e->string, c->string) == 0) {
                    report_duplicate(w, e, c);
                    break;
                }
        return;
    }
    member_ref *refs = bb_malloc(n * sizeof(*refs));
    if (!refs) {
        w->rc = BB_ENOMEM;
        return;
    }
    size_t i = 0;
    for (const cJSON *c = obj->child; c; c = c->next, i++)
        refs[i] = (member_ref){c, i};
    qsort(refs, n, sizeof(*refs), cmp_member);
    /* Sorted by key, then by position: each run's head is the first one. */
    for (size_t k = 1, head = 0; k < n; k++) {
        if (strcmp(refs[k].node->string, refs[head].node->string) == 0)
            report_duplicate(w, refs[head].node, refs[k].node);
        else
            head = k;
    }
    bb_free(refs);
}

/* ---- the walk ------------------------------------------------------------- */

static bool walk(walker *w, const cJSON *v, size_t key_off);

static bool walk_children(walker *w, const cJSON *v, bool object)
{
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        if (c != v->child && !expect(w, ','))
            return false;
        size_t key_off = BB_NO_OFFSET;
        size_t saved = w->ptr.len;
        int rc;
        if (object) {
            skip_ws(w);
            key_off = w->pos;
            if (!skip_string(w) || !expect(w, ':'))
                return false;
            rc = bb_pointer_append(&w->ptr, c->string);
        } else {
            rc = bb_buf_printf(&w->ptr, "/%zu", i);
        }
        (void)rc; /* a pointer cut short only weakens a duplicate's message */
        bool ok = walk(w, c, key_off);
        w->ptr.len = saved;
        if (w->ptr.data)
            w->ptr.data[saved] = '\0';
        if (!ok)
            return false;
    }
    return expect(w, object ? '}' : ']');
}

static bool walk(walker *w, const cJSON *v, size_t key_off)
{
    skip_ws(w);
    if (w->pos >= w->len)
        return false;
    insert(w->map, v, w->pos, key_off);
    char c = w->src[w->pos];
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        bool object = cJSON_IsObject(v);
        if (c != (object ? '{' : '['))
            return false;
        w->pos++;
        if (!walk_children(w, v, object))
            return false;
        if (object)
            check_duplicates(w, v);
        return w->rc == BB_OK;
    }
    if (cJSON_IsString(v))
        return skip_string(w);
    skip_scalar(w);
    return true;
}

int bb_srcmap_build(const char *src, size_t len, const cJSON *root, bb_diags *d, bb_srcmap **out)
{
    *out = NULL;
    /* Offsets must fit the 32-bit entries; a larger input goes unmapped. */
    if (len >= NO_OFF32)
        return BB_ESTATE;
    size_t n = count_nodes(root);
    size_t cap = 16;
    while (cap < n + n / 2) /* load factor at most 2/3 */
        cap *= 2;
    bb_srcmap *m = bb_malloc(sizeof(*m));
    entry *slots = bb_calloc(cap, sizeof(*slots));
    if (!m || !slots) {
        bb_free(m);
        bb_free(slots);
        return BB_ENOMEM;
    }
    m->slots = slots;
    m->mask = cap - 1;
    walker w = {.src = src, .len = len, .map = m, .d = d};
    bb_buf_init(&w.ptr, 4096);
    /* cJSON skips a UTF-8 byte order mark; so does the walk. */
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
        w.pos = 3;
    bool ok = walk(&w, root, BB_NO_OFFSET);
    bb_buf_free(&w.ptr);
    if (w.rc) {
        bb_srcmap_free(m);
        return w.rc;
    }
    *out = m;
    return ok ? BB_OK : BB_ESTATE;
}
