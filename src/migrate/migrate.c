/*
 * migrate.c - Alembic revisions from two normalized schemas (migrate.h):
 * the differ's operations both ways, rendered as one revision file; and
 * the hook of `backbone generate`, which carries the recorded revisions
 * over and adds the new one.
 */
#include "migrate/migrate.h"

#include "base/buf.h"
#include "base/file.h"
#include "front/normalize.h"
#include "front/schema.h"
#include "migrate/diff.h"
#include "migrate/normview.h"
#include "migrate/ops.h"
#include "migrate/versions.h"

#include <cJSON.h>
#include <errno.h>
#include <string.h>

/* The operations hold every value as text: a few times the file's size. */
#define OPS_MAX (4 * (size_t)BB_REVISION_MAX_OUTPUT)

/*
 * Both directions of the change from old_v to new_v into up and down.
 * Refusals are reported on the upgrade only: BB_EINVAL when there are any.
 */
static int diff_both_ways(const bb_normview *old_v, const bb_normview *new_v, bool initial,
                          const bb_schema *locate_in, const bb_migrate_opts *opts, bb_diags *diags,
                          bb_ops *up, bb_ops *down)
{
    bb_diff_opts uo = {.upgrade = true,
                       .initial = initial,
                       .allow_destructive = opts && opts->allow_destructive,
                       .locate = locate_in};
    size_t refused = 0;
    int rc = bb_diff(old_v, new_v, &uo, diags, up, &refused);
    if (!rc && refused)
        rc = BB_EINVAL;
    if (!rc) {
        bb_diff_opts dop = {.upgrade = false, .initial = initial, .allow_destructive = true};
        rc = bb_diff(new_v, old_v, &dop, diags, down, &refused);
    }
    return rc;
}

/*
 * A column's type goes into the revision as Python (sa.<Type>()): a type
 * no schema can have comes from an edited migration record, and is
 * refused before it can write code there.
 */
static int known_types(const bb_normview *v, bb_diags *diags)
{
    for (int t = 0; t < v->n_tables; t++)
        for (int k = 0; k < v->tables[t].n_cols; k++) {
            const bb_normview_col *c = &v->tables[t].cols[k];
            if (c->type && bb_col_type_from_name(c->type) == BB_TYPE_UNKNOWN) {
                (void)bb_diag_add(diags, BB_ERROR, "BB0829", NULL, BB_NO_OFFSET,
                                  "restore " BB_MANIFEST_PATH " from version control",
                                  "the manifest's migration record is unreadable: column "
                                  "%s.%s has the type '%s', which no schema has",
                                  v->tables[t].id.name ? v->tables[t].id.name : "?",
                                  c->id.name ? c->id.name : "?", c->type);
                return BB_EINVAL;
            }
        }
    return BB_OK;
}

int bb_migrate_revision(const cJSON *old_norm, const cJSON *new_norm, const bb_schema *locate_in,
                        const bb_migrate_opts *opts, bb_diags *diags, bb_revision *out)
{
    memset(out, 0, sizeof(*out));
    bool initial = old_norm == NULL ||
                   cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(old_norm, "tables")) == 0;
    if (!bb_normalize_is_normalized(new_norm) ||
        (old_norm && !bb_normalize_is_normalized(old_norm)))
        return BB_EUSAGE;
    const char *parent = opts ? opts->down_revision : NULL;
    if (parent && !bb_revision_id_valid(parent)) {
        (void)bb_diag_add(diags, BB_ERROR, "BB0827", NULL, BB_NO_OFFSET,
                          "revision ids are letters, digits, '_' and '-'",
                          "'%s' is not a usable revision id", parent);
        return BB_EINVAL;
    }
    /* Both directions read the two schemas: each is viewed once. */
    bb_normview old_v, new_v;
    int rc = bb_normview_read(old_norm, &old_v);
    if (!rc) {
        rc = bb_normview_read(new_norm, &new_v);
        if (rc)
            bb_normview_free(&old_v);
    }
    if (rc)
        return rc;
    if ((rc = known_types(&old_v, diags)) || (rc = known_types(&new_v, diags))) {
        bb_normview_free(&old_v);
        bb_normview_free(&new_v);
        return rc;
    }
    bb_ops up, down;
    bb_ops_init(&up, OPS_MAX);
    bb_ops_init(&down, OPS_MAX);
    rc = diff_both_ways(&old_v, &new_v, initial, locate_in, opts, diags, &up, &down);
    bb_normview_free(&old_v);
    bb_normview_free(&new_v);
    if (!rc)
        out->n_ops = up.n_changes;
    /* No file, no id: hashing the whole schema is most of an unchanged run. */
    if (!rc && up.n_changes > 0)
        rc = bb_revision_name(out, parent, new_norm, opts ? opts->message : NULL, initial, &up);
    if (!rc && up.n_changes > 0)
        rc = bb_revision_render(out, &up, &down);
    bb_ops_free(&up);
    bb_ops_free(&down);
    if (rc)
        bb_revision_free(out);
    return rc;
}

