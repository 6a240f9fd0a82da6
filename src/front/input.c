/*
 * input.c - what the loader checks of a schema's text before and around
 * parsing (see input.h): its bytes, and where and why its JSON is invalid.
 */
#include "front/input.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- byte checks before parsing ---------------------------------------- */

static void add_diag(bb_diags *d, const char *code, size_t off, const char *hint, const char *msg,
                     int *rc)
{
    if (bb_diag_add(d, BB_ERROR, code, NULL, off, hint, "%s", msg) == BB_ENOMEM)
        *rc = BB_ENOMEM;
    else if (!*rc)
        *rc = BB_EINVAL;
}

/*
 * Length of the valid UTF-8 sequence at s[0..n), or 0 with *why set.
 * Strict: no overlong forms, no surrogates, nothing above U+10FFFF.
 */
static size_t utf8_sequence(const unsigned char *s, size_t n, const char **why)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else {
        *why = c >= 0x80 && c <= 0xBF ? "a continuation byte without a lead byte"
                                      : "a byte that never occurs in UTF-8";
        return 0;
    }
    if (n < len) {
        *why = "a sequence cut short by the end of the input";
        return 0;
    }
    unsigned cp = c & (0xFF >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *why = "a sequence cut short";
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min) {
        *why = "an overlong encoding";
        return 0;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
        *why = "an encoded surrogate";
        return 0;
    }
    if (cp > 0x10FFFF) {
        *why = "a code point above U+10FFFF";
        return 0;
    }
    return len;
}

/* What bb_input_check_bytes() looks at: every NUL and non-ASCII byte; in a string,
 * quotes and backslashes; outside, quotes and brackets. */
enum { IN_STRING = 1, OUTSIDE = 2 };
static const unsigned char byte_role[256] = {
    [0] = IN_STRING | OUTSIDE,
    ['"'] = IN_STRING | OUTSIDE,
    ['\\'] = IN_STRING,
    ['{'] = OUTSIDE,
    ['['] = OUTSIDE,
    ['}'] = OUTSIDE,
    [']'] = OUTSIDE,
#define HI4(b) [b] = 3, [b + 1] = 3, [b + 2] = 3, [b + 3] = 3
#define HI16(b) HI4(b), HI4(b + 4), HI4(b + 8), HI4(b + 12)
#define HI64(b) HI16(b), HI16(b + 16), HI16(b + 32), HI16(b + 48)
    HI64(0x80),
    HI64(0xC0),
#undef HI64
#undef HI16
#undef HI4
};

