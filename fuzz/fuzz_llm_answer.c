/*
 * fuzz_llm_answer.c - hostile model output: the bytes are a provider's
 * response body. Both providers' envelope parsers read it; whatever text
 * comes out is parsed as JSON, checked against the advisor's schemas and,
 * when it passes, its proposals are checked against a real schema and
 * applied to a plan, and its findings are resolved in the input document.
 * The same JSON, taken as a JSON Schema, goes through each provider's form
 * of it and checks itself (references, nesting, unions), and the text is
 * quoted and escaped for display. Nothing here may crash, leak or read out
 * of bounds.
 */
#include "front/validate.h"
#include "llm/llm.h"
#include "llm/llm_schema.h"
#include "pipeline/advisor.h"
#include "plan/architect.h"
#include "json/jsoncheck.h"

#include <cJSON.h>
#include <stdint.h>
#include <string.h>

static const char schema_text[] =
    "{\"project_name\": \"f\", \"db_type\": \"sqlite\", \"schema\": [{\"table_name\": \"items\","
    " \"class_name\": \"Item\", \"columns\": [{\"name\": \"id\", \"type\": \"Integer\","
    " \"primary_key\": true}, {\"name\": \"name\", \"type\": \"String\", \"length\": 20},"
    " {\"name\": \"qty\", \"type\": \"Integer\"}]}]}";

/* The value as a schema: both providers' forms of it, and itself checked
 * against itself, every mismatch reported. */
static void as_schema(const cJSON *v)
{
    bb_llm_grammar_fit fit;
    cJSON_Delete(bb_llm_schema_strict(v));
    cJSON_Delete(bb_llm_schema_grammar(v, &fit));
    (void)bb_jsoncheck_all(v, v, 50, NULL, NULL);
    cJSON *copy = cJSON_Duplicate(v, 1);
    bb_llm_schema_drop_nulls(v, copy);
    cJSON_Delete(copy);
}

/* The text as it would be shown. */
static void shown(const char *text)
{
    bb_buf b;
    bb_buf_init(&b, 1 << 20);
    (void)bb_jsoncheck_quote(&b, text, 200, true);
    bb_buf_reset(&b);
    if (bb_jsoncheck_utf8_valid(text, strlen(text)))
        (void)bb_jsoncheck_escape_json(&b, text);
    bb_buf_free(&b);
}

static void check_answer(const char *text)
{
    shown(text);
    const char *span;
    size_t n;
    bb_llm__json_span(text, &span, &n);
    cJSON *v = cJSON_ParseWithLength(span, n);
    if (!v)
        return;
    as_schema(v);
    bb_limits limits = bb_limits_default();
    bb_diags d;
    bb_diags_init(&d, "f.json", schema_text, strlen(schema_text));
    bb_schema *s = NULL;
    if (bb_frontend("f.json", schema_text, strlen(schema_text), &limits, &d, &s) == BB_OK) {
        if (bb_jsoncheck(bb_advisor_proposals_schema(), v, NULL, NULL) == BB_OK) {
            cJSON *accepted = NULL;
            size_t n = 0;
            if (bb_advisor_check_proposals(s, v, &d, &accepted) == BB_OK &&
                bb_advisor_apply_schema(s, accepted, &n) == BB_OK) {
                /* the accepted advice planned, and recorded in the plan */
                bb_plan_advice advice;
                bb_plan *plan = NULL;
                if (bb_advisor_decisions(accepted, &advice) == BB_OK) {
                    if (bb_architect_plan(s, &advice, &d, &plan) == BB_OK &&
                        bb_advisor_apply_plan(plan, &advice, "openai", "m") != BB_OK)
                        d.n_errors++;
                    bb_plan_free(plan);
                    bb_advisor_decisions_free(&advice);
                }
            }
            cJSON_Delete(accepted);
        }
        if (bb_jsoncheck(bb_advisor_review_schema(), v, NULL, NULL) == BB_OK) {
            cJSON *doc = cJSON_Parse(schema_text);
            size_t n = 0;
            if (doc && bb_advisor_report_findings(s, doc, v, &d, &n) != BB_OK)
                d.n_errors++;
            cJSON_Delete(doc);
        }
    }
    bb_schema_free(s);
    bb_diags_free(&d);
    cJSON_Delete(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const bb_llm_provider *const providers[] = {&bb_llm_openai, &bb_llm_anthropic};
    for (size_t p = 0; p < 2; p++) {
        for (int tools = 0; tools < 2; tools++) {
            bb_llm_config cfg;
            memset(&cfg, 0, sizeof(cfg));
            cfg.anthropic_tools = tools;
            char *text = NULL;
            long in = 0, out = 0;
            bb_llm_error err;
            memset(&err, 0, sizeof(err));
            if (providers[p]->parse_reply(&cfg, (const char *)data, size, &text, &in, &out, &err) ==
                BB_OK) {
                check_answer(text);
                bb_free(text);
            }
            char msg[256];
            (void)bb_llm__error_kind(providers[p], 429, (const char *)data, size, msg, sizeof(msg));
        }
    }
    return 0;
}
