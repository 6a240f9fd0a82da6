/* prepass.c - per-table facts and the names the architect checks (see prepass.h). */
#include "plan/prepass.h"

#include <string.h>

/* Classes the generated project defines or imports beside the models. */
static const char *const project_classes[] = {
    "Base",     "ConfigDict",      "Engine",     "GUID",           "ORMModel",     "Schema",
    "Settings", "SoftDeleteMixin", "TestClient", "TimestampMixin", "TypeDecorator"};

/* The classes made for each table besides its model: its schemas, and the
 * bases of the user's own code for the model and the schemas. */
static const char *const schema_suffixes[] = {
    "Create", "Update", "Read", "Page", "Extras", "CreateExtras", "UpdateExtras", "ReadExtras"};

static bool project_class(const char *name)
{
    for (size_t i = 0; i < sizeof(project_classes) / sizeof(project_classes[0]); i++)
        if (!strcmp(name, project_classes[i]))
            return true;
    return false;
}

/* The table (other than self) whose schema classes include name, or -1. */
static int schema_class_owner(bb_arch *a, const char *name, int self)
{
    for (size_t i = 0; i < a->s->n_tables; i++) {
        const char *cls = a->s->tables[i].class_name;
        size_t n = strlen(cls);
        if ((int)i == self || strncmp(name, cls, n))
            continue;
        for (size_t k = 0; k < sizeof(schema_suffixes) / sizeof(schema_suffixes[0]); k++)
            if (!strcmp(name + n, schema_suffixes[k]))
                return (int)i;
    }
    return -1;
}

/* Whether an enum class name is taken: by a model class, a schema class, a
 * class of the project, or an enum named before (table upto_t, column upto_c). */
static bool name_taken(bb_arch *a, const char *name, size_t upto_t, size_t upto_c)
{
    if (project_class(name) || schema_class_owner(a, name, -1) >= 0)
        return true;
    for (size_t i = 0; i < a->s->n_tables; i++) {
        if (!strcmp(a->s->tables[i].class_name, name))
            return true;
        for (size_t k = 0; k < a->s->tables[i].n_columns; k++) {
            const char *e;
            if (i > upto_t || (i == upto_t && k >= upto_c))
                break;
            e = a->t[i].enum_class[k];
            if (e && !strcmp(e, name))
                return true;
        }
    }
    return false;
}

/*
 * The member names of an enum column, one per value: the value as an
 * UPPER_CASE identifier (accents transliterated), VALUE_<n> (n counting from
 * 1) when nothing of it is left, then _2, _3... until unique. Deterministic.
 */
static const char **member_names(bb_arch *a, const bb_column *c)
{
    const char **names = bb_arena_alloc(&a->plan->arena, (c->n_enum_values + 1) * sizeof(char *));
    if (!names) {
        bb_arch_fail(a, BB_ENOMEM);
        return NULL;
    }
    for (size_t v = 0; v < c->n_enum_values; v++) {
        const char *base = bb_arch_constant(a, c->enum_values[v]);
        const char *name;
        bool clash = true;
        if (!*base)
            base = bb_arch_fmt(a, "VALUE_%zu", v + 1);
        name = base;
        for (int n = 2; clash && !a->rc; n++) {
            clash = false;
            for (size_t u = 0; u < v; u++)
                if (!strcmp(names[u], name))
                    clash = true;
            if (clash)
                name = bb_arch_fmt(a, "%s_%d", base, n);
        }
        names[v] = name;
    }
    return names;
}

