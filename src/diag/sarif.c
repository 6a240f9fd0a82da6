/* sarif.c - diagnostics as SARIF 2.1.0 (sarif.h). */
#include "diag/sarif.h"

#include "base/buf.h"
#include "diag/codes.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

typedef struct code_info {
    const char *code;
    const char *level;
    const char *name;
} code_info;

#define ERROR "error"
#define WARNING "warning"
#define NOTE "note"
#define X(code, sev, name) {#code, sev, name},
static const code_info codes[] = {BB_CODE_LIST(X)};
#undef X
#undef ERROR
#undef WARNING
#undef NOTE

static const code_info *code_lookup(const char *code)
{
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(codes[i].code, code) == 0)
            return &codes[i];
    return NULL;
}

static const char *level_of(bb_severity s)
{
    return s == BB_ERROR ? "error" : s == BB_WARNING ? "warning" : "note";
}

/* A relative URI reference for a file name: unreserved bytes and '/' kept,
 * everything else percent-encoded. */
static int file_uri(bb_buf *b, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = BB_OK;
    for (const unsigned char *p = (const unsigned char *)name; *p && !rc; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/", c))
            rc = bb_buf_putc(b, (char)c);
        else
            rc = bb_buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
    return rc;
}

/* The rule index of code, adding the rule on first use; -1 on failure. */
static int rule_index(cJSON *rules, const char *code)
{
    int i = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, rules)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
        if (cJSON_IsString(id) && strcmp(id->valuestring, code) == 0)
            return i;
        i++;
    }
    const code_info *info = code_lookup(code);
    char help[96];
    snprintf(help, sizeof(help), "docs/diagnostics.md#%s", code);
    for (char *p = help; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    cJSON *rule = cJSON_CreateObject();
    cJSON *sd = rule ? cJSON_AddObjectToObject(rule, "shortDescription") : NULL;
    cJSON *cfg = sd && cJSON_AddStringToObject(rule, "id", code) &&
                         cJSON_AddStringToObject(rule, "name", info ? info->name : code) &&
                         cJSON_AddStringToObject(sd, "text", info ? info->name : code) &&
                         cJSON_AddStringToObject(rule, "helpUri", help)
                     ? cJSON_AddObjectToObject(rule, "defaultConfiguration")
                     : NULL;
    if (!cfg || !cJSON_AddStringToObject(cfg, "level", info ? info->level : "error") ||
        !cJSON_AddItemToArray(rules, rule)) {
        cJSON_Delete(rule);
        return -1;
    }
    return i;
}

static cJSON *location(bb_diags *d, const bb_diag *g, const char *uri, int artifact)
{
    cJSON *loc = cJSON_CreateObject();
    cJSON *phys = loc ? cJSON_AddObjectToObject(loc, "physicalLocation") : NULL;
    cJSON *art = phys ? cJSON_AddObjectToObject(phys, "artifactLocation") : NULL;
    if (!art || !cJSON_AddStringToObject(art, "uri", uri) ||
        !cJSON_AddNumberToObject(art, "index", artifact)) {
        cJSON_Delete(loc);
        return NULL;
    }
    if (g->offset != BB_NO_OFFSET && d->src) {
        int line, col;
        bb_diags_position(d, g->offset, &line, &col);
        cJSON *region = line > 0 ? cJSON_AddObjectToObject(phys, "region") : NULL;
        if (line > 0 && (!region || !cJSON_AddNumberToObject(region, "startLine", line) ||
                         !cJSON_AddNumberToObject(region, "startColumn", col > 0 ? col : 1))) {
            cJSON_Delete(loc);
            return NULL;
        }
    }
    cJSON *logical = cJSON_AddArrayToObject(loc, "logicalLocations");
    cJSON *ll = cJSON_CreateObject();
    if (!logical || !ll || !cJSON_AddItemToArray(logical, ll) ||
        !cJSON_AddStringToObject(ll, "fullyQualifiedName", *g->pointer ? g->pointer : "/") ||
        !cJSON_AddStringToObject(ll, "kind", "object")) {
        if (logical && ll && !cJSON_GetArraySize(logical))
            cJSON_Delete(ll);
        cJSON_Delete(loc);
        return NULL;
    }
    return loc;
}

