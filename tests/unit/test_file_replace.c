/*
 * test_file_replace.c - bb_file_replace(): the new content or the old one,
 * never a part; the file's mode kept; no temporary left behind.
 */
#include "testutil.h"

#include "base/file.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void replace_keeps_the_mode_and_leaves_nothing_behind(void **state)
{
    (void)state;
    char dir[] = "/tmp/bb-replace-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/schema.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old", f);
    fclose(f);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(bb_file_replace(path, "new text", 8), BB_OK);
    char *data;
    size_t len;
    assert_int_equal(bb_file_read(path, 1024, &data, &len), BB_OK);
    assert_int_equal(len, 8);
    assert_memory_equal(data, "new text", 8);
    bb_free(data);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(entries(dir), 1);
    /* A folder that cannot be written: an error, the file as it was. */
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/no/such.json", dir);
    assert_int_equal(bb_file_replace(missing, "x", 1), BB_EIO);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replace_keeps_the_mode_and_leaves_nothing_behind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
