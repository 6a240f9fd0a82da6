/*
 * pyfmt.c - Black's and isort's formatting of generated Python.
 *
 * The file is read one logical line (statement) at a time. A statement on
 * one physical line that fits and has no magic trailing comma is copied
 * (the fast path). Any other goes through a port of Black's linegen: its
 * tokens become leaves (with Black's invisible parentheses around the parts
 * a statement may wrap), and the transforms of black/linegen.py (rhs with
 * optional parentheses and omitted trailers, delimiter_split, lhs for
 * `def`) split it, recursively, as Black 23.1 does. Black's decisions that
 * need the parse tree (is a bracket a call or a display, is `*` unpacking
 * or a product, is `in` a comparison) are made from the neighbouring
 * tokens. Blank lines follow black/lines.py's EmptyLineTracker.
 *
 * The import block at the top is then rewritten as isort's black profile
 * prints it (see the isort section below).
 */
#include "render/pyfmt.h"

#include "base/arena.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A transform that does not apply (Black's CannotTransform/CannotSplit). */
#define CANNOT 1
/* Bracket nesting a statement may have (CPython's parser stops at 200). */
#define MAX_NEST 200
/* Memory one statement's lines may use. */
#define STMT_MAX ((size_t)64 << 20)

/* ---- tokens and leaves --------------------------------------------------- */

enum {
    LT_NAME,
    LT_NUMBER,
    LT_STRING,
    LT_COMMENT, /* a standalone comment inside brackets (Black's STANDALONE_COMMENT) */
    LT_LPAR,
    LT_LSQB,
    LT_LBRACE,
    LT_RPAR,
    LT_RSQB,
    LT_RBRACE,
    LT_COMMA,
    LT_DOT,
    LT_COLON,
    LT_SEMI,
    LT_EQUAL,
    LT_AUGASSIGN,
    LT_COLONEQUAL,
    LT_RARROW,
    LT_STAR,
    LT_DOUBLESTAR,
    LT_SLASH,
    LT_AT,
    LT_OP,
    LT_COMPARE,
    LT_ELLIPSIS,
    LT_BACKSLASH,
};

static bool is_open(int t)
{
    return t >= LT_LPAR && t <= LT_LBRACE;
}
static bool is_close(int t)
{
    return t >= LT_RPAR && t <= LT_RBRACE;
}

/* Black's delimiter priorities (black/brackets.py). */
enum {
    DOT_PRIORITY = 1,
    COMPARATOR_PRIORITY = 10,
    STRING_PRIORITY = 12,
    LOGIC_PRIORITY = 14,
    TERNARY_PRIORITY = 16,
    COMMA_PRIORITY = 18,
    COMPREHENSION_PRIORITY = 20,
};

/* Leaf flags: what Black reads from the parse tree. */
enum {
    F_ATOM = 1 << 0,       /* bracket of a display, a group or invisible parens */
    F_TRAILER = 1 << 1,    /* bracket of a call or a subscript */
    F_ARGCOMMA = 1 << 2,   /* comma of an argument or parameter list */
    F_VARARG_DEF = 1 << 3, /* `*`, `**` or `/` of a parameter list */
    F_VARARG_CALL = 1 << 4,
    F_ADDED = 1 << 5,     /* a comma Black added (it has no parent) */
    F_MULTILINE = 1 << 6, /* a string holding a newline */
    F_RETANN = 1 << 7,    /* invisible parens of a return annotation */
    F_INVIS = 1 << 8,     /* created invisible */
    F_UNARY = 1 << 9,     /* unary operator or unpacking star */
};

typedef struct leaf {
    const char *s;
    uint32_t n, w;  /* bytes, code points */
    int32_t match;  /* the matching bracket, -1 */
    int32_t depth;  /* Black's bracket_depth, as last marked */
    uint16_t flags; /* F_* */
    uint8_t type;   /* LT_* */
    uint8_t space;  /* a space before it (Black's prefix) */
    uint8_t space0; /* the same, as first computed */
    uint8_t bprio;  /* priority of a split before it */
} leaf;

typedef struct comment {
    const char *s;
    uint32_t n, w;
} comment;

/* A comment after a leaf of a line (Black's Line.comments). */
typedef struct anchor {
    int32_t leaf, c;
} anchor;

/*
 * Black's Line: leaves (indices), the comments after them, and what its
 * BracketTracker found when the leaves were marked.
 */
typedef struct bline {
    int32_t *lv;
    uint8_t *delim; /* delimiter priority of each position */
    anchor *cm;
    uint32_t n, cap, ncm, capcm;
    int depth;
    bool inside, split_rhs, magic, is_def, is_import;
    /* BracketTracker state */
    int bt_depth;
    int32_t bt_prev; /* position of the last marked leaf, -1 */
    int32_t *stack;  /* open brackets: leaf index */
    int32_t *stack_depth;
    uint32_t nstack;
    int32_t *for_depths, *lambda_depths;
    uint32_t nfor, nlambda;
    int32_t *invis; /* invisible brackets marked */
    uint32_t ninvis;
} line;

typedef struct linevec {
    line **v;
    size_t n, cap;
} linevec;

typedef struct features {
    bool tc_call, tc_def; /* trailing commas after *args in calls, defs */
    bool force_optional_parens;
} features;

/* A raw token of a statement. */
typedef struct rtok {
    uint32_t off, len;
    uint8_t type;
    uint8_t nl_before; /* a line break separates it from the previous token */
    uint8_t ws_before; /* blanks before it on its line */
    uint8_t wrap;      /* W_* marks from the statement analysis */
    int32_t match;
} rtok;

enum {
    W_OPEN = 1,   /* insert an invisible ( before */
    W_CLOSE = 2,  /* insert an invisible ) after */
    W_HIDE = 4,   /* a paren made invisible */
    W_DROP = 8,   /* a redundant paren removed */
    W_RETANN = 16 /* the invisible parens of a return annotation */
};

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
    features feat;
    /* the statement being formatted */
    rtok *tv;
    size_t nt, capt;
    leaf *lv;
    size_t nl, capl;
    comment *cv;
    size_t nc, capc;
    bb_arena arena;
    bb_buf s1, s2; /* scratch renderings */
    /* the EmptyLineTracker */
    bool have_prev;
    lineinfo prev;
    int prev_after;
    int prev_before;
    int32_t *prev_defs;
    size_t nprev_defs, capprev_defs;
    /* the semantic leading comment block: where its blank lines are */
    bool slc_set;
    size_t slc_off;
    int slc_before, slc_prev_after;
    bool slc_prev_is_class, slc_prev_opens_block, slc_has_prev;
    /* the indentation stack */
    size_t *indents;
    size_t nind, capind;
} fmt;

/* ---- small helpers ------------------------------------------------------- */

static uint32_t width_of(const char *s, size_t n)
{
    uint32_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
    size_t c;
    void *p;
    if (need <= *cap)
        return BB_OK;
    c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    p = bb_realloc(*v, c * size);
    if (!p)
        return BB_ENOMEM;
    *v = p;
    *cap = c;
    return BB_OK;
}

static bool word_is(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n == k && !memcmp(s, w, k);
}

static bool leaf_is(const fmt *f, int32_t i, const char *w)
{
    const leaf *l = &f->lv[i];
    return l->type == LT_NAME && word_is(l->s, l->n, w);
}

/* Python's keywords that are not operands (None, True, False are). */
static bool is_keyword(const char *s, size_t n)
{
    static const char *const kw[] = {
        "and",    "as",   "assert", "async",  "await",  "break",   "class",    "continue",
        "def",    "del",  "elif",   "else",   "except", "finally", "for",      "from",
        "global", "if",   "import", "in",     "is",     "lambda",  "nonlocal", "not",
        "or",     "pass", "raise",  "return", "try",    "while",   "with",     "yield"};
    for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
        if (word_is(s, n, kw[i]))
            return true;
    return false;
}

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
} scan;

enum { C_PLAIN, C_QUOTE, C_OPEN, C_CLOSE, C_HASH, C_NL, C_BSLASH, C_COMMA, C_BLANK };
static const unsigned char cclass[256] = {
    ['"'] = C_QUOTE, ['\''] = C_QUOTE, ['('] = C_OPEN,    ['['] = C_OPEN,
    ['{'] = C_OPEN,  [')'] = C_CLOSE,  [']'] = C_CLOSE,   ['}'] = C_CLOSE,
    ['#'] = C_HASH,  ['\n'] = C_NL,    ['\\'] = C_BSLASH, [','] = C_COMMA,
    [' '] = C_BLANK, ['\t'] = C_BLANK, ['\r'] = C_BLANK,  ['\f'] = C_BLANK,
};

/* Skips the string whose quote is at s[i]; returns the offset after it, or
 * SIZE_MAX when it is not terminated. *nl is set when it spans lines. */
static size_t skip_string(const char *s, size_t n, size_t i, bool *nl)
{
    char q = s[i];
    bool triple = i + 2 < n && s[i + 1] == q && s[i + 2] == q;
    i += triple ? 3 : 1;
    while (i < n) {
        char c = s[i];
        if (c == '\\') {
            if (i + 1 < n && s[i + 1] == '\n')
                *nl = true;
            i += 2;
            continue;
        }
        if (c == q) {
            if (!triple)
                return i + 1;
            if (i + 2 < n && s[i + 1] == q && s[i + 2] == q)
                return i + 3;
        } else if (c == '\n') {
            if (!triple)
                return SIZE_MAX;
            *nl = true;
        }
        i++;
    }
    return SIZE_MAX;
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
    char last_sig = 0;
    memset(sc, 0, sizeof(*sc));
    sc->start = start;
    sc->cmt = SIZE_MAX;
    sc->code_end = start;
    for (;;) {
        while (i < n && cclass[(unsigned char)s[i]] == C_PLAIN)
            i++;
        if (i > sc->code_end && (depth || sc->cmt == SIZE_MAX))
            last_sig = s[i - 1];
        if (i >= n) {
            if (depth)
                return fail_at(f, opens[depth - 1], "bracket is never closed");
            break;
        }
        switch (cclass[(unsigned char)s[i]]) {
        case C_QUOTE: {
            size_t q = i;
            bool nl = false;
            i = skip_string(s, n, i, &nl);
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
            last_sig = s[i];
            break;
        case C_CLOSE:
            if (!depth)
                return fail_at(f, i, "closing bracket does not match any opening one");
            if (closer_of(s[opens[depth - 1]]) != s[i])
                return fail_at(f, i, "closing bracket does not match the opening one");
            depth--;
            if (last_sig == ',')
                sc->comma_close = true;
            last_sig = s[i];
            break;
        case C_HASH: {
            size_t c = i;
            while (i < n && s[i] != '\n')
                i++;
            if (!depth) {
                size_t e = i;
                while (e > c && cclass[(unsigned char)s[e - 1]] == C_BLANK)
                    e--;
                sc->cmt = c;
                sc->cmt_end = e;
            }
            continue;
        }
        case C_BSLASH:
            if (i + 1 < n && s[i + 1] == '\n') {
                sc->backslash = sc->multi = true;
                i += 2;
                continue;
            }
            if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
                sc->backslash = sc->multi = true;
                i += 3;
                continue;
            }
            last_sig = '\\';
            break;
        case C_NL:
            if (!depth)
                goto done;
            sc->multi = true;
            break;
        case C_COMMA:
            last_sig = ',';
            break;
        default: /* blanks */
            break;
        }
        i++;
        if (depth == 0 && sc->cmt == SIZE_MAX)
            sc->code_end = i;
    }
done:
    /* the code ends before the comment; trim blanks */
    {
        size_t e = sc->cmt != SIZE_MAX ? sc->cmt : i;
        while (e > start && cclass[(unsigned char)s[e - 1]] == C_BLANK)
            e--;
        sc->code_end = e;
    }
    sc->next = i < n ? i + 1 : n;
    return BB_OK;
}

