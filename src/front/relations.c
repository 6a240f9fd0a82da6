/*
 * relations.c - the validator's relationship pass (relations.h).
 *
 * In order: targets; foreign keys named or unambiguous; attribute names
 * (explicit name; else the pair rule; else BackBone-AI's rule); names that
 * waited for a counterpart's foreign_key; pairs by back_populates; the
 * remaining foreign keys; association tables; the implicit counterparts;
 * last, every attribute name against the identifier rules and the class's
 * other attributes.
 */
#include "front/relations.h"

#include "front/ident.h"
#include "front/vctx.h"

#include <stdio.h>
#include <string.h>

/* ---- pass 4: relationships ----------------------------------------------- */

/* Runs fn on every declared relationship, table by table, in input order. */
static void for_each_declared(bb__vctx *v, void (*fn)(bb__vctx *v, size_t ti, size_t ri))
{
    for (size_t ti = 0; ti < v->s->n_tables; ti++)
        for (size_t ri = 0; ri < v->s->tables[ti].n_declared_rels; ri++)
            fn(v, ti, ri);
}

static bb__rel_state *rstate(bb__vctx *v, size_t ti, size_t ri)
{
    return &v->rs[v->rel_base[ti] + ri];
}

static bool rel_usable(const bb_relationship *r)
{
    return r->kind_known && r->target_index >= 0;
}

static bb_rel_kind inverse_kind(bb_rel_kind k)
{
    switch (k) {
    case BB_REL_ONE_TO_MANY:
        return BB_REL_MANY_TO_ONE;
    case BB_REL_MANY_TO_ONE:
        return BB_REL_ONE_TO_MANY;
    case BB_REL_ONE_TO_ONE:
    case BB_REL_MANY_TO_MANY:
        return k;
    }
    return k;
}

static const char *const cascade_words[] = {
    "all", "delete", "delete-orphan", "expunge", "merge", "none", "refresh-expire", "save-update",
};

static void check_cascade(bb__vctx *v, const bb_relationship *r)
{
    const char *p = r->cascade;
    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (n == 0)
            break;
        char word[40];
        snprintf(word, sizeof(word), "%.*s", (int)(n < 39 ? n : 39), p);
        bool ok = false;
        for (size_t i = 0; i < sizeof(cascade_words) / sizeof(*cascade_words) && !ok; i++)
            ok = strcmp(word, cascade_words[i]) == 0;
        if (!ok) {
            char hint[256];
            bb__loc at = REL_LOC(r, "cascade");
            bb__report(v, BB_ERROR, "BB0432", &at,
                       bb__did_you_mean(word, cascade_words,
                                        sizeof(cascade_words) / sizeof(*cascade_words), hint,
                                        sizeof(hint))
                           ? hint
                           : "use SQLAlchemy cascade words: all, save-update, merge, delete, "
                             "delete-orphan, expunge, refresh-expire, none",
                       "unknown cascade \"%s\"", word);
        }
        p += n;
    }
}

static void resolve_rel_target(bb__vctx *v, bb_relationship *r)
{
    r->target_index = -1;
    if (!*r->target_table)
        return;
    int tt = bb__nx_get(&v->names, BB__SCOPE_TABLE, r->target_table);
    if (tt == BB__NX_NONE && v->s->tables_capped)
        return; /* may be a table past the limit (BB0603 said so) */
    if (tt == BB__NX_NONE) {
        char hint[256];
        bb__loc at = REL_LOC(r, "target_table");
        bb__report(
            v, BB_ERROR, "BB0414", &at,
            bb__did_you_mean(r->target_table, v->table_names, v->s->n_tables, hint, sizeof(hint)),
            "relationship to table \"%s\", which is not in the schema", r->target_table);
        return;
    }
    r->target_index = tt;
    const bb_table *target = &v->s->tables[tt];
    if (r->target_class && *target->class_name && strcmp(r->target_class, target->class_name)) {
        char hint[256];
        snprintf(hint, sizeof(hint), "write \"target_class\": \"%s\" (or leave it out)",
                 target->class_name);
        bb__loc at = REL_LOC(r, "target_class");
        bb__report(v, BB_ERROR, "BB0415", &at, hint,
                   "target_class \"%s\" is not the class of table \"%s\" (\"%s\")", r->target_class,
                   r->target_table, target->class_name);
    }
    r->uselist = r->kind == BB_REL_ONE_TO_MANY || r->kind == BB_REL_MANY_TO_MANY;
    if (r->through && r->kind != BB_REL_MANY_TO_MANY) {
        bb__loc at = REL_LOC(r, "through");
        bb__report(v, BB_WARNING, "BB0426", &at,
                   "remove \"through\", or use \"type\": \"many_to_many\"",
                   "\"through\" is ignored on a %s relationship", bb_rel_kind_name(r->kind));
    }
    if (r->cascade)
        check_cascade(v, r);
}

