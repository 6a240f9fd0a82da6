/* reviewer.c - syntax and security review of the generated files (see
 * reviewer.h). */
#include "review/reviewer.h"

#include "base/file.h"
#include "base/parallel.h"
#include "base/sha256.h"
#include "front/patterns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define REVIEW_OUTPUT_MAX (1u << 20)
#define REVIEW_MAX_WORKERS 4
#define REVIEW_SPLIT_BYTES (128u << 10) /* below this, one Python is quicker */
#define REVIEW_PIPE_MAX (1 << 20)       /* the default pipe-max-size */
#define INDENT_DEPTH_MAX 100
#define BRACKET_DEPTH_MAX 200

static const char BUG_HINT[] = "this is a bug in backbone: please report it with the schema";

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void finding(bb_diags *d, const char *code, const char *schema, const char *path, int line,
                    const char *what)
{
    bb_diag_add(d, BB_ERROR, code, NULL, BB_NO_OFFSET, BUG_HINT,
                "generated file '%s' line %d: %s (generated from schema '%s')", path, line, what,
                schema);
}

/* ---- the built-in Python check ------------------------------------------- */

typedef struct pycheck {
    const char *s;
    size_t n, i;
    int line;
    char brackets[BRACKET_DEPTH_MAX];
    int bracket_lines[BRACKET_DEPTH_MAX];
    int depth;
    int indents[INDENT_DEPTH_MAX];
    int n_indents;
    char indent_char; /* ' ' or '\t' once the file has indented a line */
    bool want_indent; /* the last logical line ended with ':' */
    char last;        /* last significant character of the logical line */
} pycheck;

/* What pycheck_run() makes of a byte. Specials (newlines, quotes, brackets,
 * '#', '\\') each have a rule; blanks separate tokens; every other byte is
 * plain (names, digits, operators) and only becomes the last significant
 * character of the logical line. */
enum { PLAIN, BLANK, SPECIAL };
static const uint8_t byte_kind[256] = {
    ['\t'] = BLANK,   ['\n'] = SPECIAL, ['\r'] = BLANK,  [' '] = BLANK,   ['"'] = SPECIAL,
    ['#'] = SPECIAL,  ['\''] = SPECIAL, ['('] = SPECIAL, [')'] = SPECIAL, ['['] = SPECIAL,
    ['\\'] = SPECIAL, [']'] = SPECIAL,  ['{'] = SPECIAL, ['}'] = SPECIAL,
};

/* Skips a string literal starting at the quote at p->i. NULL or a problem. */
static const char *skip_string(pycheck *p, bool raw)
{
    char q = p->s[p->i];
    bool triple = p->i + 2 < p->n && p->s[p->i + 1] == q && p->s[p->i + 2] == q;
    p->i += triple ? 3 : 1;
    while (p->i < p->n) {
        /* Only backslashes, newlines and quotes mean anything here (all
         * three are special bytes): the others are skipped in bulk. */
        while (p->i < p->n && byte_kind[(unsigned char)p->s[p->i]] != SPECIAL)
            p->i++;
        if (p->i == p->n)
            break;
        char c = p->s[p->i];
        if (c == '\\' && p->i + 1 < p->n) {
            /* Even in a raw string a backslash keeps the quote after it. */
            if (p->s[p->i + 1] == '\n')
                p->line++;
            p->i += 2;
            continue;
        }
        (void)raw;
        if (c == '\n') {
            if (!triple)
                return "string literal not closed on its line";
            p->line++;
        }
        if (c == q) {
            if (!triple) {
                p->i++;
                return NULL;
            }
            if (p->i + 2 < p->n && p->s[p->i + 1] == q && p->s[p->i + 2] == q) {
                p->i += 3;
                return NULL;
            }
        }
        p->i++;
    }
    return "string literal not closed at the end of the file";
}

