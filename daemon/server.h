/*
 * server.h: gocspd's nng socket: a REP socket whose contexts carry the
 * requests to a frame handler and their replies back.
 */
#ifndef GOCSPD_SERVER_H
#define GOCSPD_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>

#include "options.h"

/* A REP context: one request and its reply (opaque). */
struct gocspd_rctx;

/* What the server hands each frame to (request.h), on an nng thread. */
typedef void gocspd_frame_fn(
    struct gocspd_rctx *r, uint32_t pipe, const void *frame, size_t len);

/*
 * Open the socket and start receiving frames for handle; listeners and
 * pipe events are added by listen.c.  @return 0 or an nng error (logged).
 */
int gocspd_server_start(const struct gocspd_options *o,
    gocspd_frame_fn *handle);

nng_socket gocspd_server_socket(void);

/*
 * A message of size bytes for a reply, or NULL.  Every reply is made
 * here: nng 1.5.2 loses (leaks) the message of a reply sent just as its
 * pipe stops (rep.c, rep0_pipe_fini frees only the receive side), and the
 * daemon tests tell LeakSanitizer so by this function's name.
 */
nng_msg *gocspd_server_reply_alloc(size_t size);

/* Send msg (taken) as the reply to r's request; r then serves others. */
void gocspd_server_reply(struct gocspd_rctx *r, nng_msg *msg);

/* r's request gets no reply (its client is gone, or it asked for none). */
void gocspd_server_done(struct gocspd_rctx *r);

/* Drop the frames that still come: the daemon is stopping. */
void gocspd_server_drain(void);

/* Close the socket (every pipe with it) and free the contexts.  Replies
 * still to come must not be: end the operations first. */
void gocspd_server_close(void);

#endif /* GOCSPD_SERVER_H */
