/* file.c - reading, writing and naming files (see file.h). */
#include "base/file.h"

#include "base/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bb_file_read(const char *path, size_t max, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return BB_EIO;
    size_t cap = 64 * 1024, n = 0;
    char *data = bb_malloc(cap + 1);
    int rc = data ? BB_OK : BB_ENOMEM;
    while (rc == BB_OK) {
        if (n == cap) {
            if (n > max) {
                rc = BB_ELIMIT;
                break;
            }
            cap *= 2;
            char *p = bb_realloc(data, cap + 1);
            if (!p) {
                rc = BB_ENOMEM;
                break;
            }
            data = p;
        }
        size_t want = cap - n;
        if (want > max + 1 - n && max + 1 > n)
            want = max + 1 - n;
        size_t got = fread(data + n, 1, want, f);
        n += got;
        if (n > max) {
            rc = BB_ELIMIT;
            break;
        }
        if (got < want) {
            if (ferror(f))
                rc = BB_EIO;
            break;
        }
    }
    int saved = errno;
    if (f != stdin)
        fclose(f);
    if (rc) {
        bb_free(data);
        errno = saved;
        return rc;
    }
    data[n] = '\0';
    *out = data;
    *len = n;
    return BB_OK;
}

int bb_file_write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return BB_EIO;
        data += n;
        len -= (size_t)n;
    }
    return BB_OK;
}

bool bb_file_path_is_safe(const char *path)
{
    if (!path || !*path || path[0] == '/' || strlen(path) >= 2048)
        return false;
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        for (size_t i = 0; i < n; i++)
            if (p[i] == '\\' || (unsigned char)p[i] < 0x20)
                return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

const char *bb_file_sha256(bb_file *f)
{
    if (!f->sha256[0]) {
        int rc = bb_sha256_hex(f->data, f->len, f->sha256);
        (void)rc; /* always BB_OK */
    }
    return f->sha256;
}

int bb_file_replace(const char *path, const char *data, size_t n)
{
    bb_buf tmp;
    bb_buf_init(&tmp, 8192);
    if (bb_buf_printf(&tmp, "%s.tmp-XXXXXX", path) != BB_OK) {
        bb_buf_free(&tmp);
        return BB_ENOMEM;
    }
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
    int fd = mkstemp(tmp.data);
    int rc = fd < 0 ? BB_EIO : bb_file_write_all(fd, data, n);
    if (fd >= 0) {
        if (!rc && (fchmod(fd, mode) != 0 || fsync(fd) != 0))
            rc = BB_EIO;
        if (close(fd) != 0 && !rc)
            rc = BB_EIO;
        if (!rc && rename(tmp.data, path) != 0)
            rc = BB_EIO;
        if (rc) {
            int saved = errno;
            unlink(tmp.data);
            errno = saved;
        }
    }
    bb_buf_free(&tmp);
    return rc;
}