/* ---- lexing a statement into raw tokens ---------------------------------- */

static bool is_name_byte(unsigned char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c >= 0x80;
}

/* Whether s[0..n) is a string prefix (r, b, u, f and their pairs). */
static bool is_string_prefix(const char *s, size_t n)
{
    if (n == 0 || n > 2)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = (char)(s[i] | 0x20);
        if (c != 'r' && c != 'b' && c != 'u' && c != 'f')
            return false;
    }
    return true;
}

typedef struct opdef {
    const char *text;
    uint8_t type;
} opdef;

/* Longest first. */
static const opdef ops[] = {
    {"**=", LT_AUGASSIGN}, {"//=", LT_AUGASSIGN}, {">>=", LT_AUGASSIGN}, {"<<=", LT_AUGASSIGN},
    {"...", LT_ELLIPSIS},  {"->", LT_RARROW},     {":=", LT_COLONEQUAL}, {"**", LT_DOUBLESTAR},
    {"//", LT_OP},         {">>", LT_OP},         {"<<", LT_OP},         {"<=", LT_COMPARE},
    {">=", LT_COMPARE},    {"==", LT_COMPARE},    {"!=", LT_COMPARE},    {"<>", LT_COMPARE},
    {"+=", LT_AUGASSIGN},  {"-=", LT_AUGASSIGN},  {"*=", LT_AUGASSIGN},  {"/=", LT_AUGASSIGN},
    {"%=", LT_AUGASSIGN},  {"&=", LT_AUGASSIGN},  {"|=", LT_AUGASSIGN},  {"^=", LT_AUGASSIGN},
    {"@=", LT_AUGASSIGN},  {"(", LT_LPAR},        {"[", LT_LSQB},        {"{", LT_LBRACE},
    {")", LT_RPAR},        {"]", LT_RSQB},        {"}", LT_RBRACE},      {",", LT_COMMA},
    {".", LT_DOT},         {":", LT_COLON},       {";", LT_SEMI},        {"=", LT_EQUAL},
    {"*", LT_STAR},        {"/", LT_SLASH},       {"@", LT_AT},          {"<", LT_COMPARE},
    {">", LT_COMPARE},     {"+", LT_OP},          {"-", LT_OP},          {"%", LT_OP},
    {"&", LT_OP},          {"|", LT_OP},          {"^", LT_OP},          {"~", LT_OP},
    {"!", LT_OP},
};

static int push_tok(fmt *f, size_t off, size_t len, int type, bool nl, bool ws)
{
    rtok *t;
    if (grow((void **)&f->tv, &f->capt, f->nt + 1, sizeof(rtok)))
        return BB_ENOMEM;
    t = &f->tv[f->nt++];
    t->off = (uint32_t)off;
    t->len = (uint32_t)len;
    t->type = (uint8_t)type;
    t->nl_before = nl;
    t->ws_before = ws;
    t->wrap = 0;
    t->match = -1;
    return BB_OK;
}

/* The tokens of the (already scanned, valid) statement s[a..b). Comments
 * are tokens of type LT_COMMENT. */
