/*
 * session.h: one connection to gocspd and the calls under way on it.
 *
 * A call sends a request and waits for the reply with the same op_id.
 * Calls from many threads and coroutines share the session; op_ids grow
 * in the order requests reach the wire.  On a pull transport the waiting
 * callers take turns reading (one leader reads and hands each reply to
 * its caller), so no thread is spent on reading; on a push transport
 * replies arrive from the transport's own threads.
 *
 * Every value a reply delivers is acknowledged: on the next request, on
 * its own after a short delay if no request comes, or at once when the
 * daemon asks (an unbuffered sender waits for it).  A broken session
 * fails every call under way and is never used again.
 */
#ifndef GOCSP_CLIENT_SESSION_H
#define GOCSP_CLIENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct gocsp__session;

/* Connect to url; ack_delay: how long acknowledgements wait for a request
 * to carry them (GOCSP_FOREVER: until one comes, or the end).  0 or a
 * GOCSP_E* code, *why saying what failed. */
int gocsp__session_open(struct gocsp__session **out, const char *url,
    int64_t ack_delay, char *why, size_t whylen);

/* Change the acknowledgement delay (under way: from the next delivery). */
void gocsp__session_set_ack_delay(struct gocsp__session *s, int64_t delay);

void gocsp__session_retain(struct gocsp__session *s);

/* Drop a reference; the last one acknowledges what is pending and
 * disconnects. */
void gocsp__session_release(struct gocsp__session *s);

/* The daemon's limits, learnt when the session connected. */
struct gocsp__server_limits {
	uint32_t max_msg;   /* bytes in one value */
	uint32_t max_batch; /* values in one send or receive */
};
void gocsp__session_limits(struct gocsp__session *s,
    struct gocsp__server_limits *limits);

/* Whether s has broken (a new session is needed). */
bool gocsp__session_broken(struct gocsp__session *s);

/*
 * Send req (its op_id and acks are set here) and wait for its reply;
 * req->timeout_ns bounds the wait, with a grace for the daemon to answer
 * (past it, the session is broken and the call gets GOCSP_ETIMEDOUT).
 * @return 0 with *reply (free: gocsp__reply__free_unpacked(r, NULL)),
 *         GOCSP_ECONNRESET, GOCSP_ETIMEDOUT, GOCSP_EPROTO, GOCSP_ENOMEM.
 */
int gocsp__session_call(struct gocsp__session *s, Gocsp__Request *req,
    Gocsp__Reply **reply);

#endif /* GOCSP_CLIENT_SESSION_H */
