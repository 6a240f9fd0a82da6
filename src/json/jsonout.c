/* jsonout.c - JSON text as cJSON prints it (see jsonout.h). */
#include "json/jsonout.h"

#include <cJSON.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * json_escape[c]: 0 when c stands for itself, 'u' for the \u00xx form,
 * else the letter after the backslash.
 */
/* clang-format off */
static const char json_escape[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    ['"'] = '"', ['\\'] = '\\',
};
/* clang-format on */

#if defined(__SSE2__)
/* 0xff in each byte of x that needs an escape: `"`, `\` or below 0x20. */
static inline __m128i special_bytes(__m128i x)
{
    const __m128i control_max = _mm_set1_epi8(0x1f);
    /* x <= 0x1f as unsigned bytes: max(x, 0x1f) is 0x1f */
    __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(x, control_max), control_max);
    __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    __m128i backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    return _mm_or_si128(control, _mm_or_si128(quote, backslash));
}

/* Bit i set when byte i of x needs an escape. */
static inline unsigned special_mask(__m128i x)
{
    return (unsigned)_mm_movemask_epi8(special_bytes(x));
}

/* The sum of the 16 byte counters in acc. */
static inline size_t sum_bytes(__m128i acc)
{
    __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
    return (size_t)_mm_cvtsi128_si32(sums) + (size_t)_mm_extract_epi16(sums, 4);
}
#endif

/* How many bytes from s on need no escape (a NUL needs one: it ends the
 * string). Only the slow path near a buffer's cap uses it. */
static size_t plain_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n && !json_escape[s[i]])
        i++;
    return i;
}

/* How many bytes of s need an escape. Counted sixteen lanes at a time:
 * each lane's counter is a byte, summed before it can wrap. */
static size_t count_special(const unsigned char *s, size_t n)
{
    size_t i = 0, count = 0;
#if defined(__SSE2__)
    while (i + 16 <= n) {
        __m128i acc = _mm_setzero_si128();
        for (int k = 0; k < 255 && i + 16 <= n; k++, i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            acc = _mm_sub_epi8(acc, special_bytes(x)); /* 0xff is -1 */
        }
        count += sum_bytes(acc);
    }
#endif
    for (; i < n; i++)
        count += json_escape[s[i]] != 0;
    return count;
}

/* The escape of c (not plain, not NUL) into out; returns its length. */
static size_t escape_of(unsigned char c, char out[6])
{
    static const char hex[] = "0123456789abcdef";
    char e = json_escape[c];
    out[0] = '\\';
    out[1] = e;
    if (e != 'u')
        return 2;
    out[2] = '0';
    out[3] = '0';
    out[4] = hex[c >> 4];
    out[5] = hex[c & 15];
    return 6;
}

#if defined(__SSE2__)
/*
 * The block of 16 bytes at s (x, with mask its special bytes), escapes and
 * all, written at w; returns the end, or NULL at a NUL (the string ends:
 * *w_end is then where). The 16 bytes after the block must be readable:
 * after each escape the rest of the block is stored from a fresh load.
 */
static char *write_block(char *w, const unsigned char *s, __m128i x, unsigned mask, char **w_end)
{
    size_t from = 0; /* the block's bytes before it are written */
    _mm_storeu_si128((__m128i *)(void *)w, x);
    while (mask) {
        size_t k = (size_t)__builtin_ctz(mask);
        mask &= mask - 1;
        w += k - from;
        if (!s[k]) {
            *w_end = w;
            return NULL;
        }
        w += escape_of(s[k], w);
        from = k + 1;
        _mm_storeu_si128((__m128i *)(void *)w,
                         _mm_loadu_si128((const __m128i *)(const void *)(s + from)));
    }
    return w + (16 - from);
}
#endif

/*
 * Writes s as JSON at w, quotes included, and returns the end. w has room
 * for the escaped text plus 16 bytes: blocks are stored sixteen bytes at a
 * time, even when only the first few of them are kept. Generated Python
 * needs an escape every ~17 bytes, so a block's escapes are written
 * without leaving it; the last 16 to 31 bytes, whose next block cannot be
 * read, go byte by byte.
 */
static char *write_escaped(char *w, const unsigned char *s, size_t n)
{
    size_t i = 0;
    *w++ = '"';
#if defined(__SSE2__)
    for (; i + 32 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        char *end;
        w = write_block(w, s + i, x, special_mask(x), &end);
        if (!w) {
            *end++ = '"';
            return end;
        }
    }
#endif
    for (; i < n && s[i]; i++) {
        if (json_escape[s[i]])
            w += escape_of(s[i], w);
        else
            *w++ = (char)s[i];
    }
    *w++ = '"';
    return w;
}

