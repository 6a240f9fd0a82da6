/*
 * pyimports.c - the import block at the top of a Python file, as isort's
 * black profile prints it (see pyimports.h).
 */
#include "render/pyimports.h"

#include "render/pyline.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* An import statement this pass leaves as it is (the block ends there). */
#define CANNOT 1

static bool starts_word(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && !memcmp(s, w, k) && (n == k || !bb_pyline_is_name_byte((unsigned char)s[k]));
}

/* The standard library: isort 5's list for Python 3 and CPython 3.11's
 * sys.stdlib_module_names, sorted (strcmp) for bsearch. */
/* clang-format off */
static const char *const stdlib_modules[] = {
    "__future__", "_abc", "_aix_support", "_ast", "_asyncio", "_bisect", "_blake2",
    "_bootsubprocess", "_bz2", "_codecs", "_codecs_cn", "_codecs_hk", "_codecs_iso2022",
    "_codecs_jp", "_codecs_kr", "_codecs_tw", "_collections", "_collections_abc", "_compat_pickle",
    "_compression", "_contextvars", "_crypt", "_csv", "_ctypes", "_curses", "_curses_panel",
    "_datetime", "_dbm", "_decimal", "_dummy_thread", "_elementtree", "_frozen_importlib",
    "_frozen_importlib_external", "_functools", "_gdbm", "_hashlib", "_heapq", "_imp", "_io",
    "_json", "_locale", "_lsprof", "_lzma", "_markupbase", "_md5", "_msi", "_multibytecodec",
    "_multiprocessing", "_opcode", "_operator", "_osx_support", "_overlapped", "_pickle",
    "_posixshmem", "_posixsubprocess", "_py_abc", "_pydecimal", "_pyio", "_queue", "_random",
    "_scproxy", "_sha1", "_sha256", "_sha3", "_sha512", "_signal", "_sitebuiltins", "_socket",
    "_sqlite3", "_sre", "_ssl", "_stat", "_statistics", "_string", "_strptime", "_struct",
    "_symtable", "_thread", "_threading_local", "_tkinter", "_tokenize", "_tracemalloc", "_typing",
    "_uuid", "_warnings", "_weakref", "_weakrefset", "_winapi", "_zoneinfo", "abc", "aifc",
    "antigravity", "argparse", "array", "ast", "asynchat", "asyncio", "asyncore", "atexit",
    "audioop", "base64", "bdb", "binascii", "binhex", "bisect", "builtins", "bz2", "cProfile",
    "calendar", "cgi", "cgitb", "chunk", "cmath", "cmd", "code", "codecs", "codeop", "collections",
    "colorsys", "compileall", "concurrent", "configparser", "contextlib", "contextvars", "copy",
    "copyreg", "crypt", "csv", "ctypes", "curses", "dataclasses", "datetime", "dbm", "decimal",
    "difflib", "dis", "distutils", "doctest", "dummy_threading", "email", "encodings", "ensurepip",
    "enum", "errno", "faulthandler", "fcntl", "filecmp", "fileinput", "fnmatch", "formatter",
    "fpectl", "fractions", "ftplib", "functools", "gc", "genericpath", "getopt", "getpass",
    "gettext", "glob", "graphlib", "grp", "gzip", "hashlib", "heapq", "hmac", "html", "http",
    "idlelib", "imaplib", "imghdr", "imp", "importlib", "inspect", "io", "ipaddress", "itertools",
    "json", "keyword", "lib2to3", "linecache", "locale", "logging", "lzma", "macpath", "mailbox",
    "mailcap", "marshal", "math", "mimetypes", "mmap", "modulefinder", "msilib", "msvcrt",
    "multiprocessing", "netrc", "nis", "nntplib", "nt", "ntpath", "nturl2path", "numbers",
    "opcode", "operator", "optparse", "os", "ossaudiodev", "parser", "pathlib", "pdb", "pickle",
    "pickletools", "pipes", "pkgutil", "platform", "plistlib", "poplib", "posix", "posixpath",
    "pprint", "profile", "pstats", "pty", "pwd", "py_compile", "pyclbr", "pydoc", "pydoc_data",
    "pyexpat", "queue", "quopri", "random", "re", "readline", "reprlib", "resource", "rlcompleter",
    "runpy", "sched", "secrets", "select", "selectors", "shelve", "shlex", "shutil", "signal",
    "site", "smtpd", "smtplib", "sndhdr", "socket", "socketserver", "spwd", "sqlite3", "sre",
    "sre_compile", "sre_constants", "sre_parse", "ssl", "stat", "statistics", "string",
    "stringprep", "struct", "subprocess", "sunau", "symbol", "symtable", "sys", "sysconfig",
    "syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "termios", "test", "textwrap",
    "this", "threading", "time", "timeit", "tkinter", "token", "tokenize", "tomllib", "trace",
    "traceback", "tracemalloc", "tty", "turtle", "turtledemo", "types", "typing", "unicodedata",
    "unittest", "urllib", "uu", "uuid", "venv", "warnings", "wave", "weakref", "webbrowser",
    "winreg", "winsound", "wsgiref", "xdrlib", "xml", "xmlrpc", "zipapp", "zipfile", "zipimport",
    "zlib", "zoneinfo",
};
/* clang-format on */

