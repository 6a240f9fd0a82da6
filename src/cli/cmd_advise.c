/*
 * cmd_advise.c - `backbone advise FILE`: asks the language model for advice
 * on a schema (docs/llm.md) and prints the proposals backbone accepted as a
 * change to the file: a unified diff adding them to the tables' "advice"
 * keys (pipeline/patch.h), or with --format json the RFC 6902 JSON Patch.
 * --write applies the change to FILE atomically. A schema that keeps its
 * advice generates the same project with a model or without.
 *
 * Exit codes: 0 printed (or nothing to advise), 1 the schema is invalid,
 * 2 usage or I/O error, 3 internal error.
 */
#include "cli/cli.h"

#include "base/bb.h"
#include "base/file.h"
#include "diag/diag.h"
#include "front/validate.h"
#include "llm/llm.h"
#include "output/diff.h"
#include "pipeline/patch.h"
#include "pipeline/pipeline.h"

#include <cJSON.h>
#include <errno.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: backbone advise FILE [options]\n"
                 "\n"
                 "Asks the language model for advice on a schema (route paths, filters,\n"
                 "search and sort columns, indexes, docstrings, examples) and prints the\n"
                 "proposals backbone accepted as a change to FILE: each added to its\n"
                 "table's \"advice\", marked \"proposed_by\": \"model\".\n"
                 "\n"
                 "options:\n"
                 "  --write               apply the change to FILE (atomically)\n"
                 "  --format diff|json    a unified diff (default) or an RFC 6902 JSON Patch\n"
                 "  --strict              treat warnings as errors\n"
                 "  --llm-provider, --llm-model, --llm-base-url, --llm-cache,\n"
                 "  --llm-max-tokens, --llm-deadline   the model (docs/llm.md)\n"
                 "  --max-tables N        more tables than the default 50 (and --max-columns,\n"
                 "                        --max-relationships, --max-string-length,\n"
                 "                        --max-depth, --max-input-bytes: docs/cli.md)\n"
                 "  -h, --help            this help\n"
                 "\n"
                 "exit codes: 0 printed, 1 invalid schema, 2 usage or I/O error,\n"
                 "            3 internal error\n");
}

typedef struct advise_args {
    const char *file;
    bool write, json;
    bb_pipeline_opts opts;
    bb_llm_options llm;
} advise_args;

static int parse(advise_args *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int shared = bb_cli_pipeline_option(&a->opts, &a->llm, argc, argv, &i);
        if (shared < 0)
            return BB_EXIT_USAGE;
        if (shared > 0)
            continue;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return -1;
        } else if (strcmp(argv[i], "--write") == 0) {
            a->write = true;
        } else if (strcmp(argv[i], "--strict") == 0) {
            a->opts.strict = true;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
                   (strcmp(argv[i + 1], "json") == 0 || strcmp(argv[i + 1], "diff") == 0)) {
            a->json = strcmp(argv[++i], "json") == 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            bb_cli_error("advise: unknown option or bad value '%s' (see 'backbone advise --help')",
                         argv[i]);
            return BB_EXIT_USAGE;
        } else if (!a->file) {
            a->file = argv[i];
        } else {
            bb_cli_error("advise: one schema at a time");
            return BB_EXIT_USAGE;
        }
    }
    if (!a->file) {
        usage(stderr);
        return BB_EXIT_USAGE;
    }
    if (a->write && strcmp(a->file, "-") == 0) {
        bb_cli_error("advise: --write needs a file, not standard input");
        return BB_EXIT_USAGE;
    }
    a->opts.llm = BB_LLM_ADVISE; /* what the command is for */
    a->opts.llm_options = &a->llm;
    return BB_EXIT_OK;
}

/* The patched text must be a valid schema again: checked before it is shown
 * or written, so a fault of the patch never reaches the user's file. */
static int check_patched(const char *file, const bb_buf *text, const bb_limits *limits)
{
    bb_diags d;
    bb_diags_init(&d, file, bb_buf_str(text), text->len);
    bb_schema *s = NULL;
    int rc = bb_frontend(file, bb_buf_str(text), text->len, limits, &d, &s);
    if (rc) {
        bb_cli_error("advise: the schema with the advice does not validate (a bug of backbone):");
        bb_diags_print(&d, stderr, false);
    }
    bb_schema_free(s);
    bb_diags_free(&d);
    return rc ? BB_EXIT_INTERNAL : BB_EXIT_OK;
}

