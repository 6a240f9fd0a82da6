/*
 * test_advice.c - advice kept in the schema (front/advice.h): read, checked
 * (examples of every scalar type, text, indexes) and applied like user keys;
 * the design lints (front/lint.h) and their "allow" key; the patch that
 * adds accepted advice to a schema's text (pipeline/patch.h).
 */
#include "testutil.h"

#include "front/advice.h"
#include "front/lint.h"
#include "front/validate.h"
#include "pipeline/patch.h"
#include "json/jsoncheck.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

/* The front end over text; returns its result, diagnostics in *d. */
static int load(const char *text, bb_diags *d, bb_schema **s)
{
    bb_limits l = bb_limits_default();
    bb_diags_init(d, "t.json", text, strlen(text));
    return bb_frontend("t.json", text, strlen(text), &l, d, s);
}

static size_t count(const bb_diags *d, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += strcmp(d->items[i].code, code) == 0;
    return n;
}

static const char *message_of(const bb_diags *d, const char *code)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].code, code) == 0)
            return d->items[i].message;
    return "";
}

/* A one-table schema of every scalar type, with one advice entry. */
static char *typed(const char *advice)
{
    static char buf[4096];
    snprintf(
        buf, sizeof(buf),
        "{\"project_name\": \"t\", \"db_type\": \"sqlite\", \"allow\": [\"missing-timestamps\"],"
        " \"schema\": [{\"table_name\": \"things\", \"class_name\": \"Thing\", \"columns\": ["
        "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
        "{\"name\": \"ratio\", \"type\": \"Float\"},"
        "{\"name\": \"price\", \"type\": \"Numeric\", \"precision\": 6, \"scale\": 2,"
        " \"allow\": [\"money-as-float\"]},"
        "{\"name\": \"born_on\", \"type\": \"Date\"},"
        "{\"name\": \"seen_at\", \"type\": \"DateTime\"},"
        "{\"name\": \"opens\", \"type\": \"Time\"},"
        "{\"name\": \"ref\", \"type\": \"UUID\"},"
        "{\"name\": \"label\", \"type\": \"String\", \"length\": 8}],"
        " \"advice\": [%s]}]}",
        advice);
    return buf;
}

static bool example_fits(const char *column, const char *value)
{
    char entry[512];
    snprintf(entry, sizeof(entry),
             "{\"kind\": \"example\", \"column\": \"%s\", \"value\": \"%s\", "
             "\"proposed_by\": \"model\"}",
             column, value);
    bb_diags d;
    bb_schema *s = NULL;
    int rc = load(typed(entry), &d, &s);
    bool fits = rc == BB_OK && count(&d, "BB0920") == 0;
    if (!fits && rc != BB_EINVAL)
        fail_msg("unexpected result %d", rc);
    bb_schema_free(s);
    bb_diags_free(&d);
    return fits;
}

static void examples_must_be_values_of_the_column_type(void **state)
{
    (void)state;
    assert_true(example_fits("ratio", "0.25"));
    assert_true(example_fits("ratio", "-1.5e3"));
    assert_false(example_fits("ratio", "free"));
    assert_false(example_fits("ratio", "1e999"));
    assert_true(example_fits("price", "1234.50"));
    assert_false(example_fits("price", "12345.5")); /* 5 digits before the point, 4 allowed */
    assert_false(example_fits("price", "12.345"));  /* scale 2 */
    assert_false(example_fits("price", "12,50"));
    assert_true(example_fits("born_on", "2024-02-29"));
    assert_false(example_fits("born_on", "2023-02-29"));
    assert_false(example_fits("born_on", "yesterday"));
    assert_true(example_fits("seen_at", "2026-01-05T09:30:00"));
    assert_true(example_fits("seen_at", "2026-01-05 09:30:00.123+01:00"));
    assert_true(example_fits("seen_at", "2026-01-05T09:30Z"));
    assert_false(example_fits("seen_at", "2026-01-05"));
    assert_false(example_fits("seen_at", "2026-01-05T25:00:00"));
    assert_true(example_fits("opens", "08:30"));
    assert_true(example_fits("opens", "08:30:15"));
    assert_false(example_fits("opens", "8.30am"));
    assert_true(example_fits("ref", "123e4567-e89b-12d3-a456-426614174000"));
    assert_false(example_fits("ref", "123e4567e89b12d3a456426614174000"));
    assert_true(example_fits("label", "short"));
    assert_false(example_fits("label", "far too long"));
    assert_false(example_fits("id", "12a"));
}