static int lex(fmt *f, size_t a, size_t b)
{
    const char *s = f->src;
    size_t i = a;
    bool nl = false, ws = false;
    int32_t stack[MAX_NEST];
    size_t depth = 0;
    f->nt = 0;
    while (i < b) {
        unsigned char c = (unsigned char)s[i];
        size_t st = i;
        int type = -1;
        if (c == ' ' || c == '\t' || c == '\f' || c == '\r') {
            ws = true;
            i++;
            continue;
        }
        if (c == '\n') {
            nl = true;
            ws = false;
            i++;
            continue;
        }
        if (c == '\\' && i + 1 < b && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
            i += s[i + 1] == '\r' ? 3 : 2;
            nl = true;
            continue;
        }
        if (c == '#') {
            while (i < b && s[i] != '\n')
                i++;
            while (i > st && (s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\r'))
                i--;
            type = LT_COMMENT;
        } else if (c == '"' || c == '\'') {
            bool m = false;
            i = skip_string(s, b, i, &m);
            type = LT_STRING;
        } else if ((c >= '0' && c <= '9') ||
                   (c == '.' && i + 1 < b && s[i + 1] >= '0' && s[i + 1] <= '9')) {
            while (i < b && (is_name_byte((unsigned char)s[i]) || s[i] == '.' ||
                             ((s[i] == '+' || s[i] == '-') && (s[i - 1] | 0x20) == 'e' &&
                              !(s[st] == '0' && i > st + 1 && (s[st + 1] | 0x20) == 'x'))))
                i++;
            type = LT_NUMBER;
        } else if (is_name_byte(c)) {
            while (i < b && is_name_byte((unsigned char)s[i]))
                i++;
            if (i < b && (s[i] == '"' || s[i] == '\'') && is_string_prefix(s + st, i - st)) {
                bool m = false;
                i = skip_string(s, b, i, &m);
                type = LT_STRING;
            } else {
                type = LT_NAME;
            }
        } else {
            for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
                size_t m = strlen(ops[k].text);
                if (i + m <= b && !memcmp(s + i, ops[k].text, m)) {
                    type = ops[k].type;
                    i += m;
                    break;
                }
            }
            if (type < 0) {
                type = c == '\\' ? LT_BACKSLASH : LT_OP;
                i++;
            }
        }
        if (push_tok(f, st, i - st, type, nl, ws))
            return BB_ENOMEM;
        if (is_open(type) && depth < MAX_NEST) {
            stack[depth++] = (int32_t)(f->nt - 1);
        } else if (is_close(type) && depth) {
            int32_t o = stack[--depth];
            f->tv[o].match = (int32_t)(f->nt - 1);
            f->tv[f->nt - 1].match = o;
        }
        nl = ws = false;
    }
    return BB_OK;
}

/* ---- the statement's invisible parentheses ------------------------------- */

/* The index of the next code token (not a comment) at or after i, or end. */
static size_t next_code(const fmt *f, size_t i, size_t end)
{
    while (i < end && f->tv[i].type == LT_COMMENT)
        i++;
    return i;
}

static bool tok_is(const fmt *f, size_t i, const char *w)
{
    return f->tv[i].type == LT_NAME && word_is(f->src + f->tv[i].off, f->tv[i].len, w);
}

/* Black's max_delimiter_priority_in_atom, reduced to what matters here:
 * whether the parens at o hold a comma or a comprehension at their top. */
static bool atom_has_comma(const fmt *f, size_t o)
{
    size_t c = (size_t)f->tv[o].match;
    int depth = 0;
    for (size_t i = o + 1; i < c; i++) {
        const rtok *t = &f->tv[i];
        if (is_open(t->type))
            depth++;
        else if (is_close(t->type))
            depth--;
        else if (depth == 0 && (t->type == LT_COMMA || tok_is(f, i, "for")))
            return true;
        else if (depth == 0 && tok_is(f, i, "lambda")) {
            /* a lambda's parameters are not the atom's commas */
            while (i < c && f->tv[i].type != LT_COLON)
                i++;
        }
    }
    return false;
}

/* Whether the parens at o may become invisible (maybe_make_parens_invisible_in_atom). */
static bool parens_removable(const fmt *f, size_t o, bool remove_around_comma)
{
    size_t c = (size_t)f->tv[o].match;
    size_t first = next_code(f, o + 1, c);
    if (first == c)
        return false; /* () */
    if (tok_is(f, first, "yield"))
        return false;
    for (size_t i = o + 1; i < c; i++)
        if (f->tv[i].type == LT_COLONEQUAL)
            return false; /* a walrus keeps its parens */
    if (!remove_around_comma && atom_has_comma(f, o))
        return false;
    if (remove_around_comma) {
        /* a one-tuple keeps them */
        size_t last = c - 1;
        if (f->tv[last].type == LT_COMMA) {
            int commas = 0, depth = 0;
            for (size_t i = o + 1; i < c; i++) {
                if (is_open(f->tv[i].type))
                    depth++;
                else if (is_close(f->tv[i].type))
                    depth--;
                else if (!depth && f->tv[i].type == LT_COMMA)
                    commas++;
            }
            if (commas == 1)
                return false;
        }
    }
    return true;
}

/*
 * Black's normalize_invisible_parens for the child tokens [a, b): parens
 * around the whole child become invisible when redundant, else the child
 * is wrapped in invisible parens.
 */
static void wrap_child(fmt *f, size_t a, size_t b, bool remove_around_comma, uint8_t extra)
{
    size_t first = next_code(f, a, b), last = b;
    while (last > first && f->tv[last - 1].type == LT_COMMENT)
        last--;
    if (first >= last)
        return;
    if (f->tv[first].type == LT_LPAR && (size_t)f->tv[first].match == last - 1) {
        if (!parens_removable(f, first, remove_around_comma))
            return;
        f->tv[first].wrap |= (uint8_t)(W_HIDE | extra);
        f->tv[last - 1].wrap |= (uint8_t)(W_HIDE | extra);
        /* redundant parens inside become invisible too and go away */
        for (size_t o = first + 1; f->tv[o].type == LT_LPAR && (size_t)f->tv[o].match == last - 2 &&
                                   parens_removable(f, o, false);
             o++, last--) {
            f->tv[o].wrap |= W_DROP;
            f->tv[last - 2].wrap |= W_DROP;
        }
        return;
    }
    if (first + 1 == last && f->tv[first].type == LT_STRING) {
        const char *s = f->src + f->tv[first].off;
        if (memchr(s, '\n', f->tv[first].len))
            return; /* a multiline string is not wrapped */
    }
    f->tv[first].wrap |= (uint8_t)(W_OPEN | extra);
    f->tv[last - 1].wrap |= (uint8_t)(W_CLOSE | extra);
}

/* The index of the next token at depth 0 of [i, b) for which pred holds. */
static size_t find_top(const fmt *f, size_t i, size_t b, bool (*pred)(const fmt *, size_t))
{
    while (i < b) {
        const rtok *t = &f->tv[i];
        if (is_open(t->type) && t->match > (int32_t)i) {
            i = (size_t)t->match + 1;
            continue;
        }
        if (pred(f, i))
            return i;
        i++;
    }
    return b;
}

static bool p_comma(const fmt *f, size_t i)
{
    return f->tv[i].type == LT_COMMA;
}
static bool p_colon(const fmt *f, size_t i)
{
    return f->tv[i].type == LT_COLON;
}
static bool p_in(const fmt *f, size_t i)
{
    return tok_is(f, i, "in");
}
static bool p_as_or_colon(const fmt *f, size_t i)
{
    return tok_is(f, i, "as") || f->tv[i].type == LT_COLON;
}
static bool p_rarrow(const fmt *f, size_t i)
{
    return f->tv[i].type == LT_RARROW;
}
static bool p_import(const fmt *f, size_t i)
{
    return tok_is(f, i, "import");
}
static bool p_assign(const fmt *f, size_t i)
{
    return f->tv[i].type == LT_EQUAL || f->tv[i].type == LT_AUGASSIGN || tok_is(f, i, "lambda");
}

/* The last code token of [a, b) is a colon: the statement opens a block. */
static size_t block_colon(const fmt *f, size_t a, size_t b)
{
    while (b > a && f->tv[b - 1].type == LT_COMMENT)
        b--;
    return b > a && f->tv[b - 1].type == LT_COLON ? b - 1 : SIZE_MAX;
}

/* Marks where the statement's invisible parens go (linegen's visit_stmt). */
static void mark_invisible_parens(fmt *f)
{
    size_t n = f->nt, s = next_code(f, 0, n), c;
    if (s < n && tok_is(f, s, "async"))
        s = next_code(f, s + 1, n);
    if (s >= n)
        return;
    if (tok_is(f, s, "return") || tok_is(f, s, "del")) {
        wrap_child(f, s + 1, n, false, 0);
    } else if (tok_is(f, s, "assert")) {
        size_t k = find_top(f, s + 1, n, p_comma);
        wrap_child(f, s + 1, k, false, 0);
        if (k < n)
            wrap_child(f, k + 1, n, false, 0);
    } else if (tok_is(f, s, "if") || tok_is(f, s, "elif") || tok_is(f, s, "while")) {
        if ((c = block_colon(f, s, n)) != SIZE_MAX && find_top(f, s + 1, n, p_colon) == c)
            wrap_child(f, s + 1, c, false, 0);
    } else if (tok_is(f, s, "for")) {
        size_t k = find_top(f, s + 1, n, p_in);
        if ((c = block_colon(f, s, n)) != SIZE_MAX && k < c) {
            wrap_child(f, s + 1, k, true, 0);
            wrap_child(f, k + 1, c, false, 0);
        }
    } else if (tok_is(f, s, "except")) {
        size_t k = find_top(f, s + 1, n, p_as_or_colon);
        wrap_child(f, s + 1, k, false, 0);
    } else if (tok_is(f, s, "def")) {
        size_t k = find_top(f, s + 1, n, p_rarrow);
        if (k < n && (c = block_colon(f, k, n)) != SIZE_MAX)
            wrap_child(f, k + 1, c, false, W_RETANN);
    } else if (tok_is(f, s, "from")) {
        size_t k = find_top(f, s + 1, n, p_import), e = n;
        while (e > k && f->tv[e - 1].type == LT_COMMENT)
            e--;
        if (k + 1 < e && f->tv[k + 1].type == LT_LPAR && (size_t)f->tv[k + 1].match == e - 1) {
            f->tv[k + 1].wrap |= W_HIDE;
            f->tv[e - 1].wrap |= W_HIDE;
        } else if (k + 1 < e && !(f->tv[k + 1].type == LT_STAR && k + 2 == e)) {
            wrap_child(f, k + 1, e, false, 0);
        }
    } else if (!tok_is(f, s, "class") && !tok_is(f, s, "with") && !tok_is(f, s, "import") &&
               f->tv[s].type != LT_AT) {
        /* an assignment: the child after each `=` (and a tuple target) */
        size_t k = find_top(f, s, n, p_assign), prev;
        if (k >= n || tok_is(f, k, "lambda"))
            return;
        if (find_top(f, s, k, p_comma) < k && find_top(f, s, k, p_colon) == k)
            wrap_child(f, s, k, false, 0);
        while (k < n) {
            prev = k;
            k = find_top(f, k + 1, n, p_assign);
            if (k < n && tok_is(f, k, "lambda"))
                k = n;
            wrap_child(f, prev + 1, k, false, 0);
        }
    }
}

/* ---- leaves of a statement ----------------------------------------------- */

static int push_leaf(fmt *f, const char *s, size_t n, int type, bool space, uint16_t flags)
{
    leaf *l;
    if (grow((void **)&f->lv, &f->capl, f->nl + 1, sizeof(leaf)))
        return BB_ENOMEM;
    l = &f->lv[f->nl++];
    l->s = s;
    l->n = (uint32_t)n;
    l->w = width_of(s, n);
    l->match = -1;
    l->depth = 0;
    l->flags = flags;
    l->type = (uint8_t)type;
    l->space = l->space0 = space;
    l->bprio = 0;
    return BB_OK;
}

static int push_comment(fmt *f, const char *s, size_t n)
{
    comment *c;
    if (grow((void **)&f->cv, &f->capc, f->nc + 1, sizeof(comment)))
        return BB_ENOMEM;
    c = &f->cv[f->nc++];
    c->s = s;
    c->n = (uint32_t)n;
    c->w = width_of(s, n);
    return BB_OK;
}

/* The space before a token in the joined statement: as written on its own
 * line; across a line break as Black would put it. */
static bool join_space(const fmt *f, size_t i)
{
    const rtok *t = &f->tv[i];
    size_t p = i;
    if (i == 0)
        return false;
    if (!t->nl_before)
        return t->ws_before;
    while (p > 0 && f->tv[p - 1].type == LT_COMMENT)
        p--;
    if (p == 0)
        return false;
    if (is_open(f->tv[p - 1].type) || is_close(t->type) || t->type == LT_COMMA)
        return false;
    if (t->type == LT_DOT && is_close(f->tv[p - 1].type))
        return false;
    return true;
}

/* Whether a leaf ends an operand (so a following +, -, * is binary). */
static bool ends_operand(const fmt *f, int32_t i)
{
    const leaf *l;
    if (i < 0)
        return false;
    l = &f->lv[i];
    if (l->type == LT_NAME)
        return !is_keyword(l->s, l->n);
    return l->type == LT_NUMBER || l->type == LT_STRING || is_close(l->type) ||
           l->type == LT_ELLIPSIS;
}

static uint8_t math_priority(const leaf *l)
{
    if (l->type == LT_DOUBLESTAR)
        return 2;
    if (l->type == LT_STAR || l->type == LT_SLASH || l->type == LT_AT)
        return 4;
    if (l->type != LT_OP)
        return 0;
    switch (l->s[0]) {
    case '|':
        return 9;
    case '^':
        return 8;
    case '&':
        return 7;
    case '<':
    case '>':
        return 6;
    case '+':
    case '-':
        return 5;
    case '/':
    case '%':
        return 4;
    default: /* ~ and ! are never binary */
        return 0;
    }
}

/*
 * The flags and split priorities of the statement's leaves: which bracket
 * is a call, which star unpacks, which `in` ends a for target; Black reads
 * these from the parse tree (is_split_before_delimiter, is_vararg).
 */
static void classify_leaves(fmt *f, bool import_stmt)
{
    int32_t stack[MAX_NEST + 2];
    uint8_t kind[MAX_NEST + 2]; /* 0 atom, 1 call, 2 def params, 3 subscript */
    bool comp[MAX_NEST + 2];    /* a comprehension `for` seen at this level */
    int32_t fors[MAX_NEST + 2]; /* nesting level of each open `for` target */
    size_t depth = 0, nfor = 0;
    int32_t prev = -1;
    comp[0] = false;
    kind[0] = 0;
    for (int32_t i = 0; i < (int32_t)f->nl; i++) {
        leaf *l = &f->lv[i];
        if (l->type == LT_COMMENT)
            continue;
        if (is_open(l->type)) {
            uint8_t k = 0;
            if (l->flags & F_INVIS) {
                k = 0;
            } else if (l->type == LT_LPAR && prev >= 1 && f->lv[prev].type == LT_NAME &&
                       (leaf_is(f, prev - 1, "def") || leaf_is(f, prev - 1, "class"))) {
                k = leaf_is(f, prev - 1, "def") ? 2 : 1;
            } else if (prev >= 0 && ends_operand(f, prev)) {
                k = l->type == LT_LPAR ? 1 : l->type == LT_LSQB ? 3 : 0;
            }
            if (import_stmt && l->type == LT_LPAR)
                k = 0;
            if (k == 1 || k == 3)
                l->flags |= F_TRAILER;
            else if (k == 0)
                l->flags |= F_ATOM;
            if (depth < MAX_NEST + 1) {
                stack[depth] = i;
                depth++;
                kind[depth] = k;
                comp[depth] = false;
            }
        } else if (is_close(l->type)) {
            if (depth) {
                int32_t o = stack[--depth];
                l->match = o;
                f->lv[o].match = i;
                l->flags |= f->lv[o].flags & (F_TRAILER | F_ATOM);
                while (nfor && fors[nfor - 1] > (int32_t)depth)
                    nfor--;
            }
        } else if (l->type == LT_COMMA) {
            if (depth && (kind[depth] == 1 || kind[depth] == 2) &&
                f->lv[stack[depth - 1]].type == LT_LPAR)
                l->flags |= F_ARGCOMMA;
        } else if (l->type == LT_STAR || l->type == LT_DOUBLESTAR ||
                   (l->type == LT_SLASH && depth && kind[depth] == 2)) {
            bool unary = !ends_operand(f, prev);
            if (l->type == LT_SLASH)
                unary = prev >= 0 && (f->lv[prev].type == LT_COMMA || is_open(f->lv[prev].type));
            if (unary) {
                l->flags |= F_UNARY;
                if (depth && kind[depth] == 2)
                    l->flags |= F_VARARG_DEF;
                else if (depth && kind[depth] == 1 && f->lv[stack[depth - 1]].type == LT_LPAR)
                    l->flags |= F_VARARG_CALL;
            } else {
                l->bprio = math_priority(l);
            }
        } else if (l->type == LT_OP || l->type == LT_AT) {
            if (ends_operand(f, prev))
                l->bprio = math_priority(l);
            else
                l->flags |= F_UNARY;
        } else if (l->type == LT_COMPARE) {
            l->bprio = COMPARATOR_PRIORITY;
        } else if (l->type == LT_DOT) {
            if (!import_stmt && prev >= 0 && is_close(f->lv[prev].type))
                l->bprio = DOT_PRIORITY;
        } else if (l->type == LT_STRING) {
            if (prev >= 0 && f->lv[prev].type == LT_STRING)
                l->bprio = STRING_PRIORITY;
        } else if (l->type == LT_NAME) {
            if (word_is(l->s, l->n, "for")) {
                if (depth && prev >= 0 && !leaf_is(f, prev, "async")) {
                    l->bprio = COMPREHENSION_PRIORITY;
                    comp[depth] = true;
                }
                if (nfor < MAX_NEST + 1)
                    fors[nfor++] = (int32_t)depth;
            } else if (word_is(l->s, l->n, "async")) {
                if (depth && i + 1 < (int32_t)f->nl && leaf_is(f, i + 1, "for"))
                    l->bprio = COMPREHENSION_PRIORITY;
            } else if (word_is(l->s, l->n, "in")) {
                if (nfor && fors[nfor - 1] == (int32_t)depth)
                    nfor--; /* the `in` of a for: not a comparison */
                else if (!(prev >= 0 && leaf_is(f, prev, "not")))
                    l->bprio = COMPARATOR_PRIORITY;
            } else if (word_is(l->s, l->n, "if")) {
                if (prev >= 0)
                    l->bprio = depth && comp[depth] ? COMPREHENSION_PRIORITY : TERNARY_PRIORITY;
            } else if (word_is(l->s, l->n, "else")) {
                if (prev >= 0)
                    l->bprio = TERNARY_PRIORITY;
            } else if (word_is(l->s, l->n, "is")) {
                l->bprio = COMPARATOR_PRIORITY;
            } else if (word_is(l->s, l->n, "not")) {
                if (i + 1 < (int32_t)f->nl && leaf_is(f, i + 1, "in") &&
                    !(prev >= 0 && leaf_is(f, prev, "is")))
                    l->bprio = COMPARATOR_PRIORITY;
            } else if (word_is(l->s, l->n, "and") || word_is(l->s, l->n, "or")) {
                l->bprio = LOGIC_PRIORITY;
            }
        }
        prev = i;
    }
}

/* The multiline flag and widths of a string leaf. */
static void string_flags(leaf *l)
{
    if (l->type == LT_STRING && memchr(l->s, '\n', l->n))
        l->flags |= F_MULTILINE;
}

/*
 * Turns the statement's tokens into leaves: invisible parens inserted,
 * redundant ones hidden or dropped, spaces as Black's whitespace() gives
 * them for code that is already spaced as Black spaces it. Standalone
 * comments inside brackets become leaves; trailing ones go to *trail
 * (index of the leaf they follow and of the comment).
 */
static int build_leaves(fmt *f, anchor *trail, size_t *ntrail, size_t maxtrail)
{
    static const char *const invisible = "";
    size_t n = f->nt;
    bool pending_space = false;
    f->nl = 0;
    f->nc = 0;
    *ntrail = 0;
    for (size_t i = 0; i < n; i++) {
        rtok *t = &f->tv[i];
        const char *s = f->src + t->off;
        bool sp = join_space(f, i);
        if (t->type == LT_COMMENT) {
            bool trailing = !t->nl_before && f->nl > 0;
            if (push_comment(f, s, t->len))
                return BB_ENOMEM;
            if (trailing) {
                if (*ntrail < maxtrail) {
                    trail[*ntrail].leaf = (int32_t)f->nl - 1;
                    trail[*ntrail].c = (int32_t)f->nc - 1;
                    (*ntrail)++;
                }
            } else if (push_leaf(f, s, t->len, LT_COMMENT, false, 0)) {
                return BB_ENOMEM;
            } else {
                f->lv[f->nl - 1].w = f->cv[f->nc - 1].w;
            }
            continue;
        }
        if (t->wrap & W_DROP) {
            pending_space |= sp;
            continue;
        }
        sp |= pending_space;
        pending_space = false;
        if (t->wrap & W_OPEN) {
            if (push_leaf(f, invisible, 0, LT_LPAR, sp,
                          F_INVIS | ((t->wrap & W_RETANN) ? F_RETANN : 0)))
                return BB_ENOMEM;
            sp = false;
        }
        if (t->wrap & W_HIDE) {
            if (push_leaf(f, invisible, 0, t->type, sp,
                          F_INVIS | ((t->wrap & W_RETANN) ? F_RETANN : 0)))
                return BB_ENOMEM;
        } else {
            if (push_leaf(f, s, t->len, t->type, sp, 0))
                return BB_ENOMEM;
            string_flags(&f->lv[f->nl - 1]);
        }
        if (t->wrap & W_CLOSE) {
            if (push_leaf(f, invisible, 0, LT_RPAR, false,
                          F_INVIS | ((t->wrap & W_RETANN) ? F_RETANN : 0)))
                return BB_ENOMEM;
        }
    }
    return BB_OK;
}

/* ---- Black's Line -------------------------------------------------------- */

static line *line_new(fmt *f, size_t cap, int depth, bool inside)
{
    line *l = bb_arena_alloc(&f->arena, sizeof(line));
    if (!l)
        return NULL;
    cap = cap ? cap : 1;
    l->lv = bb_arena_alloc_bytes(&f->arena, cap * sizeof(int32_t));
    l->delim = bb_arena_alloc(&f->arena, cap);
    l->stack = bb_arena_alloc_bytes(&f->arena, (cap + 1) * sizeof(int32_t));
    l->stack_depth = bb_arena_alloc_bytes(&f->arena, (cap + 1) * sizeof(int32_t));
    l->for_depths = bb_arena_alloc_bytes(&f->arena, (cap + 1) * sizeof(int32_t));
    l->lambda_depths = bb_arena_alloc_bytes(&f->arena, (cap + 1) * sizeof(int32_t));
    l->invis = bb_arena_alloc_bytes(&f->arena, (cap + 1) * sizeof(int32_t));
    if (!l->lv || !l->delim || !l->stack || !l->stack_depth || !l->for_depths ||
        !l->lambda_depths || !l->invis)
        return NULL;
    l->cap = (uint32_t)cap;
    l->depth = depth;
    l->inside = inside;
    l->bt_prev = -1;
    return l;
}

/* Black's is_one_sequence_between: the brackets hold one item and its comma. */
static bool one_sequence_between(const fmt *f, const line *ln, int32_t open, int32_t close,
                                 int open_type)
{
    int32_t depth;
    uint32_t k = 0;
    int commas = 0;
    if (f->lv[open].type != open_type || f->lv[close].type != open_type + 3)
        return false;
    depth = f->lv[close].depth + 1;
    while (k < ln->n && ln->lv[k] != open)
        k++;
    if (k == ln->n)
        return false;
    for (k++; k < ln->n && ln->lv[k] != close; k++) {
        const leaf *x = &f->lv[ln->lv[k]];
        if (x->depth == depth && x->type == LT_COMMA) {
            commas++;
            if (x->flags & F_ARGCOMMA) {
                commas++;
                break;
            }
        }
    }
    return commas < 2;
}

static bool has_magic_trailing_comma(const fmt *f, const line *ln, int32_t closing)
{
    const leaf *c = &f->lv[closing];
    if (!is_close(c->type) || ln->n == 0 || f->lv[ln->lv[ln->n - 1]].type != LT_COMMA)
        return false;
    if (c->type == LT_RBRACE)
        return true;
    if (c->type == LT_RSQB) {
        if ((c->flags & F_TRAILER) && c->match >= 0 &&
            one_sequence_between(f, ln, c->match, closing, LT_LSQB))
            return false;
        return true;
    }
    if (ln->is_import)
        return true;
    return c->match >= 0 && !one_sequence_between(f, ln, c->match, closing, LT_LPAR);
}

/* BracketTracker.mark for the leaf about to take position pos. */
static void mark(fmt *f, line *ln, uint32_t pos)
{
    int32_t li = ln->lv[pos];
    leaf *l = &f->lv[li];
    if (ln->bt_depth == 0 && is_close(l->type))
        return; /* a closing bracket whose opening is on an earlier line */
    if (ln->nfor && ln->for_depths[ln->nfor - 1] == ln->bt_depth && leaf_is(f, li, "in")) {
        ln->bt_depth--;
        ln->nfor--;
    }
    if (ln->nlambda && ln->lambda_depths[ln->nlambda - 1] == ln->bt_depth && l->type == LT_COLON) {
        ln->bt_depth--;
        ln->nlambda--;
    }
    if (is_close(l->type)) {
        ln->bt_depth--;
        if (ln->nstack)
            ln->nstack--;
        if (l->n == 0)
            ln->invis[ln->ninvis++] = li;
    }
    l->depth = ln->bt_depth;
    if (ln->bt_depth == 0) {
        if (l->bprio && ln->bt_prev >= 0)
            ln->delim[ln->bt_prev] = l->bprio;
        else if (l->type == LT_COMMA)
            ln->delim[pos] = COMMA_PRIORITY;
    }
    if (is_open(l->type)) {
        ln->stack[ln->nstack++] = li;
        ln->bt_depth++;
        if (l->n == 0)
            ln->invis[ln->ninvis++] = li;
    }
    ln->bt_prev = (int32_t)pos;
    if (leaf_is(f, li, "lambda")) {
        ln->bt_depth++;
        ln->lambda_depths[ln->nlambda++] = ln->bt_depth;
    }
    if (leaf_is(f, li, "for")) {
        ln->bt_depth++;
        ln->for_depths[ln->nfor++] = ln->bt_depth;
    }
}

/* Line.append: track marks the leaf (Black: inside_brackets, not
 * preformatted or track_bracket). */
static void line_append(fmt *f, line *ln, int32_t li, bool track)
{
    uint32_t pos = ln->n;
    if (pos == 0) {
        ln->is_import = leaf_is(f, li, "import") || leaf_is(f, li, "from");
        ln->is_def = leaf_is(f, li, "def");
    } else if (pos == 1 && leaf_is(f, ln->lv[0], "async") && leaf_is(f, li, "def")) {
        ln->is_def = true;
    }
    ln->lv[pos] = li;
    ln->delim[pos] = 0;
    if (track) {
        mark(f, ln, pos);
        if (has_magic_trailing_comma(f, ln, li))
            ln->magic = true;
    }
    ln->n = pos + 1;
}

static int line_add_comment(fmt *f, line *ln, int32_t anchor_leaf, int32_t c)
{
    if (ln->ncm == ln->capcm) {
        uint32_t cap = ln->capcm ? 2 * ln->capcm : 4;
        anchor *v = bb_arena_alloc_bytes(&f->arena, cap * sizeof(anchor));
        if (!v)
            return BB_ENOMEM;
        if (ln->ncm)
            memcpy(v, ln->cm, ln->ncm * sizeof(anchor));
        ln->cm = v;
        ln->capcm = cap;
    }
    ln->cm[ln->ncm].leaf = anchor_leaf;
    ln->cm[ln->ncm].c = c;
    ln->ncm++;
    return BB_OK;
}

/* Line.append_comment: a comment goes after the line's last leaf (after
 * the leaf that invisible parens wrap, when they wrap one leaf). */
static int line_attach(fmt *f, line *ln, int32_t c)
{
    int32_t last;
    if (ln->n == 0)
        return BB_OK;
    last = ln->lv[ln->n - 1];
    if (f->lv[last].type == LT_RPAR && f->lv[last].n == 0 && f->lv[last].match == last - 2 &&
        ln->n >= 2)
        last = ln->lv[ln->n - 2];
    return line_add_comment(f, ln, last, c);
}

/* Appends the comments that follow leaf li in `from` to ln. */
static int copy_comments_after(fmt *f, const line *from, int32_t li, line *ln)
{
    for (uint32_t k = 0; k < from->ncm; k++)
        if (from->cm[k].leaf == li) {
            int rc = line_attach(f, ln, from->cm[k].c);
            if (rc)
                return rc;
        }
    return BB_OK;
}

static uint32_t comments_width_after(const fmt *f, const line *ln, int32_t li)
{
    uint32_t w = 0;
    for (uint32_t k = 0; k < ln->ncm; k++)
        if (ln->cm[k].leaf == li)
            w += f->cv[ln->cm[k].c].w;
    return w;
}

static bool line_multiline_strings(const fmt *f, const line *ln)
{
    for (uint32_t k = 0; k < ln->n; k++)
        if (f->lv[ln->lv[k]].flags & F_MULTILINE)
            return true;
    return false;
}

static bool line_standalone_comments(const fmt *f, const line *ln, int32_t depth_limit)
{
    for (uint32_t k = 0; k < ln->n; k++) {
        const leaf *l = &f->lv[ln->lv[k]];
        if (l->type == LT_COMMENT && l->depth <= depth_limit)
            return true;
    }
    return false;
}

static bool line_is_comment(const fmt *f, const line *ln)
{
    return ln->n == 1 && f->lv[ln->lv[0]].type == LT_COMMENT;
}

/* Length of str(line) without its newline. */
static size_t line_width(const fmt *f, const line *ln)
{
    size_t w = (size_t)4 * (size_t)ln->depth;
    for (uint32_t k = 0; k < ln->n; k++) {
        const leaf *l = &f->lv[ln->lv[k]];
        w += l->w + (k > 0 && l->space);
    }
    for (uint32_t k = 0; k < ln->ncm; k++)
        w += 2 + f->cv[ln->cm[k].c].w;
    return w;
}

static int render_line(const fmt *f, const line *ln, bb_buf *b)
{
    int rc = bb_buf_fill(b, ' ', (size_t)4 * (size_t)ln->depth);
    for (uint32_t k = 0; !rc && k < ln->n; k++) {
        const leaf *l = &f->lv[ln->lv[k]];
        if (k > 0 && l->space)
            rc = bb_buf_putc(b, ' ');
        if (!rc)
            rc = bb_buf_append(b, l->s, l->n);
    }
    for (uint32_t k = 0; !rc && k < ln->ncm; k++) {
        const comment *c = &f->cv[ln->cm[k].c];
        if (!(rc = bb_buf_puts(b, "  ")))
            rc = bb_buf_append(b, c->s, c->n);
    }
    return rc;
}

static bool short_enough(const fmt *f, const line *ln)
{
    return line_width(f, ln) <= f->ll && !line_multiline_strings(f, ln) &&
           !line_standalone_comments(f, ln, INT32_MAX);
}

static int vec_push(fmt *f, linevec *v, line *l)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 8;
        line **p = bb_arena_alloc_bytes(&f->arena, cap * sizeof(line *));
        if (!p)
            return BB_ENOMEM;
        if (v->n)
            memcpy(p, v->v, v->n * sizeof(line *));
        v->v = p;
        v->cap = cap;
    }
    v->v[v->n++] = l;
    return BB_OK;
}