/*
 * Whether the foreign keys of t are not all known: columns past the limit
 * (BB0604), or a ForeignKey column whose target is missing or unknown (its
 * own error). A relationship without a key to t's side then says nothing
 * more: the key may well be one of those.
 */
static bool fks_incomplete(const bb_table *t)
{
    if (t->columns_capped)
        return true;
    for (size_t i = 0; i < t->n_columns; i++)
        if (t->columns[i].declared_type == BB_TYPE_FOREIGNKEY && t->columns[i].fk_table_index < 0)
            return true;
    return false;
}

/* FK columns of table `from` that reference table `to`: count, first two. */
static size_t fk_candidates(const bb_schema *s, int from, int to, int *first, int *second)
{
    const bb_table *t = &s->tables[from];
    size_t n = 0;
    for (size_t i = 0; i < t->n_columns; i++) {
        if (t->columns[i].fk_table_index != to)
            continue;
        if (n == 0)
            *first = (int)i;
        else if (n == 1)
            *second = (int)i;
        n++;
    }
    return n;
}

static void set_fk(bb_relationship *r, int table, int column)
{
    r->fk_table_index = table;
    r->fk_column_index = column;
}

/*
 * Checks an explicit "foreign_key" of r (declared on table ti). For
 * many_to_one it names a column of ti to the target; for one_to_many one of
 * the target to ti; for one_to_one either. Returns true when resolved.
 */
static bool resolve_explicit_fk(bb__vctx *v, size_t ti, bb_relationship *r, bb__rel_state *st)
{
    const bb_schema *s = v->s;
    int tt = r->target_index;
    int here = bb__nx_get(&v->names, (int)ti, r->foreign_key);
    int there = bb__nx_get(&v->names, tt, r->foreign_key);
    bool here_ok = here >= 0 && s->tables[ti].columns[here].fk_table_index == tt;
    bool there_ok = there >= 0 && s->tables[tt].columns[there].fk_table_index == (int)ti;
    if (r->kind == BB_REL_MANY_TO_ONE && here_ok) {
        set_fk(r, (int)ti, here);
        return true;
    }
    if (r->kind == BB_REL_ONE_TO_MANY && there_ok) {
        set_fk(r, tt, there);
        return true;
    }
    if (r->kind == BB_REL_ONE_TO_ONE && (here_ok || there_ok)) {
        if (here_ok)
            set_fk(r, (int)ti, here);
        else
            set_fk(r, tt, there);
        return true;
    }
    /* A column whose own target was missing or unknown has been reported
     * already; so has a column past the limit. */
    const bb_table *holder_table = &s->tables[r->kind == BB_REL_ONE_TO_MANY ? tt : (int)ti];
    bool unresolved =
        (here >= 0 && s->tables[ti].columns[here].declared_type == BB_TYPE_FOREIGNKEY &&
         s->tables[ti].columns[here].fk_table_index < 0) ||
        (there >= 0 && s->tables[tt].columns[there].declared_type == BB_TYPE_FOREIGNKEY &&
         s->tables[tt].columns[there].fk_table_index < 0) ||
        (here < 0 && there < 0 && (s->tables[ti].columns_capped || s->tables[tt].columns_capped));
    st->reported = true;
    if (unresolved)
        return false;
    const char *holder = holder_table->table_name;
    const char *other =
        r->kind == BB_REL_ONE_TO_MANY ? s->tables[ti].table_name : s->tables[tt].table_name;
    bb__loc at = REL_LOC(r, "foreign_key");
    char hint[256];
    snprintf(hint, sizeof(hint),
             "name a ForeignKey column of table \"%s\" whose target is in table \"%s\"", holder,
             other);
    bb__report(v, BB_ERROR, "BB0419", &at, hint,
               "\"foreign_key\": \"%s\" is not a foreign key of table \"%s\" to table \"%s\"",
               r->foreign_key, holder, other);
    return false;
}

/*
 * Infers the FK of r from the tables' foreign keys. When report is false,
 * an ambiguous or missing FK is left for later (a counterpart may name it).
 */
