/*
 * ident.c - identifier rules and the word lists behind them (ident.h).
 *
 * The lists are kept sorted (a unit test checks it), so a reader finds a
 * word at a glance and a repeated word shows. Lookups go through one hash
 * of all of them. SQL lists hold lower-case words; names are folded before
 * an SQL lookup.
 */
#include "front/ident.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reserved words of each database, from their manuals: PostgreSQL's
 * "reserved" and "reserved (can be function or type)" key words, MySQL 8's
 * reserved words, SQLite's keyword list, SQL Server's reserved keywords. */
// clang-format off
static const char *const pg_reserved[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
    "binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently",
    "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
    "current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable",
    "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign",
    "freeze", "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner",
    "intersect", "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit",
    "localtime", "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only",
    "or", "order", "outer", "overlaps", "placing", "primary", "references", "returning", "right",
    "select", "session_user", "similar", "some", "symmetric", "system_user", "table",
    "tablesample", "then", "to", "trailing", "true", "union", "unique", "user", "using",
    "variadic", "verbose", "when", "where", "window", "with"
};

static const char *const mysql_reserved[] = {
    "accessible", "add", "all", "alter", "analyze", "and", "as", "asc", "asensitive", "before",
    "between", "bigint", "binary", "blob", "both", "by", "call", "cascade", "case", "change",
    "char", "character", "check", "collate", "column", "condition", "constraint", "continue",
    "convert", "create", "cross", "cube", "cume_dist", "current_date", "current_time",
    "current_timestamp", "current_user", "cursor", "database", "databases", "day_hour",
    "day_microsecond", "day_minute", "day_second", "dec", "decimal", "declare", "default",
    "delayed", "delete", "dense_rank", "desc", "describe", "deterministic", "distinct",
    "distinctrow", "div", "double", "drop", "dual", "each", "else", "elseif", "empty", "enclosed",
    "escaped", "except", "exists", "exit", "explain", "false", "fetch", "first_value", "float",
    "float4", "float8", "for", "force", "foreign", "from", "fulltext", "function", "generated",
    "get", "grant", "group", "grouping", "groups", "having", "high_priority", "hour_microsecond",
    "hour_minute", "hour_second", "if", "ignore", "in", "index", "infile", "inner", "inout",
    "insensitive", "insert", "int", "int1", "int2", "int3", "int4", "int8", "integer", "intersect",
    "interval", "into", "io_after_gtids", "io_before_gtids", "is", "iterate", "join", "json_table",
    "key", "keys", "kill", "lag", "last_value", "lateral", "lead", "leading", "leave", "left",
    "like", "limit", "linear", "lines", "load", "localtime", "localtimestamp", "lock", "long",
    "longblob", "longtext", "loop", "low_priority", "master_bind", "master_ssl_verify_server_cert",
    "match", "maxvalue", "mediumblob", "mediumint", "mediumtext", "middleint",
    "minute_microsecond", "minute_second", "mod", "modifies", "natural", "no_write_to_binlog",
    "not", "nth_value", "ntile", "null", "numeric", "of", "on", "optimize", "optimizer_costs",
    "option", "optionally", "or", "order", "out", "outer", "outfile", "over", "partition",
    "percent_rank", "precision", "primary", "procedure", "purge", "range", "rank", "read",
    "read_write", "reads", "real", "recursive", "references", "regexp", "release", "rename",
    "repeat", "replace", "require", "resignal", "restrict", "return", "revoke", "right", "rlike",
    "row", "row_number", "rows", "schema", "schemas", "second_microsecond", "select", "sensitive",
    "separator", "set", "show", "signal", "smallint", "spatial", "specific", "sql",
    "sql_big_result", "sql_calc_found_rows", "sql_small_result", "sqlexception", "sqlstate",
    "sqlwarning", "ssl", "starting", "stored", "straight_join", "system", "table", "terminated",
    "then", "tinyblob", "tinyint", "tinytext", "to", "trailing", "trigger", "true", "undo",
    "union", "unique", "unlock", "unsigned", "update", "usage", "use", "using", "utc_date",
    "utc_time", "utc_timestamp", "values", "varbinary", "varchar", "varcharacter", "varying",
    "virtual", "when", "where", "while", "window", "with", "write", "xor", "year_month", "zerofill"
};

