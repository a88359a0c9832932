/*
 * Design notes: requests.
 *
 * Decoding happens on the nng thread that received the frame, never on a
 * coroutine's small stack (protobuf-c's unpack wants more than 2 KiB),
 * with an allocation budget proportional to the frame.  A frame that
 * does not decode closes its connection: the peer is not speaking the
 * protocol, and there is no op_id to answer.  Acknowledgements apply
 * before anything else, whatever the operation.
 *
 * Shutdown counts operations rather than joining coroutines: every
 * operation that waits also waits on its connection's gone channel, so
 * ending the connections ends them all.
 */
#include "request.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "op.h"
#include "server.h"

static const struct gocspd_limits *limits;
static _Atomic long running; /* operations admitted and not ended */
static _Atomic uint64_t handled; /* requests decoded */

void
gocspd_requests_init(const struct gocspd_limits *l)
{
	limits = l;
}

uint64_t
gocspd_requests_handled(void)
{
	return atomic_load_explicit(&handled, memory_order_relaxed);
}

void
gocspd_requests_wait(void)
{
	while (atomic_load(&running) > 0)
		gocsp_sleep(GOCSP_MS(1));
}

/* Free what op holds; the reply (if any) has been handed over. */
static void
op_free(struct gocspd_op *op, bool admitted)
{
	if (op->pending != NULL)
		gocspd_msg_free(op->pending);
	if (op->chan != NULL)
		gocspd_chan_release(op->chan);
	if (op->req != NULL)
		gocsp__request__free_unpacked(op->req, &op->budget.allocator);
	if (admitted) {
		gocspd_conn_end_op(op->conn);
		atomic_fetch_sub(&running, 1);
	}
	gocspd_conn_release(op->conn);
	free(op);
}

static void
close_pipe(uint32_t id)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;
	p.id = id;
	nng_pipe_close(p);
}

/* Reply an error to a request that was not admitted, and free it. */
static void
refuse(struct gocspd_op *op, int code, const char *why)
{
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.status = code;
	r.error = (char *) why;
	nng_msg *msg = gocspd_op_encode(op, &r);
	if (msg != NULL)
		gocspd_server_reply(op->rctx, msg);
	else
		gocspd_server_done(op->rctx);
	op_free(op, false);
}

static void
dispatch(struct gocspd_op *op)
{
	switch (op->req->op_case) {
	case GOCSP__REQUEST__OP_PING: gocspd_op_ping(op); break;
	case GOCSP__REQUEST__OP_MAKE: gocspd_op_make(op); break;
	case GOCSP__REQUEST__OP_SEND: gocspd_op_send(op); break;
	case GOCSP__REQUEST__OP_RECV: gocspd_op_recv(op); break;
	case GOCSP__REQUEST__OP_SELECT: gocspd_op_select(op); break;
	case GOCSP__REQUEST__OP_CLOSE: gocspd_op_close(op); break;
	case GOCSP__REQUEST__OP_REMOVE: gocspd_op_remove(op); break;
	case GOCSP__REQUEST__OP_LIST: gocspd_op_list(op); break;
	case GOCSP__REQUEST__OP_STAT: gocspd_op_stat(op); break;
	default:
		gocspd_op_fail(op, GOCSP_EINVAL,
		    "unknown or missing operation (this gocspd is %d.%d.%d)",
		    GOCSP_VERSION_MAJOR, GOCSP_VERSION_MINOR,
		    GOCSP_VERSION_PATCH);
		break;
	}
}

