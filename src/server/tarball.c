/* tarball.c - deterministic ustar archives compressed with zlib
 * (see tarball.h). */
#include "server/tarball.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define BLOCK 512

typedef struct gz {
    z_stream z;
    bb_buf *out;
} gz;

/* Compresses len bytes into the output buffer (flush: Z_NO_FLUSH or
 * Z_FINISH). The buffer grows by up to 16 KiB at a time, never past its cap:
 * an archive that fits exactly is written, one byte more is BB_ELIMIT. */
static int gz_write(gz *g, const void *data, size_t len, int flush)
{
    g->z.next_in = (Bytef *)(uintptr_t)data;
    g->z.avail_in = (uInt)len;
    for (;;) {
        size_t step = g->out->max - g->out->len;
        if (step == 0)
            return BB_ELIMIT;
        int rc = bb_buf_reserve(g->out, step < 16384 ? step : 16384);
        if (rc)
            return rc;
        size_t room = g->out->cap - g->out->len - 1;
        g->z.next_out = (Bytef *)g->out->data + g->out->len;
        g->z.avail_out = (uInt)room;
        int zr = deflate(&g->z, flush);
        g->out->len += room - g->z.avail_out;
        g->out->data[g->out->len] = '\0';
        if (zr == Z_STREAM_ERROR)
            return BB_EIO;
        if (flush == Z_FINISH ? zr == Z_STREAM_END : g->z.avail_in == 0 && g->z.avail_out > 0)
            return BB_OK;
    }
}

static void octal(char *field, size_t width, unsigned long long v)
{
    /* width - 1 digits and a NUL, as ustar writes them. */
    snprintf(field, width, "%0*llo", (int)(width - 1), v);
}

static bool safe_path(const char *p)
{
    if (!*p || *p == '/')
        return false;
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        s += n + (e != NULL);
    }
    return true;
}

/* Fills a ustar header; splits a long path at a '/' into prefix and name. */
static int make_header(unsigned char h[BLOCK], const char *path, size_t size)
{
    memset(h, 0, BLOCK);
    size_t len = strlen(path);
    const char *name = path;
    size_t prefix_len = 0;
    if (len > 100) {
        const char *cut = NULL;
        for (const char *p = path; *p; p++)
            if (*p == '/' && (size_t)(p - path) <= 155 && len - (size_t)(p - path) - 1 <= 100)
                cut = p;
        if (!cut)
            return BB_ELIMIT;
        prefix_len = (size_t)(cut - path);
        name = cut + 1;
    }
    memcpy(h, name, strlen(name));
    octal((char *)h + 100, 8, 0644);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    octal((char *)h + 124, 12, size);
    octal((char *)h + 136, 12, BB_TARBALL_MTIME);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "root", 4);
    memcpy(h + 297, "root", 4);
    memcpy(h + 345, path, prefix_len);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    return BB_OK;
}

static int add_entry(gz *g, const char *dir, const bb_file *f)
{
    char path[512];
    int n = snprintf(path, sizeof(path), "%s%s%s", dir, *dir ? "/" : "", f->path);
    if (n < 0 || (size_t)n >= sizeof(path) || !safe_path(path))
        return BB_ELIMIT;
    unsigned char h[BLOCK];
    int rc = make_header(h, path, f->len);
    if (!rc)
        rc = gz_write(g, h, BLOCK, Z_NO_FLUSH);
    if (!rc)
        rc = gz_write(g, f->data, f->len, Z_NO_FLUSH);
    static const unsigned char zeros[BLOCK];
    if (!rc && f->len % BLOCK)
        rc = gz_write(g, zeros, BLOCK - f->len % BLOCK, Z_NO_FLUSH);
    return rc;
}

int bb_tarball_gzip(const bb_file *files, size_t n_files, const char *dir, bb_buf *out)
{
    gz g;
    memset(&g, 0, sizeof(g));
    g.out = out;
    /* 15 + 16: a gzip wrapper rather than zlib's; level 6 is zlib's default. */
    if (deflateInit2(&g.z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return BB_ENOMEM;
    int rc = BB_OK;
    for (size_t i = 0; !rc && i < n_files; i++)
        rc = add_entry(&g, dir ? dir : "", &files[i]);
    static const unsigned char end[2 * BLOCK];
    if (!rc)
        rc = gz_write(&g, end, sizeof(end), Z_FINISH);
    deflateEnd(&g.z);
    return rc;
}
