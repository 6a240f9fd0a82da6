/*
 * validate.c - semantic validation of a loaded schema (validate.h).
 *
 * The passes, in order, each reporting everything it finds:
 *   1. names: identifier rules (ident.h) and duplicates of tables, classes
 *      and columns, primary keys, mixin clashes; one hash index of every
 *      name so lookups stay O(1) however many tables there are;
 *   2. foreign keys: targets exist and are unique, storage types copied;
 *   3. columns: lengths, precisions, enum values, defaults, autoincrement;
 *   4. relationships (relations.c): targets, foreign keys, attribute names
 *      and pairs (the naming rules of docs/diagnostics.md), implicit
 *      counterparts, association tables, attribute clashes;
 *   5. the build order (order.h).
 * Suspicious content is checked by the loader, string by string.
 */
#include "front/validate.h"

#include "front/advice.h"
#include "front/lint.h"

#include "front/ident.h"
#include "front/mysql.h"
#include "front/order.h"
#include "front/relations.h"
#include "front/vctx.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the validation context and reporting -------------------------------- */

static void note_rc(bb__vctx *v, int rc)
{
    if (rc == BB_ENOMEM)
        v->rc = BB_ENOMEM;
}

/* ---- small helpers ------------------------------------------------------- */

static bool is_integer_type(bb_col_type t)
{
    return t == BB_TYPE_INTEGER || t == BB_TYPE_BIGINTEGER || t == BB_TYPE_SMALLINTEGER;
}

static const char *type_label(const bb_column *c)
{
    const char *n = bb_col_type_name(c->type);
    return n ? n : (c->type_name ? c->type_name : "?");
}

static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* ---- pass 1: names ------------------------------------------------------- */

/* Identifier rules, with the location only worked out when there is
 * something to report. */
static void check_ident(bb__vctx *v, bb_ident_kind kind, const char *name, const char *ptr,
                        size_t off, const char *key)
{
    if (bb_ident_ok(kind, name, v->s->db_type))
        return;
    bb__loc at = key ? bb__loc_key(ptr, off, key) : bb__loc_node(ptr, off);
    bb__resolved_loc r;
    bb__resolve_loc(v, &at, &r);
    (void)bb_ident_check(v->d, kind, name, v->s->db_type, r.ptr, r.off);
}

static void check_table_names(bb__vctx *v)
{
    bb_schema *s = v->s;
    for (size_t i = 0; i < s->n_tables; i++) {
        bb_table *t = &s->tables[i];
        if (*t->table_name) {
            check_ident(v, BB_IDENT_TABLE, t->table_name, t->pointer, t->offset, "table_name");
            int prev = bb__nx_put(&v->names, BB__SCOPE_TABLE, t->table_name, (int)i);
            if (prev != BB__NX_NONE) {
                bb__loc at = TABLE_LOC(t, "table_name");
                char hint[512];
                snprintf(hint, sizeof(hint),
                         "table names must be unique; the first \"%s\" is %s: rename one",
                         t->table_name, s->tables[prev].pointer);
                bb__report(v, BB_ERROR, "BB0311", &at, hint, "duplicate table name \"%s\"",
                           t->table_name);
            }
        }
        if (*t->class_name) {
            check_ident(v, BB_IDENT_CLASS, t->class_name, t->pointer, t->offset, "class_name");
            int prev = bb__nx_put(&v->names, BB__SCOPE_CLASS, t->class_name, (int)i);
            if (prev != BB__NX_NONE) {
                bb__loc at = TABLE_LOC(t, "class_name");
                char hint[512];
                snprintf(hint, sizeof(hint),
                         "class names must be unique; \"%s\" is also the class of table \"%s\"",
                         t->class_name, s->tables[prev].table_name);
                bb__report(v, BB_ERROR, "BB0312", &at, hint, "duplicate class name \"%s\"",
                           t->class_name);
            }
        }
        v->table_names[i] = t->table_name;
    }
}

