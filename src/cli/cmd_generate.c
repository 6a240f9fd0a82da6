/*
 * cmd_generate.c - `backbone generate SCHEMA -o DIR`: runs the pipeline
 * (validator -> architect -> generator -> reviewer), adds the Alembic
 * revisions (migrate.h), and writes the project atomically (emit.h), or with
 * --check compares it with what is on disk.
 *
 * Exit codes: 0 written (or up to date under --check); 1 the schema is
 * invalid, the run was refused (edited files, a directory backbone did not
 * generate) or --check found differences; 2 usage or I/O error; 3 internal
 * error (a reviewer finding is a bug of backbone).
 */
#include "base/clock.h"
#include "base/file.h"
#include "base/parallel.h"
#include "cli/cli.h"

#include "base/bb.h"
#include "diag/diag.h"
#include "diag/sarif.h"
#include "llm/llm.h"
#include "migrate/migrate.h"
#include "output/emit.h"
#include "output/manifest.h"
#include "pipeline/patch.h"
#include "pipeline/pipeline.h"
#include "plan/architect.h"
#include "review/reviewer.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIFF_MAX_BYTES (8u << 20)

typedef struct gen_args {
    const char *schema;
    const char *out_dir;
    bool check, diff, merge, force, json, sarif, quiet, allow_destructive, no_sync;
    const char **accept; /* --accept PATH, each as given (argv's strings) */
    size_t n_accept;
    bb_pipeline_opts p;
    bb_llm_options llm; /* what --llm* chose; p.llm_options points here */
} gen_args;

static void usage(FILE *out)
{
    fprintf(out, "usage: backbone generate SCHEMA -o DIR [options]\n"
                 "\n"
                 "Generates the backend project described by SCHEMA into DIR, atomically:\n"
                 "the new tree is built beside DIR and renamed into place. Files you added\n"
                 "to a generated tree are kept; files you edited are never overwritten.\n"
                 "\n"
                 "options:\n"
                 "  -o, --output DIR       the project folder (required)\n"
                 "  --check                write nothing; exit 1 when DIR differs from what\n"
                 "                         would be generated (for CI)\n"
                 "  --diff                 with --check: print a unified diff of the changes\n"
                 "  --merge                write the new version of an edited file beside it\n"
                 "                         as <file>.new instead of stopping\n"
                 "  --accept FILE          keep your edit of the generated FILE (a path in\n"
                 "                         DIR) as yours: no BB0801, .new or --check\n"
                 "                         difference while its generated version stays the\n"
                 "                         same (repeatable)\n"
                 "  --force                generate into a non-empty folder backbone did not\n"
                 "                         generate (files that differ are still never\n"
                 "                         overwritten: see --merge)\n"
                 "  --allow-destructive    let the new migration drop tables and columns\n"
                 "  --templates DIR        templates in DIR replace the built-in ones, file by\n"
                 "                         file or block by block (`backbone templates export`,\n"
                 "                         docs/templates.md)\n"
                 "  --style classic|sa2    the models: classic (Column, declarative_base;\n"
                 "                         SQLAlchemy 1.4 and 2.x) or sa2 (DeclarativeBase,\n"
                 "                         Mapped[...], mapped_column; SQLAlchemy 2.0, mypy\n"
                 "                         --strict); default: the style DIR was generated\n"
                 "                         in, else classic\n"
                 "  --format human|json|sarif  output format (default human)\n"
                 "  --strict               treat warnings as errors\n"
                 "  --llm off|advise       let a language model advise (docs/llm.md)\n"
                 "  --python PATH          the Python that checks the generated code\n"
                 "  --no-python            check the generated code without Python\n"
                 "  --no-sync              do not flush the new tree to disk before the\n"
                 "                         rename (faster; for throwaway output)\n"
                 "  --max-output BYTES     cap on the generated files (default 64M)\n"
                 "  --max-tables N         more tables than the default 50 (and --max-columns,\n"
                 "                         --max-relationships, --max-string-length,\n"
                 "                         --max-depth, --max-input-bytes: docs/cli.md)\n"
                 "  -j, --jobs N           threads that format, check and write the files,\n"
                 "                         and Pythons that compile them (default: one per\n"
                 "                         CPU the process may use; the output is the same)\n"
                 "  -q, --quiet            print errors only\n"
                 "  -h, --help             this help\n"
                 "\n"
                 "exit codes: 0 done (or up to date), 1 invalid schema, refused run or\n"
                 "            differences found, 2 usage or I/O error, 3 internal error\n");
}

