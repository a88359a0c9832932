/*
 * Design notes: Once, after Go's sync/once.go.
 *
 * done_ is set, with release order, only after fn has returned, and the
 * fast path loads it with acquire order: a caller that sees it set also
 * sees everything fn did.  The slow path takes m_, so a caller that
 * arrives while fn runs waits on the mutex until fn finished rather than
 * returning early (a CAS on done_ alone would let it return before fn
 * completed).  fn must not call gocsp_once_do on the same Once: it would
 * deadlock on m_, as in Go.
 */
#include "internal.h"

static void
do_slow(gocsp_once *o, void (*fn)(void *), void *arg)
{
	gocsp_mutex_lock(&o->m_);
	if (__atomic_load_n(&o->done_, __ATOMIC_RELAXED) == 0) {
		fn(arg);
		__atomic_store_n(&o->done_, 1, __ATOMIC_RELEASE);
	}
	gocsp_mutex_unlock(&o->m_);
}

void
gocsp_once_do(gocsp_once *o, void (*fn)(void *), void *arg)
{
	if (gocsp__likely(__atomic_load_n(&o->done_, __ATOMIC_ACQUIRE) != 0))
		return;
	do_slow(o, fn, arg);
}
