/*
 * pyfmt.c - Black's and isort's formatting of generated Python.
 *
 * The file is read one logical line (statement) at a time. A statement on
 * one physical line that fits and has no magic trailing comma is copied
 * (the fast path); any other goes to render/pyline, the port of Black's
 * linegen. Blank lines follow black/lines.py's EmptyLineTracker; comments
 * keep their text and take the depth Black gives them. The import block
 * at the top is then rewritten as isort's black profile prints it (see the
 * isort section below).
 */
#include "render/pyfmt.h"

#include "render/pyline.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A statement or import this pass leaves as it is. */
#define CANNOT 1
#define MAX_NEST BB_PYLINE_MAX_NEST

/* What the EmptyLineTracker needs to know about a line. */
typedef struct lineinfo {
    int depth;
    bool is_comment, is_decorator, is_def, is_class, is_import, is_triple_quoted, opens_block;
    bool is_flow_keyword; /* first leaf is with/try/for/while/if/match */
} lineinfo;

typedef struct fmt {
    const char *path, *src;
    size_t len;
    unsigned ll;
    bb_buf *out;
    bb_diags *diags;
    bb_pyline *engine;
    /* the EmptyLineTracker */
    bool have_prev;
    lineinfo prev;
    int prev_after;
    bb_buf prev_defs; /* int: depths of the defs and classes still open */
    /* the semantic leading comment block: where its blank lines are */
    bool slc_set;
    size_t slc_off;
    int slc_before, slc_prev_after;
    bool slc_prev_is_class, slc_prev_opens_block, slc_has_prev;
    bb_buf indents; /* size_t: the indentation stack */
} fmt;

static bool word_is(const char *s, size_t n, const char *w)
{
    return n > 0 && s[0] == w[0] && strlen(w) == n && !memcmp(s, w, n);
}

/* The arrays of the pass live in bb_bufs: n items of type T. */
#define ITEMS(b, T) ((T *)(void *)(b)->data)
#define COUNT(b, T) ((b)->len / sizeof(T))

/* ---- diagnostics --------------------------------------------------------- */

