/*
 * schema.c - the loader: input bytes -> typed schema with source locations
 * (see schema.h for the data and the contract).
 *
 * Stages, each reporting into the caller's bb_diags:
 *   1. byte checks before any parsing (input.h): size limit, NUL bytes,
 *      UTF-8, nesting depth (so deep input never reaches the reader);
 *   2. the JSON reader (srcmap.h): cJSON's tree with every node's offset,
 *      duplicate keys; line:column and a hint for common syntax slips;
 *   3. the map is kept with the schema (s->map) for the validator;
 *   4. the shape of every value: types, required keys, unknown keys (with a
 *      suggestion), enum-like values, numbers, string and count limits.
 * Stage 4 never stops at the first problem: it records what it can and goes
 * on, so one run reports everything and validation can follow.
 */
#include "front/schema.h"

#include "base/suggest.h"
#include "diag/codes.h"
#include "front/input.h"
#include "front/patterns.h" /* every string value read is checked for suspicious content */
#include "json/srcmap.h"

#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define POINTER_MAX 4096 /* a JSON Pointer longer than this is cut short */

bb_limits bb_limits_default(void)
{
    bb_limits l = {
        .max_input_bytes = 10u * 1024 * 1024,
        .max_tables = 50,
        .max_columns = 100,
        .max_relationships = 50,
        .max_string_chars = 1000,
        .max_depth = 64,
    };
    return l;
}

/* Spellings of the enum-like values, indexed by their enum. */
static const char *const col_type_names[] = {
    [BB_TYPE_UNKNOWN] = NULL,
    [BB_TYPE_INTEGER] = "Integer",
    [BB_TYPE_BIGINTEGER] = "BigInteger",
    [BB_TYPE_SMALLINTEGER] = "SmallInteger",
    [BB_TYPE_STRING] = "String",
    [BB_TYPE_TEXT] = "Text",
    [BB_TYPE_BOOLEAN] = "Boolean",
    [BB_TYPE_DATETIME] = "DateTime",
    [BB_TYPE_DATE] = "Date",
    [BB_TYPE_TIME] = "Time",
    [BB_TYPE_NUMERIC] = "Numeric",
    [BB_TYPE_FLOAT] = "Float",
    [BB_TYPE_ENUM] = "Enum",
    [BB_TYPE_JSON] = "JSON",
    [BB_TYPE_UUID] = "UUID",
    [BB_TYPE_LARGEBINARY] = "LargeBinary",
    [BB_TYPE_INTERVAL] = "Interval",
    [BB_TYPE_FOREIGNKEY] = "ForeignKey",
};
#define N_COL_TYPES (sizeof(col_type_names) / sizeof(col_type_names[0]))

static const char *const db_type_names[] = {"postgresql", "mysql", "sqlite", "mssql"};
static const char *const rel_kind_names[] = {"one_to_many", "many_to_one", "one_to_one",
                                             "many_to_many"};
