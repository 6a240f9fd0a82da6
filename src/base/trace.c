/* trace.c - W3C Trace Context, the thread's scope and spans (see trace.h). */
#include "base/trace.h"
#include "base/hex.h"

#include "base/crypto.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- traceparent -------------------------------------------------------- */

/* A digit of a trace id: lower case only, as the spec requires. */
static int hex_digit(char c)
{
    return c >= 'A' && c <= 'F' ? -1 : bb_hex_value(c);
}

/* n bytes from 2n lowercase hex digits; false on any other character. */
static bool read_hex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

bool bb_trace_parse(const char *value, bb_trace_ctx *out)
{
    if (!value)
        return false;
    size_t len = strnlen(value, BB_TRACEPARENT_LEN + 1);
    uint8_t version;
    if (len < BB_TRACEPARENT_LEN || !read_hex(value, &version, 1) || version == 0xff)
        return false;
    /* Version 00 is exactly 55 characters; a later one may go on, after a
     * dash, with fields this reader does not know. */
    if (len > BB_TRACEPARENT_LEN && (version == 0 || value[BB_TRACEPARENT_LEN] != '-'))
        return false;
    if (value[2] != '-' || value[35] != '-' || value[52] != '-')
        return false;
    bb_trace_ctx c;
    if (!read_hex(value + 3, c.trace_id, 16) || !read_hex(value + 36, c.span_id, 8) ||
        !read_hex(value + 53, &c.flags, 1))
        return false;
    if (all_zero(c.trace_id, 16) || all_zero(c.span_id, 8))
        return false;
    *out = c;
    return true;
}

void bb_trace_format(const bb_trace_ctx *c, char out[BB_TRACEPARENT_LEN + 1])
{
    memcpy(out, "00-", 3);
    bb_hex_encode(c->trace_id, 16, out + 3);
    out[35] = '-';
    bb_hex_encode(c->span_id, 8, out + 36);
    out[52] = '-';
    bb_hex_encode(&c->flags, 1, out + 53);
}

/* ---- ids ---------------------------------------------------------------- */

/* Ids need to be unique, not secret: splitmix64 per thread, seeded once
 * from the kernel, costs no system call per span. */
static _Thread_local uint64_t rng_state;
static _Thread_local bool rng_seeded;

static uint64_t next_random(void)
{
    if (!rng_seeded) {
        if (bb_crypto_random(&rng_state, sizeof(rng_state)) != BB_OK) {
            struct timespec t;
            clock_gettime(CLOCK_REALTIME, &t);
            rng_state =
                (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 20) ^ (uint64_t)(uintptr_t)&rng_state;
        }
        rng_seeded = true;
    }
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* n random bytes (a multiple of 8), never all zero: the spec's "invalid". */
static void random_id(uint8_t *out, size_t n)
{
    do {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t r = next_random();
            memcpy(out + i, &r, 8);
        }
    } while (all_zero(out, n));
}

void bb_trace_new(bb_trace_ctx *out)
{
    random_id(out->trace_id, 16);
    random_id(out->span_id, 8);
    out->flags = BB_TRACE_SAMPLED;
}

void bb_trace_child(const bb_trace_ctx *parent, bb_trace_ctx *out)
{
    if (!parent) {
        bb_trace_new(out);
        return;
    }
    memcpy(out->trace_id, parent->trace_id, 16);
    out->flags = parent->flags;
    random_id(out->span_id, 8);
}

/* ---- the thread's scope ------------------------------------------------- */

static _Thread_local bb_trace_scope scope;

bb_trace_scope bb_trace_enter(const bb_trace_ctx *ctx, const char *request_id)
{
    bb_trace_scope previous = scope;
    scope.ctx = ctx;
    if (request_id)
        scope.request_id = request_id;
    return previous;
}

void bb_trace_leave(bb_trace_scope previous)
{
    scope = previous;
}

const bb_trace_ctx *bb_trace_current(void)
{
    return scope.ctx;
}

const char *bb_trace_request_id(void)
{
    return scope.request_id;
}

/* ---- spans -------------------------------------------------------------- */

static _Atomic(bb_span_sink) sink;

void bb_trace_set_sink(bb_span_sink fn)
{
    atomic_store(&sink, fn);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

void bb_span_start(bb_span *s, const char *name, bb_span_kind kind, const bb_trace_ctx *parent)
{
    s->has_parent = parent != NULL;
    if (parent)
        memcpy(s->parent_id, parent->span_id, 8);
    bb_trace_child(parent, &s->ctx);
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->kind = kind;
    s->start_ns = now_ns();
    s->end_ns = 0;
    s->error = false;
    s->n_attrs = 0;
}

bool bb_span_start_here(bb_span *s, const char *name, bb_span_kind kind)
{
    if (!scope.ctx)
        return false;
    bb_span_start(s, name, kind, scope.ctx);
    return true;
}

static bb_span_attr *new_attr(bb_span *s, const char *key)
{
    if (s->n_attrs >= BB_SPAN_ATTRS_MAX)
        return NULL;
    bb_span_attr *a = &s->attrs[s->n_attrs++];
    a->key = key;
    return a;
}

void bb_span_str(bb_span *s, const char *key, const char *value)
{
    bb_span_attr *a = new_attr(s, key);
    if (!a)
        return;
    a->is_int = false;
    snprintf(a->s, sizeof(a->s), "%s", value ? value : "");
}

void bb_span_int(bb_span *s, const char *key, long long value)
{
    bb_span_attr *a = new_attr(s, key);
    if (!a)
        return;
    a->is_int = true;
    a->i = value;
}

bool bb_span_recorded(const bb_span *s)
{
    return atomic_load(&sink) && (s->ctx.flags & BB_TRACE_SAMPLED);
}

void bb_span_end(bb_span *s)
{
    s->end_ns = now_ns();
    bb_span_sink fn = atomic_load(&sink);
    if (fn && (s->ctx.flags & BB_TRACE_SAMPLED))
        fn(s);
}
