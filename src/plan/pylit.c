/*
 * pylit.c - Python literals, docstrings, comments and identifiers from user
 * strings, and Black-style wrapping of one logical line.
 */
#include "plan/pylit.h"

#include "plan/pyline.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n, i;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    for (i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    /* Overlong forms, surrogates and code points past U+10FFFF. */
    if (c == 0xE0 && s[1] < 0xA0)
        return 0;
    if (c == 0xED && s[1] >= 0xA0)
        return 0;
    if (c == 0xF0 && s[1] < 0x90)
        return 0;
    if (c == 0xF4 && s[1] >= 0x90)
        return 0;
    return n;
}

/* indent spaces, as printf's "%*s" pads "" (a negative width counts too). */
static int put_spaces(bb_buf *out, int indent)
{
    return bb_buf_fill(out, ' ', indent < 0 ? 0U - (size_t)indent : (size_t)indent);
}

/*
 * Appends the character at *p escaped for a string literal body (the quote
 * escaping is the caller's) and advances *p. Control characters use the
 * short escapes Python knows, else \xNN; invalid UTF-8 becomes U+FFFD.
 */
static int put_char_escaped(bb_buf *out, const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    size_t n;
    if (*s == '\\') {
        *p += 1;
        return bb_buf_puts(out, "\\\\");
    }
    if (*s == '\n' || *s == '\t' || *s == '\r') {
        *p += 1;
        return bb_buf_puts(out, *s == '\n' ? "\\n" : *s == '\t' ? "\\t" : "\\r");
    }
    if (*s < 0x20 || *s == 0x7F) {
        *p += 1;
        return bb_buf_printf(out, "\\x%02x", *s);
    }
    n = utf8_len(s);
    if (n == 0) {
        *p += 1;
        return bb_buf_puts(out, "\xEF\xBF\xBD");
    }
    *p += n;
    return bb_buf_append(out, s, n);
}

