/*
 * validate.c - semantic validation of a loaded schema (validate.h).
 *
 * The passes, in order, each reporting everything it finds:
 *   1. names: identifier rules (ident.h) and duplicates of tables, classes
 *      and columns, primary keys, mixin clashes; one hash index of every
 *      name so lookups stay O(1) however many tables there are;
 *   2. foreign keys: targets exist and are unique, storage types copied;
 *   3. columns: lengths, precisions, enum values, defaults, autoincrement;
 *   4. relationships: targets, foreign keys, attribute names and pairs
 *      (the naming rules of docs/schema.md), implicit counterparts,
 *      association tables, attribute clashes;
 *   5. the build order (order.h).
 * Suspicious content is checked by the loader, string by string.
 */
#include "validate.h"

#include "ident.h"
#include "order.h"
#include "suggest.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the name index ------------------------------------------------------ */

/*
 * One open-addressing hash of (scope, name) -> value. Scopes: tables,
 * classes, automatic association tables, and one per table for its members
 * (columns have values >= 0, relationship attributes -2 - index).
 */
enum { SCOPE_TABLE = -1, SCOPE_CLASS = -2, SCOPE_ASSOC = -3 };
#define NX_NONE INT_MIN

typedef struct name_slot {
    const char *name; /* NULL: empty slot */
    int scope;
    int value;
} name_slot;

typedef struct name_index {
    name_slot *slots;
    size_t mask;
} name_index;

