/*
 * cmd_migrate.c - `backbone migrate [options] OLD NEW`: prints the Alembic
 * revision that takes a database from schema OLD to schema NEW, the same
 * one `backbone generate` adds to a project (docs/migrations.md).
 *
 * OLD and NEW are schema files (the input format), normalized schemas, or
 * a project's .backbone/manifest.json or the project folder itself (its
 * recorded schema; the head of its alembic/versions, else its last recorded
 * revision, then becomes the default --down-revision).
 *
 * Exit codes: 0 the revision was written (or there is nothing to migrate),
 * 1 a schema is invalid or a change is refused, 2 usage or I/O error,
 * 3 internal error.
 */
#include "base/file.h"
#include "cli/cli.h"

#include "base/bb.h"
#include "diag/diag.h"
#include "diag/sarif.h"
#include "front/normalize.h"
#include "front/schema.h"
#include "front/validate.h"
#include "migrate/migrate.h"
#include "migrate/versions.h"
#include "output/manifest.h"

#include <cJSON.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

typedef enum { FORMAT_HUMAN, FORMAT_JSON, FORMAT_SARIF } diag_format;

typedef struct migrate_args {
    const char *old_path, *new_path, *output;
    bb_migrate_opts opts;
    diag_format format;
    bb_limits limits; /* of a schema file read */
} migrate_args;

/* One side of the comparison, as read from its file. */
typedef struct side {
    const char *path;
    char *data;
    size_t len;
    bb_diags diags;
    bb_schema *schema; /* when the file is a schema in the input format */
    cJSON *doc;        /* the parsed file when it is a manifest or normalized */
    cJSON *norm;       /* the normalized schema (owned when made from schema) */
    bool norm_owned;
    const char *head;         /* the default parent: folder_head, else the manifest's last */
    char *folder_head;        /* the head of the project's alembic/versions */
    char manifest_path[4096]; /* when the argument is a project folder */
} side;

static void usage(FILE *out)
{
    fprintf(out, "usage: backbone migrate [options] OLD NEW\n"
                 "\n"
                 "Prints the Alembic revision that takes a database from schema OLD to\n"
                 "schema NEW, computed from the two schemas alone (no database needed).\n"
                 "OLD and NEW are schema files, normalized schemas, or a generated\n"
                 "project (its folder or .backbone/manifest.json: the schema recorded\n"
                 "there, and the head of its alembic/versions as the default\n"
                 "--down-revision).\n"
                 "\n"
                 "options:\n"
                 "  --down-revision ID     the revision this one follows (default: the\n"
                 "                         project's head, else none: an initial revision)\n"
                 "  --allow-destructive    allow dropping tables and columns\n"
                 "  -m, --message TEXT     the revision message (default: from the changes)\n"
                 "  -o, --output FILE      write the revision to FILE instead of stdout\n"
                 "  --format human|json|sarif  how diagnostics are printed (default human)\n"
                 "  --max-tables N         more tables than the default 50 (and --max-columns,\n"
                 "                         --max-relationships, --max-string-length,\n"
                 "                         --max-depth, --max-input-bytes: docs/cli.md)\n"
                 "  -h, --help             this help\n"
                 "\n"
                 "exit codes: 0 revision written (or nothing to migrate), 1 invalid schema or\n"
                 "            refused change, 2 usage or I/O error, 3 internal error\n");
}

/* Returns 0, or the exit code to leave with (-1 for --help). */
static int parse_args(int argc, char **argv, migrate_args *a)
{
    const char *pos[2];
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        int limit = bb_cli_limit_arg(&a->limits, argc, argv, &i);
        if (limit < 0)
            return BB_EXIT_USAGE;
        if (limit > 0)
            continue;
        const char *s = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0)
            return -1;
        if (strcmp(s, "--allow-destructive") == 0)
            a->opts.allow_destructive = true;
        else if (strcmp(s, "--down-revision") == 0 && has_value)
            a->opts.down_revision = argv[++i];
        else if ((strcmp(s, "-m") == 0 || strcmp(s, "--message") == 0) && has_value)
            a->opts.message = argv[++i];
        else if ((strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) && has_value)
            a->output = argv[++i];
        else if (strcmp(s, "--format") == 0 && has_value) {
            const char *f = argv[++i];
            if (strcmp(f, "human") == 0)
                a->format = FORMAT_HUMAN;
            else if (strcmp(f, "json") == 0)
                a->format = FORMAT_JSON;
            else if (strcmp(f, "sarif") == 0)
                a->format = FORMAT_SARIF;
            else {
                bb_cli_error("migrate: --format takes 'human', 'json' or 'sarif'");
                return BB_EXIT_USAGE;
            }
        } else if (s[0] == '-' && s[1] != '\0') {
            bb_cli_error("migrate: unknown option or missing value: '%s' (see 'backbone "
                         "migrate --help')",
                         s);
            return BB_EXIT_USAGE;
        } else if (n_pos < 2) {
            pos[n_pos++] = s;
        } else {
            bb_cli_error("migrate: too many arguments (expected OLD NEW)");
            return BB_EXIT_USAGE;
        }
    }
    if (a->format != FORMAT_HUMAN && !a->output) {
        bb_cli_error("migrate: --format json|sarif prints diagnostics on stdout: give -o FILE "
                     "for the revision");
        return BB_EXIT_USAGE;
    }
    if (n_pos != 2) {
        bb_cli_error("migrate: expected two schema files, OLD and NEW");
        usage(stderr);
        return BB_EXIT_USAGE;
    }
    a->old_path = pos[0];
    a->new_path = pos[1];
    return 0;
}

