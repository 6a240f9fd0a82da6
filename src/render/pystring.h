/*
 * pystring.h - Black's normalization of string literals, a step of the
 * formatting pass (render/pyfmt): prefixes lower-case without `u`, `r`
 * first (normalize_string_prefix), double quotes where they cost no more
 * backslashes than the quotes written, and no needless escapes
 * (normalize_string_quotes). Built-in templates write every literal that
 * way already; a template of the user's may not.
 *
 * Docstrings have their quotes normalized like any string here; the Black
 * pass (render/pyfmt) strips and re-indents their text. Numeric literals
 * are left as written.
 */
#ifndef BB_PYSTRING_H
#define BB_PYSTRING_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether the literal whose opening quote is s[quote] and that ends before
 * s[end] may read otherwise once normalized: single quotes, a `u`, `F` or
 * `B` in its prefix or an `r` second, or an escaped quote in a
 * double-quoted one. Cheap; a true
 * answer may turn out to change nothing.
 */
bool bb_pystring_wants_normal(const char *s, size_t quote, size_t end);

/*
 * Appends src[0..len) to out with every string literal normalized (the
 * text outside literals and comments' contents are copied as they are).
 * BB_OK, BB_ENOMEM or BB_ELIMIT (out's cap). The text must be one the
 * formatting pass has read (every literal terminated).
 */
int bb_pystring_normalize(const char *src, size_t len, bb_buf *out) BB_WUR;

#endif
