/* diag.c - collecting and printing diagnostics (see diag.h). */
#include "diag/diag.h"

#include <cJSON.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIAG_MESSAGE_MAX 4096

void bb_diags_init(bb_diags *d, const char *filename, const char *src, size_t src_len)
{
    memset(d, 0, sizeof(*d));
    d->max = BB_DIAGS_MAX_DEFAULT;
    d->filename = filename ? filename : "<input>";
    d->src = src;
    d->src_len = src_len;
}

void bb_diags_free(bb_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        bb_free(d->items[i].pointer);
        bb_free(d->items[i].message);
        bb_free(d->items[i].hint);
    }
    bb_free(d->items);
    bb_free(d->line_starts);
    d->items = NULL;
    d->line_starts = NULL;
    d->n = d->cap = d->n_lines = 0;
}

static void count_severity(bb_diags *d, bb_severity sev)
{
    if (sev == BB_ERROR)
        d->n_errors++;
    else if (sev == BB_WARNING)
        d->n_warnings++;
    else
        d->n_notes++;
}

/*
 * With BACKBONE_DIAG_RECORD naming a file, every code added is appended to
 * it, one per line: the test suite runs with it set and then checks that
 * each code of codes.h was really emitted by some test, not merely written
 * in one. One short O_APPEND write per code, so threads do not mix lines.
 */
void bb_diag_record_code(const char *code)
{
    const char *path = getenv("BACKBONE_DIAG_RECORD");
    if (!path || !*path || !code || !*code)
        return;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    char line[16];
    int n = snprintf(line, sizeof(line), "%.8s\n", code);
    if (n > 0 && write(fd, line, (size_t)n) != n) {
        /* a record that cannot be written only weakens the check */
    }
    close(fd);
}

int bb_diag_addv(bb_diags *d, bb_severity sev, const char *code, const char *pointer, size_t offset,
                 const char *hint, const char *fmt, va_list ap)
{
    bb_diag_record_code(code);
    if (sev == BB_WARNING && d->warnings_as_errors)
        sev = BB_ERROR;
    count_severity(d, sev);
    if (d->n >= d->max) {
        d->dropped++;
        return BB_OK;
    }
    if (bb_grow((void **)&d->items, &d->cap, d->n + 1, sizeof(*d->items))) {
        d->dropped++;
        return BB_ENOMEM;
    }
    char msg[DIAG_MESSAGE_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);

    bb_diag *g = &d->items[d->n];
    memset(g, 0, sizeof(*g));
    g->severity = sev;
    snprintf(g->code, sizeof(g->code), "%s", code);
    g->offset = offset;
    g->pointer = bb_strdup(pointer ? pointer : "");
    g->message = bb_strdup(msg);
    g->hint = hint ? bb_strdup(hint) : NULL;
    if (!g->pointer || !g->message || (hint && !g->hint)) {
        bb_free(g->pointer);
        bb_free(g->message);
        bb_free(g->hint);
        d->dropped++;
        return BB_ENOMEM;
    }
    d->n++;
    return BB_OK;
}

int bb_diags_append(bb_diags *to, const bb_diags *from)
{
    for (size_t i = 0; i < from->n; i++) {
        const bb_diag *x = &from->items[i];
        if (bb_diag_add(to, x->severity, x->code, x->pointer, x->offset, x->hint, "%s",
                        x->message) == BB_ENOMEM)
            return BB_ENOMEM;
    }
    return BB_OK;
}

int bb_diag_add(bb_diags *d, bb_severity sev, const char *code, const char *pointer, size_t offset,
                const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = bb_diag_addv(d, sev, code, pointer, offset, hint, fmt, ap);
    va_end(ap);
    return rc;
}

bool bb_diags_has_errors(const bb_diags *d)
{
    return d->n_errors > 0;
}

const char *bb_severity_name(bb_severity sev)
{
    switch (sev) {
    case BB_ERROR:
        return "error";
    case BB_WARNING:
        return "warning";
    case BB_NOTE:
        return "note";
    }
    return "error";
}

