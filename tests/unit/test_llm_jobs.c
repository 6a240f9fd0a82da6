/* test_llm_jobs.c - the job store behind model-assisted generation in the
 * service (owners, limits, deadlines, cancellation, retention), and
 * generation run as a job. */
#include "testutil.h"

#include "base/clock.h"
#include "server/generation.h"
#include "server/jobs.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bb_jobs *new_store(size_t running, size_t per_owner, size_t results, double ttl,
                          double timeout)
{
    bb_jobs_limits l = {running, per_owner, results, ttl, timeout};
    bb_jobs *js = bb_jobs_new(&l);
    assert_non_null(js);
    return js;
}

static int submit(bb_jobs *js, const char *owner, bb_job_fn fn, void *arg, void (*free_arg)(void *),
                  char id[BB_JOB_ID_LEN])
{
    bb_jobs_refusal why;
    return bb_jobs_submit(js, owner, fn, arg, free_arg, id, &why);
}

static int slow_echo(void *arg, const bb_job_ctx *ctx, bb_job_result *out)
{
    (void)ctx;
    usleep(50000);
    out->status = 200;
    out->body = bb_strdup(arg);
    out->len = strlen(arg);
    return out->body ? BB_OK : BB_ENOMEM;
}

static int failing(void *arg, const bb_job_ctx *ctx, bb_job_result *out)
{
    (void)arg, (void)ctx, (void)out;
    return BB_ENET;
}

/* Runs until told to stop (by cancel or deadline), as a model call does. */
static int until_stopped(void *arg, const bb_job_ctx *ctx, bb_job_result *out)
{
    (void)arg;
    while (!atomic_load(ctx->cancel) && (ctx->deadline <= 0 || bb_clock_seconds() < ctx->deadline))
        usleep(5000);
    out->status = 200;
    out->body = bb_strdup("{\"files\":1}");
    out->len = out->body ? strlen(out->body) : 0;
    return BB_OK;
}

/* Polls job id until it has finished (at most 3 s). */
static bb_job_state wait_done(bb_jobs *js, const char *id)
{
    bb_job_view v;
    for (int i = 0; i < 300; i++) {
        assert_int_equal(bb_jobs_get(js, id, NULL, &v), BB_OK);
        bb_job_state s = v.state;
        bb_job_view_free(&v);
        if (s >= BB_JOB_DONE)
            return s;
        usleep(10000);
    }
    fail_msg("job %s did not finish", id);
    return BB_JOB_FAILED;
}

static cJSON *status_of(bb_jobs *js, const char *id, const char *owner)
{
    char *json;
    assert_int_equal(bb_jobs_status_json(js, id, owner, &json), BB_OK);
    cJSON *o = cJSON_Parse(json);
    bb_free(json);
    assert_non_null(o);
    return o;
}

static void job_runs_in_the_background_and_keeps_its_result(void **state)
{
    (void)state;
    bb_jobs *js = new_store(4, 0, 16, 60, 0);
    char id[BB_JOB_ID_LEN];
    char *arg = bb_strdup("{\"files\":3}");
    assert_int_equal(submit(js, "key:a", slow_echo, arg, bb_free, id), BB_OK);
    assert_int_equal(strlen(id), 32);
    bb_job_view v;
    assert_int_equal(bb_jobs_get(js, id, "key:a", &v), BB_OK);
    assert_true(v.state == BB_JOB_QUEUED || v.state == BB_JOB_RUNNING);
    assert_null(v.body);
    bb_job_view_free(&v);
    assert_int_equal(wait_done(js, id), BB_JOB_DONE);
    cJSON *o = status_of(js, id, "key:a");
    assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring, "done");
    assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 200);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "result"), "files")->valueint, 3);
    cJSON_Delete(o);
    bb_jobs_free(js);
}

static void failed_job_is_reported_as_failed(void **state)
{
    (void)state;
    bb_jobs *js = new_store(4, 0, 16, 60, 0);
    char id[BB_JOB_ID_LEN];
    assert_int_equal(submit(js, "key:a", failing, NULL, NULL, id), BB_OK);
    assert_int_equal(wait_done(js, id), BB_JOB_FAILED);
    bb_jobs_free(js);
}

static void a_job_is_only_its_owners(void **state)
{
    (void)state;
    bb_jobs *js = new_store(4, 0, 16, 60, 0);
    char id[BB_JOB_ID_LEN];
    assert_int_equal(submit(js, "key:a", slow_echo, "{}", NULL, id), BB_OK);
    bb_job_view v;
    assert_int_equal(bb_jobs_get(js, id, "key:b", &v), BB_ENOTFOUND);
    char *json;
    assert_int_equal(bb_jobs_status_json(js, id, "jwt:a", &json), BB_ENOTFOUND);
    bool forgotten;
    assert_int_equal(bb_jobs_cancel(js, id, "key:b", &forgotten), BB_ENOTFOUND);
    assert_int_equal(wait_done(js, id), BB_JOB_DONE); /* not cancelled by another */
    bb_jobs_free(js);
}

