/* reviewer.c - syntax and security review of the generated files (see
 * reviewer.h). */
#include "reviewer.h"

#include "emit.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define REVIEW_OUTPUT_MAX (1u << 20)
#define REVIEW_MAX_WORKERS 4
#define REVIEW_SPLIT_BYTES (128u << 10) /* below this, one Python is quicker */
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

/* Skips a string literal starting at the quote at p->i. NULL or a problem. */
static const char *skip_string(pycheck *p, bool raw)
{
    char q = p->s[p->i];
    bool triple = p->i + 2 < p->n && p->s[p->i + 1] == q && p->s[p->i + 2] == q;
    p->i += triple ? 3 : 1;
    while (p->i < p->n) {
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

/* One pass over the file; returns the first problem or NULL. */
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
        char c = p->s[p->i];
        if (c == '#') {
            while (p->i < p->n && p->s[p->i] != '\n')
                p->i++;
            continue;
        }
        if (c == '\\' && p->i + 1 < p->n && p->s[p->i + 1] == '\n') {
            p->i += 2; /* explicit line joining */
            p->line++;
            continue;
        }
        if (c == '\n') {
            p->line++;
            p->i++;
            if (p->depth == 0) {
                if (p->last == ':')
                    p->want_indent = true;
                line_start = true;
            }
            continue;
        }
        if (c == '"' || c == '\'') {
            size_t k = p->i;
            while (k > 0 && strchr("rRbBuUfF", p->s[k - 1]))
                k--;
            bool prefixed =
                (k == 0 || !(p->s[k - 1] == '_' || (p->s[k - 1] >= '0' && p->s[k - 1] <= '9') ||
                             ((p->s[k - 1] | 32) >= 'a' && (p->s[k - 1] | 32) <= 'z'))) &&
                is_string_prefix(p->s + k, p->i - k);
            bool raw = prefixed && memchr(p->s + k, 'r', p->i - k);
            const char *e = skip_string(p, raw);
            if (e)
                return e;
            p->last = c;
            continue;
        }
        if (c == '(' || c == '[' || c == '{') {
            if (p->depth == BRACKET_DEPTH_MAX)
                return "brackets nested too deeply";
            p->brackets[p->depth] = c;
            p->bracket_lines[p->depth++] = p->line;
        } else if (c == ')' || c == ']' || c == '}') {
            if (p->depth == 0)
                return "closing bracket without an opening one";
            char want = c == ')' ? '(' : c == ']' ? '[' : '{';
            if (p->brackets[p->depth - 1] != want)
                return "closing bracket does not match the opening one";
            p->depth--;
        }
        if (c != ' ' && c != '\t' && c != '\r')
            p->last = c;
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

/*
 * Each pattern comes with literal needles: the regex only runs over a file
 * that contains one of them (in the lower-cased text when `fold` is set),
 * which keeps the scan of a large project to a few memmem() passes.
 */
typedef struct pattern {
    const char *code;
    const char *what;
    const char *regex;
    bool python_only;
    bool fold;
    const char *needles[6];
} pattern;

static const pattern patterns[] = {
    {"BB0742",
     "call of eval() or exec()",
     "(?<![\\w.])(?:eval|exec)\\s*\\(",
     true,
     false,
     {"eval", "exec"}},
    {"BB0743",
     "use of pickle (unsafe deserialisation)",
     "^\\s*(?:import|from)\\s+(?:c?pickle|dill|shelve)\\b|\\bpickle\\.\\w+",
     true,
     false,
     {"pickle", "dill", "shelve"}},
    {"BB0744",
     "shell command execution (shell=True, os.system, os.popen)",
     "\\bshell\\s*=\\s*True\\b|\\bos\\.(?:system|popen)\\s*\\(|\\bsubprocess\\.getoutput\\s*\\(",
     true,
     false,
     {"shell", "os.system", "os.popen", "getoutput"}},
    {"BB0745",
     "hard-coded secret",
     "(?i)^\\s*\\w*(?:password|passwd|secret|api_?key|token|private_key)\\w*\\s*(?::[^=\\n]+)?"
     "=\\s*[rbu]?[\"'][^\"'\\n]{4,}[\"']",
     false,
     true,
     {"passw", "secret", "api_key", "apikey", "token", "private_key"}},
    {"BB0745",
     "hard-coded AWS access key",
     "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b",
     false,
     false,
     {"AKIA", "ASIA"}},
    {"BB0745",
     "hard-coded private key",
     "-----BEGIN [A-Z ]*PRIVATE KEY-----",
     false,
     false,
     {"PRIVATE KEY"}},
};

#define N_PATTERNS (sizeof(patterns) / sizeof(patterns[0]))

static pcre2_code *compiled[N_PATTERNS];
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static void compile_patterns(void)
{
    for (size_t i = 0; i < N_PATTERNS; i++) {
        int err;
        PCRE2_SIZE off;
        compiled[i] = pcre2_compile((PCRE2_SPTR)patterns[i].regex, PCRE2_ZERO_TERMINATED,
                                    PCRE2_MULTILINE | PCRE2_UTF, &err, &off, NULL);
        if (compiled[i])
            (void)pcre2_jit_compile(compiled[i], PCRE2_JIT_COMPLETE);
    }
}

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

static bool has_needle(const pattern *p, const char *data, const char *folded, size_t len)
{
    for (size_t k = 0; k < sizeof(p->needles) / sizeof(p->needles[0]) && p->needles[k]; k++)
        if (memmem(p->fold ? folded : data, len, p->needles[k], strlen(p->needles[k])))
            return true;
    return false;
}

int bb_reviewer_scan(const char *path, const char *data, size_t len, const char *schema_name,
                     bb_diags *diags)
{
    pthread_once(&compile_once, compile_patterns);
    bool python = ends_with(path, ".py");
    char *folded = bb_malloc(len + 1);
    if (!folded)
        return BB_ENOMEM;
    for (size_t k = 0; k < len; k++)
        folded[k] = (char)(data[k] >= 'A' && data[k] <= 'Z' ? data[k] + 32 : data[k]);
    int rc = BB_OK;
    for (size_t i = 0; i < N_PATTERNS && rc != BB_ENOMEM; i++) {
        if (!compiled[i]) {
            rc = BB_ENOMEM; /* the patterns are constant: only memory can fail */
            break;
        }
        if ((patterns[i].python_only && !python) || !has_needle(&patterns[i], data, folded, len))
            continue;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(compiled[i], NULL);
        if (!md) {
            rc = BB_ENOMEM;
            break;
        }
        PCRE2_SIZE start = 0;
        while (start <= len &&
               pcre2_match(compiled[i], (PCRE2_SPTR)data, len, start, 0, md, NULL) > 0) {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            if (!python || !in_comment(data, ov[0])) {
                finding(diags, patterns[i].code, schema_name, path, line_of(data, ov[0]),
                        patterns[i].what);
                rc = BB_EINVAL;
            }
            start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
        pcre2_match_data_free(md);
    }
    bb_free(folded);
    return rc;
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
static bool wants_compile(const bb_file *f, bb_reviewed_fn reviewed, void *reviewed_ctx)
{
    return ends_with(f->path, ".py") && bb_emit_path_is_safe(f->path) &&
           !(reviewed && reviewed(reviewed_ctx, f));
}

/* Sends one file as a record (see PY_SCRIPT). */
static int send_source(int fd, const bb_file *f)
{
    char head[4200];
    int k = snprintf(head, sizeof(head), "%s\n%zu\n", f->path, f->len);
    if (k < 0 || k >= (int)sizeof(head))
        return BB_OK; /* cannot happen: safe paths are short */
    if (bb_emit_write_all(fd, head, (size_t)k) || bb_emit_write_all(fd, f->data, f->len))
        return BB_EIO;
    return BB_OK;
}

/* One Python process compiling a share of the files. */
typedef struct worker {
    pid_t pid;
    int in, out;  /* its standard input (we write) and output (we read) */
    size_t bytes; /* sent so far, to balance the shares */
} worker;

static int spawn_python(const char *python, worker *w)
{
    int in[2], outp[2];
    if (pipe2(in, O_CLOEXEC) != 0)
        return BB_EIO;
    if (pipe2(outp, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return BB_EIO;
    }
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

/*
 * Runs Python over the files that need it, their sources on its standard
 * input, its findings into out. A large project is split between up to one
 * process per CPU (each file to the least loaded one). *status is 0 (all
 * parse), 1 (findings in out) or another value when a Python failed.
 * SIGPIPE is blocked while writing, so a Python that dies early gives EPIPE
 * here instead of killing the caller.
 */
static int run_python(const char *python, const bb_file *files, size_t n, bb_reviewed_fn reviewed,
                      void *reviewed_ctx, bb_buf *out, int *status)
{
    size_t total = 0, count = 0;
    for (size_t i = 0; i < n; i++)
        if (wants_compile(&files[i], reviewed, reviewed_ctx))
            total += files[i].len, count++;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t k = total < REVIEW_SPLIT_BYTES || cpus < 2 ? 1 : (size_t)cpus;
    if (k > REVIEW_MAX_WORKERS)
        k = REVIEW_MAX_WORKERS;
    if (k > count)
        k = count ? count : 1;
    worker w[REVIEW_MAX_WORKERS];
    size_t started = 0;
    while (started < k && spawn_python(python, &w[started]) == BB_OK)
        started++;
    if (started == 0)
        return BB_EIO;

    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int rc = BB_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!wants_compile(&files[i], reviewed, reviewed_ctx))
            continue;
        worker *least = &w[0];
        for (size_t j = 1; j < started; j++)
            if (w[j].bytes < least->bytes)
                least = &w[j];
        rc = send_source(least->in, &files[i]);
        least->bytes += files[i].len;
    }
    for (size_t j = 0; j < started; j++)
        close(w[j].in);
    if (rc) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) > 0) /* drop our SIGPIPE */
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    *status = 0;
    for (size_t j = 0; j < started; j++) {
        int st = -1;
        int r = finish_worker(&w[j], out, &st);
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
 * Compiles the .py files with Python. BB_OK when they all parse; BB_EINVAL
 * after reporting the ones that do not; BB_ENOTFOUND when Python could not
 * be run (the caller falls back to the built-in check).
 */
static int python_compile(const char *python, const bb_file *files, size_t n,
                          bb_reviewed_fn reviewed, void *reviewed_ctx, const char *schema_name,
                          bb_diags *diags)
{
    bb_buf out;
    bb_buf_init(&out, REVIEW_OUTPUT_MAX);
    int status = -1;
    int rc = run_python(python, files, n, reviewed, reviewed_ctx, &out, &status);
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

int bb_reviewer_check(const bb_file *files, size_t n, const char *python, bb_reviewed_fn reviewed,
                      void *reviewed_ctx, const char *schema_name, bb_diags *diags)
{
    int rc = BB_OK;
    for (size_t i = 0; i < n; i++) {
        int r = bb_reviewer_scan(files[i].path, files[i].data, files[i].len, schema_name, diags);
        if (r == BB_ENOMEM)
            return r;
        if (r)
            rc = r;
    }
    const char *py = bb_reviewer_python(python);
    size_t to_compile = 0;
    for (size_t i = 0; py && i < n; i++)
        to_compile += wants_compile(&files[i], reviewed, reviewed_ctx);
    if (py && to_compile == 0)
        return rc; /* every Python file passed in an earlier run */
    int r = py ? python_compile(py, files, n, reviewed, reviewed_ctx, schema_name, diags)
               : BB_ENOTFOUND;
    if (r == BB_ENOTFOUND) {
        if (py)
            bb_diag_add(diags, BB_NOTE, "BB0746", NULL, BB_NO_OFFSET, NULL,
                        "%s could not compile the generated code; used the built-in check", py);
        r = BB_OK;
        for (size_t i = 0; i < n; i++)
            if (ends_with(files[i].path, ".py") &&
                bb_reviewer_check_tokens(files[i].path, files[i].data, files[i].len, schema_name,
                                         diags))
                r = BB_EINVAL;
    }
    return r ? r : rc;
}

static int reviewer_run(bb_pipeline_state *st)
{
    return bb_reviewer_check(st->out->files, st->out->n_files, st->opts->python, st->opts->reviewed,
                             st->opts->reviewed_ctx, st->filename, st->diags);
}

const bb_stage bb_reviewer_stage = {"reviewer", reviewer_run};