static const char *const sqlite_reserved[] = {
    "abort", "action", "add", "after", "all", "alter", "always", "analyze", "and", "as", "asc",
    "attach", "autoincrement", "before", "begin", "between", "by", "cascade", "case", "cast",
    "check", "collate", "column", "commit", "conflict", "constraint", "create", "cross", "current",
    "current_date", "current_time", "current_timestamp", "database", "default", "deferrable",
    "deferred", "delete", "desc", "detach", "distinct", "do", "drop", "each", "else", "end",
    "escape", "except", "exclude", "exclusive", "exists", "explain", "fail", "filter", "first",
    "following", "for", "foreign", "from", "full", "generated", "glob", "group", "groups",
    "having", "if", "ignore", "immediate", "in", "index", "indexed", "initially", "inner",
    "insert", "instead", "intersect", "into", "is", "isnull", "join", "key", "last", "left",
    "like", "limit", "match", "materialized", "natural", "no", "not", "nothing", "notnull", "null",
    "nulls", "of", "offset", "on", "or", "order", "others", "outer", "over", "partition", "plan",
    "pragma", "preceding", "primary", "query", "raise", "range", "recursive", "references",
    "regexp", "reindex", "release", "rename", "replace", "restrict", "returning", "right",
    "rollback", "row", "rows", "savepoint", "select", "set", "table", "temp", "temporary", "then",
    "ties", "to", "transaction", "trigger", "unbounded", "union", "unique", "update", "using",
    "vacuum", "values", "view", "virtual", "when", "where", "window", "with", "without"
};

static const char *const mssql_reserved[] = {
    "add", "all", "alter", "and", "any", "as", "asc", "authorization", "backup", "begin",
    "between", "break", "browse", "bulk", "by", "cascade", "case", "check", "checkpoint", "close",
    "clustered", "coalesce", "collate", "column", "commit", "compute", "constraint", "contains",
    "containstable", "continue", "convert", "create", "cross", "current", "current_date",
    "current_time", "current_timestamp", "current_user", "cursor", "database", "dbcc",
    "deallocate", "declare", "default", "delete", "deny", "desc", "disk", "distinct",
    "distributed", "double", "drop", "dump", "else", "end", "errlvl", "escape", "except", "exec",
    "execute", "exists", "exit", "external", "fetch", "file", "fillfactor", "for", "foreign",
    "freetext", "freetexttable", "from", "full", "function", "goto", "grant", "group", "having",
    "holdlock", "identity", "identity_insert", "identitycol", "if", "in", "index", "inner",
    "insert", "intersect", "into", "is", "join", "key", "kill", "left", "like", "lineno", "load",
    "merge", "national", "nocheck", "nonclustered", "not", "null", "nullif", "of", "off",
    "offsets", "on", "open", "opendatasource", "openquery", "openrowset", "openxml", "option",
    "or", "order", "outer", "over", "percent", "pivot", "plan", "precision", "primary", "print",
    "proc", "procedure", "public", "raiserror", "read", "readtext", "reconfigure", "references",
    "replication", "restore", "restrict", "return", "revert", "revoke", "right", "rollback",
    "rowcount", "rowguidcol", "rule", "save", "schema", "securityaudit", "select",
    "semantickeyphrasetable", "semanticsimilaritydetailstable", "semanticsimilaritytable",
    "session_user", "set", "setuser", "shutdown", "some", "statistics", "system_user", "table",
    "tablesample", "textsize", "then", "to", "top", "tran", "transaction", "trigger", "truncate",
    "try_convert", "tsequal", "union", "unique", "unpivot", "update", "updatetext", "use", "user",
    "values", "varying", "view", "waitfor", "when", "where", "while", "with", "within", "writetext"
};