static bool infer_fk(bb__vctx *v, size_t ti, bb_relationship *r, bb__rel_state *st, bool report_it)
{
    const bb_schema *s = v->s;
    int tt = r->target_index;
    int a1 = -1, a2 = -1, b1 = -1, b2 = -1;
    size_t na = 0, nb = 0;
    if (r->kind != BB_REL_ONE_TO_MANY)
        na = fk_candidates(s, (int)ti, tt, &a1, &a2); /* FK on this side */
    if (r->kind != BB_REL_MANY_TO_ONE && tt != (int)ti)
        nb = fk_candidates(s, tt, (int)ti, &b1, &b2); /* FK on the other side */
    else if (r->kind == BB_REL_ONE_TO_MANY)
        nb = fk_candidates(s, tt, (int)ti, &b1, &b2); /* self-reference */
    if (na + nb == 1) {
        if (na)
            set_fk(r, (int)ti, a1);
        else
            set_fk(r, tt, b1);
        return true;
    }
    if (!report_it)
        return false;
    st->reported = true;
    bb__loc at = bb__loc_node(r->pointer, r->offset);
    const bb_table *holder = &s->tables[r->kind == BB_REL_ONE_TO_MANY ? tt : (int)ti];
    const bb_table *other = &s->tables[r->kind == BB_REL_ONE_TO_MANY ? (int)ti : tt];
    if (na + nb == 0 &&
        (fks_incomplete(holder) || (r->kind == BB_REL_ONE_TO_ONE && fks_incomplete(other))))
        return false;
    if (na + nb == 0) {
        char hint[512];
        char snake[80];
        bb__class_snake(*other->class_name ? other->class_name : other->table_name, snake,
                        sizeof(snake));
        int pk = bb_table_pk_index(other);
        snprintf(hint, sizeof(hint),
                 "add a column to \"%s\" such as {\"name\": \"%s_id\", \"type\": \"ForeignKey\", "
                 "\"target\": \"%s.%s\"}",
                 holder->table_name, snake, other->table_name,
                 pk >= 0 ? other->columns[pk].name : "id");
        bb__report(
            v, BB_ERROR, "BB0417", &at, hint,
            "%s relationship from \"%s\" to \"%s\" needs a foreign key, and table \"%s\" has "
            "none to \"%s\"",
            bb_rel_kind_name(r->kind), s->tables[ti].table_name, r->target_table,
            holder->table_name, other->table_name);
        return false;
    }
    const bb_table *ta = &s->tables[ti], *tb = &s->tables[tt];
    const char *names[4];
    size_t k = 0;
    if (na > 0)
        names[k++] = ta->columns[a1].name;
    if (na > 1)
        names[k++] = ta->columns[a2].name;
    if (nb > 0)
        names[k++] = tb->columns[b1].name;
    if (nb > 1)
        names[k++] = tb->columns[b2].name;
    const char *c1 = names[0], *c2 = names[1];
    char hint[256];
    snprintf(hint, sizeof(hint), "say which one with \"foreign_key\", e.g. \"foreign_key\": \"%s\"",
             c1);
    bb__report(
        v, BB_ERROR, "BB0418", &at, hint,
        "%s relationship from \"%s\" to \"%s\" is ambiguous: %zu foreign keys could carry it "
        "(\"%s\", \"%s\"%s)",
        bb_rel_kind_name(r->kind), s->tables[ti].table_name, r->target_table, na + nb, c1, c2,
        na + nb > 2 ? ", ..." : "");
    return false;
}

/* The original's naming rule (3): target_table, or the FK column without
 * its "_id". Returns NULL when the FK is still unknown. */
static const char *rule3_name(bb__vctx *v, size_t ti, const bb_relationship *r)
{
    const bb_schema *s = v->s;
    if (r->kind == BB_REL_ONE_TO_MANY || r->kind == BB_REL_MANY_TO_MANY)
        return r->target_table;
    if (r->fk_table_index < 0)
        return NULL;
    char buf[160];
    if (r->fk_table_index == (int)ti) {
        const char *col = s->tables[ti].columns[r->fk_column_index].name;
        size_t n = strlen(col);
        if (n > 3 && strcmp(col + n - 3, "_id") == 0) {
            snprintf(buf, sizeof(buf), "%.*s", (int)(n - 3), col);
            return bb__arena_str(v, buf);
        }
    }
    const bb_table *target = &s->tables[r->target_index];
    bb__class_snake(*target->class_name ? target->class_name : target->table_name, buf,
                    sizeof(buf));
    return bb__arena_str(v, buf);
}