static void kept_advice_is_applied_like_user_keys(void **state)
{
    (void)state;
    bb_diags d;
    bb_schema *s = NULL;
    assert_int_equal(
        load(typed("{\"kind\": \"docstring\", \"value\": \"A thing.\", \"proposed_by\": \"model\"},"
                   "{\"kind\": \"docstring\", \"column\": \"label\", \"value\": \"Its name.\","
                   " \"proposed_by\": \"model\"},"
                   "{\"kind\": \"index\", \"columns\": [\"seen_at\", \"label\"],"
                   " \"proposed_by\": \"model\"},"
                   "{\"kind\": \"filterable\", \"column\": \"ratio\", \"proposed_by\": \"model\"}"),
             &d, &s),
        BB_OK);
    const bb_table *t = &s->tables[0];
    assert_int_equal(t->n_advice, 4);
    assert_string_equal(t->description, "A thing.");
    assert_string_equal(t->columns[bb_table_column_index(t, "label")].description, "Its name.");
    assert_int_equal(t->n_indexes, 1);
    assert_string_equal(t->indexes[0].columns[1], "label");
    assert_string_equal(t->indexes[0].pointer, "/schema/0/advice/2");
    assert_true(t->columns[bb_table_column_index(t, "ratio")].index);
    bb_schema_free(s);
    bb_diags_free(&d);
}

static void kept_advice_that_does_not_fit_is_an_error(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"kind\": \"index\", \"columns\": [\"nope\"], \"proposed_by\": \"model\"}",
        "{\"kind\": \"index\", \"columns\": [\"id\"], \"proposed_by\": \"model\"}",
        "{\"kind\": \"route_path\", \"value\": \"/Things/\", \"proposed_by\": \"model\"}",
        "{\"kind\": \"docstring\", \"value\": \"Evil\\u202etext\", \"proposed_by\": \"model\"}",
        "{\"kind\": \"docstring\", \"value\": \"ends \\\"\\\"\\\" here\", \"proposed_by\": "
        "\"model\"}",
        "{\"kind\": \"searchable\", \"column\": \"ratio\", \"proposed_by\": \"model\"}",
        "{\"kind\": \"sortable\", \"column\": \"label\", \"proposed_by\": \"model\"},"
        "{\"kind\": \"sortable\", \"column\": \"label\", \"proposed_by\": \"model\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bb_diags d;
        bb_schema *s = NULL;
        assert_int_equal(load(typed(bad[i]), &d, &s), BB_EINVAL);
        assert_int_equal(count(&d, "BB0920"), 1);
        bb_schema_free(s);
        bb_diags_free(&d);
    }
}

static void advice_entries_are_marked_and_shaped(void **state)
{
    (void)state;
    bb_diags d;
    bb_schema *s = NULL;
    /* No marker, an unknown kind, an unknown key. */
    assert_int_equal(load(typed("{\"kind\": \"docstring\", \"value\": \"A thing.\"},"
                                "{\"kind\": \"rename\", \"proposed_by\": \"model\"},"
                                "{\"kind\": \"sortable\", \"column\": \"label\", \"why\": \"x\","
                                " \"proposed_by\": \"user\"}"),
                          &d, &s),
                     BB_EINVAL);
    assert_int_equal(count(&d, "BB0204"), 1); /* proposed_by missing */
    assert_int_equal(count(&d, "BB0203"), 2); /* rename, "user" */
    assert_int_equal(count(&d, "BB0205"), 1); /* why */
    bb_schema_free(s);
    bb_diags_free(&d);
}

static void hidden_characters_are_found(void **state)
{
    (void)state;
    assert_int_equal(bb_jsoncheck_hidden_at("plain\ttext\n"), (size_t)-1);
    assert_int_equal(bb_jsoncheck_hidden_at("ab\xe2\x80\xae"), 2);        /* U+202E */
    assert_int_equal(bb_jsoncheck_hidden_at("a\x1b[2J"), 1);              /* ESC */
    assert_int_equal(bb_jsoncheck_hidden_at("zero\xe2\x80\x8bwidth"), 4); /* U+200B */
    assert_int_equal(bb_jsoncheck_hidden_at("bad\xff"), 3);
}

/* ---- lints ------------------------------------------------------------------- */