static void running_jobs_are_capped_store_wide_and_per_owner(void **state)
{
    (void)state;
    bb_jobs *js = new_store(3, 2, 16, 60, 100);
    char a[BB_JOB_ID_LEN], b[BB_JOB_ID_LEN], c[BB_JOB_ID_LEN], d[BB_JOB_ID_LEN];
    assert_int_equal(submit(js, "key:a", until_stopped, NULL, NULL, a), BB_OK);
    assert_int_equal(submit(js, "key:a", until_stopped, NULL, NULL, b), BB_OK);
    bb_jobs_refusal why;
    assert_int_equal(bb_jobs_submit(js, "key:a", until_stopped, NULL, NULL, c, &why), BB_ELIMIT);
    assert_true(why.per_owner);
    /* Honest: a slot is sure to free when the first job's deadline passes. */
    assert_in_range(why.retry_after, 99, 100);
    assert_int_equal(submit(js, "key:b", until_stopped, NULL, NULL, c), BB_OK);
    assert_int_equal(bb_jobs_submit(js, "key:c", until_stopped, NULL, NULL, d, &why), BB_ELIMIT);
    assert_false(why.per_owner);
    assert_in_range(why.retry_after, 99, 100);
    assert_int_equal(bb_jobs_cancel_all(js), 3);
    assert_int_equal(bb_jobs_wait(js, bb_clock_seconds() + 5), 0);
    bb_jobs_free(js);
}

static void finished_results_never_block_new_work(void **state)
{
    (void)state;
    bb_jobs *js = new_store(1, 0, 2, 3600, 0);
    char ids[4][BB_JOB_ID_LEN];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(submit(js, "key:a", slow_echo, "{}", NULL, ids[i]), BB_OK);
        assert_int_equal(wait_done(js, ids[i]), BB_JOB_DONE);
    }
    /* Two results kept, the oldest ones forgotten. */
    assert_int_equal(bb_jobs_count(js), 2);
    bb_job_view v;
    assert_int_equal(bb_jobs_get(js, ids[0], NULL, &v), BB_ENOTFOUND);
    assert_int_equal(bb_jobs_get(js, ids[3], NULL, &v), BB_OK);
    bb_job_view_free(&v);
    bb_jobs_free(js);
}

static void a_job_past_its_deadline_is_cancelled(void **state)
{
    (void)state;
    bb_jobs *js = new_store(2, 0, 16, 60, 0.2);
    char id[BB_JOB_ID_LEN];
    assert_int_equal(submit(js, "key:a", until_stopped, NULL, NULL, id), BB_OK);
    assert_int_equal(wait_done(js, id), BB_JOB_CANCELLED);
    cJSON *o = status_of(js, id, "key:a");
    assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring, "cancelled");
    assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 504);
    cJSON *err = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "result"), "error");
    assert_string_equal(cJSON_GetObjectItem(err, "code")->valuestring, "cancelled");
    cJSON_Delete(o);
    bb_jobs_free(js);
}

static void the_owner_cancels_a_running_job_and_forgets_a_finished_one(void **state)
{
    (void)state;
    bb_jobs *js = new_store(2, 0, 16, 60, 0);
    char id[BB_JOB_ID_LEN];
    assert_int_equal(submit(js, "key:a", until_stopped, NULL, NULL, id), BB_OK);
    bool forgotten = true;
    assert_int_equal(bb_jobs_cancel(js, id, "key:a", &forgotten), BB_OK);
    assert_false(forgotten);
    assert_int_equal(wait_done(js, id), BB_JOB_CANCELLED);
    cJSON *o = status_of(js, id, "key:a");
    assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 499);
    cJSON_Delete(o);
    assert_int_equal(bb_jobs_cancel(js, id, "key:a", &forgotten), BB_OK);
    assert_true(forgotten);
    bb_job_view v;
    assert_int_equal(bb_jobs_get(js, id, "key:a", &v), BB_ENOTFOUND);
    bb_jobs_free(js);
}

