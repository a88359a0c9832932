/*
 * gocsp__lock: the runtime's internal mutex (Go's lock_futex.go).  Three
 * states: 0 unlocked, 1 locked, 2 locked with sleepers.  A short bounded
 * spin covers the common case of a lock held for a few dozen instructions
 * (channels, run queues); then the thread sleeps on the futex.
 *
 * Held only for short, non-blocking sections: never park while holding one.
 * Zero-filled is unlocked.
 */
#ifndef GOCSP_LOCK_H
#define GOCSP_LOCK_H

#include <stdatomic.h>
#include <stdint.h>

#include "os/os.h"

typedef struct gocsp__lock {
	_Atomic uint32_t state;
} gocsp__lock;

void gocsp__lock_slow(gocsp__lock *l);

static inline void
gocsp__lock_acquire(gocsp__lock *l)
{
	uint32_t unlocked = 0;
	if (__builtin_expect(atomic_compare_exchange_weak_explicit(&l->state,
	                         &unlocked, 1, memory_order_acquire,
	                         memory_order_relaxed),
	        1))
		return;
	gocsp__lock_slow(l);
}

static inline void
gocsp__lock_release(gocsp__lock *l)
{
	if (__builtin_expect(
	        atomic_exchange_explicit(&l->state, 0, memory_order_release) ==
	            2,
	        0))
		gocsp__futex_wake((uint32_t *) &l->state, 1);
}

#endif /* GOCSP_LOCK_H */
