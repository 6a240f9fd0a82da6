/* test_core.c - the capped buffer, the arena, the diagnostics context and
 * the parallel loop. */
#include "testutil.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/parallel.h"
#include "diag/diag.h"

#include <cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void buf_refuses_to_grow_past_its_cap(void **state)
{
    (void)state;
    bb_buf b;
    bb_buf_init(&b, 8);
    assert_int_equal(bb_buf_puts(&b, "12345678"), BB_OK);
    assert_int_equal(bb_buf_putc(&b, '9'), BB_ELIMIT);
    assert_string_equal(bb_buf_str(&b), "12345678");
    assert_int_equal(b.len, 8);
    bb_buf_free(&b);
}

static void buf_printf_appends_formatted_text(void **state)
{
    (void)state;
    bb_buf b;
    bb_buf_init(&b, 1024);
    assert_int_equal(bb_buf_printf(&b, "%s=%d", "x", 42), BB_OK);
    assert_int_equal(bb_buf_printf(&b, ";%s", "y"), BB_OK);
    size_t len;
    char *s = bb_buf_take(&b, &len);
    assert_string_equal(s, "x=42;y");
    assert_int_equal(len, 6);
    assert_null(b.data);
    bb_free(s);
}

/* Text that fits in the room left is written in place; text that does
 * not grows the buffer, or fails at the cap leaving the buffer as it was. */
static void buf_printf_writes_in_place_or_grows(void **state)
{
    (void)state;
    bb_buf b;
    bb_buf_init(&b, 10);
    assert_int_equal(bb_buf_printf(&b, "%s", "abc"), BB_OK);
    assert_int_equal(bb_buf_printf(&b, "%s", "12345678"), BB_ELIMIT);
    assert_string_equal(bb_buf_str(&b), "abc");
    assert_int_equal(bb_buf_printf(&b, "%d", 1234567), BB_OK);
    assert_string_equal(bb_buf_str(&b), "abc1234567");
    assert_int_equal(bb_buf_printf(&b, "%c", 'x'), BB_ELIMIT);
    assert_string_equal(bb_buf_str(&b), "abc1234567");
    bb_buf_free(&b);
    bb_buf_init(&b, 1000);
    assert_int_equal(bb_buf_printf(&b, "%s", "ab"), BB_OK);
    assert_int_equal(bb_buf_printf(&b, "%0*d", 300, 7), BB_OK);
    assert_int_equal(b.len, 302);
    assert_int_equal(b.data[301], '7');
    assert_int_equal(b.data[302], '\0');
    bb_buf_free(&b);
}

/* extend hands out room to write in place, within the cap. */
static void buf_extend_gives_room_to_write(void **state)
{
    (void)state;
    bb_buf b;
    char *at = NULL;
    bb_buf_init(&b, 6);
    assert_int_equal(bb_buf_puts(&b, "ab"), BB_OK);
    assert_int_equal(bb_buf_extend(&b, 3, &at), BB_OK);
    memcpy(at, "cde", 3);
    assert_string_equal(bb_buf_str(&b), "abcde");
    assert_int_equal(bb_buf_extend(&b, 2, &at), BB_ELIMIT);
    assert_string_equal(bb_buf_str(&b), "abcde");
    assert_int_equal(b.len, 5);
    bb_buf_free(&b);
}

static void buf_survives_allocation_failure(void **state)
{
    (void)state;
    bb_buf b;
    bb_buf_init(&b, 1 << 20);
    bb_alloc_fail_after(0);
    assert_int_equal(bb_buf_puts(&b, "abc"), BB_ENOMEM);
    bb_alloc_fail_after(-1);
    assert_int_equal(b.len, 0);
    assert_int_equal(bb_buf_puts(&b, "abc"), BB_OK);
    bb_buf_free(&b);
}

static void arena_hands_out_zeroed_aligned_memory_up_to_its_cap(void **state)
{
    (void)state;
    bb_arena a;
    bb_arena_init(&a, 64 * 1024);
    char *p = bb_arena_alloc(&a, 3);
    long long *q = bb_arena_alloc(&a, sizeof(long long));
    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal((uintptr_t)q % 16, 0);
    assert_int_equal(*q, 0);
    assert_string_equal(bb_arena_printf(&a, "%s-%d", "t", 7), "t-7");
    assert_null(bb_arena_alloc(&a, 128 * 1024));
    bb_arena_free(&a);
}

static void diag_position_counts_lines_and_utf8_columns(void **state)
{
    (void)state;
    const char *src = "{\n  \"é\": 1,\n  \"x\": tru\n}";
    bb_diags d;
    bb_diags_init(&d, "t.json", src, strlen(src));
    int line, col;
    size_t off = (size_t)(strstr(src, "tru") - src);
    bb_diags_position(&d, off, &line, &col);
    assert_int_equal(line, 3);
    assert_int_equal(col, 8);
    off = (size_t)(strstr(src, "1") - src);
    bb_diags_position(&d, off, &line, &col);
    assert_int_equal(line, 2);
    assert_int_equal(col, 8); /* "é" is one column, two bytes */
    bb_diags_position(&d, BB_NO_OFFSET, &line, &col);
    assert_int_equal(line, 0);
    bb_diags_free(&d);
}

