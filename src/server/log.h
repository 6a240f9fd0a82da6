/*
 * log.h - the service's log: one JSON object per line, written with one
 * write so that lines from several threads never interleave.
 *
 *   {"time":"2026-11-22T00:13:50.120Z","level":"info","msg":"...",...}
 *
 * A line is built in a fixed buffer on the stack (bb_log_line): the request
 * log is written for every request, so it neither allocates nor goes
 * through printf. An append that does not fit marks the line cut; a cut
 * line is not written, since it would not be JSON.
 *
 * Thread safety: each line is the caller's; writing takes the FILE's lock.
 */
#ifndef BB_LOG_H
#define BB_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The longest line: a request line's escaped identity (200 bytes), path
 * (256) and method (16) at 6 bytes each, a request id and the fixed
 * members fit with room to spare. */
#define BB_LOG_LINE_MAX 4096

typedef struct bb_log_line {
    char data[BB_LOG_LINE_MAX];
    size_t len;
    bool cut;
} bb_log_line;

/* Starts a line: {"time":"...","level":"LEVEL","msg":" (the message's text
 * comes next, then its closing quote). */
void bb_log_start(bb_log_line *l, const char *level);
void bb_log_put(bb_log_line *l, const char *s, size_t n);
void bb_log_str(bb_log_line *l, const char *s);
/* s as the inside of a JSON string, at most max bytes of s (never a
 * character cut in two); bytes that are not UTF-8 become U+FFFD. */
void bb_log_escaped(bb_log_line *l, const char *s, size_t max);
void bb_log_uint(bb_log_line *l, unsigned long long v);
/* Closes the object and writes the line to out, unless it was cut. */
void bb_log_end(bb_log_line *l, FILE *out);

/* One event line: msg, then extra (NULL, or further members written as
 * JSON text: ",\"k\":1"). */
void bb_log_event(FILE *out, const char *level, const char *msg, const char *extra);

#endif
