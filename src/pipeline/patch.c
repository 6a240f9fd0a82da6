/* patch.c - model advice as a change to the user's schema (see patch.h). */
#include "pipeline/patch.h"

#include "json/jsonout.h"
#include "json/srcmap.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

/* The keys of an entry, in the order they are written. */
static const char *const entry_keys[] = {"kind",       "column", "columns",    "value",
                                         "descending", "reason", "proposed_by"};

cJSON *bb_patch_entry(const cJSON *accepted)
{
    cJSON *e = cJSON_CreateObject();
    for (size_t i = 0; e && i + 1 < sizeof(entry_keys) / sizeof(entry_keys[0]); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(accepted, entry_keys[i]);
        cJSON *dup = v ? cJSON_Duplicate(v, 1) : NULL;
        if (v && (!dup || !cJSON_AddItemToObject(e, entry_keys[i], dup))) {
            cJSON_Delete(dup);
            cJSON_Delete(e);
            return NULL;
        }
    }
    if (e && !cJSON_AddStringToObject(e, "proposed_by", "model")) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

static const char *table_of(const cJSON *accepted)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(accepted, "table"));
}

/* The table's object in the source, or NULL without a source map. */
static const cJSON *table_node(const bb_schema *s, const bb_table *t)
{
    return s->map && t->offset != BB_NO_OFFSET ? bb_srcmap_node_at(s->map, t->offset) : NULL;
}

static bool has_advice_key(const bb_schema *s, const bb_table *t)
{
    const cJSON *node = table_node(s, t);
    return node ? cJSON_GetObjectItemCaseSensitive(node, "advice") != NULL : t->n_advice > 0;
}

/* The entries of accepted for table t, as a new array (NULL: out of memory). */
static cJSON *entries_of(const cJSON *accepted, const bb_table *t)
{
    cJSON *arr = cJSON_CreateArray();
    const cJSON *a;
    cJSON_ArrayForEach(a, accepted)
    {
        if (!arr)
            break;
        const char *name = table_of(a);
        if (!name || strcmp(name, t->table_name) != 0)
            continue;
        cJSON *e = bb_patch_entry(a);
        if (!e || !cJSON_AddItemToArray(arr, e)) {
            cJSON_Delete(e);
            cJSON_Delete(arr);
            arr = NULL;
        }
    }
    return arr;
}

static int add_op(cJSON *patch, const char *path, cJSON *value)
{
    cJSON *op = cJSON_CreateObject();
    if (!op || !cJSON_AddStringToObject(op, "op", "add") ||
        !cJSON_AddStringToObject(op, "path", path) || !cJSON_AddItemToObject(op, "value", value)) {
        cJSON_Delete(op);
        cJSON_Delete(value);
        return BB_ENOMEM;
    }
    if (!cJSON_AddItemToArray(patch, op)) {
        cJSON_Delete(op);
        return BB_ENOMEM;
    }
    return BB_OK;
}

static int table_ops(const bb_schema *s, const bb_table *t, size_t ti, cJSON *entries, cJSON *patch)
{
    char path[64];
    if (!has_advice_key(s, t)) {
        snprintf(path, sizeof(path), "/schema/%zu/advice", ti);
        return add_op(patch, path, entries);
    }
    snprintf(path, sizeof(path), "/schema/%zu/advice/-", ti);
    int rc = BB_OK;
    while (!rc && entries->child) {
        cJSON *e = cJSON_DetachItemViaPointer(entries, entries->child);
        rc = add_op(patch, path, e);
    }
    cJSON_Delete(entries);
    return rc;
}

int bb_patch_json(const bb_schema *s, const cJSON *accepted, cJSON **out)
{
    cJSON *patch = cJSON_CreateArray();
    int rc = patch ? BB_OK : BB_ENOMEM;
    for (size_t ti = 0; !rc && ti < s->n_tables; ti++) {
        cJSON *entries = entries_of(accepted, &s->tables[ti]);
        if (!entries)
            rc = BB_ENOMEM;
        else if (!entries->child)
            cJSON_Delete(entries);
        else
            rc = table_ops(s, &s->tables[ti], ti, entries, patch);
    }
    if (rc) {
        cJSON_Delete(patch);
        return rc;
    }
    *out = patch;
    return BB_OK;
}

