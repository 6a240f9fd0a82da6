/*
 * cmd_validate.c - `backbone validate [options] FILE...`: runs the front end
 * (load + validate) and the architect's checks of the generated names over
 * each file and reports every problem, like a compiler (human) or as one
 * JSON document (--format json).
 *
 * Exit codes: 0 every file is valid (warnings allowed), 1 some file is
 * invalid, 2 usage or I/O error, 3 internal error (out of memory).
 */
#include "base/file.h"
#include "cli/cli.h"

#include "base/bb.h"
#include "diag/diag.h"
#include "diag/sarif.h"
#include "front/schema.h"
#include "pipeline/pipeline.h"

#include <cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct validate_opts {
    bb_limits limits;
    bool json;
    bool sarif; /* --format sarif */
    bool strict;
    bool quiet;
} validate_opts;

static void usage(FILE *out)
{
    fprintf(out, "usage: backbone validate [options] FILE...\n"
                 "\n"
                 "Checks schema files (JSON, the BackBone-AI format plus backbone's extensions)\n"
                 "and reports every problem found. FILE '-' reads standard input.\n"
                 "\n"
                 "options:\n"
                 "  --format human|json|sarif output format (default human)\n"
                 "  --strict                  treat warnings as errors\n"
                 "  -q, --quiet               print errors only, no warnings or summaries\n"
                 "  --max-input-bytes N       input size limit (default 10M; K, M, G suffixes)\n"
                 "  --max-tables N            tables per schema (default 50)\n"
                 "  --max-columns N           columns per table (default 100)\n"
                 "  --max-relationships N     relationships per table (default 50)\n"
                 "  --max-string-length N     characters per string value (default 1000)\n"
                 "  --max-depth N             nesting levels of the JSON (default 64)\n"
                 "  -h, --help                this help\n"
                 "\n"
                 "exit codes: 0 all valid (warnings allowed), 1 some file invalid,\n"
                 "            2 usage or I/O error, 3 internal error\n");
}

/*
 * Reads the options into o and moves the file names to the front of argv.
 * Returns the number of files, or -1 after a usage message, -2 for --help.
 */
static int parse_args(int argc, char **argv, validate_opts *o)
{
    int n_files = 0;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (options_done || a[0] != '-' || strcmp(a, "-") == 0) {
            argv[n_files++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return -2;
        if (strcmp(a, "--strict") == 0) {
            o->strict = true;
            continue;
        }
        if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            o->quiet = true;
            continue;
        }
        /* Options with a value: "--opt value" or "--opt=value". */
        char name[64];
        const char *value = NULL;
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        if (nlen >= sizeof(name)) {
            bb_cli_error("validate: unknown option '%s' (see 'backbone validate --help')", a);
            return -1;
        }
        memcpy(name, a, nlen);
        name[nlen] = '\0';
        if (eq)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        int limit = bb_cli_limit_option(&o->limits, name, value);
        if (limit < 0)
            return -1;
        if (limit > 0)
            continue;
        if (strcmp(name, "--format") == 0) {
            if (value && strcmp(value, "json") == 0)
                o->json = true;
            else if (value && strcmp(value, "sarif") == 0)
                o->sarif = true;
            else if (value && strcmp(value, "human") == 0)
                o->json = false;
            else {
                bb_cli_error("validate: --format takes 'human', 'json' or 'sarif'");
                return -1;
            }
        } else {
            bb_cli_error("validate: unknown option '%s' (see 'backbone validate --help')", a);
            return -1;
        }
    }
    return n_files;
}

/* The outcome of one file. */
typedef struct file_result {
    const char *name; /* as shown: "<stdin>" for "-" */
    int exit_code;
    char *io_error; /* set when the file could not be read */
    bb_diags diags;
    bb_schema *schema;
    char *data;
    bool skipped; /* a JSON Schema, such as schemas/backbone.schema.json */
} file_result;

/* Reports a file larger than the limit before any of it is parsed: its
 * size when it is a regular file, else (a pipe, a device such as /dev/zero)
 * that it goes on past the limit, which is where reading stopped. */
static void report_too_large(file_result *r, const char *path, size_t max)
{
    struct stat st;
    const char *hint = "raise the limit with --max-input-bytes N, or split the schema";
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        (void)bb_diag_add(&r->diags, BB_ERROR, "BB0601", NULL, BB_NO_OFFSET, hint,
                          "the input is %lld bytes, over the limit of %zu bytes",
                          (long long)st.st_size, max);
    else
        (void)bb_diag_add(&r->diags, BB_ERROR, "BB0601", NULL, BB_NO_OFFSET, hint,
                          "the input goes on past the limit of %zu bytes (reading stopped there)",
                          max);
}

