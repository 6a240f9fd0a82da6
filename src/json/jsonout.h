/*
 * jsonout.h - JSON text written straight into a buffer, byte for byte as
 * cJSON prints it, without cJSON's allocations.
 *
 * Strings: the service's generate answer is mostly the generated files as JSON
 * strings (~140 KB for the blog example), so this runs over every byte it
 * sends: plain runs are found sixteen bytes at a time and copied whole.
 * The text is the one cJSON prints for the same string: `"` and `\` and
 * the control characters escaped (\b \f \n \r \t, else \u00xx in lower
 * case), every other byte as it is; the string ends at its first NUL.
 */
#ifndef BB_JSONOUT_H
#define BB_JSONOUT_H

#include "base/bb.h"
#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Appends the first n bytes of s (up to a NUL) as a JSON string, quotes
 * included. BB_ELIMIT or BB_ENOMEM leave b as it was. */
int bb_json_put_string(bb_buf *b, const char *s, size_t n) BB_WUR;

/*
 * Appends the tree v as cJSON_Print (formatted) or cJSON_PrintUnformatted
 * would print it: the manifest (with the normalized schema) is printed on
 * every generation. On an error (BB_ELIMIT, BB_ENOMEM; BB_EINVAL for a
 * NULL v or a node of no JSON type) b is left as it was.
 */
typedef struct cJSON cJSON;
int bb_json_print(bb_buf *b, const cJSON *v, bool formatted) BB_WUR;

#endif
