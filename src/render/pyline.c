/*
 * pyline.c - Black's splitting of one logical line (see pyline.h).
 *
 * The names follow black/linegen.py, black/lines.py and black/brackets.py
 * so each function can be read beside the one it ports: a Line holds
 * leaves (indices into the statement's leaf array) and the comments after
 * them; a transform returns the lines a line becomes or CANNOT (Black's
 * CannotTransform). Black mutates leaves as it goes (invisible parens made
 * visible, prefixes cleared) and so does this port, in the same order.
 */
#include "render/pyline.h"

#include "base/arena.h"

#include <string.h>

/* A transform that does not apply (Black's CannotTransform/CannotSplit). */
#define CANNOT 1
#define MAX_NEST BB_PYLINE_MAX_NEST
/* Memory one statement's lines may use; the arena is emptied between
 * statements once it holds more than ARENA_KEEP. */
#define STMT_MAX ((size_t)64 << 20)
#define ARENA_KEEP ((size_t)1 << 20)

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

/* Python's keywords, as a leaf's kw (KW_NONE: a name or not a name). */
enum {
    KW_NONE,
    KW_AND,
    KW_AS,
    KW_ASSERT,
    KW_ASYNC,
    KW_AWAIT,
    KW_BREAK,
    KW_CLASS,
    KW_CONTINUE,
    KW_DEF,
    KW_DEL,
    KW_ELIF,
    KW_ELSE,
    KW_EXCEPT,
    KW_FINALLY,
    KW_FOR,
    KW_FROM,
    KW_GLOBAL,
    KW_IF,
    KW_IMPORT,
    KW_IN,
    KW_IS,
    KW_LAMBDA,
    KW_NONLOCAL,
    KW_NOT,
    KW_OR,
    KW_PASS,
    KW_RAISE,
    KW_RETURN,
    KW_TRY,
    KW_WHILE,
    KW_WITH,
    KW_YIELD,
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
    uint8_t kw;     /* KW_* */
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
    uint32_t wgen, wn, wncm; /* line_width's cache: valid while the leaves are unchanged */
    size_t wcache;
    int depth;
    bool inside, split_rhs, magic, is_def, is_import;
    /* BracketTracker state */
    int bt_depth;
    int32_t bt_prev; /* position of the last marked leaf, -1 */
    int32_t *stack;  /* open brackets: leaf index */
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
    bool force_optional_parens;
} features;

/* A raw token of a statement. */
typedef struct rtok {
    uint32_t off, len;
    uint8_t type;
    uint8_t nl_before; /* a line break separates it from the previous token */
    uint8_t ws_before; /* blanks before it on its line */
    uint8_t wrap;      /* W_* marks from the statement analysis */
    uint8_t kw;        /* KW_* */
    int32_t match;
} rtok;

enum {
    W_OPEN = 1,   /* insert an invisible ( before */
    W_CLOSE = 2,  /* insert an invisible ) after */
    W_HIDE = 4,   /* a paren made invisible */
    W_DROP = 8,   /* a redundant paren removed */
    W_RETANN = 16 /* the invisible parens of a return annotation */
};

struct bb_pyline {
    unsigned ll;
    features feat;
    /* trailing commas after *args in calls, defs: asked for when first needed */
    bool tc_known, tc_call, tc_def;
    bb_pyline_versions_fn versions;
    void *versions_ctx;
    int pad;         /* indent % 4, added to every line */
    bool ascii;      /* the statement has no multibyte character */
    uint32_t gen;    /* bumped whenever a leaf changes (line_width's cache) */
    const char *src; /* the statement */
    rtok *tv;
    size_t nt, capt;
    leaf *lv;
    size_t nl, capl;
    comment *cv;
    size_t nc, capc;
    bb_arena arena;
    bb_buf s2; /* scratch rendering */
};

typedef struct bb_pyline fmt;

/* ---- small helpers ------------------------------------------------------- */

uint32_t bb_pyline_width(const char *s, size_t n)
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

/* The keyword s[0..n) is, KW_NONE for any other name. None, True and
 * False are operands, not keywords here. */
static uint8_t keyword_of(const char *s, size_t n)
{
    static const char *const kw[] = {
        "and",    "as",   "assert", "async",  "await",  "break",   "class",    "continue",
        "def",    "del",  "elif",   "else",   "except", "finally", "for",      "from",
        "global", "if",   "import", "in",     "is",     "lambda",  "nonlocal", "not",
        "or",     "pass", "raise",  "return", "try",    "while",   "with",     "yield"};
    if (n < 2 || n > 8 || s[0] < 'a' || s[0] > 'y')
        return KW_NONE;
    for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
        if (kw[i][0] == s[0] && strlen(kw[i]) == n && !memcmp(kw[i], s, n))
            return (uint8_t)(KW_NONE + 1 + i);
    return KW_NONE;
}

