/*
 * architect.h - the architect stage: turns a validated schema into the plan
 * (plan/plan.h, docs/plan.md). Every decision about the generated project
 * is made here; templates place what the plan holds.
 *
 * The plan is deterministic (no timestamps; schema order; sorted imports).
 *
 * Model advice: advice (NULL: none) is the list of a language model's
 * accepted proposals (pipeline/advisor.h checks them), borrowed for the
 * call: "route_path" sets the table's path under /api/v1, "searchable" adds
 * the column to the list's `q` search, "sortable" and "default_sort" extend
 * the sort whitelist and set the default `sort`, "example" puts the value
 * in the Create schema's `examples` and, where the tests can use it safely,
 * in the test data. Decisions that do not fit the schema are ignored; no
 * advice gives exactly the deterministic plan.
 *
 * Returns BB_OK with *plan set, BB_ENOMEM (or BB_ELIMIT when a piece of
 * text exceeds 1 MiB) with *plan NULL. The schema must have passed
 * bb_validate(). Ownership: *plan is the caller's (bb_plan_free); it borrows
 * the schema's strings, so the schema must outlive it.
 */
#ifndef BB_ARCHITECT_H
#define BB_ARCHITECT_H

#include "diag/diag.h"
#include "front/schema.h"
#include "plan/plan.h"

int bb_architect_plan(const bb_schema *s, const bb_plan_advice *advice, bb_diags *diags,
                      bb_plan **plan) BB_WUR;

/*
 * The style of the models, applied to a plan: "classic" (the plan as made:
 * Column(...) and declarative_base(), SQLAlchemy 1.4 and 2.x) or "sa2"
 * (DeclarativeBase, Mapped[...] and mapped_column(), SQLAlchemy 2.0 and
 * mypy --strict): the files whose template has a sa2 version under
 * templates/styles/sa2/ take it, and project.sa2 is set for the templates
 * that differ in a few lines. NULL is "classic". BB_EUSAGE for another name.
 */
int bb_architect_use_style(bb_plan *plan, const char *style) BB_WUR;

/* The style the n bytes of name spell, as backbone's own static string
 * ("classic", "sa2"), so callers keep no pointer into their input; NULL
 * when there is no such style. */
const char *bb_architect_style(const char *name, size_t n);

#endif
