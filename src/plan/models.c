/* models.c - the model files, the enumerations, the association tables and
 * the models package (see models.h). */
#include "plan/models.h"

#include <stdlib.h>
#include <string.h>

/* How many foreign keys link tables x and y (either way); a self-reference
 * counts its own. Above one, relationships must name their foreign keys. */
static size_t fk_paths(bb_arch *a, int x, int y)
{
    size_t n = 0;
    for (int side = 0; side < 2; side++) {
        int from = side ? y : x, to = side ? x : y;
        const bb_table *t = &a->s->tables[from];
        if (side && x == y)
            break;
        for (size_t k = 0; k < t->n_columns; k++) {
            int tci;
            if (bb_arch_fk_target(a, &t->columns[k], &tci) == to)
                n++;
        }
    }
    return n;
}

/* The FK column behind a relationship (not many_to_many): table and column. */
static bool rel_fk(bb_arch *a, int ti, const bb_relationship *r, int *fk_t, int *fk_c)
{
    const bb_table *t = &a->s->tables[ti];
    int target =
        r->target_index >= 0 ? r->target_index : bb_schema_table_index(a->s, r->target_table);
    if (r->fk_table_index >= 0 && r->fk_column_index >= 0) {
        *fk_t = r->fk_table_index;
        *fk_c = r->fk_column_index;
        return true;
    }
    if (target < 0)
        return false;
    /* Not resolved: the one FK between the two tables, on the side the
     * relationship kind implies. */
    int holder = r->kind == BB_REL_MANY_TO_ONE ? ti : target;
    int other = holder == ti ? target : ti;
    const bb_table *h = &a->s->tables[holder];
    (void)t;
    for (size_t k = 0; k < h->n_columns; k++) {
        int tci;
        if (r->foreign_key && strcmp(h->columns[k].name, r->foreign_key))
            continue;
        if (bb_arch_fk_target(a, &h->columns[k], &tci) == other) {
            *fk_t = holder;
            *fk_c = (int)k;
            return true;
        }
    }
    return false;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Adds to l the attribute names of table from's relationships (not
 * many-to-many) that point at table to_a or to_b. */
static void rels_between(bb_arch *a, bb_plan_strs *l, int from, int to_a, int to_b)
{
    const bb_table *t = &a->s->tables[from];
    for (size_t i = 0; i < t->n_rels; i++) {
        int tg = bb_arch_rel_target(a, &t->rels[i]);
        if (t->rels[i].kind != BB_REL_MANY_TO_MANY && (tg == to_a || tg == to_b))
            bb_arch_push_str(a, l, bb_arch_rel_attr(&t->rels[i]));
    }
}

/*
 * A many-to-many through a named table writes the same foreign keys as the
 * relationships that reach that table directly; SQLAlchemy wants them listed
 * in `overlaps` (comma-separated attribute names), "" when there are none.
 */
static const char *m2m_overlaps(bb_arch *a, int ti, int target, const bb_relationship *r)
{
    int through = r->through_index >= 0 ? r->through_index
                  : r->through          ? bb_schema_table_index(a->s, r->through)
                                        : -1;
    bb_plan_strs names = {0}, uniq = {0};
    if (through < 0 || target < 0)
        return "";
    rels_between(a, &names, ti, through, through);
    if (target != ti)
        rels_between(a, &names, target, through, through);
    rels_between(a, &names, through, ti, target);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < names.n; i++)
        if (!uniq.n || strcmp(uniq.v[uniq.n - 1], names.v[i]))
            bb_arch_push_str(a, &uniq, names.v[i]);
    return bb_arch_join(a, &uniq, ",");
}

/*
 * A self-referential many-to-many: the association table has two keys to
 * the same table, so SQLAlchemy needs to be told which one is this side's.
 * The relationship's foreign_key names it; else its counterpart's names
 * the other one; else the first of the pair takes the first key.
 */