void bb_prepass_run(bb_arch *a)
{
    const bb_schema *s = a->s;
    a->t = bb_arena_alloc(&a->plan->arena, (s->n_tables ? s->n_tables : 1) * sizeof(*a->t));
    if (!a->t) {
        bb_arch_fail(a, BB_ENOMEM);
        return;
    }
    for (size_t i = 0; i < s->n_tables && !a->rc; i++) {
        const bb_table *t = &s->tables[i];
        bb_arch_table *ti = &a->t[i];
        size_t n_pk = 0;
        ti->snake = bb_arch_snake(a, t->class_name);
        ti->pk = -1;
        {
            const char *route =
                bb_arch_advice_value(bb_arch_advice(a, "route_path", t->table_name, NULL));
            ti->route = route ? bb_arch_fmt(a, "%s", route) : bb_arch_fmt(a, "/%s", t->table_name);
        }
        ti->api_path = bb_arch_fmt(a, BB_ARCH_API_PREFIX "%s", ti->route);
        ti->enum_class = bb_arena_alloc(&a->plan->arena, (t->n_columns + 1) * sizeof(char *));
        ti->keys = bb_arena_alloc(&a->plan->arena, (t->n_columns + 1) * sizeof(int));
        ti->members = bb_arena_alloc(&a->plan->arena, (t->n_columns + 1) * sizeof(char **));
        if (!ti->enum_class || !ti->keys || !ti->members) {
            bb_arch_fail(a, BB_ENOMEM);
            return;
        }
        for (size_t k = 0; k < t->n_columns; k++) {
            const bb_column *c = &t->columns[k];
            if (c->primary_key) {
                n_pk++;
                ti->pk = (int)k;
                ti->keys[ti->n_keys++] = (int)k;
            }
            if (c->type == BB_TYPE_UUID)
                a->uses_uuid = true;
            if (c->type == BB_TYPE_ENUM && !c->fk_target) {
                const char *base = bb_arch_fmt(a, "%s%s", bb_arch_capwords(a, t->class_name),
                                               bb_arch_capwords(a, c->name));
                const char *name = base;
                for (int n = 2; !a->rc && name_taken(a, name, i, k); n++)
                    name = bb_arch_fmt(a, "%s%d", base, n);
                ti->enum_class[k] = name;
                ti->members[k] = member_names(a, c);
            }
        }
        if (n_pk != 1)
            ti->pk = -1;
        ti->routes = ti->n_keys > 0;
        a->uses_timestamps |= t->use_timestamps;
        a->uses_soft_delete |= t->use_soft_delete;
        for (size_t r = 0; r < t->n_rels; r++)
            if (t->rels[r].kind == BB_REL_MANY_TO_MANY && t->rels[r].through_index < 0)
                a->has_assoc = true;
    }
    /* FK columns get the type of what they reference (UUID included). */
    for (size_t i = 0; i < s->n_tables; i++)
        for (size_t k = 0; k < s->tables[i].n_columns; k++)
            if (bb_arch_type_of(a, &s->tables[i].columns[k]) == BB_TYPE_UUID)
                a->uses_uuid = true;
}

/* A generated SQL identifier longer than PostgreSQL keeps (63 bytes): an
 * error for PostgreSQL, which would truncate it silently, else a warning;
 * over MySQL's 64 characters an error for MySQL, which refuses it. */
static void check_length(bb_arch *a, const char *ident, const char *what, const char *pointer,
                         size_t offset, const char *hint)
{
    size_t n = strlen(ident);
    if (a->rc || n <= 63)
        return;
    if (a->s->db_type == BB_DB_MYSQL && n > 64) {
        (void)bb_diag_add(a->diags, BB_ERROR, "BB0770", pointer, offset, hint,
                          "the generated %s name '%s' is %zu characters, over MySQL's "
                          "64-character limit",
                          what, ident, n);
        return;
    }
    (void)bb_diag_add(a->diags, a->s->db_type == BB_DB_POSTGRESQL ? BB_ERROR : BB_WARNING, "BB0752",
                      pointer, offset, hint,
                      "the generated %s name '%s' is %zu bytes, over PostgreSQL's 63-byte limit",
                      what, ident, n);
}

