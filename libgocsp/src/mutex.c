/*
 * Design notes: Mutex, after Go's sync/mutex.go.
 *
 * locked_ is the lock itself, 1 while held; state_ packs the woken bit
 * (a waiter has been released and is on its way: Unlock need not release
 * another), the starving bit and, above them, the number of waiters
 * blocked on sema_ (a key of the semaphore table, sema.c).  Lock is one
 * CAS of locked_ from 0 to 1.  Unlock is a plain store of 0, then a read
 * of state_: an atomic read-modify-write costs as much again as the
 * store and the read together, and an uncontended lock and unlock went
 * from 5.0 to 2.5 ns with it (tests/bench mutex, w1).  Go keeps both in
 * one word and unlocks with an atomic add.  The locked flag must be a
 * word of its own: a byte store into the word that the next CAS reads
 * stalls that CAS until the store drains (7 ns the pair).
 *
 * The price: Unlock's read of state_ may be served before its store
 * reaches other CPUs (a store buffer), so an Unlock and a waiter that
 * counts itself at that moment may each miss the other -- the waiter
 * reads locked_ as 1 after counting itself, Unlock reads no waiters --
 * and the waiter would sleep on a free mutex ("stranded", as HotSpot
 * calls it).  Three things close that:
 *   - a waiter that counted itself reads locked_ again, at once and
 *     after GOCSP__RECHECK_NS, 1 us (by then the store has drained: a store
 *     buffer empties in well under a microsecond), and wakes a waiter
 *     itself if it finds the mutex free with no one woken (repair).
 *     Where it may not spin, it parks at once and its P makes the
 *     second check when it is due (sched.c, gocsp__defer_recheck);
 *   - any holder that locks after Unlock's store unlocks later and sees
 *     the count, and repair runs for every Unlock that sees waiters;
 *   - for what the delay does not cover (a store held longer, which
 *     nothing bounds in principle; a deferred check whose P runs one
 *     coroutine a long time, or retires), idle workers look for stranded
 *     waiters every 10 ms and before they report a deadlock
 *     (gocsp__mutex_rescue, from sched.c).
 *
 * Normal mode: waiters queue in FIFO order, but a woken waiter competes
 * with newcomers, which usually win (they are running already), so a
 * waiter that loses goes back to the head of the queue (lifo).  A waiter
 * that waited over 1 ms sets the starving bit: Unlock then hands the lock
 * to the first waiter -- it sets locked_ back to 1 for that waiter, so
 * newcomers queue at the tail without taking it -- and the waiter takes
 * ownership.  The last waiter, or one that waited less
 * than 1 ms, turns starvation off.
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
 * not switched for 5 us (sched.c).
 *
 * Invariant: the waiter count counts callers between their increment and
 * the return of their gocsp__semacquire; each wake that takes one off
 * the count releases exactly one unit.
 */
#include "internal.h"

#define MUTEX_WOKEN 1
#define MUTEX_STARVING 2
#define MUTEX_WAITER_SHIFT 2
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

static inline bool
is_locked(gocsp_mutex *m)
{
	return __atomic_load_n(&m->locked_, __ATOMIC_ACQUIRE) != 0;
}

