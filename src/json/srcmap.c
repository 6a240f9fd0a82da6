/*
 * srcmap.c - byte offsets of cJSON nodes (see srcmap.h).
 *
 * Two ways to a map. bb_srcmap_parse() reads strict, plain JSON itself in
 * one pass, building the cJSON nodes in one block beside their offsets, so a
 * lookup is an index. Any other text (and every error) is left to cJSON:
 * bb_srcmap_build() then walks the text with a tiny tokenizer that trusts
 * cJSON's verdict, visiting values in the order cJSON linked them, and keeps
 * the offsets in an open-addressing hash table keyed by node address.
 *
 * Either way, duplicate keys are checked object by object after its members
 * (post-order), and a JSON Pointer is only built for a duplicate found.
 */
#include "json/srcmap.h"

#include <cJSON.h>
#include <limits.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Offsets are kept in 32 bits so an entry fits in 16 bytes: the table is
 * walked once per node, and its size decides the cache misses. */
#define NO_OFF32 UINT32_MAX

/* A duplicate's pointer longer than this is cut short. */
#define DUP_POINTER_MAX 4096

typedef struct entry {
    const cJSON *node; /* NULL: empty slot */
    uint32_t value_off;
    uint32_t key_off; /* NO_OFF32 for array items and the root */
} entry;

struct bb_srcmap {
    /* Trees parsed by cJSON: a hash table. */
    entry *slots;
    size_t mask; /* capacity - 1; capacity is a power of two */
    /* Trees parsed by bb_srcmap_parse(): nodes[i] is at value_off[i]. One
     * allocation holds the nodes, both offset arrays and the strings. */
    cJSON *nodes;
    uint32_t *value_off, *key_off;
    size_t n_nodes;
};

/* Objects with more members than this are checked for duplicate keys by
 * sorting instead of comparing every pair. */
#define DUP_LINEAR_MAX 24

/* The path from the root to the node being checked, one frame per level on
 * the C stack: enough to spell its JSON Pointer when a duplicate needs it. */
typedef struct frame {
    const struct frame *up; /* NULL at the root */
    const cJSON *node;      /* an object member (its key) or an array item */
    size_t index;           /* the item's index, for array items */
    bool member;
} frame;

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
    if (!m || !node || !m->slots)
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

/* Index of node in a parsed map's block, or -1 when it is not one of them. */
static ptrdiff_t node_index(const bb_srcmap *m, const cJSON *node)
{
    if (!m || !m->nodes || !node)
        return -1;
    uintptr_t p = (uintptr_t)node, base = (uintptr_t)m->nodes;
    if (p < base || p >= base + m->n_nodes * sizeof(cJSON))
        return -1;
    return (ptrdiff_t)((p - base) / sizeof(cJSON));
}

size_t bb_srcmap_value(const bb_srcmap *m, const cJSON *node)
{
    if (m && m->nodes) {
        ptrdiff_t i = node_index(m, node);
        return i < 0 ? BB_NO_OFFSET : (size_t)m->value_off[i];
    }
    const entry *e = find(m, node);
    return e ? (size_t)e->value_off : BB_NO_OFFSET;
}

size_t bb_srcmap_key(const bb_srcmap *m, const cJSON *node)
{
    if (m && m->nodes) {
        ptrdiff_t i = node_index(m, node);
        return i < 0 || m->key_off[i] == NO_OFF32 ? BB_NO_OFFSET : (size_t)m->key_off[i];
    }
    const entry *e = find(m, node);
    return e && e->key_off != NO_OFF32 ? (size_t)e->key_off : BB_NO_OFFSET;
}