void bb_prepass_check_names(bb_arch *a)
{
    const bb_schema *s = a->s;
    bb_plan_strs assoc = {0};
    if (!a->diags)
        return;
    for (size_t i = 0; i < s->n_tables && !a->rc; i++) {
        const bb_table *t = &s->tables[i];
        int owner;
        if (project_class(t->class_name))
            (void)bb_diag_add(a->diags, BB_ERROR, "BB0750", t->pointer, t->offset,
                              "choose another class_name (e.g. prefix it with the project's "
                              "domain)",
                              "class_name '%s' is a class the generated project defines itself",
                              t->class_name);
        owner = schema_class_owner(a, t->class_name, (int)i);
        if (owner >= 0)
            (void)bb_diag_add(a->diags, BB_ERROR, "BB0751", t->pointer, t->offset,
                              "rename one of the two classes",
                              "class_name '%s' is also the name of a request or response schema "
                              "of table '%s' (class %s)",
                              t->class_name, s->tables[owner].table_name,
                              s->tables[owner].class_name);
        if (a->t[i].n_keys)
            check_length(a, bb_arch_fmt(a, "pk_%s", t->table_name), "primary key constraint",
                         t->pointer, t->offset, "shorten the table name");
        for (size_t k = 0; k < t->n_columns; k++) {
            const bb_column *c = &t->columns[k];
            int tci, tti = bb_arch_fk_target(a, c, &tci);
            if (c->index && !c->primary_key)
                check_length(a, bb_arch_fmt(a, "ix_%s_%s", t->table_name, c->name), "index",
                             c->pointer, c->offset,
                             "drop \"index\" and add an index with an explicit \"name\" to the "
                             "table's \"indexes\"");
            else if (c->unique && !c->primary_key)
                check_length(a, bb_arch_fmt(a, "uq_%s_%s", t->table_name, c->name),
                             "unique constraint", c->pointer, c->offset,
                             "drop \"unique\" and add a unique constraint with an explicit "
                             "\"name\" to the table's \"unique\"");
            if (tti >= 0)
                check_length(a,
                             bb_arch_fmt(a, "fk_%s_%s_%s", t->table_name, c->name,
                                         s->tables[tti].table_name),
                             "foreign key constraint", c->pointer, c->offset,
                             "shorten the column or table names");
            if (a->t[i].enum_class[k])
                check_length(a, bb_arch_fmt(a, "%s_%s", t->table_name, c->name), "enum type",
                             c->pointer, c->offset, "shorten the column or table name");
        }
        for (size_t k = 0; k < t->n_uniques; k++)
            if (!t->uniques[k].name)
                check_length(a,
                             bb_arch_fmt(a, "uq_%s_%s", t->table_name,
                                         bb_arch_name_list(a, t->uniques[k].columns,
                                                           t->uniques[k].n_columns, "_", false)),
                             "unique constraint", t->uniques[k].pointer, t->uniques[k].offset,
                             "give the unique constraint an explicit \"name\"");
        for (size_t k = 0; k < t->n_indexes; k++)
            if (!t->indexes[k].name)
                check_length(a,
                             bb_arch_fmt(a, "ix_%s_%s", t->table_name,
                                         bb_arch_name_list(a, t->indexes[k].columns,
                                                           t->indexes[k].n_columns, "_", false)),
                             "index", t->indexes[k].pointer, t->indexes[k].offset,
                             "give the index an explicit \"name\"");
        for (size_t k = 0; k < t->n_checks; k++)
            check_length(
                a,
                bb_arch_fmt(a, "ck_%s_%s", t->table_name,
                            t->checks[k].name ? t->checks[k].name : bb_arch_fmt(a, "%zu", k + 1)),
                "check constraint", t->checks[k].pointer, t->checks[k].offset,
                "give the check a shorter \"name\" (it becomes ck_<table>_<name>)");
        for (size_t r = 0; r < t->n_rels; r++) {
            const bb_relationship *rel = &t->rels[r];
            int target = bb_arch_rel_target(a, rel);
            bool seen = false;
            if (rel->kind != BB_REL_MANY_TO_MANY || rel->through_index >= 0 || rel->through ||
                target < 0 || !rel->assoc_table || a->t[i].pk < 0 || a->t[target].pk < 0)
                continue;
            for (size_t d = 0; d < assoc.n; d++)
                seen |= !strcmp(assoc.v[d], rel->assoc_table);
            if (seen)
                continue;
            bb_arch_push_str(a, &assoc, rel->assoc_table);
            const char *hint = "name the association table with \"through\" (a table of the "
                               "schema)";
            check_length(a, rel->assoc_table, "association table", rel->pointer, rel->offset, hint);
            check_length(a, bb_arch_fmt(a, "pk_%s", rel->assoc_table), "primary key constraint",
                         rel->pointer, rel->offset, hint);
            for (int sd = 0; sd < 2; sd++) {
                const bb_table *st = &s->tables[sd ? target : (int)i];
                int pk = a->t[sd ? target : (int)i].pk;
                check_length(a,
                             bb_arch_fmt(a, "fk_%s_%s_%s_%s", rel->assoc_table,
                                         bb_arch_snake(a, st->class_name), st->columns[pk].name,
                                         st->table_name),
                             "foreign key constraint", rel->pointer, rel->offset, hint);
            }
        }
    }
}