int bb_pylit_str(bb_buf *out, const char *s)
{
    size_t n_double = 0, n_single = 0;
    const char *p;
    char q;
    int rc;
    if (!s)
        s = "";
    for (p = s; *p; p++) {
        n_double += *p == '"';
        n_single += *p == '\'';
    }
    /* Black keeps double quotes unless they need more escapes. */
    q = n_double > n_single ? '\'' : '"';
    if ((rc = bb_buf_putc(out, q)))
        return rc;
    for (p = s; *p;) {
        /* A run of printable ASCII that needs no escape goes in at once. */
        const char *run = p;
        while (*p >= 0x20 && *p < 0x7F && *p != '\\' && *p != q)
            p++;
        if (p > run && (rc = bb_buf_append(out, run, (size_t)(p - run))))
            return rc;
        if (!*p)
            break;
        if (*p == q) {
            if ((rc = bb_buf_putc(out, '\\')) || (rc = bb_buf_putc(out, q)))
                return rc;
            p++;
            continue;
        }
        if ((rc = put_char_escaped(out, &p)))
            return rc;
    }
    return bb_buf_putc(out, q);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

/* One docstring line: escapes what could end or break the literal. */
static int put_docstring_line(bb_buf *out, const char *s, size_t n, bool first, bool last)
{
    const char *p = s, *end = s + n;
    int rc;
    while (p < end) {
        if (*p == '"') {
            /* A quote followed by another one, opening or closing the
             * docstring is escaped, so no three unescaped quotes ever meet
             * and Black has no reason to pad the text. */
            bool escape =
                (p + 1 < end && p[1] == '"') || (last && p + 1 == end) || (first && p == s);
            if ((rc = bb_buf_puts(out, escape ? "\\\"" : "\"")))
                return rc;
            p++;
            continue;
        }
        if (*p == '\n' || *p == '\r') {
            p++; /* cannot happen: lines are split on these */
            continue;
        }
        /* Keep NULs and line ends out: put_char_escaped stops at NUL. */
        if ((rc = put_char_escaped(out, &p)))
            return rc;
    }
    if (last && n > 0 && end[-1] == '"')
        return bb_buf_putc(out, ' '); /* as Black pads a trailing quote */
    return BB_OK;
}

typedef struct line_span {
    const char *s;
    size_t n;
} line_span;

/* The next line of text at *p (without its line break), trimmed at the end. */
static bool next_line(const char **p, line_span *ln)
{
    const char *s = *p, *e;
    if (!*s)
        return false;
    e = s;
    while (*e && *e != '\n' && *e != '\r')
        e++;
    ln->s = s;
    ln->n = (size_t)(e - s);
    while (ln->n > 0 && is_blank(ln->s[ln->n - 1]))
        ln->n--;
    if (*e == '\r' && e[1] == '\n')
        e++;
    *p = *e ? e + 1 : e;
    return true;
}

static size_t leading_blanks(line_span ln)
{
    size_t i = 0;
    while (i < ln.n && is_blank(ln.s[i]))
        i++;
    return i;
}

int bb_pylit_docstring(bb_buf *out, const char *s, int indent)
{
    const char *p;
    line_span ln;
    size_t n_lines = 0, first = (size_t)-1, last = 0, i, dedent = (size_t)-1;
    int rc;
    if (!s)
        return BB_OK;
    /* Count lines, find the first and last non-blank ones and the common
     * indentation of the lines after the first (as inspect.cleandoc). */
    for (p = s; next_line(&p, &ln); n_lines++) {
        size_t lead = leading_blanks(ln);
        if (lead == ln.n)
            continue;
        if (first == (size_t)-1)
            first = n_lines;
        else if (lead < dedent)
            dedent = lead;
        last = n_lines;
    }
    if (first == (size_t)-1)
        return BB_OK;
    if (dedent == (size_t)-1)
        dedent = 0;
    if ((rc = put_spaces(out, indent)) || (rc = bb_buf_puts(out, "\"\"\"")))
        return rc;
    for (p = s, i = 0; next_line(&p, &ln); i++) {
        size_t cut;
        if (i < first || i > last)
            continue;
        cut = i == first ? leading_blanks(ln) : (dedent < ln.n ? dedent : ln.n);
        if (i != first) {
            if ((rc = bb_buf_putc(out, '\n')))
                return rc;
            if (ln.n > cut && (rc = put_spaces(out, indent)))
                return rc;
        }
        if ((rc = put_docstring_line(out, ln.s + cut, ln.n - cut, i == first,
                                     i == last && first == last)))
            return rc;
    }
    if (first != last) {
        if ((rc = bb_buf_putc(out, '\n')) || (rc = put_spaces(out, indent)))
            return rc;
        return bb_buf_puts(out, "\"\"\"\n");
    }
    return bb_buf_puts(out, "\"\"\"\n");
}

int bb_pylit_comment(bb_buf *out, const char *s)
{
    bool pending_space = false, any = false;
    const char *p = s ? s : "";
    int rc;
    while (*p) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7F) {
            pending_space = any;
            p++;
            continue;
        }
        if (pending_space && (rc = bb_buf_putc(out, ' ')))
            return rc;
        pending_space = false;
        any = true;
        size_t n = utf8_len((const unsigned char *)p);
        if (n == 0) {
            if ((rc = bb_buf_puts(out, "\xEF\xBF\xBD")))
                return rc;
            p++;
            continue;
        }
        if ((rc = bb_buf_append(out, p, n)))
            return rc;
        p += n;
    }
    return BB_OK;
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}
static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}
static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static int is_alnum(char c)
{
    return is_upper(c) || is_lower(c) || is_digit(c);
}
static char to_lower(char c)
{
    return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}
static char to_upper(char c)
{
    return is_lower(c) ? (char)(c - 'a' + 'A') : c;
}