void bb_srcmap_free(bb_srcmap *m)
{
    if (!m)
        return;
    bb_free(m->slots);
    bb_free(m->nodes);
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

/* Appends the pointer of f's node to ptr, root first. The appends are those
 * a pointer kept up to date during the walk would have made, so a pointer
 * over the cap is cut short the same way. */
static void append_path(bb_buf *ptr, const frame *f)
{
    if (!f)
        return;
    append_path(ptr, f->up);
    int rc =
        f->member ? bb_pointer_append(ptr, f->node->string) : bb_buf_printf(ptr, "/%zu", f->index);
    (void)rc; /* a pointer cut short only weakens a duplicate's message */
}

static int report_duplicate(const bb_srcmap *m, bb_diags *d, const frame *at, const cJSON *first,
                            const cJSON *dup)
{
    bb_buf ptr;
    bb_buf_init(&ptr, DUP_POINTER_MAX);
    append_path(&ptr, at);
    int rc = bb_pointer_append(&ptr, dup->string);
    int line = 0, col = 0;
    bb_diags_position(d, bb_srcmap_key(m, first), &line, &col);
    char hint[128];
    snprintf(hint, sizeof(hint), "the first \"%.60s\" is at line %d, column %d; keep only one",
             dup->string, line, col);
    int added = bb_diag_add(
        d, BB_ERROR, "BB0207", rc ? NULL : bb_buf_str(&ptr), bb_srcmap_key(m, dup), hint,
        "duplicate key \"%.200s\": only the first one would be read", dup->string);
    bb_buf_free(&ptr);
    return added == BB_ENOMEM ? BB_ENOMEM : BB_OK;
}

/* Reports the duplicate keys of obj (the node of frame at). */
static int check_object(const bb_srcmap *m, bb_diags *d, const frame *at, const cJSON *obj)
{
    size_t n = 0;
    int rc = BB_OK;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (n <= DUP_LINEAR_MAX) {
        for (const cJSON *c = obj->child; c && !rc; c = c->next)
            for (const cJSON *e = obj->child; e != c; e = e->next)
                if (e->string[0] == c->string[0] && strcmp(e->string, c->string) == 0) {
                    rc = report_duplicate(m, d, at, e, c);
                    break;
                }
        return rc;
    }
    member_ref *refs = bb_malloc(n * sizeof(*refs));
    if (!refs)
        return BB_ENOMEM;
    size_t i = 0;
    for (const cJSON *c = obj->child; c; c = c->next, i++)
        refs[i] = (member_ref){c, i};
    qsort(refs, n, sizeof(*refs), cmp_member);
    /* Sorted by key, then by position: each run's head is the first one. */
    for (size_t k = 1, head = 0; k < n && !rc; k++) {
        if (strcmp(refs[k].node->string, refs[head].node->string) == 0)
            rc = report_duplicate(m, d, at, refs[head].node, refs[k].node);
        else
            head = k;
    }
    bb_free(refs);
    return rc;
}

/* Checks every object under v (frame at), members before their object. */
static int check_tree(const bb_srcmap *m, bb_diags *d, const frame *at, const cJSON *v)
{
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return BB_OK;
    bool object = cJSON_IsObject(v);
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        if (!c->child)
            continue; /* a scalar or an empty container holds no object */
        frame f = {.up = at, .node = c, .index = i, .member = object};
        int rc = check_tree(m, d, &f, c);
        if (rc)
            return rc;
    }
    return object ? check_object(m, d, at, v) : BB_OK;
}

/* ---- the walk over a tree parsed by cJSON ---------------------------------- */

typedef struct walker {
    const char *src;
    size_t len;
    size_t pos;
    bb_srcmap *map;
    bb_diags *d;
    int rc;
} walker;

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

static bool walk(walker *w, const frame *at, const cJSON *v, size_t key_off);

static bool walk_children(walker *w, const frame *at, const cJSON *v, bool object)
{
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        if (c != v->child && !expect(w, ','))
            return false;
        size_t key_off = BB_NO_OFFSET;
        if (object) {
            skip_ws(w);
            key_off = w->pos;
            if (!skip_string(w) || !expect(w, ':'))
                return false;
        }
        frame f = {.up = at, .node = c, .index = i, .member = object};
        if (!walk(w, &f, c, key_off))
            return false;
    }
    return expect(w, object ? '}' : ']');
}

