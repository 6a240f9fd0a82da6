/* test_llm_jobs.c - the job store behind model-assisted generation in the
 * service, and generation run as a job. */
#include "testutil.h"

#include "server/generation.h"
#include "server/jobs.h"

#include <cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static int slow_echo(void *arg, bb_job_result *out)
{
    usleep(50000);
    out->status = 200;
    out->body = bb_strdup(arg);
    out->len = strlen(arg);
    return out->body ? BB_OK : BB_ENOMEM;
}

static int failing(void *arg, bb_job_result *out)
{
    (void)arg;
    (void)out;
    return BB_ENET;
}

/* Polls job id until it has finished (at most 2 s). */
static bb_job_state wait_done(bb_jobs *js, const char *id)
{
    bb_job_view v;
    for (int i = 0; i < 200; i++) {
        assert_int_equal(bb_jobs_get(js, id, &v), BB_OK);
        bb_job_state s = v.state;
        bb_job_view_free(&v);
        if (s == BB_JOB_DONE || s == BB_JOB_FAILED)
            return s;
        usleep(10000);
    }
    fail_msg("job %s did not finish", id);
    return BB_JOB_FAILED;
}

static void job_runs_in_the_background_and_keeps_its_result(void **state)
{
    (void)state;
    bb_jobs *js = bb_jobs_new(4, 60);
    char id[BB_JOB_ID_LEN];
    char *arg = bb_strdup("{\"files\":3}");
    assert_int_equal(bb_jobs_submit(js, slow_echo, arg, bb_free, id), BB_OK);
    assert_int_equal(strlen(id), 32);
    bb_job_view v;
    assert_int_equal(bb_jobs_get(js, id, &v), BB_OK);
    assert_true(v.state == BB_JOB_QUEUED || v.state == BB_JOB_RUNNING);
    assert_null(v.body);
    bb_job_view_free(&v);
    assert_int_equal(wait_done(js, id), BB_JOB_DONE);
    char *json;
    assert_int_equal(bb_jobs_status_json(js, id, &json), BB_OK);
    cJSON *o = cJSON_Parse(json);
    assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring, "done");
    assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 200);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "result"), "files")->valueint, 3);
    cJSON_Delete(o);
    bb_free(json);
    bb_jobs_free(js);
}

static void failed_job_is_reported_as_failed(void **state)
{
    (void)state;
    bb_jobs *js = bb_jobs_new(4, 60);
    char id[BB_JOB_ID_LEN];
    assert_int_equal(bb_jobs_submit(js, failing, NULL, NULL, id), BB_OK);
    assert_int_equal(wait_done(js, id), BB_JOB_FAILED);
    bb_jobs_free(js);
}