/* ON DELETE actions: the input spells them as SQL does. */
static const char *const on_delete_names[] = {
    [BB_ON_DELETE_NONE] = NULL,
    [BB_ON_DELETE_CASCADE] = "CASCADE",
    [BB_ON_DELETE_RESTRICT] = "RESTRICT",
    [BB_ON_DELETE_SET_NULL] = "SET NULL",
    [BB_ON_DELETE_SET_DEFAULT] = "SET DEFAULT",
    [BB_ON_DELETE_NO_ACTION] = "NO ACTION",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *bb_col_type_name(bb_col_type t)
{
    return (size_t)t < N_COL_TYPES ? col_type_names[t] : NULL;
}

bb_col_type bb_col_type_from_name(const char *name)
{
    for (size_t i = 1; name && i < N_COL_TYPES; i++)
        if (strcmp(col_type_names[i], name) == 0)
            return (bb_col_type)i;
    return BB_TYPE_UNKNOWN;
}

const char *bb_on_delete_sql(bb_on_delete d)
{
    return (size_t)d < COUNT(on_delete_names) ? on_delete_names[d] : NULL;
}

bb_on_delete bb_on_delete_from_sql(const char *sql)
{
    for (size_t i = 1; sql && i < COUNT(on_delete_names); i++)
        if (strcmp(on_delete_names[i], sql) == 0)
            return (bb_on_delete)i;
    return BB_ON_DELETE_NONE;
}

const char *bb_rel_kind_name(bb_rel_kind k)
{
    return (size_t)k < COUNT(rel_kind_names) ? rel_kind_names[k] : "?";
}

const char *const bb_advice_kinds[] = {"route_path",   "filterable", "searchable", "sortable",
                                       "default_sort", "index",      "docstring",  "example"};
const size_t bb_advice_n_kinds = sizeof(bb_advice_kinds) / sizeof(bb_advice_kinds[0]);

static const struct {
    const char *name, *code;
} lints[BB_LINT_COUNT] = {
    {"money-as-float", "BB0480"},    {"email-not-unique", "BB0481"},
    {"fk-without-index", "BB0482"},  {"missing-timestamps", "BB0483"},
    {"nullable-required", "BB0484"},
};

int bb_lint_find(const char *name_or_code)
{
    for (int i = 0; i < BB_LINT_COUNT; i++)
        if (strcmp(lints[i].name, name_or_code) == 0 || strcmp(lints[i].code, name_or_code) == 0)
            return i;
    return -1;
}

const char *bb_lint_name(bb_lint l)
{
    return (unsigned)l < BB_LINT_COUNT ? lints[l].name : NULL;
}

const char *bb_lint_code(bb_lint l)
{
    return (unsigned)l < BB_LINT_COUNT ? lints[l].code : NULL;
}

/* The keys each kind of object may hold. */
static const char *const root_keys[] = {"project_name", "db_type", "description",
                                        "schema",       "$schema", "allow"};
static const char *const table_keys[] = {
    "table_name",   "class_name", "description", "options", "columns", "relationships", "comment",
    "renamed_from", "unique",     "indexes",     "checks",  "advice",  "allow",
};
static const char *const advice_keys[] = {"kind",       "column", "columns",    "value",
                                          "descending", "reason", "proposed_by"};
static const char *const proposers[] = {"model"};
static const char *const option_keys[] = {"use_timestamps", "use_soft_delete"};
static const char *const column_keys[] = {
    "name",           "type",          "length",       "precision", "scale",
    "primary_key",    "autoincrement", "unique",       "nullable",  "index",
    "default",        "values",        "target",       "on_delete", "description",
    "server_default", "comment",       "renamed_from", "allow",
};
static const char *const rel_keys[] = {
    "target_table", "target_class", "type",    "back_populates", "foreign_key",
    "description",  "name",         "cascade", "through",
};
static const char *const unique_keys[] = {"name", "columns"};
static const char *const index_keys[] = {"name", "columns", "unique"};
static const char *const check_item_keys[] = {"name", "expression"};

/* ---- the loader's state and its reporting helpers ---------------------- */

#define KEYS_MAX 24        /* the most keys a kind of object may hold */
#define KEY_INDEX_SIZE 128 /* a power of two, at most 128 */

typedef struct loader {
    bb_schema *s;
    bb_diags *d;
    const bb_limits *lim;
    const bb_srcmap *map;
    bb_buf ptr;        /* JSON Pointer of the value being read */
    int rc;            /* BB_ENOMEM once an allocation failed; loading then stops */
    bool strings_kept; /* the tree's strings live as long as the schema */

    /* The object check_keys() went through last, its members by known key:
     * keys_slot[i] is its first member named keys_known[i] (NULL: none).
     * Reading that object's members then needs no scan of them. */
    const cJSON *keys_obj;
    const char *const *keys_known;
    size_t keys_n;
    const cJSON *keys_slot[KEYS_MAX];
    /* Where a key was found in a table of known keys, by the key's address:
     * the same few lookups repeat for every object of a kind. */
    struct {
        const char *key;
        const char *const *known;
        size_t index;
    } key_index[KEY_INDEX_SIZE];
} loader;

static size_t off_of(const loader *L, const cJSON *v)
{
    return bb_srcmap_value(L->map, v);
}

static const char *json_kind(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    return "an object";
}

/* Reports at the current pointer; offset of node v (NULL: unknown). */
static void report(loader *L, bb_severity sev, const char *code, const cJSON *v, const char *hint,
                   const char *fmt, ...) BB_PRINTF(6, 7);
static void report(loader *L, bb_severity sev, const char *code, const cJSON *v, const char *hint,
                   const char *fmt, ...)
{
    size_t off = v ? off_of(L, v) : BB_NO_OFFSET;
    va_list ap;
    va_start(ap, fmt);
    if (bb_diag_addv(L->d, sev, code, bb_buf_str(&L->ptr), off, hint, fmt, ap) == BB_ENOMEM)
        L->rc = BB_ENOMEM;
    va_end(ap);
}

static void pop(loader *L, size_t saved)
{
    L->ptr.len = saved;
    if (L->ptr.data)
        L->ptr.data[saved] = '\0';
}

/* After a failed push the pointer stays as it was: cut short (only hostile
 * input makes one longer than POINTER_MAX) or out of memory (loading stops). */
static void push_failed(loader *L, size_t saved, int rc)
{
    pop(L, saved);
    if (rc == BB_ENOMEM)
        L->rc = BB_ENOMEM;
}

/* Pointer push/pop: push returns the length to give back to pop(). */
static size_t push_key(loader *L, const char *key)
{
    size_t saved = L->ptr.len;
    /* Keys needing no escape (all known ones) are appended in one piece. */
    size_t n = strcspn(key, "~/");
    int rc = key[n] ? bb_pointer_append(&L->ptr, key) : bb_buf_putc(&L->ptr, '/');
    if (!rc && !key[n])
        rc = bb_buf_append(&L->ptr, key, n);
    if (rc)
        push_failed(L, saved, rc);
    return saved;
}

static size_t push_index(loader *L, size_t i)
{
    /* Formatted by hand: printf is a measurable share of loading time. */
    char tok[24];
    size_t k = sizeof(tok);
    do
        tok[--k] = (char)('0' + i % 10);
    while ((i /= 10) > 0);
    tok[--k] = '/';
    size_t saved = L->ptr.len;
    int rc = bb_buf_append(&L->ptr, tok + k, sizeof(tok) - k);
    if (rc)
        push_failed(L, saved, rc);
    return saved;
}

static const char *dup_pointer(loader *L)
{
    char *p = bb_arena_strdup(&L->s->arena, bb_buf_str(&L->ptr));
    if (!p)
        L->rc = BB_ENOMEM;
    return p ? p : "";
}

static const char *dup_str(loader *L, const char *s)
{
    char *p = bb_arena_strdup(&L->s->arena, s);
    if (!p)
        L->rc = BB_ENOMEM;
    return p;
}

/* Code points in a UTF-8 string (the input was checked to be valid). */
static size_t utf8_chars(const char *s, size_t *bytes)
{
    size_t n = 0, i = 0;
    for (; s[i]; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    *bytes = i;
    return n;
}

#define NO_INDEX ((size_t)-1)

/*
 * Every string value read goes through here: length limit, suspicious
 * content, then a copy into the arena. The value is at the current pointer,
 * extended by key (when not NULL) or else by index (when not NO_INDEX): the
 * pointer is only spelled out for a report.
 */
static const char *take_string_at(loader *L, const cJSON *v, const char *key, size_t index)
{
    size_t bytes;
    size_t chars = utf8_chars(v->valuestring, &bytes);
    bool too_long = chars > L->lim->max_string_chars;
    /* Scan first: the offset lookup and the report are only needed on a
     * hit (or when the scan itself failed, which check reports). */
    bb_pattern_hit hit;
    bool suspicious = bb_patterns_scan(v->valuestring, bytes, &hit) != 0;
    if (too_long || suspicious) {
        size_t saved = key                 ? push_key(L, key)
                       : index != NO_INDEX ? push_index(L, index)
                                           : L->ptr.len;
        if (too_long)
            report(L, BB_ERROR, "BB0606", v,
                   "shorten it, or raise the limit with --max-string-length",
                   "string of %zu characters is over the limit of %zu", chars,
                   L->lim->max_string_chars);
        if (suspicious && bb_patterns_check(L->d, v->valuestring, bytes, bb_buf_str(&L->ptr),
                                            off_of(L, v)) == BB_ENOMEM)
            L->rc = BB_ENOMEM;
        pop(L, saved);
    }
    return L->strings_kept ? v->valuestring : dup_str(L, v->valuestring);
}

/* A string value at the current pointer. */
static const char *take_string(loader *L, const cJSON *v)
{
    return take_string_at(L, v, NULL, NO_INDEX);
}

/* A hint for a value of the wrong type, when the fix is obvious. */
static const char *type_hint(const cJSON *v, const char *want)
{
    if (strcmp(want, "a boolean") == 0)
        return cJSON_IsString(v) ? "write true or false, without quotes" : "write true or false";
    if (strcmp(want, "an integer") == 0)
        return cJSON_IsString(v) ? "write the number without quotes" : "write a whole number";
    if (strcmp(want, "an array") == 0)
        return cJSON_IsObject(v) ? "use [ ... ] for a list, even of one item"
                                 : "write a list: [ ... ]";
    if (strncmp(want, "an object", 9) == 0)
        return "write an object: { \"key\": value, ... }";
    if (strcmp(want, "a string") == 0)
        return "put the value in double quotes";
    if (strncmp(want, "a string (SQL expression), number", 33) == 0)
        return "write an SQL expression in quotes (\"CURRENT_TIMESTAMP\") or a literal (0, true)";
    if (strncmp(want, "a string (SQL expression) or", 28) == 0)
        return "write \"price > 0\" or {\"name\": \"...\", \"expression\": \"price > 0\"}";
    if (strncmp(want, "an array of column names", 24) == 0)
        return "write [\"col_a\", \"col_b\"] or {\"columns\": [\"col_a\", \"col_b\"]}";
    return NULL;
}

static void wrong_type(loader *L, const cJSON *v, const char *want)
{
    report(L, BB_ERROR, "BB0202", v, type_hint(v, want), "expected %s, got %s", want, json_kind(v));
}

/* True when a equals b; the first byte is compared inline because most
 * candidates differ there and this runs for every key of every object. */
static bool same(const char *a, const char *b)
{
    return a[0] == b[0] && (a[0] == '\0' || (a[1] == b[1] && strcmp(a, b) == 0));
}

/* The first member of obj named key (as cJSON_GetObjectItemCaseSensitive). */
static const cJSON *find_member(const cJSON *obj, const char *key)
{
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && same(c->string, key))
            return c;
    return NULL;
}

/*
 * find_member(), through the keys check_keys() recorded when obj is the
 * object it went through last and key is one of its known keys (the same
 * string literal: a lookup compares addresses, and anything else takes the
 * scan). The result is the same either way.
 */
static const cJSON *find_known_member(loader *L, const cJSON *obj, const char *key)
{
    if (obj == L->keys_obj) {
        uint64_t x = ((uint64_t)(uintptr_t)key ^ (uint64_t)(uintptr_t)L->keys_known << 7) *
                     0x9E3779B97F4A7C15ULL;
        size_t h = (size_t)(x >> 57) & (KEY_INDEX_SIZE - 1);
        if (L->key_index[h].key == key && L->key_index[h].known == L->keys_known)
            return L->keys_slot[L->key_index[h].index];
        for (size_t i = 0; i < L->keys_n; i++)
            if (L->keys_known[i] == key) {
                L->key_index[h].key = key;
                L->key_index[h].known = L->keys_known;
                L->key_index[h].index = i;
                return L->keys_slot[i];
            }
    }
    return find_member(obj, key);
}

/* An example of each required key, for the hint of BB0204. */
static const char *missing_hint(const char *key)
{
    static const struct {
        const char *key, *example;
    } examples[] = {
        {"project_name", "add \"project_name\": \"my_app\""},
        {"db_type", "add \"db_type\": \"postgresql\" (or mysql, sqlite, mssql)"},
        {"schema", "add \"schema\": [ { \"table_name\": ..., \"class_name\": ..., "
                   "\"columns\": [...] } ]"},
        {"table_name", "add \"table_name\": \"users\" (lower case, plural by habit)"},
        {"class_name", "add \"class_name\": \"User\""},
        {"columns", "add \"columns\": [ {\"name\": \"id\", \"type\": \"Integer\", "
                    "\"primary_key\": true} ]"},
        {"name", "add \"name\": \"...\""},
        {"type", "add \"type\": \"String\" (see docs/schema.md for every type)"},
        {"values", "an Enum lists its values: \"values\": [\"draft\", \"published\"]"},
        {"target", "a ForeignKey names what it references: \"target\": \"users.id\""},
        {"target_table", "add \"target_table\": the table_name of the related table"},
        {"expression", "add \"expression\": an SQL condition such as \"price > 0\""},
    };
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
        if (strcmp(examples[i].key, key) == 0)
            return examples[i].example;
    return NULL;
}

/* Looks key up in obj; reports it missing when required. */
static const cJSON *member(loader *L, const cJSON *obj, const char *key, bool required)
{
    const cJSON *v = find_known_member(L, obj, key);
    if (!v && required)
        report(L, BB_ERROR, "BB0204", obj, missing_hint(key), "required key \"%s\" is missing",
               key);
    return v;
}

/* Warns about every key of obj that is not in known, suggesting the nearest. */
static void check_keys(loader *L, const cJSON *obj, const char *const *known, size_t n,
                       const char *what)
{
    bool record = n <= KEYS_MAX;
    L->keys_obj = NULL;
    if (record)
        memset(L->keys_slot, 0, n * sizeof(L->keys_slot[0]));
    for (const cJSON *c = obj->child; c; c = c->next) {
        size_t i = 0;
        while (i < n && !same(c->string, known[i]))
            i++;
        if (i < n) {
            if (record && !L->keys_slot[i])
                L->keys_slot[i] = c;
            continue;
        }
        const char *near = bb_suggest(c->string, known, n);
        char hint[160];
        if (near)
            snprintf(hint, sizeof(hint), "did you mean \"%s\"?", near);
        else
            snprintf(hint, sizeof(hint), "remove it, or see docs/schema.md for the keys of %s",
                     what);
        size_t saved = push_key(L, c->string);
        size_t off = bb_srcmap_key(L->map, c);
        if (bb_diag_add(L->d, BB_WARNING, "BB0205", bb_buf_str(&L->ptr), off, hint,
                        "unknown key \"%.200s\" in %s is ignored", c->string, what) == BB_ENOMEM)
            L->rc = BB_ENOMEM;
        pop(L, saved);
    }
    if (record) {
        L->keys_obj = obj;
        L->keys_known = known;
        L->keys_n = n;
    }
}

/* Optional/required string member; NULL when absent or of the wrong type. */
static const char *get_string(loader *L, const cJSON *obj, const char *key, bool required)
{
    const cJSON *v = member(L, obj, key, required);
    if (!v)
        return NULL;
    if (cJSON_IsString(v))
        return take_string_at(L, v, key, NO_INDEX);
    size_t saved = push_key(L, key);
    wrong_type(L, v, "a string");
    pop(L, saved);
    return NULL;
}

/* A required string that is never NULL: "" when missing or mistyped. */
static const char *get_name(loader *L, const cJSON *obj, const char *key)
{
    const char *s = get_string(L, obj, key, true);
    return s ? s : "";
}

static bool get_bool(loader *L, const cJSON *obj, const char *key, bool dflt, bool *given)
{
    const cJSON *v = member(L, obj, key, false);
    if (given)
        *given = false;
    if (!v)
        return dflt;
    if (cJSON_IsBool(v)) {
        if (given)
            *given = true;
        return cJSON_IsTrue(v);
    }
    size_t saved = push_key(L, key);
    wrong_type(L, v, "a boolean");
    pop(L, saved);
    return dflt;
}

/* An integer member in [min, INT_MAX]; dflt when absent or invalid. */
static int get_int(loader *L, const cJSON *obj, const char *key, int min, int dflt)
{
    const cJSON *v = member(L, obj, key, false);
    if (!v)
        return dflt;
    double x = v->valuedouble;
    /* The usual case needs no pointer: only a report does. */
    if (cJSON_IsNumber(v) && isfinite(x) && !(x > INT_MAX) && !(x < INT_MIN) && x == floor(x) &&
        !(x < min))
        return (int)x;
    size_t saved = push_key(L, key);
    int out = dflt;
    if (!cJSON_IsNumber(v))
        wrong_type(L, v, "an integer");
    else if (!isfinite(x) || x > INT_MAX || x < INT_MIN)
        report(L, BB_ERROR, "BB0208", v, "use a whole number that fits in 32 bits",
               "\"%s\" is too large to be an integer", key);
    else if (x != floor(x))
        report(L, BB_ERROR, "BB0208", v, "use a whole number", "\"%s\" must be an integer, not %g",
               key, x);
    else if (x < min)
        report(L, BB_ERROR, "BB0209", v, min > 0 ? "use a positive number" : "use 0 or more",
               "\"%s\" must be at least %d, not %d", key, min, (int)x);
    else
        out = (int)x;
    pop(L, saved);
    return out;
}

/* An array member; NULL when absent or not an array. Reports an empty one
 * when nonempty is asked. */
static const cJSON *get_array(loader *L, const cJSON *obj, const char *key, bool required,
                              bool nonempty)
{
    const cJSON *v = member(L, obj, key, required);
    if (!v || (cJSON_IsArray(v) && (!nonempty || v->child)))
        return v;
    size_t saved = push_key(L, key);
    if (!cJSON_IsArray(v)) {
        wrong_type(L, v, "an array");
        v = NULL;
    } else {
        report(L, BB_ERROR, "BB0206", v, "add at least one item, or see docs/schema.md",
               "\"%s\" must hold at least one item", key);
    }
    pop(L, saved);
    return v;
}

/* Index of v's string among names (NULL entries skipped), or -1 after
 * reporting it as unknown with the nearest spelling. */
static int find_name(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && same(names[i], s))
            return (int)i;
    return -1;
}

