/*
 * listen.h: gocspd's listeners -- the ipc:// socket with its directory,
 * permissions and lock file (served by ipc.c), tcp:// and tls+tcp://
 * (nng's, on the server's socket) --, the admission of the pipes nng
 * accepts, and the watchdog that keeps them all answering.
 */
#ifndef GOCSPD_LISTEN_H
#define GOCSPD_LISTEN_H

#include <stdbool.h>

#include <nng/nng.h>

#include "options.h"

/*
 * Prepare and start a listener for each URL of o (the default URL if
 * none).  For ipc:// it makes the directory (0700), takes the lock file
 * (refusing a second gocspd on the same socket) and has ipc.c listen
 * there (0600; ipc.c admits its connections).  nng's pipes are admitted
 * (--max-clients) and their connections made and ended here.  Errors are
 * logged.  @return 0 or -1.
 */
int gocspd_listeners_open(const struct gocspd_options *o);

/*
 * Start the watchdog: a coroutine that checks the listeners every
 * o->probe_interval (more often if the service manager's watchdog needs
 * it), re-listening on one that stopped accepting, until
 * gocspd_listeners_close().  After each round in which every listener
 * answered it sends the service manager WATCHDOG=1 (notify.h).
 * 0 or GOCSP_ENOMEM.
 */
int gocspd_listeners_watch(const struct gocspd_options *o);

/* Stop the watchdog (waiting for it), close every listener, and shut
 * down the connections they accepted.  May park. */
void gocspd_listeners_close(void);

#endif /* GOCSPD_LISTEN_H */
