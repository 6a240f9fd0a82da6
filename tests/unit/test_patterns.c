/*
 * test_patterns.c - suspicious content (BB05xx): what is flagged, what is
 * not (word boundaries, ordinary prose), and the diagnostics the loader
 * reports through bb_patterns_check().
 */
#include "validate_testutil.h"

#include "front/patterns.h"

#include <pthread.h>

static int scan(const char *s, bb_pattern_hit *hit)
{
    int rc = bb_patterns_scan(s, strlen(s), hit);
    assert_true(rc >= 0);
    return rc;
}

static void expect_hit(const char *s, bb_pattern_category cat)
{
    bb_pattern_hit hit;
    if (scan(s, &hit) != 1)
        print_error("not flagged: \"%s\"\n", s);
    assert_int_equal(scan(s, &hit), 1);
    if (hit.category != cat)
        print_error("\"%s\" flagged as %s (%s)\n", s, bb_pattern_category_name(hit.category),
                    hit.rule);
    assert_int_equal(hit.category, cat);
    assert_true(hit.start < hit.end && hit.end <= strlen(s));
}

static void expect_clean(const char *s)
{
    bb_pattern_hit hit;
    int rc = scan(s, &hit);
    if (rc == 1)
        print_error("false positive: \"%s\" matched %s (%s)\n", s, hit.rule,
                    bb_pattern_category_name(hit.category));
    assert_int_equal(rc, 0);
}

static void sql_injection_is_flagged_in_every_spelling(void **state)
{
    (void)state;
    static const char *const hits[] = {
        "drop table users",
        "x; DROP TABLE users",
        "drop  \t table users",
        "DrOp/**/TaBlE users",
        "drop /* hidden */ database prod",
        "delete from accounts",
        "DELETE\nFROM accounts",
        "1 union select password from users",
        "union all select 1",
        "insert into users (name) values ('x')",
        "update users set admin = 1",
        "name'; --",
        "' or 1=1",
        "' OR '1'='1",
        "x\" or \"a\"=\"a",
        "admin' or true --",
        "where id = 1 or 1 = 1",
        "exec xp_cmdshell 'dir'",
        "truncate table logs",
        "1; waitfor delay '0:0:5'",
        "pg_sleep(10)",
        "select * from information_schema.tables",
        "alter table users drop column email",
    };
    for (size_t i = 0; i < sizeof(hits) / sizeof(*hits); i++)
        expect_hit(hits[i], BB_PATTERN_SQL);
}

static void script_injection_is_flagged(void **state)
{
    (void)state;
    static const char *const hits[] = {
        "<script>alert(1)</script>",    "< SCRIPT src=x>",
        "javascript:alert(1)",          "JavaScript : void(0)",
        "<img src=x onerror=alert(1)>", "<a onclick = \"x()\">",
        "<body onload=init()>",         "<iframe src=//evil>",
        "data:text/html;base64,xx",     "document.cookie",
    };
    for (size_t i = 0; i < sizeof(hits) / sizeof(*hits); i++)
        expect_hit(hits[i], BB_PATTERN_SCRIPT);
}

static void code_injection_is_flagged(void **state)
{
    (void)state;
    static const char *const hits[] = {
        "__import__('os')",
        "eval(input())",
        "EVAL (x)",
        "exec(code)",
        "os.system('rm -rf /')",
        "os . popen('ls')",
        "subprocess.run(['ls'])",
        "import subprocess",
        "compile(src, '<string>', 'exec')",
        "open('/etc/passwd')",
        "open(\"out.txt\", \"w\")",
        "().__class__.__bases__",
        "pickle.loads(data)",
        "importlib.import_module('os')",
    };
    for (size_t i = 0; i < sizeof(hits) / sizeof(*hits); i++)
        expect_hit(hits[i], BB_PATTERN_CODE);
}

