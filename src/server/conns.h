/*
 * conns.h - the open connections of the service and their deadlines.
 *
 * libmicrohttpd's only timeout is an idle one, which every byte resets: a
 * client sending one byte a second holds a connection forever (slowloris).
 * Here each connection is in one phase, and two phases have a deadline
 * counted from their start, however busy the client keeps them:
 *
 *   WAITING  for the next request's header block (from the connection's
 *            opening, or the previous answer): header_timeout
 *   REQUEST  the request line came, the headers are not all in yet: the
 *            same deadline, but the client is told 408 when it passes
 *   BODY     the headers are in, the body is arriving: body_timeout
 *   BUSY     the request is complete and being answered: none
 *
 * A reaper thread looks every 250 ms; a connection past its deadline is
 * shut down (after a short 408 answer when a request had begun), which
 * its owner sees as the client going away. For a graceful stop,
 * bb_conns_close_idle() shuts the connections that wait for a request
 * and have no byte of one yet.
 *
 * Thread safety: every function may be called from any thread. A
 * connection's owner removes it before closing its socket, so a shut
 * down never reaches a file descriptor that was reused.
 * Ownership: bb_conns_add() gives a bb_conn that bb_conns_remove() frees.
 */
#ifndef BB_CONNS_H
#define BB_CONNS_H

#include "base/bb.h"

#include <stdbool.h>

typedef struct bb_conns bb_conns;
typedef struct bb_conn bb_conn;

typedef enum {
    BB_CONN_WAITING,
    BB_CONN_REQUEST,
    BB_CONN_BODY,
    BB_CONN_BUSY,
} bb_conn_phase;

/* Deadlines in seconds (0: none); the reaper starts only when one is
 * set. BB_ENOMEM. */
int bb_conns_start(double header_timeout, double body_timeout, bb_conns **out) BB_WUR;

/* Stops the reaper and frees cs; the connections must all be removed.
 * NULL is fine. */
void bb_conns_stop(bb_conns *cs);

/* Tracks the socket fd, WAITING from now. NULL when out of memory (the
 * connection then has no deadline). */
bb_conn *bb_conns_add(bb_conns *cs, int fd);
void bb_conns_remove(bb_conns *cs, bb_conn *c);

/* Moves c to phase, which starts now (REQUEST keeps WAITING's start). */
void bb_conn_enter(bb_conn *c, bb_conn_phase phase);

/* True once c was shut down because a deadline passed. */
bool bb_conn_timed_out(bb_conn *c);

/* One pass of the reaper at time now (bb_clock_seconds()). */
void bb_conns_reap(bb_conns *cs, double now);

/* Shuts down every connection that waits for a request without a byte
 * of one, and returns how many connections are still open. */
unsigned bb_conns_close_idle(bb_conns *cs);

#endif