/* A manifest's last revision id, NULL when it has none. */
static const char *manifest_head(const cJSON *manifest)
{
    const cJSON *revs = cJSON_GetObjectItemCaseSensitive(manifest, "revisions");
    const cJSON *last =
        cJSON_IsArray(revs) ? cJSON_GetArrayItem(revs, cJSON_GetArraySize(revs) - 1) : NULL;
    const cJSON *id = last ? cJSON_GetObjectItemCaseSensitive(last, "id") : NULL;
    return cJSON_IsString(id) ? id->valuestring : NULL;
}

/*
 * The project folder of a manifest read from path (the folder itself when
 * the argument was one), into dir; false when path is no manifest of a
 * project's .backbone/ folder.
 */
static bool project_of(const side *sd, const char *arg, char *dir, size_t size)
{
    if (sd->manifest_path[0])
        return snprintf(dir, size, "%s", arg) < (int)size;
    size_t n = strlen(sd->path), k = strlen(BB_MANIFEST_PATH);
    if (n < k || strcmp(sd->path + n - k, BB_MANIFEST_PATH) != 0 ||
        (n > k && sd->path[n - k - 1] != '/'))
        return false;
    int len = n > k ? (int)(n - k - 1) : 1;
    return snprintf(dir, size, "%.*s", len, n > k ? sd->path : ".") < (int)size;
}

/* A manifest's head: the head of its project's alembic/versions, which
 * follows revisions written by hand, else its last recorded revision. */
static int find_head(side *sd, const char *arg)
{
    sd->head = manifest_head(sd->doc);
    char dir[4096];
    if (!sd->head || !project_of(sd, arg, dir, sizeof(dir)))
        return BB_EXIT_OK;
    int rc = bb_versions_head(dir, &sd->diags, &sd->folder_head);
    if (sd->folder_head)
        sd->head = sd->folder_head;
    return rc == BB_OK       ? BB_EXIT_OK
           : rc == BB_EINVAL ? BB_EXIT_INVALID
           : rc == BB_EIO    ? BB_EXIT_USAGE
                             : BB_EXIT_INTERNAL;
}

/*
 * Reads one side: a normalized schema, a manifest (or the project folder
 * holding it), or a schema to load.
 */
static int load_side(side *sd, const char *path, const bb_limits *limits)
{
    const char *arg = path;
    memset(sd, 0, sizeof(*sd));
    sd->path = path;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        int n =
            snprintf(sd->manifest_path, sizeof(sd->manifest_path), "%s/%s", path, BB_MANIFEST_PATH);
        if (n < 0 || (size_t)n >= sizeof(sd->manifest_path)) {
            bb_cli_error("migrate: path too long: '%s'", path);
            return BB_EXIT_USAGE;
        }
        path = sd->path = sd->manifest_path;
    }
    int rc = bb_file_read(path, limits->max_input_bytes, &sd->data, &sd->len);
    bb_diags_init(&sd->diags, strcmp(path, "-") == 0 ? "<stdin>" : path, sd->data, sd->len);
    if (rc == BB_EIO || rc == BB_ELIMIT) {
        bb_cli_error("migrate: cannot read '%s': %s", path,
                     rc == BB_ELIMIT ? "larger than the input limit" : strerror(errno));
        return BB_EXIT_USAGE;
    }
    if (rc)
        return BB_EXIT_INTERNAL;
    sd->doc = cJSON_ParseWithLength(sd->data, sd->len);
    const cJSON *recorded = sd->doc ? cJSON_GetObjectItemCaseSensitive(sd->doc, "schema") : NULL;
    if (bb_normalize_is_normalized(sd->doc)) {
        sd->norm = sd->doc;
        return BB_EXIT_OK;
    }
    if (cJSON_GetObjectItemCaseSensitive(sd->doc, "backbone_version") &&
        bb_normalize_is_normalized(recorded)) {
        sd->norm = (cJSON *)recorded;
        return find_head(sd, arg);
    }
    rc = bb_frontend(sd->diags.filename, sd->data, sd->len, limits, &sd->diags, &sd->schema);
    if (rc == BB_ENOMEM)
        return BB_EXIT_INTERNAL;
    if (rc || bb_diags_has_errors(&sd->diags))
        return BB_EXIT_INVALID;
    rc = bb_normalize(sd->schema, &sd->norm);
    sd->norm_owned = rc == BB_OK;
    return rc == BB_OK ? BB_EXIT_OK : BB_EXIT_INTERNAL;
}

