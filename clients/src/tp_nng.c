/*
 * Design notes: the network transports through libnng's raw REQ socket
 * (raw: no resends, the request id is ours).  Replies arrive on an aio
 * loop on nng's threads and go to the session (on_frame); the pipe's
 * removal is the connection's loss (on_lost), reported once.  The socket
 * would redial by itself: a lost session is never written to again, and
 * a request sent while no pipe is up fails within the send timeout
 * instead of waiting in nng's queue to reach a later connection.
 *
 * tls+tcp:// takes its configuration from the environment: GOCSP_TLS_CA
 * (verify the daemon against these CAs; without it, no verification),
 * GOCSP_TLS_CERT (our certificate and key, for a daemon that requires
 * one), GOCSP_TLS_SERVER_NAME (the name to verify; default the host).
 */
#include "transport.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gocsp/gocsp.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>

#include "wire.h"

#define MAX_FRAME ((size_t) 1 << 30)
#define SEND_TIMEOUT 5000 /* ms */

struct tp_nng {
	struct gocsp__tp base;
	nng_socket s;
	nng_aio *rx;
	struct gocsp__tp_events ev;
	_Atomic bool lost;
};

static void
lost(struct tp_nng *t, int error)
{
	if (!atomic_exchange(&t->lost, true))
		t->ev.on_lost(t->ev.arg, error);
}

static void
rx_cb(void *arg)
{
	struct tp_nng *t = arg;
	int rv = nng_aio_result(t->rx);
	if (rv != 0) {
		if (rv != NNG_ECLOSED)
			lost(t, gocsp__wire_from_nng(rv));
		return;
	}
	nng_msg *m = nng_aio_get_msg(t->rx);
	if (!atomic_load(&t->lost))
		t->ev.on_frame(t->ev.arg, nng_msg_body(m), nng_msg_len(m));
	nng_msg_free(m);
	nng_recv_aio(t->s, t->rx);
}

static void
pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	lost(arg, GOCSP_ECONNRESET);
}

static int
nng_send_frame(struct gocsp__tp *tp, uint32_t reqid, const void *body,
    size_t len)
{
	struct tp_nng *t = (struct tp_nng *) tp;
	if (atomic_load(&t->lost))
		return GOCSP_ECONNRESET;
	nng_msg *m;
	int rv = nng_msg_alloc(&m, 0);
	if (rv == 0 && (rv = nng_msg_header_append_u32(m, reqid)) == 0 &&
	    (rv = nng_msg_append(m, body, len)) == 0 &&
	    (rv = nng_sendmsg(t->s, m, 0)) == 0)
		return 0;
	nng_msg_free(m);
	return rv == NNG_ENOMEM ? GOCSP_ENOMEM : GOCSP_ECONNRESET;
}

static void
nng_shutdown_tp(struct gocsp__tp *tp)
{
	atomic_store(&((struct tp_nng *) tp)->lost, true);
}

/*
 * The receive loop re-arms itself from nng's threads, so it is stopped
 * before anything it touches goes: stopping waits for a callback under
 * way, and one that re-arms after it finds the aio stopped and gets
 * NNG_ECANCELED.  Lost first, so that neither that nor the pipe's removal
 * reports a loss to a session that is closing.  (Freeing the aio while
 * the loop re-armed it crashed in nng about one close in fifteen.)
 */
static void
nng_close_tp(struct gocsp__tp *tp)
{
	struct tp_nng *t = (struct tp_nng *) tp;
	atomic_store(&t->lost, true);
	nng_aio_stop(t->rx);
	nng_close(t->s);
	nng_aio_free(t->rx);
	free(t);
}

static const struct gocsp__tp_ops nng_ops = {
    .send = nng_send_frame,
    .recv = NULL,
    .shutdown = nng_shutdown_tp,
    .close = nng_close_tp,
};

/* The TLS settings of the environment onto dialer d. */
static int
tls_setup(nng_dialer d, const char *url, char *why, size_t whylen)
{
	nng_tls_config *cfg;
	int rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT);
	if (rv != 0)
		goto fail;
	const char *ca = getenv("GOCSP_TLS_CA");
	const char *cert = getenv("GOCSP_TLS_CERT");
	const char *name = getenv("GOCSP_TLS_SERVER_NAME");
	char host[256];
	if (name == NULL) {
		/* tls+tcp://HOST:PORT */
		const char *h = strstr(url, "://") + 3;
		size_t n = strcspn(h, ":/");
		snprintf(host, sizeof(host), "%.*s", (int) n, h);
		name = host;
	}
	if ((ca != NULL && (rv = nng_tls_config_ca_file(cfg, ca)) != 0) ||
	    (cert != NULL &&
	        (rv = nng_tls_config_cert_key_file(cfg, cert, NULL)) != 0) ||
	    (rv = nng_tls_config_server_name(cfg, name)) != 0 ||
	    (rv = nng_tls_config_auth_mode(cfg,
	         ca != NULL ? NNG_TLS_AUTH_MODE_REQUIRED
	                    : NNG_TLS_AUTH_MODE_NONE)) != 0 ||
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)) != 0) {
		nng_tls_config_free(cfg);
		goto fail;
	}
	nng_tls_config_free(cfg); /* the dialer holds it */
	return 0;
fail:
	snprintf(why, whylen, "TLS configuration: %s", nng_strerror(rv));
	return GOCSP_EINVAL;
}

int
gocsp__tp_nng_open(struct gocsp__tp **out, const char *url,
    const struct gocsp__tp_events *ev, char *why, size_t whylen)
{
	struct tp_nng *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(why, whylen, "out of memory");
		return GOCSP_ENOMEM;
	}
	t->base.ops = &nng_ops;
	t->ev = *ev;
	nng_dialer d;
	int rc = GOCSP_ECONNREFUSED;
	int rv = nng_req0_open_raw(&t->s);
	if (rv != 0) {
		snprintf(why, whylen, "opening a socket: %s",
		    nng_strerror(rv));
		free(t);
		return gocsp__wire_from_nng(rv);
	}
	if ((rv = nng_socket_set_size(t->s, NNG_OPT_RECVMAXSZ, MAX_FRAME)) !=
	        0 ||
	    (rv = nng_socket_set_ms(t->s, NNG_OPT_SENDTIMEO, SEND_TIMEOUT)) !=
	        0 ||
	    (rv = nng_pipe_notify(t->s, NNG_PIPE_EV_REM_POST, pipe_cb, t)) !=
	        0 ||
	    (rv = nng_aio_alloc(&t->rx, rx_cb, t)) != 0) {
		snprintf(why, whylen, "setting up a socket: %s",
		    nng_strerror(rv));
		rc = gocsp__wire_from_nng(rv);
		goto fail;
	}
	if ((rv = nng_dialer_create(&d, t->s, url)) != 0) {
		snprintf(why, whylen, "%s: %s", url, nng_strerror(rv));
		rc = GOCSP_EINVAL;
		goto fail;
	}
	if (strncmp(url, "tls+", 4) == 0 &&
	    (rc = tls_setup(d, url, why, whylen)) != 0)
		goto fail;
	if ((rv = nng_dialer_start(d, 0)) != 0) {
		snprintf(why, whylen, "no gocspd at %s (%s)", url,
		    nng_strerror(rv));
		rc = GOCSP_ECONNREFUSED;
		goto fail;
	}
	nng_recv_aio(t->s, t->rx);
	*out = &t->base;
	return 0;
fail:
	nng_close(t->s);
	if (t->rx != NULL)
		nng_aio_free(t->rx);
	free(t);
	return rc;
}