int bb_input_check_bytes(bb_diags *d, const char *src, size_t len, size_t limit)
{
    const unsigned char *u = (const unsigned char *)src;
    int rc = BB_OK;
    bool in_string = false, seen_nul = false, seen_utf8 = false, seen_esc = false;
    size_t depth = 0;
    char msg[256];
    /* cJSON refuses deeper nesting on its own; past it, a raised limit
     * would only turn this clear message into a bare syntax error. */
    size_t max_depth = limit < CJSON_NESTING_LIMIT ? limit : CJSON_NESTING_LIMIT;
    for (size_t i = 0; i < len; i++) {
        /* Skip the bytes that need nothing where they are. */
        unsigned char where = in_string ? IN_STRING : OUTSIDE;
        while (!(byte_role[u[i]] & where) && ++i < len)
            ;
        if (i == len)
            break;
        unsigned c = u[i];
        if (c == 0) {
            if (!seen_nul)
                add_diag(d, "BB0102", i, "the file is binary or in UTF-16/UTF-32; save it as UTF-8",
                         "the input holds a NUL byte", &rc);
            seen_nul = true;
            continue;
        }
        if (c >= 0x80) {
            const char *why = "";
            size_t n = utf8_sequence(u + i, len - i, &why);
            if (!n) {
                if (!seen_utf8) {
                    snprintf(msg, sizeof(msg), "invalid UTF-8: byte 0x%02X is %s", c, why);
                    add_diag(d, "BB0103", i, "save the file as UTF-8", msg, &rc);
                }
                seen_utf8 = true;
                continue;
            }
            i += n - 1;
            continue;
        }
        if (in_string) {
            if (c == '\\' && i + 1 < len) {
                if (!seen_esc && len - i >= 6 && memcmp(src + i + 1, "u0000", 5) == 0) {
                    add_diag(d, "BB0105", i, "remove the \\u0000 escape",
                             "a string holds the escape \\u0000 (a NUL character)", &rc);
                    seen_esc = true;
                }
                i++;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                snprintf(msg, sizeof(msg), "nesting deeper than the limit of %zu levels",
                         max_depth);
                add_diag(d, "BB0602", i,
                         max_depth < limit
                             ? "flatten the document: the JSON parser reads no deeper"
                             : "flatten the document, or raise the limit with --max-depth",
                         msg, &rc);
                return rc;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return rc;
}

/* ---- JSON syntax errors ------------------------------------------------- */

/*
 * cJSON says only roughly where it gave up, so on failure a small strict
 * scanner walks the text again to find the first offending byte and what
 * was expected there. It runs only on input cJSON rejected, whose nesting
 * bb_input_check_bytes() already bounded.
 */
typedef struct sx_error {
    size_t at;        /* offset of the offending byte (len: the end) */
    const char *what; /* what was expected, for the message */
    size_t open_at;   /* the innermost bracket still open at the end */
    bool unclosed;    /* a string runs to the end of the input */
    bool found;
} sx_error;

enum { SX_VALUE, SX_VALUE_OR_CLOSE, SX_KEY, SX_KEY_OR_CLOSE, SX_COLON, SX_AFTER, SX_END };

static bool sx_fail(sx_error *e, size_t at, const char *what)
{
    e->at = at;
    e->what = what;
    e->found = true;
    return false;
}

/* The value of the four hex digits after the \\u at s[i], or 0x10000 when
 * they are not four hex digits. */
static unsigned sx_hex4(const char *s, size_t len, size_t i)
{
    unsigned v = 0;
    if (i + 6 > len || s[i + 1] != 'u')
        return 0x10000;
    for (size_t k = 2; k < 6; k++) {
        char c = s[i + k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return 0x10000;
        v = v * 16 + (unsigned)d;
    }
    return v;
}

/* Skips the string at *pos (on its opening quote); false at a bad escape or
 * when the string never ends (then the error is its opening quote). */
static bool sx_string(const char *s, size_t len, size_t *pos, sx_error *e)
{
    size_t start = *pos;
    for (size_t i = start + 1; i < len; i++) {
        if (s[i] == '"') {
            *pos = i + 1;
            return true;
        }
        if (s[i] != '\\')
            continue;
        char c = i + 1 < len ? s[i + 1] : '\0';
        if (c == 'u') {
            unsigned cp = sx_hex4(s, len, i);
            if (cp > 0xFFFF)
                return sx_fail(e, i, "an escape \\u followed by four hex digits");
            /* cJSON accepts a surrogate only as a high-low pair. */
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return sx_fail(e, i, "a high surrogate escape before this low surrogate");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo = i + 11 < len && s[i + 6] == '\\' ? sx_hex4(s, len, i + 6) : 0;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return sx_fail(e, i, "a low surrogate escape after this high surrogate");
                i += 6;
            }
            i += 5;
        } else if (c && strchr("\"\\/bfnrt", c)) {
            i++;
        } else {
            return sx_fail(e, i, "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        }
    }
    e->unclosed = true;
    return sx_fail(e, start, "a closing quote");
}

static bool sx_scalar(const char *s, size_t len, size_t *pos, sx_error *e)
{
    static const char *const literals[] = {"true", "false", "null"};
    char c = s[*pos];
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t i = *pos + (c == '-');
        if (i >= len || s[i] < '0' || s[i] > '9')
            return sx_fail(e, *pos, "a digit after the minus sign");
        while (i < len && s[i] && strchr("0123456789.eE+-", s[i]))
            i++;
        *pos = i;
        return true;
    }
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(literals[k]);
        if (len - *pos >= n && memcmp(s + *pos, literals[k], n) == 0) {
            *pos += n;
            return true;
        }
    }
    return sx_fail(e, *pos, "a value");
}

static void locate_syntax_error(const char *s, size_t len, size_t max_depth, sx_error *e)
{
    memset(e, 0, sizeof(*e));
    size_t stack_max = max_depth + 2;
    size_t *stack = bb_malloc(stack_max * sizeof(*stack));
    size_t depth = 0, pos = 0;
    int state = SX_VALUE;
    if (!stack)
        return;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    for (;;) {
        while (pos < len && strchr(" \t\r\n", s[pos]) && s[pos])
            pos++;
        if (pos >= len) {
            if (state != SX_END) {
                e->open_at = depth ? stack[depth - 1] : BB_NO_OFFSET;
                sx_fail(e, len, "more input: the document ends too early");
            }
            break;
        }
        char c = s[pos];
        char top = depth ? s[stack[depth - 1]] : '\0';
        if (state == SX_END) {
            sx_fail(e, pos, "the end of the input after the document");
            break;
        }
        if (state == SX_COLON) {
            if (c != ':' && !sx_fail(e, pos, "':' after the key"))
                break;
            pos++;
            state = SX_VALUE;
            continue;
        }
        if (state == SX_AFTER) {
            char close = top == '{' ? '}' : ']';
            if (c == ',') {
                pos++;
                state = top == '{' ? SX_KEY : SX_VALUE;
            } else if (c == close) {
                pos++;
                depth--;
                state = depth ? SX_AFTER : SX_END;
            } else {
                sx_fail(e, pos,
                        top == '{' ? "',' or '}' after a member" : "',' or ']' after an item");
                break;
            }
            continue;
        }
        if ((state == SX_KEY_OR_CLOSE && c == '}') || (state == SX_VALUE_OR_CLOSE && c == ']')) {
            pos++;
            depth--;
            state = depth ? SX_AFTER : SX_END;
            continue;
        }
        if (state == SX_KEY || state == SX_KEY_OR_CLOSE) {
            if (c != '"') {
                sx_fail(e, pos, "a key in double quotes");
                break;
            }
            if (!sx_string(s, len, &pos, e))
                break;
            state = SX_COLON;
            continue;
        }
        /* SX_VALUE, SX_VALUE_OR_CLOSE */
        if (c == '{' || c == '[') {
            if (depth == stack_max) {
                sx_fail(e, pos, "less nesting");
                break;
            }
            stack[depth++] = pos++;
            state = c == '{' ? SX_KEY_OR_CLOSE : SX_VALUE_OR_CLOSE;
            continue;
        }
        if (c == '"' ? !sx_string(s, len, &pos, e) : !sx_scalar(s, len, &pos, e))
            break;
        state = depth ? SX_AFTER : SX_END;
    }
    bb_free(stack);
}

static bool is_value_end(char c)
{
    return c == '"' || c == '}' || c == ']' || (c >= '0' && c <= '9') || c == 'e' || c == 'l';
}

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* A hint for the slip at src[at], when it is a common one. */
static const char *syntax_hint(const char *src, size_t len, size_t at)
{
    size_t p = at;
    while (p > 0 && strchr(" \t\r\n", src[p - 1]))
        p--;
    char prev = p > 0 ? src[p - 1] : '\0';
    char c = src[at];
    if (c == '/' && at + 1 < len && (src[at + 1] == '/' || src[at + 1] == '*'))
        return "JSON has no comments: remove it (or move the text into a \"description\")";
    if (c == '\'')
        return "JSON strings and keys use double quotes: \"like this\"";
    if ((c == '}' || c == ']') && prev == ',')
        return "remove the trailing comma before it";
    if ((c == '"' || c == '{' || c == '[') && is_value_end(prev))
        return "a comma is missing before this";
    if (prev == '{' || prev == ',')
        if (is_word_char(c))
            return "keys need double quotes: \"name\"";
    if (is_word_char(c))
        return "strings need double quotes; the literals are true, false and null";
    return NULL;
}

int bb_input_syntax_error(bb_diags *d, const char *src, size_t len, size_t read_at,
                          size_t max_depth)
{
    int rc = BB_OK;
    sx_error e;
    locate_syntax_error(src, len, max_depth, &e);
    char msg[256];
    const char *hint = NULL;
    char hint_buf[160];
    if (!e.found) {
        /* The reader refused what the scanner accepts (a number over 63
         * bytes, say): trust the reader's position. */
        e.at = read_at < len ? read_at : len;
        snprintf(msg, sizeof(msg), "invalid JSON");
    } else if (e.unclosed) {
        snprintf(msg, sizeof(msg), "invalid JSON: this string is never closed");
        hint = "add the closing double quote (the file may be cut short)";
    } else if (e.at >= len) {
        snprintf(msg, sizeof(msg), "invalid JSON: the input ends too early");
        if (e.open_at != BB_NO_OFFSET) {
            int line, col;
            bb_diags_position(d, e.open_at, &line, &col);
            snprintf(hint_buf, sizeof(hint_buf),
                     "the '%c' at line %d, column %d is never closed: the file may be cut short",
                     src[e.open_at], line, col);
            hint = hint_buf;
        } else {
            hint = "the file may be cut short";
        }
        /* Point at the last visible byte, where the reader expects more. */
        e.at = len;
        while (e.at > 0 && strchr(" \t\r\n", src[e.at - 1]))
            e.at--;
        e.at = e.at ? e.at - 1 : 0;
    } else {
        unsigned char c = (unsigned char)src[e.at];
        if (c >= 0x20 && c < 0x7F)
            snprintf(msg, sizeof(msg), "invalid JSON: expected %s, found '%c'", e.what, c);
        else
            snprintf(msg, sizeof(msg), "invalid JSON: expected %s, found byte 0x%02X", e.what, c);
        hint = syntax_hint(src, len, e.at);
    }
    add_diag(d, "BB0101", e.at, hint, msg, &rc);
    return rc;
}
