/*
 * patterns.h - suspicious content: the one table of PCRE2 patterns that
 * both the front end (schema strings) and the reviewer (generated files)
 * scan with.
 *
 * Strings of the schema end up in generated Python, SQL and HTML (docstrings,
 * comments, OpenAPI descriptions), so the front end rejects values that look
 * like an attack; generated files must hold no dangerous call and no secret.
 * One readable table of PCRE2 patterns (patterns.c), each compiled when a
 * scan first needs it. Schema rules match case-blind, tolerant of repeated
 * whitespace and of SQL comments between words, and anchored on word
 * boundaries so "retrieval(", "medieval (", "executive" or "dropdown table"
 * are not flagged.
 *
 *   use      category            code    examples
 *   schema   SQL injection       BB0501  drop table, delete from, ' or 1=1
 *   schema   script injection    BB0502  <script, javascript:, onerror=
 *   schema   code injection      BB0503  __import__, eval(, os.system
 *   python   eval/exec call      BB0742  eval(data), exec (code)
 *   python   pickle              BB0743  import pickle, pickle.loads(
 *   python   shell command       BB0744  shell=True, os.system(, os.popen(
 *   file     hard-coded secret   BB0745  password = "...", AKIA..., PRIVATE KEY
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
    BB_PATTERN_EVAL,
    BB_PATTERN_PICKLE,
    BB_PATTERN_SHELL,
    BB_PATTERN_SECRET,
} bb_pattern_category;

/* What a scan looks for: the rules of one or more uses. */
#define BB_PATTERNS_SCHEMA 1u /* a string of a schema */
#define BB_PATTERNS_FILE 2u   /* any generated file */
#define BB_PATTERNS_PYTHON 4u /* a generated Python file (with BB_PATTERNS_FILE) */

typedef struct bb_pattern_hit {
    bb_pattern_category category;
    const char *code;  /* static: the diagnostic code, e.g. "BB0501" */
    const char *rule;  /* static: the rule's short name, e.g. "drop table" */
    size_t start, end; /* byte range of the match in the scanned text */
} bb_pattern_hit;

/* "SQL injection", "script injection", "code injection", ... */
const char *bb_pattern_category_name(bb_pattern_category c);

/*
 * Called for each match, in text order (at one position, in table order);
 * a rule's matches do not overlap. Returns 0 to go on, anything else to
 * stop the scan.
 */
typedef int (*bb_pattern_fn)(void *ctx, const bb_pattern_hit *hit);

/*
 * Scans s[0..len) for the rules of `uses` (BB_PATTERNS_*). Returns 1 when fn
 * stopped the scan, 0 when it reached the end, BB_ESTATE when the patterns
 * could not be compiled and BB_ENOMEM when out of memory.
 */
int bb_patterns_each(const char *s, size_t len, unsigned uses, bb_pattern_fn fn, void *ctx) BB_WUR;

/*
 * Scans s[0..len) for the first match of a schema rule. Returns 1 and fills
 * *hit when one is found, 0 when the text is clean, or bb_patterns_each()'s
 * error.
 */
int bb_patterns_scan(const char *s, size_t len, bb_pattern_hit *hit) BB_WUR;

/*
 * Scans one string value of the schema and, when it is suspicious, adds a
 * BB05xx error at pointer/offset naming the category and the matched text.
 * Returns BB_OK when clean, BB_EINVAL when reported, or the scan's error.
 */
int bb_patterns_check(bb_diags *d, const char *s, size_t len, const char *pointer, size_t offset);

#endif
