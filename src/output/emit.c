/*
 * emit.c - writing a generated tree atomically and comparing it with the
 * disk (see emit.h for the rules).
 *
 * The work is done in two passes so that nothing is written before the run
 * is known to be allowed: classify() looks at every generated path on disk
 * and finds edited files and things in the way; only then build_tree()
 * writes what changes beside the target, and swap_in() (a new target) or
 * move_in() (an existing one, file by file) puts it in place.
 */
#include "output/emit.h"

#include "base/file.h"
#include "base/parallel.h"
#include "output/diff.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define EMIT_PATH_MAX 4096
#define EMIT_MAX_FILE_BYTES (256u << 20) /* an old file larger than this is "edited" */
#define SYNC_BATCH 256                   /* written files kept open until flushed */
#define SYNC_THREADS 8                   /* fsync() calls in flight at once */

/* What the disk holds at a generated path, decided before writing anything. */
typedef enum {
    ST_ABSENT,   /* nothing there: write */
    ST_SAME,     /* the same bytes: write (no change) */
    ST_OURS,     /* what the manifest recorded: replace */
    ST_EDITED,   /* differs from both: the user's; keep */
    ST_ACCEPTED, /* edited, and the edit accepted against this version: keep */
    ST_BLOCKED,  /* a directory, link or special file is in the way */
} file_state;

typedef struct emit_ctx {
    const char *dir; /* the target, as given */
    bb_file *files;
    size_t n;
    size_t *order; /* indexes of files sorted by path, for lookups */
    file_state *state;
    const bb_manifest *prev;
    bb_manifest *next;
    const bb_emit_opts *opts;
    bb_diags *diags;
    bb_emit_report *report;
    bool target_exists;
    char tmp[EMIT_PATH_MAX];  /* the new tree being built */
    char made[EMIT_PATH_MAX]; /* the last folder make_parents() made or found */
    dev_t target_dev;         /* the target's file system: walks never leave it */
    int unsynced[SYNC_BATCH]; /* written files not flushed yet (open) */
    size_t n_unsynced;
} emit_ctx;

/* ---- paths ---------------------------------------------------------------- */

/* Joins base and rel into out; BB_ELIMIT when the result is too long. */
static int join(char out[EMIT_PATH_MAX], const char *base, const char *rel)
{
    int n = snprintf(out, EMIT_PATH_MAX, "%s/%s", base, rel);
    return n < 0 || n >= EMIT_PATH_MAX ? BB_ELIMIT : BB_OK;
}

static int io_error(emit_ctx *c, const char *what, const char *path)
{
    int e = errno;
    bb_diag_add(c->diags, BB_ERROR, "BB0730", NULL, BB_NO_OFFSET, NULL, "cannot %s %s: %s", what,
                path, strerror(e));
    errno = e;
    return BB_EIO;
}

static int compare_by_path(const void *a, const void *b, void *files)
{
    bb_file *f = files;
    return strcmp(f[*(const size_t *)a].path, f[*(const size_t *)b].path);
}

/* Index of the generated file with this path, or -1. */
static long find_file(const emit_ctx *c, const char *path)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->files[c->order[mid]].path, path);
        if (cmp == 0)
            return (long)c->order[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Rule 1 of emit.h: every path safe and given once. */
static int check_paths(emit_ctx *c)
{
    int rc = BB_OK;
    for (size_t i = 0; i < c->n; i++) {
        if (!bb_file_path_is_safe(c->files[i].path)) {
            bb_diag_add(c->diags, BB_ERROR, "BB0724", NULL, BB_NO_OFFSET,
                        "output paths are relative, without '.', '..' or empty parts",
                        "refusing to write outside the output directory: '%s'", c->files[i].path);
            rc = BB_EINVAL;
        }
    }
    for (size_t i = 1; i < c->n; i++) {
        const char *a = c->files[c->order[i - 1]].path, *b = c->files[c->order[i]].path;
        if (strcmp(a, b) == 0) {
            bb_diag_add(c->diags, BB_ERROR, "BB0725", NULL, BB_NO_OFFSET, NULL,
                        "two generated files have the same path '%s'", a);
            rc = BB_EINVAL;
        }
    }
    return rc;
}

/* ---- reading what is on disk --------------------------------------------- */

/*
 * Reads a regular file without following a symbolic link. *kind is 'f' for a
 * regular file (data set), '-' when absent, 'o' for anything else (directory,
 * link, special file).
 */
static int read_disk(const char *path, char **data, size_t *len, char *kind)
{
    *data = NULL;
    *len = 0;
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            *kind = '-';
            return BB_OK;
        }
        return BB_EIO;
    }
    if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > EMIT_MAX_FILE_BYTES) {
        *kind = 'o';
        return BB_OK;
    }
    *kind = 'f';
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return BB_EIO;
    size_t cap = (size_t)st.st_size;
    char *p = bb_malloc(cap + 1);
    if (!p) {
        close(fd);
        return BB_ENOMEM;
    }
    size_t n = 0;
    while (n < cap) {
        ssize_t got = read(fd, p + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    p[n] = '\0';
    *data = p;
    *len = n;
    return BB_OK;
}

static bool hash_equals(const char *data, size_t len, const char *hex)
{
    char h[BB_SHA256_HEX_LEN + 1];
    return hex && bb_sha256_hex(data, len, h) == BB_OK && strcmp(h, hex) == 0;
}

/* True when a parent directory of rel, in dir, is something else than a
 * directory (a file, or a symbolic link that could lead outside). */
static bool parent_blocked(const char *dir, const char *rel)
{
    char path[EMIT_PATH_MAX];
    const char *slash = rel;
    while ((slash = strchr(slash, '/')) != NULL) {
        int n = snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(slash - rel), rel);
        if (n < 0 || n >= (int)sizeof(path))
            return true;
        struct stat st;
        if (lstat(path, &st) != 0)
            return false; /* absent: nothing deeper exists either */
        if (!S_ISDIR(st.st_mode))
            return true;
        slash++;
    }
    return false;
}

