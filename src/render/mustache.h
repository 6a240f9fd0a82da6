/*
 * mustache.h - the template engine: Mustache (the official specification,
 * with template inheritance and dynamic partial names), compiled once into a
 * flat array of operations and rendered many times. See docs/mustache.md.
 *
 * The renderer knows nothing about JSON: it reads data through a small model
 * interface only (bb_mustache_model: look a name up in a value, truthiness,
 * list iteration, value to text). The cJSON adapter (mustache_json.h) is a
 * client of this module like any other model.
 *
 * Partials and parents ({{>name}}, {{<name}}) come from a template set, which
 * loads each name once through a loader callback, compiles it once and keeps
 * it for later renders.
 *
 * Ownership: a template from bb_mustache_compile() is the caller's
 * (bb_mustache_free). A template from a set belongs to the set and lives
 * until bb_mustache_set_free(). Templates copy the text they are given. A
 * compiled template is immutable and may be rendered by several threads at
 * once; a set is not thread-safe (it compiles partials on first use).
 */
#ifndef BB_MUSTACHE_H
#define BB_MUSTACHE_H

#include "base/bb.h"
#include "base/buf.h"
#include "diag/diag.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bb_mustache_template bb_mustache_template;
typedef struct bb_mustache_set bb_mustache_set;

/* The largest template text accepted (ops use 32-bit offsets). */
#define BB_MUSTACHE_MAX_TEMPLATE (16u << 20)
/* The deepest nesting of sections/blocks inside one template. */
#define BB_MUSTACHE_MAX_NESTING 100
/* The most frames on the context stack (base frames and sections). */
#define BB_MUSTACHE_MAX_STACK 256
/* Default and highest cap on partial/parent nesting while rendering. */
#define BB_MUSTACHE_DEFAULT_DEPTH 32
#define BB_MUSTACHE_MAX_DEPTH 128
/* The longest partial name; longer dynamic names are not found. */
#define BB_MUSTACHE_MAX_NAME 256
/* Size of the scratch buffer a model may format a value into. */
#define BB_MUSTACHE_SCRATCH 64

/*
 * What went wrong, where. rc is the BB_E* code also returned; code is the
 * diagnostic code ("BB0702", see codes.h; "" for out of memory); template,
 * line and column locate the tag (line 0 when there is no position).
 */
typedef struct bb_mustache_error {
    int rc;
    char code[8];
    char template_name[128];
    int line, column;
    char message[256];
} bb_mustache_error;

/*
 * The data interface. A value is an opaque pointer owned by the caller's data
 * model; NULL means "missing" and is never passed to these functions.
 *   get:    the member called name (len bytes, not NUL-terminated) of v, or
 *           NULL when v is not a map or has no such member
 *   truthy: whether v renders a section (used for values that are not lists)
 *   first/next: iterate v when v is a list, else first returns
 *           BB_MUSTACHE_NOT_LIST; an empty list returns NULL
 *   text:   the text of v for {{name}}: a view into v or into scratch (the
 *           view must stay valid until the next call); BB_OK or BB_E*
 *   get_hinted: optional (NULL: get is used); get for a name the renderer
 *           asks of one object after another (the items of a list, which
 *           mostly share a layout). *hint is the name's own, kept by the
 *           renderer for the length of one render and zeroed before its
 *           first use: the model may note in it where it found the name,
 *           to find it faster in the next object; it leaves the hint all
 *           zero when the name is not there (the renderer then remembers
 *           the miss for that object).
 * The data must not change while a render runs: lookups are cached for the
 * duration of one render.
 */
typedef struct bb_mustache_hint {
    uint32_t a, b;
} bb_mustache_hint;

typedef struct bb_mustache_model {
    const void *(*get)(void *ud, const void *v, const char *name, size_t len);
    const void *(*get_hinted)(void *ud, const void *v, const char *name, size_t len,
                              bb_mustache_hint *hint);
    bool (*truthy)(void *ud, const void *v);
    const void *(*first)(void *ud, const void *v);
    const void *(*next)(void *ud, const void *item);
    int (*text)(void *ud, const void *v, char scratch[BB_MUSTACHE_SCRATCH], const char **s,
                size_t *n);
} bb_mustache_model;

