/*
 * revision.h - an Alembic revision file: its identity (id, parent, message,
 * path) and its text, rendered from the operations of its upgrade and its
 * downgrade (ops.h) with the embedded template alembic/revision.py
 * (templates/alembic/revision.py.mustache). The template writes each
 * statement on one line; the formatting pass (pyfmt.h) then lays the file
 * out as Black and isort would, so it passes `black --check`.
 *
 * Revision ids are deterministic: the first 12 hex digits of
 * sha256(parent id + canonical text of the new normalized schema).
 *
 * Ownership: everything a bb_revision holds is its own; free it with
 * bb_revision_free().
 */
#ifndef BB_REVISION_H
#define BB_REVISION_H

#include "base/bb.h"
#include "migrate/ops.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cJSON cJSON;

#define BB_REVISION_ID_LEN 12
#define BB_REVISION_MAX_OUTPUT (8u << 20)
#define BB_ALEMBIC_VERSIONS_DIR "alembic/versions"

typedef struct bb_revision {
    /* "" when n_ops is 0: no file, so nothing to name (or to hash for) */
    char id[BB_REVISION_ID_LEN + 1];
    char *down_revision; /* NULL for the first revision */
    char *message;       /* one line */
    char *path;          /* "alembic/versions/<id>_<slug>.py" */
    char *text;          /* the Python source */
    size_t len;
    size_t n_ops; /* 0: the schemas agree on the database; no file is needed */
} bb_revision;

void bb_revision_free(bb_revision *r);

/* Whether s can be a revision id: 1 to 64 letters, digits, '_' and '-'. */
bool bb_revision_id_valid(const char *s);

/*
 * Names the revision of the change `up` (n_ops > 0) from parent to new_norm:
 * its id, down_revision, message (message, or "initial", or made from the
 * changes: the most telling one and how many others come with it) and
 * path. BB_OK, BB_ENOMEM, BB_ELIMIT.
 */
int bb_revision_name(bb_revision *r, const char *parent, const cJSON *new_norm, const char *message,
                     bool initial, const bb_ops *up) BB_WUR;

/*
 * Renders the file of a named revision into r->text: the docstring lists
 * the changes of up; upgrade() runs up's operations and downgrade() down's.
 * BB_OK, BB_ENOMEM, BB_ELIMIT (a message or the file too long).
 */
int bb_revision_render(bb_revision *r, const bb_ops *up, const bb_ops *down) BB_WUR;

#endif
