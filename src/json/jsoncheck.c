/* jsoncheck.c - a JSON Schema subset checker (see jsoncheck.h). */
#include "json/jsoncheck.h"

#include "diag/diag.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define JSONCHECK_MAX_DEPTH 64
/* How much of a model's value a message repeats. */
#define JSONCHECK_SHOWN_CHARS 40

/* ---- UTF-8 and quoting ------------------------------------------------------ */

/* Decodes the code point at s (n bytes left); its length, or 0 when the
 * bytes there are not well-formed UTF-8. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || len > n || s[0] > 0xF4)
        return 0;
    unsigned long v = s[0] & (0x3F >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    static const unsigned long least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < least[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

bool bb_jsoncheck_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned long cp;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (!len)
            return false;
        i += len;
    }
    return true;
}

/* Code points a terminal would act on or hide rather than show: controls,
 * separators, bidirectional and invisible format characters, tags. */
static bool needs_escape(unsigned long cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x180E ||
           (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
           (cp >= 0xE0000 && cp <= 0xE007F);
}

size_t bb_jsoncheck_hidden_at(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned long cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (!len || (needs_escape(cp) && cp != '\n' && cp != '\t'))
            return i;
        i += len;
    }
    return (size_t)-1;
}

int bb_jsoncheck_quote(bb_buf *out, const char *s, size_t max_chars, bool quotes)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p), shown = 0;
    int rc = quotes ? bb_buf_putc(out, '"') : BB_OK;
    for (size_t i = 0; i < n && !rc;) {
        if (max_chars && shown++ == max_chars) {
            rc = bb_buf_puts(out, "...");
            break;
        }
        unsigned long cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (!len) {
            rc = bb_buf_printf(out, "\\x%02X", p[i]);
            i++;
            continue;
        }
        if (needs_escape(cp))
            rc = cp > 0xFFFF ? bb_buf_printf(out, "\\u{%lX}", cp)
                             : bb_buf_printf(out, "\\u%04lX", cp);
        else if (quotes && (cp == '"' || cp == '\\'))
            rc = bb_buf_printf(out, "\\%c", (char)cp);
        else
            rc = bb_buf_append(out, (const char *)p + i, len);
        i += len;
    }
    return rc ? rc : quotes ? bb_buf_putc(out, '"') : BB_OK;
}

int bb_jsoncheck_escape_json(bb_buf *out, const char *json)
{
    const unsigned char *p = (const unsigned char *)json;
    size_t n = strlen(json);
    int rc = BB_OK;
    for (size_t i = 0; i < n && !rc;) {
        unsigned long cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (!len)
            return BB_EINVAL;
        if (!needs_escape(cp) || cp < 0x20) /* cJSON escapes C0 itself */
            rc = bb_buf_append(out, (const char *)p + i, len);
        else if (cp > 0xFFFF)
            rc = bb_buf_printf(out, "\\u%04lX\\u%04lX", 0xD800 + ((cp - 0x10000) >> 10),
                               0xDC00 + ((cp - 0x10000) & 0x3FF));
        else
            rc = bb_buf_printf(out, "\\u%04lX", cp);
        i += len;
    }
    return rc;
}

/* ---- references ------------------------------------------------------------- */

const cJSON *bb_jsoncheck_resolve(const cJSON *root, const cJSON *schema)
{
    for (int hops = 0; hops < JSONCHECK_MAX_DEPTH; hops++) {
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
        if (!cJSON_IsString(ref))
            return schema;
        const char *p = ref->valuestring;
        if (p[0] != '#' || (p[1] != '\0' && p[1] != '/'))
            return NULL; /* only references into the same document */
        const cJSON *node = root;
        for (p++; node && *p == '/';) {
            char token[256];
            size_t n = 0;
            for (p++; *p && *p != '/' && n + 1 < sizeof(token); p++) {
                if (p[0] == '~' && (p[1] == '0' || p[1] == '1'))
                    token[n++] = *++p == '0' ? '~' : '/';
                else
                    token[n++] = *p;
            }
            token[n] = '\0';
            node = cJSON_GetObjectItemCaseSensitive(node, token);
        }
        if (!node || *p)
            return NULL;
        schema = node;
    }
    return NULL; /* a chain of references that does not end */
}

