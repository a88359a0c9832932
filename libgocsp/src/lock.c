/*
 * Design notes: the slow path of gocsp__lock.  The holder releases with a
 * plain store (no read-modify-write: the lock sits on every channel
 * operation, and an atomic exchange there costs as much as the rest of
 * the handoff), so it never wakes anyone.  A waiter spins, then yields
 * the CPU (the holder may have been preempted), then naps on the futex
 * with a short timeout: it re-polls rather than relying on a wake-up.
 * Critical sections are a few dozen instructions, so the nap is rare.
 */
#include "lock.h"

#include <sched.h>

#define LOCK_SPINS 100
#define LOCK_YIELDS 10
#define LOCK_NAP_NS 50000

bool
gocsp__lock_try_patient(gocsp__lock *l)
{
	for (int i = 0; !gocsp__lock_try(l); i++) {
		if (i == 1000)
			return false;
		gocsp__os_nap(100000);
	}
	return true;
}

void
gocsp__lock_slow(gocsp__lock *l)
{
	for (uint32_t i = 0;; i++) {
		uint32_t unlocked = 0;
		if (atomic_load_explicit(&l->state, memory_order_relaxed) ==
		        0 &&
		    atomic_compare_exchange_weak_explicit(&l->state, &unlocked,
		        1, memory_order_acquire, memory_order_relaxed))
			return;
		if (i < LOCK_SPINS)
			gocsp__os_cpu_relax();
		else if (i < LOCK_SPINS + LOCK_YIELDS)
			sched_yield();
		else
			gocsp__futex_wait((uint32_t *) &l->state, 1,
			    gocsp__os_now() + LOCK_NAP_NS);
	}
}