static uint32_t hash_name(int scope, const char *s)
{
    uint32_t h = 2166136261u ^ (uint32_t)scope;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int nx_init(name_index *x, size_t n_items)
{
    size_t cap = 64;
    while (cap < n_items + n_items / 3) /* load factor at most 3/4 */
        cap <<= 1;
    x->slots = bb_calloc(cap, sizeof(*x->slots));
    x->mask = cap - 1;
    return x->slots ? BB_OK : BB_ENOMEM;
}

static name_slot *nx_slot(const name_index *x, int scope, const char *name)
{
    size_t i = hash_name(scope, name) & x->mask;
    while (x->slots[i].name && (x->slots[i].scope != scope || strcmp(x->slots[i].name, name) != 0))
        i = (i + 1) & x->mask;
    return &x->slots[i];
}

static int nx_get(const name_index *x, int scope, const char *name)
{
    name_slot *sl = nx_slot(x, scope, name);
    return sl->name ? sl->value : NX_NONE;
}

/* Inserts name unless present; returns the value already there, or NX_NONE.
 * The index is sized for every name at init, so it never fills up. */
static int nx_put(name_index *x, int scope, const char *name, int value)
{
    name_slot *sl = nx_slot(x, scope, name);
    if (sl->name)
        return sl->value;
    sl->name = name;
    sl->scope = scope;
    sl->value = value;
    return NX_NONE;
}

/* ---- the validation context and reporting -------------------------------- */

/* Per declared relationship: how its name was found and what is pending. */
typedef struct rel_state {
    int rule;         /* 0 not named yet, 1 explicit, 2 pair, 3 original rule */
    bool fk_explicit; /* the FK came from its own "foreign_key" */
    bool reported;    /* an error about it was reported: stay quiet */
    bool wants_implicit;
} rel_state;

typedef struct vctx {
    bb_schema *s;
    bb_diags *d;
    name_index names;
    const char **table_names; /* for "did you mean" */
    size_t *rel_base;         /* first rel_state of each table */
    rel_state *rs;
    int rc; /* BB_ENOMEM once an allocation failed */
} vctx;

/*
 * Where a diagnostic points: a node (its JSON Pointer and offset), or a
 * member key of it, or an item of that member. Only resolved into a pointer
 * and an offset when a diagnostic is reported, since finding a member's
 * offset means skimming the source text.
 */
typedef struct loc {
    const char *ptr;
    size_t off;
    const char *key; /* NULL: the node itself */
    bool has_item;
    size_t item;
} loc;

typedef struct resolved_loc {
    char ptr[384];
    size_t off;
} resolved_loc;

static void resolve_loc(const vctx *v, const loc *at, resolved_loc *out);

static void report(vctx *v, bb_severity sev, const char *code, const loc *at, const char *hint,
                   const char *fmt, ...) BB_PRINTF(6, 7);

static void report(vctx *v, bb_severity sev, const char *code, const loc *at, const char *hint,
                   const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    resolved_loc r;
    resolve_loc(v, at, &r);
    if (bb_diag_add(v->d, sev, code, r.ptr, r.off, hint, "%s", msg) == BB_ENOMEM)
        v->rc = BB_ENOMEM;
}

static void note_rc(vctx *v, int rc)
{
    if (rc == BB_ENOMEM)
        v->rc = BB_ENOMEM;
}

/*
 * A tiny JSON skimmer over the source, used only to point diagnostics at a
 * member's value ("/schema/0/columns/2/name") instead of the whole object.
 * The loader keeps one offset per node; the text was parsed already, so
 * these scans only skip over valid JSON.
 */
static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

static size_t skip_string(const char *s, size_t n, size_t i)
{
    for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\')
            i++;
    return i < n ? i + 1 : n;
}

static size_t skip_value(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return n;
    if (s[i] == '"')
        return skip_string(s, n, i);
    if (s[i] != '{' && s[i] != '[') {
        while (i < n && !strchr(",]} \t\r\n", s[i]))
            i++;
        return i;
    }
    int depth = 0;
    while (i < n) {
        char c = s[i];
        if (c == '"') {
            i = skip_string(s, n, i);
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return i + 1;
        i++;
    }
    return n;
}

/* Offset of the value of key in the object at obj, or BB_NO_OFFSET. */
static size_t member_offset(const bb_schema *s, size_t obj, const char *key)
{
    const char *src = s->src;
    size_t n = s->src_len, klen = strlen(key);
    if (!src || obj == BB_NO_OFFSET || obj >= n || src[obj] != '{')
        return BB_NO_OFFSET;
    size_t i = skip_ws(src, n, obj + 1);
    while (i < n && src[i] == '"') {
        size_t kend = skip_string(src, n, i);
        bool match = kend - i == klen + 2 && memcmp(src + i + 1, key, klen) == 0;
        i = skip_ws(src, n, kend);
        if (i >= n || src[i] != ':')
            return BB_NO_OFFSET;
        i = skip_ws(src, n, i + 1);
        if (match)
            return i;
        i = skip_ws(src, n, skip_value(src, n, i));
        if (i < n && src[i] == ',')
            i = skip_ws(src, n, i + 1);
    }
    return BB_NO_OFFSET;
}

/* Offset of item idx of the array at arr, or BB_NO_OFFSET. */
static size_t item_offset(const bb_schema *s, size_t arr, size_t idx)
{
    const char *src = s->src;
    size_t n = s->src_len;
    if (!src || arr == BB_NO_OFFSET || arr >= n || src[arr] != '[')
        return BB_NO_OFFSET;
    size_t i = skip_ws(src, n, arr + 1);
    for (size_t k = 0; k < idx && i < n && src[i] != ']'; k++) {
        i = skip_ws(src, n, skip_value(src, n, i));
        if (i < n && src[i] == ',')
            i = skip_ws(src, n, i + 1);
    }
    return i < n && src[i] != ']' ? i : BB_NO_OFFSET;
}

/* out = base + "/" + tail, cut to fit (pointers are far shorter). */
static void ptr_join(char *out, size_t size, const char *base, const char *tail)
{
    size_t nb = strlen(base), nt = strlen(tail);
    if (nb > size - 2)
        nb = size - 2;
    memcpy(out, base, nb);
    out[nb] = '/';
    if (nt > size - nb - 2)
        nt = size - nb - 2;
    memcpy(out + nb + 1, tail, nt);
    out[nb + 1 + nt] = '\0';
}

static loc loc_node(const char *ptr, size_t off)
{
    loc l = {.ptr = ptr ? ptr : "", .off = off};
    return l;
}

/* The member key of the node at ptr/off (the node itself when absent). */
static loc loc_key(const char *ptr, size_t off, const char *key)
{
    loc l = {.ptr = ptr ? ptr : "", .off = off, .key = key};
    return l;
}

/* Item idx of the array member key (key NULL: the node is the array). */
static loc loc_item(const char *ptr, size_t off, const char *key, size_t idx)
{
    loc l = {.ptr = ptr ? ptr : "", .off = off, .key = key, .has_item = true, .item = idx};
    return l;
}

static void resolve_loc(const vctx *v, const loc *at, resolved_loc *out)
{
    char base[384];
    size_t off = at->off;
    snprintf(base, sizeof(base), "%s", at->ptr);
    if (at->key) {
        size_t m = member_offset(v->s, at->off, at->key);
        if (m != BB_NO_OFFSET || !v->s->src) {
            char joined[384];
            ptr_join(joined, sizeof(joined), at->ptr, at->key);
            memcpy(base, joined, sizeof(base));
            off = m;
        }
    }
    if (at->has_item) {
        size_t it = item_offset(v->s, off, at->item);
        char num[24];
        snprintf(num, sizeof(num), "%zu", at->item);
        ptr_join(out->ptr, sizeof(out->ptr), base, num);
        out->off = it == BB_NO_OFFSET ? off : it;
        return;
    }
    memcpy(out->ptr, base, sizeof(out->ptr));
    out->off = off;
}

#define COL_LOC(c, key) loc_key((c)->pointer, (c)->offset, (key))
#define TABLE_LOC(t, key) loc_key((t)->pointer, (t)->offset, (key))
#define REL_LOC(r, key) loc_key((r)->pointer, (r)->offset, (key))

/* "did you mean" hint for name among candidates, or NULL. */
static const char *did_you_mean(const char *name, const char *const *cands, size_t n, char *buf,
                                size_t size)
{
    const char *near = bb_suggest(name, cands, n);
    if (!near)
        return NULL;
    snprintf(buf, size, "did you mean \"%s\"?", near);
    return buf;
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

static size_t count_pk(const bb_table *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_columns; i++)
        n += t->columns[i].primary_key;
    return n;
}

static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* "OrderItem" -> "order_item" (ASCII; the input was checked to be a class
 * name already). */
static void class_snake(const char *name, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; name[i] && o + 2 < size; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isupper(c) && i > 0 && name[i - 1] != '_')
            out[o++] = '_';
        out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
}

static char *arena_str(vctx *v, const char *s)
{
    char *p = bb_arena_strdup(&v->s->arena, s);
    if (!p)
        v->rc = BB_ENOMEM;
    return p;
}

/* ---- pass 1: names ------------------------------------------------------- */

/* Identifier rules, with the location only worked out when there is
 * something to report. */
static void check_ident(vctx *v, bb_ident_kind kind, const char *name, const char *ptr, size_t off,
                        const char *key)
{
    if (bb_ident_ok(kind, name, v->s->db_type))
        return;
    loc at = key ? loc_key(ptr, off, key) : loc_node(ptr, off);
    resolved_loc r;
    resolve_loc(v, &at, &r);
    (void)bb_ident_check(v->d, kind, name, v->s->db_type, r.ptr, r.off);
}

static void check_table_names(vctx *v)
{
    bb_schema *s = v->s;
    for (size_t i = 0; i < s->n_tables; i++) {
        bb_table *t = &s->tables[i];
        if (*t->table_name) {
            check_ident(v, BB_IDENT_TABLE, t->table_name, t->pointer, t->offset, "table_name");
            int prev = nx_put(&v->names, SCOPE_TABLE, t->table_name, (int)i);
            if (prev != NX_NONE) {
                loc at = TABLE_LOC(t, "table_name");
                char hint[512];
                snprintf(hint, sizeof(hint),
                         "table names must be unique; the first \"%s\" is %s: rename one",
                         t->table_name, s->tables[prev].pointer);
                report(v, BB_ERROR, "BB0311", &at, hint, "duplicate table name \"%s\"",
                       t->table_name);
            }
        }
        if (*t->class_name) {
            check_ident(v, BB_IDENT_CLASS, t->class_name, t->pointer, t->offset, "class_name");
            int prev = nx_put(&v->names, SCOPE_CLASS, t->class_name, (int)i);
            if (prev != NX_NONE) {
                loc at = TABLE_LOC(t, "class_name");
                char hint[512];
                snprintf(hint, sizeof(hint),
                         "class names must be unique; \"%s\" is also the class of table \"%s\"",
                         t->class_name, s->tables[prev].table_name);
                report(v, BB_ERROR, "BB0312", &at, hint, "duplicate class name \"%s\"",
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

static void check_column_names(vctx *v, size_t ti)
{
    bb_table *t = &v->s->tables[ti];
    for (size_t ci = 0; ci < t->n_columns; ci++) {
        bb_column *c = &t->columns[ci];
        if (!c->name || !*c->name)
            continue;
        if (c->from_mixin) {
            int user = nx_get(&v->names, (int)ti, c->name);
            if (user >= 0) {
                const bb_column *u = &t->columns[user];
                loc at = COL_LOC(u, "name");
                char hint[256];
                snprintf(hint, sizeof(hint),
                         "rename the column, or drop it and keep \"%s\" (it adds \"%s\" for you)",
                         mixin_option(c->name), c->name);
                report(v, BB_ERROR, "BB0427", &at, hint,
                       "column \"%s\" clashes with the column the option \"%s\" adds", c->name,
                       mixin_option(c->name));
                continue;
            }
            (void)nx_put(&v->names, (int)ti, c->name, (int)ci);
            continue;
        }
        check_ident(v, BB_IDENT_COLUMN, c->name, c->pointer, c->offset, "name");
        int prev = nx_put(&v->names, (int)ti, c->name, (int)ci);
        loc at = COL_LOC(c, "name");
        if (prev != NX_NONE)
            report(v, BB_ERROR, "BB0313", &at, "column names must be unique within a table",
                   "duplicate column \"%s\" in table \"%s\" (first at %s)", c->name, t->table_name,
                   t->columns[prev].pointer);
    }
    size_t n_pk = count_pk(t);
    if (n_pk == 0 && t->n_user_columns > 0) {
        loc at = TABLE_LOC(t, "columns");
        report(v, BB_ERROR, "BB0404", &at,
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

static void resolve_fk(vctx *v, bb_column *c)
{
    if (!c->fk_table || !c->fk_column)
        return; /* absent or malformed (the loader reported it) */
    char hint[512];
    loc at = COL_LOC(c, "target");
    int tt = nx_get(&v->names, SCOPE_TABLE, c->fk_table);
    if (tt == NX_NONE) {
        report(v, BB_ERROR, "BB0401", &at,
               did_you_mean(c->fk_table, v->table_names, v->s->n_tables, hint, sizeof(hint)),
               "foreign key \"%s\" references table \"%s\", which is not in the schema",
               c->fk_target, c->fk_table);
        return;
    }
    bb_table *target = &v->s->tables[tt];
    int cc = nx_get(&v->names, tt, c->fk_column);
    if (cc < 0) {
        const char *names[128];
        size_t n = 0;
        for (size_t i = 0; i < target->n_columns && n < 128; i++)
            names[n++] = target->columns[i].name;
        report(v, BB_ERROR, "BB0402", &at, did_you_mean(c->fk_column, names, n, hint, sizeof(hint)),
               "foreign key \"%s\" references column \"%s\", which table \"%s\" does not have",
               c->fk_target, c->fk_column, target->table_name);
        return;
    }
    const bb_column *col = &target->columns[cc];
    bool unique = (col->primary_key && count_pk(target) == 1) || col->unique ||
                  single_column_unique(target, col->name);
    if (!unique) {
        int pk = bb_table_pk_index(target);
        if (pk >= 0 && count_pk(target) == 1)
            snprintf(hint, sizeof(hint),
                     "reference the primary key (\"%s.%s\") or make \"%s\" unique (\"unique\": "
                     "true)",
                     target->table_name, target->columns[pk].name, col->name);
        else
            snprintf(hint, sizeof(hint), "make \"%s\" unique (\"unique\": true)", col->name);
        report(v, BB_ERROR, "BB0403", &at, hint,
               "foreign key \"%s\" references a column that is neither the primary key nor unique",
               c->fk_target);
    }
    c->fk_table_index = tt;
    c->fk_column_index = cc;
}

/* An FK column stores what its target stores, following chains of FKs. */
static void copy_fk_type(vctx *v, bb_column *c)
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

static void check_numeric(vctx *v, bb_column *c)
{
    int max = max_precision(v->s->db_type);
    if (c->precision > max) {
        loc at = COL_LOC(c, "precision");
        report(v, BB_ERROR, "BB0408", &at, "use a precision between 1 and the database's maximum",
               "precision %d is over the maximum of %d for %s", c->precision, max,
               v->s->db_type_name ? v->s->db_type_name : "this database");
    }
    if (c->scale >= 0 && c->precision < 0) {
        loc at = COL_LOC(c, "scale");
        report(v, BB_ERROR, "BB0408", &at, "give \"precision\" too, e.g. \"precision\": 10",
               "\"scale\" needs a \"precision\"");
    } else if (c->scale > c->precision && c->precision > 0) {
        loc at = COL_LOC(c, "scale");
        report(v, BB_ERROR, "BB0408", &at,
               "scale counts the digits after the point, so it is at "
               "most the precision",
               "scale %d is larger than precision %d", c->scale, c->precision);
    }
}

/* An enum value becomes a Python Enum member: upper snake case of it. */
static void enum_member(const char *value, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; value[i] && o + 1 < size; i++) {
        unsigned char ch = (unsigned char)value[i];
        out[o++] = isalnum(ch) ? (char)toupper(ch) : '_';
    }
    out[o] = '\0';
}

static bool enum_value_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
        return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f || ch == '\'' || ch == '"' || ch == '\\' || ch == '`')
            return false;
    }
    return true;
}

static void check_enum(vctx *v, bb_column *c)
{
    if (c->declared_type != BB_TYPE_ENUM) {
        if (c->enum_values && c->declared_type != BB_TYPE_FOREIGNKEY) {
            loc at = COL_LOC(c, "values");
            report(v, BB_WARNING, "BB0409", &at,
                   "remove \"values\", or make the column \"type\": \"Enum\"",
                   "\"values\" is ignored on a column of type %s", type_label(c));
        }
        return;
    }
    for (size_t i = 0; i < c->n_enum_values; i++) {
        const char *val = c->enum_values[i];
        if (!enum_value_ok(val)) {
            loc at = loc_item(c->pointer, c->offset, "values", i);
            report(v, BB_ERROR, "BB0411", &at,
                   "use 1 to 63 characters without quotes, backslashes, control characters or "
                   "surrounding spaces",
                   "enum value \"%.80s\" is not usable", val);
            continue;
        }
        char mi[80], mj[80];
        enum_member(val, mi, sizeof(mi));
        for (size_t j = 0; j < i; j++) {
            enum_member(c->enum_values[j], mj, sizeof(mj));
            if (strcmp(mi, mj) != 0)
                continue;
            loc at = loc_item(c->pointer, c->offset, "values", i);
            if (strcmp(val, c->enum_values[j]) == 0)
                report(v, BB_ERROR, "BB0410", &at, "remove the repeated value",
                       "enum value \"%s\" is listed twice", val);
            else
                report(v, BB_ERROR, "BB0410", &at,
                       "values must differ in more than case and punctuation",
                       "enum values \"%s\" and \"%s\" both become the Python member %s", val,
                       c->enum_values[j], mi);
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

static void check_default(vctx *v, bb_column *c)
{
    const bb_value *dv = &c->default_value;
    if (dv->kind == BB_VALUE_ABSENT || dv->kind == BB_VALUE_OTHER)
        return;
    loc at = COL_LOC(c, "default");
    if (dv->kind == BB_VALUE_NULL) {
        if (!c->nullable)
            report(v, BB_ERROR, "BB0405", &at, "remove the default, or make the column nullable",
                   "default null on NOT NULL column \"%s\"", c->name);
        return;
    }
    const char *why = default_problem(c, dv);
    if (why) {
        report(v, BB_ERROR, "BB0405", &at, why, "default does not fit column \"%s\" of type %s",
               c->name, type_label(c));
        return;
    }
    if (c->type == BB_TYPE_STRING && c->length > 0 && utf8_len(dv->s) > (size_t)c->length) {
        report(v, BB_ERROR, "BB0406", &at, "shorten the default or raise \"length\"",
               "default of %zu characters is longer than the column's length %d", utf8_len(dv->s),
               c->length);
        return;
    }
    if (c->type == BB_TYPE_ENUM) {
        for (size_t i = 0; i < c->n_enum_values; i++)
            if (strcmp(c->enum_values[i], dv->s) == 0)
                return;
        char hint[256];
        report(v, BB_ERROR, "BB0412", &at,
               did_you_mean(dv->s, c->enum_values, c->n_enum_values, hint, sizeof(hint))
                   ? hint
                   : "the default must be one of the column's \"values\"",
               "default \"%.80s\" is not one of the enum's values", dv->s);
    }
}

static void check_column(vctx *v, bb_column *c, size_t n_pk)
{
    if (c->from_mixin)
        return;
    if (c->declared_type == BB_TYPE_STRING && c->length > MAX_STRING_LENGTH) {
        loc at = COL_LOC(c, "length");
        report(v, BB_ERROR, "BB0407", &at, "use \"type\": \"Text\" for long text",
               "String length %d is over the maximum of %d", c->length, MAX_STRING_LENGTH);
    }
    if (c->declared_type == BB_TYPE_NUMERIC)
        check_numeric(v, c);
    check_enum(v, c);
    check_default(v, c);
    if (c->autoincrement_given && c->autoincrement &&
        (!c->primary_key || !is_integer_type(c->type) || c->fk_target || n_pk > 1)) {
        loc at = COL_LOC(c, "autoincrement");
        report(v, BB_ERROR, "BB0413", &at,
               "remove \"autoincrement\": only a table's single integer primary key "
               "autoincrements",
               "column \"%s\" cannot autoincrement", c->name);
    }
    if (c->fk_target && c->on_delete == BB_ON_DELETE_SET_NULL && !c->nullable) {
        loc at = COL_LOC(c, "on_delete");
        report(v, BB_ERROR, "BB0431", &at, "make the column nullable, or use CASCADE or RESTRICT",
               "ON DELETE SET NULL on NOT NULL column \"%s\" would fail when the row it "
               "references is deleted",
               c->name);
    }
}

/* Column names of unique constraints and indexes must exist. */
static void check_constraint_columns(vctx *v, size_t ti, const char *ptr, size_t off,
                                     const char **cols, size_t n)
{
    bool is_array =
        v->s->src && off != BB_NO_OFFSET && off < v->s->src_len && v->s->src[off] == '[';
    for (size_t k = 0; k < n; k++) {
        if (nx_get(&v->names, (int)ti, cols[k]) >= 0)
            continue;
        loc at = loc_item(ptr, off, is_array ? NULL : "columns", k);
        report(v, BB_ERROR, "BB0430", &at, "name a column of this table",
               "unknown column \"%.80s\" in a constraint of table \"%s\"", cols[k],
               v->s->tables[ti].table_name);
    }
}

static void check_table_constraints(vctx *v, size_t ti)
{
    bb_table *t = &v->s->tables[ti];
    for (size_t i = 0; i < t->n_uniques; i++)
        check_constraint_columns(v, ti, t->uniques[i].pointer, t->uniques[i].offset,
                                 t->uniques[i].columns, t->uniques[i].n_columns);
    for (size_t i = 0; i < t->n_indexes; i++)
        check_constraint_columns(v, ti, t->indexes[i].pointer, t->indexes[i].offset,
                                 t->indexes[i].columns, t->indexes[i].n_columns);
}

/* ---- pass 4: relationships ----------------------------------------------- */

static rel_state *rstate(vctx *v, size_t ti, size_t ri)
{
    return &v->rs[v->rel_base[ti] + ri];
}

static bool rel_usable(const bb_relationship *r)
{
    return r->kind_known && r->target_index >= 0;
}

static bb_rel_kind inverse_kind(bb_rel_kind k)
{
    switch (k) {
    case BB_REL_ONE_TO_MANY:
        return BB_REL_MANY_TO_ONE;
    case BB_REL_MANY_TO_ONE:
        return BB_REL_ONE_TO_MANY;
    case BB_REL_ONE_TO_ONE:
    case BB_REL_MANY_TO_MANY:
        return k;
    }
    return k;
}

static const char *const cascade_words[] = {
    "all", "delete", "delete-orphan", "expunge", "merge", "none", "refresh-expire", "save-update",
};

static void check_cascade(vctx *v, const bb_relationship *r)
{
    const char *p = r->cascade;
    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (n == 0)
            break;
        char word[40];
        snprintf(word, sizeof(word), "%.*s", (int)(n < 39 ? n : 39), p);
        bool ok = false;
        for (size_t i = 0; i < sizeof(cascade_words) / sizeof(*cascade_words) && !ok; i++)
            ok = strcmp(word, cascade_words[i]) == 0;
        if (!ok) {
            char hint[256];
            loc at = REL_LOC(r, "cascade");
            report(v, BB_ERROR, "BB0432", &at,
                   did_you_mean(word, cascade_words, sizeof(cascade_words) / sizeof(*cascade_words),
                                hint, sizeof(hint))
                       ? hint
                       : "use SQLAlchemy cascade words: all, save-update, merge, delete, "
                         "delete-orphan, expunge, refresh-expire, none",
                   "unknown cascade \"%s\"", word);
        }
        p += n;
    }
}

static void resolve_rel_target(vctx *v, bb_relationship *r)
{
    r->target_index = -1;
    if (!*r->target_table)
        return;
    int tt = nx_get(&v->names, SCOPE_TABLE, r->target_table);
    if (tt == NX_NONE) {
        char hint[256];
        loc at = REL_LOC(r, "target_table");
        report(v, BB_ERROR, "BB0414", &at,
               did_you_mean(r->target_table, v->table_names, v->s->n_tables, hint, sizeof(hint)),
               "relationship to table \"%s\", which is not in the schema", r->target_table);
        return;
    }
    r->target_index = tt;
    const bb_table *target = &v->s->tables[tt];
    if (r->target_class && *target->class_name && strcmp(r->target_class, target->class_name)) {
        char hint[256];
        snprintf(hint, sizeof(hint), "write \"target_class\": \"%s\" (or leave it out)",
                 target->class_name);
        loc at = REL_LOC(r, "target_class");
        report(v, BB_ERROR, "BB0415", &at, hint,
               "target_class \"%s\" is not the class of table \"%s\" (\"%s\")", r->target_class,
               r->target_table, target->class_name);
    }
    r->uselist = r->kind == BB_REL_ONE_TO_MANY || r->kind == BB_REL_MANY_TO_MANY;
    if (r->through && r->kind != BB_REL_MANY_TO_MANY) {
        loc at = REL_LOC(r, "through");
        report(v, BB_WARNING, "BB0426", &at,
               "remove \"through\", or use \"type\": \"many_to_many\"",
               "\"through\" is ignored on a %s relationship", bb_rel_kind_name(r->kind));
    }
    if (r->cascade)
        check_cascade(v, r);
}

/* FK columns of table `from` that reference table `to`: count, first two. */
static size_t fk_candidates(const bb_schema *s, int from, int to, int *first, int *second)
{
    const bb_table *t = &s->tables[from];
    size_t n = 0;
    for (size_t i = 0; i < t->n_columns; i++) {
        if (t->columns[i].fk_table_index != to)
            continue;
        if (n == 0)
            *first = (int)i;
        else if (n == 1)
            *second = (int)i;
        n++;
    }
    return n;
}

static void set_fk(bb_relationship *r, int table, int column)
{
    r->fk_table_index = table;
    r->fk_column_index = column;
}

/*
 * Checks an explicit "foreign_key" of r (declared on table ti). For
 * many_to_one it names a column of ti to the target; for one_to_many one of
 * the target to ti; for one_to_one either. Returns true when resolved.
 */
static bool resolve_explicit_fk(vctx *v, size_t ti, bb_relationship *r, rel_state *st)
{
    const bb_schema *s = v->s;
    int tt = r->target_index;
    int here = nx_get(&v->names, (int)ti, r->foreign_key);
    int there = nx_get(&v->names, tt, r->foreign_key);
    bool here_ok = here >= 0 && s->tables[ti].columns[here].fk_table_index == tt;
    bool there_ok = there >= 0 && s->tables[tt].columns[there].fk_table_index == (int)ti;
    if (r->kind == BB_REL_MANY_TO_ONE && here_ok) {
        set_fk(r, (int)ti, here);
        return true;
    }
    if (r->kind == BB_REL_ONE_TO_MANY && there_ok) {
        set_fk(r, tt, there);
        return true;
    }
    if (r->kind == BB_REL_ONE_TO_ONE && (here_ok || there_ok)) {
        if (here_ok)
            set_fk(r, (int)ti, here);
        else
            set_fk(r, tt, there);
        return true;
    }
    /* A column whose own target was unknown has been reported already. */
    bool unresolved = (here >= 0 && s->tables[ti].columns[here].fk_target &&
                       s->tables[ti].columns[here].fk_table_index < 0) ||
                      (there >= 0 && s->tables[tt].columns[there].fk_target &&
                       s->tables[tt].columns[there].fk_table_index < 0);
    st->reported = true;
    if (unresolved)
        return false;
    const char *holder =
        r->kind == BB_REL_ONE_TO_MANY ? s->tables[tt].table_name : s->tables[ti].table_name;
    const char *other =
        r->kind == BB_REL_ONE_TO_MANY ? s->tables[ti].table_name : s->tables[tt].table_name;
    loc at = REL_LOC(r, "foreign_key");
    char hint[256];
    snprintf(hint, sizeof(hint),
             "name a ForeignKey column of table \"%s\" whose target is in table \"%s\"", holder,
             other);
    report(v, BB_ERROR, "BB0419", &at, hint,
           "\"foreign_key\": \"%s\" is not a foreign key of table \"%s\" to table \"%s\"",
           r->foreign_key, holder, other);
    return false;
}

/*
 * Infers the FK of r from the tables' foreign keys. When report is false,
 * an ambiguous or missing FK is left for later (a counterpart may name it).
 */
static bool infer_fk(vctx *v, size_t ti, bb_relationship *r, rel_state *st, bool report_it)
{
    const bb_schema *s = v->s;
    int tt = r->target_index;
    int a1 = -1, a2 = -1, b1 = -1, b2 = -1;
    size_t na = 0, nb = 0;
    if (r->kind != BB_REL_ONE_TO_MANY)
        na = fk_candidates(s, (int)ti, tt, &a1, &a2); /* FK on this side */
    if (r->kind != BB_REL_MANY_TO_ONE && tt != (int)ti)
        nb = fk_candidates(s, tt, (int)ti, &b1, &b2); /* FK on the other side */
    else if (r->kind == BB_REL_ONE_TO_MANY)
        nb = fk_candidates(s, tt, (int)ti, &b1, &b2); /* self-reference */
    if (na + nb == 1) {
        if (na)
            set_fk(r, (int)ti, a1);
        else
            set_fk(r, tt, b1);
        return true;
    }
    if (!report_it)
        return false;
    st->reported = true;
    loc at = loc_node(r->pointer, r->offset);
    const bb_table *holder = &s->tables[r->kind == BB_REL_ONE_TO_MANY ? tt : (int)ti];
    const bb_table *other = &s->tables[r->kind == BB_REL_ONE_TO_MANY ? (int)ti : tt];
    if (na + nb == 0) {
        char hint[512];
        char snake[80];
        class_snake(*other->class_name ? other->class_name : other->table_name, snake,
                    sizeof(snake));
        int pk = bb_table_pk_index(other);
        snprintf(hint, sizeof(hint),
                 "add a column to \"%s\" such as {\"name\": \"%s_id\", \"type\": \"ForeignKey\", "
                 "\"target\": \"%s.%s\"}",
                 holder->table_name, snake, other->table_name,
                 pk >= 0 ? other->columns[pk].name : "id");
        report(v, BB_ERROR, "BB0417", &at, hint,
               "%s relationship from \"%s\" to \"%s\" needs a foreign key, and table \"%s\" has "
               "none to \"%s\"",
               bb_rel_kind_name(r->kind), s->tables[ti].table_name, r->target_table,
               holder->table_name, other->table_name);
        return false;
    }
    const bb_table *ta = &s->tables[ti], *tb = &s->tables[tt];
    const char *names[4];
    size_t k = 0;
    if (na > 0)
        names[k++] = ta->columns[a1].name;
    if (na > 1)
        names[k++] = ta->columns[a2].name;
    if (nb > 0)
        names[k++] = tb->columns[b1].name;
    if (nb > 1)
        names[k++] = tb->columns[b2].name;
    const char *c1 = names[0], *c2 = names[1];
    char hint[256];
    snprintf(hint, sizeof(hint), "say which one with \"foreign_key\", e.g. \"foreign_key\": \"%s\"",
             c1);
    report(v, BB_ERROR, "BB0418", &at, hint,
           "%s relationship from \"%s\" to \"%s\" is ambiguous: %zu foreign keys could carry it "
           "(\"%s\", \"%s\"%s)",
           bb_rel_kind_name(r->kind), s->tables[ti].table_name, r->target_table, na + nb, c1, c2,
           na + nb > 2 ? ", ..." : "");
    return false;
}

/* The original's naming rule (3): target_table, or the FK column without
 * its "_id". Returns NULL when the FK is still unknown. */
static const char *rule3_name(vctx *v, size_t ti, const bb_relationship *r)
{
    const bb_schema *s = v->s;
    if (r->kind == BB_REL_ONE_TO_MANY || r->kind == BB_REL_MANY_TO_MANY)
        return r->target_table;
    if (r->fk_table_index < 0)
        return NULL;
    char buf[160];
    if (r->fk_table_index == (int)ti) {
        const char *col = s->tables[ti].columns[r->fk_column_index].name;
        size_t n = strlen(col);
        if (n > 3 && strcmp(col + n - 3, "_id") == 0) {
            snprintf(buf, sizeof(buf), "%.*s", (int)(n - 3), col);
            return arena_str(v, buf);
        }
    }
    const bb_table *target = &s->tables[r->target_index];
    class_snake(*target->class_name ? target->class_name : target->table_name, buf, sizeof(buf));
    return arena_str(v, buf);
}

/* The one declared relationship of table b to table a, if exactly one. */
static int only_rel_to(const bb_table *b, int a, size_t *count)
{
    int found = -1;
    *count = 0;
    for (size_t i = 0; i < b->n_declared_rels; i++)
        if (b->rels[i].kind_known && b->rels[i].target_index == a) {
            found = (int)i;
            ++*count;
        }
    return *count == 1 ? found : -1;
}

/* Rule 2: r (on table ti) and s are the only relationships each way. */
static int pair_partner(const vctx *v, size_t ti, const bb_relationship *r)
{
    int tt = r->target_index;
    if (tt == (int)ti)
        return -1;
    size_t n_here, n_there;
    (void)only_rel_to(&v->s->tables[ti], tt, &n_here);
    int partner = only_rel_to(&v->s->tables[tt], (int)ti, &n_there);
    return n_here == 1 && n_there == 1 ? partner : -1;
}

static void name_relationships(vctx *v)
{
    bb_schema *s = v->s;
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t ri = 0; ri < t->n_declared_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            rel_state *st = rstate(v, ti, ri);
            if (!rel_usable(r))
                continue;
            int p = pair_partner(v, ti, r);
            if (r->name) {
                r->attr_name = r->name;
                st->rule = 1;
            } else if (p >= 0 && s->tables[r->target_index].rels[p].back_populates) {
                r->attr_name = s->tables[r->target_index].rels[p].back_populates;
                st->rule = 2;
            } else if ((r->attr_name = rule3_name(v, ti, r)) != NULL) {
                st->rule = 3;
            }
            if (p >= 0)
                r->counterpart = p;
        }
    }
}

/* Declared relationships of table b to a whose attribute is name. */
static size_t rels_named(const bb_table *b, int a, const char *name, int *first, int *second)
{
    size_t n = 0;
    for (size_t i = 0; name && i < b->n_declared_rels; i++) {
        const bb_relationship *x = &b->rels[i];
        if (!x->attr_name || x->target_index != a || strcmp(x->attr_name, name) != 0)
            continue;
        if (n == 0)
            *first = (int)i;
        else if (n == 1)
            *second = (int)i;
        n++;
    }
    return n;
}

/* A relationship still unnamed (its FK ambiguous) may be named by the
 * counterpart whose back_populates names it and whose foreign_key is given. */
static void name_from_counterparts(vctx *v)
{
    bb_schema *s = v->s;
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t ri = 0; ri < t->n_declared_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            if (!rel_usable(r) || r->attr_name || !r->back_populates)
                continue;
            int f = -1, g = -1;
            bb_table *b = &s->tables[r->target_index];
            if (rels_named(b, (int)ti, r->back_populates, &f, &g) != 1)
                continue;
            bb_relationship *x = &b->rels[f];
            if (x->fk_table_index < 0 ||
                !rstate(v, (size_t)r->target_index, (size_t)f)->fk_explicit)
                continue;
            if (x->back_populates) {
                r->attr_name = x->back_populates;
                set_fk(r, x->fk_table_index, x->fk_column_index);
                rstate(v, ti, ri)->rule = 3;
            }
        }
    }
}

static bool kinds_agree(bb_rel_kind a, bb_rel_kind b)
{
    return inverse_kind(a) == b;
}

static void pair_with(vctx *v, size_t ti, bb_relationship *r, size_t bi, int si)
{
    bb_relationship *x = &v->s->tables[bi].rels[si];
    r->counterpart = si;
    if (x->counterpart < 0)
        x->counterpart = (int)(r - v->s->tables[ti].rels);
}

/* Pairs declared relationships; marks those that need an implicit side. */
static void pair_relationships(vctx *v)
{
    bb_schema *s = v->s;
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t ri = 0; ri < t->n_declared_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            rel_state *st = rstate(v, ti, ri);
            if (!rel_usable(r) || !r->attr_name)
                continue;
            size_t bi = (size_t)r->target_index;
            bb_table *b = &s->tables[bi];
            int si = r->counterpart;
            if (si < 0 && r->back_populates) {
                int f = -1, g = -1;
                size_t n = rels_named(b, (int)ti, r->back_populates, &f, &g);
                if (bi == ti && n > 0 && (f == (int)ri || (n > 1 && g == (int)ri))) {
                    /* a self-reference does not pair with itself */
                    if (f == (int)ri)
                        f = g;
                    n--;
                }
                if (n > 1) {
                    loc at = REL_LOC(r, "back_populates");
                    report(v, BB_ERROR, "BB0421", &at,
                           "give the relationships distinct attribute names with \"name\", or "
                           "say which foreign key each uses with \"foreign_key\"",
                           "back_populates \"%s\" is ambiguous: relationships %s and %s of table "
                           "\"%s\" are both named so",
                           r->back_populates, b->rels[f].pointer, b->rels[g].pointer,
                           b->table_name);
                    st->reported = true;
                    continue;
                }
                if (n == 1)
                    si = f;
            }
            if (si < 0) {
                /* Nobody is named by our back_populates: does someone point at us? */
                bool pointed = false;
                for (size_t k = 0; k < b->n_declared_rels && !pointed; k++) {
                    const bb_relationship *x = &b->rels[k];
                    pointed = (bi != ti || k != ri) && x->target_index == (int)ti &&
                              x->back_populates && strcmp(x->back_populates, r->attr_name) == 0;
                }
                if (pointed || !r->back_populates) {
                    continue; /* the other side pairs with us, or there is no other side */
                }
                st->wants_implicit = true;
                continue;
            }
            bb_relationship *x = &b->rels[si];
            if (r->back_populates && x->attr_name && strcmp(r->back_populates, x->attr_name)) {
                char hint[512];
                snprintf(hint, sizeof(hint),
                         "make both sides agree: \"back_populates\": \"%s\" here, or \"name\": "
                         "\"%s\" on %s",
                         x->attr_name, r->back_populates, x->pointer);
                loc at = REL_LOC(r, "back_populates");
                report(v, BB_ERROR, "BB0416", &at, hint,
                       "back_populates \"%s\" does not match the attribute \"%s\" of its "
                       "counterpart on %s",
                       r->back_populates, x->attr_name, b->class_name);
                st->reported = true;
                continue;
            }
            /* x's own pass reports its mismatch, unless it ran already. */
            bool x_done = bi < ti || (bi == ti && si < (int)ri);
            if (x->back_populates && strcmp(x->back_populates, r->attr_name) != 0 && x_done) {
                char hint[512];
                snprintf(hint, sizeof(hint),
                         "give this relationship \"name\": \"%s\", or change back_populates on "
                         "%s to \"%s\"",
                         x->back_populates, x->pointer, r->attr_name);
                loc at = loc_node(r->pointer, r->offset);
                report(v, BB_ERROR, "BB0416", &at, hint,
                       "relationship \"%s\" of %s is paired with %s, whose back_populates is "
                       "\"%s\"",
                       r->attr_name, t->class_name, x->pointer, x->back_populates);
                st->reported = true;
                continue;
            }
            if (!kinds_agree(r->kind, x->kind)) {
                char hint[256];
                snprintf(hint, sizeof(hint), "the other side of a %s is a %s",
                         bb_rel_kind_name(r->kind), bb_rel_kind_name(inverse_kind(r->kind)));
                loc at = REL_LOC(r, "type");
                report(v, BB_ERROR, "BB0420", &at, hint,
                       "relationship \"%s\" is %s but its counterpart \"%s\" on %s is %s",
                       r->attr_name, bb_rel_kind_name(r->kind), x->attr_name, b->class_name,
                       bb_rel_kind_name(x->kind));
                st->reported = true;
                continue;
            }
            pair_with(v, ti, r, bi, si);
        }
    }
}

/* The FKs of one_to_many and one_to_one once pairs are known, and of any
 * relationship whose FK inference waited for its counterpart. */
static void resolve_remaining_fks(vctx *v)
{
    bb_schema *s = v->s;
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t ri = 0; ri < t->n_declared_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            rel_state *st = rstate(v, ti, ri);
            if (!rel_usable(r) || r->kind == BB_REL_MANY_TO_MANY || st->reported)
                continue;
            const bb_relationship *x =
                r->counterpart >= 0 ? &s->tables[r->target_index].rels[r->counterpart] : NULL;
            /* Counterparts are all declared here: implicit ones come later. */
            rel_state *xst = x ? rstate(v, (size_t)r->target_index, (size_t)r->counterpart) : NULL;
            if (r->fk_table_index >= 0) {
                if (x && x->fk_table_index >= 0 && !xst->reported &&
                    (x->fk_table_index != r->fk_table_index ||
                     x->fk_column_index != r->fk_column_index)) {
                    loc at = REL_LOC(r, r->foreign_key ? "foreign_key" : "type");
                    report(v, BB_ERROR, "BB0419", &at, "give both sides the same \"foreign_key\"",
                           "the two sides of relationship \"%s\" use different foreign keys "
                           "(\"%s\" and \"%s\")",
                           r->attr_name ? r->attr_name : "?",
                           s->tables[r->fk_table_index].columns[r->fk_column_index].name,
                           s->tables[x->fk_table_index].columns[x->fk_column_index].name);
                    st->reported = xst->reported = true; /* one report for the pair */
                }
                continue;
            }
            if (x && x->fk_table_index >= 0) {
                set_fk(r, x->fk_table_index, x->fk_column_index);
                continue;
            }
            (void)infer_fk(v, ti, r, st, true);
        }
    }
}

