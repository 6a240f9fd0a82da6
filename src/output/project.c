/* project.c - the generated tree assembled in memory (see project.h). */
#include "output/project.h"

#include "output/manifest.h"

#include <stdlib.h>
#include <string.h>

void bb_project_free(bb_project *p)
{
    bb_free(p->files);
    bb_migrate_result_free(&p->mig);
    bb_free(p->manifest);
    memset(p, 0, sizeof(*p));
}

static int file_cmp(const void *a, const void *b)
{
    return strcmp(((const bb_file *)a)->path, ((const bb_file *)b)->path);
}

/* The manifest of a first generation, as cmd_generate.c and emit.c make it:
 * version, style, then the hash of every file but the user-owned ones (listed in
 * "user_files"), the normalized schema and the revisions. Takes mig's schema
 * and revisions. */
static int project_manifest(bb_project *p, const char *style)
{
    bb_manifest *m = NULL;
    int rc = bb_manifest_new(&m);
    if (!rc)
        rc = bb_manifest_set_style(m, style);
    if (rc) {
        bb_manifest_free(m);
        return rc;
    }
    bb_manifest_adopt(m, "schema", &p->mig.schema);
    bb_manifest_adopt(m, "revisions", &p->mig.revisions);
    for (size_t i = 0; !rc && i < p->n_files; i++)
        rc = p->files[i].user ? bb_manifest_add_user_file(m, p->files[i].path)
                              : bb_manifest_set(m, p->files[i].path, bb_file_sha256(&p->files[i]));
    if (!rc)
        rc = bb_manifest_serialize(m, &p->manifest, &p->manifest_len);
    bb_manifest_free(m);
    return rc;
}

int bb_project_build(const bb_output *out, bb_diags *d, bb_project *p)
{
    memset(p, 0, sizeof(*p));
    int rc = bb_migrate_generate(out->schema, NULL, NULL, NULL, d, &p->mig);
    if (rc)
        return rc;
    size_t n = out->n_files + p->mig.n_files;
    p->files = bb_calloc(n + 1, sizeof(*p->files));
    if (!p->files)
        return BB_ENOMEM;
    for (size_t i = 0; i < out->n_files; i++)
        p->files[p->n_files++] = out->files[i];
    for (size_t i = 0; i < p->mig.n_files; i++)
        p->files[p->n_files++] = p->mig.files[i];
    rc = project_manifest(p, out->style);
    if (rc)
        return rc;
    p->files[p->n_files++] =
        (bb_file){.path = (char *)BB_MANIFEST_PATH, .data = p->manifest, .len = p->manifest_len};
    qsort(p->files, p->n_files, sizeof(*p->files), file_cmp);
    return BB_OK;
}
