/*
 * pyline_int.h - what the two halves of Black's line splitter share
 * (pyline_leaves.c: a statement's tokens and leaves; pyline.c: Black's
 * Lines and splits). Internal to render/pyline; nothing else includes it.
 * Include render/pyline.h first.
 */
#ifndef BB_PYLINE_INT_H
#define BB_PYLINE_INT_H

#include "base/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A transform that does not apply (Black's CannotTransform/CannotSplit). */
#define CANNOT 1
#define MAX_NEST BB_PYLINE_MAX_NEST
/* Memory one statement's lines may use; the arena is emptied between
 * statements once it holds more than ARENA_KEEP. Kept small: the formatter
 * of each thread holds up to that much garbage at the peak of a run. */
#define STMT_MAX ((size_t)64 << 20)
#define ARENA_KEEP ((size_t)32 << 10)

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

static inline bool is_open(int t)
{
    return t >= LT_LPAR && t <= LT_LBRACE;
}
static inline bool is_close(int t)
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
    uint8_t spacing;   /* OP_* of an operator (build_leaves) */
    uint8_t closes;    /* visible ) to insert after it (W_VOPEN's) */
    int32_t match;
} rtok;

enum {
    W_OPEN = 1,    /* insert an invisible ( before */
    W_CLOSE = 2,   /* insert an invisible ) after */
    W_HIDE = 4,    /* a paren made invisible */
    W_DROP = 8,    /* a redundant paren removed */
    W_RETANN = 16, /* the invisible parens of a return annotation */
    W_VOPEN = 32   /* insert a visible ( before: -x ** 2 is -(x**2) */
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
    bb_buf s2;       /* scratch rendering */
    const char *why; /* static: why the last statement was refused */
};

typedef struct bb_pyline fmt;

/* pyline_leaves.c */
int bb__pyline_lex(fmt *f, size_t a, size_t b);
void bb__pyline_mark_invisible_parens(fmt *f);
int bb__pyline_push_leaf(fmt *f, const char *s, size_t n, int type, bool space, uint16_t flags,
                         uint8_t kw);
void bb__pyline_classify_leaves(fmt *f, bool import_stmt);
int bb__pyline_build_leaves(fmt *f, anchor *trail, size_t *ntrail, size_t maxtrail);

#endif