static void self_m2m_joins(bb_arch *a, int ti, const bb_relationship *r, bb_plan_relationship *o)
{
    const bb_table *t = &a->s->tables[ti];
    int through = r->through_index >= 0 ? r->through_index
                  : r->through          ? bb_schema_table_index(a->s, r->through)
                                        : -1;
    int keys[2], n = 0, local = 0;
    const bb_relationship *other = NULL;
    if (through < 0 || a->t[ti].pk < 0)
        return;
    const bb_table *tt = &a->s->tables[through];
    for (size_t k = 0; k < tt->n_columns && n < 2; k++) {
        int tci;
        if (bb_arch_fk_target(a, &tt->columns[k], &tci) == ti)
            keys[n++] = (int)k;
    }
    if (n < 2)
        return;
    if (r->counterpart >= 0 && (size_t)r->counterpart < t->n_rels)
        other = &t->rels[r->counterpart];
    if (r->foreign_key)
        local = !strcmp(tt->columns[keys[1]].name, r->foreign_key);
    else if (other && other->foreign_key)
        local = !strcmp(tt->columns[keys[0]].name, other->foreign_key);
    else if (other)
        local = other < r;
    const char *pk = t->columns[a->t[ti].pk].name;
    o->primaryjoin = bb_arch_fmt(a, "%s.%s == %s.%s", t->class_name, pk, tt->class_name,
                                 tt->columns[keys[local]].name);
    o->secondaryjoin = bb_arch_fmt(a, "%s.%s == %s.%s", t->class_name, pk, tt->class_name,
                                   tt->columns[keys[!local]].name);
}

/* ---- enums ------------------------------------------------------------------- */

static void plan_enums(bb_arch *a, bb_plan *plan)
{
    for (size_t i = 0; i < a->s->n_tables; i++) {
        const bb_table *t = &a->s->tables[i];
        for (size_t k = 0; k < t->n_columns; k++) {
            const bb_column *c = &t->columns[k];
            const char *cls = a->t[i].enum_class[k];
            if (!cls)
                continue;
            bb_plan_enum *e = BB_ARCH_PUSH(a, plan->enums);
            e->class = cls;
            e->table = t->table_name;
            e->column = c->name;
            e->type_name = bb_arch_fmt(a, "%s_%s", t->table_name, c->name);
            e->docstring =
                bb_arch_docstring(a, bb_arch_fmt(a, "Values of %s.%s.", t->table_name, c->name), 4);
            for (size_t v = 0; v < c->n_enum_values && a->t[i].members[k]; v++) {
                bb_plan_enum_member *m = BB_ARCH_PUSH(a, e->members);
                m->name = a->t[i].members[k][v];
                m->value_literal = bb_arch_lit(a, c->enum_values[v]);
            }
        }
    }
}

/* ---- columns -------------------------------------------------------------------- */

static bb_plan_foreign_key *foreign_key(bb_arch *a, const bb_column *c)
{
    int tci, tti = bb_arch_fk_target(a, c, &tci);
    bb_plan_foreign_key *fk = BB_ARCH_NEW(a, bb_plan_foreign_key);
    fk->target_literal =
        bb_arch_lit(a, tti >= 0 ? bb_arch_fmt(a, "%s.%s", a->s->tables[tti].table_name,
                                              a->s->tables[tti].columns[tci].name)
                                : c->fk_target);
    fk->ondelete = bb_on_delete_sql(c->on_delete);
    fk->use_alter = c->use_alter;
    return fk;
}

/* The server default of a column, as the migrations create it: the schema's
 * server_default, else its default (so that rows inserted without the
 * application get it too, and the models agree with the database). */
static void plan_server_default(bb_arch *a, const bb_column *c, bb_col_type type,
                                bb_plan_imports *im, bb_plan_column *o)
{
    const bb_value *v = &c->default_value;
    if (c->server_default && c->server_default_literal && type == BB_TYPE_BOOLEAN) {
        o->server_default_bool = !strcmp(c->server_default, "true") ? "true" : "false";
    } else if (c->server_default) {
        o->server_default_literal = bb_arch_lit(a, c->server_default);
    } else if (v->kind == BB_VALUE_BOOL) {
        o->server_default_bool = v->b ? "true" : "false";
    } else if (v->kind == BB_VALUE_STRING) {
        o->server_default_value = bb_arch_lit(a, v->s);
    } else if (v->kind == BB_VALUE_INT || v->kind == BB_VALUE_NUMBER) {
        o->server_default_literal =
            v->text ? bb_arch_lit(a, v->text) : bb_arch_fmt(a, "\"%lld\"", v->i);
    }
    if (o->server_default_bool)
        bb_arch_import(a, im, "sqlalchemy", o->server_default_bool);
    if (o->server_default_literal)
        bb_arch_import(a, im, "sqlalchemy", "text");
}

