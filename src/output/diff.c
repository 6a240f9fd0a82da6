/*
 * diff.c - unified diffs of two texts, line by line (see diff.h): Myers'
 * O(ND) algorithm, then hunks with three lines of context.
 */
#include "output/diff.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct lines {
    const char **start;
    size_t *len;
    size_t n;
} lines;

static int split_lines(const char *s, size_t n, lines *out)
{
    out->n = 0;
    out->start = NULL;
    out->len = NULL;
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += s[i] == '\n';
    if (n && s[n - 1] != '\n')
        count++;
    if (count > BB_DIFF_MAX_LINES)
        return BB_ELIMIT;
    out->start = bb_malloc((count ? count : 1) * sizeof(*out->start));
    out->len = bb_malloc((count ? count : 1) * sizeof(*out->len));
    if (!out->start || !out->len)
        return BB_ENOMEM;
    size_t begin = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' || i + 1 == n) {
            out->start[out->n] = s + begin;
            out->len[out->n++] = i + 1 - begin;
            begin = i + 1;
        }
    }
    return BB_OK;
}

static void free_lines(lines *l)
{
    bb_free(l->start);
    bb_free(l->len);
}

static bool line_eq(const lines *a, size_t i, const lines *b, size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

/* One edit script entry: ' ' keep, '-' delete from a, '+' insert from b. */
typedef struct edit {
    char op;
    size_t line; /* index into a (' ', '-') or b ('+') */
} edit;

/*
 * Myers' greedy O(ND) shortest edit script. After each step d the reached x
 * of the diagonals -d..d is saved (2d+1 numbers) so the path can be traced
 * back (as ints: x is at most BB_DIFF_MAX_LINES); d is capped at
 * BB_DIFF_MAX_EDITS, which bounds that memory to D^2 ints (4 MB).
 */
static int myers(const lines *a, const lines *b, edit **script, size_t *n_script)
{
    long n = (long)a->n, m = (long)b->n, max = n + m;
    if (max > BB_DIFF_MAX_EDITS)
        max = BB_DIFF_MAX_EDITS;
    long off = max + 1;
    long *v = bb_calloc((size_t)(2 * max + 3), sizeof(long));
    int **trace = bb_calloc((size_t)max + 1, sizeof(int *));
    if (!v || !trace) {
        bb_free(v);
        bb_free(trace);
        return BB_ENOMEM;
    }
    int rc = BB_ELIMIT;
    long d_found = -1, d_done = -1;
    for (long d = 0; d <= max && d_found < 0; d++) {
        for (long k = -d; k <= d; k += 2) {
            long x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
                                                                              : v[off + k - 1] + 1;
            long y = x - k;
            while (x < n && y < m && line_eq(a, (size_t)x, b, (size_t)y))
                x++, y++;
            v[off + k] = x;
            if (x >= n && y >= m) {
                d_found = d;
                break;
            }
        }
        trace[d] = bb_malloc((size_t)(2 * d + 1) * sizeof(int));
        if (!trace[d]) {
            rc = BB_ENOMEM;
            d_found = -1;
            break;
        }
        for (long k = -d; k <= d; k++)
            trace[d][k + d] = (int)v[off + k];
        d_done = d;
    }
    if (d_found >= 0) {
        /* Trace back from (n, m), collecting the edits in reverse. */
        size_t cap = (size_t)(n + m) + 1, len = 0;
        edit *out = bb_malloc(cap * sizeof(*out));
        rc = out ? BB_OK : BB_ENOMEM;
        long x = n, y = m;
        for (long d = d_found; out && d >= 0; d--) {
            long k = x - y, prev_x = 0, prev_y = 0;
            if (d > 0) {
                const int *vd = trace[d - 1] + (d - 1); /* vd[k] for k in -(d-1)..d-1 */
                long prev_k = (k == -d || (k != d && vd[k - 1] < vd[k + 1])) ? k + 1 : k - 1;
                prev_x = vd[prev_k];
                prev_y = prev_x - prev_k;
            }
            while (x > prev_x && y > prev_y) {
                out[len++] = (edit){' ', (size_t)--x};
                y--;
            }
            if (d > 0) {
                if (x == prev_x)
                    out[len++] = (edit){'+', (size_t)--y};
                else
                    out[len++] = (edit){'-', (size_t)--x};
            }
        }
        if (out) {
            for (size_t i = 0; i < len / 2; i++) {
                edit t = out[i];
                out[i] = out[len - 1 - i];
                out[len - 1 - i] = t;
            }
            *script = out;
            *n_script = len;
        }
    }
    for (long d = 0; d <= d_done; d++)
        bb_free(trace[d]);
    bb_free(trace);
    bb_free(v);
    return rc;
}

static int put_line(bb_buf *out, char op, const char *s, size_t n)
{
    int rc = bb_buf_putc(out, op);
    if (!rc)
        rc = bb_buf_append(out, s, n);
    if (!rc && (n == 0 || s[n - 1] != '\n'))
        rc = bb_buf_puts(out, "\n\\ No newline at end of file\n");
    return rc;
}

/* Prints the hunks of an edit script with 3 lines of context. */
static int print_hunks(const lines *a, const lines *b, const edit *e, size_t n, bb_buf *out)
{
    const size_t ctx = 3;
    size_t i = 0;
    while (i < n) {
        while (i < n && e[i].op == ' ')
            i++;
        if (i == n)
            break;
        size_t start = i >= ctx ? i - ctx : 0;
        /* Extend the hunk while the next change is within 2*ctx keeps. */
        size_t end = i, keeps = 0;
        for (size_t j = i; j < n; j++) {
            if (e[j].op == ' ') {
                if (++keeps > 2 * ctx)
                    break;
            } else {
                keeps = 0;
                end = j;
            }
        }
        size_t stop = end + 1 + ctx < n ? end + 1 + ctx : n;
        /* Line numbers of the hunk's first line on each side. */
        size_t a_line = 0, b_line = 0, a_count = 0, b_count = 0;
        for (size_t j = 0; j < start; j++) {
            a_line += e[j].op != '+';
            b_line += e[j].op != '-';
        }
        for (size_t j = start; j < stop; j++) {
            a_count += e[j].op != '+';
            b_count += e[j].op != '-';
        }
        int rc = bb_buf_printf(out, "@@ -%zu,%zu +%zu,%zu @@\n", a_count ? a_line + 1 : a_line,
                               a_count, b_count ? b_line + 1 : b_line, b_count);
        for (size_t j = start; j < stop && !rc; j++) {
            const lines *src = e[j].op == '+' ? b : a;
            rc = put_line(out, e[j].op, src->start[e[j].line], src->len[e[j].line]);
        }
        if (rc)
            return rc;
        i = stop;
    }
    return BB_OK;
}

int bb_diff_unified(const char *path, const char *old, size_t old_len, const char *new_,
                    size_t new_len, bb_buf *out)
{
    int rc = bb_buf_printf(out, "--- %s%s\n+++ %s%s\n", old ? "a/" : "", old ? path : "/dev/null",
                           new_ ? "b/" : "", new_ ? path : "/dev/null");
    if (rc)
        return rc;
    lines a, b;
    rc = split_lines(old ? old : "", old ? old_len : 0, &a);
    if (!rc)
        rc = split_lines(new_ ? new_ : "", new_ ? new_len : 0, &b);
    else
        b = (lines){0};
    edit *script = NULL;
    size_t n = 0;
    if (!rc)
        rc = myers(&a, &b, &script, &n);
    if (!rc)
        rc = print_hunks(&a, &b, script, n, out);
    else if (rc == BB_ELIMIT)
        rc = bb_buf_puts(out, "(the files differ; too many changes to show a diff)\n");
    bb_free(script);
    free_lines(&a);
    free_lines(&b);
    return rc;
}