static int lookup(loader *L, const cJSON *v, const char *const *names, size_t n, const char *what)
{
    int found = find_name(names, n, v->valuestring);
    if (found >= 0)
        return found;
    const char *near = bb_suggest(v->valuestring, names, n);
    char hint[512];
    size_t used = 0;
    if (near)
        snprintf(hint, sizeof(hint), "did you mean \"%s\"?", near);
    else {
        used = (size_t)snprintf(hint, sizeof(hint), "use one of:");
        for (size_t i = 0; i < n && used < sizeof(hint); i++)
            if (names[i])
                used += (size_t)snprintf(hint + used, sizeof(hint) - used, " %s", names[i]);
    }
    report(L, BB_ERROR, "BB0203", v, hint, "unknown %s \"%.200s\"", what, v->valuestring);
    return -1;
}

/* An enum-like string member looked up in names; -1 when absent/invalid. */
static int get_choice(loader *L, const cJSON *obj, const char *key, bool required,
                      const char *const *names, size_t n, const char *what, const char **written)
{
    const cJSON *v = member(L, obj, key, required);
    if (written)
        *written = NULL;
    if (!v)
        return -1;
    if (cJSON_IsString(v)) {
        const char *s = take_string_at(L, v, key, NO_INDEX);
        if (written)
            *written = s;
        int r = find_name(names, n, v->valuestring);
        if (r >= 0)
            return r;
    }
    size_t saved = push_key(L, key);
    int r = -1;
    if (!cJSON_IsString(v))
        wrong_type(L, v, "a string");
    else
        r = lookup(L, v, names, n, what);
    pop(L, saved);
    return r;
}