static int fail_at(fmt *f, size_t off, const char *what)
{
    size_t lno = 1, col = 1;
    for (size_t i = 0; i < off && i < f->len; i++) {
        if (f->src[i] == '\n') {
            lno++;
            col = 1;
        } else if (((unsigned char)f->src[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    if (f->diags)
        (void)bb_diag_add(f->diags, BB_ERROR, "BB0747", NULL, BB_NO_OFFSET,
                          "the template that produced this file writes invalid Python",
                          "%s:%zu:%zu: cannot format Python: %s", f->path, lno, col, what);
    return BB_EINVAL;
}

/* ---- scanning a statement ------------------------------------------------ */

/* What scan_stmt found about one logical line. */
typedef struct scan {
    size_t start;     /* first byte (after the indentation) */
    size_t code_end;  /* end of the code (before a trailing comment, blanks trimmed) */
    size_t cmt;       /* offset of a trailing `#` at depth 0, or SIZE_MAX */
    size_t cmt_end;   /* its end, blanks trimmed */
    size_t next;      /* start of the next physical line */
    bool multi;       /* spans several physical lines */
    bool backslash;   /* has a backslash continuation */
    bool comma_close; /* a comma right before a closing bracket */
    bool semi;        /* a `;` outside brackets: several simple statements */
} scan;

/* The bytes scan_stmt stops at; it skips every other one in a tight loop. */
enum { C_PLAIN, C_QUOTE, C_OPEN, C_CLOSE, C_HASH, C_NL, C_BSLASH, C_COMMA, C_SEMI };
static const unsigned char cclass[256] = {
    ['"'] = C_QUOTE,   ['\''] = C_QUOTE, ['('] = C_OPEN,  ['['] = C_OPEN, ['{'] = C_OPEN,
    [')'] = C_CLOSE,   [']'] = C_CLOSE,  ['}'] = C_CLOSE, ['#'] = C_HASH, ['\n'] = C_NL,
    ['\\'] = C_BSLASH, [','] = C_COMMA,  [';'] = C_SEMI,
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f';
}

static char closer_of(char c)
{
    return c == '(' ? ')' : c == '[' ? ']' : '}';
}

/* Scans the logical line starting at its first code byte `start`. */
static int scan_stmt(fmt *f, size_t start, scan *sc)
{
    const char *s = f->src;
    size_t n = f->len, i = start, opens[MAX_NEST];
    size_t depth = 0;
    char last_sig = 0; /* the last byte that is not blank, outside comments */
    memset(sc, 0, sizeof(*sc));
    sc->start = start;
    sc->cmt = SIZE_MAX;
    for (;;) {
        size_t run = i;
        while (i < n && cclass[(unsigned char)s[i]] == C_PLAIN)
            i++;
        if (i > run) {
            size_t k = i;
            while (k > run && is_blank(s[k - 1]))
                k--;
            if (k > run)
                last_sig = s[k - 1];
        }
        if (i >= n) {
            if (depth)
                return fail_at(f, opens[depth - 1], "bracket is never closed");
            break;
        }
        switch (cclass[(unsigned char)s[i]]) {
        case C_QUOTE: {
            size_t q = i;
            bool nl = false;
            i = bb_pyline_string_end(s, n, i, &nl);
            if (i == SIZE_MAX)
                return fail_at(f, q, "unterminated string literal");
            sc->multi |= nl;
            last_sig = s[i - 1];
            continue;
        }
        case C_OPEN:
            if (depth == MAX_NEST)
                return fail_at(f, i, "brackets nested too deeply");
            opens[depth++] = i;
            break;
        case C_CLOSE:
            if (!depth)
                return fail_at(f, i, "closing bracket does not match any opening one");
            if (closer_of(s[opens[depth - 1]]) != s[i])
                return fail_at(f, i, "closing bracket does not match the opening one");
            depth--;
            sc->comma_close |= last_sig == ',';
            break;
        case C_HASH: {
            const char *e = memchr(s + i, '\n', n - i);
            size_t c = i, end = e ? (size_t)(e - s) : n;
            i = end;
            if (!depth) {
                while (end > c && is_blank(s[end - 1]))
                    end--;
                sc->cmt = c;
                sc->cmt_end = end;
            }
            continue;
        }
        case C_BSLASH:
            if (i + 1 < n &&
                (s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n'))) {
                sc->backslash = sc->multi = true;
                i += s[i + 1] == '\n' ? 2 : 3;
                continue;
            }
            break;
        case C_NL:
            if (!depth)
                goto done;
            sc->multi = true;
            i++;
            continue;
        case C_SEMI:
            sc->semi |= !depth;
            break;
        default: /* a comma */
            break;
        }
        last_sig = s[i];
        i++;
    }
done:
    /* the code ends before the comment; trim blanks */
    {
        size_t e = sc->cmt != SIZE_MAX ? sc->cmt : i;
        while (e > start && is_blank(s[e - 1]))
            e--;
        sc->code_end = e;
    }
    sc->next = i < n ? i + 1 : n;
    return BB_OK;
}

/* ---- target versions ----------------------------------------------------- */

/* A prefix that makes a string an f-string for Black (get_features_used
 * looks at the first two characters of the literal). */
static bool is_fstring_prefix(const char *p, size_t n)
{
    char a = p[0], b = n == 2 ? p[1] : '"';
    return ((a == 'f' || a == 'F') && n == 1) || (a == 'r' && b == 'f') || (a == 'f' && b == 'r') ||
           (a == 'R' && b == 'F') || (a == 'F' && b == 'R');
}

/* Whether the ( at s[i] follows `def name`. */
static bool after_def_name(const char *s, size_t i)
{
    size_t p = i;
    while (p > 0 && s[p - 1] == ' ')
        p--;
    while (p > 0 && bb_pyline_is_name_byte((unsigned char)s[p - 1]))
        p--;
    while (p > 0 && s[p - 1] == ' ')
        p--;
    return p >= 3 && !memcmp(s + p - 3, "def", 3);
}

/* `from __future__ import ... annotations` (Python 3.7+). */
static bool future_annotations(const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while ((p = memmem(p, (size_t)(end - p), "__future__", 10))) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t m = e ? (size_t)(e - p) : (size_t)(end - p);
        if (memmem(p, m, "annotations", 11))
            return true;
        p += 10;
    }
    return false;
}

/*
 * Black adds a trailing comma after *args or **kwargs only when every
 * Python version the file may target allows it; it infers the versions
 * from the features the file uses (get_features_used). This is that
 * inference for the features generated code can hold.
 */
static void detect_features(void *ctx, bool *in_calls, bool *in_defs)
{
    const fmt *f = ctx;
    const char *s = f->src;
    size_t n = f->len, i = 0, depth = 0;
    bool py36 = false, py35 = false;
    bool star[MAX_NEST + 1], def_paren[MAX_NEST + 1];
    char last = 0; /* the last character that is not blank */
    star[0] = def_paren[0] = false;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\\') {
            i++;
            continue;
        }
        if (bb_pyline_is_name_byte(c) && !(c >= '0' && c <= '9')) {
            size_t p = i;
            while (i < n && bb_pyline_is_name_byte((unsigned char)s[i]))
                i++;
            if (i < n && (s[i] == '"' || s[i] == '\'') && bb_pyline_is_string_prefix(s + p, i - p))
                py36 |= is_fstring_prefix(s + p, i - p);
            else
                last = 'a';
            continue;
        }
        if (c == '"' || c == '\'') {
            bool nl = false;
            size_t e = bb_pyline_string_end(s, n, i, &nl);
            i = e == SIZE_MAX ? n : e;
            last = '"';
            continue;
        }
        if (c == '#') {
            const char *e = memchr(s + i, '\n', n - i);
            i = e ? (size_t)(e - s) : n;
            continue;
        }
        if (c >= '0' && c <= '9') {
            while (i < n && (bb_pyline_is_name_byte((unsigned char)s[i]) || s[i] == '.'))
                py36 |= s[i++] == '_';
            last = '0';
            continue;
        }
        if (c == ':' && i + 1 < n && s[i + 1] == '=')
            py36 = true;
        if (c == '(' || c == '[' || c == '{') {
            if (depth < MAX_NEST) {
                depth++;
                star[depth] = false;
                def_paren[depth] = c == '(' && after_def_name(s, i);
            }
        } else if (c == ')' || c == ']' || c == '}') {
            if (c == ')' && last == ',' && depth && star[depth]) {
                py36 |= def_paren[depth];
                py35 |= !def_paren[depth];
            }
            if (depth)
                depth--;
        } else if (c == '*' && (last == '(' || last == ',') && depth) {
            star[depth] = true;
        } else if (c == '/' && depth && def_paren[depth] && (last == ',' || last == '(') &&
                   !(i + 1 < n && s[i + 1] == '/')) {
            py36 = true;
        }
        last = (char)c;
        i++;
    }
    py36 |= future_annotations(s, n);
    *in_calls = py36 || py35;
    *in_defs = py36;
}

/* ---- blank lines (Black's EmptyLineTracker) ------------------------------ */

static int put_newlines(fmt *f, int k)
{
    return k > 0 ? bb_buf_fill(f->out, '\n', (size_t)k) : BB_OK;
}

static int push_def(fmt *f, int depth)
{
    return bb_buf_append(&f->prev_defs, &depth, sizeof(depth));
}

/* Sets the blank lines before the semantic leading comment block to k. */
static int set_slc_before(fmt *f, int k)
{
    bb_buf *o = f->out;
    int rc;
    if (k == f->slc_before)
        return BB_OK;
    if (k > f->slc_before) {
        size_t add = (size_t)(k - f->slc_before), tail = o->len - f->slc_off;
        if ((rc = bb_buf_fill(o, '\n', add)))
            return rc;
        memmove(o->data + f->slc_off + add, o->data + f->slc_off, tail);
        memset(o->data + f->slc_off, '\n', add);
    } else {
        size_t del = (size_t)(f->slc_before - k);
        memmove(o->data + f->slc_off, o->data + f->slc_off + del, o->len - f->slc_off - del);
        o->len -= del;
        o->data[o->len] = '\0';
    }
    f->slc_before = k;
    return BB_OK;
}

/* _maybe_empty_lines_for_class_or_def */
static int class_or_def(fmt *f, const lineinfo *cur, int before, int *nb)
{
    int newlines, rc;
    bool add_to_comment = false;
    if (!cur->is_decorator && (rc = push_def(f, cur->depth)))
        return rc;
    *nb = 0;
    if (!f->have_prev)
        return BB_OK;
    if (f->prev.is_decorator)
        return BB_OK;
    if (f->prev.depth < cur->depth && (f->prev.is_class || f->prev.is_def))
        return BB_OK;
    if (f->prev.is_comment && f->prev.depth == cur->depth && before == 0) {
        if (f->slc_set && f->slc_has_prev && !f->slc_prev_is_class && !f->slc_prev_opens_block &&
            f->slc_before <= 1)
            add_to_comment = true;
        else
            return BB_OK;
    }
    newlines = cur->depth ? 1 : 2;
    if (add_to_comment) {
        int k = (f->slc_before > newlines ? f->slc_before : newlines) - f->slc_prev_after;
        if ((rc = set_slc_before(f, k)))
            return rc;
        newlines = 0;
    }
    *nb = newlines;
    return BB_OK;
}

/* _maybe_empty_lines: the blank lines before and after the line cur, given
 * before_src blank lines before it in the source. */
static int empty_lines(fmt *f, const lineinfo *cur, int before_src, int *before, int *after)
{
    int max_allowed = cur->depth == 0 ? 2 : 1;
    int b = before_src < max_allowed ? before_src : max_allowed;
    *after = 0;
    while (f->prev_defs.len &&
           ITEMS(&f->prev_defs, int)[COUNT(&f->prev_defs, int) - 1] >= cur->depth) {
        if (cur->depth)
            b = 1;
        else if (ITEMS(&f->prev_defs, int)[COUNT(&f->prev_defs, int) - 1] && cur->opens_block &&
                 !cur->is_flow_keyword)
            b = 1;
        else
            b = 2;
        f->prev_defs.len -= sizeof(int);
    }
    if (cur->is_decorator || cur->is_def || cur->is_class)
        return class_or_def(f, cur, b, before);
    if (f->have_prev && f->prev.is_import && !cur->is_import && cur->depth == f->prev.depth) {
        *before = b ? b : 1;
        return BB_OK;
    }
    if (f->have_prev && f->prev.is_class && cur->is_triple_quoted) {
        *before = b;
        *after = 1;
        return BB_OK;
    }
    if (f->have_prev && f->prev.opens_block) {
        *before = 0;
        return BB_OK;
    }
    *before = b;
    return BB_OK;
}

/* Starts a line: writes the blank lines before it (maybe_empty_lines). */
static int begin_line(fmt *f, const lineinfo *cur, int before_src)
{
    int before, after, rc;
    size_t off;
    if ((rc = empty_lines(f, cur, before_src, &before, &after)))
        return rc;
    before = f->have_prev ? before - f->prev_after : 0;
    if ((rc = put_newlines(f, f->have_prev ? f->prev_after : 0)))
        return rc;
    off = f->out->len;
    if ((rc = put_newlines(f, before)))
        return rc;
    if (cur->is_comment) {
        if (!f->have_prev ||
            (!f->prev.is_decorator && (!f->prev.is_comment || before) && (!f->slc_set || before))) {
            f->slc_set = true;
            f->slc_off = off;
            f->slc_before = before;
            f->slc_has_prev = f->have_prev;
            f->slc_prev_after = f->prev_after;
            f->slc_prev_is_class = f->have_prev && f->prev.is_class;
            f->slc_prev_opens_block = f->have_prev && f->prev.opens_block;
        }
    } else if (!cur->is_decorator || before) {
        f->slc_set = false;
    }
    f->prev = *cur;
    f->have_prev = true;
    f->prev_after = after;
    return BB_OK;
}

/* ---- statements ---------------------------------------------------------- */

static bool starts_word(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && !memcmp(s, w, k) && (n == k || !bb_pyline_is_name_byte((unsigned char)s[k]));
}

/* The identifier at s[0..n), as a length (0: none). */
static size_t word_len(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && bb_pyline_is_name_byte((unsigned char)s[k]))
        k++;
    return k;
}

static void stmt_info(const fmt *f, const scan *sc, int depth, lineinfo *li)
{
    const char *s = f->src + sc->start;
    size_t n = sc->code_end - sc->start, w = word_len(s, n);
    memset(li, 0, sizeof(*li));
    li->depth = depth;
    li->is_decorator = n > 0 && s[0] == '@';
    li->is_def = word_is(s, w, "def");
    if (word_is(s, w, "async")) {
        size_t k = w;
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        li->is_def = word_is(s + k, word_len(s + k, n - k), "def");
    }
    li->is_class = word_is(s, w, "class");
    li->is_import = word_is(s, w, "import") || word_is(s, w, "from");
    li->is_triple_quoted = n >= 3 && (!memcmp(s, "\"\"\"", 3) || !memcmp(s, "\'\'\'", 3));
    li->opens_block = n > 0 && s[n - 1] == ':';
    li->is_flow_keyword = word_is(s, w, "with") || word_is(s, w, "try") || word_is(s, w, "for") ||
                          word_is(s, w, "while") || word_is(s, w, "if") || word_is(s, w, "match");
}

static int put_indent(fmt *f, int depth)
{
    return bb_buf_fill(f->out, ' ', (size_t)4 * (size_t)depth);
}

/* A statement copied as it is: re-indented, its trailing comment two
 * spaces after the code. */
static int emit_fast(fmt *f, const scan *sc, int depth)
{
    size_t indent = (size_t)4 * (size_t)depth, code = sc->code_end - sc->start;
    size_t cmt = sc->cmt != SIZE_MAX ? sc->cmt_end - sc->cmt : 0;
    size_t gap = cmt && code ? 2 : 0;
    char *p;
    int rc = bb_buf_extend(f->out, indent + code + gap + cmt + 1, &p);
    if (rc)
        return rc;
    memset(p, ' ', indent);
    memcpy(p + indent, f->src + sc->start, code);
    memset(p + indent + code, ' ', gap);
    if (cmt)
        memcpy(p + indent + code + gap, f->src + sc->cmt, cmt);
    p[indent + code + gap + cmt] = '\n';
    return BB_OK;
}

/* A statement with backslash continuations: Black keeps those lines. */
static int emit_verbatim(fmt *f, const scan *sc, int depth)
{
    size_t end = sc->cmt != SIZE_MAX ? sc->cmt_end : sc->code_end;
    int rc;
    if ((rc = put_indent(f, depth)) ||
        (rc = bb_buf_append(f->out, f->src + sc->start, end - sc->start)))
        return rc;
    return bb_buf_putc(f->out, '\n');
}

/* A statement through Black's transforms (render/pyline). */
static int emit_slow(fmt *f, const scan *sc, int depth)
{
    size_t end = sc->cmt != SIZE_MAX ? sc->cmt_end : sc->code_end;
    int rc =
        bb_pyline_format(f->engine, f->out, f->src + sc->start, end - sc->start, 4 * depth, false);
    return rc == BB_EINVAL ? fail_at(f, sc->start, "brackets nested too deeply") : rc;
}

/* The columns of a one-line statement with its trailing comment, counted
 * in bytes when `in_bytes` (an upper bound: a code point is a byte or more). */
static size_t stmt_width(const fmt *f, const scan *sc, int depth, bool in_bytes)
{
    const char *s = f->src;
    size_t w = (size_t)4 * (size_t)depth;
    w += in_bytes ? sc->code_end - sc->start
                  : bb_pyline_width(s + sc->start, sc->code_end - sc->start);
    if (sc->cmt != SIZE_MAX)
        w += 2 + (in_bytes ? sc->cmt_end - sc->cmt
                           : bb_pyline_width(s + sc->cmt, sc->cmt_end - sc->cmt));
    return w;
}

static int emit_stmt(fmt *f, const scan *sc, int depth)
{
    if (sc->backslash)
        return emit_verbatim(f, sc, depth);
    /* code points are counted only when the bytes do not fit */
    if (!sc->multi && !sc->comma_close &&
        (stmt_width(f, sc, depth, true) <= f->ll || stmt_width(f, sc, depth, false) <= f->ll))
        return emit_fast(f, sc, depth);
    return emit_slow(f, sc, depth);
}

/* A standalone comment line waiting for the depth of what follows. */
typedef struct pending {
    size_t off, end, col;
    int before;
} pending;

static int emit_comment(fmt *f, const pending *p, int depth)
{
    lineinfo li;
    int rc;
    memset(&li, 0, sizeof(li));
    li.depth = depth;
    li.is_comment = true;
    if ((rc = begin_line(f, &li, p->before)) || (rc = put_indent(f, depth)) ||
        (rc = bb_buf_append(f->out, f->src + p->off, p->end - p->off)))
        return rc;
    return bb_buf_putc(f->out, '\n');
}

/*
 * The comments before a statement at indentation col: a comment stays in
 * the block it is indented for when the statement dedents (as blib2to3's
 * driver splits a prefix at a DEDENT), else it takes the statement's depth.
 */
static int flush_comments(fmt *f, bb_buf *pending_comments, size_t col)
{
    const pending *pv = ITEMS(pending_comments, pending);
    size_t np = COUNT(pending_comments, pending);
    const size_t *ind = ITEMS(&f->indents, size_t);
    size_t nind = COUNT(&f->indents, size_t), cur = nind - 1, target = nind - 1;
    int rc;
    if (col > ind[nind - 1]) {
        cur = target = nind; /* an indent: the comments go in the new block */
    } else {
        while (target > 0 && col < ind[target])
            target--;
    }
    for (size_t k = 0; k < np; k++) {
        while (cur > target && pv[k].col < ind[cur])
            cur--;
        if ((rc = emit_comment(f, &pv[k], (int)cur)))
            return rc;
    }
    bb_buf_reset(pending_comments);
    return BB_OK;
}

/* ---- one statement a line ------------------------------------------------- */

/*
 * Black writes each simple statement on a line of its own: `a; b` becomes
 * two lines (a `;` at the end goes), and the body of a compound statement
 * written on its header's line (`if x: y`, `class Config: extra = "forbid"`)
 * goes on the lines below it, one level deeper. A body of `...` alone after
 * `def` or `class` stays: Black 23 splits it and Black 24 joins it back.
 */
#define MAX_PIECES 64

typedef struct piece {
    size_t start, end; /* the statement's code */
    int deeper;        /* 1: the body of the header before it */
} piece;

/* Whether s starts with a keyword that opens a block (if, elif, else, for,
 * while, try, except, finally, with, def, class, async). Asked of most
 * statements, so by length first. */
static bool opens_block_word(const char *s, size_t n)
{
    size_t w = word_len(s, n);
    switch (w) {
    case 2:
        return !memcmp(s, "if", 2);
    case 3:
        return !memcmp(s, "for", 3) || !memcmp(s, "try", 3) || !memcmp(s, "def", 3);
    case 4:
        return !memcmp(s, "elif", 4) || !memcmp(s, "else", 4) || !memcmp(s, "with", 4);
    case 5:
        return !memcmp(s, "while", 5) || !memcmp(s, "class", 5) || !memcmp(s, "async", 5);
    case 6:
        return !memcmp(s, "except", 6);
    case 7:
        return !memcmp(s, "finally", 7);
    default:
        return false;
    }
}

static size_t skip_blanks(const char *s, size_t i, size_t end)
{
    while (i < end && is_blank(s[i]))
        i++;
    return i;
}

/* The code between a and b, blanks trimmed, as a piece (none when empty). */
static int add_piece(fmt *f, piece *v, size_t *n, size_t a, size_t b, int deeper)
{
    a = skip_blanks(f->src, a, b);
    while (b > a && is_blank(f->src[b - 1]))
        b--;
    if (a == b)
        return BB_OK;
    if (*n == MAX_PIECES)
        return fail_at(f, a, "more simple statements on one line than backbone splits");
    v[(*n)++] = (piece){a, b, deeper};
    return BB_OK;
}

/* Whether the body after a def's or class's colon is `...` alone. */
static bool dummy_body(const fmt *f, const scan *sc, size_t colon)
{
    size_t w = word_len(f->src + sc->start, sc->code_end - sc->start);
    size_t b = skip_blanks(f->src, colon + 1, sc->code_end);
    return (word_is(f->src + sc->start, w, "def") || word_is(f->src + sc->start, w, "class") ||
            word_is(f->src + sc->start, w, "async")) &&
           sc->code_end - b == 3 && !memcmp(f->src + b, "...", 3);
}

/*
 * The statements of the logical line sc: where the colon that ends a
 * compound statement's header falls (outside brackets, not taken by a
 * lambda, not `:=`), and where each `;` outside brackets, strings and
 * comments does. Only the line's first statement can be a header.
 */
static int split_statements(fmt *f, const scan *sc, piece *v, size_t *n, bool *ends_with_semi)
{
    const char *s = f->src;
    size_t i = sc->start, from = sc->start, depth = 0, lambdas = 0;
    bool header = opens_block_word(s + i, sc->code_end - i);
    int deeper = 0;
    *n = 0;
    while (i < sc->code_end) {
        char c = s[i];
        if (c == '"' || c == '\'') {
            bool nl = false;
            i = bb_pyline_string_end(s, sc->code_end, i, &nl);
            continue;
        }
        if (c == '#') { /* a comment inside brackets */
            const char *e = memchr(s + i, '\n', sc->code_end - i);
            i = e ? (size_t)(e - s) : sc->code_end;
            continue;
        }
        if (bb_pyline_is_name_byte((unsigned char)c)) {
            size_t w = word_len(s + i, sc->code_end - i);
            lambdas += !depth && word_is(s + i, w, "lambda");
            i += w;
            continue;
        }
        if (c == '(' || c == '[' || c == '{')
            depth++;
        else if ((c == ')' || c == ']' || c == '}') && depth)
            depth--;
        else if (c == ':' && !depth && i + 1 < sc->code_end && s[i + 1] == '=')
            i++;
        else if (c == ':' && !depth && lambdas)
            lambdas--;
        else if (c == ':' && !depth && header) {
            header = false;
            if (skip_blanks(s, i + 1, sc->code_end) == sc->code_end || dummy_body(f, sc, i))
                break;
            int rc = add_piece(f, v, n, from, i + 1, 0);
            if (rc)
                return rc;
            from = i + 1;
            deeper = 1;
        } else if (c == ';' && !depth) {
            int rc = add_piece(f, v, n, from, i, deeper);
            if (rc)
                return rc;
            from = i + 1;
        }
        i++;
    }
    *ends_with_semi = from > sc->start && s[from - 1] == ';' &&
                      skip_blanks(s, from, sc->code_end) == sc->code_end;
    return add_piece(f, v, n, from, sc->code_end, deeper);
}

/* Emits the logical line sc at depth, one statement a line. */
static int emit_statements(fmt *f, const scan *sc, int depth, int blank)
{
    piece v[MAX_PIECES];
    size_t n = 0;
    int rc = BB_OK;
    lineinfo li;
    bool semi_last = false;
    /* A header that ends with its colon (nearly every one) has no body on
     * its line. */
    bool split = !sc->backslash &&
                 (sc->semi || (f->src[sc->code_end - 1] != ':' &&
                               opens_block_word(f->src + sc->start, sc->code_end - sc->start)));
    if (split && (rc = split_statements(f, sc, v, &n, &semi_last)))
        return rc;
    if (n <= 1 && !(n == 1 && (v[0].start != sc->start || v[0].end != sc->code_end))) {
        stmt_info(f, sc, depth, &li);
        if ((rc = begin_line(f, &li, blank)))
            return rc;
        return emit_stmt(f, sc, li.depth);
    }
    for (size_t k = 0; k < n && !rc; k++) {
        scan one = *sc;
        one.start = v[k].start;
        one.code_end = v[k].end;
        /* A trailing comment stays with the last statement; after a last
         * `;`, it is a line of its own. */
        if (k + 1 < n || semi_last)
            one.cmt = SIZE_MAX;
        stmt_info(f, &one, depth + v[k].deeper, &li);
        if (!(rc = begin_line(f, &li, k ? 0 : blank)))
            rc = emit_stmt(f, &one, li.depth);
    }
    if (!rc && semi_last && sc->cmt != SIZE_MAX) {
        pending p = {sc->cmt, sc->cmt_end, 0, 0};
        rc = emit_comment(f, &p, depth + v[n - 1].deeper);
    }
    return rc;
}

static int set_indent(fmt *f, size_t col)
{
    const size_t *ind = ITEMS(&f->indents, size_t);
    size_t nind = COUNT(&f->indents, size_t);
    if (col > ind[nind - 1])
        return bb_buf_append(&f->indents, &col, sizeof(col));
    while (nind > 1 && col < ind[nind - 1])
        nind--;
    f->indents.len = nind * sizeof(size_t);
    return BB_OK;
}

/* The Black pass over the whole source. */
static int black_pass(fmt *f)
{
    const char *s = f->src;
    size_t n = f->len, pos = 0;
    bb_buf pending_comments; /* pending: the comments before the next statement */
    int blank = 0, rc = BB_OK;
    size_t zero = 0;
    bb_buf_init(&pending_comments, f->out->max);
    if ((rc = bb_buf_append(&f->indents, &zero, sizeof(zero))))
        return rc;
    if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        pos = 3;
    while (pos < n && !rc) {
        size_t i = pos, col = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f')) {
            col = s[i] == '\t' ? (col / 8 + 1) * 8 : s[i] == '\f' ? 0 : col + 1;
            i++;
        }
        if (i == n || s[i] == '\n' || (s[i] == '\r' && (i + 1 == n || s[i + 1] == '\n'))) {
            const char *e = memchr(s + i, '\n', n - i);
            blank++;
            pos = e ? (size_t)(e - s) + 1 : n;
            continue;
        }
        if (s[i] == '#') {
            const char *e = memchr(s + i, '\n', n - i);
            size_t end = e ? (size_t)(e - s) : n;
            pos = e ? end + 1 : n;
            while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'))
                end--;
            pending p = {i, end, col, blank};
            if ((rc = bb_buf_append(&pending_comments, &p, sizeof(p))))
                break;
            blank = 0;
            continue;
        }
        {
            scan sc;
            if ((rc = scan_stmt(f, i, &sc)))
                break;
            if ((rc = flush_comments(f, &pending_comments, col)) || (rc = set_indent(f, col)) ||
                (rc = emit_statements(f, &sc, (int)COUNT(&f->indents, size_t) - 1, blank)))
                break;
            blank = 0;
            pos = sc.next;
        }
    }
    if (!rc)
        rc = flush_comments(f, &pending_comments, 0);
    bb_buf_free(&pending_comments);
    return rc;
}

