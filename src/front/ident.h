/*
 * ident.h - identifier rules: which names the generated Python and SQL can
 * carry.
 *
 * A name given in the schema becomes a Python module, class or attribute and
 * an SQL table or column. bb_ident_check() applies every rule to one name
 * and reports the first one it breaks, with a suggested alternative in the
 * hint:
 *
 *   rule                                         code    severity
 *   clashes with SQLAlchemy/Pydantic attributes  BB0310  error
 *   shape (table: lower snake case; class:       BB0301  error (table)
 *     CapWords; column/attribute: letters,       BB0302  error (class)
 *     digits, '_', starting with a letter)       BB0303  error (column)
 *                                                BB0304  error (attribute)
 *   Python keyword (class, def, from, ...)       BB0305  error
 *   Python soft keyword (match, case, type)      BB0306  warning
 *   shadows a type the generated code uses       BB0307  warning
 *   class name clashes with a generated import   BB0308  error
 *   reserved word of the chosen database         BB0309  warning
 *   longer than the database allows              BB0315  error
 *
 * SQL reserved words are warnings, not errors: SQLAlchemy and Alembic quote
 * reserved names automatically, so the generated code works; only raw SQL
 * the user writes (checks, server defaults) must quote them.
 *
 * Nothing here allocates except diagnostics; the word lists are static.
 */
#ifndef BB_IDENT_H
#define BB_IDENT_H

#include "base/bb.h"
#include "diag/diag.h"
#include "front/schema.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    BB_IDENT_TABLE,      /* table_name: SQL table and Python module */
    BB_IDENT_CLASS,      /* class_name: SQLAlchemy model and Pydantic prefix */
    BB_IDENT_COLUMN,     /* column name: SQL column and Python attribute */
    BB_IDENT_ATTRIBUTE,  /* relationship attribute on a model */
    BB_IDENT_CONSTRAINT, /* explicit name of a unique, index or check */
} bb_ident_kind;

/*
 * Applies every rule to name (see the table above) and adds at most one
 * diagnostic at pointer/offset. Returns BB_OK when the name is usable
 * (possibly with a warning), BB_EINVAL when it was reported as an error.
 */
int bb_ident_check(bb_diags *d, bb_ident_kind kind, const char *name, bb_db_type db,
                   const char *pointer, size_t offset);

/* True when bb_ident_check() would report nothing (no allocation, no
 * formatting: the fast path for the common case). */
bool bb_ident_ok(bb_ident_kind kind, const char *name, bb_db_type db);

/* The single rules, for callers and tests. */
bool bb_ident_is_python_keyword(const char *name);
bool bb_ident_is_soft_keyword(const char *name);
bool bb_ident_is_sql_reserved(bb_db_type db, const char *name); /* case-insensitive */
bool bb_ident_is_orm_reserved(const char *name);
/* The longest table or column name the database accepts; 0 means no limit. */
size_t bb_ident_max_len(bb_db_type db);

/*
 * Writes a hint proposing alternatives to a rejected name into out (capped),
 * e.g. "class" -> "rename it, e.g. \"class_name\" or \"klass\"".
 */
void bb_ident_suggest(bb_ident_kind kind, const char *name, char *out, size_t out_size);

#endif
