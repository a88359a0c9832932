/*
 * internal.h: the one umbrella header of libgocsp's internals.
 *
 * Symbols private to the library begin with gocsp__; those beginning with
 * gocsp_ are the public API (gocsp/gocsp.h).  The structures follow Go's
 * runtime (runtime2.go, chan.go, proc.go): G (coroutine), M (worker thread),
 * P (processor: the right to run coroutines, with a local run queue, a
 * timer heap and caches), sudog (a waiter queued on a channel or semaphore).
 */
#ifndef GOCSP_INTERNAL_H
#define GOCSP_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gocsp/gocsp.h"

#include "arch/regs.h"
#include "lock.h"
#include "os/os.h"

#if defined(__SANITIZE_ADDRESS__)
#define GOCSP_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define GOCSP_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(GOCSP_ASAN)
#define GOCSP_ASAN 1
#endif
#if __has_feature(thread_sanitizer) && !defined(GOCSP_TSAN)
#define GOCSP_TSAN 1
#endif
#endif

#define gocsp__likely(x) __builtin_expect(!!(x), 1)
#define gocsp__unlikely(x) __builtin_expect(!!(x), 0)

/* Relaxed atomic access to plain fields that are written under a lock but
 * read without it as hints (Go's "racy read ... rechecked under lock"). */
#define GOCSP__LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define GOCSP__STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* Abort with one line naming the misuse, as Go's throw or panic does. */
_Noreturn void gocsp__throw(const char *what);

/* Report a coroutine's stack overflow (one line) and abort. */
_Noreturn void gocsp__stack_overflow(uint64_t id, size_t size);

/* Install the handler that turns a guard-page fault into that report. */
void gocsp__fault_install(void);

struct gocsp__g;
struct gocsp__m;
struct gocsp__p;
struct gocsp__sudog;

/* ---------------------------------------------------------------------- */
/* Waiters: "block here until woken", for a coroutine or a plain thread    */
/* ---------------------------------------------------------------------- */

/*
 * A waiter lives on the blocked party's stack for one blocking operation.
 * A coroutine parks (its worker runs others); a plain thread sleeps on the
 * futex word.  Whoever completes the operation wakes the waiter exactly
 * once.  When several parties may complete it (select cases, a timeout),
 * each first claims it with a CAS of claimed 0 -> 1; only the winner
 * writes param and wakes.
 *
 * A wait without a deadline is woken only by a party that found its sudog
 * under the lock the waiter held while queueing it, and the coroutine
 * releases that lock only once it is parked: the wake needs no race with
 * the park (no atomic read-modify-write on the coroutine).  A deadline
 * adds a timer, which may fire before the park: those waits park with a
 * CAS on the coroutine's status.
 */
/* Why a coroutine waits, as gocsp_dump names it (dump.c). */
enum gocsp__waitreason {
	GOCSP__WAIT_OTHER = 0,
	GOCSP__WAIT_CHAN_SEND,
	GOCSP__WAIT_CHAN_RECV,
	GOCSP__WAIT_NIL_CHAN,
	GOCSP__WAIT_SELECT,
	GOCSP__WAIT_SELECT_EMPTY,
	GOCSP__WAIT_SLEEP,
	GOCSP__WAIT_MUTEX,
	GOCSP__WAIT_RWMUTEX,
	GOCSP__WAIT_WAITGROUP,
	GOCSP__WAIT_COND,
	GOCSP__WAIT_FD,
	GOCSP__WAIT_RUN,
};

struct gocsp__waiter {
	struct gocsp__g *g;       /* NULL: a plain thread */
	_Atomic uint32_t futex;   /* thread: 0 waiting, 1 woken */
	_Atomic uint32_t claimed; /* select/timeout: first waker CASes 0->1 */
	int64_t deadline;         /* monotonic ns, < 0: none */
	bool racy;                /* may be woken before it parks (below) */
	uint8_t reason;           /* enum gocsp__waitreason */
	struct gocsp__sudog *param; /* the winning sudog; NULL: timed out */
	/* A plain thread waiting without a deadline: in the list of
	 * blocked threads (gocsp__tblock_*), under its lock, since when
	 * (coarse clock, for the dump). */
	struct gocsp__waiter *tnext, *tprev;
	int64_t tsince;
};

/* Initialize w for the calling coroutine or thread, waiting for reason
 * (enum gocsp__waitreason).  A deadline makes it racy; so must a caller
 * whose wakers do not all hold the lock that the wait's unlock releases
 * (set w->racy). */
void gocsp__waiter_init(struct gocsp__waiter *w, int64_t deadline, int reason);