static void report_edited(emit_ctx *c, const char *path, bool blocked)
{
    if (blocked) {
        bb_diag_add(c->diags, BB_ERROR, "BB0734", NULL, BB_NO_OFFSET,
                    "move it away, or remove it if it is not needed, then run again",
                    "'%s' is in the way of a generated file (a directory, symbolic link or "
                    "other file stands at or above its path)",
                    path);
    } else if (c->opts->merge) {
        bb_diag_add(c->diags, BB_WARNING, "BB0802", NULL, BB_NO_OFFSET,
                    "compare the two files and merge the changes by hand",
                    "'%s' was edited: kept as is, the new version is written beside it as "
                    "'%s.new'",
                    path, path);
    } else if (bb_manifest_accepted(c->next, path)) {
        bb_diag_add(c->diags, BB_ERROR, "BB0801", NULL, BB_NO_OFFSET,
                    "rerun with --merge to get the new version as <file>.new, merge it into "
                    "yours, then accept the result again (--accept <file>)",
                    "'%s' holds your accepted edit, and the generated version changed since; "
                    "it is not overwritten",
                    path);
    } else {
        bb_diag_add(c->diags, BB_ERROR, "BB0801", NULL, BB_NO_OFFSET,
                    "rerun with --merge to get the new version as <file>.new, keep the edit "
                    "as yours with --accept <file>, or undo the edit (or delete the file) to "
                    "let backbone regenerate it",
                    "'%s' %s; it is not overwritten", path,
                    bb_manifest_hash(c->prev, path) ? "was edited since backbone generated it"
                                                    : "exists and differs from what backbone "
                                                      "generates");
    }
}

/* An edit accepted against the version generated now is the user's; the
 * acceptance of a file that is no longer edited is forgotten. */
static file_state accepted_state(emit_ctx *c, bb_file *f, file_state st)
{
    const char *hex = f->user ? NULL : bb_manifest_accepted(c->next, f->path);
    if (hex && st == ST_EDITED)
        return strcmp(hex, bb_file_sha256(f)) == 0 ? ST_ACCEPTED : st;
    if (hex && !c->opts->check)
        bb_manifest_forget(c->next, f->path);
    return st;
}

/* Records opts->accept in the new manifest: each must be a generated file. */
static int accept_edits(emit_ctx *c)
{
    int rc = BB_OK;
    for (size_t k = 0; k < c->opts->n_accept && rc != BB_ENOMEM; k++) {
        const char *path = c->opts->accept[k];
        long i = find_file(c, path);
        if (i < 0 || c->files[i].user) {
            bb_diag_add(c->diags, BB_ERROR, "BB0841", NULL, BB_NO_OFFSET,
                        "name a file backbone generates, by its path inside the project",
                        "--accept '%s': %s", path,
                        i < 0 ? "backbone generates no such file"
                              : "the file is yours already (written once, never compared)");
            rc = BB_EINVAL;
        } else if (bb_manifest_accept(c->next, path, bb_file_sha256(&c->files[i]))) {
            rc = BB_ENOMEM;
        }
    }
    return rc;
}

/* Whether an acceptance of path means nothing any more: backbone no
 * longer generates the file (its table went), so the manifest forgets it
 * rather than keep it for ever. */
static bool no_longer_generated(void *ctx, const char *path)
{
    emit_ctx *c = ctx;
    long i = find_file(c, path);
    return i < 0 || c->files[i].user;
}

/*
 * The files written for the user once (plan entries "user": true) go into
 * the new manifest's "user_files". One the old manifest lists that this run
 * does not write, and that is still there, is no longer used by the project
 * (its table was removed or renamed): reported (BB0840) and kept in the list,
 * so every run says so until it is moved or deleted; never removed.
 */
