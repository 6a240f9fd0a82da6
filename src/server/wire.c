/* wire.c - strict readers of what a client sends (see wire.h). */
#include "server/wire.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool bb_wire_token_valid(const char *s, size_t max)
{
    if (!s)
        return false;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max ||
            !(isalnum((unsigned char)s[n]) || s[n] == '.' || s[n] == '_' || s[n] == '-'))
            return false;
    return n > 0;
}

/* tchar of RFC 9110 5.6.2. */
static bool is_tchar(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool bb_wire_field_name_valid(const char *name)
{
    if (!name || !*name)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (!is_tchar(*p))
            return false;
    return true;
}

bool bb_wire_is_chunked(const char *value)
{
    if (!value)
        return false;
    while (*value == ' ' || *value == '\t')
        value++;
    if (strncasecmp(value, "chunked", 7) != 0)
        return false;
    value += 7;
    while (*value == ' ' || *value == '\t')
        value++;
    return *value == '\0';
}

bool bb_wire_printable(const char *s, size_t max, bool spaces)
{
    if (!s)
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= max || c < 0x20 || c >= 0x7f || (c == ' ' && !spaces))
            return false;
    }
    return n > 0;
}

bool bb_wire_media_type_is(const char *value, const char *want)
{
    if (!value)
        return false;
    while (*value == ' ')
        value++;
    size_t n = strlen(want);
    if (strncasecmp(value, want, n) != 0)
        return false;
    value += n;
    while (*value == ' ')
        value++;
    return *value == '\0' || *value == ';';
}

bool bb_wire_accepts(const char *accept, const char *type)
{
    if (!accept)
        return false;
    size_t n = strlen(type);
    for (const char *p = accept; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        if (len >= n && strncasecmp(p, type, n) == 0 && (len == n || p[n] == ';' || p[n] == ' ')) {
            char entry[128];
            snprintf(entry, sizeof(entry), "%.*s", (int)len, p);
            const char *q = strstr(entry, "q=");
            if (!q || strtod(q + 2, NULL) > 0)
                return true;
        }
        p += len;
    }
    return false;
}

bool bb_wire_parse_size(const char *s, size_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > (size_t)-1)
        return false;
    *out = (size_t)v;
    return true;
}

const char *bb_wire_bearer_token(const char *authz)
{
    if (!authz || strncasecmp(authz, "Bearer ", 7) != 0)
        return NULL;
    authz += 7;
    while (*authz == ' ')
        authz++;
    return authz;
}

/* One address of a list, blanks trimmed, as inet_ntop writes it. */
static bool canonical_address(const char *s, size_t n, char *out, size_t size)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char text[INET6_ADDRSTRLEN];
    if (n == 0 || n >= sizeof(text))
        return false;
    memcpy(text, s, n);
    text[n] = '\0';
    unsigned char bin[16];
    int family = strchr(text, ':') ? AF_INET6 : AF_INET;
    return inet_pton(family, text, bin) == 1 && inet_ntop(family, bin, out, (socklen_t)size);
}

bool bb_wire_forwarded_client(const char *xff, bb_wire_trusted_fn trusted, void *ctx, char *out,
                              size_t size)
{
    if (!xff)
        return false;
    size_t end = strlen(xff);
    char addr[INET6_ADDRSTRLEN];
    while (end > 0) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        if (!canonical_address(xff + start, end - start, addr, sizeof(addr)))
            return false;
        if (!trusted(ctx, addr) || start == 0) {
            snprintf(out, size, "%s", addr);
            return true;
        }
        end = start - 1;
    }
    return false;
}
