/* test_metrics.c - the Prometheus registry and its text exposition. */
#include "testutil.h"

#include "server/metrics.h"

#include <string.h>

static char *render(bb_metrics *m)
{
    bb_buf b;
    bb_buf_init(&b, 1 << 20);
    assert_int_equal(bb_metrics_render(m, &b), BB_OK);
    return bb_buf_take(&b, NULL);
}

static void counters_add_up_per_label_set(void **state)
{
    (void)state;
    bb_metrics *m = bb_metrics_new();
    const char *ok[1] = {"valid"}, *bad[1] = {"invalid"};
    bb_metrics_add(m, BB_M_VALIDATIONS, ok, 1);
    bb_metrics_add(m, BB_M_VALIDATIONS, ok, 1);
    bb_metrics_add(m, BB_M_VALIDATIONS, bad, 1);
    assert_true(bb_metrics_value(m, BB_M_VALIDATIONS, ok) == 2);
    char *text = render(m);
    assert_non_null(strstr(text, "# TYPE backbone_validations_total counter\n"));
    assert_non_null(strstr(text, "backbone_validations_total{outcome=\"valid\"} 2\n"));
    assert_non_null(strstr(text, "backbone_validations_total{outcome=\"invalid\"} 1\n"));
    bb_free(text);
    bb_metrics_free(m);
}

static void request_updates_counter_duration_and_sizes(void **state)
{
    (void)state;
    bb_metrics *m = bb_metrics_new();
    bb_metrics_request(m, "/api/v1/validate", "POST", 200, 0.003, 2000, 100);
    bb_metrics_request(m, "/api/v1/validate", "POST", 422, 0.2, 3000, 5000);
    char *text = render(m);
    assert_non_null(strstr(text, "backbone_http_requests_total{route=\"/api/v1/"
                                 "validate\",method=\"POST\",status=\"200\"} 1\n"));
    assert_non_null(strstr(text, "backbone_http_requests_total{route=\"/api/v1/"
                                 "validate\",method=\"POST\",status=\"422\"} 1\n"));
    assert_non_null(strstr(
        text, "backbone_http_request_duration_seconds_count{route=\"/api/v1/validate\"} 2\n"));
    assert_non_null(
        strstr(text, "backbone_http_request_size_bytes_sum{route=\"/api/v1/validate\"} 5000\n"));
    assert_non_null(
        strstr(text, "backbone_http_response_size_bytes_sum{route=\"/api/v1/validate\"} 5100\n"));
    bb_free(text);
    bb_metrics_free(m);
}

static void invented_methods_are_counted_as_other(void **state)
{
    (void)state;
    bb_metrics *m = bb_metrics_new();
    for (int i = 0; i < 500; i++) {
        char method[16];
        snprintf(method, sizeof(method), "M%d", i);
        bb_metrics_request(m, "/health", method, 405, 0.001, 0, 100);
    }
    bb_metrics_request(m, "/health", "DELETE", 405, 0.001, 0, 100);
    char *text = render(m);
    assert_non_null(strstr(text, "backbone_http_requests_total{route=\"/health\",method=\"other\","
                                 "status=\"405\"} 500\n"));
    assert_non_null(strstr(text, "method=\"DELETE\""));
    assert_null(strstr(text, "method=\"M1\""));
    assert_null(strstr(text, "backbone_metrics_dropped_series_total 1"));
    bb_free(text);
    bb_metrics_free(m);
}

static void histogram_buckets_are_cumulative_and_end_in_inf(void **state)
{
    (void)state;
    bb_metrics *m = bb_metrics_new();
    const char *st[1] = {"generator"};
    bb_metrics_add(m, BB_M_STAGE_SECONDS, st, 0.0004);
    bb_metrics_add(m, BB_M_STAGE_SECONDS, st, 0.02);
    bb_metrics_add(m, BB_M_STAGE_SECONDS, st, 100);
    char *text = render(m);
    assert_non_null(strstr(text, "# TYPE backbone_pipeline_stage_duration_seconds histogram\n"));
    assert_non_null(strstr(
        text,
        "backbone_pipeline_stage_duration_seconds_bucket{stage=\"generator\",le=\"0.0005\"} 1\n"));
    assert_non_null(strstr(
        text,
        "backbone_pipeline_stage_duration_seconds_bucket{stage=\"generator\",le=\"0.025\"} 2\n"));
    assert_non_null(strstr(
        text,
        "backbone_pipeline_stage_duration_seconds_bucket{stage=\"generator\",le=\"10\"} 2\n"));
    assert_non_null(strstr(
        text,
        "backbone_pipeline_stage_duration_seconds_bucket{stage=\"generator\",le=\"+Inf\"} 3\n"));
    assert_non_null(
        strstr(text, "backbone_pipeline_stage_duration_seconds_count{stage=\"generator\"} 3\n"));
    bb_free(text);
    bb_metrics_free(m);
}

