/*
 * router.h - the routes of the service and how a request finds its own.
 *
 * A route is a method and a path pattern; a last segment "{name}" matches
 * any one segment of [A-Za-z0-9._-]{1,128}. HEAD is served by GET routes.
 * A path known under other methods is a 405 (with Allow), an unknown one
 * a 404: the router says which.
 *
 * Ownership: the route tables are the caller's (static in practice).
 */
#ifndef BB_ROUTER_H
#define BB_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct bb_req bb_req;

/* What a route needs before its handler runs. */
enum {
    BB_ROUTE_AUTH = 1 << 0,      /* credentials required (unless --no-auth) */
    BB_ROUTE_JSON_BODY = 1 << 1, /* a body of Content-Type application/json */
    BB_ROUTE_WORKER = 1 << 2,    /* run in the worker pool, whatever the body's size */
};

typedef void (*bb_route_fn)(bb_req *r);

typedef struct bb_route {
    const char *method; /* "GET" (HEAD is served too) or "POST"... */
    const char *path;   /* e.g. "/api/v1/validate" or "/api/v1/jobs/{id}" */
    unsigned flags;
    const char *tier; /* rate-limit tier: "public", "validate", "generate"; NULL none */
    const char *summary;
    bb_route_fn run;
} bb_route;

/* The built-in routes, then the extra ones (either may be empty). */
typedef struct bb_router {
    const bb_route *builtin;
    size_t n_builtin;
    const bb_route *extra;
    size_t n_extra;
} bb_router;

/*
 * The route for method and path, or NULL; *path_known says whether any
 * route has that path, and *param points at the "{name}" segment within
 * path (NULL when the route has none).
 */
const bb_route *bb_router_find(const bb_router *rt, const char *path, const char *method,
                               bool *path_known, const char **param);

/* "GET, HEAD, OPTIONS": the methods of path, into out (cut to size). */
void bb_router_allow(const bb_router *rt, const char *path, char *out, size_t size);

#endif