static cJSON *result(bb_diags *d, const bb_diag *g, int rule, const char *uri, int artifact)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *msg = r ? cJSON_AddObjectToObject(r, "message") : NULL;
    cJSON *locs = msg ? cJSON_AddArrayToObject(r, "locations") : NULL;
    cJSON *loc = locs ? location(d, g, uri, artifact) : NULL;
    if (!loc || !cJSON_AddItemToArray(locs, loc)) {
        cJSON_Delete(loc);
        cJSON_Delete(r);
        return NULL;
    }
    cJSON *props = cJSON_AddObjectToObject(r, "properties");
    if (!props || !cJSON_AddStringToObject(r, "ruleId", g->code) ||
        !cJSON_AddNumberToObject(r, "ruleIndex", rule) ||
        !cJSON_AddStringToObject(r, "level", level_of(g->severity)) ||
        !cJSON_AddStringToObject(msg, "text", g->message) ||
        !cJSON_AddStringToObject(props, "pointer", g->pointer) ||
        !(g->hint ? cJSON_AddStringToObject(props, "hint", g->hint)
                  : cJSON_AddNullToObject(props, "hint"))) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

/* Adds one context: its artifact and its results. */
static int add_context(cJSON *artifacts, cJSON *results, cJSON *rules, bb_diags *d)
{
    bb_buf uri;
    bb_buf_init(&uri, 16 * 1024);
    int artifact = cJSON_GetArraySize(artifacts);
    int rc = file_uri(&uri, d->filename ? d->filename : "<input>");
    cJSON *a = rc ? NULL : cJSON_CreateObject();
    cJSON *al = a ? cJSON_AddObjectToObject(a, "location") : NULL;
    if (!al || !cJSON_AddStringToObject(al, "uri", bb_buf_str(&uri)) ||
        !cJSON_AddItemToArray(artifacts, a)) {
        cJSON_Delete(a);
        bb_buf_free(&uri);
        return rc ? rc : BB_ENOMEM;
    }
    for (size_t i = 0; i < d->n && !rc; i++) {
        int rule = rule_index(rules, d->items[i].code);
        cJSON *r = rule < 0 ? NULL : result(d, &d->items[i], rule, bb_buf_str(&uri), artifact);
        if (!r || !cJSON_AddItemToArray(results, r)) {
            cJSON_Delete(r);
            rc = BB_ENOMEM;
        }
    }
    bb_buf_free(&uri);
    return rc;
}

cJSON *bb_diags_to_sarif(bb_diags *const *diags, size_t n)
{
    /* Keys in the order SARIF viewers show them: header, tool, then data. */
    cJSON *root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "$schema", BB_SARIF_SCHEMA) ||
        !cJSON_AddStringToObject(root, "version", "2.1.0")) {
        cJSON_Delete(root);
        return NULL;
    }
    cJSON *runs = cJSON_AddArrayToObject(root, "runs");
    cJSON *run = cJSON_CreateObject();
    if (!runs || !run || !cJSON_AddItemToArray(runs, run)) {
        cJSON_Delete(run);
        cJSON_Delete(root);
        return NULL;
    }
    cJSON *tool = cJSON_AddObjectToObject(run, "tool");
    cJSON *driver = tool ? cJSON_AddObjectToObject(tool, "driver") : NULL;
    if (!driver || !cJSON_AddStringToObject(driver, "name", "backbone") ||
        !cJSON_AddStringToObject(driver, "version", BB_VERSION) ||
        !cJSON_AddStringToObject(driver, "semanticVersion", BB_VERSION)) {
        cJSON_Delete(root);
        return NULL;
    }
    cJSON *rules = cJSON_AddArrayToObject(driver, "rules");
    cJSON *cols = rules ? cJSON_AddStringToObject(run, "columnKind", "unicodeCodePoints") : NULL;
    cJSON *artifacts = cols ? cJSON_AddArrayToObject(run, "artifacts") : NULL;
    cJSON *results = artifacts ? cJSON_AddArrayToObject(run, "results") : NULL;
    if (!results) {
        cJSON_Delete(root);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (diags[i] && add_context(artifacts, results, rules, diags[i]) != BB_OK) {
            cJSON_Delete(root);
            return NULL;
        }
    }
    return root;
}

int bb_diags_print_sarif(bb_diags *const *diags, size_t n, FILE *out)
{
    cJSON *log = bb_diags_to_sarif(diags, n);
    char *text = log ? cJSON_Print(log) : NULL;
    cJSON_Delete(log);
    if (!text)
        return BB_ENOMEM;
    int ok = fputs(text, out) >= 0 && fputc('\n', out) != EOF;
    cJSON_free(text);
    return ok ? BB_OK : BB_EIO;
}