static void finished_jobs_expire_after_their_ttl(void **state)
{
    (void)state;
    bb_jobs *js = new_store(1, 0, 16, 0.2, 0);
    char id[BB_JOB_ID_LEN], id2[BB_JOB_ID_LEN];
    assert_int_equal(submit(js, "key:a", slow_echo, "x", NULL, id), BB_OK);
    assert_int_equal(wait_done(js, id), BB_JOB_DONE);
    usleep(1100000); /* time() has a one-second grain */
    bb_job_view v;
    assert_int_equal(bb_jobs_get(js, id, NULL, &v), BB_ENOTFOUND);
    assert_int_equal(bb_jobs_count(js), 0);
    assert_int_equal(submit(js, "key:a", slow_echo, "y", NULL, id2), BB_OK);
    bb_jobs_free(js);
}

static void unknown_id_is_not_found(void **state)
{
    (void)state;
    bb_jobs *js = new_store(1, 0, 1, 1, 0);
    bb_job_view v;
    assert_int_equal(bb_jobs_get(js, "0123", NULL, &v), BB_ENOTFOUND);
    char *json;
    assert_int_equal(bb_jobs_status_json(js, "../etc", NULL, &json), BB_ENOTFOUND);
    bb_jobs_free(js);
}

static atomic_int finished_runs, freed_args;

static int slow_mark(void *arg, const bb_job_ctx *ctx, bb_job_result *out)
{
    (void)arg, (void)ctx;
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
    bb_jobs *js = new_store(2, 0, 16, 60, 0);
    char id[BB_JOB_ID_LEN];
    assert_int_equal(submit(js, "key:a", slow_mark, NULL, NULL, id), BB_OK);
    cJSON *o = status_of(js, id, "key:a");
    assert_string_equal(cJSON_GetObjectItem(o, "id")->valuestring, id);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "finished_at")));
    assert_true(cJSON_GetObjectItem(o, "created_at")->valuedouble > 0);
    assert_null(cJSON_GetObjectItem(o, "result"));
    assert_null(cJSON_GetObjectItem(o, "status"));
    cJSON_Delete(o);
    bb_jobs_free(js);
}

static void freeing_the_store_waits_for_running_jobs_and_frees_their_arguments(void **state)
{
    (void)state;
    atomic_store(&finished_runs, 0);
    atomic_store(&freed_args, 0);
    bb_jobs *js = new_store(4, 0, 16, 60, 0);
    char id[BB_JOB_ID_LEN];
    for (int i = 0; i < 3; i++)
        assert_int_equal(submit(js, "key:a", slow_mark, NULL, count_free, id), BB_OK);
    bb_jobs_free(js);
    assert_int_equal(atomic_load(&finished_runs), 3);
    assert_int_equal(atomic_load(&freed_args), 3);
}