static void diag_columns_start_after_a_byte_order_mark(void **state)
{
    (void)state;
    const char *src = "\xEF\xBB\xBF{\"a\": x}";
    bb_diags d;
    bb_diags_init(&d, "t.json", src, strlen(src));
    int line, col;
    bb_diags_position(&d, (size_t)(strchr(src, 'x') - src), &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 7);
    bb_diags_free(&d);
}

static void diag_json_has_stable_fields(void **state)
{
    (void)state;
    const char *src = "{\"a\": 1}";
    bb_diags d;
    bb_diags_init(&d, "t.json", src, strlen(src));
    assert_int_equal(bb_diag_add(&d, BB_ERROR, "BB9999", "/a", 6, "fix it", "bad %s", "a"), BB_OK);
    cJSON *arr = bb_diags_to_json(&d);
    assert_non_null(arr);
    cJSON *o = cJSON_GetArrayItem(arr, 0);
    assert_string_equal(cJSON_GetObjectItem(o, "code")->valuestring, "BB9999");
    assert_string_equal(cJSON_GetObjectItem(o, "severity")->valuestring, "error");
    assert_string_equal(cJSON_GetObjectItem(o, "pointer")->valuestring, "/a");
    assert_string_equal(cJSON_GetObjectItem(o, "message")->valuestring, "bad a");
    assert_string_equal(cJSON_GetObjectItem(o, "hint")->valuestring, "fix it");
    assert_int_equal(cJSON_GetObjectItem(o, "line")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(o, "column")->valueint, 7);
    cJSON_Delete(arr);
    bb_diags_free(&d);
}

static void diag_strict_mode_turns_warnings_into_errors(void **state)
{
    (void)state;
    bb_diags d;
    bb_diags_init(&d, "t.json", NULL, 0);
    d.warnings_as_errors = true;
    assert_int_equal(bb_diag_add(&d, BB_WARNING, "BB9998", NULL, BB_NO_OFFSET, NULL, "w"), BB_OK);
    assert_true(bb_diags_has_errors(&d));
    assert_int_equal(d.n_warnings, 0);
    bb_diags_free(&d);
}

static void diag_counts_but_does_not_store_past_its_cap(void **state)
{
    (void)state;
    bb_diags d;
    bb_diags_init(&d, "t.json", NULL, 0);
    d.max = 2;
    for (int i = 0; i < 5; i++)
        assert_int_equal(bb_diag_add(&d, BB_ERROR, "BB9999", NULL, BB_NO_OFFSET, NULL, "%d", i),
                         BB_OK);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.dropped, 3);
    assert_int_equal(d.n_errors, 5);
    bb_diags_free(&d);
}

static void pointer_tokens_are_escaped(void **state)
{
    (void)state;
    bb_buf b;
    bb_buf_init(&b, 100);
    assert_int_equal(bb_pointer_append(&b, "a/b~c"), BB_OK);
    assert_string_equal(bb_buf_str(&b), "/a~1b~0c");
    bb_buf_free(&b);
}

typedef struct {
    atomic_int done[300];
    pthread_t caller;
    size_t order[300];
    atomic_size_t n_order;
    atomic_bool elsewhere; /* an item ran on another thread than the caller's */
} items;

static void count_item(void *ctx, size_t i)
{
    items *it = ctx;
    atomic_fetch_add(&it->done[i], 1);
    it->order[atomic_fetch_add(&it->n_order, 1)] = i;
    if (!pthread_equal(pthread_self(), it->caller))
        atomic_store(&it->elsewhere, true);
}

static void parallel_does_each_item_exactly_once(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 7, 300};
    for (unsigned jobs = 0; jobs <= 12; jobs++)
        for (size_t k = 0; k < 5; k++) {
            items *it = calloc(1, sizeof(*it));
            it->caller = pthread_self();
            bb_parallel_for(sizes[k], jobs, count_item, it);
            for (size_t i = 0; i < 300; i++)
                assert_int_equal(atomic_load(&it->done[i]), i < sizes[k] ? 1 : 0);
            if (jobs <= 1) { /* on the caller's thread, in order */
                assert_false(atomic_load(&it->elsewhere));
                for (size_t i = 0; i < sizes[k]; i++)
                    assert_int_equal(it->order[i], i);
            }
            free(it);
        }
    assert_true(bb_parallel_cpus() >= 1);
}