static void label_values_are_escaped(void **state)
{
    (void)state;
    bb_metrics *m = bb_metrics_new();
    const char *reason[1] = {"a\"b\\c\nd"};
    bb_metrics_add(m, BB_M_AUTH_FAILURES, reason, 1);
    char *text = render(m);
    assert_non_null(strstr(text, "backbone_auth_failures_total{reason=\"a\\\"b\\\\c\\nd\"} 1\n"));
    bb_free(text);
    bb_metrics_free(m);
}

static void unlabelled_families_show_zero_before_use(void **state)
{
    (void)state;
    bb_metrics *m = bb_metrics_new();
    char *text = render(m);
    assert_non_null(strstr(text, "backbone_generated_files_total 0\n"));
    assert_non_null(strstr(text, "# HELP backbone_generated_lines_total "));
    bb_free(text);
    bb_metrics_add(m, BB_M_FILES_GENERATED, NULL, 12);
    bb_metrics_set(m, BB_M_QUEUE_DEPTH, NULL, 3);
    text = render(m);
    assert_non_null(strstr(text, "backbone_generated_files_total 12\n"));
    assert_non_null(strstr(text, "backbone_worker_queue_depth 3\n"));
    bb_free(text);
    bb_metrics_free(m);
}

/* Every series names its replica, histograms' buckets and unlabelled
 * families included. */
static void the_instance_labels_every_series(void **state)
{
    (void)state;
    bb_metrics *m = bb_metrics_new();
    bb_metrics_set_instance(m, "replica-\"2\"");
    const char *ok[1] = {"valid"}, *stage[1] = {"generator"};
    bb_metrics_add(m, BB_M_VALIDATIONS, ok, 1);
    bb_metrics_add(m, BB_M_STAGE_SECONDS, stage, 0.01);
    char *text = render(m);
    assert_non_null(strstr(
        text, "backbone_validations_total{instance=\"replica-\\\"2\\\"\",outcome=\"valid\"} 1\n"));
    assert_non_null(strstr(text,
                           "backbone_pipeline_stage_duration_seconds_bucket{instance=\"replica-"
                           "\\\"2\\\"\",stage=\"generator\",le=\"+Inf\"} 1\n"));
    assert_non_null(
        strstr(text, "backbone_generated_files_total{instance=\"replica-\\\"2\\\"\"} 0\n"));
    for (const char *line = text; line; line = strchr(line + 1, '\n'))
        if (line[1] && line[1] != '#')
            assert_non_null(strstr(line + 1, "{instance="));
    bb_free(text);
    bb_buf b;
    bb_buf_init(&b, 256);
    assert_int_equal(bb_metrics_labels(m, &b), BB_OK);
    assert_string_equal(bb_buf_str(&b), "{instance=\"replica-\\\"2\\\"\"}");
    bb_buf_free(&b);
    bb_metrics_set_instance(m, NULL);
    text = render(m);
    assert_non_null(strstr(text, "backbone_validations_total{outcome=\"valid\"} 1\n"));
    bb_free(text);
    bb_metrics_free(m);
}

static void registry_full_drops_new_series_and_counts_them(void **state)
{
    (void)state;
    bb_metrics *m = bb_metrics_new();
    char v[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(v, sizeof(v), "r%d", i);
        const char *l[1] = {v};
        bb_metrics_add(m, BB_M_AUTH_FAILURES, l, 1);
    }
    assert_true(bb_metrics_value(m, BB_M_DROPPED_SERIES, NULL) == 0);
    char *text = render(m);
    assert_null(strstr(text, "backbone_metrics_dropped_series_total 0\n"));
    assert_non_null(strstr(text, "backbone_metrics_dropped_series_total "));
    bb_free(text);
    bb_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counters_add_up_per_label_set),
        cmocka_unit_test(request_updates_counter_duration_and_sizes),
        cmocka_unit_test(invented_methods_are_counted_as_other),
        cmocka_unit_test(histogram_buckets_are_cumulative_and_end_in_inf),
        cmocka_unit_test(label_values_are_escaped),
        cmocka_unit_test(unlabelled_families_show_zero_before_use),
        cmocka_unit_test(the_instance_labels_every_series),
        cmocka_unit_test(registry_full_drops_new_series_and_counts_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
