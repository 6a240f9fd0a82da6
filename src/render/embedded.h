/*
 * embedded.h - the templates compiled into the binary (generated from
 * templates/ by scripts/embed_templates.sh), so backbone works from any
 * folder without its source tree.
 */
#ifndef BB_EMBEDDED_H
#define BB_EMBEDDED_H

#include <stddef.h>

typedef struct bb_embedded_template {
    const char *path; /* relative to templates/, e.g. "app/models/model.py.mustache" */
    const char *data; /* NUL-terminated */
    size_t len;
} bb_embedded_template;

/* Sorted by path; ends with an all-zero entry. */
extern const bb_embedded_template bb_embedded_templates[];
extern const unsigned bb_embedded_template_count;

#endif
