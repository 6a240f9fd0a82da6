/*
 * pyimports.h - the last step of the formatting pass (render/pyfmt): the
 * blocks of import statements of a Python file rewritten where they stand
 * as `isort --profile black` prints them: the block at the top (after the
 * docstring and comments), later ones, and those indented in a def, class,
 * if or try (sorted at their indent, wrapped at the limit with it).
 *
 * Sections future, standard library, third party, first party, local
 * (relative), one blank line apart; in each, `import x` lines before
 * `from x import` lines, modules in natural case-insensitive order; a
 * module's names on one line (CONSTANTS, Classes, then the rest), `a as b`
 * names and names with a comment on lines of their own; a line over the
 * limit in parentheses, one name a line with a trailing comma. After a
 * block at the top level, two blank lines when a def, class or decorator
 * comes next, else one; after an indented one, what was there. A block
 * that starts with an import it cannot read is left as it is.
 */
#ifndef BB_PYIMPORTS_H
#define BB_PYIMPORTS_H

#include "base/buf.h"

#include <stddef.h>

/*
 * Appends text[0..len) to out with its import blocks sorted. first_party
 * is the NULL-terminated list of first-party module roots; line_length
 * the limit (88 for Black). import_at holds, in ascending order, the
 * offsets of the lines where import statements start (the Black pass
 * knows them; the text is not read for them again). BB_OK, BB_ENOMEM or
 * BB_ELIMIT (out's cap).
 */
int bb_pyimports_sort(const char *text, size_t len, const char *const *first_party,
                      unsigned line_length, const size_t *import_at, size_t n_import_at,
                      bb_buf *out) BB_WUR;

#endif
