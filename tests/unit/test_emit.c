/* test_emit.c - writing a generated tree: atomic swap, refusals, path
 * escapes, the user's files and edits, check mode and the line diff. */
#include "testutil.h"

#include "base/file.h"
#include "output/emit.h"
#include "output/manifest.h"

#include <cJSON.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    char root[64]; /* a private folder holding the output folder */
    char out[128]; /* root/out */
    bb_diags diags;
    bb_emit_report report;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->root, sizeof(f->root), "/tmp/bb-test-emit-XXXXXX");
    if (!f || !mkdtemp(f->root))
        return -1;
    snprintf(f->out, sizeof(f->out), "%s/out", f->root);
    bb_diags_init(&f->diags, "schema.json", NULL, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    bb_emit_remove_tree(f->root);
    bb_diags_free(&f->diags);
    free(f);
    return 0;
}

/* Writes files into f->out as a regeneration would: the manifest found
 * there (if any) is the previous one. */
static int emit(fixture *f, const bb_file *files, size_t n, bb_emit_opts opts)
{
    bb_manifest *prev = NULL, *next = NULL;
    int rc = bb_manifest_load(f->out, &f->diags, &prev);
    if (rc != BB_OK && rc != BB_ENOTFOUND)
        return rc;
    rc = bb_manifest_successor(prev, &next);
    /* bb_emit_tree() keeps each file's hash in it: hand it copies. */
    bb_file *copy = calloc(n ? n : 1, sizeof(*copy));
    assert_non_null(copy);
    if (n)
        memcpy(copy, files, n * sizeof(*copy));
    if (rc == BB_OK)
        rc = bb_emit_tree(f->out, copy, n, prev, next, &opts, &f->diags, &f->report);
    bb_manifest_free(prev);
    bb_manifest_free(next);
    free(copy);
    return rc;
}

static char *read_out(fixture *f, const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", f->out, rel);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fclose(fp);
    return tu_read_file(path, NULL);
}

static void write_out(fixture *f, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", f->out, rel);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static bool has_code(const bb_diags *d, const char *code)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].code, code) == 0)
            return true;
    return false;
}

