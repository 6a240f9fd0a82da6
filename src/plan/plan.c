/* plan.c - the plan's descriptors, memory and JSON printer (see plan.h). */
#include "plan/plan.h"

#include "json/jsonout.h"

#include <stdint.h>
#include <string.h>

/* ---- descriptors ------------------------------------------------------------ */

#define STR(T, f)                                                                                  \
    {                                                                                              \
#f, BB_PLAN_STRING, offsetof(T, f), NULL                                                   \
    }
#define BOOL(T, f)                                                                                 \
    {                                                                                              \
#f, BB_PLAN_BOOL, offsetof(T, f), NULL                                                     \
    }
#define INT(T, f)                                                                                  \
    {                                                                                              \
#f, BB_PLAN_INT, offsetof(T, f), NULL                                                      \
    }
#define LIST(T, f, et)                                                                             \
    {                                                                                              \
#f, BB_PLAN_LIST, offsetof(T, f), et                                                       \
    }
#define OBJ(T, f, ot)                                                                              \
    {                                                                                              \
#f, BB_PLAN_OBJECT, offsetof(T, f), ot                                                     \
    }
#define TYPE(var, T, fields)                                                                       \
    const bb_plan_type var = {#T, sizeof(T), fields, sizeof(fields) / sizeof(fields[0])}

static const bb_plan_type import_type, project_type, member_type, enum_type, assoc_side_type,
    assoc_type, fk_type, column_type, rel_type, table_arg_type, id_property_type, schema_field_type,
    filter_type, key_type, reference_type, link_type, test_column_type, route_type, body_value_type,
    parent_type, factory_type, file_type, llm_type, decision_type;

static const bb_plan_field decision_fields[] = {
    STR(bb_plan_decision, kind),   STR(bb_plan_decision, table),
    STR(bb_plan_decision, column), LIST(bb_plan_decision, columns, NULL),
    STR(bb_plan_decision, value),  BOOL(bb_plan_decision, descending),
    STR(bb_plan_decision, reason), STR(bb_plan_decision, source),
    STR(bb_plan_decision, effect), STR(bb_plan_decision, value_py),
};
static TYPE(decision_type, bb_plan_decision, decision_fields);

static const bb_plan_field llm_fields[] = {
    STR(bb_plan_llm, provider),
    STR(bb_plan_llm, model),
    LIST(bb_plan_llm, decisions, &decision_type),
};
static TYPE(llm_type, bb_plan_llm, llm_fields);

static const bb_plan_field import_fields[] = {STR(bb_plan_import, module),
                                              STR(bb_plan_import, name)};
static TYPE(import_type, bb_plan_import, import_fields);

static const bb_plan_field project_fields[] = {
    STR(bb_plan_project, name),
    STR(bb_plan_project, package),
    STR(bb_plan_project, distribution),
    STR(bb_plan_project, db_type),
    STR(bb_plan_project, description),
    STR(bb_plan_project, description_text),
    STR(bb_plan_project, name_literal),
    STR(bb_plan_project, description_literal),
    STR(bb_plan_project, toml_description),
    STR(bb_plan_project, default_database_url),
    STR(bb_plan_project, default_database_url_literal),
    STR(bb_plan_project, driver),
    STR(bb_plan_project, api_prefix),
    STR(bb_plan_project, version),
    BOOL(bb_plan_project, postgresql),
    STR(bb_plan_project, style),
    BOOL(bb_plan_project, sa2),
};
static TYPE(project_type, bb_plan_project, project_fields);

static const bb_plan_field member_fields[] = {STR(bb_plan_enum_member, name),
                                              STR(bb_plan_enum_member, value_literal)};
static TYPE(member_type, bb_plan_enum_member, member_fields);

static const bb_plan_field enum_fields[] = {
    STR(bb_plan_enum, class),     STR(bb_plan_enum, table),
    STR(bb_plan_enum, column),    STR(bb_plan_enum, type_name),
    STR(bb_plan_enum, docstring), LIST(bb_plan_enum, members, &member_type),
};
static TYPE(enum_type, bb_plan_enum, enum_fields);

static const bb_plan_field assoc_side_fields[] = {
    STR(bb_plan_assoc_side, column_literal),
    STR(bb_plan_assoc_side, sa_type),
    STR(bb_plan_assoc_side, target_literal),
};
static TYPE(assoc_side_type, bb_plan_assoc_side, assoc_side_fields);

static const bb_plan_field assoc_fields[] = {
    STR(bb_plan_assoc, name),
    STR(bb_plan_assoc, name_literal),
    LIST(bb_plan_assoc, sides, &assoc_side_type),
};
static TYPE(assoc_type, bb_plan_assoc, assoc_fields);

static const bb_plan_field fk_fields[] = {
    STR(bb_plan_foreign_key, target_literal),
    STR(bb_plan_foreign_key, ondelete),
    BOOL(bb_plan_foreign_key, use_alter),
};
static TYPE(fk_type, bb_plan_foreign_key, fk_fields);

static const bb_plan_field column_fields[] = {
    STR(bb_plan_column, name),
    STR(bb_plan_column, sa_type),
    OBJ(bb_plan_column, foreign_key, &fk_type),
    BOOL(bb_plan_column, primary_key),
    STR(bb_plan_column, autoincrement),
    BOOL(bb_plan_column, nullable),
    BOOL(bb_plan_column, unique),
    BOOL(bb_plan_column, index),
    STR(bb_plan_column, default_value),
    STR(bb_plan_column, server_default_literal),
    STR(bb_plan_column, server_default_bool),
    STR(bb_plan_column, server_default_value),
    STR(bb_plan_column, comment_literal),
    STR(bb_plan_column, description_text),
    STR(bb_plan_column, python_type),
    STR(bb_plan_column, references),
    STR(bb_plan_column, mapped_type),
    LIST(bb_plan_column, llm_decided, NULL),
};
static TYPE(column_type, bb_plan_column, column_fields);

static const bb_plan_field rel_fields[] = {
    STR(bb_plan_relationship, name),
    STR(bb_plan_relationship, kind),
    STR(bb_plan_relationship, target),
    STR(bb_plan_relationship, target_literal),
    STR(bb_plan_relationship, secondary_literal),
    STR(bb_plan_relationship, back_populates_literal),
    STR(bb_plan_relationship, foreign_keys),
    STR(bb_plan_relationship, remote_side),
    STR(bb_plan_relationship, primaryjoin),
    STR(bb_plan_relationship, secondaryjoin),
    STR(bb_plan_relationship, overlaps_literal),
    STR(bb_plan_relationship, cascade_literal),
    BOOL(bb_plan_relationship, uselist_false),
    STR(bb_plan_relationship, passive_deletes),
    BOOL(bb_plan_relationship, post_update),
    STR(bb_plan_relationship, mapped_type),
};
static TYPE(rel_type, bb_plan_relationship, rel_fields);

static const bb_plan_field table_arg_fields[] = {
    LIST(bb_plan_table_arg, unique_columns, NULL), LIST(bb_plan_table_arg, index_columns, NULL),
    BOOL(bb_plan_table_arg, index_unique),         STR(bb_plan_table_arg, check_literal),
    STR(bb_plan_table_arg, name_literal),          STR(bb_plan_table_arg, where_literal),
};
static TYPE(table_arg_type, bb_plan_table_arg, table_arg_fields);

static const bb_plan_field id_property_fields[] = {
    STR(bb_plan_id_property, name),       STR(bb_plan_id_property, attr),
    STR(bb_plan_id_property, target_pk),  STR(bb_plan_id_property, id_type),
    BOOL(bb_plan_id_property, live_only),
};
static TYPE(id_property_type, bb_plan_id_property, id_property_fields);

static const bb_plan_field schema_field_fields[] = {
    STR(bb_plan_schema_field, name),
    STR(bb_plan_schema_field, type),
    STR(bb_plan_schema_field, default_value),
    BOOL(bb_plan_schema_field, field),
    STR(bb_plan_schema_field, max_length),
    STR(bb_plan_schema_field, max_digits),
    STR(bb_plan_schema_field, decimal_places),
    STR(bb_plan_schema_field, description_literal),
    STR(bb_plan_schema_field, example_literal),
};
static TYPE(schema_field_type, bb_plan_schema_field, schema_field_fields);

static const bb_plan_field filter_fields[] = {
    STR(bb_plan_filter, name), STR(bb_plan_filter, param),  STR(bb_plan_filter, query),
    STR(bb_plan_filter, type), BOOL(bb_plan_filter, alias),
};
static TYPE(filter_type, bb_plan_filter, filter_fields);

static const bb_plan_field key_fields[] = {
    STR(bb_plan_key, name),
    STR(bb_plan_key, param),
    STR(bb_plan_key, type),
    STR(bb_plan_key, missing),
};
static TYPE(key_type, bb_plan_key, key_fields);

static const bb_plan_field reference_fields[] = {
    STR(bb_plan_reference, name),
    STR(bb_plan_reference, target_class),
    STR(bb_plan_reference, target_column),
};
static TYPE(reference_type, bb_plan_reference, reference_fields);

static const bb_plan_field link_fields[] = {
    STR(bb_plan_link, ids),          STR(bb_plan_link, attr),    STR(bb_plan_link, target_class),
    STR(bb_plan_link, target_pk),    STR(bb_plan_link, id_type), BOOL(bb_plan_link, tested),
    STR(bb_plan_link, target_snake), STR(bb_plan_link, missing), STR(bb_plan_link, target_path),
};
static TYPE(link_type, bb_plan_link, link_fields);

static const bb_plan_field test_column_fields[] = {
    STR(bb_plan_test_column, name),   STR(bb_plan_test_column, query),
    BOOL(bb_plan_test_column, exact), STR(bb_plan_test_column, missing),
    STR(bb_plan_test_column, length), STR(bb_plan_test_column, parent_path),
    BOOL(bb_plan_test_column, frees),
};
static TYPE(test_column_type, bb_plan_test_column, test_column_fields);

#define M bb_plan_model
static const bb_plan_field model_fields[] = {
    STR(M, class),
    STR(M, table),
    STR(M, module),
    STR(M, description),
    STR(M, snake),
    BOOL(M, timestamps),
    BOOL(M, soft_delete),
    BOOL(M, routes),
    STR(M, route),
    STR(M, api_path),
    STR(M, docstring),
    LIST(M, mixins, NULL),
    LIST(M, model_imports, &import_type),
    LIST(M, mapped_imports, &import_type),
    LIST(M, mapped_targets, &import_type),
    LIST(M, columns, &column_type),
    LIST(M, table_args, &table_arg_type),
    STR(M, table_comment_literal),
    BOOL(M, has_table_args),
    LIST(M, relationships, &rel_type),
    LIST(M, id_properties, &id_property_type),
    LIST(M, schema_imports, &import_type),
    LIST(M, create_fields, &schema_field_type),
    LIST(M, update_fields, &schema_field_type),
    LIST(M, read_fields, &schema_field_type),
    LIST(M, create_not_null, NULL),
    LIST(M, update_not_null, NULL),
    LIST(M, route_imports, &import_type),
    LIST(M, key, &key_type),
    BOOL(M, composite_key),
    STR(M, key_path),
    STR(M, pk),
    STR(M, pk_type),
    LIST(M, column_names, NULL),
    LIST(M, sort_fields, NULL),
    LIST(M, search_fields, NULL),
    STR(M, sort_default_literal),
    LIST(M, filters, &filter_type),
    LIST(M, references, &reference_type),
    LIST(M, links, &link_type),
    LIST(M, test_imports, &import_type),
    LIST(M, exact_fields, NULL),
    LIST(M, decimal_fields, NULL),
    BOOL(M, integer_pk),
    OBJ(M, test_filter, &test_column_type),
    OBJ(M, test_search, &test_column_type),
    OBJ(M, test_update, &test_column_type),
    OBJ(M, test_unique, &test_column_type),
    OBJ(M, test_not_null, &test_column_type),
    OBJ(M, test_fk, &test_column_type),
    LIST(M, llm_decided, NULL),
};
#undef M
TYPE(bb_plan_model_type, bb_plan_model, model_fields);

static const bb_plan_field route_fields[] = {STR(bb_plan_route, table), STR(bb_plan_route, route)};
static TYPE(route_type, bb_plan_route, route_fields);

static const bb_plan_field body_value_fields[] = {STR(bb_plan_body_value, name),
                                                  STR(bb_plan_body_value, value)};
static TYPE(body_value_type, bb_plan_body_value, body_value_fields);

static const bb_plan_field parent_fields[] = {
    STR(bb_plan_parent, column),
    STR(bb_plan_parent, snake),
    STR(bb_plan_parent, target_column),
};
static TYPE(parent_type, bb_plan_parent, parent_fields);

static const bb_plan_field factory_fields[] = {
    STR(bb_plan_factory, class),
    STR(bb_plan_factory, snake),
    STR(bb_plan_factory, api_path),
    LIST(bb_plan_factory, body, &body_value_type),
    LIST(bb_plan_factory, parents, &parent_type),
    BOOL(bb_plan_factory, uses_n),
};
static TYPE(factory_type, bb_plan_factory, factory_fields);

static const bb_plan_field file_fields[] = {
    STR(bb_plan_file, path),
    STR(bb_plan_file, template),
    STR(bb_plan_file, scope),
    BOOL(bb_plan_file, user),
};
static TYPE(file_type, bb_plan_file, file_fields);

static const bb_plan_field root_fields[] = {
    INT(bb_plan, plan_version),
    STR(bb_plan, backbone_version),
    OBJ(bb_plan, project, &project_type),
    LIST(bb_plan, build_order, NULL),
    BOOL(bb_plan, uses_timestamps),
    BOOL(bb_plan, uses_soft_delete),
    BOOL(bb_plan, uses_uuid),
    BOOL(bb_plan, uses_search),
    LIST(bb_plan, enums, &enum_type),
    LIST(bb_plan, association_tables, &assoc_type),
    BOOL(bb_plan, has_association_tables),
    LIST(bb_plan, association_imports, &import_type),
    LIST(bb_plan, models, &bb_plan_model_type),
    LIST(bb_plan, factories, &factory_type),
    LIST(bb_plan, model_names, NULL),
    LIST(bb_plan, route_order, &route_type),
    LIST(bb_plan, route_tables, NULL),
    LIST(bb_plan, files, &file_type),
    OBJ(bb_plan, llm, &llm_type),
};
TYPE(bb_plan_root_type, bb_plan, root_fields);

/* ---- reflection ---------------------------------------------------------------- */

const bb_plan_field *bb_plan_field_find(const bb_plan_type *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->n_fields; i++) {
        const char *f = t->fields[i].name;
        if (f[0] == name[0] && strncmp(f, name, len) == 0 && f[len] == '\0')
            return &t->fields[i];
    }
    return NULL;
}