/* Reports an array longer than max at its first item over the limit. */
static size_t cap_count(loader *L, const cJSON *arr, size_t max, const char *code, const char *what,
                        const char *flag)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    if (n <= max)
        return n;
    const cJSON *first_over = arr->child;
    for (; i < max && first_over; i++)
        first_over = first_over->next;
    size_t saved = push_index(L, max);
    char hint[128];
    snprintf(hint, sizeof(hint), "split the schema, or raise the limit with %s", flag);
    report(L, BB_ERROR, code, first_over, hint, "%zu %s, over the limit of %zu", n, what, max);
    pop(L, saved);
    return max;
}

/* ---- values ------------------------------------------------------------- */

/* The number exactly as written in the source, or printed when unknown. */
static const char *number_text(loader *L, const cJSON *v)
{
    size_t off = off_of(L, v);
    if (off != BB_NO_OFFSET && off < L->s->src_len) {
        size_t end = off;
        while (end < L->s->src_len && strchr("+-0123456789.eE", L->s->src[end]) &&
               L->s->src[end] != '\0')
            end++;
        if (end > off) {
            char *t = bb_arena_strndup(&L->s->arena, L->s->src + off, end - off);
            if (!t)
                L->rc = BB_ENOMEM;
            return t;
        }
    }
    char *t = bb_arena_printf(&L->s->arena, "%.17g", v->valuedouble);
    if (!t)
        L->rc = BB_ENOMEM;
    return t;
}

/* A JSON scalar as a bb_value (column defaults). */
static bb_value read_value(loader *L, const cJSON *v)
{
    bb_value out = {.kind = BB_VALUE_ABSENT};
    if (cJSON_IsNull(v)) {
        out.kind = BB_VALUE_NULL;
    } else if (cJSON_IsBool(v)) {
        out.kind = BB_VALUE_BOOL;
        out.b = cJSON_IsTrue(v);
    } else if (cJSON_IsString(v)) {
        out.kind = BB_VALUE_STRING;
        out.s = take_string(L, v);
    } else if (cJSON_IsNumber(v)) {
        double x = v->valuedouble;
        out.text = number_text(L, v);
        out.d = x;
        bool plain = out.text && !strpbrk(out.text, ".eE");
        if (!isfinite(x)) {
            out.kind = BB_VALUE_NUMBER;
            report(L, BB_ERROR, "BB0208", v, "use a number a database column can hold",
                   "number %s is out of range", out.text ? out.text : "");
        } else if (plain && x >= -9223372036854775808.0 && x < 9223372036854775808.0) {
            out.kind = BB_VALUE_INT;
            out.i = (long long)x;
        } else {
            out.kind = BB_VALUE_NUMBER;
        }
    } else {
        out.kind = BB_VALUE_OTHER;
        report(L, BB_ERROR, "BB0202", v, "a default is a string, number, boolean or null",
               "expected a scalar value, got %s", json_kind(v));
    }
    return out;
}

/* A list of strings (enum values, constraint columns); NULL when invalid. */
static const char **read_string_list(loader *L, const cJSON *arr, size_t *n_out)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    *n_out = 0;
    const char **items = bb_arena_alloc(&L->s->arena, (n ? n : 1) * sizeof(*items));
    if (!items) {
        L->rc = BB_ENOMEM;
        return NULL;
    }
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        if (cJSON_IsString(c)) {
            items[(*n_out)++] = take_string_at(L, c, NULL, i);
            continue;
        }
        size_t saved = push_index(L, i);
        wrong_type(L, c, "a string");
        pop(L, saved);
    }
    return items;
}

static bb_lint_set read_allow(loader *L, const cJSON *obj);

/* ---- columns ------------------------------------------------------------ */

