/*
 * Design notes: Mutex, after Go's sync/mutex.go.
 *
 * state_ packs the locked bit, the woken bit (a waiter has been released
 * and is on its way: Unlock need not release another), the starving bit
 * and, above them, the number of waiters blocked on sema_ (a key of the
 * semaphore table, sema.c).  Lock is one CAS 0 -> locked when free;
 * Unlock one atomic add when nobody waits or a woken waiter is on its
 * way.
 *
 * Normal mode: waiters queue in FIFO order, but a woken waiter competes
 * with newcomers, which usually win (they are running already), so a
 * waiter that loses goes back to the head of the queue (lifo).  A waiter
 * that waited over 1 ms sets the starving bit: Unlock then hands the lock
 * to the first waiter (the locked bit stays clear, newcomers queue at the
 * tail without taking it), and the waiter takes ownership itself.  The
 * last waiter, or one that waited less than 1 ms, turns starvation off.
 *
 * Before queueing, a locker spins while the holder is likely running on
 * another worker (Go's sync_runtime_canSpin): more than one CPU, another
 * P busy, and nothing else runnable on the caller's P (a coroutine that
 * spins keeps its P's queued coroutines waiting).  One round of 30 pauses
 * (under a microsecond), where Go spins four: a spinner that finds the
 * lock free mostly takes it from a holder about to relock, and each such
 * change of holder moves the mutex's cache line between CPUs, twice.
 * Where lines cross slowly those crossings are the cost of a contended
 * mutex, so the loser had better queue and leave the holder its line: a
 * woken waiter then waits on the holder's worker until that worker has
 * not switched for 5 us (sched.c).  With 2 coroutines on 2 workers the
 * holder changes about once per 1,000 increments, where Go's changes 4
 * to 6 times, and with 8, once or twice where Go's changes 15 to 180
 * times (tests/bench mutex, changes_per_kop).
 *
 * Lock's fast path reads the state, then CASes the locked bit into what
 * it read, rather than CASing 0 -> locked: while waiters are queued the
 * state is never 0, and a CAS that fails costs as much as one that
 * succeeds (atomic read-modify-writes dominate a contended mutex).
 *
 * Invariant: the waiter count counts callers between their increment and
 * the return of their gocsp__semacquire; each Unlock that takes one off
 * the count releases exactly one unit.
 */
#include "internal.h"

#define MUTEX_LOCKED 1
#define MUTEX_WOKEN 2
#define MUTEX_STARVING 4
#define MUTEX_WAITER_SHIFT 3
#define MUTEX_WAITER ((int32_t) 1 << MUTEX_WAITER_SHIFT)

#define STARVATION_NS 1000000 /* Go's starvationThresholdNs */
#define ACTIVE_SPIN 1         /* spin rounds before queueing */
#define ACTIVE_SPIN_CNT 30    /* pauses per round */

static _Atomic int ncpu; /* 0: not yet read */

static int
cpus(void)
{
	int n = atomic_load_explicit(&ncpu, memory_order_relaxed);
	if (gocsp__unlikely(n == 0)) {
		n = gocsp__os_ncpu();
		atomic_store_explicit(&ncpu, n, memory_order_relaxed);
	}
	return n;
}

/* Whether spinning round iter is worth it (Go's sync_runtime_canSpin). */
static bool
can_spin(int iter)
{
	if (iter >= ACTIVE_SPIN || cpus() <= 1)
		return false;
	return gocsp__can_spin();
}

static void
do_spin(void)
{
	for (int i = 0; i < ACTIVE_SPIN_CNT; i++)
		gocsp__os_cpu_relax();
}

static inline int32_t
load_state(gocsp_mutex *m)
{
	return __atomic_load_n(&m->state_, __ATOMIC_RELAXED);
}

