/*
 * llm_http.h - the transport under the LLM client: one POST (base/http.h)
 * with timeouts and a capped response buffer, retried with exponential
 * backoff and full jitter, guarded by a circuit breaker per provider.
 *
 * The transport knows nothing of any provider's JSON: the caller passes a
 * classifier that says, from the status and body of one attempt, whether it
 * succeeded, may be retried, or failed for good (an auth error, an exhausted
 * quota). Retry-After (seconds or an HTTP date) is honoured, capped by
 * max_delay_ms.
 *
 * Thread safety: bb_llm_http_post() may run on several threads at once (one
 * transfer per call); the breakers are shared and locked.
 *
 * Ownership: the response's body buffer belongs to the bb_llm_http_result;
 * free it with bb_llm_http_result_free(). Header lists stay the caller's.
 */
#ifndef BB_LLM_HTTP_H
#define BB_LLM_HTTP_H

#include "base/bb.h"
#include "base/buf.h"
#include "base/http.h"
#include "llm/llm_url.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct bb_llm_http_opts {
    long connect_timeout_ms;   /* default 10 s */
    long timeout_ms;           /* per attempt, default 120 s */
    size_t max_response_bytes; /* cap of the body buffer, default 4 MiB */
    int max_attempts;          /* tries in all (1 = no retry), default 4 */
    long base_delay_ms;        /* first backoff ceiling, default 1000 ms */
    long max_delay_ms;         /* cap on any wait, Retry-After included, default 30 s */
    int breaker_threshold;     /* consecutive failures that open the breaker, default 5 */
    long breaker_cooldown_ms;  /* open -> half-open after this, default 30 s */
    /* bb_clock_ms() by which the whole operation ends, 0: none. No attempt
     * or wait goes past it: the last attempt's timeouts are cut short. */
    long deadline_at_ms;
    bool progress; /* show a spinner on stderr (only when it is a tty) */
} bb_llm_http_opts;

void bb_llm_http_opts_default(bb_llm_http_opts *o);

/* What the classifier makes of one attempt. */
typedef enum {
    BB_LLM_HTTP_DONE = 0, /* a usable answer: stop */
    BB_LLM_HTTP_RETRY,    /* transient: try again after a backoff */
    BB_LLM_HTTP_FATAL,    /* permanent: stop and report */
} bb_llm_http_verdict;

/* status is 0 when no HTTP response came (connection error, timeout). */
typedef bb_llm_http_verdict (*bb_llm_http_classify_fn)(long status, const char *body, size_t len,
                                                       void *ctx);

typedef struct bb_llm_http_result {
    long status;               /* HTTP status of the last attempt, 0 if none */
    bb_buf body;               /* body of the last attempt (capped) */
    int attempts;              /* attempts made */
    bb_http_outcome transport; /* of the last attempt (BB_HTTP_OK: a response came) */
    bool too_large;            /* the last body went over max_response_bytes */
    bool breaker_open;         /* no attempt was made: the provider's breaker is open */
    long waited_ms;            /* total time spent in backoff */
    long last_retry_after_ms;  /* the last Retry-After seen, -1 when none */
    bool deadline_passed;      /* stopped at opts->deadline_at_ms (BB_ETIMEOUT) */
    char request_id[96];       /* x-request-id / request-id of the last response */
    char error[160];           /* why the transfer failed (no secrets), "" on success */
} bb_llm_http_result;

void bb_llm_http_result_free(bb_llm_http_result *r);

/*
 * POSTs body to url with the given headers, retrying as the classifier and
 * opts allow. breaker_key names the circuit breaker (the provider's name and
 * base URL). Returns BB_OK when the classifier accepted an answer, BB_ENET /
 * BB_ETIMEOUT when the transfer failed, BB_ELIMIT when the body went over its
 * cap, BB_ESTATE when the breaker is open, BB_EINVAL when the last answer was
 * an HTTP error; *out is filled in every case and must be freed.
 * Only http:// to loopback and https:// are allowed (BB_EUSAGE otherwise).
 */
int bb_llm_http_post(const bb_llm_http_opts *opts, const char *breaker_key, const char *url,
                     const bb_http_headers *headers, const char *body, size_t len,
                     bb_llm_http_classify_fn classify, void *ctx, bb_llm_http_result *out) BB_WUR;

/*
 * The wait before retry number `attempt` (1 = first retry): full jitter,
 * a uniform draw in [0, min(max, base * 2^(attempt-1))], unless retry_after_ms
 * (>= 0) asks for longer, capped at max. rnd is a value in [0, 1).
 */
long bb_llm_backoff_ms(const bb_llm_http_opts *opts, int attempt, long retry_after_ms, double rnd);

/* Circuit breaker, exposed for tests and metrics. */
typedef enum { BB_BREAKER_CLOSED = 0, BB_BREAKER_OPEN, BB_BREAKER_HALF_OPEN } bb_breaker_state;

/* The state of one breaker now (opens may have turned half-open by time). */
bb_breaker_state bb_llm_breaker_state(const bb_llm_http_opts *opts, const char *breaker_key);
/* Forgets every breaker (tests). */
void bb_llm_breakers_reset(void);

#endif
