/*
 * pyfmt.c - Black's and isort's formatting of generated Python.
 *
 * The file is read one logical line (statement) at a time. A statement on
 * one physical line that fits and has no magic trailing comma is copied
 * (the fast path); any other goes to render/pyline, the port of Black's
 * linegen. Blank lines follow black/lines.py's EmptyLineTracker; comments
 * keep their text and take the depth Black gives them. The import block
 * at the top is then rewritten as isort's black profile prints it
 * (render/pyimports).
 */
#include "render/pyfmt.h"

#include "render/pyimports.h"
#include "render/pyline.h"
#include "render/pystring.h"

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
    bb_buf indents;        /* size_t: the indentation stack */
    bool wants_normal;     /* a string literal Black would write otherwise */
    bb_buf *import_at;     /* size_t: where each import statement's line starts in out */
    bool block_start;      /* the next statement is the file's or a block's first */
    bool after_module_doc; /* the last line is the file's first, a docstring */
} fmt;

/* Whether s[0..n) is the word `lit` (a string literal). */
#define word_is(s, n, lit) ((n) == sizeof(lit) - 1 && !memcmp((s), (lit), sizeof(lit) - 1))

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
    /* Black writes it otherwise even when it fits: parentheses after `=`
     * or a keyword it may drop, blanks at brackets or commas it sets */
    bool reform;
} scan;

/* The bytes scan_stmt stops at; it skips every other one in a tight loop. */
enum {
    C_PLAIN,
    C_QUOTE,
    C_OPEN,
    C_CLOSE,
    C_HASH,
    C_NL,
    C_BSLASH,
    C_COMMA,
    C_SEMI,
    C_COLON,
    C_OPER,
    C_DIGIT
};
static const unsigned char cclass[256] = {
    ['"'] = C_QUOTE,   ['\''] = C_QUOTE, ['('] = C_OPEN,  ['['] = C_OPEN,  ['{'] = C_OPEN,
    [')'] = C_CLOSE,   [']'] = C_CLOSE,  ['}'] = C_CLOSE, ['#'] = C_HASH,  ['\n'] = C_NL,
    ['\\'] = C_BSLASH, [','] = C_COMMA,  [';'] = C_SEMI,  [':'] = C_COLON, ['='] = C_OPER,
    ['<'] = C_OPER,    ['>'] = C_OPER,   ['!'] = C_OPER,  ['+'] = C_OPER,  ['-'] = C_OPER,
    ['*'] = C_OPER,    ['/'] = C_OPER,   ['%'] = C_OPER,  ['&'] = C_OPER,  ['|'] = C_OPER,
    ['^'] = C_OPER,    ['@'] = C_OPER,   ['~'] = C_OPER,  ['0'] = C_DIGIT, ['1'] = C_DIGIT,
    ['2'] = C_DIGIT,   ['3'] = C_DIGIT,  ['4'] = C_DIGIT, ['5'] = C_DIGIT, ['6'] = C_DIGIT,
    ['7'] = C_DIGIT,   ['8'] = C_DIGIT,  ['9'] = C_DIGIT,
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f';
}

static char closer_of(char c)
{
    return c == '(' ? ')' : c == '[' ? ']' : '}';
}

/*
 * Whether the `(` at s[i] opens the child of an assignment or a keyword
 * (`x = (`, `return (`, `if (`, `for (`, `in (`): parentheses Black's
 * normalize_invisible_parens may drop, so the statement is not copied as
 * it stands even when it fits.
 */
static bool opens_child(const char *s, size_t start, size_t i)
{
    size_t k = i, w = 0;
    while (k > start && (s[k - 1] == ' ' || s[k - 1] == '\t'))
        k--;
    if (k == start)
        return false;
    if (s[k - 1] == '=')
        return k - 1 == start || !strchr("=!<>:", s[k - 2]);
    while (w < k - start && bb_pyline_is_name_byte((unsigned char)s[k - 1 - w]))
        w++;
    if (!w || (k - w > start &&
               (bb_pyline_is_name_byte((unsigned char)s[k - w - 1]) || s[k - w - 1] == '.')))
        return false;
    const char *x = s + k - w;
    return word_is(x, w, "return") || word_is(x, w, "if") || word_is(x, w, "elif") ||
           word_is(x, w, "while") || word_is(x, w, "for") || word_is(x, w, "assert") ||
           word_is(x, w, "del") || word_is(x, w, "in");
}