/* ---- the checker ------------------------------------------------------------ */

typedef struct check {
    const cJSON *root; /* the whole schema, for references */
    bb_buf *where;     /* first-mismatch mode: where and why of the first */
    bb_buf *why;
    bb_jsoncheck_fn fn; /* every-mismatch mode (all): each goes to fn */
    void *ctx;
    bool all;
    bool silent; /* trying the branches of anyOf: nothing is reported */
    size_t count, max;
    int stop;    /* fn's code once it asked to stop */
    bb_buf path; /* pointer of the value being checked */
} check;

/* Whether a loop over members or items goes on after rc. */
static bool keep_going(const check *c, int rc)
{
    return rc == BB_OK || (rc == BB_EINVAL && c->all && !c->silent && !c->stop &&
                           (c->max == 0 || c->count < c->max));
}

static int fail(check *c, const char *msg)
{
    if (c->silent)
        return BB_EINVAL;
    if (c->all) {
        c->count++;
        int rc = c->fn ? c->fn(c->ctx, bb_buf_str(&c->path), msg) : BB_OK;
        if (rc) {
            c->stop = rc;
            return rc;
        }
        return BB_EINVAL;
    }
    if (c->where) {
        bb_buf_reset(c->where);
        if (bb_buf_puts(c->where, bb_buf_str(&c->path)) != BB_OK)
            bb_buf_reset(c->where); /* a partial pointer is worse than none */
    }
    if (c->why) {
        bb_buf_reset(c->why);
        if (bb_buf_puts(c->why, msg) != BB_OK)
            bb_buf_reset(c->why);
    }
    return BB_EINVAL;
}

/* A message made of a fixed prefix, an untrusted string shown quoted and a suffix. */
static int fail_quoting(check *c, const char *prefix, const char *text, const char *suffix)
{
    bb_buf m;
    bb_buf_init(&m, 1024);
    int rc = bb_buf_puts(&m, prefix);
    if (!rc)
        rc = bb_jsoncheck_quote(&m, text, JSONCHECK_SHOWN_CHARS, true);
    if (!rc)
        rc = bb_buf_puts(&m, suffix);
    rc = rc ? BB_ENOMEM : fail(c, bb_buf_str(&m));
    bb_buf_free(&m);
    return rc;
}

static bool is_integral(const cJSON *v)
{
    double d = v->valuedouble;
    return isfinite(d) && floor(d) == d;
}

static bool type_matches(const char *type, const cJSON *v)
{
    if (strcmp(type, "object") == 0)
        return cJSON_IsObject(v);
    if (strcmp(type, "array") == 0)
        return cJSON_IsArray(v);
    if (strcmp(type, "string") == 0)
        return cJSON_IsString(v);
    if (strcmp(type, "integer") == 0)
        return cJSON_IsNumber(v) && is_integral(v);
    if (strcmp(type, "number") == 0)
        return cJSON_IsNumber(v);
    if (strcmp(type, "boolean") == 0)
        return cJSON_IsBool(v);
    if (strcmp(type, "null") == 0)
        return cJSON_IsNull(v);
    return false;
}

static bool types_match(const cJSON *type, const cJSON *v)
{
    if (cJSON_IsString(type))
        return type_matches(type->valuestring, v);
    if (!cJSON_IsArray(type))
        return true;
    const cJSON *t;
    cJSON_ArrayForEach(t,
                       type) if (cJSON_IsString(t) && type_matches(t->valuestring, v)) return true;
    return false;
}