/* ---- the hook of `backbone generate` ---------------------------------------- */

void bb_migrate_result_free(bb_migrate_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_files; i++) {
        bb_free(r->files[i].path);
        bb_free(r->files[i].data);
    }
    bb_free(r->files);
    cJSON_Delete(r->schema);
    cJSON_Delete(r->revisions);
    memset(r, 0, sizeof(*r));
}

/* A recorded revision path must stay inside alembic/versions/. */
static bool safe_revision_path(const char *p)
{
    size_t prefix = strlen(BB_ALEMBIC_VERSIONS_DIR "/");
    return p && strncmp(p, BB_ALEMBIC_VERSIONS_DIR "/", prefix) == 0 && !strstr(p, "..") &&
           !strchr(p + prefix, '/') && strlen(p) > prefix + 3 &&
           strcmp(p + strlen(p) - 3, ".py") == 0;
}

static int push_file(bb_migrate_result *r, char *path, char *data, size_t len)
{
    bb_file *files = bb_realloc(r->files, (r->n_files + 1) * sizeof(*files));
    if (!files) {
        bb_free(path);
        bb_free(data);
        return BB_ENOMEM;
    }
    r->files = files;
    r->files[r->n_files++] = (bb_file){.path = path, .data = data, .len = len};
    return BB_OK;
}

/* Reads out_dir/path (a recorded revision) into the result, as it is now. */
static int carry_revision(bb_migrate_result *r, const char *out_dir, const char *path,
                          bb_diags *diags)
{
    bb_buf full;
    bb_buf_init(&full, 4096);
    int rc = bb_buf_printf(&full, "%s/%s", out_dir, path);
    char *data = NULL;
    size_t len = 0;
    if (!rc) {
        rc = bb_file_read(bb_buf_str(&full), BB_REVISION_MAX_OUTPUT, &data, &len);
        if (rc == BB_EIO) {
            (void)bb_diag_add(diags, BB_ERROR, "BB0828", NULL, BB_NO_OFFSET,
                              "restore it (from version control), or remove the whole project's "
                              "migrations and the manifest's \"revisions\" to start over",
                              "recorded revision %s cannot be read: %s", bb_buf_str(&full),
                              strerror(errno));
            rc = BB_EINVAL;
        }
    }
    bb_buf_free(&full);
    if (rc)
        return rc;
    char *p = bb_strdup(path);
    if (!p) {
        bb_free(data);
        return BB_ENOMEM;
    }
    return push_file(r, p, data, len);
}

static int recorded_error(bb_diags *diags, const char *what)
{
    (void)bb_diag_add(diags, BB_ERROR, "BB0829", NULL, BB_NO_OFFSET,
                      "restore " BB_MANIFEST_PATH " from version control",
                      "the manifest's migration record is unreadable: %s", what);
    return BB_EINVAL;
}

/*
 * Checks the manifest's record and carries every recorded revision over.
 * *old is the recorded schema (borrowed) or NULL; *head the last id or NULL.
 */
