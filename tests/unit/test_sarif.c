/* test_sarif.c - diagnostics as SARIF 2.1.0 (sarif.h). */
#include "testutil.h"

#include "diag/sarif.h"

#include <cJSON.h>
#include <string.h>

static const char SRC[] = "{\n  \"a\": 1,\n  \"b\": \"x\"\n}\n";

static cJSON *path(cJSON *root, const char *p)
{
    /* "runs/0/results/1/level": object keys and array indexes */
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", p);
    cJSON *cur = root;
    for (char *tok = strtok(buf, "/"); tok && cur; tok = strtok(NULL, "/"))
        cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, (int)strtol(tok, NULL, 10))
                                 : cJSON_GetObjectItemCaseSensitive(cur, tok);
    assert_non_null(cur);
    return cur;
}

static void the_log_names_its_version_schema_and_tool(void **state)
{
    (void)state;
    bb_diags d;
    bb_diags_init(&d, "s.json", SRC, strlen(SRC));
    bb_diags *list[] = {&d};
    cJSON *log = bb_diags_to_sarif(list, 1);
    assert_non_null(log);
    assert_string_equal(path(log, "version")->valuestring, "2.1.0");
    assert_string_equal(path(log, "$schema")->valuestring, BB_SARIF_SCHEMA);
    assert_string_equal(path(log, "runs/0/tool/driver/name")->valuestring, "backbone");
    assert_string_equal(path(log, "runs/0/tool/driver/version")->valuestring, BB_VERSION);
    assert_string_equal(path(log, "runs/0/columnKind")->valuestring, "unicodeCodePoints");
    assert_int_equal(cJSON_GetArraySize(path(log, "runs/0/results")), 0);
    cJSON_Delete(log);
    bb_diags_free(&d);
}

static void a_result_has_its_rule_level_message_and_region(void **state)
{
    (void)state;
    bb_diags d;
    bb_diags_init(&d, "s.json", SRC, strlen(SRC));
    size_t off = (size_t)(strstr(SRC, "\"x\"") - SRC);
    assert_int_equal(bb_diag_add(&d, BB_ERROR, "BB0202", "/b", off, "use a number", "wrong type"),
                     BB_OK);
    bb_diags *list[] = {&d};
    cJSON *log = bb_diags_to_sarif(list, 1);
    assert_string_equal(path(log, "runs/0/results/0/ruleId")->valuestring, "BB0202");
    assert_string_equal(path(log, "runs/0/results/0/level")->valuestring, "error");
    assert_string_equal(path(log, "runs/0/results/0/message/text")->valuestring, "wrong type");
    assert_int_equal(
        path(log, "runs/0/results/0/locations/0/physicalLocation/region/startLine")->valueint, 3);
    assert_int_equal(
        path(log, "runs/0/results/0/locations/0/physicalLocation/region/startColumn")->valueint, 8);
    assert_string_equal(
        path(log, "runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri")
            ->valuestring,
        "s.json");
    assert_string_equal(
        path(log, "runs/0/results/0/locations/0/logicalLocations/0/fullyQualifiedName")
            ->valuestring,
        "/b");
    assert_string_equal(path(log, "runs/0/results/0/properties/hint")->valuestring, "use a number");
    assert_string_equal(path(log, "runs/0/tool/driver/rules/0/name")->valuestring, "wrong-type");
    cJSON_Delete(log);
    bb_diags_free(&d);
}

static void each_code_is_one_rule_across_files(void **state)
{
    (void)state;
    bb_diags a, b;
    bb_diags_init(&a, "a.json", SRC, strlen(SRC));
    bb_diags_init(&b, "b.json", SRC, strlen(SRC));
    assert_int_equal(bb_diag_add(&a, BB_WARNING, "BB0205", "/a", 4, NULL, "unknown key"), BB_OK);
    assert_int_equal(bb_diag_add(&b, BB_WARNING, "BB0205", "/b", 4, NULL, "unknown key"), BB_OK);
    assert_int_equal(bb_diag_add(&b, BB_ERROR, "BB0820", NULL, BB_NO_OFFSET, NULL, "drop"), BB_OK);
    bb_diags *list[] = {&a, &b};
    cJSON *log = bb_diags_to_sarif(list, 2);
    assert_int_equal(cJSON_GetArraySize(path(log, "runs/0/tool/driver/rules")), 2);
    assert_int_equal(cJSON_GetArraySize(path(log, "runs/0/results")), 3);
    assert_int_equal(cJSON_GetArraySize(path(log, "runs/0/artifacts")), 2);
    assert_int_equal(path(log, "runs/0/results/1/ruleIndex")->valueint, 0);
    assert_int_equal(path(log, "runs/0/results/2/ruleIndex")->valueint, 1);
    assert_int_equal(
        path(log, "runs/0/results/1/locations/0/physicalLocation/artifactLocation/index")->valueint,
        1);
    assert_string_equal(path(log, "runs/0/results/0/level")->valuestring, "warning");
    assert_string_equal(
        path(log, "runs/0/tool/driver/rules/1/defaultConfiguration/level")->valuestring, "error");
    cJSON_Delete(log);
    bb_diags_free(&a);
    bb_diags_free(&b);
}

static void a_diagnostic_without_position_has_no_region(void **state)
{
    (void)state;
    bb_diags d;
    bb_diags_init(&d, "s.json", SRC, strlen(SRC));
    assert_int_equal(bb_diag_add(&d, BB_ERROR, "BB0820", NULL, BB_NO_OFFSET, NULL, "drop"), BB_OK);
    bb_diags *list[] = {&d};
    cJSON *log = bb_diags_to_sarif(list, 1);
    cJSON *phys = path(log, "runs/0/results/0/locations/0/physicalLocation");
    assert_null(cJSON_GetObjectItem(phys, "region"));
    cJSON_Delete(log);
    bb_diags_free(&d);
}

static void file_names_become_percent_encoded_uris(void **state)
{
    (void)state;
    bb_diags d;
    bb_diags_init(&d, "my schemas/blog#1.json", SRC, strlen(SRC));
    bb_diags *list[] = {&d};
    cJSON *log = bb_diags_to_sarif(list, 1);
    assert_string_equal(path(log, "runs/0/artifacts/0/location/uri")->valuestring,
                        "my%20schemas/blog%231.json");
    cJSON_Delete(log);
    bb_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_log_names_its_version_schema_and_tool),
        cmocka_unit_test(a_result_has_its_rule_level_message_and_region),
        cmocka_unit_test(each_code_is_one_rule_across_files),
        cmocka_unit_test(a_diagnostic_without_position_has_no_region),
        cmocka_unit_test(file_names_become_percent_encoded_uris),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
