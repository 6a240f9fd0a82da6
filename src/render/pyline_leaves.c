/*
 * pyline_leaves.c - a statement's tokens, Black's invisible parentheses and
 * its leaves with their delimiter priorities (see pyline_int.h).
 */
#include "render/pyline.h"
#include "render/pyline_int.h"

/* ---- small helpers ------------------------------------------------------- */

uint32_t bb_pyline_width(const char *s, size_t n)
{
    /* the bytes less the continuation bytes (10xxxxxx), eight at a time:
     * a byte's bit 7 stays in the mask when its bit 6 is clear */
    size_t cont = 0, i = 0;
    uint64_t w;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        /* the marks, one a byte, summed by a multiply (no popcount call) */
        w = (w & ~(w << 1) & 0x8080808080808080u) >> 7;
        cont += (size_t)((w * 0x0101010101010101u) >> 56);
    }
    for (; i < n; i++)
        cont += ((unsigned char)s[i] & 0xC0) == 0x80;
    return (uint32_t)(n - cont);
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
    /* where the keywords starting with each letter a..z begin in kw[] */
    static const uint8_t from[27] = {0,  5,  6,  8,  10, 13, 16, 17, 17, 21, 21, 21, 22, 22,
                                     24, 25, 26, 26, 28, 28, 29, 29, 29, 31, 31, 32, 32};
    if (n < 2 || n > 8 || s[0] < 'a' || s[0] > 'y')
        return KW_NONE;
    for (size_t i = from[s[0] - 'a']; i < from[s[0] - 'a' + 1]; i++)
        if (strlen(kw[i]) == n && !memcmp(kw[i], s, n))
            return (uint8_t)(KW_NONE + 1 + i);
    return KW_NONE;
}

bool bb_pyline_is_keyword(const char *s, size_t n)
{
    return keyword_of(s, n) != KW_NONE;
}

size_t bb_pyline_string_end(const char *s, size_t n, size_t i, bool *nl)
{
    /* the bytes the loop below acts on: the others are skipped in a run */
    static const bool stop[256] = {['\\'] = true, ['\n'] = true, ['"'] = true, ['\''] = true};
    char q = s[i];
    bool triple = i + 2 < n && s[i + 1] == q && s[i + 2] == q;
    i += triple ? 3 : 1;
    while (i < n) {
        while (i < n && !stop[(unsigned char)s[i]])
            i++;
        if (i == n)
            break;
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

size_t bb_pyline_number_end(const char *s, size_t n, size_t i)
{
    bool hex = s[i] == '0' && i + 1 < n && (s[i + 1] | 0x20) == 'x';
    while (i < n && (bb_pyline_is_name_byte((unsigned char)s[i]) || s[i] == '.' ||
                     ((s[i] == '+' || s[i] == '-') && (s[i - 1] | 0x20) == 'e' && !hex)))
        i++;
    return i;
}

/* Inserts a 0 at out[at], moving out[at..*k) up by one. */
static void insert_zero(char *out, size_t *k, size_t at)
{
    memmove(out + at + 1, out + at, *k - at);
    out[at] = '0';
    (*k)++;
}

/* Black's format_float_or_int_string over out[0..end): 1. is 1.0, .5 is
 * 0.5. */
static void write_float_digits(char *out, size_t *k, size_t end)
{
    const char *dot = memchr(out, '.', end);
    if (!dot)
        return;
    size_t at = (size_t)(dot - out);
    if (at + 1 == end)
        insert_zero(out, k, end);
    if (at == 0)
        insert_zero(out, k, 0);
}

size_t bb_pyline_number(const char *s, size_t n, char *out)
{
    size_t k = n;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]);
    if (n >= 2 && out[0] == '0' && (out[1] == 'o' || out[1] == 'b'))
        return k;
    if (n >= 2 && out[0] == '0' && out[1] == 'x') {
        for (size_t i = 2; i < n; i++)
            out[i] = (char)(out[i] >= 'a' && out[i] <= 'z' ? out[i] & ~0x20 : out[i]);
        return k;
    }
    const char *e = memchr(out, 'e', n);
    if (e) {
        size_t at = (size_t)(e - out);
        if (at + 1 < k && out[at + 1] == '+') {
            memmove(out + at + 1, out + at + 2, k - at - 2);
            k--;
        }
        write_float_digits(out, &k, at);
    } else {
        write_float_digits(out, &k, n && out[n - 1] == 'j' ? n - 1 : n);
    }
    return k;
}

