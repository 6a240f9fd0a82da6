/*
 * mustache_json.h - the cJSON adapter of the template engine's data model
 * (mustache.h), so a JSON plan renders directly.
 *
 * Truthiness follows mustache.js: false, null, 0, "" and [] are false; other
 * values (objects included) are true. Text: strings as they are, numbers in
 * their shortest exact form (85, 1.21), true/false, null as "". Objects and
 * arrays have no text: they interpolate as "".
 *
 * Values are borrowed cJSON nodes; the adapter keeps nothing (ud unused).
 */
#ifndef BB_MUSTACHE_JSON_H
#define BB_MUSTACHE_JSON_H

#include "mustache.h"

extern const bb_mustache_model bb_mustache_json_model;

/*
 * Writes the number d into buf (size n) as the shortest decimal text that
 * reads back as d; integers without a fraction. Returns the length.
 */
size_t bb_mustache_json_number(double d, char *buf, size_t n);

#endif
