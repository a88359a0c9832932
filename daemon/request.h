/*
 * request.h: from a request frame to the operation that answers it.
 */
#ifndef GOCSPD_REQUEST_H
#define GOCSPD_REQUEST_H

#include "rctx.h"

/*
 * Handle a request frame from connection id, received on r: decode it,
 * apply its acknowledgements, run its operation (which replies on r, now
 * or from a coroutine later).  The frame is not used after the call.
 * Never blocks (it runs on an nng thread, or in ipc.c's coroutine of the
 * connection).  The servers' frame handler.
 */
gocspd_frame_fn gocspd_request_handle;

#endif /* GOCSPD_REQUEST_H */
