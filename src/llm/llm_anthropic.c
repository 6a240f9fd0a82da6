/*
 * llm_anthropic.c - the Anthropic Messages provider. Structured output:
 * output_config.format json_schema with the schema in the form the grammar
 * compiles (llm_schema.h). A schema beyond the grammar's documented limits,
 * or any schema on older models (bb_llm_config.anthropic_tools), goes as
 * the input_schema of one forced, non-strict tool instead: the model is
 * guided by it and the answer is checked here.
 */
#include "llm/llm.h"
#include "llm/llm_schema.h"

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
                                const bb_llm_ask *ask, long max_tokens, cJSON **out)
{
    (void)ask; /* the grammar leaves optional properties out anyway */
    cJSON *root = cJSON_CreateObject();
    bool ok =
        root && cJSON_AddStringToObject(root, "model", cfg->model) &&
        cJSON_AddNumberToObject(root, "max_tokens", (double)max_tokens) &&
        (!req->system || cJSON_AddStringToObject(root, "system", req->system)) &&
        bb_llm__add_turns(cJSON_AddArrayToObject(root, "messages"), req) &&
        (!cfg->send_temperature || cJSON_AddNumberToObject(root, "temperature", cfg->temperature));
    const char *name = req->schema_name ? req->schema_name : "answer";
    bb_llm_grammar_fit fit = {0};
    cJSON *grammar = ok && req->schema && !cfg->anthropic_tools
                         ? bb_llm_schema_grammar(req->schema, &fit)
                         : NULL;
    if (ok && req->schema && !grammar && !cfg->anthropic_tools)
        ok = false; /* out of memory */
    else if (ok && req->schema && (cfg->anthropic_tools || !fit.fits)) {
        ok = add_forced_tool(root, name, req->schema);
    } else if (ok && grammar) {
        cJSON *oc = cJSON_AddObjectToObject(root, "output_config");
        cJSON *fmt = oc ? cJSON_AddObjectToObject(oc, "format") : NULL;
        ok = fmt && cJSON_AddStringToObject(fmt, "type", "json_schema") &&
             cJSON_AddItemToObject(fmt, "schema", grammar);
        if (ok)
            grammar = NULL; /* the body owns it now */
    }
    cJSON_Delete(grammar);
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

/* The answer text: the forced tool's input when the answer has one (the
 * request forced a tool), else every text block joined. */
static int collect_text(const cJSON *content, char **text, bb_llm_error *err)
{
    bb_buf b;
    bb_buf_init(&b, 64u << 20);
    const cJSON *block;
    int rc = BB_OK;
    bool found = false;
    cJSON_ArrayForEach(block, content)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "tool_use") == 0) {
            const cJSON *input = cJSON_GetObjectItemCaseSensitive(block, "input");
            char *s = input ? cJSON_PrintUnformatted(input) : NULL;
            if (!s) {
                bb_buf_free(&b);
                return fail(err, BB_LLM_ERR_MALFORMED, "a tool_use block without input");
            }
            bb_buf_reset(&b);
            rc = bb_buf_puts(&b, s);
            cJSON_free(s);
            found = true;
            break;
        }
    }
    for (block = found ? NULL : content->child; block && !rc; block = block->next) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(block, "text");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "text") == 0 && cJSON_IsString(t)) {
            rc = bb_buf_puts(&b, t->valuestring);
            found = true;
        }
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
    (void)cfg;
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
        rc = collect_text(content, text, err);
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
