/*
 * llm_openai.c - the OpenAI Chat Completions provider, which also speaks to
 * OpenAI-compatible servers (Ollama, llama.cpp's llama-server, vLLM) by base
 * URL. Structured output: response_format json_schema, strict.
 */
#include "llm/llm.h"
#include "llm/llm_schema.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

static int openai_build_body(const bb_llm_config *cfg, const bb_llm_request *req,
                             const bb_llm_ask *ask, long max_tokens, cJSON **out)
{
    cJSON *root = cJSON_CreateObject();
    bool ok = root && cJSON_AddStringToObject(root, "model", cfg->model);
    cJSON *msgs = ok ? cJSON_AddArrayToObject(root, "messages") : NULL;
    if (msgs && req->system) {
        bb_llm_msg sys = {"system", req->system};
        bb_llm_request only = {.messages = &sys, .n_messages = 1};
        ok = bb_llm__add_turns(msgs, &only);
    }
    ok = ok && bb_llm__add_turns(msgs, req) &&
         cJSON_AddNumberToObject(root, cfg->use_max_tokens ? "max_tokens" : "max_completion_tokens",
                                 (double)max_tokens) &&
         (!cfg->send_temperature ||
          cJSON_AddNumberToObject(root, "temperature", cfg->temperature)) &&
         cJSON_AddNumberToObject(root, "seed", 0);
    cJSON *rf = ok ? cJSON_AddObjectToObject(root, "response_format") : NULL;
    if (rf && req->schema) {
        /* Strict mode wants every property required: optional ones become
         * nullable. A sparse answer gets the schema as guidance instead. */
        cJSON *js = NULL;
        cJSON *sent =
            ask->sparse ? cJSON_Duplicate(req->schema, 1) : bb_llm_schema_strict(req->schema);
        ok = sent && cJSON_AddStringToObject(rf, "type", "json_schema") &&
             (js = cJSON_AddObjectToObject(rf, "json_schema")) &&
             cJSON_AddStringToObject(js, "name", req->schema_name ? req->schema_name : "answer") &&
             cJSON_AddBoolToObject(js, "strict", !ask->sparse) &&
             cJSON_AddItemToObject(js, "schema", sent);
        if (!ok && (!js || !cJSON_GetObjectItemCaseSensitive(js, "schema")))
            cJSON_Delete(sent);
    } else {
        ok = rf && cJSON_AddStringToObject(rf, "type", "json_object");
    }
    return bb_llm__body_done(root, ok, out);
}

static int openai_build_headers(const bb_llm_config *cfg, bb_http_headers **out)
{
    bb_http_headers *l = NULL;
    int rc = bb_llm__add_header(&l, "Content-Type", "application/json");
    if (!rc)
        rc = bb_llm__add_header(&l, "Accept", "application/json");
    if (!rc && cfg->api_key) {
        bb_buf v;
        bb_buf_init(&v, 8192);
        rc = bb_buf_printf(&v, "Bearer %s", cfg->api_key);
        if (!rc)
            rc = bb_llm__add_header(&l, "Authorization", bb_buf_str(&v));
        if (v.data)
            memset(v.data, 0, v.len);
        bb_buf_free(&v);
    }
    if (rc) {
        bb_http_headers_free(l);
        return rc;
    }
    *out = l;
    return BB_OK;
}

static int malformed(bb_llm_error *err, const char *what)
{
    err->kind = BB_LLM_ERR_MALFORMED;
    snprintf(err->message, sizeof(err->message), "unexpected answer from openai: %s", what);
    return BB_EINVAL;
}

static int openai_parse_reply(const bb_llm_config *cfg, const char *body, size_t len, char **text,
                              long *prompt_tokens, long *completion_tokens, bb_llm_error *err)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root)
        return malformed(err, "the body is not JSON");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    *prompt_tokens = bb_llm__usage(usage, "prompt_tokens");
    *completion_tokens = bb_llm__usage(usage, "completion_tokens");
    const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
    const cJSON *finish = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
    const cJSON *refusal = cJSON_GetObjectItemCaseSensitive(msg, "refusal");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    const char *fr = cJSON_IsString(finish) ? finish->valuestring : "";
    int rc = BB_OK;
    if (!msg)
        rc = malformed(err, "no choices[0].message");
    else if (refusal && !cJSON_IsNull(refusal)) {
        err->kind = BB_LLM_ERR_REFUSAL;
        char why[240] = "(no reason)";
        if (cJSON_IsString(refusal)) /* the model's words: data, never printed raw */
            bb_llm_shown(why, sizeof(why), refusal->valuestring, cfg->api_key, 160);
        snprintf(err->message, sizeof(err->message), "the model refused: %s", why);
        rc = BB_EINVAL;
    } else if (strcmp(fr, "content_filter") == 0) {
        err->kind = BB_LLM_ERR_REFUSAL;
        snprintf(err->message, sizeof(err->message), "the answer was withheld by a content filter");
        rc = BB_EINVAL;
    } else if (strcmp(fr, "length") == 0) {
        err->kind = BB_LLM_ERR_TRUNCATED;
        snprintf(err->message, sizeof(err->message),
                 "the answer was cut off at the output token limit (finish_reason length)");
        rc = BB_EINVAL;
    } else if (!cJSON_IsString(content))
        rc = malformed(err, "choices[0].message.content is not a string");
    else if (!(*text = bb_strdup(content->valuestring)))
        rc = BB_ENOMEM;
    cJSON_Delete(root);
    return rc;
}

static bool openai_quota(const char *type, const char *code, const char *msg)
{
    (void)msg;
    return strcmp(code, "insufficient_quota") == 0 || strcmp(type, "insufficient_quota") == 0;
}

const bb_llm_provider bb_llm_openai = {
    .name = "openai",
    .path = "/v1/chat/completions",
    .default_base_url = "https://api.openai.com",
    .default_model = "gpt-4o-mini",
    .key_env = "OPENAI_API_KEY",
    .build_body = openai_build_body,
    .build_headers = openai_build_headers,
    .parse_reply = openai_parse_reply,
    .is_quota = openai_quota,
};