static void ordinary_text_is_not_flagged(void **state)
{
    (void)state;
    static const char *const clean[] = {
        "retrieval(",
        "medieval (",
        "executive",
        "evaluation",
        "dropdown table",
        "Drop-off table for deliveries",
        "deleted_from",
        "the user selects a union member",
        "insert the card into the reader",
        "update the profile",
        "online status",
        "one=1",
        "Common questions",
        "Select the items from the list where applicable",
        "the reports we compile (monthly)",
        "open (Monday to Friday)",
        "Each subprocess of a workflow has a status",
        "Reopened issues",
        "price >= 0",
        "status IN ('draft', 'published')",
        "CURRENT_TIMESTAMP",
        "O'Brien or O'Neil",
        "users' or admins' data",
        "Description; -- not really",
        "email address",
        "order_items",
        "",
    };
    for (size_t i = 0; i < sizeof(clean) / sizeof(*clean); i++) {
        if (strcmp(clean[i], "Description; -- not really") == 0)
            continue; /* "; --" is flagged on purpose: see below */
        expect_clean(clean[i]);
    }
    /* A statement end followed by an SQL comment is flagged even in prose. */
    expect_hit("Description; -- not really", BB_PATTERN_SQL);
}

static void scan_reports_the_matched_range(void **state)
{
    (void)state;
    bb_pattern_hit hit;
    const char *s = "nice text, then DROP   TABLE users";
    assert_int_equal(scan(s, &hit), 1);
    assert_int_equal(hit.start, strlen("nice text, then "));
    assert_int_equal(hit.end, strlen("nice text, then DROP   TABLE"));
    assert_string_equal(hit.rule, "drop table");
}

static int count_hit(void *ctx, const bb_pattern_hit *hit)
{
    (void)hit;
    ++*(int *)ctx;
    return 0;
}

static int keep_hit(void *ctx, const bb_pattern_hit *hit)
{
    *(bb_pattern_hit *)ctx = *hit;
    return 1;
}

static int hits_for(const char *s, unsigned uses)
{
    int n = 0;
    assert_int_equal(bb_patterns_each(s, strlen(s), uses, count_hit, &n), 0);
    return n;
}

/* One table serves schema strings and generated files: each scan applies
 * only its own rules, and goes on to every match when asked. */
static void each_use_gets_its_own_rules_from_the_one_table(void **state)
{
    (void)state;
    assert_int_equal(hits_for("drop table users", BB_PATTERNS_SCHEMA), 1);
    assert_int_equal(hits_for("dRoP TaBlE users", BB_PATTERNS_SCHEMA), 1);
    assert_int_equal(hits_for("drop table users", BB_PATTERNS_FILE | BB_PATTERNS_PYTHON), 0);
    assert_int_equal(hits_for("password = 'hunter22'", BB_PATTERNS_SCHEMA), 0);
    assert_int_equal(hits_for("password = 'hunter22'", BB_PATTERNS_FILE), 1);
    /* a LINE rule's trigger anywhere in the line's first word, in any case */
    assert_int_equal(hits_for("DB_PassWord = 'hunter22'", BB_PATTERNS_FILE), 1);
    assert_int_equal(hits_for("x = 1\nold_github_token = 'abcdefgh'", BB_PATTERNS_FILE), 1);
    assert_int_equal(hits_for("tokens = 1\np = 'abcdefgh'", BB_PATTERNS_FILE), 0);
    assert_int_equal(hits_for("x = eval(a)\n", BB_PATTERNS_FILE), 0);
    assert_int_equal(hits_for("x = eval(a) + eval(b)\ntoken = 'abcdefgh'\n",
                              BB_PATTERNS_FILE | BB_PATTERNS_PYTHON),
                     3);
    bb_pattern_hit hit = {0};
    const char *key = "k = 'AKIAABCDEFGHIJKLMNOP'";
    assert_int_equal(bb_patterns_each(key, strlen(key), BB_PATTERNS_FILE, keep_hit, &hit), 1);
    assert_string_equal(hit.code, "BB0745");
    assert_int_equal(hit.category, BB_PATTERN_SECRET);
    assert_int_equal(hit.start, 5);
}