static int read_record(const cJSON *manifest, const char *out_dir, bb_diags *diags,
                       bb_migrate_result *r, const cJSON **old, const char **head)
{
    *old = NULL;
    *head = NULL;
    const cJSON *schema = manifest ? cJSON_GetObjectItemCaseSensitive(manifest, "schema") : NULL;
    const cJSON *revs = manifest ? cJSON_GetObjectItemCaseSensitive(manifest, "revisions") : NULL;
    r->revisions = cJSON_CreateArray();
    if (!r->revisions)
        return BB_ENOMEM;
    if (!revs || cJSON_GetArraySize(revs) == 0)
        return BB_OK; /* never migrated: the next revision is the initial one */
    if (!cJSON_IsArray(revs))
        return recorded_error(diags, "\"revisions\" is not an array");
    if (!bb_normalize_is_normalized(schema))
        return recorded_error(diags, "\"schema\" is not a normalized schema");
    const cJSON *rev;
    const char *prev = NULL;
    cJSON_ArrayForEach(rev, revs)
    {
        const char *id = bb_normview_str(rev, "id"), *path = bb_normview_str(rev, "path");
        const char *down = bb_normview_str(rev, "down_revision");
        if (!id || !bb_revision_id_valid(id) || !safe_revision_path(path))
            return recorded_error(diags, "a revision has no valid \"id\" or \"path\"");
        /* The first has no parent; a later one follows the one before it,
         * or a revision written by hand (or a merge) that came after it. */
        if (prev ? !down || !bb_revision_id_valid(down) : down != NULL)
            return recorded_error(diags, "the revisions do not form one chain");
        int rc = carry_revision(r, out_dir, path, diags);
        if (rc)
            return rc;
        cJSON *copy = cJSON_Duplicate(rev, 1);
        if (!copy || !cJSON_AddItemToArray(r->revisions, copy)) {
            cJSON_Delete(copy);
            return BB_ENOMEM;
        }
        prev = id;
    }
    *old = schema;
    *head = prev;
    return BB_OK;
}

static int record_revision(bb_migrate_result *r, const bb_revision *rev)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(r->revisions, o)) {
        cJSON_Delete(o);
        return BB_ENOMEM;
    }
    if (!cJSON_AddStringToObject(o, "id", rev->id) ||
        !(rev->down_revision ? cJSON_AddStringToObject(o, "down_revision", rev->down_revision)
                             : cJSON_AddNullToObject(o, "down_revision")) ||
        !cJSON_AddStringToObject(o, "path", rev->path) ||
        !cJSON_AddStringToObject(o, "message", rev->message))
        return BB_ENOMEM;
    return BB_OK;
}

int bb_migrate_generate(const bb_schema *s, const char *out_dir, const cJSON *manifest_root,
                        const bb_migrate_opts *opts, bb_diags *diags, bb_migrate_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!s || (!out_dir && manifest_root))
        return BB_EUSAGE;
    const cJSON *old;
    const char *head;
    char *folder_head = NULL;
    int rc = read_record(manifest_root, out_dir, diags, out, &old, &head);
    /* The new revision follows the head of alembic/versions: the last one
     * recorded, or what was written by hand after it (a merge included). */
    if (!rc && head)
        rc = bb_versions_head(out_dir, diags, &folder_head);
    if (folder_head)
        head = folder_head;
    if (!rc)
        rc = bb_normalize(s, &out->schema);
    bb_revision rev;
    memset(&rev, 0, sizeof(rev));
    if (!rc) {
        bb_migrate_opts o = opts ? *opts : (bb_migrate_opts){0};
        o.down_revision = head;
        rc = bb_migrate_revision(old, out->schema, s, &o, diags, &rev);
    }
    if (!rc && rev.n_ops > 0) {
        rc = record_revision(out, &rev);
        if (!rc) {
            rc = push_file(out, rev.path, rev.text, rev.len);
            rev.path = rev.text = NULL;
            out->created = rc == BB_OK;
        }
    }
    bb_revision_free(&rev);
    bb_free(folder_head);
    if (rc)
        bb_migrate_result_free(out);
    return rc;
}