/* The one declared relationship of table b to table a, if exactly one. */
static int only_rel_to(const bb_table *b, int a, size_t *count)
{
    int found = -1;
    *count = 0;
    for (size_t i = 0; i < b->n_declared_rels; i++)
        if (b->rels[i].kind_known && b->rels[i].target_index == a) {
            found = (int)i;
            ++*count;
        }
    return *count == 1 ? found : -1;
}

/* Rule 2: r (on table ti) and s are the only relationships each way. */
static int pair_partner(const bb__vctx *v, size_t ti, const bb_relationship *r)
{
    int tt = r->target_index;
    if (tt == (int)ti)
        return -1;
    size_t n_here, n_there;
    (void)only_rel_to(&v->s->tables[ti], tt, &n_here);
    int partner = only_rel_to(&v->s->tables[tt], (int)ti, &n_there);
    return n_here == 1 && n_there == 1 ? partner : -1;
}

static void name_relationships(bb__vctx *v, size_t ti, size_t ri)
{
    bb_schema *s = v->s;
    bb_relationship *r = &v->s->tables[ti].rels[ri];
    bb__rel_state *st = rstate(v, ti, ri);
    if (!rel_usable(r))
        return;
    int p = pair_partner(v, ti, r);
    if (r->name) {
        r->attr_name = r->name;
        st->rule = 1;
    } else if (p >= 0 && s->tables[r->target_index].rels[p].back_populates) {
        r->attr_name = s->tables[r->target_index].rels[p].back_populates;
        st->rule = 2;
    } else if ((r->attr_name = rule3_name(v, ti, r)) != NULL) {
        st->rule = 3;
    }
    if (p >= 0)
        r->counterpart = p;
}

/* Declared relationships of table b to a whose attribute is name. */
static size_t rels_named(const bb_table *b, int a, const char *name, int *first, int *second)
{
    size_t n = 0;
    for (size_t i = 0; name && i < b->n_declared_rels; i++) {
        const bb_relationship *x = &b->rels[i];
        if (!x->attr_name || x->target_index != a || strcmp(x->attr_name, name) != 0)
            continue;
        if (n == 0)
            *first = (int)i;
        else if (n == 1)
            *second = (int)i;
        n++;
    }
    return n;
}

/* A relationship still unnamed (its FK ambiguous) may be named by the
 * counterpart whose back_populates names it and whose foreign_key is given. */
static void name_from_counterparts(bb__vctx *v, size_t ti, size_t ri)
{
    bb_schema *s = v->s;
    bb_relationship *r = &v->s->tables[ti].rels[ri];
    if (!rel_usable(r) || r->attr_name || !r->back_populates)
        return;
    int f = -1, g = -1;
    bb_table *b = &s->tables[r->target_index];
    if (rels_named(b, (int)ti, r->back_populates, &f, &g) != 1)
        return;
    bb_relationship *x = &b->rels[f];
    if (x->fk_table_index < 0 || !rstate(v, (size_t)r->target_index, (size_t)f)->fk_explicit)
        return;
    if (x->back_populates) {
        r->attr_name = x->back_populates;
        set_fk(r, x->fk_table_index, x->fk_column_index);
        rstate(v, ti, ri)->rule = 3;
    }
}

static bool kinds_agree(bb_rel_kind a, bb_rel_kind b)
{
    return inverse_kind(a) == b;
}

static void pair_with(bb__vctx *v, size_t ti, bb_relationship *r, size_t bi, int si)
{
    bb_relationship *x = &v->s->tables[bi].rels[si];
    r->counterpart = si;
    if (x->counterpart < 0)
        x->counterpart = (int)(r - v->s->tables[ti].rels);
}