/*
 * Whether the blanks before or after the comma or colon at s[i] are not
 * Black's: none before it; after it none before a closing bracket, one
 * before anything else on the line.
 */
static bool punct_spaced_otherwise(const char *s, size_t n, size_t start, size_t i)
{
    if (i > start && is_blank(s[i - 1]))
        return true;
    size_t k = i + 1;
    while (k < n && is_blank(s[k]))
        k++;
    if (k == n || s[k] == '\n' || s[k] == '#')
        return false;
    if (cclass[(unsigned char)s[k]] == C_CLOSE)
        return k > i + 1;
    return k != i + 2 || s[i + 1] != ' ';
}

/* The length of the operator at s[i]: `**=` is one, `-` another. */
static size_t operator_len(const char *s, size_t n, size_t i)
{
    char c = s[i], d = i + 1 < n ? s[i + 1] : 0, e = i + 2 < n ? s[i + 2] : 0;
    if ((c == '*' || c == '/' || c == '<' || c == '>') && d == c)
        return e == '=' ? 3 : 2; /* ** // << >> and their augmented forms */
    return d == '=' || (c == '-' && d == '>') ? 2 : 1;
}

/* Whether the byte c ends an operand (so an operator after it is binary);
 * a keyword looks like one here, which only costs the slow path. */
static bool ends_operand(unsigned char c)
{
    return bb_pyline_is_name_byte(c) || c == ')' || c == ']' || c == '}' || c == '"' || c == '\'' ||
           c == '.';
}

/* One blank before s[i] and one after s[e - 1], as Black spaces them. */
static bool spaced(const char *s, size_t n, size_t start, size_t i, size_t e)
{
    return i > start && s[i - 1] == ' ' && (i - 1 == start || !is_blank(s[i - 2])) && e + 1 < n &&
           s[e] == ' ' && !is_blank(s[e + 1]);
}

/*
 * Whether the blanks around the operator s[i..e) are not Black's (render/
 * pyline sets them): one on each side of an assignment, a comparison,
 * `->` and a binary operator, none around a keyword argument's `=` (one
 * around an annotated parameter's default) and none after a unary
 * operator. Anything the scan cannot tell apart cheaply goes to the slow
 * path.
 */
static bool operator_spaced_otherwise(const char *s, size_t n, size_t start, size_t i, size_t e,
                                      size_t depth, bool annotated, bool assigned, char last_sig)
{
    char c = s[i];
    if (e - i == 1 && c == '=') {
        /* A lambda's parameters take no blanks (`f = lambda x=1: x`): the
         * slow path tells them apart. */
        if (depth == 0 || annotated)
            return !spaced(s, n, start, i, e) ||
                   ((depth || assigned) && memmem(s + start, i - start, "lambda", 6));
        return i == start || is_blank(s[i - 1]) || e == n || is_blank(s[e]);
    }
    /* not an assignment, a comparison or `->`: those are spaced always */
    bool arithmetic = s[e - 1] != '=' && c != '!' && !(c == '-' && e - i == 2) &&
                      !((c == '<' || c == '>') && e - i == 1);
    /* `**` between operands: Black hugs simple ones, and puts a power
     * after a unary operator in parentheses; the slow path does both */
    if (!arithmetic || (c != '~' && ends_operand((unsigned char)last_sig)))
        return (arithmetic && c == '*' && e - i == 2) || !spaced(s, n, start, i, e);
    return e == n || is_blank(s[e]); /* unary: -x, *args, @decorator */
}

/* Whether s[0..n) holds two blanks in a row, eight bytes a step (the
 * windows overlap by one, so a pair across two of them is seen). */
static bool has_double_blank(const char *s, size_t n)
{
    const uint64_t blanks = 0x2020202020202020u, low7 = 0x7F7F7F7F7F7F7F7Fu;
    size_t i = 0;
    for (; i + 8 <= n; i += 7) {
        uint64_t w, m;
        memcpy(&w, s + i, 8);
        m = w ^ blanks;                         /* a blank is a zero byte */
        m = ~(((m & low7) + low7) | m) & ~low7; /* bit 7 of each zero byte */
        if (m & (m << 8))
            return true;
    }
    for (; i + 1 < n; i++)
        if (s[i] == ' ' && s[i + 1] == ' ')
            return true;
    return false;
}

