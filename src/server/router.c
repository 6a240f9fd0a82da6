/* router.c - route matching (see router.h). */
#include "server/router.h"

#include "base/buf.h"
#include "server/wire.h"

#include <stdio.h>
#include <string.h>

#define PARAM_MAX 128

static size_t route_count(const bb_router *rt)
{
    return rt->n_builtin + rt->n_extra;
}

static const bb_route *route_at(const bb_router *rt, size_t k)
{
    return k < rt->n_builtin ? &rt->builtin[k] : &rt->extra[k - rt->n_builtin];
}

/* True when path fits the pattern; *param as bb_router_find says. */
static bool path_matches(const char *pattern, const char *path, const char **param)
{
    *param = NULL;
    const char *brace = strchr(pattern, '{');
    if (!brace)
        return strcmp(pattern, path) == 0;
    size_t prefix = (size_t)(brace - pattern);
    if (strncmp(pattern, path, prefix) != 0 || !bb_wire_token_valid(path + prefix, PARAM_MAX))
        return false;
    *param = path + prefix;
    return true;
}

const bb_route *bb_router_find(const bb_router *rt, const char *path, const char *method,
                               bool *path_known, const char **param)
{
    *path_known = false;
    bool head = strcmp(method, "HEAD") == 0;
    for (size_t k = 0; k < route_count(rt); k++) {
        const bb_route *r = route_at(rt, k);
        if (!path_matches(r->path, path, param))
            continue;
        *path_known = true;
        if (strcmp(r->method, method) == 0 || (head && strcmp(r->method, "GET") == 0))
            return r;
    }
    *param = NULL;
    return NULL;
}

void bb_router_allow(const bb_router *rt, const char *path, char *out, size_t size)
{
    bb_buf b;
    bb_buf_init(&b, size - 1);
    int rc = BB_OK;
    for (size_t k = 0; !rc && k < route_count(rt); k++) {
        const bb_route *r = route_at(rt, k);
        const char *param;
        if (!path_matches(r->path, path, &param))
            continue;
        rc = bb_buf_printf(&b, "%s%s", b.len ? ", " : "", r->method);
        if (!rc && strcmp(r->method, "GET") == 0)
            rc = bb_buf_puts(&b, ", HEAD");
    }
    if (!rc)
        rc = bb_buf_puts(&b, b.len ? ", OPTIONS" : "OPTIONS");
    snprintf(out, size, "%s", bb_buf_str(&b));
    bb_buf_free(&b);
}