static void scan_handles_binary_and_long_input(void **state)
{
    (void)state;
    char buf[20000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (char)(i * 7 + 1);
    bb_pattern_hit hit;
    assert_true(bb_patterns_scan(buf, sizeof(buf), &hit) >= 0);
    memset(buf, '/', sizeof(buf));
    for (size_t i = 1; i < sizeof(buf); i += 2)
        buf[i] = '*';
    assert_true(bb_patterns_scan(buf, sizeof(buf), &hit) >= 0);
}

static void *scan_in_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        bb_pattern_hit hit;
        if (bb_patterns_scan("a; drop table x", 15, &hit) != 1 ||
            bb_patterns_scan("fine text", 9, &hit) != 0)
            return (void *)1;
    }
    return NULL;
}

static void scan_is_thread_safe(void **state)
{
    (void)state;
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, scan_in_thread, NULL), 0);
    for (int i = 0; i < 8; i++) {
        void *res;
        assert_int_equal(pthread_join(th[i], &res), 0);
        assert_null(res);
    }
}

static void check_survives_allocation_failure(void **state)
{
    (void)state;
    bb_diags d;
    bb_diags_init(&d, "x", NULL, 0);
    bb_pattern_hit hit;
    assert_int_equal(bb_patterns_scan("warm up", 7, &hit), 0); /* compile outside the test */
    bb_alloc_fail_after(0);
    int rc = bb_patterns_check(&d, "drop table x", 12, "/x", 0);
    bb_alloc_fail_after(-1);
    assert_int_equal(rc, BB_ENOMEM);
    assert_int_equal(bb_patterns_check(&d, "drop table x", 12, "/x", 0), BB_EINVAL);
    assert_int_equal(d.n_errors, 1);
    bb_diags_free(&d);
}

static void sql_injection_in_a_description_is_reported(void **state)
{
    (void)state;
    vt_expect(VT_HEAD
              "{'table_name': 'users', 'class_name': 'User',\n"
              " 'description': 'Users; DROP TABLE users',\n"
              " 'columns': [{'name': 'id', 'type': 'Integer', 'primary_key': true}]}" VT_TAIL,
              "BB0501", BB_ERROR, "/schema/0/description", "'description': ^'Users;");
}

static void script_injection_in_a_column_description_is_reported(void **state)
{
    (void)state;
    vt_expect(VT_HEAD "{'table_name': 'users', 'class_name': 'User', 'columns': [\n"
                      "  {'name': 'id', 'type': 'Integer', 'primary_key': true,\n"
                      "   'description': 'id <script>alert(1)</script>'}]}" VT_TAIL,
              "BB0502", BB_ERROR, "/schema/0/columns/0/description", "^'id <script>");
}

static void code_injection_in_a_project_description_is_reported(void **state)
{
    (void)state;
    vt t;
    vt_expect("{'project_name': 'p', 'db_type': 'postgresql',\n"
              " 'description': 'Shop __import__(\\u0027os\\u0027).system(\\u0027id\\u0027)',\n"
              " 'schema': [" VT_USERS "]}",
              "BB0503", BB_ERROR, "/description", "'description': ^'Shop");
    vt_run(&t, "{'project_name': 'p', 'db_type': 'postgresql',\n"
               " 'description': 'A medieval (retrieval) executive evaluation',\n"
               " 'schema': [" VT_USERS "]}");
    assert_int_equal(t.rc, BB_OK);
    vt_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sql_injection_is_flagged_in_every_spelling),
        cmocka_unit_test(script_injection_is_flagged),
        cmocka_unit_test(each_use_gets_its_own_rules_from_the_one_table),
        cmocka_unit_test(code_injection_is_flagged),
        cmocka_unit_test(ordinary_text_is_not_flagged),
        cmocka_unit_test(scan_reports_the_matched_range),
        cmocka_unit_test(scan_handles_binary_and_long_input),
        cmocka_unit_test(scan_is_thread_safe),
        cmocka_unit_test(check_survives_allocation_failure),
        cmocka_unit_test(sql_injection_in_a_description_is_reported),
        cmocka_unit_test(script_injection_in_a_column_description_is_reported),
        cmocka_unit_test(code_injection_in_a_project_description_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
