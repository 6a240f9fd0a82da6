/* bb.c - error strings and the allocator entry points (see bb.h). */
#include "base/bb.h"

#include <stdlib.h>
#include <string.h>

static long fail_countdown = -1;

static int alloc_should_fail(void)
{
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}

void bb_alloc_fail_after(long n)
{
    fail_countdown = n;
}

void *bb_malloc(size_t n)
{
    return alloc_should_fail() ? NULL : malloc(n ? n : 1);
}

void *bb_calloc(size_t count, size_t size)
{
    return alloc_should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *bb_realloc(void *p, size_t n)
{
    return alloc_should_fail() ? NULL : realloc(p, n ? n : 1);
}

void bb_free(void *p)
{
    free(p);
}

int bb_grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return BB_OK;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *p = bb_realloc(*v, c * size);
    if (!p)
        return BB_ENOMEM;
    *v = p;
    *cap = c;
    return BB_OK;
}

char *bb_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = bb_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *bb_strdup(const char *s)
{
    return s ? bb_strndup(s, strlen(s)) : NULL;
}

const char *bb_strerror(int code)
{
    switch (code) {
    case BB_OK:
        return "success";
    case BB_ENOMEM:
        return "out of memory";
    case BB_ELIMIT:
        return "a configured limit was reached";
    case BB_EIO:
        return "input/output error";
    case BB_EINVAL:
        return "invalid input";
    case BB_EUSAGE:
        return "invalid usage";
    case BB_ENOTFOUND:
        return "not found";
    case BB_ESTATE:
        return "invalid state";
    case BB_ENET:
        return "network error";
    case BB_ETIMEOUT:
        return "timed out";
    }
    return "unknown error";
}