/* What `name: Mapped[...]` says of a column: its Python type, Optional when
 * it may be NULL. */
static const char *mapped_column_type(bb_arch *a, int ti, int ci, bb_plan_imports *im)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    const char *py = bb_arch_py_type(a, ti, ci, im);
    bb_arch_import(a, im, "sqlalchemy.orm", "Mapped");
    bb_arch_import(a, im, "sqlalchemy.orm", "mapped_column");
    if (!c->nullable || c->primary_key)
        return py;
    bb_arch_import(a, im, "typing", "Optional");
    return bb_arch_fmt(a, "Optional[%s]", py);
}

/* What `name: Mapped[...]` says of a relationship: a list of the target
 * for a collection, else an optional target. The target's class is named
 * as a string and imported for type checkers only. */
static const char *mapped_relationship_type(bb_arch *a, int ti, int target,
                                            const bb_relationship *r, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[target];
    bool many = r->kind == BB_REL_ONE_TO_MANY || r->kind == BB_REL_MANY_TO_MANY;
    const char *wrap = many ? "List" : "Optional";
    bb_arch_import(a, &m->mapped_imports, "typing", wrap);
    if (target != ti) {
        bb_arch_import(a, &m->mapped_imports, "typing", "TYPE_CHECKING");
        bb_arch_import(a, &m->mapped_targets, bb_arch_fmt(a, "app.models.%s", t->table_name),
                       t->class_name);
    }
    return bb_arch_fmt(a, "%s[\"%s\"]", wrap, t->class_name);
}

/* The keyword arguments of `name = Column(...)` for a user column. */
static void plan_column(bb_arch *a, int ti, int ci, bb_plan_model *m, bb_plan_column *o)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    bb_plan_imports *im = &m->model_imports;
    bb_col_type type = bb_arch_type_of(a, c);
    bb_arch_import(a, im, "sqlalchemy", "Column");
    o->name = c->name;
    o->sa_type = bb_arch_sa_type(a, ti, ci, im);
    if (c->fk_target) {
        bb_arch_import(a, im, "sqlalchemy", "ForeignKey");
        o->foreign_key = foreign_key(a, c);
    }
    o->primary_key = c->primary_key;
    /* A composite key never autoincrements (SQLite refuses it). */
    if (c->primary_key && bb_arch_is_integer(type) && !c->fk_target && a->t[ti].pk >= 0)
        o->autoincrement = c->autoincrement || !c->autoincrement_given ? "True" : "False";
    o->nullable = c->nullable;
    /* A soft-delete table's unique columns are partial unique indexes
     * (table arguments). */
    o->unique = c->unique && !c->primary_key && !a->s->tables[ti].use_soft_delete;
    o->index = c->index && !c->primary_key;
    o->default_value = bb_arch_default_literal(a, ti, ci, im);
    if (!o->default_value && bb_arch_generated_pk(a, ti, ci) && type == BB_TYPE_UUID) {
        bb_arch_import(a, im, "uuid", NULL);
        o->default_value = "uuid.uuid4";
    }
    plan_server_default(a, c, type, im, o);
    if (c->comment)
        o->comment_literal = bb_arch_lit(a, c->comment);
    if (c->description && *bb_arch_comment(a, c->description))
        o->description_text = bb_arch_comment(a, c->description);
    o->python_type = bb_arch_py_type(a, ti, ci, NULL);
    o->references = c->fk_target ? c->fk_target : "";
    o->mapped_type = mapped_column_type(a, ti, ci, &m->mapped_imports);
}

/* ---- relationships -------------------------------------------------------------- */

