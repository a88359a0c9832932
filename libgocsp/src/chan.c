/*
 * Design notes: channels, after Go's chan.go.
 *
 * Invariants (c->lock held):
 *  - at most one of sendq and recvq holds sudogs that can still be
 *    completed (a select may briefly leave a claimed sudog in either);
 *  - qcount > 0 implies recvq is empty; qcount < cap implies sendq is
 *    empty (for unbuffered channels cap == 0: values pass directly).
 *
 * A send to a waiting receiver copies straight into the receiver's
 * destination; a receive from a waiting sender copies straight from it
 * (unbuffered) or takes the buffer's head and refills the tail from the
 * sender (buffered and full), so FIFO order holds for values and for
 * waiters.  Waiters are woken after the lock is released, and nothing
 * touches the channel after that, which is what makes releasing a
 * channel after a completed operation safe.
 *
 * A value put back (gocsp_chan_unrecv) goes to a waiting receiver, else
 * to the slot before the ring's head, else -- the ring being full -- onto
 * the front stack, which receives drain before the ring.  Only the front
 * can make qcount exceed cap; senders then wait as for a full buffer.
 *
 * Lifetime: references count users.  The last release frees the channel
 * unless operations are still blocked on it; then it is marked orphan and
 * whoever removes the last sudog (a select's clean-up, a timeout) frees it.
 */
#include "chan.h"

gocsp_chan *
gocsp_chan_make(size_t elem_size, size_t cap)
{
	if (elem_size > GOCSP_CHAN_ELEM_MAX ||
	    (elem_size != 0 &&
	        cap > (SIZE_MAX - sizeof(gocsp_chan)) / elem_size))
		return NULL;
	gocsp_chan *c = calloc(1, sizeof(*c) + elem_size * cap);
	if (c == NULL)
		return NULL;
	c->elemsize = elem_size;
	c->cap = cap;
	atomic_init(&c->refs, 1);
	return c;
}

gocsp_chan *
gocsp_chan_retain(gocsp_chan *c)
{
	if (c != NULL && atomic_fetch_add(&c->refs, 1) == 0)
		gocsp__throw("gocsp_chan_retain: channel already released");
	return c;
}

void
gocsp_chan_release(gocsp_chan *c)
{
	if (c == NULL)
		return;
	uint32_t old = atomic_fetch_sub(&c->refs, 1);
	if (old == 0)
		gocsp__throw("gocsp_chan_release: released more often than "
		             "retained");
	if (old != 1)
		return;
	/* Taking the lock waits out an operation inside it. */
	gocsp__lock_acquire(&c->lock);
	bool idle = c->recvq.first == NULL && c->sendq.first == NULL;
	c->orphan = !idle;
	gocsp__lock_release(&c->lock);
	if (idle)
		gocsp__chan_free(c);
}

static void
unlock_chan(void *c)
{
	gocsp__lock_release(&((gocsp_chan *) c)->lock);
}

/* Block on a nil channel: forever, or until the deadline. */
static int
block_nil(int64_t deadline)
{
	struct gocsp__waiter w;
	gocsp__waiter_init(&w, deadline, GOCSP__WAIT_NIL_CHAN);
	gocsp__waiter_wait(&w, NULL, NULL);
	return GOCSP_ETIMEDOUT;
}

/*
 * The common path of every send and receive, inlined into each: deadline
 * 0 don't block, < 0 block forever, else the monotonic deadline.
 */
static inline __attribute__((always_inline)) int
chan_op(gocsp_chan *c, void *elem, bool send, int64_t deadline)
{
	if (c == NULL) {
		if (deadline == 0)
			return GOCSP_EAGAIN;
		return block_nil(deadline);
	}
	if (deadline == 0 &&
	    !(send ? gocsp__chan_send_maybe(c) : gocsp__chan_recv_maybe(c)))
		return GOCSP_EAGAIN;

	struct gocsp__waiter *wake;
	gocsp__lock_acquire(&c->lock);
	int rc = send ? gocsp__chan_send_locked(c, elem, &wake)
	              : gocsp__chan_recv_locked(c, elem, &wake);
	if (rc != GOCSP_EAGAIN || deadline == 0) {
		gocsp__lock_release(&c->lock);
		if (wake != NULL)
			gocsp__chan_wake(wake);
		return rc;
	}

	struct gocsp__waiter w;
	struct gocsp__sudog s = {.w = &w,
	    .elem = elem,
	    .key = c,
	    .claim = deadline > 0};
	gocsp__waiter_init(&w, deadline,
	    send ? GOCSP__WAIT_CHAN_SEND : GOCSP__WAIT_CHAN_RECV);
	struct gocsp__waitq *q = send ? &c->sendq : &c->recvq;
	gocsp__waitq_push(q, &s);
	gocsp__waiter_wait(&w, unlock_chan, c);
	if (w.param != NULL)
		return s.success ? 0 : GOCSP_ECLOSED;

	/* Timed out: take the sudog back (a waker may have skipped it). */
	gocsp__lock_acquire(&c->lock);
	gocsp__waitq_remove(q, &s);
	bool free_it = gocsp__chan_orphan_done(c);
	gocsp__lock_release(&c->lock);
	if (free_it)
		gocsp__chan_free(c);
	return GOCSP_ETIMEDOUT;
}

