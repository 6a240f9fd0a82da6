/*
 * jsonpointer.h - the value at a JSON Pointer (RFC 6901) in a cJSON tree:
 * "" is the root, "~1" is '/', "~0" is '~', array items by decimal index
 * (no leading zeros). The design review's findings point into the user's
 * document this way. Returns a node of root (borrowed), or NULL when the
 * pointer does not resolve.
 */
#ifndef BB_JSONPOINTER_H
#define BB_JSONPOINTER_H

typedef struct cJSON cJSON;

const cJSON *bb_json_pointer_get(const cJSON *root, const char *pointer);

#endif
