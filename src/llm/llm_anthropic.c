/*
 * llm_anthropic.c - the Anthropic Messages provider. Structured output:
 * output_config.format json_schema, or on older models one forced tool
 * whose input_schema is the schema (bb_llm_config.anthropic_tools).
 */
#include "llm/llm.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

/* The forced tool that carries the answer on models without output_config. */
static bool add_forced_tool(cJSON *root, const char *name, const cJSON *schema)
{
    cJSON *tools = cJSON_AddArrayToObject(root, "tools");
    cJSON *tool = cJSON_CreateObject();
    cJSON *choice = NULL;
    bool ok = tools && tool && cJSON_AddItemToArray(tools, tool);
    if (!ok)
        cJSON_Delete(tool);
    return ok && cJSON_AddStringToObject(tool, "name", name) &&
           cJSON_AddStringToObject(tool, "description", "Return the answer through this tool.") &&
           cJSON_AddItemToObject(tool, "input_schema", cJSON_Duplicate(schema, 1)) &&
           (choice = cJSON_AddObjectToObject(root, "tool_choice")) &&
           cJSON_AddStringToObject(choice, "type", "tool") &&
           cJSON_AddStringToObject(choice, "name", name);
}

static int anthropic_build_body(const bb_llm_config *cfg, const bb_llm_request *req,
                                long max_tokens, cJSON **out)
{
    cJSON *root = cJSON_CreateObject();
    bool ok = root && cJSON_AddStringToObject(root, "model", cfg->model) &&
              cJSON_AddNumberToObject(root, "max_tokens", (double)max_tokens) &&
              (!req->system || cJSON_AddStringToObject(root, "system", req->system)) &&
              bb_llm__add_turns(cJSON_AddArrayToObject(root, "messages"), req) &&
              cJSON_AddNumberToObject(root, "temperature", 0);
    const char *name = req->schema_name ? req->schema_name : "answer";
    if (ok && req->schema && cfg->anthropic_tools) {
        ok = add_forced_tool(root, name, req->schema);
    } else if (ok && req->schema) {
        cJSON *oc = cJSON_AddObjectToObject(root, "output_config");
        cJSON *fmt = oc ? cJSON_AddObjectToObject(oc, "format") : NULL;
        ok = fmt && cJSON_AddStringToObject(fmt, "type", "json_schema") &&
             cJSON_AddItemToObject(fmt, "schema", cJSON_Duplicate(req->schema, 1));
    }
    return bb_llm__body_done(root, ok, out);
}

static int anthropic_build_headers(const bb_llm_config *cfg, bb_http_headers **out)
{
    bb_http_headers *l = NULL;
    int rc = bb_llm__add_header(&l, "content-type", "application/json");
    if (!rc)
        rc = bb_llm__add_header(&l, "anthropic-version", "2023-06-01");
    if (!rc && cfg->api_key)
        rc = bb_llm__add_header(&l, "x-api-key", cfg->api_key);
    if (rc) {
        bb_http_headers_free(l);
        return rc;
    }
    *out = l;
    return BB_OK;
}

static int fail(bb_llm_error *err, bb_llm_error_kind kind, const char *what)
{
    err->kind = kind;
    snprintf(err->message, sizeof(err->message), "%s", what);
    return BB_EINVAL;
}

/* The answer text: the forced tool's input, or every text block joined. */
static int collect_text(const bb_llm_config *cfg, const cJSON *content, char **text,
                        bb_llm_error *err)
{
    bb_buf b;
    bb_buf_init(&b, 64u << 20);
    const cJSON *block;
    int rc = BB_OK;
    bool found = false;
    cJSON_ArrayForEach(block, content)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
        if (!cJSON_IsString(type))
            continue;
        if (cfg->anthropic_tools && strcmp(type->valuestring, "tool_use") == 0) {
            char *s = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(block, "input"));
            if (!s)
                return fail(err, BB_LLM_ERR_MALFORMED, "a tool_use block without input");
            bb_buf_reset(&b);
            rc = bb_buf_puts(&b, s);
            cJSON_free(s);
            found = true;
            break;
        }
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(block, "text");
        if (!cfg->anthropic_tools && strcmp(type->valuestring, "text") == 0 && cJSON_IsString(t)) {
            rc = bb_buf_puts(&b, t->valuestring);
            found = true;
        }
        if (rc)
            break;
    }
    if (!rc && !found)
        rc = fail(err, BB_LLM_ERR_MALFORMED, "unexpected answer from anthropic: no content");
    if (rc) {
        bb_buf_free(&b);
        return rc;
    }
    *text = bb_buf_take(&b, NULL);
    return *text ? BB_OK : BB_ENOMEM;
}

static int anthropic_parse_reply(const bb_llm_config *cfg, const char *body, size_t len,
                                 char **text, long *prompt_tokens, long *completion_tokens,
                                 bb_llm_error *err)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root)
        return fail(err, BB_LLM_ERR_MALFORMED, "unexpected answer from anthropic: not JSON");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    *prompt_tokens = bb_llm__usage(usage, "input_tokens");
    *completion_tokens = bb_llm__usage(usage, "output_tokens");
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(root, "stop_reason");
    const char *sr = cJSON_IsString(stop) ? stop->valuestring : "";
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
    int rc;
    if (strcmp(sr, "refusal") == 0)
        rc = fail(err, BB_LLM_ERR_REFUSAL, "the model refused (stop_reason refusal)");
    else if (strcmp(sr, "max_tokens") == 0)
        rc = fail(err, BB_LLM_ERR_TRUNCATED,
                  "the answer was cut off at the output token limit (stop_reason max_tokens)");
    else if (!cJSON_IsArray(content))
        rc = fail(err, BB_LLM_ERR_MALFORMED, "unexpected answer from anthropic: no content");
    else
        rc = collect_text(cfg, content, text, err);
    cJSON_Delete(root);
    return rc;
}

/* A spend limit or an empty credit balance. */
static bool anthropic_quota(const char *type, const char *code, const char *msg)
{
    (void)code;
    return strcmp(type, "billing_error") == 0 || bb_llm__contains_ci(msg, "spend limit") ||
           bb_llm__contains_ci(msg, "credit balance");
}

const bb_llm_provider bb_llm_anthropic = {
    .name = "anthropic",
    .path = "/v1/messages",
    .default_base_url = "https://api.anthropic.com",
    .default_model = "claude-sonnet-4-5",
    .key_env = "ANTHROPIC_API_KEY",
    .build_body = anthropic_build_body,
    .build_headers = anthropic_build_headers,
    .parse_reply = anthropic_parse_reply,
    .is_quota = anthropic_quota,
};
