/*
 * utf8.h - the one reader of UTF-8 sequences for code that must pass
 * well-formed text on (Python literals, log lines): no overlong forms, no
 * surrogates, nothing past U+10FFFF.
 */
#ifndef BB_UTF8_H
#define BB_UTF8_H

#include <stddef.h>

/* The length of the well-formed UTF-8 sequence at s (1 to 4), or 0. s is
 * NUL-terminated: a sequence cut by its end is not well formed, and no
 * byte past the NUL is read. */
size_t bb_utf8_len(const unsigned char *s);

#endif
