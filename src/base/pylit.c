/*
 * pylit.c - Python literals, docstrings, comments and identifiers from user
 * strings, and Black-style wrapping of one logical line.
 */
#include "base/pylit.h"

#include "base/utf8.h"

#include <string.h>

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
    n = bb_utf8_len(s);
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
        size_t n = bb_utf8_len((const unsigned char *)p);
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

/* Skips the string literal starting at s[i] (a quote); returns the index
 * just after it. Handles prefixes by being called at the quote itself. */
static size_t skip_string(const char *s, size_t n, size_t i)
{
    char q = s[i];
    bool triple = i + 2 < n && s[i + 1] == q && s[i + 2] == q;
    i += triple ? 3 : 1;
    while (i < n) {
        if (s[i] == '\\') {
            i += 2;
            continue;
        }
        if (s[i] == q) {
            if (!triple)
                return i + 1;
            if (i + 2 < n && s[i + 1] == q && s[i + 2] == q)
                return i + 3;
        }
        i++;
    }
    return n;
}

static bool is_open(char c)
{
    return c == '(' || c == '[' || c == '{';
}
static bool is_close(char c)
{
    return c == ')' || c == ']' || c == '}';
}

/* What the scanners below stop at; every other byte is skipped in a tight
 * loop (the lines are mostly names and blanks). */
enum { CH_PLAIN, CH_QUOTE, CH_OPEN, CH_CLOSE, CH_COMMA, CH_EQUALS };
static const unsigned char char_class[256] = {
    ['"'] = CH_QUOTE, ['\''] = CH_QUOTE, ['('] = CH_OPEN,  ['['] = CH_OPEN,  ['{'] = CH_OPEN,
    [')'] = CH_CLOSE, [']'] = CH_CLOSE,  ['}'] = CH_CLOSE, [','] = CH_COMMA, ['='] = CH_EQUALS,
};

/* The index of the next byte of s[i..n) the scanners look at, or n. */
static size_t next_special(const char *s, size_t i, size_t n)
{
    while (i < n && char_class[(unsigned char)s[i]] == CH_PLAIN)
        i++;
    return i;
}

/*
 * Finds the bracket pair to split at: the last pair at depth 0 whose
 * contents are not empty (Black moves past empty trailers like `.all()`).
 * Returns false when the line has none.
 */
static bool find_split(const char *s, size_t n, size_t *open, size_t *close)
{
    size_t i = 0, depth = 0, cur_open = 0;
    bool found = false;
    while ((i = next_special(s, i, n)) < n) {
        switch (char_class[(unsigned char)s[i]]) {
        case CH_QUOTE:
            i = skip_string(s, n, i);
            continue;
        case CH_OPEN:
            if (depth == 0)
                cur_open = i;
            depth++;
            break;
        case CH_CLOSE:
            if (depth > 0 && --depth == 0 && i > cur_open + 1) {
                *open = cur_open;
                *close = i;
                found = true;
            }
            break;
        default:
            break;
        }
        i++;
    }
    return found;
}

/* Trims blanks at both ends of s[*a..*b). */
static void trim(const char *s, size_t *a, size_t *b)
{
    while (*a < *b && s[*a] == ' ')
        (*a)++;
    while (*b > *a && s[*b - 1] == ' ')
        (*b)--;
}

static int wrap_span(bb_buf *out, int indent, const char *s, size_t n, size_t trailer);

/* s[0..n) at indent spaces. */
static int put_indent(bb_buf *out, int indent, const char *s, size_t n)
{
    int rc = put_spaces(out, indent);
    return rc ? rc : bb_buf_append(out, s, n);
}

/* The index of the next byte of class cls (CH_COMMA, CH_EQUALS) outside
 * strings and brackets in s[i..b), or b. */
static size_t next_top(const char *s, size_t i, size_t b, int cls)
{
    size_t depth = 0;
    while ((i = next_special(s, i, b)) < b) {
        int c = char_class[(unsigned char)s[i]];
        if (c == CH_QUOTE) {
            i = skip_string(s, b, i);
            continue;
        }
        if (c == CH_OPEN)
            depth++;
        else if (c == CH_CLOSE && depth > 0)
            depth--;
        else if (c == cls && depth == 0)
            return i;
        i++;
    }
    return b;
}

/* Emits the items of s[a..b) (split at depth-0 commas) one per line. */
static int wrap_items(bb_buf *out, int indent, const char *s, size_t a, size_t b)
{
    size_t start = a;
    int rc;
    while (start < b) {
        size_t end = next_top(s, start, b, CH_COMMA), x = start, y = end;
        trim(s, &x, &y);
        if (y > x && (size_t)indent + (y - x) + 1 <= BB_PY_LINE) {
            /* The item fits with its comma (wrap_span's first case). */
            if ((rc = put_indent(out, indent, s + x, y - x)) || (rc = bb_buf_puts(out, ",\n")))
                return rc;
        } else if (y > x) {
            if ((rc = wrap_span(out, indent, s + x, y - x, 1)))
                return rc;
            /* wrap_span ended the line: put the comma before it. */
            out->len--;
            if ((rc = bb_buf_puts(out, ",\n")))
                return rc;
        }
        start = end + 1;
    }
    return BB_OK;
}

/* Whether s[a..b) holds a comma at depth 0 (a trailing one does not count:
 * it is how a one-item tuple is written). */
static bool has_top_comma(const char *s, size_t a, size_t b)
{
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == ','))
        b--;
    return next_top(s, a, b, CH_COMMA) < b;
}

/*
 * Whether the bracket at s[open] starts a display (a list, dict, set or
 * tuple literal) rather than a call or a subscript: Black always puts the
 * items of a display that must be split one per line.
 */
