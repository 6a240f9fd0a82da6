/*
 * generator.h - the generator stage: renders every entry of the plan's
 * "files" array with its Mustache template.
 *
 * Templates come from the binary (compiler/embedded.h); with
 * opts->templates_dir set, DIR/<template>.mustache replaces the embedded
 * template of the same relative path, file by file, so a project can
 * override one template and keep the rest. Each template is compiled once
 * however many files use it; without templates_dir, once per thread however
 * many projects it renders (each thread keeps its compiled embedded
 * templates until it exits).
 *
 * Each file is rendered with the context stack [plan root, the file's model]
 * (the root alone for project files) through render/mustache_plan.h, in
 * no-escape mode: the
 * output is source code, not HTML, and the architect has already made every
 * value safe for the place it goes. All files together are capped at
 * opts->max_output_bytes.
 *
 * Ownership: *files is an array the caller frees with bb_generator_free();
 * it is sorted by path.
 */
#ifndef BB_GENERATOR_H
#define BB_GENERATOR_H

#include "base/file.h"
#include "diag/diag.h"
#include "plan/plan.h"

#include <stddef.h>

typedef struct cJSON cJSON;

/* templates_dir NULL: the embedded templates only; max_output_bytes caps
 * all rendered files together. */
int bb_generator_render(const bb_plan *plan, const char *templates_dir, size_t max_output_bytes,
                        bb_diags *diags, bb_file **files, size_t *n_files) BB_WUR;

void bb_generator_free(bb_file *files, size_t n_files);

/*
 * The value at a JSON Pointer (RFC 6901: "" is the root, "~1" is '/', "~0"
 * is '~', array items by decimal index). NULL when it does not resolve.
 */
const cJSON *bb_json_pointer_get(const cJSON *root, const char *pointer);

#endif
