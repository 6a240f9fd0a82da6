/*
 * crypto.h - what backbone's credentials and caches need beyond SHA-256
 * (sha256.h): HMAC-SHA256 (RFC 2104), SHA-256 over several parts, random
 * bytes from the kernel, a comparison in constant time, and wiping a
 * secret. Built in: libcrypto cost every command 0.7 ms of a 1.7 ms
 * `backbone validate` to load, for these five functions.
 *
 * Thread-safe; nothing is kept between calls.
 */
#ifndef BB_CRYPTO_H
#define BB_CRYPTO_H

#include "base/bb.h"
#include "base/sha256.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct bb_crypto_part {
    const void *data;
    size_t len;
} bb_crypto_part;

/* SHA-256 of the parts one after the other. BB_ENOMEM. */
int bb_crypto_sha256_parts(const bb_crypto_part *parts, size_t n,
                           unsigned char digest[BB_SHA256_LEN]) BB_WUR;

/* HMAC-SHA256 of data under key (any length). BB_ENOMEM. */
int bb_crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                          unsigned char mac[BB_SHA256_LEN]) BB_WUR;

/* n bytes from the kernel's random generator (getrandom). BB_EIO when it
 * cannot give them. */
int bb_crypto_random(void *buf, size_t n) BB_WUR;

/* True when the n bytes of a and b are equal, in a time that depends on n
 * only. */
bool bb_crypto_equal(const void *a, const void *b, size_t n);

/* Zeroes n bytes in a way the compiler may not leave out. */
void bb_crypto_wipe(void *p, size_t n);

#endif
