/* versions.c - the head of alembic/versions (versions.h). */
#include "migrate/versions.h"

#include "base/buf.h"
#include "base/file.h"
#include "migrate/revision.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The ids a file names: its revision and its parents. */
#define MAX_PARENTS 16

typedef struct node {
    char id[65];
    char parents[MAX_PARENTS][65];
    int n_parents;
} node;

typedef struct graph {
    node *nodes;
    size_t n, cap;
} graph;

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Inside brackets a value may go on over lines (as Black writes a tuple). */
static const char *skip_blank(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* A quoted id at p into out (64 bytes and a NUL); the text after it, or
 * NULL when p holds no usable id. */
static const char *quoted_id(const char *p, char out[65])
{
    char q = *p;
    if (q != '"' && q != '\'')
        return NULL;
    const char *end = strchr(p + 1, q);
    size_t n = end ? (size_t)(end - p - 1) : 0;
    if (!end || n == 0 || n > 64)
        return NULL;
    memcpy(out, p + 1, n);
    out[n] = '\0';
    return bb_revision_id_valid(out) ? end + 1 : NULL;
}

/*
 * The value of a top-level assignment to name in text (`name = ...` or
 * `name: type = ...` at the start of a line), NULL when there is none.
 */
static const char *assigned(const char *text, const char *name)
{
    size_t n = strlen(name);
    const char *line = text;
    while (line) {
        if (strncmp(line, name, n) == 0) {
            const char *p = skip_spaces(line + n);
            if (*p == ':') { /* an annotation, up to the '=' */
                while (*p && *p != '=' && *p != '\n')
                    p++;
            }
            if (*p == '=' && p[1] != '=')
                return skip_spaces(p + 1);
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return NULL;
}

/* Reads the down_revision value at p: None, an id, or a tuple or list. */
static void read_parents(const char *p, node *nd)
{
    char open = *p;
    if (open != '(' && open != '[') {
        if (quoted_id(p, nd->parents[0]))
            nd->n_parents = 1;
        return;
    }
    p = skip_blank(p + 1);
    while (nd->n_parents < MAX_PARENTS) {
        const char *next = quoted_id(p, nd->parents[nd->n_parents]);
        if (!next)
            return;
        nd->n_parents++;
        p = skip_blank(next);
        if (*p != ',')
            return;
        p = skip_blank(p + 1);
    }
}

static int add_file(graph *g, const char *path)
{
    char *text;
    size_t len;
    int rc = bb_file_read(path, BB_REVISION_MAX_OUTPUT, &text, &len);
    if (rc == BB_ELIMIT)
        return BB_OK; /* no revision of Alembic's is that long */
    if (rc)
        return rc;
    node nd;
    memset(&nd, 0, sizeof(nd));
    const char *rev = assigned(text, "revision");
    const char *down = assigned(text, "down_revision");
    if (rev && quoted_id(rev, nd.id)) {
        if (down)
            read_parents(down, &nd);
        rc = bb_grow((void **)&g->nodes, &g->cap, g->n + 1, sizeof(*g->nodes));
        if (!rc)
            g->nodes[g->n++] = nd;
    }
    bb_free(text);
    return rc;
}

/* Every revision file of dir; BB_OK when dir does not exist. */
static int read_graph(const char *dir, graph *g)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR ? BB_OK : BB_EIO;
    int rc = BB_OK;
    bb_buf path;
    bb_buf_init(&path, 8192);
    const struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".py") != 0 || e->d_name[0] == '.')
            continue;
        bb_buf_reset(&path);
        rc = bb_buf_printf(&path, "%s/%s", dir, e->d_name);
        if (!rc)
            rc = add_file(g, bb_buf_str(&path));
    }
    bb_buf_free(&path);
    closedir(d);
    return rc;
}

static bool is_parent(const graph *g, const char *id)
{
    for (size_t i = 0; i < g->n; i++)
        for (int k = 0; k < g->nodes[i].n_parents; k++)
            if (strcmp(g->nodes[i].parents[k], id) == 0)
                return true;
    return false;
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reports the heads (sorted, so the message is the same on every run). */
static int several_heads(bb_diags *diags, const char **heads, size_t n)
{
    qsort(heads, n, sizeof(*heads), compare_ids);
    bb_buf list;
    bb_buf_init(&list, 4096);
    int rc = BB_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = bb_buf_printf(&list, "%s%s", i ? ", " : "", heads[i]);
    if (!rc)
        (void)bb_diag_add(diags, BB_ERROR, "BB0830", NULL, BB_NO_OFFSET,
                          "join them with `alembic merge heads`, then run backbone again",
                          BB_ALEMBIC_VERSIONS_DIR " has %zu heads (%s): a new revision would "
                                                  "follow only one of them",
                          n, bb_buf_str(&list));
    bb_buf_free(&list);
    return rc ? rc : BB_EINVAL;
}

int bb_versions_head(const char *project_dir, bb_diags *diags, char **head)
{
    *head = NULL;
    graph g = {0};
    bb_buf dir;
    bb_buf_init(&dir, 8192);
    int rc = bb_buf_printf(&dir, "%s/%s", project_dir, BB_ALEMBIC_VERSIONS_DIR);
    if (!rc)
        rc = read_graph(bb_buf_str(&dir), &g);
    bb_buf_free(&dir);
    const char **heads = rc ? NULL : bb_malloc((g.n + 1) * sizeof(*heads));
    if (!rc && !heads)
        rc = BB_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; !rc && i < g.n; i++) {
        bool seen = false; /* the same id in two files counts once */
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(heads[k], g.nodes[i].id) == 0;
        if (!seen && !is_parent(&g, g.nodes[i].id))
            heads[n++] = g.nodes[i].id;
    }
    if (!rc && n > 1)
        rc = several_heads(diags, heads, n);
    if (!rc && n == 1 && !(*head = bb_strdup(heads[0])))
        rc = BB_ENOMEM;
    bb_free(heads);
    bb_free(g.nodes);
    return rc;
}