/* The slow path for a string near the buffer's cap: exact appends. */
static int put_by_runs(bb_buf *b, const unsigned char *s, size_t n)
{
    int rc = bb_buf_putc(b, '"');
    for (size_t i = 0; !rc && i < n;) {
        size_t run = plain_run(s + i, n - i);
        rc = bb_buf_append(b, s + i, run);
        i += run;
        if (rc || i == n || !s[i])
            break;
        char esc[6];
        rc = bb_buf_append(b, esc, escape_of(s[i++], esc));
    }
    return rc ? rc : bb_buf_putc(b, '"');
}

int bb_json_put_string(bb_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t start = b->len;
    /* at most 6 bytes per escape, 2 quotes, 16 bytes of block slack */
    size_t bound = n + 5 * count_special(s, n) + 2 + 16;
    int rc = bound > n ? bb_buf_reserve(b, bound) : BB_ELIMIT;
    if (!rc) {
        char *end = write_escaped(b->data + b->len, s, n);
        b->len = (size_t)(end - b->data);
        b->data[b->len] = '\0';
        return BB_OK;
    }
    if (rc == BB_ELIMIT)
        rc = put_by_runs(b, s, n);
    if (rc && b->data) {
        b->len = start;
        b->data[start] = '\0';
    }
    return rc;
}

/*
 * The tree printer. A manifest or a plan is many short pieces: they are
 * copied in place while they fit (the NUL bb_buf keeps is written at the
 * end, by bb_json_print); past the capacity, bb_buf grows.
 */
static inline int room(bb_buf *b, size_t n)
{
    return b->data && n < b->cap - b->len ? BB_OK : bb_buf_reserve(b, n);
}

static inline int put_raw(bb_buf *b, const char *p, size_t n)
{
    int rc = room(b, n);
    if (!rc) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
    return rc;
}

static inline int put_byte(bb_buf *b, char c)
{
    int rc = room(b, 1);
    if (!rc)
        b->data[b->len++] = c;
    return rc;
}

/* A string of the tree (NULL prints as ""). A short one is written at
 * once into room for its worst case; a long one, or one near the cap,
 * takes the measured path. */
static int put_tree_string(bb_buf *b, const char *s)
{
    if (!s)
        return put_raw(b, "\"\"", 2);
    size_t n = strlen(s);
    if (n <= 256 && room(b, 6 * n + 2 + 16) == BB_OK) {
        char *end = write_escaped(b->data + b->len, (const unsigned char *)s, n);
        b->len = (size_t)(end - b->data);
        return BB_OK;
    }
    return bb_json_put_string(b, s, n);
}

/* A whole number below 10^15 in decimal, as %1.15g writes it. */
static int put_integer(bb_buf *b, long long v)
{
    char digits[24], *p = digits + sizeof(digits);
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    return put_raw(b, p, (size_t)(digits + sizeof(digits) - p));
}

/* A number as cJSON 1.7 prints it: 15 significant digits, or 17 when
 * those do not read back within cJSON's tolerance; NaN and infinities as
 * null. Whole numbers, most of what backbone's documents hold, need no
 * printf. */
static int put_number(bb_buf *b, const cJSON *v)
{
    double d = v->valuedouble;
    char text[32];
    if (isnan(d) || isinf(d))
        return put_raw(b, "null", 4);
    if (fabs(d) < 1e15 && d == (double)(long long)d && (d != 0 || !signbit(d)))
        return put_integer(b, (long long)d);
    snprintf(text, sizeof(text), "%1.15g", d);
    double back = strtod(text, NULL);
    double larger = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
    if (!(fabs(back - d) <= larger * DBL_EPSILON))
        snprintf(text, sizeof(text), "%1.17g", d);
    return put_raw(b, text, strlen(text));
}