static int track_user_files(emit_ctx *c)
{
    const cJSON *old = bb_manifest_user_files(c->prev);
    int rc = BB_OK;
    for (size_t k = 0; k < c->n && !rc; k++)
        if (c->files[c->order[k]].user)
            rc = bb_manifest_add_user_file(c->next, c->files[c->order[k]].path);
    for (const cJSON *e = old ? old->child : NULL; e && !rc; e = e->next) {
        char path[EMIT_PATH_MAX];
        struct stat st;
        long i = cJSON_IsString(e) ? find_file(c, e->valuestring) : -1;
        if (!cJSON_IsString(e) || (i >= 0 && c->files[i].user) ||
            !bb_file_path_is_safe(e->valuestring) || join(path, c->dir, e->valuestring) ||
            lstat(path, &st) != 0)
            continue;
        bb_diag_add(c->diags, BB_WARNING, "BB0840", NULL, BB_NO_OFFSET,
                    "move what you still need into the file of the table's new name, then "
                    "delete it",
                    "'%s' is yours, but the project no longer uses it: the table it was "
                    "written for was removed or renamed",
                    e->valuestring);
        rc = bb_manifest_add_user_file(c->next, e->valuestring);
    }
    return rc;
}

/*
 * Pass 1: the state of every generated path on disk. In check mode this is
 * also where differences are reported.
 */
static int classify(emit_ctx *c)
{
    int rc = BB_OK;
    for (size_t k = 0; k < c->n && rc != BB_ENOMEM; k++) {
        size_t i = c->order[k];
        bb_file *f = &c->files[i];
        char path[EMIT_PATH_MAX];
        if (join(path, c->dir, f->path))
            return BB_ELIMIT;
        char *data = NULL, kind = '-';
        size_t len = 0;
        if (c->target_exists && parent_blocked(c->dir, f->path))
            kind = 'b';
        else if (c->target_exists) {
            int r = read_disk(path, &data, &len, &kind);
            if (r == BB_ENOMEM)
                return r;
            if (r)
                return io_error(c, "read", path);
        }
        file_state st;
        if (kind == '-')
            st = ST_ABSENT;
        else if (kind == 'b' || (kind == 'o' && !f->user))
            st = ST_BLOCKED;
        else if (kind == 'o' || (len == f->len && memcmp(data, f->data, len) == 0))
            st = ST_SAME;
        else if (hash_equals(data, len, bb_manifest_hash(c->prev, f->path)))
            st = ST_OURS;
        else
            st = ST_EDITED;
        if (f->user && st != ST_ABSENT && st != ST_BLOCKED)
            st = ST_SAME; /* the user's from now on: never compared */
        st = accepted_state(c, f, st);
        c->state[i] = st;

        if (c->opts->check) {
            if (f->user && st != ST_ABSENT) {
                /* the user's: never compared */
            } else if (st == ST_ABSENT) {
                c->report->n_added++;
                bb_diag_add(c->diags, BB_ERROR, "BB0803", NULL, BB_NO_OFFSET, NULL,
                            "'%s' would be added", f->path);
            } else if (st != ST_SAME && st != ST_ACCEPTED) {
                c->report->n_changed++;
                bb_diag_add(c->diags, BB_ERROR, "BB0804", NULL, BB_NO_OFFSET, NULL,
                            "'%s' differs from what backbone generates", f->path);
            }
            if (c->opts->diff && (!f->user || st == ST_ABSENT) && st != ST_SAME &&
                st != ST_ACCEPTED && st != ST_BLOCKED)
                rc = bb_diff_unified(f->path, data, data ? len : 0, f->data, f->len, c->opts->diff);
            if (rc == BB_ELIMIT)
                rc = BB_OK; /* the diff output is capped; the list is complete */
        } else if (st == ST_EDITED || st == ST_BLOCKED) {
            c->report->n_edited++;
            report_edited(c, f->path, st == ST_BLOCKED);
            if (st == ST_BLOCKED || !c->opts->merge)
                rc = BB_EINVAL;
        }
        bb_free(data);
    }
    return rc;
}

/* Check mode: files the manifest lists that are no longer generated; and
 * the manifest itself, which a generated tree has. */
static int check_removed(emit_ctx *c)
{
    if (!c->prev && c->target_exists) {
        c->report->n_added++;
        bb_diag_add(c->diags, BB_ERROR, "BB0803", NULL, BB_NO_OFFSET, NULL,
                    "'%s' would be added (the folder holds no record of a generation)",
                    BB_MANIFEST_PATH);
    }
    if (!c->prev)
        return BB_OK;
    const cJSON *files = bb_manifest_files(c->prev);
    int rc = BB_OK;
    for (const cJSON *e = files ? files->child : NULL; e; e = e->next) {
        char path[EMIT_PATH_MAX];
        struct stat st;
        if (find_file(c, e->string) >= 0 || !bb_file_path_is_safe(e->string) ||
            join(path, c->dir, e->string) || lstat(path, &st) != 0)
            continue;
        c->report->n_removed++;
        bb_diag_add(c->diags, BB_ERROR, "BB0805", NULL, BB_NO_OFFSET, NULL,
                    "'%s' is no longer generated and would be removed", e->string);
        if (c->opts->diff) {
            char *data;
            size_t len;
            char kind;
            if (read_disk(path, &data, &len, &kind) == BB_OK && kind == 'f')
                rc = bb_diff_unified(e->string, data, len, NULL, 0, c->opts->diff);
            bb_free(data);
            if (rc == BB_ENOMEM)
                return rc;
            rc = BB_OK;
        }
    }
    return rc;
}

