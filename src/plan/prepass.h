/*
 * prepass.h - what the architect derives once per table before planning
 * (bb_arch_table: the key, the route, enum class and member names), and the
 * check of the names it will generate: a class_name that is a class of the
 * project (BB0750) or another table's schema class (BB0751), a generated SQL
 * identifier over PostgreSQL's 63 bytes (BB0752). docs/plan.md says more.
 */
#ifndef BB_PREPASS_H
#define BB_PREPASS_H

#include "plan/arch.h"

/* Fills a->t (in the plan's arena) and the uses_* flags. */
void bb_prepass_run(bb_arch *a);

/* Reports the names above into a->diags. */
void bb_prepass_check_names(bb_arch *a);

#endif