/* Black's max_delimiter_priority, excluding position `exclude` (-1: none). */
static int max_delim(const line *ln, int64_t exclude)
{
    int m = 0;
    for (uint32_t k = 0; k < ln->n; k++)
        if ((int64_t)k != exclude && ln->delim[k] > m)
            m = ln->delim[k];
    return m;
}

static int delim_count(const line *ln, int prio)
{
    int c = 0;
    for (uint32_t k = 0; k < ln->n; k++)
        c += ln->delim[k] == prio;
    return c;
}

static void ensure_visible(fmt *f, int32_t li)
{
    leaf *l = &f->lv[li];
    if (l->n == 0 && (l->type == LT_LPAR || l->type == LT_RPAR)) {
        l->s = l->type == LT_LPAR ? "(" : ")";
        l->n = l->w = 1;
    }
}

/* ---- splits -------------------------------------------------------------- */

enum { HEAD, BODY, TAIL };

static int32_t added_comma(fmt *f)
{
    if (push_leaf(f, ",", 1, LT_COMMA, false, F_ADDED))
        return -1;
    return (int32_t)f->nl - 1;
}

/* Black's should_split_line: the body of a display or an import holding
 * commas goes one item per line. */
static bool should_split_line(const fmt *f, const line *ln, int32_t opening)
{
    bool trailing = false;
    int m;
    if (ln->n == 0)
        return false;
    trailing = f->lv[ln->lv[ln->n - 1]].type == LT_COMMA;
    m = max_delim(ln, trailing ? (int64_t)ln->n - 1 : -1);
    if (m == 0)
        return false;
    return m == COMMA_PRIORITY && (trailing || (f->lv[opening].flags & F_ATOM));
}

