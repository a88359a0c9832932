/*
 * Design notes: send, receive and select on named channels.
 *
 * Each is the core's operation on the channel's gocsp_chan: a client's
 * blocked receive is a coroutine parked in gocsp_select on the channel
 * and on its connection's gone channel, so a client that goes ends it.
 * Where it was received an operation first tries without blocking
 * (trysend, tryrecv); only what must wait moves to a coroutine.
 *
 * Delivery: a value taken off a channel is encoded into the reply, then
 * recorded as held by the connection, then sent; the client acknowledges
 * it later.  If the connection has ended by the time it would be
 * recorded, the values go straight back to the head of their channel.
 *
 * Unbuffered channels: the send completes only when the receiving client
 * has acknowledged the value.  The sender attaches a hand-off to the
 * message and, once a receiver took it, waits for the answer; if that
 * receiver's client went first, the value comes back and is offered again
 * (until the deadline), as if the receive had not happened.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "op.h"

/* ---------------------------------------------------------------------- */
/* Waiting                                                                 */
/* ---------------------------------------------------------------------- */

/*
 * Send *mp on c (dir GOCSP_SEND) or receive into *mp (GOCSP_RECV), waiting
 * until the deadline or until the client goes.  0 (a value received
 * counts in flight), GOCSP_ECLOSED (for a receive: closed and drained),
 * GOCSPD_GONE, or a timeout.
 */
static int
wait_on(struct gocspd_op *op, struct gocspd_chan *c, int dir,
    struct gocspd_msg **mp)
{
	int rc = gocspd_chan_wait(c, dir, mp, op->conn->gone,
	    gocspd_op_timeout(op));
	return rc == GOCSP_ECANCELED ? GOCSPD_GONE
	                             : gocspd_op_wait_result(op, rc);
}

/* Take a value from c without waiting: 0 (it counts in flight),
 * GOCSP_EAGAIN or GOCSP_ECLOSED. */
static int
take(struct gocspd_chan *c, struct gocspd_msg **mp)
{
	return gocspd_chan_wait(c, GOCSP_RECV, mp, NULL, 0);
}

enum { ANSWER_RETURNED = 0, ANSWER_ACKED = 1 };

/* After a receiver took a message with hand-off h: ANSWER_ACKED,
 * ANSWER_RETURNED, or GOCSPD_GONE if our own client went first. */
static int
await_answer(struct gocspd_op *op, struct gocspd_handoff *h)
{
	int answer = ANSWER_RETURNED;
	gocsp_case cs[2] = {
	    {.chan = h->done, .op = GOCSP_RECV, .elem = &answer},
	    {.chan = op->conn->gone, .op = GOCSP_RECV},
	};
	int r = gocsp_select(cs, 2, GOCSP_FOREVER);
	return r == 1 ? GOCSPD_GONE : answer;
}

/*
 * Send *mp on unbuffered c until its receiver acknowledges it (0; the
 * acknowledgement freed it).  On an error *mp is still ours, except on
 * GOCSPD_GONE after a receiver took it: then *mp is NULL.
 */
