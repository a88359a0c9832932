/*
 * rctx.h: where a request came from and where its reply goes.  Two
 * servers make them, each behind these calls: server.c (nng's REP
 * contexts, for tcp:// and tls+tcp://) and ipc.c (gocspd's own ipc://
 * endpoint).  Both hand their frames to a gocspd_frame_fn (request.c).
 */
#ifndef GOCSPD_RCTX_H
#define GOCSPD_RCTX_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

struct gocspd_rctx;

struct gocspd_rctx_ops {
	/* Send msg (taken), a reply body, as the answer to r's request. */
	void (*reply)(struct gocspd_rctx *r, nng_msg *msg);
	/* r's request gets no reply (its client is gone, or asked for
	 * none). */
	void (*done)(struct gocspd_rctx *r);
};

/* The first member of each server's own record of a request. */
struct gocspd_rctx {
	const struct gocspd_rctx_ops *ops;
};

/* Either ends r: it is the server's again. */
static inline void
gocspd_rctx_reply(struct gocspd_rctx *r, nng_msg *msg)
{
	r->ops->reply(r, msg);
}

static inline void
gocspd_rctx_done(struct gocspd_rctx *r)
{
	r->ops->done(r);
}

/* What a server hands each request frame to, with the id of the
 * connection (conn.h) it came on. */
typedef void gocspd_frame_fn(struct gocspd_rctx *r, uint32_t conn,
    const void *frame, size_t len);

#endif /* GOCSPD_RCTX_H */