static const char *mixin_option(const char *name)
{
    if (strcmp(name, "created_at") == 0 || strcmp(name, "updated_at") == 0)
        return "use_timestamps";
    return "use_soft_delete";
}

static void check_column_names(bb__vctx *v, size_t ti)
{
    bb_table *t = &v->s->tables[ti];
    for (size_t ci = 0; ci < t->n_columns; ci++) {
        bb_column *c = &t->columns[ci];
        if (!c->name || !*c->name)
            continue;
        if (c->from_mixin) {
            int user = bb__nx_get(&v->names, (int)ti, c->name);
            if (user >= 0) {
                const bb_column *u = &t->columns[user];
                bb__loc at = COL_LOC(u, "name");
                char hint[256];
                snprintf(hint, sizeof(hint),
                         "rename the column, or drop it and keep \"%s\" (it adds \"%s\" for you)",
                         mixin_option(c->name), c->name);
                bb__report(v, BB_ERROR, "BB0427", &at, hint,
                           "column \"%s\" clashes with the column the option \"%s\" adds", c->name,
                           mixin_option(c->name));
                continue;
            }
            (void)bb__nx_put(&v->names, (int)ti, c->name, (int)ci);
            continue;
        }
        check_ident(v, BB_IDENT_COLUMN, c->name, c->pointer, c->offset, "name");
        int prev = bb__nx_put(&v->names, (int)ti, c->name, (int)ci);
        bb__loc at = COL_LOC(c, "name");
        if (prev != BB__NX_NONE)
            bb__report(v, BB_ERROR, "BB0313", &at, "column names must be unique within a table",
                       "duplicate column \"%s\" in table \"%s\" (first at %s)", c->name,
                       t->table_name, t->columns[prev].pointer);
    }
    size_t n_pk = bb_table_pk_count(t);
    if (n_pk == 0 && t->n_user_columns > 0) {
        bb__loc at = TABLE_LOC(t, "columns");
        bb__report(
            v, BB_ERROR, "BB0404", &at,
            "mark a column as the primary key, e.g. {\"name\": \"id\", \"type\": \"Integer\", "
            "\"primary_key\": true}",
            "table \"%s\" has no primary key", t->table_name);
    }
    /* Only a lone integer primary key autoincrements by default. */
    if (n_pk > 1)
        for (size_t ci = 0; ci < t->n_columns; ci++)
            if (!t->columns[ci].autoincrement_given)
                t->columns[ci].autoincrement = false;
}

/* ---- pass 2: foreign keys ------------------------------------------------ */

static bool single_column_unique(const bb_table *t, const char *col)
{
    for (size_t i = 0; i < t->n_uniques; i++)
        if (t->uniques[i].n_columns == 1 && strcmp(t->uniques[i].columns[0], col) == 0)
            return true;
    for (size_t i = 0; i < t->n_indexes; i++)
        if (t->indexes[i].unique && t->indexes[i].n_columns == 1 &&
            strcmp(t->indexes[i].columns[0], col) == 0)
            return true;
    return false;
}