/*
 * Call unlock(arg) (may be NULL) and block until gocsp__waiter_wake(w)
 * or the deadline.  On a coroutine without a deadline, unlock runs once
 * the coroutine is parked.  On the deadline the waiter is claimed for the
 * timeout (param stays NULL) unless a waker claimed it first, in which
 * case this waits for that wake.  Returns only once no waker will touch w
 * again.  May park.  Hold no gocsp__lock but the one unlock releases.
 */
void gocsp__waiter_wait(struct gocsp__waiter *w, void (*unlock)(void *),
    void *arg);

/*
 * Wake w.  The caller must not touch w (or the sudogs on the waiter's
 * stack) afterwards: the waiter may already have returned.
 */
void gocsp__waiter_wake(struct gocsp__waiter *w);

/*
 * The plain threads blocked in the library with no deadline: each can be
 * woken only by a coroutine, another thread or a timer, which is what
 * makes a deadlock provable (sched.c).  lock freezes the list: threads
 * that would join or leave it wait.  Between lock and unlock, count is
 * its length and all_waiting tells whether none of them has been woken
 * yet.
 */
void gocsp__tblock_lock(void);
void gocsp__tblock_unlock(void);
long gocsp__tblock_count(void);
bool gocsp__tblock_all_waiting(void);

/* Call fn(w, arg) for every listed thread's waiter, the list frozen (for
 * the dump); try as for gocsp__allg_walk. */
bool gocsp__tblock_walk(void (*fn)(const struct gocsp__waiter *w, void *arg),
    void *arg, bool try);

/* Claim w for the caller (select/timeout).  true if the caller won. */
static inline bool
gocsp__waiter_claim(struct gocsp__waiter *w)
{
	uint32_t zero = 0;
	return atomic_compare_exchange_strong_explicit(&w->claimed, &zero, 1,
	    memory_order_acq_rel, memory_order_relaxed);
}

/* A waiter queued on a channel, a semaphore or an fd.  Fields under the
 * queue's lock. */
struct gocsp__sudog {
	struct gocsp__waiter *w;
	struct gocsp__sudog *next, *prev;
	void *elem;      /* send: source; recv: destination (may be NULL) */
	const void *key; /* semaphore address, channel or poll descriptor */
	union {
		int index;  /* select: the case's index */
		int events; /* netpoll: the events the waker found */
	};
	bool claim;   /* others may complete w too (select cases, a
	                       deadline, a cancel channel): a waker must
	                       claim w before completing it */
	bool queued;  /* in a wait queue */
	bool success; /* value moved (false: woken by close) */
};

struct gocsp__waitq {
	struct gocsp__sudog *first, *last;
};

void gocsp__waitq_push(struct gocsp__waitq *q, struct gocsp__sudog *s);
void gocsp__waitq_remove(struct gocsp__waitq *q, struct gocsp__sudog *s);
/* Pop the first sudog whose waiter this caller may complete (claims
 * the waiter of a sudog with claim set); NULL if none. */
struct gocsp__sudog *gocsp__waitq_dequeue(struct gocsp__waitq *q);

/*
 * Channels seen from outside chan.c and select.c (the netpoller's cancel
 * channel).  gocsp__chan_watch queues s on c's receive queue, as a
 * receive that discards its value, to be completed by a close (or a
 * send); it returns 0, or GOCSP_ECLOSED without queueing.  c's lock is
 * released on return, so s's waiter may be woken before it waits: it
 * must be racy, and s must have claim set when others may complete the
 * waiter too.  gocsp__chan_unwatch takes s back after the wait (a no-op
 * if a waker dequeued it) and frees c if its last reference went
 * meanwhile.  gocsp__chan_closed: whether c is closed, read without the
 * lock (a hint).  None of them parks.
 */
int gocsp__chan_watch(gocsp_chan *c, struct gocsp__sudog *s);
void gocsp__chan_unwatch(gocsp_chan *c, struct gocsp__sudog *s);
bool gocsp__chan_closed(gocsp_chan *c);

/* ---------------------------------------------------------------------- */
/* Coroutines (G)                                                          */
/* ---------------------------------------------------------------------- */

enum gocsp__gstatus {
	GOCSP__G_RUNNABLE = 0, /* in a run queue, or about to be */
	GOCSP__G_RUNNING,      /* on a worker */
	GOCSP__G_WAITING,      /* parked; gocsp__ready makes it runnable */
	GOCSP__G_WOKEN,        /* readied while still running: park returns */
	GOCSP__G_DEAD,         /* ended, or never started: a cached record */
};