/* The keyword arguments of `name = relationship(...)`; false when the
 * relationship has no target. */
static bool plan_relationship(bb_arch *a, int ti, const bb_relationship *r, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    int target = bb_arch_rel_target(a, r);
    int fk_t = -1, fk_c = -1;
    const bb_column *fk = NULL;
    bool holds_fk = false;
    if (target < 0)
        return false;
    bb_plan_relationship *o = BB_ARCH_PUSH(a, m->relationships);
    bb_arch_import(a, &m->model_imports, "sqlalchemy.orm", "relationship");
    o->name = bb_arch_rel_attr(r);
    o->kind = bb_rel_kind_name(r->kind);
    o->target = r->target_class;
    o->target_literal = bb_arch_lit(a, a->s->tables[target].class_name);
    if (r->kind == BB_REL_MANY_TO_MANY) {
        const char *assoc = r->assoc_table;
        if (!assoc && r->through)
            assoc = r->through;
        o->secondary_literal = bb_arch_lit(a, assoc ? assoc : "");
    } else if (rel_fk(a, ti, r, &fk_t, &fk_c)) {
        fk = &a->s->tables[fk_t].columns[fk_c];
        holds_fk = fk_t == ti && (r->kind != BB_REL_ONE_TO_MANY || target != ti);
        if (ti == target && r->kind == BB_REL_ONE_TO_ONE && r->foreign_key)
            holds_fk = bb_table_column_index(t, r->foreign_key) == fk_c && !r->implicit;
    }
    if (r->counterpart >= 0 && (size_t)r->counterpart < a->s->tables[target].n_rels)
        o->back_populates_literal =
            bb_arch_lit(a, bb_arch_rel_attr(&a->s->tables[target].rels[r->counterpart]));
    else if (r->back_populates)
        o->back_populates_literal = bb_arch_lit(a, r->back_populates);
    if (fk && fk_paths(a, ti, target) > 1)
        o->foreign_keys = bb_arch_fmt(a, "[%s.%s]", a->s->tables[fk_t].class_name, fk->name);
    if (fk && ti == target && (r->kind == BB_REL_MANY_TO_ONE || holds_fk)) {
        int tci, tti = bb_arch_fk_target(a, fk, &tci);
        if (tti >= 0)
            o->remote_side =
                bb_arch_fmt(a, "%s.%s", t->class_name, a->s->tables[tti].columns[tci].name);
    }
    if (r->kind == BB_REL_MANY_TO_MANY && target == ti)
        self_m2m_joins(a, ti, r, o);
    if (r->kind == BB_REL_MANY_TO_MANY) {
        const char *ov = m2m_overlaps(a, ti, target, r);
        if (*ov)
            o->overlaps_literal = bb_arch_lit(a, ov);
    }
    o->uselist_false = r->kind == BB_REL_ONE_TO_ONE;
    if (r->cascade)
        o->cascade_literal = bb_arch_lit(a, r->cascade);
    /* The side without the FK: let the database apply ON DELETE, and never
     * null out children behind its back. */
    if (fk && !holds_fk && r->kind != BB_REL_MANY_TO_ONE) {
        bool deletes = r->cascade && strstr(r->cascade, "delete");
        if (fk->on_delete == BB_ON_DELETE_CASCADE || fk->on_delete == BB_ON_DELETE_SET_NULL)
            o->passive_deletes = "True";
        else if (!deletes)
            o->passive_deletes = "\"all\"";
    }
    o->post_update = fk && holds_fk && fk->use_alter;
    o->mapped_type = mapped_relationship_type(a, ti, target, r, m);
    return true;
}

/* ---- __table_args__ ------------------------------------------------------------- */

/* The column names of a constraint as literals. */
static void column_literals(bb_arch *a, bb_plan_strs *out, const char *const *cols, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bb_arch_push_str(a, out, bb_arch_lit(a, cols[i]));
}

/* Table-level uniques (uq_<table>_<cols> unless named), indexes
 * (ix_<table>_<cols>), checks (the naming convention makes
 * ck_<table>_<name>) and the table comment. */
