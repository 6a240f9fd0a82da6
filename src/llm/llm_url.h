/*
 * llm_url.h - the base URL of an LLM service, read without libcurl: which
 * URLs backbone accepts and what their host says about the server.
 *
 * The parser is deliberately narrow. It takes http:// or https://, a host
 * of letters, digits, dots and hyphens (or a bracketed IPv6 literal), an
 * optional port and a path; no user name or password, no percent-encoding
 * or other characters in the host. Whatever it refuses is refused as a
 * base URL, so no other parser can read a different host into an accepted
 * URL ("http://127.0.0.1.example.com", "http://127.0.0.1@example.com").
 */
#ifndef BB_LLM_URL_H
#define BB_LLM_URL_H

#include <stdbool.h>
#include <stddef.h>

/* The host of url, lower case, into host (cap bytes; IPv6 with its
 * brackets). False when url is not a URL the parser accepts. */
bool bb_llm_url_host(const char *url, char *host, size_t cap);

/* True for localhost, an IPv4 address in 127.0.0.0/8 written as four
 * decimal numbers, and [::1]. */
bool bb_llm_host_is_loopback(const char *host);

/* True when url is https://, or http:// to a loopback host (both as the
 * parser reads them). */
bool bb_llm_url_allowed(const char *url);

#endif