/* "a string, an integer or null" for a message. */
static int describe_types(bb_buf *m, const cJSON *type)
{
    if (cJSON_IsString(type))
        return bb_buf_puts(m, type->valuestring);
    int rc = BB_OK, i = 0, n = cJSON_GetArraySize(type);
    const cJSON *t;
    cJSON_ArrayForEach(t, type)
    {
        if (!rc && cJSON_IsString(t))
            rc = bb_buf_printf(m, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", t->valuestring);
        i++;
    }
    return rc;
}

static int check_type(check *c, const cJSON *type, const cJSON *v)
{
    if (types_match(type, v))
        return BB_OK;
    bb_buf m;
    bb_buf_init(&m, 1024);
    int rc = bb_buf_puts(&m, "expected a value of type ");
    if (!rc)
        rc = describe_types(&m, type);
    rc = rc ? BB_ENOMEM : fail(c, bb_buf_str(&m));
    bb_buf_free(&m);
    return rc;
}

static int check_enum(check *c, const cJSON *en, const cJSON *v)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, en) if (cJSON_Compare(e, v, true)) return BB_OK;
    /* The allowed values come from the schema; the value from the model. */
    bb_buf m;
    bb_buf_init(&m, 4096);
    int rc = bb_buf_puts(&m, "the value ");
    if (!rc && cJSON_IsString(v))
        rc = bb_jsoncheck_quote(&m, v->valuestring, JSONCHECK_SHOWN_CHARS, true);
    if (!rc)
        rc = bb_buf_puts(&m, cJSON_IsString(v) ? " is not one of " : "is not one of ");
    int i = 0;
    cJSON_ArrayForEach(e, en)
    {
        char *s = rc ? NULL : cJSON_PrintUnformatted(e);
        if (s && m.len < 600)
            rc = bb_buf_printf(&m, "%s%s", i++ ? ", " : "", s);
        else if (!rc && !s)
            rc = BB_ENOMEM;
        cJSON_free(s);
    }
    rc = rc ? BB_ENOMEM : fail(c, bb_buf_str(&m));
    bb_buf_free(&m);
    return rc;
}

static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static double number_or(const cJSON *schema, const char *key, double dflt)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(schema, key);
    return cJSON_IsNumber(n) ? n->valuedouble : dflt;
}

static int check_value(check *c, const cJSON *schema, const cJSON *v, int depth);

/* Checks v under the child token of the current path, then restores the path. */
static int check_child(check *c, const cJSON *schema, const cJSON *v, const char *token, int depth)
{
    size_t mark = c->path.len;
    int rc = bb_pointer_append(&c->path, token); /* adds the '/' */
    if (!rc)
        rc = check_value(c, schema, v, depth + 1);
    c->path.len = mark;
    if (c->path.data)
        c->path.data[mark] = '\0';
    return rc;
}

static int check_object(check *c, const cJSON *schema, const cJSON *v, int depth)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required");
    const cJSON *additional = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
    int worst = BB_OK;
    const cJSON *r;
    cJSON_ArrayForEach(r, required)
    {
        if (cJSON_IsString(r) && !cJSON_GetObjectItemCaseSensitive(v, r->valuestring)) {
            int rc = fail_quoting(c, "the required property ", r->valuestring, " is missing");
            if (!keep_going(c, rc))
                return rc;
            worst = rc;
        }
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, v)
    {
        const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
        int rc = BB_OK;
        if (!ps && cJSON_IsFalse(additional))
            rc = fail_quoting(c, "the property ", m->string, " is not allowed");
        else if (ps || cJSON_IsObject(additional))
            rc = check_child(c, ps ? ps : additional, m, m->string, depth);
        if (!keep_going(c, rc))
            return rc;
        worst = worst ? worst : rc;
    }
    return worst;
}

static int check_array(check *c, const cJSON *schema, const cJSON *v, int depth)
{
    double n = (double)cJSON_GetArraySize(v);
    int worst = BB_OK;
    if (n < number_or(schema, "minItems", 0))
        worst = fail(c, "the array has too few items");
    else if (n > number_or(schema, "maxItems", INFINITY))
        worst = fail(c, "the array has too many items");
    if (!keep_going(c, worst))
        return worst;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
    if (!cJSON_IsObject(items))
        return worst;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        char token[24];
        snprintf(token, sizeof(token), "%d", i++);
        int rc = check_child(c, items, e, token, depth);
        if (!keep_going(c, rc))
            return rc;
        worst = worst ? worst : rc;
    }
    return worst;
}

/* Checks v against one branch without reporting anything. */
static int try_branch(check *c, const cJSON *branch, const cJSON *v, int depth)
{
    bool silent = c->silent;
    c->silent = true;
    int rc = check_value(c, branch, v, depth + 1);
    c->silent = silent;
    return rc;
}

/* anyOf (at least one branch) and oneOf (exactly one). When no branch
 * passes and exactly one has the value's type, that branch's problems are
 * reported: they say more than "none of the forms". */