static void read_fk_target(loader *L, const cJSON *obj, bb_column *c)
{
    const char *t = get_string(L, obj, "target", c->declared_type == BB_TYPE_FOREIGNKEY);
    if (!t)
        return;
    const char *dot = strchr(t, '.');
    if (!dot || dot == t || !dot[1] || strchr(dot + 1, '.')) {
        size_t saved = push_key(L, "target");
        report(L, BB_ERROR, "BB0211", member(L, obj, "target", false),
               "write it as \"table.column\", e.g. \"users.id\"",
               "foreign key target \"%.200s\" is not of the form table.column", t);
        pop(L, saved);
        return;
    }
    c->fk_target = t;
    c->fk_table = bb_arena_strndup(&L->s->arena, t, (size_t)(dot - t));
    c->fk_column = dup_str(L, dot + 1);
    if (!c->fk_table)
        L->rc = BB_ENOMEM;
}

static void read_server_default(loader *L, const cJSON *obj, bb_column *c)
{
    const cJSON *v = member(L, obj, "server_default", false);
    if (!v || cJSON_IsNull(v))
        return;
    size_t saved = push_key(L, "server_default");
    if (cJSON_IsString(v)) {
        c->server_default = take_string(L, v);
    } else if (cJSON_IsNumber(v)) {
        bb_value val = read_value(L, v);
        c->server_default = val.text;
        c->server_default_literal = true;
    } else if (cJSON_IsBool(v)) {
        c->server_default = cJSON_IsTrue(v) ? "true" : "false";
        c->server_default_literal = true;
    } else {
        wrong_type(L, v, "a string (SQL expression), number or boolean");
    }
    pop(L, saved);
}

static void read_column(loader *L, const cJSON *obj, bb_column *c)
{
    c->pointer = dup_pointer(L);
    c->offset = off_of(L, obj);
    c->precision = c->scale = -1;
    c->fk_table_index = c->fk_column_index = -1;
    if (!cJSON_IsObject(obj)) {
        wrong_type(L, obj, "an object (a column)");
        c->name = c->type_name = "";
        return;
    }
    check_keys(L, obj, column_keys, COUNT(column_keys), "a column");
    c->name = get_name(L, obj, "name");
    int t =
        get_choice(L, obj, "type", true, col_type_names, N_COL_TYPES, "column type", &c->type_name);
    if (!c->type_name)
        c->type_name = "";
    c->declared_type = t < 0 ? BB_TYPE_UNKNOWN : (bb_col_type)t;
    /* A foreign key's storage type is its target's: the validator sets it. */
    c->type = c->declared_type == BB_TYPE_FOREIGNKEY ? BB_TYPE_UNKNOWN : c->declared_type;
    c->length = get_int(L, obj, "length", 1, 0);
    /* MySQL has no VARCHAR without a length: there a String is 255 long
     * unless it says otherwise (docs/schema.md); elsewhere it has no limit. */
    if (c->declared_type == BB_TYPE_STRING && !c->length && L->s->db_type == BB_DB_MYSQL)
        c->length = 255;
    c->precision = get_int(L, obj, "precision", 1, -1);
    c->scale = get_int(L, obj, "scale", 0, -1);
    c->primary_key = get_bool(L, obj, "primary_key", false, NULL);
    c->unique = get_bool(L, obj, "unique", false, NULL);
    bool index_given = false;
    c->index = get_bool(L, obj, "index", false, &index_given);
    bool nullable = get_bool(L, obj, "nullable", true, &c->nullable_given);
    c->nullable = nullable && !c->primary_key;
    if (c->primary_key && nullable && c->nullable_given) {
        size_t saved = push_key(L, "nullable");
        report(L, BB_WARNING, "BB0210", member(L, obj, "nullable", false),
               "remove \"nullable\": a primary key is always NOT NULL",
               "primary key \"%s\" is declared nullable; it is treated as NOT NULL", c->name);
        pop(L, saved);
    }
    bool integer = c->type == BB_TYPE_INTEGER || c->type == BB_TYPE_BIGINTEGER ||
                   c->type == BB_TYPE_SMALLINTEGER;
    c->autoincrement =
        get_bool(L, obj, "autoincrement", c->primary_key && integer, &c->autoincrement_given);
    const cJSON *dv = member(L, obj, "default", false);
    if (dv) {
        size_t saved = push_key(L, "default");
        c->default_value = read_value(L, dv);
        pop(L, saved);
    }
    read_server_default(L, obj, c);
    const cJSON *values = get_array(L, obj, "values", c->declared_type == BB_TYPE_ENUM, true);
    if (values) {
        size_t saved = push_key(L, "values");
        c->enum_values = read_string_list(L, values, &c->n_enum_values);
        pop(L, saved);
    }
    read_fk_target(L, obj, c);
    /* A foreign key is indexed unless told otherwise: joins and the
     * checks of ON DELETE read it from the parent's side. */
    if (c->fk_target && !index_given && !c->unique && !c->primary_key)
        c->index = true;
    int od = get_choice(L, obj, "on_delete", false, on_delete_names, COUNT(on_delete_names),
                        "on_delete action", NULL);
    c->on_delete = od < 0 ? BB_ON_DELETE_NONE : (bb_on_delete)od;
    c->description = get_string(L, obj, "description", false);
    c->comment = get_string(L, obj, "comment", false);
    c->renamed_from = get_string(L, obj, "renamed_from", false);
    c->allow = read_allow(L, obj);
}

/* The columns an option adds, appended after the user's columns. */
static void add_mixin_column(loader *L, bb_table *t, const char *name, bb_col_type type,
                             const cJSON *option)
{
    bb_column *c = &t->columns[t->n_columns++];
    c->name = name;
    c->declared_type = c->type = type;
    c->type_name = bb_col_type_name(type);
    c->precision = c->scale = -1;
    c->fk_table_index = c->fk_column_index = -1;
    c->nullable = true;
    c->from_mixin = true;
    c->pointer = dup_pointer(L);
    c->offset = off_of(L, option);
    if (type == BB_TYPE_DATETIME)
        c->timezone = true;
}

static void add_mixins(loader *L, const cJSON *options, bb_table *t)
{
    if (t->use_timestamps) {
        size_t saved = push_key(L, "options");
        push_key(L, "use_timestamps");
        const cJSON *o = find_member(options, "use_timestamps");
        add_mixin_column(L, t, "created_at", BB_TYPE_DATETIME, o);
        t->columns[t->n_columns - 1].nullable = false;
        t->columns[t->n_columns - 1].server_default = "CURRENT_TIMESTAMP";
        add_mixin_column(L, t, "updated_at", BB_TYPE_DATETIME, o);
        t->columns[t->n_columns - 1].nullable = false;
        t->columns[t->n_columns - 1].server_default = "CURRENT_TIMESTAMP";
        t->columns[t->n_columns - 1].on_update_now = true;
        pop(L, saved);
    }
    if (t->use_soft_delete) {
        size_t saved = push_key(L, "options");
        push_key(L, "use_soft_delete");
        const cJSON *o = find_member(options, "use_soft_delete");
        add_mixin_column(L, t, "is_deleted", BB_TYPE_BOOLEAN, o);
        bb_column *c = &t->columns[t->n_columns - 1];
        c->nullable = false;
        c->index = true;
        c->default_value.kind = BB_VALUE_BOOL;
        c->default_value.b = false;
        c->server_default = "false";
        c->server_default_literal = true;
        add_mixin_column(L, t, "deleted_at", BB_TYPE_DATETIME, o);
        pop(L, saved);
    }
}

