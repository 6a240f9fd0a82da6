/* ops.c - the typed operations of a revision (ops.h). */
#include "migrate/ops.h"

#include <stdint.h>
#include <string.h>

void bb_ops_init(bb_ops *o, size_t max)
{
    memset(o, 0, sizeof(*o));
    bb_arena_init(&o->arena, max);
}

void bb_ops_free(bb_ops *o)
{
    bb_arena_free(&o->arena);
    memset(o, 0, sizeof(*o));
}

/* Keeps the first failure; the arena cannot tell a cap from no memory. */
static void failed(bb_ops *o, int rc)
{
    if (!o->rc)
        o->rc = rc;
}

void *bb_ops_alloc(bb_ops *o, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        failed(o, BB_ELIMIT);
        return NULL;
    }
    size_t bytes = n * size > 0 ? n * size : 1;
    void *p = bb_arena_alloc(&o->arena, bytes);
    if (!p)
        failed(o, o->arena.used_total + bytes > o->arena.max ? BB_ELIMIT : BB_ENOMEM);
    return p;
}

bb_op *bb_ops_add(bb_ops *o, bb_op_seq *seq, bb_op_kind kind)
{
    bb_op *op = bb_ops_alloc(o, 1, sizeof(*op));
    if (!op)
        return NULL;
    op->kind = kind;
    if (seq->last)
        seq->last->next = op;
    else
        seq->first = op;
    seq->last = op;
    seq->n++;
    return op;
}

void bb_ops_move(bb_op_seq *seq, bb_op_seq *from)
{
    if (!from->first)
        return;
    if (seq->last)
        seq->last->next = from->first;
    else
        seq->first = from->first;
    seq->last = from->last;
    seq->n += from->n;
    memset(from, 0, sizeof(*from));
}

static bb_op_atom text_atom(bb_ops *o, bb_op_atom_kind kind, const char *s, size_t n)
{
    char *copy = bb_ops_alloc(o, n + 1, 1);
    if (!copy)
        return (bb_op_atom){BB_ATOM_NONE, false, NULL};
    memcpy(copy, s, n);
    copy[n] = '\0';
    return (bb_op_atom){kind, false, copy};
}

bb_op_atom bb_ops_name(bb_ops *o, const char *s)
{
    s = s ? s : "";
    return text_atom(o, BB_ATOM_NAME, s, strlen(s));
}

bb_op_atom bb_ops_text(bb_ops *o, const char *s)
{
    s = s ? s : "";
    return text_atom(o, BB_ATOM_TEXT, s, strlen(s));
}

bb_op_atom bb_ops_python(bb_ops *o, const char *s, size_t n)
{
    return text_atom(o, BB_ATOM_PYTHON, s, n);
}

bb_op_atom bb_ops_flag(bool b)
{
    return (bb_op_atom){BB_ATOM_FLAG, b, NULL};
}

bb_op_atoms bb_ops_atoms(bb_ops *o, size_t n)
{
    bb_op_atom *items = bb_ops_alloc(o, n, sizeof(*items));
    return (bb_op_atoms){items, items ? n : 0};
}

void bb_ops_note(bb_ops *o, const char *const *parts, size_t n)
{
    o->n_changes++;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(parts[i] ? parts[i] : "(null)");
    /* The notes kept, with a newline each, as one text would hold them. */
    if (len + 1 > BB_OPS_NOTES_MAX - o->notes_bytes) {
        failed(o, BB_ELIMIT);
        return;
    }
    bb_op_note *note = bb_ops_alloc(o, 1, sizeof(*note));
    char *text = note ? bb_ops_alloc(o, len + 1, 1) : NULL;
    if (!text)
        return;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = parts[i] ? parts[i] : "(null)";
        size_t k = strlen(p);
        memcpy(text + at, p, k);
        at += k;
    }
    text[at] = '\0';
    note->text = text;
    if (o->last_note)
        o->last_note->next = note;
    else
        o->notes = note;
    o->last_note = note;
    o->notes_bytes += len + 1;
}
