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

/* How many bytes from s on need no escape (a NUL needs one: it ends the
 * string). */
static size_t plain_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i control_max = _mm_set1_epi8(0x1f);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* x <= 0x1f as unsigned bytes: max(x, 0x1f) is 0x1f */
        __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(x, control_max), control_max);
        __m128i special = _mm_or_si128(
            control, _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)));
        unsigned mask = (unsigned)_mm_movemask_epi8(special);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
    while (i < n && !json_escape[s[i]])
        i++;
    return i;
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

int bb_json_put_string(bb_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t start = b->len;
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
    if (!rc)
        rc = bb_buf_putc(b, '"');
    if (rc && b->data) {
        b->len = start;
        b->data[start] = '\0';
    }
    return rc;
}
