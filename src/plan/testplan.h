/*
 * testplan.h - the architect's part for tests/: each table's test module
 * (the columns its tests use: a unique filter before any other, the first
 * string to update, the first unique, NOT NULL and foreign key columns; the
 * fields compared as sent, and as decimals; the many-to-many links to link
 * and unlink) and its factory in tests/factories.py (a value per column,
 * unique through a counter `n`; the parent rows of the foreign keys that
 * must be filled: NOT NULL keys, and nullable keys to tables earlier in the
 * build order, never through a cycle or a self-reference).
 */
#ifndef BB_TESTPLAN_H
#define BB_TESTPLAN_H

#include "plan/arch.h"

/* The test fields of m; its route fields (routes.h) must be planned. */
void bb_testplan_plan(bb_arch *a, int ti, bb_plan_model *m);

void bb_testplan_factory(bb_arch *a, int ti, bb_plan_factory *f);

#endif
