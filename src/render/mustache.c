/*
 * mustache.c - the template engine (see mustache.h and docs/mustache.md).
 *
 * Compiling runs three linear passes over the template:
 *   1. tokenize: text (split at newlines) and tags, delimiter changes applied,
 *      sections matched with their closing tags;
 *   2. standalone lines: a line holding only whitespace and one tag that
 *      produces no output (or one of the pairs the inheritance spec allows)
 *      is removed; its indentation is kept for partials, parents and blocks;
 *   3. emit: a flat array of ops with byte offsets into the template text.
 *      Each op that starts an output line is flagged BOL, so indentation of
 *      standalone partials is written there at render time without scanning
 *      text again. Standalone blocks have their common indentation stripped
 *      here, once, and re-added at the place they are rendered. Text before
 *      a tag on the same line is folded into the tag's op; ops with the same
 *      name share one name address; parents index their blocks by name.
 * Rendering (mustache_render.c) walks the op array. This file also holds
 * errors and template sets.
 */
#include "render/mustache.h"
#include "render/mustache_ops.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char bb_mustache_not_list = 0;

/* ---- templates (the compiled form is in mustache_ops.h) ----------------- */

const char *bb_mustache_name(const bb_mustache_template *t)
{
    return t->name;
}

void bb_mustache_free(bb_mustache_template *t)
{
    if (!t)
        return;
    bb_free(t->name);
    bb_free(t->src);
    bb_free(t->ops);
    bb_free(t->blocks);
    bb_free(t);
}

/* ---- errors ------------------------------------------------------------- */

