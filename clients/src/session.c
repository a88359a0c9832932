/*
 * Design notes: a session.
 *
 * Calls.  Each call under way has a record on its caller's stack, linked
 * into the session, with a channel of 2 ints (gocsp_chan, so that a
 * waiting thread blocks and a waiting coroutine parks): WAKE_REPLY when
 * its reply is in, a negative code when the session broke, WAKE_LEAD
 * when it is handed the reading.
 *
 * Reading (pull transports).  A caller that finds nobody reading becomes
 * the leader: it reads replies and completes their calls until its own
 * is complete, then passes the reading to a caller still waiting (or
 * leaves it to the next one that comes).  A single-threaded client thus
 * reads its own replies with no thread switch at all.
 *
 * Deadlines.  A call with a timeout waits for its reply at most that long
 * plus GRACE; the daemon enforces the timeout itself, so a reply that
 * does not come means a daemon that stopped answering: the session is
 * broken (which makes the daemon put back what it had delivered to us,
 * once it notices) and never used again.
 *
 * Acknowledgements.  A reply's deliveries are noted for acknowledgement
 * when it arrives (the process has the values then).  They go on the
 * next request, or after ack_delay in a frame of their own, sent by a
 * flusher thread started on first need; a delivery marked ack_now (an
 * unbuffered sender waits for it) is acknowledged at once by whoever
 * read the reply.  gocspd may handle a connection's frames out of order
 * and see the connection end before a frame sent just before it: ids
 * acknowledged in a frame of their own are therefore repeated in the next
 * request (acknowledging twice is harmless), and closing a session that
 * sent some makes one last round trip carrying them, so that a client
 * that closes never has a value it holds put back.
 */
#include "session.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gocsp/gocsp.h>

#include "transport.h"

#define GRACE GOCSP_SEC(2)        /* for a reply past its timeout */
#define CONNECT_TIME GOCSP_SEC(5) /* to reach a daemon that serves */
#define PING_TIME GOCSP_SEC(1)    /* for the first reply on a connection */

enum { WAKE_REPLY = 1, WAKE_LEAD = 2 };

struct call {
	uint64_t op_id;
	gocsp_chan *done;    /* int, buffer of 2 */
	Gocsp__Reply *reply; /* set before WAKE_REPLY */
	int error;           /* when completed without a reply */
	bool completed;      /* under the session's lock */
	bool waiting;        /* blocked on done: may be handed the reading */
	bool lead;           /* has been handed the reading */
	struct call *next;
};

struct gocsp__session {
	_Atomic uint32_t refs;
	struct gocsp__tp *tp;
	gocsp_mutex send_lock; /* op ids reach the wire in order */
	uint64_t last_op;      /* under send_lock */
	pthread_mutex_t lock;  /* everything below */
	bool broken;
	int error;
	bool reading; /* a leader reads (pull transports) */
	struct call *calls;
	uint64_t *acks; /* delivery ids to acknowledge */
	size_t nacks, acks_cap;
	uint64_t *alone; /* acknowledged in frames of their own */
	size_t nalone, alone_cap;
	int64_t ack_delay;                  /* < 0: acks wait for a request */
	struct gocsp__server_limits limits; /* from the first ping */
	bool flusher_on, stopping;
	bool flusher_idle; /* it waits for acks, with no deadline */
	pthread_t flusher;
	pthread_cond_t cond; /* acks pending, or stopping */
};

static void dispatch(void *arg, const void *body, size_t len);
static void session_fail(void *arg, int error);

/* ---------------------------------------------------------------------- */
/* Acknowledgements                                                        */
/* ---------------------------------------------------------------------- */

/* Append ids[0..n) to the array *a of *len (capacity *cap).  false: no
 * memory (an id not acknowledged leaves its value in flight until the
 * session ends: it is redelivered, not lost). */
