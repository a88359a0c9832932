/*
 * Channels (Go's hchan), shared by chan.c and select.c.
 */
#ifndef GOCSP_CHAN_H
#define GOCSP_CHAN_H

#include "internal.h"

struct gocsp_chan {
	gocsp__lock lock;         /* leaf lock: protects everything below */
	uint32_t closed;          /* also read without the lock as a hint */
	bool orphan;              /* last reference gone while waiters remain */
	struct gocsp_chan *free_link; /* select's list of orphans to free */
	_Atomic uint32_t refs;
	size_t elemsize, cap;
	size_t qcount;            /* values in buf; also read as a hint */
	size_t sendx, recvx;      /* ring indices */
	struct gocsp__waitq recvq, sendq;
	_Alignas(16) unsigned char buf[];
};

/*
 * Non-blocking send/receive with c->lock held (not released).  Return 0
 * (the value moved), GOCSP_ECLOSED, or GOCSP_EAGAIN.  *wake is set to a
 * waiter to wake once the lock is released, or NULL.
 */
int gocsp__chan_send_locked(
    gocsp_chan *c, const void *elem, struct gocsp__waiter **wake);
int gocsp__chan_recv_locked(
    gocsp_chan *c, void *elem, struct gocsp__waiter **wake);

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