/* A one_to_one's foreign key holds each value once: make it unique, so the
 * database enforces what the relationship promises. */
static void mark_one_to_one_unique(vctx *v)
{
    bb_schema *s = v->s;
    for (size_t ti = 0; ti < s->n_tables; ti++)
        for (size_t ri = 0; ri < s->tables[ti].n_declared_rels; ri++) {
            const bb_relationship *r = &s->tables[ti].rels[ri];
            if (!rel_usable(r) || r->kind != BB_REL_ONE_TO_ONE || r->fk_table_index < 0)
                continue;
            bb_column *c = &s->tables[r->fk_table_index].columns[r->fk_column_index];
            if (!(c->primary_key && count_pk(&s->tables[r->fk_table_index]) == 1))
                c->unique = true;
        }
}

static void first_fks(vctx *v)
{
    bb_schema *s = v->s;
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t ri = 0; ri < t->n_declared_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            rel_state *st = rstate(v, ti, ri);
            if (!rel_usable(r) || r->kind == BB_REL_MANY_TO_MANY)
                continue;
            if (r->foreign_key) {
                st->fk_explicit = resolve_explicit_fk(v, ti, r, st);
                continue;
            }
            if (r->kind != BB_REL_ONE_TO_MANY)
                (void)infer_fk(v, ti, r, st, false);
        }
    }
}

