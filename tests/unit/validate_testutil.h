/*
 * validate_testutil.h - helpers of the front-end tests (test_validate,
 * test_ident, test_patterns, test_relations, test_compat; vt_schema_of also
 * for test_normalize and test_migrate): run the loader and the validator on
 * JSON text and find the diagnostics they report.
 *
 * Schemas in tests are written with single quotes, which vt_run() turns
 * into double quotes, so C strings stay readable; write \u0027 for a real
 * apostrophe inside a JSON string.
 */
#ifndef BB_VALIDATE_TESTUTIL_H
#define BB_VALIDATE_TESTUTIL_H

#include "testutil.h"

#include "diag/diag.h"
#include "front/schema.h"
#include "front/validate.h"

#include <string.h>

typedef struct vt {
    char *text; /* the JSON as run (double quotes) */
    size_t len;
    bb_diags d;
    bb_schema *s;
    int rc; /* of bb_frontend */
} vt;

static inline void vt_run_bytes(vt *t, const char *bytes, size_t len)
{
    t->text = malloc(len + 1);
    assert_non_null(t->text);
    memcpy(t->text, bytes, len);
    t->text[len] = '\0';
    t->len = len;
    bb_diags_init(&t->d, "test.json", t->text, len);
    t->s = NULL;
    t->rc = bb_frontend("test.json", t->text, len, NULL, &t->d, &t->s);
}

static inline void vt_run(vt *t, const char *json_single_quoted)
{
    size_t len = strlen(json_single_quoted);
    char *tmp = malloc(len + 1);
    assert_non_null(tmp);
    for (size_t i = 0; i <= len; i++)
        tmp[i] = json_single_quoted[i] == '\'' ? '"' : json_single_quoted[i];
    vt_run_bytes(t, tmp, len);
    free(tmp);
}

static inline void vt_free(vt *t)
{
    bb_schema_free(t->s);
    bb_diags_free(&t->d);
    free(t->text);
}

/* The first diagnostic with code, or NULL. */
static inline const bb_diag *vt_find(const vt *t, const char *code)
{
    for (size_t i = 0; i < t->d.n; i++)
        if (strcmp(t->d.items[i].code, code) == 0)
            return &t->d.items[i];
    return NULL;
}

static inline size_t vt_count(const vt *t, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < t->d.n; i++)
        n += strcmp(t->d.items[i].code, code) == 0;
    return n;
}

/* Prints every diagnostic, to see why a test failed. */
static inline void vt_dump(const vt *t)
{
    for (size_t i = 0; i < t->d.n; i++)
        print_message("  %s %s %s: %s\n", t->d.items[i].code, t->d.items[i].pointer,
                      bb_severity_name(t->d.items[i].severity), t->d.items[i].message);
}

/*
 * The 1-based line and column of the spot marked by '^' in needle, found in
 * the text (needle without its '^' must occur in it; single quotes in needle
 * stand for double quotes, as in the schema).
 */
static inline void vt_expected_position(const vt *t, const char *needle, int *line, int *col)
{
    char pat[512];
    size_t caret = (size_t)-1, n = 0;
    for (size_t i = 0; needle[i] && n + 1 < sizeof(pat); i++) {
        if (needle[i] == '^') {
            caret = n;
            continue;
        }
        pat[n++] = needle[i] == '\'' ? '"' : needle[i];
    }
    pat[n] = '\0';
    assert_true(caret != (size_t)-1);
    const char *at = strstr(t->text, pat);
    if (!at)
        print_error("needle \"%s\" not in the schema\n", pat);
    assert_non_null(at);
    size_t off = (size_t)(at - t->text) + caret;
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (t->text[i] == '\n') {
            ++*line;
            *col = 1;
        } else if (((unsigned char)t->text[i] & 0xC0) != 0x80) {
            ++*col;
        }
    }
}

/*
 * Runs json and asserts a diagnostic with code exists, at pointer, at the
 * position marked in needle, with the code's severity. Returns nothing: it
 * fails the test otherwise.
 */
static inline void vt_expect(const char *json, const char *code, bb_severity sev,
                             const char *pointer, const char *needle)
{
    vt t;
    vt_run(&t, json);
    const bb_diag *g = vt_find(&t, code);
    if (!g) {
        print_error("expected %s, got:\n", code);
        vt_dump(&t);
    }
    assert_non_null(g);
    assert_int_equal(g->severity, sev);
    assert_string_equal(g->pointer, pointer);
    int line, col, eline, ecol;
    bb_diags_position(&t.d, g->offset, &line, &col);
    vt_expected_position(&t, needle, &eline, &ecol);
    if (line != eline || col != ecol)
        print_error("%s at %d:%d, expected %d:%d\n", code, line, col, eline, ecol);
    assert_int_equal(line, eline);
    assert_int_equal(col, ecol);
    if (sev == BB_ERROR)
        assert_int_equal(t.rc, BB_EINVAL);
    vt_free(&t);
}

/* Runs json and asserts it is valid: no error at all. */
static inline void vt_expect_valid(const char *json)
{
    vt t;
    vt_run(&t, json);
    if (t.rc != BB_OK)
        vt_dump(&t);
    assert_int_equal(t.rc, BB_OK);
    assert_true(t.s->validated);
    vt_free(&t);
}

/* A one-table schema and pieces to build others from. */
#define VT_HEAD "{'project_name': 'p', 'db_type': 'postgresql', 'schema': [\n"
#define VT_TAIL "\n]}"
#define VT_USERS                                                                                   \
    "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"                                 \
    "  {'name': 'id', 'type': 'Integer', 'primary_key': true}]}"

/* The table named name of a loaded schema; fails the test if absent. */
static inline const bb_table *vt_table(const bb_schema *s, const char *name)
{
    int i = bb_schema_table_index(s, name);
    assert_true(i >= 0);
    return &s->tables[i];
}

/* The relationship of table `from` whose attribute is attr; fails if none. */
static inline const bb_relationship *vt_rel(const bb_schema *s, const char *from, const char *attr)
{
    const bb_table *t = vt_table(s, from);
    for (size_t i = 0; i < t->n_rels; i++)
        if (t->rels[i].attr_name && strcmp(t->rels[i].attr_name, attr) == 0)
            return &t->rels[i];
    print_error("%s has no relationship \"%s\"\n", from, attr);
    fail();
    return NULL;
}

/* The schema of valid JSON text (double quotes as written); a failing
 * front end prints its diagnostics and fails the test. */
static inline bb_schema *vt_schema_of(const char *text)
{
    bb_diags d;
    bb_diags_init(&d, "t.json", text, strlen(text));
    bb_schema *s = NULL;
    bb_limits lim = bb_limits_default();
    int rc = bb_frontend("t.json", text, strlen(text), &lim, &d, &s);
    if (rc != BB_OK)
        (void)bb_diags_print(&d, stderr, false);
    assert_int_equal(rc, BB_OK);
    bb_diags_free(&d);
    return s;
}

#endif
