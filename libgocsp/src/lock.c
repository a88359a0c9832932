/*
 * Design notes: the slow path of gocsp__lock (Drepper, "Futexes Are
 * Tricky", mutex 2).  Once a thread has slept it takes the lock in state 2,
 * so the unlocker always wakes the next sleeper: no wake-up is lost.
 */
#include "lock.h"

#define LOCK_SPINS 100

void
gocsp__lock_slow(gocsp__lock *l)
{
	for (int i = 0; i < LOCK_SPINS; i++) {
		uint32_t unlocked = 0;
		if (atomic_load_explicit(&l->state, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_weak_explicit(&l->state, &unlocked,
		        1, memory_order_acquire, memory_order_relaxed))
			return;
		gocsp__os_cpu_relax();
	}
	while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire) !=
	    0)
		gocsp__futex_wait((uint32_t *) &l->state, 2, -1);
}
