/* llm_cache.c - disk cache of model answers (see llm_cache.h). */
#include "llm/llm_cache.h"
#include "base/hex.h"

#include "base/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bb_llm_cache_key(const char *provider, const char *base_url, const char *model,
                     const char *body, size_t len, char hex[65])
{
    const bb_crypto_part parts[] = {{provider, strlen(provider) + 1},
                                    {base_url, strlen(base_url) + 1},
                                    {model, strlen(model) + 1},
                                    {body, len},
                                    {"", 1}};
    unsigned char md[BB_SHA256_LEN];
    int rc = bb_crypto_sha256_parts(parts, sizeof(parts) / sizeof(parts[0]), md);
    if (rc)
        return rc;
    bb_hex_encode(md, sizeof(md), hex);
    return BB_OK;
}

static int entry_path(bb_buf *p, const char *dir, const char hex[65], const char *suffix)
{
    return bb_buf_printf(p, "%s/%.2s/%s%s", dir, hex, hex, suffix);
}

int bb_llm_cache_get(const char *dir, const char hex[65], bb_buf *out)
{
    bb_buf path;
    bb_buf_init(&path, 8192);
    int rc = entry_path(&path, dir, hex, ".json");
    FILE *f = rc ? NULL : fopen(bb_buf_str(&path), "rb");
    bb_buf_free(&path);
    if (rc)
        return rc;
    if (!f)
        return errno == ENOENT ? BB_ENOTFOUND : BB_EIO;
    char chunk[16384];
    size_t n;
    while (rc == BB_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = bb_buf_append(out, chunk, n);
    if (rc == BB_OK && ferror(f))
        rc = BB_EIO;
    fclose(f);
    return rc;
}

/* mkdir -p for the cache folder; existing folders are fine. */
static int make_dirs(const char *dir)
{
    bb_buf p;
    bb_buf_init(&p, 8192);
    int rc = bb_buf_puts(&p, dir);
    for (size_t i = 1; rc == BB_OK && i <= p.len; i++) {
        if (p.data[i] != '/' && p.data[i] != '\0')
            continue;
        char saved = p.data[i];
        p.data[i] = '\0';
        if (mkdir(p.data, 0755) != 0 && errno != EEXIST)
            rc = BB_EIO;
        p.data[i] = saved;
    }
    bb_buf_free(&p);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return BB_EIO;
        data += n;
        len -= (size_t)n;
    }
    return BB_OK;
}

int bb_llm_cache_put(const char *dir, const char hex[65], const char *data, size_t len)
{
    bb_buf sub, tmp, final;
    bb_buf_init(&sub, 8192);
    bb_buf_init(&tmp, 8192);
    bb_buf_init(&final, 8192);
    int rc = bb_buf_printf(&sub, "%s/%.2s", dir, hex);
    if (!rc)
        rc = make_dirs(bb_buf_str(&sub));
    if (!rc)
        rc = entry_path(&final, dir, hex, ".json");
    if (!rc)
        rc = bb_buf_printf(&tmp, "%s.tmp.XXXXXX", bb_buf_str(&final));
    int fd = rc ? -1 : mkstemp(tmp.data);
    if (!rc && fd < 0)
        rc = BB_EIO;
    if (!rc) {
        rc = write_all(fd, data, len);
        if (!rc && fsync(fd) != 0)
            rc = BB_EIO;
        if (close(fd) != 0 && !rc)
            rc = BB_EIO;
        if (!rc && rename(tmp.data, final.data) != 0)
            rc = BB_EIO;
        if (rc)
            unlink(tmp.data);
    }
    bb_buf_free(&sub);
    bb_buf_free(&tmp);
    bb_buf_free(&final);
    return rc;
}

char *bb_llm_cache_default_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (!xdg || !*xdg)
        return bb_strdup(".backbone/llm-cache");
    bb_buf b;
    bb_buf_init(&b, 8192);
    if (bb_buf_printf(&b, "%s/backbone/llm", xdg) != BB_OK) {
        bb_buf_free(&b);
        return NULL;
    }
    return bb_buf_take(&b, NULL);
}

static _Atomic(const bb_llm_cache_store *) shared;

void bb_llm_cache_set_shared(const bb_llm_cache_store *s)
{
    atomic_store(&shared, s);
}

bool bb_llm_cache_enabled(const char *dir)
{
    return dir || atomic_load(&shared);
}

int bb_llm_cache_lookup(const char *dir, const char hex[65], bb_buf *out)
{
    if (dir && bb_llm_cache_get(dir, hex, out) == BB_OK)
        return BB_OK;
    bb_buf_reset(out);
    const bb_llm_cache_store *s = atomic_load(&shared);
    if (!s)
        return BB_ENOTFOUND;
    int rc = s->get(s->ctx, hex, out);
    if (rc)
        bb_buf_reset(out);
    return rc == BB_OK ? BB_OK : BB_ENOTFOUND;
}

int bb_llm_cache_store_entry(const char *dir, const char hex[65], const char *data, size_t len)
{
    const bb_llm_cache_store *s = atomic_load(&shared);
    if (s)
        s->put(s->ctx, hex, data, len);
    return dir ? bb_llm_cache_put(dir, hex, data, len) : BB_OK;
}