static int build_line_index(bb_diags *d)
{
    if (d->line_starts || !d->src)
        return d->line_starts ? BB_OK : BB_EINVAL;
    size_t n = 1;
    for (size_t i = 0; i < d->src_len; i++)
        n += d->src[i] == '\n';
    d->line_starts = bb_malloc(n * sizeof(size_t));
    if (!d->line_starts)
        return BB_ENOMEM;
    d->line_starts[0] = 0;
    size_t k = 1;
    for (size_t i = 0; i < d->src_len; i++)
        if (d->src[i] == '\n')
            d->line_starts[k++] = i + 1;
    d->n_lines = n;
    return BB_OK;
}

/* Index of the line holding offset, by binary search over line starts. */
static size_t line_of(const bb_diags *d, size_t offset)
{
    size_t lo = 0, hi = d->n_lines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->line_starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int utf8_columns(const char *s, size_t n)
{
    int cols = 0;
    for (size_t i = 0; i < n; i++)
        cols += ((unsigned char)s[i] & 0xC0) != 0x80;
    return cols;
}

void bb_diags_position(bb_diags *d, size_t offset, int *line, int *col)
{
    *line = 0;
    *col = 0;
    if (offset == BB_NO_OFFSET || offset > d->src_len || build_line_index(d))
        return;
    size_t li = line_of(d, offset);
    size_t start = d->line_starts[li];
    /* A byte-order mark is invisible in editors: columns start after it. */
    if (li == 0 && d->src_len >= 3 && memcmp(d->src, "\xEF\xBB\xBF", 3) == 0 && offset >= 3)
        start = 3;
    *line = (int)li + 1;
    *col = utf8_columns(d->src + start, offset - start) + 1;
}

void bb_diags_sort(bb_diags *d)
{
    /* Insertion sort: stable, and the list is short and nearly sorted. */
    for (size_t i = 1; i < d->n; i++) {
        bb_diag key = d->items[i];
        size_t j = i;
        while (j > 0 && d->items[j - 1].offset > key.offset) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = key;
    }
}

bool bb_use_color(FILE *stream)
{
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return false;
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(stream));
}

static const char *severity_color(bb_severity sev)
{
    return sev == BB_ERROR ? "\033[1;31m" : sev == BB_WARNING ? "\033[1;35m" : "\033[1;36m";
}

/* Length in bytes of the JSON token starting at p, for the ~~~ underline. */
static size_t token_length(const char *p, const char *end)
{
    if (p >= end)
        return 1;
    const char *q = p;
    if (*q == '"') {
        for (q++; q < end && *q != '"' && *q != '\n'; q++)
            if (*q == '\\' && q + 1 < end)
                q++;
        return (size_t)(q - p) + (q < end && *q == '"');
    }
    if (*q == '{' || *q == '[')
        return 1;
    while (q < end && !strchr(",}] \t\r\n", *q))
        q++;
    return q > p ? (size_t)(q - p) : 1;
}

/* The start of the UTF-8 character that holds byte i (not before lo). */
static size_t char_start(const char *s, size_t i, size_t lo)
{
    while (i > lo && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

#define EXCERPT_MAX 200   /* bytes of a line shown in full */
#define EXCERPT_BEFORE 60 /* of a longer line: bytes shown before the offset */

/*
 * The line of offset with a caret under it. A line over EXCERPT_MAX bytes
 * (a minified file is one huge line) is shown as a window around the offset,
 * "..." marking what is cut, so an error deep in it still has its excerpt.
 */
static void print_source_excerpt(bb_diags *d, FILE *out, size_t offset, bool color)
{
    int line, col;
    bb_diags_position(d, offset, &line, &col);
    if (line == 0)
        return;
    size_t start = d->line_starts[line - 1];
    size_t end = start;
    while (end < d->src_len && d->src[end] != '\n')
        end++;
    bool cut_before = false, cut_after = false;
    if (end - start > EXCERPT_MAX) {
        if (offset - start > EXCERPT_BEFORE) {
            start = char_start(d->src, offset - EXCERPT_BEFORE, start);
            cut_before = true;
        }
        if (end - start > EXCERPT_MAX) {
            end = char_start(d->src, start + EXCERPT_MAX, start);
            cut_after = true;
        }
    }
    if (offset > end || (offset == end && end > start && cut_after))
        return;
    fprintf(out, " %5d | %s", line, cut_before ? "..." : "");
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)d->src[i];
        fputc(c == '\t' ? ' ' : (c < 0x20 ? '?' : c), out);
    }
    fprintf(out, "%s\n       | %s", cut_after ? "..." : "", cut_before ? "   " : "");
    for (int i = utf8_columns(d->src + start, offset - start); i > 0; i--)
        fputc(' ', out);
    (void)col;
    size_t tl = token_length(d->src + offset, d->src + end);
    int width = utf8_columns(d->src + offset, tl);
    if (color)
        fputs("\033[1;32m", out);
    fputc('^', out);
    for (int i = 1; i < width && i < 80; i++)
        fputc('~', out);
    if (color)
        fputs("\033[0m", out);
    fputc('\n', out);
}