static void free_side(side *sd)
{
    if (sd->norm_owned)
        cJSON_Delete(sd->norm);
    cJSON_Delete(sd->doc);
    bb_free(sd->folder_head);
    bb_schema_free(sd->schema);
    bb_diags_free(&sd->diags);
    bb_free(sd->data);
}

static void print_diags(side *sides, diag_format f)
{
    bb_diags *list[2] = {&sides[0].diags, &sides[1].diags};
    if (f == FORMAT_SARIF) {
        if (bb_diags_print_sarif(list, 2, stdout) != BB_OK)
            bb_cli_error("migrate: cannot print diagnostics");
        return;
    }
    if (f == FORMAT_JSON) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < 2 && arr; i++) {
            cJSON *d = bb_diags_to_json(list[i]);
            cJSON *x;
            cJSON_ArrayForEach(x, d)
            {
                cJSON_AddItemToArray(arr, cJSON_Duplicate(x, 1));
            }
            cJSON_Delete(d);
        }
        char *text = arr ? cJSON_Print(arr) : NULL;
        if (text)
            printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(arr);
        return;
    }
    for (int i = 0; i < 2; i++) {
        bb_diags_sort(list[i]);
        if (list[i]->n)
            (void)bb_diags_print(list[i], stderr, bb_use_color(stderr));
    }
}

static int write_revision(const migrate_args *a, const bb_revision *rev)
{
    FILE *f = a->output ? fopen(a->output, "wb") : stdout;
    if (!f) {
        bb_cli_error("migrate: cannot write '%s': %s", a->output, strerror(errno));
        return BB_EXIT_USAGE;
    }
    bool ok = fwrite(rev->text, 1, rev->len, f) == rev->len;
    ok = (a->output ? fclose(f) == 0 : fflush(f) == 0) && ok;
    if (!ok) {
        bb_cli_error("migrate: cannot write '%s': %s", a->output ? a->output : "<stdout>",
                     strerror(errno));
        return BB_EXIT_USAGE;
    }
    if (a->output)
        fprintf(stderr, "backbone: migrate: revision %s (%s) written to %s (in a project: %s)\n",
                rev->id, rev->message, a->output, rev->path);
    return BB_EXIT_OK;
}

int bb_cmd_migrate(int argc, char **argv)
{
    migrate_args a;
    memset(&a, 0, sizeof(a));
    a.limits = bb_limits_default();
    int code = parse_args(argc, argv, &a);
    if (code == -1) {
        usage(stdout);
        return BB_EXIT_OK;
    }
    if (code)
        return code;
    side sides[2];
    int c0 = load_side(&sides[0], a.old_path, &a.limits);
    int c1 = load_side(&sides[1], a.new_path, &a.limits);
    code = c0 > c1 ? c0 : c1;
    bb_revision rev;
    memset(&rev, 0, sizeof(rev));
    if (code == BB_EXIT_OK) {
        if (!a.opts.down_revision)
            a.opts.down_revision = sides[0].head;
        int rc = bb_migrate_revision(sides[0].norm, sides[1].norm, sides[1].schema, &a.opts,
                                     &sides[1].diags, &rev);
        code = rc == BB_OK ? BB_EXIT_OK : rc == BB_EINVAL ? BB_EXIT_INVALID : BB_EXIT_INTERNAL;
        if (rc && rc != BB_EINVAL)
            bb_cli_error("migrate: %s", bb_strerror(rc));
    }
    if (a.format != FORMAT_HUMAN || sides[0].diags.n || sides[1].diags.n)
        print_diags(sides, a.format);
    if (code == BB_EXIT_OK && rev.n_ops == 0)
        fprintf(stderr, "backbone: migrate: the schemas agree on the database; no revision\n");
    else if (code == BB_EXIT_OK)
        code = write_revision(&a, &rev);
    bb_revision_free(&rev);
    free_side(&sides[0]);
    free_side(&sides[1]);
    return code;
}
