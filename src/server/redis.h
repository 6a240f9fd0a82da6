/*
 * redis.h - a Redis client for the service's shared state (rate limits,
 * jobs, the model answer cache), over hiredis with backbone's own names.
 *
 * Like libcurl and libmicrohttpd, hiredis is not linked: it is loaded when
 * a client is first made (base/dynlib.h), so only `serve --redis` needs
 * the library. Nothing here defines a hiredis function.
 *
 * Every command has a deadline: the client's own timeout (connecting
 * included), shortened to the caller's deadline, so a Redis that is down
 * or slow costs a request at most that long. A connection that fails or
 * times out is dropped, and the client stays "down" for a back-off that
 * doubles from 100 ms to 5 s: during it commands fail at once, without
 * a connection attempt; the first command after it tries again, and its
 * success ends the outage.
 *
 * Connections are kept in a small pool; each command takes one for its
 * duration, so any thread may call any function.
 *
 * Ownership: bb_redis_new() returns a client freed by bb_redis_free(). A
 * bb_redis_reply is the caller's, freed by bb_redis_reply_free(). The URL
 * given to bb_redis_new() is copied; its password is never printed
 * (bb_redis_url_redacted).
 */
#ifndef BB_REDIS_H
#define BB_REDIS_H

#include "base/bb.h"
#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>

struct bb_dynlib;

/* redis://[user[:password]@]host[:port][/db] */
typedef struct bb_redis_url {
    char host[256];
    unsigned port; /* 6379 */
    char user[128];
    char password[256];
    unsigned db; /* 0 */
} bb_redis_url;

/* Parses text; BB_EUSAGE with the reason in err (which never quotes the
 * password). */
int bb_redis_url_parse(const char *text, bb_redis_url *out, bb_buf *err) BB_WUR;

/* The URL as it may be logged: the password, if any, as "***". */
void bb_redis_url_redacted(const bb_redis_url *u, char *out, size_t size);

typedef enum {
    BB_REDIS_NIL = 0,
    BB_REDIS_INT,
    BB_REDIS_STR,   /* a bulk string or a status ("OK") */
    BB_REDIS_ARRAY, /* elements in elem */
    BB_REDIS_ERROR, /* str holds Redis's message */
} bb_redis_type;

typedef struct bb_redis_reply {
    bb_redis_type type;
    long long integer;
    char *str; /* NUL-terminated; len bytes */
    size_t len;
    struct bb_redis_reply *elem;
    size_t n;
} bb_redis_reply;

void bb_redis_reply_free(bb_redis_reply *r);

/* The string of r (a string or an integer's text is not converted): NULL
 * unless r is a string. */
const char *bb_redis_reply_str(const bb_redis_reply *r);

typedef struct bb_redis_opts {
    unsigned timeout_ms; /* per command, connecting included; 250 */
    unsigned max_idle;   /* connections kept between commands; 16 */
    /* Told, outside the client's lock, when Redis stops answering (up
     * false, why the error) and when it answers again (why NULL). The
     * thread is whichever one noticed. NULL: nobody is told. */
    void (*on_change)(void *ctx, bool up, const char *why);
    void *on_change_ctx;
} bb_redis_opts;

typedef struct bb_redis bb_redis;

/* A client of url; no connection is made yet. NULL when out of memory or
 * hiredis cannot be loaded (*err says which). */
bb_redis *bb_redis_new(const bb_redis_url *url, const bb_redis_opts *opts, bb_buf *err) BB_WUR;
void bb_redis_free(bb_redis *r);

/*
 * Runs one command of argc arguments (lens NULL: each is NUL-terminated)
 * before deadline (bb_clock_seconds(); 0: the client's timeout only).
 * BB_OK with *out; BB_ESTATE when Redis answered an error (*out holds it);
 * BB_ENET when Redis cannot be reached (or is in its back-off), BB_ETIMEOUT
 * when it did not answer in time, BB_ENOMEM. extra_ms lengthens the
 * timeout of a command that blocks on purpose (XREADGROUP BLOCK).
 */
int bb_redis_command(bb_redis *r, double deadline, unsigned extra_ms, bb_redis_reply *out, int argc,
                     const char *const *argv, const size_t *lens) BB_WUR;

/* bb_redis_command() with NUL-terminated arguments ending with NULL. */
int bb_redis_cmd(bb_redis *r, double deadline, bb_redis_reply *out, ...) BB_WUR;

/* A Lua script, sent by its SHA-1 (EVALSHA) and, the first time a server
 * does not know it, in full (EVAL). */
typedef struct bb_redis_script {
    const char *source;
    char sha[41]; /* filled on first use */
} bb_redis_script;

/* Runs script with n_keys keys then n_args arguments, as bb_redis_command. */
int bb_redis_eval(bb_redis *r, double deadline, bb_redis_script *script, bb_redis_reply *out,
                  int n_keys, const char *const *keys, int n_args, const char *const *args,
                  const size_t *arg_lens) BB_WUR;

/* True when the last attempt reached Redis; otherwise why (the last error)
 * goes into why. During an outage whose back-off has passed it pings
 * Redis first, so a readiness probe sees the recovery itself. */
bool bb_redis_healthy(bb_redis *r, char *why, size_t size);

/* Commands that failed to reach Redis so far. */
unsigned long bb_redis_failures(bb_redis *r);

/* The hiredis loader (to check it before starting). */
struct bb_dynlib *bb_redis_library(void);

#endif