static void full_store_refuses_new_jobs(void **state)
{
    (void)state;
    bb_jobs *js = bb_jobs_new(2, 60);
    char a[BB_JOB_ID_LEN], b[BB_JOB_ID_LEN], c[BB_JOB_ID_LEN];
    assert_int_equal(bb_jobs_submit(js, slow_echo, "1", NULL, a), BB_OK);
    assert_int_equal(bb_jobs_submit(js, slow_echo, "2", NULL, b), BB_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(bb_jobs_submit(js, slow_echo, "3", NULL, c), BB_ELIMIT);
    assert_int_equal(bb_jobs_count(js), 2);
    bb_jobs_free(js); /* waits for both */
}

static void finished_jobs_expire_after_their_ttl(void **state)
{
    (void)state;
    bb_jobs *js = bb_jobs_new(1, 0.2);
    char id[BB_JOB_ID_LEN], id2[BB_JOB_ID_LEN];
    assert_int_equal(bb_jobs_submit(js, slow_echo, "x", NULL, id), BB_OK);
    assert_int_equal(wait_done(js, id), BB_JOB_DONE);
    usleep(1100000); /* time() has a one-second grain */
    bb_job_view v;
    assert_int_equal(bb_jobs_get(js, id, &v), BB_ENOTFOUND);
    assert_int_equal(bb_jobs_count(js), 0);
    /* The slot is free again. */
    assert_int_equal(bb_jobs_submit(js, slow_echo, "y", NULL, id2), BB_OK);
    bb_jobs_free(js);
}

static void unknown_id_is_not_found(void **state)
{
    (void)state;
    bb_jobs *js = bb_jobs_new(1, 1);
    bb_job_view v;
    assert_int_equal(bb_jobs_get(js, "0123", &v), BB_ENOTFOUND);
    char *json;
    assert_int_equal(bb_jobs_status_json(js, "../etc", &json), BB_ENOTFOUND);
    bb_jobs_free(js);
}

static atomic_int finished_runs, freed_args;

static int slow_mark(void *arg, bb_job_result *out)
{
    (void)arg;
    usleep(100000);
    out->status = 200;
    out->body = bb_strdup("{}");
    out->len = 2;
    atomic_fetch_add(&finished_runs, 1);
    return BB_OK;
}

static void count_free(void *arg)
{
    (void)arg;
    atomic_fetch_add(&freed_args, 1);
}

static void a_running_job_shows_no_result_yet(void **state)
{
    (void)state;
    bb_jobs *js = bb_jobs_new(2, 60);
    char id[BB_JOB_ID_LEN];
    assert_int_equal(bb_jobs_submit(js, slow_mark, NULL, NULL, id), BB_OK);
    char *json;
    assert_int_equal(bb_jobs_status_json(js, id, &json), BB_OK);
    cJSON *o = cJSON_Parse(json);
    assert_string_equal(cJSON_GetObjectItem(o, "id")->valuestring, id);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "finished_at")));
    assert_true(cJSON_GetObjectItem(o, "created_at")->valuedouble > 0);
    assert_null(cJSON_GetObjectItem(o, "result"));
    assert_null(cJSON_GetObjectItem(o, "status"));
    cJSON_Delete(o);
    bb_free(json);
    bb_jobs_free(js);
}

static void freeing_the_store_waits_for_running_jobs_and_frees_their_arguments(void **state)
{
    (void)state;
    atomic_store(&finished_runs, 0);
    atomic_store(&freed_args, 0);
    bb_jobs *js = bb_jobs_new(4, 60);
    char id[BB_JOB_ID_LEN];
    for (int i = 0; i < 3; i++)
        assert_int_equal(bb_jobs_submit(js, slow_mark, NULL, count_free, id), BB_OK);
    bb_jobs_free(js);
    assert_int_equal(atomic_load(&finished_runs), 3);
    assert_int_equal(atomic_load(&freed_args), 3);
}

static void ids_are_distinct_among_many_jobs(void **state)
{
    (void)state;
    enum { N = 64 };
    bb_jobs *js = bb_jobs_new(N, 60);
    static char ids[N][BB_JOB_ID_LEN];
    for (int i = 0; i < N; i++)
        assert_int_equal(bb_jobs_submit(js, slow_echo, "x", NULL, ids[i]), BB_OK);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            assert_string_not_equal(ids[i], ids[j]);
    assert_int_equal(bb_jobs_count(js), N);
    bb_jobs_free(js);
}

/* ---- generation as a job ------------------------------------------------ */

static const char small_schema[] =
    "{\"project_name\": \"clinic\", \"db_type\": \"sqlite\", \"schema\": [\n"
    " {\"table_name\": \"patients\", \"class_name\": \"Patient\", \"columns\": [\n"
    "  {\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true},\n"
    "  {\"name\": \"name\", \"type\": \"String\", \"length\": 100, \"nullable\": false}]}]}";

/* Runs body (wrapped or not: schema_at, schema_len) as a generation job to
 * its end and returns its status JSON. */
static cJSON *run_generation_job(const char *body, size_t schema_at, size_t schema_len,
                                 bb_llm_mode llm)
{
    bb_jobs *js = bb_jobs_new(2, 60);
    bb_generation g;
    memset(&g, 0, sizeof(g));
    g.in.body = body;
    g.in.len = strlen(body);
    g.in.schema_at = schema_at;
    g.in.schema_len = schema_len;
    g.request_id = "req-1";
    g.max_answer = 64 << 20;
    bb_pipeline_opts_default(&g.opts);
    g.opts.llm = llm;
    g.opts.python = ""; /* the built-in check: no process per test */
    char id[BB_JOB_ID_LEN];
    assert_int_equal(bb_generation_submit(js, &g, id), BB_OK);
    cJSON *status = NULL;
    for (int i = 0; i < 1000 && !status; i++) {
        char *json;
        assert_int_equal(bb_jobs_status_json(js, id, &json), BB_OK);
        cJSON *o = cJSON_Parse(json);
        bb_free(json);
        const char *st = cJSON_GetObjectItem(o, "state")->valuestring;
        if (strcmp(st, "done") == 0 || strcmp(st, "failed") == 0)
            status = o;
        else
            cJSON_Delete(o), usleep(10000);
    }
    assert_non_null(status);
    bb_jobs_free(js);
    return status;
}

