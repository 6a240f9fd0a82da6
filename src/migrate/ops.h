/*
 * ops.h - the operations of one direction of an Alembic revision, typed:
 * what the differ (diff.h) finds and the revision template renders
 * (revision.h). An upgrade and its downgrade are two lists.
 *
 * The values of an operation are atoms: a SQL name, other text, Python
 * that backbone made (a SQLAlchemy type or default expression), or a flag.
 * Names and text become Python string literals when rendered; Python is
 * written as it is.
 *
 * Top-level operations run in list order. Changes to an existing table are
 * a BB_OP_BATCH whose own list holds the operations of kinds
 * BB_OP_ADD_COLUMN and after (they run inside op.batch_alter_table).
 *
 * Beside the operations, a list keeps one line per change ("add column
 * posts.views"), in the order the differ found them: the revision's
 * docstring and message are made from it.
 *
 * Ownership: everything a bb_ops holds (operations, atoms, their text)
 * lives in its arena until bb_ops_free().
 */
#ifndef BB_OPS_H
#define BB_OPS_H

#include "base/arena.h"
#include "base/bb.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum bb_op_atom_kind {
    BB_ATOM_NONE,   /* absent: the argument is left out */
    BB_ATOM_NAME,   /* a table, column, constraint, index or enum type name */
    BB_ATOM_TEXT,   /* other text: an enum value, a check's SQL, a comment */
    BB_ATOM_PYTHON, /* Python made by backbone: a SQLAlchemy type or default */
    BB_ATOM_FLAG,   /* True or False */
} bb_op_atom_kind;

typedef struct bb_op_atom {
    bb_op_atom_kind kind;
    bool flag;        /* BB_ATOM_FLAG */
    const char *text; /* the others; never NULL for them */
} bb_op_atom;

typedef struct bb_op_atoms {
    bb_op_atom *items;
    size_t n;
} bb_op_atoms;

/* sa.Column(...) */
typedef struct bb_op_column {
    bb_op_atom name, type;
    bb_op_atom autoincrement; /* an integer primary key's; else NONE */
    bb_op_atom nullable;
    bb_op_atom server_default, comment; /* NONE when none */
} bb_op_column;

/* A foreign key of `column` (of `table`) to ref_table.ref_column. */
typedef struct bb_op_fk {
    bb_op_atom name, table, column, ref_table, ref_column;
    bb_op_atom on_delete; /* NONE when none */
    bool late;            /* closes a cycle: added once the tables exist (use_alter) */
} bb_op_fk;

/* A unique or check constraint, or an index. */
typedef struct bb_op_cons {
    bb_op_atom name, table;
    bb_op_atoms columns;   /* unique, index */
    bb_op_atom expression; /* check; the WHERE of a partial index */
    bool unique;           /* index */
} bb_op_cons;

/* op.create_table: its columns and constraints; its indexes follow it as
 * BB_OP_CREATE_INDEX. */
typedef struct bb_op_table {
    bb_op_atom name;
    bb_op_atom comment; /* NONE when none */
    bb_op_column *columns;
    size_t n_columns;
    bb_op_atom pk_name; /* NONE: no primary key */
    bb_op_atoms pk_columns;
    bb_op_fk *fks;
    size_t n_fks;
    bb_op_cons *uniques, *checks;
    size_t n_uniques, n_checks;
} bb_op_table;

typedef enum bb_op_cons_type { BB_CONS_UNIQUE, BB_CONS_CHECK, BB_CONS_FOREIGN_KEY } bb_op_cons_type;

/* A drop: of an enum type, a table, a column, an index (of table), a
 * constraint (of type). */
typedef struct bb_op_drop {
    bb_op_atom name, table;
    bb_op_cons_type type;
} bb_op_drop;

/* A rename of a table, or of a column (then existing_type is its type). */
typedef struct bb_op_rename {
    bb_op_atom name, new_name, existing_type;
} bb_op_rename;

/* A PostgreSQL enum type: created (values), given a value (value), or
 * left with values a downgrade cannot drop. */
typedef struct bb_op_enum {
    bb_op_atom name, value;
    bb_op_atoms values;
} bb_op_enum;

/* NULLs of table.column set to value (before it becomes NOT NULL); or,
 * for BB_OP_CHECK_CAST, value the column's new type. */
typedef struct bb_op_fill {
    bb_op_atom table, column, value;
} bb_op_fill;

/* batch_op.alter_column */
typedef struct bb_op_alter {
    bb_op_atom name, existing_type;
    bb_op_atom type; /* NONE: unchanged */
    bb_op_atom nullable;
    bool nullable_changed;
    bb_op_atom server_default;          /* NONE: unchanged; Python None: removed */
    bb_op_atom existing_server_default; /* NONE: none, or changed */
    bool not_on_postgresql;             /* an enum's values: the type itself changed there */
} bb_op_alter;

