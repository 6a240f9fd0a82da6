/*
 * admit.h - what a request must pass once its headers are in, before any
 * byte of its body is read, in this order; each step may answer early:
 *
 *   route (404, 405 + Allow, OPTIONS and CORS preflight)
 *   -> credentials (401) for protected routes
 *   -> rate limits per identity and tier (429 + Retry-After)
 *   -> Content-Type (415) and Content-Length (400, 413)
 *
 * It also gives the request its id (X-Request-ID when valid, else a new
 * one), client address, identity and allowed CORS origin.
 */
#ifndef BB_ADMIT_H
#define BB_ADMIT_H

#include "server/request.h"

#include <stdbool.h>

/* True when r may go on to its body; otherwise r holds its answer. */
bool bb_admit_request(bb_req *r);

#endif