static bool has_code(const cJSON *diagnostics, const char *code)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, diagnostics)
    {
        if (strcmp(cJSON_GetObjectItem(d, "code")->valuestring, code) == 0)
            return true;
    }
    return false;
}

static void generation_job_falls_back_when_the_model_is_unreachable(void **state)
{
    (void)state;
    setenv("BACKBONE_LLM_BASE_URL", "http://127.0.0.1:9", 1); /* nobody listens */
    setenv("BACKBONE_LLM_MAX_ATTEMPTS", "1", 1);
    cJSON *o = run_generation_job(small_schema, 0, strlen(small_schema), BB_LLM_ADVISE);
    assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring, "done");
    assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 200);
    cJSON *result = cJSON_GetObjectItem(o, "result");
    assert_true(has_code(cJSON_GetObjectItem(result, "diagnostics"), "BB0901"));
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(result, "files")) > 5);
    /* The same summary as a direct generation, and the model's figures. */
    cJSON *summary = cJSON_GetObjectItem(result, "summary");
    assert_string_equal(cJSON_GetObjectItem(summary, "project_name")->valuestring, "clinic");
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(summary, "stages")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(result, "llm")));
    cJSON_Delete(o);
    unsetenv("BACKBONE_LLM_BASE_URL");
    unsetenv("BACKBONE_LLM_MAX_ATTEMPTS");
}

static void generation_job_of_an_invalid_schema_answers_like_a_request(void **state)
{
    (void)state;
    const char *body = "{\"project_name\": 1}";
    cJSON *o = run_generation_job(body, 0, strlen(body), BB_LLM_OFF);
    assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring, "done");
    assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 422);
    cJSON *result = cJSON_GetObjectItem(o, "result");
    cJSON *err = cJSON_GetObjectItem(result, "error");
    assert_string_equal(cJSON_GetObjectItem(err, "code")->valuestring, "invalid_schema");
    assert_string_equal(cJSON_GetObjectItem(err, "request_id")->valuestring, "req-1");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(result, "valid")));
    cJSON_Delete(o);
}

static void generation_job_counts_positions_in_the_wrapped_body(void **state)
{
    (void)state;
    const char *body =
        "{\"options\": {},\n \"schema\": {\"project_name\": \"x\",\n \"db_type\": ,}}";
    size_t at = (size_t)(strstr(body, "\"schema\": ") - body) + 10;
    cJSON *o = run_generation_job(body, at, strlen(body) - at - 1, BB_LLM_OFF);
    assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 400);
    cJSON *err = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "result"), "error");
    assert_string_equal(cJSON_GetObjectItem(err, "code")->valuestring, "malformed_json");
    assert_int_equal(cJSON_GetObjectItem(err, "line")->valueint, 3);
    cJSON_Delete(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(job_runs_in_the_background_and_keeps_its_result),
        cmocka_unit_test(failed_job_is_reported_as_failed),
        cmocka_unit_test(full_store_refuses_new_jobs),
        cmocka_unit_test(finished_jobs_expire_after_their_ttl),
        cmocka_unit_test(unknown_id_is_not_found),
        cmocka_unit_test(a_running_job_shows_no_result_yet),
        cmocka_unit_test(freeing_the_store_waits_for_running_jobs_and_frees_their_arguments),
        cmocka_unit_test(ids_are_distinct_among_many_jobs),
        cmocka_unit_test(generation_job_falls_back_when_the_model_is_unreachable),
        cmocka_unit_test(generation_job_of_an_invalid_schema_answers_like_a_request),
        cmocka_unit_test(generation_job_counts_positions_in_the_wrapped_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