/* get_leaves_inside_matching_brackets: which head leaves are tracked. */
static void inside_matching(const fmt *f, const int32_t *lv, size_t n, bool *track)
{
    size_t start = 0, sp = 0;
    size_t st[MAX_NEST + 2];
    memset(track, 0, n);
    while (start < n && !is_open(f->lv[lv[start]].type))
        start++;
    for (size_t i = start; i < n; i++) {
        int t = f->lv[lv[i]].type;
        if (is_open(t)) {
            if (sp < MAX_NEST + 1)
                st[sp++] = i;
        }
        if (is_close(t)) {
            if (sp && f->lv[lv[st[sp - 1]]].type + 3 == t) {
                size_t o = st[--sp];
                for (size_t j = o; j <= i; j++)
                    track[j] = true;
            } else {
                break;
            }
        }
    }
}

/* bracket_split_build_line: leaves lv[0..n) of original as a head, body or tail. */
static int build_split_line(fmt *f, const int32_t *lv, size_t n, const line *orig, int32_t opening,
                            int component, line **out)
{
    line *r = line_new(f, n + 1, orig->depth + (component == BODY), component == BODY);
    bool track[512], *tr = track;
    int32_t comma_after = -1;
    int rc = BB_OK;
    if (!r)
        return BB_ENOMEM;
    if (component == BODY && n > 0) {
        bool no_commas = false;
        f->lv[lv[0]].space = 0;
        if (orig->is_def && f->lv[opening].type == LT_LPAR && f->lv[opening].n == 1 &&
            !(f->lv[opening].flags & F_RETANN)) {
            no_commas = true;
            for (size_t k = 0; k < n; k++)
                if (f->lv[lv[k]].type == LT_COMMA)
                    no_commas = false;
        }
        if (orig->is_import || no_commas) {
            for (size_t k = n; k-- > 0;) {
                if (f->lv[lv[k]].type == LT_COMMENT)
                    continue;
                if (f->lv[lv[k]].type != LT_COMMA)
                    comma_after = (int32_t)k;
                break;
            }
        }
    }
    if (component == HEAD) {
        if (n > sizeof(track) && !(tr = bb_arena_alloc(&f->arena, n)))
            return BB_ENOMEM;
        inside_matching(f, lv, n, tr);
    }
    for (size_t k = 0; k < n && !rc; k++) {
        line_append(f, r, lv[k], component == BODY || (component == HEAD && tr[k]));
        rc = copy_comments_after(f, orig, lv[k], r);
        if (!rc && (int32_t)k == comma_after) {
            int32_t c = added_comma(f);
            if (c < 0)
                return BB_ENOMEM;
            line_append(f, r, c, true);
        }
    }
    if (rc)
        return rc;
    if (component == BODY && should_split_line(f, r, opening))
        r->split_rhs = true;
    *out = r;
    return BB_OK;
}

static bool line_nonempty(const line *l)
{
    return l->n > 0 || l->ncm > 0;
}

/* bracket_split_succeeded_or_raise */
static bool split_succeeded(const fmt *f, const line *body, const line *tail)
{
    size_t tail_len;
    if (body->n)
        return true;
    tail_len = line_width(f, tail) - (size_t)4 * (size_t)tail->depth;
    return tail_len >= 3;
}

typedef struct rhs_result {
    line *head, *body, *tail;
    int32_t opening, closing;
} rhs_result;

typedef struct omitset {
    int32_t *v;
    size_t n;
} omitset;

static bool omitted(const omitset *o, int32_t li)
{
    for (size_t k = 0; k < o->n; k++)
        if (o->v[k] == li)
            return true;
    return false;
}

/* _first_right_hand_split: the last bracket pair with contents (empty
 * trailers such as `.all()` stay in the tail) and what is around it. */
static int first_rhs(fmt *f, const line *ln, const omitset *omit, rhs_result *r)
{
    size_t n = ln->n, tail_start = n, body_start = 0;
    int32_t opening = -1, closing = -1;
    int state = TAIL, rc;
    for (size_t i = n; i-- > 0;) {
        int32_t li = ln->lv[i];
        if (state == BODY && li == opening) {
            if (i + 1 < tail_start) {
                state = HEAD;
                body_start = i + 1;
            } else {
                state = TAIL;
            }
        }
        if (state == TAIL) {
            tail_start = i;
            if (is_close(f->lv[li].type) && !omitted(omit, li)) {
                opening = f->lv[li].match;
                closing = li;
                state = BODY;
            }
        }
        if (state == HEAD)
            break;
    }
    if (state != HEAD || opening < 0 || body_start == 0)
        return CANNOT;
    r->opening = opening;
    r->closing = closing;
    if ((rc = build_split_line(f, ln->lv, body_start, ln, opening, HEAD, &r->head)) ||
        (rc = build_split_line(f, ln->lv + body_start, tail_start - body_start, ln, opening, BODY,
                               &r->body)) ||
        (rc =
             build_split_line(f, ln->lv + tail_start, n - tail_start, ln, opening, TAIL, &r->tail)))
        return rc;
    if (!split_succeeded(f, r->body, r->tail))
        return CANNOT;
    return BB_OK;
}

/* _can_omit_opening_paren: what follows the bracket that closes `first`
 * fits (or can be split at another bracket). */
static bool can_omit_opening_paren(const fmt *f, const line *ln, int32_t first)
{
    bool remainder = false;
    size_t length = (size_t)4 * (size_t)ln->depth;
    for (uint32_t k = 0; k < ln->n; k++) {
        const leaf *l = &f->lv[ln->lv[k]];
        if (l->flags & F_MULTILINE)
            return false; /* enumerate_with_length stops: not every leaf was seen */
        if (is_close(l->type) && l->match == first)
            remainder = true;
        if (remainder) {
            length += (k > 0 && l->space) + l->w + comments_width_after(f, ln, ln->lv[k]);
            if (length > f->ll)
                return false;
            if (is_open(l->type))
                remainder = false;
        }
    }
    return true;
}

/* _can_omit_closing_paren */
static bool can_omit_closing_paren(const fmt *f, const line *ln, int32_t last)
{
    size_t length = (size_t)4 * (size_t)ln->depth;
    bool seen_other = false;
    for (uint32_t k = 0; k < ln->n; k++) {
        const leaf *l = &f->lv[ln->lv[k]];
        if (l->flags & F_MULTILINE)
            break;
        length += (k > 0 && l->space) + l->w + comments_width_after(f, ln, ln->lv[k]);
        if (ln->lv[k] == f->lv[last].match) {
            if (seen_other || length <= f->ll)
                return true;
        } else if (is_open(l->type)) {
            seen_other = true;
        }
    }
    return false;
}

/* can_omit_invisible_parens, called with the body of the optional parens */
static bool can_omit_invisible_parens(const fmt *f, const line *ln)
{
    int m = max_delim(ln, -1);
    const leaf *first, *second, *penult, *last;
    if (m == 0)
        return true;
    if (delim_count(ln, m) > 1)
        return false;
    if (m == DOT_PRIORITY)
        return true;
    if (ln->n < 2)
        return false;
    first = &f->lv[ln->lv[0]];
    second = &f->lv[ln->lv[1]];
    if (is_open(first->type) && !is_close(second->type) && can_omit_opening_paren(f, ln, ln->lv[0]))
        return true;
    penult = &f->lv[ln->lv[ln->n - 2]];
    last = &f->lv[ln->lv[ln->n - 1]];
    if (last->type == LT_RPAR || last->type == LT_RBRACE ||
        (last->type == LT_RSQB && !(last->flags & F_TRAILER))) {
        if (is_open(penult->type))
            return false;
        if (first->flags & F_MULTILINE)
            return true;
        if (can_omit_closing_paren(f, ln, ln->lv[ln->n - 1]))
            return true;
    }
    return false;
}

