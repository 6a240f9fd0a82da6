/* answer.c - the bodies of the service's answers (see answer.h). */
#include "server/answer.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

cJSON *bb_answer_error(const char *code, const char *message, const char *request_id)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(root, "error");
    if (!err || !cJSON_AddStringToObject(err, "code", code) ||
        !cJSON_AddStringToObject(err, "message", message) ||
        !cJSON_AddStringToObject(err, "request_id", request_id)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

bool bb_answer_is_malformed(const bb_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].severity == BB_ERROR && strncmp(d->items[i].code, "BB01", 4) == 0)
            return true;
    return false;
}

static const bb_diag *first_error(const bb_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].severity == BB_ERROR)
            return &d->items[i];
    return NULL;
}

cJSON *bb_answer_malformed(bb_diags *d, const char *request_id)
{
    const bb_diag *g = first_error(d);
    int line = 0, col = 0;
    if (g)
        bb_diags_position(d, g->offset, &line, &col);
    char msg[512];
    snprintf(msg, sizeof(msg), "malformed JSON at line %d, column %d: %s", line, col,
             g ? g->message : "unreadable input");
    cJSON *o = bb_answer_error("malformed_json", msg, request_id);
    cJSON *err = o ? cJSON_GetObjectItem(o, "error") : NULL;
    if (err) {
        cJSON_AddNumberToObject(err, "line", line);
        cJSON_AddNumberToObject(err, "column", col);
    }
    if (o)
        cJSON_AddItemToObject(o, "diagnostics", bb_diags_to_json(d));
    return o;
}

cJSON *bb_answer_invalid(bb_diags *d, const char *request_id, bool with_build_order)
{
    bb_buf summary;
    bb_buf_init(&summary, 256);
    if (bb_diags_summary(d, &summary) != BB_OK)
        bb_buf_reset(&summary);
    char msg[300];
    snprintf(msg, sizeof(msg), "the schema is invalid: %s", bb_buf_str(&summary));
    bb_buf_free(&summary);
    cJSON *o = bb_answer_error("invalid_schema", msg, request_id);
    if (o) {
        cJSON_AddBoolToObject(o, "valid", false);
        cJSON_AddItemToObject(o, "diagnostics", bb_diags_to_json(d));
        if (with_build_order)
            cJSON_AddItemToObject(o, "build_order", cJSON_CreateArray());
    }
    return o;
}