/* ---- the text -------------------------------------------------------------- */

/* One entry on one line: {"kind": "index", "columns": ["a", "b"], ...}. */
static int put_value(bb_buf *b, const cJSON *v)
{
    if (cJSON_IsString(v))
        return bb_json_put_string(b, v->valuestring, strlen(v->valuestring));
    if (cJSON_IsBool(v))
        return bb_buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNull(v))
        return bb_buf_puts(b, "null");
    bool obj = cJSON_IsObject(v);
    int rc = bb_buf_putc(b, obj ? '{' : '[');
    for (const cJSON *c = v->child; c && !rc; c = c->next) {
        if (c != v->child)
            rc = bb_buf_puts(b, ", ");
        if (!rc && obj)
            rc = bb_json_put_string(b, c->string, strlen(c->string));
        if (!rc && obj)
            rc = bb_buf_puts(b, ": ");
        if (!rc)
            rc = put_value(b, c);
    }
    return rc ? rc : bb_buf_putc(b, obj ? '}' : ']');
}

/* An insertion into the source: text at offset. */
typedef struct edit {
    size_t at;
    bb_buf text;
} edit;

/* Where the line holding offset at starts. */
static size_t line_start(const char *src, size_t at)
{
    while (at > 0 && src[at - 1] != '\n')
        at--;
    return at;
}

/* The white space that starts the line holding offset at, into out. */
static int indent_of(const char *src, size_t at, bb_buf *out)
{
    size_t start = line_start(src, at), n = 0;
    while (src[start + n] == ' ' || src[start + n] == '\t')
        n++;
    return bb_buf_append(out, src + start, n);
}

/* The offset just past the last non-blank byte before end. */
static size_t after_last_text(const char *src, size_t end)
{
    while (end > 0 && strchr(" \t\r\n", src[end - 1]))
        end--;
    return end;
}

/* Entries joined for a list whose items sit on their own lines at indent
 * (multi-line) or follow each other (inline). */
static int put_entries(bb_buf *b, const cJSON *entries, const char *indent, bool multiline,
                       bool leading_comma)
{
    int rc = BB_OK;
    for (const cJSON *e = entries->child; e && !rc; e = e->next) {
        if (leading_comma || e != entries->child)
            rc = bb_buf_putc(b, ',');
        if (!rc)
            rc = multiline                              ? bb_buf_printf(b, "\n%s", indent)
                 : leading_comma || e != entries->child ? bb_buf_putc(b, ' ')
                                                        : BB_OK;
        if (!rc)
            rc = put_value(b, e);
    }
    return rc;
}

/* Entries added to the table's existing "advice" array. */
static int extend_array(const bb_schema *s, const cJSON *arr, const cJSON *entries, edit *ed)
{
    const char *src = s->src;
    size_t open = bb_srcmap_value(s->map, arr), end = bb_srcmap_end(s->map, arr);
    if (open == BB_NO_OFFSET || end == BB_NO_OFFSET || !cJSON_IsArray(arr))
        return BB_EUSAGE;
    size_t close = end - 1;
    bb_buf indent;
    bb_buf_init(&indent, 4096);
    int rc = BB_OK;
    bool multiline = false;
    if (arr->child) {
        size_t first = bb_srcmap_value(s->map, arr->child);
        multiline = line_start(src, first) > open;
        rc = indent_of(src, first, &indent);
        ed->at = after_last_text(src, close);
    } else {
        ed->at = open + 1;
    }
    if (!rc)
        rc = put_entries(&ed->text, entries, bb_buf_str(&indent), multiline, arr->child != NULL);
    bb_buf_free(&indent);
    return rc;
}

