/*
 * Design notes: Cond, after Go's sync.Cond and the runtime's notifyList
 * (sema.go).
 *
 * Tickets make Wait's "unlock m, then sleep" atomic with respect to
 * Signal without holding the internal lock across the user's mutex:
 * Wait takes ticket wait_++ while it still holds m, unlocks m, then
 * queues a node for that ticket.  notify_ is the next ticket to wake;
 * Signal advances it by one and wakes the node with that ticket if it
 * is queued already.  A waiter whose ticket was notified before it got
 * to queue (t < notify_) returns at once: the signal is not lost.
 *
 * lock_ is a gocsp__lock guarding notify_'s updates and the list
 * head_/tail_ of nodes (struct node), each on its waiter's stack.  A
 * waiting coroutine releases lock_ only once it is parked (the unlock
 * callback of gocsp__waiter_wait), so a waker that found its node under
 * lock_ wakes a parked coroutine.  The waker unlinks the node under
 * lock_, wakes after unlocking and touches the node no more.  wait_ and
 * notify_ are also read without the lock for Signal's fast "nobody
 * waits" check, hence atomics.
 */
#include "internal.h"

struct node {
	struct gocsp__waiter *w;
	uint32_t ticket;
	struct node *next; /* under lock_ */
};

_Static_assert(sizeof(((gocsp_cond *) 0)->lock_) == sizeof(gocsp__lock),
    "gocsp_cond.lock_ holds a gocsp__lock");

static gocsp__lock *
cond_lock(gocsp_cond *c)
{
	return (gocsp__lock *) (void *) &c->lock_;
}

static void
unlock_cond(void *c)
{
	gocsp__lock_release(cond_lock(c));
}

/* Ticket a is before b, modulo wrap-around (Go's less). */
static bool
before(uint32_t a, uint32_t b)
{
	return (int32_t) (a - b) < 0;
}

void
gocsp_cond_wait(gocsp_cond *c, gocsp_mutex *m)
{
	uint32_t t = __atomic_fetch_add(&c->wait_, 1, __ATOMIC_SEQ_CST);
	gocsp_mutex_unlock(m);

	gocsp__lock_acquire(cond_lock(c));
	if (before(t, c->notify_)) {
		/* Notified between the ticket and here. */
		gocsp__lock_release(cond_lock(c));
		gocsp_mutex_lock(m);
		return;
	}
	struct gocsp__waiter w;
	struct node n = {.w = &w, .ticket = t, .next = NULL};
	gocsp__waiter_init(&w, -1, GOCSP__WAIT_COND);
	if (c->tail_ == NULL)
		c->head_ = &n;
	else
		((struct node *) c->tail_)->next = &n;
	c->tail_ = &n;
	gocsp__waiter_wait(&w, unlock_cond, c);
	gocsp_mutex_lock(m);
}

void
gocsp_cond_signal(gocsp_cond *c)
{
	/* Nobody took a ticket since the last notification. */
	if (__atomic_load_n(&c->wait_, __ATOMIC_SEQ_CST) ==
	    __atomic_load_n(&c->notify_, __ATOMIC_SEQ_CST))
		return;
	gocsp__lock_acquire(cond_lock(c));
	uint32_t t = c->notify_;
	if (t == __atomic_load_n(&c->wait_, __ATOMIC_SEQ_CST)) {
		gocsp__lock_release(cond_lock(c));
		return;
	}
	__atomic_store_n(&c->notify_, t + 1, __ATOMIC_SEQ_CST);
	/* The node for ticket t, if its waiter queued it already;
	 * otherwise that waiter sees t < notify_ and does not sleep. */
	for (struct node *p = NULL, *s = c->head_; s != NULL;
	     p = s, s = s->next) {
		if (s->ticket != t)
			continue;
		if (p != NULL)
			p->next = s->next;
		else
			c->head_ = s->next;
		if (s->next == NULL)
			c->tail_ = p;
		struct gocsp__waiter *w = s->w;
		gocsp__lock_release(cond_lock(c));
		gocsp__waiter_wake(w);
		return;
	}
	gocsp__lock_release(cond_lock(c));
}

void
gocsp_cond_broadcast(gocsp_cond *c)
{
	if (__atomic_load_n(&c->wait_, __ATOMIC_SEQ_CST) ==
	    __atomic_load_n(&c->notify_, __ATOMIC_SEQ_CST))
		return;
	gocsp__lock_acquire(cond_lock(c));
	struct node *s = c->head_;
	c->head_ = NULL;
	c->tail_ = NULL;
	__atomic_store_n(&c->notify_,
	    __atomic_load_n(&c->wait_, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
	gocsp__lock_release(cond_lock(c));
	/* Read next before waking: a woken waiter's node may be gone. */
	while (s != NULL) {
		struct node *next = s->next;
		gocsp__waiter_wake(s->w);
		s = next;
	}
}
