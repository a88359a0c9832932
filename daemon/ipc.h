/*
 * ipc.h: gocspd's own ipc:// endpoint.  It speaks the wire of nng's
 * ipc:// transport and REP protocol (SP over a unix socket), so nng's REQ
 * sockets and the client library both talk to it, but serves it on
 * libgocsp's netpoller: a coroutine per connection reads its requests and
 * hands them to the frame handler, and replies are written by whoever
 * makes them.  listen.c prepares the path (directory, lock file,
 * permissions) and watches it.
 */
#ifndef GOCSPD_IPC_H
#define GOCSPD_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "rctx.h"

/* A listening socket. */
struct gocspd_ipc;

/*
 * Set the frame handler and what connections are checked against (peer
 * uid unless o->allow_group; --max-msg for frames).  Once, first.
 */
void gocspd_ipc_init(const struct gocspd_options *o, gocspd_frame_fn *handle);

/*
 * Listen on the unix socket path (a stale socket file there is replaced:
 * the caller holds the path's lock), 0600 before any peer can connect,
 * and accept connections in a coroutine.  0 with *out, or -errno
 * (logged).
 */
int gocspd_ipc_listen(const char *path, struct gocspd_ipc **out);

/*
 * Stop accepting and close the listening socket, removing path if it is
 * still the socket made there.  Connections accepted stay.  May park.
 */
void gocspd_ipc_close(struct gocspd_ipc *l);

/* End every connection (the daemon is stopping): each is shut down and
 * ends as if its client had gone. */
void gocspd_ipc_end_all(void);

/* Wait until every connection is freed: after gocspd_ipc_end_all, once
 * the operations have ended.  May park. */
void gocspd_ipc_wait(void);

/* Read exactly n bytes from fd, a socket, before the deadline (monotonic
 * ns), parking while none come.  0, or -1 on an error, the peer's end or
 * the deadline.  Also the watchdog's, for its probes. */
int gocspd_read_full(int fd, void *buf, size_t n, int64_t deadline);

#endif /* GOCSPD_IPC_H */
