/*
 * hex.h - bytes as lower-case hexadecimal digits and back: the one spelling
 * backbone writes for digests, job ids, cache keys and trace ids.
 * Thread-safe; nothing is kept.
 */
#ifndef BB_HEX_H
#define BB_HEX_H

#include <stddef.h>

/* Writes the n bytes as 2n lower-case digits and a NUL into out (2n + 1
 * bytes). */
void bb_hex_encode(const void *bytes, size_t n, char *out);

/* The value of one hex digit (either case), or -1 for any other byte. */
int bb_hex_value(int c);

#endif
