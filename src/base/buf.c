/* buf.c - capped growable buffer (see buf.h). */
#include "base/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void bb_buf_init(bb_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

int bb_buf_reserve(bb_buf *b, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return BB_ELIMIT;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return BB_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1 > need ? b->max + 1 : need;
    char *p = bb_realloc(b->data, cap);
    if (!p)
        return BB_ENOMEM;
    b->data = p;
    b->cap = cap;
    return BB_OK;
}

int bb_buf_extend(bb_buf *b, size_t n, char **at)
{
    int rc = bb_buf_reserve(b, n);
    if (rc)
        return rc;
    *at = b->data + b->len;
    b->len += n;
    b->data[b->len] = '\0';
    return BB_OK;
}

int bb_buf_append(bb_buf *b, const void *p, size_t n)
{
    int rc = bb_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BB_OK;
}

int bb_buf_puts(bb_buf *b, const char *s)
{
    return bb_buf_append(b, s, strlen(s));
}

int bb_buf_putc(bb_buf *b, char c)
{
    if (b->len + 1 < b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return BB_OK;
    }
    return bb_buf_append(b, &c, 1);
}

int bb_buf_fill(bb_buf *b, char c, size_t n)
{
    int rc = bb_buf_reserve(b, n);
    if (rc)
        return rc;
    memset(b->data + b->len, c, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BB_OK;
}

/* The digits of u (after a '-' when neg), right-aligned in tmp[24]. */
static int put_digits(bb_buf *b, unsigned long long u, bool neg)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg)
        tmp[--i] = '-';
    return bb_buf_append(b, tmp + i, sizeof(tmp) - i);
}

int bb_buf_put_int(bb_buf *b, long long v)
{
    /* Through unsigned, so LLONG_MIN negates without overflow. */
    return put_digits(b, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0);
}

int bb_buf_vprintf(bb_buf *b, const char *fmt, va_list ap)
{
    /* The text is written in place when the room left holds it (most
     * texts are short), else that try measured it and it is written again. */
    size_t room = b->data ? b->cap - b->len : 0;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        if (room)
            b->data[b->len] = '\0';
        return BB_EINVAL;
    }
    if ((size_t)n < room && (size_t)n <= b->max - b->len) {
        b->len += (size_t)n;
        return BB_OK;
    }
    if (room)
        b->data[b->len] = '\0'; /* the try wrote past the end */
    int rc = bb_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return BB_OK;
}

int bb_buf_printf(bb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = bb_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void bb_buf_reset(bb_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

const char *bb_buf_str(const bb_buf *b)
{
    return b->data ? b->data : "";
}

char *bb_buf_take(bb_buf *b, size_t *len)
{
    char *p = b->data;
    if (!p)
        p = bb_strdup("");
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void bb_buf_free(bb_buf *b)
{
    bb_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