/* Number of entries in f->root: the output folder and any leftover. */
static int entries_in_root(fixture *f)
{
    DIR *d = opendir(f->root);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static const bb_file v1[] = {
    {.path = "app/main.py", .data = "print('v1')\n", .len = 12},
    {.path = "app/models/user.py", .data = "class User: pass\n", .len = 17},
    {.path = "README.md", .data = "# v1\n", .len = 5},
};

static const bb_file v2[] = {
    {.path = "app/main.py", .data = "print('v2')\n", .len = 12},
    {.path = "app/models/user.py", .data = "class User: pass\n", .len = 17},
    {.path = "README.md", .data = "# v2\n", .len = 5},
};

static void writes_a_fresh_tree_and_its_manifest(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    char *main_py = read_out(f, "app/main.py");
    assert_string_equal(main_py, "print('v1')\n");
    free(main_py);
    bb_manifest *m;
    assert_int_equal(bb_manifest_load(f->out, &f->diags, &m), BB_OK);
    char hex[65];
    assert_int_equal(bb_sha256_hex("# v1\n", 5, hex), BB_OK);
    assert_string_equal(bb_manifest_hash(m, "README.md"), hex);
    bb_manifest_free(m);
    assert_int_equal(entries_in_root(f), 1); /* no temporary folder left */
}

/* Written on four threads, in chunks: every file with its own bytes and
 * mode, every hash in the manifest, nothing left beside the tree. */
static void writes_a_large_tree_on_several_threads(void **state)
{
    fixture *f = *state;
    enum { N = 150 };
    bb_file files[N];
    char paths[N][32], texts[N][32];
    memset(files, 0, sizeof(files));
    for (size_t i = 0; i < N; i++) {
        snprintf(paths[i], sizeof(paths[i]), "d%zu/f%03zu.%s", i % 7, i, i % 10 ? "py" : "sh");
        snprintf(texts[i], sizeof(texts[i]), "file %zu\n", i);
        files[i] = (bb_file){.path = paths[i], .data = texts[i], .len = strlen(texts[i])};
    }
    assert_int_equal(emit(f, files, N, (bb_emit_opts){.jobs = 4}), BB_OK);
    assert_int_equal(f->report.n_written, N);
    bb_manifest *m;
    assert_int_equal(bb_manifest_load(f->out, &f->diags, &m), BB_OK);
    for (size_t i = 0; i < N; i++) {
        char *text = read_out(f, paths[i]);
        assert_string_equal(text, texts[i]);
        free(text);
        char hex[65], path[512];
        assert_int_equal(bb_sha256_hex(texts[i], strlen(texts[i]), hex), BB_OK);
        assert_string_equal(bb_manifest_hash(m, paths[i]), hex);
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", f->out, paths[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, i % 10 ? 0644 : 0755);
    }
    bb_manifest_free(m);
    assert_int_equal(entries_in_root(f), 1);
}

/* A hash the file carries is the one used: each file is hashed once, by
 * whichever step needs it first (the reviewer, usually). */
static void the_manifest_takes_the_hash_a_file_carries(void **state)
{
    fixture *f = *state;
    bb_file one = {.path = "README.md", .data = "# v1\n", .len = 5};
    memset(one.sha256, 'a', BB_SHA256_HEX_LEN);
    assert_int_equal(emit(f, &one, 1, (bb_emit_opts){0}), BB_OK);
    bb_manifest *m;
    assert_int_equal(bb_manifest_load(f->out, &f->diags, &m), BB_OK);
    assert_string_equal(bb_manifest_hash(m, "README.md"), one.sha256);
    bb_manifest_free(m);
    bb_file fresh = {.path = "x", .data = "abc", .len = 3};
    assert_string_equal(bb_file_sha256(&fresh),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* The folder stays (a shell or a reloader inside it keeps working); the
 * files that change take their places one by one, the others are left as
 * they are, time stamp and all. */
static void regenerates_inside_the_folder_it_keeps(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    struct stat dir_before, dir_after, user_before, user_after, readme_before, readme_after;
    char path[512];
    assert_int_equal(stat(f->out, &dir_before), 0);
    snprintf(path, sizeof(path), "%s/app/models/user.py", f->out);
    assert_int_equal(stat(path, &user_before), 0);
    snprintf(path, sizeof(path), "%s/README.md", f->out);
    assert_int_equal(stat(path, &readme_before), 0);
    assert_int_equal(emit(f, v2, 3, (bb_emit_opts){0}), BB_OK);
    char *readme = read_out(f, "README.md");
    assert_string_equal(readme, "# v2\n");
    free(readme);
    assert_int_equal(f->report.n_written, 2); /* user.py is the same */
    assert_int_equal(stat(f->out, &dir_after), 0);
    assert_int_equal(dir_before.st_ino, dir_after.st_ino);
    snprintf(path, sizeof(path), "%s/app/models/user.py", f->out);
    assert_int_equal(stat(path, &user_after), 0);
    assert_int_equal(user_before.st_ino, user_after.st_ino);
    snprintf(path, sizeof(path), "%s/README.md", f->out);
    assert_int_equal(stat(path, &readme_after), 0);
    assert_int_not_equal(readme_before.st_ino, readme_after.st_ino); /* renamed in whole */
    assert_int_equal(entries_in_root(f), 1); /* no temporary tree left beside it */
}

static void refuses_a_non_empty_directory_it_did_not_generate(void **state)
{
    fixture *f = *state;
    assert_int_equal(mkdir(f->out, 0755), 0);
    write_out(f, "notes.txt", "mine\n");
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0731"));
    assert_null(read_out(f, "README.md"));
}

static void force_adopts_a_directory_but_never_overwrites_a_differing_file(void **state)
{
    fixture *f = *state;
    assert_int_equal(mkdir(f->out, 0755), 0);
    write_out(f, "README.md", "my own readme\n");
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){.force = true}), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0801"));
    char *readme = read_out(f, "README.md");
    assert_string_equal(readme, "my own readme\n");
    free(readme);
}

static void rejects_paths_that_leave_the_output_directory(void **state)
{
    fixture *f = *state;
    static const char *bad[] = {"/etc/passwd", "../x.py", "a/../../x", "a//b", "./a", "", "a\\b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bb_file one = {.path = (char *)bad[i], .data = "x", .len = 1};
        assert_int_equal(emit(f, &one, 1, (bb_emit_opts){0}), BB_EINVAL);
    }
    assert_true(has_code(&f->diags, "BB0724"));
    assert_int_equal(entries_in_root(f), 0);
    assert_true(bb_file_path_is_safe("app/models/user.py"));
}

static void refuses_two_files_with_the_same_path(void **state)
{
    fixture *f = *state;
    bb_file twice[] = {v1[0], v1[1], v1[0]};
    assert_int_equal(emit(f, twice, 3, (bb_emit_opts){0}), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0725"));
    assert_int_equal(entries_in_root(f), 0);
}

static void reports_a_write_that_fails(void **state)
{
    fixture *f = *state;
    char file[128];
    snprintf(file, sizeof(file), "%s/a-file", f->root);
    FILE *fp = fopen(file, "w");
    fclose(fp);
    snprintf(f->out, sizeof(f->out), "%s/a-file/out", f->root);
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_EIO);
    assert_true(has_code(&f->diags, "BB0730"));
    assert_int_equal(entries_in_root(f), 1);
}

static void makes_the_missing_folders_above_the_output(void **state)
{
    fixture *f = *state;
    snprintf(f->out, sizeof(f->out), "%s/new/parent/out", f->root);
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    char *readme = read_out(f, "README.md");
    assert_string_equal(readme, "# v1\n");
    free(readme);
}

static void refuses_a_symbolic_link_in_the_way(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    char models[256];
    snprintf(models, sizeof(models), "%s/app/models", f->out);
    assert_int_equal(bb_emit_remove_tree(models), BB_OK);
    assert_int_equal(symlink("/tmp", models), 0);
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0734"));
    struct stat st;
    assert_int_equal(lstat(models, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
}

static void refuses_an_output_that_is_a_symbolic_link(void **state)
{
    fixture *f = *state;
    assert_int_equal(symlink("/tmp", f->out), 0);
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0732"));
}

static void keeps_files_the_user_added(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    write_out(f, "app/extra.py", "mine = 1\n");
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/docs", f->out);
    assert_int_equal(mkdir(dir, 0755), 0);
    write_out(f, "docs/notes.md", "notes\n");
    assert_int_equal(emit(f, v2, 3, (bb_emit_opts){0}), BB_OK);
    char *extra = read_out(f, "app/extra.py"), *notes = read_out(f, "docs/notes.md");
    assert_string_equal(extra, "mine = 1\n");
    assert_string_equal(notes, "notes\n");
    free(extra);
    free(notes);
}

static void stops_on_an_edited_file_and_leaves_the_tree_as_it_was(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    write_out(f, "app/main.py", "print('edited')\n");
    assert_int_equal(emit(f, v2, 3, (bb_emit_opts){0}), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0801"));
    char *main_py = read_out(f, "app/main.py"), *readme = read_out(f, "README.md");
    assert_string_equal(main_py, "print('edited')\n");
    assert_string_equal(readme, "# v1\n"); /* nothing else was written either */
    free(main_py);
    free(readme);
    assert_int_equal(entries_in_root(f), 1);
}

static void merge_writes_the_new_version_beside_an_edited_file(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    write_out(f, "app/main.py", "print('edited')\n");
    assert_int_equal(emit(f, v2, 3, (bb_emit_opts){.merge = true}), BB_OK);
    char *main_py = read_out(f, "app/main.py"), *fresh = read_out(f, "app/main.py.new");
    assert_string_equal(main_py, "print('edited')\n");
    assert_string_equal(fresh, "print('v2')\n");
    free(main_py);
    free(fresh);
    assert_int_equal(f->report.n_merged, 1);
    assert_true(has_code(&f->diags, "BB0802"));
}

static void a_failure_midway_leaves_the_previous_tree_intact(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    int failed = 0;
    for (long n = 0; n < 200; n++) {
        bb_alloc_fail_after(n);
        int rc = emit(f, v2, 3, (bb_emit_opts){0});
        bb_alloc_fail_after(-1);
        if (rc == BB_OK)
            break;
        failed++;
        char *readme = read_out(f, "README.md");
        assert_string_equal(readme, "# v1\n");
        free(readme);
        assert_int_equal(entries_in_root(f), 1);
    }
    assert_true(failed > 0);
    char *readme = read_out(f, "README.md");
    assert_string_equal(readme, "# v2\n");
    free(readme);
}

static void removes_what_an_interrupted_run_left_beside_the_target(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    char leftover[256], other[256];
    snprintf(leftover, sizeof(leftover), "%s.tmp-a1B2c3", f->out);
    snprintf(other, sizeof(other), "%s/unrelated.tmp-a1B2c3", f->root);
    assert_int_equal(mkdir(leftover, 0755), 0);
    assert_int_equal(mkdir(other, 0755), 0);
    assert_int_equal(emit(f, v2, 3, (bb_emit_opts){0}), BB_OK);
    struct stat st;
    assert_int_not_equal(lstat(leftover, &st), 0);
    assert_int_equal(lstat(other, &st), 0); /* another target's: not ours to remove */
}

static void drops_stale_files_but_keeps_edited_ones(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    write_out(f, "app/models/user.py", "class User: edited = True\n");
    assert_int_equal(emit(f, v1, 1, (bb_emit_opts){0}), BB_OK); /* only app/main.py */
    char *readme = read_out(f, "README.md"), *user = read_out(f, "app/models/user.py");
    assert_null(readme);
    assert_string_equal(user, "class User: edited = True\n");
    free(user);
    assert_true(has_code(&f->diags, "BB0735"));
}

static void user_owned_files_are_written_only_when_absent(void **state)
{
    fixture *f = *state;
    bb_file files[] = {{.path = "app/custom.py", .data = "# yours\n", .len = 8, .user = true},
                       v1[0]};
    assert_int_equal(emit(f, files, 2, (bb_emit_opts){0}), BB_OK);
    write_out(f, "app/custom.py", "# edited by the user\n");
    assert_int_equal(emit(f, files, 2, (bb_emit_opts){0}), BB_OK);
    char *custom = read_out(f, "app/custom.py");
    assert_string_equal(custom, "# edited by the user\n");
    free(custom);
    bb_diags d;
    bb_diags_init(&d, "m", NULL, 0);
    bb_manifest *m;
    assert_int_equal(bb_manifest_load(f->out, &d, &m), BB_OK);
    assert_null(bb_manifest_hash(m, "app/custom.py"));
    bb_manifest_free(m);
    bb_diags_free(&d);
}

static void an_unchanged_tree_is_left_alone(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    struct stat before, after;
    assert_int_equal(stat(f->out, &before), 0);
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    assert_int_equal(stat(f->out, &after), 0);
    assert_true(f->report.up_to_date);
    assert_int_equal(f->report.n_written, 0); /* nothing was written */
    assert_int_equal(before.st_ino, after.st_ino);
}

static void check_passes_on_a_tree_that_is_up_to_date(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){.check = true}), BB_OK);
    assert_int_equal(f->diags.n_errors, 0);
}

/* A deleted file of the user's comes back on the next run, and a deleted
 * manifest makes the folder one backbone did not generate: --check says so. */
static void check_reports_a_deleted_user_file_and_a_deleted_manifest(void **state)
{
    fixture *f = *state;
    bb_file files[] = {{.path = "app/custom.py", .data = "# yours\n", .len = 8, .user = true},
                       v1[0]};
    char path[512];
    assert_int_equal(emit(f, files, 2, (bb_emit_opts){0}), BB_OK);
    snprintf(path, sizeof(path), "%s/app/custom.py", f->out);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(emit(f, files, 2, (bb_emit_opts){.check = true}), BB_EINVAL);
    assert_int_equal(f->report.n_added, 1);
    assert_true(has_code(&f->diags, "BB0803"));
    assert_int_equal(emit(f, files, 2, (bb_emit_opts){0}), BB_OK);
    bb_diags_free(&f->diags);
    bb_diags_init(&f->diags, "t", NULL, 0);
    snprintf(path, sizeof(path), "%s/%s", f->out, BB_MANIFEST_PATH);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(emit(f, files, 2, (bb_emit_opts){.check = true}), BB_EINVAL);
    assert_int_equal(f->report.n_added, 1);
}

/* An accepted edit is the user's while the generated version stays the
 * one it was accepted against; when that changes, it is an edit again. */
static void an_accepted_edit_is_left_alone_until_its_version_changes(void **state)
{
    fixture *f = *state;
    const char *accept[] = {"app/main.py"};
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    write_out(f, "app/main.py", "print('mine')\n");
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_EINVAL); /* BB0801 */
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){.accept = accept, .n_accept = 1}), BB_OK);
    bb_diags_free(&f->diags);
    bb_diags_init(&f->diags, "t", NULL, 0);
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){.check = true}), BB_OK);
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){.merge = true}), BB_OK);
    assert_true(f->report.up_to_date);
    assert_null(read_out(f, "app/main.py.new")); /* no .new for an accepted edit */
    assert_int_equal(f->diags.n, 0);
    char *main_py = read_out(f, "app/main.py");
    assert_string_equal(main_py, "print('mine')\n");
    free(main_py);
    /* The generated version changes: the edit is behind it. */
    assert_int_equal(emit(f, v2, 3, (bb_emit_opts){0}), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0801"));
    assert_int_equal(emit(f, v2, 3, (bb_emit_opts){.merge = true}), BB_OK);
    char *fresh = read_out(f, "app/main.py.new");
    assert_string_equal(fresh, "print('v2')\n");
    free(fresh);
    assert_int_equal(emit(f, v2, 3, (bb_emit_opts){.accept = accept, .n_accept = 1}), BB_OK);
    bb_diags_free(&f->diags);
    bb_diags_init(&f->diags, "t", NULL, 0);
    assert_int_equal(emit(f, v2, 3, (bb_emit_opts){.check = true}), BB_OK);
    /* Only generated files can be accepted. */
    const char *nothing[] = {"app/nothing.py"};
    assert_int_equal(emit(f, v2, 3, (bb_emit_opts){.accept = nothing, .n_accept = 1}), BB_EINVAL);
    assert_true(has_code(&f->diags, "BB0841"));
}

