/* schemas.c - the request and response bodies of each table (see schemas.h). */
#include "plan/schemas.h"

#include <string.h>

typedef enum body { CREATE, UPDATE, READ } body;

/* One Pydantic field: `name: type`, `= default` or `= Field(default, ...)`. */
static void plan_field(bb_arch *a, int ti, int ci, body mode, bb_plan_model *m,
                       bb_plan_schema_field *o)
{
    const bb_column *c = &a->s->tables[ti].columns[ci];
    const bb_column *st = bb_arch_storage(a, c);
    bb_plan_imports *im = &m->schema_imports;
    const char *type =
        mode == READ ? bb_arch_py_type(a, ti, ci, im) : bb_arch_request_type(a, ti, ci, im);
    bb_col_type bt = bb_arch_type_of(a, c);
    bool optional, required;
    const char *dflt = "None";
    if (mode == READ) {
        optional = c->nullable && !c->primary_key;
        required = !optional;
    } else if (mode == UPDATE) {
        optional = true;
        required = false;
    } else {
        const char *d = bb_arch_default_literal(a, ti, ci, im);
        required = !c->nullable && !bb_arch_has_default(a, ti, ci);
        optional = c->nullable || (!d && !required);
        if (d)
            dflt = d;
    }
    if (mode != READ && bt == BB_TYPE_STRING && st->length > 0)
        o->max_length = bb_arch_fmt(a, "%d", st->length);
    if (mode != READ && bt == BB_TYPE_NUMERIC && st->precision > 0) {
        o->max_digits = bb_arch_fmt(a, "%d", st->precision);
        if (st->scale >= 0)
            o->decimal_places = bb_arch_fmt(a, "%d", st->scale);
    }
    if (c->description && mode != UPDATE)
        o->description_literal = bb_arch_lit(a, c->description);
    if (mode == CREATE)
        o->example_literal = bb_arch_example_literal(a, ti, ci);
    if (optional && !c->nullable && mode != READ)
        bb_arch_push_str(a, mode == CREATE ? &m->create_not_null : &m->update_not_null, c->name);
    if (optional) {
        bb_arch_import(a, im, "typing", "Optional");
        type = bb_arch_fmt(a, "Optional[%s]", type);
    }
    o->name = c->name;
    o->type = type;
    o->field = o->max_length || o->max_digits || o->description_literal || o->example_literal;
    if (o->field)
        bb_arch_import(a, im, "pydantic", "Field");
    o->default_value = required ? (o->field ? "..." : NULL) : dflt;
}

/* The `<rel>_ids` field of a many-to-many. In a request it may be left
 * out (no change) but not null: the links are a list, maybe empty. */
static void push_ids(bb_arch *a, bb_plan_model *m, bb_plan_schema_fields *l, const bb_arch_m2m *mm,
                     bool read)
{
    if (!read)
        bb_arch_push_str(a, l == &m->create_fields ? &m->create_not_null : &m->update_not_null,
                         mm->ids);
    bb_plan_schema_field *o = BB_ARCH_PUSH(a, *l);
    o->name = mm->ids;
    if (read)
        o->type = bb_arch_fmt(a, "List[%s]", mm->id_type);
    else
        o->type = bb_arch_fmt(
            a, "Optional[List[%s]]",
            bb_arch_request_type(a, mm->target, a->t[mm->target].pk, &m->schema_imports));
    o->default_value = read ? "[]" : "None";
}

void bb_schemas_plan(bb_arch *a, int ti, bb_plan_model *m)
{
    const bb_table *t = &a->s->tables[ti];
    bb_arch_m2m mm[BB_ARCH_MAX_M2M];
    for (size_t k = 0; k < t->n_columns; k++) {
        const bb_column *c = &t->columns[k];
        plan_field(a, ti, (int)k, READ, m, BB_ARCH_PUSH(a, m->read_fields));
        if (c->from_mixin || bb_arch_generated_pk(a, ti, (int)k))
            continue;
        plan_field(a, ti, (int)k, CREATE, m, BB_ARCH_PUSH(a, m->create_fields));
        if (!c->primary_key)
            plan_field(a, ti, (int)k, UPDATE, m, BB_ARCH_PUSH(a, m->update_fields));
    }
    /* The bases of the user's own (app/schemas/custom/<table>.py). */
    static const char *const extras[] = {"CreateExtras", "UpdateExtras", "ReadExtras"};
    for (size_t i = 0; i < 3; i++)
        bb_arch_import(a, &m->schema_imports,
                       bb_arch_fmt(a, "app.schemas.custom.%s", a->s->tables[ti].table_name),
                       bb_arch_fmt(a, "%s%s", a->s->tables[ti].class_name, extras[i]));
    size_t n_mm = bb_arch_m2m_of(a, ti, mm, BB_ARCH_MAX_M2M, &m->schema_imports);
    for (size_t i = 0; i < n_mm; i++) {
        bb_arch_import(a, &m->schema_imports, "typing", "Optional");
        push_ids(a, m, &m->create_fields, &mm[i], false);
        push_ids(a, m, &m->update_fields, &mm[i], false);
        push_ids(a, m, &m->read_fields, &mm[i], true);
    }
    if (m->create_not_null.n || m->update_not_null.n) {
        bb_arch_import(a, &m->schema_imports, "typing", "ClassVar");
        bb_arch_import(a, &m->schema_imports, "typing", "Tuple");
    }
}