/* A new "advice" key closing the table object. */
static int add_key(const bb_schema *s, const cJSON *table, const cJSON *entries, edit *ed)
{
    const char *src = s->src;
    size_t open = bb_srcmap_value(s->map, table), end = bb_srcmap_end(s->map, table);
    if (open == BB_NO_OFFSET || end == BB_NO_OFFSET || !table->child)
        return BB_EUSAGE;
    size_t first_key = bb_srcmap_key(s->map, table->child);
    bool multiline = line_start(src, first_key) > open;
    ed->at = after_last_text(src, end - 1);
    if (!multiline) {
        int rc = bb_buf_puts(&ed->text, ", \"advice\": [");
        if (!rc)
            rc = put_entries(&ed->text, entries, "", false, false);
        return rc ? rc : bb_buf_putc(&ed->text, ']');
    }
    bb_buf member, outer, item;
    bb_buf_init(&member, 4096);
    bb_buf_init(&outer, 4096);
    bb_buf_init(&item, 4096);
    int rc = indent_of(src, first_key, &member);
    if (!rc)
        rc = indent_of(src, open, &outer);
    /* One more step of the file's own indentation for the items. */
    size_t step = member.len > outer.len ? member.len - outer.len : 2;
    if (!rc)
        rc = bb_buf_append(&item, bb_buf_str(&member), member.len);
    for (size_t i = 0; !rc && i < step; i++)
        rc = bb_buf_putc(&item, member.len ? bb_buf_str(&member)[0] : ' ');
    if (!rc)
        rc = bb_buf_printf(&ed->text, ",\n%s\"advice\": [", bb_buf_str(&member));
    if (!rc)
        rc = put_entries(&ed->text, entries, bb_buf_str(&item), true, false);
    if (!rc)
        rc = bb_buf_printf(&ed->text, "\n%s]", bb_buf_str(&member));
    bb_buf_free(&member);
    bb_buf_free(&outer);
    bb_buf_free(&item);
    return rc;
}

static int table_edit(const bb_schema *s, const bb_table *t, const cJSON *entries, edit *ed)
{
    const cJSON *node = table_node(s, t);
    if (!node)
        return BB_EUSAGE;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(node, "advice");
    return arr ? extend_array(s, arr, entries, ed) : add_key(s, node, entries, ed);
}

int bb_patch_text(const bb_schema *s, const cJSON *accepted, bb_buf *out)
{
    if (!s->map || !s->src)
        return BB_EUSAGE;
    edit *eds = bb_calloc(s->n_tables ? s->n_tables : 1, sizeof(*eds));
    if (!eds)
        return BB_ENOMEM;
    size_t n = 0;
    int rc = BB_OK;
    for (size_t ti = 0; !rc && ti < s->n_tables; ti++) {
        cJSON *entries = entries_of(accepted, &s->tables[ti]);
        if (!entries) {
            rc = BB_ENOMEM;
            break;
        }
        if (entries->child) {
            bb_buf_init(&eds[n].text, (size_t)16 << 20);
            rc = table_edit(s, &s->tables[ti], entries, &eds[n]);
            n++;
        }
        cJSON_Delete(entries);
    }
    /* Tables come in source order, so the edits do too. */
    size_t from = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        rc = bb_buf_append(out, s->src + from, eds[i].at - from);
        if (!rc)
            rc = bb_buf_append(out, bb_buf_str(&eds[i].text), eds[i].text.len);
        from = eds[i].at;
    }
    if (!rc)
        rc = bb_buf_append(out, s->src + from, s->src_len - from);
    for (size_t i = 0; i < n; i++)
        bb_buf_free(&eds[i].text);
    bb_free(eds);
    return rc;
}

cJSON *bb_patch_result(const bb_schema *s, const cJSON *accepted)
{
    cJSON *patch = NULL, *r = cJSON_CreateObject();
    if (!r || bb_patch_json(s, accepted, &patch) != BB_OK) {
        cJSON_Delete(r);
        return NULL;
    }
    cJSON_AddNumberToObject(r, "proposals", cJSON_GetArraySize(accepted));
    cJSON_AddItemToObject(r, "patch", patch);
    bb_buf text;
    bb_buf_init(&text, (size_t)256 << 20);
    if (bb_patch_text(s, accepted, &text) == BB_OK)
        cJSON_AddStringToObject(r, "schema", bb_buf_str(&text));
    bb_buf_free(&text);
    return r;
}
