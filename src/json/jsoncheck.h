/*
 * jsoncheck.h - checks a cJSON value against the subset of JSON Schema that
 * backbone sends to language models with structured output:
 *   type (a name or an array of names: object, array, string, integer,
 *   number, boolean, null), properties, required, additionalProperties
 *   (false, or a schema), enum, const, items, minItems, maxItems,
 *   minLength, maxLength (in code points), minimum, maximum, anyOf, oneOf,
 *   allOf, and $ref to a definition of the same document ("#/$defs/name").
 * Keywords outside the subset are ignored, so the same schema can be sent
 * to a provider and checked here.
 *
 * A model's answer is never trusted because the provider promised to follow
 * the schema: it is checked here in any case. Model text is untrusted for
 * display too: bb_jsoncheck_quote() makes any of it safe to show on a
 * terminal, and the checker's own messages quote the names they repeat.
 *
 * Ownership: nothing is kept; results go into the caller's buffers.
 */
#ifndef BB_JSONCHECK_H
#define BB_JSONCHECK_H

#include "base/bb.h"
#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

/*
 * BB_OK when value satisfies schema. Otherwise BB_EINVAL, with the JSON
 * Pointer of the first offending value in where and a sentence in why (both
 * may be NULL). BB_ELIMIT when the value or the schema's references nest
 * deeper than 64 levels.
 */
int bb_jsoncheck(const cJSON *schema, const cJSON *value, bb_buf *where, bb_buf *why) BB_WUR;

/* Called for each mismatch: its JSON Pointer and a sentence. A non-zero
 * return stops the check with that code. */
typedef int (*bb_jsoncheck_fn)(void *ctx, const char *where, const char *why);

/*
 * Like bb_jsoncheck(), but goes on after a mismatch and reports each one
 * (at most max; 0: no limit) to fn. BB_OK when there was none, BB_EINVAL
 * when there was at least one, BB_ELIMIT as above, or fn's code.
 */
int bb_jsoncheck_all(const cJSON *schema, const cJSON *value, size_t max, bb_jsoncheck_fn fn,
                     void *ctx) BB_WUR;

/* The schema a "$ref" in schema points to within root ("#" or "#/a/b"),
 * followed through chains of references; schema itself when it has none;
 * NULL when a reference does not resolve or loops. */
const cJSON *bb_jsoncheck_resolve(const cJSON *root, const cJSON *schema);

/* True when the n bytes at s are well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). NUL bytes count as well-formed. */
bool bb_jsoncheck_utf8_valid(const char *s, size_t n);

/* The byte offset of the first character bb_jsoncheck_quote() would escape
 * other than a newline or a tab (a control, bidirectional or invisible
 * character) in the NUL-terminated UTF-8 text s, or (size_t)-1 when there
 * is none; an invalid sequence counts as such a character. */
size_t bb_jsoncheck_hidden_at(const char *s);

/*
 * Appends untrusted text to out so that a terminal shows it as data: with
 * quotes, inside double quotes with \" and \\ escaped; control characters
 * (C0, DEL, C1), line and paragraph separators, bidirectional and invisible
 * format characters (U+202E, U+2066, U+200B, U+FEFF, ...) as \uXXXX, and
 * bytes that are not UTF-8 as \xHH. At most max_chars code points of s are
 * shown (0: all), then "...". Without quotes, nothing is added around it
 * and quotes are kept as they are. BB_OK, or the buffer's error.
 */
int bb_jsoncheck_quote(bb_buf *out, const char *s, size_t max_chars, bool quotes) BB_WUR;

/*
 * Appends JSON text (as cJSON prints it: such characters only occur inside
 * strings) with every character bb_jsoncheck_quote() escapes written as a
 * JSON escape (\uXXXX, a surrogate pair above U+FFFF): the same JSON
 * value, safe to show on a terminal. The text must be valid UTF-8.
 */
int bb_jsoncheck_escape_json(bb_buf *out, const char *json) BB_WUR;

#endif
