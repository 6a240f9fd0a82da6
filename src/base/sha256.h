/*
 * sha256.h - SHA-256 (FIPS 180-4) of a buffer, built in.
 *
 * The manifest records a SHA-256 of every generated file and the reviewer
 * keys its record of compiled files by one, so `generate` hashes its whole
 * output on every run. libcrypto is not used for it: loading it and its
 * default provider costs more than hashing a 50-table project takes (it is
 * loaded lazily, and only by the commands that need TLS).
 *
 * A portable implementation, its rounds unrolled eight at a time, and one
 * with the x86 SHA extensions, chosen at the first call when the CPU has
 * them. On a 50-table project's 1.85 MB (bench/bench_sha256.sh, best of
 * 30) the portable code takes 6.3 ms, a quarter of generate's
 * instructions; the extensions take 1.3 ms. Thread-safe.
 */
#ifndef BB_SHA256_H
#define BB_SHA256_H

#include "base/bb.h"

#include <stdbool.h>
#include <stddef.h>

#define BB_SHA256_LEN 32
#define BB_SHA256_HEX_LEN 64

/* SHA-256 of data as 32 bytes. */
void bb_sha256(const void *data, size_t len, unsigned char digest[BB_SHA256_LEN]);

/* SHA-256 of data as 64 lower-case hex digits and a NUL (hex has 65 bytes).
 * Always BB_OK; an int for the callers that chain it with fallible calls. */
int bb_sha256_hex(const void *data, size_t len, char hex[BB_SHA256_HEX_LEN + 1]) BB_WUR;

/* Whether the SHA extensions are used. */
bool bb_sha256_accelerated(void);

/* Tests and benches: the portable code from now on (on), or the CPU's
 * choice again (off). */
void bb_sha256_force_portable(bool on);

#endif
