/*
 * lint.h - deterministic design checks of a valid schema: what a reviewer
 * would point out, found by rules instead of guessed by a model.
 *
 *   BB0480 money-as-float       a Float column named for money (price, amount, ...)
 *   BB0481 email-not-unique     an email column that is not unique
 *   BB0482 fk-without-index     a foreign key no index starts with
 *   BB0483 missing-timestamps   a table with neither use_timestamps nor created_at
 *   BB0484 nullable-required    identifying data (name, title, email, ...)
 *                               nullable only because "nullable" was left out
 *
 * Each is a warning, silenced by fixing the schema or by the extension key
 * "allow" (a list of lint names or codes) on the column, the table or the
 * document (docs/schema.md). Nothing is kept between calls.
 */
#ifndef BB_LINT_H
#define BB_LINT_H

#include "diag/diag.h"
#include "front/schema.h"

/* The lints' names and codes (bb_lint, bb_lint_find) are the format's
 * vocabulary: front/schema.h. */

/* Reports every lint of a validated schema that its "allow" keys do not
 * silence, as warnings into d. BB_OK or BB_ENOMEM. */
int bb_lint_schema(const bb_schema *s, bb_diags *d) BB_WUR;

#endif