static const char shop[] =
    "{\"project_name\": \"shop\", \"db_type\": \"postgresql\", %s\"schema\": [\n"
    " {\"table_name\": \"users\", \"class_name\": \"User\", %s\"columns\": [\n"
    "  {\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},\n"
    "  {\"name\": \"email\", \"type\": \"String\", \"length\": 200%s},\n"
    "  {\"name\": \"name\", \"type\": \"String\", \"length\": 80}]},\n"
    " {\"table_name\": \"orders\", \"class_name\": \"Order\",\n"
    "  \"options\": {\"use_timestamps\": true}, \"columns\": [\n"
    "  {\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},\n"
    "  {\"name\": \"user_id\", \"type\": \"ForeignKey\", \"target\": \"users.id\","
    "   \"nullable\": false, \"index\": false},\n"
    "  {\"name\": \"total_price\", \"type\": \"Float\", \"nullable\": false}]}]}\n";

static bb_diags lint_run(const char *doc_allow, const char *table_allow, const char *email_extra)
{
    static char text[4096];
    snprintf(text, sizeof(text), shop, doc_allow, table_allow, email_extra);
    bb_diags d;
    bb_schema *s = NULL;
    assert_int_equal(load(text, &d, &s), BB_OK);
    bb_schema_free(s);
    return d;
}

static void each_lint_reports_its_case(void **state)
{
    (void)state;
    bb_diags d = lint_run("", "", "");
    assert_int_equal(count(&d, "BB0480"), 1); /* orders.total_price */
    assert_non_null(strstr(message_of(&d, "BB0480"), "'orders.total_price'"));
    assert_int_equal(count(&d, "BB0481"), 1); /* users.email */
    assert_int_equal(count(&d, "BB0482"), 1); /* orders.user_id */
    assert_int_equal(count(&d, "BB0483"), 1); /* users */
    assert_int_equal(count(&d, "BB0484"), 2); /* users.email, users.name */
    assert_int_equal(d.n_warnings, 6);
    bb_diags_free(&d);
}

static void lints_are_silenced_by_allow_or_by_fixing(void **state)
{
    (void)state;
    bb_diags d = lint_run("\"allow\": [\"money-as-float\", \"BB0482\"], ",
                          "\"allow\": [\"missing-timestamps\", \"nullable-required\"], ",
                          ", \"unique\": true");
    assert_int_equal(d.n_warnings, 0);
    bb_diags_free(&d);
    d = lint_run("", "", ", \"allow\": [\"email-not-unique\"], \"nullable\": true");
    assert_int_equal(count(&d, "BB0481"), 0);
    assert_int_equal(count(&d, "BB0484"), 1); /* name only: email said nullable */
    bb_diags_free(&d);
}

static void an_unknown_lint_is_an_error(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof(text), shop, "\"allow\": [\"money-as-floats\"], ", "", "");
    bb_diags d;
    bb_schema *s = NULL;
    assert_int_equal(load(text, &d, &s), BB_EINVAL);
    assert_int_equal(count(&d, "BB0203"), 1);
    assert_int_equal(bb_lint_find("BB0483"), BB_LINT_MISSING_TIMESTAMPS);
    assert_string_equal(bb_lint_name(BB_LINT_FK_WITHOUT_INDEX), "fk-without-index");
    bb_schema_free(s);
    bb_diags_free(&d);
}

/* ---- the patch ---------------------------------------------------------------- */

static cJSON *accepted(const char *json)
{
    cJSON *a = cJSON_Parse(json);
    assert_non_null(a);
    return a;
}

static char *patched(const char *text, const char *acc)
{
    bb_diags d;
    bb_schema *s = NULL;
    assert_int_equal(load(text, &d, &s), BB_OK);
    cJSON *a = accepted(acc);
    bb_buf out;
    bb_buf_init(&out, 1 << 20);
    assert_int_equal(bb_patch_text(s, a, &out), BB_OK);
    char *copy = strdup(bb_buf_str(&out));
    /* The patched text is a valid schema again. */
    bb_schema *again = NULL;
    bb_diags d2;
    assert_int_equal(load(copy, &d2, &again), BB_OK);
    bb_schema_free(again);
    bb_diags_free(&d2);
    bb_buf_free(&out);
    cJSON_Delete(a);
    bb_schema_free(s);
    bb_diags_free(&d);
    return copy;
}

/* A table written one key a line, up to its columns' closing bracket. */
#define NOTES_COLUMNS                                                                              \
    "{\n"                                                                                          \
    "  \"project_name\": \"t\",\n"                                                                 \
    "  \"db_type\": \"sqlite\",\n"                                                                 \
    "  \"allow\": [\"missing-timestamps\"],\n"                                                     \
    "  \"schema\": [\n"                                                                            \
    "    {\n"                                                                                      \
    "      \"table_name\": \"notes\",\n"                                                           \
    "      \"class_name\": \"Note\",\n"                                                            \
    "      \"columns\": [\n"                                                                       \
    "        {\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},\n"                  \
    "        {\"name\": \"title\", \"type\": \"String\", \"nullable\": false}\n"                   \
    "      ]"

