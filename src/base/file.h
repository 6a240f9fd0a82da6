/*
 * file.h - files as backbone handles them: the one in-memory file type that
 * flows from the generator to the writer, and the few I/O helpers every
 * layer needs (reading a whole file under a cap, writing all of a buffer,
 * telling a safe relative output path).
 *
 * Ownership: bb_file_read() gives the caller a NUL-terminated buffer to
 * release with bb_free(). A bb_file does not say who owns its strings; the
 * structure that holds it does.
 *
 * A file's SHA-256 is computed once, by the first step that needs it (the
 * reviewer's record of compiled files, the check that skips unchanged
 * files, the manifest), and kept in the file: bb_file_sha256().
 */
#ifndef BB_FILE_H
#define BB_FILE_H

#include "base/bb.h"
#include "base/sha256.h"

#include <stdbool.h>
#include <stddef.h>

/* Where a generated tree keeps backbone's record of it (output/manifest.h). */
#define BB_MANIFEST_PATH ".backbone/manifest.json"

typedef struct bb_file {
    char *path; /* relative, '/'-separated, e.g. "app/models/user.py" */
    char *data;
    size_t len;
    bool user; /* belongs to the user once written: created only when absent;
                  never compared, never listed in the manifest */
    /* The SHA-256 of data in hex, "" until bb_file_sha256() computes it. A
     * file made zeroed (calloc, a compound literal) starts without one;
     * whoever changes data after it was hashed clears it. */
    char sha256[BB_SHA256_HEX_LEN + 1];
} bb_file;

/* The SHA-256 of f's bytes as 64 hex digits: computed on the first call,
 * then kept in f->sha256. */
const char *bb_file_sha256(bb_file *f);

/*
 * Reads all of path ("-" is standard input) into *out (NUL-terminated, len
 * bytes). BB_ELIMIT when it holds more than max bytes, BB_EIO (errno kept)
 * when it cannot be read, BB_ENOMEM.
 */
int bb_file_read(const char *path, size_t max, char **out, size_t *len) BB_WUR;

/* Writes all n bytes to fd, retrying short writes and EINTR; BB_OK or
 * BB_EIO (errno kept). */
int bb_file_write_all(int fd, const char *data, size_t n) BB_WUR;

/*
 * Replaces path's content with the n bytes at data atomically: a temporary
 * file beside it, synced, then renamed over it, so a reader sees the old
 * file or the new one, never a part. An existing file keeps its mode (a
 * new one is 0644). BB_OK or BB_EIO (errno kept; path untouched).
 */
int bb_file_replace(const char *path, const char *data, size_t n) BB_WUR;

/* True when path is relative, '/'-separated, without empty, "." or ".."
 * segments, backslashes or control characters, and shorter than 2 KiB. */
bool bb_file_path_is_safe(const char *path);

#endif