/* Whether a keyword ends right before s[i] (`in(1, 2)`, `except(E, F)`):
 * Black sets a blank between a keyword and a bracket. No keyword is
 * longer than eight bytes: a longer name is not looked up. */
static bool keyword_before(const char *s, size_t start, size_t i)
{
    size_t w = 0;
    while (w < 9 && i - w > start && bb_pyline_is_name_byte((unsigned char)s[i - w - 1]))
        w++;
    return w >= 2 && w <= 8 && (i - w == start || s[i - w - 1] != '.') &&
           bb_pyline_is_keyword(s + i - w, w);
}

/* Whether the string literal s[q..e) (q: its opening quote) touches a
 * word, as in `return"x"` or `"a"if b`: Black sets a blank there. */
static bool string_touches_word(const char *s, size_t n, size_t start, size_t q, size_t e)
{
    size_t w = 0;
    while (q - w > start && bb_pyline_is_name_byte((unsigned char)s[q - w - 1]))
        w++;
    if (w && !(w <= 2 && bb_pyline_is_string_prefix(s + q - w, w)))
        return true;
    return e < n && bb_pyline_is_name_byte((unsigned char)s[e]);
}

/* Scans the logical line starting at its first code byte `start`. */
static int scan_stmt(fmt *f, size_t start, scan *sc)
{
    const char *s = f->src;
    size_t n = f->len, i = start, opens[MAX_NEST];
    size_t depth = 0;
    bool annotated[MAX_NEST + 1]; /* a `:` since the last `,` or bracket at each depth */
    bool assigned = false;        /* an `=` at depth 0 before */
    annotated[0] = false;
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
            f->wants_normal = f->wants_normal || bb_pystring_wants_normal(s, q, i);
            sc->multi |= nl;
            sc->reform = sc->reform || string_touches_word(s, n, start, q, i);
            last_sig = s[i - 1];
            continue;
        }
        case C_OPEN:
            if (depth == MAX_NEST)
                return fail_at(f, i, "brackets nested too deeply");
            sc->reform |= (i + 1 < n && is_blank(s[i + 1])) || keyword_before(s, start, i);
            if (!depth && s[i] == '(' && !sc->reform)
                sc->reform = opens_child(s, start, i);
            opens[depth++] = i;
            annotated[depth] = false;
            break;
        case C_CLOSE:
            if (!depth)
                return fail_at(f, i, "closing bracket does not match any opening one");
            if (closer_of(s[opens[depth - 1]]) != s[i])
                return fail_at(f, i, "closing bracket does not match the opening one");
            depth--;
            sc->comma_close |= last_sig == ',';
            /* `(x)as f`: Black sets a blank before the keyword */
            sc->reform |= is_blank(s[i - 1]) ||
                          (i + 1 < n && bb_pyline_is_name_byte((unsigned char)s[i + 1]));
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
        case C_COLON:
            if (i + 1 < n && s[i + 1] == '=') { /* := is left as written */
                last_sig = '=';
                i += 2;
                continue;
            }
            annotated[depth] = true;
            /* a slice's blanks depend on its items: the slow path sets them */
            if (!depth || s[opens[depth - 1]] != '[' ||
                memmem(s + opens[depth - 1], i - opens[depth - 1], "lambda", 6))
                sc->reform = sc->reform || punct_spaced_otherwise(s, n, start, i);
            else
                sc->reform = true;
            break;
        case C_DIGIT:
            if (i > start && bb_pyline_is_name_byte((unsigned char)s[i - 1])) {
                while (i < n && bb_pyline_is_name_byte((unsigned char)s[i]))
                    i++; /* a name's digits */
            } else {
                size_t e = bb_pyline_number_end(s, n, i);
                sc->reform = sc->reform || (i > start && s[i - 1] == '.') ||
                             !bb_pyline_number_is_normal(s + i, e - i);
                i = e;
            }
            last_sig = s[i - 1];
            continue;
        case C_OPER: {
            size_t e = i + operator_len(s, n, i);
            sc->reform =
                sc->reform || operator_spaced_otherwise(s, n, start, i, e, depth, annotated[depth],
                                                        assigned, last_sig);
            assigned |= !depth && e - i == 1 && s[i] == '=';
            last_sig = s[e - 1];
            i = e;
            continue;
        }
        default: /* a comma */
            annotated[depth] = false;
            sc->reform = sc->reform || punct_spaced_otherwise(s, n, start, i);
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
    /* Black writes one blank between tokens, never two */
    sc->reform = sc->reform || has_double_blank(s + start, sc->code_end - start);
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
    /* Black 24 on: one blank line after the module's docstring (Black 23
     * keeps what was written, so one suits both) */
    if (f->after_module_doc) {
        *before = 1;
        return BB_OK;
    }
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
    f->after_module_doc = !f->have_prev && cur->is_triple_quoted && !cur->depth;
    f->prev = *cur;
    f->have_prev = true;
    f->prev_after = after;
    return BB_OK;
}

