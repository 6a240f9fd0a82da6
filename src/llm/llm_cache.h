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
 * Ownership: bb_llm_cache_get() hands the caller a bb_buf's contents.
 */
#ifndef BB_LLM_CACHE_H
#define BB_LLM_CACHE_H

#include "base/bb.h"
#include "base/buf.h"

#include <stddef.h>

/* The hex SHA-256 key (65 bytes with the NUL) of one request. */
int bb_llm_cache_key(const char *provider, const char *base_url, const char *model,
                     const char *body, size_t len, char hex[65]) BB_WUR;

/* Reads the entry of key into out (capped by out's max). BB_ENOTFOUND when absent. */
int bb_llm_cache_get(const char *dir, const char hex[65], bb_buf *out) BB_WUR;

/* Stores data under key, creating dir and its subfolder as needed. */
int bb_llm_cache_put(const char *dir, const char hex[65], const char *data, size_t len) BB_WUR;

/* The default cache folder when CI=true: $XDG_CACHE_HOME/backbone/llm, else
 * .backbone/llm-cache. Caller frees. */
char *bb_llm_cache_default_dir(void) BB_WUR;

#endif
