/*
 * Design notes: requests.
 *
 * A frame becomes an operation (op.c decodes it), its acknowledgements
 * apply before anything else, whatever the operation, and it is admitted
 * (not a resend, within --max-ops) before it runs.  A frame that does not
 * decode closes its connection: the peer is not speaking the protocol,
 * and there is no op_id to answer.
 */
#include "request.h"

#include "conn.h"
#include "log.h"
#include "op.h"

static void
dispatch(struct gocspd_op *op)
{
	switch (op->req->op_case) {
	case GOCSP__REQUEST__OP_PING:
		gocspd_op_ping(op);
		break;
	case GOCSP__REQUEST__OP_MAKE:
		gocspd_op_make(op);
		break;
	case GOCSP__REQUEST__OP_SEND:
		gocspd_op_send(op);
		break;
	case GOCSP__REQUEST__OP_RECV:
		gocspd_op_recv(op);
		break;
	case GOCSP__REQUEST__OP_SELECT:
		gocspd_op_select(op);
		break;
	case GOCSP__REQUEST__OP_CLOSE:
		gocspd_op_close(op);
		break;
	case GOCSP__REQUEST__OP_REMOVE:
		gocspd_op_remove(op);
		break;
	case GOCSP__REQUEST__OP_LIST:
		gocspd_op_list(op);
		break;
	case GOCSP__REQUEST__OP_STAT:
		gocspd_op_stat(op);
		break;
	case GOCSP__REQUEST__OP_SPAWN:
		gocspd_op_spawn(op);
		break;
	case GOCSP__REQUEST__OP_POOL_WAIT:
		gocspd_op_pool_wait(op);
		break;
	case GOCSP__REQUEST__OP_POOL_KILL:
		gocspd_op_pool_kill(op);
		break;
	case GOCSP__REQUEST__OP_POOLS:
		gocspd_op_pools(op);
		break;
	case GOCSP__REQUEST__OP_WG_ADD:
		gocspd_op_wg_add(op);
		break;
	case GOCSP__REQUEST__OP_WG_WAIT:
		gocspd_op_wg_wait(op);
		break;
	default:
		gocspd_op_fail(op, GOCSP_EINVAL,
		    "unknown or missing operation (this gocspd is %d.%d.%d)",
		    GOCSP_VERSION_MAJOR, GOCSP_VERSION_MINOR,
		    GOCSP_VERSION_PATCH);
		break;
	}
}

void
gocspd_request_handle(struct gocspd_rctx *r, uint32_t id, const void *frame,
    size_t len)
{
	struct gocspd_conn *conn = gocspd_conn_get(id);
	if (conn == NULL) { /* it has gone */
		gocspd_rctx_done(r);
		return;
	}
	struct gocspd_op *op = gocspd_op_new(r, conn, frame, len);
	if (op == NULL) {
		gocspd_conn_release(conn);
		gocspd_rctx_done(r);
		return;
	}
	Gocsp__Request *req = op->req;
	if (req->n_acks > 0)
		gocspd_conn_ack(conn, req->acks, req->n_acks);
	if (req->op_id == 0) { /* wants no reply */
		gocspd_op_finish(op);
		return;
	}
	switch (gocspd_op_admit(op)) {
	case 0:
		dispatch(op);
		break;
	case GOCSPD_OP_DUPLICATE:
		gocspd_log(GOCSPD_DEBUG,
		    "client %u: op %llu seen before (a resend): dropped", id,
		    (unsigned long long) req->op_id);
		gocspd_op_finish(op);
		break;
	default:
		gocspd_op_fail(op, GOCSP_ELIMIT,
		    "limit --max-ops reached: too many operations under way "
		    "on this connection");
		break;
	}
}