int
gocsp_chan_send(gocsp_chan *c, const void *elem)
{
	return chan_op(c, (void *) elem, true, -1);
}

int
gocsp_chan_recv(gocsp_chan *c, void *elem)
{
	return chan_op(c, elem, false, -1);
}

int
gocsp_chan_trysend(gocsp_chan *c, const void *elem)
{
	return chan_op(c, (void *) elem, true, 0);
}

int
gocsp_chan_tryrecv(gocsp_chan *c, void *elem)
{
	return chan_op(c, elem, false, 0);
}

int
gocsp_chan_send_timeout(gocsp_chan *c, const void *elem, int64_t timeout)
{
	return chan_op(c, (void *) elem, true, gocsp__deadline(timeout));
}

int
gocsp_chan_recv_timeout(gocsp_chan *c, void *elem, int64_t timeout)
{
	return chan_op(c, elem, false, gocsp__deadline(timeout));
}

int
gocsp_chan_close(gocsp_chan *c)
{
	if (c == NULL)
		return GOCSP_EINVAL;
	gocsp__lock_acquire(&c->lock);
	if (c->closed) {
		gocsp__lock_release(&c->lock);
		return GOCSP_ECLOSED;
	}
	GOCSP__STORE(&c->closed, 1);
	/* Collect every waiter, wake them after unlocking. */
	struct gocsp__sudog *all = NULL, **tail = &all, *s;
	while ((s = gocsp__waitq_dequeue(&c->recvq)) != NULL) {
		gocsp__chan_copy(c, s->elem, NULL);
		s->success = false;
		s->w->param = s;
		*tail = s;
		tail = &s->next;
	}
	while ((s = gocsp__waitq_dequeue(&c->sendq)) != NULL) {
		s->success = false;
		s->w->param = s;
		*tail = s;
		tail = &s->next;
	}
	*tail = NULL;
	gocsp__lock_release(&c->lock);
	while (all != NULL) {
		s = all->next;
		gocsp__waiter_wake(all->w);
		all = s;
	}
	return 0;
}

int
gocsp__chan_watch(gocsp_chan *c, struct gocsp__sudog *s)
{
	gocsp__lock_acquire(&c->lock);
	if (c->closed) {
		gocsp__lock_release(&c->lock);
		return GOCSP_ECLOSED;
	}
	s->elem = NULL;
	s->key = c;
	gocsp__waitq_push(&c->recvq, s);
	gocsp__lock_release(&c->lock);
	return 0;
}

void
gocsp__chan_unwatch(gocsp_chan *c, struct gocsp__sudog *s)
{
	gocsp__lock_acquire(&c->lock);
	gocsp__waitq_remove(&c->recvq, s);
	bool free_it = gocsp__chan_orphan_done(c);
	gocsp__lock_release(&c->lock);
	if (free_it)
		gocsp__chan_free(c);
}

bool
gocsp__chan_closed(gocsp_chan *c)
{
	return GOCSP__LOAD(&c->closed) != 0;
}

/* Push elem onto the front stack (c->lock held).  0 or GOCSP_ENOMEM. */
static int
push_front(gocsp_chan *c, const void *elem)
{
	size_t size = c->elemsize != 0 ? c->elemsize : 1;
	if (c->nfront == c->front_cap) {
		size_t ncap = c->front_cap != 0 ? 2 * c->front_cap : 4;
		if (ncap > SIZE_MAX / size)
			return GOCSP_ENOMEM;
		unsigned char *f = realloc(c->front, ncap * size);
		if (f == NULL)
			return GOCSP_ENOMEM;
		c->front = f;
		c->front_cap = ncap;
	}
	gocsp__chan_copy(c, c->front + c->nfront * c->elemsize, elem);
	c->nfront++;
	return 0;
}

int
gocsp_chan_unrecv(gocsp_chan *c, const void *elem)
{
	if (c == NULL)
		return GOCSP_EINVAL;
	int rc = 0;
	gocsp__lock_acquire(&c->lock);
	struct gocsp__sudog *s = gocsp__waitq_dequeue(&c->recvq);
	if (s != NULL) {
		/* Receivers wait only on an empty channel: the value is its
		 * head either way. */
		gocsp__chan_copy(c, s->elem, elem);
		s->success = true;
		s->w->param = s;
		gocsp__lock_release(&c->lock);
		gocsp__waiter_wake(s->w);
		return 0;
	}
	if (c->qcount < c->cap) {
		c->recvx = (c->recvx == 0 ? c->cap : c->recvx) - 1;
		gocsp__chan_copy(c, gocsp__chan_slot(c, c->recvx), elem);
	} else {
		rc = push_front(c, elem);
	}
	if (rc == 0)
		GOCSP__STORE(&c->qcount, c->qcount + 1);
	gocsp__lock_release(&c->lock);
	return rc;
}

size_t
gocsp_chan_len(gocsp_chan *c)
{
	return c != NULL ? GOCSP__LOAD(&c->qcount) : 0;
}

size_t
gocsp_chan_cap(gocsp_chan *c)
{
	return c != NULL ? c->cap : 0;
}