/* Python 3.11 keywords (keyword.kwlist). */
static const char *const python_keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield"
};

/* Soft keywords (keyword.softkwlist): legal names, but confusing ones. */
static const char *const python_soft_keywords[] = {
    "_", "case", "match", "type"
};

/*
 * Attributes that SQLAlchemy's declarative base or Pydantic's BaseModel (v1
 * and v2) define on every class, and the methods the generated models add:
 * a column or relationship with one of these names replaces them. "self" is
 * the first parameter of SQLAlchemy's constructor: Model(self=...) fails.
 */
static const char *const orm_reserved[] = {
    "Config", "__config__", "__fields__", "__fields_set__", "__mapper__", "__mapper_args__",
    "__table__", "__table_args__", "__tablename__", "_sa_class_manager", "_sa_instance_state",
    "_sa_registry", "construct", "copy", "dict", "fields", "from_orm", "json", "metadata",
    "model_computed_fields", "model_config", "model_construct", "model_copy", "model_dump",
    "model_dump_json", "model_extra", "model_fields", "model_fields_set", "model_json_schema",
    "model_post_init", "model_rebuild", "model_validate", "model_validate_json", "parse_file",
    "parse_obj", "parse_raw", "query", "query_class", "registry", "restore", "schema",
    "schema_json", "self", "soft_delete", "update_forward_refs", "validate"
};

/* Types the generated models and schemas name in annotations: a field with
 * one of these names hides the type from the fields after it. */
static const char *const shadowed_types[] = {
    "bool", "bytes", "date", "datetime", "decimal", "dict", "enum", "float", "int", "list", "str",
    "time", "timedelta", "typing", "uuid"
};

/* Names the generated modules import or define; a model class with one of
 * these names replaces them. */
static const char *const generated_imports[] = {
    "APIRouter", "Any", "Base", "BaseException", "BaseModel", "BigInteger", "Boolean", "Column",
    "Date", "DateTime", "Decimal", "Depends", "Dict", "Enum", "Exception", "FastAPI", "Field",
    "Float", "ForeignKey", "HTTPException", "Integer", "Interval", "JSON", "LargeBinary", "List",
    "MetaData", "Numeric", "Optional", "Query", "Request", "Response", "Session", "SmallInteger",
    "String", "Table", "Text", "Time", "UUID"
};

// clang-format on

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every word of every list in one open-addressing hash, with a flag per
 * list, built once per process: one lookup answers all the list questions
 * about a name. SQL words are stored lower case, Python words as written
 * (Python is case-sensitive: "None" is a keyword, "none" is not).
 */
enum {
    W_POSTGRESQL = 1 << 0,
    W_MYSQL = 1 << 1,
    W_SQLITE = 1 << 2,
    W_MSSQL = 1 << 3,
    W_KEYWORD = 1 << 4,
    W_SOFT = 1 << 5,
    W_ORM = 1 << 6,
    W_SHADOW = 1 << 7,
    W_IMPORT = 1 << 8,
};

#define WORD_SLOTS 4096 /* a power of two, over four times the words */

typedef struct word_slot {
    const char *word;
    unsigned flags;
} word_slot;

static word_slot word_table[WORD_SLOTS];
static pthread_once_t words_once = PTHREAD_ONCE_INIT;

