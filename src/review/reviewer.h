/*
 * reviewer.h - the last stage: checks the generated files before anything
 * is written.
 *
 *  - Every generated .py file must parse. With a Python available (the one
 *    in opts->python, else /usr/bin/python3 or /usr/local/bin/python3) each
 *    file is compiled by it as py_compile would, from a copy sent through a
 *    pipe (nothing is written to disk, no bytecode); otherwise a built-in
 *    check looks at tokens: brackets balanced, string literals closed,
 *    indentation consistent. Files the caller says were already reviewed in
 *    exactly this form (bb_pipeline_opts.reviewed) are not compiled again,
 *    nor, when the record of compiled files is on (bb_reviewer_use_cache),
 *    files whose exact bytes this same Python compiled in an earlier run.
 *    Python starts before the security scan and compiles while it runs.
 *  - Every generated file is scanned with security patterns: eval()/exec()
 *    calls, pickle, shell=True, os.system()/os.popen(), hard-coded secrets
 *    (password = "...", AWS access keys, private keys).
 *
 * A finding is a bug of backbone, not of the user: it is reported as an
 * error naming the file, the line and the schema that triggered it, so the
 * report can be filed with the schema attached.
 */
#ifndef BB_REVIEWER_H
#define BB_REVIEWER_H

#include "base/file.h"
#include "diag/diag.h"

#include <stdbool.h>
#include <stddef.h>

/* True when a generated file was already reviewed in exactly this form (an
 * earlier run wrote these bytes), so the reviewer need not compile it again. */
typedef bool (*bb_reviewed_fn)(void *ctx, bb_file *f);

/* Runs every check over the files; BB_EINVAL when one failed. The files'
 * hashes are computed here when the record of compiled files needs them,
 * and kept in the files (bb_file_sha256()) for the steps after. `python` and
 * `reviewed` (may be NULL) as in bb_pipeline_opts; `schema_name` names the
 * input in messages. The scans and the built-in check run on up to `jobs`
 * threads (base/parallel.h); the findings come in file order. A large
 * project is compiled by up to `jobs` Pythons at once, or one per CPU when
 * jobs is 0. */
int bb_reviewer_check(bb_file *files, size_t n, const char *python, bb_reviewed_fn reviewed,
                      void *reviewed_ctx, const char *schema_name, unsigned jobs,
                      bb_diags *diags) BB_WUR;

/* The built-in syntax check of one Python file (BB0741 on failure). */
int bb_reviewer_check_tokens(const char *path, const char *data, size_t len,
                             const char *schema_name, bb_diags *diags) BB_WUR;

/* The security scan of one file (BB0742..BB0745 on findings). */
int bb_reviewer_scan(const char *path, const char *data, size_t len, const char *schema_name,
                     bb_diags *diags) BB_WUR;

/*
 * The record of compiled files: `dir`/reviewed lists (by SHA-256 of the
 * Python's identity and the file's bytes) every .py file a Python compiled
 * without error, so the same bytes are not compiled again by the same
 * Python. Off by default; dir NULL turns it off. Process-wide: set it before
 * any review runs (the command line does; the HTTP service does not). A
 * record that cannot be read or written only costs compiles.
 */
void bb_reviewer_use_cache(const char *dir);

/* The record's usual folder into out: $XDG_CACHE_HOME/backbone, else
 * $HOME/.cache/backbone; false when neither is set to an absolute path. */
bool bb_reviewer_default_cache_dir(char *out, size_t size);

/* The Python the reviewer would run for this setting, NULL when none. */
const char *bb_reviewer_python(const char *python);

#endif