size_t bb_pyline_string_end(const char *s, size_t n, size_t i, bool *nl)
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

/* ---- lexing a statement into raw tokens ---------------------------------- */

/* Whether s[0..n) is a string prefix (r, b, u, f and their pairs). */
bool bb_pyline_is_string_prefix(const char *s, size_t n)
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

/* The operator at s[0..n) (n >= 1) and its length in *len. */
static int operator_at(const char *s, size_t n, size_t *len)
{
    char c = s[0], d = n > 1 ? s[1] : 0, e = n > 2 ? s[2] : 0;
    *len = 1;
    switch (c) {
    case '(':
        return LT_LPAR;
    case '[':
        return LT_LSQB;
    case '{':
        return LT_LBRACE;
    case ')':
        return LT_RPAR;
    case ']':
        return LT_RSQB;
    case '}':
        return LT_RBRACE;
    case ',':
        return LT_COMMA;
    case ';':
        return LT_SEMI;
    case '.':
        if (d == '.' && e == '.') {
            *len = 3;
            return LT_ELLIPSIS;
        }
        return LT_DOT;
    case ':':
        if (d == '=') {
            *len = 2;
            return LT_COLONEQUAL;
        }
        return LT_COLON;
    case '=':
        if (d == '=') {
            *len = 2;
            return LT_COMPARE;
        }
        return LT_EQUAL;
    case '!':
        if (d == '=') {
            *len = 2;
            return LT_COMPARE;
        }
        return LT_OP;
    case '-':
        if (d == '>') {
            *len = 2;
            return LT_RARROW;
        }
        break;
    case '<':
    case '>':
        if (d == c) { /* << >> <<= >>= */
            *len = e == '=' ? 3 : 2;
            return e == '=' ? LT_AUGASSIGN : LT_OP;
        }
        if (d == '=' || (c == '<' && d == '>')) {
            *len = 2;
            return LT_COMPARE;
        }
        return LT_COMPARE;
    case '*':
    case '/':
        if (d == c) { /* ** // **= //= */
            *len = e == '=' ? 3 : 2;
            return e == '=' ? LT_AUGASSIGN : c == '*' ? LT_DOUBLESTAR : LT_OP;
        }
        break;
    default:
        break;
    }
    if (d == '=' && strchr("+-*/%&|^@", c)) {
        *len = 2;
        return LT_AUGASSIGN;
    }
    switch (c) {
    case '*':
        return LT_STAR;
    case '/':
        return LT_SLASH;
    case '@':
        return LT_AT;
    case '\\':
        return LT_BACKSLASH;
    default:
        return LT_OP; /* + - % & | ^ ~ and anything else */
    }
}

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
    t->kw = type == LT_NAME ? keyword_of(f->src + off, len) : KW_NONE;
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
            i = bb_pyline_string_end(s, b, i, &m);
            type = LT_STRING;
        } else if ((c >= '0' && c <= '9') ||
                   (c == '.' && i + 1 < b && s[i + 1] >= '0' && s[i + 1] <= '9')) {
            while (i < b && (bb_pyline_is_name_byte((unsigned char)s[i]) || s[i] == '.' ||
                             ((s[i] == '+' || s[i] == '-') && (s[i - 1] | 0x20) == 'e' &&
                              !(s[st] == '0' && i > st + 1 && (s[st + 1] | 0x20) == 'x'))))
                i++;
            type = LT_NUMBER;
        } else if (bb_pyline_is_name_byte(c)) {
            while (i < b && bb_pyline_is_name_byte((unsigned char)s[i]))
                i++;
            if (i < b && (s[i] == '"' || s[i] == '\'') &&
                bb_pyline_is_string_prefix(s + st, i - st)) {
                bool m = false;
                i = bb_pyline_string_end(s, b, i, &m);
                type = LT_STRING;
            } else {
                type = LT_NAME;
            }
        } else {
            size_t len;
            type = operator_at(s + i, b - i, &len);
            i += len;
        }
        if (push_tok(f, st, i - st, type, nl, ws))
            return BB_ENOMEM;
        if (is_open(type)) {
            if (depth == MAX_NEST)
                return BB_EINVAL;
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
        else if (depth == 0 && (t->type == LT_COMMA || (f->tv[i].kw == KW_FOR)))
            return true;
        else if (depth == 0 && (f->tv[i].kw == KW_LAMBDA)) {
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
    if ((f->tv[first].kw == KW_YIELD))
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
    return (f->tv[i].kw == KW_IN);
}
static bool p_as_or_colon(const fmt *f, size_t i)
{
    return (f->tv[i].kw == KW_AS) || f->tv[i].type == LT_COLON;
}
static bool p_rarrow(const fmt *f, size_t i)
{
    return f->tv[i].type == LT_RARROW;
}
static bool p_import(const fmt *f, size_t i)
{
    return (f->tv[i].kw == KW_IMPORT);
}
static bool p_assign(const fmt *f, size_t i)
{
    return f->tv[i].type == LT_EQUAL || f->tv[i].type == LT_AUGASSIGN || (f->tv[i].kw == KW_LAMBDA);
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
    if (s < n && (f->tv[s].kw == KW_ASYNC))
        s = next_code(f, s + 1, n);
    if (s >= n)
        return;
    if ((f->tv[s].kw == KW_RETURN) || (f->tv[s].kw == KW_DEL)) {
        wrap_child(f, s + 1, n, false, 0);
    } else if ((f->tv[s].kw == KW_ASSERT)) {
        size_t k = find_top(f, s + 1, n, p_comma);
        wrap_child(f, s + 1, k, false, 0);
        if (k < n)
            wrap_child(f, k + 1, n, false, 0);
    } else if ((f->tv[s].kw == KW_IF) || (f->tv[s].kw == KW_ELIF) || (f->tv[s].kw == KW_WHILE)) {
        if ((c = block_colon(f, s, n)) != SIZE_MAX && find_top(f, s + 1, n, p_colon) == c)
            wrap_child(f, s + 1, c, false, 0);
    } else if ((f->tv[s].kw == KW_FOR)) {
        size_t k = find_top(f, s + 1, n, p_in);
        if ((c = block_colon(f, s, n)) != SIZE_MAX && k < c) {
            wrap_child(f, s + 1, k, true, 0);
            wrap_child(f, k + 1, c, false, 0);
        }
    } else if ((f->tv[s].kw == KW_EXCEPT)) {
        size_t k = find_top(f, s + 1, n, p_as_or_colon);
        wrap_child(f, s + 1, k, false, 0);
    } else if ((f->tv[s].kw == KW_DEF)) {
        size_t k = find_top(f, s + 1, n, p_rarrow);
        if (k < n && (c = block_colon(f, k, n)) != SIZE_MAX)
            wrap_child(f, k + 1, c, false, W_RETANN);
    } else if ((f->tv[s].kw == KW_FROM)) {
        size_t k = find_top(f, s + 1, n, p_import), e = n;
        while (e > k && f->tv[e - 1].type == LT_COMMENT)
            e--;
        if (k + 1 < e && f->tv[k + 1].type == LT_LPAR && (size_t)f->tv[k + 1].match == e - 1) {
            f->tv[k + 1].wrap |= W_HIDE;
            f->tv[e - 1].wrap |= W_HIDE;
        } else if (k + 1 < e && !(f->tv[k + 1].type == LT_STAR && k + 2 == e)) {
            wrap_child(f, k + 1, e, false, 0);
        }
    } else if (!(f->tv[s].kw == KW_CLASS) && !(f->tv[s].kw == KW_WITH) &&
               !(f->tv[s].kw == KW_IMPORT) && f->tv[s].type != LT_AT) {
        /* an assignment: the child after each `=` (and a tuple target) */
        size_t k = find_top(f, s, n, p_assign), prev;
        if (k >= n || (f->tv[k].kw == KW_LAMBDA))
            return;
        if (find_top(f, s, k, p_comma) < k && find_top(f, s, k, p_colon) == k)
            wrap_child(f, s, k, false, 0);
        while (k < n) {
            prev = k;
            k = find_top(f, k + 1, n, p_assign);
            if (k < n && (f->tv[k].kw == KW_LAMBDA))
                k = n;
            wrap_child(f, prev + 1, k, false, 0);
        }
    }
}

/* ---- leaves of a statement ----------------------------------------------- */

static int push_leaf(fmt *f, const char *s, size_t n, int type, bool space, uint16_t flags,
                     uint8_t kw)
{
    leaf *l;
    if (grow((void **)&f->lv, &f->capl, f->nl + 1, sizeof(leaf)))
        return BB_ENOMEM;
    l = &f->lv[f->nl++];
    l->s = s;
    l->n = (uint32_t)n;
    l->w = f->ascii ? (uint32_t)n : bb_pyline_width(s, n);
    l->match = -1;
    l->depth = 0;
    l->flags = flags;
    l->type = (uint8_t)type;
    l->space = l->space0 = space;
    l->bprio = 0;
    l->kw = kw;
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
    c->w = bb_pyline_width(s, n);
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
        return l->kw == KW_NONE;
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
                       ((f->lv[prev - 1].kw == KW_DEF) || (f->lv[prev - 1].kw == KW_CLASS))) {
                k = (f->lv[prev - 1].kw == KW_DEF) ? 2 : 1;
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
            if ((l->kw == KW_FOR)) {
                if (depth && prev >= 0 && !(f->lv[prev].kw == KW_ASYNC)) {
                    l->bprio = COMPREHENSION_PRIORITY;
                    comp[depth] = true;
                }
                if (nfor < MAX_NEST + 1)
                    fors[nfor++] = (int32_t)depth;
            } else if ((l->kw == KW_ASYNC)) {
                if (depth && i + 1 < (int32_t)f->nl && (f->lv[i + 1].kw == KW_FOR))
                    l->bprio = COMPREHENSION_PRIORITY;
            } else if ((l->kw == KW_IN)) {
                if (nfor && fors[nfor - 1] == (int32_t)depth)
                    nfor--; /* the `in` of a for: not a comparison */
                else if (!(prev >= 0 && (f->lv[prev].kw == KW_NOT)))
                    l->bprio = COMPARATOR_PRIORITY;
            } else if ((l->kw == KW_IF)) {
                if (prev >= 0)
                    l->bprio = depth && comp[depth] ? COMPREHENSION_PRIORITY : TERNARY_PRIORITY;
            } else if ((l->kw == KW_ELSE)) {
                if (prev >= 0)
                    l->bprio = TERNARY_PRIORITY;
            } else if ((l->kw == KW_IS)) {
                l->bprio = COMPARATOR_PRIORITY;
            } else if ((l->kw == KW_NOT)) {
                if (i + 1 < (int32_t)f->nl && (f->lv[i + 1].kw == KW_IN) &&
                    !(prev >= 0 && (f->lv[prev].kw == KW_IS)))
                    l->bprio = COMPARATOR_PRIORITY;
            } else if ((l->kw == KW_AND) || (l->kw == KW_OR)) {
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
            } else if (push_leaf(f, s, t->len, LT_COMMENT, false, 0, KW_NONE)) {
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
                          (uint16_t)(F_INVIS | ((t->wrap & W_RETANN) ? F_RETANN : 0)), KW_NONE))
                return BB_ENOMEM;
            sp = false;
        }
        if (t->wrap & W_HIDE) {
            if (push_leaf(f, invisible, 0, t->type, sp,
                          (uint16_t)(F_INVIS | ((t->wrap & W_RETANN) ? F_RETANN : 0)), KW_NONE))
                return BB_ENOMEM;
        } else {
            if (push_leaf(f, s, t->len, t->type, sp, 0, t->kw))
                return BB_ENOMEM;
            string_flags(&f->lv[f->nl - 1]);
        }
        if (t->wrap & W_CLOSE) {
            if (push_leaf(f, invisible, 0, LT_RPAR, false,
                          (uint16_t)(F_INVIS | ((t->wrap & W_RETANN) ? F_RETANN : 0)), KW_NONE))
                return BB_ENOMEM;
        }
    }
    return BB_OK;
}

