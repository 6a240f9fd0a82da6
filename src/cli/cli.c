/* cli.c - command dispatch, help and shared helpers of the commands. */
#include "cli/cli.h"

#include "base/bb.h"
#include "front/schema.h"
#include "pipeline/pipeline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const bb_command commands[] = {
    {"validate", "check schema files and report every problem", bb_cmd_validate},
    {"plan", "print the plan the architect makes of a schema", bb_cmd_plan},
    {"generate", "generate the backend project from a schema", bb_cmd_generate},
    {"migrate", "print the Alembic revision between two schemas", bb_cmd_migrate},
    {"serve", "run the HTTP service", bb_cmd_serve},
    {"keys", "manage API keys of the HTTP service", bb_cmd_keys},
    {"advise", "print a language model's accepted advice as a change to a schema", bb_cmd_advise},
    {"draft", "let a language model draft a schema from a description", bb_cmd_draft},
    {"templates", "list or export the built-in templates", bb_cmd_templates},
};

static const size_t n_commands = sizeof(commands) / sizeof(commands[0]);

void bb_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("backbone: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void print_usage(FILE *out)
{
    fprintf(out,
            "backbone %s - compile a database schema (JSON) into a FastAPI + SQLAlchemy "
            "backend\n\n",
            BB_VERSION);
    fprintf(out, "usage: backbone COMMAND [options] [args]\n\ncommands:\n");
    for (size_t i = 0; i < n_commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n  backbone COMMAND --help   options of one command\n"
                 "  backbone --version\n\n"
                 "exit codes: 0 ok, 1 invalid input or failed check, 2 usage or I/O error,\n"
                 "            3 internal error\n"
                 "docs: docs/cli.md, docs/schema.md, docs/diagnostics.md\n");
}

int bb_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return BB_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        print_usage(stdout);
        return BB_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("backbone %s\n", BB_VERSION);
        return BB_EXIT_OK;
    }
    for (size_t i = 0; i < n_commands; i++)
        if (strcmp(commands[i].name, cmd) == 0)
            return commands[i].run(argc - 1, argv + 1);
    bb_cli_error("unknown command '%s' (see 'backbone --help')", cmd);
    return BB_EXIT_USAGE;
}

int bb_cli_pipeline_option(bb_pipeline_opts *opts, bb_llm_options *store, int argc, char **argv,
                           int *i)
{
    int k = bb_llm_parse_option(store, argc, argv, i);
    if (k > 0) {
        opts->llm = store->mode ? BB_LLM_ADVISE : BB_LLM_OFF;
        opts->llm_options = store;
    }
    return k ? k : bb_cli_limit_arg(&opts->limits, argc, argv, i);
}

int bb_cli_count(const char *s, size_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return BB_EUSAGE;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K')
        shift = 10;
    else if (*end == 'm' || *end == 'M')
        shift = 20;
    else if (*end == 'g' || *end == 'G')
        shift = 30;
    if (shift)
        end++;
    if (errno || *end || v == 0 || v > (SIZE_MAX >> 1) >> shift)
        return BB_EUSAGE;
    *out = (size_t)(v << shift);
    return BB_OK;
}

/* The limit a --max-* option sets, NULL when name is no such option. */
static size_t *limit_field(bb_limits *l, const char *name)
{
    static const struct {
        const char *name;
        size_t offset;
    } fields[] = {
        {"--max-input-bytes", offsetof(bb_limits, max_input_bytes)},
        {"--max-tables", offsetof(bb_limits, max_tables)},
        {"--max-columns", offsetof(bb_limits, max_columns)},
        {"--max-relationships", offsetof(bb_limits, max_relationships)},
        {"--max-string-length", offsetof(bb_limits, max_string_chars)},
        {"--max-depth", offsetof(bb_limits, max_depth)},
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (strcmp(fields[i].name, name) == 0)
            return (size_t *)((char *)l + fields[i].offset);
    return NULL;
}

int bb_cli_limit_arg(struct bb_limits *l, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *eq = strchr(a, '=');
    char name[32];
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    if (strncmp(a, "--max-", 6) != 0 || n >= sizeof(name))
        return 0;
    memcpy(name, a, n);
    name[n] = '\0';
    if (!limit_field(l, name))
        return 0;
    const char *value = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    return bb_cli_limit_option(l, name, value);
}

int bb_cli_limit_option(struct bb_limits *l, const char *name, const char *value)
{
    size_t *field = limit_field(l, name);
    if (!field)
        return 0;
    if (bb_cli_count(value, field)) {
        bb_cli_error("%s takes a positive count, e.g. %s 100 (sizes may end in K, M or G)", name,
                     name);
        return -1;
    }
    return 1;
}