static bool
append_ids(uint64_t **a, size_t *len, size_t *cap, const uint64_t *ids,
    size_t n)
{
	if (*len + n > *cap) {
		size_t c = *cap ? *cap : 64;
		while (c < *len + n)
			c *= 2;
		uint64_t *b = realloc(*a, c * sizeof(*b));
		if (b == NULL)
			return false;
		*a = b;
		*cap = c;
	}
	memcpy(*a + *len, ids, n * sizeof(*ids));
	*len += n;
	return true;
}

/* With s->lock held: note id for acknowledgement. */
static void
note_ack(struct gocsp__session *s, uint64_t id)
{
	(void) append_ids(&s->acks, &s->nacks, &s->acks_cap, &id, 1);
}

/* With s->lock held: take the pending acknowledgements (free() them);
 * with_alone: those already sent on their own as well. */
static uint64_t *
take_acks(struct gocsp__session *s, size_t *n, bool with_alone)
{
	if (with_alone && s->nalone > 0) {
		(void) append_ids(&s->acks, &s->nacks, &s->acks_cap, s->alone,
		    s->nalone);
		s->nalone = 0;
	}
	uint64_t *a = s->acks;
	*n = s->nacks;
	s->acks = NULL;
	s->nacks = s->acks_cap = 0;
	return a;
}

/* Send the pending acknowledgements in a frame of their own. */
static void
flush_acks(struct gocsp__session *s)
{
	pthread_mutex_lock(&s->lock);
	size_t n;
	uint64_t *ids = take_acks(s, &n, false);
	bool broken = s->broken;
	if (n > 0 && !broken)
		(void) append_ids(&s->alone, &s->nalone, &s->alone_cap, ids,
		    n);
	pthread_mutex_unlock(&s->lock);
	if (n > 0 && !broken) {
		Gocsp__Request req = GOCSP__REQUEST__INIT;
		Gocsp__Ack ack = GOCSP__ACK__INIT;
		req.op_case = GOCSP__REQUEST__OP_ACK;
		req.ack = &ack;
		req.acks = ids;
		req.n_acks = n;
		size_t len = gocsp__request__get_packed_size(&req);
		uint8_t *buf = malloc(len);
		if (buf != NULL) {
			gocsp__request__pack(&req, buf);
			if (s->tp->ops->send(s->tp, gocsp__wire_reqid(0), buf,
			        len) != 0)
				session_fail(s, GOCSP_ECONNRESET);
			free(buf);
		}
	}
	free(ids);
}

static void *
flusher_main(void *arg)
{
	struct gocsp__session *s = arg;
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		if (s->nacks == 0 || s->ack_delay < 0) {
			s->flusher_idle = true;
			pthread_cond_wait(&s->cond, &s->lock);
			s->flusher_idle = false;
			continue;
		}
		/* Give a request the time to take them along. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t at = ts.tv_nsec + s->ack_delay;
		ts.tv_sec += at / 1000000000;
		ts.tv_nsec = at % 1000000000;
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
		if (s->stopping || s->nacks == 0 || s->ack_delay < 0)
			continue; /* taken by a request, or the delay changed */
		pthread_mutex_unlock(&s->lock);
		flush_acks(s);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* With s->lock held: make sure the flusher will see the pending acks.
 * One already waiting out a delay sends them at its deadline, with the
 * acks it waits for: waking it for each reply would cost a switch. */
static void
wake_flusher(struct gocsp__session *s)
{
	if (!s->flusher_on) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 64 << 10);
		/* If it cannot start, acks wait for the next request. */
		s->flusher_on =
		    pthread_create(&s->flusher, &attr, flusher_main, s) == 0;
		pthread_attr_destroy(&attr);
		return;
	}
	if (s->flusher_idle)
		pthread_cond_signal(&s->cond);
}

/* ---------------------------------------------------------------------- */
/* Replies                                                                 */
/* ---------------------------------------------------------------------- */

/* With s->lock held: complete c with an error. */
static void
complete_error(struct call *c, int error)
{
	c->completed = true;
	c->error = error;
	int v = error;
	(void) gocsp_chan_trysend(c->done, &v);
}

