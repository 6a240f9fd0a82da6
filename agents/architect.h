/*
 * architect.h - the architect stage: turns a validated schema into the plan,
 * the JSON document that holds everything the templates need (docs/plan.md).
 * Templates hold no logic beyond Mustache; every decision is made here.
 *
 * The plan's "files" array tells the generator what to render:
 *   {"path": "app/models/user.py",          output path, relative
 *    "template": "app/models/model.py",     template name (templates/<name>.mustache)
 *    "scope": "/models/0"}                  JSON Pointer into the plan
 * Each file is rendered with a context stack of [plan root, plan at scope],
 * so a template sees the model's fields first and the project's globals
 * (project_name, db_type, ...) behind them.
 *
 * Ownership: *plan is the caller's (cJSON_Delete).
 */
#ifndef BB_ARCHITECT_H
#define BB_ARCHITECT_H

#include "diag.h"
#include "pipeline.h"
#include "schema.h"

typedef struct cJSON cJSON;

int bb_architect_plan(const bb_schema *s, const bb_pipeline_opts *opts, bb_diags *diags,
                      cJSON **plan) BB_WUR;

#endif