/* can_be_split */
static bool can_be_split(const fmt *f, const line *ln)
{
    if (ln->n < 2)
        return false;
    if (f->lv[ln->lv[0]].type == LT_STRING && f->lv[ln->lv[1]].type == LT_DOT) {
        int call_count = 0, dot_count = 0;
        const leaf *next = &f->lv[ln->lv[ln->n - 1]];
        for (size_t k = ln->n - 1; k-- > 0;) {
            const leaf *l = &f->lv[ln->lv[k]];
            if (is_open(l->type)) {
                if (!is_close(next->type))
                    return false;
                call_count++;
            } else if (l->type == LT_DOT) {
                dot_count++;
            } else if (l->type == LT_NAME) {
                if (!(next->type == LT_DOT || is_open(next->type)))
                    return false;
            } else if (!is_close(l->type)) {
                return false;
            }
            if (dot_count > 1 && call_count > 1)
                return false;
        }
    }
    return true;
}

static int emit_split(fmt *f, const rhs_result *r, linevec *out)
{
    int rc = BB_OK;
    if (line_nonempty(r->head))
        rc = vec_push(f, out, r->head);
    if (!rc && line_nonempty(r->body))
        rc = vec_push(f, out, r->body);
    if (!rc && line_nonempty(r->tail))
        rc = vec_push(f, out, r->tail);
    return rc;
}

static int omit_with(fmt *f, const omitset *omit, int32_t li, omitset *o2)
{
    o2->v = bb_arena_alloc_bytes(&f->arena, (omit->n + 1) * sizeof(int32_t));
    if (!o2->v)
        return BB_ENOMEM;
    o2->v[0] = li;
    if (omit->n)
        memcpy(o2->v + 1, omit->v, omit->n * sizeof(int32_t));
    o2->n = omit->n + 1;
    return BB_OK;
}

/* _maybe_split_omitting_optional_parens */
static int maybe_split_omitting(fmt *f, rhs_result *r, const line *ln, const omitset *omit,
                                const features *feat, linevec *out)
{
    const leaf *o = &f->lv[r->opening], *c = &f->lv[r->closing];
    int rc;
    if (!feat->force_optional_parens && o->type == LT_LPAR && o->n == 0 && c->type == LT_RPAR &&
        c->n == 0 && !ln->is_import && !line_standalone_comments(f, r->body, 0) &&
        can_omit_invisible_parens(f, r->body)) {
        omitset o2;
        rhs_result oop;
        if ((rc = omit_with(f, omit, r->closing, &o2)))
            return rc;
        rc = first_rhs(f, ln, &o2, &oop);
        if (rc == BB_OK)
            rc = maybe_split_omitting(f, &oop, ln, &o2, feat, out);
        if (rc <= 0)
            return rc;
        if (!(can_be_split(f, r->body) || short_enough(f, r->body)))
            return CANNOT;
        if (line_multiline_strings(f, r->head) || line_multiline_strings(f, r->tail))
            return CANNOT;
    }
    ensure_visible(f, r->opening);
    ensure_visible(f, r->closing);
    return emit_split(f, r, out);
}

static int right_hand_split(fmt *f, const line *ln, const omitset *omit, const features *feat,
                            linevec *out)
{
    rhs_result r;
    int rc = first_rhs(f, ln, omit, &r);
    if (rc)
        return rc;
    return maybe_split_omitting(f, &r, ln, omit, feat, out);
}

/* generate_trailers_to_omit, as a resumable iterator (the consumer's
 * changes to the leaves between two steps are seen by the next step, as
 * with Black's generator). */
typedef struct trailers {
    const line *ln;
    int stage; /* 0 start, 1 in loop, 2 done */
    int64_t index;
    size_t length;
    int32_t opening, closing;
    int32_t *omit, *inner;
    size_t nomit, ninner;
    bool resume; /* continue after a yield inside the loop */
} trailers;

static int trailers_init(fmt *f, trailers *t, const line *ln)
{
    memset(t, 0, sizeof(*t));
    t->ln = ln;
    t->omit = bb_arena_alloc_bytes(&f->arena, (ln->n + 1) * sizeof(int32_t));
    t->inner = bb_arena_alloc_bytes(&f->arena, (ln->n + 1) * sizeof(int32_t));
    t->opening = t->closing = -1;
    return t->omit && t->inner ? BB_OK : BB_ENOMEM;
}

/* The leaf length enumerate_with_length gives (prefix, value, comments). */
static size_t leaf_length(const fmt *f, const line *ln, uint32_t k)
{
    const leaf *l = &f->lv[ln->lv[k]];
    return (k > 0 && l->space) + l->w + comments_width_after(f, ln, ln->lv[k]);
}

/* Yields the next omit set into *o; false when exhausted. */
static bool trailers_next(fmt *f, trailers *t, omitset *o)
{
    const line *ln = t->ln;
    if (t->stage == 0) {
        t->stage = 1;
        t->index = (int64_t)ln->n;
        t->length = (size_t)4 * (size_t)ln->depth;
        if (!ln->magic) {
            o->v = t->omit;
            o->n = 0;
            return true;
        }
    }
    if (t->stage == 2)
        return false;
    for (;;) {
        int32_t li;
        const leaf *l;
        int32_t prev;
        if (t->resume) {
            /* the rest of the loop body after `yield omit` */
            t->resume = false;
            li = ln->lv[t->index];
            l = &f->lv[li];
            prev = t->index > 0 ? ln->lv[t->index - 1] : -1;
            goto after_yield;
        }
        if (t->index == 0)
            break;
        t->index--;
        li = ln->lv[t->index];
        l = &f->lv[li];
        if (l->flags & F_MULTILINE)
            break;
        {
            size_t ll = leaf_length(f, ln, (uint32_t)t->index);
            t->length += ll;
            if (t->length > f->ll)
                break;
            if (l->type == LT_COMMENT || ll > (size_t)(l->w + (t->index > 0 && l->space)))
                break;
        }
        prev = t->index > 0 ? ln->lv[t->index - 1] : -1;
        if (t->opening >= 0) {
            if (li == t->opening) {
                t->opening = -1;
            } else if (is_close(l->type)) {
                if (prev >= 0 && f->lv[prev].type == LT_COMMA && l->match >= 0 &&
                    !one_sequence_between(f, ln, l->match, li, LT_LPAR))
                    break;
                t->inner[t->ninner++] = li;
            }
        } else if (is_close(l->type)) {
            if (prev >= 0 && is_open(f->lv[prev].type)) {
                t->inner[t->ninner++] = li;
                continue;
            }
            if (t->closing >= 0) {
                t->omit[t->nomit++] = t->closing;
                memcpy(t->omit + t->nomit, t->inner, t->ninner * sizeof(int32_t));
                t->nomit += t->ninner;
                t->ninner = 0;
                t->resume = true;
                o->v = t->omit;
                o->n = t->nomit;
                return true;
            }
        after_yield:
            if (prev >= 0 && f->lv[prev].type == LT_COMMA && l->match >= 0 &&
                !one_sequence_between(f, ln, l->match, li, LT_LPAR))
                break;
            if (l->n) {
                t->opening = l->match;
                t->closing = li;
            }
        }
    }
    t->stage = 2;
    return false;
}

static int transform_line(fmt *f, line *ln, const features *feat, linevec *out);

/* The rhs transform (linegen's _rhs). */
static int rhs_transform(fmt *f, const line *ln, const features *feat, linevec *out)
{
    trailers t;
    omitset o, none = {NULL, 0};
    int rc = trailers_init(f, &t, ln);
    if (rc)
        return rc;
    while (trailers_next(f, &t, &o)) {
        linevec tmp = {0};
        /* the omit set changes as the iterator goes on: use a copy */
        omitset oc;
        oc.n = o.n;
        oc.v = bb_arena_alloc_bytes(&f->arena, (o.n + 1) * sizeof(int32_t));
        if (!oc.v)
            return BB_ENOMEM;
        if (o.n)
            memcpy(oc.v, o.v, o.n * sizeof(int32_t));
        rc = right_hand_split(f, ln, &oc, feat, &tmp);
        if (rc)
            return rc;
        if (short_enough(f, tmp.v[0])) {
            for (size_t k = 0; k < tmp.n; k++)
                if ((rc = vec_push(f, out, tmp.v[k])))
                    return rc;
            return BB_OK;
        }
    }
    return right_hand_split(f, ln, &none, feat, out);
}

/* A leaf that Black may not split a line at: a vararg (trailing commas). */
static int delimiter_split(fmt *f, const line *ln, const features *feat, linevec *out)
{
    int prio;
    line *cur;
    int32_t lowest = INT32_MAX;
    bool tc_safe = true;
    int rc;
    if (ln->n == 0)
        return CANNOT;
    prio = max_delim(ln, (int64_t)ln->n - 1);
    if (prio == 0)
        return CANNOT;
    if (prio == DOT_PRIORITY && delim_count(ln, prio) == 1)
        return CANNOT;
    if (!(cur = line_new(f, ln->n + 1, ln->depth, ln->inside)))
        return BB_ENOMEM;
    for (uint32_t k = 0; k < ln->n; k++) {
        int32_t li = ln->lv[k];
        leaf *l = &f->lv[li];
        /* append_safe: a standalone comment gets a line of its own */
        if (cur->bt_depth == 0 && (line_is_comment(f, cur) || (cur->n && l->type == LT_COMMENT))) {
            if ((rc = vec_push(f, out, cur)))
                return rc;
            if (!(cur = line_new(f, ln->n + 1, ln->depth, ln->inside)))
                return BB_ENOMEM;
        }
        if (cur->n == 0)
            l->space = 0;
        line_append(f, cur, li, cur->inside);
        if ((rc = copy_comments_after(f, ln, li, cur)))
            return rc;
        if (l->depth < lowest)
            lowest = l->depth;
        if (l->depth == lowest) {
            if (l->flags & F_VARARG_DEF)
                tc_safe = tc_safe && feat->tc_def;
            else if (l->flags & F_VARARG_CALL)
                tc_safe = tc_safe && feat->tc_call;
        }
        if (ln->delim[k] == prio) {
            if ((rc = vec_push(f, out, cur)))
                return rc;
            if (!(cur = line_new(f, ln->n + 1, ln->depth, ln->inside)))
                return BB_ENOMEM;
        }
    }
    if (line_nonempty(cur)) {
        if (tc_safe && prio == COMMA_PRIORITY && cur->n &&
            f->lv[cur->lv[cur->n - 1]].type != LT_COMMA &&
            f->lv[cur->lv[cur->n - 1]].type != LT_COMMENT) {
            int32_t c = added_comma(f);
            if (c < 0)
                return BB_ENOMEM;
            line_append(f, cur, c, cur->inside);
        }
        if ((rc = vec_push(f, out, cur)))
            return rc;
    }
    return BB_OK;
}

/* standalone_comment_split */
static int standalone_comment_split(fmt *f, const line *ln, linevec *out)
{
    line *cur;
    int rc;
    if (!line_standalone_comments(f, ln, 0))
        return CANNOT;
    if (!(cur = line_new(f, ln->n + 1, ln->depth, ln->inside)))
        return BB_ENOMEM;
    for (uint32_t k = 0; k < ln->n; k++) {
        int32_t li = ln->lv[k];
        if (cur->bt_depth == 0 &&
            (line_is_comment(f, cur) || (cur->n && f->lv[li].type == LT_COMMENT))) {
            if ((rc = vec_push(f, out, cur)))
                return rc;
            if (!(cur = line_new(f, ln->n + 1, ln->depth, ln->inside)))
                return BB_ENOMEM;
        }
        if (cur->n == 0)
            f->lv[li].space = 0;
        line_append(f, cur, li, cur->inside);
        if ((rc = copy_comments_after(f, ln, li, cur)))
            return rc;
    }
    if (line_nonempty(cur))
        return vec_push(f, out, cur);
    return BB_OK;
}