static void
session_fail(void *arg, int error)
{
	struct gocsp__session *s = arg;
	pthread_mutex_lock(&s->lock);
	bool first = !s->broken;
	if (first) {
		s->broken = true;
		s->error = error;
		for (struct call *c = s->calls; c != NULL; c = c->next)
			if (!c->completed)
				complete_error(c, error);
	}
	pthread_mutex_unlock(&s->lock);
	if (first)
		s->tp->ops->shutdown(s->tp);
}

/* A reply body from the daemon: complete its call. */
static void
dispatch(void *arg, const void *body, size_t len)
{
	struct gocsp__session *s = arg;
	Gocsp__Reply *r = gocsp__wire_decode_reply(body, len);
	if (r == NULL) {
		session_fail(s, GOCSP_EPROTO);
		return;
	}
	bool now = false;
	pthread_mutex_lock(&s->lock);
	struct call *c = s->calls;
	while (c != NULL && c->op_id != r->op_id)
		c = c->next;
	if (c != NULL && !c->completed) {
		/* A call given up on would have broken the session: its
		 * values stay unacknowledged and go back when it closes. */
		for (size_t i = 0; i < r->n_deliveries; i++) {
			note_ack(s, r->deliveries[i]->id);
			now |= r->deliveries[i]->ack_now;
		}
		c->reply = r;
		c->completed = true;
		int v = WAKE_REPLY;
		(void) gocsp_chan_trysend(c->done, &v);
		r = NULL;
		if (s->nacks > 0 && !now && s->ack_delay >= 0)
			wake_flusher(s);
	}
	pthread_mutex_unlock(&s->lock);
	if (r != NULL)
		gocsp__reply__free_unpacked(r, NULL);
	if (now)
		flush_acks(s);
}

/* Stop reading; hand the reading to a caller that waits, if any. */
static void
give_up_reading(struct gocsp__session *s)
{
	pthread_mutex_lock(&s->lock);
	s->reading = false;
	for (struct call *c = s->calls; c != NULL; c = c->next)
		if (c->waiting && !c->completed && !c->lead) {
			c->lead = true;
			s->reading = true;
			int v = WAKE_LEAD;
			(void) gocsp_chan_trysend(c->done, &v);
			break;
		}
	pthread_mutex_unlock(&s->lock);
}

/* The call's reply did not come in time: it times out, the session is
 * broken. */
static void
call_timed_out(struct gocsp__session *s, struct call *c)
{
	pthread_mutex_lock(&s->lock);
	if (!c->completed)
		complete_error(c, GOCSP_ETIMEDOUT);
	pthread_mutex_unlock(&s->lock);
	session_fail(s, GOCSP_ECONNRESET);
}

static bool
completed(struct gocsp__session *s, struct call *c)
{
	pthread_mutex_lock(&s->lock);
	bool done = c->completed;
	pthread_mutex_unlock(&s->lock);
	return done;
}

/* As the leader: read replies until c is complete. */
static void
read_until(struct gocsp__session *s, struct call *c, int64_t deadline)
{
	while (!completed(s, c)) {
		const void *body;
		size_t len;
		int rc = s->tp->ops->recv(s->tp, &body, &len, deadline);
		if (rc == GOCSP_ETIMEDOUT) {
			call_timed_out(s, c);
			break;
		}
		if (rc != 0) {
			session_fail(s, rc);
			break;
		}
		dispatch(s, body, len);
	}
	give_up_reading(s);
}