static bool walk(walker *w, const frame *at, const cJSON *v, size_t key_off)
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
        if (!walk_children(w, at, v, object))
            return false;
        if (object)
            w->rc = check_object(w->map, w->d, at, v);
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
    bb_srcmap *m = bb_calloc(1, sizeof(*m));
    entry *slots = bb_calloc(cap, sizeof(*slots));
    if (!m || !slots) {
        bb_free(m);
        bb_free(slots);
        return BB_ENOMEM;
    }
    m->slots = slots;
    m->mask = cap - 1;
    walker w = {.src = src, .len = len, .map = m, .d = d};
    /* cJSON skips a UTF-8 byte order mark; so does the walk. */
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
        w.pos = 3;
    bool ok = walk(&w, NULL, root, BB_NO_OFFSET);
    if (w.rc) {
        bb_srcmap_free(m);
        return w.rc;
    }
    *out = m;
    return ok ? BB_OK : BB_ESTATE;
}

/* ---- the parser for plain JSON --------------------------------------------- */

/*
 * Strict JSON only: whitespace is space, tab, CR and LF; strings hold no
 * control byte and no \u escape; numbers follow the JSON grammar and are
 * under 64 characters. On such text cJSON builds the very same tree (same
 * types, strings and numbers: strtod with the locale's decimal point, as
 * cJSON does), so the loader cannot tell the two apart. Anything else makes
 * the parse give up, and the caller hands the text to cJSON, which accepts
 * or rejects it with its own rules and messages.
 */
typedef struct parser {
    const char *src;
    size_t len, pos;
    cJSON *nodes;
    size_t n, cap;
    uint32_t *value_off, *key_off;
    char *str; /* decoded strings, NUL-terminated, one after the other */
    size_t depth;
} parser;

/* Deeper than this, the text goes to cJSON (which has its own limit). */
#define PARSE_DEPTH_MAX 512

static void p_ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->src[p->pos];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            break;
        p->pos++;
    }
}

/* Bytes a string holds as they are: not a quote, a backslash, a control
 * byte or the NUL. */
/* clang-format off */
static const bool plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
/* clang-format on */

/* The string at p->pos (on its quote), decoded into p->str; NULL when it is
 * not plain. */
