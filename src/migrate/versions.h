/*
 * versions.h - the revision graph of a project's alembic/versions folder,
 * as Alembic reads it: each .py file's `revision` and `down_revision`
 * (None, an id, or a tuple of ids after `alembic merge`). backbone adds
 * its next revision after the head found there, so hand-written revisions
 * and merges stay on the one line of history.
 *
 * The assignments are read from the files' text, at the start of a line,
 * as Alembic's templates write them (`revision = "id"`, `revision: str =
 * 'id'`, `down_revision = ("a", "b")`); the files are not run.
 */
#ifndef BB_VERSIONS_H
#define BB_VERSIONS_H

#include "base/bb.h"
#include "diag/diag.h"

/*
 * The single head of project_dir/alembic/versions into *head (the
 * caller's, bb_free), or NULL when the folder is missing or holds no
 * revision. Returns BB_OK; BB_EINVAL when there are several heads
 * (BB0830: the user must merge them first); BB_ENOMEM; BB_EIO when the
 * folder or a file cannot be read.
 */
int bb_versions_head(const char *project_dir, bb_diags *diags, char **head) BB_WUR;

#endif
