/*
 * request.h: from a request frame to the operation that answers it.
 */
#ifndef GOCSPD_REQUEST_H
#define GOCSPD_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

struct gocspd_rctx;

/* The limits every request is checked against (kept, not copied). */
void gocspd_requests_init(const struct gocspd_limits *limits);

/*
 * Handle a request frame from pipe, received on r: decode it, apply its
 * acknowledgements, run its operation (which replies on r, now or from a
 * coroutine later).  The frame is not used after the call.  Runs on an
 * nng thread; never blocks.
 */
void gocspd_request_handle(
    struct gocspd_rctx *r, uint32_t pipe, const void *frame, size_t len);

/* Requests handled since the daemon started. */
uint64_t gocspd_requests_handled(void);

/* Wait until no operation is under way (the daemon is stopping and every
 * connection has ended).  May park. */
void gocspd_requests_wait(void);

#endif /* GOCSPD_REQUEST_H */