int bb_cli_advice_diff(const char *file, const bb_output *o, const char *bytes, size_t len,
                       bb_buf *out)
{
    if (!o || !cJSON_GetArraySize(o->advice))
        return BB_OK;
    bb_buf text;
    bb_buf_init(&text, (size_t)256 << 20);
    int rc = bb_patch_text(o->schema, o->advice, &text);
    if (!rc)
        rc = bb_diff_unified(file, bytes, len, bb_buf_str(&text), text.len, out);
    bb_buf_free(&text);
    return rc;
}

static int show(const advise_args *a, const bb_output *o, const char *bytes, size_t len,
                const bb_buf *text)
{
    if (a->json) {
        cJSON *r = bb_patch_result(o->schema, o->advice);
        char *out = r ? cJSON_Print(cJSON_GetObjectItemCaseSensitive(r, "patch")) : NULL;
        if (out)
            puts(out);
        cJSON_free(out);
        cJSON_Delete(r);
        return out ? BB_EXIT_OK : BB_EXIT_INTERNAL;
    }
    bb_buf diff;
    bb_buf_init(&diff, (size_t)256 << 20);
    int rc = bb_diff_unified(a->file, bytes, len, bb_buf_str(text), text->len, &diff);
    if (!rc)
        fwrite(bb_buf_str(&diff), 1, diff.len, stdout);
    bb_buf_free(&diff);
    return rc ? BB_EXIT_INTERNAL : BB_EXIT_OK;
}

static int advise(const advise_args *a, const bb_output *o, const char *bytes, size_t len)
{
    size_t n = (size_t)cJSON_GetArraySize(o->advice);
    if (!n) {
        fprintf(stderr, "backbone: advise: no advice to add to %s\n", a->file);
        return BB_EXIT_OK;
    }
    bb_buf text;
    bb_buf_init(&text, (size_t)256 << 20);
    int code = bb_patch_text(o->schema, o->advice, &text) ? BB_EXIT_INTERNAL : BB_EXIT_OK;
    if (!code)
        code = check_patched(a->file, &text, &a->opts.limits);
    if (!code)
        code = show(a, o, bytes, len, &text);
    if (!code && a->write) {
        if (bb_file_replace(a->file, bb_buf_str(&text), text.len) != BB_OK) {
            bb_cli_error("advise: cannot write %s: %s", a->file, strerror(errno));
            code = BB_EXIT_USAGE;
        } else {
            fprintf(stderr, "backbone: advise: %zu proposal%s kept in %s\n", n, n == 1 ? "" : "s",
                    a->file);
        }
    }
    bb_buf_free(&text);
    return code;
}

int bb_cmd_advise(int argc, char **argv)
{
    advise_args a = {0};
    bb_pipeline_opts_default(&a.opts);
    a.opts.stop_after_plan = true;
    int code = parse(&a, argc, argv);
    if (code)
        return code < 0 ? BB_EXIT_OK : code;
    char *bytes;
    size_t len;
    int rc = bb_file_read(a.file, a.opts.limits.max_input_bytes, &bytes, &len);
    if (rc) {
        bb_cli_error("advise: cannot read %s: %s", a.file,
                     rc == BB_ELIMIT ? "too large" : strerror(errno));
        return BB_EXIT_USAGE;
    }
    bb_diags diags;
    bb_diags_init(&diags, a.file, bytes, len);
    bb_output *o = NULL;
    rc = bb_pipeline_run(a.file, bytes, len, &a.opts, &diags, &o);
    if (diags.n)
        bb_diags_print(&diags, stderr, bb_use_color(stderr));
    code = rc == BB_OK       ? advise(&a, o, bytes, len)
           : rc == BB_EINVAL ? BB_EXIT_INVALID
                             : BB_EXIT_INTERNAL;
    bb_output_free(o);
    bb_diags_free(&diags);
    bb_free(bytes);
    return code;
}
