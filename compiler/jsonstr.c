/* jsonstr.c - JSON string literals (see jsonstr.h). */
#include "jsonstr.h"

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
 * string). */
static size_t plain_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        unsigned mask = special_mask(_mm_loadu_si128((const __m128i *)(const void *)(s + i)));
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
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

/*
 * Writes s as JSON at w, quotes included, and returns the end. w has room
 * for the escaped text plus 16 bytes: plain blocks are stored sixteen
 * bytes at a time, even when only the first few of them are kept.
 */
static char *write_escaped(char *w, const unsigned char *s, size_t n)
{
    size_t i = 0;
    *w++ = '"';
    for (;;) {
#if defined(__SSE2__)
        while (i + 16 <= n) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            unsigned mask = special_mask(x);
            _mm_storeu_si128((__m128i *)(void *)w, x);
            size_t k = mask ? (size_t)__builtin_ctz(mask) : 16;
            w += k;
            i += k;
            if (mask)
                break;
        }
#endif
        while (i < n && !json_escape[s[i]])
            *w++ = (char)s[i++];
        if (i == n || !s[i])
            break;
        w += escape_of(s[i++], w);
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
