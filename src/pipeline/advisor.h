/*
 * advisor.h - what the pipeline asks a language model, and how little of the
 * answer it believes.
 *
 * Architect advice: the model is told what the plan does without advice and
 * proposes refinements (route paths, which columns are filterable,
 * searchable and sortable, the default sort, extra indexes, docstrings and
 * example values where the schema has none). Every proposal passes the
 * check advice kept in the schema passes (front/advice.h: existing tables
 * and columns, indexes that add something, text without control, bidi or
 * invisible characters nor suspicious patterns, examples of the column's
 * type) and, for text that reaches generated code, the reviewer's rules.
 * Accepted proposals enter the plan with their provenance ("source": "llm")
 * and the run's output (bb_output.advice, which pipeline/patch.h turns into
 * a change of the schema); rejected ones become BB0903..BB0906 notes.
 *
 * Reviewer advice: a design review of the schema beyond what the lints
 * (front/lint.h) report, as BB0908 warnings that carry JSON Pointers, the
 * model's text quoted; each pointer is resolved in the input document, and
 * a finding whose pointer does not exist, or that a lint reported already,
 * is dropped with a BB0909 note.
 *
 * With the LLM off nothing here runs. On any failure of the model the stage
 * keeps its deterministic result and says so (BB0901, BB0902).
 *
 * Ownership: the plan and schema are the caller's; the advisor changes them
 * in place (schema strings go into the schema's arena).
 */
#ifndef BB_ADVISOR_H
#define BB_ADVISOR_H

#include "diag/diag.h"
#include "front/schema.h"
#include "llm/llm.h"
#include "pipeline/stage.h"

#include <stdio.h>

typedef struct cJSON cJSON;

/* The JSON Schemas of the two answers (static, never freed). */
const cJSON *bb_advisor_proposals_schema(void);
const cJSON *bb_advisor_review_schema(void);

/*
 * Checks the model's proposals ({"proposals": [...]}) against s. Accepted
 * ones are appended to *accepted (a new cJSON array, the caller's) in a
 * normalised form; rejected ones are reported as notes. Never fails on
 * the model's account: BB_OK, or BB_ENOMEM.
 */
int bb_advisor_check_proposals(const bb_schema *s, const cJSON *answer, bb_diags *d,
                               cJSON **accepted) BB_WUR;

/*
 * Applies accepted proposals: docstrings and indexes to the schema (so the
 * architect handles them exactly as user input), everything else, and the
 * provenance of all of them, to the plan. Returns how many were applied
 * through *n_schema (schema changes need the plan to be rebuilt).
 */
int bb_advisor_apply_schema(bb_schema *s, const cJSON *accepted, size_t *n_schema) BB_WUR;

/*
 * The accepted proposals as plain data for the architect (plan.h): *out's
 * array is the caller's (bb_advisor_decisions_free); its strings are
 * borrowed from accepted, which must outlive it.
 */
int bb_advisor_decisions(const cJSON *accepted, bb_plan_advice *out) BB_WUR;
void bb_advisor_decisions_free(bb_plan_advice *a);

/*
 * Records the decisions in the plan (copies in its arena): plan->llm with
 * the provider, the model and each decision with its "effect" ("schema" or
 * "plan") and, for an example, "value_py"; and the decision's kind in the
 * "llm_decided" list of the column or model it touched.
 */
int bb_advisor_apply_plan(bb_plan *plan, const bb_plan_advice *advice, const char *provider,
                          const char *model) BB_WUR;

/* Prints the plan's model decisions for `backbone plan` (nothing when the
 * plan has none): one line each, "kind  table.column  value". */
void bb_advisor_print_decisions(FILE *out, const bb_plan *plan);

/*
 * Checks the review's findings ({"findings": [...]}) against the input
 * document and reports each one whose pointer resolves as a BB0908 warning
 * (at the node's offset when the schema knows it); the others become BB0909
 * notes. Returns the number of warnings through *n_reported.
 */
int bb_advisor_report_findings(const bb_schema *s, const cJSON *input_doc, const cJSON *answer,
                               bb_diags *d, size_t *n_reported) BB_WUR;

/*
 * The whole advice step of a pipeline run, called by the architect stage
 * after it built st->out->plan: nothing when st->opts->llm is off;
 * otherwise one request for proposals and one for the review, with one
 * client (one token budget) per run. Never fails because of the model.
 */
int bb_advisor_run(bb_pipeline_state *st) BB_WUR;

/*
 * The schema's kept advice ("advice" keys, front/advice.h) in the accepted
 * form ({"kind", "table", ..., "source": "schema"}), in table order; *out
 * is the caller's (cJSON_Delete).
 */
int bb_advisor_kept(const bb_schema *s, cJSON **out) BB_WUR;

/*
 * Plans s with its kept advice and the fresh accepted proposals (NULL:
 * none), each table's kept ones first: the plan a schema that keeps all of
 * them gets without a model.
 */
int bb_advisor_plan(const bb_schema *s, const cJSON *fresh, bb_diags *d, bb_plan **plan) BB_WUR;

/* Figures of the last advised run on this thread (for the CLI summary). */
const bb_llm_stats *bb_advisor_last_stats(void);

#endif
