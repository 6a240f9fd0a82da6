/*
 * tarball.h - generated files as a gzip-compressed tar archive (ustar), for
 * the HTTP service's `Accept: application/gzip` answer.
 *
 * The archive is deterministic: entries in the given order, mode 0644,
 * owner 0:0, mtime fixed (BB_TARBALL_MTIME), so the same files always give
 * the same bytes. Paths longer than ustar allows (100 bytes of name plus 155
 * of prefix) are refused with BB_ELIMIT; so are paths that are absolute or
 * contain "..", which no generated file has.
 *
 * Ownership: the archive is appended to the caller's buffer (capped as the
 * caller chose; BB_ELIMIT past its cap).
 */
#ifndef BB_TARBALL_H
#define BB_TARBALL_H

#include "base/bb.h"
#include "base/buf.h"
#include "pipeline/pipeline.h"

#include <stddef.h>

#define BB_TARBALL_MTIME 0

/* Every path is written under dir/ (NULL or "": at the archive's root). */
int bb_tarball_gzip(const bb_file *files, size_t n_files, const char *dir, bb_buf *out) BB_WUR;

#endif