/* Pairs declared relationships; marks those that need an implicit side. */
static void pair_relationships(bb__vctx *v, size_t ti, size_t ri)
{
    bb_schema *s = v->s;
    bb_table *t = &s->tables[ti];
    bb_relationship *r = &t->rels[ri];
    bb__rel_state *st = rstate(v, ti, ri);
    if (!rel_usable(r) || !r->attr_name)
        return;
    size_t bi = (size_t)r->target_index;
    bb_table *b = &s->tables[bi];
    int si = r->counterpart;
    if (si < 0 && r->back_populates) {
        int f = -1, g = -1;
        size_t n = rels_named(b, (int)ti, r->back_populates, &f, &g);
        if (bi == ti && n > 0 && (f == (int)ri || (n > 1 && g == (int)ri))) {
            /* a self-reference does not pair with itself */
            if (f == (int)ri)
                f = g;
            n--;
        }
        if (n > 1) {
            bb__loc at = REL_LOC(r, "back_populates");
            bb__report(v, BB_ERROR, "BB0421", &at,
                       "give the relationships distinct attribute names with \"name\", or "
                       "say which foreign key each uses with \"foreign_key\"",
                       "back_populates \"%s\" is ambiguous: relationships %s and %s of table "
                       "\"%s\" are both named so",
                       r->back_populates, b->rels[f].pointer, b->rels[g].pointer, b->table_name);
            st->reported = true;
            return;
        }
        if (n == 1)
            si = f;
    }
    if (si < 0) {
        /* Nobody is named by our back_populates: does someone point at us? */
        bool pointed = false;
        for (size_t k = 0; k < b->n_declared_rels && !pointed; k++) {
            const bb_relationship *x = &b->rels[k];
            pointed = (bi != ti || k != ri) && x->target_index == (int)ti && x->back_populates &&
                      strcmp(x->back_populates, r->attr_name) == 0;
        }
        /* If someone does, it pairs with us in its own pass; with no
         * back_populates there is no other side. */
        if (!pointed && r->back_populates)
            st->wants_implicit = true;
        return;
    }
    bb_relationship *x = &b->rels[si];
    if (r->back_populates && x->attr_name && strcmp(r->back_populates, x->attr_name)) {
        char hint[512];
        snprintf(hint, sizeof(hint),
                 "make both sides agree: \"back_populates\": \"%s\" here, or \"name\": "
                 "\"%s\" on %s",
                 x->attr_name, r->back_populates, x->pointer);
        bb__loc at = REL_LOC(r, "back_populates");
        bb__report(v, BB_ERROR, "BB0416", &at, hint,
                   "back_populates \"%s\" does not match the attribute \"%s\" of its "
                   "counterpart on %s",
                   r->back_populates, x->attr_name, b->class_name);
        st->reported = true;
        return;
    }
    /* x's own pass reports its mismatch, unless it ran already. */
    bool x_done = bi < ti || (bi == ti && si < (int)ri);
    if (x->back_populates && strcmp(x->back_populates, r->attr_name) != 0 && x_done) {
        char hint[512];
        snprintf(hint, sizeof(hint),
                 "give this relationship \"name\": \"%s\", or change back_populates on "
                 "%s to \"%s\"",
                 x->back_populates, x->pointer, r->attr_name);
        bb__loc at = bb__loc_node(r->pointer, r->offset);
        bb__report(v, BB_ERROR, "BB0416", &at, hint,
                   "relationship \"%s\" of %s is paired with %s, whose back_populates is "
                   "\"%s\"",
                   r->attr_name, t->class_name, x->pointer, x->back_populates);
        st->reported = true;
        return;
    }
    if (!kinds_agree(r->kind, x->kind)) {
        char hint[256];
        snprintf(hint, sizeof(hint), "the other side of a %s is a %s", bb_rel_kind_name(r->kind),
                 bb_rel_kind_name(inverse_kind(r->kind)));
        bb__loc at = REL_LOC(r, "type");
        bb__report(v, BB_ERROR, "BB0420", &at, hint,
                   "relationship \"%s\" is %s but its counterpart \"%s\" on %s is %s", r->attr_name,
                   bb_rel_kind_name(r->kind), x->attr_name, b->class_name,
                   bb_rel_kind_name(x->kind));
        st->reported = true;
        return;
    }
    pair_with(v, ti, r, bi, si);
}

/* The FKs of one_to_many and one_to_one once pairs are known, and of any
 * relationship whose FK inference waited for its counterpart. */