/* ---- writing the new tree ------------------------------------------------- */

/* Creates every missing directory above rel inside root. */
static int make_parents(emit_ctx *c, const char *root, const char *rel)
{
    char path[EMIT_PATH_MAX];
    if (join(path, root, rel))
        return BB_ELIMIT;
    /* Files come sorted, so most share the folder of the one before. */
    char *last = strrchr(path, '/');
    size_t dir_len = (size_t)(last - path);
    if (strlen(c->made) == dir_len && memcmp(c->made, path, dir_len) == 0)
        return BB_OK;
    size_t skip = strlen(root) + 1;
    for (char *p = path + skip; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            int rc = io_error(c, "create directory", path);
            *p = '/';
            return rc;
        }
        *p = '/';
    }
    memcpy(c->made, path, dir_len);
    c->made[dir_len] = '\0';
    return BB_OK;
}

/*
 * Flushing the new tree. Each written file starts its writeback at once
 * (sync_file_range) and stays open; at the end (or every SYNC_BATCH files)
 * the files, then every folder of the tree, are fsync()ed by SYNC_THREADS
 * threads, so the file system commits them together instead of once per
 * call. Only the new tree's own data is flushed: a syncfs() would also wait
 * for everything else dirty on the file system (other jobs' data on a shared
 * machine). On a busy ext4 disk, 280 files: one fsync() after another took
 * 150 to 850 ms; this way 16 to 65 ms, as syncfs() did (14 to 35 ms).
 */
typedef struct flush_job {
    const int *fds;
    int *errs; /* each fsync()'s errno, 0 when it went well */
} flush_job;

static void flush_one(void *ctx, size_t i)
{
    flush_job *j = ctx;
    j->errs[i] = fsync(j->fds[i]) != 0 ? errno : 0;
}

/* fsync()s n descriptors (closing none); 0 or the first errno. */
static int flush_fds(const int *fds, size_t n)
{
    int errs[SYNC_BATCH];
    flush_job j = {fds, errs};
    bb_parallel_for(n, SYNC_THREADS, flush_one, &j);
    for (size_t i = 0; i < n; i++)
        if (errs[i])
            return errs[i];
    return 0;
}

/* Flushes and closes the written files still open. */
static int flush_written(emit_ctx *c)
{
    int err = flush_fds(c->unsynced, c->n_unsynced);
    for (size_t i = 0; i < c->n_unsynced; i++)
        if (close(c->unsynced[i]) != 0 && !err)
            err = errno;
    c->n_unsynced = 0;
    if (!err)
        return BB_OK;
    errno = err;
    return io_error(c, "flush the files of", c->tmp);
}

/* Creates path (it must not exist yet) with data: 0, or the errno of the
 * step that failed, named in *what. With sync the file stays open in *fd,
 * its writeback started; else it is closed. Runs on any thread. */
static int put_file(const char *path, const char *data, size_t len, bool sync, int *fd,
                    const char **what)
{
    size_t n = strlen(path);
    mode_t mode = n > 3 && strcmp(path + n - 3, ".sh") == 0 ? 0755 : 0644;
    *fd = -1;
    *what = "create";
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (out < 0)
        return errno;
    *what = "write";
    if (bb_file_write_all(out, data, len)) {
        int err = errno;
        close(out);
        return err;
    }
    if (!sync)
        return close(out) != 0 ? errno : 0;
    (void)sync_file_range(out, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: fsync() decides */
    *fd = out;
    return 0;
}

/* Reports put_file()'s outcome; a file kept open joins the ones that
 * flush_written() flushes. */
static int put_done(emit_ctx *c, int err, const char *what, const char *path, int fd)
{
    if (err) {
        errno = err;
        return io_error(c, what, path);
    }
    if (fd < 0)
        return BB_OK;
    c->unsynced[c->n_unsynced++] = fd;
    return c->n_unsynced == SYNC_BATCH ? flush_written(c) : BB_OK;
}

/* Writes a new file at root/rel (it must not exist yet). */
static int write_file(emit_ctx *c, const char *root, const char *rel, const char *data, size_t len)
{
    char path[EMIT_PATH_MAX];
    if (join(path, root, rel))
        return BB_ELIMIT;
    int rc = make_parents(c, root, rel);
    if (rc)
        return rc;
    int fd;
    const char *what;
    int err = put_file(path, data, len, !c->opts->no_sync, &fd, &what);
    return put_done(c, err, what, path, fd);
}

/* The parent directory of dir and dir's last part, for the temporary name. */
static int make_temp_dir(emit_ctx *c)
{
    int n = snprintf(c->tmp, sizeof(c->tmp), "%s.tmp-XXXXXX", c->dir);
    if (n < 0 || n >= (int)sizeof(c->tmp))
        return BB_ELIMIT;
    if (!mkdtemp(c->tmp))
        return io_error(c, "create a temporary directory beside", c->dir);
    chmod(c->tmp, 0755); /* mkdtemp makes it 0700; a project is readable */
    return BB_OK;
}

/* Folders of the new tree opened for flushing, flushed SYNC_BATCH at a time. */
typedef struct folder_batch {
    int fds[SYNC_BATCH];
    size_t n;
    int err; /* the first errno of a flush */
} folder_batch;

static void flush_folders(folder_batch *b)
{
    int err = flush_fds(b->fds, b->n);
    for (size_t i = 0; i < b->n; i++)
        close(b->fds[i]);
    b->n = 0;
    if (err && !b->err)
        b->err = err;
}

/* Opens every folder of the new tree below rel ("" for the top) into b. */
static int open_folders(emit_ctx *c, const char *rel, int depth, folder_batch *b)
{
    char path[EMIT_PATH_MAX];
    if (*rel ? join(path, c->tmp, rel) : (snprintf(path, sizeof(path), "%s", c->tmp) < 0))
        return BB_ELIMIT;
    if (depth > 256) {
        errno = ELOOP;
        return io_error(c, "walk", path);
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return io_error(c, "open", path);
    if (b->n == SYNC_BATCH)
        flush_folders(b);
    b->fds[b->n++] = fd;
    int dup_fd = dup(fd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return io_error(c, "read directory", path);
    }
    int rc = BB_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (e->d_type != DT_DIR &&
             (e->d_type != DT_UNKNOWN || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
              !S_ISDIR(st.st_mode))))
            continue;
        char child[EMIT_PATH_MAX];
        int k = *rel ? snprintf(child, sizeof(child), "%s/%s", rel, e->d_name)
                     : snprintf(child, sizeof(child), "%s", e->d_name);
        rc = k < 0 || k >= EMIT_PATH_MAX / 2 ? BB_ELIMIT : open_folders(c, child, depth + 1, b);
    }
    closedir(d);
    return rc;
}

