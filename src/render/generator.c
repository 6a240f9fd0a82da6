/* generator.c - rendering the plan's files (see generator.h). */
#include "render/generator.h"

#include "base/file.h"
#include "base/parallel.h"
#include "render/embedded.h"
#include "render/mustache.h"
#include "render/mustache_plan.h"
#include "render/pyfmt.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE_MAX_BYTES (1u << 20)
#define TEMPLATE_NAME_MAX 512
#define BUILTIN_PREFIX "builtin:"

typedef struct pending pending;

typedef struct gen_ctx {
    const bb_plan *plan;
    const char *templates_dir; /* NULL: embedded templates only */
    size_t max_output_bytes;
    bb_diags *diags;
    bb_mustache_set *set; /* every template, compiled once */
    char **owned;         /* texts read from templates_dir */
    char **owned_names;   /* and their names */
    size_t n_owned, cap_owned;
    size_t budget;          /* output bytes still allowed */
    bb_mustache_plan data;  /* the plan as template data */
    bb_mustache_error last; /* the last error reported: reported once */
    pending *pending;       /* each plan file on its way out */
} gen_ctx;

/* ---- templates ------------------------------------------------------------- */

static int compare_embedded(const void *key, const void *item)
{
    return strcmp(key, ((const bb_embedded_template *)item)->path);
}

static const bb_embedded_template *find_embedded(const char *file)
{
    return bsearch(file, bb_embedded_templates, bb_embedded_template_count,
                   sizeof(bb_embedded_templates[0]), compare_embedded);
}

/* Keeps a template text read from templates_dir, and its name, until the
 * run ends. */
static int keep_text(gen_ctx *g, const char *name, size_t name_len, char *text)
{
    if (g->n_owned == g->cap_owned) {
        size_t cap = g->cap_owned ? 2 * g->cap_owned : 16;
        char **p = bb_realloc(g->owned, cap * sizeof(*p));
        if (!p)
            return BB_ENOMEM;
        g->owned = p;
        char **q = bb_realloc(g->owned_names, cap * sizeof(*q));
        if (!q)
            return BB_ENOMEM;
        g->owned_names = q;
        g->cap_owned = cap;
    }
    char *copy = bb_strndup(name, name_len);
    if (!copy)
        return BB_ENOMEM;
    g->owned[g->n_owned] = text;
    g->owned_names[g->n_owned++] = copy;
    return BB_OK;
}

/* Whether template name was read from templates_dir. */
static bool overridden(const gen_ctx *g, const char *name)
{
    for (size_t i = 0; i < g->n_owned; i++)
        if (!strcmp(g->owned_names[i], name))
            return true;
    return false;
}

/*
 * The built-in template called name: "builtin:<name>" always means the
 * embedded one, so an override can extend the template it replaces
 * ({{<builtin:app/api/routes/route.py}}...).
 */
static int embedded_text(const char *name, size_t name_len, const char **text, size_t *len)
{
    char file[TEMPLATE_NAME_MAX];
    size_t np = strlen(BUILTIN_PREFIX);
    if (name_len > np && !memcmp(name, BUILTIN_PREFIX, np)) {
        name += np;
        name_len -= np;
    }
    int n = snprintf(file, sizeof(file), "%.*s.mustache", (int)name_len, name);
    if (n < 0 || n >= (int)sizeof(file) || memchr(name, '\0', name_len))
        return BB_ENOTFOUND;
    const bb_embedded_template *e = find_embedded(file);
    if (!e)
        return BB_ENOTFOUND;
    *text = e->data;
    *len = e->len;
    return BB_OK;
}

/*
 * The template set's loader: the text of template `name` (a plan's
 * "template", or a partial's name) is templates_dir/<name>.mustache when that
 * file exists, else the embedded templates/<name>.mustache.
 */
