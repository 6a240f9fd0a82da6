/* mustache_plan.c - the typed plan as template data (see mustache_plan.h). */
#include "render/mustache_plan.h"

#include <stdint.h>
#include <string.h>

/* What the engine holds for one value of the plan. */
typedef struct handle {
    bb_plan_kind kind;
    const bb_plan_type *type;  /* OBJECT: the object's; LIST: the elements' (NULL: strings) */
    const void *p;             /* OBJECT: the struct; STRING: the text; LIST: the elements */
    size_t n;                  /* LIST: the count; BOOL, INT: the value */
    const struct handle *list; /* an element of a list: that list */
    size_t index;              /* and its index */
} handle;

#define BLOCK_HANDLES 1024

struct bb_mustache_plan_block {
    bb_mustache_plan_block *next;
    handle h[BLOCK_HANDLES];
};

void bb_mustache_plan_init(bb_mustache_plan *c)
{
    memset(c, 0, sizeof(*c));
}

void bb_mustache_plan_reset(bb_mustache_plan *c)
{
    c->current = c->blocks;
    c->used = 0;
    c->rc = BB_OK;
}

void bb_mustache_plan_free(bb_mustache_plan *c)
{
    while (c->blocks) {
        bb_mustache_plan_block *next = c->blocks->next;
        bb_free(c->blocks);
        c->blocks = next;
    }
    bb_mustache_plan_init(c);
}

static handle *new_handle(bb_mustache_plan *c)
{
    if (!c->current || c->used == BLOCK_HANDLES) {
        bb_mustache_plan_block *b = c->current ? c->current->next : c->blocks;
        if (!b) {
            b = bb_malloc(sizeof(*b));
            if (!b) {
                c->rc = BB_ENOMEM;
                return NULL;
            }
            b->next = NULL;
            if (c->current)
                c->current->next = b;
            else
                c->blocks = b;
        }
        c->current = b;
        c->used = 0;
    }
    handle *h = &c->current->h[c->used++];
    memset(h, 0, sizeof(*h));
    return h;
}

const void *bb_mustache_plan_object(bb_mustache_plan *c, const bb_plan_type *t, const void *obj)
{
    handle *h = new_handle(c);
    if (h) {
        h->kind = BB_PLAN_OBJECT;
        h->type = t;
        h->p = obj;
    }
    return h;
}

/* Element i of list l as a handle. */
static const void *element(bb_mustache_plan *c, const handle *l, size_t i)
{
    if (i >= l->n)
        return NULL;
    handle *h = new_handle(c);
    if (!h)
        return NULL;
    h->list = l;
    h->index = i;
    if (l->type) {
        h->kind = BB_PLAN_OBJECT;
        h->type = l->type;
        h->p = (const char *)l->p + i * l->type->size;
    } else {
        h->kind = BB_PLAN_STRING;
        h->p = ((const char *const *)l->p)[i];
    }
    return h;
}

/* A flag of a list element: @first, @last; NULL for other names and for
 * values that are no list element. */
static const void *position(bb_mustache_plan *c, const handle *e, const char *name, size_t len)
{
    bool first = len == 6 && !memcmp(name, "@first", 6);
    if (!e->list || !(first || (len == 5 && !memcmp(name, "@last", 5))))
        return NULL;
    handle *h = new_handle(c);
    if (h) {
        h->kind = BB_PLAN_BOOL;
        h->n = first ? e->index == 0 : e->index + 1 == e->list->n;
    }
    return h;
}

/*
 * The field called name of type t, or NULL. A template asks the same few
 * names of object after object, and most of them are missing from the
 * object in scope (the lookup goes on down the stack), which a search of
 * the descriptor proves only at its end: the answers are remembered, by
 * type and name, in a small table.
 */
static const bb_plan_field *find_field(bb_mustache_plan *c, const bb_plan_type *t, const char *name,
                                       size_t len)
{
    if (len == 0 || len >= sizeof(c->names[0].name))
        return bb_plan_field_find(t, name, len);
    uint64_t k = (uint64_t)(uintptr_t)t ^ len ^ (uint64_t)(unsigned char)name[0] << 8 ^
                 (uint64_t)(unsigned char)name[len / 2] << 16 ^
                 (uint64_t)(unsigned char)name[len - 1] << 24;
    bb_mustache_plan_name *e = &c->names[(k * 0x9E3779B97F4A7C15u) >> 56];
    if (e->type != t || e->len != len || memcmp(e->name, name, len) != 0) {
        e->type = t;
        e->len = len;
        memcpy(e->name, name, len);
        e->field = bb_plan_field_find(t, name, len);
    }
    return e->field;
}

static const void *plan_get(void *ud, const void *v, const char *name, size_t len)
{
    const handle *o = v;
    if (len && name[0] == '@')
        return position(ud, o, name, len);
    if (o->kind != BB_PLAN_OBJECT)
        return NULL;
    const bb_plan_field *f = find_field(ud, o->type, name, len);
    if (!f)
        return NULL;
    const char *at = (const char *)o->p + f->offset;
    const void *ptr = NULL;
    if (f->kind == BB_PLAN_STRING || f->kind == BB_PLAN_OBJECT) {
        ptr = *(const void *const *)at;
        if (!ptr)
            return NULL; /* missing: the engine looks further down the stack */
    }
    handle *h = new_handle(ud);
    if (!h)
        return NULL;
    h->kind = f->kind;
    h->type = f->type;
    h->p = ptr;
    if (f->kind == BB_PLAN_BOOL)
        h->n = *(const bool *)at;
    else if (f->kind == BB_PLAN_INT)
        h->n = (size_t)(long long)*(const int *)at;
    else if (f->kind == BB_PLAN_LIST) {
        bb_plan_any_list l = bb_plan_list_of(o->p, f);
        h->p = l.v;
        h->n = l.n;
    }
    return h;
}

static bool plan_truthy(void *ud, const void *v)
{
    (void)ud;
    const handle *h = v;
    switch (h->kind) {
    case BB_PLAN_STRING:
        return *(const char *)h->p != '\0';
    case BB_PLAN_BOOL:
    case BB_PLAN_INT:
    case BB_PLAN_LIST:
        return h->n != 0;
    case BB_PLAN_OBJECT:
        return true;
    }
    return false;
}

static const void *plan_first(void *ud, const void *v)
{
    const handle *h = v;
    if (h->kind != BB_PLAN_LIST)
        return BB_MUSTACHE_NOT_LIST;
    return element(ud, h, 0);
}

static const void *plan_next(void *ud, const void *item)
{
    const handle *h = item;
    return element(ud, h->list, h->index + 1);
}

static int plan_text(void *ud, const void *v, char scratch[BB_MUSTACHE_SCRATCH], const char **s,
                     size_t *n)
{
    (void)ud;
    const handle *h = v;
    *s = "";
    *n = 0;
    if (h->kind == BB_PLAN_STRING) {
        *s = h->p;
        *n = strlen(*s);
    } else if (h->kind == BB_PLAN_BOOL) {
        *s = h->n ? "True" : "False"; /* the text is Python */
        *n = strlen(*s);
    } else if (h->kind == BB_PLAN_INT) {
        int k = snprintf(scratch, BB_MUSTACHE_SCRATCH, "%lld", (long long)h->n);
        *s = scratch;
        *n = k > 0 ? (size_t)k : 0;
    }
    return BB_OK;
}

const bb_mustache_model bb_mustache_plan_model = {
    .get = plan_get,
    .truthy = plan_truthy,
    .first = plan_first,
    .next = plan_next,
    .text = plan_text,
};