/*
 * Whether the document is a JSON Schema rather than a schema for backbone:
 * its "$schema" names a JSON Schema meta-schema. backbone's own description
 * for editors (schemas/backbone.schema.json) is one, and lies beside the
 * examples, where a glob of the examples picks it up.
 */
static bool is_json_schema(const char *data, size_t len)
{
    cJSON *doc = cJSON_ParseWithLength(data, len);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "$schema");
    bool yes =
        cJSON_IsString(meta) && (!strncmp(meta->valuestring, "https://json-schema.org/", 24) ||
                                 !strncmp(meta->valuestring, "http://json-schema.org/", 23));
    cJSON_Delete(doc);
    return yes;
}

static void run_one(const char *path, const validate_opts *o, file_result *r)
{
    memset(r, 0, sizeof(*r));
    r->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    size_t len = 0;
    /* One byte over the limit still reaches the loader, which says where
     * the limit falls; anything larger is reported here. */
    size_t read_max =
        o->limits.max_input_bytes < SIZE_MAX ? o->limits.max_input_bytes + 1 : SIZE_MAX;
    int rc = bb_file_read(path, read_max, &r->data, &len);
    bb_diags_init(&r->diags, r->name, r->data, len);
    r->diags.warnings_as_errors = o->strict;
    if (rc == BB_EIO) {
        r->io_error = bb_strdup(strerror(errno));
        r->exit_code = BB_EXIT_USAGE;
        return;
    }
    if (rc == BB_ELIMIT) {
        report_too_large(r, path, o->limits.max_input_bytes);
        r->exit_code = BB_EXIT_INVALID;
        return;
    }
    if (rc) {
        r->exit_code = BB_EXIT_INTERNAL;
        return;
    }
    rc = bb_pipeline_validate(r->name, r->data, len, &o->limits, &r->diags, &r->schema);
    bb_diags_sort(&r->diags);
    if (rc == BB_ENOMEM) {
        r->exit_code = BB_EXIT_INTERNAL;
    } else if (rc || bb_diags_has_errors(&r->diags)) {
        /* Only a document that is not a schema for backbone is looked at
         * again: the check parses the whole text a second time. */
        if (is_json_schema(r->data, len)) {
            bb_schema_free(r->schema);
            r->schema = NULL;
            bb_diags_free(&r->diags);
            bb_diags_init(&r->diags, r->name, r->data, len);
            r->skipped = true;
            return;
        }
        r->exit_code = BB_EXIT_INVALID;
    }
}

static void free_result(file_result *r)
{
    bb_schema_free(r->schema);
    bb_diags_free(&r->diags);
    bb_free(r->data);
    bb_free(r->io_error);
}

static bool is_valid(const file_result *r)
{
    return r->exit_code == BB_EXIT_OK;
}

/* "blog.json: valid, 0 errors, 2 warnings; build order: users, posts" */
static void print_summary(file_result *r, FILE *out)
{
    bb_buf line;
    bb_buf_init(&line, 64 * 1024);
    int rc = bb_buf_printf(&line, "%s: %s, ", r->name, is_valid(r) ? "valid" : "invalid");
    if (!rc)
        rc = bb_diags_summary(&r->diags, &line);
    const bb_schema *s = r->schema;
    if (!rc && is_valid(r) && s && s->n_build_order) {
        rc = bb_buf_puts(&line, "; build order: ");
        for (size_t i = 0; !rc && i < s->n_build_order; i++)
            rc = bb_buf_printf(&line, "%s%s", i ? ", " : "",
                               s->tables[s->build_order[i]].table_name);
    }
    fprintf(out, "%s\n", bb_buf_str(&line));
    bb_buf_free(&line);
}

/* Keeps only the errors (for --quiet). */
static void drop_non_errors(bb_diags *d)
{
    size_t k = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (d->items[i].severity == BB_ERROR) {
            d->items[k++] = d->items[i];
        } else {
            bb_free(d->items[i].pointer);
            bb_free(d->items[i].message);
            bb_free(d->items[i].hint);
        }
    }
    d->n = k;
}