/* The most --jobs a run takes. */
#define MAX_JOBS 256

/* An --accept path as a path inside the project: "DIR/app/main.py" and
 * "./app/main.py" are "app/main.py". */
static const char *inside_output(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (strncmp(path, dir, n) == 0 && path[n] == '/' && strcmp(dir, ".") != 0)
        path += n + 1;
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    return path;
}

/* Whether option s is one of generate's own that take a value. */
static bool takes_value(const char *s)
{
    static const char *const valued[] = {"-o",       "--output",     "--templates",
                                         "--python", "--max-output", "--format",
                                         "--accept", "-j",           "--jobs"};
    for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
        if (!strcmp(s, valued[i]))
            return true;
    return false;
}

/* --templates must name a folder and --python a program: a typo would
 * otherwise give the built-in templates, or no check by Python, silently. */
static int check_paths(const gen_args *a)
{
    struct stat st;
    if (a->p.templates_dir && stat(a->p.templates_dir, &st) != 0) {
        bb_cli_error("generate: --templates '%s': %s", a->p.templates_dir, strerror(errno));
        return BB_EUSAGE;
    }
    if (a->p.templates_dir && !S_ISDIR(st.st_mode)) {
        bb_cli_error("generate: --templates '%s' is not a folder", a->p.templates_dir);
        return BB_EUSAGE;
    }
    if (a->p.python && *a->p.python &&
        (stat(a->p.python, &st) != 0 || !S_ISREG(st.st_mode) || access(a->p.python, X_OK) != 0)) {
        bb_cli_error("generate: --python '%s' is not a program that can be run (use --no-python "
                     "to check the code without Python)",
                     a->p.python);
        return BB_EUSAGE;
    }
    return BB_OK;
}

/* Fills a from argv; BB_OK, BB_EUSAGE (message printed) or BB_ENOTFOUND
 * for --help. */
static int parse_args(int argc, char **argv, gen_args *a)
{
    for (int i = 1; i < argc; i++) {
        int shared = bb_cli_pipeline_option(&a->p, &a->llm, argc, argv, &i);
        if (shared != 0) {
            if (shared < 0)
                return BB_EUSAGE;
            continue;
        }
        const char *s = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0)
            return BB_ENOTFOUND;
        else if (strcmp(s, "--check") == 0)
            a->check = true;
        else if (strcmp(s, "--diff") == 0)
            a->diff = true;
        else if (strcmp(s, "--merge") == 0)
            a->merge = true;
        else if (strcmp(s, "--force") == 0)
            a->force = true;
        else if (strcmp(s, "--allow-destructive") == 0)
            a->allow_destructive = true;
        else if (strcmp(s, "--strict") == 0)
            a->p.strict = true;
        else if (strcmp(s, "--no-python") == 0)
            a->p.python = "";
        else if (strcmp(s, "--no-sync") == 0)
            a->no_sync = true;
        else if (strcmp(s, "-q") == 0 || strcmp(s, "--quiet") == 0)
            a->quiet = true;
        else if ((strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) && value)
            a->out_dir = argv[++i];
        else if (strcmp(s, "--accept") == 0 && value)
            a->accept[a->n_accept++] = argv[++i];
        else if (strcmp(s, "--templates") == 0 && value)
            a->p.templates_dir = argv[++i];
        else if (strcmp(s, "--style") == 0 && value) {
            const char *name = argv[++i];
            a->p.style = bb_architect_style(name, strlen(name));
            if (!a->p.style) {
                bb_cli_error("generate: --style is classic or sa2, not '%s'", name);
                return BB_EUSAGE;
            }
        } else if (strcmp(s, "--python") == 0 && value)
            a->p.python = argv[++i];
        else if (strcmp(s, "--max-output") == 0 && value) {
            if (bb_cli_count(argv[++i], &a->p.max_output_bytes)) {
                bb_cli_error("generate: --max-output wants a size such as 64M");
                return BB_EUSAGE;
            }
        } else if ((strcmp(s, "-j") == 0 || strcmp(s, "--jobs") == 0) && value) {
            size_t jobs = 0;
            if (bb_cli_count(argv[++i], &jobs) || jobs > MAX_JOBS) {
                bb_cli_error("generate: %s wants a number of threads from 1 to %d, not '%s'", s,
                             MAX_JOBS, argv[i]);
                return BB_EUSAGE;
            }
            a->p.jobs = (unsigned)jobs;
        } else if (strcmp(s, "--format") == 0 && value) {
            const char *f = argv[++i];
            if (strcmp(f, "json") != 0 && strcmp(f, "human") != 0 && strcmp(f, "sarif") != 0) {
                bb_cli_error("generate: --format is human, json or sarif, not '%s'", f);
                return BB_EUSAGE;
            }
            a->json = strcmp(f, "json") == 0;
            a->sarif = strcmp(f, "sarif") == 0;
        } else if (takes_value(s) && !value) {
            bb_cli_error("generate: %s needs a value (see 'backbone generate --help')", s);
            return BB_EUSAGE;
        } else if (s[0] == '-' && s[1]) {
            bb_cli_error("generate: unknown option '%s' (see 'backbone generate --help')", s);
            return BB_EUSAGE;
        } else if (!a->schema) {
            a->schema = s;
        } else {
            bb_cli_error("generate: one schema at a time ('%s' and '%s')", a->schema, s);
            return BB_EUSAGE;
        }
    }
    if (!a->schema || !a->out_dir) {
        bb_cli_error("generate: %s is missing (usage: backbone generate SCHEMA -o DIR)",
                     a->schema ? "the output folder (-o DIR)" : "the schema file");
        return BB_EUSAGE;
    }
    if (a->diff && !a->check) {
        bb_cli_error("generate: --diff goes with --check");
        return BB_EUSAGE;
    }
    if (a->n_accept && a->check) {
        bb_cli_error("generate: --accept writes the manifest; it does not go with --check");
        return BB_EUSAGE;
    }
    for (size_t k = 0; k < a->n_accept; k++)
        a->accept[k] = inside_output(a->out_dir, a->accept[k]);
    return check_paths(a);
}