/* Checks the indentation at the start of a logical line. */
static const char *check_indent(pycheck *p)
{
    size_t j = p->i;
    int width = 0;
    while (j < p->n && (p->s[j] == ' ' || p->s[j] == '\t')) {
        if (p->indent_char && p->s[j] != p->indent_char)
            return "indentation mixes tabs and spaces";
        width++;
        j++;
    }
    if (j >= p->n || p->s[j] == '\n' || p->s[j] == '#' || p->s[j] == '\r')
        return NULL; /* blank or comment-only lines do not count */
    if (width && !p->indent_char)
        p->indent_char = p->s[p->i];
    int top = p->n_indents ? p->indents[p->n_indents - 1] : 0;
    if (p->want_indent) {
        if (width <= top)
            return "expected an indented block";
        if (p->n_indents == INDENT_DEPTH_MAX)
            return "too deeply nested";
        p->indents[p->n_indents++] = width;
    } else if (width > top) {
        return "unexpected indent";
    } else {
        while (p->n_indents && p->indents[p->n_indents - 1] > width)
            p->n_indents--;
        if ((p->n_indents ? p->indents[p->n_indents - 1] : 0) != width)
            return "unindent does not match any outer indentation level";
    }
    p->want_indent = false;
    p->i = j;
    return NULL;
}

static bool is_string_prefix(const char *s, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if (!strchr("rRbBuUfF", s[k]))
            return false;
    return len <= 2;
}

/* Skips the run of plain bytes and blanks at p->i, four bytes a step while
 * none of them is special (the kinds or'ed stay below SPECIAL), then notes
 * the run's last plain byte, found from its end. */
static void skip_plain_run(pycheck *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t start = p->i, j = start;
    while (p->n - j >= 4 && (byte_kind[s[j]] | byte_kind[s[j + 1]] | byte_kind[s[j + 2]] |
                             byte_kind[s[j + 3]]) < SPECIAL)
        j += 4;
    while (j < p->n && byte_kind[s[j]] != SPECIAL)
        j++;
    for (size_t k = j; k > start; k--) {
        if (byte_kind[s[k - 1]] == PLAIN) {
            p->last = (char)s[k - 1];
            break;
        }
    }
    p->i = j;
}

/* A string literal at p->i (its quote), after any prefix: NULL or a
 * problem. */
static const char *string_literal(pycheck *p)
{
    size_t k = p->i;
    while (k > 0 && strchr("rRbBuUfF", p->s[k - 1]))
        k--;
    bool prefixed = (k == 0 || !(p->s[k - 1] == '_' || (p->s[k - 1] >= '0' && p->s[k - 1] <= '9') ||
                                 ((p->s[k - 1] | 32) >= 'a' && (p->s[k - 1] | 32) <= 'z'))) &&
                    is_string_prefix(p->s + k, p->i - k);
    bool raw = prefixed && memchr(p->s + k, 'r', p->i - k);
    return skip_string(p, raw);
}

/* An opening or closing bracket c: NULL or a problem. */
static const char *bracket(pycheck *p, char c)
{
    if (c == '(' || c == '[' || c == '{') {
        if (p->depth == BRACKET_DEPTH_MAX)
            return "brackets nested too deeply";
        p->brackets[p->depth] = c;
        p->bracket_lines[p->depth++] = p->line;
        return NULL;
    }
    if (p->depth == 0)
        return "closing bracket without an opening one";
    char want = c == ')' ? '(' : c == ']' ? '[' : '{';
    if (p->brackets[p->depth - 1] != want)
        return "closing bracket does not match the opening one";
    p->depth--;
    return NULL;
}

/* One pass over the file; returns the first problem or NULL. Each step
 * skips a run of plain bytes and blanks, then handles the special byte
 * that ends it. */