/* ---- statements ---------------------------------------------------------- */

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

/* The line of the code text[0..code) at depth, with sc's trailing comment
 * two spaces after it. */
static int put_line(fmt *f, const char *text, size_t code, const scan *sc, int depth)
{
    size_t indent = (size_t)4 * (size_t)depth;
    size_t cmt = sc->cmt != SIZE_MAX ? sc->cmt_end - sc->cmt : 0;
    size_t gap = cmt && code ? 2 : 0;
    char *p;
    int rc = bb_buf_extend(f->out, indent + code + gap + cmt + 1, &p);
    if (rc)
        return rc;
    memset(p, ' ', indent);
    memcpy(p + indent, text, code);
    memset(p + indent + code, ' ', gap);
    if (cmt)
        memcpy(p + indent + code + gap, f->src + sc->cmt, cmt);
    p[indent + code + gap + cmt] = '\n';
    return BB_OK;
}

/* A statement copied as it is: re-indented, its trailing comment two
 * spaces after the code. */
static int emit_fast(fmt *f, const scan *sc, int depth)
{
    return put_line(f, f->src + sc->start, sc->code_end - sc->start, sc, depth);
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

/* ---- docstrings ----------------------------------------------------------- */

static bool is_space_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r' || c == '\n';
}

/* s[a..b) without the whitespace at either end. */
static void strip_span(const char *s, size_t *a, size_t *b)
{
    while (*a < *b && is_space_byte(s[*a]))
        (*a)++;
    while (*b > *a && is_space_byte(s[*b - 1]))
        (*b)--;
}

/* A backslash, blanks, then a line break: Black leaves such a docstring. */
static bool has_backslash_newline(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\')
            continue;
        size_t k = i + 1;
        while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\f' || s[k] == '\r'))
            k++;
        if (k < n && s[k] == '\n')
            return true;
    }
    return false;
}

/*
 * The body of a multi-line docstring as Black's fix_docstring writes it
 * into out: the first line stripped, the others without their common
 * indentation and trailing blanks, indented for the block (a last line
 * kept even when empty, other empty lines emptied). BB_EINVAL when a tab
 * indents a line (left as it is).
 */
static int fix_docstring(const char *s, size_t n, size_t indent, bb_buf *out)
{
    size_t common = SIZE_MAX, a = 0, b, e;
    const char *nl = memchr(s, '\n', n);
    size_t first_end = nl ? (size_t)(nl - s) : n;
    int rc;
    for (size_t p = first_end + 1; p <= n && nl; p = e + 1) {
        const char *q = memchr(s + p, '\n', n - p);
        size_t k = p;
        e = q ? (size_t)(q - s) : n;
        for (; k < e && is_space_byte(s[k]); k++)
            if (s[k] == '\t')
                return BB_EINVAL;
        if (k < e && k - p < common) /* a line that is not blank */
            common = k - p;
        if (!q)
            break;
    }
    b = first_end;
    strip_span(s, &a, &b);
    if ((rc = bb_buf_append(out, s + a, b - a)) || common == SIZE_MAX)
        return rc;
    for (size_t p = first_end + 1; !rc && p <= n; p = e + 1) {
        const char *q = memchr(s + p, '\n', n - p);
        e = q ? (size_t)(q - s) : n;
        size_t from = p + common < e ? p + common : e, to = e;
        while (to > from && is_space_byte(s[to - 1]))
            to--;
        rc = bb_buf_putc(out, '\n');
        if (!rc && (to > from || !q))
            rc = bb_buf_fill(out, ' ', indent);
        if (!rc)
            rc = bb_buf_append(out, s + from, to - from);
        if (!q)
            break;
    }
    return rc;
}

