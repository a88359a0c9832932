/*
 * server.h: gocspd's nng socket: a REP socket whose contexts carry the
 * requests, and the pipe events that admit and end connections.
 */
#ifndef GOCSPD_SERVER_H
#define GOCSPD_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>

#include "options.h"

/* A REP context: one request and its reply (opaque). */
struct gocspd_rctx;

/*
 * Open the socket and start receiving; listeners are added by listen.c.
 * @return 0 or an nng error (logged).
 */
int gocspd_server_start(const struct gocspd_options *o);

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

/* Whether the daemon is stopping (requests are then dropped). */
bool gocspd_server_stopping(void);

/*
 * Stop: drop new requests, end every connection (their operations end),
 * wait for the operations, close the socket.  Call from a coroutine.
 */
void gocspd_server_stop(void);

#endif /* GOCSPD_SERVER_H */