/*
 * The output folder as a path whose last part can be renamed: trailing
 * slashes dropped; ".", ".." and paths ending in them resolved. *out is the
 * caller's (bb_free).
 */
static int output_path(const char *dir, char **out)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    char *p = bb_strndup(dir, n);
    if (!p)
        return BB_ENOMEM;
    const char *base = strrchr(p, '/');
    base = base ? base + 1 : p;
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(p, "/") == 0) {
        char resolved[PATH_MAX];
        if (!realpath(p, resolved) || strcmp(resolved, "/") == 0) {
            bb_free(p);
            return BB_EUSAGE;
        }
        bb_free(p);
        p = bb_strdup(resolved);
        if (!p)
            return BB_ENOMEM;
    }
    *out = p;
    return BB_OK;
}

/* Progress on a terminal: one line rewritten as the stages finish. */
static void show_progress(void *ctx, const bb_stage_report *r)
{
    (void)ctx;
    fprintf(stderr, "\r\033[K  %s done (%.1f ms)", r->name, r->seconds * 1e3);
    fflush(stderr);
}

/*
 * The migrations, computed on a thread of their own while the pipeline
 * renders, from the schema the validator passed and the manifest read
 * before the pipeline. Under the lock, write_project() takes that result
 * only when the manifest is still the one it was computed from; when
 * another run wrote in between, it computes them again.
 */
typedef struct early_migrations {
    const gen_args *a;
    const char *dir;
    const bb_manifest *prev; /* as read before the pipeline */
    const bb_diags *like;    /* the run's diagnostics: their source and --strict */
    bool progress;
    bool eligible; /* more than one CPU, no model advice */
    pthread_t thread;
    bool started, joined, taken;
    const bb_schema *schema;
    bb_diags diags;
    bb_migrate_result mig;
    int rc;
} early_migrations;

/* The migrations of schema into dir, whose manifest is prev (may be NULL). */
static int migrate(const gen_args *a, const bb_schema *schema, const char *dir,
                   const bb_manifest *prev, bb_diags *diags, bb_migrate_result *mig)
{
    bb_migrate_opts mo = {.allow_destructive = a->allow_destructive};
    return bb_migrate_generate(schema, dir, prev ? prev->root : NULL, &mo, diags, mig);
}

static void *compute_early(void *arg)
{
    early_migrations *e = arg;
    e->rc = migrate(e->a, e->schema, e->dir, e->prev, &e->diags, &e->mig);
    return NULL;
}

/* The pipeline's stage hook: progress, and the migrations' start once the
 * schema is valid. */