bb_plan_any_list bb_plan_list_of(const void *obj, const bb_plan_field *f)
{
    bb_plan_any_list l;
    /* Every BB_PLAN_LIST has this layout; memcpy reads it without aliasing
     * one struct type through another. */
    memcpy(&l, (const char *)obj + f->offset, sizeof(l));
    return l;
}

/* ---- memory ----------------------------------------------------------------------- */

bb_plan *bb_plan_new(size_t max)
{
    bb_arena arena;
    bb_arena_init(&arena, max);
    bb_plan *p = bb_arena_alloc(&arena, sizeof(*p));
    if (!p) {
        bb_arena_free(&arena);
        return NULL;
    }
    p->arena = arena;
    p->plan_version = BB_PLAN_VERSION;
    return p;
}

void bb_plan_free(bb_plan *p)
{
    if (!p)
        return;
    bb_arena arena = p->arena; /* p itself lives in it */
    bb_arena_free(&arena);
}

void *bb_plan_alloc(bb_plan *p, size_t n)
{
    return bb_arena_alloc(&p->arena, n ? n : 1);
}

const char *bb_plan_strdup(bb_plan *p, const char *s)
{
    return s ? bb_arena_strdup(&p->arena, s) : NULL;
}

/* The capacity of a list is not stored: lists grow to powers of two, from
 * 8, so a list is full when it is new or its length is such a power. */