static bool is_display(const char *s, size_t open)
{
    char c = open ? s[open - 1] : ' ';
    /* A name or a closing bracket right before it: a call or subscript. */
    return !(c == '_' || c == ')' || c == ']' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
             (c >= 'A' && c <= 'Z'));
}

/* The first bracket pair at depth 0: a def's parameters, where Black
 * splits a def (left_hand_split) whatever its return annotation holds. */
static bool find_first_split(const char *s, size_t n, size_t *open, size_t *close)
{
    size_t i = 0, depth = 0;
    while (i < n) {
        char c = s[i];
        if (c == '"' || c == '\'') {
            i = skip_string(s, n, i);
            continue;
        }
        if (is_open(c) && depth++ == 0)
            *open = i;
        else if (is_close(c) && depth > 0 && --depth == 0) {
            *close = i;
            return true;
        }
        i++;
    }
    return false;
}

/* Where the right-hand side of a top-level assignment (` = `) starts in
 * s[0..n), or 0 when the line is not one. */
static size_t assignment_rhs(const char *s, size_t n)
{
    /* The '=' of ` = ` has a space on either side. */
    for (size_t i = 0; (i = next_top(s, i, n, CH_EQUALS)) + 1 < n; i++)
        if (i > 0 && s[i - 1] == ' ' && s[i + 1] == ' ')
            return i + 2;
    return 0;
}

/*
 * A bracket-free expression that does not fit: inside brackets Black splits
 * it before a top-level comparison (`a.b\n== c`); anything else stays whole.
 */
static int wrap_comparison(bb_buf *out, int indent, const char *s, size_t n)
{
    size_t i = 0;
    int rc;
    while (i + 4 <= n) {
        if (s[i] == '"' || s[i] == '\'') {
            i = skip_string(s, n, i);
            continue;
        }
        if (!strncmp(s + i, " == ", 4) && indent > 0) {
            if ((rc = put_indent(out, indent, s, i)) || (rc = bb_buf_putc(out, '\n')) ||
                (rc = put_indent(out, indent, s + i + 1, n - i - 1)))
                return rc;
            return bb_buf_putc(out, '\n');
        }
        i++;
    }
    return (rc = put_indent(out, indent, s, n)) ? rc : bb_buf_putc(out, '\n');
}

/*
 * Formats s[0..n) at indent; `trailer` more characters follow it on its
 * last line (the comma of an item). Ends with a newline.
 */
static int wrap_span(bb_buf *out, int indent, const char *s, size_t n, size_t trailer)
{
    size_t open = 0, close = 0, a, b, rhs;
    bool is_def = n > 4 && !strncmp(s, "def ", 4), found;
    int rc;
    if ((size_t)indent + n + trailer <= BB_PY_LINE)
        return (rc = put_indent(out, indent, s, n)) ? rc : bb_buf_putc(out, '\n');
    found = is_def ? find_first_split(s, n, &open, &close) : find_split(s, n, &open, &close);
    rhs = is_def ? 0 : assignment_rhs(s, n);
    if (rhs && found && close < rhs) {
        /* An annotated assignment whose value has no brackets: Black
         * splits the annotation's subscript (x: Optional[\n    T\n] = None). */
    } else if (rhs && (!found || open < rhs || close + 1 != n)) {
        /* Black's invisible parentheses around a right-hand side that
         * does not end in a bracket pair of its own become real. */
        if ((rc = put_indent(out, indent, s, rhs)) || (rc = bb_buf_puts(out, "(\n")))
            return rc;
        /* A tuple goes one item per line, with the trailing comma. */
        rc = has_top_comma(s, rhs, n) ? wrap_items(out, indent + 4, s, rhs, n)
                                      : wrap_span(out, indent + 4, s + rhs, n - rhs, 0);
        if (rc || (rc = put_indent(out, indent, ")", 1)))
            return rc;
        return bb_buf_putc(out, '\n');
    }
    if (!found)
        return wrap_comparison(out, indent, s, n);
    if ((rc = put_indent(out, indent, s, open + 1)) || (rc = bb_buf_putc(out, '\n')))
        return rc;
    a = open + 1;
    b = close;
    trim(s, &a, &b);
    if (!has_top_comma(s, a, b) && !is_def) {
        /* One item: on its own line, split further if it must be. */
        if ((rc = wrap_span(out, indent + 4, s + a, b - a, 0)))
            return rc;
    } else if (has_top_comma(s, a, b) && !is_display(s, open) &&
               (size_t)indent + 4 + (b - a) <= BB_PY_LINE) {
        if ((rc = put_indent(out, indent + 4, s + a, b - a)) || (rc = bb_buf_putc(out, '\n')))
            return rc;
    } else if ((rc = wrap_items(out, indent + 4, s, a, b))) {
        /* A def's lone parameter gets Black's trailing comma too. */
        return rc;
    }
    if ((rc = put_indent(out, indent, s + close, n - close)))
        return rc;
    return bb_buf_putc(out, '\n');
}

int bb_pylit_wrap(bb_buf *out, int indent, const char *line, bool import)
{
    const char *names;
    size_t n = strlen(line);
    int rc;
    if (!import || (size_t)indent + n <= BB_PY_LINE || !(names = strstr(line, " import ")))
        return wrap_span(out, indent, line, n, 0);
    /* isort's black profile: the names in parentheses, one per line. */
    names += strlen(" import ");
    if ((rc = put_spaces(out, indent)) || (rc = bb_buf_append(out, line, (size_t)(names - line))) ||
        (rc = bb_buf_puts(out, "(\n")) ||
        (rc = wrap_items(out, indent + 4, line, (size_t)(names - line), n)))
        return rc;
    return (rc = put_spaces(out, indent)) ? rc : bb_buf_puts(out, ")\n");
}