static int put_tabs(bb_buf *b, size_t n)
{
    static const char tabs[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
    int rc = BB_OK;
    while (!rc && n) {
        size_t k = n < sizeof(tabs) - 1 ? n : sizeof(tabs) - 1;
        rc = put_raw(b, tabs, k);
        n -= k;
    }
    return rc;
}

/*
 * The written form of object keys (the quoted key), found by the key's
 * address. A manifest or a normalized schema repeats a few dozen literal
 * keys in every table and column: each is escaped once per print instead
 * of once per member. Valid for one print: the tree is not changed while
 * it is printed, so an address stands for one string. Made only once a
 * print has written KEY_CACHE_AFTER keys, so small documents skip it.
 */
#define KEY_SLOTS_LOG2 8
#define KEY_SLOTS (1u << KEY_SLOTS_LOG2)
#define KEY_PROBES 8
#define KEY_TEXT_MAX 40
#define KEY_CACHE_AFTER 64

typedef struct key_cache {
    const char *key[KEY_SLOTS];
    unsigned char len[KEY_SLOTS];
    char text[KEY_SLOTS][KEY_TEXT_MAX];
} key_cache;

typedef struct printer {
    bb_buf *b;
    bool formatted;
    size_t keys;   /* keys written so far */
    key_cache *kc; /* NULL until KEY_CACHE_AFTER keys, or when out of memory */
} printer;

static int put_key(printer *p, const char *key)
{
    bb_buf *b = p->b;
    if (!p->kc && ++p->keys == KEY_CACHE_AFTER)
        p->kc = bb_calloc(1, sizeof(*p->kc));
    key_cache *kc = p->kc;
    if (!kc || !key)
        return put_tree_string(b, key);
    /* Fibonacci hashing (literals lie close together, their low bits
     * alike), then a few slots on: a key is cached in the first free one
     * and never moved, so two keys do not keep evicting each other. */
    size_t home =
        (size_t)(((uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15u) >> (64 - KEY_SLOTS_LOG2));
    size_t slot = KEY_SLOTS;
    for (size_t i = 0; i < KEY_PROBES; i++) {
        size_t at = (home + i) % KEY_SLOTS;
        if (kc->key[at] == key)
            return put_raw(b, kc->text[at], kc->len[at]);
        if (!kc->key[at]) {
            slot = at;
            break;
        }
    }
    size_t start = b->len;
    int rc = put_tree_string(b, key);
    size_t n = b->len - start;
    if (!rc && slot < KEY_SLOTS && n <= KEY_TEXT_MAX) {
        memcpy(kc->text[slot], b->data + start, n);
        kc->key[slot] = key;
        kc->len[slot] = (unsigned char)n;
    }
    return rc;
}

static int print_value(printer *p, const cJSON *v, size_t depth);

static int print_array(printer *p, const cJSON *v, size_t depth)
{
    bb_buf *b = p->b;
    int rc = put_byte(b, '[');
    for (const cJSON *c = v->child; !rc && c; c = c->next) {
        rc = print_value(p, c, depth + 1);
        if (!rc && c->next)
            rc = p->formatted ? put_raw(b, ", ", 2) : put_byte(b, ',');
    }
    return rc ? rc : put_byte(b, ']');
}

/* Formatted, cJSON puts each member on its own line, indented by tabs,
 * with a tab after the colon; "{\n}" for an empty object. */
static int print_object(printer *p, const cJSON *v, size_t depth)
{
    bb_buf *b = p->b;
    bool f = p->formatted;
    int rc = f ? put_raw(b, "{\n", 2) : put_byte(b, '{');
    for (const cJSON *c = v->child; !rc && c; c = c->next) {
        if (f)
            rc = put_tabs(b, depth + 1);
        if (!rc)
            rc = put_key(p, c->string);
        if (!rc)
            rc = f ? put_raw(b, ":\t", 2) : put_byte(b, ':');
        if (!rc)
            rc = print_value(p, c, depth + 1);
        if (!rc && c->next)
            rc = put_byte(b, ',');
        if (!rc && f)
            rc = put_byte(b, '\n');
    }
    if (!rc && f)
        rc = put_tabs(b, depth);
    return rc ? rc : put_byte(b, '}');
}

static int print_value(printer *p, const cJSON *v, size_t depth)
{
    bb_buf *b = p->b;
    switch (v->type & 0xFF) {
    case cJSON_NULL:
        return put_raw(b, "null", 4);
    case cJSON_False:
        return put_raw(b, "false", 5);
    case cJSON_True:
        return put_raw(b, "true", 4);
    case cJSON_Number:
        return put_number(b, v);
    case cJSON_Raw:
        return v->valuestring ? put_raw(b, v->valuestring, strlen(v->valuestring)) : BB_EINVAL;
    case cJSON_String:
        return put_tree_string(b, v->valuestring);
    case cJSON_Array:
        return print_array(p, v, depth);
    case cJSON_Object:
        return print_object(p, v, depth);
    default:
        return BB_EINVAL;
    }
}

int bb_json_print(bb_buf *b, const cJSON *v, bool formatted)
{
    size_t start = b->len;
    printer p = {b, formatted, 0, NULL};
    int rc = v ? print_value(&p, v, 0) : BB_EINVAL;
    bb_free(p.kc);
    if (rc)
        b->len = start; /* as bb_buf leaves a buffer an append failed on */
    if (b->data)
        b->data[b->len] = '\0';
    return rc;
}