static int check_branches(check *c, const cJSON *branches, const cJSON *v, bool exactly_one,
                          int depth)
{
    int passed = 0, typed = 0;
    const cJSON *b, *typed_branch = NULL;
    cJSON_ArrayForEach(b, branches)
    {
        int rc = try_branch(c, b, v, depth);
        if (rc != BB_OK && rc != BB_EINVAL)
            return rc;
        passed += rc == BB_OK;
        const cJSON *rb = bb_jsoncheck_resolve(c->root, b);
        if (types_match(cJSON_GetObjectItemCaseSensitive(rb, "type"), v)) {
            typed++;
            typed_branch = b;
        }
    }
    if (passed == 1 || (passed > 1 && !exactly_one))
        return BB_OK;
    if (passed > 1)
        return fail(c, "the value matches more than one of the allowed forms");
    if (typed == 1)
        return check_value(c, typed_branch, v, depth + 1);
    return fail(c, "the value matches none of the allowed forms");
}

static int check_scalar(check *c, const cJSON *schema, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        double n = (double)utf8_length(v->valuestring);
        if (n > number_or(schema, "maxLength", INFINITY))
            return fail(c, "the string is longer than allowed");
        if (n < number_or(schema, "minLength", 0))
            return fail(c, "the string is shorter than allowed");
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d < number_or(schema, "minimum", -INFINITY) ||
            d > number_or(schema, "maximum", INFINITY) ||
            d <= number_or(schema, "exclusiveMinimum", -INFINITY) ||
            d >= number_or(schema, "exclusiveMaximum", INFINITY))
            return fail(c, "the number is out of range");
    }
    return BB_OK;
}

static int check_value(check *c, const cJSON *schema, const cJSON *v, int depth)
{
    if (depth > JSONCHECK_MAX_DEPTH)
        return BB_ELIMIT;
    schema = bb_jsoncheck_resolve(c->root, schema);
    if (!schema)
        return fail(c, "the schema has a reference that does not resolve");
    if (!cJSON_IsObject(schema))
        return BB_OK;
    int rc = check_type(c, cJSON_GetObjectItemCaseSensitive(schema, "type"), v);
    if (rc)
        return rc; /* nothing else of this schema applies to a value of another type */
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
    if (cJSON_IsArray(en) && (rc = check_enum(c, en, v)) != BB_OK)
        return rc;
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(schema, "const");
    if (cn && !cJSON_Compare(cn, v, true))
        return fail(c, "the value differs from the required constant");
    if ((rc = check_scalar(c, schema, v)) != BB_OK)
        return rc;
    const cJSON *any = cJSON_GetObjectItemCaseSensitive(schema, "anyOf");
    if (cJSON_IsArray(any) && (rc = check_branches(c, any, v, false, depth)) != BB_OK)
        return rc;
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(schema, "oneOf");
    if (cJSON_IsArray(one) && (rc = check_branches(c, one, v, true, depth)) != BB_OK)
        return rc;
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(schema, "allOf"))
    {
        int r = check_value(c, b, v, depth + 1);
        if (!keep_going(c, r))
            return r;
        rc = rc ? rc : r;
    }
    int r = BB_OK;
    if (cJSON_IsObject(v))
        r = check_object(c, schema, v, depth);
    else if (cJSON_IsArray(v))
        r = check_array(c, schema, v, depth);
    return rc ? rc : r;
}

static int run(check *c, const cJSON *schema, const cJSON *value)
{
    bb_buf_init(&c->path, 4096);
    int rc = bb_buf_puts(&c->path, "");
    if (!rc)
        rc = check_value(c, schema, value, 0);
    bb_buf_free(&c->path);
    return c->stop ? c->stop : rc;
}

int bb_jsoncheck(const cJSON *schema, const cJSON *value, bb_buf *where, bb_buf *why)
{
    check c = {.root = schema, .where = where, .why = why};
    return run(&c, schema, value);
}

int bb_jsoncheck_all(const cJSON *schema, const cJSON *value, size_t max, bb_jsoncheck_fn fn,
                     void *ctx)
{
    check c = {.root = schema, .fn = fn, .ctx = ctx, .all = true, .max = max};
    return run(&c, schema, value);
}