/* The text of a docstring: fix_docstring's when it spans lines (of a
 * triple-quoted literal), else stripped. */
static int docstring_text(const char *body, size_t n, bool triple, size_t indent, bb_buf *out)
{
    size_t a = 0, b = n;
    if (triple && memchr(body, '\n', n))
        return fix_docstring(body, n, indent, out);
    strip_span(body, &a, &b);
    return bb_buf_append(out, body + a, b - a);
}

/*
 * A docstring (a string alone as the first statement of the file or of a
 * block) as Black writes it (linegen.visit_STRING): its text stripped, or
 * re-indented when it spans lines, padded where it would touch a quote,
 * its closing quotes on a line of their own when the last line is full.
 * *done false: not one Black rewrites, for the caller to emit.
 */
static int emit_docstring(fmt *f, const scan *sc, int depth, bool *done)
{
    const char *s = f->src + sc->start;
    size_t n = sc->code_end - sc->start, p = 0, ql, indent = (size_t)4 * (size_t)depth;
    bool nl = false;
    *done = false;
    while (p < n && p < 2 && strchr("rRuU", s[p]))
        p++;
    if (p >= n || (s[p] != '"' && s[p] != '\'') || bb_pyline_string_end(s, n, p, &nl) != n)
        return BB_OK;
    char q = s[p];
    ql = n - p >= 6 && s[p + 1] == q && s[p + 2] == q ? 3 : 1;
    if (n - p < 2 * ql || has_backslash_newline(s, n))
        return BB_OK;
    const char *body = s + p + ql;
    size_t blen = n - p - 2 * ql;
    /* most are one line already as Black writes them */
    if (blen && !memchr(body, '\n', blen) && !is_space_byte(body[0]) &&
        !is_space_byte(body[blen - 1]) && body[0] != q && body[blen - 1] != q &&
        body[blen - 1] != '\\')
        return BB_OK;
    bb_buf doc;
    bb_buf_init(&doc, f->out->max);
    int rc = docstring_text(body, blen, ql == 3, indent, &doc);
    if (rc) {
        bb_buf_free(&doc);
        return rc == BB_EINVAL ? BB_OK : rc;
    }
    /* a blank where the text would touch a quote or escape the closing one */
    size_t k = 0;
    while (k < doc.len && doc.data[doc.len - 1 - k] == '\\')
        k++;
    bool backslash = k % 2 == 1, pad_front = doc.len && doc.data[0] == q;
    bool pad_end = doc.len ? doc.data[doc.len - 1] == q || backslash : blen > 0;
    const char *last = doc.len ? memrchr(doc.data, '\n', doc.len) : NULL;
    size_t last_len =
        last ? bb_pyline_width(last + 1, (size_t)(doc.data + doc.len - last - 1)) + pad_end : 0;
    bool own_line = ql == 3 && last && last_len + 3 > f->ll && indent + 3 <= f->ll && !backslash;
    bb_buf lit; /* the literal as Black writes it */
    bb_buf_init(&lit, f->out->max);
    rc = bb_buf_append(&lit, s, p);
    if (!rc)
        rc = bb_buf_fill(&lit, q, ql);
    if (!rc)
        rc = bb_buf_fill(&lit, ' ', pad_front);
    if (!rc)
        rc = bb_buf_append(&lit, doc.data ? doc.data : "", doc.len);
    if (!rc)
        rc = bb_buf_fill(&lit, ' ', pad_end);
    if (!rc && own_line && !(rc = bb_buf_putc(&lit, '\n')))
        rc = bb_buf_fill(&lit, ' ', indent);
    if (!rc)
        rc = bb_buf_fill(&lit, q, ql);
    if (!rc)
        rc = put_line(f, lit.data, lit.len, sc, depth);
    bb_buf_free(&lit);
    bb_buf_free(&doc);
    *done = !rc;
    return rc;
}

