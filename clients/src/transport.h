/*
 * transport.h: how the client library reaches gocspd.
 *
 * Two transports carry the same frames (a 4-byte REQ request id, then a
 * protobuf Request or Reply): ipc (tp_ipc.c) speaks SP over a unix
 * socket itself, without libnng's threads, so a one-shot `gocsp send`
 * costs a connect and a round trip; nng (tp_nng.c) uses libnng's raw REQ
 * socket for tcp:// and tls+tcp://.
 *
 * An ipc transport is read by its callers (the session's leader reads,
 * tp->recv); an nng transport reads itself and calls on_frame from nng's
 * threads.  Either calls on_lost once if the connection breaks under it.
 */
#ifndef GOCSP_CLIENT_TRANSPORT_H
#define GOCSP_CLIENT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct gocsp__tp;

struct gocsp__tp_ops {
	/* Send one frame: reqid, then body.  Thread- and coroutine-safe
	 * (frames never interleave); may park.  0 or a GOCSP_E* code. */
	int (*send)(struct gocsp__tp *tp, uint32_t reqid, const void *body,
	    size_t len);
	/* Pull transports: the next reply body (*len bytes, borrowed until
	 * the next recv), waiting until the deadline (gocsp_now() clock, -1:
	 * none).  0, GOCSP_ETIMEDOUT (nothing is lost: the next recv goes
	 * on), or an error (the connection is unusable).  One reader at a
	 * time.  NULL for push transports. */
	int (*recv)(struct gocsp__tp *tp, const void **body, size_t *len,
	    int64_t deadline);
	/* Make a blocked recv return an error (the session is broken). */
	void (*shutdown)(struct gocsp__tp *tp);
	/* Close and free.  Not from inside on_frame or on_lost. */
	void (*close)(struct gocsp__tp *tp);
};

/* What a push transport calls; arg is the session. */
struct gocsp__tp_events {
	void (*on_frame)(void *arg, const void *body, size_t len);
	void (*on_lost)(void *arg, int error);
	void *arg;
};

struct gocsp__tp {
	const struct gocsp__tp_ops *ops;
};

/*
 * Connect to url (ipc://, tcp://, tls+tcp://), waiting at most until the
 * deadline for a daemon that is starting or re-listening.  ev is used by
 * push transports only.  @return 0, GOCSP_ECONNREFUSED, GOCSP_EINVAL,
 * GOCSP_EPERM or GOCSP_ENOMEM; *why says what failed.
 */
int gocsp__tp_open(struct gocsp__tp **out, const char *url, int64_t deadline,
    const struct gocsp__tp_events *ev, char *why, size_t whylen);

int gocsp__tp_ipc_open(struct gocsp__tp **out, const char *path,
    int64_t deadline, char *why, size_t whylen);
int gocsp__tp_nng_open(struct gocsp__tp **out, const char *url,
    const struct gocsp__tp_events *ev, char *why, size_t whylen);

#endif /* GOCSP_CLIENT_TRANSPORT_H */
