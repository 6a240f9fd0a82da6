/*
 * srcmap.c - the JSON reader: cJSON's grammar, one pass, offsets kept (see
 * srcmap.h).
 *
 * The nodes are built in one block, in document order, beside three arrays
 * of offsets, so a node's offsets are found by its index in the block and a
 * node by its offset (the value offsets grow with the index). Duplicate
 * keys are checked object by object after the parse (post-order), and a
 * JSON Pointer is only built for a duplicate found.
 *
 * cJSON's rules, as version 1.7 applies them, are followed to the letter
 * where they are looser than JSON: whitespace is any byte up to 32;
 * strings may hold control bytes, and a \u escape with a bad hex digit
 * reads as U+0000; a number is read by strtod() (with the locale's decimal
 * point) from the run of "0123456789+-eE." it starts, and ends where
 * strtod() stops; nesting stops at CJSON_NESTING_LIMIT. (cJSON 1.7.15 as
 * Debian ships it, and 1.7.18 on: no cap on a number's length.)
 */
#include "json/srcmap.h"

#include <cJSON.h>
#include <limits.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Offsets are kept in 32 bits: the arrays are walked once per node, and
 * their size decides the cache misses. */
#define NO_OFF32 UINT32_MAX

/* A duplicate's pointer longer than this is cut short. */
#define DUP_POINTER_MAX 4096

