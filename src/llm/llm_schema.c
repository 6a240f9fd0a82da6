/* llm_schema.c - the answer's JSON Schema per provider (see llm_schema.h). */
#include "llm/llm_schema.h"

#include "json/jsoncheck.h"

#include <cJSON.h>
#include <string.h>

#define SCHEMA_MAX_DEPTH 64

/* ---- walking a schema --------------------------------------------------------- */

typedef void (*subschema_fn)(cJSON *schema, void *ctx, int depth);

/* Calls fn on each subschema of node: the values of properties (and of the
 * definitions when with_defs), items, a schema for additionalProperties,
 * the branches of anyOf, oneOf and allOf. */
static void each_subschema_of(cJSON *node, subschema_fn fn, void *ctx, int depth, bool with_defs)
{
    static const char *const maps[] = {"properties", "$defs", "definitions"};
    static const char *const singles[] = {"items", "additionalProperties"};
    static const char *const lists[] = {"anyOf", "oneOf", "allOf"};
    cJSON *c;
    for (size_t i = 0; i < (with_defs ? 3 : 1); i++)
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(node, maps[i]))
            fn(c, ctx, depth + 1);
    for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++) {
        c = cJSON_GetObjectItemCaseSensitive(node, singles[i]);
        if (cJSON_IsObject(c))
            fn(c, ctx, depth + 1);
    }
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(node, lists[i]))
            fn(c, ctx, depth + 1);
}

static void each_subschema(cJSON *node, subschema_fn fn, void *ctx, int depth)
{
    each_subschema_of(node, fn, ctx, depth, true);
}

static bool type_includes(const cJSON *schema, const char *name)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(schema, "type");
    if (cJSON_IsString(t))
        return strcmp(t->valuestring, name) == 0;
    const cJSON *e;
    cJSON_ArrayForEach(e,
                       t) if (cJSON_IsString(e) && strcmp(e->valuestring, name) == 0) return true;
    return false;
}

static bool is_object_schema(const cJSON *schema)
{
    return type_includes(schema, "object") ||
           cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(schema, "properties"));
}

static bool is_required(const cJSON *schema, const char *name)
{
    const cJSON *r;
    cJSON_ArrayForEach(
        r, cJSON_GetObjectItemCaseSensitive(schema, "required")) if (cJSON_IsString(r) &&
                                                                     strcmp(r->valuestring, name) ==
                                                                         0) return true;
    return false;
}

static void drop_keywords(cJSON *node, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(node, names[i]);
}

/* oneOf as anyOf: the branches backbone writes never overlap, and both
 * providers document anyOf. */
static void one_of_as_any_of(cJSON *node)
{
    cJSON *one = cJSON_DetachItemFromObjectCaseSensitive(node, "oneOf");
    if (one && !cJSON_GetObjectItemCaseSensitive(node, "anyOf"))
        cJSON_AddItemToObject(node, "anyOf", one);
    else
        cJSON_Delete(one);
}

/* node[key] = item, replacing what was there; item is node's (or freed). */
static void set_member(cJSON *node, const char *key, cJSON *item)
{
    if (!item)
        return;
    if (cJSON_GetObjectItemCaseSensitive(node, key))
        cJSON_ReplaceItemInObjectCaseSensitive(node, key, item);
    else if (!cJSON_AddItemToObject(node, key, item))
        cJSON_Delete(item);
}

static void close_object(cJSON *node)
{
    set_member(node, "additionalProperties", cJSON_CreateFalse());
}

/* ---- OpenAI strict mode ---------------------------------------------------------- */

static bool has_null(const cJSON *arr)
{
    const cJSON *e;
    cJSON_ArrayForEach(
        e, arr) if (cJSON_IsNull(e) ||
                    (cJSON_IsString(e) && strcmp(e->valuestring, "null") == 0)) return true;
    return false;
}

