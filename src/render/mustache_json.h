/*
 * mustache_json.h - the cJSON adapter of the template engine's data model
 * (mustache.h), so a JSON plan renders directly. A client of the engine:
 * the engine itself knows only bb_mustache_model.
 *
 * Truthiness follows mustache.js: false, null, 0, "" and [] are false; other
 * values (objects included) are true. Text: strings as they are, numbers in
 * their shortest exact form (85, 1.21), true/false, null as "". Objects and
 * arrays have no text: they interpolate as "".
 *
 * Values are borrowed cJSON nodes. The model's ud may be NULL, or a
 * bb_mustache_json_state that lives as long as one render (lookups in list
 * items then go on from the member found last).
 */
#ifndef BB_MUSTACHE_JSON_H
#define BB_MUSTACHE_JSON_H

#include "render/mustache.h"

#include <stddef.h>

typedef struct cJSON cJSON;

extern const bb_mustache_model bb_mustache_json_model;

/* The member found last in a list item, so the next lookup in the same
 * object can go on from it (templates mostly ask for members in order). */
typedef struct bb_mustache_json_state {
    const cJSON *obj, *node;
    unsigned pos;
} bb_mustache_json_state;

/*
 * Renders t over cJSON frames (as bb_mustache_render_model() with
 * bb_mustache_json_model and a fresh state).
 */
int bb_mustache_render(const bb_mustache_template *t, const cJSON *const *frames, size_t n_frames,
                       const bb_mustache_opts *o, bb_buf *out, bb_mustache_error *err) BB_WUR;

/*
 * Writes the number d into buf (size n) as the shortest decimal text that
 * reads back as d; integers without a fraction. Returns the length.
 */
size_t bb_mustache_json_number(double d, char *buf, size_t n);

#endif
