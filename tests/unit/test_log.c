/* test_log.c - log lines stay JSON whatever the bytes they quote. */
#include "testutil.h"

#include "server/log.h"

#include <string.h>

static const char *escaped(const char *s, size_t max)
{
    static bb_log_line l;
    l.len = 0;
    l.cut = false;
    bb_log_escaped(&l, s, max);
    bb_log_put(&l, "", 1);
    return l.data;
}

static void quotes_and_controls_are_escaped(void **state)
{
    (void)state;
    assert_string_equal(escaped("a\"b\\c\n\x7f", 100), "a\\\"b\\\\c\\u000a\\u007f");
}

static void utf8_is_kept_and_other_bytes_are_replaced(void **state)
{
    (void)state;
    assert_string_equal(escaped("caf\xc3\xa9", 100), "caf\xc3\xa9");
    assert_string_equal(escaped("\xff\xfe", 100), "\\ufffd\\ufffd");
    assert_string_equal(escaped("\xc3", 100), "\\ufffd");                       /* cut short */
    assert_string_equal(escaped("\xe0\x80\x80", 100), "\\ufffd\\ufffd\\ufffd"); /* overlong */
    assert_string_equal(escaped("\xed\xa0\x80", 100), "\\ufffd\\ufffd\\ufffd"); /* surrogate */
}

static void a_character_is_never_cut_in_two(void **state)
{
    (void)state;
    assert_string_equal(escaped("ab\xc3\xa9", 3), "ab");
    assert_string_equal(escaped("ab\xc3\xa9", 4), "ab\xc3\xa9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quotes_and_controls_are_escaped),
        cmocka_unit_test(utf8_is_kept_and_other_bytes_are_replaced),
        cmocka_unit_test(a_character_is_never_cut_in_two),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
