/*
 * Design notes: connections.
 *
 * The table maps connection ids to connections under one mutex.  A
 * connection is added by its server before any of its requests can be
 * received (nng announces a pipe; ipc.c has done the handshake) and
 * removed when the server sees it go; a request that arrives after that
 * finds no connection and is dropped, which is right: its client is gone.
 * Ids are nng's pipe ids (below 2^31) or ipc.c's (above), so they never
 * collide.
 *
 * Deliveries are recorded after the reply that carries them is encoded
 * and before it is sent: an acknowledgement can then never free a value
 * that a reply is still being built from, and a value whose connection
 * ended in between goes straight back.  Lookups for acknowledgements start
 * at the oldest delivery, which is where a client's acknowledgements
 * nearly always point.
 *
 * Duplicates: clients number their requests with growing op ids, and an
 * op id seen before is a resend (nng's REQ resends after a minute, and
 * after a reconnect) of a request that already ran or is running.  The
 * daemon may see a connection's requests slightly out of order (nng hands
 * them to its contexts on several threads), so a bitmap remembers the
 * last GOCSPD_OP_WINDOW ids; anything older is taken for a resend.
 */
#include "conn.h"

#include <stdlib.h>

#include "log.h"

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gocspd_conn **table; /* under table_lock */
static size_t nbuckets;
static uint32_t count; /* under table_lock */
static const struct gocspd_limits *limits;
static _Atomic uint64_t next_delivery = 1;

int
gocspd_conns_init(const struct gocspd_limits *l)
{
	size_t n = 64;
	while (n < (size_t) l->max_clients && n < (1u << 16))
		n *= 2;
	table = calloc(n, sizeof(*table));
	if (table == NULL)
		return GOCSP_ENOMEM;
	nbuckets = n;
	limits = l;
	return 0;
}

static struct gocspd_conn **
slot(uint32_t id)
{
	struct gocspd_conn **p = &table[(id * 0x9e3779b1u) & (nbuckets - 1)];
	while (*p != NULL && (*p)->id != id)
		p = &(*p)->hnext;
	return p;
}

int
gocspd_conn_add(uint32_t id, uint64_t uid, bool remote,
    void (*kick)(uint32_t id))
{
	struct gocspd_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return GOCSP_ENOMEM;
	c->gone = gocsp_chan_make(0, 0);
	if (c->gone == NULL) {
		free(c);
		return GOCSP_ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	atomic_init(&c->refs, 1);
	c->id = id;
	c->kick = kick;
	c->uid = uid;
	c->remote = remote;

	pthread_mutex_lock(&table_lock);
	int rc = 0;
	if (count >= limits->max_clients) {
		rc = GOCSP_ELIMIT;
	} else {
		struct gocspd_conn **p = slot(id);
		c->hnext = *p; /* NULL: ids are not reused while live */
		*p = c;
		count++;
	}
	pthread_mutex_unlock(&table_lock);
	if (rc != 0)
		gocspd_conn_release(c);
	return rc;
}

struct gocspd_conn *
gocspd_conn_get(uint32_t id)
{
	pthread_mutex_lock(&table_lock);
	struct gocspd_conn *c = *slot(id);
	if (c != NULL)
		atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&table_lock);
	return c;
}