static void resolve_fk(bb__vctx *v, bb_column *c)
{
    if (!c->fk_table || !c->fk_column)
        return; /* absent or malformed (the loader reported it) */
    char hint[512];
    bb__loc at = COL_LOC(c, "target");
    int tt = bb__nx_get(&v->names, BB__SCOPE_TABLE, c->fk_table);
    if (tt == BB__NX_NONE && v->s->tables_capped)
        return; /* may be a table past the limit (BB0603 said so) */
    if (tt == BB__NX_NONE) {
        bb__report(
            v, BB_ERROR, "BB0401", &at,
            bb__did_you_mean(c->fk_table, v->table_names, v->s->n_tables, hint, sizeof(hint)),
            "foreign key \"%s\" references table \"%s\", which is not in the schema", c->fk_target,
            c->fk_table);
        return;
    }
    bb_table *target = &v->s->tables[tt];
    int cc = bb__nx_get(&v->names, tt, c->fk_column);
    if (cc < 0 && target->columns_capped)
        return; /* may be a column past the limit (BB0604 said so) */
    if (cc < 0) {
        const char *names[128];
        size_t n = 0;
        for (size_t i = 0; i < target->n_columns && n < 128; i++)
            names[n++] = target->columns[i].name;
        bb__report(v, BB_ERROR, "BB0402", &at,
                   bb__did_you_mean(c->fk_column, names, n, hint, sizeof(hint)),
                   "foreign key \"%s\" references column \"%s\", which table \"%s\" does not have",
                   c->fk_target, c->fk_column, target->table_name);
        return;
    }
    const bb_column *col = &target->columns[cc];
    bool unique = (col->primary_key && bb_table_pk_count(target) == 1) || col->unique ||
                  single_column_unique(target, col->name);
    if (!unique) {
        int pk = bb_table_pk_index(target);
        if (pk >= 0 && bb_table_pk_count(target) == 1)
            snprintf(hint, sizeof(hint),
                     "reference the primary key (\"%s.%s\") or make \"%s\" unique (\"unique\": "
                     "true)",
                     target->table_name, target->columns[pk].name, col->name);
        else
            snprintf(hint, sizeof(hint), "make \"%s\" unique (\"unique\": true)", col->name);
        bb__report(
            v, BB_ERROR, "BB0403", &at, hint,
            "foreign key \"%s\" references a column that is neither the primary key nor unique",
            c->fk_target);
    }
    c->fk_table_index = tt;
    c->fk_column_index = cc;
}

/* An FK column stores what its target stores, following chains of FKs. */
static void copy_fk_type(bb__vctx *v, bb_column *c)
{
    const bb_column *t = c;
    for (size_t steps = 0; t->fk_table_index >= 0 && steps <= v->s->n_tables; steps++) {
        t = &v->s->tables[t->fk_table_index].columns[t->fk_column_index];
        if (t->declared_type != BB_TYPE_FOREIGNKEY)
            break;
    }
    if (t == c || t->declared_type == BB_TYPE_FOREIGNKEY)
        return; /* unresolved, or a loop of FKs between primary keys */
    c->type = t->type;
    c->length = t->length;
    c->precision = t->precision;
    c->scale = t->scale;
    c->timezone = t->timezone;
    c->enum_values = t->enum_values;
    c->n_enum_values = t->n_enum_values;
}

/* ---- pass 3: columns ----------------------------------------------------- */

#define MAX_STRING_LENGTH 65535

static int max_precision(bb_db_type db)
{
    return db == BB_DB_MYSQL ? 65 : db == BB_DB_MSSQL ? 38 : 1000;
}

static void check_numeric(bb__vctx *v, bb_column *c)
{
    int max = max_precision(v->s->db_type);
    if (c->precision > max) {
        bb__loc at = COL_LOC(c, "precision");
        bb__report(v, BB_ERROR, "BB0408", &at,
                   "use a precision between 1 and the database's maximum",
                   "precision %d is over the maximum of %d for %s", c->precision, max,
                   v->s->db_type_name ? v->s->db_type_name : "this database");
    }
    if (c->scale >= 0 && c->precision < 0) {
        bb__loc at = COL_LOC(c, "scale");
        bb__report(v, BB_ERROR, "BB0408", &at, "give \"precision\" too, e.g. \"precision\": 10",
                   "\"scale\" needs a \"precision\"");
    } else if (c->scale > c->precision && c->precision > 0) {
        bb__loc at = COL_LOC(c, "scale");
        bb__report(v, BB_ERROR, "BB0408", &at,
                   "scale counts the digits after the point, so it is at "
                   "most the precision",
                   "scale %d is larger than precision %d", c->scale, c->precision);
    }
}