/* ---- relationships and constraints ------------------------------------- */

static void read_relationship(loader *L, const cJSON *obj, bb_relationship *r)
{
    r->pointer = dup_pointer(L);
    r->offset = off_of(L, obj);
    r->target_index = r->counterpart = -1;
    r->fk_table_index = r->fk_column_index = r->through_index = -1;
    if (!cJSON_IsObject(obj)) {
        wrong_type(L, obj, "an object (a relationship)");
        r->target_table = "";
        return;
    }
    check_keys(L, obj, rel_keys, COUNT(rel_keys), "a relationship");
    r->target_table = get_name(L, obj, "target_table");
    r->target_class = get_string(L, obj, "target_class", false);
    int k = get_choice(L, obj, "type", true, rel_kind_names, COUNT(rel_kind_names),
                       "relationship type", NULL);
    r->kind = k < 0 ? BB_REL_ONE_TO_MANY : (bb_rel_kind)k;
    r->kind_known = k >= 0;
    r->back_populates = get_string(L, obj, "back_populates", false);
    r->foreign_key = get_string(L, obj, "foreign_key", false);
    r->name = get_string(L, obj, "name", false);
    r->cascade = get_string(L, obj, "cascade", false);
    r->through = get_string(L, obj, "through", false);
    r->description = get_string(L, obj, "description", false);
    r->uselist = r->kind == BB_REL_ONE_TO_MANY || r->kind == BB_REL_MANY_TO_MANY;
}

/* The column list of a unique/index item: an array, or {"columns": [...]}. */
static const char **read_constraint_columns(loader *L, const cJSON *item, size_t *n)
{
    const cJSON *cols = cJSON_IsArray(item) ? item : get_array(L, item, "columns", true, false);
    *n = 0;
    if (!cols)
        return NULL;
    size_t saved = cols == item ? L->ptr.len : push_key(L, "columns");
    if (!cols->child)
        report(L, BB_ERROR, "BB0206", cols, "name the columns, or remove the constraint",
               "a constraint needs at least one column");
    const char **out = read_string_list(L, cols, n);
    pop(L, saved);
    return out;
}

/*
 * One item of "unique" or "indexes": an array of column names, or an object
 * with "name", "columns" and, for an index, "unique". False (reported) when
 * the item is neither.
 */
static bool read_column_set(loader *L, const cJSON *c, bool is_index, const char **name,
                            const char ***columns, size_t *n_columns, bool *unique)
{
    if (!cJSON_IsArray(c) && !cJSON_IsObject(c)) {
        wrong_type(L, c, "an array of column names or an object");
        return false;
    }
    if (cJSON_IsObject(c)) {
        if (is_index)
            check_keys(L, c, index_keys, COUNT(index_keys), "an index");
        else
            check_keys(L, c, unique_keys, COUNT(unique_keys), "a unique constraint");
        *name = get_string(L, c, "name", false);
        if (is_index)
            *unique = get_bool(L, c, "unique", false, NULL);
    }
    *columns = read_constraint_columns(L, c, n_columns);
    return true;
}

static void read_uniques(loader *L, const cJSON *arr, bb_table *t)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    t->uniques = bb_arena_alloc(&L->s->arena, (n ? n : 1) * sizeof(*t->uniques));
    if (!t->uniques) {
        L->rc = BB_ENOMEM;
        return;
    }
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        size_t saved = push_index(L, i);
        bb_unique *u = &t->uniques[t->n_uniques];
        u->pointer = dup_pointer(L);
        u->offset = off_of(L, c);
        if (read_column_set(L, c, false, &u->name, &u->columns, &u->n_columns, NULL))
            t->n_uniques++;
        pop(L, saved);
    }
}

static void read_indexes(loader *L, const cJSON *arr, bb_table *t)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    t->indexes = bb_arena_alloc(&L->s->arena, (n ? n : 1) * sizeof(*t->indexes));
    if (!t->indexes) {
        L->rc = BB_ENOMEM;
        return;
    }
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        size_t saved = push_index(L, i);
        bb_index *x = &t->indexes[t->n_indexes];
        x->pointer = dup_pointer(L);
        x->offset = off_of(L, c);
        if (read_column_set(L, c, true, &x->name, &x->columns, &x->n_columns, &x->unique))
            t->n_indexes++;
        pop(L, saved);
    }
}

static void read_checks(loader *L, const cJSON *arr, bb_table *t)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    t->checks = bb_arena_alloc(&L->s->arena, (n ? n : 1) * sizeof(*t->checks));
    if (!t->checks) {
        L->rc = BB_ENOMEM;
        return;
    }
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        size_t saved = push_index(L, i);
        bb_check *k = &t->checks[t->n_checks];
        k->pointer = dup_pointer(L);
        k->offset = off_of(L, c);
        if (cJSON_IsString(c)) {
            k->expression = take_string(L, c);
        } else if (cJSON_IsObject(c)) {
            check_keys(L, c, check_item_keys, COUNT(check_item_keys), "a check constraint");
            k->name = get_string(L, c, "name", false);
            k->expression = get_string(L, c, "expression", true);
        } else {
            wrong_type(L, c, "a string (SQL expression) or an object");
        }
        if (k->expression)
            t->n_checks++;
        pop(L, saved);
    }
}

/* ---- extensions: kept advice and allowed lints ---------------------------- */

static void read_advice_entry(loader *L, const cJSON *c, bb_advice *a)
{
    a->pointer = dup_pointer(L);
    a->offset = off_of(L, c);
    check_keys(L, c, advice_keys, COUNT(advice_keys), "an advice entry");
    int k = get_choice(L, c, "kind", true, bb_advice_kinds, bb_advice_n_kinds, "advice kind", NULL);
    a->kind = k >= 0 ? bb_advice_kinds[k] : NULL;
    a->column = get_string(L, c, "column", false);
    const cJSON *cols = get_array(L, c, "columns", false, false);
    if (cols) {
        size_t saved = push_key(L, "columns");
        a->columns = read_string_list(L, cols, &a->n_columns);
        pop(L, saved);
    }
    a->value = get_string(L, c, "value", false);
    a->descending = get_bool(L, c, "descending", false, NULL);
    a->reason = get_string(L, c, "reason", false);
    (void)get_choice(L, c, "proposed_by", true, proposers, COUNT(proposers), "proposer", NULL);
}