/* ---- isort's black profile ----------------------------------------------- */

/*
 * The import block at the top of the file (after the docstring and
 * comments) is rewritten as `isort --profile black` prints it: sections
 * future, standard library, third party, first party, local (relative),
 * one blank line apart; in each, `import x` lines before `from x import`
 * lines, modules in natural case-insensitive order; a module's names on
 * one line (CONSTANTS, Classes, then the rest), `a as b` names on lines of
 * their own; a line over the limit in parentheses, one name a line with a
 * trailing comma. Two blank lines follow when a def, class or decorator
 * comes next, else one.
 */

/* The standard library: isort 5's list for Python 3 and CPython 3.11's
 * sys.stdlib_module_names, sorted (strcmp) for bsearch. */
/* clang-format off */
static const char *const stdlib_modules[] = {
    "__future__", "_abc", "_aix_support", "_ast", "_asyncio", "_bisect", "_blake2",
    "_bootsubprocess", "_bz2", "_codecs", "_codecs_cn", "_codecs_hk", "_codecs_iso2022",
    "_codecs_jp", "_codecs_kr", "_codecs_tw", "_collections", "_collections_abc", "_compat_pickle",
    "_compression", "_contextvars", "_crypt", "_csv", "_ctypes", "_curses", "_curses_panel",
    "_datetime", "_dbm", "_decimal", "_dummy_thread", "_elementtree", "_frozen_importlib",
    "_frozen_importlib_external", "_functools", "_gdbm", "_hashlib", "_heapq", "_imp", "_io",
    "_json", "_locale", "_lsprof", "_lzma", "_markupbase", "_md5", "_msi", "_multibytecodec",
    "_multiprocessing", "_opcode", "_operator", "_osx_support", "_overlapped", "_pickle",
    "_posixshmem", "_posixsubprocess", "_py_abc", "_pydecimal", "_pyio", "_queue", "_random",
    "_scproxy", "_sha1", "_sha256", "_sha3", "_sha512", "_signal", "_sitebuiltins", "_socket",
    "_sqlite3", "_sre", "_ssl", "_stat", "_statistics", "_string", "_strptime", "_struct",
    "_symtable", "_thread", "_threading_local", "_tkinter", "_tokenize", "_tracemalloc", "_typing",
    "_uuid", "_warnings", "_weakref", "_weakrefset", "_winapi", "_zoneinfo", "abc", "aifc",
    "antigravity", "argparse", "array", "ast", "asynchat", "asyncio", "asyncore", "atexit",
    "audioop", "base64", "bdb", "binascii", "binhex", "bisect", "builtins", "bz2", "cProfile",
    "calendar", "cgi", "cgitb", "chunk", "cmath", "cmd", "code", "codecs", "codeop", "collections",
    "colorsys", "compileall", "concurrent", "configparser", "contextlib", "contextvars", "copy",
    "copyreg", "crypt", "csv", "ctypes", "curses", "dataclasses", "datetime", "dbm", "decimal",
    "difflib", "dis", "distutils", "doctest", "dummy_threading", "email", "encodings", "ensurepip",
    "enum", "errno", "faulthandler", "fcntl", "filecmp", "fileinput", "fnmatch", "formatter",
    "fpectl", "fractions", "ftplib", "functools", "gc", "genericpath", "getopt", "getpass",
    "gettext", "glob", "graphlib", "grp", "gzip", "hashlib", "heapq", "hmac", "html", "http",
    "idlelib", "imaplib", "imghdr", "imp", "importlib", "inspect", "io", "ipaddress", "itertools",
    "json", "keyword", "lib2to3", "linecache", "locale", "logging", "lzma", "macpath", "mailbox",
    "mailcap", "marshal", "math", "mimetypes", "mmap", "modulefinder", "msilib", "msvcrt",
    "multiprocessing", "netrc", "nis", "nntplib", "nt", "ntpath", "nturl2path", "numbers",
    "opcode", "operator", "optparse", "os", "ossaudiodev", "parser", "pathlib", "pdb", "pickle",
    "pickletools", "pipes", "pkgutil", "platform", "plistlib", "poplib", "posix", "posixpath",
    "pprint", "profile", "pstats", "pty", "pwd", "py_compile", "pyclbr", "pydoc", "pydoc_data",
    "pyexpat", "queue", "quopri", "random", "re", "readline", "reprlib", "resource", "rlcompleter",
    "runpy", "sched", "secrets", "select", "selectors", "shelve", "shlex", "shutil", "signal",
    "site", "smtpd", "smtplib", "sndhdr", "socket", "socketserver", "spwd", "sqlite3", "sre",
    "sre_compile", "sre_constants", "sre_parse", "ssl", "stat", "statistics", "string",
    "stringprep", "struct", "subprocess", "sunau", "symbol", "symtable", "sys", "sysconfig",
    "syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "termios", "test", "textwrap",
    "this", "threading", "time", "timeit", "tkinter", "token", "tokenize", "tomllib", "trace",
    "traceback", "tracemalloc", "tty", "turtle", "turtledemo", "types", "typing", "unicodedata",
    "unittest", "urllib", "uu", "uuid", "venv", "warnings", "wave", "weakref", "webbrowser",
    "winreg", "winsound", "wsgiref", "xdrlib", "xml", "xmlrpc", "zipapp", "zipfile", "zipimport",
    "zlib", "zoneinfo",
};
/* clang-format on */

