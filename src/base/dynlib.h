/*
 * dynlib.h - a shared library opened when first used, and the functions
 * backbone needs from it looked up by name.
 *
 * backbone is not linked against libcurl or libmicrohttpd: between them
 * they pull in some thirty shared libraries (TLS, Kerberos, LDAP, SSH...)
 * whose loading would cost every command about 7 ms at startup, while
 * only `serve` needs libmicrohttpd and only model calls need libcurl. Each
 * is wrapped by a module with backbone's own names (base/http.c for
 * libcurl, server/httpd.c for libmicrohttpd) that describes the library
 * with a bb_dynlib and calls bb_dynlib_ready() before using it. Nothing
 * here defines a function of the library itself.
 *
 * The first bb_dynlib_ready() dlopen()s the library (RTLD_NOW |
 * RTLD_LOCAL) and fills the wrapper's table of function pointers, once per
 * process and thread-safely. When the library is absent or lacks a
 * function, one line naming it and the Debian package that provides it is
 * printed on stderr, once, and bb_dynlib_ready() says false from then on.
 * A library once loaded stays loaded until the process exits.
 */
#ifndef BB_DYNLIB_H
#define BB_DYNLIB_H

#include "base/bb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct bb_dynlib_symbol {
    const char *name;
    size_t offset; /* of its pointer in the wrapper's table */
} bb_dynlib_symbol;

/* An entry of a symbol list: the library's function sym fills member of
 * the table type api. */
#define BB_DYNLIB_SYMBOL(api, member, sym)                                                         \
    {                                                                                              \
#sym, offsetof(api, member)                                                                \
    }

typedef struct bb_dynlib {
    const char *soname;  /* e.g. "libcurl.so.4" */
    const char *package; /* the Debian package that ships it */
    const bb_dynlib_symbol *symbols;
    size_t n_symbols;
    void *table; /* the wrapper's struct of function pointers */
    /* The loader's own. */
    const char *soname_override;
    pthread_mutex_t lock;
    atomic_int state; /* 0 not tried, 1 loaded, 2 failed */
    char error[320];
} bb_dynlib;

/* A static bb_dynlib: BB_DYNLIB_INIT("libx.so.1", "libx1", symbols, &table). */
#define BB_DYNLIB_INIT(so, pkg, syms, tbl)                                                         \
    {                                                                                              \
        so, pkg, syms, sizeof(syms) / sizeof(syms[0]), tbl, NULL, PTHREAD_MUTEX_INITIALIZER, 0, "" \
    }

/* True when the library is loaded, loading it on the first call. */
bool bb_dynlib_ready(bb_dynlib *lib);

/* Why the library cannot be loaded, naming it and its package; "" when it
 * loads (tried now if it was not yet). Valid as long as lib. */
const char *bb_dynlib_error(bb_dynlib *lib);

/*
 * Test hook: the file name to dlopen() instead (NULL restores the
 * default), forgetting any earlier attempt so the next use loads again. A
 * library already loaded stays mapped. Not thread-safe. Tests only.
 */
void bb_dynlib__set_soname(bb_dynlib *lib, const char *soname);

#endif