static const char *pycheck_run(pycheck *p)
{
    bool line_start = true;
    while (p->i < p->n) {
        if (line_start && p->depth == 0) {
            const char *e = check_indent(p);
            if (e)
                return e;
            line_start = false;
            p->last = 0;
            continue;
        }
        if (byte_kind[(unsigned char)p->s[p->i]] != SPECIAL) {
            skip_plain_run(p);
            if (p->i == p->n)
                break;
        }
        char c = p->s[p->i];
        const char *e = NULL;
        switch (c) {
        case '#': {
            const char *eol = memchr(p->s + p->i, '\n', p->n - p->i);
            p->i = eol ? (size_t)(eol - p->s) : p->n;
            continue;
        }
        case '\\':
            if (p->i + 1 < p->n && p->s[p->i + 1] == '\n') {
                p->i += 2; /* explicit line joining */
                p->line++;
                continue;
            }
            break;
        case '\n':
            p->line++;
            p->i++;
            if (p->depth == 0) {
                if (p->last == ':')
                    p->want_indent = true;
                line_start = true;
            }
            continue;
        case '"':
        case '\'':
            e = string_literal(p);
            if (e)
                return e;
            p->last = c;
            continue;
        default: /* brackets: the other special bytes */
            e = bracket(p, c);
            if (e)
                return e;
        }
        p->last = c; /* a special byte is never a blank */
        p->i++;
    }
    if (p->depth) {
        p->line = p->bracket_lines[p->depth - 1];
        return "bracket opened here is never closed";
    }
    if (p->want_indent || (p->last == ':' && !line_start))
        return "expected an indented block at the end of the file";
    return NULL;
}

int bb_reviewer_check_tokens(const char *path, const char *data, size_t len,
                             const char *schema_name, bb_diags *diags)
{
    pycheck p = {.s = data, .n = len, .line = 1};
    const char *problem = pycheck_run(&p);
    if (!problem)
        return BB_OK;
    finding(diags, "BB0741", schema_name, path, p.line, problem);
    return BB_EINVAL;
}

/* ---- security patterns ------------------------------------------------------ */

/* The rules are front/patterns.c's (the generated files' uses): one table
 * and one matcher for schema strings and generated code. */

/* True when a '#' comment starts on the line before offset. Quotes on the
 * line are followed, so a '#' inside a string literal does not count (a
 * string spanning lines, rare in generated code, is not). */
static bool in_comment(const char *data, size_t offset)
{
    size_t k = offset;
    while (k > 0 && data[k - 1] != '\n')
        k--;
    char quote = 0;
    for (; k < offset; k++) {
        char ch = data[k];
        if (quote) {
            if (ch == '\\')
                k++;
            else if (ch == quote)
                quote = 0;
        } else if (ch == '"' || ch == '\'') {
            quote = ch;
        } else if (ch == '#') {
            return true;
        }
    }
    return false;
}

static int line_of(const char *data, size_t offset)
{
    int line = 1;
    for (size_t k = 0; k < offset; k++)
        line += data[k] == '\n';
    return line;
}

typedef struct scan_ctx {
    const char *path, *data, *schema_name;
    bool python;
    bb_diags *diags;
    int rc;
} scan_ctx;

/* One match: a finding, unless it is in a Python comment. */
static int on_match(void *ctx, const bb_pattern_hit *hit)
{
    scan_ctx *c = ctx;
    if (!c->python || !in_comment(c->data, hit->start)) {
        finding(c->diags, hit->code, c->schema_name, c->path, line_of(c->data, hit->start),
                hit->rule);
        c->rc = BB_EINVAL;
    }
    return 0;
}

int bb_reviewer_scan(const char *path, const char *data, size_t len, const char *schema_name,
                     bb_diags *diags)
{
    scan_ctx c = {path, data, schema_name, ends_with(path, ".py"), diags, BB_OK};
    unsigned uses = BB_PATTERNS_FILE | (c.python ? BB_PATTERNS_PYTHON : 0);
    int rc = bb_patterns_each(data, len, uses, on_match, &c);
    /* The patterns are constant: only memory can fail. */
    return rc < 0 ? BB_ENOMEM : c.rc;
}

