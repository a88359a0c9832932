/*
 * Design notes: the socket, for tcp:// and tls+tcp:// (ipc:// is ipc.c's).
 *
 * gocspd is a REP socket with contexts (nng's demo/async/server.c): a
 * context receives one request and later sends its reply, so a blocked
 * operation holds a context, not a thread, and replies leave in any
 * order.  A few contexts always wait for requests; a context whose reply
 * has gone out goes back to waiting, or to a free list when enough wait.
 * Cooked REP (not raw) because its sends wait for the pipe: raw REP drops
 * a reply when the pipe's queue of 64 is full, and a dropped delivery
 * would stay in flight until its client disconnected.
 *
 * Callbacks run on nng's threads.  They hand each frame to the frame
 * handler (gocspd_request_handle), which decodes and dispatches it at
 * once; an operation that must wait moves to a coroutine.  nng reports a
 * reply to a gone pipe as sent (rep.c in 1.5.2): the connection's end
 * (listen.c's pipe events), not the reply's fate, decides what happens to
 * the values it carried.
 */
#include "server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include <gocsp/gocsp.h>
#include <nng/protocol/reqrep0/rep.h>

#include "log.h"
#include "wire.h"

/* Contexts waiting for a request at any time. */
#define RECEIVERS 8

struct rctx {
	struct gocspd_rctx base; /* first: what requests carry */
	nng_ctx ctx;
	nng_aio *aio;
	bool sending;      /* the aio is a reply's send */
	struct rctx *next; /* free list, under lock */
	struct rctx *all;  /* every context, for stop */
};

static nng_socket sock = NNG_SOCKET_INITIALIZER;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rctx *free_list; /* under lock */
static struct rctx *all_list;  /* under lock */
static int receiving;          /* under lock */
static _Atomic bool stopping;
static gocspd_frame_fn *handle_frame;

static void rctx_cb(void *arg);
static const struct gocspd_rctx_ops rctx_ops;

static struct rctx *
rctx_new(void)
{
	struct rctx *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->base.ops = &rctx_ops;
	if (nng_ctx_open(&r->ctx, sock) != 0) {
		free(r);
		return NULL;
	}
	if (nng_aio_alloc(&r->aio, rctx_cb, r) != 0) {
		nng_ctx_close(r->ctx);
		free(r);
		return NULL;
	}
	return r;
}

/* Keep RECEIVERS contexts receiving; r (may be NULL) is one to reuse. */
static void
top_up(struct rctx *r)
{
	for (;;) {
		pthread_mutex_lock(&lock);
		if (atomic_load(&stopping) || receiving >= RECEIVERS) {
			if (r != NULL) {
				r->next = free_list;
				free_list = r;
			}
			pthread_mutex_unlock(&lock);
			return;
		}
		if (r == NULL && (r = free_list) != NULL)
			free_list = r->next;
		bool fresh = r == NULL;
		if (fresh) {
			r = rctx_new();
			if (r == NULL) {
				pthread_mutex_unlock(&lock);
				gocspd_log(GOCSPD_ERR,
				    "out of memory for a "
				    "request context");
				return;
			}
			r->all = all_list;
			all_list = r;
		}
		receiving++;
		pthread_mutex_unlock(&lock);
		r->sending = false;
		nng_ctx_recv(r->ctx, r->aio);
		r = NULL;
	}
}

static void
rctx_cb(void *arg)
{
	struct rctx *r = arg;
	int rv = nng_aio_result(r->aio);
	if (r->sending) {
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(r->aio));
		top_up(r);
		return;
	}
	pthread_mutex_lock(&lock);
	receiving--;
	pthread_mutex_unlock(&lock);
	if (rv != 0) {
		if (rv != NNG_ECLOSED)
			gocspd_log(GOCSPD_WARN, "receiving a request: %s",
			    nng_strerror(rv));
		top_up(rv == NNG_ECLOSED ? NULL : r);
		return;
	}
	nng_msg *msg = nng_aio_get_msg(r->aio);
	nng_aio_set_msg(r->aio, NULL);
	top_up(NULL);
	if (atomic_load(&stopping)) {
		nng_msg_free(msg);
		top_up(r);
		return;
	}
	handle_frame(&r->base, nng_pipe_id(nng_msg_get_pipe(msg)),
	    nng_msg_body(msg), nng_msg_len(msg));
	nng_msg_free(msg);
}

nng_msg *
gocspd_server_reply_alloc(size_t size)
{
	nng_msg *msg;
	return nng_msg_alloc(&msg, size) == 0 ? msg : NULL;
}

static void
rctx_reply(struct gocspd_rctx *base, nng_msg *msg)
{
	struct rctx *r = (struct rctx *) base;
	r->sending = true;
	nng_aio_set_msg(r->aio, msg);
	nng_ctx_send(r->ctx, r->aio);
}

static void
rctx_done(struct gocspd_rctx *base)
{
	top_up((struct rctx *) base);
}

static const struct gocspd_rctx_ops rctx_ops = {
    .reply = rctx_reply,
    .done = rctx_done,
};

nng_socket
gocspd_server_socket(void)
{
	return sock;
}

int
gocspd_server_start(const struct gocspd_options *o, gocspd_frame_fn *handle)
{
	int rv;
	handle_frame = handle;
	if ((rv = nng_rep0_open(&sock)) != 0) {
		gocspd_log(GOCSPD_ERR, "opening the socket: %s",
		    nng_strerror(rv));
		return rv;
	}
	/* nng 1.5.2 allocates whatever a frame header claims otherwise. */
	size_t max = (size_t) o->limits.max_msg + GOCSP_WIRE_FRAME_OVERHEAD;
	if ((rv = nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, max)) != 0) {
		gocspd_log(GOCSPD_ERR, "setting up the socket: %s",
		    nng_strerror(rv));
		return rv;
	}
	top_up(NULL);
	return 0;
}

void
gocspd_server_drain(void)
{
	atomic_store(&stopping, true);
}

void
gocspd_server_close(void)
{
	atomic_store(&stopping, true);
	nng_close(sock);
	/* Every aio has finished (nng_close aborted them): free them. */
	pthread_mutex_lock(&lock);
	struct rctx *r = all_list;
	all_list = free_list = NULL;
	pthread_mutex_unlock(&lock);
	while (r != NULL) {
		struct rctx *next = r->all;
		nng_aio_stop(r->aio);
		nng_aio_free(r->aio);
		free(r);
		r = next;
	}
}