/* Reports the relationships that could not be named (FK unknown). */
static void report_unnamed(vctx *v)
{
    bb_schema *s = v->s;
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t ri = 0; ri < t->n_declared_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            rel_state *st = rstate(v, ti, ri);
            if (rel_usable(r) && !r->attr_name && !st->reported)
                (void)infer_fk(v, ti, r, st, true);
        }
    }
}

/* Association tables of many_to_many relationships. */
static bool has_fk_to(const bb_table *t, int to, int min_count)
{
    int n = 0;
    for (size_t i = 0; i < t->n_columns; i++)
        n += t->columns[i].fk_table_index == to;
    return n >= min_count;
}

static void resolve_many_to_many(vctx *v, size_t ti, size_t ri)
{
    bb_schema *s = v->s;
    bb_relationship *r = &s->tables[ti].rels[ri];
    rel_state *st = rstate(v, ti, ri);
    const bb_relationship *x =
        r->counterpart >= 0 ? &s->tables[r->target_index].rels[r->counterpart] : NULL;
    const char *through = r->through ? r->through : x ? x->through : NULL;
    int tt = r->target_index;
    if (through) {
        loc at = REL_LOC(r, r->through ? "through" : "type");
        if (r->through && x && x->through && strcmp(r->through, x->through) != 0) {
            report(v, BB_ERROR, "BB0422", &at, "name the same table on both sides",
                   "the two sides of many_to_many \"%s\" name different association tables "
                   "(\"%s\" and \"%s\")",
                   r->attr_name, r->through, x->through);
            st->reported = true;
            return;
        }
        int th = nx_get(&v->names, SCOPE_TABLE, through);
        if (th == NX_NONE) {
            char hint[256];
            report(v, BB_ERROR, "BB0422", &at,
                   did_you_mean(through, v->table_names, s->n_tables, hint, sizeof(hint)),
                   "association table \"%s\" is not in the schema", through);
            st->reported = true;
            return;
        }
        bb_table *assoc = &s->tables[th];
        bool ok = tt == (int)ti ? has_fk_to(assoc, tt, 2)
                                : has_fk_to(assoc, (int)ti, 1) && has_fk_to(assoc, tt, 1);
        if (!ok) {
            char hint[256];
            snprintf(hint, sizeof(hint),
                     "give \"%s\" a ForeignKey column to \"%s\" and one to \"%s\"",
                     assoc->table_name, s->tables[ti].table_name, s->tables[tt].table_name);
            report(v, BB_ERROR, "BB0423", &at, hint,
                   "association table \"%s\" needs a foreign key to each side of the "
                   "many_to_many",
                   assoc->table_name);
            st->reported = true;
            return;
        }
        assoc->is_association = true;
        r->through_index = th;
        r->assoc_table = assoc->table_name;
        return;
    }
    if (tt == (int)ti) {
        loc at = loc_node(r->pointer, r->offset);
        report(v, BB_ERROR, "BB0425", &at,
               "add a table with two ForeignKey columns to this table and name it in "
               "\"through\"",
               "a self-referential many_to_many on \"%s\" needs \"through\"",
               s->tables[ti].table_name);
        st->reported = true;
        return;
    }
    const char *a = s->tables[ti].table_name, *b = s->tables[tt].table_name;
    if (strcmp(a, b) > 0) {
        const char *tmp = a;
        a = b;
        b = tmp;
    }
    char name[300];
    snprintf(name, sizeof(name), "%s_%s", a, b);
    r->assoc_table = arena_str(v, name);
    if (!r->assoc_table)
        return;
    loc at = loc_node(r->pointer, r->offset);
    if (nx_get(&v->names, SCOPE_TABLE, name) != NX_NONE) {
        char hint[400];
        snprintf(hint, sizeof(hint),
                 "to use that table as the association table, say \"through\": \"%s\"; "
                 "otherwise rename it",
                 name);
        report(v, BB_ERROR, "BB0424", &at, hint,
               "the automatic association table \"%s\" has the name of a table of the schema",
               name);
        st->reported = true;
        return;
    }
    /* Two different pairs between the same tables would share the name. */
    int id = (int)(v->rel_base[ti] + ri);
    int partner = x && !x->implicit && r->counterpart < (int)s->tables[tt].n_declared_rels
                      ? (int)(v->rel_base[tt] + (size_t)r->counterpart)
                      : -1;
    int prev = nx_put(&v->names, SCOPE_ASSOC, r->assoc_table, id);
    if (prev != NX_NONE && prev != id && prev != partner) {
        report(v, BB_ERROR, "BB0424", &at,
               "give one of them \"through\" with its own association table",
               "two many_to_many relationships between \"%s\" and \"%s\" would share the "
               "automatic association table \"%s\"",
               a, b, name);
        st->reported = true;
    }
}