struct gocsp__g {
	struct gocsp__regs regs;    /* saved registers while not running */
	struct gocsp__g *schedlink; /* global queue, free lists */
	/* On the first G of a batch in the global run queue (runq.c). */
	struct {
		struct gocsp__g *next, *tail;
		long n;
	} batch;
	_Atomic uint32_t status; /* enum gocsp__gstatus */
	uint32_t stack_kind;     /* guard kind of the stack (stack.c) */
	unsigned valgrind_stack; /* its stack's id for valgrind, live */
	bool fresh;              /* spawned, not yet run */
	void (*fn)(void *);
	void *arg;
	unsigned char *stack_lo; /* usable stack, or NULL; a dead G
	                                 in a P's cache keeps its own */
	size_t stack_size;       /* requested size, 0 = default */
	size_t argspace;         /* bytes at the stack's top holding
	                                 gocsp_go_args' copy */
	uint64_t id;
	/* For gocsp_dump: written by the G itself (or its spawner before
	 * it runs), read racily by the dump. */
	uint8_t waitreason;      /* enum gocsp__waitreason, parked */
	int64_t waitsince;       /* coarse clock when it parked */
	void (*startfn)(void *); /* the function it was started with */
	void *createdpc;         /* where gocsp_go was called */
	uint64_t parentid;       /* the spawner, 0: a plain thread */
	size_t allgidx;          /* in the list of all Gs (coro.c) */
#ifdef GOCSP_TSAN
	void *tsan_fiber;
#endif
};

/* The running coroutine, or NULL on a plain thread or a scheduler. */
struct gocsp__g *gocsp__curg(void);

/*
 * Call fn(g, arg) for every G record, live or cached (status DEAD), while
 * no G is created or freed (coro.c).  try: give up, returning false,
 * when the list stays busy (a signal handler that may have interrupted
 * its holder).
 */
bool gocsp__allg_walk(void (*fn)(struct gocsp__g *g, void *arg), void *arg,
    bool try);

/* dump.c: read $GOCSP_TRACEBACK and take SIGQUIT if the program left it
 * at its default action (at runtime start). */
void gocsp__dump_install(void);

/* Print "gocsp: fatal: what", then every coroutine as $GOCSP_TRACEBACK
 * says, and exit with status 2 (SIGABRT for GOCSP_TRACEBACK=crash). */
_Noreturn void gocsp__fatal(const char *what);

/*
 * Park the running coroutine g until gocsp__ready(g, false), then, on its
 * worker's scheduler stack, call unlock(arg): whoever readies g must first
 * take the lock that unlock releases.
 */
void gocsp__park_unlock(struct gocsp__g *g, void (*unlock)(void *), void *arg);

/*
 * Park the running coroutine g until gocsp__ready(g, true), which may come
 * first (from a timer): then it returns at once.
 */
void gocsp__park_racy(struct gocsp__g *g);

/* On a coroutine whose worker has other runnable coroutines: yield to
 * them and return true.  Otherwise false, at once. */
bool gocsp__yield_if_busy(void);

/* Make a parked coroutine runnable.  racy: it parked with
 * gocsp__park_racy (and may still be running).  Callable anywhere. */
void gocsp__ready(struct gocsp__g *g, bool racy);

/* ---------------------------------------------------------------------- */
/* Timers: a heap per P (timer.c)                                           */
/* ---------------------------------------------------------------------- */

struct gocsp__timer {
	int64_t when;                       /* monotonic ns */
	int64_t period;                     /* > 0: re-arm (ticker) */
	void (*fn)(struct gocsp__timer *t); /* runs under the heap lock */
	void *arg;
	struct gocsp__timerheap *heap; /* where it is queued */
	int32_t index;                 /* in heap->a, -1 if not queued */
};

struct gocsp__timerheap {
	gocsp__lock lock;
	struct gocsp__timer **a; /* under lock */
	size_t n, cap;           /* under lock */
	_Atomic int64_t when0;   /* earliest when, INT64_MAX if empty */
};

/*
 * Queue t (t->when, t->fn set).  The callback runs on a worker with the
 * heap lock held: it must be short, must not block, and must not add or
 * delete timers.  Idempotent removal: gocsp__timer_del.
 */
void gocsp__timer_add(struct gocsp__timer *t);

/* Remove t if queued.  After it returns t->fn is not running and will not
 * run (t's memory may be reused). */
void gocsp__timer_del(struct gocsp__timer *t);

/* Run the expired timers of h.  Returns how many ran. */
int gocsp__timerheap_run(struct gocsp__timerheap *h, int64_t now);

/*
 * The deadline every blocking call takes, from the public timeout:
 * negative (GOCSP_FOREVER) gives -1, none; 0 gives 0, "do not block"
 * (no monotonic reading is 0, so it is also a deadline already past);
 * else now + timeout, saturated so that a huge timeout is a deadline far
 * away rather than one that wrapped into the past.
 */
