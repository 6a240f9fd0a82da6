/*
 * mustache_render.c - the template engine's renderer (see mustache.h): walks
 * a compiled template's ops (mustache_ops.h) over data read through a
 * bb_mustache_model. Sections, partials, parents and blocks recurse over
 * sub-ranges of the op array. Nothing is parsed, copied or allocated per
 * render; lookups are cached for the render (see lookup).
 */
#include "render/mustache.h"
#include "render/mustache_ops.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Indentation pieces: standalone partials, parents and blocks each add one. */
#define MAX_INDENT 256
/* Nested render calls (sections, partials, blocks) on the C stack. */
#define MAX_NEST 512

typedef struct slice {
    const char *p;
    size_t n;
} slice;

/* A cache of lookups in frames below the top of the stack (see lookup). */
#define LOOKUP_CACHE 128

typedef struct cached {
    const void *obj;
    const char *name;
    size_t len;
    const void *val;
} cached;

/* The model's hint of each name asked of loop items (see loop_get). */
#define HINTS 64 /* a power of two: slot nid % HINTS */
/* Names found missing in loop items (see loop_get). */
#define MISSES 64

typedef struct hint {
    const char *name;
    bb_mustache_hint at;
} hint;

/* The parent tags being rendered: their blocks override the parents' blocks. */
typedef struct override {
    const bb_mustache_template *t;
    uint32_t op;
} override;

typedef struct render {
    const bb_mustache_model *m;
    void *ud;
    const bb_mustache_opts *o;
    bb_buf *out;
    bb_mustache_error err;
    unsigned max_depth, depth, nest;
    size_t steps_left; /* SIZE_MAX: no limit */
    bool cache_ready;
    bool hints_ready;
    size_t n_base; /* frames given by the caller */
    size_t lim;    /* see update_lim */
    size_t n_stack, n_indent, indent_base, n_over;
    const void *stack[BB_MUSTACHE_MAX_STACK];
    slice indent[MAX_INDENT];
    override over[BB_MUSTACHE_MAX_DEPTH];
    cached cache[LOOKUP_CACHE];
    hint hints[HINTS];
    cached misses[MISSES];
} render;

static int rfail(render *r, const bb_mustache_template *t, const mop *op, int rc, const char *code,
                 const char *fmt, ...) BB_PRINTF(6, 7);

static int rfail(render *r, const bb_mustache_template *t, const mop *op, int rc, const char *code,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bb__mustache_verror(&r->err, rc, code, t->name, strlen(t->name), t->src, t->len, op->pos, fmt,
                        ap);
    va_end(ap);
    return rc;
}

static int out_fail(render *r, const bb_mustache_template *t, const mop *op, int rc)
{
    if (rc == BB_ELIMIT)
        return rfail(r, t, op, rc, "BB0709", "output is larger than the limit of %zu bytes",
                     r->out->max);
    return rfail(r, t, op, rc, rc == BB_ENOMEM ? "" : "BB0712", "%s", bb_strerror(rc));
}

/* The length up to which out takes bytes without growing (NUL included). */
static inline void update_lim(render *r)
{
    const bb_buf *b = r->out;
    r->lim = !b->data ? 0 : b->cap - 1 < b->max ? b->cap - 1 : b->max;
}

/*
 * Copies n bytes. Most pieces of output are a few bytes long: two fixed-size
 * (overlapping) copies are cheaper than a call to memcpy.
 */
static inline void copy_small(char *d, const char *s, size_t n)
{
    if (n >= 8 && n <= 16) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n < 4) {
        for (size_t k = 0; k < n; k++)
            d[k] = s[k];
    } else {
        memcpy(d, s, n);
    }
}