/* Appends the implicit counterparts: arrays grow once per table. */
static void add_implicit_counterparts(vctx *v)
{
    bb_schema *s = v->s;
    size_t *extra = bb_calloc(s->n_tables ? s->n_tables : 1, sizeof(size_t));
    if (!extra) {
        v->rc = BB_ENOMEM;
        return;
    }
    for (size_t ti = 0; ti < s->n_tables; ti++)
        for (size_t ri = 0; ri < s->tables[ti].n_declared_rels; ri++)
            if (rstate(v, ti, ri)->wants_implicit)
                extra[s->tables[ti].rels[ri].target_index]++;
    for (size_t bi = 0; bi < s->n_tables && !v->rc; bi++) {
        if (!extra[bi])
            continue;
        bb_table *b = &s->tables[bi];
        bb_relationship *grown =
            bb_arena_alloc(&s->arena, (b->n_rels + extra[bi]) * sizeof(*grown));
        if (!grown) {
            v->rc = BB_ENOMEM;
            break;
        }
        if (b->n_rels)
            memcpy(grown, b->rels, b->n_rels * sizeof(*grown));
        b->rels = grown;
    }
    for (size_t ti = 0; ti < s->n_tables && !v->rc; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t ri = 0; ri < t->n_declared_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            if (!rstate(v, ti, ri)->wants_implicit)
                continue;
            bb_table *b = &s->tables[r->target_index];
            bb_relationship *x = &b->rels[b->n_rels];
            memset(x, 0, sizeof(*x));
            x->target_table = t->table_name;
            x->target_class = t->class_name;
            x->kind = inverse_kind(r->kind);
            x->kind_known = true;
            x->back_populates = r->attr_name;
            x->attr_name = r->back_populates;
            x->target_index = (int)ti;
            x->counterpart = (int)ri;
            x->fk_table_index = r->fk_table_index;
            x->fk_column_index = r->fk_column_index;
            x->through = r->through;
            x->through_index = r->through_index;
            x->assoc_table = r->assoc_table;
            x->implicit = true;
            x->uselist = x->kind == BB_REL_ONE_TO_MANY || x->kind == BB_REL_MANY_TO_MANY;
            x->pointer = r->pointer;
            x->offset = r->offset;
            r->counterpart = (int)b->n_rels;
            b->n_rels++;
        }
    }
    bb_free(extra);
}

