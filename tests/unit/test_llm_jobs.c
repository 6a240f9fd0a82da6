/* test_llm_jobs.c - the job store behind model-assisted generation in the service. */
#include "testutil.h"

#include "server/jobs.h"

#include <cJSON.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(job_runs_in_the_background_and_keeps_its_result),
        cmocka_unit_test(failed_job_is_reported_as_failed),
        cmocka_unit_test(full_store_refuses_new_jobs),
        cmocka_unit_test(finished_jobs_expire_after_their_ttl),
        cmocka_unit_test(unknown_id_is_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