/* Returned by first() for a value that is not a list. */
#define BB_MUSTACHE_NOT_LIST ((const void *)&bb_mustache_not_list)
extern const char bb_mustache_not_list;

/* Appends s (n bytes) to out, escaped. Returns BB_OK or the bb_buf error. */
typedef int (*bb_mustache_escape_fn)(bb_buf *out, const char *s, size_t n);

/* HTML escaping as the specification wants: & < > " and '. */
int bb_mustache_escape_html(bb_buf *out, const char *s, size_t n) BB_WUR;

typedef struct bb_mustache_opts {
    bb_mustache_escape_fn escape; /* NULL: {{x}} is written as is */
    bb_mustache_set *partials;    /* NULL: every partial is unknown */
    unsigned max_depth;           /* partial/parent nesting; 0: the default */
    bool strict_partials;         /* an unknown partial or parent is an error */
    bool strict_names;            /* interpolating a missing name is an error */
    size_t max_steps;             /* loop iterations, partials and blocks per render
                                   * (BB0713); 0: no limit */
} bb_mustache_opts;

/* HTML escaping, no partials, default depth, not strict. */
void bb_mustache_opts_default(bb_mustache_opts *o);

/*
 * Compiles text (len bytes, any content) into *out. name is used in errors.
 * Returns BB_OK, BB_EINVAL (syntax; err says where), BB_ELIMIT or BB_ENOMEM.
 * err may be NULL.
 */
int bb_mustache_compile(const char *name, const char *text, size_t len, bb_mustache_template **out,
                        bb_mustache_error *err) BB_WUR;
void bb_mustache_free(bb_mustache_template *t);
const char *bb_mustache_name(const bb_mustache_template *t);

/*
 * Renders t with a base context stack of n_frames values of the model m
 * (frames[0] at the bottom, frames[n_frames - 1] searched first), appending
 * to out. The output cap is out->max: going past it fails with BB_ELIMIT
 * (BB0709), never truncates. On failure out is restored to its length
 * before the call. o may be NULL (defaults); err may be NULL.
 */
int bb_mustache_render_model(const bb_mustache_template *t, const bb_mustache_model *m,
                             void *model_ud, const void *const *frames, size_t n_frames,
                             const bb_mustache_opts *o, bb_buf *out, bb_mustache_error *err) BB_WUR;

/*
 * Template sets. The loader gives the text of a template by name: BB_OK with
 * text and len set (borrowed: valid until the loader is called again or the
 * set is freed), BB_ENOTFOUND when there is no such template, or another
 * BB_E* code on failure.
 */
typedef int (*bb_mustache_loader_fn)(void *ud, const char *name, size_t name_len, const char **text,
                                     size_t *len);

/* loader may be NULL: then only templates added with bb_mustache_set_add exist. */
int bb_mustache_set_new(bb_mustache_loader_fn loader, void *ud, bb_mustache_set **out) BB_WUR;
void bb_mustache_set_free(bb_mustache_set *s);

/* Compiles text under name into the set (replacing nothing: BB_ESTATE if present). */
int bb_mustache_set_add(bb_mustache_set *s, const char *name, const char *text, size_t len,
                        bb_mustache_error *err) BB_WUR;

/*
 * The compiled template called name (name_len bytes), loaded and compiled on
 * first use. BB_ENOTFOUND when the loader has no such template (remembered,
 * so the loader is asked once per name). *out belongs to the set.
 */
int bb_mustache_set_get(bb_mustache_set *s, const char *name, size_t name_len,
                        const bb_mustache_template **out, bb_mustache_error *err) BB_WUR;

/*
 * Adds err to diags as one error diagnostic (code, "template:line:col:
 * message"). Returns BB_OK or BB_ENOMEM.
 */
int bb_mustache_error_report(const bb_mustache_error *err, bb_diags *diags);

#endif
