/* manifest.c - the record of a generated tree (see manifest.h). */
#include "output/manifest.h"

#include "base/buf.h"
#include "base/file.h"
#include "json/jsonout.h"

#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int manifest_wrap(cJSON *root, bb_manifest **out)
{
    bb_manifest *m = bb_calloc(1, sizeof(*m));
    if (!m) {
        cJSON_Delete(root);
        return BB_ENOMEM;
    }
    m->root = root;
    *out = m;
    return BB_OK;
}

/* Sets key to a fresh string, replacing any earlier value. */
static int set_string(cJSON *obj, const char *key, const char *value)
{
    cJSON *v = cJSON_CreateString(value);
    if (!v)
        return BB_ENOMEM;
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v)) {
            cJSON_Delete(v);
            return BB_ENOMEM;
        }
        return BB_OK;
    }
    if (!cJSON_AddItemToObject(obj, key, v)) {
        cJSON_Delete(v);
        return BB_ENOMEM;
    }
    return BB_OK;
}

int bb_manifest_new(bb_manifest **out)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root || set_string(root, "backbone_version", BB_VERSION) ||
        !cJSON_AddObjectToObject(root, "files")) {
        cJSON_Delete(root);
        return BB_ENOMEM;
    }
    return manifest_wrap(root, out);
}

