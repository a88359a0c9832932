/*
 * Channels (Go's hchan), shared by chan.c and select.c.
 */
#ifndef GOCSP_CHAN_H
#define GOCSP_CHAN_H

#include <string.h>

#include "internal.h"
#include "proc.h"

struct gocsp_chan {
	gocsp__lock lock; /* leaf lock: protects everything below */
	uint32_t closed;  /* also read without the lock as a hint */
	bool orphan;      /* last reference gone while waiters remain */
	struct gocsp_chan *free_link; /* select's list of orphans to free */
	_Atomic uint32_t refs;
	size_t elemsize, cap;
	size_t qcount;       /* values held (ring + front); also read
	                             as a hint */
	size_t sendx, recvx; /* ring indices */
	struct gocsp__waitq recvq, sendq;
	/* Values put back (gocsp_chan_unrecv) while the ring was full: a
	 * stack whose top is the channel's head.  Non-empty only while the
	 * ring is full, so qcount >= cap and senders wait until it drains. */
	unsigned char *front;
	size_t nfront, front_cap;
	_Alignas(16) unsigned char buf[];
};

/* gocsp__waiter_wake, with the common case inline: a coroutine parked
 * without a deadline, the partner of every handoff. */
static inline __attribute__((always_inline)) void
gocsp__chan_wake(struct gocsp__waiter *w)
{
	if (gocsp__likely(w->g != NULL && !w->racy))
		gocsp__ready_parked(w->g);
	else
		gocsp__waiter_wake(w);
}

/* Free a channel nobody uses any more. */
static inline void
gocsp__chan_free(gocsp_chan *c)
{
	free(c->front);
	free(c);
}

/* Copy one element (src NULL: zero it); dst NULL discards it. */
static inline __attribute__((always_inline)) void
gocsp__chan_copy(gocsp_chan *c, void *dst, const void *src)
{
	if (dst == NULL || c->elemsize == 0)
		return;
	if (src == NULL)
		memset(dst, 0, c->elemsize);
	else if (c->elemsize == sizeof(uint64_t))
		memcpy(dst, src, sizeof(uint64_t));
	else
		memcpy(dst, src, c->elemsize);
}

static inline void *
gocsp__chan_slot(gocsp_chan *c, size_t i)
{
	return c->buf + i * c->elemsize;
}

/*
 * Non-blocking send/receive with c->lock held (not released).  Return 0
 * (the value moved), GOCSP_ECLOSED, or GOCSP_EAGAIN.  *wake is set to a
 * waiter to wake once the lock is released, or NULL.  Inline: these are
 * the hot path of every channel operation and of select.
 */
static inline __attribute__((always_inline)) int
gocsp__chan_send_locked(gocsp_chan *c, const void *elem,
    struct gocsp__waiter **wake)
{
	*wake = NULL;
	if (c->closed)
		return GOCSP_ECLOSED;
	struct gocsp__sudog *s = gocsp__waitq_dequeue(&c->recvq);
	if (s != NULL) {
		gocsp__chan_copy(c, s->elem, elem);
		s->success = true;
		s->w->param = s;
		*wake = s->w;
		return 0;
	}
	if (c->qcount < c->cap) {
		gocsp__chan_copy(c, gocsp__chan_slot(c, c->sendx), elem);
		if (++c->sendx == c->cap)
			c->sendx = 0;
		GOCSP__STORE(&c->qcount, c->qcount + 1);
		return 0;
	}
	return GOCSP_EAGAIN;
}

static inline __attribute__((always_inline)) int
gocsp__chan_recv_locked(gocsp_chan *c, void *elem, struct gocsp__waiter **wake)
{
	*wake = NULL;
	if (gocsp__unlikely(c->nfront > 0)) {
		/* A value put back is the head, ahead of ring and senders. */
		c->nfront--;
		gocsp__chan_copy(c, elem, c->front + c->nfront * c->elemsize);
		GOCSP__STORE(&c->qcount, c->qcount - 1);
		return 0;
	}
	struct gocsp__sudog *s = gocsp__waitq_dequeue(&c->sendq);
	if (s != NULL) {
		if (c->cap == 0) {
			gocsp__chan_copy(c, elem, s->elem);
		} else {
			/* Full buffer: take the head, the sender refills the
			 * tail (the same slot). */
			void *head = gocsp__chan_slot(c, c->recvx);
			gocsp__chan_copy(c, elem, head);
			gocsp__chan_copy(c, head, s->elem);
			if (++c->recvx == c->cap)
				c->recvx = 0;
			c->sendx = c->recvx;
		}
		s->success = true;
		s->w->param = s;
		*wake = s->w;
		return 0;
	}
	if (c->qcount > 0) {
		gocsp__chan_copy(c, elem, gocsp__chan_slot(c, c->recvx));
		if (++c->recvx == c->cap)
			c->recvx = 0;
		GOCSP__STORE(&c->qcount, c->qcount - 1);
		return 0;
	}
	if (c->closed) {
		gocsp__chan_copy(c, elem, NULL);
		return GOCSP_ECLOSED;
	}
	return GOCSP_EAGAIN;
}

/* With c->lock held, after removing a waiter's sudog: true if the caller
 * must free c once it has released the lock. */
static inline bool
gocsp__chan_orphan_done(gocsp_chan *c)
{
	return c->orphan && c->recvq.first == NULL && c->sendq.first == NULL;
}

/* Lock-free readiness hints: false only if the operation would block
 * at some instant during the call. */
static inline bool
gocsp__chan_recv_maybe(gocsp_chan *c)
{
	return GOCSP__LOAD(&c->qcount) > 0 ||
	    GOCSP__LOAD(&c->sendq.first) != NULL || GOCSP__LOAD(&c->closed);
}

static inline bool
gocsp__chan_send_maybe(gocsp_chan *c)
{
	return GOCSP__LOAD(&c->recvq.first) != NULL ||
	    GOCSP__LOAD(&c->qcount) < c->cap || GOCSP__LOAD(&c->closed);
}

#endif /* GOCSP_CHAN_H */
