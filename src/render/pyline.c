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
#include "render/pyline_int.h"

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
    if (f->lv[li].kw == KW_LAMBDA) {
        ln->bt_depth++;
        ln->lambda_depths[ln->nlambda++] = ln->bt_depth;
    }
    if (f->lv[li].kw == KW_FOR) {
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

/*
 * Whether the width of ln may be w, without counting it when a stale
 * count settles it: each leaf change since (f->gen) moved the width of a
 * line by one column at most.
 */
static bool width_may_be(const fmt *f, const line *ln, size_t w)
{
    if (ln->wgen && ln->wn == ln->n && ln->wncm == ln->ncm) {
        size_t stale = (uint32_t)(f->gen + 1 - ln->wgen);
        size_t c = ln->wcache;
        if ((c > w ? c - w : w - c) > stale)
            return false;
    }
    return line_width(f, ln) == w;
}

static int render_line(const fmt *f, const line *ln, bb_buf *b)
{
    size_t indent = (size_t)4 * (size_t)ln->depth + (size_t)f->pad, need = indent;
    char *p;
    int rc;
    /* the bytes are counted first, so the line is copied in place */
    for (uint32_t k = 0; k < ln->n; k++) {
        const leaf *l = &f->lv[ln->lv[k]];
        need += (k > 0 && l->space) + l->n;
    }
    for (uint32_t k = 0; k < ln->ncm; k++)
        need += 2 + f->cv[ln->cm[k].c].n;
    if ((rc = bb_buf_extend(b, need, &p)))
        return rc;
    memset(p, ' ', indent);
    p += indent;
    for (uint32_t k = 0; k < ln->n; k++) {
        const leaf *l = &f->lv[ln->lv[k]];
        if (k > 0 && l->space)
            *p++ = ' ';
        memcpy(p, l->s, l->n);
        p += l->n;
    }
    for (uint32_t k = 0; k < ln->ncm; k++) {
        const comment *c = &f->cv[ln->cm[k].c];
        memcpy(p, "  ", 2);
        memcpy(p + 2, c->s, c->n);
        p += 2 + c->n;
    }
    return BB_OK;
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
    if (bb__pyline_push_leaf(f, ",", 1, LT_COMMA, false, F_ADDED, KW_NONE))
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

/* Black's append_safe: leaf li of ln goes onto *cur with the comments
 * after it; a standalone comment (or a line that is one) first closes *cur
 * into out and starts a new line, since nothing may follow a comment. */
static int append_safe(fmt *f, const line *ln, int32_t li, line **cur, linevec *out)
{
    line *c = *cur;
    int rc;
    if (c->bt_depth == 0 && (line_is_comment(f, c) || (c->n && f->lv[li].type == LT_COMMENT))) {
        if ((rc = vec_push(f, out, c)))
            return rc;
        if (!(c = *cur = line_new(f, ln->n + 1, ln->depth, ln->inside)))
            return BB_ENOMEM;
    }
    if (c->n == 0)
        clear_space(f, li);
    line_append(f, c, li, c->inside);
    return copy_comments_after(f, ln, li, c);
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
        if ((rc = append_safe(f, ln, li, &cur, out)))
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
        if ((rc = append_safe(f, ln, ln->lv[k], &cur, out)))
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
    if (stage != 2) /* the body runs to the end, or (every pair empty) is empty */
        body_end = stage == 1 ? n : head_end;
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
    if (ln->depth != orig->depth || !width_may_be(f, orig, line_width(f, ln)))
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
    if (bb_grow((void **)&f->lv, &f->capl, f->nl + ln->n, sizeof(leaf)))
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

/* Whether s[0..n) is all ASCII, eight bytes at a time. */
static bool all_ascii(const char *s, size_t n)
{
    uint64_t acc = 0, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= (unsigned char)s[i];
    return !(acc & 0x8080808080808080u);
}

const char *bb_pyline_refusal(const bb_pyline *p)
{
    return p->why ? p->why : "not Python";
}

int bb_pyline_format(bb_pyline *f, bb_buf *out, const char *s, size_t n, int indent)
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
    f->ascii = all_ascii(s, n);
    if ((rc = bb__pyline_lex(f, 0, n)))
        return rc;
    bb__pyline_mark_invisible_parens(f);
    trail = bb_arena_alloc_bytes(&f->arena, (f->nt + 1) * sizeof(anchor));
    if (!trail)
        return BB_ENOMEM;
    if ((rc = bb__pyline_build_leaves(f, trail, &ntrail, f->nt + 1)))
        return rc;
    import_stmt = f->nl > 0 && ((f->lv[0].kw == KW_IMPORT) || (f->lv[0].kw == KW_FROM));
    bb__pyline_classify_leaves(f, import_stmt);
    if (!(ln = line_new(f, f->nl + 1, indent / 4, false)))
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
