/*
 * pyimports.h - the last step of the formatting pass (render/pyfmt): the
 * import block at the top of a Python file (after its docstring and
 * comments) rewritten as `isort --profile black` prints it.
 *
 * Sections future, standard library, third party, first party, local
 * (relative), one blank line apart; in each, `import x` lines before
 * `from x import` lines, modules in natural case-insensitive order; a
 * module's names on one line (CONSTANTS, Classes, then the rest), `a as b`
 * names and names with a comment on lines of their own; a line over the
 * limit in parentheses, one name a line with a trailing comma. Two blank
 * lines follow when a def, class or decorator comes next, else one. A
 * block that starts with an import it cannot read is left as it is.
 */
#ifndef BB_PYIMPORTS_H
#define BB_PYIMPORTS_H

#include "base/buf.h"

#include <stddef.h>

/*
 * Appends text[0..len) to out with its import block sorted. first_party
 * is the NULL-terminated list of first-party module roots; line_length
 * the limit (88 for Black). BB_OK, BB_ENOMEM or BB_ELIMIT (out's cap).
 */
int bb_pyimports_sort(const char *text, size_t len, const char *const *first_party,
                      unsigned line_length, bb_buf *out) BB_WUR;

#endif