static inline bool
try_take(gocsp_mutex *m)
{
	uint32_t free = 0;
	return __atomic_compare_exchange_n(&m->locked_, &free, 1, false,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * With m free and waiters counted, make sure one of them gets it: in
 * normal mode wake the first, unless one is woken already; when starving,
 * take the lock on behalf of the first waiter, which owns it on waking.
 * Returns whether to release a unit of m's semaphore for that.  Does not
 * release it itself, so that the rescue can call it with a root of the
 * semaphore table locked.
 */
static bool
claim_wake(gocsp_mutex *m)
{
	int32_t old = load_state(m);
	for (;;) {
		/* Nobody to wake, or someone holds it: its Unlock sees the
		 * waiters. */
		if ((old >> MUTEX_WAITER_SHIFT) == 0 || is_locked(m))
			return false;
		if ((old & MUTEX_STARVING) != 0)
			return try_take(m);
		if ((old & MUTEX_WOKEN) != 0)
			return false; /* that one is on its way */
		if (cas_state(m, &old, (old - MUTEX_WAITER) | MUTEX_WOKEN))
			return true;
	}
}

/* Unlock's slow path, and a waiter's repair of a mutex it found free. */
__attribute__((noinline)) static void
wake_waiter(gocsp_mutex *m)
{
	if (claim_wake(m))
		gocsp__semrelease(&m->sema_, 1);
}

/*
 * A waiter that has just counted itself: if the mutex is free, an Unlock
 * may have missed it (the notes), so it wakes a waiter itself.  Checks
 * at once, then again once any store still on its way has drained.  On
 * one CPU there is no other store buffer: a holder that ran before this
 * waiter drained its own when it was switched out.  The second check
 * waits only where spinning is allowed; elsewhere the waiter parks and
 * its P makes the check when it is due (gocsp__defer_recheck), so that
 * the coroutines queued behind it -- the holder among them, maybe -- run
 * meanwhile: a waiter that spun there made a mutex held across a yield
 * ten times slower.
 */
static void
check_stranded(gocsp_mutex *m)
{
	if (!is_locked(m)) {
		wake_waiter(m);
		return;
	}
	if (cpus() <= 1)
		return;
	if (!gocsp__can_spin() && gocsp__defer_recheck(&m->sema_))
		return;
	int64_t due = gocsp__os_now() + GOCSP__RECHECK_NS;
	do
		do_spin();
	while (gocsp__os_now() < due);
	if (!is_locked(m))
		wake_waiter(m);
}

/* Not inlined: the fast path stays a CAS and a return, without the slow
 * path's stack frame. */
__attribute__((noinline)) static void
lock_slow(gocsp_mutex *m)
{
	int64_t wait_start = 0;
	bool starving = false, awoke = false;
	int iter = 0;
	for (;;) {
		int32_t old = load_state(m);
		bool locked = is_locked(m);
		/* Spin while locked in normal mode: in starvation mode the
		 * lock goes to a waiter, so spinning cannot win it. */
		if (locked && (old & MUTEX_STARVING) == 0 && can_spin(iter)) {
			/* Set woken so that Unlock does not wake another
			 * waiter while this one is about to take the lock. */
			if (!awoke && (old & MUTEX_WOKEN) == 0 &&
			    (old >> MUTEX_WAITER_SHIFT) != 0 &&
			    cas_state(m, &old, old | MUTEX_WOKEN))
				awoke = true;
			do_spin();
			iter++;
			continue;
		}
		/* Newcomers do not take a starving mutex: it is handed
		 * over, and they queue. */
		if (!locked && (old & MUTEX_STARVING) == 0 && try_take(m)) {
			if (awoke)
				__atomic_fetch_and(&m->state_, ~MUTEX_WOKEN,
				    __ATOMIC_RELAXED);
			return;
		}
		int32_t new = old + MUTEX_WAITER;
		/* Switch to starvation mode, but only while it is locked:
		 * Unlock expects waiters in a starving mutex. */
		if (starving && locked)
			new |= MUTEX_STARVING;
		if (awoke) {
			if ((new &MUTEX_WOKEN) == 0)
				gocsp__throw("gocsp_mutex_lock: inconsistent "
				             "mutex state");
			new &= ~MUTEX_WOKEN;
		}
		if (!cas_state(m, &old, new))
			continue;
		check_stranded(m);
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
			/* Handed to us, locked on our behalf: drop our
			 * waiter count. */
			if (!is_locked(m) || (old & MUTEX_WOKEN) != 0 ||
			    (old >> MUTEX_WAITER_SHIFT) == 0)
				gocsp__throw("gocsp_mutex_lock: inconsistent "
				             "mutex state");
			int32_t delta = -MUTEX_WAITER;
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
	if (gocsp__likely(try_take(m)))
		return;
	lock_slow(m);
}

int
gocsp_mutex_trylock(gocsp_mutex *m)
{
	/* One attempt, and never while starving: a failed CAS means
	 * contention, and TryLock does not wait it out (Go's TryLock). */
	if ((load_state(m) & MUTEX_STARVING) != 0 || !try_take(m))
		return GOCSP_EAGAIN;
	return 0;
}

void
gocsp_mutex_unlock(gocsp_mutex *m)
{
	if (gocsp__unlikely(!is_locked(m)))
		gocsp__throw("gocsp_mutex_unlock: unlock of unlocked mutex");
	__atomic_store_n(&m->locked_, 0, __ATOMIC_RELEASE);
	/* Woken alone: the woken waiter is on its way and takes care of
	 * the rest.  A holder that keeps relocking while its rival waits,
	 * woken, on this worker's queue unlocks in this state every
	 * time. */
	if (gocsp__unlikely((load_state(m) & ~MUTEX_WOKEN) != 0))
		wake_waiter(m);
}

/* Under a root of the semaphore table: key is the sema_ of a mutex with
 * a waiter queued, so the mutex stays allocated meanwhile. */
static bool
claim_stranded(const void *key)
{
	gocsp_mutex *m =
	    (gocsp_mutex *) ((char *) key - offsetof(gocsp_mutex, sema_));
	return claim_wake(m);
}

void
gocsp__mutex_recheck(const void *key)
{
	gocsp__sema_rescue_mutex_key(key, claim_stranded);
}

int
gocsp__mutex_rescue(void)
{
	return gocsp__sema_rescue_mutexes(claim_stranded);
}