static size_t capacity_of(size_t n)
{
    size_t cap = 8;
    while (cap < n)
        cap *= 2;
    return cap;
}

void *bb_plan_list_push(bb_plan *p, void *list, size_t elem_size)
{
    bb_plan_any_list l;
    memcpy(&l, list, sizeof(l));
    /* Full when n is a capacity (a power of two from 8) or the list is new. */
    if (!l.v || (l.n >= 8 && (l.n & (l.n - 1)) == 0)) {
        void *v = bb_plan_alloc(p, capacity_of(l.n + 1) * elem_size);
        if (!v)
            return NULL;
        if (l.n)
            memcpy(v, l.v, l.n * elem_size);
        l.v = v;
    }
    void *e = (char *)l.v + l.n * elem_size;
    memset(e, 0, elem_size);
    l.n++;
    memcpy(list, &l, sizeof(l));
    return e;
}

/* ---- JSON ------------------------------------------------------------------------- */

static int print_object(const bb_plan_type *t, const void *obj, int depth, bb_buf *out);

static int indent(bb_buf *out, int depth)
{
    int rc = bb_buf_putc(out, '\n');
    for (int i = 0; !rc && i < depth; i++)
        rc = bb_buf_puts(out, "  ");
    return rc;
}

static int print_string(bb_buf *out, const char *s)
{
    return bb_json_put_string(out, s, strlen(s));
}