static inline bool
cas_state(gocsp_mutex *m, int32_t *old, int32_t new)
{
	return __atomic_compare_exchange_n(&m->state_, old, new, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* Not inlined: the fast path stays a load, a CAS and a return, without
 * the slow path's stack frame. */
__attribute__((noinline)) static void
lock_slow(gocsp_mutex *m)
{
	int64_t wait_start = 0;
	bool starving = false, awoke = false;
	int iter = 0;
	int32_t old = load_state(m);
	for (;;) {
		/* Spin while locked in normal mode: in starvation mode the
		 * lock goes to a waiter, so spinning cannot win it. */
		if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == MUTEX_LOCKED &&
		    can_spin(iter)) {
			/* Set woken so that Unlock does not wake another
			 * waiter while this one is about to take the lock. */
			if (!awoke && (old & MUTEX_WOKEN) == 0 &&
			    (old >> MUTEX_WAITER_SHIFT) != 0 &&
			    cas_state(m, &old, old | MUTEX_WOKEN))
				awoke = true;
			do_spin();
			iter++;
			old = load_state(m);
			continue;
		}
		int32_t new = old;
		/* Newcomers do not take a starving mutex: it is handed
		 * over, and they queue. */
		if ((old & MUTEX_STARVING) == 0)
			new |= MUTEX_LOCKED;
		if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) != 0)
			new += MUTEX_WAITER;
		/* Switch to starvation mode, but only while it is locked:
		 * Unlock expects waiters in a starving mutex. */
		if (starving && (old & MUTEX_LOCKED) != 0)
			new |= MUTEX_STARVING;
		if (awoke) {
			if ((new &MUTEX_WOKEN) == 0)
				gocsp__throw("gocsp_mutex_lock: inconsistent "
				             "mutex state");
			new &= ~MUTEX_WOKEN;
		}
		if (!cas_state(m, &old, new))
			continue; /* old was reloaded by the failed CAS */
		if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == 0)
			return; /* locked it */
		/* A waiter woken before goes back to the head of the
		 * queue. */
		bool lifo = wait_start != 0;
		if (wait_start == 0)
			wait_start = gocsp_now();
		gocsp__semacquire(&m->sema_, lifo, GOCSP__WAIT_MUTEX);
		starving =
		    starving || gocsp_now() - wait_start > STARVATION_NS;
		old = load_state(m);
		if ((old & MUTEX_STARVING) != 0) {
			/* Handed to us: the state is inconsistent until we
			 * take the lock and drop our waiter count. */
			if ((old & (MUTEX_LOCKED | MUTEX_WOKEN)) != 0 ||
			    (old >> MUTEX_WAITER_SHIFT) == 0)
				gocsp__throw("gocsp_mutex_lock: inconsistent "
				             "mutex state");
			int32_t delta = MUTEX_LOCKED - MUTEX_WAITER;
			/* Leave starvation mode when no longer starving or
			 * the last waiter: otherwise two coroutines taking
			 * turns could keep it on for good. */
			if (!starving || (old >> MUTEX_WAITER_SHIFT) == 1)
				delta -= MUTEX_STARVING;
			__atomic_add_fetch(&m->state_, delta,
			    __ATOMIC_ACQ_REL);
			return;
		}
		awoke = true;
		iter = 0;
	}
}

void
gocsp_mutex_lock(gocsp_mutex *m)
{
	int32_t old = load_state(m);
	if (gocsp__likely((old & (MUTEX_LOCKED | MUTEX_STARVING)) == 0) &&
	    gocsp__likely(__atomic_compare_exchange_n(&m->state_, &old,
	        old | MUTEX_LOCKED, false, __ATOMIC_ACQUIRE,
	        __ATOMIC_RELAXED)))
		return;
	lock_slow(m);
}

int
gocsp_mutex_trylock(gocsp_mutex *m)
{
	int32_t old = load_state(m);
	if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) != 0)
		return GOCSP_EAGAIN;
	/* One attempt: a failed CAS means contention, and TryLock does not
	 * wait it out (Go's TryLock). */
	if (!__atomic_compare_exchange_n(&m->state_, &old, old | MUTEX_LOCKED,
	        false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return GOCSP_EAGAIN;
	return 0;
}

__attribute__((noinline)) static void
unlock_slow(gocsp_mutex *m, int32_t new)
{
	if (((new + MUTEX_LOCKED) & MUTEX_LOCKED) == 0)
		gocsp__throw("gocsp_mutex_unlock: unlock of unlocked mutex");
	if ((new &MUTEX_STARVING) != 0) {
		/* Hand the lock to the first waiter: it sees the starving
		 * bit and takes ownership. */
		gocsp__semrelease(&m->sema_, 1);
		return;
	}
	int32_t old = new;
	for (;;) {
		/* Nobody to wake, or someone already took the lock, is
		 * woken, or it turned starving: that party handles it. */
		if ((old >> MUTEX_WAITER_SHIFT) == 0 ||
		    (old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING)) != 0)
			return;
		new = (old - MUTEX_WAITER) | MUTEX_WOKEN;
		if (__atomic_compare_exchange_n(&m->state_, &old, new, false,
		        __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			gocsp__semrelease(&m->sema_, 1);
			return;
		}
	}
}

void
gocsp_mutex_unlock(gocsp_mutex *m)
{
	int32_t new =
	    __atomic_sub_fetch(&m->state_, MUTEX_LOCKED, __ATOMIC_RELEASE);
	/* Woken alone: the woken waiter is on its way and takes care of
	 * the rest, so there is nothing to do (unlock_slow would return at
	 * once).  A holder that keeps relocking while its rival waits,
	 * woken, on this worker's queue unlocks in this state every time;
	 * the call alone cost it 0.8 ns of 5.9 per increment. */
	if (gocsp__unlikely((new & ~MUTEX_WOKEN) != 0))
		unlock_slow(m, new);
}