enum { SEC_FUTURE, SEC_STDLIB, SEC_THIRDPARTY, SEC_FIRSTPARTY, SEC_LOCAL };

typedef struct span {
    const char *s;
    size_t n;
} span;

typedef struct imp {
    span mod, name, alias, cmt; /* name.s NULL: `import mod` */
    int section, rank;
} imp;

typedef struct isort {
    const char *const *first_party;
    imp *v; /* in `all` */
    size_t n;
    bb_buf all;
} isort;

static int stdlib_cmp(const void *key, const void *elem)
{
    const span *k = key;
    const char *e = *(const char *const *)elem;
    size_t en = strlen(e), m = k->n < en ? k->n : en;
    int c = memcmp(k->s, e, m);
    return c ? c : (k->n > en) - (k->n < en);
}

/* Whether the span is the word w. */
static bool span_is(span a, const char *w)
{
    return strlen(w) == a.n && !memcmp(a.s, w, a.n);
}

static int section_of(const isort *is, span mod)
{
    span root = mod;
    const char *dot;
    if (mod.n && mod.s[0] == '.')
        return SEC_LOCAL;
    if ((dot = memchr(mod.s, '.', mod.n)))
        root.n = (size_t)(dot - mod.s);
    if (span_is(root, "__future__"))
        return SEC_FUTURE;
    for (const char *const *p = is->first_party; *p; p++)
        if (span_is(root, *p))
            return SEC_FIRSTPARTY;
    if (bsearch(&root, stdlib_modules, sizeof(stdlib_modules) / sizeof(stdlib_modules[0]),
                sizeof(stdlib_modules[0]), stdlib_cmp))
        return SEC_STDLIB;
    return SEC_THIRDPARTY;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Compares as isort does: case-insensitively, and "naturally" (runs of
 * digits by value, so t9 comes before t10). */
static int lower_cmp(span a, span b)
{
    size_t i = 0, j = 0;
    for (;;) {
        bool da = i < a.n && a.s[i] >= '0' && a.s[i] <= '9';
        bool db = j < b.n && b.s[j] >= '0' && b.s[j] <= '9';
        if (da && db) {
            size_t p = i, q = j, np, nq;
            int c;
            while (p < a.n && a.s[p] == '0')
                p++;
            while (q < b.n && b.s[q] == '0')
                q++;
            for (np = 0; p + np < a.n && a.s[p + np] >= '0' && a.s[p + np] <= '9'; np++)
                ;
            for (nq = 0; q + nq < b.n && b.s[q + nq] >= '0' && b.s[q + nq] <= '9'; nq++)
                ;
            if (np != nq)
                return np < nq ? -1 : 1;
            if ((c = memcmp(a.s + p, b.s + q, np)))
                return c;
            i = p + np;
            j = q + nq;
            continue;
        }
        int cx = i < a.n ? lower((unsigned char)a.s[i]) : 0;
        int cy = j < b.n ? lower((unsigned char)b.s[j]) : 0;
        if (cx != cy || !cx)
            return cx - cy;
        i++;
        j++;
    }
}

/* isort's order_by_type: CONSTANTS, then Classes, then the rest. */
static int name_rank(span n)
{
    bool upper = false;
    for (size_t i = 0; i < n.n; i++) {
        if (n.s[i] >= 'a' && n.s[i] <= 'z')
            return n.s[0] >= 'A' && n.s[0] <= 'Z' ? 1 : 2;
        upper |= n.s[i] >= 'A' && n.s[i] <= 'Z';
    }
    if (upper && n.n > 1)
        return 0;
    return n.n && n.s[0] >= 'A' && n.s[0] <= 'Z' ? 1 : 2;
}

static int span_cmp(span a, span b)
{
    size_t m = a.n < b.n ? a.n : b.n;
    int c = m ? memcmp(a.s, b.s, m) : 0;
    return c ? c : (a.n > b.n) - (a.n < b.n);
}

/* Same rank: case-insensitively, then as bytes. */
static int ranked_cmp(span p, span q)
{
    if (p.n == q.n && (!p.n || !memcmp(p.s, q.s, p.n)))
        return 0; /* the names of one module share it: no need to walk it */
    int c = lower_cmp(p, q);
    return c ? c : span_cmp(p, q);
}

static int opt_cmp(span a, span b)
{
    if (!a.s || !b.s)
        return (a.s != NULL) - (b.s != NULL);
    return ranked_cmp(a, b);
}

static int import_cmp(const void *x, const void *y)
{
    const imp *p = x, *q = y;
    int c = p->section - q->section;
    if (c)
        return c;
    if (!p->name.s != !q->name.s)
        return p->name.s ? 1 : -1; /* `import x` before `from x import y` */
    if ((c = ranked_cmp(p->mod, q->mod)))
        return c;
    if (!p->name.s)
        return opt_cmp(p->alias, q->alias);
    /* a module's commented lines, its star, then its names in order; an
     * `as` name breaks the line of the plain names around it */
    if ((c = (q->cmt.s != NULL) - (p->cmt.s != NULL)))
        return c;
    if ((c = opt_cmp(p->cmt, q->cmt)))
        return c;
    if (p->rank != q->rank)
        return p->rank - q->rank;
    if ((c = ranked_cmp(p->name, q->name)))
        return c;
    return opt_cmp(p->alias, q->alias);
}

static bool span_eq(span a, span b)
{
    return a.n == b.n && (a.s != NULL) == (b.s != NULL) && (!a.n || !memcmp(a.s, b.s, a.n));
}

static int add_import(isort *is, span mod, span name, span alias, span cmt)
{
    imp *m;
    int rc = bb_buf_reserve(&is->all, sizeof(imp));
    if (rc)
        return rc;
    is->all.len += sizeof(imp);
    is->v = (imp *)(void *)is->all.data;
    m = &is->v[is->n++];
    m->mod = mod;
    m->name = name;
    m->alias = alias;
    m->cmt = cmt;
    /* the names of `from m import a, b` share the module's section */
    m->section = is->n > 1 && span_eq(m[-1].mod, mod) ? m[-1].section : section_of(is, mod);
    m->rank = name.s ? (name.n == 1 && name.s[0] == '*' ? -1 : name_rank(name)) : 0;
    return BB_OK;
}

/* A cursor over the text of an import statement. */
typedef struct icur {
    const char *s;
    size_t i, n;
    span cmt;
} icur;

/* Skips blanks, line breaks inside parentheses and comments (keeping the
 * first comment). */
static void iskip(icur *c, bool in_parens)
{
    while (c->i < c->n) {
        char ch = c->s[c->i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || (in_parens && ch == '\n')) {
            c->i++;
        } else if (ch == '\\' && c->i + 1 < c->n && c->s[c->i + 1] == '\n') {
            c->i += 2;
        } else if (ch == '#') {
            size_t st = c->i;
            while (c->i < c->n && c->s[c->i] != '\n')
                c->i++;
            if (!c->cmt.s) {
                size_t e = c->i;
                while (e > st && (c->s[e - 1] == ' ' || c->s[e - 1] == '\t' || c->s[e - 1] == '\r'))
                    e--;
                c->cmt.s = c->s + st;
                c->cmt.n = e - st;
            }
        } else {
            break;
        }
    }
}

/* A dotted name (or relative dots) at the cursor. */
static span idotted(icur *c, bool in_parens)
{
    span r = {c->s + c->i, 0};
    while (c->i < c->n && (bb_pyline_is_name_byte((unsigned char)c->s[c->i]) || c->s[c->i] == '.'))
        c->i++;
    r.n = (size_t)(c->s + c->i - r.s);
    iskip(c, in_parens);
    return r;
}

static bool iword(icur *c, const char *w, bool in_parens)
{
    size_t k = strlen(w);
    if (c->i + k <= c->n && !memcmp(c->s + c->i, w, k) &&
        (c->i + k == c->n || !bb_pyline_is_name_byte((unsigned char)c->s[c->i + k]))) {
        c->i += k;
        iskip(c, in_parens);
        return true;
    }
    return false;
}

/* `import a.b as c, d` at the cursor. */
static int parse_import_names(isort *is, icur *c)
{
    span none = {NULL, 0};
    size_t first = is->n;
    int rc;
    for (;;) {
        span mod = idotted(c, false), alias = none;
        if (!mod.n)
            return CANNOT;
        if (iword(c, "as", false) && !(alias = idotted(c, false)).n)
            return CANNOT;
        if ((rc = add_import(is, mod, none, alias, none)))
            return rc;
        if (c->i < c->n && c->s[c->i] == ',') {
            c->i++;
            iskip(c, false);
            continue;
        }
        break;
    }
    /* a comment stays with the module written first, as in isort */
    if (c->cmt.s && is->n > first)
        is->v[first].cmt = c->cmt;
    return BB_OK;
}

/* `from m import (a as b, c)` after the `from`. */
static int parse_from(isort *is, icur *c)
{
    span none = {NULL, 0}, mod = idotted(c, false);
    bool paren = false;
    size_t first = is->n;
    int rc;
    if (!mod.n || !iword(c, "import", false))
        return CANNOT;
    if (c->i < c->n && c->s[c->i] == '(') {
        paren = true;
        c->i++;
        iskip(c, true);
    }
    for (;;) {
        span name, alias = none, stmt_cmt = c->cmt;
        if (paren && c->i < c->n && c->s[c->i] == ')') {
            c->i++;
            iskip(c, false);
            break;
        }
        c->cmt = none;
        if (c->i < c->n && c->s[c->i] == '*') {
            name.s = c->s + c->i++;
            name.n = 1;
            iskip(c, paren);
        } else {
            name = idotted(c, paren);
        }
        if (!name.n)
            return CANNOT;
        if (iword(c, "as", paren) && !(alias = idotted(c, paren)).n)
            return CANNOT;
        if ((rc = add_import(is, mod, name, alias, none)))
            return rc;
        bool comma = c->i < c->n && c->s[c->i] == ',';
        if (comma) {
            c->i++;
            iskip(c, paren);
        }
        /* In parentheses, a comment on a name's line is that name's (isort
         * keeps the name on a line of its own with it). */
        if (paren && c->cmt.s && !memchr(name.s, '\n', (size_t)(c->cmt.s - name.s)))
            is->v[is->n - 1].cmt = c->cmt;
        else if (!stmt_cmt.s)
            stmt_cmt = c->cmt;
        c->cmt = stmt_cmt;
        if (comma)
            continue;
        if (!paren)
            break;
        if (!(c->i < c->n && c->s[c->i] == ')'))
            return CANNOT;
    }
    /* a comment stays with the names of its statement */
    for (size_t k = first; c->cmt.s && k < is->n; k++)
        if (!is->v[k].cmt.s)
            is->v[k].cmt = c->cmt;
    return BB_OK;
}

/* Parses the import statement at s[*pos] (column 0); *pos moves past it.
 * CANNOT when it is not one this pass rewrites (the block ends there). */
static int parse_import(isort *is, const char *s, size_t n, size_t *pos)
{
    icur c = {s, *pos, n, {NULL, 0}};
    size_t mark_n = is->n;
    int rc;
    if (iword(&c, "import", false))
        rc = parse_import_names(is, &c);
    else if (iword(&c, "from", false))
        rc = parse_from(is, &c);
    else
        rc = CANNOT;
    if (!rc && c.i < n && s[c.i] != '\n')
        rc = CANNOT;
    if (rc) {
        is->n = mark_n;
        is->all.len = mark_n * sizeof(imp);
        return rc;
    }
    *pos = c.i < n ? c.i + 1 : n;
    return BB_OK;
}

static bool same_import(const imp *a, const imp *b)
{
    return a->section == b->section && span_eq(a->mod, b->mod) && span_eq(a->name, b->name) &&
           span_eq(a->alias, b->alias) && span_eq(a->cmt, b->cmt);
}

static int put_span(bb_buf *b, span s)
{
    return bb_buf_append(b, s.s, s.n);
}

static int put_name(bb_buf *b, const imp *m)
{
    int rc = put_span(b, m->name);
    if (!rc && m->alias.s && !(rc = bb_buf_puts(b, " as ")))
        rc = put_span(b, m->alias);
    return rc;
}

static int put_comment(bb_buf *b, span cmt)
{
    int rc = BB_OK;
    if (cmt.s && !(rc = bb_buf_puts(b, "  ")))
        rc = put_span(b, cmt);
    return rc;
}

/* `from mod import` the names v[0..k), in parentheses one a line when the
 * line would be too long (isort's vertical hanging indent). */
static int put_from(bb_buf *b, const imp *v, size_t k, unsigned ll)
{
    size_t w = 5 + bb_pyline_width(v[0].mod.s, v[0].mod.n) + 8;
    int rc;
    for (size_t j = 0; j < k; j++) {
        w += bb_pyline_width(v[j].name.s, v[j].name.n) + (j ? 2 : 0);
        if (v[j].alias.s)
            w += 4 + bb_pyline_width(v[j].alias.s, v[j].alias.n);
    }
    if (v[0].cmt.s)
        w += 2 + bb_pyline_width(v[0].cmt.s, v[0].cmt.n);
    if ((rc = bb_buf_puts(b, "from ")) || (rc = put_span(b, v[0].mod)) ||
        (rc = bb_buf_puts(b, " import ")))
        return rc;
    if (w <= ll) {
        for (size_t j = 0; j < k && !rc; j++)
            if (!(j && (rc = bb_buf_puts(b, ", "))))
                rc = put_name(b, &v[j]);
        if (rc || (rc = put_comment(b, v[0].cmt)))
            return rc;
        return bb_buf_putc(b, '\n');
    }
    if ((rc = bb_buf_putc(b, '(')) || (rc = put_comment(b, v[0].cmt)) ||
        (rc = bb_buf_putc(b, '\n')))
        return rc;
    for (size_t j = 0; j < k; j++)
        if ((rc = bb_buf_puts(b, "    ")) || (rc = put_name(b, &v[j])) ||
            (rc = bb_buf_puts(b, ",\n")))
            return rc;
    return bb_buf_puts(b, ")\n");
}

static int put_straight(bb_buf *b, const imp *m)
{
    int rc;
    if ((rc = bb_buf_puts(b, "import ")) || (rc = put_span(b, m->mod)))
        return rc;
    if (m->alias.s && ((rc = bb_buf_puts(b, " as ")) || (rc = put_span(b, m->alias))))
        return rc;
    if ((rc = put_comment(b, m->cmt)))
        return rc;
    return bb_buf_putc(b, '\n');
}

/* Whether the name of v[i] is imported again from its module `as` a name. */
static bool aliased_next(const isort *is, size_t i)
{
    return i + 1 < is->n && is->v[i + 1].alias.s && is->v[i + 1].name.s &&
           span_eq(is->v[i + 1].mod, is->v[i].mod) && span_eq(is->v[i + 1].name, is->v[i].name);
}

static int put_imports(bb_buf *b, isort *is, unsigned ll)
{
    size_t i = 0, w = 0;
    int last_section = -1, rc = BB_OK;
    if (is->n)
        qsort(is->v, is->n, sizeof(imp), import_cmp);
    for (size_t k = 0; k < is->n; k++) /* drop repeats */
        if (!w || !same_import(&is->v[w - 1], &is->v[k]))
            is->v[w++] = is->v[k];
    is->n = w;
    is->all.len = w * sizeof(imp);
    while (!rc && i < is->n) {
        const imp *m = &is->v[i];
        size_t k = i + 1;
        if (last_section >= 0 && m->section != last_section && (rc = bb_buf_putc(b, '\n')))
            break;
        last_section = m->section;
        if (!m->name.s) {
            rc = put_straight(b, m);
            i++;
            continue;
        }
        /* the names that share this line: same module and comment, no `as`
         * (a name also imported `as` something stands alone, as in isort) */
        if (!m->alias.s && m->rank >= 0 && !aliased_next(is, i))
            while (k < is->n && is->v[k].name.s && span_eq(is->v[k].mod, m->mod) &&
                   span_eq(is->v[k].cmt, m->cmt) && !is->v[k].alias.s && is->v[k].rank >= 0 &&
                   !aliased_next(is, k))
                k++;
        rc = put_from(b, m, k - i, ll);
        i = k;
    }
    return rc;
}

/* The offset after the physical line at pos (after its newline). */
static size_t line_end(const char *s, size_t n, size_t pos)
{
    const char *e = memchr(s + pos, '\n', n - pos);
    return e ? (size_t)(e - s) + 1 : n;
}

static bool blank_line(const char *s, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f')
            return false;
    return true;
}

static bool is_import_line(const char *s, size_t n, size_t pos)
{
    return starts_word(s + pos, n - pos, "import") || starts_word(s + pos, n - pos, "from");
}

/* isort's lines_after_imports: two before a def, class or decorator (past
 * comments), else one. */
static int lines_after_imports(const char *t, size_t n, size_t rest)
{
    while (rest < n && t[rest] == '#')
        rest = line_end(t, n, rest);
    if (rest < n &&
        (starts_word(t + rest, n - rest, "def") || starts_word(t + rest, n - rest, "class") ||
         starts_word(t + rest, n - rest, "async") || t[rest] == '@'))
        return 2;
    return 1;
}

/* The spaces that indent the line at pos. */
static size_t indent_of(const char *s, size_t n, size_t pos)
{
    size_t k = pos;
    while (k < n && s[k] == ' ')
        k++;
    return k - pos;
}

/* The sorted imports, each line indented by ind spaces (lines between
 * sections stay empty). */
static int put_indented(bb_buf *out, isort *is, size_t ind, unsigned ll)
{
    bb_buf b;
    int rc;
    if (!ind)
        return put_imports(out, is, ll);
    bb_buf_init(&b, out->max);
    rc = put_imports(&b, is, ll > ind ? ll - (unsigned)ind : 1);
    for (size_t p = 0; !rc && p < b.len;) {
        size_t e = line_end(b.data, b.len, p);
        if (e - p > 1)
            rc = bb_buf_fill(out, ' ', ind);
        if (!rc)
            rc = bb_buf_append(out, b.data + p, e - p);
        p = e;
    }
    bb_buf_free(&b);
    return rc;
}

/*
 * The block of imports whose first line starts at t[pos], indented by ind:
 * the import statements at that indent, blank lines between them allowed.
 * Appends it sorted to out; *next is where the text after it starts. A
 * block at the top level is followed by isort's lines_after_imports (its
 * blank lines replaced); an indented one by what followed it. CANNOT when
 * its first statement is not one isort would read.
 */
static int sort_block(isort *is, const char *t, size_t n, size_t pos, size_t ind, unsigned ll,
                      bb_buf *out, size_t *next)
{
    size_t p = pos, rest = pos;
    int rc;
    is->n = 0;
    is->all.len = 0;
    while (p < n) {
        size_t e = line_end(t, n, p), q = p + ind;
        if (blank_line(t, p, e)) {
            p = e;
            continue;
        }
        if (indent_of(t, n, p) != ind || !is_import_line(t, n, q))
            break;
        if ((rc = parse_import(is, t, n, &q)) == CANNOT)
            break;
        if (rc)
            return rc;
        p = rest = q;
    }
    if (rest == pos)
        return CANNOT;
    if ((rc = put_indented(out, is, ind, ll)))
        return rc;
    if (!ind) {
        while (rest < n && blank_line(t, rest, line_end(t, n, rest)))
            rest = line_end(t, n, rest);
        if (rest < n)
            rc = bb_buf_fill(out, '\n', (size_t)lines_after_imports(t, n, rest));
    }
    *next = rest;
    return rc;
}

/* The isort pass: t (the Black pass's output) into out. Every block of
 * imports is sorted where it stands, as isort 5 sorts them: the one at the
 * top, later ones, and those inside a def, class, if or try. */
int bb_pyimports_sort(const char *t, size_t n, const char *const *first_party, unsigned ll,
                      const size_t *import_at, size_t n_import_at, bb_buf *out)
{
    isort is = {first_party, NULL, 0, {NULL, 0, 0, 0}};
    size_t copied = 0;
    int rc = BB_OK;
    bb_buf_init(&is.all, out->max);
    for (size_t k = 0; !rc && k < n_import_at; k++) {
        size_t pos = import_at[k], next;
        if (pos < copied)
            continue; /* in a block sorted already */
        if ((rc = bb_buf_append(out, t + copied, pos - copied)))
            break;
        copied = pos;
        rc = sort_block(&is, t, n, pos, indent_of(t, n, pos), ll, out, &next);
        if (rc == CANNOT) /* the statement stays as it is */
            rc = BB_OK;
        else if (!rc)
            copied = next;
    }
    if (!rc)
        rc = bb_buf_append(out, t + copied, n - copied);
    bb_buf_free(&is.all);
    return rc;
}