/* A unique index over the rows a soft delete has not marked, named as the
 * unique constraint it stands for (the migrations make the same). */
static void live_unique(bb_arch *a, bb_plan_model *m, const char *name, const char *const *cols,
                        size_t n)
{
    bb_plan_table_arg *o = BB_ARCH_PUSH(a, m->table_args);
    bb_arch_import(a, &m->model_imports, "sqlalchemy", "Index");
    bb_arch_import(a, &m->model_imports, "sqlalchemy", "text");
    column_literals(a, &o->index_columns, cols, n);
    o->index_unique = true;
    o->where_literal = bb_arch_lit(a, BB_SOFT_DELETE_LIVE);
    o->name_literal = bb_arch_lit(a, name);
}

static void plan_table_args(bb_arch *a, int ti, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    bb_plan_imports *im = &m->model_imports;
    for (size_t k = 0; k < t->n_columns && t->use_soft_delete; k++) {
        const bb_column *c = &t->columns[k];
        if (c->unique && !c->primary_key)
            live_unique(a, m, bb_arch_fmt(a, "uq_%s_%s", t->table_name, c->name), &c->name, 1);
    }
    for (size_t i = 0; i < t->n_uniques; i++) {
        const bb_unique *u = &t->uniques[i];
        const char *name =
            u->name ? u->name
                    : bb_arch_fmt(a, "uq_%s_%s", t->table_name,
                                  bb_arch_name_list(a, u->columns, u->n_columns, "_", false));
        if (t->use_soft_delete) {
            live_unique(a, m, name, u->columns, u->n_columns);
            continue;
        }
        bb_plan_table_arg *o = BB_ARCH_PUSH(a, m->table_args);
        bb_arch_import(a, im, "sqlalchemy", "UniqueConstraint");
        column_literals(a, &o->unique_columns, u->columns, u->n_columns);
        o->name_literal = bb_arch_lit(a, name);
    }
    for (size_t i = 0; i < t->n_indexes; i++) {
        const bb_index *x = &t->indexes[i];
        bb_plan_table_arg *o = BB_ARCH_PUSH(a, m->table_args);
        bb_arch_import(a, im, "sqlalchemy", "Index");
        column_literals(a, &o->index_columns, x->columns, x->n_columns);
        o->index_unique = x->unique;
        o->name_literal = bb_arch_lit(
            a, x->name ? x->name
                       : bb_arch_fmt(a, "ix_%s_%s", t->table_name,
                                     bb_arch_name_list(a, x->columns, x->n_columns, "_", false)));
    }
    for (size_t i = 0; i < t->n_checks; i++) {
        const bb_check *ck = &t->checks[i];
        bb_plan_table_arg *o = BB_ARCH_PUSH(a, m->table_args);
        bb_arch_import(a, im, "sqlalchemy", "CheckConstraint");
        o->check_literal = bb_arch_lit(a, ck->expression);
        o->name_literal = bb_arch_lit(a, ck->name ? ck->name : bb_arch_fmt(a, "%zu", i + 1));
    }
    if (t->comment)
        m->table_comment_literal = bb_arch_lit(a, t->comment);
    m->has_table_args = m->table_args.n > 0;
}

/* ---- the model file ----------------------------------------------------------------- */