static void stage_done(void *ctx, const bb_stage_report *r)
{
    early_migrations *e = ctx;
    if (e->progress)
        show_progress(NULL, r);
    if (e->eligible && !e->started && r->schema && !r->n_errors &&
        strcmp(r->name, "validator") == 0) {
        e->schema = r->schema;
        bb_diags_init(&e->diags, e->like->filename, e->like->src, e->like->src_len);
        e->diags.warnings_as_errors = e->a->p.strict;
        e->started = pthread_create(&e->thread, NULL, compute_early, e) == 0;
        if (!e->started)
            bb_diags_free(&e->diags);
    }
}

static void join_early(early_migrations *e)
{
    if (e->started && !e->joined)
        pthread_join(e->thread, NULL);
    e->joined = true;
}

/* Frees what the thread made, unless write_project() took it. */
static void end_early(early_migrations *e)
{
    join_early(e);
    if (e->started && !e->taken) {
        bb_migrate_result_free(&e->mig);
        bb_diags_free(&e->diags);
    }
}

/* The early result into *mig and diags, when it was computed from the
 * manifest that is there now; BB_ENOTFOUND when it cannot be used. */
static int take_early(early_migrations *e, const bb_manifest *prev, bb_diags *diags,
                      bb_migrate_result *mig)
{
    if (!e || !e->started)
        return BB_ENOTFOUND;
    join_early(e);
    bool same =
        (!prev && !e->prev) || (prev && e->prev && cJSON_Compare(prev->root, e->prev->root, true));
    if (!same)
        return BB_ENOTFOUND;
    e->taken = true;
    *mig = e->mig;
    int rc = bb_diags_append(diags, &e->diags);
    bb_diags_free(&e->diags);
    return rc ? rc : e->rc;
}

/*
 * The migrations hook: the Alembic revision files of the project (recorded
 * ones as they are on disk, plus a new one when the schema changed) join the
 * generated files, and the manifest records the normalized schema and the
 * revision history for the next run.
 */
static int add_migrations(const gen_args *a, const char *dir, const bb_output *o,
                          const bb_manifest *prev, bb_manifest *next, bb_diags *diags,
                          early_migrations *early, bb_migrate_result *mig)
{
    int rc = take_early(early, prev, diags, mig);
    if (rc == BB_ENOTFOUND)
        rc = migrate(a, o->schema, dir, prev, diags, mig);
    if (rc)
        return rc;
    bb_manifest_adopt(next, "schema", &mig->schema);
    bb_manifest_adopt(next, "revisions", &mig->revisions);
    return BB_OK;
}

/* The files to write: the rendered ones (with the hashes the reviewer
 * computed), then the revision files. */
static int collect_files(const bb_output *o, const bb_migrate_result *mig, bb_file **out, size_t *n)
{
    size_t total = o->n_files + mig->n_files;
    bb_file *f = bb_calloc(total ? total : 1, sizeof(*f));
    if (!f)
        return BB_ENOMEM;
    if (o->n_files)
        memcpy(f, o->files, o->n_files * sizeof(*f));
    if (mig->n_files)
        memcpy(f + o->n_files, mig->files, mig->n_files * sizeof(*f));
    *out = f;
    *n = total;
    return BB_OK;
}

typedef struct run_result {
    int rc;
    const char *failed_stage; /* the stage that failed, NULL when none */
    double write_seconds;
    bb_emit_report emit;
    size_t n_files;
    bb_buf diff;
    bb_buf advice; /* the model's accepted advice as a diff of the schema */
} run_result;

/*
 * The manifest of the tree in dir, NULL when there is none. With --force a
 * broken manifest is ignored (edited files are still protected: without
 * hashes every file that differs counts as edited).
 */
static int load_previous(const gen_args *a, const char *dir, bb_diags *diags, bb_manifest **prev)
{
    int rc = bb_manifest_load(dir, diags, prev);
    if (rc == BB_ENOTFOUND || (rc == BB_EINVAL && a->force))
        rc = BB_OK;
    return rc;
}

typedef struct review_ctx {
    const bb_manifest *prev;
    const char *dir;
} review_ctx;

/* The reviewer's shortcut: a file whose bytes are those the manifest
 * recorded passed the review when that run wrote it; a file of the user
 * ("user": true) that exists already will not be written at all. */