/* Attribute names: identifier rules, and no clash with a column or another
 * attribute of the same class. */
static void check_attribute_names(vctx *v)
{
    bb_schema *s = v->s;
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t ri = 0; ri < t->n_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            if (!r->attr_name || !*r->attr_name)
                continue;
            bool declared = ri < t->n_declared_rels;
            rel_state *st = declared ? rstate(v, ti, ri) : NULL;
            /* An explicit name is pointed at; a derived one at its relationship
             * (declared) or at the back_populates that asked for it (implicit). */
            loc at = !declared ? REL_LOC(r, "back_populates")
                     : r->name ? REL_LOC(r, "name")
                               : loc_node(r->pointer, r->offset);
            if (!bb_ident_ok(BB_IDENT_ATTRIBUTE, r->attr_name, s->db_type)) {
                resolved_loc rl;
                resolve_loc(v, &at, &rl);
                if (bb_ident_check(v->d, BB_IDENT_ATTRIBUTE, r->attr_name, s->db_type, rl.ptr,
                                   rl.off) != BB_OK)
                    continue;
            }
            int prev = nx_put(&v->names, (int)ti, r->attr_name, -2 - (int)ri);
            if (prev == NX_NONE)
                continue;
            if (prev >= 0) {
                char hint[256];
                snprintf(hint, sizeof(hint),
                         "name the relationship differently with \"name\", "
                         "e.g. \"%s_ref\"",
                         r->attr_name);
                report(v, BB_ERROR, "BB0314", &at, hint,
                       "relationship attribute \"%s\" of %s clashes with its column \"%s\"",
                       r->attr_name, t->class_name, r->attr_name);
                continue;
            }
            const bb_relationship *o = &t->rels[-2 - prev];
            const rel_state *ost =
                -2 - prev < (int)t->n_declared_rels ? rstate(v, ti, (size_t)(-2 - prev)) : NULL;
            bool computed = st && st->rule == 3 && ost && ost->rule == 3;
            if (computed)
                report(v, BB_ERROR, "BB0421", &at,
                       "give each relationship a distinct \"name\", or say which foreign key "
                       "each uses with \"foreign_key\"",
                       "relationships %s and %s of %s would both be named \"%s\"", o->pointer,
                       r->pointer, t->class_name, r->attr_name);
            else
                report(v, BB_ERROR, "BB0314", &at,
                       "give one of them another name (\"name\" here, or \"back_populates\" on "
                       "the other side)",
                       "%s has two relationships named \"%s\" (%s and %s)", t->class_name,
                       r->attr_name, o->pointer, r->pointer);
        }
    }
}

