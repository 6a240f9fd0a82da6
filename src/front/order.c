/*
 * order.c - the build order (order.h).
 *
 * Kahn's algorithm with a deterministic pick: at each step the earliest
 * table (by input position) whose dependencies are all placed. When no
 * table can be placed, the remaining ones hold a cycle: walking from the
 * earliest remaining table along its first unplaced dependency must come
 * back to a table already seen. That cycle is broken at the first table on
 * it (in input order) whose edge is nullable, or reported as an error and
 * broken anyway so every cycle is reported in one run.
 *
 * An edge A -> B stands for every foreign key of A to B; it can be broken
 * only when all of them are nullable, and breaking it marks them all
 * use_alter. Tables are few (50 by default), so the quadratic scans here
 * cost microseconds.
 */
#include "front/order.h"

#include "base/buf.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct order_ctx {
    bb_schema *s;
    bb_diags *d;
    bool *placed;
    bool *cut; /* n_tables * n_tables: edge a -> b removed */
    int *walk; /* tables on the current walk */
    int *seen; /* position of a table on the walk, -1 if not on it */
    bb_order_locate_fn locate;
    int rc;
} order_ctx;

static bool *cut_at(order_ctx *o, int a, int b)
{
    return &o->cut[(size_t)a * o->s->n_tables + (size_t)b];
}

/* The first unplaced table a still depends on, in column order; -1 if none. */
static int first_unplaced_dep(order_ctx *o, int a)
{
    const bb_table *t = &o->s->tables[a];
    for (size_t i = 0; i < t->n_columns; i++) {
        int b = t->columns[i].fk_table_index;
        if (b >= 0 && b != a && !o->placed[b] && !*cut_at(o, a, b))
            return b;
    }
    return -1;
}

static bool ready(order_ctx *o, int a)
{
    return first_unplaced_dep(o, a) < 0;
}

/* The first foreign key column of a to b. */
static const bb_column *edge_column(order_ctx *o, int a, int b)
{
    const bb_table *t = &o->s->tables[a];
    for (size_t i = 0; i < t->n_columns; i++)
        if (t->columns[i].fk_table_index == b)
            return &t->columns[i];
    return NULL;
}

static bool edge_nullable(order_ctx *o, int a, int b)
{
    const bb_table *t = &o->s->tables[a];
    for (size_t i = 0; i < t->n_columns; i++)
        if (t->columns[i].fk_table_index == b && !t->columns[i].nullable)
            return false;
    return true;
}

static void mark_use_alter(order_ctx *o, int a, int b)
{
    bb_table *t = &o->s->tables[a];
    for (size_t i = 0; i < t->n_columns; i++)
        if (t->columns[i].fk_table_index == b)
            t->columns[i].use_alter = true;
}

/* "users.org_id -> orgs.owner_id -> users", starting at cycle[first]. */
static int describe_cycle(order_ctx *o, const int *cycle, size_t n, size_t first, bb_buf *out)
{
    int rc = BB_OK;
    for (size_t k = 0; k < n && !rc; k++) {
        int a = cycle[(first + k) % n], b = cycle[(first + k + 1) % n];
        const bb_column *c = edge_column(o, a, b);
        rc = bb_buf_printf(out, "%s.%s -> ", o->s->tables[a].table_name, c ? c->name : "?");
    }
    if (!rc)
        rc = bb_buf_puts(out, o->s->tables[cycle[first]].table_name);
    return rc;
}

static void locate(order_ctx *o, const bb_column *c, char *ptr, size_t size, size_t *off)
{
    if (o->locate) {
        o->locate(o->s, c, ptr, size, off);
        return;
    }
    snprintf(ptr, size, "%s", c->pointer ? c->pointer : "");
    *off = c->offset;
}

static void note_rc(order_ctx *o, int rc)
{
    if (rc == BB_ENOMEM)
        o->rc = BB_ENOMEM;
}