static uint32_t hash_word(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static word_slot *word_slot_of(const char *w)
{
    size_t i = hash_word(w) & (WORD_SLOTS - 1);
    while (word_table[i].word && strcmp(word_table[i].word, w) != 0)
        i = (i + 1) & (WORD_SLOTS - 1);
    return &word_table[i];
}

static void add_words(const char *const *list, size_t n, unsigned flag)
{
    for (size_t i = 0; i < n; i++) {
        word_slot *sl = word_slot_of(list[i]);
        sl->word = list[i];
        sl->flags |= flag;
    }
}

static void build_words(void)
{
    add_words(pg_reserved, COUNT(pg_reserved), W_POSTGRESQL);
    add_words(mysql_reserved, COUNT(mysql_reserved), W_MYSQL);
    add_words(sqlite_reserved, COUNT(sqlite_reserved), W_SQLITE);
    add_words(mssql_reserved, COUNT(mssql_reserved), W_MSSQL);
    add_words(python_keywords, COUNT(python_keywords), W_KEYWORD);
    add_words(python_soft_keywords, COUNT(python_soft_keywords), W_SOFT);
    add_words(orm_reserved, COUNT(orm_reserved), W_ORM);
    add_words(shadowed_types, COUNT(shadowed_types), W_SHADOW);
    add_words(generated_imports, COUNT(generated_imports), W_IMPORT);
}

static unsigned word_flags(const char *w)
{
    pthread_once(&words_once, build_words);
    return word_slot_of(w)->flags;
}

bool bb_ident_is_python_keyword(const char *name)
{
    return word_flags(name) & W_KEYWORD;
}

bool bb_ident_is_soft_keyword(const char *name)
{
    return word_flags(name) & W_SOFT;
}

bool bb_ident_is_orm_reserved(const char *name)
{
    return word_flags(name) & W_ORM;
}

static unsigned db_flag(bb_db_type db)
{
    switch (db) {
    case BB_DB_POSTGRESQL:
        return W_POSTGRESQL;
    case BB_DB_MYSQL:
        return W_MYSQL;
    case BB_DB_SQLITE:
        return W_SQLITE;
    case BB_DB_MSSQL:
        return W_MSSQL;
    }
    return 0;
}

bool bb_ident_is_sql_reserved(bb_db_type db, const char *name)
{
    char low[64];
    size_t n = strlen(name);
    if (n >= sizeof(low))
        return false; /* no reserved word is that long */
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    return word_flags(low) & db_flag(db);
}

size_t bb_ident_max_len(bb_db_type db)
{
    switch (db) {
    case BB_DB_POSTGRESQL:
        return 63; /* NAMEDATALEN - 1; longer names are silently truncated */
    case BB_DB_MYSQL:
        return 64;
    case BB_DB_MSSQL:
        return 128;
    case BB_DB_SQLITE:
        return 0;
    }
    return 0;
}

/* Test access to the lists, so a test can prove each one is sorted. */
const char *const *bb_ident__list(int which, size_t *n);
const char *const *bb_ident__list(int which, size_t *n)
{
    static const struct {
        const char *const *words;
        size_t n;
    } lists[] = {
        {pg_reserved, COUNT(pg_reserved)},
        {mysql_reserved, COUNT(mysql_reserved)},
        {sqlite_reserved, COUNT(sqlite_reserved)},
        {mssql_reserved, COUNT(mssql_reserved)},
        {python_keywords, COUNT(python_keywords)},
        {python_soft_keywords, COUNT(python_soft_keywords)},
        {orm_reserved, COUNT(orm_reserved)},
        {shadowed_types, COUNT(shadowed_types)},
        {generated_imports, COUNT(generated_imports)},
    };
    if (which < 0 || (size_t)which >= COUNT(lists))
        return NULL;
    *n = lists[which].n;
    return lists[which].words;
}

/* Well-known names with alternatives people actually use. */
static const struct {
    const char *name, *alt1, *alt2;
} known_alternatives[] = {
    {"class", "class_name", "klass"},
    {"metadata", "meta", "metadata_"},
    {"type", "kind", "type_"},
    {"from", "sender", "from_"},
    {"import", "import_name", "imported"},
    {"global", "is_global", "global_"},
    {"user", "users", "app_user"},
    {"order", "orders", "sort_order"},
    {"group", "groups", "user_group"},
    {"query", "query_text", "search_query"},
    {"json", "payload", "json_data"},
    {"dict", "data", "dict_"},
    {"schema", "schema_name", "schema_"},
    {"fields", "field_list", "fields_"},
    {"copy", "copy_of", "copy_"},
    {"validate", "is_valid", "validated"},
    {"registry", "registry_name", "registry_"},
    {"date", "event_date", "date_"},
    {"time", "event_time", "time_"},
    {"select", "selection", "selected"},
    {"desc", "description", "descending"},
    {"check", "checks", "check_value"},
    {"table", "tables", "table_name"},
    {"match", "game_match", "match_"},
};

void bb_ident_suggest(bb_ident_kind kind, const char *name, char *out, size_t out_size)
{
    for (size_t i = 0; i < COUNT(known_alternatives); i++) {
        if (strcmp(known_alternatives[i].name, name) == 0) {
            snprintf(out, out_size, "rename it, e.g. \"%s\" or \"%s\"", known_alternatives[i].alt1,
                     known_alternatives[i].alt2);
            return;
        }
    }
    /* A class name gets a suffix in CapWords; other names follow PEP 8's
     * habit of a trailing underscore, or a plural for tables. */
    size_t n = strlen(name);
    if (kind == BB_IDENT_CLASS)
        snprintf(out, out_size, "rename it, e.g. \"%sModel\" or \"%sItem\"", name, name);
    else if (kind == BB_IDENT_TABLE && n > 0 && name[n - 1] != 's')
        snprintf(out, out_size, "rename it, e.g. \"%ss\" or \"%s_\"", name, name);
    else
        snprintf(out, out_size, "rename it, e.g. \"%s_\" or \"%s_value\"", name, name);
}

static bool is_lower_snake(const char *s)
{
    if (!islower((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static bool is_cap_words(const char *s)
{
    if (!isupper((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static bool is_attribute_name(const char *s)
{
    if (!isalpha((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static const char *kind_noun(bb_ident_kind kind)
{
    switch (kind) {
    case BB_IDENT_TABLE:
        return "table name";
    case BB_IDENT_CLASS:
        return "class name";
    case BB_IDENT_COLUMN:
        return "column name";
    case BB_IDENT_ATTRIBUTE:
        return "relationship attribute";
    case BB_IDENT_CONSTRAINT:
        return "constraint name";
    }
    return "name";
}

static const char *shape_code(bb_ident_kind kind)
{
    switch (kind) {
    case BB_IDENT_TABLE:
        return "BB0301";
    case BB_IDENT_CLASS:
        return "BB0302";
    case BB_IDENT_COLUMN:
        return "BB0303";
    case BB_IDENT_ATTRIBUTE:
        return "BB0304";
    case BB_IDENT_CONSTRAINT:
        return "BB0316";
    }
    return "BB0303";
}

static bool shape_ok(bb_ident_kind kind, const char *name)
{
    switch (kind) {
    case BB_IDENT_TABLE:
    case BB_IDENT_CONSTRAINT:
        return is_lower_snake(name);
    case BB_IDENT_CLASS:
        return is_cap_words(name);
    case BB_IDENT_COLUMN:
    case BB_IDENT_ATTRIBUTE:
        return is_attribute_name(name);
    }
    return false;
}

/* The rule a name of kind follows, and an example of it. */
static const char *shape_rule(bb_ident_kind kind, const char **example)
{
    switch (kind) {
    case BB_IDENT_TABLE:
    case BB_IDENT_CONSTRAINT:
        *example = "order_items";
        return "lower snake case: a lower-case letter, then lower-case letters, digits or '_'";
    case BB_IDENT_CLASS:
        *example = "OrderItem";
        return "CapWords: an upper-case letter, then letters, digits or '_'";
    case BB_IDENT_COLUMN:
    case BB_IDENT_ATTRIBUTE:
        *example = "first_name";
        return "a letter, then letters, digits or '_'";
    }
    *example = "";
    return "";
}

/*
 * name reshaped for kind: words (runs of ASCII letters and digits; a capital
 * after a small letter starts one) joined lower_snake for tables and
 * constraints, CapWords for classes, as they are with '_' for columns. Empty
 * when nothing valid comes of it (no letter first, or a Python keyword).
 */
static void reshape(bb_ident_kind kind, const char *name, char *out, size_t size)
{
    size_t n = 0;
    bool word_start = true, prev_lower = false;
    for (const char *p = name; *p && n + 2 < size; p++) {
        char ch = *p;
        bool alnum = (unsigned char)ch < 0x80 && isalnum((unsigned char)ch);
        if (!alnum) {
            word_start = true;
            prev_lower = false;
            continue;
        }
        bool upper = ch >= 'A' && ch <= 'Z';
        if (upper && prev_lower)
            word_start = true;
        if (word_start && n > 0 && kind != BB_IDENT_CLASS)
            out[n++] = '_';
        if (kind == BB_IDENT_CLASS)
            ch = word_start ? (char)toupper((unsigned char)ch) : ch;
        else if (kind == BB_IDENT_TABLE || kind == BB_IDENT_CONSTRAINT)
            ch = (char)tolower((unsigned char)ch);
        out[n++] = ch;
        word_start = false;
        prev_lower = !upper;
    }
    out[n] = '\0';
    if (n >= size - 2 || !shape_ok(kind, out) || (word_flags(out) & W_KEYWORD))
        out[0] = '\0';
}

/* The hint of a name that is not a valid identifier: the name reshaped when
 * that gives one, and the rule. */
static void shape_hint(bb_ident_kind kind, const char *name, char *out, size_t size)
{
    char fixed[128];
    const char *example;
    const char *rule = shape_rule(kind, &example);
    reshape(kind, name, fixed, sizeof(fixed));
    if (fixed[0] && strcmp(fixed, name))
        snprintf(out, size, "write \"%s\" (%s)", fixed, rule);
    else
        snprintf(out, size, "use %s (e.g. \"%s\")", rule, example);
}

/* Kinds whose names become Python attributes of a model or schema. */
static bool is_attribute_kind(bb_ident_kind kind)
{
    return kind == BB_IDENT_COLUMN || kind == BB_IDENT_ATTRIBUTE;
}

/* Kinds whose names become SQL identifiers. */
static bool is_sql_kind(bb_ident_kind kind)
{
    return kind == BB_IDENT_TABLE || kind == BB_IDENT_COLUMN;
}

static const char *db_label(bb_db_type db)
{
    switch (db) {
    case BB_DB_POSTGRESQL:
        return "PostgreSQL";
    case BB_DB_MYSQL:
        return "MySQL";
    case BB_DB_SQLITE:
        return "SQLite";
    case BB_DB_MSSQL:
        return "SQL Server";
    }
    return "the database";
}

/* The rules, in the order they are applied; the first one broken counts. */
typedef enum {
    PROBLEM_NONE = 0,
    PROBLEM_ORM,
    PROBLEM_SHAPE,
    PROBLEM_KEYWORD,
    PROBLEM_IMPORT,
    PROBLEM_LENGTH,
    PROBLEM_SOFT_KEYWORD,
    PROBLEM_SHADOWS_TYPE,
    PROBLEM_SQL_RESERVED,
} ident_problem;

static ident_problem find_problem(bb_ident_kind kind, const char *name, bb_db_type db)
{
    bool attr = is_attribute_kind(kind), sql = is_sql_kind(kind);
    size_t max = bb_ident_max_len(db);
    if (kind == BB_IDENT_CONSTRAINT) /* quoted in SQL, never Python */
        return !shape_ok(kind, name)       ? PROBLEM_SHAPE
               : max && strlen(name) > max ? PROBLEM_LENGTH
                                           : PROBLEM_NONE;
    unsigned flags = word_flags(name); /* one lookup for the Python lists */
    if (attr && (flags & W_ORM))
        return PROBLEM_ORM;
    if (!shape_ok(kind, name))
        return PROBLEM_SHAPE;
    if (flags & W_KEYWORD)
        return PROBLEM_KEYWORD;
    if (kind == BB_IDENT_CLASS && (flags & W_IMPORT))
        return PROBLEM_IMPORT;
    if (max && sql && strlen(name) > max)
        return PROBLEM_LENGTH;
    if (attr && (flags & W_SOFT))
        return PROBLEM_SOFT_KEYWORD;
    if (attr && (flags & W_SHADOW))
        return PROBLEM_SHADOWS_TYPE;
    /* A name without capitals was looked up as it is: no second lookup. */
    bool has_upper = false;
    for (const char *p = name; *p && !has_upper; p++)
        has_upper = *p >= 'A' && *p <= 'Z';
    if (sql && (has_upper ? bb_ident_is_sql_reserved(db, name) : (flags & db_flag(db))))
        return PROBLEM_SQL_RESERVED;
    return PROBLEM_NONE;
}

bool bb_ident_ok(bb_ident_kind kind, const char *name, bb_db_type db)
{
    return find_problem(kind, name, db) == PROBLEM_NONE;
}

int bb_ident_check(bb_diags *d, bb_ident_kind kind, const char *name, bb_db_type db,
                   const char *pointer, size_t offset)
{
    ident_problem problem = find_problem(kind, name, db);
    if (problem == PROBLEM_NONE)
        return BB_OK;
    char hint[256], why[400];
    const char *noun = kind_noun(kind);
    bb_ident_suggest(kind, name, hint, sizeof(hint));
    switch (problem) {
    case PROBLEM_NONE:
        break;
    case PROBLEM_ORM:
        bb_diag_add(d, BB_ERROR, "BB0310", pointer, offset, hint,
                    "%s \"%s\" clashes with a name SQLAlchemy or Pydantic uses on every model",
                    noun, name);
        return BB_EINVAL;
    case PROBLEM_SHAPE:
        shape_hint(kind, name, hint, sizeof(hint));
        bb_diag_add(d, BB_ERROR, shape_code(kind), pointer, offset, hint,
                    "%s \"%s\" is not a valid identifier", noun, name);
        return BB_EINVAL;
    case PROBLEM_KEYWORD:
        bb_diag_add(d, BB_ERROR, "BB0305", pointer, offset, hint,
                    "%s \"%s\" is a Python keyword: the generated code would not parse", noun,
                    name);
        return BB_EINVAL;
    case PROBLEM_IMPORT:
        bb_diag_add(d, BB_ERROR, "BB0308", pointer, offset, hint,
                    "class name \"%s\" is a name the generated modules import; the model "
                    "would replace it",
                    name);
        return BB_EINVAL;
    case PROBLEM_LENGTH:
        bb_diag_add(d, BB_ERROR, "BB0315", pointer, offset, "shorten the name",
                    "%s \"%.20s...\" is %zu characters long; %s allows at most %zu", noun, name,
                    strlen(name), db_label(db), bb_ident_max_len(db));
        return BB_EINVAL;
    case PROBLEM_SOFT_KEYWORD:
        bb_diag_add(d, BB_WARNING, "BB0306", pointer, offset, hint,
                    "%s \"%s\" is a Python soft keyword: legal, but easy to misread", noun, name);
        break;
    case PROBLEM_SHADOWS_TYPE:
        bb_diag_add(d, BB_WARNING, "BB0307", pointer, offset, hint,
                    "%s \"%s\" has the name of a type the generated schemas use; inside the "
                    "class it hides that type",
                    noun, name);
        break;
    case PROBLEM_SQL_RESERVED:
        snprintf(why, sizeof(why),
                 "SQLAlchemy quotes it, so the generated code works; raw SQL (checks, "
                 "server_default, manual queries) must quote it too. To avoid that, %s",
                 hint);
        bb_diag_add(d, BB_WARNING, "BB0309", pointer, offset, why,
                    "%s \"%s\" is a reserved word in %s", noun, name, db_label(db));
        break;
    }
    return BB_OK;
}