/* When a file whose edit was accepted is no longer generated, the edit
 * stays as a file of the user's and the manifest forgets the acceptance. */
static void the_acceptance_of_a_file_no_longer_generated_is_forgotten(void **state)
{
    fixture *f = *state;
    const char *accept[] = {"app/main.py"};
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){0}), BB_OK);
    write_out(f, "app/main.py", "print('mine')\n");
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){.accept = accept, .n_accept = 1}), BB_OK);
    assert_int_equal(emit(f, v1 + 1, 2, (bb_emit_opts){0}), BB_OK);
    assert_true(has_code(&f->diags, "BB0735")); /* kept as a file of the user's */
    char *main_py = read_out(f, "app/main.py");
    assert_string_equal(main_py, "print('mine')\n");
    free(main_py);
    bb_manifest *m;
    assert_int_equal(bb_manifest_load(f->out, &f->diags, &m), BB_OK);
    assert_null(bb_manifest_accepted(m, "app/main.py"));
    assert_null(cJSON_GetObjectItemCaseSensitive(m->root, "accepted"));
    bb_manifest_free(m);
}

/* A file written once for the user that a later run no longer writes (its
 * table is gone) is reported on every run while it is there, never removed. */
static void an_unused_file_of_the_user_is_reported_until_it_is_gone(void **state)
{
    fixture *f = *state;
    bb_file files[] = {{.path = "app/custom/tags.py", .data = "# yours\n", .len = 8, .user = true},
                       v1[0]};
    assert_int_equal(emit(f, files, 2, (bb_emit_opts){0}), BB_OK);
    for (int run = 0; run < 2; run++) {
        bb_diags_free(&f->diags);
        bb_diags_init(&f->diags, "t", NULL, 0);
        assert_int_equal(emit(f, &files[1], 1, (bb_emit_opts){0}), BB_OK);
        assert_true(has_code(&f->diags, "BB0840"));
        char *kept = read_out(f, "app/custom/tags.py");
        assert_string_equal(kept, "# yours\n");
        free(kept);
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/app/custom/tags.py", f->out);
    assert_int_equal(unlink(path), 0);
    bb_diags_free(&f->diags);
    bb_diags_init(&f->diags, "t", NULL, 0);
    assert_int_equal(emit(f, &files[1], 1, (bb_emit_opts){0}), BB_OK);
    assert_false(has_code(&f->diags, "BB0840"));
}

static void check_lists_added_changed_and_removed_files_and_writes_nothing(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 2, (bb_emit_opts){0}), BB_OK); /* main.py, user.py */
    write_out(f, "app/main.py", "print('edited')\n");
    bb_buf diff;
    bb_buf_init(&diff, 1 << 20);
    bb_file next[] = {v1[0], v1[2]}; /* user.py removed, README added */
    assert_int_equal(emit(f, next, 2, (bb_emit_opts){.check = true, .diff = &diff}), BB_EINVAL);
    assert_int_equal(f->report.n_added, 1);
    assert_int_equal(f->report.n_changed, 1);
    assert_int_equal(f->report.n_removed, 1);
    assert_true(has_code(&f->diags, "BB0803") && has_code(&f->diags, "BB0804") &&
                has_code(&f->diags, "BB0805"));
    assert_non_null(strstr(bb_buf_str(&diff), "-print('edited')\n+print('v1')\n"));
    assert_non_null(strstr(bb_buf_str(&diff), "+++ /dev/null"));
    assert_null(read_out(f, "README.md"));
    bb_buf_free(&diff);
}

