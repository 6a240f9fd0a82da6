/*
 * buf.h - a growable byte buffer with a hard size cap.
 *
 * Every buffer is given its cap at init, so hostile input cannot grow memory
 * without bound: an append past the cap fails with BB_ELIMIT and leaves the
 * buffer as it was. The contents are always NUL-terminated (the NUL is not
 * counted in len). The buffer owns its memory until bb_buf_take() hands it to
 * the caller.
 */
#ifndef BB_BUF_H
#define BB_BUF_H

#include "base/bb.h"

#include <stdarg.h>
#include <stddef.h>

typedef struct bb_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* the most bytes len may reach */
} bb_buf;

void bb_buf_init(bb_buf *b, size_t max);
int bb_buf_append(bb_buf *b, const void *p, size_t n) BB_WUR;
int bb_buf_puts(bb_buf *b, const char *s) BB_WUR;
int bb_buf_putc(bb_buf *b, char c) BB_WUR;
int bb_buf_printf(bb_buf *b, const char *fmt, ...) BB_PRINTF(2, 3) BB_WUR;
int bb_buf_vprintf(bb_buf *b, const char *fmt, va_list ap) BB_WUR;
/* n copies of c (an indent), without printf's "%*s". */
int bb_buf_fill(bb_buf *b, char c, size_t n) BB_WUR;
/* v in decimal, as "%lld" prints it, without printf. */
int bb_buf_put_int(bb_buf *b, long long v) BB_WUR;
/* Makes sure n more bytes fit without another allocation. */
int bb_buf_reserve(bb_buf *b, size_t n) BB_WUR;
/* Adds n bytes for the caller to write at *at (a piece of known size made
 * of several parts, written in place); on failure b is unchanged. */
int bb_buf_extend(bb_buf *b, size_t n, char **at) BB_WUR;
/* Empties the buffer but keeps its memory. */
void bb_buf_reset(bb_buf *b);
/* The contents, never NULL ("" when empty). Valid until the next change. */
const char *bb_buf_str(const bb_buf *b);
/* Hands the contents to the caller (free with bb_free) and empties b. */
char *bb_buf_take(bb_buf *b, size_t *len) BB_WUR;
void bb_buf_free(bb_buf *b);

#endif