static inline int64_t
gocsp__deadline(int64_t timeout)
{
	if (timeout <= 0)
		return timeout < 0 ? -1 : 0;
	int64_t now = gocsp__os_now();
	return timeout > INT64_MAX - now ? INT64_MAX : now + timeout;
}

/* ---------------------------------------------------------------------- */
/* Semaphores keyed by address (Go's sema.go), for sync                    */
/* ---------------------------------------------------------------------- */

/*
 * A semaphore is only a key: its count lives in the semaphore table, never
 * at the key's address, so a releaser never touches the object that holds
 * the key (a woken waiter may free it at once).
 *
 * gocsp__semacquire: take one unit for key, waiting for it if there is
 * none.  lifo: queue at the head (a waiter that already waited, as Go's
 * Mutex starvation handling); reason: enum gocsp__waitreason.  May park.
 */
void gocsp__semacquire(const void *key, bool lifo, int reason);

/* Give n units for key: to waiters in queue order, the rest are kept for
 * those still to come. */
void gocsp__semrelease(const void *key, uint32_t n);

/*
 * For the Mutex rescue (mutex.c): for each key whose waiters wait for a
 * Mutex, claim(key) runs under the lock of its root -- a waiter is queued
 * on the key, so the object holding it stays allocated meanwhile -- and
 * says whether to release one unit for the key, which is done after.
 * Returns how many units were released.
 */
int gocsp__sema_rescue_mutexes(bool (*claim)(const void *key));

/* How many wait on a Mutex; a hint, read without a lock. */
uint32_t gocsp__sema_mutex_waiters(void);

/* The same for one key, if a waiter for a Mutex is queued on it; returns
 * whether a unit was released. */
bool gocsp__sema_rescue_mutex_key(const void *key,
    bool (*claim)(const void *key));

/*
 * Idle workers call this every 10 ms while coroutines wait on a Mutex,
 * and before they report a deadlock: it wakes waiters stranded on a free
 * Mutex (mutex.c).  Returns how many it woke.
 */
int gocsp__mutex_rescue(void);

/* The check of gocsp__mutex_rescue for the one Mutex whose semaphore key
 * is key, if it still has a waiter (mutex.c; run by sched.c for
 * gocsp__defer_recheck). */
void gocsp__mutex_recheck(const void *key);

/*
 * For mutex.c: run gocsp__mutex_recheck(key) on the caller's P at least
 * GOCSP__RECHECK_NS from now, instead of making the caller wait that
 * long.  False on a plain thread, or when the P has no room: then the
 * caller waits itself.
 */
#define GOCSP__RECHECK_NS 1000
bool gocsp__defer_recheck(const void *key);

/* How many table slots a wake of key looks at, or -1 when nobody waits on
 * key.  For the tests: it must not grow with the number of keys. */
int gocsp__sema_probes(const void *key);

/* ---------------------------------------------------------------------- */
/* Runtime                                                                 */
/* ---------------------------------------------------------------------- */

/* Start the runtime if it is not running (idempotent, thread-safe). */
void gocsp__runtime_init(void);

/*
 * Around a system call that may block (a regular file's read): give the
 * P to other workers first, and get one back after (Go's
 * entersyscallblock/exitsyscall).  enter returns the P given up, NULL on
 * a plain thread; exit may park the G until a P is free (sched.c).
 */
struct gocsp__p *gocsp__enter_blocking(void);
void gocsp__exit_blocking(struct gocsp__p *oldp);

/*
 * For sync (sched.c).  gocsp__can_spin: whether a caller that found a
 * lock held may spin for it -- another P is running (the holder likely
 * is) and nothing waits on the caller's P (Go's sync_runtime_canSpin,
 * less its iteration and CPU count checks, which stay with the lock).
 * gocsp__procid: the id of the caller's P, below GOCSP__MAX_PROCS, or -1
 * on a plain thread; it stays the caller's until the caller parks, so
 * code that never parks may use per-P data without locks (Go's
 * procPin).
 */
#define GOCSP__MAX_PROCS 1024
bool gocsp__can_spin(void);
int gocsp__procid(void);

/* Per-thread fast random number (wyrand). */
uint64_t gocsp__rand(void);

/* The timer heap a new timer of the caller goes to. */
struct gocsp__timerheap *gocsp__local_timerheap(void);

/* A timer became the earliest of its heap at when: make sure a worker
 * will wake up for it. */
void gocsp__timer_wakeup(int64_t when);

#endif /* GOCSP_INTERNAL_H */
