/*
 * llm_cache.h - a disk cache of model answers, so a rerun is byte-identical
 * and sends no request.
 *
 * The key is the SHA-256 of (provider name, base URL, model, request body),
 * each part followed by a NUL, so two endpoints serving a model of the same
 * name never share answers; the body never holds the API key (it travels
 * in a header), so neither does the key. An entry is the provider's raw response
 * body, stored as DIR/<first two hex digits>/<hex digest>.json, written to a
 * temporary file and renamed into place so readers never see half an entry.
 *
 * A shared cache (bb_llm_cache_set_shared) is looked up after the folder,
 * and written with it.
 *
 * Ownership: bb_llm_cache_get() hands the caller a bb_buf's contents.
 */
#ifndef BB_LLM_CACHE_H
#define BB_LLM_CACHE_H

#include "base/bb.h"
#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* The hex SHA-256 key (65 bytes with the NUL) of one request. */
int bb_llm_cache_key(const char *provider, const char *base_url, const char *model,
                     const char *body, size_t len, char hex[65]) BB_WUR;

/* Reads the entry of key into out (capped by out's max). BB_ENOTFOUND when absent. */
int bb_llm_cache_get(const char *dir, const char hex[65], bb_buf *out) BB_WUR;

/* Stores data under key, creating dir and its subfolder as needed. */
int bb_llm_cache_put(const char *dir, const char hex[65], const char *data, size_t len) BB_WUR;

/*
 * A cache shared by several processes (the service's replicas keep one in
 * Redis: server/redis_cache.h), set up by whoever owns it; the llm layer
 * knows it only by these functions. get: BB_OK with the entry appended to
 * out, BB_ENOTFOUND, or another error (treated as a miss). put: best
 * effort.
 */
typedef struct bb_llm_cache_store {
    int (*get)(void *ctx, const char hex[65], bb_buf *out);
    int (*put)(void *ctx, const char hex[65], const char *data, size_t len);
    void *ctx;
} bb_llm_cache_store;

/* Makes s (borrowed until replaced; NULL: none) the shared cache of every
 * model call of the process from now on. Set it before the calls start. */
void bb_llm_cache_set_shared(const bb_llm_cache_store *s);

/* Whether a request has a cache: the folder dir (NULL: none) or a shared one. */
bool bb_llm_cache_enabled(const char *dir);

/* The entry of key: from dir first, then the shared cache. BB_ENOTFOUND. */
int bb_llm_cache_lookup(const char *dir, const char hex[65], bb_buf *out) BB_WUR;

/* Stores an entry in dir (its error is returned) and the shared cache. */
int bb_llm_cache_store_entry(const char *dir, const char hex[65], const char *data,
                             size_t len) BB_WUR;

/* The default cache folder when CI=true: $XDG_CACHE_HOME/backbone/llm, else
 * .backbone/llm-cache. Caller frees. */
char *bb_llm_cache_default_dir(void) BB_WUR;

#endif
