/*
 * llm_schema.h - the JSON Schema of an answer as each provider takes it.
 *
 * Callers describe the answer once, in plain JSON Schema: the properties an
 * answer must have in "required", the others optional, bounds such as
 * maxLength and maxItems where they matter. What is sent differs:
 *
 *   - OpenAI strict mode wants every property required and every object
 *     closed, so an optional property becomes a nullable required one;
 *     strict mode documents pattern and format for strings, not minLength
 *     and maxLength, which are left out (bb_llm_schema_strict).
 *   - Anthropic structured outputs compile the schema into a grammar that
 *     refuses minimum, maximum, exclusiveMinimum, exclusiveMaximum,
 *     multipleOf, minLength, maxLength, maxItems, minItems above 1,
 *     uniqueItems, minProperties and maxProperties, wants every object
 *     closed, no recursion, at most 24 optional and 16 union-typed
 *     parameters (bb_llm_schema_grammar). A schema beyond those limits is
 *     sent as a plain forced tool instead (llm_anthropic.c).
 *
 * Whatever was sent, the answer is checked against the caller's schema
 * (jsoncheck.h), so the bounds left out of a request still hold; nulls
 * that stand for an absent optional property are removed first
 * (bb_llm_schema_drop_nulls).
 *
 * Ownership: every returned cJSON is a new tree, the caller's to delete.
 */
#ifndef BB_LLM_SCHEMA_H
#define BB_LLM_SCHEMA_H

#include <stdbool.h>

typedef struct cJSON cJSON;

/* Anthropic's documented limits on one request's strict schemas. */
#define BB_LLM_GRAMMAR_MAX_OPTIONAL 24
#define BB_LLM_GRAMMAR_MAX_UNIONS 16

/* What bb_llm_schema_grammar() found. */
typedef struct bb_llm_grammar_fit {
    int optional;   /* properties not in their object's "required" */
    int unions;     /* subschemas with a type array or anyOf */
    bool recursive; /* a reference leads back to itself */
    bool open;      /* an object with a schema for additionalProperties */
    bool fits;      /* within every limit: the grammar compiles it */
} bb_llm_grammar_fit;

/* The schema for OpenAI strict mode; NULL when out of memory. */
cJSON *bb_llm_schema_strict(const cJSON *schema);

/* The schema for Anthropic's grammar, and whether it fits (fit may be
 * NULL); NULL when out of memory. */
cJSON *bb_llm_schema_grammar(const cJSON *schema, bb_llm_grammar_fit *fit);

/* Removes from value every null member whose property is optional and does
 * not allow null: strict mode answers null for "absent". */
void bb_llm_schema_drop_nulls(const cJSON *schema, cJSON *value);

#endif
