/* llm_url.c - base URLs of LLM services (see llm_url.h). */
#include "llm/llm_url.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

static bool ipv6_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
}

/* ":" and 1 to 5 digits up to 65535, or nothing, from p to end. */
static bool port_ok(const char *p, const char *end)
{
    if (p == end)
        return true;
    if (*p != ':' || end - p < 2 || end - p > 6)
        return false;
    long v = 0;
    for (p++; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    return v > 0 && v <= 65535;
}

/* No spaces or control characters anywhere in a URL. */
static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '\\')
            return false;
    return true;
}

bool bb_llm_url_host(const char *url, char *host, size_t cap)
{
    const char *p;
    if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else
        return false;
    if (!printable(url))
        return false;
    const char *end = p + strcspn(p, "/?#");
    const char *h = p, *h_end;
    if (*p == '[') {
        h_end = memchr(p, ']', (size_t)(end - p));
        if (!h_end)
            return false;
        for (const char *q = p + 1; q < h_end; q++)
            if (!ipv6_char(*q))
                return false;
        h_end++;
    } else {
        for (h_end = p; h_end < end && host_char(*h_end); h_end++)
            ;
    }
    size_t n = (size_t)(h_end - h);
    if (n == 0 || n >= cap || !port_ok(h_end, end))
        return false; /* '@', '%', '_' and the like stop the host early */
    for (size_t i = 0; i < n; i++)
        host[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] - 'A' + 'a' : h[i]);
    host[n] = '\0';
    return true;
}

/* Four decimal numbers 0-255 without leading zeros; the first in out[0]. */
static bool dotted_quad(const char *s, int *first)
{
    int parts = 0;
    while (parts < 4) {
        int v = 0, digits = 0;
        for (; *s >= '0' && *s <= '9'; s++, digits++)
            v = v * 10 + (*s - '0');
        if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[-digits] == '0'))
            return false;
        if (parts++ == 0)
            *first = v;
        if (parts < 4 && *s++ != '.')
            return false;
    }
    return *s == '\0';
}

bool bb_llm_host_is_loopback(const char *host)
{
    int first = -1;
    return strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
           (dotted_quad(host, &first) && first == 127);
}
bool bb_llm_url_allowed(const char *url)
{
    char host[256];
    if (!bb_llm_url_host(url, host, sizeof(host)))
        return false;
    return strncasecmp(url, "https://", 8) == 0 || bb_llm_host_is_loopback(host);
}
