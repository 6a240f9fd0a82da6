/*
 * openapi.h - the OpenAPI 3.0 description of every route of the service,
 * served as GET /openapi.json. Static text; change it with the routes.
 */
#ifndef BB_OPENAPI_H
#define BB_OPENAPI_H

extern const char bb_openapi_json[];

#endif