static int
send_handoff(struct gocspd_op *op, struct gocspd_chan *c,
    struct gocspd_msg **mp, struct gocspd_handoff *h)
{
	for (;;) {
		gocspd_handoff_attach(h, *mp);
		int rc = wait_on(op, c, GOCSP_SEND, mp);
		if (rc != 0) {
			gocspd_handoff_detach(*mp);
			return rc;
		}
		*mp = NULL; /* out: the receiver's now */
		switch (await_answer(op, h)) {
		case ANSWER_ACKED:
			return 0;
		case GOCSPD_GONE:
			return GOCSPD_GONE;
		default:
			*mp = gocspd_handoff_take_back(h);
			break;
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Delivery                                                                */
/* ---------------------------------------------------------------------- */

/* Put msgs[0..n) back at the head of c, in order. */
static void
put_back(struct gocspd_chan *c, struct gocspd_msg **msgs, size_t n)
{
	while (n > 0)
		gocspd_chan_putback(c, msgs[--n]);
}

/*
 * Reply msgs[0..n), taken from c, as deliveries (for a select, the case
 * index; -1 otherwise), then record them as held by the client.  Ends op.
 */
static void
deliver(struct gocspd_op *op, struct gocspd_chan *c, struct gocspd_msg **msgs,
    size_t n, int index)
{
	Gocsp__Delivery *dv = calloc(n, sizeof(*dv));
	Gocsp__Delivery **dvp = calloc(n, sizeof(*dvp));
	struct gocspd_delivery **ds = calloc(n, sizeof(*ds));
	nng_msg *reply = NULL;
	if (dv == NULL || dvp == NULL || ds == NULL)
		goto nomem;

	for (size_t i = 0; i < n; i++) {
		ds[i] = &msgs[i]->delivery;
		ds[i]->id = gocspd_conn_next_id();
		ds[i]->m = msgs[i];
		ds[i]->c = c;
		gocsp__delivery__init(&dv[i]);
		dv[i].id = ds[i]->id;
		dv[i].value.data = msgs[i]->data;
		dv[i].value.len = msgs[i]->len;
		dv[i].ack_now = msgs[i]->handoff != NULL;
		dvp[i] = &dv[i];
	}
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.deliveries = dvp;
	r.n_deliveries = n;
	if (index >= 0) {
		r.index = index;
		r.ok = 1;
	}
	if ((reply = gocspd_op_encode(op, &r)) == NULL)
		goto nomem;
	free(dv);
	free(dvp);
	for (size_t i = 0; i < n; i++)
		gocspd_chan_retain(c);
	if (gocspd_conn_deliver(op->conn, ds, n) != 0) {
		/* The client went meanwhile: it never saw them. */
		for (size_t i = 0; i < n; i++)
			gocspd_chan_release(c);
		free(ds);
		nng_msg_free(reply);
		put_back(c, msgs, n);
		gocspd_op_finish(op);
		return;
	}
	free(ds);
	gocspd_op_send_encoded(op, reply);
	return;

nomem:
	free(ds);
	free(dv);
	free(dvp);
	put_back(c, msgs, n);
	gocspd_op_fail(op, GOCSP_ENOMEM,
	    "out of memory delivering from "
	    "channel '%s'",
	    c->name);
}

/* ---------------------------------------------------------------------- */
/* Send                                                                    */
/* ---------------------------------------------------------------------- */

static void send_values(struct gocspd_op *op, bool may_block);

static void
send_resume(struct gocspd_op *op)
{
	send_values(op, true);
}

static void
send_reply(struct gocspd_op *op, int rc)
{
	Gocsp__Send *s = op->req->send;
	const char *name = op->chan->name;
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.sent = op->done;
	if (rc == 0) {
		gocspd_op_reply(op, &r);
		return;
	}
	char why[256];
	switch (rc) {
	case GOCSP_ECLOSED:
		snprintf(why, sizeof(why), "channel '%s' is closed", name);
		break;
	case GOCSP_ETIMEDOUT:
		snprintf(why, sizeof(why),
		    "timed out sending on channel '%s' (%u of %zu values "
		    "sent)",
		    name, op->done, s->n_values);
		break;
	case GOCSP_EAGAIN:
		snprintf(why, sizeof(why), "channel '%s' %s", name,
		    op->chan->cap == 0 ? "has no receiver ready" : "is full");
		break;
	case GOCSP_ELIMIT:
		snprintf(why, sizeof(why),
		    "limit --max-queued (%llu bytes) reached: gocspd holds "
		    "%llu bytes of values",
		    (unsigned long long) op->limits->max_queued,
		    (unsigned long long) gocspd_msg_bytes());
		break;
	default:
		snprintf(why, sizeof(why), "sending on channel '%s': %s", name,
		    gocsp_strerror(rc));
		break;
	}
	r.status = rc;
	r.error = why;
	gocspd_op_reply(op, &r);
}

static void
send_values(struct gocspd_op *op, bool may_block)
{
	Gocsp__Send *s = op->req->send;
	struct gocspd_chan *c = op->chan;
	struct gocspd_handoff *h = NULL;
	int rc = 0;
	while (op->done < s->n_values) {
		if (op->pending == NULL) {
			ProtobufCBinaryData *v = &s->values[op->done];
			rc = gocspd_msg_new(&op->pending, v->data, v->len);
			if (rc != 0)
				break;
		}
		if (!may_block) {
			rc = gocsp_chan_trysend(c->ch, &op->pending);
			if (rc == GOCSP_EAGAIN && op->deadline != 0) {
				gocspd_op_block(op, send_resume);
				return;
			}
		} else if (c->cap > 0) {
			rc = wait_on(op, c, GOCSP_SEND, &op->pending);
		} else {
			if (h == NULL && (h = gocspd_handoff_new()) == NULL) {
				rc = GOCSP_ENOMEM;
				break;
			}
			rc = send_handoff(op, c, &op->pending, h);
		}
		if (rc != 0)
			break;
		op->pending = NULL;
		atomic_fetch_add(&c->sent, 1);
		op->done++;
	}
	if (h != NULL)
		gocspd_handoff_release(h);
	if (rc == GOCSPD_GONE)
		gocspd_op_finish(op);
	else
		send_reply(op, rc);
}

void
gocspd_op_send(struct gocspd_op *op)
{
	Gocsp__Send *s = op->req->send;
	if (gocspd_op_find(op, s->name) != 0)
		return;
	if (s->n_values > op->limits->max_batch) {
		gocspd_op_fail(op, GOCSP_ELIMIT,
		    "limit --max-batch (%u values) exceeded: %zu values in "
		    "one send",
		    op->limits->max_batch, s->n_values);
		return;
	}
	for (size_t i = 0; i < s->n_values; i++)
		if (s->values[i].len > op->limits->max_msg) {
			gocspd_op_fail(op, GOCSP_ELIMIT,
			    "limit --max-msg (%u bytes) exceeded: a value of "
			    "%zu bytes for channel '%s'",
			    op->limits->max_msg, s->values[i].len, s->name);
			return;
		}
	/* An unbuffered send waits for the receiver's acknowledgement. */
	if (op->chan->cap == 0 && s->n_values > 0)
		gocspd_op_block(op, send_resume);
	else
		send_values(op, false);
}

/* ---------------------------------------------------------------------- */
/* Receive                                                                 */
/* ---------------------------------------------------------------------- */

static void recv_values(struct gocspd_op *op, bool may_block);

static void
recv_resume(struct gocspd_op *op)
{
	recv_values(op, true);
}

static uint32_t
recv_max(const struct gocspd_op *op)
{
	return op->req->recv->max > 0 ? op->req->recv->max : 1;
}

/* Fail op because its client holds too many unacknowledged values. */
static void
fail_unacked(struct gocspd_op *op)
{
	gocspd_op_fail(op, GOCSP_ELIMIT,
	    "limit --max-unacked (%u) reached: acknowledge deliveries first",
	    op->limits->max_unacked);
}

static void
recv_values(struct gocspd_op *op, bool may_block)
{
	struct gocspd_chan *c = op->chan;
	if (!gocspd_conn_may_take(op->conn)) {
		fail_unacked(op);
		return;
	}
	struct gocspd_msg *m;
	int rc;
	if (!may_block) {
		rc = take(c, &m);
		if (rc == GOCSP_EAGAIN && op->deadline != 0) {
			gocspd_op_block(op, recv_resume);
			return;
		}
	} else {
		rc = wait_on(op, c, GOCSP_RECV, &m);
	}
	switch (rc) {
	case 0:
		break;
	case GOCSPD_GONE:
		gocspd_op_finish(op);
		return;
	case GOCSP_ECLOSED:
		gocspd_op_fail(op, rc, "channel '%s' is closed and drained",
		    c->name);
		return;
	case GOCSP_EAGAIN:
		gocspd_op_fail(op, rc, "channel '%s' has nothing to receive",
		    c->name);
		return;
	default:
		gocspd_op_fail(op, rc, "timed out receiving from channel '%s'",
		    c->name);
		return;
	}

	uint32_t max = recv_max(op);
	struct gocspd_msg *one[1], **msgs = one;
	if (max > 1 && (msgs = malloc(max * sizeof(*msgs))) == NULL) {
		msgs = one;
		max = 1;
	}
	size_t n = 0, bytes = m->len;
	msgs[n++] = m;
	/* More that are ready, within a reply of reasonable size. */
	while (n < max && bytes < GOCSP_WIRE_BATCH_BYTES && take(c, &m) == 0) {
		msgs[n++] = m;
		bytes += m->len;
	}
	deliver(op, c, msgs, n, -1);
	if (msgs != one)
		free(msgs);
}

void
gocspd_op_recv(struct gocspd_op *op)
{
	if (gocspd_op_find(op, op->req->recv->name) != 0)
		return;
	if (recv_max(op) > op->limits->max_batch) {
		gocspd_op_fail(op, GOCSP_ELIMIT,
		    "limit --max-batch (%u values) exceeded: %u values asked "
		    "for",
		    op->limits->max_batch, recv_max(op));
		return;
	}
	recv_values(op, false);
}

/* ---------------------------------------------------------------------- */
/* Select                                                                  */
/* ---------------------------------------------------------------------- */

/* A select's cases, resolved; the last gocsp_case is the gone channel. */
struct sel {
	size_t n;
	struct gocspd_chan **chans;
	struct gocspd_msg **msgs;   /* send cases: the value, if ours */
	struct gocspd_msg **slots;  /* receive cases: where it lands */
	struct gocspd_handoff **hs; /* unbuffered send cases */
	gocsp_case *cs;
};

static void
sel_free(struct sel *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->msgs[i] != NULL) {
			if (s->msgs[i]->handoff != NULL)
				gocspd_handoff_detach(s->msgs[i]);
			gocspd_msg_free(s->msgs[i]);
		}
		if (s->hs[i] != NULL)
			gocspd_handoff_release(s->hs[i]);
		if (s->chans[i] != NULL)
			gocspd_chan_release(s->chans[i]);
	}
	free(s->chans);
	free(s->msgs);
	free(s->slots);
	free(s->hs);
	free(s->cs);
}

/* Resolve the cases: 0, or op has failed and -1. */
static int
sel_prepare(struct gocspd_op *op, struct sel *s)
{
	Gocsp__Select *req = op->req->select;
	size_t n = req->n_cases;
	s->n = n;
	s->chans = calloc(n + 1, sizeof(*s->chans));
	s->msgs = calloc(n + 1, sizeof(*s->msgs));
	s->slots = calloc(n + 1, sizeof(*s->slots));
	s->hs = calloc(n + 1, sizeof(*s->hs));
	s->cs = calloc(n + 1, sizeof(*s->cs));
	if (!s->chans || !s->msgs || !s->slots || !s->hs || !s->cs) {
		s->n = 0;
		gocspd_op_fail(op, GOCSP_ENOMEM, "out of memory for a select");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		Gocsp__Case *k = req->cases[i];
		if (gocspd_op_find(op, k->name) != 0)
			return -1;
		struct gocspd_chan *c = s->chans[i] = op->chan;
		op->chan = NULL;
		s->cs[i].chan = c->ch;
		if (!k->send) {
			s->cs[i].op = GOCSP_RECV;
			s->cs[i].elem = &s->slots[i];
			continue;
		}
		s->cs[i].op = GOCSP_SEND;
		s->cs[i].elem = &s->msgs[i];
		int rc =
		    gocspd_msg_new(&s->msgs[i], k->value.data, k->value.len);
		if (rc == 0 && c->cap == 0 &&
		    (s->hs[i] = gocspd_handoff_new()) == NULL)
			rc = GOCSP_ENOMEM;
		if (rc != 0) {
			gocspd_op_fail(op, rc,
			    rc == GOCSP_ELIMIT ? "limit --max-queued reached"
			                       : "out of memory for a select");
			return -1;
		}
		if (s->hs[i] != NULL)
			gocspd_handoff_attach(s->hs[i], s->msgs[i]);
	}
	s->cs[n].chan = op->conn->gone;
	s->cs[n].op = GOCSP_RECV;
	return 0;
}

static void
count_waiting(struct sel *s, int delta)
{
	for (size_t i = 0; i < s->n; i++)
		atomic_fetch_add(s->cs[i].op == GOCSP_SEND
		        ? &s->chans[i]->send_waiting
		        : &s->chans[i]->recv_waiting,
		    (uint32_t) delta);
}

static void
sel_reply(struct gocspd_op *op, int index, bool ok)
{
	Gocsp__Reply r = GOCSP__REPLY__INIT;
	r.index = index;
	r.ok = ok;
	gocspd_op_reply(op, &r);
}

static void
select_run(struct gocspd_op *op)
{
	struct sel s = {0};
	if (sel_prepare(op, &s) != 0) {
		sel_free(&s);
		return;
	}
	for (;;) {
		count_waiting(&s, 1);
		int r = gocsp_select(s.cs, s.n + 1, gocspd_op_timeout(op));
		if (r >= 0 && r < (int) s.n && s.cs[r].op == GOCSP_RECV &&
		    s.cs[r].ok)
			atomic_fetch_add(&s.chans[r]->in_flight, 1);
		count_waiting(&s, -1);
		if (r == (int) s.n) {
			gocspd_op_finish(op);
			break;
		}
		if (r < 0) {
			r = gocspd_op_wait_result(op, r);
			gocspd_op_fail(op, r,
			    r == GOCSP_EAGAIN ? "no select case is ready"
			                      : "select timed out");
			break;
		}
		struct gocspd_chan *c = s.chans[r];
		if (s.cs[r].op == GOCSP_RECV) {
			if (!s.cs[r].ok)
				sel_reply(op, r, false);
			else
				deliver(op, c, &s.slots[r], 1, r);
			break;
		}
		if (!s.cs[r].ok) { /* closed: the value is still ours */
			sel_reply(op, r, false);
			break;
		}
		atomic_fetch_add(&c->sent, 1);
		s.msgs[r] = NULL; /* the channel's now */
		if (s.hs[r] == NULL) {
			sel_reply(op, r, true);
			break;
		}
		int answer = await_answer(op, s.hs[r]);
		if (answer == ANSWER_ACKED) {
			sel_reply(op, r, true);
			break;
		}
		if (answer == GOCSPD_GONE) {
			gocspd_op_finish(op);
			break;
		}
		/* Its receiver went: select again, the value back in place. */
		atomic_fetch_sub(&c->sent, 1);
		s.msgs[r] = gocspd_handoff_take_back(s.hs[r]);
		gocspd_handoff_attach(s.hs[r], s.msgs[r]);
	}
	sel_free(&s);
}

void
gocspd_op_select(struct gocspd_op *op)
{
	Gocsp__Select *s = op->req->select;
	if (s->n_cases > op->limits->max_cases) {
		gocspd_op_fail(op, GOCSP_ELIMIT,
		    "limit --max-cases (%u) exceeded: a select of %zu cases",
		    op->limits->max_cases, s->n_cases);
		return;
	}
	for (size_t i = 0; i < s->n_cases; i++)
		if (s->cases[i]->send &&
		    s->cases[i]->value.len > op->limits->max_msg) {
			gocspd_op_fail(op, GOCSP_ELIMIT,
			    "limit --max-msg (%u bytes) exceeded: a value of "
			    "%zu bytes in select case %zu",
			    op->limits->max_msg, s->cases[i]->value.len, i);
			return;
		}
	gocspd_op_block(op, select_run);
}