static int load_template(void *ud, const char *name, size_t name_len, const char **text,
                         size_t *len)
{
    gen_ctx *g = ud;
    char file[TEMPLATE_NAME_MAX];
    int n = snprintf(file, sizeof(file), "%.*s.mustache", (int)name_len, name);
    if (n < 0 || n >= (int)sizeof(file) || memchr(name, '\0', name_len) ||
        !bb_file_path_is_safe(file))
        return BB_ENOTFOUND;
    if (g->templates_dir && strncmp(name, BUILTIN_PREFIX, strlen(BUILTIN_PREFIX))) {
        char path[4096], *data;
        n = snprintf(path, sizeof(path), "%s/%s", g->templates_dir, file);
        if (n < 0 || n >= (int)sizeof(path))
            return BB_ELIMIT;
        int rc = bb_file_read(path, TEMPLATE_MAX_BYTES, &data, len);
        if (rc == BB_OK) {
            rc = keep_text(g, name, name_len, data);
            if (rc) {
                bb_free(data);
                return rc;
            }
            *text = data;
            return BB_OK;
        }
        if (!(rc == BB_EIO && errno == ENOENT)) {
            bb_diag_add(g->diags, BB_ERROR, "BB0726", NULL, BB_NO_OFFSET, NULL,
                        "cannot read the template override %s: %s", path,
                        rc == BB_ELIMIT ? "larger than 1 MiB" : strerror(errno));
            return BB_EIO;
        }
    }
    return embedded_text(name, name_len, text, len);
}

/*
 * Without templates_dir every template is an embedded one: each thread
 * keeps the set it compiled them into, so a process that renders many
 * projects (the HTTP service) compiles each template once per thread, not
 * once per project. A set is not thread-safe, hence one per thread; the
 * thread's exit frees it.
 */
static int load_embedded(void *ud, const char *name, size_t name_len, const char **text,
                         size_t *len)
{
    (void)ud;
    return embedded_text(name, name_len, text, len);
}

static __thread bb_mustache_set *thread_set; /* also reachable here, for leak checkers */
static pthread_key_t set_key;
static bool set_key_made;
static pthread_once_t set_key_once = PTHREAD_ONCE_INIT;

static void free_thread_set(void *set)
{
    bb_mustache_set_free(set);
    thread_set = NULL;
}

static void make_set_key(void)
{
    set_key_made = pthread_key_create(&set_key, free_thread_set) == 0;
}

/* This thread's set of embedded templates, made on first use. */
static int embedded_set(bb_mustache_set **out)
{
    pthread_once(&set_key_once, make_set_key);
    if (!thread_set) {
        if (!set_key_made)
            return BB_ENOMEM;
        bb_mustache_set *set;
        int rc = bb_mustache_set_new(load_embedded, NULL, &set);
        if (rc)
            return rc;
        if (pthread_setspecific(set_key, set) != 0) {
            bb_mustache_set_free(set);
            return BB_ENOMEM;
        }
        thread_set = set;
    }
    *out = thread_set;
    return BB_OK;
}

/* A template error: in a template of templates_dir, the user's, at the path
 * of its file; else the built-in template's. */
static void report(gen_ctx *g, const bb_mustache_error *err)
{
    /* A template that does not compile fails every file that uses it. */
    if (err->code[0] && !strcmp(err->code, g->last.code) && err->line == g->last.line &&
        err->column == g->last.column && !strcmp(err->template_name, g->last.template_name))
        return;
    g->last = *err;
    if (!err->code[0] || !g->templates_dir || !overridden(g, err->template_name)) {
        bb_mustache_error_report(err, g->diags);
        return;
    }
    bb_diag_add(g->diags, BB_ERROR, err->code, NULL, BB_NO_OFFSET,
                "the template is one of --templates: fix it there, or remove it to use the "
                "built-in one",
                "%s/%s.mustache:%d:%d: %s", g->templates_dir, err->template_name, err->line,
                err->column, err->message);
}

/* Renders one template with the frames [plan root, model] into out (model
 * NULL: the root alone). */
static int render_template(gen_ctx *g, const char *name, const bb_plan_model *model,
                           const char *pointer, bb_buf *out)
{
    bb_mustache_error err;
    memset(&err, 0, sizeof(err));
    const bb_mustache_template *t;
    int rc = bb_mustache_set_get(g->set, name, strlen(name), &t, &err);
    if (rc == BB_ENOTFOUND) {
        bb_diag_add(g->diags, BB_ERROR, "BB0720", pointer, BB_NO_OFFSET,
                    "a template of that name must exist in templates/ or in --templates DIR",
                    "no template '%s.mustache' for a file of the plan", name);
        return BB_EINVAL;
    }
    if (rc == BB_OK) {
        bb_mustache_plan_reset(&g->data);
        const void *frames[2] = {
            bb_mustache_plan_object(&g->data, &bb_plan_root_type, g->plan),
            model ? bb_mustache_plan_object(&g->data, &bb_plan_model_type, model) : NULL};
        size_t n_frames = model ? 2 : 1;
        bb_mustache_opts o;
        bb_mustache_opts_default(&o);
        o.escape = NULL; /* source code, not HTML */
        o.partials = g->set;
        o.strict_partials = true;
        if (!frames[0] || (model && !frames[1]))
            rc = BB_ENOMEM;
        else
            rc = bb_mustache_render_model(t, &bb_mustache_plan_model, &g->data, frames, n_frames,
                                          &o, out, &err);
        if (!rc && g->data.rc)
            rc = g->data.rc;
    }
    if (rc && rc != BB_ENOMEM && rc != BB_ELIMIT && rc != BB_EIO)
        report(g, &err);
    return rc;
}

