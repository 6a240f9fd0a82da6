/*
 * architect.h - the architect stage: turns a validated schema into the plan,
 * the JSON document that holds everything the templates need (docs/plan.md).
 * Templates hold no logic beyond Mustache; every decision is made here.
 *
 * The plan's "files" array tells the generator what to render:
 *   {"path": "app/models/user.py",          output path, relative
 *    "template": "app/models/model.py",     template name (templates/<name>.mustache)
 *    "scope": "/models/0"}                  JSON Pointer into the plan
 * and "user": true on the files that belong to the user once written (the
 * custom route modules): the writer creates them when absent and never
 * overwrites them.
 * Each file is rendered with a context stack of [plan root, plan at scope],
 * so a template sees the model's fields first and the project's globals
 * (project.name, enums, ...) behind them.
 *
 * The plan is deterministic (no timestamps; schema order; sorted imports),
 * and every line whose length depends on the input is precomputed and
 * wrapped as Black wraps it (compiler/pylit.h), so the generated project
 * passes black, isort and flake8 as written.
 *
 * Returns BB_OK with *plan set, BB_ENOMEM (or BB_ELIMIT when a piece of
 * code exceeds 1 MiB) with *plan NULL. The schema must have passed
 * bb_validate(). Ownership: *plan is the caller's. It is a document of
 * compiler/jdoc.h: add to it with cJSON's functions, free it with
 * bb_jdoc_free(), never cJSON_Delete().
 */
#ifndef BB_ARCHITECT_H
#define BB_ARCHITECT_H

#include "diag/diag.h"
#include "front/schema.h"
#include "pipeline/pipeline.h"

typedef struct cJSON cJSON;

int bb_architect_plan(const bb_schema *s, const bb_pipeline_opts *opts, bb_diags *diags,
                      cJSON **plan) BB_WUR;

/*
 * The same plan with a language model's accepted proposals applied
 * (decisions: the array bb_advisor_check_proposals() returns, borrowed):
 * "route_path" sets the table's path under /api/v1, "searchable" adds the
 * column to the list's `q` search, "sortable" and "default_sort" extend the
 * sort whitelist and set the default `sort`, "example" puts the value in the
 * Create schema's `examples` and, where the tests can use it safely, in the
 * test data. Decisions that do not fit the schema are ignored. NULL
 * decisions give exactly bb_architect_plan()'s plan.
 */
int bb_architect_plan_advised(const bb_schema *s, const bb_pipeline_opts *opts,
                              const cJSON *decisions, bb_diags *diags, cJSON **plan) BB_WUR;

#endif
