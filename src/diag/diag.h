/*
 * diag.h - diagnostics: every problem backbone finds, collected in one context
 * so a run reports all of them (as SQLite's parse context does), then printed
 * like a compiler's messages or as JSON for machines.
 *
 * A diagnostic has a stable code (listed in codes.h and documented in
 * docs/diagnostics.md), a severity, the JSON Pointer of the offending value,
 * its byte offset in the source (turned into line:column when printed), a
 * message and an optional hint saying how to fix it.
 *
 * The context borrows the file name and source text given at init: they must
 * outlive it. Everything else it holds, it owns.
 */
#ifndef BB_DIAG_H
#define BB_DIAG_H

#include "base/bb.h"
#include "base/buf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct cJSON cJSON;

typedef enum { BB_NOTE = 0, BB_WARNING = 1, BB_ERROR = 2 } bb_severity;

#define BB_NO_OFFSET ((size_t)-1)
/* The most diagnostics one context stores; the rest are only counted. */
#define BB_DIAGS_MAX_DEFAULT 500

typedef struct bb_diag {
    bb_severity severity;
    char code[8];  /* "BB0203" */
    char *pointer; /* JSON Pointer; "" is the whole document */
    size_t offset; /* byte offset into the source, or BB_NO_OFFSET */
    char *message;
    char *hint; /* NULL when there is nothing useful to add */
} bb_diag;

typedef struct bb_diags {
    bb_diag *items;
    size_t n, cap;
    size_t max;     /* the most items stored */
    size_t dropped; /* diagnostics counted but not stored (over max) */
    size_t n_errors, n_warnings, n_notes;
    bool warnings_as_errors; /* --strict: warnings are stored as errors */
    const char *filename;    /* borrowed; "-" or "<stdin>" for standard input */
    const char *src;         /* borrowed source text (may be NULL) */
    size_t src_len;
    size_t *line_starts; /* built on first use: offset of each line */
    size_t n_lines;
} bb_diags;

void bb_diags_init(bb_diags *d, const char *filename, const char *src, size_t src_len);
void bb_diags_free(bb_diags *d);

/*
 * Adds one diagnostic. pointer may be NULL (the document), hint may be NULL.
 * Returns BB_OK, or BB_ENOMEM (the diagnostic is then only counted).
 */
/* Notes that code was emitted, for the test suite's check that every code
 * is (BACKBONE_DIAG_RECORD, see diag.c). bb_diag_addv() calls it; so do
 * modules that report a code through their own error type first. */
void bb_diag_record_code(const char *code);

int bb_diag_add(bb_diags *d, bb_severity sev, const char *code, const char *pointer, size_t offset,
                const char *hint, const char *fmt, ...) BB_PRINTF(7, 8);

/* The same with a va_list, for reporting helpers of other modules. */
int bb_diag_addv(bb_diags *d, bb_severity sev, const char *code, const char *pointer, size_t offset,
                 const char *hint, const char *fmt, va_list ap);

/* Adds every diagnostic stored in `from` to `to`, in order, as
 * bb_diag_add() would (to's --strict applies). BB_OK or BB_ENOMEM. */
int bb_diags_append(bb_diags *to, const bb_diags *from) BB_WUR;

/* True when the context holds at least one error. */
bool bb_diags_has_errors(const bb_diags *d);

/*
 * The 1-based line and column of a byte offset. Columns count UTF-8 code
 * points, so a caret lines up under non-ASCII text. Unknown offsets give 0:0.
 */
void bb_diags_position(bb_diags *d, size_t offset, int *line, int *col);

/* Orders the diagnostics by position (stable; unknown positions last). */
void bb_diags_sort(bb_diags *d);

/*
 * Prints the diagnostics like a compiler does:
 *   blog.json:41:17: error[BB0203]: message
 *      41 |       "type": "Strin",
 *         |               ^~~~~~~
 *      = help: hint
 * followed by a summary line. Colour is used only when color is true.
 * All of it reaches out in one write. BB_OK, BB_ENOMEM or BB_EIO.
 */
int bb_diags_print(bb_diags *d, FILE *out, bool color);

/* One line summary, e.g. "2 errors, 1 warning". Writes into buf. */
int bb_diags_summary(const bb_diags *d, bb_buf *out) BB_WUR;

/*
 * The diagnostics as a JSON array with stable field names:
 *   [{"code","severity","message","hint","pointer","file","line","column"}]
 * The caller owns the result (cJSON_Delete). NULL when out of memory.
 */
cJSON *bb_diags_to_json(bb_diags *d);

/* True when colour should be used on this stream (a terminal, NO_COLOR unset). */
bool bb_use_color(FILE *stream);

const char *bb_severity_name(bb_severity sev);

/* Appends s to a JSON Pointer token-escaped ("~" -> "~0", "/" -> "~1"). */
int bb_pointer_append(bb_buf *ptr, const char *token) BB_WUR;

#endif