static void
wait_call(struct gocsp__session *s, struct call *c, int64_t deadline)
{
	for (;;) {
		pthread_mutex_lock(&s->lock);
		if (c->completed) {
			/* Handed the reading too late: pass it on. */
			bool handed = c->lead;
			c->lead = false;
			pthread_mutex_unlock(&s->lock);
			if (handed)
				give_up_reading(s);
			break;
		}
		bool lead = c->lead ||
		    (!s->reading && !s->broken && s->tp->ops->recv != NULL);
		if (lead)
			s->reading = true;
		c->lead = false;
		c->waiting = !lead;
		pthread_mutex_unlock(&s->lock);
		if (lead) {
			read_until(s, c, deadline);
			continue;
		}
		int v = 0, rc;
		if (deadline < 0) {
			rc = gocsp_chan_recv(c->done, &v);
		} else {
			int64_t left = deadline - gocsp_now();
			rc = gocsp_chan_recv_timeout(c->done, &v,
			    left > 0 ? left : 0);
		}
		pthread_mutex_lock(&s->lock);
		c->waiting = false;
		pthread_mutex_unlock(&s->lock);
		if (rc == GOCSP_ETIMEDOUT || rc == GOCSP_EAGAIN)
			call_timed_out(s, c);
		/* else WAKE_REPLY, an error, or WAKE_LEAD (c->lead set) */
	}
}

/* ---------------------------------------------------------------------- */
/* Calls                                                                   */
/* ---------------------------------------------------------------------- */

/* Run req, waiting for its reply until the deadline (-1: none). */
static int
call_until(struct gocsp__session *s, Gocsp__Request *req, Gocsp__Reply **reply,
    int64_t deadline)
{
	*reply = NULL;
	struct call c = {0};
	if ((c.done = gocsp_chan_make(sizeof(int), 2)) == NULL)
		return GOCSP_ENOMEM;

	gocsp_mutex_lock(&s->send_lock);
	pthread_mutex_lock(&s->lock);
	if (s->broken) {
		int e = s->error;
		pthread_mutex_unlock(&s->lock);
		gocsp_mutex_unlock(&s->send_lock);
		gocsp_chan_release(c.done);
		return e;
	}
	c.op_id = ++s->last_op;
	c.next = s->calls;
	s->calls = &c;
	size_t nacks;
	uint64_t *acks = take_acks(s, &nacks, true);
	pthread_mutex_unlock(&s->lock);

	req->op_id = c.op_id;
	req->acks = acks;
	req->n_acks = nacks;
	size_t len = gocsp__request__get_packed_size(req);
	uint8_t small[512], *buf = len <= sizeof(small) ? small : malloc(len);
	int rc = GOCSP_ENOMEM;
	if (buf != NULL) {
		gocsp__request__pack(req, buf);
		rc = s->tp->ops->send(s->tp, gocsp__wire_reqid(c.op_id), buf,
		    len);
		if (buf != small)
			free(buf);
	}
	gocsp_mutex_unlock(&s->send_lock);
	req->acks = NULL;
	req->n_acks = 0;
	free(acks);
	if (rc != 0)
		session_fail(s, rc == GOCSP_ENOMEM ? rc : GOCSP_ECONNRESET);

	wait_call(s, &c, deadline);

	pthread_mutex_lock(&s->lock);
	struct call **p = &s->calls;
	while (*p != &c)
		p = &(*p)->next;
	*p = c.next;
	pthread_mutex_unlock(&s->lock);
	gocsp_chan_release(c.done);
	*reply = c.reply;
	return c.reply != NULL ? 0 : c.error;
}

int
gocsp__session_call(struct gocsp__session *s, Gocsp__Request *req,
    Gocsp__Reply **reply)
{
	int64_t deadline =
	    req->timeout_ns < 0 ? -1 : gocsp_now() + req->timeout_ns + GRACE;
	return call_until(s, req, reply, deadline);
}

/* ---------------------------------------------------------------------- */
/* Life                                                                    */
/* ---------------------------------------------------------------------- */

/* A ping (it carries pending acks), answered before the deadline: 0 or
 * the call's error.  The daemon's limits into *limits, if wanted. */