/* cgroup v2's cpu.max: a quota of 1.5 CPUs is two threads, none is 0. */
static void parallel_reads_a_cpu_quota(void **state)
{
    (void)state;
    assert_int_equal(bb_parallel_quota_cpus("max 100000\n"), 0);
    assert_int_equal(bb_parallel_quota_cpus("100000 100000\n"), 1);
    assert_int_equal(bb_parallel_quota_cpus("150000 100000\n"), 2);
    assert_int_equal(bb_parallel_quota_cpus("50000 100000"), 1);
    assert_int_equal(bb_parallel_quota_cpus("400000 100000"), 4);
    assert_int_equal(bb_parallel_quota_cpus("-1 100000"), 0); /* cgroup v1: no quota */
    assert_int_equal(bb_parallel_quota_cpus("200000 0"), 0);
    assert_int_equal(bb_parallel_quota_cpus(""), 0);
    assert_int_equal(bb_parallel_quota_cpus("lots"), 0);
    assert_int_equal(bb_parallel_quota_cpus(NULL), 0);
    assert_int_equal(bb_parallel_quota_cpus("99999999999999999999 100000"), 0);
    assert_int_equal(bb_parallel_quota_cpus("900000000000 1"), 4096);
}

/* root/rel as a path (tests' paths are short). */
static const char *under(const char *root, const char *rel)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    return path;
}

/* The smallest quota of a group and the groups above it, up to the root. */
static void parallel_reads_the_quota_of_the_group_and_above(void **state)
{
    (void)state;
    char root[] = "/tmp/bb-cgroup-XXXXXX";
    const char *job = "/ci.slice/job.scope";
    assert_non_null(mkdtemp(root));
    assert_int_equal(mkdir(under(root, "ci.slice"), 0700), 0);
    assert_int_equal(mkdir(under(root, "ci.slice/job.scope"), 0700), 0);
    assert_int_equal(bb_parallel_cgroup_cpus(root, job), 0);
    tu_write_file(under(root, "ci.slice/job.scope/cpu.max"), "max 100000\n");
    assert_int_equal(bb_parallel_cgroup_cpus(root, job), 0);
    tu_write_file(under(root, "ci.slice/cpu.max"), "300000 100000\n");
    assert_int_equal(bb_parallel_cgroup_cpus(root, job), 3);
    tu_write_file(under(root, "cpu.max"), "200000 100000\n");
    assert_int_equal(bb_parallel_cgroup_cpus(root, job), 2);
    assert_int_equal(bb_parallel_cgroup_cpus(root, "/"), 2);
    assert_int_equal(bb_parallel_cgroup_cpus(root, "/other"), 2); /* no folder: the root's */
    tu_write_file(under(root, "ci.slice/job.scope/cpu.max"), "100000 100000\n");
    assert_int_equal(bb_parallel_cgroup_cpus(root, job), 1);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

typedef struct {
    atomic_int produced[200]; /* set by the producer before it says ready */
    atomic_int done[200];
    atomic_int early; /* items taken before they were ready */
} stream;

static void consume_item(void *ctx, size_t i)
{
    stream *st = ctx;
    if (!atomic_load(&st->produced[i]))
        atomic_fetch_add(&st->early, 1);
    atomic_fetch_add(&st->done[i], 1);
}

/* Items made ready one by one while the helpers run: none is taken early,
 * each is done once, and finish() leaves nothing undone. */
static void parallel_takes_items_as_they_become_ready(void **state)
{
    (void)state;
    for (unsigned jobs = 1; jobs <= 4; jobs++) {
        stream *st = calloc(1, sizeof(*st));
        bb_parallel p;
        bb_parallel_start(&p, jobs, consume_item, st);
        for (size_t i = 0; i < 150; i++) { /* the last 50 come with finish() */
            atomic_store(&st->produced[i], 1);
            bb_parallel_ready(&p, i + 1);
        }
        for (size_t i = 150; i < 200; i++)
            atomic_store(&st->produced[i], 1);
        bb_parallel_finish(&p, 200);
        assert_int_equal(atomic_load(&st->early), 0);
        for (size_t i = 0; i < 200; i++)
            assert_int_equal(atomic_load(&st->done[i]), 1);
        free(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_refuses_to_grow_past_its_cap),
        cmocka_unit_test(parallel_does_each_item_exactly_once),
        cmocka_unit_test(parallel_takes_items_as_they_become_ready),
        cmocka_unit_test(parallel_reads_a_cpu_quota),
        cmocka_unit_test(parallel_reads_the_quota_of_the_group_and_above),
        cmocka_unit_test(buf_printf_appends_formatted_text),
        cmocka_unit_test(buf_printf_writes_in_place_or_grows),
        cmocka_unit_test(buf_extend_gives_room_to_write),
        cmocka_unit_test(buf_survives_allocation_failure),
        cmocka_unit_test(arena_hands_out_zeroed_aligned_memory_up_to_its_cap),
        cmocka_unit_test(diag_position_counts_lines_and_utf8_columns),
        cmocka_unit_test(diag_columns_start_after_a_byte_order_mark),
        cmocka_unit_test(diag_json_has_stable_fields),
        cmocka_unit_test(diag_strict_mode_turns_warnings_into_errors),
        cmocka_unit_test(diag_counts_but_does_not_store_past_its_cap),
        cmocka_unit_test(pointer_tokens_are_escaped),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