static void the_patch_keeps_the_file_and_adds_the_advice(void **state)
{
    (void)state;
    static const char multi[] = NOTES_COLUMNS "\n    }\n  ]\n}\n";
    char *out =
        patched(multi, "[{\"kind\": \"searchable\", \"table\": \"notes\", \"column\": "
                       "\"title\", \"source\": \"llm\"}, {\"kind\": \"route_path\", "
                       "\"table\": \"notes\", \"value\": \"/memos\", \"source\": \"llm\"}]");
    assert_string_equal(out,
                        NOTES_COLUMNS ",\n"
                                      "      \"advice\": [\n"
                                      "        {\"kind\": \"searchable\", \"column\": \"title\", "
                                      "\"proposed_by\": \"model\"},\n"
                                      "        {\"kind\": \"route_path\", \"value\": \"/memos\", "
                                      "\"proposed_by\": \"model\"}\n"
                                      "      ]\n"
                                      "    }\n"
                                      "  ]\n"
                                      "}\n");
    free(out);
    /* A table on one line gets its advice on that line; an existing list grows. */
    static const char compact[] =
        "{\"project_name\": \"t\", \"db_type\": \"sqlite\", \"allow\": [\"missing-timestamps\"],"
        " \"schema\": [{\"table_name\": \"notes\", \"class_name\": \"Note\", \"columns\": ["
        "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
        " {\"name\": \"n\", \"type\": \"Integer\"}]}, {\"table_name\": \"tags\", \"class_name\":"
        " \"Tag\", \"columns\": [{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
        " {\"name\": \"n\", \"type\": \"Integer\"}], \"advice\": [{\"kind\": \"sortable\","
        " \"column\": \"n\", \"proposed_by\": \"model\"}]}]}";
    out = patched(compact, "[{\"kind\": \"sortable\", \"table\": \"notes\", \"column\": \"n\"},"
                           " {\"kind\": \"filterable\", \"table\": \"tags\", \"column\": \"n\"}]");
    assert_non_null(strstr(out,
                           "{\"name\": \"n\", \"type\": \"Integer\"}], \"advice\": [{\"kind\": "
                           "\"sortable\", \"column\": \"n\", \"proposed_by\": \"model\"}]}, "
                           "{\"table_name\": \"tags\""));
    assert_non_null(strstr(out, "\"proposed_by\": \"model\"}, {\"kind\": \"filterable\", "
                                "\"column\": \"n\", \"proposed_by\": \"model\"}]}]}"));
    free(out);
}

static void the_json_patch_adds_a_key_or_items(void **state)
{
    (void)state;
    static const char text[] =
        "{\"project_name\": \"t\", \"db_type\": \"sqlite\", \"allow\": [\"missing-timestamps\"],"
        " \"schema\": [{\"table_name\": \"notes\", \"class_name\": \"Note\", \"columns\": ["
        "{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},"
        " {\"name\": \"n\", \"type\": \"Integer\"}], \"advice\": []}]}";
    bb_diags d;
    bb_schema *s = NULL;
    assert_int_equal(load(text, &d, &s), BB_OK);
    cJSON *a = accepted("[{\"kind\": \"sortable\", \"table\": \"notes\", \"column\": \"n\"}]");
    cJSON *patch = NULL;
    assert_int_equal(bb_patch_json(s, a, &patch), BB_OK);
    char *p = cJSON_PrintUnformatted(patch);
    assert_string_equal(p, "[{\"op\":\"add\",\"path\":\"/schema/0/advice/-\",\"value\":{\"kind\":"
                           "\"sortable\",\"column\":\"n\",\"proposed_by\":\"model\"}}]");
    cJSON_free(p);
    cJSON_Delete(patch);
    cJSON_Delete(a);
    bb_schema_free(s);
    bb_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(examples_must_be_values_of_the_column_type),
        cmocka_unit_test(kept_advice_is_applied_like_user_keys),
        cmocka_unit_test(kept_advice_that_does_not_fit_is_an_error),
        cmocka_unit_test(advice_entries_are_marked_and_shaped),
        cmocka_unit_test(hidden_characters_are_found),
        cmocka_unit_test(each_lint_reports_its_case),
        cmocka_unit_test(lints_are_silenced_by_allow_or_by_fixing),
        cmocka_unit_test(an_unknown_lint_is_an_error),
        cmocka_unit_test(the_patch_keeps_the_file_and_adds_the_advice),
        cmocka_unit_test(the_json_patch_adds_a_key_or_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
