/*
 * patterns.h - suspicious content: text that looks like SQL, script or code
 * injection.
 *
 * Strings of the schema end up in generated Python, SQL and HTML (docstrings,
 * comments, OpenAPI descriptions), so the front end rejects values that look
 * like an attack. One readable table of PCRE2 patterns (patterns.c), each
 * compiled when a scan first needs it; matching is case-blind,
 * tolerant of repeated whitespace and of SQL comments between words, and
 * anchored on word boundaries so "retrieval(", "medieval (", "executive" or
 * "dropdown table" are not flagged.
 *
 *   category          code    examples
 *   SQL injection     BB0501  drop table, delete from, union select, ' or 1=1
 *   script injection  BB0502  <script, javascript:, onerror=
 *   code injection    BB0503  __import__, eval(, exec(, os.system, subprocess.run
 *
 * Thread-safe: each regex is compiled on first use (JIT-compiled once it
 * has run often) and published atomically; match data is made per call.
 * The compiled regexes live until the process ends.
 */
#ifndef BB_PATTERNS_H
#define BB_PATTERNS_H

#include "base/bb.h"
#include "diag/diag.h"

#include <stddef.h>

typedef enum {
    BB_PATTERN_SQL = 0,
    BB_PATTERN_SCRIPT,
    BB_PATTERN_CODE,
} bb_pattern_category;

typedef struct bb_pattern_hit {
    bb_pattern_category category;
    const char *rule;  /* static: the rule's short name, e.g. "drop table" */
    size_t start, end; /* byte range of the match in the scanned text */
} bb_pattern_hit;

/* "SQL injection", "script injection", "code injection". */
const char *bb_pattern_category_name(bb_pattern_category c);

/*
 * Scans s[0..len) for the first suspicious match. Returns 1 and fills *hit
 * when one is found, 0 when the text is clean, BB_ESTATE when the patterns
 * could not be compiled and BB_ENOMEM when out of memory. Meant for any text,
 * including generated output (the reviewer stage).
 */
int bb_patterns_scan(const char *s, size_t len, bb_pattern_hit *hit) BB_WUR;

/*
 * Scans one string value of the schema and, when it is suspicious, adds a
 * BB05xx error at pointer/offset naming the category and the matched text.
 * Returns BB_OK when clean, BB_EINVAL when reported, or the scan's error.
 */
int bb_patterns_check(bb_diags *d, const char *s, size_t len, const char *pointer, size_t offset);

#endif
