/*
 * pystring.c - string literals as Black normalizes them (see pystring.h):
 * black/strings.py's normalize_string_prefix and normalize_string_quotes.
 */
#include "render/pystring.h"

#include "render/pyline.h"

#include <stdio.h>
#include <string.h>

/* Where the prefix of the literal whose quote is s[quote] starts: up to two
 * prefix letters, not the end of a longer word (`if'x'` has none). */
static size_t prefix_start(const char *s, size_t quote)
{
    size_t p = quote;
    while (p > 0 && quote - p < 2 && s[p - 1] && strchr("rRbBuUfF", s[p - 1]))
        p--;
    return p > 0 && bb_pyline_is_name_byte((unsigned char)s[p - 1]) ? quote : p;
}

bool bb_pystring_wants_normal(const char *s, size_t quote, size_t end)
{
    size_t p = quote > 0 && bb_pyline_is_name_byte((unsigned char)s[quote - 1])
                   ? prefix_start(s, quote)
                   : quote; /* most literals have no prefix */
    for (size_t k = p; k < quote; k++)
        if (s[k] == 'u' || s[k] == 'U' || s[k] == 'F' || s[k] == 'B')
            return true;
    if (quote - p == 2 && (s[p] | 0x20) != 'r')
        return true;
    if (s[quote] == '\'')
        return true;
    if (end - quote >= 6 && !memcmp(s + quote, "\"\"\"", 3))
        return false;
    /* a double-quoted one changes only for an escaped quote */
    for (const char *b = s + quote; (b = memchr(b, '\\', (size_t)(s + end - b))) != NULL; b += 2)
        if (b + 1 < s + end && (b[1] == '"' || b[1] == '\''))
            return true;
    return false;
}

/* Python's str.count: non-overlapping occurrences of w in s[0..n). */
static size_t count_of(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w), c = 0;
    for (size_t i = 0; i + k <= n;)
        if (!memcmp(s + i, w, k)) {
            c++;
            i += k;
        } else {
            i++;
        }
    return c;
}

/* The backslashes at the end of b after its first `from` bytes. */
static size_t trailing_backslashes(const bb_buf *b, size_t from)
{
    size_t k = 0;
    while (b->len - k > from && b->data[b->len - 1 - k] == '\\')
        k++;
    return k;
}

/*
 * s[0..n) into b with the quote q changed where a run of backslashes before
 * it is odd (the quote is escaped) and `escape` is false: one backslash
 * goes; or where the run is even (the quote is bare) and `escape` is true:
 * one is added. Black's sub_twice of its escaped_*_quote and
 * unescaped_new_quote patterns.
 */
static int requote(bb_buf *b, const char *s, size_t n, const char *q, bool escape)
{
    size_t k = strlen(q), from = b->len;
    int rc = BB_OK;
    for (size_t i = 0; i < n && !rc;) {
        if (i + k > n || memcmp(s + i, q, k)) {
            rc = bb_buf_putc(b, s[i++]);
            continue;
        }
        bool odd = trailing_backslashes(b, from) % 2 == 1;
        if (odd && !escape)
            b->len--;
        else if (!odd && escape)
            rc = bb_buf_putc(b, '\\');
        if (!rc)
            rc = bb_buf_append(b, q, k);
        i += k;
    }
    return rc;
}

/* Whether an f-string's replacement fields in s[0..n) hold a backslash:
 * changing the quotes would put one there (Black's check, by its regex). */
static bool fields_hold_backslash(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '{' || (i > 0 && s[i - 1] == '{') || s[i + 1] == '{')
            continue;
        size_t j = i + 2;
        while (j < n && s[j] != '\n' && !(s[j] == '}' && (j + 1 == n || s[j + 1] != '}')))
            j++;
        if (j >= n || s[j] != '}')
            continue;
        if (memchr(s + i + 1, '\\', j - i - 1))
            return true;
        i = j;
    }
    return false;
}

/* The prefix p[0..np) as normalize_string_prefix writes it: F and B lower
 * case, no u, r first. */