static char *p_string(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->src;
    size_t i = p->pos + 1;
    char *out = p->str, *o = out;
    for (;;) {
        /* Plain bytes go in runs; the NUL after the text ends the last. */
        size_t start = i;
        while (plain_byte[s[i]])
            i++;
        memcpy(o, s + start, i - start);
        o += i - start;
        if (i >= p->len || s[i] < 0x20)
            return NULL;
        if (s[i] == '"')
            break;
        if (i + 1 >= p->len)
            return NULL;
        char c;
        switch (s[i + 1]) {
        case '"':
            c = '"';
            break;
        case '\\':
            c = '\\';
            break;
        case '/':
            c = '/';
            break;
        case 'b':
            c = '\b';
            break;
        case 'f':
            c = '\f';
            break;
        case 'n':
            c = '\n';
            break;
        case 'r':
            c = '\r';
            break;
        case 't':
            c = '\t';
            break;
        default:
            return NULL; /* \u escapes and errors: cJSON's business */
        }
        *o++ = c;
        i += 2;
    }
    *o++ = '\0';
    p->str = o;
    p->pos = i + 1;
    return out;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The number at p->pos into v; false when it is not plain JSON. */
static bool p_number(parser *p, cJSON *v)
{
    const char *s = p->src + p->pos, *end = p->src + p->len, *q = s;
    bool neg = false, integral = true;
    if (q < end && *q == '-') {
        neg = true;
        q++;
    }
    if (q >= end || !is_digit(*q))
        return false;
    if (*q == '0')
        q++;
    else
        while (q < end && is_digit(*q))
            q++;
    size_t int_digits = (size_t)(q - s) - neg;
    if (q < end && *q == '.') {
        integral = false;
        if (++q >= end || !is_digit(*q))
            return false;
        while (q < end && is_digit(*q))
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        integral = false;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (q >= end || !is_digit(*q))
            return false;
        while (q < end && is_digit(*q))
            q++;
    }
    size_t n = (size_t)(q - s);
    /* cJSON reads a number's characters into a 64-byte buffer. */
    if (n >= 64 || (q < end && strchr("+-.eE", *q) && *q))
        return false;
    double x;
    if (integral && int_digits <= 15) {
        long long i = 0;
        for (const char *d = s + neg; d < q; d++)
            i = i * 10 + (*d - '0');
        x = (double)i; /* exact: strtod gives the same */
        if (neg)
            x = -x;
    } else {
        char buf[64];
        char point = localeconv()->decimal_point[0];
        memcpy(buf, s, n);
        buf[n] = '\0';
        for (size_t k = 0; k < n; k++)
            if (buf[k] == '.')
                buf[k] = point;
        char *after = NULL;
        x = strtod(buf, &after);
        if (after != buf + n)
            return false;
    }
    v->type = cJSON_Number;
    v->valuedouble = x;
    v->valueint = x >= INT_MAX ? INT_MAX : x <= (double)INT_MIN ? INT_MIN : (int)x;
    p->pos += n;
    return true;
}

static bool p_literal(parser *p, const char *word, size_t n)
{
    if (p->len - p->pos < n || memcmp(p->src + p->pos, word, n) != 0)
        return false;
    p->pos += n;
    return true;
}

static cJSON *p_value(parser *p, size_t key_off);

/* The members or items of the container v, up to its closing bracket. */
static bool p_children(parser *p, cJSON *v, bool object)
{
    char close = object ? '}' : ']';
    p_ws(p);
    if (p->pos < p->len && p->src[p->pos] == close) {
        p->pos++;
        return true;
    }
    cJSON *last = NULL;
    for (;;) {
        size_t key_off = BB_NO_OFFSET;
        char *key = NULL;
        p_ws(p);
        if (object) {
            if (p->pos >= p->len || p->src[p->pos] != '"')
                return false;
            key_off = p->pos;
            if (!(key = p_string(p)))
                return false;
            p_ws(p);
            if (p->pos >= p->len || p->src[p->pos] != ':')
                return false;
            p->pos++;
            p_ws(p);
        }
        cJSON *c = p_value(p, key_off);
        if (!c)
            return false;
        c->string = key;
        if (last) {
            last->next = c;
            c->prev = last;
        } else {
            v->child = c;
        }
        last = c;
        p_ws(p);
        if (p->pos >= p->len)
            return false;
        char sep = p->src[p->pos++];
        if (sep == close)
            break;
        if (sep != ',')
            return false;
    }
    v->child->prev = last; /* as cJSON links them: the head knows the tail */
    return true;
}

/* The value at p->pos (whitespace skipped); NULL when it is not plain. */
static cJSON *p_value(parser *p, size_t key_off)
{
    if (p->pos >= p->len || p->n == p->cap)
        return NULL;
    size_t idx = p->n++;
    cJSON *v = &p->nodes[idx];
    *v = (cJSON){0}; /* a few stores, where memset() would be a call */
    p->value_off[idx] = (uint32_t)p->pos;
    p->key_off[idx] = key_off == BB_NO_OFFSET ? NO_OFF32 : (uint32_t)key_off;
    char c = p->src[p->pos];
    switch (c) {
    case '{':
    case '[':
        if (++p->depth > PARSE_DEPTH_MAX)
            return NULL;
        v->type = c == '{' ? cJSON_Object : cJSON_Array;
        p->pos++;
        if (!p_children(p, v, c == '{'))
            return NULL;
        p->depth--;
        return v;
    case '"':
        v->type = cJSON_String;
        return (v->valuestring = p_string(p)) ? v : NULL;
    case 't':
        v->type = cJSON_True;
        return p_literal(p, "true", 4) ? v : NULL;
    case 'f':
        v->type = cJSON_False;
        return p_literal(p, "false", 5) ? v : NULL;
    case 'n':
        v->type = cJSON_NULL;
        return p_literal(p, "null", 4) ? v : NULL;
    default:
        return p_number(p, v) ? v : NULL;
    }
}

/* 0x80 in each byte of w that equals the byte repeated in pattern, exactly
 * (no carry crosses a byte). */
static uint64_t bytes_equal(uint64_t w, uint64_t pattern)
{
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
    uint64_t t = w ^ pattern;
    return ~(((t & low7) + low7) | t | low7);
}

/* The number of bytes of each 16-bit lane of acc (which holds byte counts)
 * added up. */
static size_t sum_bytes(uint64_t acc)
{
    const uint64_t lanes = 0x00FF00FF00FF00FFULL;
    uint64_t x = (acc & lanes) + ((acc >> 8) & lanes);
    return (size_t)((x * 0x0001000100010001ULL) >> 48);
}

/* An upper bound of the values in src: the root, one per container (its
 * first item) and one per comma. Counted eight bytes at a time. */
static size_t max_values(const char *src, size_t len)
{
    const uint64_t ones = 0x0101010101010101ULL;
    size_t n = 1, i = 0;
    while (len - i >= 8) {
        uint64_t acc = 0; /* per byte: matches so far, at most 128 */
        for (size_t k = 0; k < 128 && len - i >= 8; k++, i += 8) {
            uint64_t w;
            memcpy(&w, src + i, 8);
            uint64_t hit = bytes_equal(w, ones * ',') | bytes_equal(w, ones * '{') |
                           bytes_equal(w, ones * '[');
            acc += hit >> 7;
        }
        n += sum_bytes(acc);
    }
    for (; i < len; i++)
        n += (src[i] == ',') + (src[i] == '{') + (src[i] == '[');
    return n;
}

int bb_srcmap_parse(const char *src, size_t len, bb_arena *strings, bb_diags *d, cJSON **root,
                    bb_srcmap **out)
{
    *root = NULL;
    *out = NULL;
    if (len >= NO_OFF32 || src[len] != '\0')
        return BB_ESTATE;
    size_t cap = max_values(src, len);
    /* Nodes, then both offset arrays, then room for every string decoded
     * (never longer than its quoted source). */
    if (cap > (SIZE_MAX - len - 1) / (sizeof(cJSON) + 2 * sizeof(uint32_t)))
        return BB_ESTATE;
    size_t bytes = cap * (sizeof(cJSON) + 2 * sizeof(uint32_t)) + (strings ? 0 : len + 1);
    char *str = strings ? bb_arena_alloc(strings, len + 1) : NULL;
    bb_srcmap *m = bb_calloc(1, sizeof(*m));
    char *block = bb_malloc(bytes);
    if (!m || !block || (strings && !str)) {
        bb_free(m);
        bb_free(block);
        return BB_ENOMEM;
    }
    parser p = {.src = src, .len = len, .nodes = (cJSON *)(void *)block, .cap = cap};
    p.value_off = (uint32_t *)(void *)(block + cap * sizeof(cJSON));
    p.key_off = p.value_off + cap;
    p.str = strings ? str : (char *)(p.key_off + cap);
    m->nodes = p.nodes;
    m->value_off = p.value_off;
    m->key_off = p.key_off;
    /* cJSON skips a UTF-8 byte order mark; so does the parse. */
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
        p.pos = 3;
    p_ws(&p);
    cJSON *v = p_value(&p, BB_NO_OFFSET);
    if (v)
        p_ws(&p);
    if (!v || p.pos != len) {
        bb_srcmap_free(m);
        return BB_ESTATE;
    }
    m->n_nodes = p.n;
    int rc = check_tree(m, d, NULL, v);
    if (rc) {
        bb_srcmap_free(m);
        return rc;
    }
    *root = v;
    *out = m;
    return BB_OK;
}
