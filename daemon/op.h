/*
 * op.h: one client operation under way (op.c), made by request.c and
 * carried out by the operations (chanops.c, adminops.c).
 *
 * An operation first runs where its server received it (an nng thread,
 * or ipc.c's reader of the connection), where it must not block: what would block moves to a coroutine with
 * gocspd_op_block(), which runs op->resume there.  Every path ends the
 * operation exactly once: with a reply (gocspd_op_reply, gocspd_op_fail,
 * gocspd_op_send_encoded) or without one (gocspd_op_finish).
 */
#ifndef GOCSPD_OP_H
#define GOCSPD_OP_H

#include <stdbool.h>
#include <stdint.h>

#include <gocsp/gocsp.h>
#include <nng/nng.h>

#include "conn.h"
#include "options.h"
#include "rctx.h"
#include "registry.h"
#include "wire.h"

struct gocspd_op {
	struct gocspd_rctx *rctx; /* where the reply goes */
	struct gocspd_conn *conn; /* holds a reference */
	const struct gocspd_limits *limits;
	struct gocsp__wire_arena arena; /* req's allocator */
	Gocsp__Request *req;
	int64_t deadline; /* monotonic ns; -1 none; 0 no wait */
	void (*resume)(struct gocspd_op *op); /* runs in a coroutine */
	struct gocspd_chan *chan;   /* the channel of send/recv, if held */
	uint32_t done;              /* send: values that went */
	struct gocspd_msg *pending; /* send: the value being sent */
	bool admitted;              /* counted by gocspd_op_admit */
};

/* The limits every operation is checked against (kept, not copied). */
void gocspd_ops_init(const struct gocspd_limits *limits);

/* Requests decoded since the daemon started. */
uint64_t gocspd_ops_handled(void);

/* Wait until no admitted operation is under way (the daemon is stopping
 * and every connection has ended).  May park. */
void gocspd_ops_wait(void);

/*
 * The operation of frame, from conn (whose reference it takes) on r, or
 * NULL: out of memory, or a frame that does not decode (logged; the
 * connection is closed).  Then conn's reference and r are the caller's.
 */
struct gocspd_op *gocspd_op_new(struct gocspd_rctx *r,
    struct gocspd_conn *conn, const void *frame, size_t len);

/*
 * Admit op: 0 (it runs: op->deadline is set), GOCSPD_OP_DUPLICATE or
 * GOCSP_ELIMIT (then end it with gocspd_op_finish or gocspd_op_fail).
 */
int gocspd_op_admit(struct gocspd_op *op);

/* Ends of a blocking wait besides a channel operation's own codes. */
#define GOCSPD_GONE GOCSP_ECONNRESET /* the client went: no reply */

/* The timeout for a core call now: -1, or ns left (0 when past). */
int64_t gocspd_op_timeout(const struct gocspd_op *op);

/* A would-block (EAGAIN) of a wait that had time is a timeout. */
int gocspd_op_wait_result(const struct gocspd_op *op, int rc);

/* Continue op in a coroutine: op->resume(op) runs there. */
void gocspd_op_block(struct gocspd_op *op, void (*resume)(struct gocspd_op *));

/* Encode r (op_id set here) as op's reply; NULL when out of memory. */
nng_msg *gocspd_op_encode(struct gocspd_op *op, Gocsp__Reply *r);

/* Send an encoded reply and end op. */
void gocspd_op_send_encoded(struct gocspd_op *op, nng_msg *msg);

/* Reply r and end op. */
void gocspd_op_reply(struct gocspd_op *op, Gocsp__Reply *r);

/* Reply an error: code and a message saying what failed. */
void gocspd_op_fail(struct gocspd_op *op, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* End op without a reply (its client went, it asked for none, or it
 * repeated an earlier one). */
void gocspd_op_finish(struct gocspd_op *op);

/*
 * Check a channel name and find the channel: 0 with op->chan set, or
 * the operation has failed (replied) and -1 is returned.
 */
int gocspd_op_find(struct gocspd_op *op, const char *name);

/* Check a name given to make: 0, or the operation failed and -1. */
int gocspd_op_check_name(struct gocspd_op *op, const char *name);

/* The operations (chanops.c, adminops.c, poolops.c), each entered on the
 * receiving thread or reader. */
void gocspd_op_ping(struct gocspd_op *op);
void gocspd_op_make(struct gocspd_op *op);
void gocspd_op_close(struct gocspd_op *op);
void gocspd_op_remove(struct gocspd_op *op);
void gocspd_op_list(struct gocspd_op *op);
void gocspd_op_stat(struct gocspd_op *op);
void gocspd_op_send(struct gocspd_op *op);
void gocspd_op_recv(struct gocspd_op *op);
void gocspd_op_select(struct gocspd_op *op);
void gocspd_op_spawn(struct gocspd_op *op);
void gocspd_op_pool_wait(struct gocspd_op *op);
void gocspd_op_pool_kill(struct gocspd_op *op);
void gocspd_op_pools(struct gocspd_op *op);
void gocspd_op_wg_add(struct gocspd_op *op);
void gocspd_op_wg_wait(struct gocspd_op *op);

#endif /* GOCSPD_OP_H */