static bool reviewed_before(void *ctx, bb_file *f)
{
    const review_ctx *r = ctx;
    if (f->user) {
        char path[4096];
        int n = snprintf(path, sizeof(path), "%s/%s", r->dir, f->path);
        return n > 0 && n < (int)sizeof(path) && access(path, F_OK) == 0;
    }
    const char *hex = bb_manifest_hash(r->prev, f->path);
    return hex && strcmp(bb_file_sha256(f), hex) == 0;
}

/*
 * Everything after the pipeline: the lock, the manifest as it is now,
 * migrations, the new manifest, writing. The manifest is read again under
 * the lock (the one read before the pipeline only spared the reviewer some
 * work), so a run that waited for another one compares with what that run
 * wrote. --check only reads, and takes no lock.
 */
static int write_project(const gen_args *a, const char *dir, const bb_output *o, bb_diags *diags,
                         early_migrations *early, run_result *res)
{
    bb_manifest *prev = NULL, *next = NULL;
    bb_migrate_result mig;
    memset(&mig, 0, sizeof(mig));
    bb_file *files = NULL;
    size_t n = 0;
    double start = bb_clock_seconds();
    int lock = -1, rc = BB_OK;
    if (!a->check) {
        lock = bb_emit_lock(dir, diags);
        rc = lock < 0 ? BB_EIO : BB_OK;
    }
    if (!rc)
        rc = load_previous(a, dir, diags, &prev);
    if (!rc)
        rc = bb_manifest_successor(prev, &next);
    if (!rc)
        rc = bb_manifest_set_style(next, o->style);
    if (!rc)
        rc = add_migrations(a, dir, o, prev, next, diags, early, &mig);
    if (!rc)
        rc = collect_files(o, &mig, &files, &n);
    if (!rc) {
        bb_emit_opts eo = {.force = a->force,
                           .merge = a->merge,
                           .check = a->check,
                           .diff = a->diff ? &res->diff : NULL,
                           .no_sync = a->no_sync,
                           .locked = true,
                           .jobs = a->p.jobs,
                           .accept = a->accept,
                           .n_accept = a->n_accept};
        rc = bb_emit_tree(dir, files, n, prev, next, &eo, diags, &res->emit);
    }
    bb_emit_unlock(lock);
    res->n_files = n;
    res->write_seconds = bb_clock_seconds() - start;
    bb_free(files);
    bb_migrate_result_free(&mig);
    bb_manifest_free(prev);
    bb_manifest_free(next);
    return rc;
}

static int exit_code(const gen_args *a, const run_result *res)
{
    switch (res->rc) {
    case BB_OK:
        return BB_EXIT_OK;
    case BB_EINVAL:
        /* A reviewer finding is backbone's bug, not the user's, unless the
         * user's templates wrote the code. */
        if (res->failed_stage && strcmp(res->failed_stage, "reviewer") == 0 && !a->p.templates_dir)
            return BB_EXIT_INTERNAL;
        return BB_EXIT_INVALID;
    case BB_EIO:
    case BB_EUSAGE:
    case BB_ELIMIT:
        return BB_EXIT_USAGE;
    default:
        return BB_EXIT_INTERNAL;
    }
}

static void print_human(const gen_args *a, const char *dir, const bb_output *o, bb_diags *diags,
                        run_result *res)
{
    bool color = bb_use_color(stderr);
    if (diags->n && (!a->quiet || bb_diags_has_errors(diags)))
        bb_diags_print(diags, stderr, color);
    if (res->diff.len)
        fwrite(res->diff.data, 1, res->diff.len, stdout);
    if (a->quiet || !o)
        return;
    const bb_emit_report *e = &res->emit;
    if (a->check) {
        size_t differ = e->n_added + e->n_changed + e->n_removed;
        if (res->rc == BB_OK)
            printf("backbone: %s is up to date with %s (%zu files)\n", dir, a->schema,
                   res->n_files);
        else if (differ)
            printf("backbone: %s is out of date: %zu added, %zu changed, %zu removed\n", dir,
                   e->n_added, e->n_changed, e->n_removed);
        return;
    }
    if (res->rc != BB_OK)
        return;
    printf("backbone: %s %s from %s\n", e->up_to_date ? "up to date:" : "generated", dir,
           a->schema);
    printf("  %zu files, %zu models, %zu routes, %zu lines", res->n_files, o->n_models, o->n_routes,
           o->n_lines);
    if (e->n_kept)
        printf(", %zu of your files kept", e->n_kept);
    if (e->n_merged)
        printf(", %zu .new files beside your edits", e->n_merged);
    printf("\n ");
    for (size_t i = 0; i < o->n_stages; i++)
        printf(" %s %.1f ms,", o->stages[i].name, o->stages[i].seconds * 1e3);
    printf(" write %.1f ms\n", res->write_seconds * 1e3);
    if (res->advice.len) {
        printf("\nmodel advice, as a change to %s (keep it with `backbone advise %s "
               "--write` or this patch; without it the next run undoes it):\n",
               a->schema, a->schema);
        fwrite(res->advice.data, 1, res->advice.len, stdout);
    }
}

