/*
 * call.h: what the client library's calls share (client.c, pools.c,
 * metrics.c).
 */
#ifndef GOCSP_CLIENT_CALL_H
#define GOCSP_CLIENT_CALL_H

#include <gocsp/client.h>

#include "wire.h"

/*
 * Run req on cl's session (connecting if need be), with timeout for the
 * daemon's wait.  @return 0 or a code (the client's last error set).
 * *reply is the daemon's reply whenever one came, errors included (free
 * it with gocsp__client_reply_free): a failed send still says how many
 * values went, a wait that timed out how far the pool got.
 */
int gocsp__client_call(gocsp_client *cl, Gocsp__Request *req, int64_t timeout,
    Gocsp__Reply **reply);

/* Free a reply (NULL is fine). */
void gocsp__client_reply_free(Gocsp__Reply *r);

/* GOCSP_EINVAL (last error set) for a name gocspd would refuse, or 0:
 * a bad name costs no round trip. */
int gocsp__client_check_name(gocsp_client *cl, const char *name);

/* Set cl's last error message. */
void gocsp__client_error(gocsp_client *cl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* GOCSP_CLIENT_CALL_H */
