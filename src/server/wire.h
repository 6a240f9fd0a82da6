/*
 * wire.h - what a client sends, read strictly: header values, path
 * segments, request ids, bearer tokens.
 *
 * Pure functions of their arguments (no allocation, no state), so that
 * they can be tested and fuzzed on their own (fuzz/fuzz_wire.c). Every
 * string argument may be NULL where it stands for an absent header.
 */
#ifndef BB_WIRE_H
#define BB_WIRE_H

#include <stdbool.h>
#include <stddef.h>

/* A request id or path parameter: [A-Za-z0-9._-]{1,max}. */
bool bb_wire_token_valid(const char *s, size_t max);

/* True when a Content-Type value is want, parameters (";...") aside,
 * compared without regard to case. */
bool bb_wire_media_type_is(const char *value, const char *want);

/* True when an Accept header names type and does not refuse it (q=0). */
bool bb_wire_accepts(const char *accept, const char *type);

/* A header field name: one or more token characters (RFC 9110 5.1), so
 * no blank before the colon. */
bool bb_wire_field_name_valid(const char *name);

/* A Transfer-Encoding value that is exactly "chunked" (any case, blanks
 * around it allowed): the only coding the service understands. */
bool bb_wire_is_chunked(const char *value);

/* Text that may be routed, logged and quoted in an answer: 1 to max bytes
 * of printable ASCII (a request target percent-encodes everything else,
 * RFC 3986), with spaces only when spaces is true. */
bool bb_wire_printable(const char *s, size_t max, bool spaces);

/* A Content-Length: decimal digits only, no sign, no blanks, no overflow. */
bool bb_wire_parse_size(const char *s, size_t *out);

/* Says whether addr (an address as text) is a trusted proxy. */
typedef bool (*bb_wire_trusted_fn)(void *ctx, const char *addr);

/*
 * The client behind trusted proxies, from an X-Forwarded-For list ("a, b,
 * c", each hop appending the address it got the request from): the
 * rightmost address that is not a trusted proxy, as inet_ntop writes it,
 * into out. Entries left of it were written by the client and prove
 * nothing. false (out untouched) when the list is empty or an entry
 * before that one is not an IP address.
 */
bool bb_wire_forwarded_client(const char *xff, bb_wire_trusted_fn trusted, void *ctx, char *out,
                              size_t size);

/* The token of "Authorization: Bearer TOKEN", or NULL for another scheme. */
const char *bb_wire_bearer_token(const char *authz);

#endif