/* Breaks the cycle cycle[0..n) (cycle[k] depends on cycle[k+1]). */
static void break_cycle(order_ctx *o, const int *cycle, size_t n)
{
    /* Break at the earliest table (input order) with a nullable edge, so
     * the choice does not depend on where the walk started. */
    size_t best = n, earliest = 0;
    for (size_t k = 0; k < n; k++) {
        if (cycle[k] < cycle[earliest])
            earliest = k;
        if (edge_nullable(o, cycle[k], cycle[(k + 1) % n]) && (best == n || cycle[k] < cycle[best]))
            best = k;
    }
    bb_buf path;
    bb_buf_init(&path, 4096);
    char ptr[384];
    size_t off;
    if (best < n) {
        int a = cycle[best], b = cycle[(best + 1) % n];
        const bb_column *c = edge_column(o, a, b);
        note_rc(o, describe_cycle(o, cycle, n, best, &path));
        locate(o, c, ptr, sizeof(ptr), &off);
        note_rc(o, bb_diag_add(o->d, BB_NOTE, "BB0428", ptr, off,
                               "nothing to do; rows can be inserted first with this column "
                               "NULL, then updated",
                               "foreign key %s.%s closes a cycle (%s); it is created after "
                               "both tables (use_alter)",
                               o->s->tables[a].table_name, c->name, bb_buf_str(&path)));
        mark_use_alter(o, a, b);
        *cut_at(o, a, b) = true;
    } else {
        int a = cycle[earliest], b = cycle[(earliest + 1) % n];
        const bb_column *c = edge_column(o, a, b);
        note_rc(o, describe_cycle(o, cycle, n, earliest, &path));
        locate(o, c, ptr, sizeof(ptr), &off);
        note_rc(o, bb_diag_add(o->d, BB_ERROR, "BB0429", ptr, off,
                               "make one foreign key on the cycle nullable (\"nullable\": true) "
                               "so rows can be inserted before the row they point to exists",
                               "foreign keys form a cycle of NOT NULL columns: %s",
                               bb_buf_str(&path)));
        *cut_at(o, a, b) = true;
    }
    bb_buf_free(&path);
}

/* Finds a cycle among the unplaced tables and breaks it; false if none. */
static bool resolve_one_cycle(order_ctx *o)
{
    int n_tables = (int)o->s->n_tables, start = -1;
    for (int i = 0; i < n_tables && start < 0; i++)
        if (!o->placed[i])
            start = i;
    for (int i = 0; i < n_tables; i++)
        o->seen[i] = -1;
    size_t len = 0;
    int cur = start;
    while (cur >= 0 && o->seen[cur] < 0) {
        o->seen[cur] = (int)len;
        o->walk[len++] = cur;
        cur = first_unplaced_dep(o, cur);
    }
    if (cur < 0)
        return false; /* cannot happen: every unplaced table has an unplaced dependency */
    size_t from = (size_t)o->seen[cur];
    break_cycle(o, o->walk + from, len - from);
    return true;
}

int bb_order_build(bb_schema *s, bb_diags *d, bb_order_locate_fn locate_fn)
{
    size_t n = s->n_tables;
    s->n_build_order = 0;
    s->build_order = bb_arena_alloc(&s->arena, (n ? n : 1) * sizeof(int));
    if (!s->build_order)
        return BB_ENOMEM;
    order_ctx o = {.s = s, .d = d, .locate = locate_fn};
    o.placed = bb_calloc(n ? n : 1, sizeof(bool));
    o.cut = bb_calloc(n ? n * n : 1, sizeof(bool));
    o.walk = bb_calloc(n ? n : 1, sizeof(int));
    o.seen = bb_calloc(n ? n : 1, sizeof(int));
    if (!o.placed || !o.cut || !o.walk || !o.seen) {
        o.rc = BB_ENOMEM;
        goto done;
    }
    while (s->n_build_order < n) {
        int pick = -1;
        for (size_t i = 0; i < n && pick < 0; i++)
            if (!o.placed[i] && ready(&o, (int)i))
                pick = (int)i;
        if (pick < 0 && resolve_one_cycle(&o))
            continue;
        for (size_t i = 0; i < n && pick < 0; i++)
            if (!o.placed[i])
                pick = (int)i; /* defensive: never loop forever */
        o.placed[pick] = true;
        s->build_order[s->n_build_order++] = pick;
    }
done:
    bb_free(o.placed);
    bb_free(o.cut);
    bb_free(o.walk);
    bb_free(o.seen);
    return o.rc;
}