int bb_pylit_snake(bb_buf *out, const char *s)
{
    size_t i, n = s ? strlen(s) : 0;
    bool sep = false; /* an underscore is owed before the next word */
    size_t start = out->len;
    int rc;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!is_alnum(c)) {
            sep = out->len > start;
            continue;
        }
        /* A word starts at an upper-case letter after a lower-case letter or
         * digit, or before a lower-case one inside an acronym (HTTPServer). */
        if (is_upper(c) && i > 0 && out->len > start &&
            (is_lower(s[i - 1]) || is_digit(s[i - 1]) ||
             (is_upper(s[i - 1]) && i + 1 < n && is_lower(s[i + 1]))))
            sep = true;
        if (sep && (rc = bb_buf_putc(out, '_')))
            return rc;
        sep = false;
        if ((rc = bb_buf_putc(out, to_lower(c))))
            return rc;
    }
    return BB_OK;
}

int bb_pylit_capwords(bb_buf *out, const char *s)
{
    bool up = true;
    int rc;
    for (; s && *s; s++) {
        if (!is_alnum(*s)) {
            up = true;
            continue;
        }
        if ((rc = bb_buf_putc(out, up ? to_upper(*s) : *s)))
            return rc;
        up = false;
    }
    return BB_OK;
}

/*
 * The ASCII letters of a common accented Latin letter (U+00C0..U+017F) that
 * starts at p, NULL when it is none; *len is its length in bytes.
 */
static const char *const latin1_ascii[64] = {
    "A", "A", "A", "A", "A", "A", "AE", "C",  "E", "E", "E", "E", "I", "I", "I",  "I",
    "D", "N", "O", "O", "O", "O", "O",  NULL, "O", "U", "U", "U", "U", "Y", "TH", "SS",
    "a", "a", "a", "a", "a", "a", "ae", "c",  "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  NULL, "o", "u", "u", "u", "u", "y", "th", "y"};

static const char latin_ext_ascii[] =
    "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSs"
    "SsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

static const char *ascii_of_latin(const char *p, size_t *len, char one[2])
{
    const unsigned char *u = (const unsigned char *)p;
    unsigned cp;
    if ((u[0] & 0xE0) != 0xC0 || (u[1] & 0xC0) != 0x80)
        return NULL;
    cp = ((unsigned)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
    *len = 2;
    if (cp >= 0xC0 && cp <= 0xFF)
        return latin1_ascii[cp - 0xC0];
    if (cp == 0x132 || cp == 0x133)
        return "IJ";
    if (cp == 0x152 || cp == 0x153)
        return "OE";
    if (cp >= 0x100 && cp <= 0x17F) {
        one[0] = latin_ext_ascii[cp - 0x100];
        one[1] = '\0';
        return one;
    }
    return NULL;
}

int bb_pylit_constant(bb_buf *out, const char *s)
{
    size_t start = out->len;
    bool sep = false;
    int rc;
    while (s && *s) {
        size_t len = 1;
        const char *ascii = NULL;
        char one[2];
        if ((unsigned char)*s >= 0x80)
            ascii = ascii_of_latin(s, &len, one);
        else if (is_alnum(*s))
            ascii = s;
        if (!ascii) {
            /* Other characters separate words; a multi-byte one whole. */
            sep = out->len > start;
            s++;
            while ((*s & 0xC0) == 0x80)
                s++;
            continue;
        }
        for (size_t i = 0; i < (ascii == s ? 1 : strlen(ascii)); i++) {
            if (out->len == start && is_digit(ascii[i]) && (rc = bb_buf_puts(out, "V_")))
                return rc;
            if (sep && (rc = bb_buf_putc(out, '_')))
                return rc;
            sep = false;
            if ((rc = bb_buf_putc(out, to_upper(ascii[i]))))
                return rc;
        }
        s += len;
    }
    return BB_OK;
}

/* ---- Black-style wrapping of one logical line ---------------------------- */

int bb_pylit_wrap(bb_buf *out, int indent, const char *line, bool import)
{
    size_t n = strlen(line);
    /* An item of an exploded call ends with its comma at depth 0. */
    bool item = n > 0 && line[n - 1] == ',';
    bb_pyline *p = bb_pyline_new(BB_PY_LINE);
    int rc;
    (void)import; /* Black splits a long from-import as isort's black profile does */
    if (!p)
        return BB_ENOMEM;
    rc = bb_pyline_format(p, out, line, n, indent, item);
    bb_pyline_free(p);
    return rc;
}
