/*
 * generator.h - the generator stage: renders every entry of the plan's
 * files with its Mustache template, then formats every .py file
 * (render/pyfmt.h: Black's line splits and blank lines, isort's imports).
 *
 * Templates come from the binary (render/embedded.h); with templates_dir
 * set, DIR/<template>.mustache replaces the built-in template of the same
 * name (partials too), so a project can override one template and keep the
 * rest. The name "builtin:<template>" always means the built-in one, so an
 * override can extend the template it replaces and change some of its
 * blocks ({{<builtin:app/models/model.py}}{{$model_bases}}...). An error in
 * a template of DIR is reported at DIR/<template>.mustache:line:column.
 * Each template is compiled once however many files use it; without
 * templates_dir, once per thread however many projects it renders (each
 * thread keeps its compiled built-in templates until it exits).
 *
 * Each file is rendered with the context stack [plan, the file's model]
 * (the plan alone for project files) through render/mustache_plan.h, in
 * no-escape mode: the output is source code, not HTML, and the architect
 * has made every value safe for the place it goes. All files together are
 * capped at max_output_bytes.
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

/* templates_dir NULL: the embedded templates only; max_output_bytes caps
 * all rendered files together. Files are rendered in plan order on the
 * caller's thread and formatted on up to `jobs` threads (base/parallel.h);
 * files and diagnostics are the same for any number. */
int bb_generator_render(const bb_plan *plan, const char *templates_dir, size_t max_output_bytes,
                        unsigned jobs, bb_diags *diags, bb_file **files, size_t *n_files) BB_WUR;

void bb_generator_free(bb_file *files, size_t n_files);

#endif