static void print_json(const gen_args *a, const char *dir, const bb_output *o, bb_diags *diags,
                       run_result *res)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddBoolToObject(root, "ok", res->rc == BB_OK);
    cJSON_AddStringToObject(root, "schema", a->schema);
    cJSON_AddStringToObject(root, "output", dir);
    cJSON_AddBoolToObject(root, "check", a->check);
    cJSON_AddNumberToObject(root, "files", (double)res->n_files);
    cJSON_AddNumberToObject(root, "models", o ? (double)o->n_models : 0);
    cJSON_AddNumberToObject(root, "routes", o ? (double)o->n_routes : 0);
    cJSON_AddNumberToObject(root, "lines", o ? (double)o->n_lines : 0);
    cJSON *stages = cJSON_AddArrayToObject(root, "stages");
    for (size_t i = 0; o && i < o->n_stages; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "name", o->stages[i].name);
        cJSON_AddNumberToObject(s, "seconds", o->stages[i].seconds);
        cJSON_AddNumberToObject(s, "errors", (double)o->stages[i].n_errors);
        cJSON_AddNumberToObject(s, "warnings", (double)o->stages[i].n_warnings);
        cJSON_AddItemToArray(stages, s);
    }
    cJSON *w = cJSON_AddObjectToObject(root, "write");
    const bb_emit_report *e = &res->emit;
    cJSON_AddNumberToObject(w, "seconds", res->write_seconds);
    cJSON_AddBoolToObject(w, "up_to_date", e->up_to_date);
    cJSON_AddNumberToObject(w, "written", (double)e->n_written);
    cJSON_AddNumberToObject(w, "kept", (double)e->n_kept);
    cJSON_AddNumberToObject(w, "merged", (double)e->n_merged);
    cJSON_AddNumberToObject(w, "edited", (double)e->n_edited);
    cJSON_AddNumberToObject(w, "added", (double)e->n_added);
    cJSON_AddNumberToObject(w, "changed", (double)e->n_changed);
    cJSON_AddNumberToObject(w, "removed", (double)e->n_removed);
    if (a->diff)
        cJSON_AddStringToObject(root, "diff", bb_buf_str(&res->diff));
    if (o && o->advice && o->schema) {
        cJSON *adv = bb_patch_result(o->schema, o->advice);
        if (adv)
            cJSON_AddItemToObject(root, "advice", adv);
    }
    cJSON *d = bb_diags_to_json(diags);
    if (d)
        cJSON_AddItemToObject(root, "diagnostics", d);
    char *text = cJSON_Print(root);
    if (text)
        puts(text);
    cJSON_free(text);
    cJSON_Delete(root);
}

/* Without --style, a tree is generated again in the style it was made in
 * (its manifest says), not switched to the default behind the user's
 * back. False when the manifest names a style this backbone lacks. */
static bool keep_style(gen_args *a, const char *dir, const bb_manifest *prev)
{
    const char *kept = bb_manifest_style(prev);
    if (a->p.style || !kept)
        return true;
    a->p.style = bb_architect_style(kept, strlen(kept));
    if (!a->p.style)
        bb_cli_error("generate: %s/.backbone/manifest.json says the style is '%s', which this "
                     "backbone does not know; give --style classic or --style sa2",
                     dir, kept);
    return a->p.style != NULL;
}

/* The command, with room for the --accept paths (at most one per argument). */