/* left_hand_split: a def splits at its first bracket pair with contents. */
static int left_hand_split(fmt *f, const line *ln, linevec *out)
{
    size_t n = ln->n, i, head_end = 0, body_end = 0;
    int32_t matching = -1;
    int stage = 0; /* 0 head, 1 body, 2 tail */
    rhs_result r;
    int rc;
    for (i = 0; i < n; i++) {
        int32_t li = ln->lv[i];
        const leaf *l = &f->lv[li];
        if (stage == 1 && is_close(l->type) && l->match == matching) {
            ensure_visible(f, li);
            ensure_visible(f, matching);
            if (i > head_end) {
                stage = 2;
                body_end = i;
            } else {
                stage = 0;
            }
        }
        if (stage == 0) {
            head_end = i + 1;
            if (is_open(l->type)) {
                matching = li;
                stage = 1;
            }
        }
    }
    if (matching < 0)
        return CANNOT;
    if (stage == 1)
        body_end = n;
    r.opening = matching;
    if ((rc = build_split_line(f, ln->lv, head_end, ln, matching, HEAD, &r.head)) ||
        (rc = build_split_line(f, ln->lv + head_end, body_end - head_end, ln, matching, BODY,
                               &r.body)) ||
        (rc = build_split_line(f, ln->lv + body_end, n - body_end, ln, matching, TAIL, &r.tail)))
        return rc;
    if (!split_succeeded(f, r.body, r.tail))
        return CANNOT;
    return emit_split(f, &r, out);
}

enum { T_DELIM, T_STANDALONE, T_RHS, T_LHS };

static int apply_transform(fmt *f, int which, const line *ln, const features *feat, linevec *out)
{
    switch (which) {
    case T_DELIM:
        return delimiter_split(f, ln, feat, out);
    case T_STANDALONE:
        return standalone_comment_split(f, ln, out);
    case T_RHS:
        return rhs_transform(f, ln, feat, out);
    default:
        return left_hand_split(f, ln, out);
    }
}

/* Whether a line renders as the text in b. */
static int same_text(fmt *f, const line *ln, const bb_buf *b, bool *same)
{
    int rc;
    bb_buf_reset(&f->s2);
    if ((rc = render_line(f, ln, &f->s2)))
        return rc;
    *same = f->s2.len == b->len && !memcmp(f->s2.data, b->data, b->len);
    return BB_OK;
}

/* A copy of ln with fresh leaves (Black's line.clone() + append_leaves). */
static int clone_line(fmt *f, const line *ln, line **out)
{
    line *c = line_new(f, ln->n + 1, ln->depth, ln->inside);
    size_t base = f->nl;
    int rc;
    if (!c)
        return BB_ENOMEM;
    c->split_rhs = ln->split_rhs;
    c->magic = ln->magic;
    if (grow((void **)&f->lv, &f->capl, f->nl + ln->n, sizeof(leaf)))
        return BB_ENOMEM;
    for (uint32_t k = 0; k < ln->n; k++) {
        leaf *nl = &f->lv[f->nl++];
        *nl = f->lv[ln->lv[k]];
        nl->space = nl->space0;
        nl->flags &= (uint16_t)~F_ADDED;
    }
    /* brackets point at their copies */
    for (uint32_t k = 0; k < ln->n; k++) {
        leaf *nl = &f->lv[base + k];
        if (nl->match >= 0) {
            int32_t m = nl->match;
            nl->match = -1;
            for (uint32_t j = 0; j < ln->n; j++)
                if (ln->lv[j] == m)
                    nl->match = (int32_t)(base + j);
        }
    }
    for (uint32_t k = 0; k < ln->n; k++) {
        line_append(f, c, (int32_t)(base + k), true);
        for (uint32_t j = 0; j < ln->ncm; j++)
            if (ln->cm[j].leaf == ln->lv[k] &&
                (rc = line_add_comment(f, c, (int32_t)(base + k), ln->cm[j].c)))
                return rc;
    }
    *out = c;
    return BB_OK;
}

static int run_transformer(fmt *f, line *ln, int which, const features *feat, linevec *out)
{
    linevec produced = {0}, result = {0};
    bb_buf line_str;
    bool any_visible = false, any_added = false;
    int rc;
    bb_buf_init(&line_str, (size_t)1 << 30);
    if ((rc = render_line(f, ln, &line_str)))
        goto done;
    rc = apply_transform(f, which, ln, feat, &produced);
    if (rc)
        goto done;
    for (size_t k = 0; k < produced.n; k++) {
        bool same;
        if ((rc = same_text(f, produced.v[k], &line_str, &same)))
            goto done;
        if (same) {
            rc = CANNOT;
            goto done;
        }
        if ((rc = transform_line(f, produced.v[k], feat, &result)))
            goto done;
    }
    for (uint32_t k = 0; k < ln->ninvis; k++)
        any_visible |= f->lv[ln->invis[k]].n > 0;
    for (uint32_t k = 0; k < ln->n; k++)
        any_added |= (f->lv[ln->lv[k]].flags & F_ADDED) != 0;
    if (!(feat->force_optional_parens || which != T_RHS || ln->ninvis == 0 || any_visible ||
          line_multiline_strings(f, ln) || short_enough(f, result.v[0]) || any_added)) {
        /* Black's second opinion: with the optional parens forced */
        features fop = *feat;
        linevec second = {0};
        line *copy;
        bool all_short = true;
        fop.force_optional_parens = true;
        if ((rc = clone_line(f, ln, &copy)))
            goto done;
        rc = run_transformer(f, copy, which, &fop, &second);
        if (rc < 0)
            goto done;
        if (rc == BB_OK) {
            for (size_t k = 0; k < second.n; k++)
                all_short = all_short && short_enough(f, second.v[k]);
            if (all_short)
                result = second;
        } else {
            /* Black lets CannotTransform escape here */
            goto done;
        }
    }
    for (size_t k = 0; k < result.n; k++)
        if ((rc = vec_push(f, out, result.v[k])))
            goto done;
    rc = BB_OK;
done:
    bb_buf_free(&line_str);
    return rc;
}

static int transform_line(fmt *f, line *ln, const features *feat, linevec *out)
{
    int order[3], n = 0, rc;
    if (line_is_comment(f, ln))
        return vec_push(f, out, ln);
    if (!ln->split_rhs && !ln->magic && short_enough(f, ln) &&
        !(ln->inside && line_standalone_comments(f, ln, INT32_MAX)))
        return vec_push(f, out, ln);
    if (ln->is_def) {
        order[n++] = T_LHS;
    } else if (ln->inside) {
        order[n++] = T_DELIM;
        order[n++] = T_STANDALONE;
        order[n++] = T_RHS;
    } else {
        order[n++] = T_RHS;
    }
    for (int k = 0; k < n; k++) {
        rc = run_transformer(f, ln, order[k], feat, out);
        if (rc != CANNOT)
            return rc;
    }
    return vec_push(f, out, ln);
}

/* ---- target versions ----------------------------------------------------- */

/*
 * Black adds a trailing comma after *args or **kwargs only when every
 * Python version the file may target allows it; it infers the versions
 * from the features the file uses (get_features_used). This is that
 * inference for the features generated code can hold.
 */
static void detect_features(fmt *f)
{
    const char *s = f->src;
    size_t n = f->len, i = 0, depth = 0;
    bool py36 = false, py35 = false;
    bool star[MAX_NEST + 1], def_paren[MAX_NEST + 1];
    char last = 0, before_last = 0;
    star[0] = def_paren[0] = false;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '#') {
            while (i < n && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '"' || c == '\'') {
            size_t p = i, e;
            bool nl = false;
            while (p > 0 && is_name_byte((unsigned char)s[p - 1]))
                p--;
            if (i - p >= 1 && i - p <= 2 && is_string_prefix(s + p, i - p)) {
                char a = s[p], b = i - p == 2 ? s[p + 1] : (char)c;
                if ((a == 'f' || a == 'F') && (b == '"' || b == '\''))
                    py36 = true;
                if ((a == 'r' && b == 'f') || (a == 'f' && b == 'r') || (a == 'R' && b == 'F') ||
                    (a == 'F' && b == 'R'))
                    py36 = true;
            }
            e = skip_string(s, n, i, &nl);
            i = e == SIZE_MAX ? n : e;
            last = '"';
            continue;
        }
        if (c >= '0' && c <= '9' && (i == 0 || !is_name_byte((unsigned char)s[i - 1]))) {
            while (i < n && (is_name_byte((unsigned char)s[i]) || s[i] == '.')) {
                if (s[i] == '_')
                    py36 = true;
                i++;
            }
            last = '0';
            continue;
        }
        if (c == ':' && i + 1 < n && s[i + 1] == '=')
            py36 = true;
        if (c == '_' && !strncmp(s + i, "__future__", 10)) {
            const char *e = memchr(s + i, '\n', n - i);
            size_t m = e ? (size_t)(e - (s + i)) : n - i;
            for (size_t k = 0; k + 11 <= m; k++)
                if (!memcmp(s + i + k, "annotations", 11))
                    py36 = true;
        }
        if (c == '(' || c == '[' || c == '{') {
            if (depth < MAX_NEST) {
                depth++;
                star[depth] = false;
                def_paren[depth] = false;
                if (c == '(') {
                    /* `def name(`: walk back over the name */
                    size_t p = i;
                    while (p > 0 && s[p - 1] == ' ')
                        p--;
                    while (p > 0 && is_name_byte((unsigned char)s[p - 1]))
                        p--;
                    while (p > 0 && s[p - 1] == ' ')
                        p--;
                    def_paren[depth] = p >= 3 && !memcmp(s + p - 3, "def", 3);
                }
            }
        } else if (c == ')' || c == ']' || c == '}') {
            if (c == ')' && last == ',' && depth && star[depth]) {
                if (def_paren[depth])
                    py36 = true;
                else
                    py35 = true;
            }
            if (depth)
                depth--;
        } else if (c == '*' && (last == '(' || last == ',') && depth) {
            star[depth] = true;
        } else if (c == '/' && depth && def_paren[depth] && (last == ',' || last == '(') &&
                   !(i + 1 < n && s[i + 1] == '/')) {
            py36 = true;
        }
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\\') {
            before_last = last;
            last = (char)c;
        }
        i++;
    }
    (void)before_last;
    f->feat.tc_def = py36;
    f->feat.tc_call = py36 || py35;
}

/* ---- blank lines (Black's EmptyLineTracker) ------------------------------ */

static int put_newlines(fmt *f, int k)
{
    return k > 0 ? bb_buf_fill(f->out, '\n', (size_t)k) : BB_OK;
}

