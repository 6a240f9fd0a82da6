/*
 * bb.h - what every backbone module shares: the version, the error codes and
 * the allocator entry points.
 *
 * Fallible functions return an int: BB_OK (0) on success, a negative BB_E*
 * code on failure. Details for the user go into a bb_diags context (diag.h);
 * the return code only says what kind of failure it was.
 *
 * All heap memory goes through bb_malloc/bb_realloc/bb_free, so tests can make
 * the Nth allocation fail (bb_alloc_fail_after) and prove that every failure
 * path is clean.
 */
#ifndef BB_H
#define BB_H

#include <stddef.h>

#define BB_VERSION "0.1.0"

#define BB_WUR __attribute__((warn_unused_result))
#define BB_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum {
    BB_OK = 0,
    BB_ENOMEM = -1, /* an allocation failed */
    BB_ELIMIT = -2, /* a configured cap was reached (size, depth, count) */
    BB_EIO = -3,    /* reading or writing a file failed (errno is kept) */
    BB_EINVAL = -4, /* the input is invalid; diagnostics say why */
    BB_EUSAGE = -5, /* the caller used an API or command wrongly */
    BB_ENOTFOUND = -6,
    BB_ESTATE = -7, /* the operation does not fit the current state */
    BB_ENET = -8,   /* a network transfer failed */
    BB_ETIMEOUT = -9,
};

/* A short, static description of a BB_E* code. */
const char *bb_strerror(int code);

void *bb_malloc(size_t n) BB_WUR;
void *bb_calloc(size_t count, size_t size) BB_WUR;
void *bb_realloc(void *p, size_t n) BB_WUR;
void bb_free(void *p);
/* Makes the array *v of *cap items of size bytes hold at least need
 * items, doubling its capacity (from 16); BB_ENOMEM leaves it as it was. */
int bb_grow(void **v, size_t *cap, size_t need, size_t size) BB_WUR;
/* Copies s into fresh memory the caller owns; NULL on failure or NULL s. */
char *bb_strdup(const char *s) BB_WUR;
char *bb_strndup(const char *s, size_t n) BB_WUR;

/*
 * Test hook: after n more successful allocations, every allocation fails
 * until bb_alloc_fail_after(-1) is called. Not thread-safe; tests only.
 */
void bb_alloc_fail_after(long n);

#endif