static int
ping(struct gocsp__session *s, int64_t deadline,
    struct gocsp__server_limits *limits)
{
	Gocsp__Request req = GOCSP__REQUEST__INIT;
	Gocsp__Ping p = GOCSP__PING__INIT;
	req.op_case = GOCSP__REQUEST__OP_PING;
	req.ping = &p;
	Gocsp__Reply *r;
	int rc = call_until(s, &req, &r, deadline);
	if (rc != 0)
		return rc;
	if (limits != NULL && r->server != NULL) {
		/* A daemon older than a limit does not send it: keep the
		 * protocol's default. */
		if (r->server->max_msg != 0)
			limits->max_msg = r->server->max_msg;
		if (r->server->max_batch != 0)
			limits->max_batch = r->server->max_batch;
	}
	gocsp__reply__free_unpacked(r, NULL);
	return 0;
}

/* Carry what is to be acknowledged in a last round trip. */
static void
last_round_trip(struct gocsp__session *s)
{
	pthread_mutex_lock(&s->lock);
	bool needed = !s->broken && (s->nacks > 0 || s->nalone > 0);
	pthread_mutex_unlock(&s->lock);
	if (needed)
		(void) ping(s, gocsp_now() + GRACE, NULL);
}

static void
session_free(struct gocsp__session *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	bool joined = s->flusher_on;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (joined)
		pthread_join(s->flusher, NULL);
	s->tp->ops->close(s->tp);
	free(s->acks);
	free(s->alone);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Connect once: a session whose transport is open (not yet proven). */
static int
session_connect(struct gocsp__session **out, const char *url,
    int64_t ack_delay, int64_t deadline, char *why, size_t whylen)
{
	struct gocsp__session *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return GOCSP_ENOMEM;
	}
	atomic_init(&s->refs, 1);
	s->ack_delay = ack_delay;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	struct gocsp__tp_events ev = {.on_frame = dispatch,
	    .on_lost = session_fail,
	    .arg = s};
	int rc = gocsp__tp_open(&s->tp, url, deadline, &ev, why, whylen);
	if (rc != 0) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int
gocsp__session_open(struct gocsp__session **out, const char *url,
    int64_t ack_delay, char *why, size_t whylen)
{
	/* A connection counts once a ping is answered on it: nng may
	 * complete a handshake on a listener that no longer serves
	 * (listen.c in gocspd), which gocspd replaces within its probe
	 * interval. */
	int64_t deadline = gocsp_now() + CONNECT_TIME;
	for (;;) {
		struct gocsp__session *s;
		int rc =
		    session_connect(&s, url, ack_delay, deadline, why, whylen);
		if (rc != 0)
			return rc;
		int64_t until = gocsp_now() + PING_TIME;
		s->limits.max_msg = GOCSP_WIRE_MAX_MSG;
		s->limits.max_batch = GOCSP_WIRE_MAX_BATCH;
		rc = ping(s, until < deadline ? until : deadline, &s->limits);
		if (rc == 0) {
			*out = s;
			return 0;
		}
		session_free(s);
		if (rc != GOCSP_ETIMEDOUT) {
			/* Closed at once: refused, not wedged. */
			snprintf(why, whylen,
			    "gocspd at %s refused the "
			    "connection (peer uid, "
			    "--max-clients: see its log)",
			    url);
			return GOCSP_ECONNREFUSED;
		}
		if (gocsp_now() >= deadline) {
			snprintf(why, whylen,
			    "gocspd at %s accepted the "
			    "connection but did not answer",
			    url);
			return GOCSP_ECONNREFUSED;
		}
	}
}

void
gocsp__session_set_ack_delay(struct gocsp__session *s, int64_t delay)
{
	pthread_mutex_lock(&s->lock);
	s->ack_delay = delay;
	pthread_mutex_unlock(&s->lock);
}

void
gocsp__session_limits(struct gocsp__session *s,
    struct gocsp__server_limits *limits)
{
	*limits = s->limits; /* written before the session was shared */
}

void
gocsp__session_retain(struct gocsp__session *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

bool
gocsp__session_broken(struct gocsp__session *s)
{
	pthread_mutex_lock(&s->lock);
	bool b = s->broken;
	pthread_mutex_unlock(&s->lock);
	return b;
}

void
gocsp__session_release(struct gocsp__session *s)
{
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	last_round_trip(s);
	session_free(s);
}