static void print_human(file_result *r, const validate_opts *o)
{
    if (r->io_error) {
        bb_cli_error("validate: cannot read '%s': %s", r->name, r->io_error);
        return;
    }
    if (r->skipped) {
        if (!o->quiet)
            printf("%s: skipped, a JSON Schema (\"$schema\" names a meta-schema), not a schema "
                   "for backbone\n",
                   r->name);
        return;
    }
    if (o->quiet)
        drop_non_errors(&r->diags);
    (void)bb_diags_print(&r->diags, stdout, bb_use_color(stdout));
    if (!o->quiet)
        print_summary(r, stdout);
}

static cJSON *result_json(file_result *r)
{
    cJSON *f = cJSON_CreateObject();
    cJSON *order = cJSON_CreateArray();
    cJSON *diags = bb_diags_to_json(&r->diags);
    if (!f || !order || !diags) {
        cJSON_Delete(f);
        cJSON_Delete(order);
        cJSON_Delete(diags);
        return NULL;
    }
    const bb_schema *s = r->schema;
    for (size_t i = 0; s && is_valid(r) && i < s->n_build_order; i++)
        cJSON_AddItemToArray(order, cJSON_CreateString(s->tables[s->build_order[i]].table_name));
    cJSON_AddStringToObject(f, "file", r->name);
    cJSON_AddBoolToObject(f, "valid", is_valid(r));
    if (r->skipped)
        cJSON_AddBoolToObject(f, "skipped", true);
    cJSON_AddNumberToObject(f, "errors", (double)r->diags.n_errors);
    cJSON_AddNumberToObject(f, "warnings", (double)r->diags.n_warnings);
    if (r->io_error)
        cJSON_AddStringToObject(f, "io_error", r->io_error);
    cJSON_AddItemToObject(f, "build_order", order);
    cJSON_AddItemToObject(f, "diagnostics", diags);
    return f;
}

static int print_json(file_result *results, int n)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *files = cJSON_AddArrayToObject(root, "files");
    if (!root || !files) {
        cJSON_Delete(root);
        return BB_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        cJSON *f = result_json(&results[i]);
        if (!f) {
            cJSON_Delete(root);
            return BB_ENOMEM;
        }
        cJSON_AddItemToArray(files, f);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return BB_ENOMEM;
    fputs(text, stdout);
    fputc('\n', stdout);
    cJSON_free(text);
    return BB_OK;
}

/* Every file's diagnostics in one SARIF log (code scanning in CI). */
static int print_sarif(file_result *results, int n)
{
    for (int i = 0; i < n; i++)
        if (results[i].io_error)
            bb_cli_error("validate: cannot read '%s': %s", results[i].name, results[i].io_error);
    bb_diags **list = bb_calloc((size_t)n, sizeof(*list));
    if (!list)
        return BB_ENOMEM;
    for (int i = 0; i < n; i++)
        list[i] = &results[i].diags;
    int rc = bb_diags_print_sarif(list, (size_t)n, stdout);
    bb_free(list);
    return rc;
}

int bb_cmd_validate(int argc, char **argv)
{
    validate_opts o = {.limits = bb_limits_default()};
    int n = parse_args(argc, argv, &o);
    if (n == -2) {
        usage(stdout);
        return BB_EXIT_OK;
    }
    if (n < 0)
        return BB_EXIT_USAGE;
    if (n == 0) {
        bb_cli_error("validate: no input file (use '-' for standard input)");
        usage(stderr);
        return BB_EXIT_USAGE;
    }
    file_result *results = bb_calloc((size_t)n, sizeof(*results));
    if (!results) {
        bb_cli_error("validate: out of memory");
        return BB_EXIT_INTERNAL;
    }
    int exit_code = BB_EXIT_OK;
    for (int i = 0; i < n; i++) {
        run_one(argv[i], &o, &results[i]);
        if (results[i].exit_code > exit_code)
            exit_code = results[i].exit_code;
        if (!o.json && !o.sarif)
            print_human(&results[i], &o);
    }
    if (o.sarif && print_sarif(results, n) != BB_OK)
        exit_code = BB_EXIT_INTERNAL;
    if (o.json) {
        for (int i = 0; i < n; i++)
            if (results[i].io_error)
                bb_cli_error("validate: cannot read '%s': %s", results[i].name,
                             results[i].io_error);
        if (print_json(results, n))
            exit_code = BB_EXIT_INTERNAL;
    }
    for (int i = 0; i < n; i++)
        free_result(&results[i]);
    bb_free(results);
    if (fflush(stdout) != 0 && exit_code == BB_EXIT_OK)
        exit_code = BB_EXIT_USAGE;
    return exit_code;
}