/* MySQL and SQL Server compare enum labels without regard to case (their
 * default collations), so 'Active' and 'active' are one label there. */
static bool labels_fold_case(bb_db_type db)
{
    return db == BB_DB_MYSQL || db == BB_DB_MSSQL;
}

/*
 * Why s cannot be an enum label of db, or NULL when it can. Quotes are
 * escaped by the output; MySQL reads a backslash in a string literal as an
 * escape, and SQLAlchemy writes ENUM('...') labels without doubling it.
 */
static const char *enum_value_problem(const char *s, bb_db_type db)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return "use 1 to 63 bytes (PostgreSQL's limit for a label)";
    if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
        return "remove the spaces around the value";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f || ch == '`')
            return "remove the control characters and backticks";
        if (ch == '\\' && db == BB_DB_MYSQL)
            return "remove the backslash: MySQL reads it as an escape in the label";
    }
    return NULL;
}

static void check_enum(bb__vctx *v, bb_column *c)
{
    if (c->declared_type != BB_TYPE_ENUM) {
        if (c->enum_values && c->declared_type != BB_TYPE_FOREIGNKEY) {
            bb__loc at = COL_LOC(c, "values");
            bb__report(v, BB_WARNING, "BB0409", &at,
                       "remove \"values\", or make the column \"type\": \"Enum\"",
                       "\"values\" is ignored on a column of type %s", type_label(c));
        }
        return;
    }
    for (size_t i = 0; i < c->n_enum_values; i++) {
        const char *val = c->enum_values[i];
        const char *problem = enum_value_problem(val, v->s->db_type);
        if (problem) {
            bb__loc at = bb__loc_item(c->pointer, c->offset, "values", i);
            bb__report(v, BB_ERROR, "BB0411", &at, problem, "enum value \"%.80s\" is not usable",
                       val);
            continue;
        }
        bool fold = labels_fold_case(v->s->db_type);
        for (size_t j = 0; j < i; j++) {
            const char *other = c->enum_values[j];
            if (fold ? strcasecmp(val, other) != 0 : strcmp(val, other) != 0)
                continue;
            bb__loc at = bb__loc_item(c->pointer, c->offset, "values", i);
            if (strcmp(val, other) == 0)
                bb__report(v, BB_ERROR, "BB0410", &at, "remove the repeated value",
                           "enum value \"%s\" is listed twice", val);
            else
                bb__report(v, BB_ERROR, "BB0410", &at,
                           "make the values differ in more than letter case",
                           "enum values \"%s\" and \"%s\" are one label on %s, which "
                           "compares them without regard to case",
                           val, other, v->s->db_type_name);
            break;
        }
    }
}

static bool digits_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* YYYY-MM-DD */
static bool iso_date(const char *s)
{
    return strlen(s) >= 10 && digits_only(s, 4) && s[4] == '-' && digits_only(s + 5, 2) &&
           s[7] == '-' && digits_only(s + 8, 2) && s[5] <= '1' && s[8] <= '3';
}

/* HH:MM[:SS[.ffffff]] followed by what is left; returns the rest or NULL. */
static const char *iso_time(const char *s)
{
    if (!digits_only(s, 2) || s[2] != ':' || !digits_only(s + 3, 2) || s[0] > '2' || s[3] > '5')
        return NULL;
    s += 5;
    if (*s == ':') {
        if (!digits_only(s + 1, 2))
            return NULL;
        s += 3;
        if (*s == '.') {
            size_t n = 0;
            while (isdigit((unsigned char)s[1 + n]))
                n++;
            if (n == 0 || n > 9)
                return NULL;
            s += 1 + n;
        }
    }
    return s;
}

/* Z, +HH:MM or -HH:MM, or nothing. */
static bool iso_zone(const char *s)
{
    if (*s == '\0' || (s[0] == 'Z' && s[1] == '\0'))
        return true;
    return (s[0] == '+' || s[0] == '-') && digits_only(s + 1, 2) && s[3] == ':' &&
           digits_only(s + 4, 2) && s[6] == '\0';
}