/* "advice": kept proposals of a model (front/advice.h). */
static void read_advice(loader *L, const cJSON *arr, bb_table *t)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    t->advice = bb_arena_alloc(&L->s->arena, (n ? n : 1) * sizeof(*t->advice));
    if (!t->advice) {
        L->rc = BB_ENOMEM;
        return;
    }
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        size_t saved = push_index(L, i);
        bb_advice *a = &t->advice[t->n_advice];
        memset(a, 0, sizeof(*a));
        if (!cJSON_IsObject(c))
            wrong_type(L, c, "an object (an advice entry)");
        else
            read_advice_entry(L, c, a);
        if (a->kind)
            t->n_advice++;
        pop(L, saved);
    }
}

/* "allow": lint names or codes (front/lint.h) silenced under obj. */
static bb_lint_set read_allow(loader *L, const cJSON *obj)
{
    const cJSON *arr = get_array(L, obj, "allow", false, false);
    bb_lint_set set = 0;
    if (!arr)
        return 0;
    size_t saved = push_key(L, "allow"), i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        size_t s2 = push_index(L, i);
        int lint = cJSON_IsString(c) ? bb_lint_find(c->valuestring) : -1;
        if (!cJSON_IsString(c))
            wrong_type(L, c, "a string (a lint name)");
        else if (lint < 0)
            report(L, BB_ERROR, "BB0203", c,
                   "allow one of money-as-float, email-not-unique, fk-without-index, "
                   "missing-timestamps, nullable-required (or its code, BB0480..BB0484)",
                   "\"%.100s\" is not a lint backbone knows", c->valuestring);
        else
            set |= 1u << lint;
        pop(L, s2);
    }
    pop(L, saved);
    return set;
}

/* ---- tables and the document ------------------------------------------- */

static void read_options(loader *L, const cJSON *obj, bb_table *t)
{
    const cJSON *o = member(L, obj, "options", false);
    if (!o || cJSON_IsNull(o))
        return;
    size_t saved = push_key(L, "options");
    if (cJSON_IsObject(o)) {
        check_keys(L, o, option_keys, COUNT(option_keys), "options");
        t->use_timestamps = get_bool(L, o, "use_timestamps", false, NULL);
        t->use_soft_delete = get_bool(L, o, "use_soft_delete", false, NULL);
    } else {
        wrong_type(L, o, "an object");
    }
    pop(L, saved);
}

static void read_columns(loader *L, const cJSON *obj, bb_table *t)
{
    const cJSON *cols = get_array(L, obj, "columns", true, true);
    size_t n = 0;
    size_t saved = push_key(L, "columns");
    if (cols)
        n = cap_count(L, cols, L->lim->max_columns, "BB0604", "columns in this table",
                      "--max-columns");
    t->columns_capped = cols && n < (size_t)cJSON_GetArraySize(cols);
    /* Room for the four mixin columns after the user's. */
    t->columns = bb_arena_alloc(&L->s->arena, (n + 4) * sizeof(*t->columns));
    if (!t->columns) {
        L->rc = BB_ENOMEM;
        pop(L, saved);
        return;
    }
    const cJSON *c = cols ? cols->child : NULL;
    for (size_t i = 0; i < n && c && !L->rc; i++, c = c->next) {
        size_t s2 = push_index(L, i);
        read_column(L, c, &t->columns[t->n_columns++]);
        pop(L, s2);
    }
    pop(L, saved);
    t->n_user_columns = t->n_columns;
    add_mixins(L, member(L, obj, "options", false), t);
}

static void read_relationships(loader *L, const cJSON *obj, bb_table *t)
{
    const cJSON *rels = get_array(L, obj, "relationships", false, false);
    if (!rels)
        return;
    size_t saved = push_key(L, "relationships");
    size_t n = cap_count(L, rels, L->lim->max_relationships, "BB0605",
                         "relationships in this table", "--max-relationships");
    t->rels = bb_arena_alloc(&L->s->arena, (n ? n : 1) * sizeof(*t->rels));
    if (!t->rels) {
        L->rc = BB_ENOMEM;
        pop(L, saved);
        return;
    }
    const cJSON *c = rels->child;
    for (size_t i = 0; i < n && c && !L->rc; i++, c = c->next) {
        size_t s2 = push_index(L, i);
        read_relationship(L, c, &t->rels[t->n_rels++]);
        pop(L, s2);
    }
    t->n_declared_rels = t->n_rels;
    pop(L, saved);
}

/* Reads the optional array member key with fn. */
static void read_constraints(loader *L, const cJSON *obj, const char *key,
                             void (*fn)(loader *, const cJSON *, bb_table *), bb_table *t)
{
    const cJSON *arr = get_array(L, obj, key, false, false);
    if (!arr)
        return;
    size_t saved = push_key(L, key);
    fn(L, arr, t);
    pop(L, saved);
}

static void read_table(loader *L, const cJSON *obj, bb_table *t)
{
    t->pointer = dup_pointer(L);
    t->offset = off_of(L, obj);
    if (!cJSON_IsObject(obj)) {
        wrong_type(L, obj, "an object (a table)");
        t->table_name = t->class_name = "";
        return;
    }
    check_keys(L, obj, table_keys, COUNT(table_keys), "a table");
    t->table_name = get_name(L, obj, "table_name");
    t->class_name = get_name(L, obj, "class_name");
    t->description = get_string(L, obj, "description", false);
    t->comment = get_string(L, obj, "comment", false);
    t->renamed_from = get_string(L, obj, "renamed_from", false);
    read_options(L, obj, t);
    read_columns(L, obj, t);
    read_relationships(L, obj, t);
    read_constraints(L, obj, "unique", read_uniques, t);
    read_constraints(L, obj, "indexes", read_indexes, t);
    read_constraints(L, obj, "checks", read_checks, t);
    read_constraints(L, obj, "advice", read_advice, t);
    t->allow = read_allow(L, obj);
}

static void read_document(loader *L, const cJSON *root)
{
    bb_schema *s = L->s;
    s->project_name = s->db_type_name = "";
    if (!cJSON_IsObject(root)) {
        report(L, BB_ERROR, "BB0201", root, "a schema starts with { \"project_name\": ... }",
               "the document must be an object, not %s", json_kind(root));
        return;
    }
    check_keys(L, root, root_keys, COUNT(root_keys), "the document");
    s->project_name = get_name(L, root, "project_name");
    int db = get_choice(L, root, "db_type", true, db_type_names, COUNT(db_type_names), "db_type",
                        &s->db_type_name);
    s->db_type = db < 0 ? BB_DB_POSTGRESQL : (bb_db_type)db;
    if (!s->db_type_name)
        s->db_type_name = "";
    s->description = get_string(L, root, "description", false);
    s->allow = read_allow(L, root);
    const cJSON *schema_v = find_member(root, "$schema");
    if (schema_v && !cJSON_IsString(schema_v)) {
        size_t saved = push_key(L, "$schema");
        wrong_type(L, schema_v, "a string");
        pop(L, saved);
    }
    const cJSON *tables = get_array(L, root, "schema", true, true);
    if (!tables)
        return;
    size_t saved = push_key(L, "schema");
    size_t n = cap_count(L, tables, L->lim->max_tables, "BB0603", "tables", "--max-tables");
    s->tables_capped = n < (size_t)cJSON_GetArraySize(tables);
    s->tables = bb_arena_alloc(&s->arena, (n ? n : 1) * sizeof(*s->tables));
    if (!s->tables) {
        L->rc = BB_ENOMEM;
        pop(L, saved);
        return;
    }
    const cJSON *c = tables->child;
    for (size_t i = 0; i < n && c && !L->rc; i++, c = c->next) {
        size_t s2 = push_index(L, i);
        read_table(L, c, &s->tables[s->n_tables++]);
        pop(L, s2);
    }
    pop(L, saved);
}