static bool is_hex_digest(const char *s)
{
    if (strlen(s) != BB_SHA256_HEX_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* Checks the parts of the manifest this module relies on. */
static const char *manifest_problem(const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return "the manifest is not a JSON object";
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
    if (!cJSON_IsObject(files))
        return "\"files\" is missing or not an object";
    const cJSON *f;
    cJSON_ArrayForEach(f, files)
    {
        if (!cJSON_IsString(f) || !is_hex_digest(f->valuestring))
            return "a \"files\" entry is not a SHA-256 hex digest";
    }
    return NULL;
}

int bb_manifest_parse(const char *text, size_t len, bb_diags *diags, bb_manifest **out)
{
    *out = NULL;
    cJSON *root = cJSON_ParseWithLength(text, len);
    const char *problem = root ? manifest_problem(root) : "the manifest is not valid JSON";
    if (problem) {
        cJSON_Delete(root);
        bb_diag_add(diags, BB_ERROR, "BB0733", NULL, BB_NO_OFFSET,
                    "restore " BB_MANIFEST_PATH " from version control, or regenerate into "
                    "an empty directory",
                    "%s: %s", BB_MANIFEST_PATH, problem);
        return BB_EINVAL;
    }
    return manifest_wrap(root, out);
}

int bb_manifest_load(const char *dir, bb_diags *diags, bb_manifest **out)
{
    *out = NULL;
    bb_buf path;
    bb_buf_init(&path, 8192);
    int rc = bb_buf_printf(&path, "%s/%s", dir, BB_MANIFEST_PATH);
    if (rc)
        return rc;
    char *text = NULL;
    size_t len = 0;
    rc = bb_file_read(bb_buf_str(&path), BB_MANIFEST_MAX_BYTES, &text, &len);
    if (rc == BB_EIO && (errno == ENOENT || errno == ENOTDIR))
        rc = BB_ENOTFOUND;
    else if (rc == BB_EIO)
        bb_diag_add(diags, BB_ERROR, "BB0733", NULL, BB_NO_OFFSET, NULL, "cannot read %s: %s",
                    bb_buf_str(&path), strerror(errno));
    else if (rc == BB_ELIMIT) {
        bb_diag_add(diags, BB_ERROR, "BB0733", NULL, BB_NO_OFFSET, NULL,
                    "%s is larger than %u bytes", bb_buf_str(&path), BB_MANIFEST_MAX_BYTES);
        rc = BB_EINVAL;
    } else if (rc == BB_OK) {
        rc = bb_manifest_parse(text, len, diags, out);
    }
    bb_free(text);
    bb_buf_free(&path);
    return rc;
}

int bb_manifest_successor(const bb_manifest *old, bb_manifest **out)
{
    *out = NULL;
    if (!old)
        return bb_manifest_new(out);
    cJSON *root = cJSON_Duplicate(old->root, 1);
    if (!root)
        return BB_ENOMEM;
    cJSON *files = cJSON_CreateObject();
    cJSON_DeleteItemFromObjectCaseSensitive(root, "user_files"); /* each run lists its own */
    if (!files || !cJSON_ReplaceItemInObjectCaseSensitive(root, "files", files) ||
        set_string(root, "backbone_version", BB_VERSION)) {
        if (files && cJSON_GetObjectItemCaseSensitive(root, "files") != files)
            cJSON_Delete(files);
        cJSON_Delete(root);
        return BB_ENOMEM;
    }
    return manifest_wrap(root, out);
}

const char *bb_manifest_style(const bb_manifest *m)
{
    const cJSON *s = m ? cJSON_GetObjectItemCaseSensitive(m->root, "style") : NULL;
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

int bb_manifest_set_style(bb_manifest *m, const char *style)
{
    return set_string(m->root, "style", style);
}

const cJSON *bb_manifest_files(const bb_manifest *m)
{
    return cJSON_GetObjectItemCaseSensitive(m->root, "files");
}

const char *bb_manifest_hash(const bb_manifest *m, const char *path)
{
    if (!m)
        return NULL;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(bb_manifest_files(m), path);
    return cJSON_IsString(h) ? h->valuestring : NULL;
}

int bb_manifest_set(bb_manifest *m, const char *path, const char *hex)
{
    return set_string(cJSON_GetObjectItemCaseSensitive(m->root, "files"), path, hex);
}

const char *bb_manifest_accepted(const bb_manifest *m, const char *path)
{
    const cJSON *h = m ? cJSON_GetObjectItemCaseSensitive(
                             cJSON_GetObjectItemCaseSensitive(m->root, "accepted"), path)
                       : NULL;
    return cJSON_IsString(h) ? h->valuestring : NULL;
}

void bb_manifest_forget(bb_manifest *m, const char *path)
{
    cJSON *accepted = cJSON_GetObjectItemCaseSensitive(m->root, "accepted");
    cJSON_DeleteItemFromObjectCaseSensitive(accepted, path);
    if (accepted && !accepted->child)
        cJSON_DeleteItemFromObjectCaseSensitive(m->root, "accepted");
}

void bb_manifest_forget_if(bb_manifest *m, bool (*gone)(void *ctx, const char *path), void *ctx)
{
    cJSON *accepted = cJSON_GetObjectItemCaseSensitive(m->root, "accepted");
    for (cJSON *e = accepted ? accepted->child : NULL, *after; e; e = after) {
        after = e->next; /* forgetting the last one removes "accepted" */
        if (gone(ctx, e->string))
            bb_manifest_forget(m, e->string);
    }
}

int bb_manifest_accept(bb_manifest *m, const char *path, const char *hex)
{
    cJSON *accepted = cJSON_GetObjectItemCaseSensitive(m->root, "accepted");
    if (!cJSON_IsObject(accepted)) {
        cJSON_DeleteItemFromObjectCaseSensitive(m->root, "accepted");
        accepted = cJSON_AddObjectToObject(m->root, "accepted");
        if (!accepted)
            return BB_ENOMEM;
    }
    return set_string(accepted, path, hex);
}

const cJSON *bb_manifest_user_files(const bb_manifest *m)
{
    const cJSON *l = m ? cJSON_GetObjectItemCaseSensitive(m->root, "user_files") : NULL;
    return cJSON_IsArray(l) ? l : NULL;
}

int bb_manifest_add_user_file(bb_manifest *m, const char *path)
{
    cJSON *list = cJSON_GetObjectItemCaseSensitive(m->root, "user_files");
    if (!cJSON_IsArray(list)) {
        cJSON_DeleteItemFromObjectCaseSensitive(m->root, "user_files");
        list = cJSON_AddArrayToObject(m->root, "user_files");
    }
    cJSON *item = list ? cJSON_CreateString(path) : NULL;
    if (!item || !cJSON_AddItemToArray(list, item)) {
        cJSON_Delete(item);
        return BB_ENOMEM;
    }
    return BB_OK;
}

void bb_manifest_adopt(bb_manifest *m, const char *key, cJSON **value)
{
    if (!*value)
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(m->root, key);
    cJSON_AddItemToObject(m->root, key, *value);
    *value = NULL;
}

static int compare_keys(const void *a, const void *b)
{
    const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* Relinks the children of obj in key order (cJSON keeps insertion order). */
static int sort_object(cJSON *obj)
{
    size_t n = (size_t)cJSON_GetArraySize(obj);
    if (n < 2)
        return BB_OK;
    cJSON **items = bb_malloc(n * sizeof(*items));
    if (!items)
        return BB_ENOMEM;
    size_t i = 0;
    for (cJSON *c = obj->child; c; c = c->next)
        items[i++] = c;
    qsort(items, n, sizeof(*items), compare_keys);
    for (i = 0; i < n; i++) {
        items[i]->prev = i ? items[i - 1] : items[n - 1]; /* cJSON: head->prev is the tail */
        items[i]->next = i + 1 < n ? items[i + 1] : NULL;
    }
    obj->child = items[0];
    bb_free(items);
    return BB_OK;
}

int bb_manifest_serialize(bb_manifest *m, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int rc = sort_object(cJSON_GetObjectItemCaseSensitive(m->root, "files"));
    if (!rc)
        rc = sort_object(cJSON_GetObjectItemCaseSensitive(m->root, "accepted"));
    if (rc)
        return rc;
    bb_buf b;
    bb_buf_init(&b, BB_MANIFEST_MAX_BYTES);
    rc = bb_json_print(&b, m->root, true);
    if (!rc)
        rc = bb_buf_putc(&b, '\n');
    if (rc) {
        bb_buf_free(&b);
        return rc;
    }
    *out = bb_buf_take(&b, len);
    return BB_OK;
}

void bb_manifest_free(bb_manifest *m)
{
    if (!m)
        return;
    cJSON_Delete(m->root);
    bb_free(m);
}