static int put_prefix(bb_buf *out, const char *p, size_t np, bool *raw, bool *fstring)
{
    char pre[2];
    size_t n = 0;
    *raw = *fstring = false;
    for (size_t k = 0; k < np && n < 2; k++) {
        char c = p[k] == 'F' ? 'f' : p[k] == 'B' ? 'b' : p[k];
        *raw |= (c | 0x20) == 'r';
        *fstring |= c == 'f';
        if (c != 'u' && c != 'U')
            pre[n++] = c;
    }
    if (n == 2 && (pre[0] | 0x20) != 'r') {
        char t = pre[0];
        pre[0] = pre[1];
        pre[1] = t;
    }
    return bb_buf_append(out, pre, n);
}

/* The literal: prefix p[0..np), then the quoted text q[0..nq). */
static int put_string(bb_buf *out, const char *p, size_t np, const char *q, size_t nq)
{
    bool raw, fstring;
    int rc = put_prefix(out, p, np, &raw, &fstring);
    if (rc || (nq >= 6 && !memcmp(q, "\"\"\"", 3)))
        return rc ? rc : bb_buf_append(out, q, nq);
    const char *orig = nq >= 6 && !memcmp(q, "'''", 3) ? "'''" : q[0] == '"' ? "\"" : "'";
    const char *fresh = !strcmp(orig, "'''") ? "\"\"\"" : q[0] == '"' ? "'" : "\"";
    size_t k = strlen(orig);
    const char *body = q + k;
    size_t n = nq - 2 * k;
    bb_buf b1, b2, b3;
    bb_buf_init(&b1, out->max);
    bb_buf_init(&b2, out->max);
    bb_buf_init(&b3, out->max);
    bool keep = false;
    if (raw) {
        /* no backslash is added or removed in a raw string */
        char esc[8];
        snprintf(esc, sizeof(esc), "\\%s", fresh);
        keep = count_of(body, n, fresh) != count_of(body, n, esc);
        rc = bb_buf_append(&b3, body, n);
    } else if (!(rc = requote(&b1, body, n, fresh, false))) {
        body = bb_buf_str(&b1); /* needless escapes go even if the quotes stay */
        n = b1.len;
        if (!(rc = requote(&b2, body, n, orig, false)))
            rc = requote(&b3, bb_buf_str(&b2), b2.len, fresh, true);
    }
    if (!rc && !keep && fstring)
        keep = fields_hold_backslash(bb_buf_str(&b3), b3.len);
    if (!rc && !keep && k == 3 && b3.len && b3.data[b3.len - 1] == '"') {
        b3.len--;
        rc = bb_buf_puts(&b3, "\\\"");
    }
    if (!rc && !keep) {
        size_t was = count_of(body, n, "\\"), now = count_of(bb_buf_str(&b3), b3.len, "\\");
        keep = now > was || (now == was && orig[0] == '"');
    }
    if (!rc) {
        const char *quote = keep ? orig : fresh;
        const char *text = keep ? body : b3.data;
        size_t text_len = keep ? n : b3.len;
        if (!(rc = bb_buf_puts(out, quote)) && text_len)
            rc = bb_buf_append(out, text, text_len);
        if (!rc)
            rc = bb_buf_puts(out, quote);
    }
    bb_buf_free(&b1);
    bb_buf_free(&b2);
    bb_buf_free(&b3);
    return rc;
}

int bb_pystring_normalize(const char *src, size_t len, bb_buf *out)
{
    size_t i = 0, copied = 0;
    int rc = BB_OK;
    while (i < len && !rc) {
        char c = src[i];
        if (c == '#') {
            const char *e = memchr(src + i, '\n', len - i);
            i = e ? (size_t)(e - src) : len;
        } else if (c == '"' || c == '\'') {
            bool nl = false;
            size_t p = prefix_start(src, i), e = bb_pyline_string_end(src, len, i, &nl);
            if (e == SIZE_MAX)
                break; /* not a literal the pass reads: the rest as it is */
            if (!(rc = bb_buf_append(out, src + copied, p - copied)))
                rc = put_string(out, src + p, i - p, src + i, e - i);
            copied = i = e;
        } else {
            i++;
        }
    }
    return rc ? rc : bb_buf_append(out, src + copied, len - copied);
}