typedef struct bb_op bb_op;

/* A list of operations in order. */
typedef struct bb_op_seq {
    bb_op *first, *last;
    size_t n;
} bb_op_seq;

/* op.batch_alter_table(table) and what runs inside it. */
typedef struct bb_op_batch {
    bb_op_atom table;
    bb_op_seq ops;
} bb_op_batch;

typedef enum bb_op_kind {
    /* top level */
    BB_OP_CREATE_ENUM,       /* en */
    BB_OP_ADD_ENUM_VALUE,    /* en: name, value (PostgreSQL only) */
    BB_OP_ENUM_KEEPS_VALUES, /* en: name (a note: PostgreSQL cannot drop them) */
    BB_OP_DROP_ENUM,         /* drop: name */
    BB_OP_RENAME_TABLE,      /* rename */
    BB_OP_CREATE_TABLE,      /* table */
    BB_OP_DROP_TABLE,        /* drop: name */
    BB_OP_CREATE_LATE_FK,    /* fk (not on SQLite, which has it in CREATE TABLE) */
    BB_OP_DROP_LATE_FK,      /* fk */
    BB_OP_CREATE_INDEX,      /* cons */
    BB_OP_DROP_INDEX,        /* drop: name, table */
    BB_OP_FILL_NULLS,        /* fill */
    BB_OP_CHECK_CAST,        /* fill: stops a SQLite copy that would change a value */
    BB_OP_BATCH,             /* batch */
    /* inside a batch */
    BB_OP_ADD_COLUMN,      /* column */
    BB_OP_DROP_COLUMN,     /* drop: name */
    BB_OP_ALTER_COLUMN,    /* alter */
    BB_OP_RENAME_COLUMN,   /* rename */
    BB_OP_CREATE_UNIQUE,   /* cons */
    BB_OP_CREATE_CHECK,    /* cons */
    BB_OP_CREATE_FK,       /* fk */
    BB_OP_DROP_CONSTRAINT, /* drop: name, type */
} bb_op_kind;

struct bb_op {
    bb_op_kind kind;
    bb_op *next;
    union {
        bb_op_enum en;
        bb_op_rename rename;
        bb_op_table table;
        bb_op_drop drop;
        bb_op_fk fk;
        bb_op_cons cons;
        bb_op_fill fill;
        bb_op_batch batch;
        bb_op_column column;
        bb_op_alter alter;
    } u;
};

/* One line per change, in the order found. */
typedef struct bb_op_note {
    const char *text;
    struct bb_op_note *next;
} bb_op_note;

/* The most bytes of change lines a list keeps. */
#define BB_OPS_NOTES_MAX (64u * 1024)

typedef struct bb_ops {
    bb_arena arena;
    bb_op_seq ops;
    bb_op_note *notes, *last_note;
    size_t n_changes;
    size_t notes_bytes;
    int rc; /* the first failure (BB_ENOMEM, BB_ELIMIT); BB_OK when none */
} bb_ops;

/* max caps the bytes of the whole list. */
void bb_ops_init(bb_ops *o, size_t max);
void bb_ops_free(bb_ops *o);

/* A new operation at the end of seq (zeroed but for its kind); NULL when
 * out of memory or over the cap. */
bb_op *bb_ops_add(bb_ops *o, bb_op_seq *seq, bb_op_kind kind) BB_WUR;

/* Appends the operations of from to seq; from is left empty. */
void bb_ops_move(bb_op_seq *seq, bb_op_seq *from);

/* Atoms; the text is copied into the list (n bytes of it for Python). On
 * failure the atom is NONE and o->rc is set. */
bb_op_atom bb_ops_name(bb_ops *o, const char *s);
bb_op_atom bb_ops_text(bb_ops *o, const char *s);
bb_op_atom bb_ops_python(bb_ops *o, const char *s, size_t n);
bb_op_atom bb_ops_flag(bool b);

/* Room for n atoms, zeroed (n stays 0 on failure, o->rc set). */
bb_op_atoms bb_ops_atoms(bb_ops *o, size_t n);

/* Zeroed memory from the list's arena, for an operation's arrays; NULL on
 * failure (o->rc set). */
void *bb_ops_alloc(bb_ops *o, size_t n, size_t size) BB_WUR;

/* Records a change: its parts joined, a NULL part written "(null)". Past
 * BB_OPS_NOTES_MAX bytes of them, o->rc is BB_ELIMIT. */
void bb_ops_note(bb_ops *o, const char *const *parts, size_t n);

#define bb_ops_note_of(o, ...)                                                                     \
    bb_ops_note((o), (const char *const[]){__VA_ARGS__},                                           \
                sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

#endif
