/*
 * Design notes: RWMutex, after Go's sync/rwmutex.go.
 *
 * reader_count_ counts readers holding or waiting for the lock.  A
 * writer first takes w_ (so writers queue there, one at a time), then
 * subtracts RWMUTEX_MAX_READERS: the count turns negative, which sends
 * new readers to wait on reader_sem_, and the value before the
 * subtraction is the number of readers still inside.  The writer adds
 * that number to reader_wait_ and waits on writer_sem_; each of those
 * readers, on leaving, decrements reader_wait_ and the last one releases
 * the writer.  Unlock adds RWMUTEX_MAX_READERS back and releases, in one
 * call, as many readers as queued meanwhile, then unlocks w_.
 *
 * A waiting writer thus blocks new readers (no writer starvation), and a
 * writer's Unlock lets in the readers that arrived during its turn before
 * the next writer (no reader starvation).  The semaphores are keys of the
 * semaphore table: their units live there, never in the RWMutex.
 */
#include "internal.h"

#define RWMUTEX_MAX_READERS ((int32_t) 1 << 30)

void
gocsp_rwmutex_rlock(gocsp_rwmutex *m)
{
	if (__atomic_add_fetch(&m->reader_count_, 1, __ATOMIC_ACQ_REL) < 0) {
		/* A writer is pending: wait for its Unlock. */
		gocsp__semacquire(&m->reader_sem_, false, GOCSP__WAIT_RWMUTEX);
	}
}

void
gocsp_rwmutex_runlock(gocsp_rwmutex *m)
{
	int32_t r = __atomic_sub_fetch(&m->reader_count_, 1, __ATOMIC_ACQ_REL);
	if (gocsp__likely(r >= 0))
		return;
	if (r + 1 == 0 || r + 1 == -RWMUTEX_MAX_READERS)
		gocsp__throw("gocsp_rwmutex_runlock: runlock of unlocked "
		             "rwmutex");
	/* A writer is pending: the last reader to leave lets it in. */
	if (__atomic_sub_fetch(&m->reader_wait_, 1, __ATOMIC_ACQ_REL) == 0)
		gocsp__semrelease(&m->writer_sem_, 1);
}

void
gocsp_rwmutex_lock(gocsp_rwmutex *m)
{
	gocsp_mutex_lock(&m->w_);
	/* Announce the writer to readers; r readers are still inside. */
	int32_t r = __atomic_sub_fetch(&m->reader_count_, RWMUTEX_MAX_READERS,
	                __ATOMIC_ACQ_REL) +
	    RWMUTEX_MAX_READERS;
	if (r != 0 &&
	    __atomic_add_fetch(&m->reader_wait_, r, __ATOMIC_ACQ_REL) != 0)
		gocsp__semacquire(&m->writer_sem_, false, GOCSP__WAIT_RWMUTEX);
}

void
gocsp_rwmutex_unlock(gocsp_rwmutex *m)
{
	/* Announce to readers there is no active writer. */
	int32_t r = __atomic_add_fetch(&m->reader_count_, RWMUTEX_MAX_READERS,
	    __ATOMIC_ACQ_REL);
	if (r >= RWMUTEX_MAX_READERS)
		gocsp__throw("gocsp_rwmutex_unlock: unlock of unlocked "
		             "rwmutex");
	/* Release the readers that queued behind this writer. */
	if (r > 0)
		gocsp__semrelease(&m->reader_sem_, (uint32_t) r);
	gocsp_mutex_unlock(&m->w_);
}
