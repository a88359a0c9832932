/*
 * request.h: from a request frame to the operation that answers it.
 */
#ifndef GOCSPD_REQUEST_H
#define GOCSPD_REQUEST_H

#include <stddef.h>
#include <stdint.h>

struct gocspd_rctx;

/*
 * Handle a request frame from pipe, received on r: decode it, apply its
 * acknowledgements, run its operation (which replies on r, now or from a
 * coroutine later).  The frame is not used after the call.  Runs on an
 * nng thread; never blocks.  The server's frame handler.
 */
void gocspd_request_handle(
    struct gocspd_rctx *r, uint32_t pipe, const void *frame, size_t len);

#endif /* GOCSPD_REQUEST_H */