/*
 * Flushes the new tree: its files and folders reach the disk before the
 * rename makes them visible (see flush_job above).
 */
static int sync_tree(emit_ctx *c)
{
    if (c->opts->no_sync)
        return BB_OK;
    int rc = flush_written(c);
    if (rc)
        return rc;
    folder_batch *b = bb_malloc(sizeof(*b));
    if (!b)
        return BB_ENOMEM;
    b->n = 0;
    b->err = 0;
    rc = open_folders(c, "", 0, b);
    flush_folders(b);
    if (!rc && b->err) {
        errno = b->err;
        rc = io_error(c, "flush the folders of", c->tmp);
    }
    bb_free(b);
    return rc;
}

/* The folder holding dir ("." for a bare name). */
static void parent_of(const char *dir, char parent[EMIT_PATH_MAX])
{
    snprintf(parent, EMIT_PATH_MAX, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (!slash)
        snprintf(parent, EMIT_PATH_MAX, ".");
    else if (slash == parent)
        parent[1] = '\0';
    else
        *slash = '\0';
}

static int sync_parent(emit_ctx *c)
{
    if (c->opts->no_sync)
        return BB_OK;
    char parent[EMIT_PATH_MAX];
    parent_of(c->dir, parent);
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? BB_OK : io_error(c, "flush the folder of", c->dir);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* True when name is base + ".tmp-" or ".old-" + 6 characters: a tree an
 * interrupted run left beside the target. */
static bool is_leftover(const char *name, const char *base)
{
    size_t n = strlen(base);
    return strncmp(name, base, n) == 0 &&
           (strncmp(name + n, ".tmp-", 5) == 0 || strncmp(name + n, ".old-", 5) == 0) &&
           strlen(name + n + 5) == 6;
}

/* Opens the folder at path, making it and the folders above when missing. */
static int open_or_make_folder(char path[EMIT_PATH_MAX])
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    for (char *p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        int r = mkdir(path, 0755);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return -1;
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -1;
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int bb_emit_lock(const char *dir, bb_diags *diags)
{
    char parent[EMIT_PATH_MAX];
    parent_of(dir, parent);
    int fd = open_or_make_folder(parent);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        int e = errno;
        bb_diag_add(diags, BB_ERROR, "BB0730", NULL, BB_NO_OFFSET, NULL,
                    "cannot %s the folder of %s: %s", fd < 0 ? "open" : "lock", dir, strerror(e));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    int dup_fd = dup(fd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d && dup_fd >= 0)
        close(dup_fd);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[EMIT_PATH_MAX];
        if (is_leftover(e->d_name, base) && join(path, parent, e->d_name) == BB_OK)
            bb_emit_remove_tree(path); /* best effort: it is only clutter */
    }
    if (d)
        closedir(d);
    return fd;
}

void bb_emit_unlock(int lock)
{
    if (lock >= 0)
        close(lock); /* closing the descriptor releases the flock */
}

/* Puts the new tree in place of a target that did not exist: one rename. */
static int swap_in(emit_ctx *c)
{
    if (rename(c->tmp, c->dir) != 0)
        return io_error(c, "rename the new tree to", c->dir);
    return sync_parent(c);
}

/*
 * Whether file i goes into the new tree, and under which path. Into a tree
 * that exists only what changes does: a file with the same bytes is left as
 * it is (so is its time stamp, which a reloader watches), and so is a file
 * of the user's. An edited file gets its new version beside it (.new).
 */
static bool staged(const emit_ctx *c, size_t i, char rel[EMIT_PATH_MAX])
{
    const bb_file *f = &c->files[i];
    if ((f->user && c->state[i] != ST_ABSENT) || c->state[i] == ST_ACCEPTED ||
        (c->target_exists && c->state[i] == ST_SAME))
        return false;
    int n = snprintf(rel, EMIT_PATH_MAX / 2, c->state[i] == ST_EDITED ? "%s.new" : "%s", f->path);
    return n >= 0 && n < EMIT_PATH_MAX / 2;
}

/* Paths (relative to the target) that the run removes. */
typedef struct stale_list {
    char **v;
    size_t n;
} stale_list;

static void stale_free(stale_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        bb_free(l->v[i]);
    bb_free(l->v);
}

/*
 * The files the manifest lists that are no longer generated: unchanged ones
 * are to be removed (listed in *out), edited ones stay as files of the user
 * (BB0735). Decided before anything moves, so that moving allocates nothing.
 */
static int find_stale(emit_ctx *c, stale_list *out)
{
    const cJSON *files = c->prev ? bb_manifest_files(c->prev) : NULL;
    size_t cap = (size_t)cJSON_GetArraySize(files);
    out->v = bb_calloc(cap ? cap : 1, sizeof(*out->v));
    if (!out->v)
        return BB_ENOMEM;
    for (const cJSON *e = files ? files->child : NULL; e; e = e->next) {
        char path[EMIT_PATH_MAX], *data = NULL, kind;
        size_t len;
        if (find_file(c, e->string) >= 0 || !bb_file_path_is_safe(e->string) ||
            join(path, c->dir, e->string))
            continue;
        int rc = read_disk(path, &data, &len, &kind);
        if (rc)
            return rc == BB_ENOMEM ? rc : io_error(c, "read", path);
        bool unchanged = kind == 'f' && hash_equals(data, len, cJSON_GetStringValue(e));
        bb_free(data);
        if (kind == '-')
            continue;
        if (!unchanged) {
            bb_diag_add(c->diags, BB_WARNING, "BB0735", NULL, BB_NO_OFFSET,
                        "delete it if the code is no longer needed",
                        "'%s' is no longer generated but was edited: kept as a file of yours",
                        e->string);
            continue;
        }
        if (!(out->v[out->n] = bb_strdup(e->string)))
            return BB_ENOMEM;
        out->n++;
    }
    return BB_OK;
}

/* Flushes the folder holding path, unless it was the last one flushed. */
static int sync_folder_of(emit_ctx *c, const char *path, char last[EMIT_PATH_MAX])
{
    char folder[EMIT_PATH_MAX];
    parent_of(path, folder);
    if (c->opts->no_sync || !strcmp(folder, last))
        return BB_OK;
    snprintf(last, EMIT_PATH_MAX, "%s", folder);
    int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? BB_OK : io_error(c, "flush the folder", folder);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Moves rel from the new tree to the target, over what is there. */
static int move_one(emit_ctx *c, const char *rel, char last[EMIT_PATH_MAX])
{
    char from[EMIT_PATH_MAX], to[EMIT_PATH_MAX];
    if (join(from, c->tmp, rel) || join(to, c->dir, rel))
        return BB_ELIMIT;
    int rc = make_parents(c, c->dir, rel);
    if (!rc && rename(from, to) != 0)
        rc = io_error(c, "move the new file to", to);
    return rc ? rc : sync_folder_of(c, to, last);
}

/* Removes rel from the target, then the folders above it that it leaves
 * empty (never the target itself). */
static void remove_stale(emit_ctx *c, const char *rel)
{
    char path[EMIT_PATH_MAX];
    if (join(path, c->dir, rel) || (unlink(path) != 0 && errno != ENOENT))
        return; /* what cannot be removed stays, as a stale file would */
    size_t top = strlen(c->dir);
    for (char *slash = strrchr(path, '/'); slash && (size_t)(slash - path) > top;
         slash = strrchr(path, '/')) {
        *slash = '\0';
        if (rmdir(path) != 0)
            break;
    }
}

/*
 * Puts the new tree into an existing target file by file: each file takes
 * its place with one rename (a reader sees the old or the new file, never a
 * part of one), the target folder itself stays (a shell or a reloader inside
 * it keeps working), the files no longer generated go, and the manifest
 * comes last. An interrupted run leaves some files new and the old manifest:
 * the next run finds those the same as what it generates and goes on.
 */
static int move_in(emit_ctx *c, const stale_list *stale)
{
    char last[EMIT_PATH_MAX] = "", rel[EMIT_PATH_MAX];
    int rc = BB_OK;
    for (size_t k = 0; k < c->n && !rc; k++)
        if (staged(c, c->order[k], rel))
            rc = move_one(c, rel, last);
    for (size_t i = 0; i < stale->n && !rc; i++)
        remove_stale(c, stale->v[i]);
    if (!rc)
        rc = move_one(c, BB_MANIFEST_PATH, last);
    if (bb_emit_remove_tree(c->tmp) && !rc)
        rc = io_error(c, "remove", c->tmp);
    return rc;
}

static int write_manifest(emit_ctx *c)
{
    char *text;
    size_t len;
    int rc = bb_manifest_serialize(c->next, &text, &len);
    if (rc)
        return rc;
    rc = write_file(c, c->tmp, BB_MANIFEST_PATH, text, len);
    bb_free(text);
    return rc;
}

/* Files of the new tree are written WRITE_CHUNK at a time on up to
 * opts->jobs threads, and hashed there for the manifest; what happened to
 * each is reported in path order. */
#define WRITE_CHUNK 64

typedef struct write_slot {
    bb_file *f;
    char path[EMIT_PATH_MAX];
    int err, fd;
    const char *what;
} write_slot;

typedef struct write_work {
    write_slot *slots;
    bool sync;
} write_work;

static void write_one(void *ctx, size_t k)
{
    write_work *w = ctx;
    write_slot *s = &w->slots[k];
    s->err = put_file(s->path, s->f->data, s->f->len, w->sync, &s->fd, &s->what);
    if (!s->f->user)
        (void)bb_file_sha256(s->f); /* kept in the file */
}

static int write_chunk(emit_ctx *c, write_slot *slots, size_t n)
{
    write_work w = {slots, !c->opts->no_sync};
    bb_parallel_for(n, c->opts->jobs, write_one, &w);
    int rc = BB_OK;
    for (size_t k = 0; k < n; k++)
        if (!rc)
            rc = put_done(c, slots[k].err, slots[k].what, slots[k].path, slots[k].fd);
        else if (slots[k].fd >= 0)
            close(slots[k].fd);
    return rc;
}

/* Queues file f for writing at rel in the new tree, its folders made. */
static int stage_file(emit_ctx *c, bb_file *f, const char *rel, write_slot *slots, size_t *n)
{
    write_slot *s = &slots[*n];
    s->f = f;
    int rc = join(s->path, c->tmp, rel);
    if (!rc)
        rc = make_parents(c, c->tmp, rel);
    if (!rc && ++*n == WRITE_CHUNK) {
        rc = write_chunk(c, slots, *n);
        *n = 0;
    }
    return rc;
}

/* Pass 2: the new tree beside the target: every file when the target is
 * new, else only the files that change, and the manifest. */
static int build_tree(emit_ctx *c)
{
    int rc = make_temp_dir(c);
    if (rc)
        return rc;
    write_slot *slots = bb_malloc(WRITE_CHUNK * sizeof(*slots));
    size_t n_slots = 0;
    if (!slots)
        return BB_ENOMEM;
    for (size_t k = 0; k < c->n && !rc; k++) {
        size_t i = c->order[k];
        bb_file *f = &c->files[i];
        char rel[EMIT_PATH_MAX];
        if (staged(c, i, rel)) {
            rc = stage_file(c, f, rel, slots, &n_slots);
            if (c->state[i] == ST_EDITED)
                c->report->n_merged++;
            else
                c->report->n_written++;
        } else if (f->user || c->state[i] == ST_EDITED || c->state[i] == ST_ACCEPTED) {
            c->report->n_kept++;
        }
    }
    if (!rc && n_slots)
        rc = write_chunk(c, slots, n_slots);
    bb_free(slots);
    for (size_t k = 0; k < c->n && !rc; k++) {
        bb_file *f = &c->files[c->order[k]];
        if (!f->user)
            rc = bb_manifest_set(c->next, f->path, bb_file_sha256(f));
    }
    if (!rc)
        rc = write_manifest(c);
    if (!rc)
        rc = sync_tree(c);
    return rc;
}

/* True when the old tree already is exactly the new one: same generated
 * bytes, same manifest, nothing stale. Then nothing needs writing. */
static bool already_written(emit_ctx *c)
{
    if (!c->target_exists || !c->prev)
        return false;
    for (size_t i = 0; i < c->n; i++)
        if (c->state[i] != ST_SAME && c->state[i] != ST_ACCEPTED)
            return false;
    char *text = NULL, *disk = NULL, kind;
    size_t len, disk_len;
    char path[EMIT_PATH_MAX];
    bool same = false;
    for (size_t i = 0; i < c->n; i++)
        if (!c->files[i].user &&
            bb_manifest_set(c->next, c->files[i].path, bb_file_sha256(&c->files[i])))
            return false;
    if (bb_manifest_serialize(c->next, &text, &len) == BB_OK &&
        !join(path, c->dir, BB_MANIFEST_PATH) &&
        read_disk(path, &disk, &disk_len, &kind) == BB_OK && kind == 'f')
        same = disk_len == len && memcmp(disk, text, len) == 0;
    bb_free(text);
    bb_free(disk);
    return same;
}

/* Inspects the target: absent, an empty directory, a generated tree, or
 * something backbone must not touch. */
static int check_target(emit_ctx *c)
{
    struct stat st;
    if (lstat(c->dir, &st) != 0) {
        if (errno == ENOENT)
            return BB_OK;
        return io_error(c, "inspect", c->dir);
    }
    if (!S_ISDIR(st.st_mode)) {
        bb_diag_add(c->diags, BB_ERROR, "BB0732", NULL, BB_NO_OFFSET,
                    "choose another output directory with -o",
                    "the output '%s' exists and is not a directory%s", c->dir,
                    S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
        return BB_EINVAL;
    }
    if (!(st.st_mode & S_IWUSR) && !c->opts->check) {
        /* Root could write anyway; a folder its owner made read-only is
         * one backbone leaves alone. */
        bb_diag_add(c->diags, BB_ERROR, "BB0736", NULL, BB_NO_OFFSET,
                    "make it writable (chmod u+w) or choose another output directory with -o",
                    "the output directory '%s' is read-only (mode %04o): nothing was written",
                    c->dir, (unsigned)(st.st_mode & 07777));
        return BB_EINVAL;
    }
    c->target_exists = true;
    c->target_dev = st.st_dev;
    if (c->prev || c->opts->force || c->opts->check)
        return BB_OK;
    DIR *d = opendir(c->dir);
    if (!d)
        return io_error(c, "read directory", c->dir);
    bool empty = true;
    struct dirent *e;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    if (empty)
        return BB_OK;
    bb_diag_add(c->diags, BB_ERROR, "BB0731", NULL, BB_NO_OFFSET,
                "use an empty or new directory, or --force to generate into it (files "
                "that differ are still never overwritten)",
                "'%s' is not empty and was not generated by backbone (no %s)", c->dir,
                BB_MANIFEST_PATH);
    return BB_EINVAL;
}

int bb_emit_tree(const char *dir, bb_file *files, size_t n, const bb_manifest *prev,
                 bb_manifest *next, const bb_emit_opts *opts, bb_diags *diags,
                 bb_emit_report *report)
{
    memset(report, 0, sizeof(*report));
    emit_ctx c = {.dir = dir,
                  .files = files,
                  .n = n,
                  .prev = prev,
                  .next = next,
                  .opts = opts,
                  .diags = diags,
                  .report = report};
    if (strlen(dir) >= EMIT_PATH_MAX / 2 || !*dir)
        return BB_EUSAGE;
    c.order = bb_malloc((n ? n : 1) * sizeof(*c.order));
    c.state = bb_calloc(n ? n : 1, sizeof(*c.state));
    int rc = c.order && c.state ? BB_OK : BB_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++)
        c.order[i] = i;
    if (!rc) {
        qsort_r(c.order, n, sizeof(*c.order), compare_by_path, (void *)files);
        rc = check_paths(&c);
    }
    int own_lock = -1;
    if (!rc && !opts->check && !opts->locked) {
        own_lock = bb_emit_lock(dir, diags);
        if (own_lock < 0)
            rc = BB_EIO;
    }
    if (!rc)
        rc = check_target(&c);
    if (!rc)
        rc = accept_edits(&c);
    if (!rc && !opts->check)
        bb_manifest_forget_if(next, no_longer_generated, &c);
    if (!rc)
        rc = classify(&c);
    if (!rc)
        rc = track_user_files(&c);
    if (!rc && opts->check)
        rc = check_removed(&c);
    if (opts->check) {
        if (!rc && (report->n_added || report->n_changed || report->n_removed))
            rc = BB_EINVAL;
    } else if (!rc && already_written(&c)) {
        report->up_to_date = true; /* nothing written: n_written stays 0 */
    } else if (!rc) {
        stale_list stale = {0};
        rc = c.target_exists ? find_stale(&c, &stale) : BB_OK;
        if (!rc)
            rc = build_tree(&c);
        if (!rc)
            rc = c.target_exists ? move_in(&c, &stale) : swap_in(&c);
        else if (c.tmp[0] && bb_emit_remove_tree(c.tmp))
            io_error(&c, "remove", c.tmp);
        stale_free(&stale);
    }
    for (size_t i = 0; i < c.n_unsynced; i++)
        close(c.unsynced[i]); /* a run that failed before flushing them */
    bb_emit_unlock(own_lock);
    bb_free(c.order);
    bb_free(c.state);
    return rc;
}

/* ---- removing a tree ------------------------------------------------------ */

/* Removes name below dirfd; never descends into another file system (a
 * mount point inside the tree is left alone, and the removal fails). */
static int remove_at(int dirfd, const char *name, int depth, dev_t dev)
{
    if (depth > 256)
        return BB_ELIMIT;
    if (unlinkat(dirfd, name, 0) == 0)
        return BB_OK;
    if (errno != EISDIR && errno != EPERM)
        return errno == ENOENT ? BB_OK : BB_EIO;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return BB_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_dev != dev) {
        close(fd);
        return BB_EIO;
    }
    /* A folder of a tree being thrown away that its owner made read-only
     * must still be emptied, or the tree stays behind for good. */
    if (!(st.st_mode & S_IWUSR))
        (void)fchmod(fd, (st.st_mode & 07777) | S_IRWXU);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return BB_EIO;
    }
    int rc = BB_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = remove_at(fd, e->d_name, depth + 1, dev);
    closedir(d);
    if (!rc && unlinkat(dirfd, name, AT_REMOVEDIR) != 0)
        rc = BB_EIO;
    return rc;
}

int bb_emit_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? BB_OK : BB_EIO;
    return remove_at(AT_FDCWD, path, 0, st.st_dev);
}
