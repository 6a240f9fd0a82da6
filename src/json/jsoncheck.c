/* jsoncheck.c - a JSON Schema subset checker (see jsoncheck.h). */
#include "json/jsoncheck.h"

#include "diag/diag.h"

#include <cJSON.h>
#include <math.h>
#include <string.h>

#define JSONCHECK_MAX_DEPTH 64

typedef struct check {
    bb_buf *where;
    bb_buf *why;
    bb_buf path; /* pointer of the value being checked */
} check;

static int fail(check *c, const char *fmt, const char *arg)
{
    if (c->where) {
        bb_buf_reset(c->where);
        if (bb_buf_puts(c->where, bb_buf_str(&c->path)) != BB_OK)
            bb_buf_reset(c->where); /* a partial pointer is worse than none */
    }
    if (c->why) {
        bb_buf_reset(c->why);
        if (bb_buf_printf(c->why, fmt, arg ? arg : "") != BB_OK)
            bb_buf_reset(c->why);
    }
    return BB_EINVAL;
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

static int check_type(check *c, const cJSON *type, const cJSON *v)
{
    if (cJSON_IsString(type))
        return type_matches(type->valuestring, v)
                   ? BB_OK
                   : fail(c, "expected a value of type %s", type->valuestring);
    if (cJSON_IsArray(type)) {
        const cJSON *t;
        cJSON_ArrayForEach(t, type) if (cJSON_IsString(t) &&
                                        type_matches(t->valuestring, v)) return BB_OK;
        return fail(c, "the value has none of the allowed types%s", NULL);
    }
    return BB_OK;
}

static bool json_equal(const cJSON *a, const cJSON *b)
{
    return cJSON_Compare(a, b, true);
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
    const cJSON *r;
    cJSON_ArrayForEach(r, required)
    {
        if (cJSON_IsString(r) && !cJSON_GetObjectItemCaseSensitive(v, r->valuestring))
            return fail(c, "the required property \"%s\" is missing", r->valuestring);
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, v)
    {
        const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
        if (!ps && cJSON_IsFalse(additional))
            return fail(c, "the property \"%s\" is not allowed", m->string);
        if (!ps && cJSON_IsObject(additional))
            ps = additional;
        if (ps) {
            int rc = check_child(c, ps, m, m->string, depth);
            if (rc)
                return rc;
        }
    }
    return BB_OK;
}

static int check_array(check *c, const cJSON *schema, const cJSON *v, int depth)
{
    double n = (double)cJSON_GetArraySize(v);
    if (n < number_or(schema, "minItems", 0))
        return fail(c, "the array has too few items%s", NULL);
    if (n > number_or(schema, "maxItems", INFINITY))
        return fail(c, "the array has too many items%s", NULL);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
    if (!cJSON_IsObject(items))
        return BB_OK;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        char token[24];
        snprintf(token, sizeof(token), "%d", i++);
        int rc = check_child(c, items, e, token, depth);
        if (rc)
            return rc;
    }
    return BB_OK;
}

static int check_value(check *c, const cJSON *schema, const cJSON *v, int depth)
{
    if (depth > JSONCHECK_MAX_DEPTH)
        return BB_ELIMIT;
    if (!cJSON_IsObject(schema))
        return BB_OK;
    int rc = check_type(c, cJSON_GetObjectItemCaseSensitive(schema, "type"), v);
    if (rc)
        return rc;
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
    if (cJSON_IsArray(en)) {
        bool found = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, en) found = found || json_equal(e, v);
        if (!found)
            return fail(c, "the value is not one of the allowed values%s", NULL);
    }
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(schema, "const");
    if (cn && !json_equal(cn, v))
        return fail(c, "the value differs from the required constant%s", NULL);
    if (cJSON_IsString(v)) {
        double n = (double)utf8_length(v->valuestring);
        if (n > number_or(schema, "maxLength", INFINITY))
            return fail(c, "the string is longer than allowed%s", NULL);
        if (n < number_or(schema, "minLength", 0))
            return fail(c, "the string is shorter than allowed%s", NULL);
    }
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble < number_or(schema, "minimum", -INFINITY) ||
            v->valuedouble > number_or(schema, "maximum", INFINITY))
            return fail(c, "the number is out of range%s", NULL);
    }
    if (cJSON_IsObject(v))
        return check_object(c, schema, v, depth);
    if (cJSON_IsArray(v))
        return check_array(c, schema, v, depth);
    return BB_OK;
}

int bb_jsoncheck(const cJSON *schema, const cJSON *value, bb_buf *where, bb_buf *why)
{
    check c = {where, why, {0}};
    bb_buf_init(&c.path, 4096);
    if (bb_buf_puts(&c.path, "") != BB_OK) {
        bb_buf_free(&c.path);
        return BB_ENOMEM;
    }
    int rc = check_value(&c, schema, value, 0);
    bb_buf_free(&c.path);
    return rc;
}