static int print_list(const bb_plan_field *f, const void *obj, int depth, bb_buf *out)
{
    bb_plan_any_list l = bb_plan_list_of(obj, f);
    int rc = bb_buf_putc(out, '[');
    for (size_t i = 0; !rc && i < l.n; i++) {
        if (i)
            rc = bb_buf_putc(out, ',');
        if (!rc)
            rc = indent(out, depth + 1);
        if (rc)
            break;
        if (f->type)
            rc = print_object(f->type, (const char *)l.v + i * f->type->size, depth + 1, out);
        else
            rc = print_string(out, ((const char *const *)l.v)[i]);
    }
    if (!rc && l.n)
        rc = indent(out, depth);
    return rc ? rc : bb_buf_putc(out, ']');
}

static int print_field(const bb_plan_field *f, const void *obj, int depth, bb_buf *out)
{
    const char *at = (const char *)obj + f->offset;
    switch (f->kind) {
    case BB_PLAN_STRING:
        return print_string(out, *(const char *const *)at);
    case BB_PLAN_BOOL:
        return bb_buf_puts(out, *(const bool *)at ? "true" : "false");
    case BB_PLAN_INT:
        return bb_buf_put_int(out, *(const int *)at);
    case BB_PLAN_LIST:
        return print_list(f, obj, depth, out);
    case BB_PLAN_OBJECT:
        return print_object(f->type, *(const void *const *)at, depth, out);
    }
    return BB_EINVAL;
}

