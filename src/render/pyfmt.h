/*
 * pyfmt.h - the Python formatting pass that runs after template rendering.
 *
 * Templates write each statement on one line and one `from x import y` per
 * imported name, in any order; this pass turns that into what Black (23.1,
 * default options) and isort (5.x, profile black) would print, so generated
 * files pass `black --check`, `isort --check-only --profile black` and
 * flake8 as they are written:
 *
 *   - logical lines longer than the limit (and collections ending in a magic
 *     trailing comma) are split as Black splits them: right-hand splits,
 *     optional parentheses, delimiter splits with added trailing commas,
 *     left-hand splits of `def` lines; lines written over several physical
 *     lines are joined first, so Black's own output formats to itself;
 *   - the import block at the top of the file is merged, de-duplicated,
 *     sectioned (future, standard library, third party, first party) and
 *     sorted as isort does, long `from` imports in parentheses;
 *   - blanks between tokens are Black's (around operators, `=`, `->`,
 *     colons and keywords; none inside brackets or before commas), and
 *     numbers are written as Black writes them (0xFF, 1e5, 1.0, 0.5);
 *   - blank lines follow Black's rules (two around top-level definitions,
 *     none at the start of a block or the file, at most two at the top
 *     level and one inside a block); trailing whitespace is stripped and the
 *     file ends with exactly one newline.
 *
 * The contents of strings (docstrings included) and comments are never
 * changed. Lines that fit, have no magic trailing comma and are already
 * spaced as Black spaces them are copied as they are (re-indented by four
 * spaces a level), in one linear pass.
 */
#ifndef BB_PYFMT_H
#define BB_PYFMT_H

#include "base/buf.h"
#include "diag/diag.h"

#include <stddef.h>

/* Black's default line length. */
#define BB_PYFMT_LINE 88

typedef struct bb_pyfmt_opts {
    unsigned line_length; /* 0: 88 */
    /* NULL-terminated module roots of the first-party section; NULL:
     * {"alembic", "app", "tests", NULL}, the folders of a generated project
     * (isort counts every folder beside the file's project as first party). */
    const char *const *first_party;
} bb_pyfmt_opts;

/*
 * Formats Python source src (len bytes) into out (appended). path names the
 * file in diagnostics. Returns BB_OK; BB_EINVAL when the text cannot be
 * tokenized (an unterminated string, an unbalanced bracket): one BB0747
 * error whose message starts with path:line:column; BB_ENOMEM, or
 * BB_ELIMIT when out's cap is reached. o may be NULL (the defaults). out
 * may hold partial output after a failure; diags may be NULL.
 */
int bb_pyfmt_format(const char *path, const char *src, size_t len, const bb_pyfmt_opts *o,
                    bb_buf *out, bb_diags *diags) BB_WUR;

#endif
