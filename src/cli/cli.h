/*
 * cli.h - the command line: `backbone COMMAND [options]`.
 *
 * Each command lives in its own cmd_<name>.c and has the signature of
 * bb_cmd_fn: it gets the arguments after the command name (argv[0] is the
 * command name) and returns the process exit code.
 *
 * Exit codes (docs/cli.md): 0 success, 1 the input is invalid or a check
 * failed, 2 usage or I/O error, 3 internal error.
 */
#ifndef BB_CLI_H
#define BB_CLI_H

#include "base/bb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { BB_EXIT_OK = 0, BB_EXIT_INVALID = 1, BB_EXIT_USAGE = 2, BB_EXIT_INTERNAL = 3 };

typedef int (*bb_cmd_fn)(int argc, char **argv);

typedef struct bb_command {
    const char *name;
    const char *summary;
    bb_cmd_fn run;
} bb_command;

int bb_cli_main(int argc, char **argv);

struct bb_pipeline_opts;
struct bb_llm_options;

/*
 * Parses the option at argv[*i] when it is one that every command running
 * the pipeline takes: an LLM option (bb_llm_parse_option) into *store, with
 * opts->llm from --llm and opts->llm_options pointed at store; or an input
 * limit (bb_cli_limit_arg) into opts->limits. Returns 1 when consumed (*i
 * past its value), 0 when it is neither, -1 on a bad value (message
 * printed).
 */
int bb_cli_pipeline_option(struct bb_pipeline_opts *opts, struct bb_llm_options *store, int argc,
                           char **argv, int *i);

struct bb_limits;

/*
 * The --max-* options of the input limits (docs/cli.md), for every command
 * that reads a schema: name is the option ("--max-tables"), value its
 * argument (a positive count; K, M, G suffixes). Returns 1 when name is one
 * of them and value was stored in *l, 0 when name is no limit option, -1
 * (after printing why) when value is not a valid count.
 */
int bb_cli_limit_option(struct bb_limits *l, const char *name, const char *value);

/* The same for the argument at argv[*i], as `--max-tables 60` (which
 * advances *i past the value) or `--max-tables=60`. */
int bb_cli_limit_arg(struct bb_limits *l, int argc, char **argv, int *i);

/* A positive count with an optional K, M or G (binary) suffix ("64M"):
 * BB_OK and *out, or BB_EUSAGE (*out untouched). */
int bb_cli_count(const char *s, size_t *out) BB_WUR;

struct bb_output;
struct bb_buf;

/*
 * The advice a run accepted (o->advice) as a unified diff of the schema file
 * `file` whose text is bytes[0..len) (cmd_advise.c), into out. BB_OK (out
 * empty when there is none), BB_EUSAGE when the schema has no source text,
 * BB_ENOMEM, BB_ELIMIT.
 */
int bb_cli_advice_diff(const char *file, const struct bb_output *o, const char *bytes, size_t len,
                       struct bb_buf *out);

/* Prints "backbone: " and the message to stderr. */
void bb_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Commands. */
int bb_cmd_validate(int argc, char **argv);
int bb_cmd_plan(int argc, char **argv);
int bb_cmd_templates(int argc, char **argv);
int bb_cmd_generate(int argc, char **argv);
int bb_cmd_migrate(int argc, char **argv);
int bb_cmd_serve(int argc, char **argv);
int bb_cmd_keys(int argc, char **argv);
int bb_cmd_draft(int argc, char **argv);
int bb_cmd_advise(int argc, char **argv);

#endif