static void check_relationships(vctx *v)
{
    bb_schema *s = v->s;
    for (size_t ti = 0; ti < s->n_tables; ti++)
        for (size_t ri = 0; ri < s->tables[ti].n_declared_rels; ri++)
            resolve_rel_target(v, &s->tables[ti].rels[ri]);
    first_fks(v);
    name_relationships(v);
    name_from_counterparts(v);
    report_unnamed(v);
    pair_relationships(v);
    resolve_remaining_fks(v);
    mark_one_to_one_unique(v);
    for (size_t ti = 0; ti < s->n_tables; ti++)
        for (size_t ri = 0; ri < s->tables[ti].n_declared_rels; ri++) {
            bb_relationship *r = &s->tables[ti].rels[ri];
            if (rel_usable(r) && r->kind == BB_REL_MANY_TO_MANY && r->attr_name)
                resolve_many_to_many(v, ti, ri);
        }
    if (!v->rc)
        add_implicit_counterparts(v);
    check_attribute_names(v);
}

/* ---- the driver ---------------------------------------------------------- */

/* Cycle diagnostics point at the foreign key's "target". */
static void locate_fk_target(const bb_schema *s, const bb_column *c, char *ptr, size_t size,
                             size_t *off)
{
    vctx v = {.s = (bb_schema *)s};
    loc at = COL_LOC(c, "target");
    resolved_loc r;
    resolve_loc(&v, &at, &r);
    snprintf(ptr, size, "%s", r.ptr);
    *off = r.off;
}

