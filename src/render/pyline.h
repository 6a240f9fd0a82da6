/*
 * pyline.h - Black's formatting of one logical line of Python.
 *
 * A port of black/linegen.py (Black 23.1, default mode): a statement is
 * turned into leaves, with Black's invisible parentheses around the parts
 * a statement may wrap (right-hand sides, return values, conditions,
 * return annotations, import names), and split by Black's transforms:
 * right-hand splits that omit optional parentheses and trailers when the
 * result reads better, delimiter splits one item per line with an added
 * trailing comma, left-hand splits of `def` lines, the magic trailing
 * comma; recursively, with Black's "second opinion". A statement written
 * over several lines is joined first, so Black's output formats to itself.
 *
 * The decisions Black takes from the parse tree (is a bracket a call or a
 * display, is `*` unpacking or a product, is `in` a comparison) are made
 * from the neighbouring tokens. Whitespace inside a physical line is kept
 * as written (generated code is spaced as Black spaces it); across a line
 * break it is what Black would put there.
 *
 * render/pyfmt runs this on every statement of a file that needs it;
 * plan/pylit wraps single lines with it. The state is reusable: one
 * bb_pyline formats any number of statements, one at a time, and owns
 * its memory.
 */
#ifndef BB_PYLINE_H
#define BB_PYLINE_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bracket nesting a statement may have (CPython's parser stops at 200). */
#define BB_PYLINE_MAX_NEST 200

typedef struct bb_pyline bb_pyline;

/* A formatter for lines of at most line_length columns (0: 88); NULL when
 * out of memory. Free with bb_pyline_free. */
bb_pyline *bb_pyline_new(unsigned line_length) BB_WUR;
void bb_pyline_free(bb_pyline *p);

/*
 * Whether Black may add a trailing comma after *args or **kwargs in calls
 * and in defs: it does when every Python version the file may target
 * allows it, which it infers from the features the whole file uses
 * (f-strings mean 3.6+). fn answers for the file; it is called once, the
 * first time a split needs the answer (most files never do). Without fn
 * (after bb_pyline_new) both are allowed.
 */
typedef void (*bb_pyline_versions_fn)(void *ctx, bool *in_calls, bool *in_defs);
void bb_pyline_set_versions(bb_pyline *p, bb_pyline_versions_fn fn, void *ctx);

/*
 * Appends s[0..n), one statement of Python (no trailing comment outside
 * brackets unless part of s), at indent spaces, split as Black splits it;
 * every line it becomes ends with a newline. Returns
 * BB_OK, BB_ENOMEM, BB_ELIMIT (out's cap), or BB_EINVAL when s is not
 * Python this can format: brackets nested deeper than BB_PYLINE_MAX_NEST,
 * a `for` without its `in`, a `lambda` without its `:` (bb_pyline_refusal
 * says which).
 */
int bb_pyline_format(bb_pyline *p, bb_buf *out, const char *s, size_t n, int indent) BB_WUR;
/* Why the last bb_pyline_format() returned BB_EINVAL: a static message. */
const char *bb_pyline_refusal(const bb_pyline *p);

/* ---- token helpers the file pass shares --------------------------------- */

/* The offset after the string literal whose opening quote is at s[i], or
 * SIZE_MAX when it is not terminated; *multiline is set when it spans
 * lines (a triple-quoted string or a backslash-newline). */
size_t bb_pyline_string_end(const char *s, size_t n, size_t i, bool *multiline);
/* A byte of an identifier (ASCII letters, digits, _, any non-ASCII byte). */
static inline bool bb_pyline_is_name_byte(unsigned char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c >= 0x80;
}
/* Whether s[0..n) is one of Python's keywords (not None, True, False or a
 * soft keyword). */
bool bb_pyline_is_keyword(const char *s, size_t n);
/* Whether s[0..n) is a string prefix: r, b, u, f or a pair of them. */
bool bb_pyline_is_string_prefix(const char *s, size_t n);
/* The offset after the number literal that starts at s[i] (a digit, or a
 * dot before one). */
size_t bb_pyline_number_end(const char *s, size_t n, size_t i);
/* The number literal s[0..n) as Black writes it (normalize_numeric_literal)
 * into out, which has room for n + 2 bytes; returns its length. Letters
 * are lower-cased, a hex literal's digits upper-cased (0xFF), a float's
 * missing digit written (1. is 1.0, .5 is 0.5) and an exponent's + dropped
 * (1E+5 is 1e5). */
size_t bb_pyline_number(const char *s, size_t n, char *out);
/* Whether Black writes the number literal s[0..n) as it is. */
bool bb_pyline_number_is_normal(const char *s, size_t n);
/* Columns of s[0..n) as Black counts them (code points). */
uint32_t bb_pyline_width(const char *s, size_t n);

#endif