/* A statement through Black's transforms (render/pyline). */
static int emit_slow(fmt *f, const scan *sc, int depth)
{
    size_t end = sc->cmt != SIZE_MAX ? sc->cmt_end : sc->code_end;
    int rc = bb_pyline_format(f->engine, f->out, f->src + sc->start, end - sc->start, 4 * depth);
    return rc == BB_EINVAL ? fail_at(f, sc->start, bb_pyline_refusal(f->engine)) : rc;
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
    if (!sc->multi && !sc->comma_close && !sc->reform &&
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
    if (n == 0) /* one statement: the line as it is */
        v[n++] = (piece){sc->start, sc->code_end, 0};
    for (size_t k = 0; k < n && !rc; k++) {
        scan one = *sc;
        one.start = v[k].start;
        one.code_end = v[k].end;
        /* A trailing comment stays with the last statement; after a last
         * `;`, it is a line of its own. */
        if (k + 1 < n || semi_last)
            one.cmt = SIZE_MAX;
        stmt_info(f, &one, depth + v[k].deeper, &li);
        bool doc = n == 1 && !sc->backslash && f->block_start;
        f->block_start = li.opens_block;
        if ((rc = begin_line(f, &li, k ? 0 : blank)))
            break;
        /* the import pass reads the statements found here, not the text */
        if (li.is_import && (rc = bb_buf_append(f->import_at, &f->out->len, sizeof(f->out->len))))
            break;
        bool done = false;
        if (doc && (rc = emit_docstring(f, &one, li.depth, &done)))
            break;
        if (!done)
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

/* ---- the pass ------------------------------------------------------------ */

static const char *const default_first_party[] = {"alembic", "app", "tests", NULL};

/* One Black pass over src into mid; *wants_normal tells whether a literal
 * may read otherwise once normalized (render/pystring); import_at gets
 * where the import statements start in mid. */
static int black_over(const char *path, const char *src, size_t len, unsigned ll, bb_diags *diags,
                      bb_buf *mid, bool *wants_normal, bb_buf *import_at)
{
    fmt f;
    int rc;
    memset(&f, 0, sizeof(f));
    f.path = path ? path : "<python>";
    f.src = src;
    f.len = len;
    f.ll = ll;
    f.diags = diags;
    if (!(f.engine = bb_pyline_new(f.ll)))
        return BB_ENOMEM;
    bb_buf_init(&f.prev_defs, mid->max);
    bb_buf_init(&f.indents, mid->max);
    f.out = mid;
    f.import_at = import_at;
    f.block_start = true; /* a docstring may open the file */
    bb_buf_reset(import_at);
    bb_pyline_set_versions(f.engine, detect_features, &f);
    rc = black_pass(&f);
    *wants_normal = f.wants_normal;
    bb_pyline_free(f.engine);
    bb_buf_free(&f.prev_defs);
    bb_buf_free(&f.indents);
    return rc;
}

int bb_pyfmt_format(const char *path, const char *src, size_t len, const bb_pyfmt_opts *o,
                    bb_buf *out, bb_diags *diags)
{
    unsigned ll = o && o->line_length ? o->line_length : BB_PYFMT_LINE;
    bool wants_normal = false;
    bb_buf mid, normal, import_at;
    bb_buf_init(&mid, out->max);
    bb_buf_init(&normal, out->max);
    bb_buf_init(&import_at, out->max);
    int rc = black_over(path, src, len, ll, diags, &mid, &wants_normal, &import_at);
    /* Normalized literals have other widths: a text they change is laid
     * out again. The built-in templates' never is. */
    if (!rc && wants_normal && !(rc = bb_pystring_normalize(src, len, &normal)) &&
        (normal.len != len || (len && memcmp(normal.data, src, len)))) {
        bb_buf_reset(&mid);
        rc = black_over(path, bb_buf_str(&normal), normal.len, ll, diags, &mid, &wants_normal,
                        &import_at);
    }
    if (!rc)
        rc = bb_pyimports_sort(
            bb_buf_str(&mid), mid.len, o && o->first_party ? o->first_party : default_first_party,
            ll, (const size_t *)(void *)import_at.data, import_at.len / sizeof(size_t), out);
    bb_buf_free(&mid);
    bb_buf_free(&normal);
    bb_buf_free(&import_at);
    return rc;
}