void
gocspd_request_handle(
    struct gocspd_rctx *r, uint32_t pipe, const void *frame, size_t len)
{
	struct gocspd_conn *conn = gocspd_conn_get(pipe);
	if (conn == NULL) { /* its pipe has gone */
		gocspd_server_done(r);
		return;
	}
	struct gocspd_op *op = calloc(1, sizeof(*op));
	if (op == NULL) {
		gocspd_log(GOCSPD_ERR, "out of memory: closing client %u",
		    pipe);
		close_pipe(pipe);
		gocspd_conn_release(conn);
		gocspd_server_done(r);
		return;
	}
	op->rctx = r;
	op->conn = conn;
	op->limits = limits;
	gocsp__wire_budget_init(&op->budget, len);
	op->req = gocsp__wire_decode_request(&op->budget, frame, len);
	if (op->req == NULL) {
		gocspd_log(GOCSPD_WARN,
		    "client %u sent a request that does not decode (%zu "
		    "bytes): connection closed",
		    pipe, len);
		close_pipe(pipe);
		gocspd_server_done(r);
		op_free(op, false);
		return;
	}
	atomic_fetch_add_explicit(&handled, 1, memory_order_relaxed);
	Gocsp__Request *req = op->req;
	if (req->n_acks > 0)
		gocspd_conn_ack(conn, req->acks, req->n_acks);
	if (req->op_id == 0) { /* wants no reply */
		gocspd_server_done(r);
		op_free(op, false);
		return;
	}
	switch (gocspd_conn_begin_op(conn, req->op_id)) {
	case GOCSPD_OP_RUN:
		break;
	case GOCSPD_OP_DUPLICATE:
		gocspd_log(GOCSPD_DEBUG,
		    "client %u: op %llu seen before (a resend): dropped", pipe,
		    (unsigned long long) req->op_id);
		gocspd_server_done(r);
		op_free(op, false);
		return;
	default:
		refuse(op, GOCSP_ELIMIT,
		    "limit --max-ops reached: too many operations under way "
		    "on this connection");
		return;
	}
	atomic_fetch_add(&running, 1);
	int64_t t = req->timeout_ns;
	op->deadline = t < 0 ? -1 : t == 0 ? 0 : gocsp_now() + t;
	dispatch(op);
}

int64_t
gocspd_op_timeout(const struct gocspd_op *op)
{
	if (op->deadline <= 0)
		return op->deadline;
	int64_t left = op->deadline - gocsp_now();
	return left > 0 ? left : 0;
}

int
gocspd_op_wait_result(const struct gocspd_op *op, int rc)
{
	return rc == GOCSP_EAGAIN && op->deadline != 0 ? GOCSP_ETIMEDOUT : rc;
}

static void
run_blocked(void *arg)
{
	struct gocspd_op *op = arg;
	op->resume(op);
}

void
gocspd_op_block(struct gocspd_op *op, void (*resume)(struct gocspd_op *))
{
	op->resume = resume;
	if (gocsp_go(run_blocked, op) != 0)
		gocspd_op_fail(op, GOCSP_ENOMEM,
		    "out of memory for a blocking operation");
}

nng_msg *
gocspd_op_encode(struct gocspd_op *op, Gocsp__Reply *r)
{
	r->op_id = op->req->op_id;
	size_t size = gocsp__reply__get_packed_size(r);
	nng_msg *msg = gocspd_server_reply_alloc(size);
	if (msg == NULL)
		return NULL;
	gocsp__reply__pack(r, nng_msg_body(msg));
	return msg;
}

void
gocspd_op_send_encoded(struct gocspd_op *op, nng_msg *msg)
{
	gocspd_server_reply(op->rctx, msg);
	op_free(op, true);
}

void
gocspd_op_finish(struct gocspd_op *op)
{
	gocspd_server_done(op->rctx);
	op_free(op, true);
}

void
gocspd_op_reply(struct gocspd_op *op, Gocsp__Reply *r)
{
	nng_msg *msg = gocspd_op_encode(op, r);
	if (msg == NULL) {
		gocspd_log(GOCSPD_ERR,
		    "out of memory for a reply: closing client %u",
		    op->conn->pipe);
		close_pipe(op->conn->pipe);
		gocspd_op_finish(op);
		return;
	}
	gocspd_op_send_encoded(op, msg);
}

void
gocspd_op_fail(struct gocspd_op *op, int code, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.status = code;
	r.error = why;
	gocspd_op_reply(op, &r);
}

int
gocspd_op_check_name(struct gocspd_op *op, const char *name)
{
	const char *problem = gocsp__wire_name_problem(name, limits->max_name);
	if (problem == NULL)
		return 0;
	gocspd_op_fail(op, GOCSP_EINVAL, "invalid channel name '%.64s%s': %s",
	    name, strlen(name) > 64 ? "..." : "", problem);
	return -1;
}

int
gocspd_op_find(struct gocspd_op *op, const char *name)
{
	if (gocspd_op_check_name(op, name) != 0)
		return -1;
	if (gocspd_chan_find(name, &op->chan) != 0) {
		gocspd_op_fail(op, GOCSP_ENOENT, "no channel named '%s'", name);
		return -1;
	}
	return 0;
}
