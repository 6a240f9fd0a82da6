/* test_ratelimit.c - fixed windows per identity and tier, bounded memory. */
#include "testutil.h"

#include "server/ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const bb_rate_rule per_minute = {"validate", 3, 60};

static void requests_within_limit_are_allowed_and_counted(void **state)
{
    (void)state;
    bb_ratelimit *rl = bb_ratelimit_new(64);
    bb_rate_result r;
    for (unsigned i = 0; i < 3; i++) {
        bb_ratelimit_hit(rl, "key:ci", &per_minute, 1, 1000, &r);
        assert_true(r.allowed);
        assert_int_equal(r.limit, 3);
        assert_int_equal(r.remaining, 2 - i);
        assert_int_equal(r.reset, 60);
    }
    bb_ratelimit_free(rl);
}

static void request_over_limit_is_refused_with_retry_after(void **state)
{
    (void)state;
    bb_ratelimit *rl = bb_ratelimit_new(64);
    bb_rate_result r;
    for (int i = 0; i < 3; i++)
        bb_ratelimit_hit(rl, "key:ci", &per_minute, 1, 1000, &r);
    bb_ratelimit_hit(rl, "key:ci", &per_minute, 1, 1020, &r);
    assert_false(r.allowed);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.retry_after, 40);
    assert_string_equal(r.rule, "validate");
    bb_ratelimit_free(rl);
}

static void window_end_restores_the_allowance(void **state)
{
    (void)state;
    bb_ratelimit *rl = bb_ratelimit_new(64);
    bb_rate_result r;
    for (int i = 0; i < 4; i++)
        bb_ratelimit_hit(rl, "key:ci", &per_minute, 1, 1000, &r);
    assert_false(r.allowed);
    bb_ratelimit_hit(rl, "key:ci", &per_minute, 1, 1060, &r);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 2);
    bb_ratelimit_free(rl);
}

static void identities_are_counted_apart(void **state)
{
    (void)state;
    bb_ratelimit *rl = bb_ratelimit_new(64);
    bb_rate_result r;
    for (int i = 0; i < 4; i++)
        bb_ratelimit_hit(rl, "key:a", &per_minute, 1, 1000, &r);
    assert_false(r.allowed);
    bb_ratelimit_hit(rl, "key:b", &per_minute, 1, 1000, &r);
    assert_true(r.allowed);
    bb_ratelimit_free(rl);
}

static void refused_request_consumes_no_other_rule(void **state)
{
    (void)state;
    bb_ratelimit *rl = bb_ratelimit_new(64);
    const bb_rate_rule rules[2] = {{"authenticated", 100, 60}, {"generate", 1, 60}};
    bb_rate_result r;
    bb_ratelimit_hit(rl, "key:ci", rules, 2, 1000, &r);
    assert_true(r.allowed);
    assert_string_equal(r.rule, "generate"); /* the tightest binds */
    for (int i = 0; i < 5; i++) {
        bb_ratelimit_hit(rl, "key:ci", rules, 2, 1000, &r);
        assert_false(r.allowed);
    }
    /* Only the allowed request counted against "authenticated". */
    bb_ratelimit_hit(rl, "key:ci", &rules[0], 1, 1000, &r);
    assert_int_equal(r.remaining, 98);
    bb_ratelimit_free(rl);
}

static void hourly_rule_binds_after_the_minute_ones_reset(void **state)
{
    (void)state;
    bb_ratelimit *rl = bb_ratelimit_new(64);
    const bb_rate_rule rules[2] = {{"generate", 2, 60}, {"generate_hour", 3, 3600}};
    bb_rate_result r;
    bb_ratelimit_hit(rl, "key:ci", rules, 2, 0, &r);
    bb_ratelimit_hit(rl, "key:ci", rules, 2, 0, &r);
    bb_ratelimit_hit(rl, "key:ci", rules, 2, 60, &r);
    assert_true(r.allowed);
    bb_ratelimit_hit(rl, "key:ci", rules, 2, 61, &r);
    assert_false(r.allowed);
    assert_string_equal(r.rule, "generate_hour");
    assert_int_equal(r.retry_after, 3600 - 61);
    bb_ratelimit_free(rl);
}

static void zero_limit_never_limits(void **state)
{
    (void)state;
    bb_ratelimit *rl = bb_ratelimit_new(64);
    const bb_rate_rule off = {"validate", 0, 60};
    bb_rate_result r;
    for (int i = 0; i < 1000; i++) {
        bb_ratelimit_hit(rl, "key:ci", &off, 1, 1000, &r);
        assert_true(r.allowed);
    }
    bb_ratelimit_free(rl);
}

static void many_identities_stay_within_fixed_memory(void **state)
{
    (void)state;
    bb_ratelimit *rl = bb_ratelimit_new(128);
    size_t cap = bb_ratelimit_capacity(rl);
    bb_rate_result r;
    char id[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(id, sizeof(id), "ip:10.0.%d.%d", i / 256, i % 256);
        bb_ratelimit_hit(rl, id, &per_minute, 1, 1000, &r);
        assert_true(r.allowed);
    }
    assert_int_equal(bb_ratelimit_capacity(rl), cap);
    assert_true(bb_ratelimit_evictions(rl) >= 10000 - cap);
    bb_ratelimit_free(rl);
}

static void long_identities_are_told_apart(void **state)
{
    (void)state;
    bb_ratelimit *rl = bb_ratelimit_new(64);
    char a[400], b[400];
    memset(a, 'x', sizeof(a) - 1);
    a[sizeof(a) - 1] = '\0';
    memcpy(b, a, sizeof(a));
    b[sizeof(b) - 2] = 'y';
    bb_rate_result r;
    for (int i = 0; i < 4; i++)
        bb_ratelimit_hit(rl, a, &per_minute, 1, 1000, &r);
    assert_false(r.allowed);
    bb_ratelimit_hit(rl, b, &per_minute, 1, 1000, &r);
    assert_true(r.allowed);
    bb_ratelimit_free(rl);
}

typedef struct hammer {
    bb_ratelimit *rl;
    int allowed;
} hammer;

static void *hammer_main(void *arg)
{
    hammer *h = arg;
    const bb_rate_rule rule = {"validate", 1000, 60};
    bb_rate_result r;
    for (int i = 0; i < 500; i++) {
        bb_ratelimit_hit(h->rl, "key:shared", &rule, 1, 5000, &r);
        h->allowed += r.allowed;
    }
    return NULL;
}

static void concurrent_hits_are_counted_exactly(void **state)
{
    (void)state;
    bb_ratelimit *rl = bb_ratelimit_new(64);
    pthread_t t[4];
    hammer h[4];
    for (int i = 0; i < 4; i++) {
        h[i].rl = rl;
        h[i].allowed = 0;
        pthread_create(&t[i], NULL, hammer_main, &h[i]);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += h[i].allowed;
    }
    assert_int_equal(total, 1000);
    bb_ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests_within_limit_are_allowed_and_counted),
        cmocka_unit_test(request_over_limit_is_refused_with_retry_after),
        cmocka_unit_test(window_end_restores_the_allowance),
        cmocka_unit_test(identities_are_counted_apart),
        cmocka_unit_test(refused_request_consumes_no_other_rule),
        cmocka_unit_test(hourly_rule_binds_after_the_minute_ones_reset),
        cmocka_unit_test(zero_limit_never_limits),
        cmocka_unit_test(many_identities_stay_within_fixed_memory),
        cmocka_unit_test(long_identities_are_told_apart),
        cmocka_unit_test(concurrent_hits_are_counted_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
