/*
 * sha256.h - SHA-256 (FIPS 180-4) of a buffer, built in.
 *
 * The manifest records a SHA-256 of every generated file and the reviewer
 * keys its record of compiled files by one, so `generate` hashes its whole
 * output on every run. libcrypto is not used for it: loading it and its
 * default provider costs more than hashing a 50-table project takes (it is
 * loaded lazily, and only by the commands that need TLS).
 *
 * On x86-64 the compression function is picked once per process from what
 * the CPU offers: the SHA extensions, else BMI2 (rotations without moves),
 * else portable C, which is also the code on every other architecture. All
 * give the same digests. Thread-safe.
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

/* The compression functions, fastest last. */
typedef enum bb_sha256_impl {
    BB_SHA256_PORTABLE,
    BB_SHA256_BMI2,
    BB_SHA256_SHA_NI,
} bb_sha256_impl;

/* The implementation later hashes use. */
bb_sha256_impl bb_sha256_current(void);

/*
 * For tests only: makes later hashes use impl, so that every path can be
 * checked against the others on a CPU that runs them. False, and nothing
 * changes, when this CPU cannot run impl. Not for use while other threads
 * hash.
 */
bool bb_sha256_test_use(bb_sha256_impl impl);

#endif
