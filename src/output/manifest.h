/*
 * manifest.h - .backbone/manifest.json, the record of what backbone wrote
 * into an output tree:
 *
 *   {"backbone_version": "0.1.0",
 *    "files": {"app/main.py": "<sha256 hex>", ...},
 *    "accepted": {"app/main.py": "<sha256 hex>", ...},   (may be absent)
 *    "user_files": ["app/api/routes/custom/posts.py", ...],
 *    "schema": ..., "revisions": [...]}      (kept for migrations)
 *
 * Regeneration reads it to tell generated files from files the user added
 * (not listed) and from generated files the user edited (hash differs).
 * "accepted" holds the edits the user made their own (generate --accept):
 * the hash of the generated version the edit was accepted against; such a
 * file is left as it is while that version stays the same. "user_files" are
 * the files written for the user once (plan entries "user": true), so a run
 * can tell which of them the project no longer uses.
 * Keys other than "backbone_version" and "files" belong to other modules
 * (migrations store "schema" and "revisions"); the manifest keeps them
 * untouched from one run to the next unless a caller sets them.
 *
 * Ownership: a bb_manifest owns its cJSON document; bb_manifest_free()
 * releases it. Strings it returns are borrowed and live as long as it.
 */
#ifndef BB_MANIFEST_H
#define BB_MANIFEST_H

#include "base/bb.h"
#include "base/sha256.h" /* the hashes it records */
#include "diag/diag.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

#define BB_MANIFEST_MAX_BYTES (16u << 20)

typedef struct bb_manifest {
    cJSON *root; /* always an object with "backbone_version" and "files" */
} bb_manifest;

/* A fresh manifest for this version with no files. */
int bb_manifest_new(bb_manifest **out) BB_WUR;

/*
 * Reads DIR/.backbone/manifest.json. BB_ENOTFOUND when there is none (*out
 * NULL, no diagnostic); BB_EINVAL when it is not a manifest (a BB0733 error
 * in diags); BB_EIO when it cannot be read.
 */
int bb_manifest_load(const char *dir, bb_diags *diags, bb_manifest **out) BB_WUR;

/* Parses manifest text; same results as bb_manifest_load(). */
int bb_manifest_parse(const char *text, size_t len, bb_diags *diags, bb_manifest **out) BB_WUR;

/* A copy that keeps every key but "files" (emptied) and "user_files" (left
 * out), and stamps this version. */
int bb_manifest_successor(const bb_manifest *old, bb_manifest **out) BB_WUR;

/* The recorded hash of a path, NULL when the path is not listed. */
const char *bb_manifest_hash(const bb_manifest *m, const char *path);

/* Records (or replaces) the hash of a path. */
int bb_manifest_set(bb_manifest *m, const char *path, const char *hex) BB_WUR;

/* The hash of the generated version an edit of path was accepted
 * against, NULL when no edit of path was accepted. */
const char *bb_manifest_accepted(const bb_manifest *m, const char *path);

/* Records that the edit of path is the user's, against the generated
 * version hex. */
int bb_manifest_accept(bb_manifest *m, const char *path, const char *hex) BB_WUR;

/* Forgets the acceptance of an edit of path (allocates nothing). */
void bb_manifest_forget(bb_manifest *m, const char *path);

/* Forgets every acceptance whose path gone(ctx, path) says is no longer
 * one to keep (allocates nothing). */
void bb_manifest_forget_if(bb_manifest *m, bool (*gone)(void *ctx, const char *path), void *ctx);

/* The "user_files" array (borrowed; NULL when the manifest has none). */
const cJSON *bb_manifest_user_files(const bb_manifest *m);

/* Appends path to "user_files" (made when missing). */
int bb_manifest_add_user_file(bb_manifest *m, const char *path) BB_WUR;

/* Puts *value at key of the manifest's root, replacing what was there
 * (the migrations' "schema" and "revisions"). The manifest takes *value and
 * *value becomes NULL; a NULL *value leaves the manifest as it is. */
void bb_manifest_adopt(bb_manifest *m, const char *key, cJSON **value);

/* The models' style the tree was generated in ("classic", "sa2"): NULL
 * when the manifest does not say (trees made before styles, or by the
 * service: classic). Set on every generation, so the next one keeps it. */
const char *bb_manifest_style(const bb_manifest *m);
int bb_manifest_set_style(bb_manifest *m, const char *style) BB_WUR;

/* The "files" object, for walking every recorded path (borrowed). */
const cJSON *bb_manifest_files(const bb_manifest *m);

/*
 * The manifest as text: cJSON's formatted JSON (json/jsonout.h) with "files" sorted by path
 * (sorted in place), ending with a newline, so equal manifests are equal
 * bytes. *out is the caller's (bb_free).
 */
int bb_manifest_serialize(bb_manifest *m, char **out, size_t *len) BB_WUR;

void bb_manifest_free(bb_manifest *m);

#endif