static void check_of_a_missing_directory_lists_every_file_as_added(void **state)
{
    fixture *f = *state;
    assert_int_equal(emit(f, v1, 3, (bb_emit_opts){.check = true}), BB_EINVAL);
    assert_int_equal(f->report.n_added, 3);
    assert_int_equal(entries_in_root(f), 0);
}

static void a_flushed_tree_larger_than_one_batch_is_complete(void **state)
{
    fixture *f = *state;
    enum { N = 600 }; /* more files than are flushed at once, in many folders */
    static char paths[N][32], bodies[N][32];
    bb_file files[N];
    for (int i = 0; i < N; i++) {
        snprintf(paths[i], sizeof(paths[i]), "pkg%02d/sub/m%03d.py", i % 40, i);
        int len = snprintf(bodies[i], sizeof(bodies[i]), "x = %d\n", i);
        files[i] = (bb_file){.path = paths[i], .data = bodies[i], .len = (size_t)len};
    }
    for (int round = 0; round < 2; round++) { /* fresh, then swapped in */
        if (round)
            bodies[N - 1][4] = '7';
        assert_int_equal(emit(f, files, N, (bb_emit_opts){0}), BB_OK);
        assert_int_equal(f->report.n_written, round ? 1 : N);
        for (int i = 0; i < N; i += 37) {
            char *text = read_out(f, paths[i]);
            assert_non_null(text);
            assert_string_equal(text, bodies[i]);
            free(text);
        }
        char *last = read_out(f, paths[N - 1]);
        assert_string_equal(last, bodies[N - 1]);
        free(last);
        assert_int_equal(entries_in_root(f), 1);
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(writes_a_fresh_tree_and_its_manifest),
        T(writes_a_large_tree_on_several_threads),
        T(the_manifest_takes_the_hash_a_file_carries),
        T(a_flushed_tree_larger_than_one_batch_is_complete),
        T(regenerates_inside_the_folder_it_keeps),
        T(refuses_a_non_empty_directory_it_did_not_generate),
        T(force_adopts_a_directory_but_never_overwrites_a_differing_file),
        T(rejects_paths_that_leave_the_output_directory),
        T(refuses_two_files_with_the_same_path),
        T(reports_a_write_that_fails),
        T(makes_the_missing_folders_above_the_output),
        T(refuses_a_symbolic_link_in_the_way),
        T(refuses_an_output_that_is_a_symbolic_link),
        T(keeps_files_the_user_added),
        T(stops_on_an_edited_file_and_leaves_the_tree_as_it_was),
        T(merge_writes_the_new_version_beside_an_edited_file),
        T(a_failure_midway_leaves_the_previous_tree_intact),
        T(removes_what_an_interrupted_run_left_beside_the_target),
        T(drops_stale_files_but_keeps_edited_ones),
        T(user_owned_files_are_written_only_when_absent),
        T(an_unchanged_tree_is_left_alone),
        T(check_passes_on_a_tree_that_is_up_to_date),
        T(check_reports_a_deleted_user_file_and_a_deleted_manifest),
        T(an_accepted_edit_is_left_alone_until_its_version_changes),
        T(the_acceptance_of_a_file_no_longer_generated_is_forgotten),
        T(an_unused_file_of_the_user_is_reported_until_it_is_gone),
        T(check_lists_added_changed_and_removed_files_and_writes_nothing),
        T(check_of_a_missing_directory_lists_every_file_as_added),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
