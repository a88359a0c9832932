/*
 * server.h: gocspd's nng socket, for tcp:// and tls+tcp://: a REP socket
 * whose contexts carry the requests to a frame handler and their replies
 * back (rctx.h).
 */
#ifndef GOCSPD_SERVER_H
#define GOCSPD_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <nng/nng.h>

#include "options.h"
#include "rctx.h"

/*
 * Open the socket and start receiving frames for handle, on nng's
 * threads; listeners and pipe events are added by listen.c.
 * @return 0 or an nng error (logged).
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

/* Drop the frames that still come: the daemon is stopping. */
void gocspd_server_drain(void);

/* Close the socket (every pipe with it) and free the contexts.  Replies
 * still to come must not be: end the operations first. */
void gocspd_server_close(void);

#endif /* GOCSPD_SERVER_H */