bool bb_pyline_number_is_normal(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
        i++;
    if (i == n)
        return true; /* a decimal integer, the common case */
    char normal[64];
    if (n + 2 > sizeof(normal))
        return false;
    return bb_pyline_number(s, n, normal) == n && !memcmp(normal, s, n);
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
    if (f->nt == f->capt && bb_grow((void **)&f->tv, &f->capt, f->nt + 1, sizeof(rtok)))
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
    t->closes = 0;
    return BB_OK;
}

/* BB_EINVAL, saying why (bb_pyline_refusal). */
static int refuse(fmt *f, const char *why)
{
    f->why = why;
    return BB_EINVAL;
}

/* BB_OK, or the refusal of a `for` still waiting for its `in` or a
 * `lambda` for its `:` where their bracket (or the statement) ends: Black's
 * bracket depths count on both. */
static int check_closed(fmt *f, uint16_t fors, uint16_t lambdas)
{
    if (fors)
        return refuse(f, "`for` without `in`");
    return lambdas ? refuse(f, "`lambda` without `:`") : BB_OK;
}

/* The tokens of the (already scanned) statement s[a..b). Comments are
 * tokens of type LT_COMMENT. */
int bb__pyline_lex(fmt *f, size_t a, size_t b)
{
    const char *s = f->src;
    size_t i = a;
    bool nl = false, ws = false;
    int32_t stack[MAX_NEST];
    /* the `for`s waiting for their `in`, the `lambda`s for their `:` */
    uint16_t fors[MAX_NEST + 1], lambdas[MAX_NEST + 1];
    size_t depth = 0;
    f->nt = 0;
    fors[0] = lambdas[0] = 0;
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
            i = bb_pyline_number_end(s, b, i);
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
        const rtok *t = &f->tv[f->nt - 1];
        if (is_open(type)) {
            if (depth == MAX_NEST)
                return refuse(f, "brackets nested too deeply");
            stack[depth++] = (int32_t)(f->nt - 1);
            fors[depth] = lambdas[depth] = 0;
        } else if (is_close(type) && depth) {
            int rc = check_closed(f, fors[depth], lambdas[depth]);
            if (rc)
                return rc;
            int32_t o = stack[--depth];
            f->tv[o].match = (int32_t)(f->nt - 1);
            f->tv[f->nt - 1].match = o;
        } else if (t->kw == KW_FOR) {
            fors[depth]++;
        } else if (t->kw == KW_IN && fors[depth]) {
            fors[depth]--;
        } else if (t->kw == KW_LAMBDA) {
            lambdas[depth]++;
        } else if (type == LT_COLON && lambdas[depth]) {
            lambdas[depth]--;
        }
        nl = ws = false;
    }
    return check_closed(f, fors[0], lambdas[0]);
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
    if (f->tv[first].kw == KW_YIELD)
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
void bb__pyline_mark_invisible_parens(fmt *f)
{
    size_t n = f->nt, s = next_code(f, 0, n), c;
    if (s < n && (f->tv[s].kw == KW_ASYNC))
        s = next_code(f, s + 1, n);
    if (s >= n)
        return;
    if ((f->tv[s].kw == KW_RETURN) || (f->tv[s].kw == KW_DEL)) {
        wrap_child(f, s + 1, n, false, 0);
    } else if (f->tv[s].kw == KW_ASSERT) {
        size_t k = find_top(f, s + 1, n, p_comma);
        wrap_child(f, s + 1, k, false, 0);
        if (k < n)
            wrap_child(f, k + 1, n, false, 0);
    } else if ((f->tv[s].kw == KW_IF) || (f->tv[s].kw == KW_ELIF) || (f->tv[s].kw == KW_WHILE)) {
        if ((c = block_colon(f, s, n)) != SIZE_MAX && find_top(f, s + 1, n, p_colon) == c)
            wrap_child(f, s + 1, c, false, 0);
    } else if (f->tv[s].kw == KW_FOR) {
        size_t k = find_top(f, s + 1, n, p_in);
        if ((c = block_colon(f, s, n)) != SIZE_MAX && k < c) {
            wrap_child(f, s + 1, k, true, 0);
            wrap_child(f, k + 1, c, false, 0);
        }
    } else if (f->tv[s].kw == KW_EXCEPT) {
        size_t k = find_top(f, s + 1, n, p_as_or_colon);
        wrap_child(f, s + 1, k, false, 0);
    } else if (f->tv[s].kw == KW_DEF) {
        size_t k = find_top(f, s + 1, n, p_rarrow);
        if (k < n && (c = block_colon(f, k, n)) != SIZE_MAX)
            wrap_child(f, k + 1, c, false, W_RETANN);
    } else if (f->tv[s].kw == KW_FROM) {
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

int bb__pyline_push_leaf(fmt *f, const char *s, size_t n, int type, bool space, uint16_t flags,
                         uint8_t kw)
{
    leaf *l;
    if (f->nl == f->capl && bb_grow((void **)&f->lv, &f->capl, f->nl + 1, sizeof(leaf)))
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
    if (bb_grow((void **)&f->cv, &f->capc, f->nc + 1, sizeof(comment)))
        return BB_ENOMEM;
    c = &f->cv[f->nc++];
    c->s = s;
    c->n = (uint32_t)n;
    c->w = bb_pyline_width(s, n);
    return BB_OK;
}

/* ---- blanks around operators ---------------------------------------------- */

/* Whether token i (a name) is `match` or `case` opening a block: a soft
 * keyword, not an operand. */
static bool soft_keyword(const fmt *f, size_t i)
{
    const rtok *t = &f->tv[i];
    const char *s = f->src + t->off;
    return i == 0 && f->tv[f->nt - 1].type == LT_COLON &&
           ((t->len == 5 && !memcmp(s, "match", 5)) || (t->len == 4 && !memcmp(s, "case", 4)));
}

/* Whether a token or leaf of this type and keyword ends an operand, so
 * that a +, -, * or ** after it is binary. */
static bool operand_end(int type, uint8_t kw)
{
    if (type == LT_NAME)
        return kw == KW_NONE;
    return type == LT_NUMBER || type == LT_STRING || type == LT_ELLIPSIS || is_close(type);
}

/* operand_end() of token i, `match` and `case` opening a block excepted. */
static bool token_ends_operand(const fmt *f, size_t i)
{
    return operand_end(f->tv[i].type, f->tv[i].kw) && !soft_keyword(f, i);
}

/* The code token before token i (comments skipped), or -1. */
static int64_t code_before(const fmt *f, size_t i)
{
    while (i > 0 && f->tv[i - 1].type == LT_COMMENT)
        i--;
    return (int64_t)i - 1;
}

/* How Black spaces an operator token (rtok.spacing). */
enum { OP_NONE, OP_SPACED, OP_HUGGED, OP_UNARY, OP_AS_WRITTEN, OP_COLON, OP_SLICE, OP_SLICE_WIDE };

/* What the operator spacing needs of each bracket level. */
typedef struct level {
    int open;           /* LT_LPAR, LT_LSQB, LT_LBRACE; 0 for the statement */
    bool annotated;     /* a `:` since the level's last `,` */
    bool lambda_params; /* in a lambda's parameters (its `:` not reached) */
    bool subscript;     /* `x[...]`, not a list */
    bool complex;       /* the subscript's current item is not trivial */
} level;

static bool is_factor_op(const fmt *f, const rtok *t)
{
    char c = f->src[t->off];
    return t->type == LT_OP && t->len == 1 && (c == '-' || c == '+' || c == '~');
}

/* The end of a subscript item starting at token a: the next `,` at its
 * level, or its closing bracket. */
static size_t item_end(const fmt *f, size_t a)
{
    size_t j = a;
    while (j < f->nt && f->tv[j].type != LT_COMMA && !is_close(f->tv[j].type))
        j = is_open(f->tv[j].type) && f->tv[j].match > (int32_t)j ? (size_t)f->tv[j].match + 1
                                                                  : j + 1;
    return j;
}

/*
 * Black's is_complex_subscript: whether the subscript item tokens a..b
 * holds more than names, numbers, strings and unary operators: an
 * attribute, a call or an index, an operator with two operands, a
 * comparison or a boolean, a conditional, a lambda, a star or a walrus.
 */
static bool complex_item(const fmt *f, size_t a, size_t b)
{
    for (size_t j = a; j < b; j++) {
        const rtok *t = &f->tv[j];
        bool after_operand = j > a && token_ends_operand(f, j - 1);
        switch (t->type) {
        case LT_DOT:
        case LT_STAR:
        case LT_DOUBLESTAR:
        case LT_COLONEQUAL:
        case LT_COMPARE:
            return true;
        case LT_LPAR:
        case LT_LSQB:
            if (after_operand)
                return true;
            break;
        case LT_OP:
        case LT_SLASH:
        case LT_AT:
            if (after_operand && f->src[t->off] != '~') /* binary */
                return true;
            break;
        case LT_NAME:
            if (t->kw == KW_AND || t->kw == KW_OR || t->kw == KW_NOT || t->kw == KW_IF ||
                t->kw == KW_LAMBDA || t->kw == KW_IN || t->kw == KW_IS || t->kw == KW_AWAIT)
                return true;
            break;
        default:
            break;
        }
    }
    return false;
}

/* Black's hug_power_op: an operand of ** is simple when it is a name or a
 * number (the exponent may have a unary operator) with only attribute
 * lookups next to it, away from the operator. A bracket ends the lookup
 * as not simple on the operator's side: the parentheses parenthesize_power
 * inserts count too. */
static bool simple_lookup(const fmt *f, int64_t k, int step)
{
    for (; k >= 0 && (size_t)k < f->nt; k += step) {
        const rtok *t = &f->tv[k];
        if (step < 0 ? t->type == LT_RPAR || t->type == LT_RSQB || t->closes
                     : t->type == LT_LPAR || t->type == LT_LSQB || (t->wrap & W_VOPEN))
            return false;
        if ((t->type != LT_NAME && t->type != LT_DOT) || t->kw == KW_FOR)
            return true;
        if (step < 0 ? (t->wrap & W_VOPEN) : t->closes)
            return true; /* the inserted bracket ends it */
    }
    return true;
}

static bool hugs_power(const fmt *f, size_t i)
{
    int64_t b = code_before(f, i);
    size_t e = i + 1;
    if (b < 0 || e >= f->nt || (f->tv[b].type != LT_NAME && f->tv[b].type != LT_NUMBER) ||
        !simple_lookup(f, b, -1))
        return false;
    if (is_factor_op(f, &f->tv[e]))
        e++;
    return e < f->nt && (f->tv[e].type == LT_NAME || f->tv[e].type == LT_NUMBER) &&
           simple_lookup(f, (int64_t)e, 1);
}

/* The last token of the atom at token j (a name, a number, strings, `...`
 * or a bracket), or -1. */
static int64_t atom_end(const fmt *f, size_t j)
{
    const rtok *t = &f->tv[j];
    if (is_open(t->type))
        return t->match;
    if (t->type == LT_STRING) {
        while (j + 1 < f->nt && f->tv[j + 1].type == LT_STRING)
            j++;
        return (int64_t)j;
    }
    bool name = t->type == LT_NAME && t->kw == KW_NONE;
    return name || t->type == LT_NUMBER || t->type == LT_ELLIPSIS ? (int64_t)j : -1;
}

/* The last token of the factor starting at token j (unary operators, an
 * atom, its trailers, then `** factor`), or -1. */
static int64_t factor_end(const fmt *f, size_t j)
{
    while (j < f->nt && is_factor_op(f, &f->tv[j]))
        j++;
    if (j >= f->nt)
        return -1;
    int64_t e = atom_end(f, j);
    while (e >= 0 && (size_t)e + 1 < f->nt) {
        const rtok *n = &f->tv[e + 1];
        if (n->type == LT_DOT && (size_t)e + 2 < f->nt && f->tv[e + 2].type == LT_NAME)
            e += 2;
        else if ((n->type == LT_LPAR || n->type == LT_LSQB) && n->match > e + 1)
            e = n->match;
        else if (n->type == LT_DOUBLESTAR && (size_t)e + 2 < f->nt)
            return factor_end(f, (size_t)e + 2);
        else
            break;
    }
    return e;
}

/* Black's visit_factor: a unary operator before `atom ** factor` gets
 * that power in parentheses (`-x ** 2` is `-(x**2)`). */
static void parenthesize_power(fmt *f, size_t u)
{
    if (u + 1 >= f->nt)
        return;
    int64_t a = atom_end(f, u + 1);
    if (a < 0 || (size_t)a + 2 >= f->nt || f->tv[a + 1].type != LT_DOUBLESTAR)
        return;
    int64_t e = factor_end(f, (size_t)a + 2);
    /* a removed paren at either end has no leaf to stand beside */
    if (e < 0 || ((f->tv[u + 1].wrap | f->tv[e].wrap) & W_DROP) || f->tv[e].closes == UINT8_MAX)
        return;
    f->tv[u + 1].wrap |= W_VOPEN;
    f->tv[e].closes++;
}

/*
 * Sets rtok.spacing of every operator, as Black's whitespace() tells them
 * apart: an assignment's `=` is spaced, and an annotated parameter's
 * default; a keyword argument's, a plain parameter's and a lambda
 * parameter's are hugged. A `:` is a dict's, an annotation's, a lambda's
 * or a block's (OP_COLON), or a slice's, spaced when its subscript item
 * is complex. An arithmetic operator is binary after an operand, else
 * unary; `**` between simple operands is hugged. A unary operator before a
 * power gets the power in parentheses.
 */
static void set_operator_spacing(fmt *f)
{
    level lv[BB_PYLINE_MAX_NEST + 1];
    size_t depth = 0;
    lv[0] = (level){0, false, false, false, false};
    for (size_t i = 0; i < f->nt; i++) {
        rtok *t = &f->tv[i];
        level *l = &lv[depth];
        int64_t p;
        t->spacing = OP_NONE;
        switch (t->type) {
        case LT_COMPARE:
        case LT_RARROW:
        case LT_AUGASSIGN:
            t->spacing = OP_SPACED;
            break;
        case LT_EQUAL:
            t->spacing = !l->lambda_params && (depth == 0 || l->annotated) ? OP_SPACED : OP_HUGGED;
            break;
        case LT_COLON:
            if (l->open != LT_LSQB || l->lambda_params)
                t->spacing = OP_COLON;
            else if (l->subscript)
                t->spacing = l->complex ? OP_SLICE_WIDE : OP_SLICE;
            else
                t->spacing = OP_AS_WRITTEN;
            l->annotated = true;
            l->lambda_params = false;
            break;
        case LT_COMMA:
            l->annotated = false;
            if (l->subscript)
                l->complex = complex_item(f, i + 1, item_end(f, i + 1));
            break;
        case LT_OP:
        case LT_STAR:
        case LT_SLASH:
        case LT_AT:
        case LT_DOUBLESTAR:
            p = code_before(f, i);
            if (p < 0 || !token_ends_operand(f, (size_t)p) || f->src[t->off] == '~') {
                t->spacing = OP_UNARY; /* -x, *args, **kwargs, @decorator, ~x */
                if (is_factor_op(f, t))
                    parenthesize_power(f, i);
            } else {
                t->spacing = OP_SPACED;
            }
            break;
        default:
            if (t->kw == KW_LAMBDA) {
                l->lambda_params = true;
            } else if (is_open(t->type) && depth < BB_PYLINE_MAX_NEST) {
                p = code_before(f, i);
                bool sub = t->type == LT_LSQB && p >= 0 && token_ends_operand(f, (size_t)p);
                lv[++depth] = (level){t->type, false, false, sub,
                                      sub && complex_item(f, i + 1, item_end(f, i + 1))};
            } else if (is_close(t->type) && depth > 0) {
                depth--;
            }
            break;
        }
    }
    /* once every power after a unary operator has its parentheses */
    for (size_t i = 0; i < f->nt; i++)
        if (f->tv[i].type == LT_DOUBLESTAR && f->tv[i].spacing == OP_SPACED && hugs_power(f, i))
            f->tv[i].spacing = OP_HUGGED;
}

/*
 * The space before a token in the joined statement, as Black's
 * whitespace() sets it: none before a closing bracket or a comma or after
 * an opening bracket, one after a comma; one on each side of an
 * assignment, a comparison, `->` and a binary operator, none around a
 * keyword argument's `=` and after a unary operator, one between a keyword
 * and a unary operator, none before a colon and one after it (a slice's
 * as its item calls for), one around a keyword (but after an opening
 * bracket or before a closing one).
 * Else as written on its own line, and across a line break as Black would
 * put it.
 */
static bool join_space(const fmt *f, size_t i)
{
    const rtok *t = &f->tv[i];
    int64_t p = code_before(f, i);
    if (p < 0)
        return false;
    int prev = f->tv[p].type;
    if (is_close(t->type) || t->type == LT_COMMA || is_open(prev))
        return false;
    int here = t->spacing, before = f->tv[p].spacing;
    /* a slice's colon: none around it, or one when the item is complex
     * (`x[a:b]`, `x[a + 1 :]`), none between two (`x[::2]`) */
    if (here == OP_SLICE || here == OP_SLICE_WIDE)
        return prev == LT_COMMA || (here == OP_SLICE_WIDE && prev != LT_COLON);
    if (before == OP_SLICE || before == OP_SLICE_WIDE)
        return before == OP_SLICE_WIDE;
    if (here == OP_COLON)
        return false;
    if (here == OP_SPACED || before == OP_SPACED || before == OP_COLON)
        return true;
    if (here == OP_HUGGED || before == OP_HUGGED || before == OP_UNARY)
        return false;
    if (here == OP_UNARY && prev == LT_NAME) /* after a keyword: `return -1`, `import *` */
        return true;
    /* around a keyword: `open(x) as f`, `return "x"`, `not (x)` */
    if (t->kw != KW_NONE ||
        (f->tv[p].kw != KW_NONE &&
         (t->type == LT_NAME || t->type == LT_NUMBER || t->type == LT_STRING || is_open(t->type))))
        return true;
    if (!t->nl_before)
        return prev == LT_COMMA || t->ws_before;
    return !(t->type == LT_DOT && is_close(prev));
}

/* operand_end() of leaf i (none before the first). */
static bool ends_operand(const fmt *f, int32_t i)
{
    return i >= 0 && operand_end(f->lv[i].type, f->lv[i].kw);
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
void bb__pyline_classify_leaves(fmt *f, bool import_stmt)
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
            if (l->kw == KW_FOR) {
                if (depth && prev >= 0 && !(f->lv[prev].kw == KW_ASYNC)) {
                    l->bprio = COMPREHENSION_PRIORITY;
                    comp[depth] = true;
                }
                if (nfor < MAX_NEST + 1)
                    fors[nfor++] = (int32_t)depth;
            } else if (l->kw == KW_ASYNC) {
                if (depth && i + 1 < (int32_t)f->nl && (f->lv[i + 1].kw == KW_FOR))
                    l->bprio = COMPREHENSION_PRIORITY;
            } else if (l->kw == KW_IN) {
                if (nfor && fors[nfor - 1] == (int32_t)depth)
                    nfor--; /* the `in` of a for: not a comparison */
                else if (!(prev >= 0 && (f->lv[prev].kw == KW_NOT)))
                    l->bprio = COMPARATOR_PRIORITY;
            } else if (l->kw == KW_IF) {
                if (prev >= 0)
                    l->bprio = depth && comp[depth] ? COMPREHENSION_PRIORITY : TERNARY_PRIORITY;
            } else if (l->kw == KW_ELSE) {
                if (prev >= 0)
                    l->bprio = TERNARY_PRIORITY;
            } else if (l->kw == KW_IS) {
                l->bprio = COMPARATOR_PRIORITY;
            } else if (l->kw == KW_NOT) {
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

/* A token's leaf; a number as Black writes it (its text in the arena when
 * that differs). */
static int push_text(fmt *f, const char *s, const rtok *t, bool sp)
{
    if (t->type == LT_NUMBER && !bb_pyline_number_is_normal(s, t->len)) {
        char *normal = bb_arena_alloc_bytes(&f->arena, t->len + 2);
        if (!normal)
            return BB_ENOMEM;
        return bb__pyline_push_leaf(f, normal, bb_pyline_number(s, t->len, normal), t->type, sp, 0,
                                    t->kw);
    }
    return bb__pyline_push_leaf(f, s, t->len, t->type, sp, 0, t->kw);
}

/*
 * Turns the statement's tokens into leaves: invisible parens inserted,
 * redundant ones hidden or dropped, spaces as Black's whitespace() gives
 * them for code that is already spaced as Black spaces it. Standalone
 * comments inside brackets become leaves; trailing ones go to *trail
 * (index of the leaf they follow and of the comment).
 */
int bb__pyline_build_leaves(fmt *f, anchor *trail, size_t *ntrail, size_t maxtrail)
{
    static const char *const invisible = "";
    size_t n = f->nt;
    bool pending_space = false;
    f->nl = 0;
    f->nc = 0;
    *ntrail = 0;
    set_operator_spacing(f);
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
            } else if (bb__pyline_push_leaf(f, s, t->len, LT_COMMENT, false, 0, KW_NONE)) {
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
        /* A wrapped child follows a keyword, `=`, `->` or `in`, which Black
         * always spaces from it: `return(x)` becomes `return x`. */
        if ((t->wrap & W_OPEN) || ((t->wrap & W_HIDE) && is_open(t->type)))
            sp = true;
        if (t->wrap & W_OPEN) {
            if (bb__pyline_push_leaf(f, invisible, 0, LT_LPAR, sp,
                                     (uint16_t)(F_INVIS | ((t->wrap & W_RETANN) ? F_RETANN : 0)),
                                     KW_NONE))
                return BB_ENOMEM;
            sp = false;
        }
        if (t->wrap & W_VOPEN) {
            if (bb__pyline_push_leaf(f, "(", 1, LT_LPAR, sp, 0, KW_NONE))
                return BB_ENOMEM;
            sp = false;
        }
        if (t->wrap & W_HIDE) {
            if (bb__pyline_push_leaf(f, invisible, 0, t->type, sp,
                                     (uint16_t)(F_INVIS | ((t->wrap & W_RETANN) ? F_RETANN : 0)),
                                     KW_NONE))
                return BB_ENOMEM;
        } else {
            if (push_text(f, s, t, sp))
                return BB_ENOMEM;
            string_flags(&f->lv[f->nl - 1]);
        }
        for (uint8_t k = 0; k < t->closes; k++)
            if (bb__pyline_push_leaf(f, ")", 1, LT_RPAR, false, 0, KW_NONE))
                return BB_ENOMEM;
        if (t->wrap & W_CLOSE) {
            if (bb__pyline_push_leaf(f, invisible, 0, LT_RPAR, false,
                                     (uint16_t)(F_INVIS | ((t->wrap & W_RETANN) ? F_RETANN : 0)),
                                     KW_NONE))
                return BB_ENOMEM;
        }
    }
    return BB_OK;
}