void
gocspd_conn_release(struct gocspd_conn *c)
{
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* Ended (or never added): no deliveries remain. */
	gocsp_chan_release(c->gone);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Mark c dead, wake its operations, put back what it held. */
static void
end(struct gocspd_conn *c)
{
	pthread_mutex_lock(&c->lock);
	bool was_dead = c->dead;
	c->dead = true;
	struct gocspd_delivery *d = c->last;
	uint32_t held = c->unacked;
	c->first = c->last = NULL;
	c->unacked = 0;
	pthread_mutex_unlock(&c->lock);
	if (was_dead)
		return;
	(void) gocsp_chan_close(c->gone);
	if (held > 0)
		gocspd_log(GOCSPD_INFO,
		    "client %u went holding %u unacknowledged values: "
		    "they go back to their channels",
		    c->id, held);
	while (d != NULL) {
		/* Once back, the message may be delivered again at once. */
		struct gocspd_delivery *prev = d->prev;
		struct gocspd_chan *ch = d->c;
		gocspd_chan_putback(ch, d->m);
		gocspd_chan_release(ch);
		d = prev;
	}
}

void
gocspd_conn_kick(struct gocspd_conn *c)
{
	c->kick(c->id);
}

void
gocspd_conn_end(uint32_t id)
{
	pthread_mutex_lock(&table_lock);
	struct gocspd_conn **p = slot(id), *c = *p;
	if (c != NULL) {
		*p = c->hnext;
		count--;
	}
	pthread_mutex_unlock(&table_lock);
	if (c == NULL)
		return;
	end(c);
	gocspd_conn_release(c);
}

void
gocspd_conn_end_all(void)
{
	for (;;) {
		uint32_t id = 0;
		bool found = false;
		pthread_mutex_lock(&table_lock);
		for (size_t b = 0; b < nbuckets && !found; b++)
			if (table[b] != NULL) {
				id = table[b]->id;
				found = true;
			}
		pthread_mutex_unlock(&table_lock);
		if (!found)
			break;
		gocspd_conn_end(id);
	}
}

uint32_t
gocspd_conn_count(void)
{
	pthread_mutex_lock(&table_lock);
	uint32_t n = count;
	pthread_mutex_unlock(&table_lock);
	return n;
}

/* With c->lock held: whether op_id was seen before; note it. */
static bool
seen_before(struct gocspd_conn *c, uint64_t op_id)
{
	enum { W = GOCSPD_OP_WINDOW };
	uint64_t *word = &c->seen[op_id % W / 64], bit = 1ull << (op_id % 64);
	if (op_id <= c->last_op) {
		if (c->last_op - op_id >= W || (*word & bit) != 0)
			return true; /* a resend (or too old to tell) */
		*word |= bit;
		return false;
	}
	/* Forget the ids that leave the window: the slots of those that come
	 * into it without being seen yet. */
	for (uint64_t i = 1; i < op_id - c->last_op && i <= W; i++) {
		uint64_t id = c->last_op + i;
		c->seen[id % W / 64] &= ~(1ull << (id % 64));
	}
	c->last_op = op_id;
	*word |= bit;
	return false;
}

int
gocspd_conn_begin_op(struct gocspd_conn *c, uint64_t op_id)
{
	int rc = GOCSPD_OP_RUN;
	pthread_mutex_lock(&c->lock);
	if (seen_before(c, op_id))
		rc = GOCSPD_OP_DUPLICATE;
	else if (c->ops >= limits->max_ops)
		rc = GOCSP_ELIMIT;
	else
		c->ops++;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
gocspd_conn_end_op(struct gocspd_conn *c)
{
	pthread_mutex_lock(&c->lock);
	c->ops--;
	pthread_mutex_unlock(&c->lock);
}

/* With c->lock held: the delivery called id, unlinked, or NULL. */
static struct gocspd_delivery *
take(struct gocspd_conn *c, uint64_t id)
{
	struct gocspd_delivery *d = c->first;
	while (d != NULL && d->id != id)
		d = d->next;
	if (d == NULL)
		return NULL;
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		c->first = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		c->last = d->prev;
	c->unacked--;
	return d;
}

void
gocspd_conn_ack(struct gocspd_conn *c, const uint64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&c->lock);
		struct gocspd_delivery *d = take(c, ids[i]);
		pthread_mutex_unlock(&c->lock);
		if (d == NULL)
			continue;
		struct gocspd_chan *ch = d->c; /* d goes with its message */
		gocspd_chan_consumed(ch, d->m);
		gocspd_chan_release(ch);
	}
}

bool
gocspd_conn_may_take(struct gocspd_conn *c)
{
	pthread_mutex_lock(&c->lock);
	bool ok = c->unacked < limits->max_unacked;
	pthread_mutex_unlock(&c->lock);
	return ok;
}

uint64_t
gocspd_conn_next_id(void)
{
	return atomic_fetch_add_explicit(&next_delivery, 1,
	    memory_order_relaxed);
}

int
gocspd_conn_deliver(struct gocspd_conn *c, struct gocspd_delivery **ds,
    size_t n)
{
	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		pthread_mutex_unlock(&c->lock);
		return GOCSP_ECONNRESET;
	}
	for (size_t i = 0; i < n; i++) {
		struct gocspd_delivery *d = ds[i];
		d->next = NULL;
		d->prev = c->last;
		if (c->last != NULL)
			c->last->next = d;
		else
			c->first = d;
		c->last = d;
	}
	c->unacked += (uint32_t) n;
	pthread_mutex_unlock(&c->lock);
	return 0;
}