static void resolve_remaining_fks(bb__vctx *v, size_t ti, size_t ri)
{
    bb_schema *s = v->s;
    bb_relationship *r = &v->s->tables[ti].rels[ri];
    bb__rel_state *st = rstate(v, ti, ri);
    if (!rel_usable(r) || r->kind == BB_REL_MANY_TO_MANY || st->reported)
        return;
    const bb_relationship *x =
        r->counterpart >= 0 ? &s->tables[r->target_index].rels[r->counterpart] : NULL;
    /* Counterparts are all declared here: implicit ones come later. */
    bb__rel_state *xst = x ? rstate(v, (size_t)r->target_index, (size_t)r->counterpart) : NULL;
    if (r->fk_table_index >= 0) {
        if (x && x->fk_table_index >= 0 && !xst->reported &&
            (x->fk_table_index != r->fk_table_index || x->fk_column_index != r->fk_column_index)) {
            bb__loc at = REL_LOC(r, r->foreign_key ? "foreign_key" : "type");
            bb__report(v, BB_ERROR, "BB0419", &at, "give both sides the same \"foreign_key\"",
                       "the two sides of relationship \"%s\" use different foreign keys "
                       "(\"%s\" and \"%s\")",
                       r->attr_name ? r->attr_name : "?",
                       s->tables[r->fk_table_index].columns[r->fk_column_index].name,
                       s->tables[x->fk_table_index].columns[x->fk_column_index].name);
            st->reported = xst->reported = true; /* one report for the pair */
        }
        return;
    }
    if (x && x->fk_table_index >= 0) {
        set_fk(r, x->fk_table_index, x->fk_column_index);
        return;
    }
    (void)infer_fk(v, ti, r, st, true);
}

/* A one_to_one's foreign key holds each value once: make it unique, so the
 * database enforces what the relationship promises. */
static void mark_one_to_one_unique(bb__vctx *v, size_t ti, size_t ri)
{
    bb_schema *s = v->s;
    const bb_relationship *r = &s->tables[ti].rels[ri];
    if (!rel_usable(r) || r->kind != BB_REL_ONE_TO_ONE || r->fk_table_index < 0)
        return;
    bb_column *c = &s->tables[r->fk_table_index].columns[r->fk_column_index];
    if (!(c->primary_key && bb_table_pk_count(&s->tables[r->fk_table_index]) == 1))
        c->unique = true;
}

static void first_fks(bb__vctx *v, size_t ti, size_t ri)
{
    bb_relationship *r = &v->s->tables[ti].rels[ri];
    bb__rel_state *st = rstate(v, ti, ri);
    if (!rel_usable(r) || r->kind == BB_REL_MANY_TO_MANY)
        return;
    if (r->foreign_key) {
        st->fk_explicit = resolve_explicit_fk(v, ti, r, st);
        return;
    }
    if (r->kind != BB_REL_ONE_TO_MANY)
        (void)infer_fk(v, ti, r, st, false);
}

/* Reports the relationships that could not be named (FK unknown). */
static void report_unnamed(bb__vctx *v, size_t ti, size_t ri)
{
    bb_relationship *r = &v->s->tables[ti].rels[ri];
    bb__rel_state *st = rstate(v, ti, ri);
    if (rel_usable(r) && !r->attr_name && !st->reported)
        (void)infer_fk(v, ti, r, st, true);
}

/* Association tables of many_to_many relationships. */
static bool has_fk_to(const bb_table *t, int to, int min_count)
{
    int n = 0;
    for (size_t i = 0; i < t->n_columns; i++)
        n += t->columns[i].fk_table_index == to;
    return n >= min_count;
}