/* ---- files ------------------------------------------------------------------ */

static int compare_files(const void *a, const void *b)
{
    return strcmp(((const bb_file *)a)->path, ((const bb_file *)b)->path);
}

void bb_generator_free(bb_file *files, size_t n_files)
{
    for (size_t i = 0; i < n_files; i++) {
        bb_free(files[i].path);
        bb_free(files[i].data);
    }
    bb_free(files);
}

static bool is_python(const char *path)
{
    size_t n = strlen(path);
    return n > 3 && !strcmp(path + n - 3, ".py");
}

/*
 * Templates write each statement on one line and one import per line; the
 * formatting pass wraps and sorts them as Black and isort would. The
 * formatted text replaces the rendered one in *text. Runs on any thread:
 * it reads only its own file and reports into its own diags.
 */
static int format_python(const char *templates_dir, size_t cap, const char *path, bb_buf *text,
                         bb_diags *diags)
{
    bb_buf fmt;
    bb_buf_init(&fmt, cap);
    int rc = bb_pyfmt_format(path, bb_buf_str(text), text->len, NULL, &fmt, diags);
    if (rc == BB_EINVAL && templates_dir)
        bb_diag_add(diags, BB_NOTE, "BB0747", NULL, BB_NO_OFFSET, NULL,
                    "%s was rendered with the templates of %s: check the overrides it uses", path,
                    templates_dir);
    if (rc) {
        bb_buf_free(&fmt);
        return rc;
    }
    bb_buf_free(text);
    *text = fmt;
    return BB_OK;
}

/* One file of the plan on its way out: rendered in plan order, then, for a
 * .py file, formatted on whichever thread takes it once it is rendered. */
struct pending {
    const char *path; /* the plan's; NULL when the file was not rendered */
    bb_buf text;
    int rc;
    bb_diags diags; /* the formatting's, merged in plan order */
};

/* Reads only what no thread writes while files render: the options and
 * its own file. */
static void format_one(void *ctx, size_t i)
{
    const gen_ctx *g = ctx;
    pending *p = &g->pending[i];
    if (p->path && !p->rc && is_python(p->path))
        p->rc = format_python(g->templates_dir, g->max_output_bytes, p->path, &p->text, &p->diags);
}

static void report_over_cap(gen_ctx *g, const char *path)
{
    /* Said once: every file after this one is over the cap too. */
    bb_diag_add(g->diags, BB_ERROR, "BB0722", NULL, BB_NO_OFFSET,
                "raise the cap (--max-output) if the schema really is that large",
                "the generated files exceed the output cap of %zu bytes; '%s' is the first "
                "file past it",
                g->max_output_bytes, path);
}

/* Renders plan.files[index] into *p. */
static int render_entry(gen_ctx *g, const bb_plan_file *entry, size_t index, pending *p)
{
    char pointer[64];
    snprintf(pointer, sizeof(pointer), "/files/%zu", index);
    if (!entry->path || !entry->template) {
        bb_diag_add(g->diags, BB_ERROR, "BB0723", pointer, BB_NO_OFFSET, NULL,
                    "a plan file entry needs a path and a template");
        return BB_EINVAL;
    }
    if (!bb_file_path_is_safe(entry->path)) {
        bb_diag_add(g->diags, BB_ERROR, "BB0724", pointer, BB_NO_OFFSET, NULL,
                    "refusing to generate a file outside the output directory: '%s'", entry->path);
        return BB_EINVAL;
    }
    bb_buf_init(&p->text, g->budget);
    int rc = render_template(g, entry->template, entry->model, pointer, &p->text);
    if (rc == BB_ELIMIT)
        report_over_cap(g, entry->path);
    if (rc) {
        bb_buf_free(&p->text);
        return rc;
    }
    g->budget -= p->text.len;
    p->path = entry->path;
    bb_diags_init(&p->diags, g->diags->filename, g->diags->src, g->diags->src_len);
    return BB_OK;
}

