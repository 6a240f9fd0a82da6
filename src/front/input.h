/*
 * input.h - the schema's text as the loader first sees it: byte checks
 * before parsing (NUL bytes, UTF-8, \u0000 escapes, nesting depth), and the
 * report of a JSON syntax error with its exact position, what was expected
 * there and a hint for the common slips (a trailing comma, single quotes, a
 * comment). Stateless; diagnostics go into the caller's bb_diags.
 */
#ifndef BB_INPUT_H
#define BB_INPUT_H

#include "base/bb.h"
#include "diag/diag.h"

#include <stddef.h>

/*
 * One pass over src[0..len): NUL bytes (BB0102), invalid UTF-8 (BB0103),
 * \u0000 escapes (BB0105), nesting deeper than max_depth (BB0602, capped at
 * what the JSON reader reads). Reports the first problem of each kind;
 * BB_OK when there is none, else BB_EINVAL (or BB_ENOMEM).
 */
int bb_input_check_bytes(bb_diags *d, const char *src, size_t len, size_t max_depth) BB_WUR;

/*
 * Reports the JSON syntax error of src[0..len) (BB0101), which the reader
 * refused near offset read_at: a strict scan finds the first offending
 * byte and what was expected there. Returns BB_EINVAL (or BB_ENOMEM).
 */
int bb_input_syntax_error(bb_diags *d, const char *src, size_t len, size_t read_at,
                          size_t max_depth) BB_WUR;

#endif