struct bb_srcmap {
    /* nodes[i] spans value_off[i] to end_off[i]; its key is at key_off[i]. */
    cJSON *nodes;
    uint32_t *value_off, *end_off, *key_off;
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

/* Index of node in the map's block, or -1 when it is not one of them. */
static ptrdiff_t node_index(const bb_srcmap *m, const cJSON *node)
{
    if (!m || !node)
        return -1;
    uintptr_t p = (uintptr_t)node, base = (uintptr_t)m->nodes;
    if (p < base || p >= base + m->n_nodes * sizeof(cJSON))
        return -1;
    return (ptrdiff_t)((p - base) / sizeof(cJSON));
}

static size_t offset_of(const bb_srcmap *m, const uint32_t *offs, const cJSON *node)
{
    ptrdiff_t i = node_index(m, node);
    return i < 0 || offs[i] == NO_OFF32 ? BB_NO_OFFSET : (size_t)offs[i];
}

size_t bb_srcmap_value(const bb_srcmap *m, const cJSON *node)
{
    return m ? offset_of(m, m->value_off, node) : BB_NO_OFFSET;
}

size_t bb_srcmap_end(const bb_srcmap *m, const cJSON *node)
{
    return m ? offset_of(m, m->end_off, node) : BB_NO_OFFSET;
}

size_t bb_srcmap_key(const bb_srcmap *m, const cJSON *node)
{
    return m ? offset_of(m, m->key_off, node) : BB_NO_OFFSET;
}

const cJSON *bb_srcmap_node_at(const bb_srcmap *m, size_t off)
{
    if (!m || off >= NO_OFF32)
        return NULL;
    size_t lo = 0, hi = m->n_nodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->value_off[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n_nodes && m->value_off[lo] == off ? &m->nodes[lo] : NULL;
}

void bb_srcmap_free(bb_srcmap *m)
{
    if (!m)
        return;
    bb_free(m->nodes);
    bb_free(m);
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

/* ---- the parser ------------------------------------------------------------ */

typedef struct parser {
    const char *src;
    size_t len, pos;
    cJSON *nodes;
    size_t n, cap;
    uint32_t *value_off, *end_off, *key_off;
    char *str; /* decoded strings, NUL-terminated, one after the other */
    size_t depth;
    char point; /* the locale's decimal point, for strtod() */
} parser;

/* cJSON's whitespace: every byte from 1 to 32 (the NUL ends the text). */
static void p_ws(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->src;
    while (p->pos < p->len && s[p->pos] <= 32)
        p->pos++;
}

/* Bytes a string holds as they are: all but the quote, the backslash and
 * the NUL (the NUL after the text ends a run at the end). */
/* clang-format off */
static const bool plain_byte[256] = {
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
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

/* Four hex digits as cJSON reads them: a bad digit makes the whole 0. */
static unsigned hex4(const unsigned char *s)
{
    unsigned h = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return 0;
        h = h << 4 | d;
    }
    return h;
}

/* The \u escape (or surrogate pair) at s, before end (the closing quote),
 * as UTF-8 at *o; the escape's length, or 0 when cJSON refuses it. */
static size_t utf16_escape(const unsigned char *s, const unsigned char *end, char **o)
{
    if (end - s < 6)
        return 0;
    unsigned long cp = hex4(s + 2);
    size_t n = 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return 0;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        const unsigned char *lo_at = s + 6;
        if (end - lo_at < 6 || lo_at[0] != '\\' || lo_at[1] != 'u')
            return 0;
        unsigned lo = hex4(lo_at + 2);
        if (lo < 0xDC00 || lo > 0xDFFF)
            return 0;
        cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
        n = 12;
    }
    unsigned char *u = (unsigned char *)*o;
    size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (size_t i = k - 1; i > 0; i--) {
        u[i] = (unsigned char)((cp & 0x3F) | 0x80);
        cp >>= 6;
    }
    u[0] = (unsigned char)(k == 1 ? cp : cp | lead[k]);
    *o += k;
    return n;
}

/* Decodes the escapes from s up to end (the closing quote) into *o, as
 * cJSON does; false at an escape it refuses (p->pos is then that escape). */
static bool p_escapes(parser *p, const unsigned char *s, const unsigned char *end, char **o)
{
    while (s < end) {
        if (*s != '\\') {
            *(*o)++ = (char)*s++;
            continue;
        }
        size_t n = 2;
        switch (s[1]) {
        case 'b':
            *(*o)++ = '\b';
            break;
        case 'f':
            *(*o)++ = '\f';
            break;
        case 'n':
            *(*o)++ = '\n';
            break;
        case 'r':
            *(*o)++ = '\r';
            break;
        case 't':
            *(*o)++ = '\t';
            break;
        case '"':
        case '\\':
        case '/':
            *(*o)++ = (char)s[1];
            break;
        case 'u':
            n = utf16_escape(s, end, o);
            break;
        default:
            n = 0;
        }
        if (!n) {
            p->pos = (size_t)(s - (const unsigned char *)p->src);
            return false;
        }
        s += n;
    }
    return true;
}

/* The string at p->pos (on its quote), decoded into p->str; NULL when cJSON
 * would refuse it. */
static char *p_string(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->src;
    size_t i = p->pos + 1;
    char *out = p->str, *o = out;
    /* Plain bytes go in one run: most strings are nothing else. */
    size_t start = i;
    while (plain_byte[s[i]])
        i++;
    memcpy(o, s + start, i - start);
    o += i - start;
    if (i >= p->len)
        return NULL;
    if (s[i] == '\\') {
        /* As cJSON: find the end first (a backslash hides the byte after
         * it), then decode up to it. */
        size_t end = i;
        while (end < p->len && s[end] != '"')
            end += s[end] == '\\' ? 2 : 1;
        if (end >= p->len)
            return NULL;
        if (!p_escapes(p, s + i, s + end, &o))
            return NULL;
        i = end;
    }
    *o++ = '\0';
    p->str = o;
    p->pos = i + 1;
    return out;
}

static bool is_number_byte(char c)
{
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' || c == 'E' || c == '.';
}

/* strtod() of s[0..n) with '.' as the locale's decimal point; the bytes
 * it read (0: none) in *used. */
static double number_strtod(const parser *p, const char *s, size_t n, size_t *used)
{
    char small[64];
    char *buf = n < sizeof(small) ? small : bb_malloc(n + 1);
    if (!buf) {
        *used = 0;
        return 0;
    }
    for (size_t k = 0; k < n; k++)
        buf[k] = s[k] == '.' ? p->point : s[k];
    buf[n] = '\0';
    char *after = NULL;
    double x = strtod(buf, &after);
    *used = (size_t)(after - buf);
    if (buf != small)
        bb_free(buf);
    return x;
}

/* The number at p->pos into v, read as cJSON reads it; false when strtod()
 * reads none of it. */
static bool p_number(parser *p, cJSON *v)
{
    const char *s = p->src + p->pos;
    size_t run = 0, digits = 0;
    bool neg = s[0] == '-';
    while (p->pos + run < p->len && is_number_byte(s[run]))
        run++;
    for (size_t k = neg; k < run && s[k] >= '0' && s[k] <= '9'; k++)
        digits++;
    double x;
    size_t used = run;
    if (digits && digits <= 15 && neg + digits == run) {
        /* An integer of at most 15 digits: exact, as strtod() reads it. */
        long long i = 0;
        for (size_t k = neg; k < run; k++)
            i = i * 10 + (s[k] - '0');
        x = neg ? -(double)i : (double)i;
    } else {
        x = number_strtod(p, s, run, &used);
        if (!used)
            return false;
    }
    v->type = cJSON_Number;
    v->valuedouble = x;
    v->valueint = x >= INT_MAX ? INT_MAX : x <= (double)INT_MIN ? INT_MIN : (int)x;
    p->pos += used;
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
        char sep = p->src[p->pos];
        if (sep != ',')
            break;
        p->pos++;
    }
    if (p->src[p->pos] != close)
        return false;
    p->pos++;
    v->child->prev = last; /* as cJSON links them: the head knows the tail */
    return true;
}

/* The value at p->pos (whitespace skipped); NULL when cJSON would refuse
 * it (p->pos is then where reading stopped). */
static cJSON *p_value(parser *p, size_t key_off)
{
    if (p->pos >= p->len || p->n == p->cap)
        return NULL;
    size_t idx = p->n++;
    cJSON *v = &p->nodes[idx];
    *v = (cJSON){0}; /* a few stores, where memset() would be a call */
    p->value_off[idx] = (uint32_t)p->pos;
    p->key_off[idx] = key_off == BB_NO_OFFSET ? NO_OFF32 : (uint32_t)key_off;
    bool ok;
    char c = p->src[p->pos];
    switch (c) {
    case '{':
    case '[':
        if (p->depth >= CJSON_NESTING_LIMIT)
            return NULL;
        p->depth++;
        v->type = c == '{' ? cJSON_Object : cJSON_Array;
        p->pos++;
        ok = p_children(p, v, c == '{');
        p->depth--;
        break;
    case '"':
        v->type = cJSON_String;
        ok = (v->valuestring = p_string(p)) != NULL;
        break;
    case 't':
        v->type = cJSON_True;
        v->valueint = 1;
        ok = p_literal(p, "true", 4);
        break;
    case 'f':
        v->type = cJSON_False;
        ok = p_literal(p, "false", 5);
        break;
    case 'n':
        v->type = cJSON_NULL;
        ok = p_literal(p, "null", 4);
        break;
    default:
        ok = (c == '-' || (c >= '0' && c <= '9')) && p_number(p, v);
    }
    p->end_off[idx] = (uint32_t)p->pos;
    return ok ? v : NULL;
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

/* Room for cap nodes, their offsets and every string decoded (never longer
 * than its quoted source), in one block. */
static int new_map(size_t cap, size_t len, bb_srcmap **out, char **strings)
{
    size_t per_node = sizeof(cJSON) + 3 * sizeof(uint32_t);
    if (cap > (SIZE_MAX - len - 1) / per_node)
        return BB_ENOMEM;
    bb_srcmap *m = bb_calloc(1, sizeof(*m));
    char *block = m ? bb_malloc(cap * per_node + len + 1) : NULL;
    if (!block) {
        bb_free(m);
        return BB_ENOMEM;
    }
    m->nodes = (cJSON *)(void *)block;
    m->value_off = (uint32_t *)(void *)(block + cap * sizeof(cJSON));
    m->end_off = m->value_off + cap;
    m->key_off = m->end_off + cap;
    *strings = (char *)(m->key_off + cap);
    *out = m;
    return BB_OK;
}

int bb_srcmap_parse(const char *src, size_t len, bb_diags *d, cJSON **root, bb_srcmap **out,
                    size_t *err_at)
{
    *root = NULL;
    *out = NULL;
    if (err_at)
        *err_at = 0;
    if (len >= NO_OFF32 || src[len] != '\0')
        return BB_EINVAL;
    size_t cap = max_values(src, len);
    bb_srcmap *m;
    char *strings;
    int rc = new_map(cap, len, &m, &strings);
    if (rc)
        return rc;
    parser p = {.src = src, .len = len, .nodes = m->nodes, .cap = cap, .str = strings};
    p.value_off = m->value_off;
    p.end_off = m->end_off;
    p.key_off = m->key_off;
    p.point = localeconv()->decimal_point[0];
    /* cJSON skips a UTF-8 byte order mark when more follows it. */
    if (len >= 4 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
        p.pos = 3;
    p_ws(&p);
    cJSON *v = p_value(&p, BB_NO_OFFSET);
    if (v)
        p_ws(&p);
    if (!v || p.pos != len) {
        if (err_at)
            *err_at = p.pos;
        bb_srcmap_free(m);
        return BB_EINVAL;
    }
    m->n_nodes = p.n;
    rc = d ? check_tree(m, d, NULL, v) : BB_OK;
    if (rc) {
        bb_srcmap_free(m);
        return rc;
    }
    *root = v;
    *out = m;
    return BB_OK;
}