static void resolve_many_to_many(bb__vctx *v, size_t ti, size_t ri)
{
    bb_schema *s = v->s;
    bb_relationship *r = &s->tables[ti].rels[ri];
    bb__rel_state *st = rstate(v, ti, ri);
    const bb_relationship *x =
        r->counterpart >= 0 ? &s->tables[r->target_index].rels[r->counterpart] : NULL;
    const char *through = r->through ? r->through : x ? x->through : NULL;
    int tt = r->target_index;
    if (through) {
        bb__loc at = REL_LOC(r, r->through ? "through" : "type");
        if (r->through && x && x->through && strcmp(r->through, x->through) != 0) {
            bb__report(v, BB_ERROR, "BB0422", &at, "name the same table on both sides",
                       "the two sides of many_to_many \"%s\" name different association tables "
                       "(\"%s\" and \"%s\")",
                       r->attr_name, r->through, x->through);
            st->reported = true;
            return;
        }
        int th = bb__nx_get(&v->names, BB__SCOPE_TABLE, through);
        if (th == BB__NX_NONE) {
            char hint[256];
            bb__report(v, BB_ERROR, "BB0422", &at,
                       bb__did_you_mean(through, v->table_names, s->n_tables, hint, sizeof(hint)),
                       "association table \"%s\" is not in the schema", through);
            st->reported = true;
            return;
        }
        bb_table *assoc = &s->tables[th];
        bool ok = tt == (int)ti ? has_fk_to(assoc, tt, 2)
                                : has_fk_to(assoc, (int)ti, 1) && has_fk_to(assoc, tt, 1);
        if (!ok) {
            char hint[256];
            snprintf(hint, sizeof(hint),
                     "give \"%s\" a ForeignKey column to \"%s\" and one to \"%s\"",
                     assoc->table_name, s->tables[ti].table_name, s->tables[tt].table_name);
            bb__report(v, BB_ERROR, "BB0423", &at, hint,
                       "association table \"%s\" needs a foreign key to each side of the "
                       "many_to_many",
                       assoc->table_name);
            st->reported = true;
            return;
        }
        assoc->is_association = true;
        r->through_index = th;
        r->assoc_table = assoc->table_name;
        return;
    }
    if (tt == (int)ti) {
        bb__loc at = bb__loc_node(r->pointer, r->offset);
        bb__report(v, BB_ERROR, "BB0425", &at,
                   "add a table with two ForeignKey columns to this table and name it in "
                   "\"through\"",
                   "a self-referential many_to_many on \"%s\" needs \"through\"",
                   s->tables[ti].table_name);
        st->reported = true;
        return;
    }
    const char *a = s->tables[ti].table_name, *b = s->tables[tt].table_name;
    if (strcmp(a, b) > 0) {
        const char *tmp = a;
        a = b;
        b = tmp;
    }
    char name[300];
    snprintf(name, sizeof(name), "%s_%s", a, b);
    r->assoc_table = bb__arena_str(v, name);
    if (!r->assoc_table)
        return;
    bb__loc at = bb__loc_node(r->pointer, r->offset);
    if (bb__nx_get(&v->names, BB__SCOPE_TABLE, name) != BB__NX_NONE) {
        char hint[400];
        snprintf(hint, sizeof(hint),
                 "to use that table as the association table, say \"through\": \"%s\"; "
                 "otherwise rename it",
                 name);
        bb__report(v, BB_ERROR, "BB0424", &at, hint,
                   "the automatic association table \"%s\" has the name of a table of the schema",
                   name);
        st->reported = true;
        return;
    }
    /* Two different pairs between the same tables would share the name. */
    int id = (int)(v->rel_base[ti] + ri);
    int partner = x && !x->implicit && r->counterpart < (int)s->tables[tt].n_declared_rels
                      ? (int)(v->rel_base[tt] + (size_t)r->counterpart)
                      : -1;
    int prev = bb__nx_put(&v->names, BB__SCOPE_ASSOC, r->assoc_table, id);
    if (prev != BB__NX_NONE && prev != id && prev != partner) {
        bb__report(v, BB_ERROR, "BB0424", &at,
                   "give one of them \"through\" with its own association table",
                   "two many_to_many relationships between \"%s\" and \"%s\" would share the "
                   "automatic association table \"%s\"",
                   a, b, name);
        st->reported = true;
    }
}

/* Appends the implicit counterparts: arrays grow once per table. */
static void add_implicit_counterparts(bb__vctx *v)
{
    bb_schema *s = v->s;
    size_t *extra = bb_calloc(s->n_tables ? s->n_tables : 1, sizeof(size_t));
    if (!extra) {
        v->rc = BB_ENOMEM;
        return;
    }
    for (size_t ti = 0; ti < s->n_tables; ti++)
        for (size_t ri = 0; ri < s->tables[ti].n_declared_rels; ri++)
            if (rstate(v, ti, ri)->wants_implicit)
                extra[s->tables[ti].rels[ri].target_index]++;
    for (size_t bi = 0; bi < s->n_tables && !v->rc; bi++) {
        if (!extra[bi])
            continue;
        bb_table *b = &s->tables[bi];
        bb_relationship *grown =
            bb_arena_alloc(&s->arena, (b->n_rels + extra[bi]) * sizeof(*grown));
        if (!grown) {
            v->rc = BB_ENOMEM;
            break;
        }
        if (b->n_rels)
            memcpy(grown, b->rels, b->n_rels * sizeof(*grown));
        b->rels = grown;
    }
    for (size_t ti = 0; ti < s->n_tables && !v->rc; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t ri = 0; ri < t->n_declared_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            if (!rstate(v, ti, ri)->wants_implicit)
                continue;
            bb_table *b = &s->tables[r->target_index];
            bb_relationship *x = &b->rels[b->n_rels];
            memset(x, 0, sizeof(*x));
            x->target_table = t->table_name;
            x->target_class = t->class_name;
            x->kind = inverse_kind(r->kind);
            x->kind_known = true;
            x->back_populates = r->attr_name;
            x->attr_name = r->back_populates;
            x->target_index = (int)ti;
            x->counterpart = (int)ri;
            x->fk_table_index = r->fk_table_index;
            x->fk_column_index = r->fk_column_index;
            x->through = r->through;
            x->through_index = r->through_index;
            x->assoc_table = r->assoc_table;
            x->implicit = true;
            x->uselist = x->kind == BB_REL_ONE_TO_MANY || x->kind == BB_REL_MANY_TO_MANY;
            x->pointer = r->pointer;
            x->offset = r->offset;
            r->counterpart = (int)b->n_rels;
            b->n_rels++;
        }
    }
    bb_free(extra);
}

