/* log.c - JSON log lines built without allocation (see log.h). */
#include "server/log.h"

#include "base/utf8.h"

#include <string.h>
#include <time.h>

/* "2026-11-22T00:13:50.120Z" into out (at least 25 bytes): the wall clock,
 * which is what a log's reader compares with. The part up to the second is
 * formatted once per second and thread. */
static void format_time(char *out)
{
    static _Thread_local time_t cached_sec = (time_t)-1;
    static _Thread_local char cached[24];
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    if (t.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&t.tv_sec, &tm);
        if (strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
            cached[0] = '\0';
        cached_sec = t.tv_sec;
    }
    size_t n = strlen(cached);
    int ms = (int)(t.tv_nsec / 1000000);
    memcpy(out, cached, n);
    out[n] = '.';
    out[n + 1] = (char)('0' + ms / 100);
    out[n + 2] = (char)('0' + ms / 10 % 10);
    out[n + 3] = (char)('0' + ms % 10);
    out[n + 4] = 'Z';
    out[n + 5] = '\0';
}

void bb_log_put(bb_log_line *l, const char *s, size_t n)
{
    if (l->cut || n > sizeof(l->data) - l->len) {
        l->cut = true;
        return;
    }
    memcpy(l->data + l->len, s, n);
    l->len += n;
}

void bb_log_str(bb_log_line *l, const char *s)
{
    bb_log_put(l, s, strlen(s));
}

void bb_log_escaped(bb_log_line *l, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (p[i] && i < max) {
        unsigned char c = p[i];
        size_t n = bb_utf8_len(p + i);
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            bb_log_put(l, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            bb_log_put(l, e, 6);
        } else if (n == 0) {
            /* Not UTF-8: the replacement character, so the line stays JSON. */
            bb_log_put(l, "\\ufffd", 6);
            n = 1;
        } else if (i + n > max) {
            break;
        } else {
            bb_log_put(l, s + i, n);
        }
        i += n ? n : 1;
    }
}

void bb_log_uint(bb_log_line *l, unsigned long long v)
{
    char d[24];
    size_t i = sizeof(d);
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    bb_log_put(l, d + i, sizeof(d) - i);
}

void bb_log_start(bb_log_line *l, const char *level)
{
    char t[40];
    format_time(t);
    l->len = 0;
    l->cut = false;
    bb_log_str(l, "{\"time\":\"");
    bb_log_str(l, t);
    bb_log_str(l, "\",\"level\":\"");
    bb_log_str(l, level);
    bb_log_str(l, "\",\"msg\":\"");
}

void bb_log_end(bb_log_line *l, FILE *out)
{
    bb_log_put(l, "}\n", 2);
    if (l->cut)
        return;
    fwrite(l->data, 1, l->len, out);
    fflush(out);
}

void bb_log_event(FILE *out, const char *level, const char *msg, const char *extra)
{
    bb_log_line l;
    bb_log_start(&l, level);
    bb_log_escaped(&l, msg, 512);
    bb_log_put(&l, "\"", 1);
    bb_log_str(&l, extra ? extra : "");
    bb_log_end(&l, out);
}