/* ---- Black's Line -------------------------------------------------------- */

static line *line_new(fmt *f, size_t cap, int depth, bool inside)
{
    line *l;
    int32_t *a;
    cap = cap ? cap : 1;
    /* the line, then lv, stack, for_depths, lambda_depths, invis, delim */
    l = bb_arena_alloc_bytes(&f->arena, sizeof(line) + (5 * (cap + 1)) * sizeof(int32_t) + cap);
    if (!l)
        return NULL;
    memset(l, 0, sizeof(*l));
    a = (int32_t *)(void *)(l + 1);
    l->lv = a;
    l->stack = a + (cap + 1);
    l->for_depths = a + 2 * (cap + 1);
    l->lambda_depths = a + 3 * (cap + 1);
    l->invis = a + 4 * (cap + 1);
    l->delim = (uint8_t *)(a + 5 * (cap + 1));
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
    if (ln->nfor && ln->for_depths[ln->nfor - 1] == ln->bt_depth && (f->lv[li].kw == KW_IN)) {
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
    if ((f->lv[li].kw == KW_LAMBDA)) {
        ln->bt_depth++;
        ln->lambda_depths[ln->nlambda++] = ln->bt_depth;
    }
    if ((f->lv[li].kw == KW_FOR)) {
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
        ln->is_import = (f->lv[li].kw == KW_IMPORT) || (f->lv[li].kw == KW_FROM);
        ln->is_def = (f->lv[li].kw == KW_DEF);
    } else if (pos == 1 && (f->lv[ln->lv[0]].kw == KW_ASYNC) && (f->lv[li].kw == KW_DEF)) {
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
static size_t line_width(const fmt *f, const line *cln)
{
    line *ln = (line *)(uintptr_t)cln; /* the cache is not part of the value */
    size_t w = (size_t)4 * (size_t)ln->depth + (size_t)f->pad;
    if (ln->wgen == f->gen + 1 && ln->wn == ln->n && ln->wncm == ln->ncm)
        return ln->wcache;
    for (uint32_t k = 0; k < ln->n; k++) {
        const leaf *l = &f->lv[ln->lv[k]];
        w += l->w + (k > 0 && l->space);
    }
    for (uint32_t k = 0; k < ln->ncm; k++)
        w += 2 + f->cv[ln->cm[k].c].w;
    ln->wgen = f->gen + 1;
    ln->wn = ln->n;
    ln->wncm = ln->ncm;
    ln->wcache = w;
    return w;
}

static int render_line(const fmt *f, const line *ln, bb_buf *b)
{
    int rc = bb_buf_fill(b, ' ', (size_t)4 * (size_t)ln->depth + (size_t)f->pad);
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
        f->gen++;
    }
}

/* Black's normalize_prefix: the leaf starts a line, no space before it. */
static void clear_space(fmt *f, int32_t li)
{
    if (f->lv[li].space) {
        f->lv[li].space = 0;
        f->gen++;
    }
}

/* ---- splits -------------------------------------------------------------- */

enum { HEAD, BODY, TAIL };

static int32_t added_comma(fmt *f)
{
    if (push_leaf(f, ",", 1, LT_COMMA, false, F_ADDED, KW_NONE))
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
        clear_space(f, lv[0]);
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
    tail_len = line_width(f, tail) - (size_t)4 * (size_t)tail->depth - (size_t)f->pad;
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
    size_t length = (size_t)4 * (size_t)ln->depth + (size_t)f->pad;
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
    size_t length = (size_t)4 * (size_t)ln->depth + (size_t)f->pad;
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
        t->length = (size_t)4 * (size_t)ln->depth + (size_t)f->pad;
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

/* delimiter_split: one line per item at the highest delimiter priority,
 * a trailing comma added after the last item of a comma split (not after
 * *args or **kwargs when the file's target versions forbid it). */
static int delimiter_split(fmt *f, const line *ln, linevec *out)
{
    int prio;
    line *cur;
    int32_t lowest = INT32_MAX;
    bool tc_safe = true, vararg_def = false, vararg_call = false;
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
            clear_space(f, li);
        line_append(f, cur, li, cur->inside);
        if ((rc = copy_comments_after(f, ln, li, cur)))
            return rc;
        if (l->depth < lowest)
            lowest = l->depth;
        if (l->depth == lowest) {
            vararg_def |= (l->flags & F_VARARG_DEF) != 0;
            vararg_call |= (l->flags & F_VARARG_CALL) != 0;
        }
        if (ln->delim[k] == prio) {
            if ((rc = vec_push(f, out, cur)))
                return rc;
            if (!(cur = line_new(f, ln->n + 1, ln->depth, ln->inside)))
                return BB_ENOMEM;
        }
    }
    if (line_nonempty(cur)) {
        if ((vararg_def || vararg_call) && !f->tc_known) {
            f->tc_known = true;
            if (f->versions)
                f->versions(f->versions_ctx, &f->tc_call, &f->tc_def);
        }
        tc_safe = !(vararg_def && !f->tc_def) && !(vararg_call && !f->tc_call);
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
            clear_space(f, li);
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
        return delimiter_split(f, ln, out);
    case T_STANDALONE:
        return standalone_comment_split(f, ln, out);
    case T_RHS:
        return rhs_transform(f, ln, feat, out);
    default:
        return left_hand_split(f, ln, out);
    }
}

/* Whether ln renders as orig does (Black's "unchanged result"): only lines
 * of the same width can, and only those are rendered and compared. */
static int same_text(fmt *f, const line *ln, const line *orig, char **orig_text, size_t *orig_len,
                     bool *same)
{
    int rc;
    *same = false;
    if (ln->depth != orig->depth || line_width(f, ln) != line_width(f, orig))
        return BB_OK;
    if (!*orig_text) {
        bb_buf_reset(&f->s2);
        if ((rc = render_line(f, orig, &f->s2)))
            return rc;
        *orig_len = f->s2.len;
        if (!(*orig_text = bb_arena_alloc_bytes(&f->arena, *orig_len + 1)))
            return BB_ENOMEM;
        memcpy(*orig_text, f->s2.data, *orig_len);
    }
    bb_buf_reset(&f->s2);
    if ((rc = render_line(f, ln, &f->s2)))
        return rc;
    *same = f->s2.len == *orig_len && !memcmp(f->s2.data, *orig_text, *orig_len);
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
    char *line_str = NULL; /* rendered when a line of its width comes back */
    size_t line_len = 0;
    bool any_visible = false, any_added = false;
    int rc;
    if ((rc = apply_transform(f, which, ln, feat, &produced)))
        return rc;
    for (size_t k = 0; k < produced.n; k++) {
        bool same;
        if ((rc = same_text(f, produced.v[k], ln, &line_str, &line_len, &same)))
            return rc;
        if (same)
            return CANNOT;
        if ((rc = transform_line(f, produced.v[k], feat, &result)))
            return rc;
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
            return rc;
        /* Black lets the second opinion's CannotTransform escape */
        if ((rc = run_transformer(f, copy, which, &fop, &second)))
            return rc;
        for (size_t k = 0; k < second.n; k++)
            all_short = all_short && short_enough(f, second.v[k]);
        if (all_short)
            result = second;
    }
    for (size_t k = 0; k < result.n; k++)
        if ((rc = vec_push(f, out, result.v[k])))
            return rc;
    return BB_OK;
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

/* ---- the entry points ---------------------------------------------------- */

bb_pyline *bb_pyline_new(unsigned line_length)
{
    bb_pyline *p = bb_calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->ll = line_length ? line_length : 88;
    p->tc_call = p->tc_def = true;
    bb_arena_init(&p->arena, STMT_MAX);
    bb_buf_init(&p->s2, STMT_MAX);
    return p;
}

void bb_pyline_free(bb_pyline *p)
{
    if (!p)
        return;
    bb_arena_free(&p->arena);
    bb_buf_free(&p->s2);
    bb_free(p->tv);
    bb_free(p->lv);
    bb_free(p->cv);
    bb_free(p);
}

void bb_pyline_set_versions(bb_pyline *p, bb_pyline_versions_fn fn, void *ctx)
{
    p->versions = fn;
    p->versions_ctx = ctx;
    p->tc_known = fn == NULL;
    p->tc_call = p->tc_def = true;
}

int bb_pyline_format(bb_pyline *f, bb_buf *out, const char *s, size_t n, int indent, bool item)
{
    size_t ntrail = 0, t = 0;
    anchor *trail;
    line *ln;
    linevec lines = {0};
    bool import_stmt;
    int rc;
    if (indent < 0)
        indent = -indent;
    if (f->arena.used_total > ARENA_KEEP) {
        /* the lines of earlier statements are garbage: drop them at times */
        bb_arena_free(&f->arena);
        bb_arena_init(&f->arena, STMT_MAX);
    }
    f->src = s;
    f->pad = indent % 4;
    f->ascii = true;
    for (size_t i = 0; i < n; i++)
        f->ascii &= (unsigned char)s[i] < 0x80;
    if ((rc = lex(f, 0, n)))
        return rc;
    if (!item)
        mark_invisible_parens(f);
    trail = bb_arena_alloc_bytes(&f->arena, (f->nt + 1) * sizeof(anchor));
    if (!trail)
        return BB_ENOMEM;
    if ((rc = build_leaves(f, trail, &ntrail, f->nt + 1)))
        return rc;
    import_stmt = f->nl > 0 && ((f->lv[0].kw == KW_IMPORT) || (f->lv[0].kw == KW_FROM));
    classify_leaves(f, import_stmt);
    if (!(ln = line_new(f, f->nl + 1, indent / 4, item)))
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
        if ((rc = render_line(f, lines.v[k], out)) || (rc = bb_buf_putc(out, '\n')))
            return rc;
    return BB_OK;
}