int bb_diags_summary(const bb_diags *d, bb_buf *out)
{
    size_t e = d->n_errors, w = d->n_warnings;
    return bb_buf_printf(out, "%zu error%s, %zu warning%s", e, e == 1 ? "" : "s", w,
                         w == 1 ? "" : "s");
}

static void print_all(bb_diags *d, FILE *out, bool color)
{
    for (size_t i = 0; i < d->n; i++) {
        bb_diag *g = &d->items[i];
        int line, col;
        bb_diags_position(d, g->offset, &line, &col);
        if (color)
            fputs("\033[1m", out);
        if (line)
            fprintf(out, "%s:%d:%d: ", d->filename, line, col);
        else
            fprintf(out, "%s: ", d->filename);
        if (color)
            fputs(severity_color(g->severity), out);
        fprintf(out, "%s[%s]", bb_severity_name(g->severity), g->code);
        if (color)
            fputs("\033[0m\033[1m", out);
        fprintf(out, ": %s", g->message);
        if (color)
            fputs("\033[0m", out);
        if (g->pointer[0])
            fprintf(out, " (at %s)", g->pointer);
        fputc('\n', out);
        if (g->offset != BB_NO_OFFSET)
            print_source_excerpt(d, out, g->offset, color);
        if (g->hint)
            fprintf(out, "       = help: %s\n", g->hint);
    }
    if (d->dropped)
        fprintf(out, "%s: note: %zu more diagnostics not shown (limit %zu)\n", d->filename,
                d->dropped, d->max);
}

/* Printed into memory first and written at once: stderr has no buffer, and
 * 25 diagnostics were 375 write calls. */
int bb_diags_print(bb_diags *d, FILE *out, bool color)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return BB_ENOMEM;
    print_all(d, mem, color);
    int rc = fclose(mem) ? BB_ENOMEM : BB_OK;
    if (!rc && len && fwrite(text, 1, len, out) != len)
        rc = BB_EIO;
    free(text); /* open_memstream's buffer is malloc's */
    return rc ? rc : ferror(out) ? BB_EIO : BB_OK;
}

cJSON *bb_diags_to_json(bb_diags *d)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < d->n; i++) {
        bb_diag *g = &d->items[i];
        int line, col;
        bb_diags_position(d, g->offset, &line, &col);
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "code", g->code) ||
            !cJSON_AddStringToObject(o, "severity", bb_severity_name(g->severity)) ||
            !cJSON_AddStringToObject(o, "message", g->message) ||
            !(g->hint ? cJSON_AddStringToObject(o, "hint", g->hint)
                      : cJSON_AddNullToObject(o, "hint")) ||
            !cJSON_AddStringToObject(o, "pointer", g->pointer) ||
            !cJSON_AddStringToObject(o, "file", d->filename) ||
            !cJSON_AddNumberToObject(o, "line", line) ||
            !cJSON_AddNumberToObject(o, "column", col)) {
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

int bb_pointer_append(bb_buf *ptr, const char *token)
{
    int rc = bb_buf_putc(ptr, '/');
    for (const char *p = token; !rc && *p; p++) {
        if (*p == '~')
            rc = bb_buf_puts(ptr, "~0");
        else if (*p == '/')
            rc = bb_buf_puts(ptr, "~1");
        else
            rc = bb_buf_putc(ptr, *p);
    }
    return rc;
}