/* ---- the public entry points -------------------------------------------- */

static int new_schema(const char *filename, size_t len, bb_schema **out)
{
    bb_schema *s = bb_calloc(1, sizeof(*s));
    if (!s)
        return BB_ENOMEM;
    /* The arena holds the copied source and the typed schema: a few times the
     * input at most, since every node is built from input bytes. */
    size_t cap = len > SIZE_MAX / 8 ? SIZE_MAX : len * 8 + (64u << 20);
    bb_arena_init(&s->arena, cap);
    s->filename = bb_arena_strdup(&s->arena, filename ? filename : "<input>");
    if (!s->filename) {
        bb_schema_free(s);
        return BB_ENOMEM;
    }
    *out = s;
    return BB_OK;
}

/* Loads root into a fresh schema; map may be NULL (offsets unknown).
 * strings_kept: the tree's strings already live as long as the schema, so
 * they are used as they are instead of copied. */
static int load_tree(bb_schema *s, const cJSON *root, const bb_srcmap *map, bool strings_kept,
                     const bb_limits *lim, bb_diags *d)
{
    loader L = {.s = s, .d = d, .lim = lim, .map = map, .strings_kept = strings_kept};
    bb_buf_init(&L.ptr, POINTER_MAX);
    read_document(&L, root);
    bb_buf_free(&L.ptr);
    return L.rc;
}

int bb_schema_load(const char *filename, const char *bytes, size_t len, const bb_limits *limits,
                   bb_diags *diags, bb_schema **out)
{
    bb_limits dflt = bb_limits_default();
    const bb_limits *lim = limits ? limits : &dflt;
    *out = NULL;
    if (len > lim->max_input_bytes) {
        char hint[160];
        snprintf(hint, sizeof(hint),
                 "raise the limit with --max-input-bytes %zu (or more), or split the schema", len);
        if (bb_diag_add(diags, BB_ERROR, "BB0601", NULL, lim->max_input_bytes, hint,
                        "the input is %zu bytes, over the limit of %zu bytes; the byte at this "
                        "position is the first one too many",
                        len, lim->max_input_bytes) == BB_ENOMEM)
            return BB_ENOMEM;
        return BB_ELIMIT;
    }
    size_t start = 0;
    while (start < len && strchr(" \t\r\n", bytes[start]))
        start++;
    if (start == len) {
        bb_diag_add(diags, BB_ERROR, "BB0104", NULL, BB_NO_OFFSET,
                    "a schema is a JSON object: { \"project_name\": ..., \"schema\": [...] }",
                    "the input is empty");
        return BB_EINVAL;
    }
    int rc = bb_input_check_bytes(diags, bytes, len, lim->max_depth);
    if (rc)
        return rc;

    bb_schema *s;
    rc = new_schema(filename, len, &s);
    if (rc)
        return rc;
    char *src = bb_arena_strndup(&s->arena, bytes, len);
    if (!src) {
        bb_schema_free(s);
        return BB_ENOMEM;
    }
    s->src = src;
    s->src_len = len;

    /* The tree, its source map and its strings live as long as the schema
     * (it frees the map): the validator finds members' offsets through the
     * map later. */
    cJSON *root = NULL;
    bb_srcmap *map = NULL;
    size_t err_at = 0;
    rc = bb_srcmap_parse(src, len, diags, &root, &map, &err_at);
    if (rc == BB_EINVAL) {
        rc = bb_input_syntax_error(diags, bytes, len, err_at, lim->max_depth);
        bb_schema_free(s);
        return rc;
    }
    if (rc) {
        bb_schema_free(s);
        return rc;
    }
    s->map = map;
    rc = load_tree(s, root, map, true, lim, diags);
    if (rc) {
        bb_schema_free(s);
        return rc;
    }
    *out = s;
    return BB_OK;
}

/* Depth of a parsed tree, for documents that bypassed bb_input_check_bytes(). */
static size_t tree_depth(const cJSON *v, size_t limit)
{
    size_t best = 0;
    if (limit == 0)
        return 1;
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!cJSON_IsArray(c) && !cJSON_IsObject(c))
            continue;
        size_t dd = tree_depth(c, limit - 1);
        if (dd > best)
            best = dd;
    }
    return best + 1;
}

int bb_schema_from_json(const cJSON *root, const bb_limits *limits, bb_diags *diags,
                        bb_schema **out)
{
    bb_limits dflt = bb_limits_default();
    const bb_limits *lim = limits ? limits : &dflt;
    *out = NULL;
    if (!root)
        return BB_EUSAGE;
    if (tree_depth(root, lim->max_depth) > lim->max_depth) {
        bb_diag_add(diags, BB_ERROR, "BB0602", NULL, BB_NO_OFFSET,
                    "flatten the document, or raise the limit with --max-depth",
                    "nesting deeper than the limit of %zu levels", lim->max_depth);
        return BB_ELIMIT;
    }
    bb_schema *s;
    int rc = new_schema("<input>", 0, &s);
    if (rc)
        return rc;
    rc = load_tree(s, root, NULL, false, lim, diags);
    if (rc) {
        bb_schema_free(s);
        return rc;
    }
    *out = s;
    return BB_OK;
}

void bb_schema_free(bb_schema *s)
{
    if (!s)
        return;
    bb_srcmap_free(s->map);
    bb_arena_free(&s->arena);
    bb_free(s);
}

int bb_schema_table_index(const bb_schema *s, const char *table_name)
{
    for (size_t i = 0; table_name && i < s->n_tables; i++)
        if (s->tables[i].table_name && strcmp(s->tables[i].table_name, table_name) == 0)
            return (int)i;
    return -1;
}

int bb_table_column_index(const bb_table *t, const char *column_name)
{
    for (size_t i = 0; column_name && i < t->n_columns; i++)
        if (t->columns[i].name && strcmp(t->columns[i].name, column_name) == 0)
            return (int)i;
    return -1;
}

size_t bb_table_pk_count(const bb_table *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_columns; i++)
        n += t->columns[i].primary_key;
    return n;
}

int bb_table_pk_index(const bb_table *t)
{
    for (size_t i = 0; i < t->n_columns; i++)
        if (t->columns[i].primary_key)
            return (int)i;
    return -1;
}
