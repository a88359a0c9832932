/*
 * conn.h: gocspd's clients, one per connection (an nng pipe, or one of
 * ipc.c's).
 *
 * A connection records what its client holds: the deliveries it has not
 * acknowledged yet (oldest first).  When the connection goes, every one of them
 * goes back to the head of its channel, newest first so that the order is
 * kept, and the connection's gone channel closes, which ends the client's
 * blocked operations (each selects on it).
 */
#ifndef GOCSPD_CONN_H
#define GOCSPD_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <gocsp/gocsp.h>

#include "msg.h"
#include "options.h"
#include "registry.h"

/* How far behind the highest op_id seen a request may arrive and still be
 * told from a resend: nng's threads may hand consecutive requests of one
 * connection to the daemon in another order. */
#define GOCSPD_OP_WINDOW 1024

struct gocspd_conn {
	_Atomic uint32_t refs;
	uint32_t id;               /* its server's (conn.c) */
	void (*kick)(uint32_t id); /* its server closes it */
	uint64_t uid;              /* peer uid (ipc), UINT64_MAX if unknown */
	bool remote;               /* tcp or tls+tcp */
	gocsp_chan *gone;          /* signal-only; closed when it goes */
	pthread_mutex_t lock;
	bool dead;        /* under lock */
	uint64_t last_op; /* under lock: highest op_id seen */
	uint64_t seen[GOCSPD_OP_WINDOW / 64]; /* under lock: op_ids seen,
	                             the last GOCSPD_OP_WINDOW of them */
	uint32_t ops;     /* under lock: operations under way */
	uint32_t unacked; /* under lock */
	struct gocspd_delivery *first, *last; /* under lock */
	struct gocspd_conn *hnext;            /* under the table's lock */
};

/* Size the connection table.  0 or GOCSP_ENOMEM. */
int gocspd_conns_init(const struct gocspd_limits *limits);

/*
 * A new connection, id, which its server closes with kick(id).
 * @return 0, GOCSP_ELIMIT (--max-clients reached) or GOCSP_ENOMEM.
 */
int gocspd_conn_add(uint32_t id, uint64_t uid, bool remote,
    void (*kick)(uint32_t id));

/* The connection id, with a reference, or NULL if it has gone. */
struct gocspd_conn *gocspd_conn_get(uint32_t id);

/* Have c's server close it (a client that broke the rules): it ends. */
void gocspd_conn_kick(struct gocspd_conn *c);

void gocspd_conn_release(struct gocspd_conn *c);

/* The connection went: forget it and put back what its client held. */
void gocspd_conn_end(uint32_t id);

/* End every connection (the daemon is stopping). */
void gocspd_conn_end_all(void);

/* Connections now. */
uint32_t gocspd_conn_count(void);

enum {
	GOCSPD_OP_RUN = 0,
	GOCSPD_OP_DUPLICATE = 1, /* an op_id seen before: drop the request */
};

/*
 * Admit operation op_id: GOCSPD_OP_RUN (call gocspd_conn_end_op when it
 * is over), GOCSPD_OP_DUPLICATE, or GOCSP_ELIMIT (--max-ops).
 */
int gocspd_conn_begin_op(struct gocspd_conn *c, uint64_t op_id);
void gocspd_conn_end_op(struct gocspd_conn *c);

/* The client acknowledged these deliveries; unknown ids are ignored. */
void gocspd_conn_ack(struct gocspd_conn *c, const uint64_t *ids, size_t n);

/* Whether the client may be handed one more delivery (--max-unacked). */
bool gocspd_conn_may_take(struct gocspd_conn *c);

/* A fresh delivery id (unique in this daemon's life). */
uint64_t gocspd_conn_next_id(void);

/*
 * Record ds[0..n) (each with id, m and a reference on its channel set,
 * in delivery order) as held by the client, all or none.
 * @return 0, or GOCSP_ECONNRESET if the connection ended: then nothing
 *         is recorded and the caller puts the messages back.
 */
int gocspd_conn_deliver(struct gocspd_conn *c, struct gocspd_delivery **ds,
    size_t n);

#endif /* GOCSPD_CONN_H */
