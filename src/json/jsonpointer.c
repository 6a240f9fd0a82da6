/* jsonpointer.c - RFC 6901 JSON Pointers over cJSON (see jsonpointer.h). */
#include "json/jsonpointer.h"

#include <cJSON.h>
#include <stdlib.h>

const cJSON *bb_json_pointer_get(const cJSON *root, const char *pointer)
{
    if (!pointer || !*pointer)
        return root;
    if (*pointer != '/')
        return NULL;
    const cJSON *node = root;
    const char *p = pointer + 1;
    char token[256];
    for (;;) {
        size_t n = 0;
        for (; *p && *p != '/'; p++) {
            char ch = *p;
            if (ch == '~') {
                if (p[1] != '0' && p[1] != '1')
                    return NULL;
                ch = p[1] == '0' ? '~' : '/';
                p++;
            }
            if (n + 1 >= sizeof(token))
                return NULL;
            token[n++] = ch;
        }
        token[n] = '\0';
        if (cJSON_IsArray(node)) {
            char *end;
            if (n == 0 || n > 9 || token[0] < '0' || token[0] > '9' || (token[0] == '0' && n > 1))
                return NULL;
            long i = strtol(token, &end, 10);
            if (*end)
                return NULL;
            node = cJSON_GetArrayItem(node, (int)i);
        } else if (cJSON_IsObject(node)) {
            node = cJSON_GetObjectItemCaseSensitive(node, token);
        } else {
            return NULL;
        }
        if (!node)
            return NULL;
        if (!*p)
            return node;
        p++;
    }
}
