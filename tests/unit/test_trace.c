/* test_trace.c - W3C traceparent reading and writing, ids, the thread's
 * scope and spans. */
#include "testutil.h"

#include "base/hex.h"
#include "base/trace.h"

#include <string.h>

#define VALID "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static bool parses(const char *value)
{
    bb_trace_ctx c;
    return bb_trace_parse(value, &c);
}

static void a_valid_header_is_read_field_by_field(void **state)
{
    (void)state;
    bb_trace_ctx c;
    assert_true(bb_trace_parse(VALID, &c));
    char hex[33];
    bb_hex_encode(c.trace_id, 16, hex);
    assert_string_equal(hex, "4bf92f3577b34da6a3ce929d0e0e4736");
    bb_hex_encode(c.span_id, 8, hex);
    assert_string_equal(hex, "00f067aa0ba902b7");
    assert_int_equal(c.flags, 1);
    char back[BB_TRACEPARENT_LEN + 1];
    bb_trace_format(&c, back);
    assert_string_equal(back, VALID);
    assert_true(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
    assert_true(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff"));
}

static void malformed_headers_are_refused(void **state)
{
    (void)state;
    assert_false(parses(NULL));
    assert_false(parses(""));
    /* uppercase hex anywhere */
    assert_false(parses("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
    assert_false(parses("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    /* all-zero ids */
    assert_false(parses("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
    /* version ff is never valid */
    assert_false(parses("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    /* short, long, wrong separators, not hex */
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-010"));
    assert_false(parses("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"));
    assert_false(parses(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 "));
}

static void later_versions_are_read_as_version_00(void **state)
{
    (void)state;
    bb_trace_ctx c;
    assert_true(bb_trace_parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &c));
    assert_true(parses("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future"));
    /* more must follow a dash */
    assert_false(parses("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what"));
    assert_false(parses("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0"));
}

static void children_keep_the_trace_and_flags(void **state)
{
    (void)state;
    bb_trace_ctx parent, child, fresh;
    assert_true(bb_trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &parent));
    bb_trace_child(&parent, &child);
    assert_memory_equal(child.trace_id, parent.trace_id, 16);
    assert_memory_not_equal(child.span_id, parent.span_id, 8);
    assert_int_equal(child.flags, 0);
    bb_trace_child(NULL, &fresh);
    assert_memory_not_equal(fresh.trace_id, parent.trace_id, 16);
    assert_int_equal(fresh.flags, BB_TRACE_SAMPLED);
    char text[BB_TRACEPARENT_LEN + 1];
    bb_trace_format(&fresh, text);
    assert_true(parses(text));
}

static void the_scope_is_per_thread_and_nests(void **state)
{
    (void)state;
    assert_null(bb_trace_current());
    bb_trace_ctx a, b;
    bb_trace_new(&a);
    bb_trace_child(&a, &b);
    bb_trace_scope outer = bb_trace_enter(&a, "req-1");
    assert_ptr_equal(bb_trace_current(), &a);
    bb_trace_scope inner = bb_trace_enter(&b, NULL);
    assert_ptr_equal(bb_trace_current(), &b);
    assert_string_equal(bb_trace_request_id(), "req-1");
    bb_trace_leave(inner);
    assert_ptr_equal(bb_trace_current(), &a);
    bb_trace_leave(outer);
    assert_null(bb_trace_current());
    assert_null(bb_trace_request_id());
}

static bb_span seen;
static int n_seen;

static void keep(const bb_span *s)
{
    seen = *s;
    n_seen++;
}

static void spans_reach_the_sink_when_sampled(void **state)
{
    (void)state;
    bb_span s;
    assert_false(bb_span_start_here(&s, "orphan", BB_SPAN_INTERNAL));
    bb_trace_set_sink(keep);
    bb_trace_ctx parent;
    assert_true(bb_trace_parse(VALID, &parent));
    bb_span_start(&s, "stage validator", BB_SPAN_INTERNAL, &parent);
    for (int i = 0; i < BB_SPAN_ATTRS_MAX + 2; i++)
        bb_span_int(&s, "n", i);
    bb_span_end(&s);
    assert_int_equal(n_seen, 1);
    assert_string_equal(seen.name, "stage validator");
    assert_true(seen.has_parent);
    assert_memory_equal(seen.parent_id, parent.span_id, 8);
    assert_memory_equal(seen.ctx.trace_id, parent.trace_id, 16);
    assert_int_equal(seen.n_attrs, BB_SPAN_ATTRS_MAX);
    assert_true(seen.end_ns >= seen.start_ns);

    parent.flags = 0; /* not sampled: made, timed, not handed on */
    bb_span_start(&s, "quiet", BB_SPAN_CLIENT, &parent);
    bb_span_str(&s, "k", "v");
    bb_span_end(&s);
    assert_int_equal(n_seen, 1);

    bb_span_start(&s, "root", BB_SPAN_SERVER, NULL);
    bb_span_end(&s);
    assert_int_equal(n_seen, 2);
    assert_false(seen.has_parent);
    bb_trace_set_sink(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_valid_header_is_read_field_by_field),
        cmocka_unit_test(malformed_headers_are_refused),
        cmocka_unit_test(later_versions_are_read_as_version_00),
        cmocka_unit_test(children_keep_the_trace_and_flags),
        cmocka_unit_test(the_scope_is_per_thread_and_nests),
        cmocka_unit_test(spans_reach_the_sink_when_sampled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