enum { SEC_FUTURE, SEC_STDLIB, SEC_THIRDPARTY, SEC_FIRSTPARTY, SEC_LOCAL };

typedef struct span {
    const char *s;
    size_t n;
} span;

typedef struct imp {
    span mod, name, alias, cmt; /* name.s NULL: `import mod` */
    int section, rank;
} imp;

typedef struct isort {
    const char *const *first_party;
    imp *v; /* in `all` */
    size_t n;
    bb_buf all;
} isort;

static int stdlib_cmp(const void *key, const void *elem)
{
    const span *k = key;
    const char *e = *(const char *const *)elem;
    size_t en = strlen(e), m = k->n < en ? k->n : en;
    int c = memcmp(k->s, e, m);
    return c ? c : (k->n > en) - (k->n < en);
}

static int section_of(const isort *is, span mod)
{
    span root = mod;
    const char *dot;
    if (mod.n && mod.s[0] == '.')
        return SEC_LOCAL;
    if ((dot = memchr(mod.s, '.', mod.n)))
        root.n = (size_t)(dot - mod.s);
    if (word_is(root.s, root.n, "__future__"))
        return SEC_FUTURE;
    for (const char *const *p = is->first_party; *p; p++)
        if (word_is(root.s, root.n, *p))
            return SEC_FIRSTPARTY;
    if (bsearch(&root, stdlib_modules, sizeof(stdlib_modules) / sizeof(stdlib_modules[0]),
                sizeof(stdlib_modules[0]), stdlib_cmp))
        return SEC_STDLIB;
    return SEC_THIRDPARTY;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Compares as isort does: case-insensitively, and "naturally" (runs of
 * digits by value, so t9 comes before t10). */
static int lower_cmp(span a, span b)
{
    size_t i = 0, j = 0;
    for (;;) {
        bool da = i < a.n && a.s[i] >= '0' && a.s[i] <= '9';
        bool db = j < b.n && b.s[j] >= '0' && b.s[j] <= '9';
        if (da && db) {
            size_t p = i, q = j, np, nq;
            int c;
            while (p < a.n && a.s[p] == '0')
                p++;
            while (q < b.n && b.s[q] == '0')
                q++;
            for (np = 0; p + np < a.n && a.s[p + np] >= '0' && a.s[p + np] <= '9'; np++)
                ;
            for (nq = 0; q + nq < b.n && b.s[q + nq] >= '0' && b.s[q + nq] <= '9'; nq++)
                ;
            if (np != nq)
                return np < nq ? -1 : 1;
            if ((c = memcmp(a.s + p, b.s + q, np)))
                return c;
            i = p + np;
            j = q + nq;
            continue;
        }
        int cx = i < a.n ? lower((unsigned char)a.s[i]) : 0;
        int cy = j < b.n ? lower((unsigned char)b.s[j]) : 0;
        if (cx != cy || !cx)
            return cx - cy;
        i++;
        j++;
    }
}

/* isort's order_by_type: CONSTANTS, then Classes, then the rest. */
static int name_rank(span n)
{
    bool upper = false;
    for (size_t i = 0; i < n.n; i++) {
        if (n.s[i] >= 'a' && n.s[i] <= 'z')
            return n.s[0] >= 'A' && n.s[0] <= 'Z' ? 1 : 2;
        upper |= n.s[i] >= 'A' && n.s[i] <= 'Z';
    }
    if (upper && n.n > 1)
        return 0;
    return n.n && n.s[0] >= 'A' && n.s[0] <= 'Z' ? 1 : 2;
}

static int span_cmp(span a, span b)
{
    size_t m = a.n < b.n ? a.n : b.n;
    int c = m ? memcmp(a.s, b.s, m) : 0;
    return c ? c : (a.n > b.n) - (a.n < b.n);
}

/* Same rank: case-insensitively, then as bytes. */
static int ranked_cmp(span p, span q)
{
    if (p.n == q.n && (!p.n || !memcmp(p.s, q.s, p.n)))
        return 0; /* the names of one module share it: no need to walk it */
    int c = lower_cmp(p, q);
    return c ? c : span_cmp(p, q);
}

static int opt_cmp(span a, span b)
{
    if (!a.s || !b.s)
        return (a.s != NULL) - (b.s != NULL);
    return ranked_cmp(a, b);
}

static int import_cmp(const void *x, const void *y)
{
    const imp *p = x, *q = y;
    int c = p->section - q->section;
    if (c)
        return c;
    if (!p->name.s != !q->name.s)
        return p->name.s ? 1 : -1; /* `import x` before `from x import y` */
    if ((c = ranked_cmp(p->mod, q->mod)))
        return c;
    if (!p->name.s)
        return opt_cmp(p->alias, q->alias);
    /* a module's commented lines, its star, then its names in order; an
     * `as` name breaks the line of the plain names around it */
    if ((c = (q->cmt.s != NULL) - (p->cmt.s != NULL)))
        return c;
    if ((c = opt_cmp(p->cmt, q->cmt)))
        return c;
    if (p->rank != q->rank)
        return p->rank - q->rank;
    if ((c = ranked_cmp(p->name, q->name)))
        return c;
    return opt_cmp(p->alias, q->alias);
}

static bool span_eq(span a, span b)
{
    return a.n == b.n && (a.s != NULL) == (b.s != NULL) && (!a.n || !memcmp(a.s, b.s, a.n));
}

static int add_import(isort *is, span mod, span name, span alias, span cmt)
{
    imp *m;
    int rc = bb_buf_reserve(&is->all, sizeof(imp));
    if (rc)
        return rc;
    is->all.len += sizeof(imp);
    is->v = ITEMS(&is->all, imp);
    m = &is->v[is->n++];
    m->mod = mod;
    m->name = name;
    m->alias = alias;
    m->cmt = cmt;
    /* the names of `from m import a, b` share the module's section */
    m->section = is->n > 1 && span_eq(m[-1].mod, mod) ? m[-1].section : section_of(is, mod);
    m->rank = name.s ? (name.n == 1 && name.s[0] == '*' ? -1 : name_rank(name)) : 0;
    return BB_OK;
}

/* A cursor over the text of an import statement. */
typedef struct icur {
    const char *s;
    size_t i, n;
    span cmt;
} icur;

/* Skips blanks, line breaks inside parentheses and comments (keeping the
 * first comment). */
static void iskip(icur *c, bool in_parens)
{
    while (c->i < c->n) {
        char ch = c->s[c->i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || (in_parens && ch == '\n')) {
            c->i++;
        } else if (ch == '\\' && c->i + 1 < c->n && c->s[c->i + 1] == '\n') {
            c->i += 2;
        } else if (ch == '#') {
            size_t st = c->i;
            while (c->i < c->n && c->s[c->i] != '\n')
                c->i++;
            if (!c->cmt.s) {
                size_t e = c->i;
                while (e > st && (c->s[e - 1] == ' ' || c->s[e - 1] == '\t' || c->s[e - 1] == '\r'))
                    e--;
                c->cmt.s = c->s + st;
                c->cmt.n = e - st;
            }
        } else {
            break;
        }
    }
}

/* A dotted name (or relative dots) at the cursor. */
static span idotted(icur *c, bool in_parens)
{
    span r = {c->s + c->i, 0};
    while (c->i < c->n && (bb_pyline_is_name_byte((unsigned char)c->s[c->i]) || c->s[c->i] == '.'))
        c->i++;
    r.n = (size_t)(c->s + c->i - r.s);
    iskip(c, in_parens);
    return r;
}

static bool iword(icur *c, const char *w, bool in_parens)
{
    size_t k = strlen(w);
    if (c->i + k <= c->n && !memcmp(c->s + c->i, w, k) &&
        (c->i + k == c->n || !bb_pyline_is_name_byte((unsigned char)c->s[c->i + k]))) {
        c->i += k;
        iskip(c, in_parens);
        return true;
    }
    return false;
}

/* `import a.b as c, d` at the cursor. */
static int parse_import_names(isort *is, icur *c)
{
    span none = {NULL, 0};
    size_t first = is->n;
    int rc;
    for (;;) {
        span mod = idotted(c, false), alias = none;
        if (!mod.n)
            return CANNOT;
        if (iword(c, "as", false) && !(alias = idotted(c, false)).n)
            return CANNOT;
        if ((rc = add_import(is, mod, none, alias, none)))
            return rc;
        if (c->i < c->n && c->s[c->i] == ',') {
            c->i++;
            iskip(c, false);
            continue;
        }
        break;
    }
    /* a comment stays on the last line the statement becomes */
    if (c->cmt.s && is->n > first)
        is->v[is->n - 1].cmt = c->cmt;
    return BB_OK;
}

/* `from m import (a as b, c)` after the `from`. */
static int parse_from(isort *is, icur *c)
{
    span none = {NULL, 0}, mod = idotted(c, false);
    bool paren = false;
    size_t first = is->n;
    int rc;
    if (!mod.n || !iword(c, "import", false))
        return CANNOT;
    if (c->i < c->n && c->s[c->i] == '(') {
        paren = true;
        c->i++;
        iskip(c, true);
    }
    for (;;) {
        span name, alias = none, stmt_cmt = c->cmt;
        if (paren && c->i < c->n && c->s[c->i] == ')') {
            c->i++;
            iskip(c, false);
            break;
        }
        c->cmt = none;
        if (c->i < c->n && c->s[c->i] == '*') {
            name.s = c->s + c->i++;
            name.n = 1;
            iskip(c, paren);
        } else {
            name = idotted(c, paren);
        }
        if (!name.n)
            return CANNOT;
        if (iword(c, "as", paren) && !(alias = idotted(c, paren)).n)
            return CANNOT;
        if ((rc = add_import(is, mod, name, alias, none)))
            return rc;
        bool comma = c->i < c->n && c->s[c->i] == ',';
        if (comma) {
            c->i++;
            iskip(c, paren);
        }
        /* In parentheses, a comment on a name's line is that name's (isort
         * keeps the name on a line of its own with it). */
        if (paren && c->cmt.s && !memchr(name.s, '\n', (size_t)(c->cmt.s - name.s)))
            is->v[is->n - 1].cmt = c->cmt;
        else if (!stmt_cmt.s)
            stmt_cmt = c->cmt;
        c->cmt = stmt_cmt;
        if (comma)
            continue;
        if (!paren)
            break;
        if (!(c->i < c->n && c->s[c->i] == ')'))
            return CANNOT;
    }
    /* a comment stays with the names of its statement */
    for (size_t k = first; c->cmt.s && k < is->n; k++)
        if (!is->v[k].cmt.s)
            is->v[k].cmt = c->cmt;
    return BB_OK;
}

/* Parses the import statement at s[*pos] (column 0); *pos moves past it.
 * CANNOT when it is not one this pass rewrites (the block ends there). */
static int parse_import(isort *is, const char *s, size_t n, size_t *pos)
{
    icur c = {s, *pos, n, {NULL, 0}};
    size_t mark_n = is->n;
    int rc;
    if (iword(&c, "import", false))
        rc = parse_import_names(is, &c);
    else if (iword(&c, "from", false))
        rc = parse_from(is, &c);
    else
        rc = CANNOT;
    if (!rc && c.i < n && s[c.i] != '\n')
        rc = CANNOT;
    if (rc) {
        is->n = mark_n;
        is->all.len = mark_n * sizeof(imp);
        return rc;
    }
    *pos = c.i < n ? c.i + 1 : n;
    return BB_OK;
}

static bool same_import(const imp *a, const imp *b)
{
    return a->section == b->section && span_eq(a->mod, b->mod) && span_eq(a->name, b->name) &&
           span_eq(a->alias, b->alias) && span_eq(a->cmt, b->cmt);
}

static int put_span(bb_buf *b, span s)
{
    return bb_buf_append(b, s.s, s.n);
}

static int put_name(bb_buf *b, const imp *m)
{
    int rc = put_span(b, m->name);
    if (!rc && m->alias.s && !(rc = bb_buf_puts(b, " as ")))
        rc = put_span(b, m->alias);
    return rc;
}

static int put_comment(bb_buf *b, span cmt)
{
    int rc = BB_OK;
    if (cmt.s && !(rc = bb_buf_puts(b, "  ")))
        rc = put_span(b, cmt);
    return rc;
}

/* `from mod import` the names v[0..k), in parentheses one a line when the
 * line would be too long (isort's vertical hanging indent). */
static int put_from(bb_buf *b, const imp *v, size_t k, unsigned ll)
{
    size_t w = 5 + bb_pyline_width(v[0].mod.s, v[0].mod.n) + 8;
    int rc;
    for (size_t j = 0; j < k; j++) {
        w += bb_pyline_width(v[j].name.s, v[j].name.n) + (j ? 2 : 0);
        if (v[j].alias.s)
            w += 4 + bb_pyline_width(v[j].alias.s, v[j].alias.n);
    }
    if (v[0].cmt.s)
        w += 2 + bb_pyline_width(v[0].cmt.s, v[0].cmt.n);
    if ((rc = bb_buf_puts(b, "from ")) || (rc = put_span(b, v[0].mod)) ||
        (rc = bb_buf_puts(b, " import ")))
        return rc;
    if (w <= ll) {
        for (size_t j = 0; j < k && !rc; j++)
            if (!(j && (rc = bb_buf_puts(b, ", "))))
                rc = put_name(b, &v[j]);
        if (rc || (rc = put_comment(b, v[0].cmt)))
            return rc;
        return bb_buf_putc(b, '\n');
    }
    if ((rc = bb_buf_putc(b, '(')) || (rc = put_comment(b, v[0].cmt)) ||
        (rc = bb_buf_putc(b, '\n')))
        return rc;
    for (size_t j = 0; j < k; j++)
        if ((rc = bb_buf_puts(b, "    ")) || (rc = put_name(b, &v[j])) ||
            (rc = bb_buf_puts(b, ",\n")))
            return rc;
    return bb_buf_puts(b, ")\n");
}

static int put_straight(bb_buf *b, const imp *m)
{
    int rc;
    if ((rc = bb_buf_puts(b, "import ")) || (rc = put_span(b, m->mod)))
        return rc;
    if (m->alias.s && ((rc = bb_buf_puts(b, " as ")) || (rc = put_span(b, m->alias))))
        return rc;
    if ((rc = put_comment(b, m->cmt)))
        return rc;
    return bb_buf_putc(b, '\n');
}

/* Whether the name of v[i] is imported again from its module `as` a name. */
static bool aliased_next(const isort *is, size_t i)
{
    return i + 1 < is->n && is->v[i + 1].alias.s && is->v[i + 1].name.s &&
           span_eq(is->v[i + 1].mod, is->v[i].mod) && span_eq(is->v[i + 1].name, is->v[i].name);
}

static int put_imports(bb_buf *b, isort *is, unsigned ll)
{
    size_t i = 0, w = 0;
    int last_section = -1, rc = BB_OK;
    if (is->n)
        qsort(is->v, is->n, sizeof(imp), import_cmp);
    for (size_t k = 0; k < is->n; k++) /* drop repeats */
        if (!w || !same_import(&is->v[w - 1], &is->v[k]))
            is->v[w++] = is->v[k];
    is->n = w;
    is->all.len = w * sizeof(imp);
    while (!rc && i < is->n) {
        const imp *m = &is->v[i];
        size_t k = i + 1;
        if (last_section >= 0 && m->section != last_section && (rc = bb_buf_putc(b, '\n')))
            break;
        last_section = m->section;
        if (!m->name.s) {
            rc = put_straight(b, m);
            i++;
            continue;
        }
        /* the names that share this line: same module and comment, no `as`
         * (a name also imported `as` something stands alone, as in isort) */
        if (!m->alias.s && m->rank >= 0 && !aliased_next(is, i))
            while (k < is->n && is->v[k].name.s && span_eq(is->v[k].mod, m->mod) &&
                   span_eq(is->v[k].cmt, m->cmt) && !is->v[k].alias.s && is->v[k].rank >= 0 &&
                   !aliased_next(is, k))
                k++;
        rc = put_from(b, m, k - i, ll);
        i = k;
    }
    return rc;
}

/* The offset after the physical line at pos (after its newline). */
static size_t line_end(const char *s, size_t n, size_t pos)
{
    const char *e = memchr(s + pos, '\n', n - pos);
    return e ? (size_t)(e - s) + 1 : n;
}

static bool blank_line(const char *s, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f')
            return false;
    return true;
}

static bool is_import_line(const char *s, size_t n, size_t pos)
{
    return starts_word(s + pos, n - pos, "import") || starts_word(s + pos, n - pos, "from");
}

/* Where the import block starts: after blank lines, comments and a module
 * docstring. SIZE_MAX when the first statement is no import. */
static size_t import_block_start(const char *s, size_t n)
{
    size_t pos = 0;
    bool docstring_allowed = true;
    while (pos < n) {
        size_t e = line_end(s, n, pos), q = pos;
        if (blank_line(s, pos, e) || s[pos] == '#') {
            pos = e;
            continue;
        }
        if (is_import_line(s, n, pos))
            return pos;
        while (q < n && q - pos < 2 && bb_pyline_is_name_byte((unsigned char)s[q]))
            q++;
        if (docstring_allowed && q < n && (s[q] == '"' || s[q] == '\'') &&
            (q == pos || bb_pyline_is_string_prefix(s + pos, q - pos))) {
            bool nl = false;
            size_t end = bb_pyline_string_end(s, n, q, &nl);
            if (end == SIZE_MAX)
                return SIZE_MAX;
            docstring_allowed = false;
            pos = line_end(s, n, end);
            continue;
        }
        return SIZE_MAX;
    }
    return SIZE_MAX;
}

/* isort's lines_after_imports: two before a def, class or decorator (past
 * comments), else one. */
static int lines_after_imports(const char *t, size_t n, size_t rest)
{
    while (rest < n && t[rest] == '#')
        rest = line_end(t, n, rest);
    if (rest < n &&
        (starts_word(t + rest, n - rest, "def") || starts_word(t + rest, n - rest, "class") ||
         starts_word(t + rest, n - rest, "async") || t[rest] == '@'))
        return 2;
    return 1;
}

/* The isort pass: t (the Black pass's output) into out. */
static int isort_pass(const char *t, size_t n, const char *const *first_party, unsigned ll,
                      bb_buf *out)
{
    isort is = {first_party, NULL, 0, {NULL, 0, 0, 0}};
    size_t start = import_block_start(t, n), pos, rest;
    int rc = BB_OK;
    if (start == SIZE_MAX)
        return bb_buf_append(out, t, n);
    bb_buf_init(&is.all, out->max);
    pos = rest = start;
    while (pos < n) {
        size_t e = line_end(t, n, pos), p = pos;
        if (blank_line(t, pos, e)) {
            pos = e;
            continue;
        }
        if (!is_import_line(t, n, pos))
            break;
        rc = parse_import(&is, t, n, &p);
        if (rc == CANNOT)
            break;
        if (rc)
            goto done;
        pos = rest = p;
    }
    if (rest == start) { /* not one import isort would read: left as it is */
        rc = bb_buf_append(out, t, n);
        goto done;
    }
    while (rest < n && blank_line(t, rest, line_end(t, n, rest)))
        rest = line_end(t, n, rest);
    if ((rc = bb_buf_append(out, t, start)) || (rc = put_imports(out, &is, ll)))
        goto done;
    if (rest < n && !(rc = bb_buf_fill(out, '\n', (size_t)lines_after_imports(t, n, rest))))
        rc = bb_buf_append(out, t + rest, n - rest);
done:
    bb_buf_free(&is.all);
    return rc == CANNOT ? BB_OK : rc;
}

/* ---- the pass ------------------------------------------------------------ */

static const char *const default_first_party[] = {"alembic", "app", "tests", NULL};

int bb_pyfmt_format(const char *path, const char *src, size_t len, const bb_pyfmt_opts *o,
                    bb_buf *out, bb_diags *diags)
{
    fmt f;
    bb_buf mid;
    int rc;
    memset(&f, 0, sizeof(f));
    f.path = path ? path : "<python>";
    f.src = src;
    f.len = len;
    f.ll = o && o->line_length ? o->line_length : BB_PYFMT_LINE;
    f.diags = diags;
    if (!(f.engine = bb_pyline_new(f.ll)))
        return BB_ENOMEM;
    bb_buf_init(&mid, out->max);
    bb_buf_init(&f.prev_defs, out->max);
    bb_buf_init(&f.indents, out->max);
    f.out = &mid;
    bb_pyline_set_versions(f.engine, detect_features, &f);
    rc = black_pass(&f);
    if (!rc)
        rc = isort_pass(bb_buf_str(&mid), mid.len,
                        o && o->first_party ? o->first_party : default_first_party, f.ll, out);
    bb_pyline_free(f.engine);
    bb_buf_free(&mid);
    bb_buf_free(&f.prev_defs);
    bb_buf_free(&f.indents);
    return rc;
}