static int setup(vctx *v)
{
    bb_schema *s = v->s;
    size_t n_names = 2 * s->n_tables + 8, n_rels = 0;
    for (size_t i = 0; i < s->n_tables; i++) {
        n_names += s->tables[i].n_columns + 2 * s->tables[i].n_rels;
        n_rels += s->tables[i].n_declared_rels;
    }
    n_names += 2 * n_rels; /* implicit counterparts and association names */
    if (nx_init(&v->names, n_names))
        return BB_ENOMEM;
    v->table_names = bb_calloc(s->n_tables ? s->n_tables : 1, sizeof(char *));
    v->rel_base = bb_calloc(s->n_tables ? s->n_tables : 1, sizeof(size_t));
    v->rs = bb_calloc(n_rels ? n_rels : 1, sizeof(rel_state));
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

static void teardown(vctx *v)
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
    vctx v = {.s = s, .d = diags};
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
        size_t n_pk = count_pk(t);
        for (size_t ci = 0; ci < t->n_columns; ci++) {
            if (t->columns[ci].declared_type == BB_TYPE_FOREIGNKEY)
                copy_fk_type(&v, &t->columns[ci]);
            check_column(&v, &t->columns[ci], n_pk);
        }
        check_table_constraints(&v, ti);
    }
    check_relationships(&v);
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
    return rc;
}
