/*
 * Design notes: the one waiter abstraction.  Every blocking call in the
 * library (channels, select, semaphores, sleep) blocks through
 * gocsp__waiter_wait, so each works the same on a coroutine (park) and on
 * a plain thread (futex).  A coroutine's deadline is a timer on its P's
 * heap; a thread's is the futex timeout itself.
 *
 * Exactly one wake per wait: a party that may race another (a select's
 * cases, a timeout) claims the waiter first, and only the claimant wakes.
 * The wait returns only when no waker can still touch the waiter.
 *
 * A plain thread that waits without a deadline is listed (tblocked) from
 * before it first sleeps until after it was woken; its waker sets the
 * futex word first, so a listed thread whose word is 0 has not been woken
 * by anyone.  The deadlock check (sched.c) relies on exactly that.
 */
#include "internal.h"

void
gocsp__waiter_init(struct gocsp__waiter *w, int64_t deadline, int reason)
{
	w->g = gocsp__curg();
	atomic_init(&w->futex, 0);
	atomic_init(&w->claimed, 0);
	w->deadline = deadline;
	w->racy = deadline >= 0;
	w->reason = (uint8_t) reason;
	w->param = NULL;
}

/* ---- plain threads blocked without a deadline ---- */

static struct {
	gocsp__lock lock;
	struct gocsp__waiter *head; /* under lock */
	long n;                     /* under lock */
} tblocked;

static void
tblock_add(struct gocsp__waiter *w)
{
	w->tsince = gocsp__os_now_coarse();
	gocsp__lock_acquire(&tblocked.lock);
	w->tprev = NULL;
	w->tnext = tblocked.head;
	if (w->tnext != NULL)
		w->tnext->tprev = w;
	tblocked.head = w;
	tblocked.n++;
	gocsp__lock_release(&tblocked.lock);
}

static void
tblock_remove(struct gocsp__waiter *w)
{
	gocsp__lock_acquire(&tblocked.lock);
	if (w->tprev != NULL)
		w->tprev->tnext = w->tnext;
	else
		tblocked.head = w->tnext;
	if (w->tnext != NULL)
		w->tnext->tprev = w->tprev;
	tblocked.n--;
	gocsp__lock_release(&tblocked.lock);
}

void
gocsp__tblock_lock(void)
{
	gocsp__lock_acquire(&tblocked.lock);
}

void
gocsp__tblock_unlock(void)
{
	gocsp__lock_release(&tblocked.lock);
}

long
gocsp__tblock_count(void)
{
	return tblocked.n;
}

bool
gocsp__tblock_walk(void (*fn)(const struct gocsp__waiter *w, void *arg),
    void *arg, bool try)
{
	if (!try)
		gocsp__lock_acquire(&tblocked.lock);
	else if (!gocsp__lock_try_patient(&tblocked.lock))
		return false;
	for (struct gocsp__waiter *w = tblocked.head; w != NULL; w = w->tnext)
		fn(w, arg);
	gocsp__lock_release(&tblocked.lock);
	return true;
}

bool
gocsp__tblock_all_waiting(void)
{
	for (struct gocsp__waiter *w = tblocked.head; w != NULL; w = w->tnext)
		if (atomic_load(&w->futex) != 0)
			return false;
	return true;
}

/* Timer callback: the deadline passed. */
static void
expire(struct gocsp__timer *t)
{
	struct gocsp__waiter *w = t->arg;
	if (gocsp__waiter_claim(w)) {
		w->param = NULL;
		gocsp__waiter_wake(w);
	}
}

/* The waits that may be woken before they block: a coroutine with a
 * deadline, and every plain thread.  Out of line: the common wait, a
 * coroutine parking without a deadline, is a tail call to the park. */
__attribute__((noinline)) static void
wait_racy(struct gocsp__waiter *w, void (*unlock)(void *), void *arg)
{
	int64_t deadline = w->deadline;
	if (unlock != NULL)
		unlock(arg);
	if (w->g != NULL) {
		struct gocsp__timer t = {.when = deadline,
		    .fn = expire,
		    .arg = w,
		    .index = -1};
		GOCSP__STORE(&w->g->waitreason, w->reason);
		if (deadline >= 0)
			gocsp__timer_add(&t);
		gocsp__park_racy(w->g);
		gocsp__timer_del(&t);
		return;
	}
	if (deadline < 0)
		tblock_add(w);
	while (atomic_load_explicit(&w->futex, memory_order_acquire) == 0) {
		if (gocsp__futex_wait((uint32_t *) &w->futex, 0, deadline) !=
		    GOCSP_ETIMEDOUT)
			continue;
		if (gocsp__waiter_claim(w)) {
			w->param = NULL;
			return;
		}
		deadline = -1; /* a waker won the claim: wait for its wake */
	}
	if (w->deadline < 0)
		tblock_remove(w);
}

void
gocsp__waiter_wait(struct gocsp__waiter *w, void (*unlock)(void *), void *arg)
{
	struct gocsp__g *g = w->g;
	if (gocsp__likely(g != NULL && !w->racy)) {
		/* For gocsp_dump; the park stamps the time (sched.c). */
		GOCSP__STORE(&g->waitreason, w->reason);
		gocsp__park_unlock(g, unlock, arg);
	} else {
		wait_racy(w, unlock, arg);
	}
}

void
gocsp__waiter_wake(struct gocsp__waiter *w)
{
	struct gocsp__g *g = w->g;
	if (g != NULL) {
		gocsp__ready(g, w->racy);
		return;
	}
	atomic_store_explicit(&w->futex, 1, memory_order_release);
	gocsp__futex_wake((uint32_t *) &w->futex, 1);
}

/* ---- wait queues (under the owner's lock) ---- */

void
gocsp__waitq_push(struct gocsp__waitq *q, struct gocsp__sudog *s)
{
	s->next = NULL;
	s->prev = q->last;
	if (q->last != NULL)
		q->last->next = s;
	else
		GOCSP__STORE(&q->first, s);
	q->last = s;
	s->queued = true;
}

void
gocsp__waitq_remove(struct gocsp__waitq *q, struct gocsp__sudog *s)
{
	if (!s->queued)
		return;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		GOCSP__STORE(&q->first, s->next);
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		q->last = s->prev;
	s->next = s->prev = NULL;
	s->queued = false;
}

struct gocsp__sudog *
gocsp__waitq_dequeue(struct gocsp__waitq *q)
{
	struct gocsp__sudog *s;
	while ((s = q->first) != NULL) {
		/* gocsp__waitq_remove for the head, which has no prev; next
		 * and prev are left as they are: nothing reads them once
		 * queued is false, and a push sets them again. */
		struct gocsp__sudog *next = s->next;
		GOCSP__STORE(&q->first, next);
		if (next != NULL)
			next->prev = NULL;
		else
			q->last = NULL;
		s->queued = false;
		/* A waiter another party claimed (a select's other case,
		 * a timeout) is skipped; it removes its remaining sudogs
		 * itself. */
		if (!s->claim || gocsp__waiter_claim(s->w))
			return s;
	}
	return NULL;
}
