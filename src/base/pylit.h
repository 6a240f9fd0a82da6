/*
 * pylit.h - Python source text from arbitrary user strings.
 *
 * Every string of the input that reaches generated Python (descriptions,
 * defaults, enum values, comments) goes through one of these, so the output
 * parses whatever quotes, backslashes, newlines, triple quotes or control
 * characters the string holds. The forms chosen are the ones Black keeps
 * unchanged (double quotes unless that needs more escapes), so generated
 * code passes `black --check` as emitted.
 *
 * Lines are laid out by the formatting pass after rendering
 * (render/pyfmt.h), not here.
 *
 * Every function appends to a caller-owned bb_buf and returns BB_OK or the
 * buffer's error (BB_ENOMEM, BB_ELIMIT).
 */
#ifndef BB_PYLIT_H
#define BB_PYLIT_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * A Python string literal with the value s: "..." unless s holds more double
 * than single quotes. Backslashes and the quote are escaped; newline, tab and
 * carriage return become \n \t \r; other control characters (and DEL) \xNN;
 * invalid UTF-8 bytes become U+FFFD. Other characters are kept as UTF-8.
 */
int bb_pylit_str(bb_buf *out, const char *s) BB_WUR;

/*
 * A docstring block for s: the lines of s, stripped, at indent spaces,
 * between triple double quotes, one line when s has one line and fits;
 * ends with a newline. Text that would end or break the literal is escaped
 * (quotes next to the closing quotes, backslashes, control characters).
 * Appends nothing when s is NULL or blank.
 */
int bb_pylit_docstring(bb_buf *out, const char *s, int indent) BB_WUR;

/* s as text safe on one comment line: control characters and line breaks
 * become spaces, runs of spaces collapse, ends are trimmed. */
int bb_pylit_comment(bb_buf *out, const char *s) BB_WUR;

/* "BlogBackend" -> "blog_backend", "HTTPServer" -> "http_server",
 * "my-project" -> "my_project". */
int bb_pylit_snake(bb_buf *out, const char *s) BB_WUR;

/* "posts_status" -> "PostsStatus", "order-item" -> "OrderItem". */
int bb_pylit_capwords(bb_buf *out, const char *s) BB_WUR;

/*
 * An UPPER_CASE identifier for an enum value: "in progress" -> "IN_PROGRESS",
 * "1st" -> "V_1ST", "ÉLITE" -> "ELITE" (common Latin accents become their
 * ASCII letters; other characters separate words). Appends nothing when no
 * letter or digit is left ("", "--", "日本"): the caller names such a value
 * (VALUE_<n>) and makes names unique.
 */
int bb_pylit_constant(bb_buf *out, const char *s) BB_WUR;

#endif
