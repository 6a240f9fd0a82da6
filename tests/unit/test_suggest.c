/* test_suggest.c - edit distance and "did you mean" (suggest.h). */
#include "testutil.h"

#include "base/suggest.h"

#include <string.h>

static const char *const types[] = {"Integer", "String", "Text",    "Boolean", "DateTime",
                                    "Date",    "Time",   "Numeric", "Float",   "ForeignKey"};
#define N_TYPES (sizeof(types) / sizeof(types[0]))

static void distance_counts_insertions_deletions_and_substitutions(void **state)
{
    (void)state;
    assert_int_equal(bb_edit_distance("kitten", "sitting", 10), 3);
    assert_int_equal(bb_edit_distance("", "abc", 10), 3);
    assert_int_equal(bb_edit_distance("abc", "abc", 0), 0);
}

static void distance_counts_a_transposition_as_one_edit(void **state)
{
    (void)state;
    assert_int_equal(bb_edit_distance("nulalble", "nullable", 5), 1);
    assert_int_equal(bb_edit_distance("tpye", "type", 5), 1);
}

static void distance_ignores_case(void **state)
{
    (void)state;
    assert_int_equal(bb_edit_distance("string", "String", 3), 0);
    assert_int_equal(bb_edit_distance("CASCADE", "cascade", 3), 0);
}

static void distance_stops_past_the_maximum(void **state)
{
    (void)state;
    assert_int_equal(bb_edit_distance("abcdef", "uvwxyz", 2), 3);
    assert_int_equal(bb_edit_distance("a", "abcdefgh", 2), 3);
    char longer[200];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(bb_edit_distance(longer, longer, 4), 5);
}

static void suggests_the_nearest_known_word(void **state)
{
    (void)state;
    assert_string_equal(bb_suggest("Strin", types, N_TYPES), "String");
    assert_string_equal(bb_suggest("integer", types, N_TYPES), "Integer");
    assert_string_equal(bb_suggest("Foreignkey", types, N_TYPES), "ForeignKey");
    assert_string_equal(bb_suggest("Datetime", types, N_TYPES), "DateTime");
}

static void suggests_nothing_for_a_distant_word(void **state)
{
    (void)state;
    assert_null(bb_suggest("Blob", types, N_TYPES));
    assert_null(bb_suggest("VARCHAR", types, N_TYPES));
    assert_null(bb_suggest("", types, N_TYPES));
}

static void ties_go_to_the_earlier_candidate_and_null_entries_are_skipped(void **state)
{
    (void)state;
    const char *const words[] = {NULL, "index", "inbox"};
    /* "indox" is one edit from both. */
    assert_string_equal(bb_suggest("indox", words, 3), "index");
    assert_null(bb_suggest("x", words, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(distance_counts_insertions_deletions_and_substitutions),
        cmocka_unit_test(distance_counts_a_transposition_as_one_edit),
        cmocka_unit_test(distance_ignores_case),
        cmocka_unit_test(distance_stops_past_the_maximum),
        cmocka_unit_test(suggests_the_nearest_known_word),
        cmocka_unit_test(suggests_nothing_for_a_distant_word),
        cmocka_unit_test(ties_go_to_the_earlier_candidate_and_null_entries_are_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