/* Appends n bytes; the common case (room left) is a short copy. */
static inline int put(render *r, const bb_mustache_template *t, const mop *op, const char *s,
                      size_t n)
{
    bb_buf *b = r->out;
    if (n == 0) /* out may have no memory yet */
        return BB_OK;
    if (n <= r->lim - b->len) {
        copy_small(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return BB_OK;
    }
    int rc = bb_buf_append(b, s, n);
    update_lim(r);
    return rc ? out_fail(r, t, op, rc) : BB_OK;
}

static int put_indent(render *r, const bb_mustache_template *t, const mop *op)
{
    for (size_t i = r->indent_base; i < r->n_indent; i++) {
        int rc = put(r, t, op, r->indent[i].p, r->indent[i].n);
        if (rc)
            return rc;
    }
    return BB_OK;
}

static int push_indent(render *r, const bb_mustache_template *t, const mop *op)
{
    if (r->n_indent == MAX_INDENT)
        return rfail(r, t, op, BB_ELIMIT, "BB0710", "indentation nested deeper than %d",
                     MAX_INDENT);
    r->indent[r->n_indent].p = t->src + op->ind_off;
    r->indent[r->n_indent].n = op->ind_len;
    r->n_indent++;
    return BB_OK;
}

static int push_frame(render *r, const bb_mustache_template *t, const mop *op, const void *v)
{
    if (r->n_stack == BB_MUSTACHE_MAX_STACK)
        return rfail(r, t, op, BB_ELIMIT, "BB0710", "context stack deeper than %d",
                     BB_MUSTACHE_MAX_STACK);
    r->stack[r->n_stack++] = v;
    return BB_OK;
}

static inline const void *model_get(const render *r, const void *v, const char *name, size_t len)
{
    return r->m->get(r->ud, v, name, len);
}

static inline const void *model_first(const render *r, const void *v)
{
    return r->m->first(r->ud, v);
}

static inline bool model_truthy(const render *r, const void *v)
{
    return r->m->truthy(r->ud, v);
}

static inline const void *model_next(const render *r, const void *item)
{
    return r->m->next(r->ud, item);
}

/*
 * Looks name up in a frame below the top of the stack. Inside a loop, the
 * frames below the loop item are asked the same names again and again (a
 * field's template asks the model and the plan root for what the field
 * lacks), so the answers are cached for the rest of this render: the data
 * does not change while it renders. Names are keyed by their address in the
 * template, which is stable.
 */
static const void *deep_get(render *r, const void *obj, const char *name, size_t len)
{
    if (!r->cache_ready) {
        memset(r->cache, 0, sizeof(r->cache));
        r->cache_ready = true;
    }
    uintptr_t h = ((uintptr_t)obj >> 4) ^ ((uintptr_t)name * 0x9E3779B97F4A7C15u >> 7);
    cached *c = &r->cache[h & (LOOKUP_CACHE - 1)];
    if (c->obj == obj && c->name == name && c->len == len)
        return c->val;
    const void *v = model_get(r, obj, name, len);
    c->obj = obj;
    c->name = name;
    c->len = len;
    c->val = v;
    return v;
}

/*
 * Looks name up in a loop item, with the hint the model left for the name
 * in the previous item (get_hinted). A name missing from the item is
 * remembered for the rest of the render: templates often test optional
 * members that most items lack ({{#flag}}), often in several loops over the
 * same list, and proving a member missing reads every key of the object.
 * Only a name without a hint (not found last time) is looked for among the
 * misses: a hinted one is usually found at once. nid is the name's number.
 */
__attribute__((always_inline)) static inline const void *
loop_get(render *r, const void *obj, const char *name, size_t len, unsigned nid)
{
    if (!r->hints_ready) {
        memset(r->hints, 0, sizeof(r->hints));
        memset(r->misses, 0, sizeof(r->misses));
        r->hints_ready = true;
    }
    hint *h = &r->hints[nid & (HINTS - 1)];
    if (h->name != name) {
        h->name = name;
        h->at = (bb_mustache_hint){0};
    }
    bool hinted = r->m->get_hinted && (h->at.a | h->at.b);
    uintptr_t x = ((uintptr_t)obj >> 4) ^ ((uintptr_t)name * 0x9E3779B97F4A7C15u >> 7);
    cached *m = &r->misses[x & (MISSES - 1)];
    if (!hinted && m->obj == obj && m->name == name && m->len == len)
        return NULL;
    const void *v = r->m->get_hinted ? r->m->get_hinted(r->ud, obj, name, len, &h->at)
                                     : model_get(r, obj, name, len);
    if (!v) {
        m->obj = obj;
        m->name = name;
        m->len = len;
    }
    return v;
}

/*
 * Resolves a name as the spec says: "." is the top of the stack; otherwise
 * the first part is searched from the top of the stack down, and each
 * further part is looked up in the value found so far only. name must point
 * into a template (see deep_get). Inlined into its few callers: the call
 * was a tenth of a lookup's cost.
 */
__attribute__((always_inline)) static inline const void *
lookup(render *r, const char *name, size_t len, bool dotted, unsigned nid)
{
    if (len == 1 && name[0] == '.')
        return r->n_stack ? r->stack[r->n_stack - 1] : NULL;
    if (!r->n_stack)
        return NULL;
    const char *dot = dotted ? memchr(name, '.', len) : NULL;
    size_t first = dot ? (size_t)(dot - name) : len;
    /* The top frame is asked directly: when it is a base frame, each op runs
     * once per render (no loop is open), so a cache would not pay. */
    size_t i = r->n_stack - 1;
    const void *v = i >= r->n_base ? loop_get(r, r->stack[i], name, first, nid)
                                   : model_get(r, r->stack[i], name, first);
    while (!v && i-- > 0)
        v = deep_get(r, r->stack[i], name, first);
    while (v && dot) {
        const char *part = dot + 1;
        size_t rest = len - (size_t)(part - name);
        dot = memchr(part, '.', rest);
        v = model_get(r, v, part, dot ? (size_t)(dot - part) : rest);
    }
    return v;
}

static int render_range(render *r, const bb_mustache_template *t, uint32_t i, uint32_t end);

static int interpolate(render *r, const bb_mustache_template *t, const mop *op)
{
    const void *v = lookup(r, t->src + op->off, op->len, op->flags & F_DOTTED, op->nid);
    if (!v) {
        if (r->o->strict_names)
            return rfail(r, t, op, BB_EINVAL, "BB0711", "'%.*s' is not in the data", (int)op->len,
                         t->src + op->off);
        return BB_OK;
    }
    char scratch[BB_MUSTACHE_SCRATCH];
    const char *s = "";
    size_t n = 0;
    int rc = BB_OK;
    rc = r->m->text(r->ud, v, scratch, &s, &n);
    if (rc)
        return rfail(r, t, op, rc, rc == BB_ENOMEM ? "" : "BB0711",
                     "'%.*s' cannot be written as text", (int)op->len, t->src + op->off);
    if (op->kind == OP_RAW || !r->o->escape)
        return put(r, t, op, s, n);
    rc = r->o->escape(r->out, s, n);
    update_lim(r);
    return rc ? out_fail(r, t, op, rc) : BB_OK;
}

static int section(render *r, const bb_mustache_template *t, uint32_t i)
{
    const mop *op = &t->ops[i];
    const void *v = lookup(r, t->src + op->off, op->len, op->flags & F_DOTTED, op->nid);
    if (!v)
        return BB_OK;
    const void *it = model_first(r, v);
    if (it == BB_MUSTACHE_NOT_LIST) {
        if (!model_truthy(r, v))
            return BB_OK;
        it = v;
    }
    for (; it; it = it == v ? NULL : model_next(r, it)) {
        int rc = push_frame(r, t, op, it);
        if (!rc)
            rc = render_range(r, t, i + 1, op->end);
        r->n_stack--;
        if (rc)
            return rc;
    }
    return BB_OK;
}

static bool is_falsy(render *r, const void *v)
{
    if (!v)
        return true;
    const void *it = model_first(r, v);
    return it == BB_MUSTACHE_NOT_LIST ? !model_truthy(r, v) : it == NULL;
}

/* The template a partial or parent tag names (NULL when there is none). */
static int find_partial(render *r, const bb_mustache_template *t, const mop *op,
                        const bb_mustache_template **p)
{
    const char *name = t->src + op->off;
    size_t len = op->len;
    char scratch[BB_MUSTACHE_SCRATCH];
    *p = NULL;
    if (op->flags & F_DYNAMIC) {
        const void *v = lookup(r, name, len, op->flags & F_DOTTED, op->nid);
        if (!v || r->m->text(r->ud, v, scratch, &name, &len) || len == 0)
            len = 0;
    }
    int rc = BB_ENOTFOUND;
    if (len && r->o->partials)
        rc = bb_mustache_set_get(r->o->partials, name, len, p, &r->err);
    if (rc == BB_ENOTFOUND) {
        *p = NULL;
        if (!r->o->strict_partials)
            return BB_OK;
        return rfail(r, t, op, BB_ENOTFOUND, "BB0707", "no template called '%.*s'%s",
                     (int)(len ? len : op->len), len ? name : t->src + op->off,
                     len || !(op->flags & F_DYNAMIC) ? "" : " (the dynamic name is missing)");
    }
    return rc;
}

/* {{>name}} and {{<name}}...{{/name}}: render another template here. */
static int include(render *r, const bb_mustache_template *t, uint32_t i)
{
    const mop *op = &t->ops[i];
    const bb_mustache_template *p;
    int rc = find_partial(r, t, op, &p);
    if (rc || !p)
        return rc;
    if (r->depth >= r->max_depth)
        return rfail(r, t, op, BB_ELIMIT, "BB0708",
                     "partials nested deeper than %u (a partial that includes itself?)",
                     r->max_depth);
    size_t base = r->indent_base, n_indent = r->n_indent;
    if (op->flags & F_STANDALONE) {
        rc = push_indent(r, t, op);
        if (rc)
            return rc;
    } else {
        /* An inline partial's text is not indented (as if pasted in place). */
        r->indent_base = r->n_indent;
    }
    if (op->kind == OP_PARENT) {
        r->over[r->n_over].t = t;
        r->over[r->n_over].op = i;
        r->n_over++;
    }
    r->depth++;
    rc = render_range(r, p, 0, p->n_ops);
    r->depth--;
    if (op->kind == OP_PARENT)
        r->n_over--;
    r->indent_base = base;
    r->n_indent = n_indent;
    return rc;
}

/*
 * {{$name}}: the content given by the outermost parent tag that overrides
 * this block, else the block's own; indented like the block.
 */
static int block(render *r, const bb_mustache_template *t, uint32_t i)
{
    const mop *op = &t->ops[i];
    const bb_mustache_template *ct = t;
    uint32_t b = i + 1, e = op->end;
    for (size_t f = 0; f < r->n_over; f++) {
        const bb_mustache_template *pt = r->over[f].t;
        uint32_t j = bb__mustache_find_override(t, op, pt, r->over[f].op);
        if (j) {
            ct = pt;
            b = j + 1;
            e = pt->ops[j].end;
            break;
        }
    }
    size_t n_indent = r->n_indent;
    int rc = BB_OK;
    if ((op->flags & F_STANDALONE) && op->ind_len)
        rc = push_indent(r, t, op);
    if (!rc)
        rc = render_range(r, ct, b, e);
    r->n_indent = n_indent;
    return rc;
}

/*
 * Whether op is an empty line of its template. Indentation is not written
 * there (as mustache.js does), so indented partials leave no trailing
 * whitespace on blank lines.
 */
static inline bool empty_line(const bb_mustache_template *t, const mop *op)
{
    return op->kind == OP_TEXT && op->len &&
           (t->src[op->off] == '\n' || (t->src[op->off] == '\r' && op->len == 2));
}

static int render_range(render *r, const bb_mustache_template *t, uint32_t i, uint32_t end)
{
    if (r->nest >= MAX_NEST)
        return rfail(r, t, &t->ops[i < t->n_ops ? i : 0], BB_ELIMIT, "BB0710",
                     "rendering nested deeper than %d", MAX_NEST);
    /* Every loop iteration, partial and block passes here: counting these
     * bounds the work, since plain ops only walk the template once. */
    if (r->steps_left-- == 0)
        return rfail(r, t, &t->ops[i < t->n_ops ? i : 0], BB_ELIMIT, "BB0713",
                     "rendering took more than %zu steps (a loop over recursive partials?)",
                     r->o->max_steps);
    r->nest++;
    int rc = BB_OK;
    while (i < end && !rc) {
        const mop *op = &t->ops[i];
        if ((op->flags & F_BOL) && r->n_indent > r->indent_base && !empty_line(t, op)) {
            rc = put_indent(r, t, op);
            if (rc)
                break;
        }
        if (op->kind == OP_TEXT) { /* the most common op: no jump table */
            rc = put(r, t, op, t->src + op->off, op->len);
            i++;
            continue;
        }
        if (op->ind_len && op->kind <= OP_INVERTED) { /* fused text (see fuse_text) */
            rc = put(r, t, op, t->src + op->ind_off, op->ind_len);
            if (rc)
                break;
        }
        switch (op->kind) {
        case OP_VAR:
        case OP_RAW:
            rc = interpolate(r, t, op);
            i++;
            break;
        case OP_SECTION:
            rc = section(r, t, i);
            i = op->end;
            break;
        case OP_INVERTED:
            if (is_falsy(r, lookup(r, t->src + op->off, op->len, op->flags & F_DOTTED, op->nid)))
                rc = render_range(r, t, i + 1, op->end);
            i = op->end;
            break;
        case OP_PARTIAL:
            rc = include(r, t, i);
            i++;
            break;
        case OP_PARENT:
            rc = include(r, t, i);
            i = op->end;
            break;
        case OP_BLOCK:
            rc = block(r, t, i);
            i = op->end;
            break;
        }
    }
    r->nest--;
    return rc;
}

static int render_begin(render *r, const bb_mustache_model *m, void *ud, const bb_mustache_opts *o,
                        bb_buf *out)
{
    static const bb_mustache_opts defaults = {.escape = bb_mustache_escape_html,
                                              .max_depth = BB_MUSTACHE_DEFAULT_DEPTH};
    r->m = m;
    r->ud = ud;
    r->o = o ? o : &defaults;
    r->out = out;
    update_lim(r);
    r->err.rc = 0; /* the rest is filled when an error happens */
    r->cache_ready = r->hints_ready = false;
    r->max_depth = r->o->max_depth ? r->o->max_depth : BB_MUSTACHE_DEFAULT_DEPTH;
    if (r->max_depth > BB_MUSTACHE_MAX_DEPTH)
        r->max_depth = BB_MUSTACHE_MAX_DEPTH;
    r->depth = r->nest = 0;
    r->steps_left = r->o->max_steps ? r->o->max_steps : SIZE_MAX;
    r->n_stack = r->n_indent = r->indent_base = r->n_over = 0;
    return BB_OK;
}

static int render_end(render *r, const bb_mustache_template *t, bb_buf *out, size_t mark,
                      bb_mustache_error *err)
{
    int rc = render_range(r, t, 0, t->n_ops);
    if (rc) {
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
    }
    if (err && rc)
        *err = r->err;
    else if (err)
        bb__mustache_clear_error(err);
    return rc;
}

static int too_many_frames(const bb_mustache_template *t, size_t n, bb_mustache_error *err)
{
    bb__mustache_clear_error(err);
    return bb__mustache_set_error(err, BB_ELIMIT, "BB0710", t->name, strlen(t->name),
                                  "%zu context frames given, more than the limit of %d", n,
                                  BB_MUSTACHE_MAX_STACK);
}

int bb_mustache_render_model(const bb_mustache_template *t, const bb_mustache_model *m,
                             void *model_ud, const void *const *frames, size_t n_frames,
                             const bb_mustache_opts *o, bb_buf *out, bb_mustache_error *err)
{
    if (n_frames > BB_MUSTACHE_MAX_STACK)
        return too_many_frames(t, n_frames, err);
    render r;
    (void)render_begin(&r, m, model_ud, o, out);
    for (size_t i = 0; i < n_frames; i++)
        r.stack[r.n_stack++] = frames[i];
    r.n_base = n_frames;
    return render_end(&r, t, out, out->len, err);
}
