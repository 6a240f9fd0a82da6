/* pyexpr.c - the Python of a column in a revision (pyexpr.h). */
#include "migrate/pyexpr.h"

#include "base/pylit.h"

#include <cJSON.h>
#include <string.h>

/*
 * bb_buf_append, copying in place while the bytes fit: a revision of a
 * large schema is made of tens of thousands of small pieces.
 */
static int add(bb_buf *b, const char *s, size_t n)
{
    if (!b->data || n >= b->cap - b->len)
        return bb_buf_append(b, s, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BB_OK;
}

#define add_lit(b, lit) add((b), "" lit, sizeof(lit) - 1)

int bb_pyexpr_str(bb_buf *b, const char *s)
{
    if (!s)
        s = "";
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c < 0x20 || c > 0x7E || c == '"' || c == '\\')
            return bb_pylit_str(b, s);
    }
    if (b->data && n + 2 < b->cap - b->len) {
        char *d = b->data + b->len;
        d[0] = '"';
        memcpy(d + 1, s, n);
        d[n + 1] = '"';
        d[n + 2] = '\0';
        b->len += n + 2;
        return BB_OK;
    }
    int rc = bb_buf_putc(b, '"');
    if (!rc)
        rc = bb_buf_append(b, s, n);
    return rc ? rc : bb_buf_putc(b, '"');
}

/* Appends v in decimal, as "%d" would. */
static int put_int(bb_buf *b, int v)
{
    char digits[16];
    size_t n = sizeof(digits);
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        digits[--n] = '-';
    return bb_buf_append(b, digits + n, sizeof(digits) - n);
}

static int put_sa_type(bb_buf *b, const char *type, const char *suffix)
{
    int rc = add_lit(b, "sa.");
    if (!rc)
        rc = bb_buf_puts(b, type);
    return rc ? rc : bb_buf_puts(b, suffix);
}

int bb_pyexpr_type(bb_buf *b, const bb_normview_col *col)
{
    const char *type = col->type ? col->type : "Integer";
    int rc;
    switch (col->kind) {
    case BB_NORMVIEW_STRING:
        if (!col->length)
            return add_lit(b, "sa.String()");
        rc = add_lit(b, "sa.String(length=");
        if (!rc)
            rc = put_int(b, col->length->valueint);
        return rc ? rc : add_lit(b, ")");
    case BB_NORMVIEW_NUMERIC:
        rc = add_lit(b, "sa.Numeric(");
        if (!rc && col->precision)
            rc = add_lit(b, "precision=");
        if (!rc && col->precision)
            rc = put_int(b, col->precision->valueint);
        if (!rc && col->precision && col->scale)
            rc = add_lit(b, ", ");
        if (!rc && col->scale)
            rc = add_lit(b, "scale=");
        if (!rc && col->scale)
            rc = put_int(b, col->scale->valueint);
        return rc ? rc : add_lit(b, ")");
    case BB_NORMVIEW_DATETIME:
        return bb_buf_puts(b, col->timezone ? "sa.DateTime(timezone=True)" : "sa.DateTime()");
    case BB_NORMVIEW_ENUM:
        rc = add_lit(b, "_enum(");
        if (!rc)
            rc = bb_pyexpr_str(b, col->enum_name);
        const cJSON *v;
        cJSON_ArrayForEach(v, col->values)
        {
            if (!rc && cJSON_IsString(v))
                rc = add_lit(b, ", ");
            if (!rc && cJSON_IsString(v))
                rc = bb_pyexpr_str(b, v->valuestring);
        }
        return rc ? rc : add_lit(b, ")");
    case BB_NORMVIEW_UUID:
        return bb_buf_puts(b, "sa.CHAR(length=36).with_variant(postgresql.UUID(as_uuid=True), "
                              "\"postgresql\")");
    case BB_NORMVIEW_SMALLINT:
    case BB_NORMVIEW_BIGINT:
        /* SQLite only autoincrements an INTEGER PRIMARY KEY. */
        if (col->autoincrement)
            return put_sa_type(b, type, "().with_variant(sa.Integer(), \"sqlite\")");
        break;
    default:
        break;
    }
    return put_sa_type(b, type, "()");
}

/* sa.text("s") */
static int put_text(bb_buf *b, const char *s)
{
    int rc = add_lit(b, "sa.text(");
    if (!rc)
        rc = bb_pyexpr_str(b, s);
    return rc ? rc : add_lit(b, ")");
}

int bb_pyexpr_server_default(bb_buf *b, const bb_normview_col *col)
{
    const char *sd = col->server_default;
    /* A literal true/false server default: each dialect spells it its way. */
    if (sd && col->server_default_literal && (strcmp(sd, "true") == 0 || strcmp(sd, "false") == 0))
        return bb_buf_puts(b, sd[0] == 't' ? "sa.true()" : "sa.false()");
    if (sd)
        return put_text(b, sd);
    const cJSON *d = col->dflt;
    if (!d)
        return BB_OK;
    if (cJSON_IsBool(d))
        return bb_buf_puts(b, cJSON_IsTrue(d) ? "sa.true()" : "sa.false()");
    if (cJSON_IsString(d))
        return bb_pyexpr_str(b, d->valuestring);
    if (cJSON_IsNumber(d) || cJSON_IsRaw(d)) {
        char *num = cJSON_PrintUnformatted(d);
        if (!num)
            return BB_ENOMEM;
        int rc = put_text(b, num);
        cJSON_free(num);
        return rc;
    }
    return BB_OK;
}

int bb_pyexpr_fill_value(bb_buf *b, const bb_normview_col *col)
{
    const char *sd = col->server_default;
    if (sd && col->server_default_literal)
        return strcmp(sd, "true") == 0    ? add_lit(b, "True")
               : strcmp(sd, "false") == 0 ? add_lit(b, "False")
                                          : bb_buf_puts(b, sd);
    if (sd)
        return put_text(b, sd);
    const cJSON *d = col->dflt;
    if (cJSON_IsBool(d))
        return bb_buf_puts(b, cJSON_IsTrue(d) ? "True" : "False");
    if (cJSON_IsString(d))
        return bb_pyexpr_str(b, d->valuestring);
    char *num = cJSON_PrintUnformatted(d);
    if (!num)
        return BB_ENOMEM;
    int rc = bb_buf_puts(b, num);
    cJSON_free(num);
    return rc;
}

bool bb_pyexpr_has_default(const bb_normview_col *col)
{
    return col->server_default || col->dflt;
}