/* Attribute names: identifier rules, and no clash with a column or another
 * attribute of the same class. */
static void check_attribute_names(bb__vctx *v)
{
    bb_schema *s = v->s;
    for (size_t ti = 0; ti < s->n_tables; ti++) {
        bb_table *t = &s->tables[ti];
        for (size_t ri = 0; ri < t->n_rels; ri++) {
            bb_relationship *r = &t->rels[ri];
            if (!r->attr_name || !*r->attr_name)
                continue;
            bool declared = ri < t->n_declared_rels;
            bb__rel_state *st = declared ? rstate(v, ti, ri) : NULL;
            /* An explicit name is pointed at; a derived one at its relationship
             * (declared) or at the back_populates that asked for it (implicit). */
            bb__loc at = !declared ? REL_LOC(r, "back_populates")
                         : r->name ? REL_LOC(r, "name")
                                   : bb__loc_node(r->pointer, r->offset);
            if (!bb_ident_ok(BB_IDENT_ATTRIBUTE, r->attr_name, s->db_type)) {
                bb__resolved_loc rl;
                bb__resolve_loc(v, &at, &rl);
                if (bb_ident_check(v->d, BB_IDENT_ATTRIBUTE, r->attr_name, s->db_type, rl.ptr,
                                   rl.off) != BB_OK)
                    continue;
            }
            int prev = bb__nx_put(&v->names, (int)ti, r->attr_name, -2 - (int)ri);
            if (prev == BB__NX_NONE)
                continue;
            if (prev >= 0) {
                char hint[256];
                snprintf(hint, sizeof(hint),
                         "name the relationship differently with \"name\", "
                         "e.g. \"%s_ref\"",
                         r->attr_name);
                bb__report(v, BB_ERROR, "BB0314", &at, hint,
                           "relationship attribute \"%s\" of %s clashes with its column \"%s\"",
                           r->attr_name, t->class_name, r->attr_name);
                continue;
            }
            const bb_relationship *o = &t->rels[-2 - prev];
            const bb__rel_state *ost =
                -2 - prev < (int)t->n_declared_rels ? rstate(v, ti, (size_t)(-2 - prev)) : NULL;
            bool computed = st && st->rule == 3 && ost && ost->rule == 3;
            if (computed)
                bb__report(v, BB_ERROR, "BB0421", &at,
                           "give each relationship a distinct \"name\", or say which foreign key "
                           "each uses with \"foreign_key\"",
                           "relationships %s and %s of %s would both be named \"%s\"", o->pointer,
                           r->pointer, t->class_name, r->attr_name);
            else
                bb__report(v, BB_ERROR, "BB0314", &at,
                           "give one of them another name (\"name\" here, or \"back_populates\" on "
                           "the other side)",
                           "%s has two relationships named \"%s\" (%s and %s)", t->class_name,
                           r->attr_name, o->pointer, r->pointer);
        }
    }
}

/* The many_to_many of a declared relationship, once pairs are known. */
static void resolve_association(bb__vctx *v, size_t ti, size_t ri)
{
    const bb_relationship *r = &v->s->tables[ti].rels[ri];
    if (rel_usable(r) && r->kind == BB_REL_MANY_TO_MANY && r->attr_name)
        resolve_many_to_many(v, ti, ri);
}

static void resolve_target(bb__vctx *v, size_t ti, size_t ri)
{
    resolve_rel_target(v, &v->s->tables[ti].rels[ri]);
}

void bb__relations_resolve(bb__vctx *v)
{
    for_each_declared(v, resolve_target);
    for_each_declared(v, first_fks);
    for_each_declared(v, name_relationships);
    for_each_declared(v, name_from_counterparts);
    for_each_declared(v, report_unnamed);
    for_each_declared(v, pair_relationships);
    for_each_declared(v, resolve_remaining_fks);
    for_each_declared(v, mark_one_to_one_unique);
    for_each_declared(v, resolve_association);
    if (!v->rc)
        add_implicit_counterparts(v);
    check_attribute_names(v);
}