static int push_def(fmt *f, int depth)
{
    if (grow((void **)&f->prev_defs, &f->capprev_defs, f->nprev_defs + 1, sizeof(int32_t)))
        return BB_ENOMEM;
    f->prev_defs[f->nprev_defs++] = depth;
    return BB_OK;
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
    while (f->nprev_defs && f->prev_defs[f->nprev_defs - 1] >= cur->depth) {
        if (cur->depth)
            b = 1;
        else if (f->prev_defs[f->nprev_defs - 1] && cur->opens_block && !cur->is_flow_keyword)
            b = 1;
        else
            b = 2;
        f->nprev_defs--;
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
    return n >= k && !memcmp(s, w, k) && (n == k || !is_name_byte((unsigned char)s[k]));
}

static void stmt_info(const fmt *f, const scan *sc, int depth, lineinfo *li)
{
    const char *s = f->src + sc->start;
    size_t n = sc->code_end - sc->start;
    memset(li, 0, sizeof(*li));
    li->depth = depth;
    li->is_decorator = n > 0 && s[0] == '@';
    li->is_def = starts_word(s, n, "def");
    if (starts_word(s, n, "async")) {
        size_t k = 5;
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        li->is_def = starts_word(s + k, n - k, "def");
    }
    li->is_class = starts_word(s, n, "class");
    li->is_import = starts_word(s, n, "import") || starts_word(s, n, "from");
    li->is_triple_quoted = n >= 3 && (!memcmp(s, "\"\"\"", 3) || !memcmp(s, "'''", 3));
    li->opens_block = n > 0 && s[n - 1] == ':';
    li->is_flow_keyword = starts_word(s, n, "with") || starts_word(s, n, "try") ||
                          starts_word(s, n, "for") || starts_word(s, n, "while") ||
                          starts_word(s, n, "if") || starts_word(s, n, "match");
}

static int put_indent(fmt *f, int depth)
{
    return bb_buf_fill(f->out, ' ', (size_t)4 * (size_t)depth);
}

/* A statement copied as it is: re-indented, its trailing comment two
 * spaces after the code. */
static int emit_fast(fmt *f, const scan *sc, int depth)
{
    int rc;
    if ((rc = put_indent(f, depth)) ||
        (rc = bb_buf_append(f->out, f->src + sc->start, sc->code_end - sc->start)))
        return rc;
    if (sc->cmt != SIZE_MAX) {
        if (sc->code_end > sc->start && (rc = bb_buf_puts(f->out, "  ")))
            return rc;
        if ((rc = bb_buf_append(f->out, f->src + sc->cmt, sc->cmt_end - sc->cmt)))
            return rc;
    }
    return bb_buf_putc(f->out, '\n');
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

/* A statement through Black's transforms. */
static int emit_slow(fmt *f, const scan *sc, int depth)
{
    size_t end = sc->cmt != SIZE_MAX ? sc->cmt_end : sc->code_end, ntrail = 0, t = 0;
    anchor *trail;
    line *ln;
    linevec lines = {0};
    bool import_stmt;
    int rc;
    bb_arena_free(&f->arena);
    bb_arena_init(&f->arena, STMT_MAX);
    if ((rc = lex(f, sc->start, end)))
        return rc;
    mark_invisible_parens(f);
    trail = bb_arena_alloc_bytes(&f->arena, (f->nt + 1) * sizeof(anchor));
    if (!trail)
        return BB_ENOMEM;
    if ((rc = build_leaves(f, trail, &ntrail, f->nt + 1)))
        return rc;
    import_stmt = f->nl > 0 && (leaf_is(f, 0, "import") || leaf_is(f, 0, "from"));
    classify_leaves(f, import_stmt);
    if (!(ln = line_new(f, f->nl + 1, depth, false)))
        return BB_ENOMEM;
    for (size_t k = 0; k < f->nl; k++) {
        line_append(f, ln, (int32_t)k, true);
        for (; t < ntrail && trail[t].leaf == (int32_t)k; t++)
            if ((rc = line_attach(f, ln, trail[t].c)))
                return rc;
    }
    if ((rc = transform_line(f, ln, &f->feat, &lines)))
        return rc < 0 ? rc : BB_OK;
    for (size_t k = 0; k < lines.n; k++)
        if ((rc = render_line(f, lines.v[k], f->out)) || (rc = bb_buf_putc(f->out, '\n')))
            return rc;
    return BB_OK;
}

static int emit_stmt(fmt *f, const scan *sc, int depth)
{
    size_t w;
    if (sc->backslash)
        return emit_verbatim(f, sc, depth);
    if (!sc->multi && !sc->comma_close) {
        w = (size_t)4 * (size_t)depth + width_of(f->src + sc->start, sc->code_end - sc->start);
        if (sc->cmt != SIZE_MAX)
            w += 2 + width_of(f->src + sc->cmt, sc->cmt_end - sc->cmt);
        if (w <= f->ll)
            return emit_fast(f, sc, depth);
    }
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
static int flush_comments(fmt *f, pending *pv, size_t np, size_t col)
{
    size_t cur = f->nind - 1, target = f->nind - 1;
    int rc;
    if (col > f->indents[f->nind - 1]) {
        cur = target = f->nind; /* an indent: the comments go in the new block */
    } else {
        while (target > 0 && col < f->indents[target])
            target--;
    }
    for (size_t k = 0; k < np; k++) {
        while (cur > target && pv[k].col < f->indents[cur])
            cur--;
        if ((rc = emit_comment(f, &pv[k], (int)cur)))
            return rc;
    }
    return BB_OK;
}

static int set_indent(fmt *f, size_t col)
{
    if (col > f->indents[f->nind - 1]) {
        if (grow((void **)&f->indents, &f->capind, f->nind + 1, sizeof(size_t)))
            return BB_ENOMEM;
        f->indents[f->nind++] = col;
        return BB_OK;
    }
    while (f->nind > 1 && col < f->indents[f->nind - 1])
        f->nind--;
    return BB_OK;
}

/* The Black pass over the whole source. */
static int black_pass(fmt *f)
{
    const char *s = f->src;
    size_t n = f->len, pos = 0, np = 0, capp = 0;
    pending *pv = NULL;
    int blank = 0, rc = BB_OK;
    if (grow((void **)&f->indents, &f->capind, 1, sizeof(size_t)))
        return BB_ENOMEM;
    f->indents[0] = 0;
    f->nind = 1;
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
            if (grow((void **)&pv, &capp, np + 1, sizeof(pending))) {
                rc = BB_ENOMEM;
                break;
            }
            pv[np].off = i;
            pv[np].end = end;
            pv[np].col = col;
            pv[np].before = blank;
            np++;
            blank = 0;
            continue;
        }
        {
            scan sc;
            lineinfo li;
            if ((rc = scan_stmt(f, i, &sc)))
                break;
            if ((rc = flush_comments(f, pv, np, col)) || (rc = set_indent(f, col)))
                break;
            np = 0;
            stmt_info(f, &sc, (int)f->nind - 1, &li);
            if ((rc = begin_line(f, &li, blank)) || (rc = emit_stmt(f, &sc, li.depth)))
                break;
            blank = 0;
            pos = sc.next;
        }
    }
    if (!rc && np)
        rc = flush_comments(f, pv, np, 0);
    bb_free(pv);
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
    imp *v;
    size_t n, cap;
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
    /* a module's commented lines, its star, its names, then its `as` names */
    if ((c = (q->cmt.s != NULL) - (p->cmt.s != NULL)))
        return c;
    if ((c = opt_cmp(p->cmt, q->cmt)))
        return c;
    if ((c = (p->alias.s != NULL) - (q->alias.s != NULL)))
        return c;
    if (p->rank != q->rank)
        return p->rank - q->rank;
    if ((c = ranked_cmp(p->name, q->name)))
        return c;
    return opt_cmp(p->alias, q->alias);
}

static int add_import(isort *is, span mod, span name, span alias, span cmt)
{
    imp *m;
    if (grow((void **)&is->v, &is->cap, is->n + 1, sizeof(imp)))
        return BB_ENOMEM;
    m = &is->v[is->n++];
    m->mod = mod;
    m->name = name;
    m->alias = alias;
    m->cmt = cmt;
    m->section = section_of(is, mod);
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
    while (c->i < c->n && (is_name_byte((unsigned char)c->s[c->i]) || c->s[c->i] == '.'))
        c->i++;
    r.n = (size_t)(c->s + c->i - r.s);
    iskip(c, in_parens);
    return r;
}

static bool iword(icur *c, const char *w, bool in_parens)
{
    size_t k = strlen(w);
    if (c->i + k <= c->n && !memcmp(c->s + c->i, w, k) &&
        (c->i + k == c->n || !is_name_byte((unsigned char)c->s[c->i + k]))) {
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
        span name, alias = none;
        if (paren && c->i < c->n && c->s[c->i] == ')') {
            c->i++;
            iskip(c, false);
            break;
        }
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
        if (c->i < c->n && c->s[c->i] == ',') {
            c->i++;
            iskip(c, paren);
            continue;
        }
        if (!paren)
            break;
        if (!(c->i < c->n && c->s[c->i] == ')'))
            return CANNOT;
    }
    /* a comment stays with the names of its statement */
    for (size_t k = first; c->cmt.s && k < is->n; k++)
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
        return rc;
    }
    *pos = c.i < n ? c.i + 1 : n;
    return BB_OK;
}

static bool span_eq(span a, span b)
{
    return a.n == b.n && (a.s != NULL) == (b.s != NULL) && (!a.n || !memcmp(a.s, b.s, a.n));
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
    size_t w = 5 + width_of(v[0].mod.s, v[0].mod.n) + 8;
    int rc;
    for (size_t j = 0; j < k; j++) {
        w += width_of(v[j].name.s, v[j].name.n) + (j ? 2 : 0);
        if (v[j].alias.s)
            w += 4 + width_of(v[j].alias.s, v[j].alias.n);
    }
    if (v[0].cmt.s)
        w += 2 + width_of(v[0].cmt.s, v[0].cmt.n);
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
        /* the names that share this line: same module and comment, no `as` */
        if (!m->alias.s && m->rank >= 0)
            while (k < is->n && is->v[k].name.s && span_eq(is->v[k].mod, m->mod) &&
                   span_eq(is->v[k].cmt, m->cmt) && !is->v[k].alias.s && is->v[k].rank >= 0)
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
        while (q < n && q - pos < 2 && is_name_byte((unsigned char)s[q]))
            q++;
        if (docstring_allowed && q < n && (s[q] == '"' || s[q] == '\'') &&
            (q == pos || is_string_prefix(s + pos, q - pos))) {
            bool nl = false;
            size_t end = skip_string(s, n, q, &nl);
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
    isort is = {first_party, NULL, 0, 0};
    size_t start = import_block_start(t, n), pos, rest;
    int rc = BB_OK;
    if (start == SIZE_MAX)
        return bb_buf_append(out, t, n);
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
    while (rest < n && blank_line(t, rest, line_end(t, n, rest)))
        rest = line_end(t, n, rest);
    if ((rc = bb_buf_append(out, t, start)) || (rc = put_imports(out, &is, ll)))
        goto done;
    if (rest < n && !(rc = bb_buf_fill(out, '\n', (size_t)lines_after_imports(t, n, rest))))
        rc = bb_buf_append(out, t + rest, n - rest);
done:
    bb_free(is.v);
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
    bb_buf_init(&mid, out->max);
    bb_buf_init(&f.s1, (size_t)1 << 30);
    bb_buf_init(&f.s2, (size_t)1 << 30);
    bb_arena_init(&f.arena, STMT_MAX);
    f.out = &mid;
    detect_features(&f);
    rc = black_pass(&f);
    if (!rc)
        rc = isort_pass(bb_buf_str(&mid), mid.len,
                        o && o->first_party ? o->first_party : default_first_party, f.ll, out);
    bb_arena_free(&f.arena);
    bb_buf_free(&f.s1);
    bb_buf_free(&f.s2);
    bb_buf_free(&mid);
    bb_free(f.tv);
    bb_free(f.lv);
    bb_free(f.cv);
    bb_free(f.prev_defs);
    bb_free(f.indents);
    return rc;
}
