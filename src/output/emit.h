/*
 * emit.h - writing a generated tree into its output directory, atomically,
 * without ever destroying the user's code; and comparing a tree with what is
 * on disk (CI mode).
 *
 * Writing (bb_emit_tree):
 *   1. Every path is checked: relative, no "." or ".." part, no empty part,
 *      no backslash, and no file or symbolic link of the old tree in the way.
 *   2. The target must be absent, empty, or a tree backbone generated (it
 *      holds .backbone/manifest.json); opts->force lifts that last rule.
 *   3. A generated file whose bytes on disk differ both from the new version
 *      and from the hash the manifest recorded was edited by the user (or,
 *      under --force, was never ours). It is never overwritten: the run stops
 *      and lists every such file (BB0801), or with opts->merge the user's
 *      file is kept and the new version is written beside it as <path>.new.
 *      --force does NOT change this rule.
 *   4. The files that change are written beside the target (DIR.tmp-XXXXXX
 *      in the same parent) with the new manifest and flushed. A target that
 *      did not exist is then that tree, renamed into place. Into an existing
 *      target each file is renamed over its old version (atomic per file;
 *      the target folder itself stays, so a shell or a reloader inside it
 *      keeps working), files no longer generated and unchanged are removed,
 *      and the manifest comes last. Files with the same bytes and the user's
 *      files are not touched. A failure before the renames leaves the target
 *      as it was; an interrupted run leaves some files new and the old
 *      manifest, which the next run completes (and removes DIR.tmp-XXXXXX).
 *      Runs into the same parent folder take turns (bb_emit_lock).
 *   Files marked user (plan entries with "user": true) are written only
 *   when absent and never compared; the manifest lists them apart
 *   ("user_files"), and one that a later run no longer writes (its table
 *   was removed or renamed) but that is still there is reported (BB0840).
 *   5. An edit the user accepted (opts->accept, manifest "accepted") is
 *   not an edit while the generated version stays the one it was accepted
 *   against: no BB0801, no .new, no --check difference. When that version
 *   changes, the file counts as edited again (BB0801 says so).
 *
 * Checking (opts->check): nothing is written; every generated file that is
 * missing (BB0803: a user-owned file too, since the next run writes it
 * again, and the manifest of an existing folder), different (BB0804), or
 * recorded in the manifest but no longer generated (BB0805) is reported as
 * an error, with a unified diff appended to opts->diff when it is not NULL.
 *
 * Ownership: the files and manifests are borrowed. bb_emit_tree() fills the
 * "files" of `next` and writes it as the new manifest; it hashes each file
 * at most once, through bb_file_sha256() (a file hashed before, by the
 * reviewer say, is not hashed again).
 */
#ifndef BB_EMIT_H
#define BB_EMIT_H

#include "base/bb.h"
#include "base/buf.h"
#include "base/file.h"
#include "diag/diag.h"
#include "output/manifest.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct bb_emit_opts {
    bool force;    /* accept a non-empty directory backbone did not generate */
    bool merge;    /* write <path>.new beside files the user edited */
    bool check;    /* write nothing; report what differs */
    bb_buf *diff;  /* with check: unified diffs are appended here (or NULL) */
    bool no_sync;  /* skip flushing the new tree to disk (throwaway output) */
    bool locked;   /* the caller holds bb_emit_lock(dir); else the run takes it */
    unsigned jobs; /* threads that write and hash the files; 0 or 1: the caller's */
    /* Generated files whose edits on disk become the user's (generate
     * --accept): recorded in the manifest against the version generated
     * now, and left as they are while that version stays the same. */
    const char *const *accept;
    size_t n_accept;
} bb_emit_opts;

typedef struct bb_emit_report {
    size_t n_written;                     /* generated files written (0 when up to date) */
    size_t n_kept;                        /* files of the plan left as the user has them */
    size_t n_merged;                      /* <path>.new files written beside edited files */
    size_t n_edited;                      /* generated files the user edited */
    size_t n_added, n_changed, n_removed; /* check mode */
    bool up_to_date;                      /* the tree on disk already matched: nothing written */
} bb_emit_report;

/*
 * Writes (or, with opts->check, compares) the tree. `prev` is the manifest
 * found in dir (NULL when none); `next` receives the new file hashes and is
 * written as dir/.backbone/manifest.json. Returns BB_OK; BB_EINVAL when the
 * run was refused or a check found differences (diags lists why); BB_EIO or
 * BB_ENOMEM on failure (diags says which path).
 */
int bb_emit_tree(const char *dir, bb_file *files, size_t n, const bb_manifest *prev,
                 bb_manifest *next, const bb_emit_opts *opts, bb_diags *diags,
                 bb_emit_report *report) BB_WUR;

/*
 * The lock of a run that reads dir (its manifest) and then writes it: an
 * exclusive flock on dir's parent folder, made when missing. Runs into the
 * same place take turns, so the manifest a run read is still the one on
 * disk when it writes. Temporary trees that interrupted runs left beside
 * dir are removed under the lock. Returns the lock, or -1 after a BB0730
 * diagnostic. A process must not take it twice (flock would wait forever).
 */
int bb_emit_lock(const char *dir, bb_diags *diags) BB_WUR;
void bb_emit_unlock(int lock);

/* Removes a directory tree without following symbolic links; BB_OK or
 * BB_EIO (callers cleaning up after a failure may ignore it). */
int bb_emit_remove_tree(const char *path);

#endif
