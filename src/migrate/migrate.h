/*
 * migrate.h - Alembic revisions from schema changes, without a database.
 *
 * A revision is computed from two normalized schemas (normalize.h): the one
 * recorded when the project was last generated and the new one. The differ
 * (diff.h) turns them into Alembic operations (ops.h), both ways: the
 * upgrade is the diff from old to new, the downgrade the diff from new to
 * old. The revision file renders both with a template (revision.h). Every
 * change to an existing table goes through op.batch_alter_table, so the
 * same file runs on SQLite (table copy) and on PostgreSQL (plain ALTER).
 * PostgreSQL enum types are created and dropped explicitly.
 *
 * What is refused (diagnostics BB0820..BB0899, docs/diagnostics.md): drops
 * without allow_destructive, a NOT NULL column added to an existing table
 * with no default, primary key changes, enum values removed, a renamed_from
 * that names nothing in the recorded schema.
 *
 * Ownership: everything a bb_revision or bb_migrate_result holds is its
 * own; free with bb_revision_free() / bb_migrate_result_free().
 */
#ifndef BB_MIGRATE_H
#define BB_MIGRATE_H

#include "base/bb.h"
#include "diag/diag.h"
#include "front/schema.h"
#include "migrate/revision.h"
#include "pipeline/pipeline.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

typedef struct bb_migrate_opts {
    bool allow_destructive;    /* drop tables and columns */
    const char *down_revision; /* the parent revision id; NULL for the first */
    const char *message;       /* NULL: made from the changes */
} bb_migrate_opts;

/*
 * The revision that takes a database from old_norm (NULL: empty, the
 * initial revision) to new_norm. locate, when given, is the validated new
 * schema, used only to point diagnostics at the right place of its source.
 * Returns BB_OK (out filled, maybe with n_ops 0), BB_EINVAL when a change
 * is refused (diags lists every refusal; out is empty), BB_ENOMEM, BB_ELIMIT.
 */
int bb_migrate_revision(const cJSON *old_norm, const cJSON *new_norm, const bb_schema *locate,
                        const bb_migrate_opts *opts, bb_diags *diags, bb_revision *out) BB_WUR;

/*
 * The hook of `backbone generate`. Given the validated schema, the output
 * folder and the root of its existing manifest (NULL when the folder was
 * never generated), it returns:
 *   files     every revision file of the project: the recorded ones read
 *             from out_dir as they are now, then the new one if the schema
 *             changed (the initial revision on a first run);
 *   schema    the normalized schema, to store as the manifest's "schema";
 *   revisions the manifest's "revisions": [{"id", "down_revision", "path",
 *             "message"}], oldest first; a down_revision may name a
 *             revision written by hand (not recorded) after the one before.
 * opts->down_revision is ignored: the parent is the head of
 * out_dir/alembic/versions (versions.h), which follows revisions written
 * by hand and merges, else the last recorded revision.
 * Without a manifest, out_dir may be NULL: the result is then the initial
 * revision alone (what the HTTP service puts in a generated project).
 * Returns BB_OK, BB_EINVAL (a change refused, a recorded revision file
 * missing, a recorded schema unreadable, several heads in alembic/versions:
 * diags says which), BB_ENOMEM, BB_EIO (alembic/versions unreadable).
 */
typedef struct bb_migrate_result {
    bb_file *files;
    size_t n_files;
    cJSON *schema;
    cJSON *revisions;
    bool created; /* a new revision was added */
} bb_migrate_result;

int bb_migrate_generate(const bb_schema *s, const char *out_dir, const cJSON *manifest_root,
                        const bb_migrate_opts *opts, bb_diags *diags,
                        bb_migrate_result *out) BB_WUR;

void bb_migrate_result_free(bb_migrate_result *r);

#endif
