/*
 * testutil.h - shared helpers of the cmocka unit tests. Tests run from the
 * repository root: shared data is read from ../shared/ by that path.
 */
#ifndef BB_TESTUTIL_H
#define BB_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

/* Reads a whole file into fresh memory (free()); fails the test if absent. */
static inline char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        print_error("cannot open %s\n", path);
        fail();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return p;
}

/* Writes text to path (created or emptied); fails the test if it cannot. */
static inline void tu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* The folder of shared test data: $BACKBONE_SHARED or ../shared. */
static inline const char *tu_shared_dir(void)
{
    const char *d = getenv("BACKBONE_SHARED");
    return d && *d ? d : "../shared";
}

#endif