/* ---- compiling with Python ------------------------------------------------------ */

/*
 * Reads records "path NL length NL bytes" from standard input and compiles
 * each one as py_compile would (without writing bytecode); prints "path TAB
 * line TAB message" per failure and exits 1 when there was one. The sources
 * go through a pipe rather than a temporary copy: nothing touches the disk
 * and nothing is left behind if the run is killed.
 */
static const char PY_SCRIPT[] =
    "import sys\n"
    "d=sys.stdin.buffer.read();i=0;bad=0\n"
    "while i<len(d):\n"
    " j=d.index(b'\\n',i);k=d.index(b'\\n',j+1);p=d[i:j].decode('utf-8','replace')\n"
    " n=int(d[j+1:k]);src=d[k+1:k+1+n];i=k+1+n\n"
    " try:\n"
    "  compile(src,p,'exec',dont_inherit=True)\n"
    " except (SyntaxError,ValueError) as e:\n"
    "  bad=1;print('%s\\t%s\\t%s'%(p,getattr(e,'lineno',0) or 0,getattr(e,'msg',str(e))))\n"
    "sys.exit(bad)\n";

const char *bb_reviewer_python(const char *python)
{
    if (python)
        return *python && access(python, X_OK) == 0 ? python : NULL;
    if (access("/usr/bin/python3", X_OK) == 0)
        return "/usr/bin/python3";
    if (access("/usr/local/bin/python3", X_OK) == 0)
        return "/usr/local/bin/python3";
    return NULL;
}

/* True when a file goes to Python: a safe .py path not reviewed before. */
static bool wants_compile(bb_file *f, bb_reviewed_fn reviewed, void *reviewed_ctx)
{
    return ends_with(f->path, ".py") && bb_file_path_is_safe(f->path) &&
           !(reviewed && reviewed(reviewed_ctx, f));
}

/* ---- the record of compiled files ------------------------------------------------- */

/*
 * The cache folder holds one file, "reviewed": a line of 64 hex digits per
 * file a Python compiled without error, the SHA-256 of (the Python's
 * identity, the SHA-256 of the file's bytes). The identity is backbone's
 * version and the Python executable's path, device, inode, size and
 * modification time, so another or an upgraded Python compiles everything
 * again. Lines are appended in one write per run; past REVIEW_CACHE_MAX
 * bytes the file is replaced by the lines of the current run. A broken line
 * only costs a compile.
 */
#define REVIEW_CACHE_MAX (4u << 20)
#define REVIEW_CACHE_NAME "reviewed"
#define KEY_LEN BB_SHA256_HEX_LEN

static char cache_dir[4096]; /* "" when off */

void bb_reviewer_use_cache(const char *dir)
{
    if (!dir || snprintf(cache_dir, sizeof(cache_dir), "%s", dir) >= (int)sizeof(cache_dir))
        cache_dir[0] = '\0';
}

bool bb_reviewer_default_cache_dir(char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/backbone", xdg);
    else if (home && home[0] == '/')
        n = snprintf(out, size, "%s/.cache/backbone", home);
    else
        return false;
    return n > 0 && (size_t)n < size;
}

typedef struct review_cache {
    char id[KEY_LEN + 1]; /* the Python's identity, hashed */
    char *keys;           /* a key per file (KEY_LEN + 1 bytes each), "" when not a .py */
    bool *hit;            /* the key is in the record */
    size_t n;
    bool replace; /* the record is full: write it anew */
} review_cache;

static int compare_key(const void *a, const void *b)
{
    return memcmp(*(const char *const *)a, *(const char *const *)b, KEY_LEN);
}

