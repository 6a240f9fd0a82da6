/* test_otlp.c - the OTLP/JSON body of spans, and the exporter's queue,
 * which drops rather than waits. (tests/integration/otlp.sh sends to a
 * scripted collector.) */
#include "testutil.h"

#include "base/clock.h"
#include "server/otlp.h"

#include <cJSON.h>
#include <string.h>

static const char *attr_value(const cJSON *attrs, const char *key, const char *type)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, attrs)
    {
        if (strcmp(cJSON_GetObjectItem(a, "key")->valuestring, key) == 0)
            return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "value"), type));
    }
    return NULL;
}

static void spans_are_encoded_as_otlp_json(void **state)
{
    (void)state;
    bb_trace_ctx parent;
    assert_true(bb_trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &parent));
    bb_span s[2];
    bb_span_start(&s[0], "POST /api/v1/validate", BB_SPAN_SERVER, &parent);
    bb_span_str(&s[0], "http.route", "/api/v1/\"validate\"");
    bb_span_int(&s[0], "http.response.status_code", 200);
    bb_span_end(&s[0]);
    bb_span_start(&s[1], "root", BB_SPAN_INTERNAL, NULL);
    s[1].error = true;
    bb_span_end(&s[1]);
    bb_otlp_config c = {.endpoint = "http://127.0.0.1:1", .instance = "r1"};
    bb_buf b;
    bb_buf_init(&b, 1 << 20);
    assert_int_equal(bb_otlp_encode(&c, s, 2, &b), BB_OK);
    cJSON *j = cJSON_Parse(bb_buf_str(&b));
    assert_non_null(j);
    const cJSON *rs = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "resourceSpans"), 0);
    const cJSON *res = cJSON_GetObjectItem(cJSON_GetObjectItem(rs, "resource"), "attributes");
    assert_string_equal(attr_value(res, "service.name", "stringValue"), "backbone");
    assert_string_equal(attr_value(res, "service.instance.id", "stringValue"), "r1");
    const cJSON *ss = cJSON_GetArrayItem(cJSON_GetObjectItem(rs, "scopeSpans"), 0);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(ss, "scope"), "name")->valuestring,
                        "backbone");
    const cJSON *spans = cJSON_GetObjectItem(ss, "spans");
    assert_int_equal(cJSON_GetArraySize(spans), 2);
    const cJSON *a = cJSON_GetArrayItem(spans, 0);
    assert_string_equal(cJSON_GetObjectItem(a, "traceId")->valuestring,
                        "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(cJSON_GetObjectItem(a, "parentSpanId")->valuestring, "00f067aa0ba902b7");
    assert_int_equal(strlen(cJSON_GetObjectItem(a, "spanId")->valuestring), 16);
    assert_int_equal(cJSON_GetObjectItem(a, "kind")->valueint, 2);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(a, "startTimeUnixNano")));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(a, "endTimeUnixNano")));
    const cJSON *attrs = cJSON_GetObjectItem(a, "attributes");
    assert_string_equal(attr_value(attrs, "http.route", "stringValue"), "/api/v1/\"validate\"");
    assert_string_equal(attr_value(attrs, "http.response.status_code", "intValue"), "200");
    assert_null(cJSON_GetObjectItem(a, "status"));
    const cJSON *root = cJSON_GetArrayItem(spans, 1);
    assert_null(cJSON_GetObjectItem(root, "parentSpanId"));
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "status"), "code")->valueint, 2);
    cJSON_Delete(j);
    bb_buf_free(&b);
}

static void only_http_urls_and_one_exporter(void **state)
{
    (void)state;
    bb_otlp *o = NULL, *second = NULL;
    bb_otlp_config bad = {.endpoint = "file:///etc/passwd"};
    assert_int_equal(bb_otlp_start(&bad, &o), BB_EUSAGE);
    assert_null(o);
    bb_otlp_config c = {.endpoint = "http://127.0.0.1:9/"};
    assert_int_equal(bb_otlp_start(&c, &o), BB_OK);
    assert_int_equal(bb_otlp_start(&c, &second), BB_ESTATE);
    bb_otlp_stop(o, bb_clock_seconds() + 5);
    assert_int_equal(bb_otlp_start(&c, &o), BB_OK); /* free again once stopped */
    bb_otlp_stop(o, bb_clock_seconds() + 5);
}

static void make_spans(int n)
{
    for (int i = 0; i < n; i++) {
        bb_span s;
        bb_span_start(&s, "work", BB_SPAN_INTERNAL, NULL);
        bb_span_end(&s);
    }
}

/* Nobody listens on port 9: every batch fails. A full queue drops spans at
 * once; making them never waits for the collector. */
static void a_full_queue_drops_instead_of_waiting(void **state)
{
    (void)state;
    bb_otlp *o = NULL;
    bb_otlp_config c = {.endpoint = "http://127.0.0.1:9", .max_queue = 8, .interval_ms = 60000};
    assert_int_equal(bb_otlp_start(&c, &o), BB_OK);
    double t0 = bb_clock_seconds();
    make_spans(1000);
    assert_true(bb_clock_seconds() - t0 < 1.0);
    bb_otlp_stop(o, bb_clock_seconds() + 5);
    bb_otlp_stats st;
    bb_otlp_stats_get(NULL, &st); /* no exporter: zeros */
    assert_int_equal(st.dropped + st.exported, 0);
}

static void stats_count_what_was_lost(void **state)
{
    (void)state;
    bb_otlp *o = NULL;
    bb_otlp_config c = {.endpoint = "http://127.0.0.1:9", .max_queue = 4, .interval_ms = 60000};
    assert_int_equal(bb_otlp_start(&c, &o), BB_OK);
    make_spans(10);
    /* At most a queue's worth waits for the next batch; the rest were
     * refused at the door or lost with a batch nobody took. */
    bb_otlp_stats st;
    double until = bb_clock_seconds() + 10;
    do
        bb_otlp_stats_get(o, &st);
    while (st.dropped < 6 && bb_clock_seconds() < until);
    assert_true(st.dropped >= 6);
    assert_int_equal(st.exported, 0);
    bb_otlp_stop(o, bb_clock_seconds() + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spans_are_encoded_as_otlp_json),
        cmocka_unit_test(only_http_urls_and_one_exporter),
        cmocka_unit_test(a_full_queue_drops_instead_of_waiting),
        cmocka_unit_test(stats_count_what_was_lost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