/* Whether obj has a value for f: missing strings and objects are left out. */
static bool present(const bb_plan_field *f, const void *obj)
{
    const char *at = (const char *)obj + f->offset;
    if (f->kind == BB_PLAN_STRING || f->kind == BB_PLAN_OBJECT)
        return *(const void *const *)at != NULL;
    return true;
}

static int print_object(const bb_plan_type *t, const void *obj, int depth, bb_buf *out)
{
    int rc = bb_buf_putc(out, '{');
    bool first = true;
    for (size_t i = 0; !rc && i < t->n_fields; i++) {
        const bb_plan_field *f = &t->fields[i];
        if (!present(f, obj))
            continue;
        if (!first)
            rc = bb_buf_putc(out, ',');
        first = false;
        if (!rc)
            rc = indent(out, depth + 1);
        if (!rc)
            rc = print_string(out, f->name);
        if (!rc)
            rc = bb_buf_puts(out, ": ");
        if (!rc)
            rc = print_field(f, obj, depth + 1, out);
    }
    if (!rc && !first)
        rc = indent(out, depth);
    return rc ? rc : bb_buf_putc(out, '}');
}

int bb_plan_print_json(const bb_plan *p, bb_buf *out)
{
    size_t start = out->len;
    int rc = print_object(&bb_plan_root_type, p, 0, out);
    if (!rc)
        rc = bb_buf_putc(out, '\n');
    if (rc) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return rc;
}
