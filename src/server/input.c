/* input.c - the request body of validate and generate (see input.h). */
#include "server/input.h"
#include "plan/architect.h"

#include <cJSON.h>
#include <string.h>

typedef struct body_parts {
    size_t schema_at, schema_len;   /* the schema's bytes within the body */
    size_t options_at, options_len; /* 0 length: none */
    bool wrapped;
    int strict; /* the original service's top-level "strict_validation": -1 absent */
} body_parts;

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* Index just past the JSON string starting at s[i] == '"', or 0. */
static size_t skip_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return 0;
}

/* Index just past the JSON value at s[i] (brackets balanced, strings
 * skipped; the value's own syntax is left to the real parser), or 0. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
    if (i >= n)
        return 0;
    if (s[i] == '"')
        return skip_string(s, i, n);
    if (s[i] != '{' && s[i] != '[') {
        while (i < n && !strchr(",}] \t\r\n", s[i]))
            i++;
        return i;
    }
    int depth = 0;
    for (; i < n; i++) {
        if (s[i] == '"') {
            size_t e = skip_string(s, i, n);
            if (!e)
                return 0;
            i = e - 1;
        } else if (s[i] == '{' || s[i] == '[') {
            if (++depth > 256)
                return 0;
        } else if (s[i] == '}' || s[i] == ']') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return 0;
}

/*
 * Finds whether the body wraps the schema, and where. Anything that does
 * not scan as {"key": value, ...} is treated as a bare schema, so the front
 * end reports its syntax errors against the body's own text.
 */
static void split_body(const char *s, size_t n, body_parts *p)
{
    memset(p, 0, sizeof(*p));
    p->schema_len = n;
    p->strict = -1;
    size_t i = skip_ws(s, 0, n);
    if (i >= n || s[i] != '{')
        return;
    i = skip_ws(s, i + 1, n);
    size_t schema_at = 0, schema_end = 0, opt_at = 0, opt_end = 0;
    int strict = -1;
    while (i < n && s[i] == '"') {
        size_t key_end = skip_string(s, i, n);
        if (!key_end)
            return;
        bool is_schema = key_end - i == 8 && memcmp(s + i, "\"schema\"", 8) == 0;
        bool is_options = key_end - i == 9 && memcmp(s + i, "\"options\"", 9) == 0;
        bool is_strict = key_end - i == 19 && memcmp(s + i, "\"strict_validation\"", 19) == 0;
        i = skip_ws(s, key_end, n);
        if (i >= n || s[i] != ':')
            return;
        size_t v = skip_ws(s, i + 1, n);
        /* "schema": [...] is the tables of a bare schema: known before
         * scanning them, which is most of the body. */
        if (is_schema && (v >= n || s[v] != '{'))
            return;
        size_t e = skip_value(s, v, n);
        if (!e)
            return;
        if (is_schema) {
            schema_at = v;
            schema_end = e;
        } else if (is_options) {
            opt_at = v;
            opt_end = e;
        } else if (is_strict) {
            strict = e - v == 4 && memcmp(s + v, "true", 4) == 0 ? 1 : 0;
        }
        i = skip_ws(s, e, n);
        if (i < n && s[i] == ',')
            i = skip_ws(s, i + 1, n);
        else
            break;
    }
    if (i >= n || s[i] != '}' || skip_ws(s, i + 1, n) != n || !schema_end)
        return;
    p->wrapped = true;
    p->strict = strict;
    p->schema_at = schema_at;
    p->schema_len = schema_end - schema_at;
    p->options_at = opt_at;
    p->options_len = opt_end - opt_at;
}

/* Reads "options" (and the original service's top-level flags); false and
 * a 400 when they are not understood. */
static bool read_options(bb_req *r, const char *body, const body_parts *p, bb_input *o)
{
    o->strict = p->strict == 1;
    o->llm = BB_LLM_OFF;
    if (!p->options_len)
        return true;
    cJSON *j = cJSON_ParseWithLengthOpts(body + p->options_at, p->options_len, NULL, 0);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        bb_req_reply_error(r, 400, "bad_request", "\"options\" must be a JSON object");
        return false;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, j)
    {
        if (strcmp(it->string, "strict") == 0 || strcmp(it->string, "strict_validation") == 0) {
            if (!cJSON_IsBool(it))
                break;
            o->strict = cJSON_IsTrue(it);
        } else if (strcmp(it->string, "llm") == 0) {
            if (!cJSON_IsString(it) ||
                (strcmp(it->valuestring, "off") != 0 && strcmp(it->valuestring, "advise") != 0))
                break;
            o->llm = strcmp(it->valuestring, "advise") == 0 ? BB_LLM_ADVISE : BB_LLM_OFF;
        } else if (strcmp(it->string, "style") == 0) {
            if (!cJSON_IsString(it) ||
                !(o->style = bb_architect_style(it->valuestring, strlen(it->valuestring))))
                break;
        } else if (strcmp(it->string, "enable_code_validation") == 0) {
            if (!cJSON_IsBool(it))
                break;
        } else {
            break;
        }
    }
    bool ok = it == NULL;
    if (!ok)
        bb_req_reply_error(
            r, 400, "bad_request",
            "unknown or mistyped option \"%s\" (known: strict, "
            "strict_validation, enable_code_validation: booleans; llm: \"off\" or \"advise\"; "
            "style: \"classic\" or \"sa2\")",
            it->string);
    cJSON_Delete(j);
    return ok;
}

bool bb_input_read(bb_req *r, bb_metric_id metric, bb_input *in)
{
    memset(in, 0, sizeof(*in));
    in->body = bb_req_body(r, &in->len);
    body_parts p;
    split_body(in->body, in->len, &p);
    in->schema_at = p.schema_at;
    in->schema_len = p.schema_len;
    if (read_options(r, in->body, &p, in))
        return true;
    bb_req_count(r, metric, "malformed");
    return false;
}

void bb_input_rebase_diags(const bb_input *in, bb_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].offset != BB_NO_OFFSET)
            d->items[i].offset += in->schema_at;
    bb_free(d->line_starts);
    d->line_starts = NULL;
    d->n_lines = 0;
    d->src = in->body;
    d->src_len = in->len;
}
