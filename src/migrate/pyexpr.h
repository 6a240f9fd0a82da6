/*
 * pyexpr.h - the Python a revision writes for a column of a normalized
 * schema (normview.h): its SQLAlchemy type, its server default, the value
 * its NULLs take before it becomes NOT NULL; and a string literal.
 *
 * The differ (diff.h) compares columns by these texts, so two columns that
 * render alike are alike for the database.
 *
 * Every function appends to a caller-owned bb_buf and returns BB_OK or the
 * buffer's error (BB_ENOMEM, BB_ELIMIT).
 */
#ifndef BB_PYEXPR_H
#define BB_PYEXPR_H

#include "base/buf.h"
#include "migrate/normview.h"

#include <stdbool.h>

/* s (NULL: "") as a Python string literal, as bb_pylit_str() writes it;
 * names that need no escaping are copied without a second look. */
int bb_pyexpr_str(bb_buf *b, const char *s) BB_WUR;

/* The SQLAlchemy type: sa.String(length=80), _enum("name", "a", "b"), ... */
int bb_pyexpr_type(bb_buf *b, const bb_normview_col *col) BB_WUR;

/* The server default (sa.text("0"), sa.true(), "draft"); nothing when the
 * column has none. */
int bb_pyexpr_server_default(bb_buf *b, const bb_normview_col *col) BB_WUR;

/* The value a NULL is replaced with before the column becomes NOT NULL;
 * the column must have a default (bb_pyexpr_has_default). */
int bb_pyexpr_fill_value(bb_buf *b, const bb_normview_col *col) BB_WUR;

bool bb_pyexpr_has_default(const bb_normview_col *col);

#endif