/* Marks the keys the record on disk holds. */
static void cache_read(review_cache *c, const char *path)
{
    char *text = NULL;
    size_t len = 0, n_sorted = 0;
    int rc = bb_file_read(path, REVIEW_CACHE_MAX, &text, &len);
    if (rc == BB_ELIMIT)
        c->replace = true;
    const char **sorted = rc ? NULL : bb_malloc((c->n ? c->n : 1) * sizeof(*sorted));
    for (size_t i = 0; sorted && i < c->n; i++)
        if (c->keys[i * (KEY_LEN + 1)])
            sorted[n_sorted++] = &c->keys[i * (KEY_LEN + 1)];
    if (sorted && n_sorted) {
        qsort(sorted, n_sorted, sizeof(*sorted), compare_key);
        for (const char *p = text, *end = text + len; p < end;) {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            if (!eol)
                break;
            const char *line = p;
            const char **at = eol - p == KEY_LEN
                                  ? bsearch(&line, sorted, n_sorted, sizeof(*sorted), compare_key)
                                  : NULL;
            /* Files with the same bytes have the same key: mark them all. */
            size_t lo = at ? (size_t)(at - sorted) : n_sorted, hi = lo;
            while (lo > 0 && lo < n_sorted && !compare_key(&sorted[lo - 1], at))
                lo--;
            while (hi < n_sorted && !compare_key(&sorted[hi], at))
                hi++;
            for (size_t q = lo; q < hi; q++)
                c->hit[(size_t)(sorted[q] - c->keys) / (KEY_LEN + 1)] = true;
            p = eol + 1;
        }
    }
    bb_free(sorted);
    bb_free(text);
}

/* The record for the .py files among files, as compiled by python; NULL
 * when the record is off or cannot be used (every file is compiled). */