static void position_of(const char *src, size_t len, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        if (src[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)src[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/*
 * Fills e, when it is not NULL and holds no error yet (the first error is the
 * one reported), and returns rc. src (len bytes) locates offset off; src NULL
 * means the error has no position.
 */
int bb__mustache_verror(bb_mustache_error *e, int rc, const char *code, const char *tname,
                        size_t tname_len, const char *src, size_t len, size_t off, const char *fmt,
                        va_list ap)
{
    if (!e || e->rc)
        return rc;
    e->rc = rc;
    snprintf(e->code, sizeof(e->code), "%s", code);
    bb_diag_record_code(code);
    snprintf(e->template_name, sizeof(e->template_name), "%.*s", (int)tname_len, tname);
    e->line = e->column = 0;
    if (src)
        position_of(src, len, off, &e->line, &e->column);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    return rc;
}

/* An error without a position, about template tname. */
int bb__mustache_set_error(bb_mustache_error *e, int rc, const char *code, const char *tname,
                           size_t tname_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bb__mustache_verror(e, rc, code, tname, tname_len, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return rc;
}

/* Marks e as "no error" (cheaply: renders call this every time). */
void bb__mustache_clear_error(bb_mustache_error *e)
{
    if (!e)
        return;
    e->rc = 0;
    e->code[0] = e->template_name[0] = e->message[0] = '\0';
    e->line = e->column = 0;
}

int bb_mustache_error_report(const bb_mustache_error *err, bb_diags *diags)
{
    if (!err->code[0])
        return BB_ENOMEM;
    if (err->line)
        return bb_diag_add(diags, BB_ERROR, err->code, NULL, BB_NO_OFFSET, NULL, "%s:%d:%d: %s",
                           err->template_name, err->line, err->column, err->message);
    return bb_diag_add(diags, BB_ERROR, err->code, NULL, BB_NO_OFFSET, NULL, "%s: %s",
                       err->template_name, err->message);
}

/* ---- pass 1: tokens ----------------------------------------------------- */

enum {
    T_TEXT,
    T_VAR,
    T_RAW,
    T_SECTION,
    T_INVERTED,
    T_CLOSE,
    T_COMMENT,
    T_DELIM,
    T_PARTIAL,
    T_PARENT,
    T_BLOCK,
};

#define NONE UINT32_MAX

typedef struct tok {
    uint8_t kind;
    uint8_t dynamic;
    uint8_t standalone; /* tags: alone on a removed line */
    uint8_t drop;       /* text: removed (part of a standalone line) */
    uint8_t pair;       /* block: "{{$b}}{{/b}}" alone on a line, newline kept */
    uint32_t start, end;
    uint32_t name_off, name_len;
    uint32_t match;                /* opening <-> closing tag */
    uint32_t up;                   /* the enclosing opening tag, or NONE */
    uint32_t ind_off, ind_len;     /* standalone: the line's leading whitespace */
    uint32_t line_start, line_end; /* standalone: the removed line */
} tok;

typedef struct compiler {
    const char *name;
    const char *src;
    size_t len;
    tok *toks;
    size_t n, cap;
    bb_mustache_error *err;
} compiler;

static int cfail(compiler *c, int rc, const char *code, size_t off, const char *fmt, ...)
    BB_PRINTF(5, 6);

static int cfail(compiler *c, int rc, const char *code, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bb__mustache_verror(c->err, rc, code, c->name, strlen(c->name), c->src, c->len, off, fmt, ap);
    va_end(ap);
    return rc;
}

static tok *new_tok(compiler *c, int kind, size_t start, size_t end)
{
    if (bb_grow((void **)&c->toks, &c->cap, c->n + 1, sizeof(*c->toks)))
        return NULL;
    tok *t = &c->toks[c->n++];
    memset(t, 0, sizeof(*t));
    t->kind = (uint8_t)kind;
    t->start = (uint32_t)start;
    t->end = (uint32_t)end;
    t->match = t->up = NONE;
    return t;
}

/* Text tokens end at each newline, so every line boundary is a token boundary. */
static int add_text(compiler *c, size_t a, size_t b)
{
    while (a < b) {
        const char *nl = memchr(c->src + a, '\n', b - a);
        size_t e = nl ? (size_t)(nl - c->src) + 1 : b;
        if (!new_tok(c, T_TEXT, a, e))
            return cfail(c, BB_ENOMEM, "", a, "out of memory");
        a = e;
    }
    return BB_OK;
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The first match of needle (n bytes) at or after from, or len. */
static size_t find(const char *s, size_t len, size_t from, const char *needle, size_t n)
{
    while (from + n <= len) {
        const char *p = memchr(s + from, needle[0], len - from - n + 1);
        if (!p)
            break;
        size_t i = (size_t)(p - s);
        if (memcmp(p, needle, n) == 0)
            return i;
        from = i + 1;
    }
    return len;
}

/* A name looked up in the data: "." or non-empty parts between dots. */
static bool valid_data_name(const char *s, size_t n)
{
    if (n == 1 && s[0] == '.')
        return true;
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] == '.' && s[i - 1] == '.')
            return false;
    return true;
}

typedef struct delims {
    const char *open, *close;
    size_t nopen, nclose;
} delims;

/* {{=<% %>=}}: the content between the two '=' holds two delimiters. */
static int parse_delims(compiler *c, size_t tag, size_t a, size_t b, delims *d)
{
    while (a < b && is_blank(c->src[a]))
        a++;
    while (b > a && is_blank(c->src[b - 1]))
        b--;
    size_t m = a;
    while (m < b && !is_blank(c->src[m]))
        m++;
    size_t k = m;
    while (k < b && is_blank(c->src[k]))
        k++;
    bool ok = m > a && k > m && k < b;
    for (size_t i = k; ok && i < b; i++)
        ok = !is_blank(c->src[i]);
    for (size_t i = a; ok && i < b; i++)
        ok = c->src[i] != '=';
    if (!ok)
        return cfail(c, BB_EINVAL, "BB0704", tag,
                     "a delimiter change needs two delimiters without spaces or '=', as in "
                     "{{=<%% %%>=}}");
    d->open = c->src + a;
    d->nopen = m - a;
    d->close = c->src + k;
    d->nclose = b - k;
    return BB_OK;
}

static int kind_of_sigil(char ch)
{
    switch (ch) {
    case '#':
        return T_SECTION;
    case '^':
        return T_INVERTED;
    case '/':
        return T_CLOSE;
    case '!':
        return T_COMMENT;
    case '=':
        return T_DELIM;
    case '>':
        return T_PARTIAL;
    case '<':
        return T_PARENT;
    case '$':
        return T_BLOCK;
    case '&':
    case '{':
        return T_RAW;
    }
    return T_VAR;
}

static bool is_open_kind(int k)
{
    return k == T_SECTION || k == T_INVERTED || k == T_PARENT || k == T_BLOCK;
}

static char sigil_of(int k)
{
    static const char s[] = {0, 0, '&', '#', '^', '/', '!', '=', '>', '<', '$'};
    return s[k];
}

/* Sets the name of a tag token from its trimmed content [a, b). */
static int set_name(compiler *c, tok *t, size_t a, size_t b)
{
    while (a < b && is_blank(c->src[a]))
        a++;
    while (b > a && is_blank(c->src[b - 1]))
        b--;
    if ((t->kind == T_PARTIAL || t->kind == T_PARENT || t->kind == T_CLOSE) && a < b &&
        c->src[a] == '*') {
        t->dynamic = 1;
        for (a++; a < b && is_blank(c->src[a]);)
            a++;
    }
    t->name_off = (uint32_t)a;
    t->name_len = (uint32_t)(b - a);
    if (a == b)
        return cfail(c, BB_EINVAL, "BB0705", t->start, "empty tag name");
    for (size_t i = a; i < b; i++)
        if (is_blank(c->src[i]))
            return cfail(c, BB_EINVAL, "BB0705", t->start, "tag name '%.*s' contains a space",
                         (int)(b - a), c->src + a);
    bool data = t->kind == T_VAR || t->kind == T_RAW || t->kind == T_SECTION ||
                t->kind == T_INVERTED || t->dynamic;
    if (data && !valid_data_name(c->src + a, b - a))
        return cfail(c, BB_EINVAL, "BB0705", t->start,
                     "'%.*s' is not a valid name (use '.', or names joined by single dots)",
                     (int)(b - a), c->src + a);
    return BB_OK;
}

static bool same_name(const compiler *c, const tok *a, const tok *b)
{
    return a->dynamic == b->dynamic && a->name_len == b->name_len &&
           memcmp(c->src + a->name_off, c->src + b->name_off, a->name_len) == 0;
}

/* Matches a closing tag with the innermost open section. */
static int close_section(compiler *c, uint32_t *stack, size_t *depth, uint32_t ti)
{
    tok *t = &c->toks[ti];
    if (*depth == 0)
        return cfail(c, BB_EINVAL, "BB0703", t->start, "'{{/%.*s}}' closes nothing that is open",
                     (int)t->name_len, c->src + t->name_off);
    uint32_t oi = stack[*depth - 1];
    tok *o = &c->toks[oi];
    if (!same_name(c, o, t)) {
        int line, col;
        position_of(c->src, c->len, o->start, &line, &col);
        return cfail(c, BB_EINVAL, "BB0703", t->start,
                     "'{{/%s%.*s}}' does not match '{{%c%s%.*s}}' opened at %d:%d",
                     t->dynamic ? "*" : "", (int)t->name_len, c->src + t->name_off,
                     sigil_of(o->kind), o->dynamic ? "*" : "", (int)o->name_len,
                     c->src + o->name_off, line, col);
    }
    o->match = ti;
    t->match = oi;
    t->up = o->up;
    (*depth)--;
    return BB_OK;
}

static int tokenize(compiler *c)
{
    const char *src = c->src;
    size_t len = c->len;
    delims d = {"{{", "}}", 2, 2};
    uint32_t stack[BB_MUSTACHE_MAX_NESTING];
    size_t depth = 0, pos = 0;
    while (pos < len) {
        size_t t0 = find(src, len, pos, d.open, d.nopen);
        int rc = add_text(c, pos, t0);
        if (rc)
            return rc;
        if (t0 == len)
            break;
        size_t p = t0 + d.nopen;
        int kind = p < len ? kind_of_sigil(src[p]) : T_VAR;
        bool triple = p < len && src[p] == '{';
        size_t a = kind == T_VAR ? p : p + 1;
        /* A triple mustache ends with '}' before the closing delimiter, a
         * delimiter change with '='. */
        char pre = triple ? '}' : kind == T_DELIM ? '=' : 0;
        size_t b = a, e = a;
        bool closed = false;
        for (size_t from = a; from < len && !closed;) {
            size_t at = find(src, len, from, d.close, d.nclose);
            if (at == len)
                break;
            if (!pre || (at > a && src[at - 1] == pre)) {
                b = pre ? at - 1 : at;
                e = at + d.nclose;
                closed = true;
            }
            from = at + 1;
        }
        if (!closed)
            return cfail(c, BB_EINVAL, "BB0701", t0, "tag '%.*s' is never closed%s", (int)d.nopen,
                         d.open,
                         triple ? " (a triple mustache ends with '}' and the delimiter)" : "");
        uint32_t ti = (uint32_t)c->n;
        tok *t = new_tok(c, kind, t0, e);
        if (!t)
            return cfail(c, BB_ENOMEM, "", t0, "out of memory");
        t->up = depth ? stack[depth - 1] : NONE;
        if (kind == T_DELIM) {
            rc = parse_delims(c, t0, a, b, &d);
        } else if (kind != T_COMMENT) {
            rc = set_name(c, t, a, b);
            if (!rc && t->dynamic && kind == T_BLOCK)
                rc = cfail(c, BB_EINVAL, "BB0705", t0, "a block name cannot be dynamic");
        }
        if (rc)
            return rc;
        if (is_open_kind(kind)) {
            if (depth == BB_MUSTACHE_MAX_NESTING)
                return cfail(c, BB_ELIMIT, "BB0706", t0, "sections are nested deeper than %d",
                             BB_MUSTACHE_MAX_NESTING);
            stack[depth++] = ti;
        } else if (kind == T_CLOSE) {
            rc = close_section(c, stack, &depth, ti);
            if (rc)
                return rc;
        }
        pos = e;
    }
    if (depth) {
        tok *o = &c->toks[stack[depth - 1]];
        return cfail(c, BB_EINVAL, "BB0702", o->start, "'{{%c%s%.*s}}' is never closed",
                     sigil_of(o->kind), o->dynamic ? "*" : "", (int)o->name_len,
                     c->src + o->name_off);
    }
    return BB_OK;
}

/* ---- pass 2: standalone lines ------------------------------------------- */

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Whether text [a, b) is only spaces and tabs, then "\n", "\r\n" or nothing. */
static bool ws_text(const char *s, size_t a, size_t b)
{
    if (b > a && s[b - 1] == '\n') {
        b--;
        if (b > a && s[b - 1] == '\r')
            b--;
    }
    for (size_t i = a; i < b; i++)
        if (!is_space(s[i]))
            return false;
    return true;
}

/* Tags that write nothing where they stand may sit alone on a line. */
static bool may_stand_alone(int k)
{
    return k != T_TEXT && k != T_VAR && k != T_RAW;
}

/* Removes line [i, j) of tokens, keeping its indentation for the tags on it. */
static void drop_line(compiler *c, size_t i, size_t j)
{
    tok *first = &c->toks[i];
    uint32_t ind_off = first->start, ind_len = 0;
    if (first->kind == T_TEXT) /* text ends where the first tag starts */
        ind_len = first->end - first->start;
    for (size_t k = i; k < j; k++) {
        tok *t = &c->toks[k];
        if (t->kind == T_TEXT) {
            t->drop = 1;
            continue;
        }
        t->standalone = 1;
        t->ind_off = ind_off;
        t->ind_len = ind_len;
        t->line_start = c->toks[i].start;
        t->line_end = c->toks[j - 1].end;
    }
}

static void classify_line(compiler *c, size_t i, size_t j)
{
    size_t tags[2], nt = 0;
    for (size_t k = i; k < j; k++) {
        tok *t = &c->toks[k];
        if (t->kind == T_TEXT) {
            if (!ws_text(c->src, t->start, t->end))
                return;
        } else {
            if (nt == 2 || !may_stand_alone(t->kind))
                return;
            tags[nt++] = k;
        }
    }
    if (nt == 1) {
        drop_line(c, i, j);
        return;
    }
    if (nt != 2 || tags[1] != tags[0] + 1)
        return;
    /* The inheritance spec lets these pairs share a line and stay standalone. */
    tok *a = &c->toks[tags[0]], *b = &c->toks[tags[1]];
    uint32_t ia = (uint32_t)tags[0], ib = (uint32_t)tags[1];
    bool parent_pair = a->kind == T_PARENT && b->kind == T_CLOSE && b->match == ia;
    bool parent_block = a->kind == T_PARENT && b->kind == T_BLOCK && b->up == ia;
    bool closes = a->kind == T_CLOSE && b->kind == T_CLOSE && c->toks[a->match].kind == T_BLOCK &&
                  c->toks[b->match].kind == T_PARENT && c->toks[a->match].up == b->match;
    if (parent_pair || parent_block || closes) {
        drop_line(c, i, j);
        if (parent_block)
            b->ind_len = 0;
        return;
    }
    if (a->kind == T_BLOCK && b->kind == T_CLOSE && b->match == ia) {
        /* "{{$b}}{{/b}}" alone on a line: the indentation goes, the newline
         * stays (an empty block must not swallow the line break). */
        drop_line(c, i, j);
        a->pair = 1;
        tok *last = &c->toks[j - 1];
        if (last->kind == T_TEXT && j - 1 > ib && c->src[last->end - 1] == '\n') {
            uint32_t nl = last->end - 1;
            if (nl > last->start && c->src[nl - 1] == '\r')
                nl--;
            last->drop = 0;
            last->start = nl;
        }
    }
}

static void mark_standalone(compiler *c)
{
    size_t i = 0;
    while (i < c->n) {
        size_t j = i;
        while (j < c->n) {
            tok *t = &c->toks[j++];
            if (t->kind == T_TEXT && c->src[t->end - 1] == '\n')
                break;
        }
        classify_line(c, i, j);
        i = j;
    }
}

/* ---- pass 3: ops -------------------------------------------------------- */

/*
 * The common leading whitespace of the non-blank lines of [a, b), as the
 * offset of one line holding it and its length (0 when there is none).
 */
static uint32_t common_indent(const char *s, size_t a, size_t b, uint32_t *ref)
{
    bool have = false;
    uint32_t m = 0;
    *ref = (uint32_t)a;
    while (a < b) {
        size_t q = a;
        while (q < b && is_space(s[q]))
            q++;
        size_t eol = q;
        while (eol < b && s[eol] != '\n')
            eol++;
        bool blank = q == eol || (q + 1 == eol && s[q] == '\r');
        if (!blank) {
            uint32_t w = (uint32_t)(q - a);
            if (!have) {
                have = true;
                m = w;
                *ref = (uint32_t)a;
            } else {
                uint32_t k = 0;
                while (k < m && k < w && s[a + k] == s[*ref + k])
                    k++;
                m = k;
            }
        }
        a = eol + 1;
    }
    return m;
}

static int op_kind(int tk)
{
    switch (tk) {
    case T_VAR:
        return OP_VAR;
    case T_RAW:
        return OP_RAW;
    case T_SECTION:
        return OP_SECTION;
    case T_INVERTED:
        return OP_INVERTED;
    case T_PARTIAL:
        return OP_PARTIAL;
    case T_PARENT:
        return OP_PARENT;
    case T_BLOCK:
        return OP_BLOCK;
    }
    return OP_TEXT;
}

static bool is_container(int k)
{
    return k == OP_SECTION || k == OP_INVERTED || k == OP_PARENT || k == OP_BLOCK;
}

/*
 * A standalone block's content loses its common indentation here; the block
 * op gets that indentation (or, for empty content, the tag's own) to add
 * back wherever the content is rendered. Nested blocks strip more, so each op
 * keeps the largest strip of the blocks around it.
 */
static void strip_blocks(compiler *c, mop *ops, uint32_t n, const uint32_t *margin, uint32_t *strip)
{
    for (uint32_t bi = 0; bi < n; bi++) {
        if (!margin[bi])
            continue;
        for (uint32_t j = bi + 1; j < ops[bi].end; j++)
            if (strip[j] < margin[bi])
                strip[j] = margin[bi];
    }
    for (uint32_t j = 0; j < n; j++) {
        mop *op = &ops[j];
        uint32_t k = 0;
        if (!strip[j])
            continue;
        if (op->kind == OP_TEXT && (op->flags & F_BOL)) {
            while (k < strip[j] && k < op->len && is_space(c->src[op->off + k]))
                k++;
            op->off += k;
            op->len -= k;
        } else if (op->flags & F_STANDALONE) {
            k = strip[j] < op->ind_len ? strip[j] : op->ind_len;
            op->ind_off += k;
            op->ind_len -= k;
        }
    }
}

static bool takes_prefix(const mop *op)
{
    return (op->kind == OP_VAR || op->kind == OP_RAW || op->kind == OP_SECTION ||
            op->kind == OP_INVERTED) &&
           !(op->flags & F_BOL);
}

/*
 * Folds each text op into the tag op after it on the same line (written
 * first by that op), so rendering dispatches fewer ops: "x = {{v}}" is one.
 * Not across a line end (indentation goes between) nor a closing tag (the
 * text and the tag are then in different sections). keep is scratch of n + 1 entries. Returns the
 * new op count.
 */
static uint32_t fuse_text(const char *src, mop *ops, uint32_t n, uint32_t *keep)
{
    memset(keep, 0, ((size_t)n + 1) * sizeof(*keep));
    for (uint32_t i = 0; i < n; i++) /* keep[j] = 1: a section ends before op j */
        if (is_container(ops[i].kind))
            keep[ops[i].end] = 1;
    uint32_t w = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t fuse = ops[i].kind == OP_TEXT && i + 1 < n && !keep[i + 1] &&
                        takes_prefix(&ops[i + 1]) && ops[i].len &&
                        src[ops[i].off + ops[i].len - 1] != '\n';
        keep[i] = w; /* from here on keep maps old indices to new ones */
        if (fuse) {
            ops[i + 1].ind_off = ops[i].off;
            ops[i + 1].ind_len = ops[i].len;
            ops[i + 1].flags |= ops[i].flags & F_BOL;
            continue;
        }
        ops[w++] = ops[i];
    }
    keep[n] = w;
    for (uint32_t i = 0; i < w; i++)
        if (is_container(ops[i].kind))
            ops[i].end = keep[ops[i].end];
    return w;
}

static int emit_ops(compiler *c, mop **out, uint32_t *n_out)
{
    mop *ops = bb_calloc(c->n + 1, sizeof(*ops));
    uint32_t *margin = bb_calloc(c->n + 1, sizeof(*margin));
    uint32_t *strip = bb_calloc(c->n + 1, sizeof(*strip));
    if (!ops || !margin || !strip) {
        bb_free(ops);
        bb_free(margin);
        bb_free(strip);
        return cfail(c, BB_ENOMEM, "", 0, "out of memory");
    }
    uint32_t open[BB_MUSTACHE_MAX_NESTING];
    size_t depth = 0;
    uint32_t n = 0;
    bool at_bol = true;
    for (size_t k = 0; k < c->n; k++) {
        tok *t = &c->toks[k];
        if (t->kind == T_COMMENT || t->kind == T_DELIM || (t->kind == T_TEXT && t->drop))
            continue;
        if (t->kind == T_CLOSE) {
            ops[open[--depth]].end = n;
            continue;
        }
        if (t->kind == T_TEXT && t->end == t->start)
            continue;
        mop *op = &ops[n];
        op->kind = (uint8_t)op_kind(t->kind);
        op->pos = t->start;
        if (t->kind == T_TEXT) {
            op->off = t->start;
            op->len = t->end - t->start;
        } else {
            op->off = t->name_off;
            op->len = t->name_len;
        }
        if (t->dynamic)
            op->flags |= F_DYNAMIC;
        if (t->kind != T_TEXT && t->name_len > 1 && memchr(c->src + t->name_off, '.', t->name_len))
            op->flags |= F_DOTTED;
        bool sa = t->standalone && t->kind != T_TEXT && op->kind != OP_VAR && op->kind != OP_RAW;
        if (sa) {
            op->flags |= F_STANDALONE;
            if (op->kind == OP_PARTIAL || op->kind == OP_PARENT || op->kind == OP_BLOCK) {
                op->ind_off = t->ind_off; /* sections have no use for it */
                op->ind_len = t->ind_len;
            }
            if (t->pair)
                at_bol = false; /* the kept newline is not a line of its own */
        } else {
            if (at_bol)
                op->flags |= F_BOL;
            at_bol = t->kind == T_TEXT && c->src[t->end - 1] == '\n';
        }
        if (op->kind == OP_BLOCK && sa && !t->pair) {
            tok *cl = &c->toks[t->match];
            size_t a = t->line_end, b = cl->standalone ? cl->line_start : cl->start;
            uint32_t ref = 0, m = a < b ? common_indent(c->src, a, b, &ref) : 0;
            if (m) {
                margin[n] = m;
                op->ind_off = ref;
                op->ind_len = m;
            }
        }
        if (is_container(op->kind))
            open[depth++] = n;
        n++;
    }
    strip_blocks(c, ops, n, margin, strip);
    n = fuse_text(c->src, ops, n, strip);
    bb_free(margin);
    bb_free(strip);
    *out = ops;
    *n_out = n;
    return BB_OK;
}

typedef struct named {
    const char *name;
    uint32_t len, op;
} named;

static int by_name_then_op(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
    if (!c)
        c = x->len < y->len ? -1 : x->len > y->len;
    if (!c)
        c = x->op < y->op ? -1 : x->op > y->op;
    return c;
}

/* Orders -1/0/1 a name against op's name, as by_name_then_op does. */
static int cmp_name(const char *name, uint32_t len, const bb_mustache_template *t, const mop *op)
{
    int c = memcmp(name, t->src + op->off, len < op->len ? len : op->len);
    return c ? c : len < op->len ? -1 : len > op->len;
}

/*
 * Builds t->blocks (see the template struct). Each op is visited once, by
 * its nearest parent tag, so this is linear plus the sorting.
 */
static int index_parents(bb_mustache_template *t)
{
    uint32_t n = t->n_ops, used = 0;
    t->blocks = bb_malloc(((size_t)n * 2 + 1) * sizeof(uint32_t));
    named *tmp = bb_malloc(((size_t)n + 1) * sizeof(named));
    if (!t->blocks || !tmp) {
        bb_free(tmp);
        return BB_ENOMEM;
    }
    for (uint32_t p = 0; p < n; p++) {
        mop *op = &t->ops[p];
        if (op->kind != OP_PARENT)
            continue;
        uint32_t k = 0;
        for (uint32_t j = p + 1; j < op->end;
             j = is_container(t->ops[j].kind) ? t->ops[j].end : j + 1)
            if (t->ops[j].kind == OP_BLOCK)
                tmp[k++] = (named){t->src + t->ops[j].off, t->ops[j].len, j};
        qsort(tmp, k, sizeof(*tmp), by_name_then_op);
        op->blocks = used;
        t->blocks[used++] = k;
        for (uint32_t i = 0; i < k; i++)
            t->blocks[used++] = tmp[i].op;
    }
    bb_free(tmp);
    return BB_OK;
}

/*
 * Makes ops with the same name share one name offset (the first one's), so
 * the per-render caches, keyed by a name's address, see one name once, and
 * numbers the distinct names in order of first use (nid), so the per-render
 * hint table gives each of a template's first names a slot of its own.
 */
static int intern_names(bb_mustache_template *t)
{
    size_t cap = 16;
    while (cap < (size_t)t->n_ops * 2)
        cap *= 2;
    uint32_t *slot = bb_malloc(cap * sizeof(*slot)); /* op index + 1; 0: free */
    if (!slot)
        return BB_ENOMEM;
    memset(slot, 0, cap * sizeof(*slot));
    uint16_t next_id = 0;
    for (uint32_t i = 0; i < t->n_ops; i++) {
        mop *op = &t->ops[i];
        if (op->kind == OP_TEXT)
            continue;
        const char *name = t->src + op->off;
        uint64_t h = 1469598103934665603ULL;
        for (uint32_t k = 0; k < op->len; k++)
            h = (h ^ (unsigned char)name[k]) * 1099511628211ULL;
        size_t j = (size_t)h & (cap - 1);
        for (; slot[j]; j = (j + 1) & (cap - 1)) {
            const mop *o = &t->ops[slot[j] - 1];
            if (o->len == op->len && memcmp(t->src + o->off, name, op->len) == 0)
                break;
        }
        if (slot[j]) {
            op->off = t->ops[slot[j] - 1].off;
            op->nid = t->ops[slot[j] - 1].nid;
        } else {
            slot[j] = i + 1;
            op->nid = next_id++; /* wraps past 65535 names: slots are shared, never wrong */
        }
    }
    bb_free(slot);
    return BB_OK;
}

/* The block called like op that parent op pi of pt overrides, or 0 when none. */
uint32_t bb__mustache_find_override(const bb_mustache_template *t, const mop *op,
                                    const bb_mustache_template *pt, uint32_t pi)
{
    const uint32_t *b = pt->blocks + pt->ops[pi].blocks;
    uint32_t lo = 0, hi = b[0];
    while (lo < hi) { /* the first block whose name is not below op's */
        uint32_t mid = lo + (hi - lo) / 2;
        if (cmp_name(t->src + op->off, op->len, pt, &pt->ops[b[1 + mid]]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < b[0] && cmp_name(t->src + op->off, op->len, pt, &pt->ops[b[1 + lo]]) == 0)
        return b[1 + lo];
    return 0;
}

int bb_mustache_compile(const char *name, const char *text, size_t len, bb_mustache_template **out,
                        bb_mustache_error *err)
{
    *out = NULL;
    bb__mustache_clear_error(err);
    compiler c = {.name = name ? name : "<template>", .src = text, .len = len, .err = err};
    if (len > BB_MUSTACHE_MAX_TEMPLATE)
        return cfail(&c, BB_ELIMIT, "BB0706", 0, "template is %zu bytes, more than the limit of %u",
                     len, BB_MUSTACHE_MAX_TEMPLATE);
    int rc = tokenize(&c);
    if (rc) {
        bb_free(c.toks);
        return rc;
    }
    mark_standalone(&c);
    bb_mustache_template *t = bb_calloc(1, sizeof(*t));
    if (!t) {
        bb_free(c.toks);
        return cfail(&c, BB_ENOMEM, "", 0, "out of memory");
    }
    rc = emit_ops(&c, &t->ops, &t->n_ops);
    bb_free(c.toks);
    t->name = bb_strdup(c.name);
    t->src = bb_strndup(text, len);
    t->len = len;
    if (!rc && t->src && (intern_names(t) || index_parents(t)))
        rc = cfail(&c, BB_ENOMEM, "", 0, "out of memory");
    if (rc || !t->name || !t->src) {
        bb_mustache_free(t);
        return rc ? rc : cfail(&c, BB_ENOMEM, "", 0, "out of memory");
    }
    *out = t;
    return BB_OK;
}

/* ---- escaping and options ----------------------------------------------- */

int bb_mustache_escape_html(bb_buf *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ent;
        switch (s[i]) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            continue;
        }
        int rc = bb_buf_append(out, s + run, i - run);
        if (!rc)
            rc = bb_buf_puts(out, ent);
        if (rc)
            return rc;
        run = i + 1;
    }
    return bb_buf_append(out, s + run, n - run);
}

void bb_mustache_opts_default(bb_mustache_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->escape = bb_mustache_escape_html;
    o->max_depth = BB_MUSTACHE_DEFAULT_DEPTH;
}

/* ---- template sets ------------------------------------------------------ */

/* The most names a set remembers (templates and names known to be missing). */
#define SET_MAX_ENTRIES 65536

typedef struct entry {
    char *name; /* NULL: free slot */
    size_t len;
    uint64_t hash;
    bb_mustache_template *t; /* NULL: the loader has no such template */
} entry;

struct bb_mustache_set {
    bb_mustache_loader_fn loader;
    void *ud;
    entry *tab;
    size_t cap, n; /* cap is a power of two */
};

static uint64_t hash_name(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int bb_mustache_set_new(bb_mustache_loader_fn loader, void *ud, bb_mustache_set **out)
{
    bb_mustache_set *s = bb_calloc(1, sizeof(*s));
    *out = NULL;
    if (!s)
        return BB_ENOMEM;
    s->cap = 32;
    s->tab = bb_calloc(s->cap, sizeof(*s->tab));
    if (!s->tab) {
        bb_free(s);
        return BB_ENOMEM;
    }
    s->loader = loader;
    s->ud = ud;
    *out = s;
    return BB_OK;
}

void bb_mustache_set_free(bb_mustache_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++) {
        bb_free(s->tab[i].name);
        bb_mustache_free(s->tab[i].t);
    }
    bb_free(s->tab);
    bb_free(s);
}

static entry *slot_of(entry *tab, size_t cap, const char *name, size_t len, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (tab[i].name &&
           !(tab[i].hash == h && tab[i].len == len && memcmp(tab[i].name, name, len) == 0))
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

static int grow(bb_mustache_set *s)
{
    size_t cap = s->cap * 2;
    entry *tab = bb_calloc(cap, sizeof(*tab));
    if (!tab)
        return BB_ENOMEM;
    for (size_t i = 0; i < s->cap; i++)
        if (s->tab[i].name)
            *slot_of(tab, cap, s->tab[i].name, s->tab[i].len, s->tab[i].hash) = s->tab[i];
    bb_free(s->tab);
    s->tab = tab;
    s->cap = cap;
    return BB_OK;
}

/* Remembers name -> t (t NULL: missing). Takes t, even on failure. */
static int remember(bb_mustache_set *s, const char *name, size_t len, uint64_t h,
                    bb_mustache_template *t)
{
    if (s->n >= SET_MAX_ENTRIES || ((s->n + 1) * 4 > s->cap * 3 && grow(s))) {
        bb_mustache_free(t);
        return s->n >= SET_MAX_ENTRIES ? BB_ELIMIT : BB_ENOMEM;
    }
    char *copy = bb_strndup(name, len);
    if (!copy) {
        bb_mustache_free(t);
        return BB_ENOMEM;
    }
    entry *e = slot_of(s->tab, s->cap, name, len, h);
    e->name = copy;
    e->len = len;
    e->hash = h;
    e->t = t;
    s->n++;
    return BB_OK;
}

static int compile_into(bb_mustache_set *s, const char *name, size_t name_len, const char *text,
                        size_t len, uint64_t h, const bb_mustache_template **out,
                        bb_mustache_error *err)
{
    char *zname = bb_strndup(name, name_len);
    if (!zname)
        return bb__mustache_set_error(err, BB_ENOMEM, "", name, name_len, "out of memory");
    bb_mustache_template *t;
    int rc = bb_mustache_compile(zname, text, len, &t, err);
    bb_free(zname);
    if (rc)
        return rc;
    rc = remember(s, name, name_len, h, t);
    if (rc)
        return bb__mustache_set_error(err, rc, rc == BB_ENOMEM ? "" : "BB0706", name, name_len,
                                      "cannot keep template '%.*s': %s", (int)name_len, name,
                                      bb_strerror(rc));
    if (out)
        *out = t;
    return BB_OK;
}

int bb_mustache_set_add(bb_mustache_set *s, const char *name, const char *text, size_t len,
                        bb_mustache_error *err)
{
    size_t name_len = strlen(name);
    uint64_t h = hash_name(name, name_len);
    bb__mustache_clear_error(err);
    if (slot_of(s->tab, s->cap, name, name_len, h)->name)
        return bb__mustache_set_error(err, BB_ESTATE, "BB0712", name, name_len,
                                      "template '%s' is already in the set", name);
    return compile_into(s, name, name_len, text, len, h, NULL, err);
}

int bb_mustache_set_get(bb_mustache_set *s, const char *name, size_t name_len,
                        const bb_mustache_template **out, bb_mustache_error *err)
{
    *out = NULL;
    if (name_len == 0 || name_len > BB_MUSTACHE_MAX_NAME)
        return BB_ENOTFOUND;
    uint64_t h = hash_name(name, name_len);
    entry *e = slot_of(s->tab, s->cap, name, name_len, h);
    if (e->name) {
        *out = e->t;
        return e->t ? BB_OK : BB_ENOTFOUND;
    }
    const char *text = NULL;
    size_t len = 0;
    int rc = s->loader ? s->loader(s->ud, name, name_len, &text, &len) : BB_ENOTFOUND;
    if (rc == BB_ENOTFOUND) {
        /* Remember the miss so the loader is asked once; a full set just asks again. */
        rc = remember(s, name, name_len, h, NULL);
        return rc == BB_ENOMEM
                   ? bb__mustache_set_error(err, rc, "", name, name_len, "out of memory")
                   : BB_ENOTFOUND;
    }
    if (rc)
        return bb__mustache_set_error(err, rc, "BB0712", name, name_len,
                                      "cannot load template '%.*s': %s", (int)name_len, name,
                                      bb_strerror(rc));
    return compile_into(s, name, name_len, text, len, h, out, err);
}