static int generate_main(int argc, char **argv, const char **accept)
{
    gen_args a;
    memset(&a, 0, sizeof(a));
    a.accept = accept;
    bb_pipeline_opts_default(&a.p);
    a.p.jobs = bb_parallel_cpus(); /* the service keeps 1: its workers are the threads */
    int rc = parse_args(argc, argv, &a);
    if (rc == BB_ENOTFOUND) {
        usage(stdout);
        return BB_EXIT_OK;
    }
    if (rc)
        return BB_EXIT_USAGE;
    char *dir = NULL;
    rc = output_path(a.out_dir, &dir);
    if (rc) {
        bb_cli_error("generate: cannot use '%s' as the output folder", a.out_dir);
        return rc == BB_ENOMEM ? BB_EXIT_INTERNAL : BB_EXIT_USAGE;
    }
    char *bytes = NULL;
    size_t len = 0;
    rc = bb_file_read(a.schema, a.p.limits.max_input_bytes, &bytes, &len);
    if (rc) {
        bb_cli_error("generate: cannot read %s: %s", a.schema,
                     rc == BB_ELIMIT ? "larger than --max-input-bytes" : strerror(errno));
        bb_free(dir);
        return BB_EXIT_USAGE;
    }
    /* Progress only on a terminal (NO_COLOR is about colour, not this). */
    const char *term = getenv("TERM");
    bool progress = !a.json && !a.sarif && !a.quiet && isatty(fileno(stderr)) &&
                    !(term && strcmp(term, "dumb") == 0);
    bb_diags diags;
    bb_diags_init(&diags, a.schema, bytes, len);
    run_result res;
    memset(&res, 0, sizeof(res));
    bb_buf_init(&res.diff, DIFF_MAX_BYTES);
    bb_buf_init(&res.advice, DIFF_MAX_BYTES);
    bb_output *o = NULL;
    bb_manifest *prev = NULL;
    res.rc = load_previous(&a, dir, &diags, &prev);
    if (!res.rc && !keep_style(&a, dir, prev))
        res.rc = BB_EUSAGE;
    review_ctx rctx = {prev, dir};
    if (!res.rc && prev) {
        a.p.reviewed = reviewed_before;
        a.p.reviewed_ctx = &rctx;
    }
    /* Files whose exact bytes this Python compiled before are not compiled
     * again (the record lives in the user's cache folder). */
    char cache_dir[4096];
    if (bb_reviewer_default_cache_dir(cache_dir, sizeof(cache_dir)))
        bb_reviewer_use_cache(cache_dir);
    early_migrations early = {.a = &a,
                              .dir = dir,
                              .prev = prev,
                              .like = &diags,
                              .progress = progress,
                              .eligible = a.p.jobs > 1 && a.p.llm == BB_LLM_OFF};
    a.p.on_stage = stage_done;
    a.p.on_stage_ctx = &early;
    if (!res.rc) {
        res.rc = bb_pipeline_run(a.schema, bytes, len, &a.p, &diags, &o);
        if (res.rc && o && o->n_stages)
            res.failed_stage = o->stages[o->n_stages - 1].name;
    }
    if (!res.rc) {
        /* The plan was only needed for rendering: its memory is given back
         * before the migrations and the write add theirs. */
        bb_plan_free(o->plan);
        o->plan = NULL;
        diags.warnings_as_errors = a.p.strict;
        if (progress)
            fprintf(stderr, "\r\033[K  %s %s ...", a.check ? "comparing with" : "writing", dir);
        res.rc = write_project(&a, dir, o, &diags, &early, &res);
    }
    end_early(&early);
    if (progress)
        fputs("\r\033[K", stderr);
    if (!res.rc && o->advice && !a.json && !a.sarif &&
        bb_cli_advice_diff(a.schema, o, bytes, len, &res.advice) != BB_OK)
        bb_buf_reset(&res.advice);
    if (a.sarif) {
        bb_diags *list[] = {&diags};
        if (bb_diags_print_sarif(list, 1, stdout) != BB_OK)
            res.rc = BB_ENOMEM;
    } else if (a.json)
        print_json(&a, dir, o, &diags, &res);
    else
        print_human(&a, dir, o, &diags, &res);
    int code = exit_code(&a, &res);
    bb_buf_free(&res.diff);
    bb_buf_free(&res.advice);
    bb_manifest_free(prev);
    bb_output_free(o);
    bb_diags_free(&diags);
    bb_free(bytes);
    bb_free(dir);
    return code;
}

int bb_cmd_generate(int argc, char **argv)
{
    const char **accept = bb_calloc(argc > 0 ? (size_t)argc : 1, sizeof(*accept));
    if (!accept) {
        bb_cli_error("generate: out of memory");
        return BB_EXIT_INTERNAL;
    }
    int code = generate_main(argc, argv, accept);
    bb_free(accept);
    return code;
}