static void ids_are_distinct_among_many_jobs(void **state)
{
    (void)state;
    enum { N = 64 };
    bb_jobs *js = new_store(N, 0, N, 60, 0);
    static char ids[N][BB_JOB_ID_LEN];
    for (int i = 0; i < N; i++)
        assert_int_equal(submit(js, "key:a", slow_echo, "x", NULL, ids[i]), BB_OK);
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
    bb_jobs *js = new_store(2, 0, 16, 60, 600);
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
    bb_jobs_refusal why;
    assert_int_equal(bb_generation_submit(js, "key:a", &g, id, &why), BB_OK);
    cJSON *status = NULL;
    for (int i = 0; i < 1000 && !status; i++) {
        char *json;
        assert_int_equal(bb_jobs_status_json(js, id, "key:a", &json), BB_OK);
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

/* A loopback port that takes connections and never answers; its fd. */
static int silent_listener(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 8), 0);
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void generation_job_stops_its_model_calls_when_cancelled(void **state)
{
    (void)state;
    unsigned port;
    int fd = silent_listener(&port);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
    setenv("BACKBONE_LLM_BASE_URL", url, 1); /* the model never answers */
    bb_jobs *js = new_store(2, 0, 16, 60, 600);
    bb_generation g;
    memset(&g, 0, sizeof(g));
    g.in.body = small_schema;
    g.in.len = strlen(small_schema);
    g.in.schema_len = g.in.len;
    g.request_id = "req-2";
    g.max_answer = 64 << 20;
    bb_pipeline_opts_default(&g.opts);
    g.opts.llm = BB_LLM_ADVISE;
    g.opts.python = "";
    char id[BB_JOB_ID_LEN];
    bb_jobs_refusal why;
    assert_int_equal(bb_generation_submit(js, "key:a", &g, id, &why), BB_OK);
    usleep(300000); /* its first model call is waiting */
    double t0 = bb_clock_seconds();
    bool forgotten;
    assert_int_equal(bb_jobs_cancel(js, id, "key:a", &forgotten), BB_OK);
    assert_int_equal(bb_jobs_wait(js, t0 + 10), 0);
    assert_true(bb_clock_seconds() - t0 < 5);
    assert_int_equal(wait_done(js, id), BB_JOB_CANCELLED);
    bb_jobs_free(js);
    close(fd);
    unsetenv("BACKBONE_LLM_BASE_URL");
}

/* ---- a job's input as Redis keeps it ------------------------------------ */

static void encoded_job_keeps_its_input_request_id_and_trace(void **state)
{
    (void)state;
    static const char body[] = "{\"schema\": {\"project_name\": \"x\"}}";
    bb_generation g;
    memset(&g, 0, sizeof(g));
    g.in.body = body;
    g.in.len = sizeof(body) - 1;
    g.in.schema_at = 11;
    g.in.schema_len = g.in.len - 12;
    g.in.strict = true;
    g.in.llm = BB_LLM_OFF;
    g.in.style = "sa2";
    g.request_id = "req-7";
    bb_trace_ctx sent;
    assert_true(bb_trace_parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", &sent));
    bb_trace_scope outer = bb_trace_enter(&sent, "req-7");
    bb_buf out;
    bb_buf_init(&out, 4096);
    assert_int_equal(bb_generation_encode(&g, &out), BB_OK);
    bb_trace_leave(outer);
    bb_input in;
    bb_job_origin origin;
    assert_int_equal(bb_generation_decode(out.data, out.len, &in, &origin), BB_OK);
    assert_int_equal(in.len, g.in.len);
    assert_memory_equal(in.body, body, in.len);
    assert_int_equal(in.schema_at, 11);
    assert_int_equal(in.schema_len, g.in.schema_len);
    assert_true(in.strict);
    assert_string_equal(in.style, "sa2");
    assert_string_equal(origin.request_id, "req-7");
    assert_true(origin.traced);
    assert_memory_equal(origin.trace.trace_id, sent.trace_id, sizeof(sent.trace_id));
    assert_memory_equal(origin.trace.span_id, sent.span_id, sizeof(sent.span_id));
    bb_buf_free(&out);

    /* Without a trace; and as a replica of an earlier release queued it. */
    bb_buf_init(&out, 4096);
    assert_int_equal(bb_generation_encode(&g, &out), BB_OK);
    assert_int_equal(bb_generation_decode(out.data, out.len, &in, &origin), BB_OK);
    assert_false(origin.traced);
    assert_string_equal(origin.request_id, "req-7");
    bb_buf_free(&out);
    static const char old[] = "BB1 0 2 0 0 req-1\n{}";
    assert_int_equal(bb_generation_decode(old, sizeof(old) - 1, &in, &origin), BB_OK);
    assert_null(in.style); /* classic */
    assert_false(origin.traced);
    assert_string_equal(origin.request_id, "req-1");
    assert_int_equal(in.schema_len, 2);
    static const char bad_trace[] = "BB2 0 2 0 0 classic 00-zz req-1\n{}";
    assert_int_equal(bb_generation_decode(bad_trace, sizeof(bad_trace) - 1, &in, &origin),
                     BB_EINVAL);
    static const char bad_style[] = "BB2 0 2 0 0 sa3 - req-1\n{}";
    assert_int_equal(bb_generation_decode(bad_style, sizeof(bad_style) - 1, &in, &origin),
                     BB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(job_runs_in_the_background_and_keeps_its_result),
        cmocka_unit_test(failed_job_is_reported_as_failed),
        cmocka_unit_test(a_job_is_only_its_owners),
        cmocka_unit_test(running_jobs_are_capped_store_wide_and_per_owner),
        cmocka_unit_test(finished_results_never_block_new_work),
        cmocka_unit_test(a_job_past_its_deadline_is_cancelled),
        cmocka_unit_test(the_owner_cancels_a_running_job_and_forgets_a_finished_one),
        cmocka_unit_test(finished_jobs_expire_after_their_ttl),
        cmocka_unit_test(unknown_id_is_not_found),
        cmocka_unit_test(a_running_job_shows_no_result_yet),
        cmocka_unit_test(freeing_the_store_waits_for_running_jobs_and_frees_their_arguments),
        cmocka_unit_test(ids_are_distinct_among_many_jobs),
        cmocka_unit_test(generation_job_falls_back_when_the_model_is_unreachable),
        cmocka_unit_test(generation_job_of_an_invalid_schema_answers_like_a_request),
        cmocka_unit_test(generation_job_counts_positions_in_the_wrapped_body),
        cmocka_unit_test(generation_job_stops_its_model_calls_when_cancelled),
        cmocka_unit_test(encoded_job_keeps_its_input_request_id_and_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
