/*
 * diff.h - unified diffs between two versions of a file, for
 * `generate --check --diff` (emit.c). Nothing is kept between calls.
 */
#ifndef BB_DIFF_H
#define BB_DIFF_H

#include "base/bb.h"
#include "base/buf.h"

#include <stddef.h>

/*
 * Appends a unified diff (3 lines of context, "--- a/path" "+++ b/path"
 * headers) of old -> new to out, computed with Myers' O(ND) algorithm over
 * lines. When the files have more than BB_DIFF_MAX_LINES lines or differ in
 * more than BB_DIFF_MAX_EDITS lines, a one-line note replaces the hunks.
 * Either side may be NULL (added or removed file).
 */
#define BB_DIFF_MAX_LINES 50000
#define BB_DIFF_MAX_EDITS 1000
int bb_diff_unified(const char *path, const char *old, size_t old_len, const char *new_,
                    size_t new_len, bb_buf *out) BB_WUR;

#endif
