/*
 * project.h - the whole tree `backbone generate` writes into an empty
 * folder, assembled in memory: the pipeline's files, the initial Alembic
 * revision and .backbone/manifest.json (what a later `backbone generate` in
 * that folder builds on: the next revision follows the initial one, edited
 * files are kept). The HTTP service answers with it, for plain and for
 * model-advised generations alike.
 *
 * Ownership: files are sorted by path; their bytes are borrowed from the
 * pipeline's output (which must outlive the project), the migration result
 * and the manifest text, both owned by the project. bb_project_free()
 * releases what the project owns.
 */
#ifndef BB_PROJECT_H
#define BB_PROJECT_H

#include "migrate/migrate.h"
#include "pipeline/pipeline.h"

typedef struct bb_project {
    bb_file *files;
    size_t n_files;
    bb_migrate_result mig;
    char *manifest;
    size_t manifest_len;
} bb_project;

/* Fills *p (zeroed first) from out. On failure *p still must be freed. */
int bb_project_build(const bb_output *out, bb_diags *d, bb_project *p) BB_WUR;
void bb_project_free(bb_project *p);

#endif
