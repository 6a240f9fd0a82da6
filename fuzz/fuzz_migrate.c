/*
 * fuzz_migrate.c - libFuzzer target over the migrations: the manifest's
 * recorded schema is a file a user can edit, so bb_migrate_revision() must
 * survive any JSON there. The input is {"old": ..., "new": ...} (two
 * normalized schemas, possibly broken), or any JSON, used as the old side
 * against a fixed schema and the other way round. Checks: no crash; only
 * the documented results; a revision, when there is one, is whole text;
 * the diagnostics print as SARIF.
 */
#include "diag/diag.h"
#include "diag/sarif.h"
#include "front/normalize.h"
#include "migrate/migrate.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char FIXED[] =
    "{\"normalized\":1,\"tables\":[{\"name\":\"t\",\"primary_key\":{\"name\":\"pk_t\","
    "\"columns\":[\"id\"]},\"columns\":[{\"name\":\"id\",\"type\":\"Integer\","
    "\"primary_key\":true,\"autoincrement\":true,\"nullable\":false},{\"name\":\"s\","
    "\"type\":\"Enum\",\"values\":[\"a\"],\"enum_name\":\"t_s\",\"nullable\":true,"
    "\"index\":true}],\"uniques\":[],\"indexes\":[],\"checks\":[]}]}";

static void one(const cJSON *old_norm, const cJSON *new_norm, bool destructive)
{
    bb_diags d;
    bb_diags_init(&d, "fuzz.json", NULL, 0);
    bb_migrate_opts o = {.allow_destructive = destructive, .down_revision = "abc"};
    bb_revision rev;
    int rc = bb_migrate_revision(old_norm, new_norm, NULL, &o, &d, &rev);
    if (rc != BB_OK && rc != BB_EINVAL && rc != BB_EUSAGE && rc != BB_ENOMEM && rc != BB_ELIMIT)
        abort();
    if (rc == BB_EINVAL && !bb_diags_has_errors(&d))
        abort();
    if (rc == BB_OK && rev.n_ops > 0 && (!rev.text || strlen(rev.text) != rev.len || !rev.path))
        abort();
    if (rc != BB_OK && rev.text)
        abort();
    bb_diags *list[] = {&d};
    cJSON *log = bb_diags_to_sarif(list, 1);
    cJSON_Delete(log);
    bb_revision_free(&rev);
    bb_diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
    if (!doc)
        return 0;
    cJSON *fixed = cJSON_Parse(FIXED);
    const cJSON *old_norm = cJSON_GetObjectItemCaseSensitive(doc, "old");
    const cJSON *new_norm = cJSON_GetObjectItemCaseSensitive(doc, "new");
    if (old_norm && new_norm) {
        one(old_norm, new_norm, size % 2);
        one(new_norm, old_norm, true);
        one(NULL, new_norm, false);
    } else {
        one(doc, fixed, size % 2);
        one(fixed, doc, true);
    }
    cJSON_Delete(fixed);
    cJSON_Delete(doc);
    return 0;
}
