/*
 * gocsp__lock: the runtime's internal lock.  0 unlocked, 1 locked.  Taking
 * it is one CAS, releasing it one plain store; contention spins, yields,
 * then naps (lock.c).  Sections are a few dozen instructions (channels,
 * run queues, timer heaps).
 *
 * Held only for short, non-blocking sections: never park while holding one.
 * Zero-filled is unlocked.
 */
#ifndef GOCSP_LOCK_H
#define GOCSP_LOCK_H

#include <stdatomic.h>
#include <stdbool.h>
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

/* Take l if it is free, at once: true if taken. */
static inline bool
gocsp__lock_try(gocsp__lock *l)
{
	uint32_t unlocked = 0;
	return atomic_compare_exchange_strong_explicit(&l->state, &unlocked, 1,
	    memory_order_acquire, memory_order_relaxed);
}

/* In a signal handler: take l within about 0.1 s, or give up and return
 * false (its holder may be the very thread the handler interrupted). */
bool gocsp__lock_try_patient(gocsp__lock *l);

static inline void
gocsp__lock_release(gocsp__lock *l)
{
	atomic_store_explicit(&l->state, 0, memory_order_release);
}

#endif /* GOCSP_LOCK_H */