/* Lets the property p (a member of props) be null as well. */
static void make_nullable(cJSON *props, cJSON *p)
{
    cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
    cJSON *en = cJSON_GetObjectItemCaseSensitive(p, "enum");
    cJSON *any = cJSON_GetObjectItemCaseSensitive(p, "anyOf");
    if (cJSON_IsArray(en) && !has_null(en))
        cJSON_AddItemToArray(en, cJSON_CreateNull());
    if (cJSON_IsString(type) && strcmp(type->valuestring, "null") != 0) {
        cJSON *both = cJSON_CreateArray();
        if (both && cJSON_AddItemToArray(both, cJSON_CreateString(type->valuestring)) &&
            cJSON_AddItemToArray(both, cJSON_CreateString("null")))
            cJSON_ReplaceItemInObjectCaseSensitive(p, "type", both);
        else
            cJSON_Delete(both);
    } else if (cJSON_IsArray(type) && !has_null(type)) {
        cJSON_AddItemToArray(type, cJSON_CreateString("null"));
    } else if (!type && cJSON_IsArray(any)) {
        cJSON *null_branch = cJSON_CreateObject();
        if (null_branch && cJSON_AddStringToObject(null_branch, "type", "null"))
            cJSON_AddItemToArray(any, null_branch);
        else
            cJSON_Delete(null_branch);
    } else if (!type) { /* a reference, a constant: either it or null */
        cJSON *wrapper = cJSON_CreateObject();
        cJSON *branches = wrapper ? cJSON_AddArrayToObject(wrapper, "anyOf") : NULL;
        cJSON *null_branch = cJSON_CreateObject();
        if (branches && null_branch && cJSON_AddStringToObject(null_branch, "type", "null") &&
            cJSON_AddItemToArray(branches, cJSON_Duplicate(p, 1)) &&
            cJSON_AddItemToArray(branches, null_branch)) {
            cJSON_ReplaceItemViaPointer(props, p, wrapper);
        } else {
            cJSON_Delete(wrapper);
            cJSON_Delete(null_branch);
        }
    }
}

static void strictify(cJSON *node, void *ctx, int depth)
{
    static const char *const dropped[] = {"minLength", "maxLength"};
    if (!cJSON_IsObject(node) || depth > SCHEMA_MAX_DEPTH)
        return;
    drop_keywords(node, dropped, sizeof(dropped) / sizeof(dropped[0]));
    one_of_as_any_of(node);
    each_subschema(node, strictify, ctx, depth);
    if (!is_object_schema(node))
        return;
    close_object(node);
    cJSON *props = cJSON_GetObjectItemCaseSensitive(node, "properties");
    cJSON *all = cJSON_CreateArray();
    cJSON *p = props ? props->child : NULL;
    while (all && p) {
        cJSON *next = p->next; /* make_nullable may replace p */
        cJSON_AddItemToArray(all, cJSON_CreateString(p->string));
        if (!is_required(node, p->string))
            make_nullable(props, p);
        p = next;
    }
    set_member(node, "required", all);
}

cJSON *bb_llm_schema_strict(const cJSON *schema)
{
    cJSON *copy = cJSON_Duplicate(schema, 1);
    strictify(copy, NULL, 0);
    return copy;
}

/* ---- Anthropic's grammar ------------------------------------------------------------ */

static void grammar_walk(cJSON *node, void *ctx, int depth)
{
    static const char *const dropped[] = {"minimum",          "maximum",      "exclusiveMinimum",
                                          "exclusiveMaximum", "multipleOf",   "minLength",
                                          "maxLength",        "maxItems",     "uniqueItems",
                                          "minProperties",    "maxProperties"};
    bb_llm_grammar_fit *fit = ctx;
    if (!cJSON_IsObject(node))
        return;
    if (depth > SCHEMA_MAX_DEPTH) {
        fit->recursive = true;
        return;
    }
    drop_keywords(node, dropped, sizeof(dropped) / sizeof(dropped[0]));
    cJSON *min_items = cJSON_GetObjectItemCaseSensitive(node, "minItems");
    if (cJSON_IsNumber(min_items) && min_items->valuedouble > 1)
        cJSON_SetNumberValue(min_items, 1);
    one_of_as_any_of(node);
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(node, "type")) > 1 ||
        cJSON_GetObjectItemCaseSensitive(node, "anyOf"))
        fit->unions++;
    if (is_object_schema(node)) {
        if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(node, "additionalProperties")))
            fit->open = true;
        close_object(node);
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(node, "properties")) fit->optional +=
            !is_required(node, p->string);
    }
    each_subschema(node, grammar_walk, ctx, depth);
}

