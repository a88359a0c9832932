/*
 * Design notes: the life of an operation.
 *
 * An operation owns its decoded request, a reference on its connection
 * and the context its reply goes out on.  It is made where its server
 * received the frame -- an nng thread, or ipc.c's reader coroutine with
 * its 64 KiB stack, never a small one (protobuf-c's unpack wants more
 * than 2 KiB) -- into an arena with a budget proportional to the frame.
 * Every path ends it once, with a reply or without.
 *
 * Shutdown counts admitted operations rather than joining coroutines:
 * every operation that waits also waits on its connection's gone channel,
 * so ending the connections ends them all.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "op.h"
#include "server.h"

static const struct gocspd_limits *limits;
static _Atomic long running;     /* admitted and not ended */
static _Atomic uint64_t handled; /* requests decoded */

void
gocspd_ops_init(const struct gocspd_limits *l)
{
	limits = l;
}

uint64_t
gocspd_ops_handled(void)
{
	return atomic_load_explicit(&handled, memory_order_relaxed);
}

void
gocspd_ops_wait(void)
{
	while (atomic_load(&running) > 0)
		gocsp_sleep(GOCSP_MS(1));
}

struct gocspd_op *
gocspd_op_new(struct gocspd_rctx *r, struct gocspd_conn *conn,
    const void *frame, size_t len)
{
	struct gocspd_op *op = calloc(1, sizeof(*op));
	if (op == NULL) {
		gocspd_log(GOCSPD_ERR, "out of memory: closing client %u",
		    conn->id);
		gocspd_conn_kick(conn);
		return NULL;
	}
	op->rctx = r;
	op->conn = conn;
	op->limits = limits;
	gocsp__wire_arena_init(&op->arena, len);
	op->req = gocsp__wire_decode_request(&op->arena, frame, len);
	if (op->req == NULL) {
		gocspd_log(GOCSPD_WARN,
		    "client %u sent a request that does not decode (%zu "
		    "bytes): connection closed",
		    conn->id, len);
		gocspd_conn_kick(conn);
		gocsp__wire_arena_fini(&op->arena);
		free(op);
		return NULL;
	}
	atomic_fetch_add_explicit(&handled, 1, memory_order_relaxed);
	return op;
}

/* Free what op holds; the reply (if any) has been handed over. */
static void
op_free(struct gocspd_op *op)
{
	if (op->pending != NULL)
		gocspd_msg_free(op->pending);
	if (op->chan != NULL)
		gocspd_chan_release(op->chan);
	gocsp__wire_arena_fini(&op->arena); /* op->req */
	if (op->admitted) {
		gocspd_conn_end_op(op->conn);
		atomic_fetch_sub(&running, 1);
	}
	gocspd_conn_release(op->conn);
	free(op);
}

int
gocspd_op_admit(struct gocspd_op *op)
{
	int rc = gocspd_conn_begin_op(op->conn, op->req->op_id);
	if (rc != GOCSPD_OP_RUN)
		return rc;
	op->admitted = true;
	atomic_fetch_add(&running, 1);
	int64_t t = op->req->timeout_ns;
	op->deadline = t < 0 ? -1 : t == 0 ? 0 : gocsp_now() + t;
	return 0;
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
	gocspd_rctx_reply(op->rctx, msg);
	op_free(op);
}

void
gocspd_op_finish(struct gocspd_op *op)
{
	gocspd_rctx_done(op->rctx);
	op_free(op);
}

void
gocspd_op_reply(struct gocspd_op *op, Gocsp__Reply *r)
{
	nng_msg *msg = gocspd_op_encode(op, r);
	if (msg == NULL) {
		gocspd_log(GOCSPD_ERR,
		    "out of memory for a reply: closing client %u",
		    op->conn->id);
		gocspd_conn_kick(op->conn);
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
		gocspd_op_fail(op, GOCSP_ENOENT, "no channel named '%s'",
		    name);
		return -1;
	}
	return 0;
}