/* Moves a rendered and formatted file into *f, its diagnostics into the
 * run's; *total counts the bytes so far against the cap. */
static int finish_entry(gen_ctx *g, pending *p, size_t *total, bb_file *f, bool *over)
{
    int rc = bb_diags_append(g->diags, &p->diags);
    if (!rc)
        rc = p->rc;
    if ((!rc && p->text.len > g->max_output_bytes - *total) || rc == BB_ELIMIT || *over) {
        if (!*over)
            report_over_cap(g, p->path);
        *over = true;
        return BB_ELIMIT;
    }
    if (rc)
        return rc;
    *total += p->text.len;
    f->path = bb_strdup(p->path);
    f->data = bb_buf_take(&p->text, &f->len);
    if (f->data) {
        /* The buffer grew by doubling: give the unused half back, since
         * every file of the project stays in memory until it is written. */
        char *fit = bb_realloc(f->data, f->len + 1);
        if (fit)
            f->data = fit;
    }
    return f->path && f->data ? BB_OK : BB_ENOMEM;
}

/* Moves every rendered and formatted file into out in plan order. */
static int finish_files(gen_ctx *g, pending *p, size_t n, bb_file *out)
{
    int rc = BB_OK;
    size_t total = 0;
    bool over = false;
    for (size_t i = 0; i < n; i++) {
        if (!p[i].path)
            continue;
        out[i].user = g->plan->files.v[i].user;
        int r = finish_entry(g, &p[i], &total, &out[i], &over);
        if (r && (!rc || r == BB_ENOMEM || r == BB_ELIMIT))
            rc = r;
    }
    return rc;
}

static void pending_free(pending *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        bb_buf_free(&p[i].text);
        bb_diags_free(&p[i].diags); /* zeroed when the file was not rendered */
    }
    bb_free(p);
}

int bb_generator_render(const bb_plan *plan, const char *templates_dir, size_t max_output_bytes,
                        unsigned jobs, bb_diags *diags, bb_file **files, size_t *n_files)
{
    *files = NULL;
    *n_files = 0;
    size_t n = plan->files.n;
    bb_file *out = bb_calloc(n ? n : 1, sizeof(*out));
    pending *p = bb_calloc(n ? n : 1, sizeof(*p));
    if (!out || !p) {
        bb_free(out);
        bb_free(p);
        return BB_ENOMEM;
    }
    gen_ctx g = {.plan = plan,
                 .templates_dir = templates_dir,
                 .max_output_bytes = max_output_bytes,
                 .diags = diags,
                 .budget = max_output_bytes,
                 .pending = p};
    bb_mustache_plan_init(&g.data);
    int rc = templates_dir ? bb_mustache_set_new(load_template, &g, &g.set) : embedded_set(&g.set);
    /* Other threads format the .py files while this one renders the next. */
    bb_parallel formatting;
    bb_parallel_start(&formatting, jobs, format_one, &g);
    for (size_t i = 0; i < n && rc != BB_ENOMEM && rc != BB_ELIMIT; i++) {
        int r = render_entry(&g, &plan->files.v[i], i, &p[i]);
        if (r && (!rc || r == BB_ENOMEM || r == BB_ELIMIT))
            rc = r;
        bb_parallel_ready(&formatting, i + 1);
    }
    bb_parallel_finish(&formatting, n);
    if (rc != BB_ENOMEM && rc != BB_ELIMIT) {
        int r = finish_files(&g, p, n, out);
        if (r && (!rc || r == BB_ENOMEM || r == BB_ELIMIT))
            rc = r;
    }
    pending_free(p, n);
    if (rc == BB_ELIMIT)
        rc = BB_EINVAL; /* reported (BB0722) */
    bb_mustache_plan_free(&g.data);
    if (templates_dir)
        bb_mustache_set_free(g.set);
    for (size_t k = 0; k < g.n_owned; k++) {
        bb_free(g.owned[k]);
        bb_free(g.owned_names[k]);
    }
    bb_free(g.owned);
    bb_free(g.owned_names);
    if (rc) {
        bb_generator_free(out, n);
        return rc;
    }
    qsort(out, n, sizeof(*out), compare_files);
    *files = out;
    *n_files = n;
    return BB_OK;
}