/* Whether following the references under node from the chain leads back
 * into it (the chain holds the definitions being expanded). */
typedef struct ref_walk {
    const cJSON *root;
    const cJSON *chain[SCHEMA_MAX_DEPTH];
    int n;
    bool cycle;
} ref_walk;

static void ref_visit(cJSON *node, void *ctx, int depth)
{
    ref_walk *w = ctx;
    if (w->cycle || !cJSON_IsObject(node))
        return;
    if (depth > SCHEMA_MAX_DEPTH || w->n >= SCHEMA_MAX_DEPTH) {
        w->cycle = true;
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(node, "$ref")) {
        const cJSON *target = bb_jsoncheck_resolve(w->root, node);
        for (int i = 0; target && i < w->n; i++)
            w->cycle = w->cycle || w->chain[i] == target;
        if (!target || w->cycle)
            return;
        w->chain[w->n++] = target;
        ref_visit((cJSON *)target, w, depth + 1);
        w->n--;
        return;
    }
    /* definitions are reached through references, not on their own */
    each_subschema_of(node, ref_visit, w, depth, false);
}

cJSON *bb_llm_schema_grammar(const cJSON *schema, bb_llm_grammar_fit *fit)
{
    bb_llm_grammar_fit local;
    if (!fit)
        fit = &local;
    memset(fit, 0, sizeof(*fit));
    cJSON *copy = cJSON_Duplicate(schema, 1);
    if (!copy)
        return NULL;
    grammar_walk(copy, fit, 0);
    ref_walk w = {.root = copy};
    ref_visit(copy, &w, 0);
    fit->recursive = fit->recursive || w.cycle;
    fit->fits = !fit->recursive && !fit->open && fit->optional <= BB_LLM_GRAMMAR_MAX_OPTIONAL &&
                fit->unions <= BB_LLM_GRAMMAR_MAX_UNIONS;
    return copy;
}

/* ---- answers ------------------------------------------------------------------------ */

static bool allows_null(const cJSON *root, const cJSON *schema, int depth)
{
    schema = bb_jsoncheck_resolve(root, schema);
    if (!cJSON_IsObject(schema) || depth > SCHEMA_MAX_DEPTH)
        return false;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
    const cJSON *any = cJSON_GetObjectItemCaseSensitive(schema, "anyOf");
    if (type)
        return type_includes(schema, "null");
    if (en)
        return has_null(en);
    const cJSON *b;
    cJSON_ArrayForEach(b, any) if (allows_null(root, b, depth + 1)) return true;
    return !any && !cJSON_GetObjectItemCaseSensitive(schema, "const");
}

/* The branch of an anyOf whose type the value has, for walking into it. */
static const cJSON *branch_for(const cJSON *root, const cJSON *schema, const cJSON *v)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(schema, "anyOf"))
    {
        const cJSON *rb = bb_jsoncheck_resolve(root, b);
        if ((cJSON_IsObject(v) && is_object_schema(rb)) ||
            (cJSON_IsArray(v) && type_includes(rb, "array")))
            return rb;
    }
    return schema;
}

static void drop_nulls(const cJSON *root, const cJSON *schema, cJSON *v, int depth)
{
    schema = bb_jsoncheck_resolve(root, schema);
    if (!cJSON_IsObject(schema) || depth > SCHEMA_MAX_DEPTH)
        return;
    schema = branch_for(root, schema, v);
    if (cJSON_IsArray(v)) {
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
        cJSON *e;
        cJSON_ArrayForEach(e, v) drop_nulls(root, items, e, depth + 1);
        return;
    }
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    cJSON *m = cJSON_IsObject(v) ? v->child : NULL;
    while (m) {
        cJSON *next = m->next;
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, m->string);
        if (ps && cJSON_IsNull(m) && !is_required(schema, m->string) &&
            !allows_null(root, ps, depth + 1))
            cJSON_Delete(cJSON_DetachItemViaPointer(v, m));
        else if (ps)
            drop_nulls(root, ps, m, depth + 1);
        m = next;
    }
}

void bb_llm_schema_drop_nulls(const cJSON *schema, cJSON *value)
{
    drop_nulls(schema, schema, value, 0);
}