void bb_models_plan_model(bb_arch *a, int ti, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    bb_arch_m2m mm[BB_ARCH_MAX_M2M];
    /* The user's mixin first: what it defines wins over the generated mixins. */
    const char *extras = bb_arch_fmt(a, "%sExtras", t->class_name);
    bb_arch_import(a, &m->model_imports, bb_arch_fmt(a, "app.models.custom.%s", t->table_name),
                   extras);
    bb_arch_push_str(a, &m->mixins, extras);
    if (t->use_timestamps) {
        bb_arch_import(a, &m->model_imports, "app.models.mixins", "TimestampMixin");
        bb_arch_push_str(a, &m->mixins, "TimestampMixin");
    }
    if (t->use_soft_delete) {
        bb_arch_import(a, &m->model_imports, "app.models.mixins", "SoftDeleteMixin");
        bb_arch_push_str(a, &m->mixins, "SoftDeleteMixin");
    }
    m->docstring = bb_arch_docstring(a, t->description, 4);
    for (size_t k = 0; k < t->n_columns; k++)
        if (!t->columns[k].from_mixin)
            plan_column(a, ti, (int)k, m, BB_ARCH_PUSH(a, m->columns));
    plan_table_args(a, ti, m);
    for (size_t r = 0; r < t->n_rels; r++)
        plan_relationship(a, ti, &t->rels[r], m);
    size_t n_mm = bb_arch_m2m_of(a, ti, mm, BB_ARCH_MAX_M2M, &m->model_imports);
    for (size_t i = 0; i < n_mm; i++) {
        bb_plan_id_property *o = BB_ARCH_PUSH(a, m->id_properties);
        bb_arch_import(a, &m->model_imports, "typing", "List");
        o->name = mm[i].ids;
        o->attr = mm[i].attr;
        o->target_pk = mm[i].target_pk;
        o->id_type = mm[i].id_type;
        o->live_only = a->s->tables[mm[i].target].use_soft_delete;
    }
    bb_arch_sort_imports(&m->mapped_targets);
    /* The sa2 style imports what the classic one does, but Column. */
    for (size_t i = 0; !a->rc && i < m->model_imports.n; i++) {
        const bb_plan_import *im = &m->model_imports.v[i];
        if (!im->name || strcmp(im->module, "sqlalchemy") || strcmp(im->name, "Column"))
            bb_arch_import(a, &m->mapped_imports, im->module, im->name);
    }
}

/* ---- the association tables and the models package ------------------------------ */

static void plan_associations(bb_arch *a, bb_plan *plan)
{
    bb_plan_strs done = {0};
    for (size_t i = 0; i < a->s->n_tables; i++) {
        const bb_table *t = &a->s->tables[i];
        for (size_t r = 0; r < t->n_rels; r++) {
            const bb_relationship *rel = &t->rels[r];
            int target = bb_arch_rel_target(a, rel);
            bool seen = false;
            if (rel->kind != BB_REL_MANY_TO_MANY || rel->through_index >= 0 || rel->through ||
                target < 0 || !rel->assoc_table)
                continue;
            for (size_t d = 0; d < done.n; d++)
                seen |= !strcmp(done.v[d], rel->assoc_table);
            if (seen || a->t[i].pk < 0 || a->t[target].pk < 0)
                continue;
            bb_arch_push_str(a, &done, rel->assoc_table);
            /* Sides in table-name order, as the automatic name is built. */
            int sides[2] = {(int)i, target};
            if (strcmp(a->s->tables[sides[0]].table_name, a->s->tables[sides[1]].table_name) > 0) {
                sides[0] = target;
                sides[1] = (int)i;
            }
            bb_plan_assoc *o = BB_ARCH_PUSH(a, plan->association_tables);
            o->name = rel->assoc_table;
            o->name_literal = bb_arch_lit(a, rel->assoc_table);
            for (int sd = 0; sd < 2; sd++) {
                const bb_table *st = &a->s->tables[sides[sd]];
                int pk = a->t[sides[sd]].pk;
                bb_plan_assoc_side *side = BB_ARCH_PUSH(a, o->sides);
                side->column_literal =
                    bb_arch_lit(a, bb_arch_fmt(a, "%s_%s", bb_arch_snake(a, st->class_name),
                                               st->columns[pk].name));
                side->sa_type = bb_arch_sa_type(a, sides[sd], pk, &plan->association_imports);
                side->target_literal =
                    bb_arch_lit(a, bb_arch_fmt(a, "%s.%s", st->table_name, st->columns[pk].name));
            }
        }
    }
}

void bb_models_plan(bb_arch *a, bb_plan *plan)
{
    plan_enums(a, plan);
    plan_associations(a, plan);
    plan->has_association_tables = plan->association_tables.n > 0;
    for (size_t i = 0; i < a->s->n_tables; i++)
        bb_arch_push_str(a, &plan->model_names, a->s->tables[i].class_name);
    bb_arch_sort_names(&plan->model_names);
}
