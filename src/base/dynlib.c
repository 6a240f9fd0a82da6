/* dynlib.c - shared libraries opened on first use (see dynlib.h). */
#include "base/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* Opens lib and fills its table; false with the reason in lib->error,
 * printed once on stderr. */
static bool open_library(bb_dynlib *lib)
{
    const char *soname = lib->soname_override ? lib->soname_override : lib->soname;
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(lib->error, sizeof(lib->error),
                 "cannot load %s (%s); install the Debian package %s", soname,
                 why ? why : "unknown error", lib->package);
        fprintf(stderr, "backbone: %s\n", lib->error);
        return false;
    }
    for (size_t i = 0; i < lib->n_symbols; i++) {
        void *p = dlsym(handle, lib->symbols[i].name);
        if (!p) {
            snprintf(lib->error, sizeof(lib->error),
                     "%s has no function %s (too old a version); install the Debian package %s",
                     soname, lib->symbols[i].name, lib->package);
            fprintf(stderr, "backbone: %s\n", lib->error);
            dlclose(handle);
            return false;
        }
        /* POSIX guarantees that a function pointer round-trips through
         * void *, which is what dlsym returns. */
        memcpy((char *)lib->table + lib->symbols[i].offset, &p, sizeof(p));
    }
    lib->error[0] = '\0';
    return true;
}

bool bb_dynlib_ready(bb_dynlib *lib)
{
    int state = atomic_load_explicit(&lib->state, memory_order_acquire);
    if (state == 0) {
        pthread_mutex_lock(&lib->lock);
        state = atomic_load_explicit(&lib->state, memory_order_relaxed);
        if (state == 0) {
            state = open_library(lib) ? 1 : 2;
            atomic_store_explicit(&lib->state, state, memory_order_release);
        }
        pthread_mutex_unlock(&lib->lock);
    }
    return state == 1;
}

const char *bb_dynlib_error(bb_dynlib *lib)
{
    bb_dynlib_ready(lib);
    return lib->error;
}

void bb_dynlib__set_soname(bb_dynlib *lib, const char *soname)
{
    lib->soname_override = soname;
    lib->error[0] = '\0';
    atomic_store(&lib->state, 0);
}