static review_cache *cache_open(const char *python, bb_file *files, size_t n)
{
    char path[4200], ident[4400];
    struct stat st;
    if (!cache_dir[0] || stat(python, &st) != 0)
        return NULL;
    int k =
        snprintf(ident, sizeof(ident), "backbone %s python %s %llu %llu %llu %lld.%09ld",
                 BB_VERSION, python, (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                 (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (k < 0 || k >= (int)sizeof(ident) ||
        snprintf(path, sizeof(path), "%s/" REVIEW_CACHE_NAME, cache_dir) >= (int)sizeof(path))
        return NULL;
    review_cache *c = bb_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->n = n;
    c->keys = bb_calloc(n ? n : 1, KEY_LEN + 1);
    c->hit = bb_calloc(n ? n : 1, sizeof(*c->hit));
    bool ok = c->keys && c->hit && bb_sha256_hex(ident, (size_t)k, c->id) == BB_OK;
    for (size_t i = 0; ok && i < n; i++) {
        if (!ends_with(files[i].path, ".py"))
            continue;
        char both[2 * KEY_LEN + 1];
        memcpy(both, c->id, KEY_LEN);
        memcpy(both + KEY_LEN, bb_file_sha256(&files[i]), KEY_LEN);
        ok = bb_sha256_hex(both, 2 * KEY_LEN, &c->keys[i * (KEY_LEN + 1)]) == BB_OK;
    }
    if (!ok) {
        bb_free(c->keys);
        bb_free(c->hit);
        bb_free(c);
        return NULL;
    }
    cache_read(c, path);
    return c;
}

static void cache_free(review_cache *c)
{
    if (!c)
        return;
    bb_free(c->keys);
    bb_free(c->hit);
    bb_free(c);
}

/* Makes the cache folder (and the ones above) when missing. */
static bool make_cache_dir(void)
{
    char path[sizeof(cache_dir)];
    memcpy(path, cache_dir, sizeof(path));
    for (char *p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        int r = mkdir(path, 0700);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return false;
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

/* Adds the files Python just compiled without error (sent[i]) to the
 * record. Best effort: a record that cannot be written is not an error. */
static void cache_record(const review_cache *c, const bool *sent)
{
    bb_buf lines;
    bb_buf_init(&lines, (size_t)-1);
    for (size_t i = 0; i < c->n; i++)
        if (sent[i] && c->keys[i * (KEY_LEN + 1)] &&
            (bb_buf_append(&lines, &c->keys[i * (KEY_LEN + 1)], KEY_LEN) ||
             bb_buf_putc(&lines, '\n'))) {
            bb_buf_free(&lines);
            return;
        }
    char path[4200], tmp[4300];
    if (lines.len && make_cache_dir() &&
        snprintf(path, sizeof(path), "%s/" REVIEW_CACHE_NAME, cache_dir) < (int)sizeof(path) &&
        snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid()) < (int)sizeof(tmp)) {
        /* Appends from several runs each land whole (O_APPEND, one write). */
        const char *target = c->replace ? tmp : path;
        int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (c->replace ? O_TRUNC : O_APPEND);
        int fd = open(target, flags, 0600);
        if (fd >= 0) {
            bool ok = bb_file_write_all(fd, lines.data, lines.len) == BB_OK;
            ok = close(fd) == 0 && ok;
            if (c->replace && (!ok || rename(tmp, path) != 0))
                unlink(tmp);
        }
    }
    bb_buf_free(&lines);
}

/* ---- running Python -------------------------------------------------------------- */

/* Sends one file as a record (see PY_SCRIPT). */
static int send_source(int fd, const bb_file *f)
{
    char head[4200];
    int k = snprintf(head, sizeof(head), "%s\n%zu\n", f->path, f->len);
    if (k < 0 || k >= (int)sizeof(head))
        return BB_OK; /* cannot happen: safe paths are short */
    if (bb_file_write_all(fd, head, (size_t)k) || bb_file_write_all(fd, f->data, f->len))
        return BB_EIO;
    return BB_OK;
}

/* One Python process compiling a share of the files. */
typedef struct worker {
    pid_t pid;
    int in, out;  /* its standard input (we write) and output (we read) */
    size_t bytes; /* sent so far, to balance the shares */
} worker;

static int spawn_python(const char *python, size_t share, worker *w)
{
    int in[2], outp[2];
    if (pipe2(in, O_CLOEXEC) != 0)
        return BB_EIO;
    if (pipe2(outp, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return BB_EIO;
    }
    /* A pipe that holds the whole share lets the sources be sent while
     * Python starts (best effort: the size may be capped). */
    if (share > 65536)
        (void)fcntl(in[1], F_SETPIPE_SZ, share < REVIEW_PIPE_MAX ? (int)share : REVIEW_PIPE_MAX);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    char *argv[] = {(char *)python, "-I", "-S", "-B", "-c", (char *)PY_SCRIPT, NULL};
    int err = posix_spawn(&w->pid, python, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(outp[1]);
    if (err) {
        close(in[1]);
        close(outp[0]);
        return BB_EIO;
    }
    w->in = in[1];
    w->out = outp[0];
    w->bytes = 0;
    return BB_OK;
}

/* Reads a worker's output to the end into out and reaps it; its exit
 * status, -1 when it did not exit normally. */
static int finish_worker(worker *w, bb_buf *out, int *status)
{
    int rc = BB_OK;
    char chunk[4096];
    for (;;) {
        ssize_t got = read(w->out, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (bb_buf_append(out, chunk, (size_t)got) == BB_ENOMEM)
            rc = BB_ENOMEM; /* past the cap (BB_ELIMIT) only loses the tail */
    }
    close(w->out);
    int ws;
    while (waitpid(w->pid, &ws, 0) < 0)
        if (errno != EINTR)
            return BB_EIO;
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    return rc;
}

/* The Pythons of one review, started before the security scan and
 * finished after it, so the two overlap. */
typedef struct compile_job {
    worker w[REVIEW_MAX_WORKERS];
    size_t started;
    int rc; /* of starting and sending */
} compile_job;

/*
 * Starts Python over the files marked in need, their sources on its
 * standard input. A large project is split between up to `jobs` processes
 * (0: one per CPU), each file to the least loaded one. SIGPIPE is blocked while
 * writing, so a Python that dies early gives EPIPE here instead of killing
 * the caller. BB_EIO when no Python could be started.
 */
static int start_python(const char *python, const bb_file *files, size_t n, const bool *need,
                        unsigned jobs, compile_job *job)
{
    size_t total = 0, count = 0;
    for (size_t i = 0; i < n; i++)
        if (need[i])
            total += files[i].len, count++;
    size_t cpus = jobs ? jobs : bb_parallel_cpus();
    size_t k = total < REVIEW_SPLIT_BYTES ? 1 : cpus;
    if (k > REVIEW_MAX_WORKERS)
        k = REVIEW_MAX_WORKERS;
    if (k > count)
        k = count ? count : 1;
    job->started = 0;
    while (job->started < k &&
           spawn_python(python, total / k + 4096, &job->w[job->started]) == BB_OK)
        job->started++;
    if (job->started == 0)
        return BB_EIO;

    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int rc = BB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!need[i])
            continue;
        worker *least = &job->w[0];
        for (size_t j = 1; j < job->started; j++)
            if (job->w[j].bytes < least->bytes)
                least = &job->w[j];
        rc = send_source(least->in, &files[i]);
        least->bytes += files[i].len;
    }
    for (size_t j = 0; j < job->started; j++)
        close(job->w[j].in);
    if (rc) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) > 0) /* drop our SIGPIPE */
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    job->rc = rc;
    return BB_OK;
}

/* Waits for the Pythons: their findings into out; *status is 0 (all
 * parse), 1 (findings in out) or another value when a Python failed. */
static int finish_python(compile_job *job, bb_buf *out, int *status)
{
    int rc = job->rc;
    *status = 0;
    for (size_t j = 0; j < job->started; j++) {
        int st = -1;
        int r = finish_worker(&job->w[j], out, &st);
        if (r && !rc)
            rc = r;
        if (st != 0 && (*status == 0 || st != 1))
            *status = st; /* a failure (not 0 or 1) outranks findings */
    }
    return rc == BB_ENOMEM ? rc : rc ? BB_EIO : BB_OK;
}

/* Turns the script's lines into BB0740 diagnostics. */
static void report_compile_errors(const char *text, const char *schema_name, bb_diags *diags)
{
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        const char *t1 = memchr(p, '\t', n);
        const char *t2 = t1 ? memchr(t1 + 1, '\t', n - (size_t)(t1 + 1 - p)) : NULL;
        if (t1 && t2) {
            char path[1024], msg[1024];
            snprintf(path, sizeof(path), "%.*s", (int)(t1 - p), p);
            snprintf(msg, sizeof(msg), "does not parse: %.*s", (int)(n - (size_t)(t2 + 1 - p)),
                     t2 + 1);
            finding(diags, "BB0740", schema_name, path, (int)strtol(t1 + 1, NULL, 10), msg);
        }
        p += n + (eol != NULL);
    }
}

/*
 * The result of a compile job. BB_OK when every file parses; BB_EINVAL
 * after reporting the ones that do not; BB_ENOTFOUND when Python could not
 * be run (the caller falls back to the built-in check).
 */
static int python_result(compile_job *job, const char *schema_name, bb_diags *diags)
{
    bb_buf out;
    bb_buf_init(&out, REVIEW_OUTPUT_MAX);
    int status = -1;
    int rc = finish_python(job, &out, &status);
    if (rc == BB_ENOMEM) {
        bb_buf_free(&out);
        return rc;
    }
    if (rc || (status != 0 && status != 1) || (status == 1 && out.len == 0)) {
        bb_buf_free(&out);
        return BB_ENOTFOUND;
    }
    if (status == 1) {
        report_compile_errors(bb_buf_str(&out), schema_name, diags);
        rc = BB_EINVAL;
    }
    bb_buf_free(&out);
    return rc;
}

/*
 * The security scan of every file, then the Python check: the files to
 * compile (neither reviewed before nor in the record of compiled files) go
 * to Python first, so it starts and compiles while the scan runs.
 */
/* One file's scan, or its built-in syntax check, on any thread: into its
 * own diagnostics. */
typedef struct check_work {
    const bb_file *files;
    bool tokens; /* the syntax check of .py files instead of the scan */
    const char *schema_name;
    bb_diags *diags;
    int *rc;
} check_work;

static void check_one(void *ctx, size_t i)
{
    check_work *w = ctx;
    const bb_file *f = &w->files[i];
    if (!w->tokens)
        w->rc[i] = bb_reviewer_scan(f->path, f->data, f->len, w->schema_name, &w->diags[i]);
    else if (ends_with(f->path, ".py"))
        w->rc[i] = bb_reviewer_check_tokens(f->path, f->data, f->len, w->schema_name, &w->diags[i]);
}

/* Scans (or checks the syntax of) every file on up to `jobs` threads; the
 * findings reach diags in file order. BB_ENOMEM first, else the last
 * failure. */
static int check_files(const bb_file *files, size_t n, bool tokens, unsigned jobs,
                       const char *schema_name, bb_diags *diags)
{
    bb_diags *each = bb_calloc(n ? n : 1, sizeof(*each));
    int *rcs = bb_calloc(n ? n : 1, sizeof(*rcs));
    int rc = each && rcs ? BB_OK : BB_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            bb_diags_init(&each[i], diags->filename, diags->src, diags->src_len);
        check_work w = {files, tokens, schema_name, each, rcs};
        bb_parallel_for(n, jobs, check_one, &w);
    }
    for (size_t i = 0; i < n && each && rcs; i++) {
        if (bb_diags_append(diags, &each[i]) == BB_ENOMEM || rcs[i] == BB_ENOMEM)
            rc = BB_ENOMEM;
        else if (rcs[i] && rc != BB_ENOMEM)
            rc = rcs[i];
        bb_diags_free(&each[i]);
    }
    bb_free(each);
    bb_free(rcs);
    return rc;
}

int bb_reviewer_check(bb_file *files, size_t n, const char *python, bb_reviewed_fn reviewed,
                      void *reviewed_ctx, const char *schema_name, unsigned jobs, bb_diags *diags)
{
    const char *py = bb_reviewer_python(python);
    bool *need = bb_calloc(n ? n : 1, sizeof(*need));
    if (!need)
        return BB_ENOMEM;
    review_cache *cache = py ? cache_open(py, files, n) : NULL;
    size_t to_compile = 0;
    for (size_t i = 0; py && i < n; i++) {
        need[i] = wants_compile(&files[i], reviewed, reviewed_ctx) && !(cache && cache->hit[i]);
        to_compile += need[i];
    }
    compile_job job;
    int started = py && to_compile ? start_python(py, files, n, need, jobs, &job) : BB_ENOTFOUND;

    int rc = check_files(files, n, false, jobs, schema_name, diags);
    int r = BB_OK; /* with Python and nothing to compile: every file passed before */
    if (started == BB_OK)
        r = python_result(&job, schema_name, diags);
    else if (!py || to_compile)
        r = BB_ENOTFOUND;
    if (r == BB_OK && started == BB_OK && cache)
        cache_record(cache, need);
    cache_free(cache);
    bb_free(need);
    if (rc == BB_ENOMEM || r == BB_ENOMEM)
        return BB_ENOMEM;
    if (r == BB_ENOTFOUND) {
        if (py)
            bb_diag_add(diags, BB_NOTE, "BB0746", NULL, BB_NO_OFFSET, NULL,
                        "%s could not compile the generated code; used the built-in check", py);
        r = check_files(files, n, true, jobs, schema_name, diags);
    }
    return r ? r : rc;
}