static bool iso_datetime(const char *s)
{
    if (!iso_date(s))
        return false;
    if (s[10] == '\0')
        return true;
    if (s[10] != 'T' && s[10] != ' ')
        return false;
    const char *rest = iso_time(s + 11);
    return rest && iso_zone(rest);
}

static bool is_uuid(const char *s)
{
    static const int dash[] = {8, 13, 18, 23};
    if (strlen(s) != 36)
        return false;
    for (int i = 0, k = 0; i < 36; i++) {
        if (k < 4 && i == dash[k]) {
            if (s[i] != '-')
                return false;
            k++;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* A decimal literal: [-+]digits[.digits]; counts its digits. */
static bool decimal_literal(const char *s, int *int_digits, int *frac_digits)
{
    *int_digits = *frac_digits = 0;
    if (*s == '-' || *s == '+')
        s++;
    while (*s == '0' && isdigit((unsigned char)s[1]))
        s++;
    for (; isdigit((unsigned char)*s); s++)
        ++*int_digits;
    if (*s == '.')
        for (s++; isdigit((unsigned char)*s); s++)
            ++*frac_digits;
    return *s == '\0' && *int_digits + *frac_digits > 0;
}

/* Why dv does not fit column c, or NULL when it does. */
static const char *default_problem(const bb_column *c, const bb_value *dv)
{
    bool str = dv->kind == BB_VALUE_STRING,
         num = dv->kind == BB_VALUE_INT || dv->kind == BB_VALUE_NUMBER;
    switch (c->type) {
    case BB_TYPE_BOOLEAN:
        return dv->kind == BB_VALUE_BOOL ? NULL : "a Boolean default is true or false";
    case BB_TYPE_SMALLINTEGER:
        if (dv->kind == BB_VALUE_INT && (dv->i < -32768 || dv->i > 32767))
            return "a SmallInteger holds -32768 to 32767";
        return dv->kind == BB_VALUE_INT ? NULL : "an integer default is a whole number";
    case BB_TYPE_INTEGER:
        if (dv->kind == BB_VALUE_INT && (dv->i < INT32_MIN || dv->i > INT32_MAX))
            return "an Integer holds 32 bits; use BigInteger for larger values";
        return dv->kind == BB_VALUE_INT ? NULL : "an integer default is a whole number";
    case BB_TYPE_BIGINTEGER:
        return dv->kind == BB_VALUE_INT ? NULL : "an integer default is a whole number";
    case BB_TYPE_FLOAT:
    case BB_TYPE_INTERVAL:
        return num ? NULL : "the default is a number (for Interval: seconds)";
    case BB_TYPE_NUMERIC: {
        const char *text = str ? dv->s : num ? dv->text : NULL;
        int id, fd;
        if (!text || !decimal_literal(text, &id, &fd))
            return "a Numeric default is a number or a decimal string such as \"9.99\"";
        if (c->precision > 0 && id > c->precision - (c->scale > 0 ? c->scale : 0))
            return "the default has more digits before the point than precision - scale allows";
        return NULL;
    }
    case BB_TYPE_STRING:
    case BB_TYPE_TEXT:
    case BB_TYPE_ENUM:
        return str ? NULL : "the default of a text column is a string: quote it";
    case BB_TYPE_DATETIME:
        return str && (strcmp(dv->s, "now") == 0 || iso_datetime(dv->s))
                   ? NULL
                   : "a DateTime default is \"now\" or an ISO 8601 string such as "
                     "\"2024-01-31T12:00:00Z\"";
    case BB_TYPE_DATE:
        return str && (strcmp(dv->s, "now") == 0 || (iso_date(dv->s) && dv->s[10] == '\0'))
                   ? NULL
                   : "a Date default is \"now\" (today) or \"YYYY-MM-DD\"";
    case BB_TYPE_TIME: {
        const char *rest = str ? iso_time(dv->s) : NULL;
        return str && (strcmp(dv->s, "now") == 0 || (rest && *rest == '\0'))
                   ? NULL
                   : "a Time default is \"now\" or \"HH:MM[:SS]\"";
    }
    case BB_TYPE_UUID:
        return str && (strcmp(dv->s, "uuid4") == 0 || is_uuid(dv->s))
                   ? NULL
                   : "a UUID default is \"uuid4\" (a new one per row) or a UUID string";
    case BB_TYPE_JSON:
        return NULL;
    case BB_TYPE_LARGEBINARY:
        return "a LargeBinary column cannot have a default";
    case BB_TYPE_UNKNOWN:
    case BB_TYPE_FOREIGNKEY:
        return NULL; /* the type is reported elsewhere */
    }
    return NULL;
}

static void check_default(bb__vctx *v, bb_column *c)
{
    const bb_value *dv = &c->default_value;
    if (dv->kind == BB_VALUE_ABSENT || dv->kind == BB_VALUE_OTHER)
        return;
    bb__loc at = COL_LOC(c, "default");
    if (dv->kind == BB_VALUE_NULL) {
        if (!c->nullable)
            bb__report(v, BB_ERROR, "BB0405", &at,
                       "remove the default, or make the column nullable",
                       "default null on NOT NULL column \"%s\"", c->name);
        return;
    }
    const char *why = default_problem(c, dv);
    if (why) {
        bb__report(v, BB_ERROR, "BB0405", &at, why, "default does not fit column \"%s\" of type %s",
                   c->name, type_label(c));
        return;
    }
    if (c->type == BB_TYPE_STRING && c->length > 0 && utf8_len(dv->s) > (size_t)c->length) {
        bb__report(v, BB_ERROR, "BB0406", &at, "shorten the default or raise \"length\"",
                   "default of %zu characters is longer than the column's length %d",
                   utf8_len(dv->s), c->length);
        return;
    }
    if (c->type == BB_TYPE_ENUM && !c->n_enum_values)
        return; /* no values to compare with: reported (BB0204) */
    if (c->type == BB_TYPE_ENUM) {
        for (size_t i = 0; i < c->n_enum_values; i++)
            if (strcmp(c->enum_values[i], dv->s) == 0)
                return;
        char hint[256];
        bb__report(v, BB_ERROR, "BB0412", &at,
                   bb__did_you_mean(dv->s, c->enum_values, c->n_enum_values, hint, sizeof(hint))
                       ? hint
                       : "the default must be one of the column's \"values\"",
                   "default \"%.80s\" is not one of the enum's values", dv->s);
    }
}

static void check_column(bb__vctx *v, bb_column *c, size_t n_pk)
{
    if (c->from_mixin)
        return;
    if (c->declared_type == BB_TYPE_STRING && c->length > MAX_STRING_LENGTH) {
        bb__loc at = COL_LOC(c, "length");
        bb__report(v, BB_ERROR, "BB0407", &at, "use \"type\": \"Text\" for long text",
                   "String length %d is over the maximum of %d", c->length, MAX_STRING_LENGTH);
    }
    if (c->declared_type == BB_TYPE_NUMERIC)
        check_numeric(v, c);
    check_enum(v, c);
    check_default(v, c);
    if (c->autoincrement_given && c->autoincrement &&
        (!c->primary_key || !is_integer_type(c->type) || c->fk_target || n_pk > 1)) {
        bb__loc at = COL_LOC(c, "autoincrement");
        bb__report(v, BB_ERROR, "BB0413", &at,
                   "remove \"autoincrement\": only a table's single integer primary key "
                   "autoincrements",
                   "column \"%s\" cannot autoincrement", c->name);
    }
    if (c->fk_target && c->on_delete == BB_ON_DELETE_SET_NULL && !c->nullable) {
        bb__loc at = COL_LOC(c, "on_delete");
        bb__report(v, BB_ERROR, "BB0431", &at,
                   "make the column nullable, or use CASCADE or RESTRICT",
                   "ON DELETE SET NULL on NOT NULL column \"%s\" would fail when the row it "
                   "references is deleted",
                   c->name);
    }
}

/* Column names of unique constraints and indexes must exist. */
static void check_constraint_columns(bb__vctx *v, size_t ti, const char *ptr, size_t off,
                                     const char **cols, size_t n)
{
    bool is_array = bb__is_array_at(v, off);
    for (size_t k = 0; k < n; k++) {
        if (bb__nx_get(&v->names, (int)ti, cols[k]) >= 0)
            continue;
        bb__loc at = bb__loc_item(ptr, off, is_array ? NULL : "columns", k);
        bb__report(v, BB_ERROR, "BB0430", &at, "name a column of this table",
                   "unknown column \"%.80s\" in a constraint of table \"%s\"", cols[k],
                   v->s->tables[ti].table_name);
    }
}

/*
 * An explicit constraint or index name is an SQL identifier, and must be
 * unique in the schema: PostgreSQL keeps index names beside table names in
 * one namespace, so a clash fails the migration.
 */
static void check_constraint_name(bb__vctx *v, const char *name, const char *ptr, size_t off)
{
    if (!name)
        return; /* the planner names it */
    check_ident(v, BB_IDENT_CONSTRAINT, name, ptr, off, "name");
    bool table = bb__nx_get(&v->names, BB__SCOPE_TABLE, name) != BB__NX_NONE;
    bool again = bb__nx_put(&v->names, BB__SCOPE_CONSTRAINT, name, 0) != BB__NX_NONE;
    if (!table && !again)
        return;
    bb__loc at = bb__loc_key(ptr, off, "name");
    bb__report(v, BB_ERROR, "BB0317", &at, "give it a name used nowhere else in the schema",
               "constraint name \"%s\" is already the name of %s", name,
               table ? "a table" : "another constraint or index");
}

static void check_table_constraints(bb__vctx *v, size_t ti)
{
    bb_table *t = &v->s->tables[ti];
    for (size_t i = 0; i < t->n_uniques; i++) {
        const bb_unique *u = &t->uniques[i];
        check_constraint_columns(v, ti, u->pointer, u->offset, u->columns, u->n_columns);
        check_constraint_name(v, u->name, u->pointer, u->offset);
    }
    for (size_t i = 0; i < t->n_indexes; i++) {
        const bb_index *x = &t->indexes[i];
        check_constraint_columns(v, ti, x->pointer, x->offset, x->columns, x->n_columns);
        check_constraint_name(v, x->name, x->pointer, x->offset);
    }
    for (size_t i = 0; i < t->n_checks; i++)
        check_constraint_name(v, t->checks[i].name, t->checks[i].pointer, t->checks[i].offset);
}

/* ---- the driver ---------------------------------------------------------- */

/* Cycle diagnostics point at the foreign key's "target". */
static void locate_fk_target(const bb_schema *s, const bb_column *c, char *ptr, size_t size,
                             size_t *off)
{
    bb__vctx v = {.s = (bb_schema *)s};
    bb__loc at = COL_LOC(c, "target");
    bb__resolved_loc r;
    bb__resolve_loc(&v, &at, &r);
    snprintf(ptr, size, "%s", r.ptr);
    *off = r.off;
}

static int setup(bb__vctx *v)
{
    bb_schema *s = v->s;
    size_t n_names = 2 * s->n_tables + 8, n_rels = 0;
    for (size_t i = 0; i < s->n_tables; i++) {
        n_names += s->tables[i].n_columns + 2 * s->tables[i].n_rels + s->tables[i].n_uniques +
                   s->tables[i].n_indexes + s->tables[i].n_checks;
        n_rels += s->tables[i].n_declared_rels;
    }
    n_names += 2 * n_rels; /* implicit counterparts and association names */
    if (bb__nx_init(&v->names, n_names))
        return BB_ENOMEM;
    v->table_names = bb_calloc(s->n_tables ? s->n_tables : 1, sizeof(char *));
    v->rel_base = bb_calloc(s->n_tables ? s->n_tables : 1, sizeof(size_t));
    v->rs = bb_calloc(n_rels ? n_rels : 1, sizeof(bb__rel_state));
    if (!v->table_names || !v->rel_base || !v->rs)
        return BB_ENOMEM;
    for (size_t i = 0, base = 0; i < s->n_tables; i++) {
        v->rel_base[i] = base;
        base += s->tables[i].n_declared_rels;
    }
    return BB_OK;
}

/* Forgets what an earlier bb_validate() resolved, so validating twice gives
 * the same schema (implicit counterparts are not added again). */
static void reset_resolved(bb_schema *s)
{
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        bb_table *t = &s->tables[ti];
        t->n_rels = t->n_declared_rels;
        t->is_association = false;
        for (size_t ri = 0; ri < t->n_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            r->attr_name = NULL;
            r->assoc_table = NULL;
            r->implicit = false;
            r->target_index = r->counterpart = -1;
            r->fk_table_index = r->fk_column_index = r->through_index = -1;
        }
        for (size_t ci = 0; ci < t->n_columns; ci++) {
            bb_column *c = &t->columns[ci];
            c->fk_table_index = c->fk_column_index = -1;
            c->use_alter = false;
        }
    }
    s->n_build_order = 0;
}

static void teardown(bb__vctx *v)
{
    bb_free(v->names.slots);
    bb_free(v->table_names);
    bb_free(v->rel_base);
    bb_free(v->rs);
}

int bb_validate(bb_schema *s, bb_diags *diags)
{
    if (!s || !diags)
        return BB_EUSAGE;
    bb__vctx v = {.s = s, .d = diags};
    s->validated = false;
    reset_resolved(s);
    int rc = setup(&v);
    if (rc) {
        teardown(&v);
        return rc;
    }
    check_table_names(&v);
    for (size_t ti = 0; ti < s->n_tables; ti++)
        check_column_names(&v, ti);
    for (size_t ti = 0; ti < s->n_tables; ti++)
        for (size_t ci = 0; ci < s->tables[ti].n_columns; ci++)
            resolve_fk(&v, &s->tables[ti].columns[ci]);
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        bb_table *t = &s->tables[ti];
        size_t n_pk = bb_table_pk_count(t);
        for (size_t ci = 0; ci < t->n_columns; ci++) {
            if (t->columns[ci].declared_type == BB_TYPE_FOREIGNKEY)
                copy_fk_type(&v, &t->columns[ci]);
            check_column(&v, &t->columns[ci], n_pk);
        }
        check_table_constraints(&v, ti);
        bb__mysql_check(&v, ti);
    }
    bb__relations_resolve(&v);
    if (!v.rc)
        note_rc(&v, bb_order_build(s, diags, locate_fk_target));
    rc = v.rc;
    teardown(&v);
    if (rc)
        return rc;
    s->validated = !bb_diags_has_errors(diags);
    return s->validated ? BB_OK : BB_EINVAL;
}

int bb_frontend(const char *filename, const char *bytes, size_t len, const bb_limits *limits,
                bb_diags *diags, bb_schema **out)
{
    int rc = bb_schema_load(filename, bytes, len, limits, diags, out);
    if (rc != BB_OK)
        return rc;
    rc = bb_validate(*out, diags);
    /* Kept advice is applied like the user's own keys, then the lints look
     * at the schema as it will be generated. */
    if (rc == BB_OK)
        rc = bb_advice_apply_kept(*out, diags, NULL);
    if (rc == BB_OK)
        rc = bb_lint_schema(*out, diags);
    return rc;
}
